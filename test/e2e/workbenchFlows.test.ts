// Wirescope in a real VS Code (code-server) driven by Chromium, the flows beyond one connect per pattern
// (test/e2e/workbench.test.ts has those): the composer echo, exports, reconnects across a backend
// restart, New Profile… with a secret, a broken profiles file, and the themes. A file of its own, so each
// file stays well inside the runner's per-file time limit on a loaded machine.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { acceptProposed, filesContaining, launchWorkbench, waitUntil, type Workbench } from './harness';
import { workbenchSteps } from './workbenchSteps';

let wb: Workbench;
const { connect, scenario, lastName } = workbenchSteps(() => wb);

describe('Wirescope in code-server: flows', { timeout: 600_000 }, () => {
  before(async () => {
    // These scenarios drive the side-bar inspector, as workbench.test.ts does.
    wb = await launchWorkbench({ name: 'workbench-flows', settings: { 'wirescope.inspector.location': 'sidebar' } });
  });
  after(async () => {
    await wb?.close();
  });

  scenario('a WebSocket message typed in the composer comes back as an echo', async () => {
    const frame = await connect('WebSocket feed');
    const message = `e2e-echo-${Date.now()}`;
    await frame.locator('#composer-input textarea').fill(message);
    await frame.locator('#composer-send').click();
    // The log is virtualized (only visible rows exist): filter it to the message, as a user would.
    await frame.locator('#filter-text input').fill(message);
    await frame.locator('#frame-log .row.frame-out', { hasText: message }).first().waitFor({ timeout: 15_000 });
    await frame.locator('#frame-log .row.frame-in', { hasText: message }).first().waitFor({ timeout: 15_000 });
    await frame.locator('#filter-text input').fill('');
    const state = await wb.revealState();
    const session = state.sessions.filter((s) => s.name === lastName() && !s.ended).pop();
    assert.ok(session && session.stats.framesOut >= 1);
  });

  scenario('Export Log writes an NDJSON and a HAR file that parse', async () => {
    const frame = await connect('WebSocket feed');
    await waitUntil('frames to export', async () => (await wb.revealState()).sessions.some((x) => x.name === lastName() && !x.ended && x.stats.framesIn > 0), 20_000, 300);
    const exported = (ext: string) => readdirSync(wb.workspaceDir).filter((f) => f.endsWith(ext)).map((f) => join(wb.workspaceDir, f));
    // The save dialog proposes a file in the workspace folder; the user accepts it.
    await frame.locator('#btn-export-ndjson').click();
    await acceptProposed(wb.page, /as NDJSON/);
    const ndjsonPath = await waitUntil('the NDJSON export', () => exported('.ndjson')[0], 20_000);
    const ndjson = await waitUntil('the NDJSON export to be written', () => readFileSync(ndjsonPath, 'utf8').trim(), 10_000);
    const events = ndjson.split('\n').map((line) => JSON.parse(line) as { kind?: string });
    assert.ok(events.some((e) => e.kind === 'frame'), 'the NDJSON has frames');
    await frame.locator('#btn-more').click();
    await frame.locator('#btn-export-har').click();
    await acceptProposed(wb.page, /as HAR/);
    const harPath = await waitUntil('the HAR export', () => exported('.har')[0], 20_000);
    const har = await waitUntil('the HAR export to parse', () => { try { return JSON.parse(readFileSync(harPath, 'utf8')) as { log?: { entries?: unknown[] } }; } catch { return undefined; } }, 10_000);
    assert.ok(Array.isArray(har.log?.entries) && har.log.entries.length > 0, 'the HAR has entries');
  });

  scenario('the demo backend stops and restarts under an SSE and a WebSocket session: the timeline shows the drop and the recovery', async () => {
    const names = ['SSE feed', 'WebSocket feed'];
    const ids: Record<string, string> = {};
    for (const name of names) {
      await connect(name);
      const s = await waitUntil(`${name} open`, async () => (await wb.revealState()).sessions.filter((x) => x.name === lastName() && !x.ended).pop(), 20_000, 300);
      await waitUntil(`${name} to be open`, async () => (await wb.revealState()).sessions.find((x) => x.id === s.id)?.state === 'open', 20_000, 300);
      ids[name] = s.id;
    }
    await wb.stopDemo();
    for (const name of names) {
      await waitUntil(`${name} to notice the drop`, async () => {
        const s = (await wb.revealState()).sessions.find((x) => x.id === ids[name]);
        return s && s.state !== 'open';
      }, 20_000, 300);
    }
    await wb.restartDemo();
    for (const name of names) {
      const s = await waitUntil(`${name} to reconnect`, async () => {
        const x = (await wb.revealState()).sessions.find((y) => y.id === ids[name]);
        return x && x.state === 'open' && x.stats.reconnects >= 1 ? x : undefined;
      }, 30_000, 300);
      assert.equal(s.ended, false);
    }
    // The inspector shows the newest session (WebSocket feed): its Reconnects tab lists the outage.
    const frame = await wb.inspector();
    await frame.locator('#tab-timeline').click();
    const outage = frame.locator('#timeline-list .tl-outage').first();
    await outage.waitFor({ timeout: 20_000 });
    assert.match((await outage.textContent()) ?? '', /\S/, 'the outage row says something');
    await waitUntil('the outage to show its recovery (time disconnected)', async () => ((await frame.locator('#timeline-list .tl-outage .tl-down').first().textContent()) ?? '').match(/\d/), 20_000);
    await wb.screenshot('inspector-reconnect-timeline');
    await frame.locator('#tab-detail').click();
  });

  scenario('a profile made with New Profile… lands in .vscode/wirescope.json; its secret is used but written to no file', async () => {
    const secret = `tok-e2e-${Date.now()}-SECRET`;
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/private`;
      await wb.palette('Wirescope: New Profile…');
      const form = await wb.webviewFrame('#f-name', 30_000);
      await form.locator('#f-name input').fill('Private API');
      await form.click('#f-pattern');
      await form.click('#f-pattern [role="option"][value="http"]');
      await form.locator('#f-url input').fill(url);
      if (await form.locator('#f-scope').count()) {
        await form.click('#f-scope');
        await form.click('#f-scope [role="option"][value="workspace"]');
      }
      await form.click('#f-auth-type');
      await form.click('#f-auth-type [role="option"][value="bearer"]');
      await form.locator('#f-secret-auth input').fill(secret);
      await form.click('#save');
      await waitUntil('the form to say it saved', async () => /saved/i.test((await form.locator('#form-status').textContent()) ?? ''), 20_000);

      const onDisk = await waitUntil('the new profile in .vscode/wirescope.json', () => {
        const file = JSON.parse(readFileSync(wb.profilesFile, 'utf8')) as { profiles: Array<Record<string, unknown>> };
        return file.profiles.find((p) => p.name === 'Private API');
      }, 10_000);
      assert.equal(onDisk.pattern, 'http');
      assert.equal(onDisk.url, url);
      assert.equal((onDisk.auth as { type?: string }).type, 'bearer');
      assert.equal(typeof (onDisk.auth as { secret?: string }).secret, 'string', 'the profile names its stored secret');

      // The stored secret is what the request carries, with no password prompt in between.
      await wb.palette('Wirescope: Connect to Profile…', 'Private API');
      await waitUntil('the private server to be called', () => seen.length > 0, 20_000);
      assert.equal(seen[0], `Bearer ${secret}`);

      const leaks = filesContaining([wb.workspaceDir, wb.userDataDir], secret);
      assert.deepEqual(leaks, [], 'the secret is in no file of the workspace or the user-data dir');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  scenario('a malformed .vscode/wirescope.json shows a clear problem and the side bar keeps working', async () => {
    await connect('SSE feed');
    const sse = await waitUntil('a live SSE session', async () => (await wb.revealState()).sessions.filter((x) => x.name === lastName() && !x.ended && x.stats.framesIn > 0).pop(), 20_000, 300);
    const good = readFileSync(wb.profilesFile, 'utf8');
    writeFileSync(wb.profilesFile, '{ "profiles": [ { "name": "broken", \n');
    try {
      const state = await waitUntil('the profiles file to be reported broken', async () => {
        const st = await wb.revealState();
        return st.profileFiles.some((f) => f.syntaxError) ? st : undefined;
      }, 20_000, 300);
      assert.ok(state.profiles.every((p) => p.scope !== 'workspace'), 'no workspace profile is loaded from a broken file');
      const profilesPane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Profiles' }) });
      await profilesPane.locator('.monaco-list-row', { hasText: 'Profiles file has a problem' }).first().waitFor({ timeout: 20_000 });
      // The notification names the file's problem in one line.
      const toast = wb.page.locator('.notification-toast', { hasText: 'Wirescope' }).first();
      await toast.waitFor({ timeout: 20_000 });
      assert.match((await toast.textContent()) ?? '', /not loaded until it is fixed/);
      await wb.screenshot('malformed-profiles-file');
      // The Sessions view still lists what runs, and the running session keeps receiving.
      const sessionsPane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Sessions' }) });
      await sessionsPane.locator('.monaco-list-row', { hasText: 'SSE feed' }).first().waitFor({ timeout: 10_000 });
      await waitUntil('the SSE session to keep receiving', async () => ((await wb.revealState()).sessions.find((x) => x.id === sse.id)?.stats.framesIn ?? 0) > sse.stats.framesIn, 20_000, 300);
    } finally {
      writeFileSync(wb.profilesFile, good);
    }
    await waitUntil('the profiles to come back once the file is fixed', async () => (await wb.revealState()).profiles.some((p) => p.name === 'REST items' && p.scope === 'workspace'), 20_000, 300);
  });

  scenario('screenshots of the inspector in dark, light and high-contrast themes', async () => {
    await connect('WebSocket feed');
    await wb.palette('View: Close All Editors');
    // The inspector in the editor area, as a user opens it for room; the session pick (if asked) offers the selected one first.
    await wb.palette('Wirescope: Open in Editor');
    const pickOpen = await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().isVisible({ timeout: 3000 }).catch(() => false);
    if (pickOpen) await wb.page.keyboard.press('Enter');
    const panel = await wb.webviewFrame('body[data-view="panel"] #app', 20_000);
    await panel.locator('#frame-log .row').first().waitFor({ timeout: 20_000 });
    // Picked the way a user does: Preferences: Color Theme, by the theme's label.
    const themes: Array<[string, string]> = [['Dark Modern', 'vscode-dark'], ['Light Modern', 'vscode-light'], ['Dark High Contrast', 'vscode-high-contrast']];
    for (const [theme, bodyClass] of themes) {
      await wb.palette('Preferences: Color Theme', theme);
      for (const frame of [panel, await wb.inspector()]) {
        await waitUntil(`the inspector to take the ${theme} theme`, async () => (await frame.locator(`body.${bodyClass}`).count()) > 0, 20_000);
      }
      await wb.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
      await panel.locator('#frame-log .row').first().waitFor({ timeout: 20_000 });
      await wb.screenshot(`inspector-${bodyClass}`);
    }
  });
});
