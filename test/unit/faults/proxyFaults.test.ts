/**
 * Faults injected by a TCP proxy between the engine and real servers, per pattern: cuts, stalls
 * (half-open connections), slow links and half-closes; plus a server killed mid-stream. Each test
 * checks the logged cause, the recovery, and with the sequence check what was lost or replayed.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, describe, it } from 'node:test';
import { Session } from '../../../src/core/session';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { AnomalyEvent, FrameEvent, ReconnectEvent, StateEvent, SummaryEvent, WireEvent } from '../../../src/shared/events';
import { FaultProxy } from '../../helpers/faultProxy';
import { checkInvariants, httpServer, ofKind, waitFor, wsServer, type HttpTestServer } from '../../helpers/servers';
import { figures, report } from './tally';

const FAST_RECONNECT = { initialDelayMs: 50, maxDelayMs: 200, jitter: 0, maxAttempts: 20 };

/** Start a session, keep its events, and let `during` drive faults; bounded by `timeoutMs`. */
async function drive(options: ConnectOptions, during: (s: Session, events: WireEvent[]) => Promise<void>, timeoutMs = 20_000): Promise<WireEvent[]> {
  const s = new Session(options);
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  const guard = setTimeout(() => void s.close('test timeout'), timeoutMs);
  try {
    await during(s, events);
    await s.close('test done');
  } finally {
    clearTimeout(guard);
  }
  return events;
}

const dataFrames = (events: WireEvent[]): FrameEvent[] => ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control);
const reopened = (events: WireEvent[]): StateEvent[] => ofKind(events, 'state').filter((s) => s.state === 'open' && s.meta?.reconnected === true);
const anomalies = (events: WireEvent[], type?: AnomalyEvent['type']): AnomalyEvent[] => ofKind(events, 'anomaly').filter((a) => !type || a.type === type);
const missingIn = (events: WireEvent[]): number => anomalies(events, 'gap').reduce((n, a) => n + Number(a.meta?.missing ?? 0), 0);
const summaryOf = (events: WireEvent[]): SummaryEvent => events.at(-1) as SummaryEvent;

/** Wait (bounded) until `pred` holds. */
async function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Count a session hit by `faults` faults that recovered `recoveries` times. */
function tallyRecovery(hits: number, recoveries: number): void {
  figures.sessionsHit += hits;
  figures.recovered += Math.min(hits, recoveries);
}

// ---------------------------------------------------------------------------------------- servers

/**
 * An SSE feed numbered from 1, one event every `everyMs`. `resume`: a global log, and a request
 * with Last-Event-ID gets what followed it; otherwise every connection replays from 1.
 * `skip` lists ids the server never sends.
 */
async function sseFeed(opts: { resume: boolean; everyMs?: number; skip?: number[]; stopAt?: number }): Promise<HttpTestServer & { lastIdsSeen: (string | undefined)[] }> {
  const every = opts.everyMs ?? 15;
  const skip = new Set(opts.skip ?? []);
  const clients = new Set<{ res: http.ServerResponse; next: number }>();
  let produced = 0;
  const lastIdsSeen: (string | undefined)[] = [];
  const send = (c: { res: http.ServerResponse; next: number }, upTo: number) => {
    while (c.next <= upTo) {
      if (!skip.has(c.next)) c.res.write(`id: ${c.next}\ndata: {"seq":${c.next}}\n\n`);
      c.next++;
    }
  };
  const timer = setInterval(() => {
    if (opts.stopAt && produced >= opts.stopAt) return;
    produced++;
    for (const c of clients) send(c, opts.resume ? produced : c.next);
  }, every);
  const srv = await httpServer((req, res) => {
    const last = req.headers['last-event-id'];
    lastIdsSeen.push(typeof last === 'string' ? last : undefined);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write('retry: 50\n\n');
    const c = { res, next: opts.resume && typeof last === 'string' ? Number(last) + 1 : 1 };
    if (opts.resume) send(c, produced);
    clients.add(c);
    res.on('close', () => clients.delete(c));
  });
  return {
    ...srv,
    lastIdsSeen,
    close: async () => {
      clearInterval(timer);
      await srv.close();
    },
  };
}

/** A ticker shared by all connections: `onTick(seq)` runs every `everyMs`; counts ticks nobody heard. */
function ticker(everyMs: number, listeners: () => number, onTick: (seq: number) => void) {
  const t = { seq: 0, unheard: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    t.seq++;
    if (listeners() === 0) t.unheard++;
    onTick(t.seq);
  }, everyMs);
  return t;
}

/** An NDJSON stream of a shared ticker. */
async function ndjsonFeed(everyMs = 20) {
  const clients = new Set<http.ServerResponse>();
  const tick = ticker(everyMs, () => clients.size, (seq) => {
    for (const res of clients) res.write(`{"seq":${seq},"pad":"${'x'.repeat(20)}"}\n`);
  });
  const handler: http.RequestListener = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    clients.add(res);
    res.on('close', () => clients.delete(res));
  };
  const srv = await httpServer(handler);
  return {
    ...srv,
    handler,
    tick,
    clients,
    close: async () => {
      tick.stop();
      await srv.close();
    },
  };
}

// ------------------------------------------------------------------------------------------ tests

describe('faults through a TCP proxy', () => {
  after(() => report('proxy faults:'));

  it('SSE with Last-Event-ID: a cut, a half-close and another cut lose nothing (sequence check: no gap, no duplicate)', async () => {
    const srv = await sseFeed({ resume: true });
    const proxy = await FaultProxy.start(srv.port);
    try {
      const events = await drive({ pattern: 'sse', url: proxy.url('http', '/sse'), idField: 'sse-id', reconnect: FAST_RECONNECT }, async (_s, ev) => {
        const faults: Array<() => void> = [() => proxy.cut(), () => proxy.halfClose('client'), () => proxy.cut()];
        for (let i = 0; i < faults.length; i++) {
          const before = dataFrames(ev).length;
          await waitFor(ev, (es) => dataFrames(es).length >= before + 8);
          faults[i]();
          await waitFor(ev, (es) => reopened(es).length >= i + 1);
        }
        const n = dataFrames(ev).length;
        await waitFor(ev, (es) => dataFrames(es).length >= n + 5);
      });
      checkInvariants(events);
      const recs = ofKind(events, 'reconnect');
      assert.equal(recs.length, 3, 'one reconnect per fault');
      // Each reconnect names the resume token it sent: the id seen last before the drop.
      for (const r of recs) {
        const before = dataFrames(events.slice(0, events.indexOf(r))).at(-1);
        assert.equal(r.meta?.lastEventId, before?.meta?.id);
      }
      assert.ok(srv.lastIdsSeen.slice(1).every((id) => id !== undefined), 'every reconnect request carried Last-Event-ID');
      const ids = dataFrames(events).map((f) => Number(f.meta?.id));
      assert.deepEqual(ids, ids.map((_, i) => i + 1), 'ids 1..n, each once, in order');
      assert.deepEqual(summaryOf(events).anomalies, { duplicate: 0, gap: 0, 'out-of-order': 0 });
      const accounts = (summaryOf(events).idCheck as { reconnects: { replayed: number; missing: number }[] }).reconnects;
      assert.deepEqual(accounts.map((a) => [a.replayed, a.missing]), [[0, 0], [0, 0], [0, 0]]);
      figures.injected += proxy.injected;
      figures.lostWithResume += missingIn(events);
      tallyRecovery(3, reopened(events).length);
    } finally {
      await proxy.close();
      await srv.close();
    }
  });

  it('SSE server that ignores Last-Event-ID and replays from the start: every replayed message is flagged as a duplicate after the reconnect', async () => {
    const srv = await sseFeed({ resume: false, everyMs: 10 });
    const proxy = await FaultProxy.start(srv.port);
    try {
      const events = await drive({ pattern: 'sse', url: proxy.url('http', '/sse'), idField: 'sse-id', reconnect: FAST_RECONNECT }, async (_s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length >= 6);
        proxy.cut();
        await waitFor(ev, (es) => reopened(es).length >= 1);
        // Wait until the replay has passed the old position and new ids flow.
        await waitFor(ev, (es) => dataFrames(es.slice(es.indexOf(reopened(es)[0]))).length >= 12);
      });
      checkInvariants(events);
      const reopenAt = events.indexOf(reopened(events)[0]);
      const seenBefore = new Set(dataFrames(events.slice(0, reopenAt)).map((f) => f.meta?.id));
      const replayed = dataFrames(events.slice(reopenAt)).filter((f) => seenBefore.has(f.meta?.id));
      assert.ok(replayed.length >= 6, `the server replayed ${replayed.length} old ids`);
      const dups = anomalies(events, 'duplicate');
      assert.equal(dups.length, replayed.length, 'each replayed message flagged once');
      assert.ok(dups.every((d) => d.meta?.afterReconnect === true));
      assert.equal(anomalies(events, 'gap').length, 0);
      const acct = (summaryOf(events).idCheck as { reconnects: { replayed: number; missing: number }[] }).reconnects[0];
      assert.equal(acct.replayed, replayed.length);
      assert.equal(acct.missing, 0);
      figures.injected += proxy.injected;
      figures.anomaliesExpected += replayed.length;
      figures.anomaliesFlagged += dups.filter((d) => seenBefore.has(String(d.key))).length;
      tallyRecovery(1, reopened(events).length);
    } finally {
      await proxy.close();
      await srv.close();
    }
  });

  it('SSE idle timeout detects a stalled stream, logs it as the cause, and resumes from the last id', async () => {
    const srv = await sseFeed({ resume: true });
    const proxy = await FaultProxy.start(srv.port);
    try {
      const events = await drive({ pattern: 'sse', url: proxy.url('http', '/sse'), idField: 'sse-id', sse: { idleTimeoutMs: 300 }, reconnect: FAST_RECONNECT }, async (_s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length >= 5);
        proxy.stall();
        await waitFor(ev, (es) => ofKind(es, 'reconnect').length >= 1, 5000);
        proxy.resume();
        await waitFor(ev, (es) => reopened(es).length >= 1);
        const n = dataFrames(ev).length;
        await waitFor(ev, (es) => dataFrames(es).length >= n + 5);
      });
      checkInvariants(events);
      assert.ok(ofKind(events, 'error').some((e) => e.code === 'ERR_IDLE_TIMEOUT' && /idle timeout: no data for 300 ms/.test(e.message)));
      const r = ofKind(events, 'reconnect')[0];
      assert.match(r.cause, /idle timeout/);
      assert.equal(typeof r.meta?.lastEventId, 'string');
      assert.equal(missingIn(events), 0);
      assert.equal(anomalies(events, 'duplicate').length, 0);
      figures.injected += proxy.injected;
      figures.lostWithResume += missingIn(events);
      tallyRecovery(1, reopened(events).length);
    } finally {
      await proxy.close();
      await srv.close();
    }
  });

  it('SSE server that skips numbers: the gap is flagged with its range, and the CLI exits 3 with --fail-on anomaly', async () => {
    const srv = await sseFeed({ resume: true, skip: [4, 5, 6], stopAt: 8 });
    try {
      const { parseConnectArgs } = await import('../../../src/cli/args');
      const { runConnect, EXIT } = await import('../../../src/cli/runConnect');
      let out = '';
      const errors: string[] = [];
      const io = { write: (t: string) => void (out += t), error: (l: string) => void errors.push(l), isTTY: false, env: {}, onInterrupt: () => () => undefined };
      const code = await runConnect(parseConnectArgs([`${srv.url}/sse`, '--pattern', 'sse', '--id-field', 'sse-id', '--fail-on', 'anomaly', '--count', '5', '--format', 'ndjson']), io);
      assert.equal(code, EXIT.anomaly);
      assert.deepEqual(errors, ['1 sequence anomaly (1 gap, 0 duplicate, 0 out-of-order)']);
      const events = out.trim().split('\n').map((l) => JSON.parse(l) as WireEvent);
      const gap = anomalies(events, 'gap');
      assert.equal(gap.length, 1);
      assert.deepEqual([gap[0].key, gap[0].expected, gap[0].got, gap[0].meta?.range, gap[0].meta?.missing], ['7', 4, 7, [4, 6], 3]);
      figures.anomaliesExpected += 1;
      figures.anomaliesFlagged += gap.length;
    } finally {
      await srv.close();
    }
  });

  it('WebSocket: a cut reconnects with the close cause; the ticks missed while down are flagged as one gap', async () => {
    let clients = 0;
    const srv = await wsServer((wss) => {
      wss.on('connection', (ws) => {
        clients++;
        ws.on('close', () => clients--);
      });
    });
    const tick = ticker(20, () => clients, (seq) => {
      for (const c of srv.wss.clients) c.send(JSON.stringify({ seq }));
    });
    const proxy = await FaultProxy.start(srv.port);
    try {
      let unheardBefore = 0;
      const events = await drive({ pattern: 'ws', url: proxy.url('ws', '/'), idField: '$.seq', reconnect: FAST_RECONNECT }, async (_s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length >= 5);
        unheardBefore = tick.unheard;
        proxy.cut();
        await waitFor(ev, (es) => reopened(es).length >= 1);
        const n = dataFrames(ev).length;
        await waitFor(ev, (es) => dataFrames(es).length >= n + 3);
      });
      checkInvariants(events);
      const r = ofKind(events, 'reconnect')[0];
      assert.match(r.cause, /connection lost \(1006/);
      const missedWhileDown = tick.unheard - unheardBefore;
      const gaps = anomalies(events, 'gap');
      assert.ok(missedWhileDown > 0, 'the ticker ran while nobody listened');
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0].meta?.afterReconnect, true);
      assert.ok(Number(gaps[0].meta?.missing) >= missedWhileDown);
      figures.injected += proxy.injected;
      figures.anomaliesExpected += 1;
      figures.anomaliesFlagged += gaps.length;
      tallyRecovery(1, reopened(events).length);
    } finally {
      tick.stop();
      await proxy.close();
      await srv.close();
    }
  });

  it('WebSocket ping/pong timeout detects a half-open (stalled) connection and reconnects', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (ws) => ws.send('{"seq":1}')));
    const proxy = await FaultProxy.start(srv.port);
    try {
      // Built from the CLI's flags, so the liveness settings are proven end to end.
      const { parseConnectArgs } = await import('../../../src/cli/args');
      const cli = parseConnectArgs([proxy.url('ws', '/'), '--ping-interval', '100', '--pong-timeout', '250', '--timeout', '2000']).options;
      assert.deepEqual(cli.ws, { pingIntervalMs: 100, pongTimeoutMs: 250 });
      const events = await drive({ ...cli, reconnect: FAST_RECONNECT }, async (_s, ev) => {
        await waitFor(ev, (es) => ofKind(es, 'frame').some((f) => f.meta?.opcode === 10));
        proxy.stall();
        await waitFor(ev, (es) => ofKind(es, 'reconnect').length >= 1, 5000);
        proxy.resume();
        await waitFor(ev, (es) => reopened(es).length >= 1);
      });
      checkInvariants(events);
      const err = ofKind(events, 'error').find((e) => e.code === 'ERR_PONG_TIMEOUT');
      assert.ok(err, 'the pong timeout is an error event');
      assert.match(err.message, /pong timeout: no pong within 250 ms/);
      assert.match(ofKind(events, 'reconnect')[0].cause, /pong timeout/);
      figures.injected += proxy.injected;
      tallyRecovery(1, reopened(events).length);
    } finally {
      await proxy.close();
      await srv.close();
    }
  });

  it('HTTP stream (NDJSON): a cut and a stall (idle timeout) each reconnect with their cause; a slow link still gives whole lines', async () => {
    const srv = await ndjsonFeed(20);
    const proxy = await FaultProxy.start(srv.port);
    try {
      const events = await drive({ pattern: 'stream', url: proxy.url('http', '/s'), idField: '$.seq', stream: { idleTimeoutMs: 300 }, reconnect: FAST_RECONNECT }, async (_s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length >= 5);
        proxy.cut();
        await waitFor(ev, (es) => ofKind(es, 'reconnect').length >= 1);
        await waitFor(ev, (es) => ofKind(es, 'state').filter((s) => s.state === 'open').length >= 2);
        proxy.stall();
        await waitFor(ev, (es) => ofKind(es, 'reconnect').length >= 2, 5000);
        proxy.resume();
        await waitFor(ev, (es) => ofKind(es, 'state').filter((s) => s.state === 'open').length >= 3);
        // ~45-byte lines at 300 B/s arrive in pieces; each must still be one whole frame.
        proxy.slow(300);
        const n = dataFrames(ev).length;
        await waitFor(ev, (es) => dataFrames(es).length >= n + 5, 8000);
        proxy.resume();
      });
      checkInvariants(events);
      const recs = ofKind(events, 'reconnect');
      assert.ok(recs.length >= 2);
      assert.doesNotMatch(recs[0].cause, /idle/);
      assert.match(recs[1].cause, /idle timeout: nothing received for 300 ms/);
      assert.ok(ofKind(events, 'error').some((e) => e.code === 'ERR_IDLE_TIMEOUT'));
      const idCheck = summaryOf(events).idCheck as { unidentified: number; checked: number };
      assert.equal(idCheck.unidentified, 0, 'every line, slow or not, was whole JSON');
      assert.ok(anomalies(events, 'gap').length >= 1, 'the ticks missed while reconnecting are a gap (no resume in this stream)');
      figures.injected += proxy.injected;
      figures.anomaliesExpected += srv.tick.unheard > 0 ? 1 : 0;
      figures.anomaliesFlagged += srv.tick.unheard > 0 && anomalies(events, 'gap').length > 0 ? 1 : 0;
      tallyRecovery(2, ofKind(events, 'state').filter((s) => s.state === 'open').length - 1);
    } finally {
      await proxy.close();
      await srv.close();
    }
  });

  it('HTTP stream: the server killed mid-stream and started again on the same port; refused attempts are logged until it is back', async () => {
    const feed = await ndjsonFeed(20);
    const port = feed.port;
    let second: HttpTestServer | undefined;
    try {
      const events = await drive({ pattern: 'stream', url: `${feed.url}/s`, idField: '$.seq', reconnect: { initialDelayMs: 40, maxDelayMs: 80, jitter: 0, maxAttempts: 50 } }, async (_s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length >= 5);
        feed.server.closeAllConnections();
        await new Promise<void>((r) => feed.server.close(() => r()));
        await waitFor(ev, (es) => ofKind(es, 'reconnect').some((r) => /refused/i.test(r.cause)), 5000);
        const { createServer } = await import('node:http');
        const again = createServer(feed.handler);
        await new Promise<void>((resolve, reject) => {
          again.once('error', reject);
          again.listen(port, '127.0.0.1', () => resolve());
        });
        second = { server: again, port, url: feed.url, close: async () => { again.closeAllConnections(); await new Promise<void>((r) => again.close(() => r())); } };
        await waitFor(ev, (es) => ofKind(es, 'state').filter((s) => s.state === 'open').length >= 2, 5000);
        const n = dataFrames(ev).length;
        await waitFor(ev, (es) => dataFrames(es).length >= n + 3);
      });
      checkInvariants(events);
      const recs = ofKind(events, 'reconnect');
      assert.doesNotMatch(recs[0].cause, /refused/, 'the first cause is the drop itself');
      assert.ok(recs.some((r) => /Connection refused/.test(r.cause)));
      figures.injected += 1;
      tallyRecovery(1, ofKind(events, 'state').filter((s) => s.state === 'open').length - 1);
    } finally {
      feed.tick.stop();
      await second?.close();
    }
  });

  it('long polling with a cursor: a cut mid-hold and a stall (client timeout) lose nothing', async () => {
    let produced = 0;
    const waiting = new Set<() => void>();
    const timer = setInterval(() => {
      produced++;
      for (const w of [...waiting]) w();
    }, 30);
    const srv = await httpServer((req, res) => {
      const cursor = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('cursor') ?? '0');
      const answer = () => {
        waiting.delete(answer);
        if (res.writableEnded || res.destroyed) return;
        const seq = cursor + 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ seq, cursor: seq }));
      };
      if (produced > cursor) answer();
      else {
        waiting.add(answer);
        res.on('close', () => waiting.delete(answer));
      }
    });
    const proxy = await FaultProxy.start(srv.port);
    try {
      const events = await drive({ pattern: 'long-poll', url: proxy.url('http', '/lp'), idField: '$.seq', longPoll: { cursorField: '$.cursor', timeoutMs: 400 }, reconnect: FAST_RECONNECT }, async (_s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length >= 5);
        // Cut while a request is held by the server, so the fault lands mid-hold.
        await until(() => waiting.size > 0 && proxy.open > 0);
        assert.ok(proxy.cut() > 0, 'a held request was cut');
        await waitFor(ev, (es) => ofKind(es, 'reconnect').some((r) => r.cause !== 'client timeout'));
        const n = dataFrames(ev).length;
        await waitFor(ev, (es) => dataFrames(es).length >= n + 3);
        proxy.stall();
        await waitFor(ev, (es) => ofKind(es, 'reconnect').some((r) => r.cause === 'client timeout'), 5000);
        proxy.resume();
        const m = dataFrames(ev).length;
        await waitFor(ev, (es) => dataFrames(es).length >= m + 5, 5000);
      });
      checkInvariants(events);
      const recs = ofKind(events, 'reconnect');
      const cutRec = recs.find((r) => r.cause !== 'client timeout') as ReconnectEvent;
      assert.equal(typeof cutRec.meta?.cursor, 'string', 'the resume token is in the reconnect story');
      const back = reopened(events)[0];
      assert.ok(back && typeof back.meta?.downtimeMs === 'number' && back.meta.downtimeMs >= 0, 'the reopen says how long it was down');
      const timeoutRec = recs.find((r) => r.cause === 'client timeout') as ReconnectEvent;
      assert.equal(timeoutRec.meta?.limitMs, 400);
      const seqs = dataFrames(events).map((f) => (JSON.parse(f.data) as { seq: number }).seq);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
      assert.deepEqual(summaryOf(events).anomalies, { duplicate: 0, gap: 0, 'out-of-order': 0 });
      figures.injected += proxy.injected;
      figures.lostWithResume += missingIn(events);
      tallyRecovery(2, 2);
    } finally {
      clearInterval(timer);
      await proxy.close();
      await srv.close();
    }
  });

  it('short polling: refused connections are errors naming the next poll, and polling recovers when the link is back', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n }));
    });
    const proxy = await FaultProxy.start(srv.port);
    try {
      const events = await drive({ pattern: 'poll', url: proxy.url('http', '/p'), poll: { intervalMs: 40 }, reconnect: { ...FAST_RECONNECT, maxAttempts: 0 } }, async (_s, ev) => {
        await waitFor(ev, (es) => dataFrames(es).length >= 3);
        proxy.refuse();
        await waitFor(ev, (es) => ofKind(es, 'error').length >= 2, 5000);
        proxy.resume();
        const m = dataFrames(ev).filter((f) => f.meta?.status === 200).length;
        await waitFor(ev, (es) => dataFrames(es).filter((f) => f.meta?.status === 200).length >= m + 3, 5000);
      });
      checkInvariants(events);
      const errs = ofKind(events, 'error');
      assert.ok(errs.length >= 2);
      assert.ok(errs.every((e) => /next poll in \d+ ms/.test(e.message) && !e.message.includes('\n')), JSON.stringify(errs[0]));
      const lastErr = events.lastIndexOf(errs.at(-1) as WireEvent);
      assert.ok(dataFrames(events.slice(lastErr)).length >= 3, 'polls succeed after the fault');
      figures.injected += proxy.injected;
      tallyRecovery(1, 1);
    } finally {
      await proxy.close();
      await srv.close();
    }
  });
});
