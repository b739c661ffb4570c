// The inspector bundle in Chromium wired to the real host side: a WebSocket server on 127.0.0.1,
// the engine session, the host's SessionManager and log, and the InspectorEndpoint that validates
// and batches. Only VS Code itself is replaced, by a bridge between the page and this process.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Disposable } from '../../src/core/emitter';
import { InspectorEndpoint, type InspectorBackend, type WebviewLike } from '../../src/host/inspectorEndpoint';
import { sessionManagerBackend } from '../../src/host/inspectorBackend';
import { SessionManager } from '../../src/host/sessionManager';
import { wsServer, type WsTestServer } from '../helpers/servers';
import { Harness, pickOption, postToPage } from './harness';
import type { Page } from 'playwright-core';

/** VS Code's webview stand-in: the page at the other end of the bridge. */
class PageWebview implements WebviewLike {
  visible = true;
  page: Page | undefined;
  posted = 0;
  private listener: ((m: unknown) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  postMessage(m: unknown): Promise<boolean> {
    this.posted++;
    const page = this.page;
    // Keep host -> page messages in order, as VS Code does.
    const p = this.chain.then(() => (page ? postToPage(page, m) : false));
    this.chain = p;
    return p;
  }
  onDidReceiveMessage(l: (m: unknown) => void): Disposable {
    this.listener = l;
    return { dispose: () => (this.listener = undefined) };
  }
  fromPage(m: unknown): void {
    this.listener?.(m);
  }
}

function backendFor(manager: SessionManager, calls: string[]): InspectorBackend {
  return sessionManagerBackend(manager, {
    exportLog: (id, f) => void calls.push(`export ${id} ${f}`),
    copy: (t) => void calls.push(`copy ${t}`),
    saveTemplate: (id, n) => void calls.push(`template ${id} ${n}`),
    batchIntervalMs: () => 30,
  });
}

let hs: Harness;
let srv: WsTestServer;
before(async () => {
  hs = await Harness.start();
  srv = await wsServer((wss) =>
    wss.on('connection', (s) => {
      s.send(JSON.stringify({ hello: 'from server', token: 'hunter22' }));
      s.on('message', (m, isBinary) => {
        const text = String(m);
        if (text === 'flood') for (let i = 0; i < 5000; i++) s.send(JSON.stringify({ i, msg: `item ${i}` }));
        else if (isBinary) s.send(m, { binary: true });
        else s.send(`echo: ${text}`);
      });
    }),
  );
});
after(async () => {
  await hs?.stop();
  await srv?.close();
});

test('a live WebSocket session through the real host endpoint: rows, send, flood batching, filter, disconnect', async () => {
  const manager = new SessionManager();
  const webview = new PageWebview();
  const calls: string[] = [];
  const endpoint = new InspectorEndpoint(webview, backendFor(manager, calls), { view: 'sidebar' });
  await manager.start({
    options: { pattern: 'ws', url: srv.url },
    name: 'live ws',
    profile: { name: 'live ws', pattern: 'ws', url: srv.url },
    secretValues: ['hunter22'],
  });
  const p = await hs.openBridged(
    (msg) => webview.fromPage(msg),
    (page) => (webview.page = page),
  );
  try {
    const { page } = p;
    await page.waitForFunction(() => document.querySelector('#session-state')?.textContent === 'open', undefined, { timeout: 5000 });
    assert.equal(await page.textContent('#session-name'), 'live ws');
    // The greeting arrives as a row; the secret in it is redacted by the host.
    await page.waitForFunction(() => [...document.querySelectorAll('#frame-log .row')].some((r) => r.textContent?.includes('from server')));
    const greeting = await page.locator('#frame-log .row', { hasText: 'from server' }).innerText();
    assert.ok(!greeting.includes('hunter22'), `secret redacted: ${greeting}`);

    // Send text and hex through the composer; the server's echoes come back as rows.
    await page.locator('#composer-input textarea').fill('ping me');
    await page.click('#composer-send');
    await page.waitForFunction(() => [...document.querySelectorAll('#frame-log .row.frame-in')].some((r) => r.textContent?.includes('echo: ping me')));
    await pickOption(page, 'composer-encoding', 'hex');
    await page.locator('#composer-input textarea').fill('de ad be ef');
    await page.locator('#composer-input textarea').press('Control+Enter');
    await page.waitForFunction(() => document.querySelectorAll('#frame-log .row.frame-in .c-prev').length > 0 && [...document.querySelectorAll('#frame-log .row.frame-out')].some((r) => r.textContent?.includes('[binary]')));

    // A flood of 5000 messages: every one is counted, the page gets few batched notes.
    const postedBefore = webview.posted;
    await page.locator('#composer-input textarea').fill('flood');
    await pickOption(page, 'composer-encoding', 'text');
    await page.click('#composer-send');
    await page.waitForFunction(() => [...document.querySelectorAll('#frame-log .row')].some((r) => r.textContent?.includes('"i":4999')), undefined, { timeout: 15_000 });
    const rowcount = Number(await page.getAttribute('#frame-log', 'aria-rowcount'));
    assert.ok(rowcount >= 5000 + 5, `rowcount ${rowcount}`);
    assert.ok(webview.posted - postedBefore < 300, `${webview.posted - postedBefore} host->page posts for 5000 frames`);
    assert.ok((await page.$$eval('#frame-log .row', (r) => r.length)) <= 60, 'DOM rows stay bounded');

    // Host-side text filter: only the matching frame remains.
    await page.locator('#filter-text input').fill('item 1234"');
    await page.waitForFunction(() => document.getElementById('frame-log')?.getAttribute('aria-rowcount') === '1');
    await page.waitForFunction(() => document.querySelector('#frame-log .row[data-seq]:not([hidden]) .c-prev')?.textContent === '{"i":1234,"msg":"item 1234"}');
    await page.locator('#filter-text input').fill('');
    await page.waitForFunction((n) => Number(document.getElementById('frame-log')?.getAttribute('aria-rowcount')) >= n, rowcount);

    // Detail of a frame comes from the host (GetEvent) with pretty JSON.
    const seq = Number(await page.locator('#frame-log .row.frame-in', { hasText: '"i":4999' }).getAttribute('data-seq'));
    await page.click(`#frame-log .row[data-seq="${seq}"]`);
    await page.waitForFunction(() => document.querySelector('#detail-payload')?.textContent?.includes('"msg": "item 4999"'));

    await page.click('#btn-disconnect');
    await page.waitForFunction(() => document.querySelector('#session-state')?.textContent === 'closed', undefined, { timeout: 10_000 });
    assert.equal(await page.isHidden('#composer'), true, 'no composer once the session ended');
    assert.deepEqual(p.cspViolations, []);
    assert.deepEqual(p.consoleErrors, []);
    assert.equal(endpoint.counters.rejected, 0, 'the host accepted every message the webview sent');
  } finally {
    await p.close();
    endpoint.dispose();
    await manager.dispose();
  }
});
