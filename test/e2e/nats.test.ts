// The nats pattern in a real VS Code (code-server) against a real Debian nats-server: a profile subscribed to
// `orders.>` shows a message published by another client (nats.js, not written here) in the inspector, and a
// message sent from the composer (its Subject field comes from the descriptor's capabilities) reaches that client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { startNats, type NatsServer } from '../helpers/nats';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

const sc = StringCodec();
let wb: Workbench;
let server: NatsServer;
let peer: NatsConnection;

describe('NATS subjects in VS Code (issue 14)', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startNats();
    peer = await connect({ servers: `127.0.0.1:${server.port}` });
    wb = await launchWorkbench({
      name: 'nats',
      profiles: () => [{ name: 'NATS orders', pattern: 'nats', url: server.url, nats: { subscribe: ['orders.>'] } }],
    });
  });
  after(async () => {
    await wb?.close();
    await peer?.close().catch(() => undefined);
    await server?.stop();
  });

  test('a message published by nats.js appears in the inspector; a publish from the composer reaches it', async () => {
    try {
      await wb.palette('Wirescope: Connect to Profile…', 'NATS orders');
      const panel = await wb.panel('NATS orders', 30_000);
      const rows = panel.locator('#frame-log .row');
      // The PONG after the SUB confirms the subscription: a row of its own.
      await rows.filter({ hasText: /subscribed to orders\.>/ }).first().waitFor({ timeout: 30_000 });

      peer.publish('orders.eu', sc.encode('hello from nats.js'));
      await peer.flush();
      const fromPeer = rows.filter({ hasText: /hello from nats\.js/ }).first();
      await fromPeer.waitFor({ timeout: 20_000 });
      assert.match((await fromPeer.textContent()) ?? '', /↓/, 'an incoming row');
      assert.match((await fromPeer.textContent()) ?? '', /orders\.eu/, 'its subject is shown');

      const heard: string[] = [];
      const sub = peer.subscribe('composer.out');
      void (async () => {
        for await (const m of sub) heard.push(sc.decode(m.data));
      })();
      await peer.flush();

      await panel.waitForSelector('#composer:not([hidden])', { timeout: 20_000 });
      await panel.waitForSelector('#composer-channel[placeholder="Subject"]:not([hidden])');
      assert.equal(await panel.isHidden('#composer-qos'), true, 'no QoS for NATS');
      await panel.locator('#composer-channel input').fill('composer.out');
      await panel.locator('#composer-input textarea').fill('hello from the composer');
      await panel.click('#composer-send');
      await waitUntil('nats.js to get the composer\'s message', () => heard.includes('hello from the composer'), 20_000, 50);
      await rows.filter({ hasText: /hello from the composer/ }).first().waitFor({ timeout: 20_000 });
      assert.match((await rows.filter({ hasText: /hello from the composer/ }).first().textContent()) ?? '', /↑/, 'an outgoing row');
      await wb.screenshot('inspector-nats');
    } catch (e) {
      await wb?.screenshot('fail-nats').catch(() => undefined);
      throw e;
    }
  });
});
