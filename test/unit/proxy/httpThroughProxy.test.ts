/**
 * The capture proxy with clients Wirescope did not write (curl) in front of real servers on
 * 127.0.0.1: bodies byte for byte direct vs proxied, chunked, compressed, SSE live, NDJSON,
 * long polls, Host / X-Forwarded-*, https targets, and the forward proxy with CONNECT tunnels.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import type { FrameEvent, SummaryEvent, TimingEvent } from '../../../src/shared/events';
import { curl, curlVia, frames, sha256, startProxy, until, type ProxyUnderTest } from '../../helpers/captureProxy';
import { checkInvariants, httpServer, type HttpTestServer } from '../../helpers/servers';
import { httpsServer, makeTestCerts, type HttpsTestServer } from '../../helpers/tlsCerts';

const MiB = 1024 * 1024;
const bodies: Record<string, Buffer> = { '0': Buffer.alloc(0), '1m': randomBytes(MiB), '50m': randomBytes(50 * MiB) };
const gz = zlib.gzipSync(Buffer.from('{"compressed":true,"text":"' + 'abc'.repeat(2000) + '"}'));

/** Releases the SSE stream's end; set per request. */
let releaseSse: (() => void) | undefined;

function backend(): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/body/')) {
      const b = bodies[url.pathname.slice(6)];
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': b.length });
      res.end(b);
      return;
    }
    if (url.pathname === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const t = setInterval(() => {
        res.write(`chunk ${++n}\n`);
        if (n === 5) {
          clearInterval(t);
          res.end();
        }
      }, 10);
      return;
    }
    if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
      res.end(gz);
      return;
    }
    if (url.pathname === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('retry: 1000\n\n');
      res.write('id: 1\nevent: tick\ndata: {"seq":1}\n\n');
      releaseSse = () => {
        res.write('id: 2\ndata: {"seq":2}\n\n');
        res.end();
      };
      return;
    }
    if (url.pathname === '/ndjson') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"seq":1}\n{"seq":2}\n{"se');
      setTimeout(() => res.end('q":3}\n'), 20);
      return;
    }
    if (url.pathname === '/hold') {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"events":[]}');
      }, 1200);
      return;
    }
    if (url.pathname === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ host: req.headers.host, xff: req.headers['x-forwarded-for'] ?? null, xfh: req.headers['x-forwarded-host'] ?? null, xfp: req.headers['x-forwarded-proto'] ?? null, path: req.url, len: body.length, sha: sha256(body), conn: req.headers.connection ?? null }));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  };
}

describe('capture proxy: HTTP through curl', () => {
  let server: HttpTestServer;
  let proxy: ProxyUnderTest;

  before(async () => {
    server = await httpServer(backend());
    proxy = await startProxy(server.url);
  });
  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  it('first event is the open state with the proxy URL on loopback', () => {
    const first = proxy.events[0];
    assert.equal(first.kind, 'state');
    assert.equal(first.kind === 'state' && first.state, 'open');
    assert.match(first.kind === 'state' ? (first.url ?? '') : '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(first.kind === 'state' && first.meta?.target, `${server.url}/`);
  });

  for (const name of ['0', '1m', '50m']) {
    it(`a ${name === '0' ? '0 B' : name === '1m' ? '1 MiB' : '50 MiB'} body is byte for byte the same direct and proxied`, async () => {
      const direct = await curl([`${server.url}/body/${name}`]);
      const proxied = await curl([`${proxy.url}/body/${name}`]);
      assert.equal(proxied.code, 0, proxied.stderr);
      assert.equal(direct.stdout.length, bodies[name].length);
      assert.equal(proxied.stdout.length, bodies[name].length);
      assert.equal(sha256(proxied.stdout), sha256(bodies[name]));
      assert.equal(sha256(proxied.stdout), sha256(direct.stdout));
      // The log has the response with the whole size and a bounded preview.
      await until(() => frames(proxy.events, (f) => f.dir === 'in' && f.meta?.status === 200 && String(f.meta?.url ?? '').length === 0 && f.size === bodies[name].length).length > 0, 10_000, 'response frame');
      const resp = frames(proxy.events, (f) => f.dir === 'in' && f.meta?.status === 200 && f.size === bodies[name].length).at(-1)!;
      assert.equal(resp.encoding, name === '0' ? 'utf8' : 'base64');
      assert.ok(Buffer.from(resp.data, 'base64').length <= 64 * 1024);
      assert.equal(resp.truncated, name === '0' ? undefined : true);
    });
  }

  it('a POSTed 1 MiB upload reaches the backend unchanged, with Host and X-Forwarded-* by default', async () => {
    const upload = randomBytes(MiB);
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'ws-proxy-')), 'up.bin');
    writeFileSync(file, upload);
    const r = await curl(['-X', 'POST', '--data-binary', `@${file}`, '-H', 'Content-Type: application/octet-stream', '-H', 'Authorization: Bearer sekrit-token', `${proxy.url}/echo?q=1`]);
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout.toString());
    assert.equal(seen.len, MiB);
    assert.equal(seen.sha, sha256(upload));
    assert.equal(seen.path, '/echo?q=1');
    assert.equal(seen.host, `127.0.0.1:${server.port}`, 'Host is the target by default');
    assert.equal(seen.xff, '127.0.0.1');
    assert.equal(seen.xfh, `127.0.0.1:${proxy.port}`);
    assert.equal(seen.xfp, 'http');
    await until(() => frames(proxy.events, (f) => f.dir === 'out' && f.meta?.method === 'POST').length > 0);
    const req = frames(proxy.events, (f) => f.dir === 'out' && f.meta?.method === 'POST').at(-1)!;
    assert.equal(req.size, MiB);
    assert.equal(req.meta?.url, `${server.url}/echo?q=1`);
    const headers = req.meta?.headers as Record<string, string>;
    assert.equal(headers.Authorization, 'Bearer ***', 'credentials are masked in the log');
    assert.ok(!JSON.stringify(proxy.events).includes('sekrit-token'));
    assert.match(String(req.meta?.conn), /^c\d+$/);
    assert.match(String(req.meta?.client), /^127\.0\.0\.1:\d+$/);
  });

  it('a chunked response arrives whole, in order, and is logged once with its size', async () => {
    const direct = await curl([`${server.url}/chunked`]);
    const r = await curl([`${proxy.url}/chunked`]);
    assert.equal(r.stdout.toString(), 'chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
    assert.deepEqual(r.stdout, direct.stdout);
    await until(() => frames(proxy.events, (f) => f.dir === 'in' && f.data.startsWith('chunk 1')).length > 0);
    const f = frames(proxy.events, (x) => x.dir === 'in' && x.data.startsWith('chunk 1')).at(-1)!;
    assert.equal(f.size, 40);
    assert.equal(f.encoding, 'utf8');
  });

  it('a gzip response passes compressed, byte for byte, and is logged decoded', async () => {
    const r = await curl([`${proxy.url}/gzip`]);
    assert.equal(sha256(r.stdout), sha256(gz), 'the client gets the compressed bytes unchanged');
    const decoded = await curl(['--compressed', `${proxy.url}/gzip`]);
    assert.match(decoded.stdout.toString(), /^\{"compressed":true/);
    await until(() => frames(proxy.events, (f) => f.meta?.contentEncoding === 'gzip').length >= 2);
    const f = frames(proxy.events, (x) => x.meta?.contentEncoding === 'gzip')[0];
    assert.match(f.data, /^\{"compressed":true,"text":"abcabc/);
    assert.equal(f.meta?.wireBytes, gz.length);
    assert.equal(f.size, zlib.gunzipSync(gz).length);
  });

  it('the first SSE event reaches curl -N through the proxy while the stream is still open', async () => {
    releaseSse = undefined;
    let got = '';
    let firstAt = 0;
    const before = proxy.events.length;
    const run = curl(['-N', `${proxy.url}/sse`], {
      onData: (d) => {
        got += d.toString();
        if (!firstAt && got.includes('data: {"seq":1}')) firstAt = Date.now();
      },
    });
    await until(() => firstAt > 0 && releaseSse !== undefined, 10_000, 'first SSE event at curl');
    // The backend has not ended the stream: the event came through live.
    await until(() => frames(proxy.events.slice(before), (f) => f.channel === 'tick').length === 1, 5000, 'first SSE event in the log');
    const first = frames(proxy.events.slice(before), (f) => f.channel === 'tick')[0];
    assert.equal(first.data, '{"seq":1}');
    assert.equal(first.meta?.id, '1');
    assert.equal(first.meta?.stream, 'sse');
    releaseSse!();
    const r = await run;
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString(), 'retry: 1000\n\nid: 1\nevent: tick\ndata: {"seq":1}\n\nid: 2\ndata: {"seq":2}\n\n');
    await until(() => frames(proxy.events.slice(before), (f) => f.data === '{"seq":2}').length === 1);
    const second = frames(proxy.events.slice(before), (f) => f.data === '{"seq":2}')[0];
    assert.equal(second.channel, 'message');
    const head = frames(proxy.events.slice(before), (f) => f.meta?.stream === 'sse' && f.meta?.status === 200)[0];
    assert.equal(head.meta?.control, true);
    assert.ok(head.seq < first.seq);
  });

  it('cut on a live SSE stream ends curl\'s transfer and says so in one line (no reset reported after it)', async () => {
    releaseSse = undefined;
    let got = '';
    const before = proxy.events.length;
    const run = curl(['-N', `${proxy.url}/sse`], { onData: (d) => (got += d.toString()) });
    await until(() => got.includes('data: {"seq":1}') && releaseSse !== undefined, 10_000, 'first SSE event at curl');
    const conn = proxy.session.proxy!.connections().find((c) => c.label === 'GET /sse');
    assert.ok(conn, 'the SSE connection is listed');
    assert.equal(proxy.session.proxy!.inject(conn.id, { type: 'cut' }), 1);
    const r = await run;
    releaseSse = undefined;
    assert.notEqual(r.code, 0, 'curl sees the transfer cut');
    await until(() => !proxy.session.proxy!.connections().some((c) => c.id === conn.id), 5000, 'the connection to go');
    // Let any late close and error handlers run, then count the lines the cut produced.
    await new Promise((res) => setTimeout(res, 200));
    const errors = proxy.events.slice(before).filter((e) => e.kind === 'error');
    assert.deepEqual(errors.map((e) => (e.kind === 'error' ? e.code : '')), ['FAULT_INJECTED'], JSON.stringify(errors));
  });

  it('an NDJSON stream is logged line by line, a line cut across chunks joined', async () => {
    const before = proxy.events.length;
    const r = await curl(['-N', `${proxy.url}/ndjson`]);
    assert.equal(r.stdout.toString(), '{"seq":1}\n{"seq":2}\n{"seq":3}\n');
    await until(() => frames(proxy.events.slice(before), (f) => f.meta?.stream === 'ndjson' && !f.meta?.control).length === 3);
    assert.deepEqual(
      frames(proxy.events.slice(before), (f) => f.meta?.stream === 'ndjson' && !f.meta?.control).map((f) => f.data),
      ['{"seq":1}', '{"seq":2}', '{"seq":3}'],
    );
  });

  it('a response held past the long-poll threshold is marked as a long poll with its hold time', async () => {
    const before = proxy.events.length;
    const r = await curl([`${proxy.url}/hold`]);
    assert.equal(r.stdout.toString(), '{"events":[]}');
    await until(() => frames(proxy.events.slice(before), (f) => f.meta?.status === 200).length === 1);
    const f = frames(proxy.events.slice(before), (x) => x.meta?.status === 200)[0];
    assert.equal(f.meta?.longPoll, true);
    assert.ok((f.meta?.heldMs as number) >= 1100, `held ${String(f.meta?.heldMs)}`);
    const t = proxy.events.slice(before).find((e): e is TimingEvent => e.kind === 'timing' && e.meta?.exchange === f.meta?.exchange)!;
    assert.ok(t.phases.ttfb! >= 1100);
    const hop = t.meta?.clientHop as { ttfb: number; total: number };
    assert.ok(hop.ttfb >= t.phases.ttfb!, 'the client hop includes the backend hop');
  });

  it('timing covers both hops: the backend phases and the client hop', async () => {
    const before = proxy.events.length;
    await curl([`${proxy.url}/echo`]);
    await until(() => proxy.events.slice(before).some((e) => e.kind === 'timing'));
    const t = proxy.events.slice(before).find((e): e is TimingEvent => e.kind === 'timing')!;
    assert.equal(t.meta?.hop, 'backend');
    assert.equal(typeof t.phases.connect, 'number');
    assert.equal(typeof t.phases.ttfb, 'number');
    const hop = t.meta?.clientHop as { ttfb: number; total: number };
    assert.ok(hop.total >= hop.ttfb);
  });

  it('a backend that stops answering gets the client a 502 and one error line', async () => {
    const dead = await httpServer(() => undefined);
    const p = await startProxy(dead.url);
    await dead.close();
    const r = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', `${p.url}/x`]);
    assert.equal(r.stdout.toString(), '502');
    await until(() => p.events.some((e) => e.kind === 'error'));
    const err = p.events.find((e) => e.kind === 'error')!;
    assert.ok(err.kind === 'error' && /Connection refused/.test(err.message) && !err.message.includes('\n'));
    await p.close();
  });

  it('keep-host sends the client Host; no forwarded headers when turned off', async () => {
    const p = await startProxy(server.url, { keepHost: true, forwardedHeaders: false });
    const r = await curl([`${p.url}/echo`]);
    const seen = JSON.parse(r.stdout.toString());
    assert.equal(seen.host, `127.0.0.1:${p.port}`);
    assert.equal(seen.xff, null);
    assert.equal(seen.xfh, null);
    await p.close();
    const events = p.events;
    checkInvariants(events);
    const summary = events.at(-1) as SummaryEvent & { proxy?: { exchanges: number } };
    assert.equal(summary.proxy?.exchanges, 1);
  });
});

describe('capture proxy: https target and forward mode', () => {
  const certs = makeTestCerts();
  let tlsServer: HttpsTestServer;
  let plain: HttpTestServer;

  before(async () => {
    tlsServer = await httpsServer(certs.selfSigned, backend());
    plain = await httpServer(backend());
  });
  after(async () => {
    await tlsServer?.close();
    await plain?.close();
  });

  it('an https target works with the TLS options of connect (trusted CA)', async () => {
    const p = await startProxy(tlsServer.url, {}, { tls: { ca: certs.selfSigned.cert } });
    const r = await curl([`${p.url}/body/1m`]);
    assert.equal(sha256(r.stdout), sha256(bodies['1m']));
    await until(() => p.events.some((e) => e.kind === 'timing'));
    const t = p.events.find((e): e is TimingEvent => e.kind === 'timing')!;
    assert.equal(typeof t.phases.tls, 'number', 'the backend hop has a TLS phase');
    await p.close();
  });

  it('an https target with an untrusted certificate fails at start with one line', async () => {
    const { Session } = await import('../../../src/core/session');
    const s = new Session({ pattern: 'proxy', url: tlsServer.url });
    const events: import('../../../src/shared/events').WireEvent[] = [];
    s.onEvent((e) => events.push(e));
    await s.start();
    const summary = await s.done;
    assert.equal(summary.state, 'failed');
    const err = events.find((e) => e.kind === 'error');
    assert.ok(err && err.kind === 'error');
    assert.match(err.message, /^Target unreachable: TLS failure .*self-signed/);
    checkInvariants(events);
  });

  it('forward mode proxies absolute-form requests for HTTP_PROXY clients', async () => {
    const p = await startProxy(undefined, { forward: true });
    const r = await curlVia(p.url, [`${plain.url}/body/1m`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), sha256(bodies['1m']));
    const echo = await curlVia(p.url, [`${plain.url}/echo`]);
    const seen = JSON.parse(echo.stdout.toString());
    assert.equal(seen.host, `127.0.0.1:${plain.port}`);
    assert.equal(seen.xff, null, 'a forward proxy adds no X-Forwarded-* by default');
    const req = frames(p.events, (f) => f.dir === 'out' && f.meta?.method === 'GET')[0];
    assert.equal(req.meta?.url, `${plain.url}/body/1m`);
    await p.close();
  });

  it('forward mode passes HTTPS CONNECT tunnels through, logged with host, bytes and timing, not decrypted', async () => {
    const p = await startProxy(undefined, { forward: true });
    const host = new URL(tlsServer.url).host;
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const ca = join(mkdtempSync(join(tmpdir(), 'ws-proxy-ca-')), 'ca.pem');
    writeFileSync(ca, certs.selfSigned.cert);
    const r = await curlVia(p.url, ['--cacert', ca, `${tlsServer.url}/body/1m`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), sha256(bodies['1m']));
    await until(() => p.events.some((e) => e.kind === 'timing' && e.meta?.tunnel === host), 5000, 'tunnel timing');
    const connect = frames(p.events, (f) => f.meta?.method === 'CONNECT')[0];
    assert.equal(connect.meta?.url, host);
    const ok = frames(p.events, (f) => f.meta?.tunnel === true && f.meta?.status === 200)[0];
    assert.ok(ok);
    const t = p.events.find((e): e is TimingEvent => e.kind === 'timing' && e.meta?.tunnel === host)!;
    const bytes = t.meta?.bytes as { out: number; in: number };
    assert.ok(bytes.in > MiB, `tunnel carried ${bytes.in} bytes in`);
    assert.ok(bytes.out > 0);
    assert.equal(typeof t.phases.connect, 'number');
    // Nothing of the encrypted content is decoded: no frame carries the body.
    assert.equal(frames(p.events, (f) => f.size >= MiB).length, 0);
    await p.close();
  });

  it('a CONNECT to a closed port gets 502 and one error line', async () => {
    const p = await startProxy(undefined, { forward: true });
    const r = await curlVia(p.url, ['-o', '/dev/null', '-w', '%{http_connect}', 'https://127.0.0.1:1/']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout.toString(), '502');
    const err = p.events.find((e) => e.kind === 'error');
    assert.ok(err && err.kind === 'error' && /CONNECT 127\.0\.0\.1:1: Connection refused/.test(err.message));
    await p.close();
  });
});

/** Keep the FrameEvent import used for editors that check unused types. */
export type _F = FrameEvent;
