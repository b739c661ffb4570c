import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { before, describe, it } from 'node:test';
import type { StateEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession } from '../../helpers/servers';
import { httpsServer, makeTestCerts, type TestCerts } from '../../helpers/tlsCerts';

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

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
  });
}

const frames = (events: WireEvent[], dir: 'in' | 'out') => ofKind(events, 'frame').filter((f) => f.dir === dir);
const lastState = (events: WireEvent[]) => ofKind(events, 'state').at(-1) as StateEvent;

describe('http transport', () => {
  it('logs the request and response frames, one timing event, and closes after the response', async () => {
    let seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const srv = await httpServer(async (req, res) => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: await readAll(req) };
      res.writeHead(201, 'Made It', { 'content-type': 'application/json', 'x-trace': 'abc' });
      res.end('{"ok":true}');
    });
    try {
      const events = await runSession({
        pattern: 'http',
        url: srv.url + '/items?x=1',
        method: 'put',
        headers: { 'X-Custom': 'yes', 'Content-Type': 'application/json' },
        body: '{"name":"é"}',
      });
      checkInvariants(events);
      assert.equal(seen.method, 'PUT');
      assert.equal(seen.url, '/items?x=1');
      assert.equal(seen.headers?.['x-custom'], 'yes');
      assert.equal(seen.body, '{"name":"é"}');

      assert.deepEqual(
        ofKind(events, 'state').map((s) => s.state),
        ['connecting', 'open', 'closed'],
      );
      const out = frames(events, 'out');
      assert.equal(out.length, 1);
      assert.equal(out[0].data, '{"name":"é"}');
      assert.equal(out[0].size, Buffer.byteLength('{"name":"é"}'), 'size counts UTF-8 bytes');
      assert.equal(out[0].meta?.method, 'PUT');
      assert.equal(out[0].meta?.url, srv.url + '/items?x=1');
      const sentHeaders = out[0].meta?.headers as Record<string, string>;
      assert.equal(sentHeaders['x-custom'], 'yes');
      assert.equal(sentHeaders.host, `127.0.0.1:${srv.port}`);
      assert.equal(sentHeaders['content-length'], String(Buffer.byteLength('{"name":"é"}')));

      const inn = frames(events, 'in');
      assert.equal(inn.length, 1);
      assert.equal(inn[0].data, '{"ok":true}');
      assert.equal(inn[0].encoding, 'utf8');
      assert.equal(inn[0].size, 11);
      assert.equal(inn[0].meta?.status, 201);
      assert.equal(inn[0].meta?.statusText, 'Made It');
      assert.equal((inn[0].meta?.headers as Record<string, string>)['x-trace'], 'abc');
      assert.equal(inn[0].meta?.redirect, undefined);

      const timings = ofKind(events, 'timing');
      assert.equal(timings.length, 1, 'one timing event per exchange');
      const p = timings[0].phases;
      assert.equal(p.dns, null, 'IP literal: no DNS phase');
      assert.equal(p.tls, null, 'plain HTTP: no TLS phase');
      assert.ok(p.connect !== null && p.connect >= 0);
      assert.ok(p.ttfb !== null && p.ttfb >= 0);
      assert.ok(p.download !== null && p.download >= 0);
      assert.ok(p.total >= p.connect! + p.ttfb!);
      assert.equal(timings[0].meta?.status, 201);

      const closed = lastState(events);
      assert.equal(closed.state, 'closed');
      assert.equal(closed.code, 201);
      const summary = events.at(-1)!;
      assert.ok(summary.kind === 'summary');
      assert.deepEqual(summary.frames, { in: 1, out: 1 });
      assert.deepEqual(summary.bytes, { in: 11, out: Buffer.byteLength('{"name":"é"}') });
    } finally {
      await srv.close();
    }
  });

  it('defaults to GET, and to POST when a body is given', async () => {
    const methods: string[] = [];
    const srv = await httpServer((req, res) => {
      methods.push(req.method!);
      res.end();
    });
    try {
      await runSession({ pattern: 'http', url: srv.url });
      await runSession({ pattern: 'http', url: srv.url, body: 'a=1' });
      assert.deepEqual(methods, ['GET', 'POST']);
    } finally {
      await srv.close();
    }
  });

  it('shows ttfb >= 250 for a server that waits 250 ms before its headers', async () => {
    const srv = await httpServer((_req, res) => {
      afterAtLeast(250, () => res.writeHead(200, { 'content-type': 'text/plain' }).end('late'));
    });
    try {
      const events = await runSession({ pattern: 'http', url: srv.url });
      checkInvariants(events);
      const p = ofKind(events, 'timing')[0].phases;
      assert.ok(p.ttfb! >= 250, `ttfb ${p.ttfb}`);
      assert.ok(p.download! < 200, `download ${p.download}`);
    } finally {
      await srv.close();
    }
  });

  it('shows download >= 200 for a body sent in chunks 100 ms apart, counting every chunk', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      afterAtLeast(100, () => {
        res.write('two,');
        afterAtLeast(100, () => res.end('three'));
      });
    });
    try {
      const events = await runSession({ pattern: 'http', url: srv.url });
      checkInvariants(events);
      const p = ofKind(events, 'timing')[0].phases;
      assert.ok(p.download! >= 200, `download ${p.download}`);
      assert.ok(p.ttfb! < 200, `ttfb ${p.ttfb}`);
      const inn = frames(events, 'in')[0];
      assert.equal(inn.data, 'one,two,three');
    } finally {
      await srv.close();
    }
  });

  it('logs binary bodies as base64 and truncates data past the preview limit while counting the full size', async () => {
    const bin = Buffer.from([0, 1, 2, 3, 254, 255]);
    const big = 'y'.repeat(50_000);
    const srv = await httpServer((req, res) => {
      if (req.url === '/bin') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bin);
      else res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(big);
    });
    try {
      const b = frames(await runSession({ pattern: 'http', url: srv.url + '/bin' }), 'in')[0];
      assert.equal(b.encoding, 'base64');
      assert.equal(b.data, bin.toString('base64'));
      assert.equal(b.size, 6);
      const events = await runSession({ pattern: 'http', url: srv.url + '/big', previewLimit: 1000 });
      checkInvariants(events);
      const t = frames(events, 'in')[0];
      assert.equal(t.encoding, 'utf8');
      assert.equal(t.size, 50_000);
      assert.equal(t.data.length, 1000);
      assert.equal(t.truncated, true);
      const summary = events.at(-1)!;
      assert.ok(summary.kind === 'summary' && summary.bytes.in === 50_000);
    } finally {
      await srv.close();
    }
  });

  it('shows every redirect hop as its own frame with timing, then follows it', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/a') res.writeHead(301, { location: '/b' }).end('moved');
      else if (req.url === '/b') res.writeHead(302, { location: `http://127.0.0.1:${srv.port}/c` }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('final');
    });
    try {
      const events = await runSession({ pattern: 'http', url: srv.url + '/a' });
      checkInvariants(events);
      const inn = frames(events, 'in');
      assert.deepEqual(
        inn.map((f) => f.meta?.control ?? false),
        [true, true, false],
      );
      assert.deepEqual(
        inn.map((f) => [f.meta?.status, f.meta?.redirect ?? false, f.meta?.location]),
        [
          [301, true, srv.url + '/b'],
          [302, true, srv.url + '/c'],
          [200, false, undefined],
        ],
      );
      assert.equal(inn[0].data, 'moved');
      assert.equal(inn[2].data, 'final');
      const out = frames(events, 'out');
      assert.deepEqual(
        out.map((f) => f.meta?.url),
        [srv.url + '/a', srv.url + '/b', srv.url + '/c'],
      );
      const timings = ofKind(events, 'timing');
      assert.equal(timings.length, 3, 'one timing per hop');
      assert.deepEqual(
        timings.map((t) => t.meta?.redirect ?? false),
        [true, true, false],
      );
      assert.deepEqual(
        ofKind(events, 'state').map((s) => s.state),
        ['connecting', 'open', 'closed'],
      );
      assert.equal(lastState(events).code, 200);

      // --count 1 counts the answer, not the hops before it.
      const counted = await runSession({ pattern: 'http', url: srv.url + '/a', count: 1 });
      checkInvariants(counted);
      assert.deepEqual(
        frames(counted, 'in').map((f) => f.meta?.status),
        [301, 302, 200],
      );
    } finally {
      await srv.close();
    }
  });

  it('turns a POST into a GET after a 303 and drops the body', async () => {
    const seen: string[] = [];
    const srv = await httpServer(async (req, res) => {
      const body = await readAll(req);
      seen.push(`${req.method} ${req.url} ${body}`);
      if (req.url === '/submit') res.writeHead(303, { location: '/result' }).end();
      else res.end('ok');
    });
    try {
      const events = await runSession({ pattern: 'http', url: srv.url + '/submit', method: 'POST', body: 'x=1' });
      checkInvariants(events);
      assert.deepEqual(seen, ['POST /submit x=1', 'GET /result ']);
    } finally {
      await srv.close();
    }
  });

  it('does not follow redirects when followRedirects is false, but still shows the hop', async () => {
    let hits = 0;
    const srv = await httpServer((_req, res) => {
      hits++;
      res.writeHead(307, { location: '/elsewhere' }).end();
    });
    try {
      const events = await runSession({ pattern: 'http', url: srv.url + '/x', followRedirects: false });
      checkInvariants(events);
      assert.equal(hits, 1);
      const inn = frames(events, 'in');
      assert.equal(inn.length, 1);
      assert.equal(inn[0].meta?.redirect, true);
      assert.equal(inn[0].meta?.location, srv.url + '/elsewhere');
      assert.equal(lastState(events).state, 'closed');
      assert.equal(lastState(events).code, 307);
    } finally {
      await srv.close();
    }
  });

  it('fails clearly on a redirect loop and on too many redirects', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/loop1') res.writeHead(302, { location: '/loop2' }).end();
      else if (req.url === '/loop2') res.writeHead(302, { location: '/loop1' }).end();
      else {
        const n = Number(req.url!.slice(1));
        res.writeHead(302, { location: `/${n + 1}` }).end();
      }
    });
    try {
      const loop = await runSession({ pattern: 'http', url: srv.url + '/loop1' });
      checkInvariants(loop);
      assert.equal(lastState(loop).state, 'failed');
      const loopErr = ofKind(loop, 'error')[0];
      assert.equal(loopErr.code, 'ERR_REDIRECT_LOOP');
      assert.match(loopErr.message, /^Redirect loop: .*\/loop2 redirects back to .*\/loop1/);
      assert.equal(frames(loop, 'in').length, 2, 'both hops are shown');

      const many = await runSession({ pattern: 'http', url: srv.url + '/0', maxRedirects: 3 });
      checkInvariants(many);
      assert.equal(lastState(many).state, 'failed');
      const manyErr = ofKind(many, 'error')[0];
      assert.equal(manyErr.code, 'ERR_TOO_MANY_REDIRECTS');
      assert.match(manyErr.message, /more than 3/);
      assert.equal(frames(many, 'in').length, 4, 'the three followed hops and the one refused');
    } finally {
      await srv.close();
    }
  });

  it('decodes a gzip or br body for display and keeps the encoded size', async () => {
    const zlib = await import('node:zlib');
    const text = '{"msg":"' + 'compressible '.repeat(200) + '"}';
    const srv = await httpServer((req, res) => {
      if (req.url === '/gz') res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(zlib.gzipSync(text));
      else if (req.url === '/br') res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' }).end(zlib.brotliCompressSync(text));
      else res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end('not gzip at all');
    });
    try {
      for (const [path, coding, encoded] of [
        ['/gz', 'gzip', zlib.gzipSync(text).length],
        ['/br', 'br', zlib.brotliCompressSync(text).length],
      ] as const) {
        const events = await runSession({ pattern: 'http', url: srv.url + path, headers: { 'Accept-Encoding': 'gzip, br' } });
        checkInvariants(events);
        const f = frames(events, 'in')[0];
        assert.equal(f.data, text, path);
        assert.equal(f.encoding, 'utf8');
        assert.equal(f.size, Buffer.byteLength(text));
        assert.equal(f.meta?.encodedSize, encoded);
        assert.equal(f.meta?.contentEncoding, coding);
      }
      const bad = frames(await runSession({ pattern: 'http', url: srv.url + '/bad' }), 'in')[0];
      assert.equal(bad.data, 'not gzip at all', 'undecodable bytes are shown as received');
      assert.equal(bad.meta?.encodedSize, undefined);
    } finally {
      await srv.close();
    }
  });

  it('logs error statuses as normal exchanges with their body', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"title":"nope"}'));
    try {
      const events = await runSession({ pattern: 'http', url: srv.url });
      checkInvariants(events);
      const inn = frames(events, 'in')[0];
      assert.equal(inn.meta?.status, 404);
      assert.equal(inn.data, '{"title":"nope"}');
      assert.equal(inn.encoding, 'utf8');
      assert.equal(lastState(events).state, 'closed');
      assert.equal(lastState(events).reason, 'HTTP 404 Not Found');
    } finally {
      await srv.close();
    }
  });

  it('redacts credentials in logged request headers and URLs', async () => {
    let auth: string | undefined;
    const srv = await httpServer((req, res) => {
      auth = req.headers.authorization;
      res.end();
    });
    try {
      const url = `http://user:hunter2@127.0.0.1:${srv.port}/`;
      const events = await runSession({ pattern: 'http', url, headers: { Authorization: 'Bearer s3cret-token' } });
      checkInvariants(events);
      assert.equal(auth, 'Bearer s3cret-token', 'the server still gets the real header');
      const text = JSON.stringify(events);
      assert.ok(!text.includes('s3cret-token'), 'token not in the log');
      assert.ok(!text.includes('hunter2'), 'password not in the log');
      const out = frames(events, 'out')[0];
      assert.equal((out.meta?.headers as Record<string, string>).authorization, 'Bearer ***');
    } finally {
      await srv.close();
    }
  });

  it('fails at once with one line on a refused connection', async () => {
    const srv = await httpServer((_req, res) => res.end());
    const url = srv.url;
    await srv.close();
    const events = await runSession({ pattern: 'http', url });
    checkInvariants(events);
    const err = ofKind(events, 'error')[0];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.match(err.message, /^Connection refused \(127\.0\.0\.1:\d+\)/);
    assert.ok(!err.message.includes('\n'));
    assert.equal(lastState(events).state, 'failed');
    assert.equal(frames(events, 'in').length, 0);
  });

  it('fails with a DNS message for a .invalid host', async () => {
    const events = await runSession({ pattern: 'http', url: 'http://no-such-host.invalid/' });
    checkInvariants(events);
    const err = ofKind(events, 'error')[0];
    assert.equal(err.code, 'ENOTFOUND');
    assert.match(err.message, /^DNS lookup failed .*no-such-host\.invalid/);
    assert.equal(lastState(events).state, 'failed');
  });

  it('fails with one line on an invalid URL or unsupported scheme', async () => {
    for (const url of ['not a url', 'ftp://127.0.0.1/']) {
      const events = await runSession({ pattern: 'http', url });
      checkInvariants(events);
      const err = ofKind(events, 'error')[0];
      assert.ok(err.message.length > 0 && !err.message.includes('\n'));
      assert.match(err.message, /Invalid URL|Unsupported URL scheme/);
      assert.equal(lastState(events).state, 'failed');
    }
  });

  it('reports a server that resets the connection', async () => {
    const srv = await httpServer((req) => req.socket.destroy());
    try {
      const events = await runSession({ pattern: 'http', url: srv.url });
      checkInvariants(events);
      const err = ofKind(events, 'error')[0];
      assert.ok(err, 'an error event');
      assert.equal(err.code, 'ECONNRESET');
      assert.match(err.message, /reset|closed/i);
      assert.equal(lastState(events).state, 'failed');
    } finally {
      await srv.close();
    }
  });

  it('closes mid-exchange when the session is closed', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    try {
      const events = await runSession({ pattern: 'http', url: srv.url, durationMs: 150 });
      checkInvariants(events);
      assert.equal(lastState(events).state, 'closed');
      assert.equal(lastState(events).reason, 'duration reached');
      assert.equal(ofKind(events, 'error').length, 0);
    } finally {
      await srv.close();
    }
  });

  describe('TLS', () => {
    let certs: TestCerts;
    before(() => {
      certs = makeTestCerts();
    });
    const ok = (_req: IncomingMessage, res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'text/plain' }).end('secure');

    it('rejects a self-signed certificate with one TLS line, and succeeds with insecure or with the cert as CA', async () => {
      const srv = await httpsServer(certs.selfSigned, ok);
      try {
        const bad = await runSession({ pattern: 'http', url: srv.url });
        checkInvariants(bad);
        const err = ofKind(bad, 'error')[0];
        assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
        assert.match(err.message, /^TLS failure .*self-signed/);
        assert.ok(!err.message.includes('\n'));
        assert.equal(lastState(bad).state, 'failed');

        for (const tls of [{ insecure: true }, { ca: certs.selfSigned.cert }]) {
          const good = await runSession({ pattern: 'http', url: srv.url, tls });
          checkInvariants(good);
          assert.equal(frames(good, 'in')[0].data, 'secure');
          const p = ofKind(good, 'timing')[0].phases;
          assert.ok(p.tls !== null && p.tls > 0, `tls phase ${p.tls}`);
          assert.equal(lastState(good).state, 'closed');
        }
      } finally {
        await srv.close();
      }
    });

    it('rejects an expired certificate even when its issuer is trusted', async () => {
      const srv = await httpsServer(certs.expired, ok);
      try {
        const events = await runSession({ pattern: 'http', url: srv.url, tls: { ca: certs.expired.cert } });
        checkInvariants(events);
        const err = ofKind(events, 'error')[0];
        assert.equal(err.code, 'CERT_HAS_EXPIRED');
        assert.match(err.message, /^TLS failure .*expired/);
        assert.equal(lastState(events).state, 'failed');
      } finally {
        await srv.close();
      }
    });

    it('rejects a certificate for another host name', async () => {
      const srv = await httpsServer(certs.wrongHost, ok);
      try {
        const events = await runSession({ pattern: 'http', url: srv.url, tls: { ca: certs.wrongHost.cert } });
        checkInvariants(events);
        const err = ofKind(events, 'error')[0];
        assert.equal(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
        assert.match(err.message, /^TLS failure .*does not match the host name/);
        assert.equal(lastState(events).state, 'failed');
      } finally {
        await srv.close();
      }
    });
  });

});
