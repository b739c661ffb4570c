// Message orderings and page states under which the inspector must still converge to the host's
// rows: no animation frames (hidden/throttled page), appends from a host view the log does not
// know, and row fetches the host fails. Each one left the log stuck on "No events yet." or
// placeholders before the inspector learned to recover.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { frame, Harness, session, stamp } from './harness';

interface FakeHost {
  append(sid: string, events: unknown[]): void;
  rebindView(sid: string): number;
  requests(method: string): Array<{ params: Record<string, unknown> }>;
}

const events = () =>
  stamp([
    { kind: 'state', state: 'connecting', url: 'ws://127.0.0.1:9/feed' },
    { kind: 'state', state: 'open', url: 'ws://127.0.0.1:9/feed' },
    frame('in', 'one'),
    frame('in', 'two'),
    frame('out', 'three'),
  ]);

async function seqs(page: Page): Promise<number[]> {
  return page.$$eval('#frame-log .row[data-seq]:not([hidden])', (rows) =>
    rows
      .map((r) => ({ seq: Number((r as HTMLElement).dataset.seq), y: r.getBoundingClientRect().top }))
      .sort((a, b) => a.y - b.y)
      .map((r) => r.seq),
  );
}

/** Wait (bounded) until exactly `expected` rows show; assert on the last sight otherwise. */
async function waitForSeqs(page: Page, expected: number[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let got: number[] = [];
  while (Date.now() < deadline) {
    got = await seqs(page);
    if (JSON.stringify(got) === JSON.stringify(expected)) return;
    await page.waitForTimeout(25);
  }
  assert.deepEqual(got, expected, 'rendered rows');
}

async function requestCount(page: Page, method: string): Promise<number> {
  return page.evaluate((m) => (window as unknown as { __host: FakeHost }).__host.requests(m).length, method);
}

const late = (seq: number, data: string) => ({ seq, t: seq * 10.5, ts: Date.now(), kind: 'frame', dir: 'in', size: data.length, encoding: 'utf8', data, channel: 'message' });

describe('inspector converges whatever the message timing', () => {
  let hs: Harness;
  before(async () => {
    hs = await Harness.start();
  });
  after(async () => {
    await hs?.stop();
  });

  test('rows render and follow appends in a page that runs no animation frames', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: events() }, selected: 'a', noAnimationFrames: true });
    try {
      await waitForSeqs(p.page, [1, 2, 3, 4, 5]);
      await p.page.evaluate((e) => (window as unknown as { __host: FakeHost }).__host.append('a', [e]), late(6, 'late arrival'));
      await waitForSeqs(p.page, [1, 2, 3, 4, 5, 6]);
      assert.match(await p.page.locator('#frame-log .row[data-seq="6"]').innerText(), /late arrival/);
      assert.deepEqual(p.consoleErrors, []);
    } finally {
      await p.close();
    }
  });

  test('an append from a host view the log does not know makes it set the filter again', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: events() }, selected: 'a' });
    try {
      const { page } = p;
      await waitForSeqs(page, [1, 2, 3, 4, 5]);
      assert.equal(await requestCount(page, 'log/setFilter'), 1);
      // The host now holds another view of the session (as after a SetFilter from an earlier load
      // of this webview) and its appends carry that view's filterId.
      await page.evaluate((e) => {
        const host = (window as unknown as { __host: FakeHost }).__host;
        host.rebindView('a');
        host.append('a', [e]);
      }, late(6, 'after rebind'));
      await waitForSeqs(page, [1, 2, 3, 4, 5, 6]);
      assert.equal(await requestCount(page, 'log/setFilter'), 2, 'one SetFilter to resync, not a loop');
      // Later appends on the resynced view show without another SetFilter.
      await page.evaluate((e) => (window as unknown as { __host: FakeHost }).__host.append('a', [e]), late(7, 'steady'));
      await waitForSeqs(page, [1, 2, 3, 4, 5, 6, 7]);
      assert.equal(await requestCount(page, 'log/setFilter'), 2);
      assert.equal(await page.isHidden('#frame-log-empty'), true);
    } finally {
      await p.close();
    }
  });

  test('rows answered from a host view the log does not know make it set the filter again', async () => {
    const many = stamp(Array.from({ length: 300 }, (_, i) => frame('in', `row ${i + 1}`)));
    const p = await hs.open({ sessions: [session('a')], events: { a: many }, selected: 'a' });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="300"]');
      const before = await requestCount(page, 'log/getRows');
      // The host swaps its view silently; the top rows were never fetched, so scrolling there asks.
      await page.evaluate(() => (window as unknown as { __host: FakeHost }).__host.rebindView('a'));
      await page.$eval('#frame-log', (el) => (el.scrollTop = 0));
      await page.waitForSelector('#frame-log .row[data-seq="1"]', { timeout: 5000 });
      assert.equal((await seqs(page))[0], 1);
      assert.ok((await requestCount(page, 'log/getRows')) > before);
      assert.equal(await requestCount(page, 'log/setFilter'), 2, 'one SetFilter to resync');
    } finally {
      await p.close();
    }
  });

  test('row fetches the host fails are asked again, a bounded number of times', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: events() }, selected: 'a', failFirst: { 'log/getRows': 2 } });
    try {
      await waitForSeqs(p.page, [1, 2, 3, 4, 5]);
      assert.equal(await requestCount(p.page, 'log/getRows'), 3, 'two failed fetches, then one that worked');
    } finally {
      await p.close();
    }
  });

  test('a host that keeps failing row fetches is not asked forever', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: events() }, selected: 'a', failFirst: { 'log/getRows': 1000 } });
    try {
      // Retries back off 250, 500, ... 1250 ms: all five are done well within 6 s.
      await p.page.waitForTimeout(6000);
      const n = await requestCount(p.page, 'log/getRows');
      assert.ok(n >= 2 && n <= 6, `getRows asked ${n} times`);
      await p.page.waitForTimeout(1500);
      assert.equal(await requestCount(p.page, 'log/getRows'), n, 'no more asks once retries are spent');
      assert.deepEqual(await seqs(p.page), []);
    } finally {
      await p.close();
    }
  });
});
