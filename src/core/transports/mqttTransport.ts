import { isUtf8 } from 'node:buffer';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient, type Packet } from 'mqtt';
import type { ConnectOptions, MqttOptions, MqttPublish, ReconnectPolicy } from '../../shared/connectOptions';
import { backoffDelay } from '../backoff';
import { checkUrl, describeError } from '../errors';
import { ConnectionLifecycle } from '../lifecycle';
import {
  controlMeta,
  isRefusal,
  payloadBytes,
  publishMeta,
  publishProperties,
  reasonText,
  topicFilterProblem,
  topicNameProblem,
  type AnyPacket,
} from '../mqttPackets';
import { MqttRequester, SubscriptionRefused } from '../mqttRequests';
import { RequestTiming } from '../netTiming';
import { nodeTlsOptions } from '../tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../transport';

/** URL schemes this transport accepts; ws/wss carry MQTT over WebSocket. */
export const MQTT_SCHEMES = ['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss'] as const;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Uncoded errors MQTT.js raises itself (everything else uncoded comes from the packet parser). */
const LIBRARY_MESSAGES = new Set(['Keepalive timeout', 'connack timeout', 'client disconnecting', 'Packet has no Authentication Method', 'topicAliasMaximum from broker is out of range']);
/** Session expiry asked for when `clean: false` on MQTT 5 and none is given, so a session can resume. */
const DEFAULT_SESSION_EXPIRY_SEC = 3600;

export const createMqttTransport: TransportFactory = ({ options, sink }) => new MqttTransport(options, sink);

/**
 * MQTT 3.1.1 and 5 via `mqtt` (MQTT.js), over tcp, tls and ws(s).
 *
 * Every packet the client writes or parses is logged from its `packetsend`/`packetreceive` events:
 * PUBLISH as a data frame (topic in `channel`), everything else as a control frame with `meta.packet`.
 * MQTT.js reconnects by itself every `reconnectPeriod`; this transport sets that period from the
 * reconnect policy before each attempt (so the delays follow the backoff), counts the attempts,
 * and ends the session when `maxAttempts` is exceeded. The library restores subscriptions after a
 * reconnect whenever the broker did not keep the session; those SUBSCRIBE/SUBACK packets are logged too.
 */
class MqttTransport implements Transport {
  private client: MqttClient | undefined;
  private readonly mqttOptions: MqttOptions;
  private readonly policy: ReconnectPolicy;
  private readonly protocolVersion: 4 | 5;
  private readonly clientId: string;
  /** The URL without credentials: the one that is logged. */
  private readonly displayUrl: string;
  private requester: MqttRequester | undefined;
  private readonly lc: ConnectionLifecycle;
  /** Subscriptions, initial publishes and requests happen once, after the first CONNACK. */
  private firstConnectDone = false;
  /** Why the current connection is going down (error, keepalive timeout, server DISCONNECT). */
  private dropCause: string | undefined;
  /** The drop's cause was already reported as an error event. */
  private dropReported = false;
  private refusal: string | undefined;
  private timing: RequestTiming | undefined;
  private forceTimer: NodeJS.Timeout | undefined;
  /** Topic filters the broker granted, in order: what MQTT.js subscribes again after a reconnect. */
  private readonly granted = new Set<string>();
  /** SUBSCRIBE message id -> topics, so that SUBACK's granted codes can name their topics. */
  private readonly pendingSubs = new Map<number, string[]>();

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.mqttOptions = options.mqtt ?? {};
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => {
      clearTimeout(this.forceTimer);
      this.requester?.stop();
      if (this.requester) this.sink.summarize({ requestResponse: this.requester.stats() });
      const client = this.client;
      this.stopLibraryReconnects();
      if (client && !client.disconnected) client.end(true);
    });
    this.policy = this.lc.policy;
    // Request/response needs MQTT 5 properties; otherwise 5 is the default too, for reason codes in words.
    this.protocolVersion = this.mqttOptions.protocolVersion ?? 5;
    this.clientId = this.mqttOptions.clientId || `wirescope-${randomBytes(4).toString('hex')}`;
    this.displayUrl = stripCredentials(options.url);
  }

  start(): void {
    const problem = checkUrl(this.options.url, MQTT_SCHEMES);
    if (problem) return this.failAtStart(problem, 'ERR_INVALID_URL');
    if (this.mqttOptions.request && this.protocolVersion !== 5) {
      return this.failAtStart(
        'MQTT request/response needs protocol version 5 (response topic and correlation data are MQTT 5 properties)',
        'ERR_MQTT_VERSION',
      );
    }
    if (this.mqttOptions.request && !this.mqttOptions.request.topic) {
      return this.failAtStart('MQTT request/response needs a request topic', 'ERR_MQTT_TOPIC');
    }
    const topicProblem = this.topicProblem();
    if (topicProblem) return this.failAtStart(topicProblem, 'ERR_MQTT_TOPIC');
    this.lc.connecting(this.displayUrl);
    let client: MqttClient;
    try {
      // manualConnect: the CONNECT packet must be seen by our packetsend listener.
      client = mqtt.connect(this.displayUrl, { ...this.clientOptions(), manualConnect: true });
    } catch (err) {
      const d = describeError(err, this.displayUrl);
      return this.failAtStart(d.message, d.code);
    }
    this.client = client;
    if (this.mqttOptions.request) {
      this.requester = new MqttRequester(this.mqttOptions.request, this.clientId, this.sink, this.requestChannel(), (why) => {
        // Ending by itself: announce it the way Session.close() would.
        if (this.lc.stopped) return;
        this.sink.state('closing', { reason: why });
        void this.close(why);
      });
    }
    this.wire(client);
    try {
      client.connect();
    } catch (err) {
      const d = describeError(err, this.displayUrl);
      this.failAtStart(d.message, d.code);
    }
  }

  /** A one-line problem with a configured topic, caught before connecting (MQTT.js would only call back). */
  private topicProblem(): string | undefined {
    const m = this.mqttOptions;
    for (const sub of m.subscribe ?? []) {
      const p = topicFilterProblem(sub.topic);
      if (p) return `Invalid MQTT subscription: ${p}`;
    }
    const names: Array<[string, string | undefined]> = [
      ...(m.publish ?? []).map((p): [string, string] => ['publish topic', p.topic]),
      ['will topic', m.will?.topic],
      ['publish topic', m.publishTopic],
      ['request topic', m.request?.topic],
      ['response topic', m.request?.responseTopic],
    ];
    for (const [what, topic] of names) {
      if (topic === undefined) continue;
      const p = topicNameProblem(topic);
      if (p) return `Invalid MQTT ${what}: ${p}`;
    }
    return undefined;
  }

  private failAtStart(message: string, code?: string): void {
    this.lc.fail(message, code);
  }

  private clientOptions(): IClientOptions {
    const m = this.mqttOptions;
    const url = new URL(this.options.url);
    const o: IClientOptions = {
      protocolVersion: this.protocolVersion,
      clientId: this.clientId,
      clean: m.clean ?? true,
      keepalive: m.keepaliveSec ?? 60,
      connectTimeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      reconnectPeriod: this.policy.enabled ? backoffDelay(this.policy, 1) : 0,
      // An auth refusal must end the session, not loop.
      reconnectOnConnackError: false,
      resubscribe: true,
      ...nodeTlsOptions(this.options.tls),
    };
    const username = m.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const password = m.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
    if (username !== undefined) o.username = username;
    if (password !== undefined) o.password = password;
    if (this.protocolVersion === 5) {
      const expiry = m.sessionExpirySec ?? (m.clean === false ? DEFAULT_SESSION_EXPIRY_SEC : undefined);
      if (expiry !== undefined) o.properties = { sessionExpiryInterval: expiry };
    }
    if (m.will) {
      o.will = {
        topic: m.will.topic,
        payload: payloadBytes(m.will),
        qos: m.will.qos ?? 0,
        retain: !!m.will.retain,
      };
      const props = this.protocolVersion === 5 ? publishProperties(m.will.properties) : undefined;
      if (props) o.will.properties = props;
    }
    if (url.protocol === 'ws:' || url.protocol === 'wss:') {
      o.wsOptions = { headers: this.options.headers, ...nodeTlsOptions(this.options.tls) };
    }
    return o;
  }

  private wire(client: MqttClient): void {
    const sink = this.sink;
    client.on('packetsend', (packet: Packet) => this.onPacket('out', packet as unknown as AnyPacket));
    client.on('packetreceive', (packet: Packet) => this.onPacket('in', packet as unknown as AnyPacket));

    client.on('connect', () => {
      // The library has flushed its queue and restored subscriptions where needed; first-connection work goes here.
      if (this.lc.ended) return;
      if (this.firstConnectDone) {
        // Request/response that lost its connection before the response topic's SUBACK starts again.
        this.requester?.start();
        return;
      }
      this.firstConnectDone = true;
      this.afterFirstConnect();
    });

    client.on('reconnect', () => {
      if (this.lc.stopped) return;
      this.lc.connecting(this.displayUrl, { attempt: this.lc.attempt });
    });

    client.on('disconnect', (packet) => {
      const code = packet.reasonCode ?? 0;
      const why = packet.properties?.reasonString;
      this.dropCause = `broker sent DISCONNECT: ${reasonText('disconnect', code, this.protocolVersion)}${why ? ` (${why})` : ''}`;
      this.dropReported = false;
    });

    client.on('error', (err: Error & { code?: unknown }) => {
      if (this.lc.ended) return;
      if (this.refusal) return;
      this.dropReported = true;
      if (err.message === 'Keepalive timeout') {
        const sec = this.mqttOptions.keepaliveSec ?? 60;
        this.dropCause = `keepalive timeout: the broker did not answer PINGREQ in time (keepalive ${sec} s)`;
        sink.error(this.dropCause, 'ERR_MQTT_KEEPALIVE');
        return;
      }
      if (err.message === 'connack timeout') {
        const ms = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
        this.dropCause = `no CONNACK from the broker within ${ms} ms (is it an MQTT broker?)`;
        sink.error(this.dropCause, 'ERR_MQTT_CONNACK_TIMEOUT');
        return;
      }
      if (err.code === undefined && !LIBRARY_MESSAGES.has(err.message)) {
        // Only the packet parser emits uncoded errors here; after one the byte stream cannot be trusted,
        // so the connection is dropped (MQTT says to close on a malformed packet).
        this.dropCause = `malformed MQTT packet from the broker: ${err.message}${this.lc.everOpened ? '' : ' (is it an MQTT broker?)'}`;
        sink.error(this.dropCause, 'ERR_MQTT_MALFORMED');
        client.stream?.destroy();
        return;
      }
      const d = typeof err.code === 'number' ? { message: err.message, code: 'ERR_MQTT' } : describeError(err, this.displayUrl);
      this.dropCause = d.message;
      sink.error(d.message, d.code);
    });

    client.on('close', () => this.onClose());
  }

  private onPacket(dir: 'in' | 'out', packet: AnyPacket): void {
    if (this.lc.ended) return;
    const sink = this.sink;
    if (packet.cmd === 'publish') {
      const topic = String(packet.topic ?? '');
      const meta = publishMeta(packet);
      let after: (() => void) | undefined;
      if (this.requester && dir === 'out') {
        Object.assign(meta, this.requester.outgoing(packet));
      } else if (this.requester) {
        const match = this.requester.incoming(packet);
        if (match) {
          Object.assign(meta, match.meta);
          after = match.after;
        }
      }
      const raw = packet.payload as Buffer | string | undefined;
      const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : (raw ?? Buffer.alloc(0));
      const binary = !isUtf8(bytes);
      sink.frame(dir, bytes, { channel: topic, meta, binary });
      after?.();
      return;
    }
    if (packet.cmd === 'connect') {
      this.timing = new RequestTiming(sink.now);
      const stream = this.client?.stream;
      // Stream errors without a code (a WebSocket handshake refused with an HTTP status) never reach the
      // client's 'error' event; keep them as the cause.
      stream?.on('error', (e: Error) => {
        if (this.dropCause) return;
        const status = /Unexpected server response: (\d+)/.exec(e.message)?.[1];
        const d = status
          ? { message: `WebSocket handshake rejected: HTTP ${status} (is the MQTT-over-WebSocket path right?)`, code: 'ERR_WS_HANDSHAKE' }
          : describeError(e, this.displayUrl);
        this.dropCause = d.message;
        this.dropReported = true;
        if (!this.lc.ended) this.sink.error(d.message, d.code);
      });
      if (stream instanceof net.Socket) {
        this.timing.attachSocket(stream);
        // Nagle + delayed ACKs would add ~40 ms to small packets and skew every measured round trip.
        stream.setNoDelay(true);
      }
    }
    let topics: string[] | undefined;
    if (packet.cmd === 'subscribe' && packet.messageId !== undefined) {
      this.pendingSubs.set(
        packet.messageId,
        ((packet.subscriptions as Array<{ topic: string }>) ?? []).map((s) => s.topic),
      );
    } else if (packet.cmd === 'suback' && packet.messageId !== undefined) {
      topics = this.pendingSubs.get(packet.messageId);
      this.pendingSubs.delete(packet.messageId);
    }
    sink.frame(dir, '', { control: true, meta: controlMeta(packet, this.protocolVersion, topics) });
    if (packet.cmd === 'connack') this.onConnack(packet);
  }

  /** CONNACK decides the state: open (with sessionPresent, the MQTT resume token) or refused. */
  private onConnack(packet: AnyPacket): void {
    const sink = this.sink;
    const code = (this.protocolVersion === 5 ? packet.reasonCode : packet.returnCode) as number | undefined;
    if (this.timing) {
      this.timing.markFirstByte();
      this.timing.markEnd();
      sink.timing(this.timing.phases(), { handshake: 'connack' });
      this.timing = undefined;
    }
    if (isRefusal(code)) {
      const words = reasonText('connack', code!, this.protocolVersion);
      const hint = code === 1 || code === 0x84 ? ' (try the other MQTT protocol version)' : '';
      this.refusal = `Connection refused by the broker: ${words} (code ${code})${hint}`;
      this.lc.fail(this.refusal, 'ERR_MQTT_CONNACK');
      return;
    }
    const sessionPresent = !!packet.sessionPresent;
    const clean = this.mqttOptions.clean ?? true;
    const meta: Record<string, unknown> = { sessionPresent, protocolVersion: this.protocolVersion, clientId: this.clientId, clean };
    const assigned = (packet.properties as { assignedClientIdentifier?: string } | undefined)?.assignedClientIdentifier;
    if (assigned) meta.assignedClientId = assigned;
    if (this.lc.everOpened) {
      // MQTT.js resubscribes (its `resubscribe` option) unless the broker kept the session (clean start off and session present).
      const subs = [...this.granted];
      if (subs.length > 0) meta.resubscribe = clean || !sessionPresent ? subs : [];
    }
    this.dropCause = undefined;
    this.dropReported = false;
    if (this.client && this.policy.enabled) this.client.options.reconnectPeriod = backoffDelay(this.policy, 1);
    this.lc.opened(this.displayUrl, meta);
  }

  private afterFirstConnect(): void {
    const client = this.client;
    if (!client) return;
    const m = this.mqttOptions;
    if (m.subscribe && m.subscribe.length > 0) {
      const map: Record<string, { qos: 0 | 1 | 2 }> = {};
      for (const s of m.subscribe) map[s.topic] = { qos: s.qos ?? 0 };
      client.subscribe(map, (_err, requested, suback) => {
        this.recordGranted(requested, suback);
        if (this.lc.ended) return;
        // A SUBACK names no topics: its codes follow the order of the SUBSCRIBE. Without a SUBACK the
        // connection went away first; that drop is reported with its cause and MQTT.js subscribes again.
        for (const r of refusedSubscriptions(requested, suback)) {
          this.sink.error(`the broker refused the subscription to ${r.topic}: ${reasonText('suback', r.code, this.protocolVersion)}`, 'ERR_MQTT_SUBSCRIBE');
        }
      });
    }
    for (const p of m.publish ?? []) this.publishNow(p.topic, payloadBytes(p), p).catch(() => undefined);
    for (const text of this.options.send ?? []) {
      const topic = m.publishTopic;
      if (!topic) {
        this.sink.error('cannot send: no MQTT topic to publish to (set a publish topic)', 'ERR_MQTT_TOPIC');
        break;
      }
      this.publishNow(topic, Buffer.from(text, 'utf8'), {}).catch(() => undefined);
    }
    this.requester?.start();
  }

  private publishNow(topic: string, payload: Buffer, o: Pick<MqttPublish, 'qos' | 'retain' | 'properties'>): Promise<void> {
    const client = this.client;
    if (!client || this.lc.ended) return Promise.reject(new Error('The MQTT session has ended'));
    const opts: IClientPublishOptions = { qos: o.qos ?? 0, retain: !!o.retain };
    const props = this.protocolVersion === 5 ? publishProperties(o.properties) : undefined;
    if (props) opts.properties = props;
    return new Promise<void>((resolve, reject) => {
      client.publish(topic, payload, opts, (err) => {
        if (err) {
          const d = describeError(err);
          if (!this.lc.ended) this.sink.error(`publish to ${topic} failed: ${d.message}`, 'ERR_MQTT_PUBLISH');
          reject(new Error(d.message));
        } else resolve();
      });
    });
  }

  private requestChannel() {
    return {
      subscribe: (topic: string, qos: 0 | 1 | 2) =>
        new Promise<void>((resolve, reject) => {
          const client = this.client;
          if (!client) return reject(new Error('not connected'));
          client.subscribe(topic, { qos }, (err, requested, suback) => {
            this.recordGranted(requested, suback);
            const refused = refusedSubscriptions(requested, suback)[0];
            if (refused) return reject(new SubscriptionRefused(reasonText('suback', refused.code, this.protocolVersion)));
            if (err) return reject(new Error(describeError(err).message));
            resolve();
          });
        }),
      publish: (topic: string, payload: Buffer, qos: 0 | 1 | 2, properties: Record<string, unknown>) => {
        this.client?.publish(topic, payload, { qos, properties }, () => undefined);
      },
    };
  }

  /** Remember the filters a SUBACK granted (in the SUBSCRIBE's order), for the reconnection's story. */
  private recordGranted(requested: ReadonlyArray<{ topic: string }> | undefined, suback: { granted?: unknown } | undefined): void {
    const codes = Array.isArray(suback?.granted) ? (suback.granted as unknown[]) : [];
    codes.forEach((code, i) => {
      const topic = requested?.[i]?.topic;
      if (topic !== undefined && typeof code === 'number' && code < 0x80) this.granted.add(topic);
    });
  }

  private onClose(): void {
    if (this.lc.ended) return;
    // SUBSCRIBEs are not resent on a new connection (resubscription uses new message ids).
    this.pendingSubs.clear();
    if (this.lc.closing) {
      this.lc.finishClose();
      return;
    }
    let cause = this.dropCause ?? 'connection lost';
    const reported = this.dropReported;
    this.dropCause = undefined;
    this.dropReported = false;
    // First connection: refused, DNS, TLS or a broker that hung up before CONNACK.
    if (!this.lc.everOpened && cause === 'connection lost') cause = 'the broker closed the connection before CONNACK';
    const client = this.client!;
    // MQTT.js armed its timer with the current period on 'close' (its listener runs before ours).
    const plan = this.lc.dropped(cause, {
      reported,
      delayMs: client.options.reconnectPeriod ?? 0,
      meta: { clientId: this.clientId, clean: this.mqttOptions.clean ?? true },
    });
    // The next failure waits longer.
    if (plan.retry) client.options.reconnectPeriod = backoffDelay(this.policy, plan.attempt + 1);
  }

  async send(msg: OutboundMessage): Promise<void> {
    if (this.lc.ended || !this.client) throw new Error('The MQTT session is not connected');
    const topic = msg.channel ?? this.mqttOptions.publishTopic;
    if (!topic) throw new Error('An MQTT message needs a topic');
    const problem = topicNameProblem(topic);
    if (problem) throw new Error(`Invalid MQTT topic: ${problem}`);
    const meta = (msg.meta ?? {}) as { qos?: unknown; retain?: unknown; properties?: unknown };
    const qos = meta.qos === 1 || meta.qos === 2 ? meta.qos : 0;
    const payload = typeof msg.data === 'string' ? Buffer.from(msg.data, 'utf8') : Buffer.from(msg.data);
    await this.publishNow(topic, payload, {
      qos,
      retain: meta.retain === true,
      properties: (meta.properties ?? undefined) as MqttPublish['properties'],
    });
  }

  reconnect(): void {
    const client = this.client;
    if (!client) return;
    // Destroying the stream makes the library see a lost connection and run its reconnect path.
    this.lc.requestReconnect(() => client.stream?.destroy());
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      this.requester?.stop();
      this.stopLibraryReconnects();
      const client = this.client;
      if (!client) {
        this.lc.finishClose();
        return;
      }
      if (client.connected) {
        // A clean DISCONNECT (logged as an out frame) tells the broker not to publish the will.
        client.end(false, {}, () => this.lc.finishClose());
        this.forceTimer = setTimeout(() => this.lc.finishClose(), 2000);
        this.forceTimer.unref?.();
      } else {
        client.end(true, {}, () => this.lc.finishClose());
        this.lc.finishClose();
      }
    });
  }

  /**
   * With `manualConnect`, MQTT.js forgets that it is disconnecting once its stores have closed; a stream
   * that closes after that (a close while still waiting for CONNACK) would schedule a reconnect of a
   * session that has ended. A zero period turns the library's reconnecting off for good.
   */
  private stopLibraryReconnects(): void {
    if (this.client) this.client.options.reconnectPeriod = 0;
  }

}

/** Topics a SUBACK refused (reason code 0x80 or above), matched to the SUBSCRIBE's order. */
function refusedSubscriptions(
  requested: ReadonlyArray<{ topic: string }> | undefined,
  suback: { granted?: unknown } | undefined,
): Array<{ topic: string; code: number }> {
  const codes = Array.isArray(suback?.granted) ? (suback.granted as unknown[]) : [];
  const out: Array<{ topic: string; code: number }> = [];
  codes.forEach((code, i) => {
    if (typeof code === 'number' && code >= 0x80) out.push({ topic: requested?.[i]?.topic ?? '?', code });
  });
  return out;
}

/** The URL without user info, for logs and for MQTT.js (credentials go in options instead). */
function stripCredentials(raw: string): string {
  try {
    const u = new URL(raw);
    if (!u.username && !u.password) return raw;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return raw;
  }
}
