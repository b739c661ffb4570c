// HTTP requests over HTTP/2 (`--http2`, `--repeat`, `--parallel`) against Debian's nghttpd (nghttp2's own server,
// cleartext and TLS with ALPN) and Node's own http2 server for what nghttpd does not do (compression, resets);
// an HTTP/1.1 server shows the one line for a server without HTTP/2.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../src/core/freePort';
import type { FrameEvent, SummaryEvent, TimingEvent, WireEvent } from '../../../src/shared/events';
import { startDaemon, type Daemon } from '../../helpers/daemon';
import { checkInvariants, ofKind, runSession } from '../../helpers/servers';
import { makeTestCerts } from '../../helpers/tlsCerts';
import { parseConnectArgs } from '../../../src/cli/args';

const NGHTTPD = '/usr/sbin/nghttpd';
const frames = (events: WireEvent[], dir: 'in' | 'out') => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === dir && !f.meta?.control);
const controls = (events: WireEvent[], packet: string) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.meta?.control === true && f.meta?.packet === packet);
const errorsOf = (events: WireEvent[]) => (ofKind(events, 'error') as Array<{ message: string; code?: string }>);

describe('HTTP/2 requests against nghttpd', { skip: !existsSync(NGHTTPD) && 'nghttpd is not installed (apt-get install nghttp2-server)' }, () => {
  let dir: string;
  let clear: Daemon;
  let secure: Daemon;
  let clearPort: number;
  let securePort: number;
  const page = JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ id: i, name: `item ${i}` })) });
  const certs = makeTestCerts();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wirescope-nghttpd-'));
    writeFileSync(join(dir, 'items.json'), page);
    writeFileSync(join(dir, 'key.pem'), certs.selfSigned.key);
    writeFileSync(join(dir, 'cert.pem'), certs.selfSigned.cert);
    clearPort = await freePort();
    clear = await startDaemon({ name: 'nghttpd (h2c)', bin: NGHTTPD, args: ['--no-tls', '-a', '127.0.0.1', '-d', dir, String(clearPort)], ready: { port: clearPort } });
    securePort = await freePort();
    secure = await startDaemon({ name: 'nghttpd (TLS)', bin: NGHTTPD, args: ['-a', '127.0.0.1', '-d', dir, String(securePort), join(dir, 'key.pem'), join(dir, 'cert.pem')], ready: { port: securePort } });
  });
  after(async () => {
    await Promise.all([clear?.stop(), secure?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('--repeat 6 --parallel 3 over h2c: one connection, six streams with odd ids, each request and response paired by stream, one connect timed', async () => {
    const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${clearPort}/items.json`, http: { http2: true, repeat: 6, parallel: 3 } });
    checkInvariants(events);
    const out = frames(events, 'out');
    const got = frames(events, 'in');
    assert.equal(out.length, 6);
    assert.equal(got.length, 6);
    const ids = out.map((f) => f.meta?.streamId as number);
    assert.deepEqual([...ids].sort((a, b) => a - b), [1, 3, 5, 7, 9, 11]);
    assert.deepEqual(got.map((f) => f.meta?.streamId).sort((a, b) => (a as number) - (b as number)), [1, 3, 5, 7, 9, 11], 'every stream answered');
    assert.ok(got.every((f) => f.meta?.status === 200 && f.data === page && f.meta?.httpVersion === '2'));
    const timings = ofKind(events, 'timing') as TimingEvent[];
    const connection = timings.filter((t) => t.meta?.phase === 'connection');
    assert.equal(connection.length, 1, 'one connection');
    assert.equal(typeof connection[0].phases.connect, 'number');
    const perRequest = timings.filter((t) => t.meta?.phase !== 'connection');
    assert.equal(perRequest.length, 6);
    assert.ok(perRequest.every((t) => t.phases.connect === null && typeof t.phases.ttfb === 'number' && typeof t.meta?.streamId === 'number'), 'requests reuse the connection');
    assert.match(controls(events, 'SETTINGS')[0]?.data ?? '', /^SETTINGS from the server: .*max concurrent streams \d+/);
    const summary = ofKind(events, 'summary')[0] as SummaryEvent & { http2: { connections: number; requests: number; parallel: number; statuses: Record<string, number>; failed: number } };
    assert.deepEqual({ ...summary.http2, streams: undefined }, { requests: 6, parallel: 3, connections: 1, statuses: { 200: 6 }, failed: 0, streams: undefined });
    const end = ofKind(events, 'state').at(-1) as { state: string; reason?: string; code?: number };
    assert.equal(end.state, 'closed');
    assert.equal(end.reason, '6 requests over one HTTP/2 connection (6 × 200)');
  });

  it('https with ALPN h2 (the CA given): the TLS phase is timed and the connection says h2', async () => {
    const events = await runSession({ pattern: 'http', url: `https://127.0.0.1:${securePort}/items.json`, http: { http2: true }, tls: { ca: certs.selfSigned.cert } });
    checkInvariants(events);
    const open = ofKind(events, 'state').find((s) => s.state === 'open') as { meta?: { tls?: { alpn?: string } } };
    assert.equal(open.meta?.tls?.alpn, 'h2');
    const connection = (ofKind(events, 'timing') as TimingEvent[]).find((t) => t.meta?.phase === 'connection');
    assert.equal(typeof connection?.phases.tls, 'number');
    assert.equal(frames(events, 'in')[0]?.data, page);
    assert.equal(frames(events, 'in')[0]?.meta?.status, 200);
  });

  it('a 404 from nghttpd is an answer like any other: shown, the session closed with its status', async () => {
    const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${clearPort}/nope`, http: { http2: true } });
    assert.equal(frames(events, 'in')[0]?.meta?.status, 404);
    const end = ofKind(events, 'state').at(-1) as { state: string; code?: number };
    assert.deepEqual([end.state, end.code], ['closed', 404]);
  });
});

describe('HTTP/2 requests: what nghttpd does not do, and failures in one line', () => {
  it('a gzip body from Node\'s http2 server is decoded; a stream the server resets is a control frame and one line', async () => {
    const body = JSON.stringify({ hello: 'world'.repeat(100) });
    const server = http2.createServer();
    server.on('stream', (stream, h) => {
      stream.on('error', () => undefined);
      if (h[':path'] === '/reset') return void stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'content-encoding': 'gzip' });
      stream.end(gzipSync(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const ok = await runSession({ pattern: 'http', url: `http://127.0.0.1:${port}/`, http: { http2: true } });
      const res = frames(ok, 'in')[0];
      assert.equal(res.data, body);
      assert.equal(res.meta?.contentEncoding, 'gzip');
      assert.ok((res.meta?.encodedSize as number) < body.length);
      const reset = await runSession({ pattern: 'http', url: `http://127.0.0.1:${port}/reset`, http: { http2: true } });
      assert.match(controls(reset, 'RST_STREAM')[0]?.data ?? '', /^RST_STREAM REFUSED_STREAM from the server on stream 1$/);
      const errors = errorsOf(reset);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].message, 'the server reset stream 1 (RST_STREAM REFUSED_STREAM) before answering');
    } finally {
      server.close();
    }
  });

  it('an HTTP/1.1 server: one line saying it does not speak HTTP/2; --repeat without --http2 is one line before connecting', async () => {
    const server = http.createServer((_q, s) => s.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${port}/`, http: { http2: true } }, undefined, 15_000);
      const errors = errorsOf(events);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(errors[0].message, /^the server at 127\.0\.0\.1:\d+ (does not speak HTTP\/2|closed the connection before HTTP\/2 SETTINGS: it does not speak HTTP\/2) with prior knowledge \(h2c; an HTTP\/1\.1 server\?\)/);
      assert.equal(errors[0].code, 'ERR_HTTP2_UNSUPPORTED');
    } finally {
      server.closeAllConnections();
      server.close();
    }
    const bad = await runSession({ pattern: 'http', url: 'http://127.0.0.1:9/', http: { repeat: 3 } });
    assert.equal(errorsOf(bad)[0]?.message, '--repeat and --parallel need --http2 (several requests as streams of one HTTP/2 connection)');
  });

  it('CLI flags: --http2 --repeat N --parallel M fill the http options', () => {
    const c = parseConnectArgs(['http://h/x', '--http2', '--repeat', '10', '--parallel', '4']);
    assert.deepEqual((c as { options: { http?: unknown } }).options.http, { http2: true, repeat: 10, parallel: 4 });
  });
});

describe('HTTP/2 redirects (Node\'s http2 servers on two origins)', () => {
  let a: http2.Http2Server;
  let b: http2.Http2Server;
  let aPort: number;
  let bPort: number;
  /** What server B saw: the headers of each request, by path. */
  const seenByB: Record<string, http2.IncomingHttpHeaders> = {};
  /** Streams per connection of server A, to show that same-origin hops share the connection. */
  let aSessions = 0;

  before(async () => {
    a = http2.createServer();
    a.on('session', () => aSessions++);
    a.on('stream', (stream, h) => {
      stream.on('error', () => undefined);
      const path = h[':path'];
      const method = h[':method'];
      if (path === '/a') return void stream.respond({ ':status': 302, location: '/b' }, { endStream: true });
      if (path === '/b') {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        return void stream.end(`b after ${method} with authorization ${h.authorization ?? 'none'}`);
      }
      if (path === '/form') return void stream.respond({ ':status': 303, location: '/done' }, { endStream: true });
      if (path === '/done') {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        return void stream.end(`done by ${method}`);
      }
      if (path === '/loop') return void stream.respond({ ':status': 301, location: '/loop' }, { endStream: true });
      if (path === '/away') return void stream.respond({ ':status': 307, location: `http://127.0.0.1:${bPort}/there` }, { endStream: true });
      stream.respond({ ':status': 404 }, { endStream: true });
    });
    b = http2.createServer();
    b.on('stream', (stream, h) => {
      stream.on('error', () => undefined);
      seenByB[String(h[':path'])] = h;
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('there');
    });
    await new Promise<void>((r) => a.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => b.listen(0, '127.0.0.1', r));
    aPort = (a.address() as net.AddressInfo).port;
    bPort = (b.address() as net.AddressInfo).port;
  });
  after(() => {
    a.close();
    b.close();
  });

  it('a same-origin 302 is followed as a new stream of the same connection; the hop is a control frame with its Location', async () => {
    const before = aSessions;
    const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${aPort}/a`, headers: { Authorization: 'Bearer same-origin' }, http: { http2: true } });
    checkInvariants(events);
    assert.equal(aSessions - before, 1, 'one connection for both hops');
    const all = (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.meta?.packet === undefined);
    assert.deepEqual(
      all.map((f) => [f.dir, f.meta?.status ?? f.meta?.method, f.meta?.streamId, f.meta?.control === true]),
      [
        ['out', 'GET', 1, false],
        ['in', 302, 1, true],
        ['out', 'GET', 3, false],
        ['in', 200, 3, false],
      ],
    );
    assert.equal(all[1].meta?.redirect, true);
    assert.equal(all[1].meta?.location, `http://127.0.0.1:${aPort}/b`);
    assert.equal(all[2].meta?.hop, 1);
    assert.equal(all[3].data, 'b after GET with authorization Bearer same-origin', 'credentials stay on the same origin');
    const state = ofKind(events, 'state').at(-1) as { state: string; code?: number };
    assert.equal(state.state, 'closed');
    assert.equal(state.code, 200);
    const timings = (ofKind(events, 'timing') as TimingEvent[]).filter((t) => t.meta?.phase !== 'connection');
    assert.deepEqual(timings.map((t) => t.meta?.redirect === true), [true, false]);
  });

  it('a 303 after a POST becomes a GET without the body', async () => {
    const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${aPort}/form`, method: 'POST', body: '{"x":1}', headers: { 'Content-Type': 'application/json' }, http: { http2: true } });
    const outs = frames(events, 'out');
    assert.deepEqual(outs.map((f) => [f.meta?.method, f.data]), [['POST', '{"x":1}'], ['GET', '']]);
    assert.ok(!('content-type' in ((outs[1].meta?.headers as Record<string, string>) ?? {})));
    assert.equal(frames(events, 'in').at(-1)?.data, 'done by GET');
  });

  it('a redirect to another origin opens a connection there and drops the credentials, said on the next request', async () => {
    const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${aPort}/away`, headers: { Authorization: 'Bearer secret-token' }, http: { http2: true } });
    checkInvariants(events);
    assert.equal(seenByB['/there']?.authorization, undefined, 'the other origin never saw the token');
    const outs = frames(events, 'out');
    assert.equal(outs.length, 2);
    assert.deepEqual(outs[1].meta?.credentialsDropped, ['authorization']);
    assert.equal(outs[1].meta?.streamId, 1, 'the first stream of the new connection');
    assert.equal(frames(events, 'in').at(-1)?.data, 'there');
    const conns = (ofKind(events, 'timing') as TimingEvent[]).filter((t) => t.meta?.phase === 'connection');
    assert.equal(conns.length, 2);
    assert.equal(conns[1].meta?.url, `http://127.0.0.1:${bPort}/`);
    const summary = ofKind(events, 'summary')[0] as SummaryEvent;
    assert.equal((summary as unknown as { http2: { connections: number } }).http2.connections, 2);
    assert.ok(!JSON.stringify(events).includes('secret-token'), 'the token is masked in every event');
  });

  it('a loop is one line; followRedirects false shows the 3xx and stops', async () => {
    const loop = await runSession({ pattern: 'http', url: `http://127.0.0.1:${aPort}/loop`, http: { http2: true } });
    const errors = errorsOf(loop);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, `Redirect loop: http://127.0.0.1:${aPort}/loop redirects back to http://127.0.0.1:${aPort}/loop, which was already requested`);
    assert.equal(errors[0].code, 'ERR_REDIRECT_LOOP');
    const shown = await runSession({ pattern: 'http', url: `http://127.0.0.1:${aPort}/a`, followRedirects: false, http: { http2: true } });
    const ins = frames(shown, 'in');
    assert.equal(ins.length, 1, 'the 302 is the answer (not a control hop)');
    assert.equal(ins[0].meta?.status, 302);
    assert.equal(frames(shown, 'out').length, 1);
  });
});
