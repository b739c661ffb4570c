// Issue 11 in a real VS Code (code-server): the inspector opens in the editor area, states read
// right (a completed request is green, a refused connection red with a notification that opens its
// inspector), same-profile sessions get distinct names, Clear Ended Sessions, and a window reload
// that brings every session back with its log (live ones ended, with Reconnect).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { demoProfiles } from '../../src/demo';
// @ts-expect-error: plain ESM module shared with scripts/start.mjs, no type declarations
import * as launch from '../../scripts/vscode/launch.mjs';
import { launchWorkbench, quickPick, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let refusedPort = 0;

function scenario(name: string, fn: () => Promise<void>, skip?: string): void {
  test(name, skip ? { skip } : {}, async () => {
    try {
      await fn();
    } catch (e) {
      await wb?.screenshot(`fail-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
      throw e;
    }
  });
}

/** The RGB channels of a CSS colour. */
function rgb(color: string): [number, number, number] {
  const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return [r, g, b];
}

async function connect(profile: string): Promise<void> {
  await wb.palette('Wirescope: Connect to Profile…', profile);
}

async function sessionsNamed(prefix: string) {
  return (await wb.revealState()).sessions.filter((s) => s.name === prefix || s.name.startsWith(`${prefix} #`));
}

describe('the inspector in the editor area (issue 11)', { timeout: 600_000 }, () => {
  before(async () => {
    refusedPort = await launch.freePort();
    wb = await launchWorkbench({
      name: 'inspector-editor',
      profiles: (urls) => [
        ...demoProfiles(urls),
        // Nothing listens there: the connection is refused.
        { name: 'Refused API', pattern: 'http', url: `http://127.0.0.1:${refusedPort}/items` },
      ],
    });
  });
  after(async () => {
    await wb?.close();
  });

  scenario('connecting opens the session in an editor tab; a completed request reads as success with 200 OK', async () => {
    await connect('REST items');
    const panel = await wb.panel('REST items', 30_000);
    // An editor tab, titled after the session.
    await wb.page.locator('.tabs-container .tab', { hasText: 'Wirescope: REST items' }).first().waitFor({ timeout: 10_000 });
    await waitUntil('the request to complete', async () => (await panel.locator('#session-state').getAttribute('data-tone')) === 'ok', 20_000);
    assert.equal((await panel.locator('#session-state').textContent())?.trim(), 'completed');
    const [r, g] = rgb(await panel.locator('#session-state').evaluate((el) => getComputedStyle(el).color));
    assert.ok(g > r, 'the completed badge is green, not red');
    await panel.locator('#frame-log .row.status-ok .c-chan', { hasText: '200 OK' }).first().waitFor({ timeout: 10_000 });
    // The toolbar is icons with tooltips, in groups.
    assert.deepEqual(await panel.locator('#session-header [role="toolbar"] [role="group"]').evaluateAll((gs) => gs.map((g) => g.getAttribute('aria-label'))), ['Connection', 'Log', 'Export']);
    assert.match((await panel.locator('#btn-reconnect').getAttribute('title')) ?? '', /^Reconnect/);
    // The editor area has room: the log and the detail side by side with the divider.
    await panel.locator('#split-divider').waitFor();
    const logBox = await panel.locator('#frame-log-wrap').boundingBox();
    assert.ok(logBox && logBox.width > 800, `the log uses the editor's width (${logBox?.width}px)`);
    await wb.screenshot('inspector-editor-http');
  });

  scenario('a refused connection raises a notification with its reason; its button opens the red inspector', async () => {
    await wb.palette('View: Close All Editors');
    await connect('Refused API');
    const toast = wb.page.locator('.notification-toast', { hasText: 'Refused API' }).first();
    await toast.waitFor({ timeout: 20_000 });
    const text = (await toast.textContent()) ?? '';
    assert.match(text, /Wirescope: "Refused API" failed: .*(refused|ECONNREFUSED)/i);
    await wb.screenshot('notification-failed-session');
    // Close its tab with the mouse (a palette command would hide the toast), then use the toast's button.
    const tab = wb.page.locator('.tabs-container .tab', { hasText: 'Wirescope: Refused API' }).first();
    await tab.hover();
    await tab.locator('.tab-actions').first().click();
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
    await toast.locator('.monaco-button', { hasText: 'Open Inspector' }).click();
    const panel = await wb.panel('Refused API', 20_000);
    await waitUntil('the failed badge', async () => (await panel.locator('#session-state').getAttribute('data-tone')) === 'failed', 10_000);
    assert.equal((await panel.locator('#session-state').textContent())?.trim(), 'failed');
    const [r, g] = rgb(await panel.locator('#session-state').evaluate((el) => getComputedStyle(el).backgroundColor));
    assert.ok(r > g, 'the failed badge is red');
    assert.match((await panel.locator('#session-reason').textContent()) ?? '', /refused/i);
  });

  scenario('two sessions of one profile get distinct names; Clear Ended Sessions removes every ended one', async () => {
    await connect('SSE feed');
    await connect('SSE feed');
    const both = await waitUntil('two SSE sessions', async () => {
      const s = await sessionsNamed('SSE feed');
      return s.length === 2 ? s : undefined;
    }, 20_000, 300);
    assert.deepEqual(both.map((s) => s.name).sort(), ['SSE feed', 'SSE feed #2']);
    await wb.panel('SSE feed #2', 20_000);
    const before = await wb.revealState();
    const ended = before.sessions.filter((s) => s.ended).length;
    assert.ok(ended >= 2, `ended sessions exist (${ended})`);
    await wb.palette('Wirescope: Clear Ended Sessions');
    await waitUntil('the ended sessions to go', async () => (await wb.revealState()).sessions.every((s) => !s.ended), 10_000, 300);
    const after = await wb.revealState();
    assert.equal(after.sessions.length, before.sessions.length - ended, 'only the ended ones went');
    await wb.page.locator('.notification-toast .codicon-notifications-clear').first().click().catch(() => undefined);
  });

  scenario('a window reload brings the sessions back with their logs; the live one ended, with Reconnect', async () => {
    await connect('REST items');
    await waitUntil('a completed REST session', async () => (await sessionsNamed('REST items')).some((s) => s.ended), 20_000, 300);
    const sse = await waitUntil('SSE frames', async () => (await sessionsNamed('SSE feed')).find((s) => !s.ended && s.stats.framesIn >= 3), 20_000, 300);
    const beforeNames = (await wb.revealState()).sessions.map((s) => s.name).sort();
    await wb.palette('Developer: Reload Window');
    await wb.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await wb.page.locator('.activitybar [aria-label^="Wirescope"]').first().waitFor({ state: 'visible', timeout: 60_000 });
    const state = await waitUntil('the sessions to come back', async () => {
      const st = await wb.revealState().catch(() => undefined);
      return st && st.sessions.length === beforeNames.length ? st : undefined;
    }, 60_000, 500);
    assert.deepEqual(state.sessions.map((s) => s.name).sort(), beforeNames, 'every session came back');
    for (const s of state.sessions) {
      assert.equal(s.ended, true, `${s.name} is ended after the reload`);
      assert.equal((s as unknown as { restored?: boolean }).restored, true);
    }
    const back = state.sessions.find((s) => s.name === sse.name)!;
    assert.ok(back.stats.framesIn >= sse.stats.framesIn, `its log came back (${back.stats.framesIn} >= ${sse.stats.framesIn} frames)`);
    // Its inspector shows the log and why it ended; Reconnect starts it again. (The selected session
    // opens without a pick; otherwise the pick offers the SSE session.)
    await wb.palette('Wirescope: Open in Editor');
    // Either its own pick (titled, so not the palette that is closing) or, for the selected session, a panel.
    const pickTitle = wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Wirescope: Open in Editor' }).first();
    const outcome = await waitUntil('the session pick or an editor inspector', async () => {
      if (await pickTitle.isVisible().catch(() => false)) return 'pick';
      for (const f of wb.page.frames()) {
        if (f !== wb.page.mainFrame() && (await f.locator('body[data-view="panel"] #app').count().catch(() => 0))) return 'panel';
      }
      return undefined;
    }, 30_000, 200);
    if (outcome === 'pick') await quickPick(wb.page, sse.name);
    const panel: Frame = await wb.webviewFrame('body[data-view="panel"] #app', 30_000);
    // The panel's document exists before its first render: wait for the session's name (bounded).
    const shown = await waitUntil('the panel to show its session', async () => (await panel.locator('#session-name').textContent())?.trim() || undefined, 20_000, 200);
    const restored = state.sessions.find((s) => s.name === shown);
    assert.ok(restored, `the panel shows a restored session (${shown})`);
    await panel.locator('#frame-log .row').first().waitFor({ timeout: 20_000 });
    assert.match((await panel.locator('#session-reason').textContent()) ?? '', /Restored after a window reload/);
    assert.equal(await panel.locator('#session-state').getAttribute('data-tone'), 'ok', 'ended by the window: not a failure');
    await wb.screenshot('inspector-restored-after-reload');
    await panel.locator('#btn-reconnect').click();
    const base = shown.replace(/ #\d+$/, '');
    const known = new Set(state.sessions.map((s) => s.id));
    const again = await waitUntil(`a new session of ${base}`, async () => (await sessionsNamed(base)).find((s) => !known.has(s.id) && s.stats.framesIn > 0), 30_000, 300);
    assert.ok(again.name.startsWith(base));
  });
});
