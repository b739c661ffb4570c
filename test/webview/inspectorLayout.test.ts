// Layout of the inspector in a narrow, short side bar: the composer must sit below the frame log
// and the tabs, never on top of them (a flex child that shrank below its content spilled under it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness, frame, session, stamp } from './harness';

describe('inspector layout in a narrow side bar', () => {
  let hs: Harness;
  before(async () => {
    hs = await Harness.start();
  });
  after(async () => {
    await hs?.stop();
  });

  for (const height of [360, 420, 560, 760]) {
    test(`composer does not overlap the frame log or the tabs at 300x${height}`, async () => {
      const events = stamp([frame('in', '{"a":1}'), frame('out', 'hello'), frame('in', 'x'), frame('in', 'y'), frame('in', 'z')]);
      const p = await hs.open({ sessions: [session('a', { name: 'Demo feed' })], events: { a: events } }, { width: 300, height });
      try {
        const { page } = p;
        await page.waitForSelector('#frame-log .row');
        // One selector list, no named helpers: the page cannot see the test's transpiler helpers.
        const boxes = await page.evaluate(() =>
          ['.log-wrap', '.lower', '.composer'].map((sel) => {
            const r = document.querySelector(sel)!.getBoundingClientRect();
            return { top: r.top, bottom: r.bottom, height: r.height };
          }),
        ).then(([log, lower, composer]) => ({ log, lower, composer }));
        assert.ok(boxes.log.height >= 100, `the frame log keeps a usable height (${boxes.log.height}px)`);
        assert.ok(boxes.lower.top >= boxes.log.bottom - 1, `tabs start below the log (${boxes.lower.top} < ${boxes.log.bottom})`);
        assert.ok(boxes.composer.top >= boxes.lower.bottom - 1, `composer starts below the tabs (${boxes.composer.top} < ${boxes.lower.bottom})`);
        // What does not fit is reached by scrolling the inspector, not cut off.
        const reachable = await page.evaluate(() => {
          const main = document.querySelector('#inspector') as HTMLElement;
          main.scrollTop = main.scrollHeight;
          const c = document.querySelector('.composer')!.getBoundingClientRect();
          return c.bottom <= window.innerHeight + 1;
        });
        assert.ok(reachable, 'the composer can be scrolled into view');
        assert.deepEqual(p.cspViolations, []);
        assert.deepEqual(p.consoleErrors, []);
      } finally {
        await p.close();
      }
    });
  }
});
