// The graphql pattern in a real VS Code (code-server) against the graphql-ws library's own server (useServer on
// a ws WebSocketServer, test/helpers/graphql.ts): a profile with one subscription shows connection_init and
// connection_ack in words and the results on the operation's channel; the composer runs a query on the live
// connection, a subscription whose results carry errors is marked as an error row even though the
// transport is fine, and a subscription is written by picking a field completion (from the host's introspection).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGraphqlServers, type GraphqlServers } from '../helpers/graphql';
import { launchWorkbench, type Workbench } from './harness';

let wb: Workbench;
let srv: GraphqlServers;

describe('GraphQL subscription in VS Code (issue 13)', { timeout: 600_000 }, () => {
  before(async () => {
    srv = await startGraphqlServers();
    wb = await launchWorkbench({
      name: 'graphql',
      profiles: () => [{ name: 'GraphQL ticks', pattern: 'graphql', url: srv.wsUrl, graphql: { documents: ['subscription Ticks { ticks(intervalMs: 1000) { seq } }'] } }],
    });
  });
  after(async () => {
    await wb?.close();
    await srv?.close();
  });

  test('a subscription streams results on its operation; the composer runs a query on the same connection; errors are marked', async () => {
    try {
      await wb.palette('Wirescope: Connect to Profile…', 'GraphQL ticks');
      const panel = await wb.panel('GraphQL ticks', 30_000);
      const rows = panel.locator('#frame-log .row');
      // The log keeps only the visible rows in the page: the filter box brings each one into view.
      const filter = (text: string) => panel.locator('#filter-text input').fill(text);
      // The protocol messages are control rows in words.
      await filter('connection_');
      await rows.filter({ hasText: /connection_init \(graphql-transport-ws\)/ }).first().waitFor({ timeout: 30_000 });
      await rows.filter({ hasText: /connection_ack/ }).first().waitFor({ timeout: 20_000 });
      // Results arrive on the operation's channel.
      await filter('"seq":2}');
      const tick = rows.filter({ hasText: /\{"data":\{"ticks":\{"seq":2\}\}\}/ }).first();
      await tick.waitFor({ timeout: 20_000 });
      const tickText = (await tick.textContent()) ?? '';
      assert.match(tickText, /↓/, 'an incoming row');
      assert.match(tickText, /Ticks/, 'the operation name is the channel');

      // The composer runs a query on the live connection (the next operation id), answered on its own channel.
      await filter('vs code');
      await panel.waitForSelector('#composer:not([hidden])', { timeout: 20_000 });
      await panel.locator('#composer-input textarea').fill('query Hi { hello(name: "vs code") }');
      await panel.click('#composer-send');
      const hello = rows.filter({ hasText: /\{"data":\{"hello":"hello vs code"\}\}/ }).first();
      await hello.waitFor({ timeout: 20_000 });
      assert.match((await hello.textContent()) ?? '', /Hi/);

      // A subscription whose second result has a field error: that row is an error row, led by the message.
      await filter('Cannot return null');
      await panel.locator('#composer-input textarea').fill('subscription P { partial { seq } }');
      await panel.click('#composer-send');
      const bad = rows.filter({ hasText: /errors: Cannot return null for non-nullable field Tick\.seq\. \(at partial\.seq\)/ }).first();
      await bad.waitFor({ timeout: 20_000 });
      assert.match((await bad.getAttribute('class')) ?? '', /status-error/, 'the row is marked as an error');
      await filter('');
      // The session header lists the operations with their type and state; an error makes its tone failed.
      await panel.locator('#grpc-call', { hasText: /Ticks \(subscription\) · Hi \(query, complete\) · P \(subscription, errors, complete\)/ }).waitFor({ timeout: 10_000 });
      assert.equal(await panel.getAttribute('#grpc-call', 'data-tone'), 'failed');
      await wb.screenshot('inspector-graphql');

      // One connection carried all three operations, and the ticks go on.
      await filter('connection_ack');
      await panel.locator('#filter-count', { hasText: /^1 match$/ }).waitFor({ timeout: 10_000 });
      assert.equal(srv.connections(), 1, 'one WebSocket connection');
      await filter('"seq":5}');
      await rows.filter({ hasText: /"seq":5\}/ }).first().waitFor({ timeout: 20_000 });

      // A subscription written by picking a completion: the host introspected the server (over HTTP at the same
      // path, so still one WebSocket), the composer offers the subscription fields with their argument and return
      // types, and Enter puts in a selection with the return type's scalar fields.
      await panel.locator('#composer-completions-status', { hasText: 'Field completions: 3 query, 1 mutation, 4 subscription' }).waitFor({ timeout: 20_000 });
      const input = panel.locator('#composer-input textarea');
      await input.fill('');
      await input.pressSequentially('subscription Picked { ti');
      const list = panel.locator('#composer-completions');
      await list.waitFor({ state: 'visible', timeout: 10_000 });
      const first = list.locator('[role="option"]').first();
      assert.equal(await first.getAttribute('data-name'), 'ticks');
      assert.equal(await first.locator('.gql-completion-detail').textContent(), 'ticks(count: Int = 1000000, intervalMs: Int = 20): Tick!');
      await wb.screenshot('inspector-graphql-completions');
      await input.press('Enter');
      assert.equal(await input.inputValue(), 'subscription Picked { ticks { seq at } }');
      await filter('"at":null}');
      await panel.click('#composer-send');
      const picked = rows.filter({ hasText: /\{"data":\{"ticks":\{"seq":3,"at":null\}\}\}/ }).first();
      await picked.waitFor({ timeout: 20_000 });
      assert.match((await picked.textContent()) ?? '', /Picked/, 'on the picked operation\'s channel');
      assert.equal(srv.connections(), 1, 'still one WebSocket connection');
    } catch (e) {
      await wb?.screenshot('fail-graphql').catch(() => undefined);
      throw e;
    }
  });
});
