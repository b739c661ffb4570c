// The inspector fed through the real protocol at 50k rows/s: every row is accounted for, the DOM
// stays bounded, and jumps anywhere in a million rows show the rows there. Timings are reported,
// not asserted (they belong to the benchmark: node --import tsx test/webview/loadProbe.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness } from './harness';
import { measureUiUnderLoad } from './loadProbe';

let hs: Harness;
before(async () => {
  hs = await Harness.start();
});
after(async () => {
  await hs?.stop();
});

test('a 50k rows/s feed keeps the list correct and bounded; 1M-row jumps find their rows', async (t) => {
  const r = await measureUiUnderLoad(hs, { rate: 50_000, seconds: 2, scrollRows: 1_000_000, probes: 8 });
  t.diagnostic(JSON.stringify(r));
  assert.equal(r.fedRows, 100_000);
  assert.equal(r.shownTotal, r.fedRows, 'the list total matches what the host appended');
  assert.ok(r.domRows > 10 && r.domRows <= 60, `DOM rows ${r.domRows}`);
  assert.ok(r.domNodes < 600, `DOM nodes ${r.domNodes}`);
  assert.equal(r.observerWorks, true, 'the long-task observer works in this browser');
  assert.equal(r.scroll.found, r.scroll.probes, 'every jump showed rows near its target');
  // The row cache is bounded, so the heap cannot grow with the 100k rows fed (about 5 MB if the 20k tail rows were all kept).
  assert.ok(r.heapAfterMb - r.heapBeforeMb < 3, `heap grew ${r.heapBeforeMb} -> ${r.heapAfterMb} MB`);
});
