/**
 * The capture proxy relays a chunked response's bytes from the backend socket to the client socket as
 * they are (framing included) and decodes them on the side. Raw `net` clients see exactly what the
 * backend wrote, direct and proxied; a slow client holds the backend back; broken framing is one line
 * and a closed connection; a client connection (and its backend connection) carries on after a
 * raw-relayed response.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TimingEvent } from '../../../src/shared/events';
import { frames, startProxy, until, type ProxyUnderTest } from '../../helpers/captureProxy';
import { listen } from '../../helpers/servers';

/** SSE events in chunks the way no node server writes them: extensions, upper-case hex, events split across chunks, trailers. */
const EVENTS = ['id: 1\nevent: tick\ndata: {"seq":1}\n\n', 'id: 2\ndata: {"seq":2}\n\n', 'id: 3\ndata: {"seq":3,"text":"h\u00e9llo"}\n\n'];
const ODD_BODY = Buffer.concat([
  Buffer.from(`${Buffer.byteLength(EVENTS[0]).toString(16).toUpperCase()};name=value\r\n${EVENTS[0]}\r\n`),
  // Event 2 and the first half of event 3 in one chunk, the rest in the next.
  ((): Buffer => {
    const two = Buffer.from(EVENTS[1] + EVENTS[2]);
    const cut = Buffer.byteLength(EVENTS[1]) + 10;
    return Buffer.concat([Buffer.from(`${cut.toString(16)}\r\n`), two.subarray(0, cut), Buffer.from(`\r\n${(two.length - cut).toString(16)} \r\n`), two.subarray(cut), Buffer.from('\r\n')]);
  })(),
  Buffer.from('0\r\nX-Trailer: done\r\n\r\n'),
]);

interface RawBackend {
  port: number;
  url: string;
  /** Request lines seen, with the backend connection (1, 2, ...) each came on. */
  requests: Array<{ line: string; conn: number }>;
  close(): void;
}

/** A backend that writes exact bytes: `/odd` the chunked SSE above in pieces, `/small` a short chunked body, `/bad` broken framing, `/flood` N MiB of chunks. */
async function rawBackend(): Promise<RawBackend> {
  const requests: RawBackend['requests'] = [];
  let conns = 0;
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    const id = ++conns;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const line = head.split('\r\n')[0];
        requests.push({ line, conn: id });
        const path = line.split(' ')[1];
        if (path === '/odd') {
          sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
          // In three writes with pauses, so the proxy sees the framing cut at arbitrary places.
          const a = ODD_BODY.subarray(0, 7);
          const b = ODD_BODY.subarray(7, 60);
          const c = ODD_BODY.subarray(60);
          sock.write(a);
          setTimeout(() => sock.write(b), 20);
          setTimeout(() => sock.write(c), 40);
        } else if (path === '/small') {
          sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n{"small":1}\r\n1\r\n\n\r\n0\r\n\r\n');
        } else if (path === '/length') {
          sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nfixed');
        } else if (path === '/bad') {
          sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n10\r\ndata: {"ok":1}\n\n\r\nnot-hex\r\ndata: x\n\n\r\n');
        } else if (path?.startsWith('/flood')) {
          flood(sock, Number(new URL(path, 'http://x').searchParams.get('mib')));
        } else sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
    });
  });
  const port = await listen(srv);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

/** Writes the flood as fast as the proxy takes it; `floodWritten` counts what the socket accepted. */
let floodWritten = 0;
let floodHash = '';
function flood(sock: net.Socket, mib: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'abcdefgh');
  const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  const h = createHash('sha256');
  for (let i = 0; i < mib * 16; i++) h.update(chunk);
  floodHash = h.digest('hex');
  floodWritten = 0;
  sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
  let i = 0;
  const pump = (): void => {
    while (i < mib * 16) {
      i++;
      floodWritten += chunk.length;
      if (!sock.write(framed)) {
        sock.once('drain', pump);
        return;
      }
    }
    sock.write('0\r\n\r\n');
  };
  pump();
}

/** A raw client: sends `request`, collects every byte until the server closes or `until` says enough. */
async function rawExchange(port: number, request: string, enough: (got: Buffer) => boolean, timeoutMs = 5000): Promise<{ got: Buffer; closed: boolean }> {
  const sock = net.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(request);
  let got = Buffer.alloc(0);
  let closed = false;
  sock.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  sock.on('error', () => undefined);
  sock.on('close', () => (closed = true));
  const deadline = Date.now() + timeoutMs;
  while (!closed && !enough(got) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  sock.destroy();
  return { got, closed };
}

const bodyOf = (b: Buffer): Buffer => b.subarray(b.indexOf('\r\n\r\n') + 4);
const endsChunked = (b: Buffer): boolean => b.includes('\r\n\r\n') && b.subarray(-5).toString() === '0\r\n\r\n';

describe('capture proxy: raw relay of chunked responses', () => {
  let be: RawBackend;
  let proxy: ProxyUnderTest;

  before(async () => {
    be = await rawBackend();
    proxy = await startProxy(be.url);
  });
  after(async () => {
    await proxy?.close();
    be?.close();
  });

  it('a chunked SSE response passes byte for byte with its framing (extensions, upper-case hex, split events, trailers), direct and proxied', async () => {
    const req = 'GET /odd HTTP/1.1\r\nHost: x\r\n\r\n';
    const trailerEnd = (b: Buffer) => b.includes('X-Trailer: done\r\n\r\n');
    const direct = await rawExchange(be.port, req, trailerEnd);
    const before = proxy.events.length;
    const proxied = await rawExchange(proxy.port, req, trailerEnd);
    assert.ok(bodyOf(direct.got).equals(ODD_BODY), 'the direct client saw the backend bytes');
    assert.ok(bodyOf(proxied.got).equals(bodyOf(direct.got)), `proxied body differs:\n${JSON.stringify(bodyOf(proxied.got).toString())}`);
    const head = proxied.got.subarray(0, proxied.got.indexOf('\r\n\r\n')).toString();
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nTransfer-Encoding: chunked(\r\n|$)/i);
    assert.equal(head.match(/transfer-encoding/gi)?.length, 1, 'one Transfer-Encoding header');
    // Decoded on the side: the three events, in order, the split one whole.
    await until(() => frames(proxy.events.slice(before), (f) => f.meta?.stream === 'sse' && f.meta?.control !== true).length === 3, 5000, 'three events');
    const evs = frames(proxy.events.slice(before), (f) => f.meta?.stream === 'sse' && f.meta?.control !== true);
    assert.deepEqual(evs.map((f) => f.data), ['{"seq":1}', '{"seq":2}', '{"seq":3,"text":"h\u00e9llo"}']);
    assert.deepEqual(evs.map((f) => f.meta?.id), ['1', '2', '3']);
    assert.equal(evs[0].channel, 'tick');
  });

  it('the client connection carries on after a raw-relayed response: a second request, and two pipelined ones, reuse the backend connection', async () => {
    const sock = net.connect(proxy.port, '127.0.0.1');
    await once(sock, 'connect');
    let got = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    const firstBackendRequest = be.requests.length;
    const before = proxy.events.length;
    sock.write('GET /small HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => endsChunked(got), 5000, 'the first response');
    const first = got;
    assert.ok(bodyOf(first).equals(Buffer.from('b\r\n{"small":1}\r\n1\r\n\n\r\n0\r\n\r\n')), JSON.stringify(first.toString()));
    got = Buffer.alloc(0);
    sock.write('GET /length HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => got.toString().endsWith('\r\n\r\nfixed'), 5000, 'the second response');
    got = Buffer.alloc(0);
    // Two at once: answered in order, each whole.
    sock.write('GET /small HTTP/1.1\r\nHost: x\r\n\r\nGET /length HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => got.toString().endsWith('fixed'), 5000, 'the pipelined responses');
    const text = got.toString();
    assert.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, 2, text);
    assert.ok(text.indexOf('{"small":1}') < text.indexOf('fixed'), 'in order');
    assert.match(text, /\r\n\r\nb\r\n\{"small":1\}\r\n1\r\n\n\r\n0\r\n\r\nHTTP\/1\.1 200 OK\r\n/, 'the first body whole, then the second response');
    assert.equal(sock.destroyed, false, 'the client connection stays open');
    sock.destroy();
    const mine = be.requests.slice(firstBackendRequest);
    assert.deepEqual(mine.map((r) => r.line), ['GET /small HTTP/1.1', 'GET /length HTTP/1.1', 'GET /small HTTP/1.1', 'GET /length HTTP/1.1']);
    assert.equal(mine[1].conn, mine[0].conn, 'the second request reused the backend connection');
    // The timing events say which exchanges reused a backend connection.
    await until(() => proxy.events.slice(before).filter((e) => e.kind === 'timing').length === 4, 5000, 'four timing events');
    const timings = proxy.events.slice(before).filter((e): e is TimingEvent => e.kind === 'timing');
    assert.equal(timings[0].meta?.reused, undefined);
    assert.equal(timings[1].meta?.reused, true);
    assert.equal(frames(proxy.events.slice(before), (f) => f.meta?.stream === 'ndjson' && f.meta?.control !== true && f.data === '{"small":1}').length, 2);
  });

  it('a malformed chunk header: what came before it passes, the client connection closes, one error line', async () => {
    const before = proxy.events.length;
    const r = await rawExchange(proxy.port, 'GET /bad HTTP/1.1\r\nHost: x\r\n\r\n', () => false);
    assert.equal(r.closed, true, 'the proxy closes the client connection');
    assert.equal(bodyOf(r.got).toString(), '10\r\ndata: {"ok":1}\n\n\r\n', 'the valid chunk passes, nothing of the broken part');
    await until(() => proxy.events.slice(before).some((e) => e.kind === 'timing'), 5000, 'the exchange to end');
    const errors = proxy.events.slice(before).filter((e) => e.kind === 'error');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    const err = errors[0];
    assert.ok(err.kind === 'error');
    assert.match(err.message, /GET .*\/bad: the backend's response body is broken: malformed chunked encoding after 16 bytes \(Invalid chunk size\)$/);
    assert.equal(err.code, 'HPE_INVALID_CHUNK_SIZE');
    assert.ok(!err.message.includes('\n'));
    assert.deepEqual(frames(proxy.events.slice(before), (f) => f.meta?.stream === 'sse' && f.meta?.control !== true).map((f) => f.data), ['{"ok":1}']);
  });

  it('a slow client holds the backend back: the backend stops writing while the client does not read, and every byte arrives once it does', async () => {
    const mib = 96;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${proxy.url}/flood?mib=${mib}`, { agent: false }, resolve).on('error', reject));
    res.pause();
    // Let the pipes fill, then see the backend stopped.
    let last = -1;
    for (let i = 0; i < 100 && floodWritten !== last; i++) {
      last = floodWritten;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(floodWritten, last, 'the backend is held back (its writes stopped)');
    assert.ok(floodWritten < 48 * 1024 * 1024, `only socket buffers' worth passed while the client did not read: ${floodWritten} bytes`);
    const heap = process.memoryUsage();
    assert.ok(heap.arrayBuffers < 256 * 1024 * 1024, `buffers in this process stay bounded: ${heap.arrayBuffers}`);
    const h = createHash('sha256');
    let n = 0;
    res.on('data', (d: Buffer) => {
      h.update(d);
      n += d.length;
    });
    res.resume();
    await once(res, 'end');
    assert.equal(n, mib * 1024 * 1024);
    assert.equal(h.digest('hex'), floodHash, 'the whole body, unchanged');
  });
});

describe('capture proxy: request bodies on its own backend connection', () => {
  it('a chunked upload (curl, Transfer-Encoding: chunked) reaches a node server unchanged, then a Content-Length one on the same client connection', async () => {
    const seen: Array<{ te: string | null; len: number; sha: string; conn: number }> = [];
    const socketIds = new WeakMap<net.Socket, number>();
    let nextId = 0;
    const srv = http.createServer((req, res) => {
      if (!socketIds.has(req.socket)) socketIds.set(req.socket, ++nextId);
      const h = createHash('sha256');
      let len = 0;
      req.on('data', (d: Buffer) => {
        h.update(d);
        len += d.length;
      });
      req.on('end', () => {
        seen.push({ te: req.headers['transfer-encoding'] ?? null, len, sha: h.digest('hex'), conn: socketIds.get(req.socket)! });
        res.end('ok');
      });
    });
    const port = await listen(srv);
    const p = await startProxy(`http://127.0.0.1:${port}`);
    try {
      const { mkdtempSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const { randomBytes } = await import('node:crypto');
      const body = randomBytes(3 * 1024 * 1024 + 17);
      const file = join(mkdtempSync(join(tmpdir(), 'ws-proxy-up-')), 'up.bin');
      writeFileSync(file, body);
      const { curl } = await import('../../helpers/captureProxy');
      // Two transfers in one curl run: curl reuses its connection for the second URL.
      const r = await curl(['-H', 'Transfer-Encoding: chunked', '--data-binary', `@${file}`, `${p.url}/chunked-up`, '--next', '--data-binary', `@${file}`, `${p.url}/length-up`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'okok');
      const want = createHash('sha256').update(body).digest('hex');
      assert.equal(seen.length, 2);
      assert.deepEqual(seen[0], { te: 'chunked', len: body.length, sha: want, conn: seen[0].conn });
      assert.deepEqual(seen[1], { te: null, len: body.length, sha: want, conn: seen[0].conn }, 'the second request came on the kept-alive backend connection');
      await until(() => frames(p.events, (f) => f.dir === 'out' && f.meta?.method === 'POST').length === 2, 5000, 'both requests logged');
      assert.deepEqual(frames(p.events, (f) => f.dir === 'out' && f.meta?.method === 'POST').map((f) => f.size), [body.length, body.length]);
    } finally {
      await p.close();
      srv.closeAllConnections();
      srv.close();
    }
  });
});
