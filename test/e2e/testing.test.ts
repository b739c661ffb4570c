// The Testing view in a real VS Code (code-server): a profile with expectations is a test; it runs,
// fails with its message at the profile's line, the session opens in the inspector with the failing
// frame marked; the expectation is fixed in .vscode/wirescope.json and the same test passes.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;

/** The demo's /ws echoes what it is sent; "pong-e2e" never comes back. */
const testProfiles = (urls: { ws: string }) => [
  {
    name: 'echo check',
    pattern: 'ws',
    url: urls.ws,
    send: ['ping-e2e'],
    durationMs: 10000,
    expect: [{ receive: { match: '^pong-e2e$', within: 1500 } }, { noReceive: { match: '^ping-e2e$' } }],
  },
  // No expectations yet: Add Expectation from Frame gives it its first one.
  { name: 'json echo', pattern: 'ws', url: urls.ws, send: ['{"kind":"ping","n":7}'] },
];

/** Results of the Wirescope test runs as the extension logged them (`test "name" passed|failed ...`). */
function testLog(): string[] {
  return wb.extensionLog().split('\n').filter((l) => /test "echo check" (passed|failed)/.test(l));
}

describe('Testing view', { timeout: 600_000 }, () => {
  before(async () => {
    wb = await launchWorkbench({ name: 'testing', profiles: (urls) => testProfiles(urls) });
  });
  after(async () => {
    await wb?.close();
  });

  test('a profile with expectations shows in the Testing view, runs, fails, is fixed in the file, and passes', async () => {
    try {
      const page = wb.page;
      // The test item: the profiles file, with the profile under it.
      await page.locator('.activitybar [aria-label^="Testing"]').first().click();
      const explorer = page.locator('.test-explorer');
      const fileRow = explorer.locator('.monaco-list-row', { hasText: '.vscode/wirescope.json' }).first();
      await fileRow.waitFor({ timeout: 60_000 });
      // Open the file in an editor so that the failure is shown at the profile's line.
      await wb.palette('Wirescope: Open Profiles File');
      await page.locator('.monaco-editor .view-lines', { hasText: 'echo check' }).first().waitFor({ timeout: 20_000 });

      // Run: it fails.
      await wb.palette('Test: Run All Tests');
      const failed = await waitUntil('the failed run in the extension log', () => testLog().find((l) => l.includes('failed')), 60_000, 300);
      assert.match(failed, /test "echo check" failed in \d+ ms/);
      // The message is at the profile's line: the editor's test decorations (failure glyph, inline message)
      // sit on the line that opens the profile. Found by position against the line numbers.
      const lines = readFileSync(wb.profilesFile, 'utf8').split('\n');
      const profileLine = lines.findIndex((l) => l.includes('"name": "echo check"'));
      let lastSeen = '';
      const placed = await waitUntil('a test decoration on the profile line', async () => {
        const found = await page.evaluate((line) => {
          const number = [...document.querySelectorAll('.monaco-editor .line-numbers')].find((n) => n.textContent?.trim() === String(line));
          if (!number) return null;
          const top = number.getBoundingClientRect().top;
          const hits = [...document.querySelectorAll('.monaco-editor *')]
            .filter((el) => typeof el.className === 'string' && el.className !== '')
            .map((el) => ({ cls: el.className as string, top: el.getBoundingClientRect().top }));
          return { top, hits };
        }, profileLine);
        if (!found) return undefined;
        // The inline failure message (VS Code's test-message decoration), not just the item's run glyph.
        const near = found.hits.filter((h) => Math.abs(h.top - found.top) < 8);
        lastSeen = near.map((h) => h.cls).join(' | ');
        const onLine = near.filter((h) => /test-error-content-widget|test-message/.test(h.cls));
        return onLine.length ? onLine : undefined;
      }, 45_000, 1000).catch((e: Error) => {
        throw new Error(`${e.message}; on the line: ${lastSeen}`, { cause: e });
      });
      console.log(`# test decorations on line ${profileLine}: ${placed.map((h) => h.cls).join(' | ')}`);
      // That widget is the failure message, expected vs seen.
      await page.locator('.monaco-editor .test-error-content-widget', { hasText: 'within 1500 ms, saw 0' }).first().waitFor({ timeout: 20_000 });
      await wb.screenshot('testing-failed');
      // The session is in an editor-area inspector; the failing expectation's frame is marked there (the echo that
      // the noReceive forbids).
      const state = await wb.revealState();
      assert.ok(state.sessions.some((s) => s.name === 'echo check' && s.ended), 'the test run session is listed, ended');
      // It opened in the editor area beside the profiles file, which keeps the focus and its failure message.
      const frame = await wb.panel('echo check', 30_000);
      assert.equal(await page.locator('.monaco-editor .test-error-content-widget').count() > 0, true, 'the failure message is still in sight');
      // The log is virtualized: filter it to the echo so that its row is on screen.
      await frame.locator('#filter-text input').fill('ping-e2e');
      await frame.locator('#frame-log .row.marked').first().waitFor({ timeout: 20_000 });
      assert.match((await frame.locator('#frame-log .row.marked').first().getAttribute('title')) ?? '', /^✗ failing expectation: [\s\S]*expect\[1\] noReceive no frame matching \/\^ping-e2e\$\/: expected no frame matching \/\^ping-e2e\$\/, saw 1 \(#\d+\)/);

      // Fix the file: expect the echo that does come, and drop the noReceive. The watcher reloads it.
      const fixed = JSON.parse(readFileSync(wb.profilesFile, 'utf8')) as { profiles: Array<{ expect: unknown[] }> };
      fixed.profiles[0].expect = [{ receive: { match: '^ping-e2e$', within: 3000 } }];
      writeFileSync(wb.profilesFile, JSON.stringify(fixed, null, 2));
      await waitUntil('the profiles file to reload', async () => (await wb.revealState()).profiles.length > 0 && wb.extensionLog().length > 0, 20_000);
      await page.keyboard.press('Escape');
      await wb.palette('Test: Run All Tests');
      const passed = await waitUntil('the passing run in the extension log', () => testLog().find((l) => l.includes('passed')), 60_000, 300);
      assert.match(passed, /test "echo check" passed in \d+ ms/);
      // The editor shows it passed at the profile's line, and the failure message is gone.
      await page.locator('.monaco-editor .cgmr.codicon-testing-passed-icon').first().waitFor({ timeout: 30_000 });
      await waitUntil('the failure message to go away', async () => (await page.locator('.monaco-editor .test-error-content-widget').count()) === 0, 20_000);
      // The activity-bar icon toggles: click it only when the Testing view is not already showing.
      if (!(await explorer.isVisible())) await page.locator('.activitybar [aria-label^="Testing"]').first().click();
      await explorer.locator('.monaco-list-row', { hasText: '.vscode/wirescope.json' }).first().waitFor({ timeout: 20_000 });
      await wb.screenshot('testing-passed');
    } catch (e) {
      await wb?.screenshot('fail-testing-view').catch(() => undefined);
      throw e;
    }
  });
  test('Add Expectation from Frame: a JSON echo becomes a receive expectation picked by path, and the profile becomes a test', async () => {
    try {
      const page = wb.page;
      await wb.palette('Wirescope: Connect to Profile…', 'json echo');
      const panel = await wb.panel('json echo', 30_000);
      // The demo's /ws also streams its feed: filter the virtualized log to the message.
      await panel.locator('#filter-text input').fill('"kind"');
      const echo = panel.locator('#frame-log .row', { hasText: '"kind":"ping"' });
      await waitUntil('the echo row', async () => (await echo.count()) >= 2, 20_000, 200);
      // The second row with the message is the echo (the first is what was sent). The log is virtualized and
      // its rows are re-used as the filter applies: click until the detail shows the echo (bounded).
      await waitUntil('the echo selected in the detail pane', async () => {
        await echo.nth(1).click();
        const detail = (await panel.locator('#detail').textContent()) ?? '';
        return /kind/.test(detail) && /ping/.test(detail) && (await panel.locator('#detail-add-expectation').count()) > 0;
      }, 20_000, 300);
      await panel.locator('#detail-add-expectation').click();
      // A multi-select pick of the JSON values: take $.kind only.
      await page.locator('.quick-input-widget .quick-input-title', { hasText: /Add Expectation from Frame #\d+/ }).first().waitFor({ timeout: 20_000 });
      const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: '$.kind' }).first();
      await row.waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: '$.n' }).count(), 1, 'each JSON value is offered');
      await row.locator('.quick-input-list-checkbox, input[type="checkbox"], .monaco-checkbox').first().click();
      await page.locator('.quick-input-widget .monaco-button', { hasText: /^OK$/ }).first().click();
      const added = await waitUntil('the expectation in .vscode/wirescope.json', () => {
        const file = JSON.parse(readFileSync(wb.profilesFile, 'utf8')) as { profiles: Array<{ name: string; expect?: unknown[] }> };
        return file.profiles.find((p) => p.name === 'json echo')?.expect;
      }, 20_000, 300);
      assert.deepEqual(added, [{ receive: { json: { path: '$.kind', equals: 'ping' } } }]);
      // The profile now has an expectation: the Testing view lists it under the file.
      const explorer = page.locator('.test-explorer');
      if (!(await explorer.isVisible())) await page.locator('.activitybar [aria-label^="Testing"]').first().click();
      const fileRow = explorer.locator('.monaco-list-row', { hasText: '.vscode/wirescope.json' }).first();
      await fileRow.waitFor({ timeout: 20_000 });
      if ((await fileRow.getAttribute('aria-expanded')) === 'false') await fileRow.click();
      await explorer.locator('.monaco-list-row', { hasText: 'json echo' }).first().waitFor({ timeout: 20_000 });
      await wb.screenshot('testing-added-expectation');
    } catch (e) {
      await wb?.screenshot('fail-add-expectation').catch(() => undefined);
      throw e;
    }
  });
});
