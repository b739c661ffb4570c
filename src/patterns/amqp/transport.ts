/**
 * AMQP 0-9-1 (`amqp://`, `amqps://`), on Wirescope's own protocol codec (./protocol.ts): every method is
 * seen as it arrives, and there is no hidden reconnection or buffering, so the shared connection lifecycle
 * (src/core/lifecycle.ts) reconnects, re-declares and re-binds in plain sight.
 *
 * - Watching (`bind`) goes through a private queue: exclusive, auto-delete, named by the broker, bound to
 *   the user's exchanges. Each bound message is copied to it: nothing is taken from the user's consumers.
 * - Consuming an existing queue (`queue`) is destructive, and the session's first control frame and the
 *   open state's `meta.destructive` say so; `ack` decides who settles the deliveries (auto, manual from
 *   the composer, or none at all).
 * - Each delivery is an in frame with channel = the routing key; `meta` carries exchange, routingKey,
 *   deliveryTag, redelivered, the properties, the headers and, for a dead-lettered message, its x-death
 *   history in words (`meta.deadLetter`).
 * - Publishes (start-up, composer, `--send`) are out frames on their own channel in confirm mode, with the
 *   mandatory flag: an unroutable message comes back as a control frame, a broker's ack is counted.
 * - Request/reply: requests carry reply_to = the private queue and a unique correlation_id; each reply is
 *   matched with its round-trip time (a timing event), or a timeout (an error event); `summary.requestResponse`.
 * - Channel closes (with the reply code and text), consumer cancels, connection.blocked/unblocked and a
 *   broker's connection.close are control frames in words.
 */
import { randomBytes } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import net from 'node:net';
import tls from 'node:tls';
import { checkUrl, describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import { nodeTlsOptions } from '../../core/tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { amqpPattern, splitTarget } from './descriptor';
import { AmqpProtocolError, AmqpReader, describeClose, describeXDeath, encode, HEARTBEAT_FRAME, PROTOCOL_HEADER, type AmqpContent, type AmqpEvent, type AmqpMethod, type BasicProperties, type FieldTable } from './protocol';

export const createTransport: TransportFactory = ({ options, sink }) => new AmqpTransport(options, sink);

/** A failure that ends the session whatever the reconnect policy says (bad credentials, an unknown exchange). */
class Fatal extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A channel the broker closed while an operation on it waited. */
class ChannelClosed extends Error {
  constructor(
    readonly replyCode: number,
    readonly replyText: string,
  ) {
    super(describeClose(replyCode, replyText));
  }
}

const CONSUME_CH = 1;
const PUBLISH_CH = 2;
const OUR_FRAME_MAX = 131072;

interface Waiter {
  expect: ReadonlyArray<AmqpMethod['name']>;
  resolve(m: AmqpMethod): void;
  reject(e: Error): void;
}

interface PendingRequest {
  n: number;
  correlationId: string;
  sentAt: number;
  timer?: NodeJS.Timeout;
  settled: boolean;
}

interface Unacked {
  routingKey: string;
  exchange: string;
}

class AmqpTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private readonly secure: boolean;
  private readonly o: NonNullable<ConnectOptions['amqp']>;
  private socket: net.Socket | undefined;
  private generation = 0;
  private host = '';
  private port = 5672;
  private user = 'guest';
  private pass = 'guest';
  private vhost = '/';
  private frameMax = OUR_FRAME_MAX;
  private openedBefore = false;
  private published = false;
  private readonly waiters = new Map<number, Waiter[]>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastReadAt = 0;
  /** The private queue of this connection (watching and replies). */
  private privateQueue: string | undefined;
  private consumerTag = '';
  /** The consuming channel is set up and delivering. */
  private consuming = false;
  /** The publish channel is open (it reopens after the broker closes it). */
  private publishReady = false;
  private publishSeq = 0;
  /** Targets of publishes not yet confirmed, by sequence number (for a channel close's account). */
  private readonly unconfirmed = new Map<number, string>();
  private published_ = 0;
  private confirmed = 0;
  private returned = 0;
  private lostPublishes = 0;
  private messageIdN = 0;
  private readonly unacked = new Map<number, Unacked>();
  private acked = 0;
  private nacked = 0;
  private requeued = 0;
  private blocked = false;
  private readonly idPrefix = randomBytes(4).toString('hex');
  private readonly requests = new Map<string, PendingRequest>();
  private reqSent = 0;
  private reqAnswered = 0;
  private reqTimedOut = 0;
  private readonly rtts: number[] = [];
  private reqTimer: NodeJS.Timeout | undefined;
  private reqStarted = false;
  private closeWaiter: (() => void) | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.secure = /^amqps:/i.test(options.url.trim());
    this.o = options.amqp ?? {};
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.teardown());
  }

  private get ackMode(): 'auto' | 'manual' | 'none' {
    return this.o.ack ?? 'manual';
  }

  private mode(): { text: string; destructive: boolean } {
    const parts: string[] = [];
    const binds = this.o.bind ?? [];
    let destructive = false;
    if (this.o.queue) {
      destructive = true;
      const how =
        this.ackMode === 'auto'
          ? 'each message is acknowledged once shown and leaves the queue'
          : this.ackMode === 'none'
            ? 'consumed without acknowledgements: each message leaves the queue as the broker sends it'
            : 'messages stay unacknowledged until you ack, nack or requeue them; unsettled ones return to the queue when the session ends';
      parts.push(`DESTRUCTIVE: consumes queue ${this.o.queue} (ack ${this.ackMode}): its messages are shared with the queue's other consumers; ${how}`);
    }
    if (binds.length) parts.push(`watching ${binds.map((b) => `${b.exchange}:${b.routingKey}`).join(', ')} through a private queue (exclusive, auto-delete): copies only, nothing is taken from other consumers`);
    if (this.o.publish?.length) parts.push(`publish ${this.o.publish.length} message${this.o.publish.length === 1 ? '' : 's'}`);
    if (this.o.requestTo) parts.push(`${this.o.requests ?? 1} request${(this.o.requests ?? 1) === 1 ? '' : 's'} to ${this.o.requestTo}, replies to the private queue`);
    return { text: parts.join('; ') || 'connection only (send to publish)', destructive };
  }

  private get needsPrivateQueue(): boolean {
    return (this.o.bind?.length ?? 0) > 0 || !!this.o.requestTo;
  }

  start(): void {
    const problem = checkUrl(this.options.url, amqpPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const u = new URL(this.options.url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    if (!this.host) return this.lc.fail(`Invalid URL: no host in ${u.protocol}//`, 'ERR_INVALID_URL');
    this.port = u.port ? Number(u.port) : this.secure ? 5671 : 5672;
    try {
      if (u.username) this.user = decodeURIComponent(u.username);
      if (u.password) this.pass = decodeURIComponent(u.password);
      // amqp://host/ and amqp://host are the default vhost "/"; amqp://host/%2F too; amqp://host/prod is "prod".
      const path = u.pathname.replace(/^\//, '');
      this.vhost = this.o.vhost ?? (path === '' ? '/' : decodeURIComponent(path));
    } catch {
      return this.lc.fail('Invalid URL: a %-escape in the user info or vhost is broken', 'ERR_INVALID_URL');
    }
    if (this.o.username !== undefined) this.user = this.o.username;
    if (this.o.password !== undefined) this.pass = this.o.password;
    if (this.o.queue !== undefined && this.o.queue === '') return this.lc.fail('cannot consume: an empty queue name (name an existing queue)', 'ERR_INVALID_OPTIONS');
    if (this.o.ack && !this.o.queue) return this.lc.fail('--ack applies to --queue (watching through --bind never acknowledges anything of yours)', 'ERR_INVALID_OPTIONS');
    for (const b of this.o.bind ?? []) if (!b.exchange) return this.lc.fail('cannot bind to the default exchange: name an exchange (amq.topic:orders.#); to read a queue use --queue', 'ERR_INVALID_OPTIONS');
    this.connect();
  }

  // ---------- connection ----------

  private connect(): void {
    const gen = ++this.generation;
    this.lc.connecting(this.options.url);
    if (gen === 1) {
      const m = this.mode();
      this.sink.frame('out', m.text, { control: true, meta: { packet: 'MODE', destructive: m.destructive } });
    }
    this.waiters.clear();
    this.consuming = false;
    this.publishReady = false;
    this.unacked.clear();
    this.unconfirmed.clear();
    this.publishSeq = 0;
    this.blocked = false;
    const t0 = this.sink.now();
    let connectAt: number | undefined;
    let lookupAt: number | undefined;
    let tlsAt: number | undefined;
    const reader = new AmqpReader({ maxMessageBytes: this.o.maxMessageBytes });
    const sock: net.Socket = this.secure
      ? tls.connect({ host: this.host, port: this.port, ...nodeTlsOptions(this.options.tls), ...(net.isIP(this.host) ? {} : { servername: this.options.tls?.servername ?? this.host }) })
      : net.connect({ host: this.host, port: this.port });
    sock.setNoDelay(true);
    this.socket = sock;
    let stage: 'socket' | 'start' | 'auth' | 'open' | 'ready' = 'socket';
    let failure: Error | undefined;
    let serverProps: FieldTable = {};
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      const why =
        stage === 'socket'
          ? `no connection to ${this.host}:${this.port} within ${timeoutMs} ms`
          : stage === 'start'
            ? `no Connection.Start from ${this.host}:${this.port} within ${timeoutMs} ms: an AMQP 0-9-1 broker answers the protocol header at once (is this one?)`
            : `the broker did not finish the handshake within ${timeoutMs} ms`;
      this.drop(gen, new Error(why), 'ETIMEDOUT');
    }, timeoutMs);
    timer.unref?.();
    sock.once('lookup', () => (lookupAt = this.sink.now()));
    sock.once('connect', () => {
      connectAt = this.sink.now();
      if (!this.secure) {
        stage = 'start';
        sock.write(PROTOCOL_HEADER);
      }
    });
    sock.once('secureConnect', () => {
      tlsAt = this.sink.now();
      stage = 'start';
      sock.write(PROTOCOL_HEADER);
    });

    const onEvent = (ev: AmqpEvent) => {
      if (gen !== this.generation) return;
      if (ev.type === 'heartbeat') return;
      if (ev.type === 'content') return this.onContent(ev.channel, ev.content);
      const m = ev.method;
      if (ev.channel !== 0) return this.onChannelMethod(gen, ev.channel, m);
      switch (m.name) {
        case 'connection.start': {
          serverProps = m.serverProperties;
          const mechs = m.mechanisms.split(/\s+/);
          if (!mechs.includes('PLAIN')) {
            failure = new Fatal(`the broker offers no PLAIN login (it offers ${m.mechanisms || 'none'})`, 'ERR_AUTH');
            return void this.drop(gen, failure);
          }
          stage = 'auth';
          const props: FieldTable = {
            product: 'Wirescope',
            platform: `Node.js ${process.version}`,
            connection_name: 'wirescope',
            capabilities: { consumer_cancel_notify: true, 'connection.blocked': true, 'basic.nack': true, publisher_confirms: true, authentication_failure_close: true, exchange_exchange_bindings: true },
          };
          sock.write(encode.startOk(props, 'PLAIN', Buffer.from(`\0${this.user}\0${this.pass}`, 'utf8')));
          return;
        }
        case 'connection.tune': {
          const fm = m.frameMax === 0 ? OUR_FRAME_MAX : Math.min(m.frameMax, OUR_FRAME_MAX);
          this.frameMax = fm;
          reader.frameMax = Math.max(fm, 4096);
          const ours = this.o.heartbeatSec ?? 30;
          const hb = ours === 0 ? 0 : m.heartbeat === 0 ? ours : Math.min(ours, m.heartbeat);
          const channelMax = m.channelMax === 0 ? 2047 : Math.min(m.channelMax, 2047);
          stage = 'open';
          sock.write(Buffer.concat([encode.tuneOk(channelMax, fm, hb), encode.open(this.vhost)]));
          this.startHeartbeat(gen, sock, hb);
          return;
        }
        case 'connection.open-ok': {
          clearTimeout(timer);
          stage = 'ready';
          this.onOpen(gen, sock, serverProps, { t0, lookupAt, connectAt, tlsAt });
          return;
        }
        case 'connection.close': {
          sock.write(encode.connectionCloseOk());
          const text = describeClose(m.replyCode, m.replyText);
          if (stage !== 'ready') {
            if (m.replyCode === 403) failure = new Fatal(`authentication failed: ${text} (user ${this.user})`, 'ERR_AUTH');
            else if (m.replyCode === 530 || m.replyCode === 402) failure = new Fatal(`cannot open virtual host "${this.vhost}": ${text}`, 'ERR_AMQP_VHOST');
            else failure = new Fatal(`the broker refused the connection: ${text}`, 'ERR_AMQP_CONNECTION_CLOSED');
          } else {
            this.sink.frame('in', `the broker closed the connection: ${text}`, { control: true, meta: { packet: 'connection.close', replyCode: m.replyCode, replyText: m.replyText } });
            failure = m.replyCode === 403 || m.replyCode === 530 ? new Fatal(`the broker closed the connection: ${text}`, 'ERR_AMQP_CONNECTION_CLOSED') : new Error(`the broker closed the connection: ${text}`);
          }
          this.rejectAll(failure);
          return void this.drop(gen, failure);
        }
        case 'connection.close-ok': {
          this.closeWaiter?.();
          return;
        }
        case 'connection.blocked': {
          this.blocked = true;
          this.sink.frame('in', `the broker blocked this connection: it holds back publishes until resources free up${m.reason ? ` (${m.reason})` : ''}`, { control: true, meta: { packet: 'connection.blocked', reason: m.reason } });
          this.publishStats();
          return;
        }
        case 'connection.unblocked': {
          this.blocked = false;
          this.sink.frame('in', 'the broker unblocked this connection: publishes flow again', { control: true, meta: { packet: 'connection.unblocked' } });
          this.publishStats();
          return;
        }
        default:
          return;
      }
    };
    sock.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      this.lastReadAt = Date.now();
      try {
        reader.push(chunk, onEvent);
      } catch (err) {
        const e = err as Error;
        failure = e;
        this.sink.error(e.message, 'ERR_PROTOCOL');
        this.drop(gen, e, 'ERR_PROTOCOL', true);
      }
    });
    sock.on('error', (err: Error) => {
      if (gen !== this.generation) return;
      this.drop(gen, failure ?? err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (gen !== this.generation) return;
      if (this.lc.closing) {
        this.generation++;
        this.socket = undefined;
        return this.lc.finishClose();
      }
      const why =
        failure ??
        (stage === 'auth'
          ? new Fatal(`the broker closed the connection after the login: bad credentials for user ${this.user}? (it gave no reason)`, 'ERR_AUTH')
          : stage === 'open'
            ? new Fatal(`the broker closed the connection when asked for virtual host "${this.vhost}"`, 'ERR_AMQP_VHOST')
            : stage === 'start'
              ? new Error(reader.frames === 0 ? 'the server closed the connection after the AMQP protocol header: not an AMQP 0-9-1 broker?' : 'the server closed the connection during the handshake')
              : new Error(reader.midFrame ? `the broker closed the connection in the middle of a frame (${reader.buffered} bytes of it read)` : 'the broker closed the connection'));
      this.drop(gen, why);
    });
  }

  private startHeartbeat(gen: number, sock: net.Socket, sec: number): void {
    clearInterval(this.heartbeatTimer);
    if (sec <= 0) return;
    this.lastReadAt = Date.now();
    this.heartbeatTimer = setInterval(
      () => {
        if (gen !== this.generation) return clearInterval(this.heartbeatTimer);
        if (Date.now() - this.lastReadAt > sec * 2000 + 1000) {
          clearInterval(this.heartbeatTimer);
          return this.drop(gen, new Error(`no heartbeat or data from the broker for ${sec * 2} s: the connection is dead`));
        }
        if (!sock.destroyed) sock.write(HEARTBEAT_FRAME);
      },
      Math.max(500, (sec * 1000) / 2),
    );
    this.heartbeatTimer.unref?.();
  }

  // ---------- channel methods and RPC ----------

  private rpc(sock: net.Socket, ch: number, frame: Buffer, expect: ReadonlyArray<AmqpMethod['name']>): Promise<AmqpMethod> {
    return new Promise<AmqpMethod>((resolve, reject) => {
      const list = this.waiters.get(ch) ?? [];
      list.push({ expect, resolve, reject });
      this.waiters.set(ch, list);
      sock.write(frame);
    });
  }

  private rejectAll(err: Error): void {
    for (const list of this.waiters.values()) for (const w of list.splice(0)) w.reject(err);
  }

  private onChannelMethod(gen: number, ch: number, m: AmqpMethod): void {
    const sock = this.socket;
    if (!sock) return;
    if (m.name === 'channel.close') {
      sock.write(encode.channelCloseOk(ch));
      const err = new ChannelClosed(m.replyCode, m.replyText);
      const list = this.waiters.get(ch) ?? [];
      const waited = list.length > 0;
      for (const w of list.splice(0)) w.reject(err);
      if (ch === PUBLISH_CH) return this.onPublishChannelClosed(gen, sock, err);
      if (ch === CONSUME_CH) {
        // During set-up the waiting operation reports it; afterwards the consumer is gone: reconnect.
        this.consuming = false;
        if (!waited) {
          this.sink.frame('in', `channel ${ch} closed by the broker: ${err.message}`, { control: true, meta: { packet: 'channel.close', channel: ch, replyCode: m.replyCode, replyText: m.replyText } });
          this.drop(gen, new Error(`the broker closed the consuming channel: ${err.message}`));
        }
      }
      return;
    }
    if (m.name === 'channel.flow') {
      sock.write(encode.flowOk(ch, m.active));
      this.sink.frame('in', m.active ? `the broker resumed channel ${ch} (flow on)` : `the broker paused channel ${ch} (flow off)`, { control: true, meta: { packet: 'channel.flow', channel: ch, active: m.active } });
      return;
    }
    if (m.name === 'basic.cancel') {
      // consumer_cancel_notify: the queue was deleted, or its node went away.
      this.consuming = false;
      const q = this.o.queue ?? this.privateQueue ?? '?';
      this.sink.frame('in', `the broker cancelled consumer ${m.consumerTag}: queue ${q} was deleted or became unavailable`, { control: true, meta: { packet: 'basic.cancel', consumerTag: m.consumerTag, queue: q } });
      this.sink.error(`the broker cancelled the consumer of queue ${q} (the queue was deleted or became unavailable): reconnecting to consume again`, 'ERR_AMQP_CONSUMER_CANCELLED');
      this.drop(gen, new Error(`the broker cancelled the consumer of queue ${q}`));
      return;
    }
    if (ch === PUBLISH_CH && (m.name === 'basic.ack' || m.name === 'basic.nack')) return this.onConfirm(m);
    const list = this.waiters.get(ch);
    const w = list?.[0];
    if (w && w.expect.includes(m.name)) {
      list!.shift();
      w.resolve(m);
    }
  }

  // ---------- set-up after the handshake ----------

  private onOpen(gen: number, sock: net.Socket, server: FieldTable, t: { t0: number; lookupAt?: number; connectAt?: number; tlsAt?: number }): void {
    const now = this.sink.now();
    const dnsEnd = t.lookupAt ?? t.t0;
    const connectEnd = t.connectAt ?? now;
    this.sink.timing({ dns: t.lookupAt !== undefined ? dnsEnd - t.t0 : null, connect: connectEnd - dnsEnd, tls: t.tlsAt !== undefined ? t.tlsAt - connectEnd : null, ttfb: null, download: null, total: now - t.t0 });
    const m = this.mode();
    const meta: Record<string, unknown> = {
      server: { product: server.product, version: server.version, clusterName: server.cluster_name, platform: server.platform },
      vhost: this.vhost,
      frameMax: this.frameMax,
      destructive: m.destructive,
      mode: m.text,
    };
    if (sock instanceof tls.TLSSocket) meta.tls = { protocol: sock.getProtocol(), cipher: sock.getCipher()?.name, authorized: sock.authorized };
    this.lc.opened(this.options.url, meta);
    const again = this.openedBefore;
    this.openedBefore = true;
    void this.setup(gen, sock, again).catch((err: unknown) => {
      if (gen !== this.generation) return;
      this.drop(gen, err as Error);
    });
  }

  private async setup(gen: number, sock: net.Socket, again: boolean): Promise<void> {
    const live = () => gen === this.generation && !this.lc.stopped;
    await this.rpc(sock, CONSUME_CH, encode.channelOpen(CONSUME_CH), ['channel.open-ok']);
    await this.openPublishChannel(gen, sock);
    if (!live()) return;
    const binds = this.o.bind ?? [];
    if (again && (this.needsPrivateQueue || this.o.queue)) {
      const what = [this.needsPrivateQueue ? 're-declaring the private queue' : '', binds.length ? `re-binding ${binds.map((b) => `${b.exchange}:${b.routingKey}`).join(', ')}` : '', this.o.queue ? `consuming ${this.o.queue} again` : ''].filter(Boolean).join(', ');
      this.sink.frame('out', `after the reconnect: ${what}`, { control: true, meta: { packet: 'RESUBSCRIBE' } });
    }
    if (this.needsPrivateQueue) {
      const ok = await this.rpc(sock, CONSUME_CH, encode.queueDeclare(CONSUME_CH, '', { exclusive: true, autoDelete: true }), ['queue.declare-ok']).catch((e: unknown) => {
        throw e instanceof ChannelClosed ? new Fatal(`cannot declare the private queue: ${e.message}`, 'ERR_AMQP_DECLARE') : e;
      });
      if (ok.name !== 'queue.declare-ok' || !live()) return;
      this.privateQueue = ok.queue;
      this.sink.frame('in', `declared private queue ${ok.queue} (exclusive, auto-delete: it goes away with this connection)`, { control: true, meta: { packet: 'queue.declare-ok', queue: ok.queue } });
      for (const b of binds) {
        await this.rpc(sock, CONSUME_CH, encode.queueBind(CONSUME_CH, ok.queue, b.exchange, b.routingKey), ['queue.bind-ok']).catch((e: unknown) => {
          throw e instanceof ChannelClosed ? new Fatal(`cannot bind to exchange ${b.exchange}: ${e.message}`, e.replyCode === 404 ? 'ERR_AMQP_NOT_FOUND' : 'ERR_AMQP_BIND') : e;
        });
        if (!live()) return;
        this.sink.frame('in', `bound ${b.exchange}:${b.routingKey} to the private queue`, { control: true, channel: b.routingKey, meta: { packet: 'queue.bind-ok', exchange: b.exchange, routingKey: b.routingKey, queue: ok.queue } });
      }
    }
    if (this.o.queue) {
      const q = this.o.queue;
      const ok = await this.rpc(sock, CONSUME_CH, encode.queueDeclare(CONSUME_CH, q, { passive: true }), ['queue.declare-ok']).catch((e: unknown) => {
        throw e instanceof ChannelClosed ? new Fatal(`cannot consume queue ${q}: ${e.message}`, e.replyCode === 404 ? 'ERR_AMQP_NOT_FOUND' : 'ERR_AMQP_CONSUME') : e;
      });
      if (ok.name !== 'queue.declare-ok' || !live()) return;
      this.sink.frame('in', `queue ${q}: ${ok.messageCount} message${ok.messageCount === 1 ? '' : 's'} ready, ${ok.consumerCount} other consumer${ok.consumerCount === 1 ? '' : 's'}`, { control: true, meta: { packet: 'queue.declare-ok', queue: q, messageCount: ok.messageCount, consumerCount: ok.consumerCount } });
    }
    const prefetch = this.o.prefetch ?? 100;
    if (this.o.queue && this.ackMode !== 'none') await this.rpc(sock, CONSUME_CH, encode.qos(CONSUME_CH, prefetch), ['basic.qos-ok']);
    if (this.o.queue) {
      const tag = `wirescope-${this.idPrefix}-q`;
      // Deliveries can arrive in the same read as consume-ok, before this function resumes: the tag is known now.
      this.consumerTag = tag;
      await this.rpc(sock, CONSUME_CH, encode.consume(CONSUME_CH, this.o.queue, tag, this.ackMode === 'none'), ['basic.consume-ok']).catch((e: unknown) => {
        throw e instanceof ChannelClosed ? new Fatal(`cannot consume queue ${this.o.queue}: ${e.message}`, e.replyCode === 403 ? 'ERR_AUTH' : e.replyCode === 405 ? 'ERR_AMQP_LOCKED' : 'ERR_AMQP_CONSUME') : e;
      });
      if (!live()) return;
      this.sink.frame('in', `consuming queue ${this.o.queue} (ack ${this.ackMode}${this.ackMode === 'none' ? '' : `, prefetch ${prefetch}`})`, { control: true, meta: { packet: 'basic.consume-ok', queue: this.o.queue, consumerTag: this.consumerTag, ack: this.ackMode } });
    }
    if (this.privateQueue && this.needsPrivateQueue) {
      await this.rpc(sock, CONSUME_CH, encode.consume(CONSUME_CH, this.privateQueue, `wirescope-${this.idPrefix}-p`, true, true), ['basic.consume-ok']);
      if (!live()) return;
    }
    this.consuming = true;
    this.publishStats();
    if (!this.published) {
      this.published = true;
      for (const p of this.o.publish ?? []) this.publish(sock, p.exchange, p.routingKey, Buffer.from(p.payload, 'utf8'));
    }
    if (this.o.requestTo && !this.reqStarted) {
      this.reqStarted = true;
      this.sendRequest(gen);
    }
  }

  private async openPublishChannel(gen: number, sock: net.Socket): Promise<void> {
    await this.rpc(sock, PUBLISH_CH, encode.channelOpen(PUBLISH_CH), ['channel.open-ok']);
    await this.rpc(sock, PUBLISH_CH, encode.confirmSelect(PUBLISH_CH), ['confirm.select-ok']);
    if (gen !== this.generation) return;
    this.publishSeq = 0;
    this.publishReady = true;
  }

  private onPublishChannelClosed(gen: number, sock: net.Socket, err: ChannelClosed): void {
    this.publishReady = false;
    const lost = this.unconfirmed.size;
    const targets = [...new Set(this.unconfirmed.values())];
    this.lostPublishes += lost;
    this.unconfirmed.clear();
    this.sink.frame('in', `publish channel closed by the broker: ${err.message}`, { control: true, meta: { packet: 'channel.close', channel: PUBLISH_CH, replyCode: err.replyCode, replyText: err.replyText, unconfirmed: lost } });
    this.sink.error(`publish failed: ${err.message}${lost ? ` (${lost} publish${lost === 1 ? '' : 'es'} to ${targets.join(', ')} not confirmed: lost)` : ''}`, err.replyCode === 404 ? 'ERR_AMQP_NOT_FOUND' : 'ERR_AMQP_PUBLISH');
    this.publishStats();
    // A fresh publish channel; the session goes on.
    void this.openPublishChannel(gen, sock).catch(() => undefined);
  }

  private onConfirm(m: Extract<AmqpMethod, { name: 'basic.ack' | 'basic.nack' }>): void {
    const settle = (tag: number) => {
      if (!this.unconfirmed.delete(tag)) return;
      if (m.name === 'basic.ack') this.confirmed++;
      else this.lostPublishes++;
    };
    if (m.multiple) {
      for (const tag of this.unconfirmed.keys()) {
        if (tag > m.deliveryTag) break;
        settle(tag);
      }
    } else settle(m.deliveryTag);
    if (m.name === 'basic.nack') this.sink.frame('in', `the broker could not take publish ${m.deliveryTag}${m.multiple ? ' (and earlier ones)' : ''} (basic.nack)`, { control: true, meta: { packet: 'basic.nack', deliveryTag: m.deliveryTag } });
    this.publishStatsSoon();
  }

  // ---------- messages ----------

  private props(extra: BasicProperties = {}): BasicProperties {
    const headers: FieldTable = { ...(this.options.headers ?? {}), ...(this.o.headers ?? {}) };
    const p: BasicProperties = {};
    if (this.o.contentType) p.contentType = this.o.contentType;
    if (Object.keys(headers).length) p.headers = headers;
    if (this.o.persistent) p.deliveryMode = 2;
    if (this.o.correlationId) p.correlationId = this.o.correlationId;
    if (this.o.replyTo) p.replyTo = this.o.replyTo;
    if (this.o.expiration) p.expiration = this.o.expiration;
    if (this.o.messageId) {
      const n = ++this.messageIdN;
      const total = (this.o.publish?.length ?? 0) > 1 || n > 1;
      p.messageId = total ? `${this.o.messageId}-${n}` : this.o.messageId;
    }
    return { ...p, ...extra };
  }

  private publish(sock: net.Socket, exchange: string, routingKey: string, body: Buffer, extra: BasicProperties = {}, meta: Record<string, unknown> = {}, binary = false): void {
    if (!this.publishReady) throw new Error('the publish channel is not open (the broker closed it; it is reopening)');
    const props = this.props(extra);
    sock.write(encode.publish(PUBLISH_CH, exchange, routingKey, body, props, this.frameMax, true));
    const seq = ++this.publishSeq;
    this.unconfirmed.set(seq, `${exchange}/${routingKey}`);
    this.published_++;
    const { headers, ...rest } = props;
    const m: Record<string, unknown> = { exchange, routingKey, ...meta };
    if (Object.keys(rest).length) m.properties = rest;
    if (headers) m.headers = headers;
    this.sink.frame('out', body, { channel: routingKey, ...(binary ? { binary: true } : {}), meta: m });
    this.publishStatsSoon();
  }

  private onContent(ch: number, c: AmqpContent): void {
    if (c.kind === 'return') {
      this.returned++;
      const text = describeClose(c.replyCode ?? 0, c.replyText ?? '');
      this.sink.frame('in', `returned by the broker: ${text}: nothing is bound to ${c.exchange || '(default)'} with routing key ${c.routingKey}`, {
        control: true,
        channel: c.routingKey,
        meta: { packet: 'basic.return', exchange: c.exchange, routingKey: c.routingKey, replyCode: c.replyCode, replyText: c.replyText },
      });
      this.publishStatsSoon();
      return;
    }
    if (ch !== CONSUME_CH) return;
    const { headers, ...props } = c.properties;
    const meta: Record<string, unknown> = { exchange: c.exchange, routingKey: c.routingKey, deliveryTag: c.deliveryTag, redelivered: c.redelivered === true };
    if (Object.keys(props).length) meta.properties = props;
    if (headers) meta.headers = jsonSafe(headers);
    const dl = describeXDeath(headers);
    if (dl) meta.deadLetter = dl;
    const binary = !isUtf8(c.body);
    const fromQueue = this.o.queue !== undefined && c.consumerTag === this.consumerTag;
    if (fromQueue) meta.queue = this.o.queue;
    if (!fromQueue && props.correlationId !== undefined && this.requests.has(props.correlationId)) return this.onReply(c, props.correlationId, meta, binary);
    this.sink.frame('in', c.body, { channel: c.routingKey, meta, ...(binary ? { binary: true } : {}) });
    if (fromQueue && this.ackMode === 'auto' && c.deliveryTag !== undefined) {
      this.socket?.write(encode.ack(CONSUME_CH, c.deliveryTag));
      this.acked++;
      this.publishStatsSoon();
    } else if (fromQueue && this.ackMode === 'manual' && c.deliveryTag !== undefined) {
      this.unacked.set(c.deliveryTag, { routingKey: c.routingKey, exchange: c.exchange });
      this.publishStatsSoon();
    }
  }

  // ---------- request/reply ----------

  private sendRequest(gen: number): void {
    const sock = this.socket;
    const count = this.o.requests ?? 1;
    if (!sock || gen !== this.generation || this.lc.stopped || this.reqSent >= count || !this.privateQueue) return;
    const n = ++this.reqSent;
    const correlationId = `${this.idPrefix}-${n}`;
    const p: PendingRequest = { n, correlationId, sentAt: this.sink.now(), settled: false };
    this.requests.set(correlationId, p);
    const timeoutMs = this.o.requestTimeoutMs ?? 5000;
    p.timer = setTimeout(() => this.expire(p, timeoutMs), timeoutMs);
    const t = splitTarget(this.o.requestTo ?? '');
    try {
      this.publish(sock, t.exchange, t.routingKey, Buffer.from(this.o.requestPayload ?? JSON.stringify({ request: n }), 'utf8'), { replyTo: this.privateQueue, correlationId }, { request: n, correlationId });
    } catch (err) {
      this.sink.error(`request ${n}: ${(err as Error).message}`, 'ERR_AMQP_PUBLISH');
    }
    this.publishStats();
    if (this.reqSent < count) {
      this.reqTimer = setTimeout(() => this.sendRequest(this.generation), this.o.requestIntervalMs ?? 1000);
      this.reqTimer.unref?.();
    }
  }

  private onReply(c: AmqpContent, correlationId: string, meta: Record<string, unknown>, binary: boolean): void {
    const p = this.requests.get(correlationId)!;
    const rttMs = Math.round((this.sink.now() - p.sentAt) * 1000) / 1000;
    meta.request = p.n;
    meta.correlationId = correlationId;
    meta.rttMs = rttMs;
    if (p.settled) meta.late = true;
    this.sink.frame('in', c.body, { channel: c.routingKey, meta, ...(binary ? { binary: true } : {}) });
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    this.reqAnswered++;
    this.rtts.push(rttMs);
    this.sink.timing({ dns: null, connect: null, tls: null, ttfb: rttMs, download: null, total: rttMs }, { request: p.n, correlationId, rttMs });
    this.publishStats();
    this.checkSettled();
  }

  private expire(p: PendingRequest, timeoutMs: number): void {
    if (p.settled || this.lc.stopped) return;
    p.settled = true;
    this.reqTimedOut++;
    this.sink.error(`request ${p.n} to ${this.o.requestTo} (correlation id ${p.correlationId}) timed out after ${timeoutMs} ms`, 'ERR_AMQP_REQUEST_TIMEOUT');
    this.sink.timing({ dns: null, connect: null, tls: null, ttfb: null, download: null, total: timeoutMs }, { request: p.n, correlationId: p.correlationId, timedOut: true, timeoutMs });
    this.publishStats();
    this.checkSettled();
  }

  private checkSettled(): void {
    const count = this.o.requests ?? 1;
    if (this.reqSent >= count && this.reqAnswered + this.reqTimedOut >= count) void this.close('all requests answered or timed out');
  }

  private statsTimer: NodeJS.Timeout | undefined;
  /** Summary figures change with every message: written at most every 100 ms (and at the end). */
  private publishStatsSoon(): void {
    if (this.statsTimer) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = undefined;
      this.publishStats();
    }, 100);
    this.statsTimer.unref?.();
  }

  private publishStats(): void {
    clearTimeout(this.statsTimer);
    this.statsTimer = undefined;
    const amqp: Record<string, unknown> = { published: this.published_, confirmed: this.confirmed, returned: this.returned, lost: this.lostPublishes, blocked: this.blocked };
    if (this.privateQueue) amqp.privateQueue = this.privateQueue;
    if (this.o.queue) Object.assign(amqp, { queue: this.o.queue, ack: this.ackMode, unacked: this.unacked.size, acked: this.acked, nacked: this.nacked, requeued: this.requeued });
    const extra: Record<string, unknown> = { amqp };
    if (this.o.requestTo) {
      const rtt = this.rtts.length ? { min: Math.min(...this.rtts), avg: Math.round((this.rtts.reduce((a, b) => a + b, 0) / this.rtts.length) * 1000) / 1000, max: Math.max(...this.rtts) } : null;
      extra.requestResponse = { sent: this.reqSent, answered: this.reqAnswered, timedOut: this.reqTimedOut, rtt };
    }
    this.sink.summarize(extra);
  }

  // ---------- drops, close ----------

  private drop(gen: number, err: Error, code?: string, reported = false): void {
    if (gen !== this.generation || this.lc.closing) return;
    this.generation++;
    this.rejectAll(err);
    this.teardown();
    if (err instanceof Fatal) return this.lc.fail(err.message, err.code);
    const d = err instanceof AmqpProtocolError || err instanceof ChannelClosed ? { message: err.message, code: code ?? 'ERR_PROTOCOL' } : describeError(err, this.options.url);
    const plan = this.lc.dropped(d.message, { errorCode: code ?? d.code, reported });
    if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => go && this.connect());
  }

  private teardown(): void {
    clearInterval(this.heartbeatTimer);
    this.consuming = false;
    this.publishReady = false;
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
    if (this.unacked.size) this.unacked.clear();
    this.publishStats();
  }

  async send(msg: OutboundMessage): Promise<void> {
    const sock = this.socket;
    if (!sock || sock.destroyed || !this.lc.everOpened || this.lc.down) throw new Error('Not connected to the AMQP broker');
    const settle = msg.meta?.settle;
    if (settle !== undefined) return this.settle(sock, settle, msg.meta?.deliveryTag);
    const target = msg.channel ?? this.o.publishTo;
    if (!target) throw new Error('Enter exchange/routingKey to publish to (amq.topic/orders.new; a bare name is a queue on the default exchange)');
    const t = splitTarget(target);
    const payload = typeof msg.data === 'string' ? Buffer.from(msg.data, 'utf8') : Buffer.from(msg.data);
    this.publish(sock, t.exchange, t.routingKey, payload, {}, {}, msg.binary === true && typeof msg.data !== 'string');
  }

  /** Ack, nack (dead-letter or drop) or requeue one delivery of the consumed queue (the oldest without a tag). */
  private settle(sock: net.Socket, how: unknown, rawTag: unknown): void {
    if (how !== 'ack' && how !== 'nack' && how !== 'requeue') throw new Error(`settle must be ack, nack or requeue, got ${String(how)}`);
    if (!this.o.queue || this.ackMode !== 'manual') throw new Error('Only deliveries of --queue with --ack manual wait for you to settle them');
    if (!this.consuming) throw new Error('The consumer is not running (reconnecting?): unsettled deliveries went back to the queue');
    const tag = rawTag === undefined || rawTag === '' || rawTag === null ? this.unacked.keys().next().value : Number(rawTag);
    if (tag === undefined) throw new Error('No delivery waits to be settled');
    const d = this.unacked.get(tag);
    if (!d) {
      const waiting = [...this.unacked.keys()].slice(0, 10);
      throw new Error(`Delivery tag ${String(rawTag)} does not wait to be settled${waiting.length ? ` (waiting: ${waiting.join(', ')}${this.unacked.size > 10 ? '…' : ''})` : ' (none waits)'}`);
    }
    this.unacked.delete(tag);
    if (how === 'ack') {
      sock.write(encode.ack(CONSUME_CH, tag));
      this.acked++;
    } else {
      sock.write(encode.nack(CONSUME_CH, tag, how === 'requeue'));
      if (how === 'requeue') this.requeued++;
      else this.nacked++;
    }
    const words = how === 'ack' ? 'acknowledged: it leaves the queue' : how === 'requeue' ? 'requeued: the broker delivers it again, marked redelivered' : "rejected without requeue: dead-lettered if the queue has a dead-letter exchange, else dropped";
    this.sink.frame('out', `delivery ${tag} (${d.routingKey}) ${words}`, { control: true, channel: d.routingKey, meta: { packet: how === 'ack' ? 'basic.ack' : 'basic.nack', deliveryTag: tag, requeue: how === 'requeue' } });
    this.publishStats();
  }

  reconnect(): void {
    this.lc.requestReconnect(() => this.drop(this.generation, new Error('reconnect requested by user')));
  }

  close(reason?: string): Promise<void> {
    clearTimeout(this.reqTimer);
    for (const p of this.requests.values()) clearTimeout(p.timer);
    return this.lc.close(reason, () => {
      clearInterval(this.heartbeatTimer);
      const sock = this.socket;
      if (!sock || sock.destroyed || !this.lc.everOpened || this.lc.down) {
        this.generation++;
        this.teardown();
        return this.lc.finishClose();
      }
      if (this.unacked.size) this.sink.frame('out', `closing: ${this.unacked.size} unsettled deliver${this.unacked.size === 1 ? 'y goes' : 'ies go'} back to queue ${this.o.queue} (redelivered to the next consumer)`, { control: true, meta: { packet: 'connection.close', unacked: this.unacked.size } });
      this.publishStats();
      // connection.close, its close-ok, then the socket ends; a broker that does not answer is cut after 2 s.
      const t = setTimeout(() => sock.destroy(), 2000);
      t.unref?.();
      this.closeWaiter = () => {
        clearTimeout(t);
        sock.end();
        const t2 = setTimeout(() => sock.destroy(), 500);
        t2.unref?.();
      };
      sock.write(encode.connectionClose(200, 'closed by Wirescope'));
    });
  }
}

/** Field-table values as JSON (byte arrays as base64 text). */
function jsonSafe(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}
