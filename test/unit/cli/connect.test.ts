import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { freePort } from '../../../src/core/freePort';
import { startDemo, type DemoBackend } from '../../../src/demo';
import type { FrameEvent, StateEvent, SummaryEvent } from '../../../src/shared/events';
import { httpServer, ofKind, wsServer } from '../../helpers/servers';
import { httpsServer, makeTestCerts } from '../../helpers/tlsCerts';
import { assertOneLineError, parseNdjson, runCli, startCli } from './runCli';

describe('wirescope connect against the demo backend', () => {
  let demo: DemoBackend;
  before(async () => {
    // A slow feed, so that the first inbound frame of the echo test is the echo.
    demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0.2 });
  });
  after(async () => {
    await demo.close();
  });

  it('prints the documented ndjson events for --send hi --count 1 (the issue\'s Done line)', async () => {
    const r = await runCli(['connect', demo.urls.ws, '--send', 'hi', '--count', '1', '--format', 'ndjson']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const events = parseNdjson(r.stdout);
    events.forEach((e, i) => {
      assert.equal(e.seq, i + 1, 'seq runs 1, 2, 3...');
      assert.equal(typeof e.t, 'number');
      assert.ok(e.ts > 1.6e12);
      if (i > 0) assert.ok(e.t >= events[i - 1].t);
    });
    assert.deepEqual(
      ofKind(events, 'state').map((s) => s.state),
      ['connecting', 'open', 'closing', 'closed'],
    );
    assert.equal(ofKind(events, 'timing').length, 1, 'handshake timing');
    const data = ofKind(events, 'frame').filter((f) => !f.meta?.control);
    assert.deepEqual(
      data.map((f) => [f.dir, f.data, f.size, f.encoding]),
      [
        ['out', 'hi', 2, 'utf8'],
        ['in', 'hi', 2, 'utf8'],
      ],
    );
    const closed = events[events.length - 2] as StateEvent;
    assert.equal(closed.kind, 'state');
    assert.equal(closed.state, 'closed');
    assert.equal(closed.reason, 'count reached');
    const summary = events[events.length - 1] as SummaryEvent;
    assert.equal(summary.kind, 'summary');
    assert.equal(summary.state, 'closed');
    assert.equal(summary.reconnects, 0);
    assert.ok(summary.frames.in >= 1 && summary.frames.out >= 1);
  });

  it('--format summary prints only the summary, as one JSON line', async () => {
    const r = await runCli(['connect', demo.urls.ws, '--send', 'one', '--send', 'two', '--count', '2', '--format', 'summary']);
    assert.equal(r.code, 0);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    const s = JSON.parse(lines[0]) as SummaryEvent;
    assert.equal(s.kind, 'summary');
    assert.equal(s.state, 'closed');
    assert.ok(s.frames.out >= 2, 'two sends (plus the close frame)');
    assert.ok(s.bytes.out >= 6);
  });

  it('--format pretty is readable, uncoloured off a TTY, and escapes control characters from the server', async () => {
    const r = await runCli(['connect', demo.urls.ws, '--send', 'a\x1b[2Jb\nc', '--count', '1']);
    assert.equal(r.code, 0);
    assert.ok(!r.stdout.includes('\x1b'), 'no raw escape character reaches the terminal');
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.match(lines[0], /^\s+0\.\d{3}s {2}● connecting {2}ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    assert.ok(lines.some((l) => /⏱ handshake .*connect \S+ .*= \S+ ms/.test(l)), 'timing line with a waterfall');
    assert.ok(lines.some((l) => /● open .*HTTP 101/.test(l)));
    assert.ok(lines.some((l) => l.includes('→ out') && l.includes('a\\x1b[2Jb\\nc')), 'out frame, escaped');
    assert.ok(lines.some((l) => l.includes('← in') && l.includes('a\\x1b[2Jb\\nc')), 'echo, escaped');
    assert.match(lines[lines.length - 1], /── summary {2}closed after \d+ ms {2}in \d+ frames/);
  });

  it('ends with exit 0 and a summary on SIGINT', async () => {
    const run = startCli(['connect', demo.urls.ws, '--format', 'ndjson']);
    await run.waitForStdout((out) => out.includes('"state":"open"'));
    run.child.kill('SIGINT');
    const r = await run.result;
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const events = parseNdjson(r.stdout);
    const last = events[events.length - 1] as SummaryEvent;
    assert.equal(last.kind, 'summary');
    assert.equal(last.state, 'closed');
    const closed = events[events.length - 2] as StateEvent;
    assert.equal(closed.state, 'closed');
    assert.match(closed.reason ?? '', /interrupted/);
  });

  it('--duration ends the session normally', async () => {
    const r = await runCli(['connect', demo.urls.ws, '--duration', '300', '--format', 'ndjson']);
    assert.equal(r.code, 0);
    const events = parseNdjson(r.stdout);
    const closed = ofKind(events, 'state').find((s) => s.state === 'closed');
    assert.equal(closed?.reason, 'duration reached');
    assert.ok((events[events.length - 1] as SummaryEvent).durationMs >= 300);
  });

  it('runs HTTP requests with -X, -H and -d against the REST resource', async () => {
    const r = await runCli(['connect', demo.urls.items, '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{"name":"from cli"}', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const frames = ofKind(parseNdjson(r.stdout), 'frame');
    const out = frames.find((f) => f.dir === 'out') as FrameEvent;
    assert.equal(out.meta?.method, 'POST');
    assert.equal(out.data, '{"name":"from cli"}');
    const inFrame = frames.find((f) => f.dir === 'in') as FrameEvent;
    assert.equal(inFrame.meta?.status, 201);
    const created = JSON.parse(inFrame.data) as { id: number; name: string };
    assert.equal(created.name, 'from cli');
    // The item really exists on the server now.
    const res = await fetch(`${demo.urls.items}/${created.id}`);
    assert.equal(res.status, 200);
  });

  it('follows the SSE feed with --pattern sse', async () => {
    demo.feed.tick();
    demo.feed.tick();
    const r = await runCli(['connect', demo.urls.sse, '--pattern', 'sse', '--count', '2', '--format', 'ndjson', '-H', 'Last-Event-ID: 0']);
    assert.equal(r.code, 0, r.stderr);
    const data = ofKind(parseNdjson(r.stdout), 'frame').filter((f) => f.dir === 'in' && !f.meta?.control && f.channel === 'tick');
    assert.equal(data.length, 2);
    const seqs = data.map((f) => (JSON.parse(f.data) as { seq: number }).seq);
    assert.deepEqual(seqs, [seqs[0], seqs[0] + 1], 'consecutive feed events replayed from history');
  });
});

describe('wirescope connect failures', () => {
  it('exits 2 with one line for bad arguments and invalid URLs', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['connect', 'ws://127.0.0.1:1/', '--bogus'], /unknown option --bogus/],
      [['connect', 'ws://127.0.0.1:1/', '--count', 'ten'], /--count needs a whole number/],
      [['connect', 'not a url'], /Invalid URL/],
      [['connect', 'http://127.0.0.1:1/', '--pattern', 'ws'], /Unsupported URL scheme "http:"/],
      [['connect', 'ws://127.0.0.1:1/', '--format', 'xml'], /--format must be one of pretty, ndjson, summary/],
      [['connect'], /missing URL/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing on stdout');
      assert.match(assertOneLineError(r.stderr), message);
    }
  });

  it('exits 1 with one line when the connection is refused', async () => {
    const port = await freePort();
    const r = await runCli(['connect', `ws://127.0.0.1:${port}/ws`, '--format', 'ndjson']);
    assert.equal(r.code, 1);
    assert.match(assertOneLineError(r.stderr), /Connection refused/);
    const events = parseNdjson(r.stdout);
    assert.equal((events[events.length - 1] as SummaryEvent).state, 'failed');
  });

  it('exits 1 with one line on a DNS failure', async () => {
    const r = await runCli(['connect', 'ws://nothing.invalid/', '--format', 'summary']);
    assert.equal(r.code, 1);
    assert.match(assertOneLineError(r.stderr), /DNS lookup failed.*nothing\.invalid/);
  });

  it('exits 1 with one line when the WebSocket handshake is rejected', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(403, { 'content-type': 'text/plain' }).end('go away'));
    try {
      const r = await runCli(['connect', `ws://127.0.0.1:${srv.port}/`, '--format', 'ndjson']);
      assert.equal(r.code, 1);
      assert.match(assertOneLineError(r.stderr), /handshake rejected: HTTP 403/);
      const rejected = ofKind(parseNdjson(r.stdout), 'frame').find((f) => f.dir === 'in');
      assert.equal(rejected?.data, 'go away');
    } finally {
      await srv.close();
    }
  });

  it('shows reconnects after a drop, then gives up with exit 1 and one line', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (s) => {
        // Drop the only connection ever accepted, and stop listening, so every reconnect is refused.
        void srv.close();
        s.terminate();
      }),
    );
    const r = await runCli(['connect', srv.url, '--reconnect-attempts', '2', '--reconnect-delay', '50', '--format', 'pretty']);
    assert.equal(r.code, 1);
    assert.match(assertOneLineError(r.stderr), /gave up after 2 reconnect attempts/);
    const lines = r.stdout.split('\n');
    assert.equal(lines.filter((l) => /↻ reconnect #\d in \d+ ms: /.test(l)).length, 2, r.stdout);
    assert.ok(lines.some((l) => /● reconnecting/.test(l)));
    assert.match(r.stdout, /── summary {2}failed after \d+ ms .* 2 reconnects/);
  });

  it('exits 0 when the server closes cleanly', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (s) => setTimeout(() => s.close(1000, 'done'), 20)));
    try {
      const r = await runCli(['connect', srv.url, '--format', 'ndjson']);
      assert.equal(r.code, 0, r.stderr);
      const closed = ofKind(parseNdjson(r.stdout), 'state').find((s) => s.state === 'closed');
      assert.equal(closed?.code, 1000);
    } finally {
      await srv.close();
    }
  });

  it('fails on a self-signed certificate unless --insecure or --cacert is given', async () => {
    const certs = makeTestCerts();
    const srv = await httpsServer(certs.selfSigned, (_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ server: srv.server });
    wss.on('connection', (s) => s.on('message', (m, isBinary) => s.send(m, { binary: isBinary })));
    const dir = mkdtempSync(join(tmpdir(), 'wirescope-cli-'));
    try {
      const url = `wss://127.0.0.1:${srv.port}/`;
      const bad = await runCli(['connect', url, '--format', 'summary']);
      assert.equal(bad.code, 1);
      assert.match(assertOneLineError(bad.stderr), /TLS failure.*self-signed/);

      const insecure = await runCli(['connect', url, '--insecure', '--send', 'secure?', '--count', '1', '--format', 'ndjson']);
      assert.equal(insecure.code, 0, insecure.stderr);
      assert.ok(ofKind(parseNdjson(insecure.stdout), 'frame').some((f) => f.dir === 'in' && f.data === 'secure?'));

      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, certs.selfSigned.cert);
      const trusted = await runCli(['connect', url, '--cacert', caFile, '--send', 'x', '--count', '1', '--format', 'summary']);
      assert.equal(trusted.code, 0, trusted.stderr);

      const missing = await runCli(['connect', url, '--cacert', join(dir, 'nope.pem')]);
      assert.equal(missing.code, 2);
      assert.match(assertOneLineError(missing.stderr), /--cacert: cannot read/);
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wirescope --help and --version', () => {
  it('prints help and the version with exit 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /wirescope connect <url>/);
    const connectHelp = await runCli(['connect', '--help']);
    assert.equal(connectHelp.code, 0);
    for (const flag of ['--pattern', '--send', '--count', '--duration', '--no-reconnect', '--insecure', '--format', '--subscribe', '--listen', '--hmac-secret-env']) {
      assert.ok(connectHelp.stdout.includes(flag), `connect --help lists ${flag}`);
    }
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

describe('wirescope connect output to a closed pipe', () => {
  it('ends quietly with exit 0 when the reader goes away (wirescope ... | head)', async () => {
    const demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 100 });
    try {
      const run = startCli(['connect', demo.urls.ws, '--format', 'ndjson']);
      await run.waitForStdout((out) => out.split('\n').length > 5);
      run.child.stdout!.destroy();
      const r = await run.result;
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
    } finally {
      await demo.close();
    }
  });
});
