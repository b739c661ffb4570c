/**
 * `wirescope proxy` as a process: the NDJSON stream starts with the open state and its URL, a real
 * client (curl -N) goes through it, and bad input gets one line and the documented exit code.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { WireEvent } from '../../../src/shared/events';
import { curl, until } from '../../helpers/captureProxy';
import { httpServer, type HttpTestServer } from '../../helpers/servers';
import { runCli, startCli } from '../cli/runCli';
import { main } from '../../../src/cli/program';
import type { CliIo } from '../../../src/cli/runConnect';

/** The CLI in this process (argument errors need no process of their own). */
async function inProcess(args: string[], during?: (io: { out: string }) => Promise<void>): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = {
    out: '',
    errors: [] as string[],
    write: (t: string) => void (io.out += t),
    error: (l: string) => void io.errors.push(l),
    isTTY: false,
    env: {},
    onInterrupt: () => () => undefined,
  } satisfies CliIo & { out: string; errors: string[] };
  const running = main(args, io);
  if (during) await during(io);
  const code = await running;
  return { code, stdout: io.out, stderr: io.errors.map((l) => `wirescope: ${l}\n`).join('') };
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `exactly one line on stderr, got: ${stderr}`);
  assert.ok(!/\bat .*\(.*:\d+:\d+\)/.test(stderr), 'no stack trace');
  return lines[0];
}

describe('wirescope proxy (CLI)', () => {
  let server: HttpTestServer;
  before(async () => {
    server = await httpServer((req, res) => {
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let n = 0;
        const t = setInterval(() => {
          res.write(`id: ${++n}\ndata: {"seq":${n}}\n\n`);
          if (n === 3) {
            clearInterval(t);
            res.end();
          }
        }, 30);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  after(async () => {
    await server?.close();
  });

  it('prints the open state with the proxy URL first, then every SSE event, and a summary at --count', async () => {
    const run = startCli(['proxy', '--target', server.url, '--format', 'ndjson', '--count', '3', '--id-field', 'sse-id'], { timeoutMs: 30_000 });
    await run.waitForStdout((o) => o.includes('"state":"open"'));
    const first = JSON.parse(run.stdout().split('\n')[0]) as WireEvent;
    assert.equal(first.kind, 'state');
    const url = first.kind === 'state' ? first.url! : '';
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await curl(['-N', `${url}sse`]);
    assert.equal(r.stdout.toString(), 'id: 1\ndata: {"seq":1}\n\nid: 2\ndata: {"seq":2}\n\nid: 3\ndata: {"seq":3}\n\n');
    const res = await run.result;
    assert.equal(res.code, 0, res.stderr);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as WireEvent);
    const sse = events.filter((e) => e.kind === 'frame' && e.meta?.stream === 'sse' && !e.meta?.control);
    assert.deepEqual(sse.map((e) => (e.kind === 'frame' ? e.data : '')), ['{"seq":1}', '{"seq":2}', '{"seq":3}']);
    const summary = events.at(-1)!;
    assert.equal(summary.kind, 'summary');
    assert.deepEqual(summary.kind === 'summary' && summary.anomalies, { duplicate: 0, gap: 0, 'out-of-order': 0 });
  });

  it('a bad --target URL is one line and exit code 2', async () => {
    const r = await inProcess(['proxy', '--target', 'not a url']);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /^wirescope: --target needs a URL like http:\/\/127\.0\.0\.1:3000, got "not a url"/);
    const scheme = await inProcess(['proxy', '--target', 'ftp://127.0.0.1/']);
    assert.equal(scheme.code, 2);
    assert.match(oneLine(scheme.stderr), /--target must be an http:\/\/ or https:\/\/ URL/);
  });

  it('a refused target is one line and exit code 1', async () => {
    const r = await runCli(['proxy', '--target', 'http://127.0.0.1:1', '--format', 'summary']);
    assert.equal(r.code, 1);
    assert.equal(oneLine(r.stderr), 'wirescope: Target unreachable: Connection refused (127.0.0.1:1): nothing is listening there');
  });

  it('a listen port in use is one line and exit code 1', async () => {
    const blocker = net.createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['proxy', '--target', server.url, '--listen', `127.0.0.1:${port}`]);
      assert.equal(r.code, 1);
      assert.match(oneLine(r.stderr), new RegExp(`^wirescope: Address already in use \\(127\\.0\\.0\\.1:${port}\\): choose another listen port`));
    } finally {
      blocker.close();
    }
  });

  it('a non-loopback listen address needs --allow-remote', async () => {
    const r = await inProcess(['proxy', '--target', server.url, '--listen', '0.0.0.0:0']);
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /--listen 0\.0\.0\.0 can be reached from other machines; add --allow-remote/);
  });

  it('--forward and --target together, or neither, are refused', async () => {
    const both = await inProcess(['proxy', '--forward', '--target', server.url]);
    assert.equal(both.code, 2);
    assert.match(oneLine(both.stderr), /contradict/);
    const neither = await inProcess(['proxy']);
    assert.equal(neither.code, 2);
    assert.match(oneLine(neither.stderr), /missing --target URL \(or --forward/);
  });

  it('credentials in the target URL are masked in every output', async () => {
    const withCreds = server.url.replace('http://', 'http://user:hunter2pass@');
    const r = await inProcess(['proxy', '--target', withCreds, '--format', 'ndjson', '--duration', '1500'], async (io) => {
      await until(() => io.out.includes('"state":"open"'), 10_000, 'open');
      const url = (JSON.parse(io.out.split('\n')[0]) as { url: string }).url;
      await curl([`${url}x`]);
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('hunter2pass'), 'the password never appears');
    assert.ok(r.stdout.includes('user:***@'), 'the URL shows the password masked');
  });
});
