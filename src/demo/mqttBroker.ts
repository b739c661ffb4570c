/**
 * The demo backend's embedded MQTT broker (aedes over net, optionally over WebSocket too).
 * It publishes the demo feed on `feed/ticks` (every event), `feed/labels/<label>` (one subtopic per label)
 * and retained `feed/latest`, and answers MQTT 5 requests on `demo/request` on the request's response topic
 * with the same correlation data.
 *
 * aedes 1.x speaks MQTT 3.1.1 only: it refuses protocol version 5 and writes every packet in 3.1.1 form.
 * Request/response needs MQTT 5 properties, so this module carries version 5 connections through aedes
 * (see `acceptMqtt5`): the CONNECT is admitted as 3.1.1, the connection's parser keeps reading MQTT 5,
 * and the packets aedes writes to that connection are encoded as MQTT 5, properties included (aedes-packet
 * keeps a PUBLISH's properties when it routes it). What aedes itself does not implement stays
 * unimplemented for such clients: no topic aliases, no subscription identifiers, no session expiry,
 * no reason strings, no enhanced authentication.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { FeedEvent } from './feed';

/** What the broker needs from the demo feed: `Feed` from ./feed fits. */
export interface MqttFeedSource {
  subscribe(listener: (e: FeedEvent) => void): () => void;
  readonly latest?: FeedEvent;
}

export interface MqttBrokerOptions {
  host?: string;
  /** TCP port for mqtt://; 0 picks a free one. */
  port?: number;
  /** Also serve MQTT over WebSocket on this port (0 picks one); omitted = no WebSocket listener. */
  wsPort?: number;
  feed?: MqttFeedSource;
}

export interface MqttBroker {
  /** mqtt://host:port */
  url: string;
  port: number;
  /** ws://host:port when a WebSocket listener was asked for. */
  wsUrl?: string;
  wsPort?: number;
  close(): Promise<void>;
}

/** Topics the demo broker uses. */
export const DEMO_TOPICS = {
  ticks: 'feed/ticks',
  latest: 'feed/latest',
  labelPrefix: 'feed/labels/',
  request: 'demo/request',
} as const;

/** Connections admitted as MQTT 5: aedes' writes to them are encoded as MQTT 5. */
const mqtt5Streams = new WeakSet<object>();
let writerPatched = false;

/** 3.1.1 CONNACK return code -> MQTT 5 reason code (sections 3.2.2.3 of both specs). */
const CONNACK_V5: Record<number, number> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87, 6: 0x8d };

interface WritablePacket {
  cmd: string;
  returnCode?: number;
  reasonCode?: number;
  properties?: Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * Encode aedes' packets for MQTT 5 connections as MQTT 5. aedes looks up `writeToStream` on the
 * shared mqtt-packet module at each write, so one wrapper serves every broker in the process;
 * streams not admitted as MQTT 5 pass through untouched.
 */
function patchWriterForMqtt5(): void {
  if (writerPatched) return;
  writerPatched = true;
  const mod = mqttPacket as unknown as { writeToStream: (p: unknown, s: unknown, o?: Record<string, unknown>) => boolean };
  const original = mod.writeToStream.bind(mod);
  mod.writeToStream = (packet: unknown, stream: unknown, opts?: Record<string, unknown>) => {
    if (!stream || typeof stream !== 'object' || !mqtt5Streams.has(stream)) return original(packet, stream, opts);
    const p = { ...(packet as WritablePacket) };
    if (p.cmd === 'connack') p.reasonCode = CONNACK_V5[p.returnCode ?? 0] ?? 0x80;
    if (p.cmd === 'publish' && p.properties) {
      // Aliases and subscription ids belong to the publisher's connection, not to this one.
      const { topicAlias: _alias, subscriptionIdentifier: _subId, ...rest } = p.properties;
      p.properties = rest;
    }
    return original(p, stream, { ...(opts ?? {}), protocolVersion: 5 });
  };
}

interface AedesClientInternals {
  conn: object;
  _parser: { settings: Record<string, unknown> };
}

/**
 * aedes preConnect hook: admit MQTT 5 CONNECTs. The parser adopted the CONNECT packet as its settings
 * (so it reads MQTT 5 packets); it gets its own copy before the packet is relabelled 3.1.1 for aedes.
 */
function acceptMqtt5(client: unknown, packet: { protocolVersion?: number }, callback: (error: Error | null, ok: boolean) => void): void {
  if (packet.protocolVersion === 5) {
    const c = client as AedesClientInternals;
    c._parser.settings = { ...c._parser.settings, protocolVersion: 5 };
    mqtt5Streams.add(c.conn);
    packet.protocolVersion = 4;
  }
  callback(null, true);
}

function publish(broker: Aedes, topic: string, payload: string, extra: { retain?: boolean; properties?: Record<string, unknown> } = {}): void {
  const packet = { cmd: 'publish' as const, topic, payload: Buffer.from(payload, 'utf8'), qos: 0 as const, retain: !!extra.retain, dup: false };
  if (extra.properties) Object.assign(packet, { properties: extra.properties });
  broker.publish(packet, () => undefined);
}

/** Start the demo broker; binds 127.0.0.1 unless told otherwise. */
export async function startMqttBroker(options: MqttBrokerOptions = {}): Promise<MqttBroker> {
  const host = options.host ?? '127.0.0.1';
  patchWriterForMqtt5();
  const broker = await Aedes.createBroker({ preConnect: acceptMqtt5 });

  // Requests: answer on the response topic with the same correlation data.
  const onRequest = (packet: { payload: Buffer | string; properties?: Record<string, unknown> }, done: () => void) => {
    const props = packet.properties ?? {};
    const responseTopic = typeof props.responseTopic === 'string' ? props.responseTopic : undefined;
    if (responseTopic) {
      const request = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
      const answer = JSON.stringify({ ok: true, request, answeredAt: Date.now(), feedSeq: options.feed?.latest?.seq ?? 0 });
      const properties: Record<string, unknown> = { contentType: 'application/json' };
      if (props.correlationData !== undefined) properties.correlationData = props.correlationData;
      publish(broker, responseTopic, answer, { properties });
    }
    done();
  };
  await new Promise<void>((resolve) => broker.subscribe(DEMO_TOPICS.request, onRequest as never, resolve));

  const unsubscribeFeed = options.feed?.subscribe((e) => {
    const json = JSON.stringify(e);
    // MQTT 5 subscribers get the event's seq as a user property on feed/ticks (a sequence check's `prop:seq`).
    publish(broker, DEMO_TOPICS.ticks, json, { properties: { userProperties: { seq: String(e.seq) } } });
    publish(broker, DEMO_TOPICS.labelPrefix + e.label, json);
    publish(broker, DEMO_TOPICS.latest, json, { retain: true });
  });
  const latest = options.feed?.latest;
  if (latest) publish(broker, DEMO_TOPICS.latest, JSON.stringify(latest), { retain: true });

  const tcp = net.createServer((socket) => {
    // Without this, Nagle holds a response behind the PUBACK before it and adds ~40 ms to every round trip.
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  const sockets = new Set<net.Socket>();
  tcp.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  try {
    await listen(tcp, options.port ?? 0, host);
  } catch (err) {
    unsubscribeFeed?.();
    await new Promise<void>((r) => broker.close(() => r()));
    throw err;
  }
  const port = (tcp.address() as AddressInfo).port;

  let http: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  let wsPort: number | undefined;
  if (options.wsPort !== undefined) {
    http = createHttpServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'));
    wss = new WebSocketServer({
      server: http,
      // MQTT over WebSocket names its subprotocol "mqtt" (3.1.1 and 5); "mqttv3.1" is the 3.1 spelling.
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
    });
    wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
    try {
      await listen(http, options.wsPort, host);
    } catch (err) {
      tcp.close();
      for (const s of sockets) s.destroy();
      unsubscribeFeed?.();
      await new Promise<void>((r) => broker.close(() => r()));
      throw err;
    }
    wsPort = (http.address() as AddressInfo).port;
  }

  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `mqtt://${urlHost}:${port}`,
    port,
    wsUrl: wsPort !== undefined ? `ws://${urlHost}:${wsPort}` : undefined,
    wsPort,
    close: () =>
      (closed ??= (async () => {
        unsubscribeFeed?.();
        await new Promise<void>((r) => broker.close(() => r()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => tcp.close(() => r()));
        if (wss && http) {
          for (const c of wss.clients) c.terminate();
          wss.close();
          http.closeAllConnections();
          await new Promise<void>((r) => http!.close(() => r()));
        }
      })()),
  };
}

function listen(server: net.Server | HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
