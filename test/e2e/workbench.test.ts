// Wirescope in a real VS Code (code-server) driven by Chromium: side bar, palette connects of every
// pattern against the demo backend, the composer echo, reconnects across a backend restart, exports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { inputBox, launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;

/** Connect a workspace profile from the palette and return the inspector showing its session. */
async function connect(profile: string): Promise<Frame> {
  await wb.palette('Wirescope: Connect to Profile…', profile);
  const frame = await wb.inspector(30_000);
  await waitUntil(`the inspector to show "${profile}"`, async () => (await frame.locator('#session-name').textContent())?.trim() === profile, 20_000);
  return frame;
}

/** A test that leaves a screenshot of the workbench in test-results/e2e when it fails. */
function scenario(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      await wb?.screenshot(`fail-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
      throw e;
    }
  });
}

async function rowCount(frame: Frame, selector: string): Promise<number> {
  return frame.locator(`#frame-log ${selector}`).count();
}

describe('Wirescope in code-server', { timeout: 300_000 }, () => {
  before(async () => {
    wb = await launchWorkbench({ name: 'workbench' });
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
    assert.deepEqual(workspaceNames, ['Async job', 'HTTP stream', 'Long polling', 'MQTT feed', 'REST items', 'SSE feed', 'Short polling', 'WebSocket feed', 'Webhook receiver']);
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
      await waitUntil(`incoming frame rows for ${profile} in the inspector`, async () => (await rowCount(frame, '.row.frame-in')) > 0, 20_000);
      if (pattern !== 'mqtt' && pattern !== 'webhook') {
        // Every HTTP-based client pattern measures its requests; a stream's timing is logged when it ends.
        if (pattern === 'stream') await frame.locator('#btn-disconnect').click();
        await frame.locator('#tab-timing').click();
        await waitUntil(`a timing waterfall row for ${profile}`, async () => (await frame.locator('#timing-waterfall .wf-row').count()) > 0, 20_000);
        await frame.locator('#tab-detail').click();
      }
    });
  }

  scenario('a WebSocket message typed in the composer comes back as an echo', async () => {
    const frame = await connect('WebSocket feed');
    const message = `e2e-echo-${Date.now()}`;
    await frame.locator('#composer-input textarea').fill(message);
    await frame.locator('#composer-send').click();
    await frame.locator('#frame-log .row.frame-out', { hasText: message }).first().waitFor({ timeout: 15_000 });
    await frame.locator('#frame-log .row.frame-in', { hasText: message }).first().waitFor({ timeout: 15_000 });
    const state = await wb.revealState();
    const session = state.sessions.filter((s) => s.name === 'WebSocket feed' && !s.ended).pop();
    assert.ok(session && session.stats.framesOut >= 1);
  });

  scenario('Export Log writes an NDJSON and a HAR file that parse', async () => {
    const frame = await wb.inspector();
    const ndjsonPath = `${wb.workspaceDir}/export-ws.ndjson`;
    const harPath = `${wb.workspaceDir}/export-ws.har`;
    await frame.locator('#btn-export-ndjson').click();
    await inputBox(wb.page, ndjsonPath);
    const ndjson = await waitUntil('the NDJSON export', () => { try { return readFileSync(ndjsonPath, 'utf8'); } catch { return ''; } }, 20_000);
    const events = ndjson.trim().split('\n').map((line) => JSON.parse(line) as { kind?: string });
    assert.ok(events.some((e) => e.kind === 'frame'), 'the NDJSON has frames');
    await frame.locator('#btn-export-har').click();
    await inputBox(wb.page, harPath);
    const har = await waitUntil('the HAR export', () => { try { return JSON.parse(readFileSync(harPath, 'utf8')) as { log?: { entries?: unknown[] } }; } catch { return undefined; } }, 20_000);
    assert.ok(Array.isArray(har.log?.entries) && har.log.entries.length > 0, 'the HAR has entries');
  });
});
