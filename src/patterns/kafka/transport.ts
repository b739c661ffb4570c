/**
 * Kafka (`kafka://host:port[,host:port…]`, `kafkas://` for TLS), on kafkajs (pure JavaScript; see
 * docs/architecture.md for why this client and what it costs).
 *
 * - Without a group (the default) every partition of the topics is assigned directly: Metadata, then
 *   ListOffsets for the start (`from`), then Fetch from each partition's leader. No group is joined and
 *   nothing is committed, so watching takes nothing from the topic's own consumers.
 * - With `group` the session is a member of that consumer group (kafkajs's consumer): joining, the
 *   assignment and every rebalance are control frames in words; offsets are committed only with
 *   `commit`, and the session's first control frame and the open state's `meta.destructive` say so.
 * - Records are in frames with channel = the topic; `meta` carries partition, offset, key, headers and
 *   timestamp. Produced records are out frames with the partition and offset the broker acknowledged.
 * - A drop (broker down, connection lost) goes through the shared lifecycle: reconnecting is visible,
 *   and reading resumes after the last offset seen in each partition (the id check flags replays).
 * - Every socket is watched for what kafkajs would otherwise wait on for ever: a response size larger
 *   than the limit (a hostile claim, or a server that is not Kafka at all) ends the connection with one line.
 */
import { isUtf8 } from 'node:buffer';
import net from 'node:net';
import tls from 'node:tls';
import { CompressionCodecs, Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Consumer, ISocketFactory, Producer, SASLOptions } from 'kafkajs';
import { describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import { nodeTlsOptions } from '../../core/tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { maskUrlPasswords } from '../../shared/credentials';
import { registerWithKafkajs } from './codecs';
import { fetchDefinition, KafkaFetchDecodeError, type FetchedRecord, type FetchResult } from './fetchDecode';

export const createTransport: TransportFactory = ({ options, sink }) => {
  registerWithKafkajs(CompressionCodecs as unknown as Parameters<typeof registerWithKafkajs>[0]);
  return new KafkaTransport(options, sink);
};

/** A failure that ends the session whatever the reconnect policy says (bad credentials, an unknown topic). */
class Fatal extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** What a kafka:// URL says: the bootstrap brokers, TLS, the user info. */
export interface KafkaUrl {
  brokers: Array<{ host: string; port: number }>;
  secure: boolean;
  username?: string;
  password?: string;
}

/** Parse `kafka://[user:pass@]host[:port][,host[:port]…][/]`; a one-line problem on bad input. */
export function parseKafkaUrl(url: string): KafkaUrl | string {
  const m = /^(kafkas?):\/\/(?:([^@/]*)@)?([^/?#]*)(?:[/?#].*)?$/i.exec(url.trim());
  if (!m) return /^[a-z][a-z0-9+.-]*:/i.test(url.trim()) && !/^kafkas?:/i.test(url.trim()) ? `Unsupported URL scheme "${url.trim().split(':')[0]}:" here; expected kafka: or kafkas:` : `Invalid URL: "${maskUrlPasswords(url)}": use kafka://host:port (several bootstrap brokers: kafka://host1:9092,host2:9092)`;
  const secure = m[1].toLowerCase() === 'kafkas';
  let username: string | undefined;
  let password: string | undefined;
  if (m[2] !== undefined) {
    const at = m[2].indexOf(':');
    try {
      username = decodeURIComponent(at < 0 ? m[2] : m[2].slice(0, at)) || undefined;
      password = at < 0 ? undefined : decodeURIComponent(m[2].slice(at + 1));
    } catch {
      return 'Invalid URL: the user info is not valid percent-encoding';
    }
  }
  const brokers: KafkaUrl['brokers'] = [];
  for (const part of m[3].split(',')) {
    const hp = part.trim();
    if (!hp) return `Invalid URL: "${maskUrlPasswords(url)}" has an empty broker in its list`;
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hp);
    const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(hp);
    const host = v6?.[1] ?? plain?.[1];
    const portText = v6?.[2] ?? plain?.[2];
    if (!host) return `Invalid URL: "${maskUrlPasswords(url)}": "${hp}" is not host:port`;
    const port = portText === undefined ? 9092 : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `Invalid URL: "${maskUrlPasswords(url)}": port ${portText} is out of range`;
    brokers.push({ host, port });
  }
  return { brokers, secure, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/** Where reading starts: `beginning`, `latest`, an offset or a time. A one-line problem on bad input. */
export function parseFrom(from: string | undefined): { kind: 'beginning' | 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'time'; ms: number } | string {
  const f = (from ?? 'latest').trim();
  if (f === 'beginning' || f === 'earliest') return { kind: 'beginning' };
  if (f === 'latest' || f === 'end') return { kind: 'latest' };
  if (/^\d{1,19}$/.test(f)) return { kind: 'offset', offset: BigInt(f) };
  if (/^\d{4}-\d\d-\d\d/.test(f)) {
    const ms = Date.parse(f);
    if (Number.isFinite(ms)) return { kind: 'time', ms };
  }
  return `--from must be beginning, latest, an offset (a number) or an ISO time such as 2026-11-30T10:00:00Z; got "${f}"`;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch (a decimal string, as Kafka offsets are 64-bit). */
  next?: string;
  first?: string;
  last?: string;
  records: number;
  highWatermark?: string;
  leader?: number;
}

type Cluster = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number; partitionErrorCode: number }>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(o: { nodeId: string | number }): Promise<KafkaBroker>;
  fetchTopicsOffset(topics: Array<{ topic: string; partitions: Array<{ partition: number }>; fromBeginning?: boolean; fromTimestamp?: number }>): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
  brokerPool?: { metadata?: { brokers?: Array<{ nodeId: number; host: string; port: number }>; clusterId?: string; controllerId?: number } };
};

type FetchParams = {
  replicaId?: number;
  isolationLevel?: number;
  maxWaitTime?: number;
  minBytes?: number;
  maxBytes?: number;
  rackId?: string;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
};

type KafkaBroker = {
  /** kafkajs's version lookup for an API (set once the broker's ApiVersions are known). */
  lookupRequest?: (apiKey: number, definition: ReturnType<typeof fetchDefinition>) => (params: object) => unknown;
  fetch(o: {
    replicaId?: number;
    isolationLevel?: number;
    maxWaitTime?: number;
    minBytes?: number;
    maxBytes?: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<{ responses: Array<{ topicName: string; partitions: Array<{ partition: number; highWatermark: string; messages: KafkaRecord[] }> }> }>;
};

interface KafkaRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | string | undefined>;
  isControlRecord?: boolean;
  batchContext?: { isTransactional?: boolean; producerId?: string };
}

const PRIVATE_CREATE_CLUSTER = 'private:Kafka:createCluster';
const PRIVATE_SEND_REQUEST = 'private:Broker:sendRequest';
const FETCH_API_KEY = 1;
const EMPTY = Buffer.alloc(0);

/** kafkajs's private send on a broker (the one its public calls use), or undefined when this kafkajs has none. */
function sendRequestOf(broker: KafkaBroker): ((req: unknown) => Promise<unknown>) | undefined {
  let proto: object | null = Object.getPrototypeOf(broker);
  for (let i = 0; proto && i < 3; i++, proto = Object.getPrototypeOf(proto)) {
    const sym = Object.getOwnPropertySymbols(proto).find((x) => x.description === PRIVATE_SEND_REQUEST);
    if (sym) {
      const f = (proto as Record<symbol, unknown>)[sym];
      return typeof f === 'function' ? (f as (req: unknown) => Promise<unknown>) : undefined;
    }
  }
  return undefined;
}

/** A record as kafkajs decodes it (group reads, and brokers older than Fetch v4), in the shape ./fetchDecode.ts gives. */
function fromKafkajs(m: KafkaRecord): FetchedRecord {
  const off = Number(m.offset);
  const ts = Number(m.timestamp);
  const headers: Array<[string, Buffer | null]> = [];
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    for (const x of Array.isArray(v) ? v : [v]) headers.push([k, x === undefined || x === null ? null : Buffer.isBuffer(x) ? x : Buffer.from(String(x))]);
  }
  return { offset: Number.isSafeInteger(off) ? off : m.offset, timestamp: Number.isFinite(ts) ? ts : -1, key: m.key, value: m.value, headers: headers.length ? headers : null, isControlRecord: !!m.isControlRecord };
}

function fromKafkajsFetch(res: Awaited<ReturnType<KafkaBroker['fetch']>>): FetchResult {
  return { responses: res.responses.map((t) => ({ topicName: t.topicName, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, highWatermark: p.highWatermark, records: p.messages.map(fromKafkajs) })) })) };
}
/** Largest first response a Kafka broker sends (ApiVersions is a few hundred bytes). */
const FIRST_RESPONSE_LIMIT = 1 << 20;

/** A key or header value as text when it is UTF-8, else base64 (marked). */
function bytesText(b: Buffer | string | null | undefined): { text: string | null; binary: boolean } {
  if (b === null || b === undefined) return { text: null, binary: false };
  if (typeof b === 'string') return { text: b, binary: false };
  return isUtf8(b) ? { text: b.toString('utf8'), binary: false } : { text: b.toString('base64'), binary: true };
}

/** The first bytes of a non-Kafka answer, as printable text for a message (or undefined when they are not text). */
function textOf(b: Buffer): string | undefined {
  const s = b.subarray(0, 60).toString('latin1');
  if (!/^[\x20-\x7e\r\n\t]{4,}/.test(s)) return undefined;
  return s.split(/\r?\n/, 1)[0].replace(/[^\x20-\x7e]/g, '?');
}

/** The Kafka error types (`UNKNOWN_TOPIC_OR_PARTITION`…) along an error's chain of causes. */
function errorTypes(err: unknown): string[] {
  const out: string[] = [];
  let e = err as { type?: unknown; cause?: unknown } | undefined;
  for (let i = 0; e && typeof e === 'object' && i < 10; i++) {
    if (typeof e.type === 'string') out.push(e.type);
    e = e.cause as typeof e;
  }
  return out;
}

class KafkaTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private readonly o: NonNullable<ConnectOptions['kafka']>;
  private generation = 0;
  private url: KafkaUrl | undefined;
  private kafka: Kafka | undefined;
  private cluster: Cluster | undefined;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private produced = false;
  private openedBefore = false;
  private readonly parts = new Map<string, PartitionState>();
  /** A socket-level failure seen by the guard, which kafkajs would report only as a generic connection error. */
  private guardError: Fatal | Error | undefined;
  private paused = false;
  private readonly fetchDef = fetchDefinition();
  /** The last record timestamp shown, and its ISO text (records of a batch mostly share their millisecond). */
  private lastTs = -1;
  private lastTsText = '';
  /** The last error kafkajs logged for the current connection. */
  private lastLogged: string | undefined;
  /** Every socket kafkajs opened for the current connection (destroyed on a drop or close, whatever kafkajs is doing). */
  private sockets = new Set<net.Socket>();
  /** Group mode: brokers whose connection was lost under the consumer, and when (the consumer reconnects by itself). */
  private readonly lostBrokers = new Map<string, number>();
  private resumeWaiters: Array<() => void> = [];
  private joins = 0;
  private committed = 0;
  private from!: Exclude<ReturnType<typeof parseFrom>, string>;
  private readonly displayUrl: string;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.o = options.kafka ?? {};
    this.displayUrl = maskUrlPasswords(options.url);
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.teardown());
  }

  private get topics(): string[] {
    return this.o.topic ?? [];
  }

  private mode(): { text: string; destructive: boolean } {
    const parts: string[] = [];
    const topics = this.topics;
    const from = this.o.from ?? 'latest';
    let destructive = false;
    if (topics.length && this.o.group) {
      if (this.o.commit) {
        destructive = true;
        parts.push(`DESTRUCTIVE: consumes ${topics.join(', ')} as a member of group ${this.o.group} and COMMITS the offsets of the records shown: the group counts them as processed, and its partitions are shared with its other members`);
      } else {
        destructive = true;
        parts.push(`DESTRUCTIVE: joins group ${this.o.group} on ${topics.join(', ')}: the group's partitions are shared with its other members (a rebalance), so records read here do not reach them; nothing is committed`);
      }
      parts.push(`from ${from} when the group has no committed offset`);
    } else if (topics.length) {
      parts.push(`watching only (no consumer group, nothing committed): reads ${topics.join(', ')} from ${from}, every partition assigned directly`);
    }
    if (this.o.produce?.length) parts.push(`produces ${this.o.produce.length} record${this.o.produce.length === 1 ? '' : 's'}`);
    return { text: parts.join('; ') || 'connection only (metadata; send to produce)', destructive };
  }

  start(): void {
    const u = parseKafkaUrl(this.options.url);
    if (typeof u === 'string') return this.lc.fail(u, 'ERR_INVALID_URL');
    this.url = u;
    const from = parseFrom(this.o.from);
    if (typeof from === 'string') return this.lc.fail(from, 'ERR_INVALID_OPTIONS');
    this.from = from;
    if (this.o.commit && !this.o.group) return this.lc.fail('--commit needs --group: without a consumer group there is nothing to commit to', 'ERR_INVALID_OPTIONS');
    if (this.o.group && !this.topics.length) return this.lc.fail('--group needs at least one --topic to consume', 'ERR_INVALID_OPTIONS');
    for (const t of [...this.topics, ...(this.o.produce ?? []).map((p) => p.topic)]) {
      if (!/^[a-zA-Z0-9._-]{1,249}$/.test(t)) return this.lc.fail(`invalid topic name "${t}": Kafka topic names are 1-249 letters, digits, dots, underscores and hyphens`, 'ERR_INVALID_OPTIONS');
    }
    void this.connect();
  }

  // ---------- the client ----------

  private socketFactory(gen: number): ISocketFactory {
    const limit = Math.max(64 << 20, 4 * (this.o.maxBytes ?? 10 << 20));
    return ({ host, port, ssl, onConnect }) => {
      const socket: net.Socket = ssl ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(ssl as tls.ConnectionOptions) }, onConnect) : net.connect({ host, port }, onConnect);
      socket.setKeepAlive(true, 60_000);
      socket.setNoDelay(true);
      // kafkajs may still retry after the session dropped or closed this connection: such a socket ends at once.
      if (gen !== this.generation || this.lc.ended) {
        process.nextTick(() => socket.destroy(new Error('connection closed by Wirescope')));
        return socket;
      }
      const sockets = this.sockets;
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      if (this.o.group) this.followGroupSocket(gen, socket, `${host}:${port}`, sockets);
      // Follow the response framing (4-byte size, then that many bytes) to refuse absurd sizes early.
      let remaining = 0;
      let head: Buffer = Buffer.alloc(0);
      // Only a connection made before the cluster has answered as Kafka is held to the small first-answer limit:
      // kafkajs reuses the versions it learnt, so a later connection (to a partition's leader) may well start with
      // a Fetch response of megabytes.
      let first = !this.lc.everOpened;
      socket.on('data', (chunk: Buffer) => {
        let i = 0;
        while (i < chunk.length) {
          if (remaining > 0) {
            const take = Math.min(remaining, chunk.length - i);
            remaining -= take;
            i += take;
            continue;
          }
          const want = 4 - head.length;
          const piece = chunk.subarray(i, i + want);
          head = head.length ? Buffer.concat([head, piece]) : piece;
          i += piece.length;
          if (head.length < 4) break;
          const size = head.readInt32BE(0);
          const max = first ? FIRST_RESPONSE_LIMIT : limit;
          if (size < 0 || size > max) {
            const text = first ? textOf(Buffer.concat([head, chunk.subarray(i)])) : undefined;
            const where = `${host}:${port}`;
            const err = first
              ? new Fatal(text !== undefined ? `not a Kafka broker at ${where}: it answered with "${text}"` : `not a Kafka broker at ${where}: its first answer claims ${size} bytes`, 'ERR_PROTOCOL')
              : new Error(`the broker at ${where} announced a ${size}-byte response, over the ${limit}-byte limit (maxBytes × 4): connection dropped`);
            this.guardError = err;
            socket.destroy(err);
            return;
          }
          first = false;
          remaining = size;
          head = Buffer.alloc(0);
        }
      });
      return socket;
    };
  }

  /**
   * In group mode the consumer reconnects a lost broker connection by itself, on its next request, so the
   * session never drops and would show nothing but, at most, a rebalance. The loss and the reconnection are
   * said here instead, as control frames: which broker, why (the socket's error, or the broker closing it),
   * and after how long the connection was back. A socket that Wirescope or the consumer closed on purpose
   * says nothing.
   */
  private followGroupSocket(gen: number, socket: net.Socket, broker: string, sockets: Set<net.Socket>): void {
    let cause: string | undefined;
    let code: string | undefined;
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (cause) return;
      const d = describeError(err);
      cause = d.message;
      code = d.code;
    });
    socket.once('end', () => {
      cause ??= 'the broker closed the connection';
    });
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => {
      const lostAt = this.lostBrokers.get(broker);
      if (lostAt === undefined || gen !== this.generation || this.lc.ended) return;
      this.lostBrokers.delete(broker);
      const ms = Math.round(this.sink.now() - lostAt);
      this.sink.frame('in', `reconnected to broker ${broker} after ${ms} ms`, { control: true, meta: { packet: 'BROKER_RECONNECTED', broker, downMs: ms } });
    });
    socket.once('close', () => {
      // Torn down by the session (the set was replaced), an old generation, or closed without an error or a
      // FIN from the broker (the consumer's own disconnect): nothing to say.
      if (!cause || sockets !== this.sockets || gen !== this.generation || this.lc.ended || !this.lc.everOpened) return;
      if (this.lostBrokers.has(broker)) return;
      this.lostBrokers.set(broker, this.sink.now());
      this.sink.frame('in', `connection to broker ${broker} lost (${cause}): the group member reconnects on its next request, and rejoins the group if the coordinator dropped it`, {
        control: true,
        meta: { packet: 'BROKER_LOST', broker, cause, ...(code ? { code } : {}) },
      });
    });
  }

  private client(gen: number): Kafka {
    const u = this.url as KafkaUrl;
    const username = this.o.username ?? u.username;
    const password = this.o.password ?? u.password;
    let sasl: SASLOptions | undefined;
    if (username !== undefined) {
      const mechanism = this.o.mechanism ?? 'plain';
      sasl = { mechanism, username, password: password ?? '' } as SASLOptions;
    }
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Kafka({
      clientId: this.o.clientId ?? 'wirescope',
      brokers: u.brokers.map((b) => `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`),
      ...(u.secure ? { ssl: nodeTlsOptions(this.options.tls) } : {}),
      ...(sasl ? { sasl } : {}),
      connectionTimeout: timeoutMs,
      authenticationTimeout: timeoutMs,
      requestTimeout: timeoutMs + (this.o.maxWaitMs ?? 1000),
      // Retries are the session's (the lifecycle's backoff, visible); kafkajs retries a little for leader moves.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      // kafkajs says some failures only in its log (a seed broker that timed out leaves connect() resolved and the
      // next request failing with "Broker not connected"): the last error it logged is kept to explain such a failure.
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => {
        if (gen === this.generation && entry.log?.message) this.lastLogged = String(entry.log.message);
      },
      socketFactory: this.socketFactory(gen),
    });
  }

  private createCluster(kafka: Kafka): Cluster {
    const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === PRIVATE_CREATE_CLUSTER);
    const make = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
    if (typeof make !== 'function') throw new Fatal('this kafkajs version does not expose its cluster: reading without a consumer group needs kafkajs 2.2', 'ERR_INTERNAL');
    return (make as (o: Record<string, unknown>) => Cluster)({ allowAutoTopicCreation: false, metadataMaxAge: 300_000 });
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.guardError = undefined;
    this.lastLogged = undefined;
    this.lc.connecting(this.displayUrl);
    if (gen === 1) {
      const m = this.mode();
      this.sink.frame('out', m.text, { control: true, meta: { packet: 'MODE', destructive: m.destructive } });
    }
    const t0 = this.sink.now();
    try {
      const kafka = this.client(gen);
      this.kafka = kafka;
      const cluster = this.createCluster(kafka);
      this.cluster = cluster;
      await cluster.connect();
      if (this.topics.length) {
        try {
          await cluster.addMultipleTargetTopics(this.topics);
        } catch (err) {
          if (errorTypes(err).includes('UNKNOWN_TOPIC_OR_PARTITION')) throw new Fatal(this.unknownTopics(), 'ERR_KAFKA_UNKNOWN_TOPIC');
          throw err;
        }
      }
      else await cluster.refreshMetadata();
      if (gen !== this.generation) return;
      this.checkTopics(cluster);
      const now = this.sink.now();
      this.sink.timing({ dns: null, connect: null, tls: null, ttfb: null, download: null, total: now - t0 });
      const m = this.mode();
      const md = cluster.brokerPool?.metadata;
      const meta: Record<string, unknown> = { destructive: m.destructive, mode: m.text };
      if (md?.brokers) meta.brokers = md.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port }));
      if (md?.clusterId) meta.clusterId = md.clusterId;
      if (md?.controllerId !== undefined) meta.controllerId = md.controllerId;
      this.lc.opened(this.displayUrl, meta);
      const again = this.openedBefore;
      this.openedBefore = true;
      if (!this.produced) {
        this.produced = true;
        void this.produceStartup(gen);
      }
      if (!this.topics.length) return;
      if (this.o.group) await this.runGroup(gen, kafka, again);
      else await this.runAssigned(gen, cluster, again);
    } catch (err) {
      this.drop(gen, err);
    }
  }

  /** Unknown topics end the session with one line (the broker would otherwise say nothing while we wait). */
  private checkTopics(cluster: Cluster): void {
    for (const t of this.topics) {
      let parts: ReturnType<Cluster['findTopicPartitionMetadata']>;
      try {
        parts = cluster.findTopicPartitionMetadata(t);
      } catch {
        parts = [];
      }
      if (!parts.length) throw new Fatal(this.unknownTopics([t]), 'ERR_KAFKA_UNKNOWN_TOPIC');
    }
  }

  private unknownTopics(topics = this.topics): string {
    const names = topics.map((t) => `"${t}"`).join(', ');
    return `unknown topic${topics.length === 1 ? '' : 's'} ${names}: the broker has no such topic (and does not create topics when asked for their metadata)`;
  }

  private key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  private state(topic: string, partition: number): PartitionState {
    const k = this.key(topic, partition);
    let s = this.parts.get(k);
    if (!s) {
      s = { topic, partition, records: 0 };
      this.parts.set(k, s);
    }
    return s;
  }

  // ---------- without a group: assigned partitions ----------

  private async runAssigned(gen: number, cluster: Cluster, again: boolean): Promise<void> {
    // Start offsets: resume after the last record seen, else where `from` says.
    const need: Array<{ topic: string; partitions: number[] }> = [];
    const assignedText: string[] = [];
    for (const topic of this.topics) {
      const md = cluster.findTopicPartitionMetadata(topic);
      const ids = md.map((p) => p.partitionId).sort((a, b) => a - b);
      assignedText.push(`${topic} [${ids.join(', ')}]`);
      for (const p of md) {
        const s = this.state(topic, p.partitionId);
        s.leader = p.leader;
      }
      const missing = ids.filter((p) => this.state(topic, p).next === undefined);
      if (missing.length) need.push({ topic, partitions: missing });
    }
    if (need.length) await this.resolveStart(cluster, need);
    if (gen !== this.generation) return;
    const starts = [...this.parts.values()].filter((s) => this.topics.includes(s.topic)).map((s) => `${s.topic}[${s.partition}]@${s.next}`);
    this.sink.frame('in', `${again ? 'assigned again after the reconnect' : 'assigned'} (no consumer group): ${assignedText.join('; ')}; starting at ${starts.join(', ')}`, {
      control: true,
      meta: { packet: 'ASSIGN', partitions: [...this.parts.values()].map((s) => ({ topic: s.topic, partition: s.partition, offset: s.next, leader: s.leader })) },
    });
    await this.fetchLoops(gen, cluster);
  }

  /** ListOffsets for the partitions' start positions (`from`). */
  private async resolveStart(cluster: Cluster, need: Array<{ topic: string; partitions: number[] }>): Promise<void> {
    const f = this.from;
    if (f.kind === 'offset') {
      // An offset outside the log is corrected by the first fetch (OFFSET_OUT_OF_RANGE), in words.
      for (const n of need) for (const p of n.partitions) this.state(n.topic, p).next = f.offset.toString();
      return;
    }
    const res = await cluster.fetchTopicsOffset(
      need.map((n) => ({ topic: n.topic, partitions: n.partitions.map((partition) => ({ partition })), ...(f.kind === 'time' ? { fromTimestamp: f.ms } : { fromBeginning: f.kind === 'beginning' }) })),
    );
    let latest: typeof res | undefined;
    for (const t of res) {
      for (const p of t.partitions) {
        let off = p.offset;
        if (f.kind === 'time' && (off === '-1' || off === undefined)) {
          // No record at or after that time: start at the end.
          latest ??= await cluster.fetchTopicsOffset(need.map((n) => ({ topic: n.topic, partitions: n.partitions.map((partition) => ({ partition })), fromBeginning: false })));
          off = latest.find((x) => x.topic === t.topic)?.partitions.find((x) => x.partition === p.partition)?.offset ?? '0';
        }
        this.state(t.topic, p.partition).next = off;
      }
    }
  }

  private async fetchLoops(gen: number, cluster: Cluster): Promise<void> {
    // One fetch loop per leader; a leader change ends them all and they start again from fresh metadata.
    for (;;) {
      if (gen !== this.generation || this.lc.stopped) return;
      const byLeader = new Map<number, PartitionState[]>();
      for (const s of this.parts.values()) {
        if (!this.topics.includes(s.topic)) continue;
        const leader = s.leader ?? -1;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), s]);
      }
      const epoch = { over: false };
      const results = await Promise.allSettled([...byLeader.entries()].map(([leader, list]) => this.fetchLoop(gen, cluster, leader, list, epoch)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (gen !== this.generation || this.lc.stopped) return;
      // A leader moved: new metadata, then say which partitions changed leader.
      await cluster.refreshMetadata();
      const moved: string[] = [];
      for (const topic of this.topics) {
        for (const p of cluster.findTopicPartitionMetadata(topic)) {
          const s = this.state(topic, p.partitionId);
          if (s.leader !== p.leader) moved.push(`${topic}[${p.partitionId}] broker ${s.leader} → ${p.leader}`);
          s.leader = p.leader;
          s.next ??= '0';
        }
      }
      this.sink.frame('in', moved.length ? `leader change: ${moved.join(', ')}; fetching from the new leaders` : 'the broker said it is no longer the leader: metadata refreshed, fetching again', { control: true, meta: { packet: 'LEADER_CHANGE', moved } });
    }
  }

  private async fetchLoop(gen: number, cluster: Cluster, leader: number, list: PartitionState[], epoch: { over: boolean }): Promise<void> {
    const maxBytes = this.o.maxBytes ?? 10 << 20;
    const maxWaitTime = this.o.maxWaitMs ?? 1000;
    while (gen === this.generation && !this.lc.stopped && !epoch.over) {
      if (this.paused) await new Promise<void>((r) => this.resumeWaiters.push(r));
      if (gen !== this.generation || this.lc.stopped || epoch.over) return;
      const broker = await cluster.findBroker({ nodeId: leader });
      const byTopic = new Map<string, Array<{ partition: number; fetchOffset: string; maxBytes: number }>>();
      for (const s of list) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), { partition: s.partition, fetchOffset: s.next ?? '0', maxBytes: Math.max(1024, Math.floor(maxBytes / list.length)) }]);
      let res: FetchResult;
      try {
        res = await this.fetchFrom(broker, { replicaId: -1, isolationLevel: 1, maxWaitTime, minBytes: 1, maxBytes, rackId: '', topics: [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions })) });
      } catch (err) {
        const e = err as { name?: string; type?: string; topic?: string; partition?: number };
        if (gen !== this.generation || this.lc.stopped) return;
        if (e.name === 'KafkaJSOffsetOutOfRange' && e.topic !== undefined && e.partition !== undefined) {
          await this.outOfRange(cluster, e.topic, e.partition);
          continue;
        }
        if (e.type === 'NOT_LEADER_FOR_PARTITION' || e.type === 'LEADER_NOT_AVAILABLE' || e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e.type === 'FENCED_LEADER_EPOCH' || e.type === 'REPLICA_NOT_AVAILABLE') {
          epoch.over = true;
          return;
        }
        throw err;
      }
      if (gen !== this.generation) return;
      for (const t of res.responses) {
        for (const p of t.partitions) this.onRecords(t.topicName, p.partition, p.highWatermark, p.records);
      }
      this.publishSummary();
    }
  }

  /**
   * One Fetch to a leader: the request encoded by kafkajs on its connection, the response read by ./fetchDecode.ts.
   * A kafkajs without the hooks this needs (its broker's `lookupRequest` and private send) reads through its own
   * `fetch`, converted.
   */
  private async fetchFrom(broker: KafkaBroker, params: FetchParams): Promise<FetchResult> {
    const send = sendRequestOf(broker);
    if (send && typeof broker.lookupRequest === 'function') {
      let res: FetchResult | Awaited<ReturnType<KafkaBroker['fetch']>>;
      try {
        res = (await send.call(broker, broker.lookupRequest(FETCH_API_KEY, this.fetchDef)(params))) as typeof res;
      } catch (err) {
        // The same bytes would come again after a reconnect: a record set that cannot be read ends the session.
        if (err instanceof KafkaFetchDecodeError) throw new Fatal(err.message, 'ERR_PROTOCOL');
        throw err;
      }
      if (res.responses.every((t) => t.partitions.every((p) => 'records' in p))) return res as FetchResult;
      return fromKafkajsFetch(res as Awaited<ReturnType<KafkaBroker['fetch']>>);
    }
    return fromKafkajsFetch(await broker.fetch(params));
  }

  private async outOfRange(cluster: Cluster, topic: string, partition: number): Promise<void> {
    const s = this.state(topic, partition);
    const [earliest, latest] = await Promise.all([
      cluster.fetchTopicsOffset([{ topic, partitions: [{ partition }], fromBeginning: true }]),
      cluster.fetchTopicsOffset([{ topic, partitions: [{ partition }], fromBeginning: false }]),
    ]);
    const lo = earliest[0]?.partitions[0]?.offset ?? '0';
    const hi = latest[0]?.partitions[0]?.offset ?? '0';
    const was = s.next ?? '0';
    // Past the end: wait at the end; before the start (records deleted by retention): the oldest one left.
    const to = BigInt(was) > BigInt(hi) ? hi : lo;
    s.next = to;
    this.sink.frame('in', `offset ${was} is out of range for ${topic}[${partition}] (the log holds ${lo}..${BigInt(hi) - 1n < BigInt(lo) ? 'nothing' : (BigInt(hi) - 1n).toString()}): reading from ${to}`, { control: true, channel: topic, meta: { packet: 'OFFSET_OUT_OF_RANGE', partition, requested: was, earliest: lo, latest: hi, now: to } });
  }

  private onRecords(topic: string, partition: number, highWatermark: string | undefined, records: FetchedRecord[], resolve?: (offset: string) => void): void {
    const s = this.state(topic, partition);
    if (highWatermark !== undefined) s.highWatermark = highWatermark;
    if (records.length === 0) return;
    // Offsets are 64-bit; below 2^53 (every real log) they are numbers here, and the state's decimal strings
    // are written once per batch.
    const fromNum = s.next !== undefined ? Number(s.next) : 0;
    let next: number | bigint = Number.isSafeInteger(fromNum) ? fromNum : BigInt(s.next as string);
    let last: string | undefined;
    for (const m of records) {
      // A compressed batch may start before the offset asked for; control records (transactions) are not data.
      const off = m.offset;
      if (typeof off === 'number' && typeof next === 'number') {
        if (off < next) continue;
        next = off + 1;
      } else {
        const big = BigInt(off);
        if (big < BigInt(next)) continue;
        next = big + 1n;
      }
      if (m.isControlRecord) continue;
      // Once the session is closing (--count reached) nothing more is shown, or committed.
      if (this.lc.stopped) break;
      last = this.emitRecord(s, m);
      resolve?.(last);
    }
    s.next = String(next);
    if (last !== undefined) s.last = last;
  }

  /** One record as an in frame; returns its offset as text. */
  private emitRecord(s: PartitionState, m: FetchedRecord): string {
    s.records++;
    const offset = typeof m.offset === 'number' ? String(m.offset) : m.offset;
    s.first ??= offset;
    const key = m.key;
    let keyText: string | null = null;
    let keyBinary = false;
    if (key !== null) {
      if (isUtf8(key)) keyText = key.toString('utf8');
      else {
        keyText = key.toString('base64');
        keyBinary = true;
      }
    }
    const meta: Record<string, unknown> = { partition: s.partition, offset, key: keyText };
    if (keyBinary) meta.keyEncoding = 'base64';
    const ts = m.timestamp;
    if (ts >= 0 && ts < 8.64e15) {
      // Records of one batch mostly share their millisecond: its text is made once.
      if (ts !== this.lastTs) {
        this.lastTs = ts;
        this.lastTsText = new Date(ts).toISOString();
      }
      meta.timestamp = this.lastTsText;
    }
    if (m.headers !== null) {
      const h: Record<string, string | string[] | null> = {};
      for (const [k, v] of m.headers) {
        const text = v === null ? null : bytesText(v).text;
        const had = h[k];
        if (had === undefined) h[k] = text;
        else if (Array.isArray(had)) had.push(text ?? '');
        else h[k] = [had ?? '', text ?? ''];
      }
      meta.headers = h;
    }
    const value = m.value;
    if (value === null) {
      meta.tombstone = true;
      this.sink.frame('in', EMPTY, { channel: s.topic, meta });
    } else if (value.length > 0 && !isUtf8(value)) this.sink.frame('in', value, { channel: s.topic, meta, binary: true });
    else this.sink.frame('in', value, { channel: s.topic, meta });
    return offset;
  }

  private publishSummary(): void {
    const partitions = [...this.parts.values()]
      .filter((s) => this.topics.includes(s.topic))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
      .map((s) => {
        const lag = s.highWatermark !== undefined && s.next !== undefined ? BigInt(s.highWatermark) - BigInt(s.next) : undefined;
        return {
          topic: s.topic,
          partition: s.partition,
          records: s.records,
          firstOffset: s.first ?? null,
          lastOffset: s.last ?? null,
          ...(s.highWatermark !== undefined ? { highWatermark: s.highWatermark } : {}),
          ...(lag !== undefined && lag >= 0n ? { lag: Number(lag) } : {}),
        };
      });
    this.sink.summarize({ kafka: { partitions, ...(this.o.group ? { group: this.o.group, committing: !!this.o.commit, joins: this.joins, commits: this.committed } : {}) } });
  }

  // ---------- with a group ----------

  private async runGroup(gen: number, kafka: Kafka, again: boolean): Promise<void> {
    const group = this.o.group as string;
    const consumer = kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.o.maxWaitMs ?? 1000,
      maxBytes: this.o.maxBytes ?? 10 << 20,
      // 10 s rather than kafkajs's 30: a Wirescope member that drops without leaving (the socket cut mid-join, the
      // window closed) holds its share of someone's group only that long, and a session that reconnects is not
      // kept waiting behind its own earlier member. Heartbeats stay at 3 s; 10 s is within every broker's bounds.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    const ev = consumer.events;
    consumer.on(ev.GROUP_JOIN, (e) => {
      if (gen !== this.generation) return;
      this.joins++;
      const p = e.payload;
      const assignment = Object.entries(p.memberAssignment).map(([t, ps]) => `${t} [${[...ps].sort((a, b) => a - b).join(', ')}]`);
      this.sink.frame('in', `joined group ${p.groupId} as ${p.memberId}${p.isLeader ? ' (the group leader)' : ''}; assigned ${assignment.join('; ') || 'no partitions (the group has more members than partitions)'}`, {
        control: true,
        meta: { packet: 'GROUP_JOIN', groupId: p.groupId, memberId: p.memberId, leaderId: p.leaderId, isLeader: p.isLeader, protocol: p.groupProtocol, assignment: p.memberAssignment, durationMs: p.duration },
      });
      // After a reconnect (or a rebalance that gives back a partition) resume after the last record seen.
      for (const [topic, ps] of Object.entries(p.memberAssignment)) {
        for (const partition of ps) {
          const s = this.state(topic, partition);
          if (s.next !== undefined) consumer.seek({ topic, partition, offset: s.next });
          else if (this.from.kind === 'offset') consumer.seek({ topic, partition, offset: this.from.offset.toString() });
        }
      }
      this.publishSummary();
    });
    consumer.on(ev.REBALANCING, (e) => {
      if (gen !== this.generation) return;
      this.sink.frame('in', `group ${e.payload.groupId} is rebalancing: a member joined or left, partitions are being reassigned`, { control: true, meta: { packet: 'REBALANCING', groupId: e.payload.groupId, memberId: e.payload.memberId } });
    });
    consumer.on(ev.COMMIT_OFFSETS, (e) => {
      // A commit is a fact about the group even while the session closes (kafkajs commits on its way out).
      if (this.lc.ended) return;
      this.committed++;
      const offs = e.payload.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}[${p.partition}]@${p.offset}`));
      this.sink.frame('out', `committed ${offs.join(', ')} for group ${e.payload.groupId}`, { control: true, meta: { packet: 'OFFSET_COMMIT', groupId: e.payload.groupId, topics: e.payload.topics } });
    });
    consumer.on(ev.CRASH, (e) => {
      if (gen !== this.generation) return;
      this.drop(gen, e.payload.error);
    });
    await consumer.connect();
    if (gen !== this.generation) return;
    if (again) this.sink.frame('out', `joining group ${group} again after the reconnect`, { control: true, meta: { packet: 'REJOIN' } });
    await consumer.subscribe({ topics: this.topics, fromBeginning: this.from.kind === 'beginning' });
    if (this.from.kind === 'time' && !again) await this.seekTime(kafka);
    await consumer.run({
      autoCommit: !!this.o.commit,
      // Only the records shown are resolved (and so, with commit, committed).
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (gen !== this.generation) return;
        this.onRecords(batch.topic, batch.partition, batch.highWatermark, (batch.messages as unknown as KafkaRecord[]).map(fromKafkajs), resolveOffset);
        this.publishSummary();
      },
    });
  }

  /** With a group and --from TIME: the offsets at that time, set before the first fetch. */
  private async seekTime(kafka: Kafka): Promise<void> {
    if (this.from.kind !== 'time') return;
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of this.topics) {
        const offs = await admin.fetchTopicOffsetsByTimestamp(topic, this.from.ms);
        const ends = await admin.fetchTopicOffsets(topic);
        for (const p of offs) {
          const end = ends.find((x) => x.partition === p.partition)?.high ?? '0';
          this.state(topic, p.partition).next = p.offset === '-1' ? end : p.offset;
        }
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  // ---------- produce ----------

  private async ensureProducer(): Promise<Producer> {
    if (this.producerReady) return this.producerReady;
    const kafka = this.kafka;
    if (!kafka) throw new Error('Not connected to the Kafka cluster');
    const p = kafka.producer({ allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
    this.producer = p;
    this.producerReady = p.connect().then(() => p);
    this.producerReady.catch(() => {
      this.producerReady = undefined;
      this.producer = undefined;
    });
    return this.producerReady;
  }

  private async produceStartup(gen: number): Promise<void> {
    for (const r of this.o.produce ?? []) {
      if (gen !== this.generation || this.lc.stopped) return;
      try {
        await this.produceOne(r.topic, r.key, Buffer.from(r.value, 'utf8'), false);
      } catch (err) {
        this.sink.error(this.explain(err).message, 'ERR_KAFKA_PRODUCE');
      }
    }
  }

  private async produceOne(topic: string, key: string | undefined, value: Buffer, binary: boolean): Promise<void> {
    const producer = await this.ensureProducer();
    const headers = this.options.headers;
    let res;
    try {
      res = await producer.send({ topic, acks: -1, messages: [{ key: key ?? null, value, ...(headers && Object.keys(headers).length ? { headers } : {}) }] });
    } catch (err) {
      throw new Error(`produce to ${topic} failed: ${this.explain(err).message}`, { cause: err });
    }
    const r = res[0];
    const meta: Record<string, unknown> = { partition: r?.partition, offset: r?.baseOffset ?? r?.offset, key: key ?? null, acked: true };
    if (headers && Object.keys(headers).length) meta.headers = headers;
    if (r?.logAppendTime && r.logAppendTime !== '-1') meta.logAppendTime = r.logAppendTime;
    this.sink.frame('out', value, { channel: topic, meta, ...(binary ? { binary: true } : {}) });
  }

  // ---------- failures ----------

  /** One line for any failure kafkajs throws: the root cause, with the socket guard's finding first. */
  private explain(err: unknown): { message: string; code?: string; fatal: boolean } {
    if (this.guardError) return { message: this.guardError.message, code: this.guardError instanceof Fatal ? this.guardError.code : 'ERR_PROTOCOL', fatal: this.guardError instanceof Fatal };
    if (err instanceof Fatal) return { message: err.message, code: err.code, fatal: true };
    // Walk the chain of causes kafkajs wraps (retries exceeded -> connection error -> socket error).
    let e = err as { name?: string; message?: string; type?: string; code?: unknown; cause?: unknown; broker?: string; originalError?: unknown } | undefined;
    const seen = new Set<unknown>();
    let root = e;
    let timedOut: string | undefined;
    while (e && typeof e === 'object' && !seen.has(e)) {
      seen.add(e);
      root = e;
      if (/Request .* timed out/i.test(e.message ?? '')) timedOut ??= e.message;
      if (e.name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed/i.test(e.message ?? '')) {
        return { message: `authentication failed: ${(e.message ?? '').replace(/^SASL /, 'SASL ')}`, code: 'ERR_AUTH', fatal: true };
      }
      if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION') return { message: `unknown topic: the broker has no such topic or partition (${e.message})`, code: 'ERR_KAFKA_UNKNOWN_TOPIC', fatal: true };
      if (e.type === 'TOPIC_AUTHORIZATION_FAILED' || e.type === 'GROUP_AUTHORIZATION_FAILED' || e.type === 'CLUSTER_AUTHORIZATION_FAILED') return { message: `not allowed: ${e.message}`, code: 'ERR_AUTH', fatal: true };
      if (e.type === 'UNSUPPORTED_SASL_MECHANISM' || e.type === 'ILLEGAL_SASL_STATE') return { message: `authentication failed: ${e.message}`, code: 'ERR_AUTH', fatal: true };
      if (e.type === 'INVALID_TOPIC_EXCEPTION') return { message: `invalid topic: ${e.message}`, code: 'ERR_KAFKA_UNKNOWN_TOPIC', fatal: true };
      if (typeof e.code === 'string' && /^E[A-Z]+|^ERR_|CERT|SELF_SIGNED|UNABLE_TO/.test(e.code)) {
        const d = describeError({ code: e.code, message: e.message?.replace(/^Connection error: /, '') }, e.broker ?? this.displayUrl);
        return { message: d.message, code: d.code, fatal: false };
      }
      e = (e.cause ?? e.originalError) as typeof e;
    }
    let msg = root?.message ?? String(err);
    if (/^Broker not connected$/.test(msg) && this.lastLogged) {
      msg = this.lastLogged;
      if (/Request .* timed out/i.test(msg)) timedOut ??= msg;
    }
    if (timedOut) return { message: `no answer from the broker in time (${timedOut}): is this a Kafka broker?`, code: 'ETIMEDOUT', fatal: false };
    if (/^Connection timeout$/i.test(msg)) return { message: `Connection timed out (${this.displayUrl})`, code: 'ETIMEDOUT', fatal: false };
    if (/Closed connection|Connection closed/i.test(msg)) return { message: `the broker closed the connection (${this.displayUrl})`, code: 'ECONNRESET', fatal: false };
    return { message: maskUrlPasswords(msg.split(/\r?\n/, 1)[0] || 'Unknown error'), code: root?.name === 'KafkaJSProtocolError' ? `ERR_KAFKA_${root.type ?? 'PROTOCOL'}` : undefined, fatal: false };
  }

  private drop(gen: number, err: unknown): void {
    if (gen !== this.generation || this.lc.closing || this.lc.ended) return;
    const d = this.explain(err);
    this.generation++;
    this.teardown();
    if (d.fatal) return this.lc.fail(d.message, d.code);
    const plan = this.lc.dropped(d.message, { errorCode: d.code });
    if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => {
      if (go) void this.connect();
    });
  }

  private teardown(): void {
    const consumer = this.consumer;
    const producer = this.producer;
    const cluster = this.cluster;
    this.consumer = undefined;
    this.producer = undefined;
    this.producerReady = undefined;
    this.cluster = undefined;
    this.kafka = undefined;
    this.wakeAll();
    // A session reconnect says its own story; a broker lost before it is not "reconnected" by the next one.
    this.lostBrokers.clear();
    void consumer?.disconnect().catch(() => undefined);
    void producer?.disconnect().catch(() => undefined);
    void cluster?.disconnect().catch(() => undefined);
    this.destroySockets();
  }

  private destroySockets(): void {
    const sockets = this.sockets;
    this.sockets = new Set();
    // With an error, so that kafkajs rejects what waits on the socket and clears its timers.
    for (const s of sockets) s.destroy(new Error('connection closed by Wirescope'));
  }

  private wakeAll(): void {
    const w = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const r of w) r();
  }

  // ---------- the session's controls ----------

  async send(msg: OutboundMessage): Promise<void> {
    if (!this.kafka || !this.lc.everOpened || this.lc.down) throw new Error('Not connected to the Kafka cluster');
    const topic = msg.channel ?? this.o.produceTopic;
    if (!topic) throw new Error('Enter a topic to produce to');
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) throw new Error(`Invalid topic name "${topic}"`);
    const key = typeof msg.meta?.key === 'string' ? msg.meta.key : undefined;
    const value = typeof msg.data === 'string' ? Buffer.from(msg.data, 'utf8') : Buffer.from(msg.data);
    await this.produceOne(topic, key, value, msg.binary === true && typeof msg.data !== 'string');
  }

  pause(): void {
    this.paused = true;
    if (this.consumer) this.consumer.pause(this.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.paused = false;
    this.wakeAll();
    if (this.consumer) this.consumer.resume(this.topics.map((topic) => ({ topic })));
  }

  reconnect(): void {
    this.lc.requestReconnect(() => this.drop(this.generation, new Error('reconnect requested by user')));
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      this.generation++;
      this.publishSummary();
      if (!this.lc.everOpened || this.lc.down) {
        // Nothing to leave or flush: drop the half-made connections and end now.
        this.teardown();
        return this.lc.finishClose();
      }
      const consumer = this.consumer;
      const producer = this.producer;
      const cluster = this.cluster;
      this.consumer = undefined;
      this.producer = undefined;
      this.producerReady = undefined;
      this.cluster = undefined;
      this.kafka = undefined;
      this.wakeAll();
      if (consumer) this.sink.frame('out', `leaving group ${this.o.group}`, { control: true, meta: { packet: 'LEAVE_GROUP' } });
      // A group member leaves the group (LeaveGroup), so that the others get its partitions at once.
      const done = Promise.allSettled([consumer?.disconnect(), producer?.disconnect(), cluster?.disconnect()]);
      let timer: NodeJS.Timeout | undefined;
      const t = new Promise((r) => (timer = setTimeout(r, 3000)));
      void Promise.race([done, t]).then(() => {
        clearTimeout(timer);
        this.destroySockets();
        this.lc.finishClose();
      });
    });
  }
}
