// The grpc pattern in a real VS Code (code-server) against @grpc/grpc-js's own server with @grpc/reflection:
// New Connection with a grpc:// URL lists the methods from server reflection, the bidi Chat method is picked
// and its request prefilled from the template; the inspector shows the call (method and status in the header,
// messages with their type and stream id), the composer sends one more message and ends the sending side
// (half-close), and the server's echoes and the OK trailers arrive.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGrpcServer, type GrpcTestServer } from '../helpers/grpc';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let server: GrpcTestServer;

describe('gRPC in VS Code (issue 13)', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startGrpcServer();
    wb = await launchWorkbench({ name: 'grpc', profiles: () => [] });
  });
  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  test('New Connection picks the method from reflection, prefills its template; the composer sends and half-closes a bidi call', async () => {
    const { page } = wb;
    try {
      await wb.palette('Wirescope: New Connection…');
      const input = page.locator('.quick-input-widget input');
      const title = (re: RegExp) => page.locator('.quick-input-widget .quick-input-title', { hasText: re }).first();
      await title(/New Connection \(1\/3\) — URL/).waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(server.url);
      await input.press('Enter');
      await title(/New Connection \(2\/3\) — pattern/).waitFor({ state: 'visible', timeout: 20_000 });
      const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      await rows.first().waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(((await rows.first().locator('.label-name').first().textContent()) ?? '').trim(), 'gRPC');
      await rows.first().click();

      // The methods come from the server's reflection: one row per method, with its call kind.
      await title(/New Connection \(3\/3\) — gRPC/).waitFor({ state: 'visible', timeout: 30_000 });
      await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Feed/Watch' }).first().waitFor({ timeout: 20_000 });
      const methodRows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      const labels: string[] = [];
      for (let i = 0; i < (await methodRows.count()); i++) labels.push(((await methodRows.nth(i).locator('.label-name').first().textContent()) ?? '').trim());
      assert.deepEqual(labels.sort(), ['Feed/Chat', 'Feed/Get', 'Feed/Ping', 'Feed/Upload', 'Feed/Watch']);
      await wb.screenshot('grpc-method-pick');
      await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Feed/Chat' }).first().click();

      // The request box holds the input message's template.
      await waitUntil('the request box prefilled with the ChatMessage template', async () => (await input.inputValue().catch(() => '')) === '{"text":"","seq":"0"}', 20_000, 100);
      await input.fill('{"text":"from vs code"}');
      await input.press('Enter');

      const panel = await wb.panel('grpc Feed/Chat', 30_000);
      const log = panel.locator('#frame-log .row');
      await log.filter({ hasText: /echo: from vs code/ }).first().waitFor({ timeout: 30_000 });
      const echo = (await log.filter({ hasText: /echo: from vs code/ }).first().textContent()) ?? '';
      assert.match(echo, /↓/);
      assert.match(echo, /Feed\/Chat/, 'the method in the channel column');
      assert.match(echo, /ChatMessage #\d+/, 'the message type and the stream id');
      await panel.locator('#grpc-call', { hasText: /bidi wirescope\.feed\.v1\.Feed\/Chat · in progress/ }).waitFor({ timeout: 10_000 });

      // The composer sends one more message on the live stream, then ends the sending side.
      await panel.waitForSelector('#composer:not([hidden])', { timeout: 20_000 });
      await panel.waitForSelector('#composer-half-close:not([hidden])');
      await panel.locator('#composer-input textarea').fill('{"text":"second"}');
      await panel.click('#composer-send');
      await log.filter({ hasText: /echo: second/ }).first().waitFor({ timeout: 20_000 });
      await panel.click('#composer-half-close');
      await log.filter({ hasText: /end of the request stream \(half-close\)/ }).first().waitFor({ timeout: 20_000 });
      await log.filter({ hasText: /trailers: OK/ }).first().waitFor({ timeout: 20_000 });
      await panel.locator('#grpc-call', { hasText: /bidi wirescope\.feed\.v1\.Feed\/Chat · OK/ }).waitFor({ timeout: 20_000 });
      assert.equal(await panel.getAttribute('#grpc-call', 'data-tone'), 'ok');
      await wb.screenshot('inspector-grpc');
      assert.equal(server.calls.filter((c) => c.method === 'Chat').length, 1, 'one call reached the server');
    } catch (e) {
      await wb?.screenshot('fail-grpc').catch(() => undefined);
      throw e;
    }
  });
});
