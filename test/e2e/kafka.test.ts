// The kafka pattern in a real VS Code (code-server) against librdkafka's mock cluster (Debian's kcat): a profile
// watching a topic (no consumer group) shows a record produced by kcat (not written here) in the inspector, and a
// record sent from the composer (its Topic field comes from the descriptor's capabilities) is read back by kcat.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { kcatConsume, kcatProduce, startKafka, type KafkaCluster } from '../helpers/kafka';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let k: KafkaCluster;
// Each run has its own cluster: short names fit the row's channel column.
const topic = 'orders';
const outTopic = 'composer-out';

describe('Kafka topics in VS Code (issue 14)', { timeout: 600_000 }, () => {
  before(async () => {
    k = await startKafka();
    // The topics exist before the profile connects (the mock cluster creates them on first use).
    await kcatProduce(k.bootstrap, topic, [{ key: 'seed', value: 'before the session' }]);
    wb = await launchWorkbench({
      name: 'kafka',
      profiles: () => [{ name: 'Kafka orders', pattern: 'kafka', url: k.url, kafka: { topic: [topic], produceTopic: outTopic } }],
    });
  });
  after(async () => {
    await wb?.close();
    await k?.stop();
  });

  test('a record produced by kcat appears in the inspector; a record from the composer is read back by kcat', async () => {
    try {
      await wb.palette('Wirescope: Connect to Profile…', 'Kafka orders');
      const panel = await wb.panel('Kafka orders', 30_000);
      const rows = panel.locator('#frame-log .row');
      // The assignment without a group is a row of its own, in words.
      await rows.filter({ hasText: /assigned \(no consumer group\)/ }).first().waitFor({ timeout: 30_000 });
      assert.equal(await rows.filter({ hasText: /before the session/ }).count(), 0, 'from latest: the older record is not shown');

      await kcatProduce(k.bootstrap, topic, [{ key: 'order-1', value: 'hello from kcat' }]);
      const fromPeer = rows.filter({ hasText: /hello from kcat/ }).first();
      await fromPeer.waitFor({ timeout: 20_000 });
      assert.match((await fromPeer.textContent()) ?? '', /↓/, 'an incoming row');
      assert.match((await fromPeer.textContent()) ?? '', new RegExp(topic), 'its topic is shown');

      await panel.waitForSelector('#composer:not([hidden])', { timeout: 20_000 });
      await panel.waitForSelector('#composer-channel[placeholder="Topic"]:not([hidden])');
      assert.equal(await panel.isHidden('#composer-qos'), true, 'no QoS for Kafka');
      await panel.locator('#composer-channel input').fill(outTopic);
      await panel.locator('#composer-input textarea').fill('hello from the composer');
      await panel.click('#composer-send');
      await rows.filter({ hasText: /hello from the composer/ }).first().waitFor({ timeout: 20_000 });
      assert.match((await rows.filter({ hasText: /hello from the composer/ }).first().textContent()) ?? '', /↑/, 'an outgoing row');
      await waitUntil(
        'kcat to read the composer\'s record',
        async () => (await kcatConsume(k.bootstrap, outTopic)).some((r) => r.value === 'hello from the composer'),
        20_000,
        500,
      );
      await wb.screenshot('inspector-kafka');
    } catch (e) {
      await wb?.screenshot('fail-kafka').catch(() => undefined);
      throw e;
    }
  });
});
