// The amqp pattern in a real VS Code (code-server) against a real Debian rabbitmq-server (a throwaway node on free
// ports, stopped after): a profile consuming an existing queue with manual acks says it is destructive; a message sent
// by amqplib (not written here) is an incoming row on its routing key; the composer's Ack settles it (the broker then
// holds no unacknowledged message); a publish from the composer (its Exchange/routing key field comes from the
// descriptor's capabilities) reaches amqplib.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as amqplib from 'amqplib';
import { rabbitPrefix, sharedRabbit, stopSharedRabbit, type RabbitNode } from '../helpers/rabbitmq';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let rabbit: RabbitNode;
let peer: amqplib.ChannelModel;
let ch: amqplib.Channel;
const prefix = rabbitPrefix('e2e');
const workQueue = `${prefix}-work`;
const outQueue = `${prefix}-out`;

describe('AMQP 0-9-1 in VS Code (issue 14)', { timeout: 600_000 }, () => {
  before(async () => {
    rabbit = await sharedRabbit();
    peer = await amqplib.connect(rabbit.url);
    ch = await peer.createChannel();
    await ch.assertQueue(workQueue, {});
    await ch.assertQueue(outQueue, {});
    wb = await launchWorkbench({
      name: 'amqp',
      profiles: () => [{ name: 'AMQP work queue', pattern: 'amqp', url: rabbit.url, amqp: { queue: workQueue, ack: 'manual' } }],
    });
  });
  after(async () => {
    await wb?.close();
    await peer?.close().catch(() => undefined);
    await stopSharedRabbit();
  });

  test('a consumed queue is said to be destructive; a message from amqplib is a row; Ack settles it; a composer publish reaches amqplib', async () => {
    try {
      await wb.palette('Wirescope: Connect to Profile…', 'AMQP work queue');
      const panel = await wb.panel('AMQP work queue', 30_000);
      const rows = panel.locator('#frame-log .row');
      await rows.filter({ hasText: /consuming queue .*-work \(ack manual, prefetch 100\)/ }).first().waitFor({ timeout: 30_000 });
      await rows.filter({ hasText: /DESTRUCTIVE: consumes queue/ }).first().waitFor({ timeout: 10_000 });
      assert.match((await panel.locator('#session-url').textContent()) ?? '', /^amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+\/$/, 'the header masks the URL password');

      ch.sendToQueue(workQueue, Buffer.from('hello from amqplib'), { messageId: 'm-1' });
      const fromPeer = rows.filter({ hasText: /hello from amqplib/ }).first();
      await fromPeer.waitFor({ timeout: 20_000 });
      assert.match((await fromPeer.textContent()) ?? '', /↓/, 'an incoming row');
      assert.match((await fromPeer.textContent()) ?? '', /e2e-.*-work/, 'its routing key is shown (shortened in the row)');

      await panel.waitForSelector('#composer:not([hidden])', { timeout: 20_000 });
      await panel.waitForSelector('#composer-channel[placeholder="Exchange/routing key"]:not([hidden])');
      assert.equal(await panel.isHidden('#composer-qos'), true, 'no QoS for AMQP');
      await panel.click('#composer-settle-ack');
      await rows.filter({ hasText: /acknowledged: it leaves the queue/ }).first().waitFor({ timeout: 20_000 });
      await waitUntil(
        'the broker to hold no unacknowledged message',
        async () => /\s0\s*$/m.test((await rabbit.ctl('list_queues', 'name', 'messages_unacknowledged')).split('\n').find((l) => l.startsWith(workQueue)) ?? ''),
        30_000,
        500,
      );

      const heard: string[] = [];
      await ch.consume(outQueue, (m) => m && heard.push(m.content.toString()), { noAck: true });
      await panel.locator('#composer-channel input').fill(`/${outQueue}`);
      await panel.locator('#composer-input textarea').fill('hello from the composer');
      await panel.click('#composer-send');
      await waitUntil("amqplib to get the composer's message", () => heard.includes('hello from the composer'), 20_000, 50);
      await rows.filter({ hasText: /hello from the composer/ }).first().waitFor({ timeout: 20_000 });
      assert.match((await rows.filter({ hasText: /hello from the composer/ }).first().textContent()) ?? '', /↑/, 'an outgoing row');
      await wb.screenshot('inspector-amqp');
    } catch (e) {
      await wb?.screenshot('fail-amqp').catch(() => undefined);
      throw e;
    }
  });
});
