// The composer's GraphQL field completions in Chromium, wired to the real host side: the graphql-ws library's
// server and graphql-http (test/helpers/graphql.ts), the engine session, the host's SessionManager (which runs
// the introspection) and the InspectorEndpoint. Typing offers the root fields of the operation type with their
// arguments and return types; a pick puts in a document that runs; a server with introspection disabled gives
// one line and the composer stays a plain text area.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Disposable } from '../../src/core/emitter';
import { sessionManagerBackend } from '../../src/host/inspectorBackend';
import { InspectorEndpoint, type WebviewLike } from '../../src/host/inspectorEndpoint';
import { SessionManager } from '../../src/host/sessionManager';
import { startGraphqlServers, type GraphqlServers } from '../helpers/graphql';
import { Harness, postToPage } from './harness';

/** VS Code's webview stand-in: the page at the other end of the bridge. */
class PageWebview implements WebviewLike {
  visible = true;
  page: Page | undefined;
  private listener: ((m: unknown) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  postMessage(m: unknown): Promise<boolean> {
    const page = this.page;
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

const resultsDir = join(import.meta.dirname, '..', '..', 'test-results');
let hs: Harness;
let srv: GraphqlServers;
before(async () => {
  hs = await Harness.start();
  srv = await startGraphqlServers();
});
after(async () => {
  await hs?.stop();
  await srv?.close();
});

async function openSession(url: string, name: string) {
  const manager = new SessionManager();
  const webview = new PageWebview();
  const endpoint = new InspectorEndpoint(
    webview,
    sessionManagerBackend(manager, { exportLog: () => undefined, copy: () => undefined, saveTemplate: () => undefined, batchIntervalMs: () => 30 }),
    { view: 'sidebar' },
  );
  await manager.start({ options: { pattern: 'graphql', url, graphql: { documents: ['subscription Slow { ticks(intervalMs: 500) { seq } }'] } }, name, profile: { name, pattern: 'graphql', url } });
  const p = await hs.openBridged(
    (msg) => webview.fromPage(msg),
    (page) => (webview.page = page),
  );
  await p.page.waitForFunction(() => document.querySelector('#session-state')?.textContent === 'open', undefined, { timeout: 10_000 });
  return {
    ...p,
    endpoint,
    close: async () => {
      await p.close();
      endpoint.dispose();
      await manager.dispose();
    },
  };
}

test('typing a document offers the root fields with arguments and return types; a pick puts in a document that runs', async () => {
  const p = await openSession(srv.wsUrl, 'gql live');
  try {
    const { page } = p;
    const input = page.locator('#composer-input textarea');
    assert.equal(await page.locator('#composer-encoding').isVisible(), false, 'a GraphQL document is text: no Text/Hex/Base64 choice');
    const list = page.locator('#composer-completions');
    await page.locator('#composer-completions-status', { hasText: 'Field completions: 3 query, 1 mutation, 4 subscription' }).waitFor({ timeout: 15_000 });
    // The fields of the operation type being written, the best match first, each with its arguments and return type.
    await input.pressSequentially('subscription { ti');
    await list.waitFor({ state: 'visible', timeout: 5000 });
    const options = list.locator('[role="option"]');
    assert.deepEqual(await options.evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['ticks', 'partial']);
    assert.equal(await options.nth(0).locator('.gql-completion-detail').textContent(), 'ticks(count: Int = 1000000, intervalMs: Int = 20): Tick!');
    assert.equal(await options.nth(0).getAttribute('aria-selected'), 'true');
    // ↓ moves, ↑ comes back, Enter puts in the selection and closes the braces.
    await input.press('ArrowDown');
    assert.equal(await options.nth(1).getAttribute('aria-selected'), 'true');
    mkdirSync(resultsDir, { recursive: true });
    await page.locator('#composer').screenshot({ path: join(resultsDir, 'composer-graphql-completions.png') });
    await input.press('ArrowUp');
    await input.press('Enter');
    assert.equal(await input.inputValue(), 'subscription { ticks { seq at } }');
    assert.equal(await list.isVisible(), false);
    // It runs: results of the new subscription come in.
    await input.press('Control+Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('#frame-log .row.frame-in')].some((r) => r.textContent?.includes('{"data":{"ticks":{"seq":3,"at":null}}}')), undefined, { timeout: 15_000 });

    // A click picks too: the query's required argument gets a placeholder, its object type its scalar fields.
    await input.fill('');
    await input.pressSequentially('query { it');
    await list.waitFor({ state: 'visible', timeout: 5000 });
    await list.locator('[role="option"][data-name="item"]').click();
    assert.equal(await input.inputValue(), 'query { item(id: "") { id name tags } }');
    // Escape closes the list and leaves the text; a plain newline is a newline when no list is shown.
    await input.fill('');
    await input.pressSequentially('mutation ');
    await list.waitFor({ state: 'visible', timeout: 5000 });
    assert.deepEqual(await list.locator('[role="option"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['add']);
    await input.press('Escape');
    assert.equal(await list.isVisible(), false);
    assert.equal(await input.inputValue(), 'mutation ');
    assert.deepEqual(p.cspViolations, []);
    assert.deepEqual(p.consoleErrors, []);
    assert.equal(p.endpoint.counters.rejected, 0);
  } finally {
    await p.close();
  }
});

test('introspection disabled: one line, no list, and the composer runs what is typed as plain text', async () => {
  const p = await openSession(srv.closedUrl, 'gql closed');
  try {
    const { page } = p;
    const input = page.locator('#composer-input textarea');
    const status = page.locator('#composer-completions-status');
    await status.locator('text=/^No field completions: introspection failed: GraphQL introspection has been disabled/').waitFor({ timeout: 15_000 });
    assert.match((await status.textContent()) ?? '', /Type the document as text\.$/);
    assert.doesNotMatch((await status.textContent()) ?? '', /\n/);
    await input.pressSequentially('query Hi { hello(name: "plain") }');
    assert.equal(await page.locator('#composer-completions').isVisible(), false);
    await input.press('Control+Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('#frame-log .row.frame-in')].some((r) => r.textContent?.includes('{"data":{"hello":"hello plain"}}')), undefined, { timeout: 15_000 });
    assert.deepEqual(p.cspViolations, []);
    assert.deepEqual(p.consoleErrors, []);
  } finally {
    await p.close();
  }
});
