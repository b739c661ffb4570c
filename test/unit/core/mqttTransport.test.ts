import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { StateEvent, WireEvent } from '../../../src/shared/events';
import type { ConnectOptions, MqttOptions } from '../../../src/shared/connectOptions';
import { freePort } from '../../../src/core/freePort';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto';
import { makeTestCerts } from '../../helpers/tlsCerts';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';

const dataFrames = (es: WireEvent[], dir: 'in' | 'out') => ofKind(es, 'frame').filter((f) => f.dir === dir && !f.meta?.control);
const packets = (es: WireEvent[], dir: 'in' | 'out', packet: string) =>
  ofKind(es, 'frame').filter((f) => f.dir === dir && f.meta?.control === true && f.meta?.packet === packet);

/** A plain MQTT.js client, for the other side of a conversation. */
async function otherClient(url: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

async function publishFrom(url: string, topic: string, payload: string | Buffer, opts: mqtt.IClientPublishOptions = {}, clientOpts: mqtt.IClientOptions = {}): Promise<void> {
  const c = await otherClient(url, clientOpts);
  try {
    await c.publishAsync(topic, payload, opts);
  } finally {
    await c.endAsync();
  }
}

describe('mqtt transport against Mosquitto', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto({ websockets: true });
  });
  after(async () => {
    await broker?.stop();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: subscribes with wildcards and QoS 0/1/2, logs every packet`, async () => {
      const options: ConnectOptions = {
        pattern: 'mqtt',
        url: broker.url,
        count: 3,
        mqtt: {
          protocolVersion,
          subscribe: [
            { topic: `v${protocolVersion}/sensors/+/temp`, qos: 2 },
            { topic: `v${protocolVersion}/alarms/#`, qos: 1 },
            { topic: `v${protocolVersion}/plain`, qos: 0 },
          ],
          // Published by the session itself once subscribed, in this order.
          publish: [
            { topic: `v${protocolVersion}/sensors/a/temp`, payload: '21.5', qos: 2 },
            { topic: `v${protocolVersion}/sensors/a/humidity`, payload: 'not subscribed', qos: 0 },
            { topic: `v${protocolVersion}/alarms/door/open`, payload: 'door', qos: 1 },
            { topic: `v${protocolVersion}/plain`, payload: 'q0', qos: 0 },
          ],
        },
      };
      const events = await runSession(options);
      checkInvariants(events);
      assert.deepEqual(
        ofKind(events, 'state').map((s) => s.state),
        ['connecting', 'open', 'closing', 'closed'],
      );

      const connect = packets(events, 'out', 'connect')[0];
      assert.equal(connect.meta?.protocolVersion, protocolVersion);
      assert.equal(connect.meta?.clean, true);
      const connack = packets(events, 'in', 'connack')[0];
      assert.equal(connack.meta?.sessionPresent, false);
      assert.equal(connack.meta?.reasonCode, 0);
      assert.equal(connack.meta?.reason, protocolVersion === 5 ? 'Success' : 'Connection accepted');
      const open = ofKind(events, 'state').find((s) => s.state === 'open')!;
      assert.equal(open.meta?.sessionPresent, false);
      assert.ok(connack.seq < open.seq, 'CONNACK is logged before the open state');
      const timing = ofKind(events, 'timing')[0];
      assert.equal(timing.meta?.handshake, 'connack');
      assert.ok(timing.phases.connect !== null && timing.phases.ttfb !== null);

      const suback = packets(events, 'in', 'suback')[0];
      assert.deepEqual(
        (suback.meta?.granted as Array<{ topic: string; qos: number }>).map((g) => [g.topic, g.qos]),
        [
          [`v${protocolVersion}/sensors/+/temp`, 2],
          [`v${protocolVersion}/alarms/#`, 1],
          [`v${protocolVersion}/plain`, 0],
        ],
      );

      // QoS levels travel separately through the broker, so arrival order across them is not fixed.
      const received = dataFrames(events, 'in').sort((a, b) => (a.meta?.qos as number) - (b.meta?.qos as number)).reverse();
      assert.deepEqual(
        received.map((f) => [f.channel, f.data, f.meta?.qos]),
        [
          [`v${protocolVersion}/sensors/a/temp`, '21.5', 2],
          [`v${protocolVersion}/alarms/door/open`, 'door', 1],
          [`v${protocolVersion}/plain`, 'q0', 0],
        ],
        'only matching topics arrive, each at its subscription QoS',
      );
      for (const f of received) {
        assert.equal(f.meta?.retain, false);
        assert.equal(f.encoding, 'utf8');
        if ((f.meta?.qos as number) > 0) assert.equal(typeof f.meta?.messageId, 'number');
        else assert.equal(f.meta?.messageId, undefined);
      }
      const sent = dataFrames(events, 'out');
      assert.equal(sent.length, 4);
      const sentQ2 = sent.find((f) => f.meta?.qos === 2)!;
      const sentQ1 = sent.find((f) => f.meta?.qos === 1)!;
      // QoS 1 outbound: PUBACK; QoS 2 outbound: PUBREC, PUBREL, PUBCOMP, all with the message id.
      assert.ok(packets(events, 'in', 'puback').some((p) => p.meta?.messageId === sentQ1.meta?.messageId));
      assert.ok(packets(events, 'in', 'pubrec').some((p) => p.meta?.messageId === sentQ2.meta?.messageId));
      assert.ok(packets(events, 'out', 'pubrel').some((p) => p.meta?.messageId === sentQ2.meta?.messageId));
      assert.ok(packets(events, 'in', 'pubcomp').some((p) => p.meta?.messageId === sentQ2.meta?.messageId));
      // QoS 2 inbound: we answer PUBREC, the broker PUBREL, we PUBCOMP.
      const inQ2 = received[0];
      assert.ok(packets(events, 'out', 'pubrec').some((p) => p.meta?.messageId === inQ2.meta?.messageId));
      // QoS 1 inbound: we PUBACK.
      assert.ok(packets(events, 'out', 'puback').some((p) => p.meta?.messageId === received[1].meta?.messageId));
      assert.equal(packets(events, 'out', 'disconnect').length, 1, 'a clean DISCONNECT at the end');
      const summary = events.at(-1)!;
      assert.ok(summary.kind === 'summary' && summary.frames.in >= 3 + 1 + 1);
    });
  }

  it('round-trips MQTT 5 properties and shows binary payloads and correlation data as base64', async () => {
    const events = await runSession({
      pattern: 'mqtt',
      url: broker.url,
      count: 2,
      mqtt: {
        subscribe: [{ topic: 'props/#', qos: 1 }],
        publish: [
          {
            topic: 'props/a',
            payload: '{"n":1}',
            qos: 1,
            properties: {
              userProperties: { tenant: 'blue', tag: ['x', 'y'] },
              contentType: 'application/json',
              messageExpiryInterval: 60,
              responseTopic: 'props/reply',
              correlationData: 'corr-1',
            },
          },
        ],
      },
    }, async (_s, ev) => {
      await waitFor(ev, (es) => dataFrames(es, 'in').length === 1);
      await publishFrom(broker.url, 'props/bin', Buffer.from([0xff, 0x00, 0xfe]), {
        qos: 0,
        properties: { correlationData: Buffer.from([0xc3, 0x28]) },
      }, { protocolVersion: 5 });
    });
    checkInvariants(events);
    const [json, bin] = dataFrames(events, 'in');
    const props = json.meta?.properties as Record<string, unknown>;
    assert.deepEqual(props.userProperties, { tenant: 'blue', tag: ['x', 'y'] });
    assert.equal(props.contentType, 'application/json');
    assert.equal(props.responseTopic, 'props/reply');
    assert.equal(props.correlationData, 'corr-1');
    assert.ok(typeof props.messageExpiryInterval === 'number' && props.messageExpiryInterval <= 60);
    const out = dataFrames(events, 'out')[0];
    assert.equal((out.meta?.properties as Record<string, unknown>).correlationData, 'corr-1');
    assert.equal(bin.channel, 'props/bin');
    assert.equal(bin.encoding, 'base64');
    assert.equal(bin.data, Buffer.from([0xff, 0x00, 0xfe]).toString('base64'));
    assert.equal(bin.size, 3);
    const binProps = bin.meta?.properties as Record<string, unknown>;
    assert.equal(binProps.correlationData, Buffer.from([0xc3, 0x28]).toString('base64'));
    assert.equal(binProps.correlationDataEncoding, 'base64');
    // Every event must survive JSON (no Buffers in meta).
    assert.deepEqual(JSON.parse(JSON.stringify(events)), events);
  });

  it('delivers retained messages with meta.retain and publishes with retain through send()', async () => {
    await publishFrom(broker.url, 'retained/one', 'kept', { qos: 1, retain: true });
    const events = await runSession({ pattern: 'mqtt', url: broker.url, count: 2, mqtt: { subscribe: [{ topic: 'retained/+', qos: 1 }] } }, async (s, ev) => {
      await waitFor(ev, (es) => dataFrames(es, 'in').length === 1);
      await s.send({ data: 'live', channel: 'retained/two', meta: { qos: 1, properties: { contentType: 'text/plain', userProperties: { from: 'send' } } } });
    });
    const [old, live] = dataFrames(events, 'in');
    assert.equal(old.channel, 'retained/one');
    assert.equal(old.data, 'kept');
    assert.equal(old.meta?.retain, true);
    assert.equal(live.channel, 'retained/two');
    assert.equal(live.meta?.retain, false, 'a live delivery is not flagged retained');
    assert.deepEqual(live.meta?.properties, { contentType: 'text/plain', userProperties: { from: 'send' } });
    const out = dataFrames(events, 'out')[0];
    assert.equal(out.channel, 'retained/two');
    assert.equal(out.meta?.qos, 1);
  });

  it('publishes the last will when the client connection dies', async () => {
    let watcherSubscribed!: () => void;
    const subscribed = new Promise<void>((r) => (watcherSubscribed = r));
    const watcher = runSession({ pattern: 'mqtt', url: broker.url, count: 1, mqtt: { subscribe: [{ topic: 'wills/#', qos: 1 }] } }, async (_s, ev) => {
      await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 1);
      watcherSubscribed();
    });
    const dying = await runSession(
      {
        pattern: 'mqtt',
        url: broker.url,
        reconnect: { enabled: false },
        mqtt: { clientId: 'doomed-client', will: { topic: 'wills/doomed', payload: 'gone', qos: 1 } },
      },
      async (s, ev) => {
        await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
        // The will must have a subscriber before it is triggered.
        await subscribed;
        // Drop the socket without a DISCONNECT, as a crashed client would.
        s.reconnect();
      },
    );
    const connect = packets(dying, 'out', 'connect')[0];
    assert.deepEqual(connect.meta?.will, { topic: 'wills/doomed', qos: 1, retain: false, size: 4 });
    assert.equal(packets(dying, 'out', 'disconnect').length, 0);
    const ended = ofKind(dying, 'state').at(-1)!;
    assert.equal(ended.state, 'closed');
    assert.match(ended.reason!, /disconnected: reconnect requested by user/);
    const events = await watcher;
    const will = dataFrames(events, 'in')[0];
    assert.equal(will.channel, 'wills/doomed');
    assert.equal(will.data, 'gone');
  });

  it('works over WebSocket (ws:// with pattern mqtt)', async () => {
    assert.ok(broker.wsUrl);
    const events = await runSession({
      pattern: 'mqtt',
      url: broker.wsUrl!,
      count: 1,
      mqtt: { subscribe: [{ topic: 'overws', qos: 1 }], publish: [{ topic: 'overws', payload: 'via ws', qos: 1 }] },
    });
    checkInvariants(events);
    assert.equal(dataFrames(events, 'in')[0].data, 'via ws');
    assert.equal(packets(events, 'in', 'connack')[0].meta?.reasonCode, 0);
  });

  it('fails at once with one line when nothing listens, and on an invalid URL', async () => {
    const port = await freePort();
    const events = await runSession({ pattern: 'mqtt', url: `mqtt://127.0.0.1:${port}` });
    checkInvariants(events);
    const failed = ofKind(events, 'state').at(-1)!;
    assert.equal(failed.state, 'failed');
    assert.match(failed.reason!, /^Connection refused \(mqtt:\/\/127\.0\.0\.1:\d+\): nothing is listening there$/);
    assert.equal(ofKind(events, 'reconnect').length, 0);
    const err = ofKind(events, 'error')[0];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.ok(!err.message.includes('\n'));

    const bad = await runSession({ pattern: 'mqtt', url: 'mqtt://' });
    assert.equal(ofKind(bad, 'state').at(-1)!.state, 'failed');
    assert.match(ofKind(bad, 'error')[0].message, /^Invalid URL/);
    const wrong = await runSession({ pattern: 'mqtt', url: 'http://127.0.0.1:1/' });
    assert.match(ofKind(wrong, 'error')[0].message, /Unsupported URL scheme "http:"/);
  });

  it('fails the first connection with one line on DNS failure, silence, a non-MQTT server and a refused WebSocket upgrade', async () => {
    const dns = await runSession({ pattern: 'mqtt', url: 'mqtt://no-such-broker.invalid:1883' });
    assert.equal(ofKind(dns, 'state').at(-1)!.state, 'failed');
    assert.equal(ofKind(dns, 'error')[0].code, 'ENOTFOUND');
    assert.match(ofKind(dns, 'error')[0].message, /^DNS lookup failed .*no-such-broker\.invalid/);

    const silent = net.createServer(() => undefined);
    const web = http.createServer((_q, r) => r.end('not mqtt'));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    try {
      const quiet = await runSession({ pattern: 'mqtt', url: `mqtt://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, connectTimeoutMs: 300 });
      assert.equal(ofKind(quiet, 'state').at(-1)!.reason, 'no CONNACK from the broker within 300 ms (is it an MQTT broker?)');
      assert.equal(ofKind(quiet, 'reconnect').length, 0);

      const webPort = (web.address() as net.AddressInfo).port;
      const notMqtt = await runSession({ pattern: 'mqtt', url: `mqtt://127.0.0.1:${webPort}` });
      assert.equal(ofKind(notMqtt, 'state').at(-1)!.state, 'failed');
      assert.equal(ofKind(notMqtt, 'error')[0].code, 'ERR_MQTT_MALFORMED');
      assert.match(ofKind(notMqtt, 'error')[0].message, /^malformed MQTT packet from the broker: .*\(is it an MQTT broker\?\)$/);

      const upgrade = await runSession({ pattern: 'mqtt', url: `ws://127.0.0.1:${webPort}/mqtt` });
      assert.equal(ofKind(upgrade, 'state').at(-1)!.state, 'failed');
      assert.equal(ofKind(upgrade, 'error')[0].message, 'WebSocket handshake rejected: HTTP 200 (is the MQTT-over-WebSocket path right?)');
      for (const es of [dns, quiet, notMqtt, upgrade]) checkInvariants(es);
    } finally {
      silent.close();
      web.closeAllConnections();
      web.close();
    }
  });

  it('rejects invalid topic filters and wildcard publish topics before connecting, and in send()', async () => {
    const cases: Array<[MqttOptions, string]> = [
      [{ subscribe: [{ topic: 'a/#/b' }] }, 'Invalid MQTT subscription: "a/#/b": # must be a whole last level'],
      [{ subscribe: [{ topic: 'a/b+' }] }, 'Invalid MQTT subscription: "a/b+": + must be a whole level'],
      [{ subscribe: [{ topic: '' }] }, 'Invalid MQTT subscription: an empty topic filter'],
      [{ publish: [{ topic: 'a/+', payload: 'x' }] }, 'Invalid MQTT publish topic: "a/+": wildcards are for subscriptions, not for publishing'],
      [{ will: { topic: 'w/#', payload: 'x' } }, 'Invalid MQTT will topic: "w/#": wildcards are for subscriptions, not for publishing'],
    ];
    for (const [mqttOptions, expected] of cases) {
      const events = await runSession({ pattern: 'mqtt', url: broker.url, mqtt: mqttOptions });
      checkInvariants(events);
      assert.equal(ofKind(events, 'error')[0].message, expected);
      assert.equal(ofKind(events, 'state').at(-1)!.state, 'failed');
      assert.equal(ofKind(events, 'frame').length, 0, 'nothing was sent');
    }
    await runSession({ pattern: 'mqtt', url: broker.url }, async (s, ev) => {
      await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
      await assert.rejects(s.send({ data: 'x', channel: 'bad/#' }), /^Error: Invalid MQTT topic: "bad\/#": wildcards/);
      await assert.rejects(s.send({ data: 'x' }), /needs a topic/);
      await s.close();
    });
  });

  it('refuses request/response on MQTT 3.1.1 with a clear line', async () => {
    const events = await runSession({ pattern: 'mqtt', url: broker.url, mqtt: { protocolVersion: 4, request: { topic: 'x' } } });
    assert.equal(ofKind(events, 'state').at(-1)!.state, 'failed');
    assert.match(ofKind(events, 'error')[0].message, /needs protocol version 5/);
  });
});

describe('mqtt transport: credentials', () => {
  let broker: Mosquitto;
  const password = 'hunter2-secret-pw';
  before(async () => {
    broker = await startMosquitto({ users: { alice: password } });
  });
  after(async () => {
    await broker?.stop();
  });

  for (const [protocolVersion, words] of [
    [5, /Bad User Name or Password|Not authorized/],
    [4, /Bad user name or password|Not authorized/],
  ] as const) {
    it(`MQTT ${protocolVersion}: a wrong password fails with the CONNACK reason in words, without a reconnect loop`, async () => {
      const events = await runSession({
        pattern: 'mqtt',
        url: broker.url,
        reconnect: { initialDelayMs: 20 },
        mqtt: { protocolVersion, username: 'alice', password: 'wrong' },
      });
      checkInvariants(events);
      const connack = packets(events, 'in', 'connack')[0];
      assert.ok((connack.meta?.reasonCode as number) > 0);
      assert.match(connack.meta?.reason as string, words);
      const err = ofKind(events, 'error')[0];
      assert.equal(err.code, 'ERR_MQTT_CONNACK');
      assert.match(err.message, /^Connection refused by the broker: /);
      assert.match(err.message, words);
      const states = ofKind(events, 'state').map((s) => s.state);
      assert.deepEqual(states, ['connecting', 'failed']);
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.equal(packets(events, 'out', 'connect').length, 1, 'exactly one attempt');
    });
  }

  it('connects with the right password and never logs it', async () => {
    const events = await runSession({
      pattern: 'mqtt',
      url: `mqtt://alice:${password}@127.0.0.1:${broker.port}`,
      count: 1,
      mqtt: { subscribe: [{ topic: 'auth/ok' }], publish: [{ topic: 'auth/ok', payload: 'in' }] },
    });
    checkInvariants(events);
    assert.equal(ofKind(events, 'state').at(-1)!.state, 'closed');
    const connect = packets(events, 'out', 'connect')[0];
    assert.equal(connect.meta?.username, 'alice');
    assert.equal(connect.meta?.passwordSet, true);
    const text = JSON.stringify(events);
    assert.ok(!text.includes(password), 'the password appears nowhere in the events');
    assert.equal((ofKind(events, 'state')[0] as StateEvent).url, `mqtt://127.0.0.1:${broker.port}`);
  });
});

describe('mqtt transport: broker restarts', () => {
  it('reconnects with the policy delay, resubscribes visibly, and messages flow again', async () => {
    const broker = await startMosquitto();
    try {
      const events = await runSession(
        {
          pattern: 'mqtt',
          url: broker.url,
          count: 2,
          reconnect: { initialDelayMs: 100, multiplier: 2, jitter: 0, maxAttempts: 20 },
          mqtt: { subscribe: [{ topic: 'restart/#', qos: 1 }] },
        },
        async (_s, ev) => {
          await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 1);
          await publishFrom(broker.url, 'restart/before', 'one', { qos: 1 });
          await waitFor(ev, (es) => dataFrames(es, 'in').length === 1);
          await broker.halt();
          await waitFor(ev, (es) => ofKind(es, 'reconnect').length >= 2, 10_000);
          await broker.start();
          await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 2, 10_000);
          await publishFrom(broker.url, 'restart/after', 'two', { qos: 1 });
        },
        30_000,
      );
      checkInvariants(events);
      const rc = ofKind(events, 'reconnect');
      assert.ok(rc.length >= 2);
      assert.deepEqual(
        rc.slice(0, 3).map((r) => r.attempt),
        [1, 2, 3].slice(0, Math.min(3, rc.length)),
      );
      assert.equal(rc[0].delayMs, 100);
      assert.equal(rc[1].delayMs, 200, 'backoff doubles');
      assert.match(rc[0].cause, /connection lost|reset|closed/i);
      const states = ofKind(events, 'state').map((s) => s.state);
      assert.ok(states.includes('reconnecting'));
      const opens = ofKind(events, 'state').filter((s) => s.state === 'open');
      assert.equal(opens.length, 2);
      assert.equal(opens[1].meta?.reconnected, true);
      assert.equal(opens[1].meta?.sessionPresent, false);
      assert.deepEqual(opens[1].meta?.resubscribe, ['restart/#']);
      assert.ok(typeof opens[1].meta?.downtimeMs === 'number');
      // The SUBSCRIBE after the second CONNACK is on the wire and in the log.
      const subs = packets(events, 'out', 'subscribe');
      assert.equal(subs.length, 2);
      assert.ok(subs[1].seq > opens[1].seq);
      assert.deepEqual((subs[1].meta?.subscriptions as Array<{ topic: string }>).map((s) => s.topic), ['restart/#']);
      assert.deepEqual(
        dataFrames(events, 'in').map((f) => f.data),
        ['one', 'two'],
      );
      const summary = events.at(-1)!;
      assert.ok(summary.kind === 'summary' && summary.reconnects === rc.length);
    } finally {
      await broker.stop();
    }
  });

  it('a broker that starts refusing the credentials mid-session fails it with the reason, without a loop', async () => {
    const broker = await startMosquitto();
    try {
      const events = await runSession(
        { pattern: 'mqtt', url: broker.url, reconnect: { initialDelayMs: 50, jitter: 0, maxAttempts: 0 }, mqtt: { protocolVersion: 5 } },
        async (_s, ev) => {
          await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
          await broker.requireUsers({ bob: 'only-bob' });
        },
      );
      checkInvariants(events);
      const last = ofKind(events, 'state').at(-1)!;
      assert.equal(last.state, 'failed');
      assert.match(last.reason!, /^Connection refused by the broker: Not authorized \(code 135\)$/);
      assert.equal(packets(events, 'in', 'connack').length, 2, 'one accepted, one refused: then no more attempts');
      assert.ok(ofKind(events, 'reconnect').length >= 1);
    } finally {
      await broker.stop();
    }
  });

  it('close() while reconnecting ends the session at once, and a second close() is harmless', async () => {
    const broker = await startMosquitto();
    try {
      let closedAt = 0;
      const events = await runSession(
        { pattern: 'mqtt', url: broker.url, reconnect: { initialDelayMs: 50, jitter: 0, maxAttempts: 0 } },
        async (s, ev) => {
          await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
          await broker.halt();
          await waitFor(ev, (es) => ofKind(es, 'reconnect').length >= 2);
          const started = Date.now();
          const [a, b] = await Promise.all([s.close('user gave up'), s.close('again')]);
          closedAt = Date.now() - started;
          assert.equal(a, b, 'both calls resolve with the same summary');
        },
      );
      checkInvariants(events);
      assert.ok(closedAt < 1000, `close took ${closedAt} ms`);
      const last = ofKind(events, 'state').at(-1)!;
      assert.equal(last.state, 'closed');
      assert.equal(last.reason, 'user gave up');
    } finally {
      await broker.stop();
    }
  });
});

describe('mqtt transport: SUBACK refusals (aedes with an authorizer)', () => {
  it('names each refused subscription with its reason, while the granted ones work', async () => {
    const broker = await Aedes.createBroker({
      // A null subscription is aedes' way to refuse one topic in the SUBACK (0x80) and keep the connection.
      authorizeSubscribe: (_client, sub, done) => (sub.topic.startsWith('secret/') ? done(null, null) : done(null, sub)),
    });
    const server = net.createServer((socket) => broker.handle(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const events = await runSession({
        pattern: 'mqtt',
        url,
        count: 1,
        mqtt: {
          protocolVersion: 4,
          subscribe: [{ topic: 'open/#', qos: 1 }, { topic: 'secret/#', qos: 1 }],
          publish: [{ topic: 'secret/x', payload: 'hidden', qos: 1 }, { topic: 'open/x', payload: 'visible', qos: 1 }],
        },
      });
      checkInvariants(events);
      const suback = packets(events, 'in', 'suback')[0];
      assert.deepEqual(
        (suback.meta?.granted as Array<Record<string, unknown>>).map((g) => [g.topic, g.reasonCode, g.reason]),
        [
          ['open/#', 1, 'Granted QoS 1'],
          ['secret/#', 128, 'Failure'],
        ],
      );
      const errors = ofKind(events, 'error');
      assert.deepEqual(errors.map((e) => [e.message, e.code]), [['the broker refused the subscription to secret/#: Failure', 'ERR_MQTT_SUBSCRIBE']]);
      assert.deepEqual(dataFrames(events, 'in').map((f) => f.data), ['visible']);
    } finally {
      server.close();
      await new Promise<void>((r) => broker.close(() => r()));
    }
  });
});

/** A loopback TCP proxy whose open connections can be frozen: bytes stop flowing but nothing closes (a half-open path). */
async function freezableProxy(targetPort: number): Promise<{ port: number; freeze(): void; inject(bytes: Buffer): void; close(): Promise<void> }> {
  const pairs: Array<{ client: net.Socket; upstream: net.Socket; frozen: boolean }> = [];
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream, frozen: false };
    pairs.push(pair);
    client.on('data', (d) => {
      if (!pair.frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!pair.frozen) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => pairs.forEach((p) => (p.frozen = true)),
    /** Write raw bytes to every client, as if the broker had sent them. */
    inject: (bytes) => pairs.forEach((p) => p.client.write(bytes)),
    close: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('mqtt transport: liveness, session resume and TLS', () => {
  let broker: Mosquitto;
  before(async () => {
    broker = await startMosquitto({ tls: makeTestCerts().selfSigned });
  });
  after(async () => {
    await broker?.stop();
  });

  it('a silent broker is detected by keepalive, logged as the cause, and the client reconnects', async () => {
    const proxy = await freezableProxy(broker.port);
    try {
      const events = await runSession(
        {
          pattern: 'mqtt',
          url: `mqtt://127.0.0.1:${proxy.port}`,
          count: 1,
          reconnect: { initialDelayMs: 50, jitter: 0 },
          mqtt: { keepaliveSec: 1, subscribe: [{ topic: 'alive/#', qos: 1 }] },
        },
        async (_s, ev) => {
          await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 1);
          proxy.freeze();
          await waitFor(ev, (es) => ofKind(es, 'state').filter((s) => s.state === 'open').length === 2, 10_000);
          await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 2);
          await publishFrom(broker.url, 'alive/again', 'back', { qos: 1 });
        },
        20_000,
      );
      checkInvariants(events);
      const err = ofKind(events, 'error').find((e) => e.code === 'ERR_MQTT_KEEPALIVE')!;
      assert.match(err.message, /^keepalive timeout: the broker did not answer PINGREQ in time \(keepalive 1 s\)$/);
      const rc = ofKind(events, 'reconnect')[0];
      assert.equal(rc.cause, err.message);
      assert.equal(rc.attempt, 1);
      // The unanswered PINGREQ is in the log, before the error.
      const pings = packets(events, 'out', 'pingreq');
      assert.ok(pings.some((p) => p.seq < err.seq));
      assert.equal(dataFrames(events, 'in')[0].data, 'back');
    } finally {
      await proxy.close();
    }
  });

  it('a malformed packet mid-session drops the connection with that cause, then reconnects', async () => {
    const proxy = await freezableProxy(broker.port);
    try {
      const events = await runSession(
        {
          pattern: 'mqtt',
          url: `mqtt://127.0.0.1:${proxy.port}`,
          count: 1,
          reconnect: { initialDelayMs: 50, jitter: 0 },
          mqtt: { subscribe: [{ topic: 'garbage/#', qos: 1 }] },
        },
        async (_s, ev) => {
          await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 1);
          // A PUBACK header with reserved flag bits set: invalid in every MQTT version.
          proxy.inject(Buffer.from([0x4f, 0x02, 0x00, 0x01]));
          await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 2, 10_000);
          await publishFrom(broker.url, 'garbage/after', 'clean again', { qos: 1 });
        },
      );
      checkInvariants(events);
      const err = ofKind(events, 'error').find((e) => e.code === 'ERR_MQTT_MALFORMED')!;
      assert.match(err.message, /^malformed MQTT packet from the broker: Invalid header flag bits/);
      assert.equal(ofKind(events, 'reconnect')[0].cause, err.message);
      assert.equal(dataFrames(events, 'in')[0].data, 'clean again');
    } finally {
      await proxy.close();
    }
  });

  it('with clean start off, a reconnect resumes the session: sessionPresent, no resubscribe, queued QoS 1 delivered', async () => {
    const events = await runSession(
      {
        pattern: 'mqtt',
        url: broker.url,
        count: 1,
        reconnect: { initialDelayMs: 300, jitter: 0 },
        mqtt: { clientId: 'resume-me', clean: false, subscribe: [{ topic: 'resume/#', qos: 1 }] },
      },
      async (s, ev) => {
        await waitFor(ev, (es) => packets(es, 'in', 'suback').length === 1);
        s.reconnect();
        await waitFor(ev, (es) => ofKind(es, 'reconnect').length === 1);
        // Published while the client is away: the broker queues it in the kept session.
        await publishFrom(broker.url, 'resume/missed', 'queued', { qos: 1 });
      },
    );
    checkInvariants(events);
    const opens = ofKind(events, 'state').filter((s) => s.state === 'open');
    assert.equal(opens.length, 2);
    assert.equal(opens[0].meta?.sessionPresent, false);
    assert.equal(opens[1].meta?.sessionPresent, true, 'the broker kept the session');
    assert.deepEqual(opens[1].meta?.resubscribe, [], 'nothing to resubscribe');
    assert.equal(packets(events, 'out', 'subscribe').length, 1);
    const connects = packets(events, 'out', 'connect');
    assert.equal(connects.length, 2);
    assert.ok(connects.every((c) => c.meta?.clean === false && c.meta?.clientId === 'resume-me'));
    assert.equal(ofKind(events, 'reconnect')[0].cause, 'reconnect requested by user');
    const got = dataFrames(events, 'in')[0];
    assert.equal(got.data, 'queued');
    assert.ok(got.seq > opens[1].seq);
  });

  it('mqtts: an untrusted certificate fails at once; trusting it (or insecure) connects', async () => {
    assert.ok(broker.tlsUrl);
    const refused = await runSession({ pattern: 'mqtt', url: broker.tlsUrl! });
    checkInvariants(refused);
    assert.equal(ofKind(refused, 'state').at(-1)!.state, 'failed');
    const err = ofKind(refused, 'error')[0];
    assert.match(err.message, /^TLS failure .*self-signed/);
    assert.equal(ofKind(refused, 'reconnect').length, 0);

    const { cert } = makeTestCerts().selfSigned;
    const trusted = await runSession({
      pattern: 'mqtt',
      url: broker.tlsUrl!,
      count: 1,
      tls: { ca: cert },
      mqtt: { subscribe: [{ topic: 'tls/t' }], publish: [{ topic: 'tls/t', payload: 'secure' }] },
    });
    assert.equal(dataFrames(trusted, 'in')[0].data, 'secure');
    const timing = ofKind(trusted, 'timing')[0];
    assert.ok(timing.phases.tls !== null && timing.phases.tls >= 0, 'the TLS handshake is timed');

    const insecure = await runSession({ pattern: 'mqtt', url: broker.tlsUrl!, durationMs: 100, tls: { insecure: true } });
    assert.equal(ofKind(insecure, 'state').filter((s) => s.state === 'open').length, 1);
  });
});
