// Testing-view additions of the inspector, in headless Chromium against the fake host: rows a
// test run marked, and "Add Expectation from Frame" in the detail pane.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { frame, Harness, session, stamp, type InspectorPage } from './harness';

async function sentCommands(page: Page, method: string): Promise<Array<{ params: Record<string, unknown> }>> {
  return page.evaluate((m) => (window as unknown as { __host: { requests(m: string): unknown[] } }).__host.requests(m), method) as Promise<Array<{ params: Record<string, unknown> }>>;
}

async function waitSent(page: Page, method: string, pred: (m: { params: Record<string, unknown> }) => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await sentCommands(page, method)).some(pred)) return;
    await page.waitForTimeout(25);
  }
  throw new Error(`no ${method} matching within ${timeoutMs} ms; got ${JSON.stringify(await sentCommands(page, method))}`);
}

function assertClean(p: InspectorPage): void {
  assert.deepEqual(p.cspViolations, [], 'CSP violations');
  assert.deepEqual(p.consoleErrors, [], 'console errors');
}

const basicEvents = () =>
  stamp([
    { kind: 'state', state: 'connecting', url: 'ws://127.0.0.1:9/feed' },
    { kind: 'timing', phases: { dns: 0.2, connect: 0.5, tls: null, ttfb: 2.1, download: 0.3, total: 3.1 } },
    { kind: 'state', state: 'open', url: 'ws://127.0.0.1:9/feed' },
    frame('in', '{"hello":"world","n":1}', { channel: 'message' }),
    frame('out', 'ping text'),
    frame('in', '3q2+7w==', { encoding: 'base64', size: 4 }),
    { kind: 'reconnect', attempt: 1, delayMs: 500, cause: 'close 1006' },
    { kind: 'anomaly', type: 'gap', key: 7, expected: 5, got: 7 },
    { kind: 'error', message: 'ECONNRESET' },
  ]);

describe('inspector: test-run marks and Add Expectation from Frame', () => {
  let hs: Harness;
  before(async () => {
    hs = await Harness.start();
  });
  after(async () => {
    await hs?.stop();
  });

  test('a test run\'s failing events are marked rows; "Add Expectation from Frame" asks the host for an inbound frame only', async () => {
    const marked = { seqs: [4, 8], note: 'expect[0] receive 1 frame matching /x/: expected 1 frame matching /x/, saw 0' };
    const p = await hs.open({ sessions: [{ ...session('a'), marked }], events: { a: basicEvents() } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="8"]');
      const markedSeqs = await page.$$eval('#frame-log .row.marked', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.seq)).sort((a, b) => a - b));
      assert.deepEqual(markedSeqs, [4, 8]);
      assert.match((await page.getAttribute('#frame-log .row[data-seq="4"]', 'title')) ?? '', /^✗ failing expectation: expect\[0\] receive 1 frame matching \/x\//);
      assert.ok(!((await page.getAttribute('#frame-log .row[data-seq="5"]', 'title')) ?? '').includes('failing'), 'unmarked rows say nothing of it');

      await page.click('#frame-log .row[data-seq="4"]');
      await page.waitForSelector('#detail-payload');
      await page.click('#detail-add-expectation');
      await waitSent(page, 'profile/addExpectation', (m) => m.params.sessionId === 'a' && m.params.seq === 4);
      // An outbound frame has no such button.
      await page.click('#frame-log .row[data-seq="5"]');
      await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent?.startsWith('#5 frame'));
      assert.equal(await page.locator('#detail-add-expectation').count(), 0);
      assertClean(p);
    } finally {
      await p.close();
    }
  });
});
