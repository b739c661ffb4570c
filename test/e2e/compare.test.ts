// The pattern race in a real VS Code (code-server) driven by Chromium: "Compare Patterns…" races the
// demo's patterns, the report panel shows the measured table and charts, a session's inspector opens
// from it, and the CSV export parses. The report picture for the README is taken here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { acceptProposed, launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
/** The demo race's sessions, in order. */
const RACED = ['short poll', 'long poll', 'SSE', 'WebSocket', 'gRPC', 'GraphQL', 'MQTT', 'webhook'];

describe('Wirescope pattern race in code-server', { timeout: 600_000 }, () => {
  before(async () => {
    wb = await launchWorkbench({ name: 'compare' });
  });
  after(async () => {
    await wb?.close();
  });

  test('Compare Patterns… races the demo and shows the measured report', async () => {
    try {
      await wb.palette('Wirescope: Compare Patterns…');
      // A multi-select pick: tick the demo, then OK.
      const input = wb.page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('Demo backend');
      const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Demo backend: every pattern' }).first();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await row.locator('input[type="checkbox"], .monaco-checkbox, .quick-input-list-checkbox').first().click().catch(async () => row.click());
      await wb.page.locator('.quick-input-widget .monaco-button', { hasText: /^OK$/ }).first().click();
      // Duration: 6 s.
      await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: /duration/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('6000');
      await input.press('Enter');

      const report = await wb.webviewFrame('main[aria-label="Wirescope pattern race"]', 30_000);
      const table = report.locator('table.race:not(.wire)');
      await table.waitFor({ timeout: 60_000 });
      const names = await report.locator('table.race:not(.wire) tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-session')));
      assert.deepEqual(names, RACED);
      // Measured numbers, not placeholders: every push pattern received the feed with a latency.
      const headers = await report.locator('table.race:not(.wire) thead tr:nth-child(2) th').allTextContents();
      const col = (title: string) => headers.indexOf(title);
      for (const name of ['SSE', 'WebSocket', 'gRPC', 'GraphQL', 'MQTT', 'webhook', 'long poll']) {
        const cells = await report.locator(`table.race:not(.wire) tbody tr[data-session="${name}"] td`).allTextContents();
        assert.ok(Number(cells[col('unique')]) >= 10, `${name} unique ${cells[col('unique')]}`);
        assert.match(cells[col('p50')], /^\d+\.\d$/, `${name} p50 "${cells[col('p50')]}"`);
        assert.match(cells[col('B/msg')], /^\d+$/, `${name} B/msg "${cells[col('B/msg')]}"`);
      }
      // gRPC's int64 seq ("12") and GraphQL's data.ticks.seq are the same ids as the others': nothing missed.
      for (const name of ['gRPC', 'GraphQL', 'WebSocket']) {
        const cells = await report.locator(`table.race:not(.wire) tbody tr[data-session="${name}"] td`).allTextContents();
        assert.equal(cells[col('missed')], '0', `${name} missed ${cells[col('missed')]}`);
      }
      const poll = await report.locator('table.race:not(.wire) tbody tr[data-session="short poll"] td').allTextContents();
      assert.ok(Number(poll[col('missed')]) > Number(poll[col('unique')]), `short poll missed ${poll[col('missed')]} vs unique ${poll[col('unique')]}`);
      // The charts: one CDF line and one bar per session, a timeline row per session.
      assert.equal(await report.locator('#latency-cdf path[data-session]').count(), RACED.length);
      assert.equal(await report.locator('#bytes-per-message rect[data-session]').count(), RACED.length);
      assert.equal(await report.locator('#requests-per-message rect[data-session]').count(), RACED.length);
      assert.equal(await report.locator('#timeline g.arrivals').count(), RACED.length);
      assert.ok((await report.locator('#timeline .missed-marks circle').count()) > 0, 'missed events are marked on the timeline');
      await wb.page.keyboard.press('Escape');
      await wb.screenshot('compare-report', { x: 345, y: 35, width: 1055, height: 820 });

      // Each session's inspector is one click away.
      await report.locator('table.race:not(.wire) tbody tr[data-session="WebSocket"] button').click();
      const inspector = await wb.webviewFrame('body[data-view="panel"] #app', 20_000);
      await waitUntil('the inspector of the race\'s WebSocket session', async () => (await inspector.locator('#session-name').textContent())?.trim() === 'WebSocket', 20_000);
      const state = await wb.revealState();
      const raced = state.sessions.filter((s) => RACED.includes(s.name));
      assert.equal(raced.length, RACED.length);
      assert.ok(raced.every((s) => s.ended), 'the race closed its sessions');

      // Export CSV from the report.
      await wb.page.locator('.tab', { hasText: /Pattern race/ }).first().click();
      const again = await wb.webviewFrame('main[aria-label="Wirescope pattern race"] table.race', 20_000);
      await again.locator('button[data-export="csv"]').click();
      await acceptProposed(wb.page, /as CSV/);
      const csvPath = await waitUntil('the CSV export', () => readdirSync(wb.workspaceDir).filter((f) => f.endsWith('.csv')).map((f) => join(wb.workspaceDir, f))[0], 20_000);
      const csv = await waitUntil('the CSV to be written', () => readFileSync(csvPath, 'utf8').trim(), 10_000);
      const lines = csv.split('\n');
      assert.match(lines[0], /^name,pattern,direction,received,unique/);
      assert.equal(lines.length, RACED.length + 1);
    } catch (e) {
      await wb?.screenshot('fail-compare').catch(() => undefined);
      throw e;
    }
  });
});
