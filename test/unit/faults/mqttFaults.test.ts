/**
 * MQTT faults against a real Mosquitto broker: a cut and a stall through the fault proxy (keepalive
 * detects the stall), resumed with a persistent session so that QoS 1 messages are not lost, and
 * a broker restart (reconnect and resubscribe).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { Session } from '../../../src/core/session';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { FrameEvent, StateEvent, SummaryEvent, WireEvent } from '../../../src/shared/events';
import { FaultProxy } from '../../helpers/faultProxy';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto';
import { checkInvariants, ofKind, waitFor } from '../../helpers/servers';
import { figures, report } from './tally';

async function drive(options: ConnectOptions, during: (events: WireEvent[]) => Promise<void>, timeoutMs = 30_000): Promise<WireEvent[]> {
  const s = new Session(options);
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  const guard = setTimeout(() => void s.close('test timeout'), timeoutMs);
  try {
    await during(events);
    await s.close('test done');
  } finally {
    clearTimeout(guard);
  }
  return events;
}

const publishes = (events: WireEvent[]): FrameEvent[] => ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control);
const opens = (events: WireEvent[]): StateEvent[] => ofKind(events, 'state').filter((s) => s.state === 'open');

/** A real MQTT client publishing {"seq":n} with a `seq` user property every `everyMs` at QoS 1. */
async function publisher(url: string, topic: string, everyMs: number) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `pub-${process.pid}-${Date.now()}`, reconnectPeriod: 100 });
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    client.publish(topic, JSON.stringify({ seq }), { qos: 1, properties: { userProperties: { seq: String(seq) } } });
  }, everyMs);
  return {
    get sent() {
      return seq;
    },
    stop: async () => {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}

describe('MQTT faults (Mosquitto)', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker?.stop();
    report('mqtt faults:');
  });

  it('a cut and a stall (keepalive timeout) through the proxy: the persistent session resumes and no QoS 1 message is lost', async () => {
    const proxy = await FaultProxy.start(broker.port);
    const topic = `faults/${Date.now()}`;
    const pub = await publisher(broker.url, topic, 25);
    try {
      const { parseConnectArgs } = await import('../../../src/cli/args');
      const cli = parseConnectArgs([proxy.url('mqtt'), '--keepalive', '1']).options;
      assert.equal(cli.mqtt?.keepaliveSec, 1, 'the CLI flag sets the keepalive');
      const options: ConnectOptions = {
        pattern: 'mqtt',
        url: proxy.url('mqtt'),
        idField: 'prop:seq',
        reconnect: { initialDelayMs: 100, maxDelayMs: 300, jitter: 0, maxAttempts: 30 },
        mqtt: { protocolVersion: 5, clientId: `faults-${process.pid}`, clean: false, sessionExpirySec: 60, keepaliveSec: 1, subscribe: [{ topic, qos: 1 }] },
      };
      const events = await drive(options, async (ev) => {
        await waitFor(ev, (es) => publishes(es).length >= 5, 10_000);
        proxy.cut();
        await waitFor(ev, (es) => opens(es).length >= 2, 10_000);
        const n = publishes(ev).length;
        await waitFor(ev, (es) => publishes(es).length >= n + 5, 10_000);
        proxy.stall();
        await waitFor(ev, (es) => ofKind(es, 'reconnect').length >= 2, 10_000);
        proxy.resume();
        await waitFor(ev, (es) => opens(es).length >= 3, 10_000);
        const m = publishes(ev).length;
        await waitFor(ev, (es) => publishes(es).length >= m + 5, 10_000);
      });
      checkInvariants(events);
      const err = ofKind(events, 'error').find((e) => e.code === 'ERR_MQTT_KEEPALIVE');
      assert.ok(err, 'the stall is detected by keepalive and logged');
      const recs = ofKind(events, 'reconnect');
      assert.ok(recs.some((r) => /keepalive timeout/.test(r.cause)), recs.map((r) => r.cause).join(' | '));
      const resumed = opens(events).slice(1);
      assert.ok(resumed.every((o) => o.meta?.sessionPresent === true), 'the broker kept the session: the resume token');
      const summary = events.at(-1) as SummaryEvent;
      assert.equal(summary.anomalies?.gap, 0, 'nothing missing');
      assert.equal((summary.idCheck as { unidentified: number }).unidentified, 0);
      figures.injected += proxy.injected;
      figures.sessionsHit += 2;
      figures.recovered += Math.min(2, resumed.length);
      figures.lostWithResume += ofKind(events, 'anomaly').filter((a) => a.type === 'gap').reduce((n, a) => n + Number(a.meta?.missing ?? 0), 0);
    } finally {
      await pub.stop();
      await proxy.close();
    }
  });

  it('a broker restart: the engine reconnects with the cause logged and subscribes again', async () => {
    const topic = `restart/${Date.now()}`;
    const options: ConnectOptions = {
      pattern: 'mqtt',
      url: broker.url,
      reconnect: { initialDelayMs: 100, maxDelayMs: 300, jitter: 0, maxAttempts: 50 },
      mqtt: { protocolVersion: 5, subscribe: [{ topic, qos: 0 }], keepaliveSec: 5 },
    };
    const events = await drive(options, async (ev) => {
      await waitFor(ev, (es) => opens(es).length >= 1, 10_000);
      await waitFor(ev, (es) => ofKind(es, 'frame').some((f) => f.meta?.packet === 'suback'), 5000);
      await broker.restart();
      await waitFor(ev, (es) => opens(es).length >= 2, 15_000);
      await waitFor(ev, (es) => ofKind(es, 'frame').filter((f) => f.meta?.packet === 'suback').length >= 2, 5000);
      const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      await pub.publishAsync(topic, 'after restart');
      await pub.endAsync();
      await waitFor(ev, (es) => publishes(es).some((f) => f.data === 'after restart'), 5000);
    });
    checkInvariants(events);
    assert.ok(ofKind(events, 'reconnect').length >= 1);
    assert.ok(ofKind(events, 'reconnect').every((r) => r.cause.length > 0 && !r.cause.includes('\n')));
    figures.injected += 1;
    figures.sessionsHit += 1;
    figures.recovered += opens(events).length >= 2 ? 1 : 0;
  });
});
