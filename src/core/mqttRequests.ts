/**
 * Publish/async-response over MQTT 5: requests carry a response topic and unique correlation data;
 * responses are matched by correlation data, each with its round-trip time, or a timeout.
 */
import { randomBytes } from 'node:crypto';
import type { MqttOptions } from '../shared/connectOptions';
import { correlationKey, type AnyPacket } from './mqttPackets';
import type { TransportSink } from './transport';

export type MqttRequestOptions = NonNullable<MqttOptions['request']>;

/** What the requester needs from the MQTT connection. */
export interface RequestChannel {
  /**
   * Subscribe; resolves once the SUBACK granted it. Rejects with a one-line reason: a
   * `SubscriptionRefused` when the broker refused, any other error when the connection went away first.
   */
  subscribe(topic: string, qos: 0 | 1 | 2): Promise<void>;
  publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, properties: Record<string, unknown>): void;
}

/** The broker refused a subscription in its SUBACK. */
export class SubscriptionRefused extends Error {}

/** Summary figures, as `summary.requestResponse`. */
export interface RequestStats {
  sent: number;
  answered: number;
  timedOut: number;
  rtt: { min: number; avg: number; max: number } | null;
}

interface Pending {
  n: number;
  correlationId: string;
  /** Session time the PUBLISH went on the wire (set by outgoing()). */
  sentAt?: number;
  timer?: NodeJS.Timeout;
  settled: boolean;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
export const DEFAULT_REQUEST_INTERVAL_MS = 1000;

/** Drives `count` requests and matches their responses. */
export class MqttRequester {
  readonly responseTopic: string;
  private readonly count: number;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly qos: 0 | 1 | 2;
  /** A per-session prefix keeps correlation ids unique across sessions sharing a response topic. */
  private readonly idPrefix = randomBytes(4).toString('hex');
  private readonly byId = new Map<string, Pending>();
  private sendTimer: NodeJS.Timeout | undefined;
  private sent = 0;
  private answered = 0;
  private timedOut = 0;
  private rtts: number[] = [];
  private started = false;
  private stopped = false;

  constructor(
    private readonly options: MqttRequestOptions,
    clientId: string,
    private readonly sink: TransportSink,
    private readonly channel: RequestChannel,
    /** Called once when there is nothing left to do: every request answered or timed out, or no way to get answers. */
    private readonly onSettled: (reason: string) => void,
  ) {
    this.responseTopic = options.responseTopic || `wirescope/responses/${clientId}`;
    this.count = Math.max(1, Math.floor(options.count ?? 1));
    this.intervalMs = Math.max(0, options.intervalMs ?? DEFAULT_REQUEST_INTERVAL_MS);
    this.timeoutMs = Math.max(1, options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.qos = options.qos ?? 1;
    this.publishStats();
  }

  /**
   * Subscribe to the response topic, then send the requests. Called on every CONNACK: it acts once,
   * unless the connection was lost before the SUBACK, in which case the next connection tries again.
   */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.channel.subscribe(this.responseTopic, this.qos).then(
      () => this.sendNext(),
      (err: unknown) => {
        if (this.stopped) return;
        if (!(err instanceof SubscriptionRefused)) {
          this.started = false;
          return;
        }
        const why = `cannot subscribe to the response topic ${this.responseTopic}: ${err.message}`;
        this.sink.error(why, 'ERR_MQTT_SUBSCRIBE');
        this.stop();
        this.onSettled(why);
      },
    );
  }

  private sendNext(): void {
    if (this.stopped || this.sent >= this.count) return;
    const n = ++this.sent;
    const correlationId = `${n}-${this.idPrefix}`;
    const p: Pending = { n, correlationId, settled: false };
    this.byId.set(correlationId, p);
    const payload = Buffer.from(this.options.payload ?? JSON.stringify({ request: n }), 'utf8');
    this.channel.publish(this.options.topic, payload, this.qos, {
      responseTopic: this.responseTopic,
      correlationData: Buffer.from(correlationId, 'utf8'),
    });
    // The clock starts at publish() even if the client queues the packet while reconnecting:
    // the user waits from the moment the request was made.
    p.sentAt ??= this.sink.now();
    p.timer = setTimeout(() => this.expire(p), this.timeoutMs);
    this.publishStats();
    if (this.sent < this.count) this.sendTimer = setTimeout(() => this.sendNext(), this.intervalMs);
  }

  private expire(p: Pending): void {
    if (p.settled || this.stopped) return;
    p.settled = true;
    this.timedOut++;
    this.sink.error(`request ${p.correlationId} timed out after ${this.timeoutMs} ms`, 'ERR_MQTT_REQUEST_TIMEOUT');
    this.sink.timing(
      { dns: null, connect: null, tls: null, ttfb: null, download: null, total: this.timeoutMs },
      { request: p.n, correlationId: p.correlationId, timedOut: true, timeoutMs: this.timeoutMs },
    );
    this.publishStats();
    this.checkSettled();
  }

  /** Extra meta for an outgoing PUBLISH that is one of our requests. */
  outgoing(packet: AnyPacket): Record<string, unknown> | undefined {
    const key = correlationKey(packet.properties as { correlationData?: Buffer } | undefined);
    const p = key !== undefined ? this.byId.get(key) : undefined;
    if (!p) return undefined;
    return { request: p.n, correlationId: p.correlationId };
  }

  /**
   * Extra meta for an incoming PUBLISH that answers one of our requests (`correlationId`, `rttMs`);
   * a response after its timeout is marked `late`. Emits the request's timing after the caller logs the frame.
   */
  incoming(packet: AnyPacket): { meta: Record<string, unknown>; after?: () => void } | undefined {
    const key = correlationKey(packet.properties as { correlationData?: Buffer } | undefined);
    const p = key !== undefined ? this.byId.get(key) : undefined;
    if (!p) return undefined;
    const rttMs = Math.round((this.sink.now() - (p.sentAt ?? this.sink.now())) * 1000) / 1000;
    if (p.settled) return { meta: { request: p.n, correlationId: p.correlationId, rttMs, late: true } };
    p.settled = true;
    clearTimeout(p.timer);
    this.answered++;
    this.rtts.push(rttMs);
    this.publishStats();
    return {
      meta: { request: p.n, correlationId: p.correlationId, rttMs },
      after: () => {
        this.sink.timing(
          { dns: null, connect: null, tls: null, ttfb: rttMs, download: null, total: rttMs },
          { request: p.n, correlationId: p.correlationId, rttMs },
        );
        this.checkSettled();
      },
    };
  }

  private checkSettled(): void {
    if (this.sent >= this.count && this.answered + this.timedOut >= this.count && !this.options.keepOpen) {
      this.stop();
      this.onSettled('all requests answered or timed out');
    }
  }

  stats(): RequestStats {
    const rtt =
      this.rtts.length > 0
        ? {
            min: Math.min(...this.rtts),
            avg: Math.round((this.rtts.reduce((a, b) => a + b, 0) / this.rtts.length) * 1000) / 1000,
            max: Math.max(...this.rtts),
          }
        : null;
    return { sent: this.sent, answered: this.answered, timedOut: this.timedOut, rtt };
  }

  private publishStats(): void {
    this.sink.summarize({ requestResponse: this.stats() });
  }

  /** Stop sending and cancel pending timeouts. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.sendTimer);
    for (const p of this.byId.values()) clearTimeout(p.timer);
  }
}
