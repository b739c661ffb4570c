import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { Feed, type FeedEvent } from '../../../src/demo';

describe('demo feed', () => {
  it('numbers events from 1 with server timestamps and keeps a bounded history', () => {
    const feed = new Feed({ rate: 0, historySize: 5 });
    const before = Date.now();
    const events = Array.from({ length: 8 }, () => feed.tick());
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
    for (const e of events) {
      assert.ok(e.at >= before && e.at <= Date.now());
      assert.ok(e.value >= 0 && e.value <= 100);
    }
    assert.equal(feed.cursor, 8);
    assert.equal(feed.oldestKept, 4);
    assert.deepEqual(feed.since(6).map((e) => e.seq), [7, 8]);
    assert.deepEqual(feed.since(0).map((e) => e.seq), [4, 5, 6, 7, 8], 'older events are gone');
    assert.deepEqual(feed.since(8), []);
    assert.equal(feed.latest, events[7]);
  });

  it('produces events at the configured rate, including rates above the timer resolution', async () => {
    for (const rate of [50, 2000]) {
      const feed = new Feed({ rate });
      const got: FeedEvent[] = [];
      feed.subscribe((e) => got.push(e));
      const started = performance.now();
      feed.start();
      await new Promise((r) => setTimeout(r, 500));
      feed.stop();
      // A loaded machine fires the 500 ms timer late: the events expected are those of the time that really passed.
      const elapsed = performance.now() - started;
      const expected = (rate * elapsed) / 1000;
      // Loose bounds: a loaded machine delays the feed's own timers too, but the order of magnitude must hold.
      assert.ok(got.length >= expected * 0.5 && got.length <= expected * 1.2, `rate ${rate}: ${got.length} events in ${Math.round(elapsed)} ms`);
      const cursor = feed.cursor;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(feed.cursor, cursor, 'stop() stops the feed');
    }
  });
});
