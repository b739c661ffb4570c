import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqtt from 'mqtt';
import { Feed } from '../../../src/demo/feed';
import { startMqttBroker } from '../../../src/demo/mqttBroker';
import type { WireEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';

const dataFrames = (es: WireEvent[], dir: 'in' | 'out') => ofKind(es, 'frame').filter((f) => f.dir === dir && !f.meta?.control);

describe('demo MQTT broker (aedes)', () => {
  for (const protocolVersion of [4, 5] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: the feed arrives on feed/#, with retained feed/latest`, async () => {
      const feed = new Feed({ rate: 0 });
      feed.tick();
      const broker = await startMqttBroker({ feed });
      try {
        assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
        const events = await runSession(
          { pattern: 'mqtt', url: broker.url, count: 4, mqtt: { protocolVersion, subscribe: [{ topic: 'feed/#', qos: 1 }] } },
          async (_s, ev) => {
            // The retained latest event arrives on subscribe; then two live ticks.
            await waitFor(ev, (es) => dataFrames(es, 'in').length === 1);
            feed.tick();
          },
        );
        checkInvariants(events);
        const frames = dataFrames(events, 'in');
        const first = frames[0];
        assert.equal(first.channel, 'feed/latest');
        assert.equal(first.meta?.retain, true);
        assert.equal((JSON.parse(first.data) as { seq: number }).seq, 1);
        const live = frames.slice(1).map((f) => [f.channel, (JSON.parse(f.data) as { seq: number; label: string }).seq]);
        const label = (JSON.parse(frames[1].data) as { label: string }).label;
        assert.deepEqual(
          live.sort(),
          [
            ['feed/labels/' + label, 2],
            ['feed/latest', 2],
            ['feed/ticks', 2],
          ].sort(),
        );
        assert.equal(ofKind(events, 'state').at(-1)!.state, 'closed');
      } finally {
        await broker.close();
        feed.stop();
      }
    });
  }

  it('answers MQTT 5 requests on demo/request with the same correlation data', async () => {
    const broker = await startMqttBroker();
    try {
      const events = await runSession({
        pattern: 'mqtt',
        url: broker.url,
        mqtt: { request: { topic: 'demo/request', payload: 'ping?', count: 2, intervalMs: 20, timeoutMs: 3000 } },
      });
      checkInvariants(events);
      assert.equal(ofKind(events, 'error').length, 0, JSON.stringify(ofKind(events, 'error')));
      const responses = dataFrames(events, 'in');
      assert.equal(responses.length, 2);
      const requests = dataFrames(events, 'out');
      for (const res of responses) {
        const req = requests.find((r) => r.meta?.request === res.meta?.request)!;
        assert.equal((res.meta?.properties as Record<string, unknown>).correlationData, req.meta?.correlationId);
        assert.equal((res.meta?.properties as Record<string, unknown>).contentType, 'application/json');
        assert.equal((JSON.parse(res.data) as { request: string }).request, 'ping?');
        assert.equal(typeof res.meta?.rttMs, 'number');
      }
      const rr = (events.at(-1) as unknown as Record<string, { answered: number; timedOut: number }>).requestResponse;
      assert.equal(rr.answered, 2);
      assert.equal(rr.timedOut, 0);
    } finally {
      await broker.close();
    }
  });

  it('serves MQTT over WebSocket when asked, and close() frees both ports', async () => {
    const feed = new Feed({ rate: 0 });
    const broker = await startMqttBroker({ feed, wsPort: 0 });
    let closed = false;
    try {
      assert.ok(broker.wsUrl);
      const events = await runSession(
        { pattern: 'mqtt', url: broker.wsUrl!, count: 1, mqtt: { subscribe: [{ topic: 'feed/ticks' }] } },
        async (_s, ev) => {
          await waitFor(ev, (es) => ofKind(es, 'frame').some((f) => f.meta?.packet === 'suback'));
          feed.tick();
        },
      );
      assert.equal(dataFrames(events, 'in')[0].channel, 'feed/ticks');
      await broker.close();
      closed = true;
      // Nothing listens any more: a plain client is refused at once.
      const c = mqtt.connect(broker.url, { reconnectPeriod: 0, connectTimeout: 2000 });
      const err = await new Promise<Error>((resolve) => c.once('error', resolve));
      c.end(true);
      assert.match(String((err as { code?: string }).code), /ECONNREFUSED/);
    } finally {
      if (!closed) await broker.close();
      feed.stop();
    }
  });
});
