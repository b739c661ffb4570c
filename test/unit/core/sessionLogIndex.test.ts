// Finding an event in a filtered view: the detail pane keeps an event only while the filter shows
// it, and the activity strip jumps to the first row at or after a moment (seq).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionLog } from '../../../src/core/sessionLog';
import type { WireEvent } from '../../../src/shared/events';

function frame(seq: number, data: string): WireEvent {
  return { seq, t: seq, ts: seq, kind: 'frame', dir: seq % 2 ? 'in' : 'out', size: data.length, encoding: 'utf8', data } as WireEvent;
}

test('LogView.indexOf and indexAtOrAfter, for all-pass and filtered views, after eviction', () => {
  const log = new SessionLog({ maxEvents: 50 });
  for (let s = 1; s <= 60; s++) log.append(frame(s, s % 10 === 0 ? `ten ${s}` : `n ${s}`));
  // Seqs 11..60 are retained.
  const all = log.createView({});
  assert.equal(all.indexOf(11), 0);
  assert.equal(all.indexOf(60), 49);
  assert.equal(all.indexOf(5), -1, 'evicted');
  assert.equal(all.indexAtOrAfter(1), 0);
  assert.equal(all.indexAtOrAfter(30), 19);
  assert.equal(all.indexAtOrAfter(61), -1);
  const tens = log.createView({ text: 'ten' });
  assert.equal(tens.total, 5);
  assert.equal(tens.indexOf(20), 0);
  assert.equal(tens.indexOf(21), -1, 'a row the filter hides');
  assert.equal(tens.indexOf(60), 4);
  assert.equal(tens.indexAtOrAfter(21), 1, 'the next matching row: seq 30');
  assert.equal(tens.rows(tens.indexAtOrAfter(21), 1)[0].seq, 30);
  assert.equal(tens.indexAtOrAfter(61), -1);
  // More events evict more: positions follow.
  for (let s = 61; s <= 80; s++) log.append(frame(s, s % 10 === 0 ? `ten ${s}` : `n ${s}`));
  assert.equal(tens.indexOf(20), -1);
  assert.equal(tens.indexOf(40), 0);
  assert.equal(all.indexOf(31), 0);
  tens.dispose();
  assert.equal(tens.indexOf(40), -1);
});
