import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelMatcher, checkIdField, SequenceCheck } from '../../../src/core/sequenceCheck';
import type { AnomalyEvent, EventBody, FrameEvent, SummaryEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession, wsServer } from '../../helpers/servers';

/** Feeds synthetic frames straight into a check and keeps what it adds. */
function harness(idField: string, window?: number, channel?: string) {
  const check = new SequenceCheck(idField, { window, channel });
  const added: EventBody[] = [];
  let seq = 0;
  const sink = { emitExtra: (b: EventBody) => void added.push(b) };
  const frame = (data: string, meta?: Record<string, unknown>, extra: Partial<FrameEvent> = {}): void => {
    const e: FrameEvent = { seq: ++seq, t: seq, ts: 1.7e12, kind: 'frame', dir: 'in', size: data.length, encoding: 'utf8', data, ...(meta ? { meta } : {}), ...extra };
    check.onEvent(e, sink);
  };
  const reconnect = (attempt = 1): void => {
    check.onEvent({ seq: ++seq, t: seq, ts: 1.7e12, kind: 'reconnect', attempt, delayMs: 10, cause: 'test drop' }, sink);
  };
  const anomalies = () => added.filter((b) => b.kind === 'anomaly') as unknown as AnomalyEvent[];
  return { check, added, frame, reconnect, anomalies };
}

describe('SequenceCheck', () => {
  it('a clean increasing run gives no anomalies and counts every frame', () => {
    const h = harness('$.seq');
    for (let i = 1; i <= 50; i++) h.frame(JSON.stringify({ seq: i }));
    assert.equal(h.added.length, 0);
    const s = h.check.summary() as { anomalies: Record<string, number>; idCheck: { checked: number; unidentified: number } };
    assert.deepEqual(s.anomalies, { duplicate: 0, gap: 0, 'out-of-order': 0 });
    assert.equal(s.idCheck.checked, 50);
    assert.equal(s.idCheck.unidentified, 0);
  });

  it('a channel narrows the check: frames on other channels are neither checked nor flagged; * is a wildcard', () => {
    const h = harness('$.seq', undefined, 'feed/*');
    h.frame('{"hello":1}', undefined, { channel: 'welcome' });
    for (const n of [1, 2, 4]) h.frame(JSON.stringify({ seq: n }), undefined, { channel: `feed/${n % 2 ? 'a' : 'b'}` });
    h.frame('{"seq":1}', undefined, { channel: 'other' });
    assert.deepEqual(h.added.map((b) => (b.kind === 'anomaly' ? `${b.type}:${String(b.key)}` : b.kind)), ['gap:4']);
    const s = h.check.summary() as { idCheck: { checked: number; unidentified: number } };
    assert.deepEqual([s.idCheck.checked, s.idCheck.unidentified], [3, 0]);
    const exact = channelMatcher('tick');
    assert.deepEqual(['tick', 'ticks', 'tic', undefined].map((c) => exact(c)), [true, false, false, false]);
    const glob = channelMatcher('a.*+b');
    assert.deepEqual(['a.x+b', 'a.+b', 'aX+b', 'a.x+bc', undefined].map((c) => glob(c)), [true, true, false, false, false]);
  });

  it('a duplicate the broker marked as a redelivery (AMQP redelivered, MQTT dup) says so; an unmarked one does not; redeliveries are counted', () => {
    const h = harness('$.seq');
    h.frame('{"seq":1}', { redelivered: false });
    h.frame('{"seq":1}', { redelivered: true });
    h.frame('{"seq":2}', { qos: 1, dup: true });
    h.frame('{"seq":2}');
    assert.deepEqual(
      h.anomalies().map((x) => [x.type, x.key, x.meta?.redelivered ?? false]),
      [
        ['duplicate', 1, true],
        ['duplicate', 2, false],
      ],
    );
    const s = h.check.summary() as { idCheck: { redeliveries?: number; checked: number } };
    assert.deepEqual([s.idCheck.redeliveries, s.idCheck.checked], [2, 4]);
  });

  it('flags a gap with its range and missing count, a duplicate, and a late arrival as out-of-order', () => {
    const h = harness('$.seq');
    for (const n of [1, 2, 3, 7, 7, 5, 8]) h.frame(JSON.stringify({ seq: n }));
    const a = h.anomalies();
    assert.deepEqual(
      a.map((x) => [x.type, x.key, x.expected, x.got]),
      [
        ['gap', 7, 4, 7],
        ['duplicate', 7, undefined, undefined],
        ['out-of-order', 5, 8, 5],
      ],
    );
    assert.deepEqual(a[0].meta, { range: [4, 6], missing: 3 });
    assert.deepEqual(h.check.anomalies, { duplicate: 1, gap: 1, 'out-of-order': 1 });
  });

  it('marks the replay after a reconnect and accounts replayed vs missing per reconnect', () => {
    const h = harness('sse-id');
    for (let i = 1; i <= 5; i++) h.frame('x', { id: String(i) });
    h.reconnect(1);
    h.reconnect(2); // a second attempt of the same outage is not a new outage
    for (let i = 3; i <= 5; i++) h.frame('x', { id: String(i) });
    h.frame('x', { id: '9' });
    h.reconnect(1);
    h.frame('x', { id: '10' });
    const a = h.anomalies();
    assert.equal(a.filter((x) => x.type === 'duplicate').length, 3);
    assert.ok(a.filter((x) => x.type === 'duplicate').every((x) => x.meta?.afterReconnect === true));
    const gap = a.find((x) => x.type === 'gap');
    assert.deepEqual(gap?.meta, { range: [6, 8], missing: 3, afterReconnect: true });
    assert.deepEqual(
      h.check.reconnects.map((r) => [r.attempt, r.replayed, r.missing]),
      [
        [1, 3, 3],
        [1, 0, 0],
      ],
    );
  });

  it('non-numeric keys are checked for duplicates only', () => {
    const h = harness('$.id');
    for (const id of ['a', 'b', 'c', 'b']) h.frame(JSON.stringify({ id }));
    assert.deepEqual(
      h.anomalies().map((x) => [x.type, x.key]),
      [['duplicate', 'b']],
    );
  });

  it('remembers a bounded window of keys: an evicted numeric key that returns reads as out-of-order', () => {
    const h = harness('$.n', 3);
    for (const n of [1, 2, 3, 4, 5]) h.frame(`{"n":${n}}`);
    h.frame('{"n":4}'); // still in the window of 3 (3, 4, 5)
    h.frame('{"n":1}'); // evicted
    assert.deepEqual(
      h.anomalies().map((x) => x.type),
      ['duplicate', 'out-of-order'],
    );
  });

  it('reads header:Name in any case, prop:name from MQTT 5 user properties and nested JSON paths', () => {
    const hh = harness('header:X-Delivery-Id');
    hh.frame('', { headers: { 'x-delivery-id': '1' } });
    hh.frame('', { headers: { 'x-delivery-id': '3' } });
    assert.deepEqual(hh.anomalies().map((x) => x.type), ['gap']);

    const hp = harness('prop:seq');
    hp.frame('', { properties: { userProperties: { seq: '10' } } });
    hp.frame('', { properties: { userProperties: { seq: ['10', 'x'] } } });
    assert.deepEqual(hp.anomalies().map((x) => x.type), ['duplicate']);

    const hj = harness('$.data.items[0].id');
    hj.frame(JSON.stringify({ data: { items: [{ id: 1 }] } }));
    hj.frame(JSON.stringify({ data: { items: [{ id: 2 }] } }));
    hj.frame(JSON.stringify({ data: { items: [{ id: 2 }] } }));
    assert.deepEqual(hj.anomalies().map((x) => x.type), ['duplicate']);

    // meta:name reads a field of the frame's meta (a Redis stream entry id): duplicates of any key, gaps of numbers.
    const hm = harness('meta:id');
    hm.frame('', { id: '1700000000000-0' });
    hm.frame('', { id: '1700000000000-1' });
    hm.frame('', { id: '1700000000000-0' });
    hm.frame('', { fields: {} });
    assert.deepEqual(hm.anomalies().map((x) => x.type), ['duplicate']);
    assert.match(checkIdField('meta:') ?? '', /name a meta field, e\.g\. meta:id/);
  });

  it('broken JSON gives one error per burst, counted, and checking resumes afterwards', () => {
    const h = harness('$.seq');
    h.frame('{"seq":1}');
    for (let i = 0; i < 100; i++) h.frame('{"seq": 2'); // a burst of broken frames
    h.frame('{"seq":2}');
    h.frame('not json either');
    h.frame('{"nope":1}');
    h.frame('{"seq":3}');
    const errors = h.added.filter((b) => b.kind === 'error') as { message: string; code?: string }[];
    assert.equal(errors.length, 2, 'one error for each of the two bursts');
    assert.equal(errors[0].code, 'ERR_ID_NOT_JSON');
    assert.match(errors[0].message, /not valid JSON, so \$\.seq cannot be read/);
    assert.ok(errors.every((e) => !e.message.includes('\n')));
    const s = h.check.summary() as { idCheck: { checked: number; unidentified: number; notJson: number } };
    assert.equal(s.idCheck.checked, 3);
    assert.equal(s.idCheck.unidentified, 102);
    assert.equal(s.idCheck.notJson, 101);
    assert.equal(h.anomalies().length, 0);
  });

  it('control frames and outbound frames are not checked', () => {
    const h = harness('$.seq');
    h.frame('{"seq":1}');
    h.frame('{"seq":1}', { control: true });
    h.frame('{"seq":1}', undefined, { dir: 'out' });
    assert.equal(h.added.length, 0);
  });

  it('checkIdField explains a bad field in one line', () => {
    assert.equal(checkIdField('$.seq'), undefined);
    assert.equal(checkIdField('sse-id'), undefined);
    assert.match(checkIdField('$.a[') ?? '', /^Invalid id field: Invalid JSON path/);
    assert.match(checkIdField('seq') ?? '', /use sse-id, a JSON path like \$\.seq, header:Name, prop:name or meta:name/);
    assert.match(checkIdField('header:') ?? '', /name a header/);
  });
});

describe('SequenceCheck in a Session (options.idField)', () => {
  it('a WebSocket feed that skips and repeats numbers gives ordered anomaly events and summary counters', async () => {
    const seqs = [1, 2, 3, 6, 6, 4, 7];
    const srv = await wsServer((wss) => wss.on('connection', (ws) => seqs.forEach((n) => ws.send(JSON.stringify({ seq: n, v: 'x' })))));
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, idField: '$.seq', count: seqs.length });
      checkInvariants(events);
      const a = ofKind(events, 'anomaly');
      assert.deepEqual(a.map((x) => x.type), ['gap', 'duplicate', 'out-of-order']);
      assert.deepEqual(a[0].meta, { range: [4, 5], missing: 2 });
      // Each anomaly follows the frame it is about.
      for (const x of a) {
        const prev = events[events.indexOf(x) - 1] as WireEvent;
        assert.equal(prev.kind, 'frame');
        assert.equal(JSON.parse((prev as FrameEvent).data).seq, x.key);
      }
      const summary = events.at(-1) as SummaryEvent;
      assert.deepEqual(summary.anomalies, { duplicate: 1, gap: 1, 'out-of-order': 1 });
      assert.equal((summary.idCheck as { checked: number }).checked, 7);
    } finally {
      await srv.close();
    }
  });

  it('a bad id field fails the session with one line before connecting', async () => {
    let hits = 0;
    const srv = await httpServer((_req, res) => {
      hits++;
      res.end();
    });
    try {
      const events = await runSession({ pattern: 'http', url: srv.url, idField: 'seq' });
      checkInvariants(events);
      const err = ofKind(events, 'error')[0];
      assert.match(err.message, /^Invalid id field "seq"/);
      assert.equal((events.at(-1) as SummaryEvent).state, 'failed');
      assert.equal(hits, 0);
    } finally {
      await srv.close();
    }
  });
});
