// Wirescope in a real VS Code (code-server) driven by Chromium: the side bar, and a palette connect of
// every pattern against the demo backend (the other flows are in workbenchFlows.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Frame } from 'playwright-core';
import { launchWorkbench, waitUntil, type Workbench } from './harness';
import { workbenchSteps } from './workbenchSteps';

let wb: Workbench;

const { connect, scenario } = workbenchSteps(() => wb);

/**
 * What a pattern looks like: the selected session's inspector opened in the editor area (the README's
 * pictures come from these). A documentation artifact, not a check: a failure to take it is logged.
 */
async function picture(name: string): Promise<void> {
  try {
    await wb.palette('View: Close All Editors');
    await wb.palette('Wirescope: Open in Editor');
    const pickOpen = await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().isVisible({ timeout: 3000 }).catch(() => false);
    if (pickOpen) await wb.page.keyboard.press('Enter');
    const panel = await wb.webviewFrame('body[data-view="panel"] #app', 10_000);
    await panel.locator('#frame-log .row').first().waitFor({ timeout: 10_000 });
    await wb.screenshot(name, { x: 345, y: 35, width: 1055, height: 560 });
    await wb.palette('View: Close All Editors');
  } catch (e) {
    console.log(`# picture ${name} not taken: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

async function rowCount(frame: Frame, selector: string): Promise<number> {
  return frame.locator(`#frame-log ${selector}`).count();
}

describe('Wirescope in code-server', { timeout: 600_000 }, () => {
  before(async () => {
    // These scenarios drive the side-bar inspector (the setting that keeps it there); the editor-area
    // default is covered by inspectorEditor.test.ts.
    wb = await launchWorkbench({ name: 'workbench', settings: { 'wirescope.inspector.location': 'sidebar' } });
  });
  after(async () => {
    await wb?.close();
  });

  scenario('the activity-bar icon opens the side bar with the workspace profiles', async () => {
    await wb.page.locator('.activitybar [aria-label^="Wirescope"]').first().click();
    const tree = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Profiles' }) });
    // The tree renders only its visible rows; the first ones prove the view shows the file, the state the rest.
    for (const name of ['REST items', 'WebSocket feed']) {
      await tree.locator('.monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
    }
    const state = await wb.revealState();
    const workspaceNames = state.profiles.filter((p) => p.scope === 'workspace').map((p) => p.name).sort();
    assert.deepEqual(workspaceNames, ['Async job', 'GraphQL query', 'GraphQL subscription (SSE)', 'GraphQL subscription (graphql-ws)', 'GraphQL subscription (legacy graphql-ws)', 'HTTP stream', 'Long polling', 'MQTT feed', 'REST items', 'SSE feed', 'Short polling', 'Socket.IO feed', 'WebSocket feed', 'Webhook receiver', 'gRPC Chat', 'gRPC Get', 'gRPC Watch']);
    assert.ok(state.profiles.every((p) => p.valid), 'every demo profile is valid');
    const activation = /Wirescope activated in (\d+) ms/.exec(wb.extensionLog());
    if (activation) console.log(`# activation time shown by the extension log: ${activation[1]} ms`);
  });

  const perPattern: Array<[profile: string, pattern: string]> = [
    ['WebSocket feed', 'ws'],
    ['SSE feed', 'sse'],
    ['REST items', 'http'],
    ['Short polling', 'poll'],
    ['Long polling', 'long-poll'],
    ['HTTP stream', 'stream'],
    ['Async job', 'async'],
    ['MQTT feed', 'mqtt'],
    ['Webhook receiver', 'webhook'],
    // Socket.IO has its own file (test/e2e/socketio.test.ts): this file is already near the runner's per-file limit.
  ];
  for (const [profile, pattern] of perPattern) {
    scenario(`Connect to Profile… runs "${profile}" (${pattern}): frames and timings in the inspector`, async () => {
      const frame = await connect(profile);
      // The host's counters first (the demo feeds every pattern a few events per second)…
      const session = await waitUntil(`frames counted for ${profile}`, async () => {
        const state = await wb.revealState();
        const s = state.sessions.filter((x) => x.name === profile).pop();
        return s && s.stats.framesIn > 0 ? s : undefined;
      }, 30_000, 300);
      assert.equal(session.pattern, pattern);
      // …then what the user sees: incoming rows in the inspector's log.
      await waitUntil(`incoming frame rows for ${profile} in the inspector`, async () => (await rowCount(frame, '.row.frame-in')) > 0, 20_000).catch(async (e: Error) => {
        const rowcount = await frame.locator('#frame-log').getAttribute('aria-rowcount').catch(() => null);
        throw new Error(`${e.message}; the log's aria-rowcount is ${rowcount}, the host counts ${session.stats.framesIn} frames in`);
      });
      await picture(`pattern-${pattern}`);
      if (pattern !== 'mqtt' && pattern !== 'webhook') {
        // Every HTTP-based client pattern measures its requests; a stream's timing is logged when it ends.
        if (pattern === 'stream') await frame.locator('#btn-disconnect').click();
        await frame.locator('#tab-timing').click();
        await waitUntil(`a timing waterfall row for ${profile}`, async () => (await frame.locator('#timing-waterfall .wf-row').count()) > 0, 20_000);
        await frame.locator('#tab-detail').click();
      }
    });
  }
});
