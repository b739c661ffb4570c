/**
 * Redis pub/sub and streams (`redis://`, `rediss://`), on Wirescope's own RESP client (src/core/resp.ts):
 * every reply is seen as it arrives, and there is no hidden reconnection or offline queue, so the shared
 * connection lifecycle (src/core/lifecycle.ts) reconnects and re-subscribes in plain sight.
 *
 * A session holds up to three connections to the server, opened and lost together:
 * - `cmd`: PUBLISH, PING, XACK, XPENDING, XGROUP (always);
 * - `sub`: SUBSCRIBE/PSUBSCRIBE (a subscribed connection can run nothing else);
 * - `reader`: XREAD/XREADGROUP BLOCK (a blocked connection answers nothing else).
 *
 * Watching does not disturb: without `group` streams are read with XREAD (nothing is acknowledged,
 * no group is created). `group` (reading as a consumer: entries read here are not delivered to the
 * group's other consumers), `ack` (XACK) and `createGroup` (XGROUP CREATE) are explicit, and the
 * session says so in its first control frame and in the open state's `meta.destructive`.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { checkUrl, describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import { encodeCommand, replyText, RespError, RespParser, RespProtocolError, type RespValue } from '../../core/resp';
import { nodeTlsOptions } from '../../core/tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { redisPattern } from './descriptor';

export const createTransport: TransportFactory = ({ options, sink }) => new RedisTransport(options, sink);

type Role = 'cmd' | 'sub' | 'reader';

/** A failure that ends the session whatever the reconnect policy says (bad password, wrong key type, missing group). */
class Fatal extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(v: RespValue): void;
  reject(err: Error): void;
}

/** One connection: a socket, a parser, and the FIFO of commands waiting for their reply. */
class Conn {
  readonly parser: RespParser;
  readonly queue: Pending[] = [];
  /** Replies that are not answers to a command (pub/sub messages on a subscribed connection). */
  onPush: ((v: RespValue) => void) | undefined;
  /** Called when the server confirms that no subscription is left (after UNSUBSCRIBE and PUNSUBSCRIBE). */
  onUnsubscribed: (() => void) | undefined;
  connectAt: number | undefined;
  lookupAt: number | undefined;
  openedAt: number | undefined;

  constructor(
    readonly role: Role,
    readonly socket: net.Socket,
    maxBulkBytes: number | undefined,
  ) {
    this.parser = new RespParser({ maxBulkBytes });
  }

  command(args: ReadonlyArray<string | Buffer | number>): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error('the connection is closed'));
      this.queue.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  failAll(err: Error): void {
    for (const p of this.queue.splice(0)) p.reject(err);
  }
}

const text = (v: RespValue | undefined): string => (Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : v === undefined ? '' : replyText(v));

/** A received payload: a Buffer the session decodes as UTF-8 in place, or binary when it is not UTF-8. */
function payloadOf(b: Buffer): { data: Buffer; binary: boolean } {
  return { data: b, binary: !isUtf8(b) };
}

/** Fields of a stream entry (`[f1, v1, f2, v2...]`) as an object, for the frame's data and meta. */
function fieldsOf(list: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (let i = 0; i + 1 < list.length; i += 2) out[text(list[i])] = text(list[i + 1]);
  return out;
}

function authHint(e: RespError): string {
  return `authentication failed: ${e.message}`;
}

class RedisTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private readonly secure: boolean;
  private readonly o: NonNullable<ConnectOptions['redis']>;
  private conns: Partial<Record<Role, Conn>> = {};
  /** Bumped on every connect and drop: events of an older generation's sockets are ignored. */
  private generation = 0;
  private host = '';
  private port = 6379;
  private username: string | undefined;
  private password: string | undefined;
  private db: number | undefined;
  private readonly consumer: string;
  /** Where each stream is read from next (`$` resolved to an id at the first open, then the last entry seen). */
  private readonly streamIds = new Map<string, string>();
  /** Group mode: a stream still reading this consumer's pending history (redeliveries) before `>`. */
  private readonly history = new Set<string>();
  private acked = 0;
  private entries = 0;
  private dropping = false;
  /** Data frames this transport has emitted (group reads never claim more entries than `count` still wants). */
  private dataFrames = 0;
  /** XACKs on their way: closing waits for them, so that every entry shown is acknowledged. */
  private acking: Promise<void> = Promise.resolve();
  /** Some connection of this session has opened (the next subscribe is a re-subscribe). */
  private openedBefore = false;
  private published = false;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.secure = /^rediss:/i.test(options.url.trim());
    this.o = options.redis ?? {};
    this.consumer = this.o.consumer ?? `wirescope-${randomBytes(4).toString('hex')}`;
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.destroyAll());
  }

  private get subscribes(): boolean {
    return (this.o.subscribe?.length ?? 0) + (this.o.psubscribe?.length ?? 0) > 0;
  }
  private get streams(): readonly string[] {
    return this.o.stream ?? [];
  }

  /** How the session touches the server, in words: read-only, or what it changes. */
  private mode(): { text: string; destructive: boolean } {
    const parts: string[] = [];
    if (this.o.subscribe?.length) parts.push(`SUBSCRIBE ${this.o.subscribe.join(' ')}`);
    if (this.o.psubscribe?.length) parts.push(`PSUBSCRIBE ${this.o.psubscribe.join(' ')}`);
    let destructive = false;
    if (this.streams.length) {
      if (this.o.group) {
        destructive = true;
        const what = [`reads ${this.streams.join(', ')} as consumer ${this.consumer} of group ${this.o.group}: entries delivered here are not delivered to the group's other consumers`];
        what.push(this.o.ack ? 'each entry is acknowledged (XACK)' : 'they stay pending (no XACK without --ack)');
        if (this.o.createGroup) what.push('the group is created if missing (XGROUP CREATE)');
        parts.push(`DESTRUCTIVE: ${what.join('; ')}`);
      } else {
        parts.push(`XREAD ${this.streams.join(', ')} (read-only: no group, nothing acknowledged)`);
      }
    }
    if (this.o.publish?.length) parts.push(`PUBLISH ${this.o.publish.length} message${this.o.publish.length === 1 ? '' : 's'}`);
    if (!destructive && parts.length) parts.push('watching only: nothing is acknowledged or created');
    return { text: parts.join('; ') || 'connection only (PING; send to PUBLISH)', destructive };
  }

  start(): void {
    const problem = checkUrl(this.options.url, redisPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const u = new URL(this.options.url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = u.port ? Number(u.port) : 6379;
    this.username = this.o.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
    this.password = this.o.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
    const path = u.pathname.replace(/^\//, '');
    if (path && !/^\d+$/.test(path)) return this.lc.fail(`Invalid URL: the path of a redis URL is a database number (redis://host:port/2), got "/${path}"`, 'ERR_INVALID_URL');
    this.db = this.o.db ?? (path ? Number(path) : undefined);
    if (this.o.ack && !this.o.group) return this.lc.fail('ack needs group: XREAD (no group) has nothing to acknowledge', 'ERR_INVALID_OPTIONS');
    if (this.o.createGroup && !this.o.group) return this.lc.fail('createGroup needs group', 'ERR_INVALID_OPTIONS');
    if (this.o.group && !this.streams.length) return this.lc.fail('group needs at least one stream', 'ERR_INVALID_OPTIONS');
    for (const key of this.streams) {
      const from = this.o.from ?? (this.o.group ? '>' : '$');
      if (this.o.group && from !== '>') this.history.add(key);
      this.streamIds.set(key, from);
    }
    this.connect();
  }

  /** Open every connection this session needs; the session is open when all of them are ready. */
  private connect(): void {
    const gen = ++this.generation;
    this.dropping = false;
    this.lc.connecting(this.options.url);
    if (gen === 1) {
      const mode = this.mode();
      this.sink.frame('out', mode.text, { control: true, meta: { packet: 'MODE', destructive: mode.destructive } });
    }
    const t0 = this.sink.now();
    const roles: Role[] = ['cmd'];
    if (this.subscribes) roles.push('sub');
    if (this.streams.length) roles.push('reader');
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const timer = setTimeout(() => this.drop(gen, new Error(`no answer from ${this.host}:${this.port} within ${timeoutMs} ms`), 'ETIMEDOUT'), timeoutMs);
    timer.unref?.();
    Promise.all(roles.map((r) => this.open(gen, r)))
      .then(async (conns) => {
        clearTimeout(timer);
        if (gen !== this.generation || this.lc.stopped) return;
        const cmd = conns[0];
        const connectEnd = cmd.connectAt ?? cmd.openedAt ?? this.sink.now();
        const dnsEnd = cmd.lookupAt ?? t0;
        const now = this.sink.now();
        this.sink.timing({ dns: cmd.lookupAt !== undefined ? dnsEnd - t0 : null, connect: connectEnd - dnsEnd, tls: this.secure ? (cmd.openedAt ?? now) - connectEnd : null, ttfb: null, download: null, total: now - t0 });
        // Resolve `$` and check the keys (WRONGTYPE, missing group) before saying open: a wrong key is one clear line.
        await this.prepareStreams(gen, cmd);
        if (gen !== this.generation || this.lc.stopped) return;
        const mode = this.mode();
        const meta: Record<string, unknown> = { remoteAddress: cmd.socket.remoteAddress, remotePort: cmd.socket.remotePort, connections: roles.length, destructive: mode.destructive, mode: mode.text };
        if (this.db !== undefined) meta.db = this.db;
        if (cmd.socket instanceof tls.TLSSocket) meta.tls = { protocol: cmd.socket.getProtocol(), cipher: cmd.socket.getCipher()?.name, authorized: cmd.socket.authorized };
        if (this.lc.down && this.streams.length) meta.resumeFrom = Object.fromEntries(this.streamIds);
        this.lc.opened(this.options.url, meta);
        const again = this.openedBefore;
        this.openedBefore = true;
        if (this.conns.sub) this.subscribe(gen, this.conns.sub, again);
        await this.publishAll(gen, cmd);
        if (this.conns.reader) void this.readLoop(gen, this.conns.reader);
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        this.drop(gen, err as Error);
      });
  }

  /** One connection: TCP (or TLS), then AUTH, SELECT and a PING that proves it is a Redis server. */
  private open(gen: number, role: Role): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      const { host, port } = this;
      const socket = this.secure
        ? tls.connect({ host, port, ...nodeTlsOptions(this.options.tls), ...(net.isIP(host) ? {} : { servername: this.options.tls?.servername ?? host }) })
        : net.connect({ host, port });
      socket.setNoDelay(true);
      const conn = new Conn(role, socket, this.o.maxBulkBytes);
      this.conns[role] = conn;
      socket.once('lookup', () => (conn.lookupAt = this.sink.now()));
      socket.once('connect', () => (conn.connectAt = this.sink.now()));
      socket.once(this.secure ? 'secureConnect' : 'connect', () => {
        conn.openedAt = this.sink.now();
        this.handshake(conn).then(() => resolve(conn), reject);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          conn.parser.push(chunk, (v) => this.onReply(conn, v));
        } catch (err) {
          let e = err instanceof RespProtocolError ? err : new RespProtocolError(String(err));
          // Nothing this server said was RESP: say what it is not.
          if (conn.parser.replies === 0 && /^not a RESP reply: the server sent /.test(e.message)) e = new RespProtocolError(`not a Redis server: it answered with "${e.message.replace(/^not a RESP reply: the server sent "|"$/g, '')}"`);
          conn.failAll(e);
          this.drop(gen, e, 'ERR_PROTOCOL');
        }
      });
      socket.on('error', (err) => {
        conn.failAll(err);
        reject(err);
        this.drop(gen, err);
      });
      socket.on('close', () => {
        const e = new Error(conn.parser.midReply ? `the server closed the connection in the middle of a reply (${conn.parser.buffered} bytes of it read)` : conn.queue.length ? 'the server closed the connection without answering' : 'the server closed the connection');
        conn.failAll(e);
        reject(e);
        if (this.lc.closing && gen === this.generation) return this.closedOne();
        this.drop(gen, e);
      });
    });
  }

  private async handshake(conn: Conn): Promise<void> {
    if (this.password !== undefined) {
      const r = await conn.command(this.username !== undefined ? ['AUTH', this.username, this.password] : ['AUTH', this.password]);
      if (r instanceof RespError) throw new Fatal(authHint(r), 'ERR_AUTH');
    }
    if (this.db !== undefined) {
      const r = await conn.command(['SELECT', this.db]);
      if (r instanceof RespError) throw new Fatal(`SELECT ${this.db} failed: ${r.message}`, 'ERR_REDIS');
    }
    const pong = await conn.command(['PING']);
    if (pong instanceof RespError) {
      if (pong.code === 'NOAUTH') throw new Fatal('the server requires a password (NOAUTH): give it in the URL (redis://:PASSWORD@host or redis://user:PASSWORD@host), in a profile\'s redis.password, or with --password-env NAME', 'ERR_AUTH');
      throw new Fatal(`PING failed: ${pong.message}`, 'ERR_REDIS');
    }
    if (pong !== 'PONG') throw new RespProtocolError(`not a Redis server: PING was answered with "${replyText(pong).slice(0, 60)}"`);
  }

  private onReply(conn: Conn, v: RespValue): void {
    if (conn.role === 'sub' && Array.isArray(v)) {
      // The hot path: a published message.
      const kind = v[0];
      if (Buffer.isBuffer(kind)) {
        // "message" is the only reply kind of 7 bytes.
        if (kind.length === 7 && v.length === 3) {
          const p = payloadOf(v[2] as Buffer);
          const channel = this.channelName(v[1] as Buffer);
          this.sink.frame('in', p.data, p.binary ? { channel, binary: true } : { channel });
          return;
        }
        return this.onSubscriberReply(conn, kind.toString('latin1'), v);
      }
    }
    const waiter = conn.queue.shift();
    if (waiter) waiter.resolve(v);
    else if (v instanceof RespError) this.sink.frame('in', v.message, { control: true, meta: { packet: 'ERROR', error: v.code } });
  }

  private lastChannel: { bytes: Buffer; name: string } | undefined;

  /** A channel's name; a feed mostly repeats one channel, so its last name is reused rather than decoded again. */
  private channelName(b: Buffer): string {
    const last = this.lastChannel;
    if (last && last.bytes.equals(b)) return last.name;
    const name = b.toString('utf8');
    this.lastChannel = { bytes: Buffer.from(b), name };
    return name;
  }

  private onSubscriberReply(conn: Conn, kind: string, v: RespValue[]): void {
    const name = text(v[1]);
    switch (kind) {
      case 'pmessage': {
        const p = payloadOf(v[3] as Buffer);
        this.sink.frame('in', p.data, { channel: text(v[2]), meta: { pattern: name }, ...(p.binary ? { binary: true } : {}) });
        return;
      }
      case 'subscribe':
      case 'psubscribe':
      case 'unsubscribe':
      case 'punsubscribe': {
        const count = typeof v[2] === 'number' ? v[2] : Number(text(v[2]));
        const what = kind.startsWith('p') ? 'pattern' : 'channel';
        const words = kind.endsWith('unsubscribe') ? `unsubscribed from ${what} ${name}` : `subscribed to ${what} ${name}`;
        this.sink.frame('in', `${words} (${count} subscription${count === 1 ? '' : 's'} on this connection)`, { control: true, channel: name, meta: { packet: kind.toUpperCase(), subscriptions: count } });
        if (count === 0 && kind.endsWith('unsubscribe')) conn.onUnsubscribed?.();
        return;
      }
      case 'pong':
        conn.queue.shift()?.resolve('PONG');
        return;
      default: {
        const waiter = conn.queue.shift();
        if (waiter) waiter.resolve(v);
      }
    }
  }

  private subscribe(gen: number, sub: Conn, again: boolean): void {
    if (gen !== this.generation) return;
    const channels = this.o.subscribe ?? [];
    const patterns = this.o.psubscribe ?? [];
    if (again) this.sink.frame('out', `re-subscribing after the reconnect: ${[...channels, ...patterns.map((p) => `${p} (pattern)`)].join(', ')}`, { control: true, meta: { packet: 'RESUBSCRIBE' } });
    if (channels.length) sub.socket.write(encodeCommand(['SUBSCRIBE', ...channels]));
    if (patterns.length) sub.socket.write(encodeCommand(['PSUBSCRIBE', ...patterns]));
  }

  private async publishAll(gen: number, cmd: Conn): Promise<void> {
    // Start-up publishes go out once, not again after a reconnect.
    if (this.published) return;
    this.published = true;
    for (const p of this.o.publish ?? []) {
      if (gen !== this.generation || this.lc.stopped) return;
      await this.publish(cmd, p.channel, p.message).catch((err: Error) => this.sink.error(`PUBLISH ${p.channel} failed: ${err.message}`, 'ERR_REDIS'));
    }
  }

  private async publish(cmd: Conn, channel: string, message: string | Uint8Array, binary = false): Promise<void> {
    const data = typeof message === 'string' ? message : Buffer.from(message);
    const r = await cmd.command(['PUBLISH', channel, data]);
    if (r instanceof RespError) throw new Error(r.message);
    this.sink.frame('out', data, { channel, ...(binary ? { binary: true } : {}), meta: { command: 'PUBLISH', receivers: r } });
  }

  /** Resolve `$` to the stream's last id, check each key is a stream (WRONGTYPE) and the group exists. */
  private async prepareStreams(gen: number, cmd: Conn): Promise<void> {
    for (const key of this.streams) {
      if (gen !== this.generation) return;
      const type = await cmd.command(['TYPE', key]);
      const t = text(type);
      if (t !== 'stream' && t !== 'none') throw new Fatal(`WRONGTYPE: the key "${key}" holds a ${t}, not a stream (--stream reads stream keys only)`, 'ERR_WRONGTYPE');
      if (this.o.group) {
        if (this.o.createGroup) {
          const r = await cmd.command(['XGROUP', 'CREATE', key, this.o.group, '$', 'MKSTREAM']);
          if (r instanceof RespError && r.code !== 'BUSYGROUP') throw new Fatal(`XGROUP CREATE ${key} ${this.o.group} failed: ${r.message}`, 'ERR_REDIS');
          this.sink.frame('out', r instanceof RespError ? `group ${this.o.group} already exists on ${key}` : `created group ${this.o.group} on ${key} (from $, MKSTREAM)`, { control: true, channel: key, meta: { packet: 'XGROUP CREATE', created: !(r instanceof RespError) } });
        }
        const p = await cmd.command(['XPENDING', key, this.o.group]);
        if (p instanceof RespError) {
          if (p.code === 'NOGROUP') throw new Fatal(`consumer group "${this.o.group}" does not exist on stream "${key}": create it with --create-group (or XGROUP CREATE ${key} ${this.o.group} $ MKSTREAM)`, 'ERR_NOGROUP');
          throw new Fatal(`XPENDING ${key} ${this.o.group} failed: ${p.message}`, 'ERR_REDIS');
        }
        this.pendingFrame(key, p);
      } else if (this.streamIds.get(key) === '$') {
        // `$` means "after the last entry now": pinned to an id, so a reconnect loses nothing in between.
        const last = await cmd.command(['XREVRANGE', key, '+', '-', 'COUNT', 1]);
        const id = Array.isArray(last) && Array.isArray(last[0]) ? text(last[0][0]) : '0-0';
        this.streamIds.set(key, id);
      }
    }
  }

  /** The group's pending state (XPENDING summary) as a control frame. */
  private pendingFrame(key: string, p: RespValue): void {
    if (!Array.isArray(p)) return;
    const count = typeof p[0] === 'number' ? p[0] : 0;
    const consumers = Array.isArray(p[3]) ? p[3].map((c) => (Array.isArray(c) ? { consumer: text(c[0]), pending: Number(text(c[1])) } : undefined)).filter((c) => c !== undefined) : [];
    const range = count > 0 ? ` (${text(p[1])} … ${text(p[2])})` : '';
    const who = consumers.length ? `; ${consumers.map((c) => `${c.consumer} ${c.pending}`).join(', ')}` : '';
    this.sink.frame('in', `group ${this.o.group} on ${key}: ${count} pending${range}${who}`, { control: true, channel: key, meta: { packet: 'XPENDING', pending: count, ...(count > 0 ? { first: text(p[1]), last: text(p[2]) } : {}), consumers } });
  }

  private async readLoop(gen: number, reader: Conn): Promise<void> {
    const keys = this.streams;
    const batch = this.o.count ?? 100;
    const block = this.o.blockMs ?? 5000;
    while (gen === this.generation && !this.lc.stopped) {
      // A group read claims entries from the group: never more than the session will show.
      const left = this.o.group && this.options.count ? this.options.count - this.dataFrames : batch;
      if (left <= 0) return;
      const count = Math.min(batch, left);
      const ids = keys.map((k) => (this.o.group && !this.history.has(k) ? '>' : (this.streamIds.get(k) ?? '$')));
      const args = this.o.group
        ? ['XREADGROUP', 'GROUP', this.o.group, this.consumer, 'COUNT', count, 'BLOCK', block, 'STREAMS', ...keys, ...ids]
        : ['XREAD', 'COUNT', count, 'BLOCK', block, 'STREAMS', ...keys, ...ids];
      let reply: RespValue;
      try {
        reply = await reader.command(args);
      } catch {
        return; // the connection went away: the drop is handled where it was seen
      }
      if (gen !== this.generation || this.lc.stopped) return;
      if (reply instanceof RespError) {
        if (reply.code === 'WRONGTYPE') return this.fatal(gen, new Fatal(`WRONGTYPE: a key of ${keys.join(', ')} is not a stream (${reply.message})`, 'ERR_WRONGTYPE'));
        if (reply.code === 'NOGROUP') return this.fatal(gen, new Fatal(`consumer group "${this.o.group}" no longer exists on ${keys.join(', ')}: ${reply.message}`, 'ERR_NOGROUP'));
        return this.fatal(gen, new Fatal(`${String(args[0])} failed: ${reply.message}`, 'ERR_REDIS'));
      }
      if (reply === null) {
        // A history read answers at once; nil means nothing is pending there.
        this.history.clear();
        continue;
      }
      await this.onEntries(reply, keys);
    }
  }

  private async onEntries(reply: RespValue, keys: readonly string[]): Promise<void> {
    if (!Array.isArray(reply)) return;
    const toAck = new Map<string, string[]>();
    const seenKeys = new Set<string>();
    for (const s of reply) {
      if (!Array.isArray(s)) continue;
      const key = text(s[0]);
      seenKeys.add(key);
      const list = Array.isArray(s[1]) ? s[1] : [];
      const fromHistory = this.history.has(key);
      if (fromHistory && list.length === 0) {
        // This consumer's pending history is read: new entries from here on.
        this.history.delete(key);
        this.sink.frame('in', `${key}: this consumer's pending entries are all shown; now reading new entries (>)`, { control: true, channel: key, meta: { packet: 'XREADGROUP', history: 'done' } });
        continue;
      }
      for (const entry of list) {
        if (!Array.isArray(entry)) continue;
        const id = text(entry[0]);
        if (!this.o.group || fromHistory) this.streamIds.set(key, id);
        this.entries++;
        if (entry[1] === null) {
          this.sink.frame('in', `${key} ${id}: pending entry deleted from the stream`, { control: true, channel: key, meta: { packet: 'XREADGROUP', id, deleted: true } });
          continue;
        }
        const fields = fieldsOf(entry[1]);
        const meta: Record<string, unknown> = { id, stream: key, fields };
        if (this.o.group) {
          meta.group = this.o.group;
          meta.consumer = this.consumer;
          if (fromHistory) meta.redelivered = true;
          meta.pending = !this.o.ack;
        }
        const only = Object.keys(fields);
        this.dataFrames++;
        this.sink.frame('in', only.length === 1 ? fields[only[0]] : JSON.stringify(fields), { channel: key, meta });
        if (this.o.group && this.o.ack) toAck.set(key, [...(toAck.get(key) ?? []), id]);
      }
    }
    if (this.o.group) for (const k of keys) if (this.history.has(k) && !seenKeys.has(k)) this.history.delete(k);
    const cmd = this.conns.cmd;
    if (!cmd || toAck.size === 0) return;
    const acks = this.ack(cmd, toAck);
    this.acking = this.acking.then(() => acks);
    await acks;
  }

  private async ack(cmd: Conn, toAck: Map<string, string[]>): Promise<void> {
    for (const [key, ids] of toAck) {
      try {
        const r = await cmd.command(['XACK', key, this.o.group ?? '', ...ids]);
        const n = typeof r === 'number' ? r : 0;
        this.acked += n;
        this.sink.frame('out', `XACK ${key} ${ids.length === 1 ? ids[0] : `${ids.length} entries`}: ${n} acknowledged`, { control: true, channel: key, meta: { packet: 'XACK', ids, acknowledged: n } });
      } catch {
        return;
      }
    }
  }

  private fatal(gen: number, err: Fatal): void {
    if (gen !== this.generation) return;
    this.generation++;
    this.lc.fail(err.message, err.code);
  }

  /** A connection of generation `gen` failed: drop them all and let the lifecycle decide what follows. */
  private drop(gen: number, err: Error, code?: string): void {
    if (gen !== this.generation || this.dropping) return;
    if (this.lc.closing) return;
    this.dropping = true;
    this.generation++;
    this.destroyAll();
    if (err instanceof Fatal) return this.lc.fail(err.message, err.code);
    const d = err instanceof RespProtocolError ? { message: err.message, code: code ?? 'ERR_PROTOCOL' } : describeError(err, this.options.url);
    // A broken protocol is an error in its own right (as a malformed stream is for tcp); a lost connection is just a drop.
    const reported = err instanceof RespProtocolError;
    if (reported) this.sink.error(d.message, d.code);
    const plan = this.lc.dropped(d.message, { errorCode: code ?? d.code, reported });
    if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => go && this.connect());
  }

  private destroyAll(): void {
    const conns = this.conns;
    this.conns = {};
    for (const c of Object.values(conns)) {
      c.failAll(new Error('the connection is closed'));
      c.socket.destroy();
    }
  }

  async send(msg: OutboundMessage): Promise<void> {
    const cmd = this.conns.cmd;
    if (!cmd || cmd.socket.destroyed || !this.lc.everOpened || this.lc.down) throw new Error('Not connected to the Redis server');
    const channel = msg.channel ?? this.o.publishChannel;
    if (!channel) throw new Error('Enter a channel to publish to');
    await this.publish(cmd, channel, msg.data, msg.binary === true && typeof msg.data !== 'string');
  }

  ping(): void {
    const cmd = this.conns.cmd;
    if (!cmd || cmd.socket.destroyed) return;
    this.sink.frame('out', 'PING', { control: true, meta: { packet: 'PING' } });
    const t0 = this.sink.now();
    void cmd.command(['PING']).then(
      (r) => this.sink.frame('in', replyText(r), { control: true, meta: { packet: 'PONG', rttMs: Math.round((this.sink.now() - t0) * 100) / 100 } }),
      () => undefined,
    );
  }

  reconnect(): void {
    this.lc.requestReconnect(() => {
      const conns = Object.values(this.conns);
      if (!conns.length) return;
      this.drop(this.generation, new Error('reconnect requested by user'));
    });
  }

  private closing: Set<Conn> | undefined;

  private closedOne(): void {
    if (!this.closing) return;
    for (const c of this.closing) if (c.socket.destroyed) this.closing.delete(c);
    if (this.closing.size === 0) {
      this.closing = undefined;
      this.summarize();
      this.lc.finishClose();
    }
  }

  private summarize(): void {
    if (this.streams.length) this.sink.summarize({ redis: { entries: this.entries, ...(this.o.group ? { acknowledged: this.acked } : {}) } });
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      const conns = Object.values(this.conns);
      if (!conns.length || !this.lc.everOpened || this.lc.down) {
        this.generation++;
        this.destroyAll();
        this.summarize();
        return this.lc.finishClose();
      }
      this.closing = new Set(conns);
      const sub = this.conns.sub;
      const bye = async () => {
        // Unsubscribing is shown (the server's confirmations are control frames), then each connection QUITs.
        if (sub && !sub.socket.destroyed) {
          const done = new Promise<void>((r) => (sub.onUnsubscribed = r));
          if (this.o.subscribe?.length) sub.socket.write(encodeCommand(['UNSUBSCRIBE']));
          if (this.o.psubscribe?.length) sub.socket.write(encodeCommand(['PUNSUBSCRIBE']));
          await Promise.race([done, new Promise((r) => setTimeout(r, 500))]);
        }
        // Every entry shown with --ack is acknowledged before the connections go.
        await Promise.race([this.acking, new Promise((r) => setTimeout(r, 1000))]);
        for (const c of conns) {
          if (c.socket.destroyed) continue;
          // A blocked reader would answer QUIT only after its BLOCK: it is simply closed.
          if (c.role === 'reader') c.socket.destroy();
          else {
            c.socket.write(encodeCommand(['QUIT']));
            c.socket.end();
          }
        }
      };
      void bye();
      const t = setTimeout(() => {
        for (const c of conns) c.socket.destroy();
      }, 2000);
      t.unref?.();
    });
  }
}
