// Gaps closed after review: the http pattern's wait for response headers is bounded (30 s by default,
// `--timeout` on the CLI), and SSE reconnects report the server's `retry:` value.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { parseConnectArgs } from '../../../src/cli/args';
import { Session } from '../../../src/core/session';
import { SseParser } from '../../../src/core/sseParser';
import { DEFAULT_RESPONSE_TIMEOUT_MS } from '../../../src/core/transports/httpTransport';
import type { WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession, waitFor } from '../../helpers/servers';

const noEnv = { env: {}, readFile: () => '' };

/** A server that reads requests and never answers them. */
async function silentHttp(): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const srv = await httpServer(() => {
    requests++;
  });
  return { url: srv.url, requests: () => requests, close: srv.close };
}

/** Wait on real I/O while setTimeout is mocked: poll with setImmediate, bounded by the wall clock. */
async function spin(pred: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('http: response timeout', () => {
  it('--timeout on the CLI bounds both the connect and the wait for response headers for http, and only the connect for other patterns', () => {
    const httpCmd = parseConnectArgs(['http://127.0.0.1:1/x', '--timeout', '300'], noEnv);
    assert.equal(httpCmd.options.connectTimeoutMs, 300);
    assert.equal(httpCmd.options.responseTimeoutMs, 300);
    // A stream's or SSE's headers may legitimately take long; there --timeout stays a connect timeout.
    const sseCmd = parseConnectArgs(['http://127.0.0.1:1/x', '--pattern', 'sse', '--timeout', '300'], noEnv);
    assert.equal(sseCmd.options.connectTimeoutMs, 300);
    assert.equal(sseCmd.options.responseTimeoutMs, undefined);
  });

  it('a server that never answers fails the session with one line naming the limit, after the limit and not before', async () => {
    const silent = await silentHttp();
    try {
      const { options } = parseConnectArgs([`${silent.url}/hang`, '--timeout', '300'], noEnv);
      const started = Date.now();
      const events = await runSession(options, undefined, 10_000);
      const took = Date.now() - started;
      checkInvariants(events);
      const last = ofKind(events, 'state').at(-1)!;
      assert.equal(last.state, 'failed');
      const errors = ofKind(events, 'error');
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /No response within 300 ms/);
      assert.ok(!/[\r\n]/.test(errors[0].message), 'one line');
      assert.equal(errors[0].code, 'ERR_TTFB_TIMEOUT');
      assert.ok(took >= 280 && took < 5000, `failed after ${took} ms`);
      assert.equal(silent.requests(), 1, 'the request reached the server; no retry');
    } finally {
      await silent.close();
    }
  });

  it('a slow answer inside the limit is logged normally, its ttfb showing the wait', async () => {
    const srv = await httpServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('late but fine'), 150);
    });
    try {
      const { options } = parseConnectArgs([`${srv.url}/slow`, '--timeout', '3000'], noEnv);
      const events = await runSession(options, undefined, 10_000);
      checkInvariants(events);
      assert.equal(ofKind(events, 'state').at(-1)!.state, 'closed');
      assert.equal(ofKind(events, 'error').length, 0);
      const answer = ofKind(events, 'frame').find((f) => f.dir === 'in')!;
      assert.equal(answer.data, 'late but fine');
      assert.ok(ofKind(events, 'timing')[0].phases.ttfb! >= 140);
    } finally {
      await srv.close();
    }
  });

  it(`without an explicit limit the http pattern gives up after ${DEFAULT_RESPONSE_TIMEOUT_MS} ms (clock mocked), not before`, async () => {
    assert.equal(DEFAULT_RESPONSE_TIMEOUT_MS, 30_000, 'the documented default');
    const silent = await silentHttp();
    // Only setTimeout is mocked, so sockets and the session's clock run for real while the limit is jumped to.
    mock.timers.enable({ apis: ['setTimeout'] });
    const session = new Session({ pattern: 'http', url: `${silent.url}/hang` });
    const events: WireEvent[] = [];
    session.onEvent((e) => events.push(e));
    try {
      await session.start();
      await spin(() => silent.requests() === 1 && events.some((e) => e.kind === 'state' && e.state === 'open'), 5000, 'request held');
      mock.timers.tick(DEFAULT_RESPONSE_TIMEOUT_MS - 50);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.equal(session.ended, false, 'still waiting just before the default limit');
      mock.timers.tick(100);
      await spin(() => session.ended, 5000, 'the default limit ends the session');
      const errors = ofKind(events, 'error');
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, new RegExp(`No response within ${DEFAULT_RESPONSE_TIMEOUT_MS} ms`));
      assert.equal(ofKind(events, 'state').at(-1)!.state, 'failed');
    } finally {
      mock.timers.reset();
      await session.close();
      await silent.close();
    }
  });
});

describe('sse: the server retry: value is reported', () => {
  it('the parser reads retry: as the standard says (split chunks, CR/LF/CRLF, one optional space, digits only)', () => {
    const feed = (...chunks: string[]) => {
      const found: number[] = [];
      const w = new SseParser({ event: () => undefined, retry: (ms) => found.push(ms) });
      for (const c of chunks) w.push(Buffer.from(c, 'latin1'));
      return found;
    };
    assert.deepEqual(feed('retry: 50\n\n'), [50]);
    assert.deepEqual(feed('retry:75\r\n'), [75]);
    assert.deepEqual(feed('data: x\rretry: 80\r'), [80]);
    assert.deepEqual(feed('re', 'try: 1', '20\n'), [120], 'split inside the field name and the value');
    assert.deepEqual(feed('data: a\n', 'ret', 'ry: 9\n'), [9]);
    assert.deepEqual(feed('retry: 5\r', '\nretry: 6\n'), [5, 6], 'CRLF split across chunks');
    assert.deepEqual(feed('retry:  50\n'), [], 'two spaces: not digits only');
    assert.deepEqual(feed('retry: 5s\n'), []);
    assert.deepEqual(feed('retry: \n'), []);
    assert.deepEqual(feed('data: retry: 50\n'), [], 'inside another field');
    assert.deepEqual(feed('data: x', 'retry: 50\n'), [], 'a line that started in an earlier chunk');
    assert.deepEqual(feed('retry: 50'), [], 'not complete until its line ends');
    const found: number[] = [];
    const w = new SseParser({ event: () => undefined, retry: (ms) => found.push(ms) });
    w.push(Buffer.from('data: unfinished'));
    w.reset();
    w.push(Buffer.from('retry: 33\n'));
    assert.deepEqual(found, [33], 'a new response starts at a line start');
  });

  it('reconnect events carry meta.retryMs, the delay the server asked for, and the session waits it', async () => {
    let connection = 0;
    const srv = await httpServer((_req, res) => {
      connection++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connection === 1) {
        // The field arrives split over two writes, as it can on the wire.
        res.write('id: 1\ndata: one\n\nre');
        setTimeout(() => {
          res.write('try: 120\n\n');
          setTimeout(() => res.destroy(), 30);
        }, 30);
      } else if (connection === 2) {
        res.write('retry: 60\nid: 2\ndata: two\n\n');
        setTimeout(() => res.destroy(), 30);
      } else {
        res.write('id: 3\ndata: three\n\n');
      }
    });
    try {
      const events = await runSession({ pattern: 'sse', url: `${srv.url}/events` }, async (s, ev) => {
        await waitFor(ev, (es) => es.some((e) => e.kind === 'frame' && e.data === 'three'), 8000);
        await s.close();
      });
      checkInvariants(events);
      const rc = ofKind(events, 'reconnect');
      assert.equal(rc.length, 2);
      assert.equal(rc[0].meta?.retryMs, 120);
      assert.equal(rc[1].meta?.retryMs, 60, 'the latest value');
      assert.ok(rc[0].delayMs >= 110, `first delay ${rc[0].delayMs} honours retry: 120`);
      assert.ok(rc[1].delayMs >= 50, `second delay ${rc[1].delayMs} honours retry: 60`);
      assert.equal(rc[0].meta?.lastEventId, '1');
    } finally {
      await srv.close();
    }
  });
});
