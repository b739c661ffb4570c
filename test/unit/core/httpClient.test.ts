import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import {
  createNodeFetch,
  followRedirect,
  httpRequest,
  HttpClientError,
  isTextualBody,
  redactUrl,
  type HttpResponse,
  type SentRequest,
} from '../../../src/core/httpClient';
import { httpServer, listen } from '../../helpers/servers';
import { httpsServer, makeTestCerts } from '../../helpers/tlsCerts';

/**
 * Run `fn` once at least `ms` of real time has passed. A plain setTimeout counts from the event
 * loop's cached time and can fire a little early by the clock the client measures with.
 */
function afterAtLeast(ms: number, fn: () => void): void {
  const start = performance.now();
  const check = () => {
    const left = ms - (performance.now() - start);
    if (left <= 0) fn();
    else setTimeout(check, Math.ceil(left));
  };
  setTimeout(check, ms);
}

async function rejection(p: Promise<unknown>): Promise<HttpClientError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HttpClientError, `an HttpClientError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail('expected a rejection');
}

describe('httpRequest', () => {
  it('sends method, headers and body, and exposes status, flattened headers and the body stream', async () => {
    let got = '';
    let endAt = 0;
    const srv = await httpServer((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (c: string) => (got += c));
      req.on('end', () => {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(202, 'Queued', { 'content-type': 'text/plain', 'X-Echo': req.headers['x-echo'] as string });
        res.write('part1-');
        afterAtLeast(50, () => {
          endAt = performance.now();
          res.end('part2');
        });
      });
    });
    try {
      const sent: SentRequest[] = [];
      let connected = 0;
      const res = await httpRequest({
        url: srv.url + '/p',
        method: 'patch',
        headers: { 'X-Echo': 'hello' },
        body: new TextEncoder().encode('bytes!'),
        onRequest: (s) => sent.push(s),
        onConnected: () => connected++,
      });
      assert.equal(res.status, 202);
      assert.equal(res.statusText, 'Queued');
      assert.equal(res.url, srv.url + '/p');
      assert.equal(res.headers['x-echo'], 'hello');
      assert.equal(res.headers['set-cookie'], 'a=1, b=2');
      const chunks: string[] = [];
      let firstSeenAt = 0;
      for await (const c of res) {
        firstSeenAt ||= performance.now();
        chunks.push(c.toString('utf8'));
      }
      assert.deepEqual(chunks, ['part1-', 'part2']);
      assert.equal(got, 'bytes!');
      assert.equal(connected, 1);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].method, 'PATCH');
      assert.equal(sent[0].headers.host, `127.0.0.1:${srv.port}`);
      assert.equal(sent[0].headers['x-echo'], 'hello');
      assert.equal(sent[0].headers['content-length'], '6');
      assert.equal(sent[0].bodySize, 6);
      const p = res.phases();
      // The body's end left the server 50 ms after its first part. The download runs from the client's first byte
      // (no later than this loop got the first chunk) to its last (no earlier than the server ended the body), so
      // it lasts at least from the first chunk here to the end there, whatever the load (same clock, one process).
      assert.ok(p.download! > 0 && p.download! >= endAt - firstSeenAt, `download ${p.download}, the body ended ${(endAt - firstSeenAt).toFixed(1)} ms after the first chunk was read`);
    } finally {
      await srv.close();
    }
  });

  it('reads a body with a size cap while counting all of it', async () => {
    const srv = await httpServer((_req, res) => {
      res.write('a'.repeat(3000));
      res.end('b'.repeat(3000));
    });
    try {
      const res = await httpRequest({ url: srv.url });
      const body = await res.readBody(100);
      assert.equal(body.size, 6000);
      assert.equal(body.preview.length, 100);
      assert.equal(body.truncated, true);
      const whole = await (await httpRequest({ url: srv.url })).readBody();
      assert.equal(whole.size, 6000);
      assert.equal(whole.truncated, false);
      assert.equal(whole.preview.toString().slice(2998, 3002), 'aabb');
    } finally {
      await srv.close();
    }
  });

  it('measures ttfb and download from socket events on a fresh connection each time', async () => {
    const ports = new Set<number>();
    const srv = await httpServer((req, res) => {
      ports.add(req.socket.remotePort!);
      afterAtLeast(150, () => {
        res.writeHead(200);
        res.write('x');
        afterAtLeast(130, () => res.end('y'));
      });
    });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await httpRequest({ url: srv.url });
        await res.readBody();
        const p = res.phases();
        assert.ok(p.ttfb! >= 150, `ttfb ${p.ttfb}`);
        // 130 ms on the server; the client sees each chunk a loop turn after it was written.
        assert.ok(p.download! >= 120, `download ${p.download}`);
        assert.ok(p.connect !== null, 'a fresh connection has a connect phase');
        assert.ok(p.total >= p.ttfb! + p.download!);
      }
      assert.equal(ports.size, 2, 'no socket reuse');
    } finally {
      await srv.close();
    }
  });

  it('has a DNS phase for a host name', async () => {
    const srv = await httpServer((_req, res) => res.end('ok'));
    try {
      const res = await httpRequest({ url: `http://localhost:${srv.port}/` });
      await res.readBody();
      assert.ok(res.phases().dns !== null, 'lookup measured');
    } finally {
      await srv.close();
    }
  });

  it('maps network failures to one-line messages with stable codes', async () => {
    const srv = await httpServer((req) => req.socket.destroy());
    try {
      const reset = await rejection(httpRequest({ url: srv.url }));
      assert.equal(reset.code, 'ECONNRESET');
    } finally {
      await srv.close();
    }
    const refused = await rejection(httpRequest({ url: srv.url }));
    assert.equal(refused.code, 'ECONNREFUSED');
    assert.match(refused.message, /^Connection refused \(127\.0\.0\.1:\d+\): nothing is listening there$/);
    const dns = await rejection(httpRequest({ url: 'http://x.invalid/' }));
    assert.equal(dns.code, 'ENOTFOUND');
    const plain = await httpServer((_req, res) => res.end('plain'));
    try {
      const wrong = await rejection(httpRequest({ url: `https://127.0.0.1:${plain.port}/` }));
      assert.equal(wrong.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
      assert.match(wrong.message, /^TLS failure .*did not answer with TLS/);
    } finally {
      await plain.close();
    }
    const bad = await rejection(httpRequest({ url: 'nope' }));
    assert.equal(bad.code, 'ERR_INVALID_URL');
    const scheme = await rejection(httpRequest({ url: 'ws://127.0.0.1/' }));
    assert.match(scheme.message, /Unsupported URL scheme/);
    const header = await rejection(httpRequest({ url: 'http://127.0.0.1:1/', headers: { 'bad header': 'x' } }));
    assert.ok(header.message.length > 0);
  });

  it('rejects a body cut off mid-way when read', async () => {
    const srv = await httpServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setTimeout(() => req.socket.destroy(), 20);
    });
    try {
      const res = await httpRequest({ url: srv.url });
      const err = await rejection(res.readBody());
      assert.equal(err.code, 'ECONNRESET');
    } finally {
      await srv.close();
    }
  });

  it('times out a connection whose TLS handshake never completes', async () => {
    // A TCP server that accepts and then says nothing: TCP connects, TLS never does.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    const port = await listen(silent);
    try {
      const started = Date.now();
      const err = await rejection(httpRequest({ url: `https://127.0.0.1:${port}/`, connectTimeoutMs: 200 }));
      assert.equal(err.code, 'ETIMEDOUT');
      assert.match(err.message, /^Connection timed out/);
      assert.ok(Date.now() - started >= 190);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('aborts before the headers and while the body streams', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      res.writeHead(200);
      res.write('start');
    });
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const before = await rejection(httpRequest({ url: srv.url + '/slow', signal: ac.signal }));
      assert.equal(before.code, 'ABORT_ERR');
      assert.equal(before.name, 'AbortError');

      const ac2 = new AbortController();
      const res = await httpRequest({ url: srv.url + '/stream', signal: ac2.signal });
      const reading = res.readBody();
      setTimeout(() => ac2.abort(), 30);
      const during = await rejection(reading);
      assert.equal(during.code, 'ABORT_ERR');

      const pre = new AbortController();
      pre.abort();
      assert.equal((await rejection(httpRequest({ url: srv.url, signal: pre.signal }))).code, 'ABORT_ERR');
    } finally {
      await srv.close();
    }
  });

  it('applies TLS options: CA trust and insecure', async () => {
    const certs = makeTestCerts();
    const srv = await httpsServer(certs.selfSigned, (_req, res) => res.end('tls ok'));
    try {
      const untrusted = await rejection(httpRequest({ url: srv.url }));
      assert.equal(untrusted.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      const viaCa = await httpRequest({ url: srv.url, tls: { ca: certs.selfSigned.cert } });
      assert.equal((await viaCa.readBody()).preview.toString(), 'tls ok');
      assert.ok(viaCa.phases().tls! > 0);
      const insecure = await httpRequest({ url: srv.url, tls: { insecure: true } });
      assert.equal((await insecure.readBody()).preview.toString(), 'tls ok');
    } finally {
      await srv.close();
    }
  });
});

describe('httpRequest with a client certificate', () => {
  it('presents the client certificate from the TLS options', async () => {
    const certs = makeTestCerts();
    const server = https.createServer({ cert: certs.selfSigned.cert, key: certs.selfSigned.key, requestCert: true, rejectUnauthorized: true, ca: certs.wrongHost.cert }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(`client ${peer.subject?.CN}`);
    });
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
    try {
      const withCert = await httpRequest({ url, tls: { ca: certs.selfSigned.cert, cert: certs.wrongHost.cert, key: certs.wrongHost.key } });
      assert.equal((await withCert.readBody()).preview.toString(), 'client wronghost');
      const without = await rejection(httpRequest({ url, tls: { ca: certs.selfSigned.cert } }).then((r) => r.readBody()));
      assert.ok(without.message.length > 0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('helpers', () => {
  it('followRedirect resolves Location and rewrites methods per RFC 9110', () => {
    const r = (status: number, location?: string) => ({ status, url: 'http://h/a/b', headers: location ? { location } : ({} as Record<string, string>) });
    assert.deepEqual(followRedirect(r(301, 'c'), 'GET'), { url: 'http://h/a/c', method: 'GET', dropBody: false });
    assert.deepEqual(followRedirect(r(302, '/x'), 'POST'), { url: 'http://h/x', method: 'GET', dropBody: true });
    assert.deepEqual(followRedirect(r(303, 'http://o/'), 'PUT'), { url: 'http://o/', method: 'GET', dropBody: true });
    assert.deepEqual(followRedirect(r(307, '/y'), 'POST'), { url: 'http://h/y', method: 'POST', dropBody: false });
    assert.deepEqual(followRedirect(r(308, '/z'), 'DELETE'), { url: 'http://h/z', method: 'DELETE', dropBody: false });
    assert.equal(followRedirect(r(304, '/z'), 'GET'), undefined);
    assert.equal(followRedirect(r(302), 'GET'), undefined, 'no Location');
    assert.equal(followRedirect(r(200, '/z'), 'GET'), undefined);
  });

  it('isTextualBody decides text or binary from the content type, or sniffs without one', () => {
    for (const ct of ['text/html; charset=utf-8', 'application/json', 'application/vnd.api+json', 'application/xml', 'application/x-ndjson', 'image/svg+xml', 'application/x-www-form-urlencoded']) {
      assert.equal(isTextualBody(ct), true, ct);
    }
    for (const ct of ['application/octet-stream', 'image/png', 'application/pdf', 'application/protobuf']) {
      assert.equal(isTextualBody(ct), false, ct);
    }
    assert.equal(isTextualBody(undefined, Buffer.from('plain words here')), true);
    assert.equal(isTextualBody(undefined, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2, 3])), false);
    assert.equal(isTextualBody('', Buffer.from([0xff, 0xfe, 0xfd, 0x41, 0x42, 0x43, 0x44])), false);
  });

  it('redactUrl hides a password', () => {
    assert.equal(redactUrl('http://u:secret@h/p'), 'http://u:***@h/p');
    assert.equal(redactUrl('http://h/p'), 'http://h/p');
  });
});

describe('createNodeFetch', () => {
  it('follows redirects, reports every hop, and streams the body as a web ReadableStream', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/start') res.writeHead(307, { location: '/end' }).end();
      else {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-a': '1' });
        res.write('hello ');
        setTimeout(() => res.end('world'), 20);
      }
    });
    try {
      const hops: Array<[number, boolean]> = [];
      const requests: string[] = [];
      const ended: HttpResponse[] = [];
      const f = createNodeFetch({
        hooks: {
          onRequest: (s) => requests.push(s.url),
          onResponse: (r, i) => hops.push([r.status, i.redirect]),
          onBodyEnd: (r, err) => {
            assert.equal(err, undefined);
            ended.push(r);
          },
        },
      });
      const res = await f(srv.url + '/start', { headers: { Accept: 'text/plain' } });
      assert.equal(res.status, 200);
      assert.equal(res.redirected, true);
      assert.equal(res.url, srv.url + '/end');
      assert.equal(res.headers.get('x-a'), '1');
      assert.ok(res.body && typeof res.body.getReader === 'function');
      assert.equal(await res.text(), 'hello world');
      assert.deepEqual(hops, [
        [307, true],
        [200, false],
      ]);
      assert.deepEqual(requests, [srv.url + '/start', srv.url + '/end']);
      assert.equal(ended.length, 1);

      const manual = await f(srv.url + '/start', { redirect: 'manual' });
      assert.equal(manual.status, 307);
      assert.equal(manual.redirected, false);
      await assert.rejects(f(srv.url + '/start', { redirect: 'error' }), (e: HttpClientError) => e.code === 'ERR_REDIRECT');
    } finally {
      await srv.close();
    }
  });

  it('stops after maxRedirects', async () => {
    const srv = await httpServer((req, res) => res.writeHead(302, { location: req.url + 'x' }).end());
    try {
      const f = createNodeFetch({ maxRedirects: 3 });
      await assert.rejects(f(srv.url + '/'), (e: HttpClientError) => e.code === 'ERR_TOO_MANY_REDIRECTS' && /more than 3/.test(e.message));
    } finally {
      await srv.close();
    }
  });

  it('errors the web stream when the connection drops mid-body, and rejects with AbortError on abort', async () => {
    const srv = await httpServer((req, res) => {
      res.writeHead(200);
      res.write('some');
      if (req.url === '/drop') setTimeout(() => req.socket.destroy(), 20);
    });
    try {
      const f = createNodeFetch();
      const res = await f(srv.url + '/drop');
      await assert.rejects(res.text(), (e: HttpClientError) => e.code === 'ECONNRESET');

      const ac = new AbortController();
      const res2 = await f(srv.url + '/hang', { signal: ac.signal });
      const reading = res2.text();
      setTimeout(() => ac.abort(), 20);
      await assert.rejects(reading, (e: Error) => e.name === 'AbortError');
    } finally {
      await srv.close();
    }
  });

  it('drives the eventsource package over TLS with a custom CA, which the global fetch cannot', async () => {
    const certs = makeTestCerts();
    const srv = await httpsServer(certs.selfSigned, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: greet\ndata: hi over tls\n\n');
    });
    try {
      const es = new EventSource(srv.url, { fetch: createNodeFetch({ tls: { ca: certs.selfSigned.cert } }) });
      try {
        const data = await new Promise<string>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no event')), 3000);
          es.addEventListener('greet', (e) => {
            clearTimeout(t);
            resolve((e as MessageEvent).data as string);
          });
        });
        assert.equal(data, 'hi over tls');
      } finally {
        es.close();
      }
    } finally {
      await srv.close();
    }
  });
});
