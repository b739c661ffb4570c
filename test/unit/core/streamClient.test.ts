// The HTTP/1.1 stream reader behind the sse transport, against real servers on 127.0.0.1: Node's http
// and https servers, and raw TCP servers that write exactly the bytes a test needs (odd chunk splits,
// informational responses, hostile heads).
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { HttpClientError } from '../../../src/core/httpClient';
import { openStream, type StreamResponse } from '../../../src/core/streamClient';
import { httpServer, listen } from '../../helpers/servers';
import { httpsServer, makeTestCerts } from '../../helpers/tlsCerts';

/** Read a whole body: the pieces, how they were grouped per call, and the end's error. */
function readAll(res: StreamResponse): Promise<{ body: Buffer; calls: number; err?: HttpClientError }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let calls = 0;
    res.read({
      data: (pieces) => {
        calls++;
        parts.push(...pieces);
      },
      end: (err) => resolve({ body: Buffer.concat(parts), calls, err }),
    });
  });
}

/** A TCP server that answers every connection with `reply(socket)` once the request head has arrived. */
async function rawServer(reply: (s: net.Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
    let head = '';
    s.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        head = '';
        reply(s);
      }
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/feed`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stream client: timing from socket events', () => {
  it('http to an IP literal: no dns, a connect, no tls, ttfb covers the server holding its headers', async () => {
    const srv = await httpServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: x\n\n'), 60);
    });
    try {
      const res = await openStream({ url: srv.url, now: () => performance.now() });
      const { body } = await readAll(res);
      assert.equal(body.toString(), 'data: x\n\n');
      const p = res.phases();
      assert.equal(p.dns, null, 'an IP literal needs no lookup');
      assert.ok(p.connect !== null && p.connect >= 0, `connect ${p.connect}`);
      assert.equal(p.tls, null);
      assert.ok(p.ttfb !== null && p.ttfb >= 55 && p.ttfb < 2000, `ttfb ${p.ttfb}`);
      assert.ok(p.total >= p.ttfb!, 'total covers ttfb');
    } finally {
      await srv.close();
    }
  });

  it('https to localhost: a dns lookup, a tls handshake, ttfb after the handshake, and the CA option', async () => {
    const certs = makeTestCerts();
    const srv = await httpsServer(certs.selfSigned, (_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: y\n\n'), 60);
    });
    try {
      const url = `https://localhost:${srv.port}/`;
      await assert.rejects(openStream({ url }), (e: HttpClientError) => e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' && /^TLS failure/.test(e.message));
      const res = await openStream({ url, tls: { ca: certs.selfSigned.cert } });
      await readAll(res);
      const p = res.phases();
      assert.ok(p.dns !== null && p.dns >= 0, `dns ${p.dns}`);
      assert.ok(p.connect !== null && p.connect >= 0, `connect ${p.connect}`);
      assert.ok(p.tls !== null && p.tls > 0, `tls ${p.tls}`);
      assert.ok(p.ttfb !== null && p.ttfb >= 55, `ttfb ${p.ttfb}`);
    } finally {
      await srv.close();
    }
  });
});

describe('stream client: bodies', () => {
  it('chunked framing split anywhere, with extensions and trailers: the body is intact, one call per socket read', async () => {
    const body = 'data: one\n\n' + 'data: two\n\n'.repeat(3) + 'data: é\n\n';
    const chunks = ['data: one\n\n', 'data: two\n\n'.repeat(3), 'data: é\n\n'].map((c) => Buffer.from(c));
    const wire = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'),
      ...chunks.flatMap((c, i) => [Buffer.from(`${c.length.toString(16)}${i === 1 ? ';ext=1' : ''}\r\n`), c, Buffer.from('\r\n')]),
      Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'),
    ]);
    // Cut the bytes at awkward places: inside the head, a size line, a CRLF and a UTF-8 character.
    const cuts = [20, 90, 91, 100, 107, wire.length - 12, wire.length - 3];
    const srv = await rawServer(async (s) => {
      let from = 0;
      for (const to of [...cuts, wire.length]) {
        s.write(wire.subarray(from, to));
        from = to;
        await pause(15);
      }
    });
    try {
      const res = await openStream({ url: srv.url });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/event-stream');
      const got = await readAll(res);
      assert.equal(got.err, undefined);
      assert.equal(got.body.toString('utf8'), body);
      assert.ok(got.calls <= cuts.length + 1, `${got.calls} reader calls for ${cuts.length + 1} writes`);
    } finally {
      await srv.close();
    }
  });

  it('many chunks in one socket read reach the reader in one call', async () => {
    const events = Array.from({ length: 50 }, (_, i) => `data: ${i}\n\n`);
    const wire = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' + events.map((e) => `${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`).join('');
    const srv = await rawServer((s) => {
      s.write(wire);
      setTimeout(() => s.end('0\r\n\r\n'), 30);
    });
    try {
      const res = await openStream({ url: srv.url });
      const got = await readAll(res);
      assert.equal(got.body.toString(), events.join(''));
      assert.ok(got.calls <= 2, `${got.calls} calls`);
    } finally {
      await srv.close();
    }
  });

  it('Content-Length and close-delimited bodies; a 103 before the answer is skipped', async () => {
    const srv = await rawServer((s) => {
      s.write('HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n');
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\nContent-Type: a\r\nContent-Type: b\r\n\r\nhelloEXTRA');
    });
    const closing = await rawServer((s) => s.end('HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: until close\n\n'));
    try {
      const res = await openStream({ url: srv.url });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-a'], '1, 2', 'repeated headers are joined');
      assert.equal(res.headers['content-type'], 'a', 'a single-valued header keeps its first value, as in Node');
      const got = await readAll(res);
      assert.equal(got.body.toString(), 'hello', 'nothing past Content-Length');
      assert.equal(got.err, undefined);
      const res2 = await openStream({ url: closing.url });
      const got2 = await readAll(res2);
      assert.equal(got2.body.toString(), 'data: until close\n\n');
      assert.equal(got2.err, undefined);
    } finally {
      await srv.close();
      await closing.close();
    }
  });

  it('a connection cut mid-body ends the body with ECONNRESET in one line', async () => {
    const srv = await rawServer((s) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => s.destroy(), 20);
    });
    try {
      const res = await openStream({ url: srv.url });
      const got = await readAll(res);
      assert.equal(got.body.toString(), 'hello');
      assert.equal(got.err?.code, 'ECONNRESET');
      assert.match(got.err!.message, /^Connection reset by the server/);
      assert.ok(!/\n/.test(got.err!.message));
    } finally {
      await srv.close();
    }
  });
});

describe('stream client: hostile and broken servers', () => {
  const cases: Array<[string, (s: net.Socket) => void, RegExp, string]> = [
    ['not HTTP at all', (s) => s.end('SSH-2.0-OpenSSH\r\n\r\n'), /^Malformed HTTP response from the server \(127\.0\.0\.1:\d+\): Invalid status line/, 'HPE_INVALID_CONSTANT'],
    ['a head over 16 KiB', (s) => s.write('HTTP/1.1 200 OK\r\n' + `X-Big: ${'a'.repeat(20_000)}\r\n`), /^The server's response headers are too large/, 'HPE_HEADER_OVERFLOW'],
    ['a broken header line', (s) => s.end('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'), /^Malformed HTTP response .*Invalid header line/, 'HPE_INVALID_CONSTANT'],
    ['a hang-up before any answer', (s) => s.destroy(), /^Connection reset by the server/, 'ECONNRESET'],
  ];
  for (const [what, reply, message, code] of cases) {
    it(`${what}: one line, a stable code`, async () => {
      const srv = await rawServer(reply);
      try {
        await assert.rejects(openStream({ url: srv.url }), (e: HttpClientError) => {
          assert.equal(e.code, code);
          assert.match(e.message, message);
          assert.ok(!/[\r\n]/.test(e.message) && e.message.length < 400, e.message);
          return true;
        });
      } finally {
        await srv.close();
      }
    });
  }

  it('a bad chunk size fails the body with one line', async () => {
    const srv = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n'));
    try {
      const res = await openStream({ url: srv.url });
      const got = await readAll(res);
      assert.equal(got.err?.code, 'HPE_INVALID_CHUNK_SIZE');
      assert.match(got.err!.message, /^Malformed HTTP response from the server .*Invalid chunk size$/);
    } finally {
      await srv.close();
    }
  });

  it('a TLS handshake that never completes hits the connect timeout; an abort ends a held request', async () => {
    const silent = await rawServer(() => undefined);
    const sockets: net.Socket[] = [];
    const mute = net.createServer((s) => sockets.push(s.on('error', () => undefined)));
    const port = await listen(mute);
    try {
      await assert.rejects(openStream({ url: `https://127.0.0.1:${port}/`, connectTimeoutMs: 150 }), (e: HttpClientError) => e.code === 'ETIMEDOUT' && /timed out/i.test(e.message));
      const ac = new AbortController();
      const pending = openStream({ url: silent.url, signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(pending, (e: HttpClientError) => e.code === 'ABORT_ERR');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
      await silent.close();
    }
  });

  it('rejects header values Node would refuse before connecting', async () => {
    await assert.rejects(openStream({ url: 'http://127.0.0.1:9/', headers: { 'x-bad': 'a\r\nInjected: 1' } }), (e: HttpClientError) => e.code === 'ERR_INVALID_CHAR');
  });
});
