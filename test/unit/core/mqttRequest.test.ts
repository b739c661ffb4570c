import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import type { WireEvent } from '../../../src/shared/events';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';

const dataFrames = (es: WireEvent[], dir: 'in' | 'out') => ofKind(es, 'frame').filter((f) => f.dir === dir && !f.meta?.control);

/**
 * A real MQTT 5 responder on the broker: answers each request on its response topic with the same
 * correlation data after `delayMs`, except requests whose number is in `ignore`.
 */
async function responder(url: string, topic: string, delayMs: number, ignore: number[] = []): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  c.on('message', (_t, payload, packet) => {
    const { responseTopic, correlationData } = packet.properties ?? {};
    const n = (JSON.parse(payload.toString('utf8')) as { request: number }).request;
    if (!responseTopic || ignore.includes(n)) return;
    setTimeout(() => {
      c.publish(responseTopic, JSON.stringify({ answer: n }), { qos: 1, properties: { correlationData } });
    }, delayMs);
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return c;
}

describe('mqtt request/response (MQTT 5) against Mosquitto', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker?.stop();
  });

  it('matches responses by correlation data, with round-trip times, and ends when all are answered', async () => {
    const svc = await responder(broker.url, 'svc/echo', 40);
    try {
      const events = await runSession({
        pattern: 'mqtt',
        url: broker.url,
        mqtt: { clientId: 'req-client', request: { topic: 'svc/echo', count: 3, intervalMs: 30, timeoutMs: 3000 } },
      });
      checkInvariants(events);
      assert.deepEqual(ofKind(events, 'state').map((st) => st.state), ['connecting', 'open', 'closing', 'closed']);
      const last = ofKind(events, 'state').at(-1)!;
      assert.equal(last.reason, 'all requests answered or timed out');
      // The response topic is subscribed before the first request goes out.
      const sub = ofKind(events, 'frame').find((f) => f.meta?.packet === 'subscribe')!;
      assert.deepEqual((sub.meta?.subscriptions as Array<{ topic: string }>).map((s) => s.topic), ['wirescope/responses/req-client']);
      const requests = dataFrames(events, 'out');
      assert.equal(requests.length, 3);
      assert.ok(requests.every((r) => r.seq > sub.seq));
      const ids = requests.map((r) => r.meta?.correlationId as string);
      assert.equal(new Set(ids).size, 3, 'correlation data is unique per request');
      for (const r of requests) {
        const props = r.meta?.properties as Record<string, unknown>;
        assert.equal(props.responseTopic, 'wirescope/responses/req-client');
        assert.equal(props.correlationData, r.meta?.correlationId);
        assert.equal(r.channel, 'svc/echo');
      }
      const responses = dataFrames(events, 'in');
      assert.equal(responses.length, 3);
      for (const res of responses) {
        assert.equal(res.channel, 'wirescope/responses/req-client');
        const n = (JSON.parse(res.data) as { answer: number }).answer;
        assert.equal(res.meta?.request, n);
        assert.equal(res.meta?.correlationId, ids[n - 1]);
        assert.ok((res.meta?.rttMs as number) >= 35, `rtt ${String(res.meta?.rttMs)} covers the responder's 40 ms`);
        assert.ok((res.meta?.rttMs as number) < 2000);
      }
      const timings = ofKind(events, 'timing').filter((t) => t.meta?.correlationId !== undefined);
      assert.equal(timings.length, 3);
      const summary = events.at(-1)!;
      assert.equal(summary.kind, 'summary');
      const rr = (summary as Record<string, unknown>).requestResponse as { sent: number; answered: number; timedOut: number; rtt: { min: number; avg: number; max: number } };
      assert.equal(rr.sent, 3);
      assert.equal(rr.answered, 3);
      assert.equal(rr.timedOut, 0);
      const rtts = responses.map((r) => r.meta?.rttMs as number);
      assert.equal(rr.rtt.min, Math.min(...rtts));
      assert.equal(rr.rtt.max, Math.max(...rtts));
      assert.ok(rr.rtt.min <= rr.rtt.avg && rr.rtt.avg <= rr.rtt.max);
    } finally {
      await svc.endAsync();
    }
  });

  it('reports a request with no response as timed out while the others are answered', async () => {
    const svc = await responder(broker.url, 'svc/partial', 10, [2]);
    try {
      const events = await runSession({
        pattern: 'mqtt',
        url: broker.url,
        mqtt: { request: { topic: 'svc/partial', responseTopic: 'my/replies', count: 3, intervalMs: 20, timeoutMs: 400, qos: 0 } },
      });
      checkInvariants(events);
      const errors = ofKind(events, 'error');
      assert.equal(errors.length, 1);
      const requests = dataFrames(events, 'out');
      const second = requests.find((r) => r.meta?.request === 2)!;
      assert.equal(errors[0].message, `request ${String(second.meta?.correlationId)} timed out after 400 ms`);
      assert.equal(errors[0].code, 'ERR_MQTT_REQUEST_TIMEOUT');
      const marker = ofKind(events, 'timing').find((t) => t.meta?.timedOut === true)!;
      assert.equal(marker.meta?.correlationId, second.meta?.correlationId);
      assert.equal(marker.phases.total, 400);
      assert.ok(marker.t - second.t >= 390, 'the timeout fires after the limit, not before');
      const answered = dataFrames(events, 'in').map((f) => f.meta?.request);
      assert.deepEqual([...answered].sort(), [1, 3]);
      const summary = events.at(-1) as unknown as Record<string, { sent: number; answered: number; timedOut: number }>;
      assert.deepEqual(
        { sent: summary.requestResponse.sent, answered: summary.requestResponse.answered, timedOut: summary.requestResponse.timedOut },
        { sent: 3, answered: 2, timedOut: 1 },
      );
      assert.equal(ofKind(events, 'state').at(-1)!.state, 'closed');
    } finally {
      await svc.endAsync();
    }
  });

  it('logs an answer that comes after its timeout as late, without counting it as answered (keepOpen)', async () => {
    const svc = await responder(broker.url, 'svc/slow', 300);
    try {
      const events = await runSession(
        {
          pattern: 'mqtt',
          url: broker.url,
          mqtt: { request: { topic: 'svc/slow', count: 1, timeoutMs: 100, keepOpen: true } },
        },
        async (s, ev) => {
          await waitFor(ev, (es) => dataFrames(es, 'in').length === 1, 5000);
          await s.close('seen the late answer');
        },
      );
      checkInvariants(events);
      const res = dataFrames(events, 'in')[0];
      assert.equal(res.meta?.late, true);
      assert.ok((res.meta?.rttMs as number) >= 280);
      const error = ofKind(events, 'error')[0];
      assert.ok(error.seq < res.seq, 'the timeout was reported before the late answer arrived');
      const rr = (events.at(-1) as unknown as Record<string, { answered: number; timedOut: number }>).requestResponse;
      assert.equal(rr.answered, 0);
      assert.equal(rr.timedOut, 1);
      assert.equal(ofKind(events, 'state').at(-1)!.reason, 'seen the late answer');
    } finally {
      await svc.endAsync();
    }
  });

  it('counts every request as timed out when nobody answers', async () => {
    const events = await runSession({
      pattern: 'mqtt',
      url: broker.url,
      mqtt: { request: { topic: 'svc/nobody', count: 2, intervalMs: 10, timeoutMs: 150 } },
    });
    checkInvariants(events);
    const errors = ofKind(events, 'error').map((e) => e.message);
    assert.equal(errors.length, 2);
    assert.ok(errors.every((m) => /^request \d-[0-9a-f]{8} timed out after 150 ms$/.test(m)));
    const rr = (events.at(-1) as unknown as Record<string, { answered: number; timedOut: number; rtt: unknown }>).requestResponse;
    assert.equal(rr.answered, 0);
    assert.equal(rr.timedOut, 2);
    assert.equal(rr.rtt, null);
  });
});
