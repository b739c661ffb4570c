/**
 * The demo backend's embedded MQTT broker (aedes over net, optionally over WebSocket too).
 * It publishes the demo feed on `feed/ticks` (every event), `feed/labels/<label>` (one subtopic per label)
 * and retained `feed/latest`, and answers MQTT 5 requests on `demo/request` on the request's response topic
 * with the same correlation data.
 *
 * aedes 1.x speaks MQTT 3.1.1 only: it refuses protocol version 5 and writes every packet in 3.1.1 form.
 * Request/response needs MQTT 5 properties, so MQTT 5 connections reach aedes through a bridge that
 * re-encodes their packets and carries properties through aedes' own API (./mqtt5Bridge.ts).
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { FeedEvent } from './feed';
import { acceptConnection, noteForward } from './mqtt5Bridge';

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

function publish(broker: Aedes, topic: string, payload: string, extra: { retain?: boolean; properties?: Record<string, unknown> } = {}): void {
  const packet = { cmd: 'publish' as const, topic, payload: Buffer.from(payload, 'utf8'), qos: 0 as const, retain: !!extra.retain, dup: false };
  if (extra.properties) Object.assign(packet, { properties: extra.properties });
  broker.publish(packet, () => undefined);
}

/** Start the demo broker; binds 127.0.0.1 unless told otherwise. */
export async function startMqttBroker(options: MqttBrokerOptions = {}): Promise<MqttBroker> {
  const host = options.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker({ authorizeForward: noteForward });

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
    acceptConnection(broker, socket);
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
    wss.on('connection', (ws) => acceptConnection(broker, createWebSocketStream(ws)));
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
