// Issue 11 in the built inspector (headless Chromium, fake host speaking the real protocol):
// the toolbar, the divider, the time column's modes, the filter's count and highlights, rows that
// read right (status, webhook reply, user reconnect, sent tint), the state badge by outcome.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { frame, Harness, session, stamp, waitForShown, type InspectorPage } from './harness';

const resultsDir = join(import.meta.dirname, '..', '..', 'test-results');

function assertClean(p: InspectorPage): void {
  assert.deepEqual(p.cspViolations, [], 'CSP violations');
  assert.deepEqual(p.consoleErrors, [], 'console errors');
}

async function sent(page: Page, method: string): Promise<Array<{ params: Record<string, unknown> }>> {
  return page.evaluate((m) => (window as unknown as { __host: { requests(m: string): unknown[] } }).__host.requests(m), method) as Promise<Array<{ params: Record<string, unknown> }>>;
}

const httpEvents = () =>
  stamp([
    { kind: 'state', state: 'connecting', url: 'http://127.0.0.1:9/items' },
    frame('out', '', { meta: { method: 'GET', url: 'http://127.0.0.1:9/items' } }),
    frame('in', '{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}],"total":2}', { meta: { status: 200 } }),
    frame('in', 'missing', { meta: { status: 404, statusText: 'Not Found' } }),
    frame('out', '', { meta: { status: 200, method: 'POST', path: '/hook', headers: {} } }),
    { kind: 'reconnect', attempt: 1, delayMs: 0, cause: 'reconnect requested by user', meta: { requested: 'user' } },
    frame('in', 'reading 1', { channel: 'feed/eu/west/building-7/sensors/alpha' }),
    frame('in', 'reading 2 alpha', { channel: 'feed/eu/west/building-7/sensors/alpha' }),
    { kind: 'state', state: 'closed', reason: 'request complete' },
  ]);

describe('inspector views (issue 11)', () => {
  let hs: Harness;
  before(async () => {
    hs = await Harness.start();
    mkdirSync(resultsDir, { recursive: true });
  });
  after(async () => {
    await hs?.stop();
  });

  test('rows read right: status lines, a webhook reply, a user reconnect, sent rows tinted, long topics shortened in the middle', async () => {
    const p = await hs.open({ sessions: [session('a', { pattern: 'http' })], events: { a: httpEvents() } }, { view: 'panel', sessionId: 'a', width: 1100 });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      const chan = (seq: number) => page.locator(`#frame-log .row[data-seq="${seq}"] .c-chan`).textContent();
      const prev = (seq: number) => page.locator(`#frame-log .row[data-seq="${seq}"] .c-prev`).textContent();
      const cls = (seq: number) => page.getAttribute(`#frame-log .row[data-seq="${seq}"]`, 'class');
      assert.equal(await chan(2), 'GET');
      assert.equal(await chan(3), '200 OK', 'a response shows its status with the standard reason');
      assert.match((await cls(3)) ?? '', /status-ok/);
      assert.equal(await chan(4), '404 Not Found');
      assert.match((await cls(4)) ?? '', /status-error/);
      assert.equal(await chan(5), '200 OK', 'the webhook reply reads as a reply: ← 200 OK, reply to POST /hook');
      assert.equal(await page.locator('#frame-log .row[data-seq="5"] .c-dir').textContent(), '←');
      assert.equal(await prev(5), 'reply to POST /hook');
      assert.match((await cls(5)) ?? '', /frame-out reply/);
      assert.equal(await prev(6), 'reconnect requested by user', 'a user reconnect is not a drop with a backoff');
      assert.match((await cls(6)) ?? '', /reconnect user/);
      assert.match((await chan(7)) ?? '', /^feed\/….*\/alpha$/, 'a long topic keeps its first and last segments');
      assert.equal(await page.getAttribute('#frame-log .row[data-seq="7"]', 'title').then((t) => t?.startsWith('feed/eu/west/building-7/sensors/alpha')), false, 'the tooltip shows the shortened channel with the preview');
      // Sent and received rows differ at a glance: the sent row has a tinted background.
      const bg = (seq: number) => page.$eval(`#frame-log .row[data-seq="${seq}"]`, (el) => getComputedStyle(el).backgroundColor);
      assert.notEqual(await bg(2), await bg(3), 'sent and received rows have different backgrounds');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the state badge reads success for a completed request, failure in red, and says why', async () => {
    const sessions = [
      session('ok', { pattern: 'http', state: 'closed', ended: true, outcome: 'ok', reason: 'request complete' }),
      session('bad', { name: 'Broken', state: 'failed', ended: true, outcome: 'failed', reason: 'connect ECONNREFUSED 127.0.0.1:9' }),
    ];
    const p = await hs.open({ sessions, events: { ok: httpEvents(), bad: [] } }, { view: 'panel', sessionId: 'ok' });
    try {
      const { page } = p;
      await waitForShown(p, '#session-state[data-tone="ok"]');
      assert.equal(await page.textContent('#session-state'), 'completed');
      const okColor = await page.$eval('#session-state', (el) => getComputedStyle(el).color);
      assert.equal(await page.textContent('#session-reason'), 'request complete');
      await page.close();
      const q = await hs.open({ sessions, events: { ok: [], bad: [] } }, { view: 'panel', sessionId: 'bad' });
      try {
        await waitForShown(q, '#session-state[data-tone="failed"]');
        assert.equal(await q.page.textContent('#session-state'), 'failed');
        assert.equal(await q.page.textContent('#session-reason'), 'connect ECONNREFUSED 127.0.0.1:9');
        const badBg = await q.page.$eval('#session-state', (el) => getComputedStyle(el).backgroundColor);
        // The theme's test colours: passed is green, failed is red (test/webview/harness theme variables).
        const rgb = (s: string) => (s.match(/\d+/g) ?? []).slice(0, 3).map(Number);
        const [r, g] = rgb(okColor);
        assert.ok(g > r, `success is green-ish (${okColor})`);
        const [r2, g2] = rgb(badBg);
        assert.ok(r2 > g2, `failure is red-ish (${badBg})`);
        assertClean(q);
      } finally {
        await q.close();
      }
    } finally {
      await p.close();
    }
  });

  test('toolbar: codicon buttons with tooltips and shortcuts in groups; rarer actions in a keyboard menu', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: httpEvents() } }, { view: 'panel', sessionId: 'a' });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      const groups = await page.$$eval('#session-header [role="toolbar"] [role="group"]', (gs) => gs.map((g) => g.getAttribute('aria-label')));
      assert.deepEqual(groups, ['Connection', 'Log', 'Export']);
      for (const id of ['btn-disconnect', 'btn-reconnect', 'btn-autoscroll', 'btn-time-mode', 'btn-clear', 'btn-export-ndjson', 'btn-more']) {
        const info = await page.$eval(`#${id}`, (el) => ({ text: el.textContent?.trim(), title: el.getAttribute('title'), icon: el.querySelector('.codicon')?.className ?? '' }));
        assert.equal(info.text, '', `${id} is an icon button without a text label`);
        assert.ok(info.title && info.title.length > 4, `${id} has a tooltip`);
        assert.match(info.icon, /codicon codicon-[a-z-]+/, `${id} draws a codicon`);
      }
      assert.match((await page.getAttribute('#btn-disconnect', 'title')) ?? '', /\(D\)$/, 'the tooltip names the shortcut');
      // The codicon font loads under the CSP (font-src of the webview's resources).
      await page.waitForFunction(() => document.fonts.check('16px codicon'));
      assert.equal(await page.evaluate(() => [...document.fonts].some((f) => f.family.replace(/"/g, '') === 'codicon' && f.status === 'loaded')), true);

      // The … menu by keyboard: open with Enter, move with arrows, run with Enter.
      await page.focus('#btn-more');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.menu:not([hidden])');
      assert.equal(await page.getAttribute('#btn-more', 'aria-expanded'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'btn-export-har');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'menu-export-ndjson');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.menu', { state: 'hidden' });
      assert.ok((await sent(page, 'log/export')).some((m) => m.params.format === 'har'), 'the HAR export ran from the menu');
      await page.keyboard.press('Escape');

      // Shortcuts while the log has focus: T cycles the time column, P pauses autoscroll.
      await page.focus('#frame-log');
      await page.keyboard.press('p');
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-pressed'), 'true');
      await page.keyboard.press('p');
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-pressed'), 'false');
      // …but not while typing in the filter.
      await page.click('#filter-text');
      await page.keyboard.type('p');
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-pressed'), 'false');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('time column: since start, wall clock and delta from the previous row; the header says which', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: httpEvents() } }, { view: 'panel', sessionId: 'a' });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      const time = (seq: number) => page.locator(`#frame-log .row[data-seq="${seq}"] .c-time`).textContent();
      const header = () => page.locator('.log-header .c-time').textContent();
      // stamp(): event n at t = n * 10.5 ms.
      assert.equal(await time(4), '42.0');
      assert.equal(await header(), 'ms since start');
      await page.click('#btn-time-mode');
      await page.waitForFunction(() => /\d\d:\d\d:\d\d\.\d{3}/.test(document.querySelector('#frame-log .row[data-seq="4"] .c-time')?.textContent ?? ''));
      assert.equal(await header(), 'Clock');
      await page.click('#btn-time-mode');
      await page.waitForFunction(() => document.querySelector('#frame-log .row[data-seq="4"] .c-time')?.textContent === '+10.5');
      assert.equal(await time(1), '0.0', 'the first row has no previous row');
      assert.equal(await header(), 'Δ ms');
      assert.equal(await page.getAttribute('#btn-time-mode', 'data-mode'), 'delta');
      await page.click('#btn-time-mode');
      await page.waitForFunction(() => document.querySelector('#frame-log .row[data-seq="4"] .c-time')?.textContent === '42.0');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the filter shows its match count, marks the matches, and the detail never shows a hidden row', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: httpEvents() } }, { view: 'panel', sessionId: 'a' });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      assert.equal(await page.isHidden('#filter-count'), true, 'no count without a filter');
      // Open a row that the coming filter hides.
      await page.click('#frame-log .row[data-seq="4"]');
      await page.waitForSelector('#detail-title');
      await page.locator('#filter-text input').fill('ALPHA');
      await page.waitForSelector('#filter-count:not([hidden])');
      await page.waitForFunction(() => document.getElementById('filter-count')?.textContent === '3 matches');
      const marks = await page.$$eval('#frame-log .row .c-prev mark', (ms) => ms.map((m) => m.textContent));
      assert.ok(marks.length >= 2 && marks.every((m) => m?.toLowerCase() === 'alpha'), `matches are marked: ${JSON.stringify(marks)}`);
      // The mark is an element with text, never parsed markup.
      assert.equal(await page.$$eval('#frame-log .row .c-prev *:not(mark)', (x) => x.length), 0);
      await page.waitForSelector('#detail-empty');
      assert.equal(await page.locator('#detail-title').count(), 0, 'the detail of a hidden row is cleared');
      // A row that stays visible keeps its detail across a filter change.
      await page.click('#frame-log .row[data-seq="8"]');
      await page.waitForSelector('#detail-title');
      await page.locator('#filter-text input').fill('reading 2');
      await page.waitForFunction(() => document.getElementById('filter-count')?.textContent === '1 match');
      await page.waitForTimeout(300);
      assert.match((await page.textContent('#detail-title')) ?? '', /^#8 /);
      await page.locator('#filter-text input').fill('nothing-matches-this');
      await page.waitForFunction(() => document.getElementById('filter-count')?.textContent === '0 matches');
      assert.equal(await page.getAttribute('#filter-count', 'class'), 'filter-count none');
      await page.waitForSelector('#detail-empty');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the divider between log and detail drags, moves with the keyboard, and is remembered across a reload', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: httpEvents() } }, { view: 'panel', sessionId: 'a', height: 800 });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      const logHeight = () => page.$eval('#frame-log-wrap', (el) => el.getBoundingClientRect().height);
      const divider = page.locator('#split-divider');
      assert.equal(await divider.getAttribute('role'), 'separator');
      assert.equal(await divider.getAttribute('aria-valuenow'), '60');
      const before = await logHeight();
      const box = (await divider.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2, box.y - 150, { steps: 5 });
      await page.mouse.up();
      const dragged = await logHeight();
      assert.ok(dragged < before - 100, `dragging up shrinks the log (${before} -> ${dragged})`);
      const share = Number(await divider.getAttribute('aria-valuenow'));
      assert.ok(share < 60);
      // Keyboard: focus and arrow down grows the log by 5 points.
      await divider.focus();
      await page.keyboard.press('ArrowDown');
      assert.equal(Number(await divider.getAttribute('aria-valuenow')), share + 5);
      await page.keyboard.press('End');
      assert.equal(await divider.getAttribute('aria-valuenow'), '85');
      await page.keyboard.press('PageUp');
      assert.equal(await divider.getAttribute('aria-valuenow'), '70');
      await page.waitForTimeout(400); // state is saved after a short debounce
      await page.reload();
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      assert.equal(await page.getAttribute('#split-divider', 'aria-valuenow'), '70', 'the split is remembered');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the channel column can be widened, narrowed from the keyboard and fitted; the width is remembered', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: httpEvents() } }, { view: 'panel', sessionId: 'a', width: 1100 });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      const width = () => page.$eval('#frame-log .row[data-seq="7"] .c-chan', (el) => el.getBoundingClientRect().width);
      const w0 = await width();
      const handle = (await page.locator('#chan-resize').boundingBox())!;
      await page.mouse.move(handle.x + 2, handle.y + handle.height / 2);
      await page.mouse.down();
      await page.mouse.move(handle.x + 260, handle.y + handle.height / 2, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction((w) => (document.querySelector('#frame-log .row[data-seq="7"] .c-chan')?.getBoundingClientRect().width ?? 0) > w + 100, w0);
      // Wider: the whole topic fits and is no longer shortened.
      await page.waitForFunction(() => document.querySelector('#frame-log .row[data-seq="7"] .c-chan')?.textContent === 'feed/eu/west/building-7/sensors/alpha');
      await page.focus('#frame-log');
      const wide = await width();
      await page.keyboard.press('[');
      await page.waitForFunction((w) => (document.querySelector('#frame-log .row[data-seq="7"] .c-chan')?.getBoundingClientRect().width ?? 0) < w, wide);
      // Fit (the … menu) sizes it to the longest channel in view.
      await page.click('#btn-more');
      await page.click('#menu-fit-channel');
      await page.waitForFunction(() => document.querySelector('#frame-log .row[data-seq="7"] .c-chan')?.textContent === 'feed/eu/west/building-7/sensors/alpha');
      const fitted = await page.getAttribute('#chan-resize', 'aria-valuenow');
      await page.waitForTimeout(400);
      await page.reload();
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      assert.equal(await page.getAttribute('#chan-resize', 'aria-valuenow'), fitted, 'the width is remembered');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the side bar is compact: one header line, URL as tooltip, a short toolbar', async () => {
    const p = await hs.open({ sessions: [session('a'), session('b')], events: { a: httpEvents(), b: [] } }, { view: 'sidebar', width: 360, height: 700 });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      assert.equal(await page.isHidden('#session-url'), true, 'the URL is a tooltip in the side bar');
      // Without its activity strip (one chart in the side bar) the header is a line or two.
      const header = await page.$eval('#session-header', (el) => el.getBoundingClientRect().height - (document.getElementById('activity-strip')?.getBoundingClientRect().height ?? 0));
      assert.ok(header < 90, `the header stays small (${header}px)`);
      assert.equal(await page.isHidden('#activity-bytes-box'), true, 'the side bar strip shows one chart');
      const strip = await page.$eval('#activity-strip', (el) => el.getBoundingClientRect().height);
      assert.ok(strip <= 64, `the strip is small (${strip}px)`);
      const filters = await page.$eval('#filter-bar', (el) => el.getBoundingClientRect().height);
      assert.ok(filters < 40, `the filters take one line (${filters}px)`);
      assert.equal(await page.isHidden('#filter-anomalies'), true, 'rarer filters fold behind a button');
      await page.click('#filter-options');
      await page.waitForSelector('#filter-anomalies', { state: 'visible' });
      await page.click('#filter-options');
      const toolbar = await page.$eval('#session-header [role="toolbar"]', (el) => el.getBoundingClientRect().height);
      assert.ok(toolbar <= 32, `the toolbar is one row of icons (${toolbar}px)`);
      const logRows = await page.$eval('#frame-log', (el) => el.getBoundingClientRect().height / 22);
      assert.ok(logRows >= 8, `the log shows at least 8 rows (${logRows.toFixed(1)})`);
      await page.screenshot({ path: join(resultsDir, 'inspector-sidebar-compact.png') });
      assertClean(p);
    } finally {
      await p.close();
    }
  });
  test('JSON detail is pretty JSON, coloured and foldable like a tree, with copy of value and path, and Open in Editor', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: httpEvents() } }, { view: 'panel', sessionId: 'a' });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="3"]');
      await page.click('#frame-log .row[data-seq="3"]');
      await page.waitForSelector('#detail-payload.json-tree[role="tree"]');
      // Its text is the pretty-printed JSON; it is coloured and foldable.
      const json = { items: [{ id: 1, name: 'alpha' }, { id: 2, name: 'beta' }], total: 2 };
      assert.equal(await page.textContent('#detail-payload'), JSON.stringify(json, null, 2));
      const keys = await page.$$eval('#detail-payload .jt-key', (ks) => ks.map((k) => k.textContent));
      assert.deepEqual(keys.slice(0, 2), ['"items"', '"id"'], 'three levels open at first');
      assert.equal(await page.$eval('#detail-payload .jt-string', (el) => el.textContent), '"alpha"');
      const colors = await page.$eval('#detail-payload', (el) => [getComputedStyle(el.querySelector('.jt-key')!).color, getComputedStyle(el.querySelector('.jt-string')!).color, getComputedStyle(el.querySelector('.jt-number')!).color]);
      assert.equal(new Set(colors).size, 3, `keys, strings and numbers have their own colours (${colors})`);
      // Keyboard: select the root, go down to items, fold and unfold it, into items[0], its name.
      await page.click('#detail-payload .jt-item[aria-level="1"] > .jt-row');
      await page.keyboard.press('ArrowDown'); // items
      assert.equal(await page.textContent('#detail-json-path'), '$.items');
      const rowsBefore = await page.$$eval('#detail-payload .jt-row', (r) => r.filter((x) => (x as HTMLElement).offsetParent !== null).length);
      await page.keyboard.press('ArrowLeft'); // fold items
      assert.equal(await page.$eval('#detail-payload .jt-selected', (el) => el.getAttribute('aria-expanded')), 'false');
      const rowsFolded = await page.$$eval('#detail-payload .jt-row', (r) => r.filter((x) => (x as HTMLElement).offsetParent !== null).length);
      assert.ok(rowsFolded < rowsBefore, `folding hides lines (${rowsBefore} -> ${rowsFolded})`);
      assert.equal(await page.$eval('#detail-payload .jt-selected > .jt-row', (el) => getComputedStyle(el, '::after').content), '" 2 items ],"', 'a folded line sums up what it hides');
      await page.keyboard.press('ArrowRight'); // unfold
      await page.keyboard.press('ArrowRight'); // first child: items[0]
      assert.equal(await page.textContent('#detail-json-path'), '$.items[0]');
      await page.keyboard.press('ArrowRight'); // into items[0]: id
      await page.keyboard.press('ArrowDown'); // name
      assert.equal(await page.textContent('#detail-json-path'), '$.items[0].name');
      await page.click('#detail-copy-path');
      await page.click('#detail-copy-value');
      await page.waitForFunction(() => (window as unknown as { __host: { requests(m: string): unknown[] } }).__host.requests('clipboard/copy').length >= 2);
      const copies = (await sent(page, 'clipboard/copy')).map((m) => m.params.text);
      assert.deepEqual(copies.slice(-2), ['$.items[0].name', 'alpha']);
      // Clicking a chevron folds too.
      await page.click('#detail-payload .jt-item[aria-level="2"] > .jt-row > .jt-toggle.codicon');
      assert.equal(await page.$eval('#detail-payload .jt-item[aria-level="2"]', (el) => el.getAttribute('aria-expanded')), 'false');
      // Open in Editor asks the host for the event's whole payload.
      await page.click('#detail-open-editor');
      await page.waitForFunction(() => (window as unknown as { __host: { requests(m: string): unknown[] } }).__host.requests('log/openPayload').length === 1);
      assert.deepEqual((await sent(page, 'log/openPayload'))[0].params, { sessionId: 'a', seq: 3 });
      await page.screenshot({ path: join(resultsDir, 'inspector-json-tree.png') });
      assertClean(p);
    } finally {
      await p.close();
    }
  });
  test('the activity strip draws rates, state bands with markers and latency; clicking jumps the log there', async () => {
    // A live session over ~2.5 s: frames, a drop with reconnect, an anomaly, three request timings.
    const events = stamp([
      { kind: 'state', state: 'connecting', url: 'http://127.0.0.1:9/poll' },
      { kind: 'state', state: 'open', url: 'http://127.0.0.1:9/poll' },
      ...Array.from({ length: 120 }, (_, i) => frame(i % 3 ? 'in' : 'out', `{"n":${i}}`)),
      { kind: 'state', state: 'reconnecting', reason: 'connection reset' },
      { kind: 'reconnect', attempt: 1, delayMs: 100, cause: 'connection reset' },
      { kind: 'state', state: 'open', url: 'http://127.0.0.1:9/poll' },
      { kind: 'anomaly', type: 'gap', key: 'n', expected: 5, got: 7 },
      { kind: 'timing', phases: { dns: 0, connect: 1, tls: null, ttfb: 10, download: 2, total: 13 } },
      { kind: 'timing', phases: { dns: 0, connect: 1, tls: null, ttfb: 20, download: 2, total: 23 } },
      { kind: 'timing', phases: { dns: 0, connect: 1, tls: null, ttfb: 90, download: 2, total: 93 } },
      ...Array.from({ length: 100 }, (_, i) => frame('in', `late ${i}`)),
    ]);
    const p = await hs.open({ sessions: [session('a', { pattern: 'poll' })], events: { a: events } }, { view: 'panel', sessionId: 'a', width: 1100, height: 800 });
    try {
      const { page } = p;
      await page.waitForSelector('#activity-strip:not([hidden])');
      await page.waitForFunction(() => Number((document.getElementById('activity-msgs') as HTMLElement | null)?.dataset.points ?? 0) > 5);
      // Drawn on canvases (no element per point): pixels are painted, in more than one colour where in and out differ.
      const painted = (id: string) => page.evaluate((i) => {
        const c = document.getElementById(i) as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set<string>();
        let n = 0;
        for (let k = 0; k < d.length; k += 4) if (d[k + 3] > 0) { n++; colours.add(`${d[k]},${d[k + 1]},${d[k + 2]}`); }
        return { n, colours: colours.size };
      }, id);
      const msgs = await painted('activity-msgs');
      assert.ok(msgs.n > 200 && msgs.colours >= 2, `messages/s drawn in and out (${JSON.stringify(msgs)})`);
      assert.ok((await painted('activity-bytes')).n > 200, 'bytes/s drawn');
      assert.match((await page.textContent('#activity-msgs-box .strip-label')) ?? '', /^msgs ↓ \d+\/s ↑ \d+\/s$/);
      assert.equal(await page.getAttribute('#activity-bands', 'data-bands'), 'connecting,connected,reconnecting,connected');
      assert.equal(await page.getAttribute('#activity-bands', 'data-markers'), 'reconnect,anomaly');
      const bandColours = await painted('activity-bands');
      assert.ok(bandColours.colours >= 3, `bands and markers in their own colours (${bandColours.colours})`);
      // A request pattern shows its latency: p50 23 ms, p95 93 ms, and a distribution.
      assert.equal(await page.isVisible('#activity-latency'), true);
      assert.equal(await page.textContent('#activity-latency-text'), 'latency p50 23.0 ms · p95 93.0 ms (3)');
      assert.equal((await page.getAttribute('#activity-histogram', 'data-bins'))?.split(',').length, 12);
      assert.ok((await painted('activity-histogram')).n > 20, 'the distribution is drawn');
      // Click the anomaly marker: the log jumps to its row (autoscroll pauses, cursor on it).
      const anomalySeq = events.find((e) => e.kind === 'anomaly')!.seq;
      const anomaly = events.find((e) => e.kind === 'anomaly')!;
      const bandsBox = (await page.locator('#activity-bands').boundingBox())!;
      await page.mouse.click(bandsBox.x + (anomaly.t / events[events.length - 1].t) * bandsBox.width, bandsBox.y + 2);
      await page.waitForSelector(`#frame-log .row.cursor[data-seq="${anomalySeq}"]`);
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-pressed'), 'true', 'jumping pauses autoscroll');
      assert.ok((await sent(page, 'log/locateSeq')).some((m) => m.params.seq === anomalySeq));
      // Click the start of the rate chart: the first rows.
      const box = (await page.locator('#activity-msgs').boundingBox())!;
      await page.mouse.click(box.x + 1, box.y + box.height / 2);
      await page.waitForSelector('#frame-log .row.cursor[data-seq="1"], #frame-log .row.cursor[data-seq="2"], #frame-log .row.cursor[data-seq="3"]');
      // The strip asks the host about once a second, not per event.
      const before = (await sent(page, 'session/getActivity')).length;
      await page.waitForTimeout(2200);
      const asked = (await sent(page, 'session/getActivity')).length - before;
      assert.ok(asked >= 1 && asked <= 3, `about one request a second (${asked} in 2.2 s)`);
      await page.screenshot({ path: join(resultsDir, 'inspector-activity-strip.png') });
      assertClean(p);
    } finally {
      await p.close();
    }
  });
});
