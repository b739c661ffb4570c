import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import type { FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession, waitFor } from '../../helpers/servers';
import { httpsServer, makeTestCerts } from '../../helpers/tlsCerts';
import { parseNdjson, runCli } from '../cli/runCli';

const dataFrames = (events: WireEvent[]) => ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control) as FrameEvent[];
const lastState = (events: WireEvent[]) => ofKind(events, 'state').at(-1) as StateEvent;
const eventStream = (res: ServerResponse, extra: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', ...extra });

describe('sse transport', () => {
  it('logs each event as an in frame with its type as channel and its id, plus status, headers and timing', async () => {
    const srv = await httpServer((_req, res) => {
      eventStream(res, { 'x-feed': 'demo' });
      res.write(': a comment is not an event\n\n');
      res.write('id: 1\ndata: first\n\n');
      res.write('event: tick\nid: 2\ndata: {"n":2}\n\n');
      res.write('event: alert\ndata: line one\ndata: line two\n\n');
      res.write('id: 4\nevent: message\ndata: é\n\n');
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url + '/feed', count: 4 });
      checkInvariants(events);
      const frames = dataFrames(events);
      assert.deepEqual(
        frames.map((f) => [f.channel, f.data, f.meta?.id]),
        [
          ['message', 'first', '1'],
          ['tick', '{"n":2}', '2'],
          // An event without an id field carries the last id seen, as the spec says.
          ['alert', 'line one\nline two', '2'],
          ['message', 'é', '4'],
        ],
      );
      assert.equal(frames[3].size, 2, 'size counts UTF-8 bytes');
      assert.ok(frames.every((f) => f.encoding === 'utf8'));

      const open = ofKind(events, 'state').find((s) => s.state === 'open')!;
      assert.equal(open.url, srv.url + '/feed');
      assert.equal(open.meta?.status, 200);
      assert.equal((open.meta?.headers as Record<string, string>)['x-feed'], 'demo');
      assert.equal(open.meta?.reconnected, undefined);

      const timings = ofKind(events, 'timing');
      assert.equal(timings.length, 1, 'one timing per connection');
      assert.equal(timings[0].meta?.status, 200);
      assert.ok(timings[0].phases.connect !== null && timings[0].phases.ttfb !== null);
      assert.equal(timings[0].phases.download, null, 'a stream has no download end');
      assert.ok(timings[0].seq < open.seq, 'timing comes before open');

      const req = ofKind(events, 'frame').find((f) => f.dir === 'out')!;
      assert.equal(req.meta?.control, true);
      assert.equal(req.meta?.method, 'GET');
      assert.equal((req.meta?.headers as Record<string, string>).accept, 'text/event-stream');

      assert.deepEqual(
        ofKind(events, 'state').map((s) => s.state),
        ['connecting', 'open', 'closing', 'closed'],
      );
      assert.equal(lastState(events).reason, 'count reached');
    } finally {
      await srv.close();
    }
  });

  it('parses CR-only and CRLF line endings and skips a leading BOM', async () => {
    const srv = await httpServer((req, res) => {
      eventStream(res);
      if (req.url === '/cr') res.write('event: a\rid: 7\rdata: cr only\r\r');
      else if (req.url === '/crlf') res.write('event: b\r\nid: 8\r\ndata: crlf\r\n\r\n');
      else res.write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('event: c\ndata: after bom\n\n')]));
    });
    try {
      for (const [path, channel, data, id] of [
        ['/cr', 'a', 'cr only', '7'],
        ['/crlf', 'b', 'crlf', '8'],
        ['/bom', 'c', 'after bom', undefined],
      ] as const) {
        const events = await runSession({ pattern: 'sse', url: srv.url + path, count: 1 });
        checkInvariants(events);
        const f = dataFrames(events)[0];
        assert.equal(f.channel, channel, path);
        assert.equal(f.data, data, path);
        assert.equal(f.meta?.id, id, path);
      }
    } finally {
      await srv.close();
    }
  });

  it('reconnects after a drop, honouring retry: and sending Last-Event-ID', async () => {
    const seen: Array<string | undefined> = [];
    const srv = await httpServer((req, res) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      eventStream(res);
      if (seen.length === 1) {
        res.write('retry: 50\n\nid: 41\ndata: before\n\n');
        // Drop the connection without ending the chunked body.
        setTimeout(() => res.socket?.destroy(), 30);
      } else if (req.headers['last-event-id'] === '41') {
        res.write('id: 42\ndata: after\n\n');
      } else {
        res.writeHead(400).end();
      }
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url, count: 2 });
      checkInvariants(events);
      assert.deepEqual(seen, [undefined, '41'], 'the server got Last-Event-ID 41 on the reconnect');
      assert.deepEqual(
        dataFrames(events).map((f) => [f.data, f.meta?.id]),
        [
          ['before', '41'],
          ['after', '42'],
        ],
      );
      const states = ofKind(events, 'state');
      assert.deepEqual(
        states.map((s) => s.state),
        ['connecting', 'open', 'reconnecting', 'open', 'closing', 'closed'],
      );
      const rc = ofKind(events, 'reconnect');
      assert.equal(rc.length, 1);
      assert.equal(rc[0].attempt, 1);
      assert.equal(rc[0].meta?.lastEventId, '41');
      assert.ok(rc[0].delayMs >= 40, `delay ${rc[0].delayMs} honours retry: 50`);
      assert.ok(rc[0].delayMs < 1500, `delay ${rc[0].delayMs} is the server's 50 ms, not the 3 s default`);
      assert.match(rc[0].cause, /reset|closed|ended/i);
      const reconnecting = states[2];
      assert.ok(reconnecting.seq < rc[0].seq, 'reconnecting comes before the reconnect event');
      const reopened = states[3];
      assert.ok(reopened.seq > rc[0].seq);
      assert.equal(reopened.meta?.reconnected, true);
      assert.ok(typeof reopened.meta?.downtimeMs === 'number' && (reopened.meta.downtimeMs as number) >= 40);
      assert.equal(ofKind(events, 'timing').length, 2, 'a timing event per connection');
      const summary = events.at(-1)!;
      assert.ok(summary.kind === 'summary');
      assert.equal(summary.reconnects, 1);
      assert.equal(summary.lastEventId, '42');
    } finally {
      await srv.close();
    }
  });

  it('reconnects after the server ends the stream cleanly', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      eventStream(res);
      res.end(`retry: 20\nid: ${n}\ndata: conn ${n}\n\n`);
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url, count: 3 });
      checkInvariants(events);
      assert.deepEqual(
        dataFrames(events).map((f) => f.data),
        ['conn 1', 'conn 2', 'conn 3'],
      );
      const rc = ofKind(events, 'reconnect');
      assert.equal(rc.length, 2);
      assert.equal(rc[0].cause, 'stream ended by the server');
      assert.deepEqual(
        rc.map((r) => r.meta?.lastEventId),
        ['1', '2'],
      );
    } finally {
      await srv.close();
    }
  });

  it('sends the configured Last-Event-ID and headers on the first request', async () => {
    let got: IncomingMessage['headers'] = {};
    const srv = await httpServer((req, res) => {
      got = req.headers;
      eventStream(res);
      res.write('data: hi\n\n');
    });
    try {
      const events = await runSession({
        pattern: 'sse',
        url: srv.url,
        count: 1,
        headers: { Authorization: 'Bearer tok-123' },
        sse: { lastEventId: 'résumé-9' },
      });
      checkInvariants(events);
      // Header bytes are UTF-8; Node hands them to the server as latin1 characters.
      assert.equal(Buffer.from(got['last-event-id'] as string, 'latin1').toString('utf8'), 'résumé-9');
      assert.equal(got.authorization, 'Bearer tok-123');
      assert.equal(got.accept, 'text/event-stream');
      assert.ok(!JSON.stringify(events).includes('tok-123'), 'the token is not logged');
    } finally {
      await srv.close();
    }
  });

  it('fails at once with a clear error on a wrong content type, logging the body, with no reconnect', async () => {
    let hits = 0;
    const srv = await httpServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a stream"}');
    });
    try {
      // --count 1 must not turn the logged body into a "count reached" success.
      const events = await runSession({ pattern: 'sse', url: srv.url, count: 1 });
      checkInvariants(events);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(hits, 1, 'no retry');
      const errs = ofKind(events, 'error');
      assert.equal(errs.length, 1);
      assert.equal(errs[0].code, 'ERR_SSE_CONTENT_TYPE');
      assert.equal(errs[0].message, 'SSE connection rejected: Content-Type is "application/json", expected text/event-stream');
      assert.equal(lastState(events).state, 'failed');
      assert.equal(ofKind(events, 'reconnect').length, 0);
      const body = ofKind(events, 'frame').find((f) => f.dir === 'in')!;
      assert.equal(body.data, '{"not":"a stream"}');
      assert.equal(body.meta?.status, 200);
    } finally {
      await srv.close();
    }
  });

  it('fails at once with a clear error on a non-200 status, with no reconnect', async () => {
    let hits = 0;
    const srv = await httpServer((_req, res) => {
      hits++;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url });
      checkInvariants(events);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(hits, 1, 'no retry');
      const errs = ofKind(events, 'error');
      assert.equal(errs.length, 1);
      assert.equal(errs[0].code, 'ERR_SSE_STATUS');
      assert.match(errs[0].message, /^SSE connection rejected: HTTP 503 Service Unavailable/);
      assert.equal(lastState(events).state, 'failed');
      assert.equal(ofKind(events, 'frame').find((f) => f.dir === 'in')?.data, 'busy');
    } finally {
      await srv.close();
    }
  });

  it('fails when a reconnect is answered with a non-200, instead of looping', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      if (n === 1) {
        eventStream(res);
        res.end('retry: 10\nid: 1\ndata: one\n\n');
      } else res.writeHead(500).end();
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url });
      checkInvariants(events);
      assert.equal(n, 2);
      assert.equal(ofKind(events, 'reconnect').length, 1);
      assert.equal(ofKind(events, 'error')[0].code, 'ERR_SSE_STATUS');
      assert.equal(lastState(events).state, 'failed');
    } finally {
      await srv.close();
    }
  });

  it('closes cleanly when the server answers 204 (the spec says stop reconnecting)', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(204).end());
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url });
      checkInvariants(events);
      assert.equal(lastState(events).state, 'closed');
      assert.equal(lastState(events).code, 204);
      assert.equal(ofKind(events, 'error').length, 0);
    } finally {
      await srv.close();
    }
  });

  it('fails at once on a refused first connection and on a .invalid host', async () => {
    const srv = await httpServer((_req, res) => res.end());
    const url = srv.url;
    await srv.close();
    const refused = await runSession({ pattern: 'sse', url });
    checkInvariants(refused);
    assert.equal(ofKind(refused, 'error')[0].code, 'ECONNREFUSED');
    assert.match(ofKind(refused, 'error')[0].message, /^Connection refused/);
    assert.equal(lastState(refused).state, 'failed');
    assert.equal(ofKind(refused, 'reconnect').length, 0);

    const dns = await runSession({ pattern: 'sse', url: 'http://nothing-here.invalid/sse' });
    checkInvariants(dns);
    assert.equal(ofKind(dns, 'error')[0].code, 'ENOTFOUND');
    assert.equal(lastState(dns).state, 'failed');
  });

  it('gives up after the policy maxAttempts when the server stays down', async () => {
    let n = 0;
    const srv = await httpServer((req, res) => {
      n++;
      eventStream(res);
      res.write('retry: 10\ndata: only once\n\n');
      // Drop the first stream; every later attempt is refused because the server closes below.
      setTimeout(() => req.socket.destroy(), 10);
    });
    const events: WireEvent[] = [];
    const closing = runSession({ pattern: 'sse', url: srv.url, reconnect: { maxAttempts: 2 } }, async (_s, ev) => {
      await waitFor(ev, (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in'));
      srv.server.close();
    });
    try {
      events.push(...(await closing));
      checkInvariants(events);
      assert.equal(n, 1);
      const rc = ofKind(events, 'reconnect');
      assert.deepEqual(
        rc.map((r) => r.attempt),
        [1, 2],
      );
      assert.match(rc[1].cause, /^Connection refused/);
      const end = lastState(events);
      assert.equal(end.state, 'failed');
      assert.match(end.reason!, /^gave up after 2 reconnect attempts: Connection refused/);
    } finally {
      await srv.close().catch(() => undefined);
    }
  });

  it('reconnects when nothing arrives within idleTimeoutMs, logging the cause', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      eventStream(res);
      res.write(`retry: 10\nid: ${n}\ndata: conn ${n}\n\n`);
      // Then silence: the connection stays open but idle.
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url, count: 2, sse: { idleTimeoutMs: 150 } });
      checkInvariants(events);
      assert.equal(n, 2);
      const err = ofKind(events, 'error')[0];
      assert.equal(err.code, 'ERR_IDLE_TIMEOUT');
      assert.equal(err.message, 'idle timeout: no data for 150 ms');
      const rc = ofKind(events, 'reconnect')[0];
      assert.equal(rc.cause, 'idle timeout: no data for 150 ms');
      assert.equal(rc.meta?.lastEventId, '1');
      const reopened = ofKind(events, 'state').filter((s) => s.state === 'open')[1];
      assert.ok(reopened.t - ofKind(events, 'state')[1].t >= 150, 'reopened only after the idle limit');
    } finally {
      await srv.close();
    }
  });

  it('bounds the wait for response headers by idleTimeoutMs too', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      if (n === 1) {
        eventStream(res);
        res.end('retry: 10\nid: 5\ndata: first\n\n');
      } else if (n === 3) {
        eventStream(res);
        res.write('data: third\n\n');
      }
      // The second request gets no answer at all.
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url, count: 2, sse: { idleTimeoutMs: 150 } });
      checkInvariants(events);
      assert.equal(n, 3);
      assert.deepEqual(
        dataFrames(events).map((f) => f.data),
        ['first', 'third'],
      );
      const rc = ofKind(events, 'reconnect');
      assert.deepEqual(
        rc.map((r) => r.cause),
        ['stream ended by the server', 'idle timeout: no response headers within 150 ms'],
      );
      assert.equal(ofKind(events, 'error')[0].code, 'ERR_IDLE_TIMEOUT');
    } finally {
      await srv.close();
    }
  });

  it('fails at once when the first connection gets no headers within idleTimeoutMs', async () => {
    const srv = await httpServer(() => undefined);
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url, sse: { idleTimeoutMs: 100 } });
      checkInvariants(events);
      const errs = ofKind(events, 'error');
      assert.equal(errs.length, 1);
      assert.equal(errs[0].message, 'idle timeout: no response headers within 100 ms');
      assert.equal(lastState(events).state, 'failed');
    } finally {
      await srv.close();
    }
  });

  it('keeps the CLI process alive while it waits to reconnect', async () => {
    let n = 0;
    const srv = await httpServer((req, res) => {
      n++;
      eventStream(res);
      if (n === 1) {
        res.write('retry: 300\nid: 1\ndata: one\n\n');
        setTimeout(() => req.socket.destroy(), 30);
      } else res.write('id: 2\ndata: two\n\n');
    });
    try {
      const r = await runCli(['connect', srv.url, '--pattern', 'sse', '--count', '2', '--format', 'ndjson'], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      const events = parseNdjson(r.stdout);
      checkInvariants(events);
      assert.deepEqual(
        dataFrames(events).map((f) => f.data),
        ['one', 'two'],
      );
      assert.equal(ofKind(events, 'reconnect')[0].meta?.lastEventId, '1');
    } finally {
      await srv.close();
    }
  });

  it('ends closed on a drop when reconnecting is disabled', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      eventStream(res);
      res.end('retry: 10\ndata: once\n\n');
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url, reconnect: { enabled: false } });
      checkInvariants(events);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(n, 1);
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.equal(lastState(events).state, 'closed');
      assert.equal(lastState(events).reason, 'disconnected: stream ended by the server');
    } finally {
      await srv.close();
    }
  });

  it('reconnects on demand, sending the last id', async () => {
    const ids: Array<string | undefined> = [];
    const srv = await httpServer((req, res) => {
      const raw = req.headers['last-event-id'] as string | undefined;
      ids.push(raw === undefined ? undefined : Buffer.from(raw, 'latin1').toString('utf8'));
      eventStream(res);
      res.write(`retry: 10\nid: ç${ids.length}\ndata: hello ${ids.length}\n\n`);
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url }, async (s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length === 1);
        s.reconnect();
        await waitFor(ev, (es) => dataFrames(es).length === 2);
        await s.close();
      });
      checkInvariants(events);
      assert.deepEqual(ids, [undefined, 'ç1'], 'a non-ASCII id goes back as its UTF-8 bytes');
      const rc = ofKind(events, 'reconnect');
      assert.equal(rc.length, 1);
      assert.equal(rc[0].cause, 'reconnect requested by user');
      assert.equal(rc[0].meta?.lastEventId, 'ç1');
      assert.equal(dataFrames(events)[0].meta?.id, 'ç1');
    } finally {
      await srv.close();
    }
  });

  it('closes idempotently and stops the stream', async () => {
    let closedByClient = false;
    const srv = await httpServer((req, res) => {
      eventStream(res);
      res.write('data: x\n\n');
      req.socket.on('close', () => (closedByClient = true));
    });
    try {
      const events = await runSession({ pattern: 'sse', url: srv.url }, async (s, ev) => {
        await waitFor(ev, (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in'));
        const [a, b] = await Promise.all([s.close('first'), s.close('second')]);
        assert.equal(a, b);
        await s.close('third');
      });
      checkInvariants(events);
      assert.equal(ofKind(events, 'state').filter((e) => e.state === 'closed').length, 1);
      assert.equal(lastState(events).reason, 'first');
      await waitFor([], () => closedByClient, 2000).catch(() => undefined);
      assert.ok(closedByClient, 'the connection was closed');
    } finally {
      await srv.close();
    }
  });

  it('rejects a self-signed certificate with one TLS line, and connects with insecure or the cert as CA', async () => {
    const certs = makeTestCerts();
    const srv = await httpsServer(certs.selfSigned, (_req, res) => {
      eventStream(res);
      res.write('data: secure\n\n');
    });
    try {
      const bad = await runSession({ pattern: 'sse', url: srv.url });
      checkInvariants(bad);
      const err = ofKind(bad, 'error')[0];
      assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(err.message, /^TLS failure/);
      assert.equal(lastState(bad).state, 'failed');
      for (const tls of [{ insecure: true }, { ca: certs.selfSigned.cert }]) {
        const good = await runSession({ pattern: 'sse', url: srv.url, tls, count: 1 });
        checkInvariants(good);
        assert.equal(dataFrames(good)[0].data, 'secure');
        const t = ofKind(good, 'timing')[0].phases;
        assert.ok(t.tls !== null && t.tls > 0);
      }
    } finally {
      await srv.close();
    }
  });
});
