// The activity strip's aggregates: rates per bucket over the whole session (buckets double their
// width as it grows, keeping totals), state bands, markers, and request latency percentiles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTIVITY_BUCKETS, ActivityTracker } from '../../../src/core/activity';
import type { WireEvent } from '../../../src/shared/events';

let seq = 0;
function ev(t: number, body: Record<string, unknown>): WireEvent {
  return { seq: ++seq, t, ts: 1_700_000_000_000 + t, ...body } as unknown as WireEvent;
}
const frame = (t: number, dir: 'in' | 'out', size: number) => ev(t, { kind: 'frame', dir, size, encoding: 'utf8', data: 'x' });

test('rates per second in and out, totals kept when the buckets widen', () => {
  seq = 0;
  const a = new ActivityTracker();
  a.add(ev(0, { kind: 'state', state: 'connecting' }));
  a.add(ev(1, { kind: 'state', state: 'open' }));
  // 10 frames in and 2 out in the first 250 ms bucket.
  for (let i = 0; i < 10; i++) a.add(frame(10 + i, 'in', 100));
  a.add(frame(30, 'out', 50));
  a.add(frame(31, 'out', 50));
  let s = a.snapshot(200);
  assert.equal(s.bucketMs, 250);
  assert.equal(s.msgsIn[0], 40, '10 frames in 250 ms = 40/s');
  assert.equal(s.msgsOut[0], 8);
  assert.equal(s.bytesIn[0], 4000);
  assert.equal(s.bytesOut[0], 400);
  assert.equal(s.firstSeq[0], 1);
  // A long session: the buckets double until it fits, and counts add up.
  const total = () => s.msgsIn.reduce((x, y) => x + y, 0) * (s.bucketMs / 1000);
  for (let t = 1000; t <= 600_000; t += 1000) a.add(frame(t, 'in', 10));
  s = a.snapshot();
  assert.ok(s.msgsIn.length <= ACTIVITY_BUCKETS);
  assert.ok(s.bucketMs >= 600_000 / ACTIVITY_BUCKETS, `bucket ${s.bucketMs} ms covers the session`);
  assert.equal(Math.round(total()), 10 + 600, 'every frame is still counted');
  assert.ok(s.firstSeq.every((q, i) => i === 0 || q === 0 || q > s.firstSeq[i - 1]), 'first seqs ascend');
  a.reset();
  assert.deepEqual(a.snapshot().msgsIn, [0]);
});

test('state bands with reconnect, anomaly and error markers; latency p50/p95 and a histogram', () => {
  seq = 0;
  const a = new ActivityTracker();
  a.add(ev(0, { kind: 'state', state: 'connecting' }));
  a.add(ev(5, { kind: 'state', state: 'open' }));
  a.add(ev(100, { kind: 'state', state: 'reconnecting', reason: 'reset' }));
  a.add(ev(101, { kind: 'reconnect', attempt: 1, delayMs: 50, cause: 'reset' }));
  a.add(ev(160, { kind: 'state', state: 'open' }));
  a.add(ev(170, { kind: 'anomaly', type: 'gap', key: 'n' }));
  a.add(ev(180, { kind: 'error', message: 'x' }));
  for (let i = 1; i <= 100; i++) a.add(ev(200 + i, { kind: 'timing', phases: { dns: 0, connect: 0, tls: null, ttfb: i, download: 0, total: i } }));
  a.add(ev(400, { kind: 'timing', phases: { dns: 0, connect: 0, tls: null, ttfb: 1, download: 0, total: 9999 }, meta: { handshake: true } }));
  a.add(ev(500, { kind: 'state', state: 'closed', reason: 'done' }));
  const s = a.snapshot(500);
  assert.deepEqual(s.bands.map((b) => [b.state, b.from, b.to]), [['connecting', 0, 5], ['connected', 5, 100], ['reconnecting', 100, 160], ['connected', 160, 500], ['down', 500, 500]]);
  assert.deepEqual(s.markers.map((m) => m.kind), ['reconnect', 'anomaly', 'error']);
  assert.ok(s.latency);
  assert.equal(s.latency.count, 100, 'a handshake timing is not a request latency');
  assert.equal(s.latency.p50, 50);
  assert.equal(s.latency.p95, 95);
  assert.equal(s.latency.max, 100);
  assert.equal(s.latency.histogram.reduce((x, b) => x + b.count, 0), 100);
  assert.equal(a.snapshot(500, false).latency, undefined);
  // A live session's open band reaches the present moment.
  const live = new ActivityTracker();
  live.add(ev(0, { kind: 'state', state: 'open' }));
  assert.equal(live.snapshot(900).bands[0].to, 900);
});
