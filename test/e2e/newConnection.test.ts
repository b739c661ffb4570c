// New Connection asks for the URL first and infers the pattern, in the real VS Code (code-server):
// a URL typed without a scheme gets http://, and for http(s) the response's Content-Type decides
// (text/event-stream -> SSE, application/x-ndjson -> HTTP stream); ws: means WebSocket.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;

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

/** New Connection with a typed URL; returns the pattern pick's rows (label + description) as shown, then takes the first. */
async function newConnection(url: string): Promise<Array<{ label: string; description: string }>> {
  const { page } = wb;
  await wb.palette('Wirescope: New Connection…');
  const input = page.locator('.quick-input-widget input');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: /New Connection \(1\/3\) — URL/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(url);
  await input.press('Enter');
  // The http(s) probe runs, then the pattern pick opens with the inferred pattern first.
  await page.locator('.quick-input-widget .quick-input-title', { hasText: /New Connection \(2\/3\) — pattern/ }).first().waitFor({ state: 'visible', timeout: 20_000 });
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: 10_000 });
  const shown: Array<{ label: string; description: string }> = [];
  for (let i = 0; i < Math.min(await rows.count(), 3); i++) {
    const row = rows.nth(i);
    shown.push({
      label: ((await row.locator('.label-name').first().textContent()) ?? '').trim(),
      description: ((await row.locator('.label-description').first().textContent().catch(() => '')) ?? '').trim(),
    });
  }
  await wb.screenshot(`new-connection-pattern-${shown[0]?.label.replace(/\W+/g, '-') ?? 'none'}`);
  // Take the inferred (first) row. A click, not Enter: an inspector opened in the editor area may hold the keyboard.
  await rows.first().click();
  return shown;
}

/** The newest session of a pattern once it counts incoming frames. */
async function sessionReceiving(pattern: string) {
  return waitUntil(`a ${pattern} session receiving frames`, async () => {
    const s = (await wb.revealState()).sessions.filter((x) => x.pattern === pattern).pop();
    return s && s.stats.framesIn > 0 ? s : undefined;
  }, 30_000, 300);
}

describe('New Connection: URL first, pattern inferred', { timeout: 600_000 }, () => {
  before(async () => {
    wb = await launchWorkbench({ name: 'new-connection' });
  });
  after(async () => {
    await wb?.close();
  });

  scenario('a bare host:port/path that answers text/event-stream connects as SSE', async () => {
    const url = wb.demo.urls.sse.replace(/^http:\/\//, '');
    const rows = await newConnection(url);
    assert.equal(rows[0].label, 'Server-sent events');
    assert.match(rows[0].description, /inferred from Content-Type text\/event-stream/);
    const s = await sessionReceiving('sse');
    assert.match(s.name, /^sse 127\.0\.0\.1:\d+\/sse$/);
    // What the user sees: the inspector shows the session and its incoming rows.
    // The inspector (side bar or editor area) shows the session and its incoming rows.
    await waitUntil('the inspector to show the SSE session with incoming rows', async () => {
      for (const f of wb.page.frames()) {
        if (f === wb.page.mainFrame()) continue;
        const name = (await f.locator('#session-name').textContent({ timeout: 500 }).catch(() => null))?.trim();
        if (name === s.name && (await f.locator('#frame-log .frame-in').count().catch(() => 0)) > 0) return true;
      }
      return false;
    }, 30_000, 300);
  });

  scenario('an http URL that answers application/x-ndjson connects as an HTTP stream', async () => {
    const rows = await newConnection(wb.demo.urls.stream);
    assert.equal(rows[0].label, 'HTTP streaming');
    assert.match(rows[0].description, /inferred from Content-Type application\/x-ndjson/);
    await sessionReceiving('stream');
  });

  scenario('a JSON resource stays request-response; a ws: URL is a WebSocket', async () => {
    const json = await newConnection(wb.demo.urls.items);
    assert.equal(json[0].label, 'HTTP request-response');
    // Step 3 of request-response: the method; GET.
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('GET');
    await input.press('Enter');
    await sessionReceiving('http');
    const ws = await newConnection(wb.demo.urls.ws);
    assert.equal(ws[0].label, 'WebSocket');
    assert.match(ws[0].description, /inferred from the ws: scheme/);
    await sessionReceiving('ws');
  });

  scenario('with npm start\'s demo running, New Connection prefills its real URL and Start Demo Backend reuses it', async () => {
    // The harness names its demo in $WIRESCOPE_DEMO_URL, as npm start does.
    const before = await wb.revealState();
    await wb.palette('Wirescope: Start Demo Backend');
    await wb.page.locator('.notifications-toasts', { hasText: /started by npm start is running at/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
    const after = await wb.revealState();
    assert.equal(after.demo, null, 'no second demo backend');
    assert.equal(after.profiles.filter((p) => p.scope === 'demo').length, 0, 'no second set of profiles');
    assert.equal(after.profiles.length, before.profiles.length);
    await wb.palette('Wirescope: New Connection…');
    const input = wb.page.locator('.quick-input-widget input');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: /New Connection \(1\/3\) — URL/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await input.inputValue(), wb.demo.urls.sse, 'the demo\'s SSE URL on its real port');
    await wb.page.keyboard.press('Escape');
  });

  scenario('a single click on a profile opens its form, or its running session', async () => {
    const { page } = wb;
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Profiles' }) });
    const row = tree.locator('.monaco-list-row', { hasText: 'REST items' }).first();
    // The activity-bar icon toggles the side bar: click it only when the Profiles view is not on screen.
    if (!(await row.isVisible().catch(() => false))) await page.locator('.activitybar [aria-label^="Wirescope"]').first().click();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await waitUntil('the profile form for REST items', async () => ((await wb.revealState()).profileForms as string[] | undefined)?.some((t) => t.includes('REST items')), 20_000);
    // Connected, the same click shows its session in the inspector.
    await wb.palette('Wirescope: Connect to Profile…', 'SSE feed');
    const s = await sessionReceiving('sse');
    await wb.palette('Wirescope: Open Inspector');
    const sseRow = tree.locator('.monaco-list-row', { hasText: 'SSE feed' }).first();
    await sseRow.waitFor({ timeout: 20_000 });
    await sseRow.click();
    await waitUntil('the SSE feed session selected', async () => (await wb.revealState()).selected === s.id, 20_000);
  });
});
