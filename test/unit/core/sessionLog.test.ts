import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter } from '../../../src/core/logFilter';
import { SessionLog } from '../../../src/core/sessionLog';
import { Session } from '../../../src/core/session';
import type { FrameEvent, WireEvent } from '../../../src/shared/events';
import { wsServer } from '../../helpers/servers';

const T0 = 1_700_000_000_000;

/** Builds events the way a Session stamps them: seq from 1, t in ms, ts = epoch. */
function maker() {
  let seq = 0;
  const stamp = (tMs: number) => ({ seq: ++seq, t: tMs, ts: Math.floor(T0 + tMs) });
  return {
    frame(data: string, extra: Partial<FrameEvent> = {}, tMs = seq): FrameEvent {
      return { ...stamp(tMs), kind: 'frame', dir: 'in', size: Buffer.byteLength(data), encoding: 'utf8', data, ...extra };
    },
    state(state: 'connecting' | 'open' | 'reconnecting' | 'closed', reason?: string, meta?: Record<string, unknown>): WireEvent {
      const e: WireEvent = { ...stamp(seq), kind: 'state', state };
      if (reason !== undefined) e.reason = reason;
      if (meta !== undefined) e.meta = meta;
      return e;
    },
    error(message: string): WireEvent {
      return { ...stamp(seq), kind: 'error', message };
    },
    reconnect(cause: string): WireEvent {
      return { ...stamp(seq), kind: 'reconnect', attempt: 1, delayMs: 500, cause };
    },
    anomaly(key: number): WireEvent {
      return { ...stamp(seq), kind: 'anomaly', type: 'gap', key, expected: key - 1, got: key };
    },
    timing(): WireEvent {
      return { ...stamp(seq), kind: 'timing', phases: { dns: null, connect: 1, tls: null, ttfb: 2, download: 3, total: 6 } };
    },
  };
}

const seqsOf = (es: WireEvent[]) => es.map((e) => e.seq);

describe('SessionLog storage', () => {
  it('gives back every event exactly as appended, by seq, by range and by iteration', () => {
    const m = maker();
    const events: WireEvent[] = [
      m.state('connecting'),
      m.timing(),
      m.state('open', undefined, { status: 101, headers: { server: 'unit' } }),
      m.frame('hello'),
      m.frame('AAEC/w==', { encoding: 'base64', size: 4 }),
      m.frame('ping', { dir: 'out', meta: { control: true, opcode: 9 } }),
      m.frame('x'.repeat(10), { truncated: true, size: 5000, channel: 'news', meta: { qos: 1 } }),
      m.error('Connection reset by the server'),
      m.state('closed', 'bye'),
    ];
    const log = new SessionLog();
    for (const e of events) log.append(e);
    assert.equal(log.size, events.length);
    assert.equal(log.lastSeq, events.length);
    assert.equal(log.dropped, 0);
    for (const e of events) assert.deepEqual(log.get(e.seq), e);
    assert.equal(log.get(0), undefined);
    assert.equal(log.get(events.length + 1), undefined);
    assert.deepEqual(log.range(4, 6), events.slice(3, 6));
    assert.deepEqual(log.range(8), events.slice(7));
    assert.deepEqual(log.range(2, 100, 2), events.slice(1, 3));
    assert.deepEqual(log.range(6, 5), []);
    assert.deepEqual([...log], events);
    // Key order matches what a Session emits, so serialised rows read the same.
    assert.deepEqual(Object.keys(log.get(7)!), ['seq', 't', 'ts', 'kind', 'dir', 'size', 'encoding', 'data', 'truncated', 'channel', 'meta']);
  });

  it('caps by event count as a ring and counts what it dropped', () => {
    const m = maker();
    const log = new SessionLog({ maxEvents: 100 });
    for (let i = 1; i <= 2500; i++) log.append(m.frame(`msg ${i}`));
    assert.equal(log.size, 100);
    assert.equal(log.dropped, 2400);
    assert.equal(log.lastSeq, 2500);
    assert.equal(log.get(2400), undefined);
    assert.equal((log.get(2401) as FrameEvent).data, 'msg 2401');
    assert.equal((log.get(2500) as FrameEvent).data, 'msg 2500');
    assert.deepEqual(seqsOf(log.range(1)), Array.from({ length: 100 }, (_, i) => 2401 + i));
    assert.deepEqual(seqsOf([...log]), Array.from({ length: 100 }, (_, i) => 2401 + i));
    assert.equal(log.stats().events, 100);
    assert.equal(log.stats().dropped, 2400);
    assert.equal(log.stats().framesIn, 2500, 'counts cover dropped frames too');
  });

  it('caps by estimated bytes: large payloads push out old events', () => {
    const m = maker();
    const log = new SessionLog({ maxBytes: 100_000 });
    const big = 'y'.repeat(10_000);
    for (let i = 0; i < 50; i++) log.append(m.frame(big));
    assert.ok(log.bytes <= 100_000, `bytes ${log.bytes}`);
    assert.ok(log.size >= 9 && log.size < 10, `size ${log.size}`);
    assert.equal(log.size + log.dropped, 50);
    assert.equal((log.get(50) as FrameEvent).data, big);
    // A single event larger than the cap is still kept, alone.
    log.append(m.frame('z'.repeat(200_000)));
    assert.equal(log.size, 1);
    assert.equal((log.get(51) as FrameEvent).data.length, 200_000);
  });

  it('keeps the timeline through a frame flood that evicts everything else', () => {
    const m = maker();
    const log = new SessionLog({ maxEvents: 50 });
    const story = [m.state('connecting'), m.timing(), m.state('open'), m.reconnect('closed by server: 1012'), m.anomaly(7), m.error('boom')];
    for (const e of story) log.append(e);
    for (let i = 0; i < 1000; i++) log.append(m.frame('f' + i));
    assert.equal(log.get(1), undefined, 'evicted from the main log');
    assert.deepEqual(log.timeline(), story);
    const s = log.stats();
    assert.equal(s.reconnects, 1);
    assert.equal(s.anomalies, 1);
  });

  it('bounds the timeline itself', () => {
    const m = maker();
    const log = new SessionLog({ maxTimeline: 100 });
    for (let i = 0; i < 1000; i++) log.append(m.error('e' + i));
    const tl = log.timeline();
    assert.ok(tl.length <= 100 && tl.length >= 90, `timeline ${tl.length}`);
    assert.equal(tl[tl.length - 1].seq, 1000);
    assert.equal(log.timelineDropped + tl.length, 1000);
  });

  it('copies a truncated preview so the log does not pin the whole payload', () => {
    const m = maker();
    const whole = 'abc'.repeat(100_000);
    const log = new SessionLog();
    log.append(m.frame(whole.slice(0, 64), { truncated: true, size: whole.length }));
    const f = log.get(1) as FrameEvent;
    assert.equal(f.data, whole.slice(0, 64));
    assert.equal(f.size, 300_000);
    assert.equal(f.truncated, true);
  });

  it('keeps previews exactly: non-ASCII, emoji, base64, empty and long ones', () => {
    const m = maker();
    const log = new SessionLog();
    const samples = ['', 'plain', 'héllo wörld', '日本語のテキスト', 'emoji 😀 pair', 'line\nbreak\u0000nul', 'q'.repeat(5000), 'ä'.repeat(2048)];
    for (const s of samples) log.append(m.frame(s));
    log.append(m.frame('AAEC/w==', { encoding: 'base64', size: 4 }));
    assert.deepEqual(
      [...log].map((e) => (e as FrameEvent).data),
      [...samples, 'AAEC/w=='],
    );
    const v = log.createView({ text: 'WÖRLD' });
    assert.deepEqual(seqsOf(v.rows(0, 10)), [3], 'case-insensitive search decodes non-ASCII text');
    assert.deepEqual(seqsOf(log.createView({ text: '😀' }).rows(0, 10)), [5]);
  });

  it('releases payload memory as the ring evicts', () => {
    const m = maker();
    const log = new SessionLog({ maxEvents: 1000 });
    const payload = 'p'.repeat(1000);
    for (let i = 1; i <= 100_000; i++) log.append(m.frame(payload + i));
    assert.equal(log.size, 1000);
    // 1000 retained previews of ~1 KB need about 1 MB; 100 MB went through.
    assert.ok(log.arenaBytes <= 2 * 1024 * 1024, `arena holds ${log.arenaBytes} bytes`);
    assert.equal((log.get(99_001) as FrameEvent).data, payload + 99_001);
    assert.equal((log.get(100_000) as FrameEvent).data, payload + 100_000);
    // A search over previews spread across several arena blocks, including the one being written.
    assert.deepEqual(seqsOf(log.createView({ text: 'P99999' }).rows(0, 10)), [99_999]);
    assert.deepEqual(seqsOf(log.createView({ text: 'p100000$', regex: true }).rows(0, 10)), [100_000]);
    assert.equal(log.createView({ text: 'p99000' }).total, 0, 'evicted previews are not found');
    log.clear();
    assert.equal(log.arenaBytes, 0);
  });

  it('survives a malformed frame event instead of throwing', () => {
    const log = new SessionLog();
    const bad = { seq: 1, t: 0, ts: T0, kind: 'frame', dir: 'in', size: 0, encoding: 'utf8' } as unknown as FrameEvent;
    log.append(bad);
    assert.equal((log.get(1) as FrameEvent).data, '');
    assert.equal(log.createView({ text: 'x' }).total, 0);
  });

  it('still finds events when seqs arrive out of order', () => {
    const log = new SessionLog();
    const mk = (seq: number): FrameEvent => ({ seq, t: seq, ts: T0, kind: 'frame', dir: 'in', size: 1, encoding: 'utf8', data: String(seq) });
    for (const s of [5, 6, 3, 9]) log.append(mk(s));
    assert.equal((log.get(3) as FrameEvent).data, '3');
    assert.equal((log.get(9) as FrameEvent).data, '9');
    assert.equal(log.get(4), undefined);
    assert.deepEqual(seqsOf(log.range(4, 8)), [5, 6]);
  });

  it('clear() forgets events, counts and timeline but keeps lastSeq', () => {
    const m = maker();
    const log = new SessionLog({ maxEvents: 10 });
    log.append(m.state('open'));
    for (let i = 0; i < 20; i++) log.append(m.frame('a'));
    log.clear();
    assert.equal(log.size, 0);
    assert.equal(log.dropped, 0);
    assert.equal(log.lastSeq, 21);
    assert.deepEqual(log.timeline(), []);
    assert.deepEqual([...log], []);
    assert.equal(log.stats().framesIn, 0);
    log.append(m.frame('after'));
    assert.equal((log.get(22) as FrameEvent).data, 'after');
    assert.equal(log.size, 1);
  });
});

describe('SessionLog stats', () => {
  it('counts frames and bytes per direction, rates over the last second, and inter-arrival', () => {
    const m = maker();
    const log = new SessionLog();
    log.append(m.frame('old', {}, 0)); // t=0, one frame long before the window
    for (let i = 0; i < 10; i++) log.append(m.frame('1234567890', {}, 5000 + i * 50));
    log.append(m.frame('out!', { dir: 'out' }, 5500));
    const s = log.stats(T0 + 5600);
    assert.equal(s.framesIn, 11);
    assert.equal(s.framesOut, 1);
    assert.equal(s.bytesIn, 3 + 100);
    assert.equal(s.bytesOut, 4);
    assert.equal(s.msgsPerSec, 11, '10 in + 1 out inside the last second');
    assert.equal(s.bytesPerSec, 104);
    assert.equal(s.interArrivalMs, 50);
    const later = log.stats(T0 + 10_000);
    assert.equal(later.msgsPerSec, 0, 'rates fall to zero when the feed stops');
    assert.equal(later.bytesPerSec, 0);
    assert.equal(new SessionLog().stats().interArrivalMs, null);
  });

  it('starts a fresh rate bucket when a later burst lands on a reused slot', () => {
    const m = maker();
    const log = new SessionLog();
    // A burst stamped with one time, then another burst 1.6 s later: same bucket slot, new second.
    for (let i = 0; i < 50; i++) log.append(m.frame('a', {}, 1000));
    for (let i = 0; i < 7; i++) log.append(m.frame('bb', {}, 2600));
    const s = log.stats(T0 + 2650);
    assert.equal(s.msgsPerSec, 7, 'only the second burst is inside the last second');
    assert.equal(s.bytesPerSec, 14);
    assert.equal(s.framesIn, 57);
  });
});

describe('SessionLog views and filters', () => {
  function sample(): { log: SessionLog; m: ReturnType<typeof maker> } {
    const m = maker();
    const log = new SessionLog();
    log.append(m.state('connecting'));
    log.append(m.state('open', undefined, { headers: { 'x-trace': 'Trace-ABC' } }));
    log.append(m.frame('{"price": 10}', { channel: 'prices' }));
    log.append(m.frame('Hello World', { channel: 'chat' }));
    log.append(m.frame('', { dir: 'out', meta: { control: true, opcode: 9 } }));
    log.append(m.frame('subscribe prices', { dir: 'out' }));
    log.append(m.reconnect('pong timeout'));
    log.append(m.anomaly(42));
    log.append(m.error('TLS failure: certificate expired'));
    log.append(m.frame('meta only', { meta: { headers: { 'content-type': 'text/event-stream; MAGIC' } } }));
    log.append(m.state('closed', 'server said goodbye'));
    return { log, m };
  }
  const rowsOf = (log: SessionLog, filter: Parameters<SessionLog['createView']>[0]) => {
    const v = log.createView(filter);
    const rows = v.rows(0, 1000);
    assert.equal(rows.length, v.total);
    v.dispose();
    return seqsOf(rows);
  };

  it('an empty filter shows everything', () => {
    const { log } = sample();
    assert.deepEqual(rowsOf(log, {}), Array.from({ length: 11 }, (_, i) => i + 1));
  });

  it('filters by direction, kinds, channel, control frames and anomalies', () => {
    const { log } = sample();
    assert.deepEqual(rowsOf(log, { dirs: ['out'], kinds: ['frame'] }), [5, 6]);
    assert.deepEqual(rowsOf(log, { dirs: ['in'], kinds: ['frame'] }), [3, 4, 10]);
    assert.deepEqual(rowsOf(log, { dirs: ['in', 'out'], kinds: ['frame'] }), [3, 4, 5, 6, 10]);
    assert.deepEqual(rowsOf(log, { dirs: ['out'] }), [1, 2, 5, 6, 7, 8, 9, 11], 'dirs narrows frames only');
    assert.deepEqual(rowsOf(log, { kinds: ['state', 'error'] }), [1, 2, 9, 11]);
    assert.deepEqual(rowsOf(log, { kinds: [] }), []);
    assert.deepEqual(rowsOf(log, { kinds: ['frame'], channel: 'prices' }), [3]);
    assert.deepEqual(rowsOf(log, { kinds: ['frame'], hideControl: true }), [3, 4, 6, 10]);
    assert.deepEqual(rowsOf(log, { anomaliesOnly: true }), [8]);
  });

  it('searches text case-insensitively in payloads, channels, reasons, messages and header values', () => {
    const { log } = sample();
    assert.deepEqual(rowsOf(log, { text: 'hello' }), [4]);
    assert.deepEqual(rowsOf(log, { text: 'PRICES' }), [3, 6], 'channel and payload');
    assert.deepEqual(rowsOf(log, { text: 'goodbye' }), [11], 'state reason');
    assert.deepEqual(rowsOf(log, { text: 'expired' }), [9], 'error message');
    assert.deepEqual(rowsOf(log, { text: 'trace-abc' }), [2], 'header value on a state event');
    assert.deepEqual(rowsOf(log, { text: 'magic' }), [10], 'header value on a frame');
    assert.deepEqual(rowsOf(log, { text: 'pong timeout' }), [7], 'reconnect cause');
    assert.deepEqual(rowsOf(log, { text: '{"price"' }), [3], 'regex metacharacters are literal in text mode');
    assert.deepEqual(rowsOf(log, { text: 'nothing like this' }), []);
    assert.deepEqual(rowsOf(log, { text: 'o', kinds: ['frame'], dirs: ['in'] }), [4, 10], 'text combines with the other parts');
  });

  it('searches with a regex, and rejects an invalid one with a one-line message', () => {
    const { log } = sample();
    assert.deepEqual(rowsOf(log, { text: '^hel+o\\s', regex: true }), [4]);
    assert.deepEqual(rowsOf(log, { text: '"price":\\s*\\d+', regex: true }), [3]);
    assert.throws(
      () => log.createView({ text: '(unclosed', regex: true }),
      (err: Error) => /^Invalid regular expression \/\(unclosed\/: /.test(err.message) && !err.message.includes('\n'),
    );
    assert.throws(() => log.createView({ text: 'x'.repeat(1001) }), /too long/);
  });

  it('keeps views current as events are appended, and correct after eviction', () => {
    const m = maker();
    const log = new SessionLog({ maxEvents: 1000 });
    const even = log.createView({ text: 'even' });
    const all = log.createView({});
    assert.equal(even.total, 0);
    assert.notEqual(even.filterId, all.filterId);
    for (let i = 1; i <= 600; i++) log.append(m.frame(i % 2 === 0 ? `even ${i}` : `odd ${i}`));
    assert.equal(even.total, 300);
    assert.equal(all.total, 600);
    assert.deepEqual(
      even.rows(0, 3).map((e) => (e as FrameEvent).data),
      ['even 2', 'even 4', 'even 6'],
    );
    for (let i = 601; i <= 3000; i++) log.append(m.frame(i % 2 === 0 ? `even ${i}` : `odd ${i}`));
    // Only seqs 2001..3000 remain: 500 even ones.
    assert.equal(log.size, 1000);
    assert.equal(even.total, 500);
    assert.equal(all.total, 1000);
    assert.equal((even.rows(0, 1)[0] as FrameEvent).data, 'even 2002');
    assert.equal((even.rows(499, 10)[0] as FrameEvent).data, 'even 3000');
    assert.equal(even.rows(499, 10).length, 1);
    assert.deepEqual(even.rows(500, 10), []);
    assert.equal(all.rows(0, 1)[0].seq, 2001);
    // A view made after eviction sees the same thing.
    const late = log.createView({ text: 'EVEN 29' });
    assert.deepEqual(seqsOf(late.rows(0, 100)), [2900, 2902, 2904, 2906, 2908, 2910, 2912, 2914, 2916, 2918, ...range(2920, 2998, 2)]);
    assert.equal(even.matched, 1500, 'every even frame ever seen, evicted ones included');
    assert.equal(all.matched, 3000);
    even.dispose();
    log.append(m.frame('even 3001'));
    assert.equal(even.matched, 1500, 'a disposed view keeps its last count');
    assert.equal(even.total, 0, 'a disposed view stops updating');
    log.clear();
    assert.equal(all.total, 0);
    assert.equal(late.total, 0);
    log.append(m.frame('even 3002 after clear'));
    assert.equal(late.total, 0);
    assert.equal(all.total, 1);
  });

  it('keeps a sparse view correct across many ring wraps', () => {
    const m = maker();
    const log = new SessionLog({ maxEvents: 64 });
    const view = log.createView({ text: 'needle' });
    const everything = log.createView({});
    for (let i = 1; i <= 5000; i++) {
      log.append(m.frame(i % 7 === 0 ? `needle ${i}` : `hay ${i}`));
      if (i === 4000) assert.equal(everything.total, 64, 'a full ring keeps total flat...');
    }
    assert.equal(everything.total, 64);
    assert.equal(everything.matched, 5000, '...while matched tells how many arrived');
    assert.equal(view.matched, Math.floor(5000 / 7));
    const expected = range(4937, 5000, 1).filter((i) => i % 7 === 0);
    assert.deepEqual(seqsOf(view.rows(0, 100)), expected);
    assert.equal(view.total, expected.length);
  });
});

describe('SessionLog with a real session', () => {
  it('records a live WebSocket session losslessly', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (sock) => {
        for (let i = 0; i < 500; i++) sock.send(JSON.stringify({ i, pad: 'p'.repeat(i % 50) }));
        sock.send(Buffer.from([1, 2, 3]), { binary: true });
      }),
    );
    try {
      const session = new Session({ pattern: 'ws', url: srv.url, count: 501 });
      const log = new SessionLog({ maxEvents: 10_000 });
      const seen: WireEvent[] = [];
      session.onEvent((e) => {
        seen.push(e);
        log.append(e);
      });
      await session.start();
      await session.done;
      assert.ok(seen.length > 505);
      assert.equal(log.size, seen.length);
      assert.deepEqual(JSON.parse(JSON.stringify([...log])), JSON.parse(JSON.stringify(seen)));
      const v = log.createView({ text: '"i":499' });
      assert.equal(v.total, 1);
      assert.equal(JSON.parse((v.rows(0, 1)[0] as FrameEvent).data).i, 499);
      const s = log.stats();
      assert.equal(s.framesIn, seen.filter((e) => e.kind === 'frame' && e.dir === 'in').length);
      assert.deepEqual(
        log.timeline().map((e) => e.kind),
        seen.filter((e) => ['state', 'reconnect', 'timing', 'error', 'anomaly'].includes(e.kind)).map((e) => e.kind),
      );
    } finally {
      await srv.close();
    }
  });
});

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i += step) out.push(i);
  return out;
}

describe('compileFilter edge cases', () => {
  const ev = (body: Record<string, unknown>): WireEvent => ({ seq: 1, t: 0, ts: T0, ...body }) as unknown as WireEvent;

  it('treats an empty text, an empty channel and empty dirs as no restriction', () => {
    const f = compileFilter({ text: '', channel: '', dirs: [] });
    assert.equal(f.matchesAll, true);
    assert.equal(f.needsData, false);
    assert.equal(f.matches(ev({ kind: 'frame', dir: 'out', size: 1, encoding: 'utf8', data: 'x' })), true);
    assert.equal(compileFilter({ text: '', regex: true }).matchesAll, true);
  });

  it('searches header values given as arrays, anomaly keys and error codes', () => {
    const frame = ev({ kind: 'frame', dir: 'in', size: 0, encoding: 'utf8', data: '', meta: { headers: { 'set-cookie': ['a=1', 'Session=XYZ'] } } });
    assert.equal(compileFilter({ text: 'session=xyz' }).matches(frame), true);
    assert.equal(compileFilter({ text: 'a=2' }).matches(frame), false);
    assert.equal(compileFilter({ text: 'order-77' }).matches(ev({ kind: 'anomaly', type: 'duplicate', key: 'order-77' })), true);
    assert.equal(compileFilter({ text: 'ECONNRESET' }).matches(ev({ kind: 'error', message: 'reset', code: 'ECONNRESET' })), true);
    // Header names are not searched, only values: a search for a name must not match every request.
    assert.equal(compileFilter({ text: 'set-cookie' }).matches(frame), false);
  });

  it('applies kinds to every event but dirs, channel and hideControl to frames only', () => {
    const state = ev({ kind: 'state', state: 'open' });
    assert.equal(compileFilter({ dirs: ['out'], channel: 'x', hideControl: true }).matches(state), true);
    assert.equal(compileFilter({ kinds: ['frame'] }).matches(state), false);
    // The parts combine with AND: an anomaly passes anomaliesOnly, but not a kinds list without 'anomaly'.
    assert.equal(compileFilter({ anomaliesOnly: true, kinds: ['anomaly'] }).matches(ev({ kind: 'anomaly', type: 'gap', key: 3 })), true);
    assert.equal(compileFilter({ anomaliesOnly: true, kinds: ['frame'] }).matches(ev({ kind: 'anomaly', type: 'gap', key: 3 })), false);
    assert.equal(
      compileFilter({ anomaliesOnly: true }).matches(ev({ kind: 'frame', dir: 'in', size: 0, encoding: 'utf8', data: '' })),
      false,
    );
  });
});
