/**
 * Socket.IO v3/v4 (Engine.IO 4) through `socket.io-client`. The namespace is the URL path; each received
 * event is an in frame on the event's name with the JSON array of its arguments; acks are in frames with
 * `meta.ack` and their round trip. Engine.IO (open, ping/pong, the transport upgrade) and Socket.IO
 * (CONNECT, CONNECT_ERROR, DISCONNECT) control packets are control frames in words.
 *
 * The library's own reconnection is off: drops go through the shared connection lifecycle, which
 * connects the same client socket again, so the namespace is joined again visibly and the server can
 * recover the connection state (`meta.recovered`).
 */
import http from 'node:http';
import https from 'node:https';
import { Manager, type Socket } from 'socket.io-client';
import { checkUrl, describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import { nodeTlsOptions } from '../../core/tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { socketioPattern } from './descriptor';
import { WireArgs, wireArgsParser } from './wireArgs';

export const createTransport: TransportFactory = ({ options, sink }) => new SocketIoTransport(options, sink);

/** Default limit on one WebSocket message from the server (a bigger one closes the connection with one line). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;
const V2_MESSAGE = 'the server speaks Socket.IO v2 (Engine.IO 3), which a Socket.IO v3/v4 client cannot talk to: upgrade the server, or enable allowEIO3 on a v3/v4 server';

/** The engine side of socket.io-client, as far as this transport listens to it (public events of engine.io-client). */
interface EngineLike {
  on(event: string, fn: (...args: never[]) => void): unknown;
  off(event: string, fn?: (...args: never[]) => void): unknown;
  readonly transport?: { readonly name?: string };
}

/**
 * The innermost cause socket.io-client hands over: a TransportError wraps the transport's error event,
 * which wraps the socket's error (ws: "Max payload size exceeded"; net: ECONNRESET...).
 */
function innerCause(d: unknown, depth = 0): string | undefined {
  if (!d || typeof d !== 'object' || depth > 4) return undefined;
  const o = d as { description?: unknown; error?: unknown; message?: unknown; code?: unknown };
  const deeper = innerCause(o.error, depth + 1) ?? innerCause(o.description, depth + 1);
  if (deeper) return deeper;
  if (typeof o.code === 'string') return describeError(d).message;
  return typeof o.message === 'string' && o.message && !/^(websocket|xhr poll|xhr post) error$/.test(o.message) ? o.message : undefined;
}

/** Words for the reasons socket.io-client gives a disconnect. */
function disconnectWords(reason: string, description?: unknown): string {
  let desc = innerCause(description);
  if (desc && /max payload size exceeded/i.test(desc)) desc = `a message from the server is over the ${MAX_MESSAGE_BYTES / 1048576} MiB limit`;
  switch (reason) {
    case 'transport close':
      return desc ? `connection lost: ${desc}` : 'connection lost (the server closed the connection)';
    case 'transport error':
      return desc ? `connection lost: ${desc}` : 'connection lost (transport error)';
    case 'ping timeout':
      return 'connection lost: no Engine.IO ping from the server within pingInterval + pingTimeout';
    case 'parse error':
      return 'malformed packet from the server';
    case 'forced close':
      return 'connection closed';
    default:
      return reason;
  }
}

/** Binary anywhere in a value (Buffers, typed arrays, ArrayBuffers), bounded in depth. */
function hasBinary(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return true;
  if (depth > 20) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasBinary(x, depth + 1)) return true;
    return false;
  }
  for (const k in v) if (hasBinary((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

/** One JSON value per argument; Buffers become the protocol's own placeholders, listed in `attachments`. */
function argsJson(args: unknown[]): { text: string; attachments: Uint8Array[] } {
  let binary = false;
  for (const a of args) if (hasBinary(a, 0)) binary = true;
  if (!binary) return { text: JSON.stringify(args) ?? '[]', attachments: NO_ATTACHMENTS };
  const attachments: Uint8Array[] = [];
  const text = JSON.stringify(args, function (this: unknown, k, v: unknown) {
    const raw = (this as Record<string, unknown>)[k];
    const bytes = raw instanceof Uint8Array ? raw : raw instanceof ArrayBuffer ? new Uint8Array(raw) : undefined;
    if (bytes) {
      attachments.push(bytes);
      return { _placeholder: true, num: attachments.length - 1 };
    }
    return v;
  });
  return { text, attachments };
}
const NO_ATTACHMENTS: Uint8Array[] = [];

class SocketIoTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private manager: Manager | undefined;
  private socket: Socket | undefined;
  private namespace = '/';
  /** Every HTTP request and WebSocket of the session goes through this agent, so that closing leaves nothing behind. */
  private agent: http.Agent | undefined;
  /** Counts connection attempts; handlers of an older attempt do nothing. */
  private gen = 0;
  private ackRef = 0;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => {
      this.gen++;
      const s = this.socket;
      this.socket = undefined;
      s?.offAny();
      s?.removeAllListeners();
      s?.disconnect();
      this.manager = undefined;
      // A long-polling request still waiting for its answer is not aborted by socket.io-client: end it here.
      this.agent?.destroy();
    });
  }

  start(): void {
    const problem = checkUrl(this.options.url, socketioPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const u = new URL(this.options.url.trim());
    // socket.io-client speaks http(s) for polling and ws(s) for the upgrade by itself.
    const origin = `${u.protocol === 'wss:' || u.protocol === 'https:' ? 'https' : 'http'}://${u.host}`;
    this.namespace = decodeURIComponent(u.pathname) || '/';
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) query[k] = v;
    Object.assign(query, this.options.socketio?.query ?? {});
    const o = this.options.socketio ?? {};
    const transport = o.transport ?? 'auto';
    const tls = nodeTlsOptions(this.options.tls);
    // User info in the URL is HTTP Basic authentication on the Engine.IO requests (never part of a logged URL).
    const headers: Record<string, string> = { ...this.options.headers };
    if ((u.username || u.password) && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
      headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    }
    this.agent = origin.startsWith('https:') ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
    this.manager = new Manager(origin, {
      path: o.path ?? '/socket.io/',
      // Received events carry their argument text as sent (wireArgs.ts): logged without serialising them again.
      parser: wireArgsParser,
      reconnection: false,
      autoConnect: false,
      transports: transport === 'auto' ? ['polling', 'websocket'] : [transport],
      upgrade: transport === 'auto',
      query,
      timeout: this.options.connectTimeoutMs ?? 10_000,
      ...(Object.keys(headers).length ? { extraHeaders: headers } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
      // engine.io-client hands this to ws: a bigger message closes the connection instead of filling memory.
      ...({ maxPayload: MAX_MESSAGE_BYTES, agent: this.agent } as object),
    });
    this.socket = this.manager.socket(this.namespace, o.auth ? { auth: o.auth } : {});
    this.connect();
  }

  private connect(): void {
    const socket = this.socket;
    const manager = this.manager;
    if (!socket || !manager || this.lc.stopped) return;
    const gen = ++this.gen;
    const { sink, options } = this;
    const live = () => gen === this.gen && !this.lc.ended;
    this.lc.connecting(options.url, { namespace: this.namespace, transport: options.socketio?.transport ?? 'auto' });
    const t0 = sink.now();
    let engineOpenAt: number | undefined;
    let opened = false;
    let finished = false;
    let nspTimer: NodeJS.Timeout | undefined;
    const connectTimeout = options.connectTimeoutMs ?? 10_000;

    /** This attempt is over: release it, then the lifecycle decides (fail, give up, or connect again). */
    const finish = (cause: string, code?: string, reported = false) => {
      if (finished || !live()) return;
      finished = true;
      clearTimeout(nspTimer);
      detachEngine();
      socket.off('connect', onConnect);
      socket.off('connect_error', onConnectError);
      socket.off('disconnect', onDisconnect);
      // Release the engine (the socket stays, with its session id and offset, for the next attempt).
      socket.disconnect();
      if (this.lc.closing) return this.lc.finishClose();
      const plan = this.lc.dropped(cause, { errorCode: code, reported });
      if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => go && this.connect());
    };

    const onConnect = () => {
      if (!live()) return;
      clearTimeout(nspTimer);
      opened = true;
      const now = sink.now();
      const engine = manager.engine as unknown as EngineLike | undefined;
      const transportName = engine?.transport?.name;
      // No socket-level phases through the library: the first answer (the Engine.IO open) is the time to first byte, the namespace joined the total.
      sink.timing({ dns: null, connect: null, tls: null, ttfb: engineOpenAt !== undefined ? engineOpenAt - t0 : null, download: null, total: now - t0 }, { handshake: true });
      const recovered = socket.recovered === true;
      sink.frame('in', `CONNECT ${this.namespace}: joined as ${socket.id ?? '?'}${recovered ? ', connection state recovered (missed events follow)' : ''}`, {
        control: true,
        meta: { packet: 'CONNECT', namespace: this.namespace, sid: socket.id, ...(recovered ? { recovered: true } : {}) },
      });
      this.lc.opened(options.url, { namespace: this.namespace, sid: socket.id, transport: transportName, ...(recovered ? { recovered: true } : {}) });
      for (const e of options.socketio?.emit ?? []) this.emit(e.event, e.args ?? [], e.ack ?? options.socketio?.ack ?? false);
      for (const text of options.send ?? []) this.emit('message', [text], options.socketio?.ack ?? false);
    };

    const onConnectError = (err: Error & { type?: string; description?: unknown; data?: unknown }) => {
      if (!live() || finished) return;
      if (err.type === 'TransportError' || /^(xhr poll error|websocket error|server error|timeout)$/.test(err.message)) {
        // The engine could not open: say what is at that address in one line.
        void this.diagnose(err).then((d) => finish(d.message, d.code));
        return;
      }
      if (/server in v2\.x/.test(err.message)) return finish(V2_MESSAGE, 'ERR_SOCKETIO_V2');
      // CONNECT_ERROR: the namespace (or its middleware) refused us; the message is the server's.
      const data = err.data !== undefined ? ` (data: ${truncate(JSON.stringify(err.data) ?? '', 200)})` : '';
      const message = `the server refused namespace ${this.namespace}: ${err.message || 'no reason given'}${data}`;
      sink.frame('in', `CONNECT_ERROR ${this.namespace}: ${err.message}${data}`, { control: true, meta: { packet: 'CONNECT_ERROR', namespace: this.namespace, message: err.message, ...(err.data !== undefined ? { data: err.data } : {}) } });
      finish(message, 'ERR_SOCKETIO_REFUSED');
    };

    const onDisconnect = (reason: string, description?: unknown) => {
      if (!live() || finished) return;
      if (reason === 'io server disconnect') {
        sink.frame('in', `DISCONNECT ${this.namespace}: the server ended the namespace session`, { control: true, meta: { packet: 'DISCONNECT', namespace: this.namespace } });
        if (this.lc.closing) return finish('closed');
        finished = true;
        clearTimeout(nspTimer);
        detachEngine();
        // The server said goodbye on purpose: the conversation is over (socket.io-client does not reconnect either).
        return this.lc.end('closed', `the server disconnected namespace ${this.namespace}`);
      }
      if (reason === 'io client disconnect' && this.lc.closing) return finish('closed');
      const why = this.lc.reconnectRequested ? 'reconnect requested by user' : disconnectWords(reason, description);
      finish(opened ? why : `connection closed before namespace ${this.namespace} was joined: ${why}`);
    };

    socket.on('connect', onConnect);
    socket.on('connect_error', onConnectError);
    socket.on('disconnect', onDisconnect);
    if (!this.listening) this.listenEvents(socket);
    socket.connect();

    // The engine of this attempt: the Engine.IO open, ping/pong and the transport upgrade, in words.
    const engine = manager.engine as unknown as EngineLike;
    const onHandshake = (h: { sid?: string; pingInterval?: number; pingTimeout?: number; upgrades?: string[]; maxPayload?: number }) => {
      if (!live()) return;
      engineOpenAt = sink.now();
      const tname = engine.transport?.name ?? '?';
      sink.frame('in', `Engine.IO open: sid ${h.sid}, pingInterval ${h.pingInterval} ms, pingTimeout ${h.pingTimeout} ms, transport ${tname}${h.upgrades?.length ? `, upgrades ${h.upgrades.join(', ')}` : ''}`, {
        control: true,
        meta: { packet: 'open', sid: h.sid, pingInterval: h.pingInterval, pingTimeout: h.pingTimeout, upgrades: h.upgrades, maxPayload: h.maxPayload, transport: tname },
      });
      sink.frame('out', `CONNECT ${this.namespace}${options.socketio?.auth ? ` with auth (${Object.keys(options.socketio.auth).join(', ') || 'empty'})` : ''}`, {
        control: true,
        meta: { packet: 'CONNECT', namespace: this.namespace, ...(options.socketio?.auth ? { authKeys: Object.keys(options.socketio.auth) } : {}) },
      });
      // A server that opens the engine but never answers the namespace CONNECT.
      nspTimer = setTimeout(() => finish(`the server opened the Engine.IO session but did not answer the CONNECT to namespace ${this.namespace} within ${connectTimeout} ms`, 'ETIMEDOUT'), connectTimeout);
      nspTimer.unref?.();
    };
    // In Engine.IO 4 the server pings and the client answers with a pong at once: the pong being created is
    // the sign of the ping (engine.io-client creates it before it emits its own 'ping'), so both are logged here.
    const onPacketCreate = (p: { type: string; data?: unknown }) => {
      if (p.type !== 'pong' || !live()) return;
      sink.frame('in', 'ping', { control: true, meta: { packet: 'ping' } });
      sink.frame('out', 'pong', { control: true, meta: { packet: 'pong' } });
    };
    let upgradeFrom: string | undefined;
    const onUpgrading = (t: { name?: string }) => {
      if (!live()) return;
      upgradeFrom = engine.transport?.name;
      sink.frame('in', `upgrading ${upgradeFrom ?? '?'} → ${t.name}: the probe was answered`, { control: true, meta: { packet: 'upgrading', from: upgradeFrom, to: t.name } });
    };
    const onUpgrade = (t: { name?: string }) => {
      if (!live()) return;
      sink.frame('out', `upgraded ${upgradeFrom ?? '?'} → ${t.name}`, { control: true, meta: { packet: 'upgrade', from: upgradeFrom, transport: t.name } });
    };
    const onUpgradeError = (err: Error & { transport?: string }) => {
      if (!live()) return;
      sink.frame('in', `upgrade to ${err.transport ?? 'websocket'} failed (${err.message}); staying on ${engine.transport?.name ?? 'polling'}`, { control: true, meta: { packet: 'upgradeError', transport: err.transport, message: err.message } });
    };
    engine.on('handshake', onHandshake as never);
    engine.on('packetCreate', onPacketCreate as never);
    engine.on('upgrading', onUpgrading as never);
    engine.on('upgrade', onUpgrade as never);
    engine.on('upgradeError', onUpgradeError as never);
    const detachEngine = () => {
      engine.off('handshake', onHandshake as never);
      engine.off('packetCreate', onPacketCreate as never);
      engine.off('upgrading', onUpgrading as never);
      engine.off('upgrade', onUpgrade as never);
      engine.off('upgradeError', onUpgradeError as never);
    };
  }

  private listening = false;
  /** The server recovers connection state: its events carry an offset as their last argument. */
  private recovery = false;

  /** Received events: one in frame each, on the event's name (listeners stay across attempts: one socket). */
  private listenEvents(socket: Socket): void {
    this.listening = true;
    socket.onAny((event: string, ...args: unknown[]) => {
      // The argument text as received (wireArgs.ts), which no listener but this one ever sees.
      const wire = args[0] instanceof WireArgs ? (args.shift() as WireArgs).text : undefined;
      if (this.lc.ended) return;
      const wantsAck = args.length > 0 && typeof args[args.length - 1] === 'function';
      if (wantsAck) args = args.slice(0, -1);
      let meta: Record<string, unknown> | undefined = wantsAck ? { ackRequested: true } : undefined;
      // A server with connection-state recovery appends its offset to every event: protocol, not an argument.
      if (this.recovery && args.length > 0 && typeof args[args.length - 1] === 'string') {
        meta = { ...meta, offset: args[args.length - 1] };
        args = args.slice(0, -1);
        // The offset is in the text too: serialise the arguments without it.
        this.logEvent('in', event, args, meta);
        return;
      }
      if (wire !== undefined) this.sink.frame('in', wire, meta ? { channel: event, meta } : { channel: event });
      else this.logEvent('in', event, args, meta);
    });
    // The namespace's CONNECT answer says whether the server recovers connection state (a `pid`).
    this.manager?.on('packet', (p: { type: number; nsp: string; data?: unknown }) => {
      if (p.type === 0 && p.nsp === this.namespace) this.recovery = !!p.data && typeof (p.data as { pid?: unknown }).pid === 'string';
    });
  }

  /** One frame for an event: an only binary argument is a binary frame; otherwise JSON, attachments as placeholders. */
  private logEvent(dir: 'in' | 'out', event: string, args: unknown[], meta?: Record<string, unknown>): void {
    const only = args.length === 1 ? args[0] : undefined;
    if (only instanceof Uint8Array || only instanceof ArrayBuffer) {
      const bytes = only instanceof Uint8Array ? only : new Uint8Array(only);
      this.sink.frame(dir, bytes, { channel: event, binary: true, meta: { ...meta, attachments: 1 } });
      return;
    }
    const { text, attachments } = argsJson(args);
    if (attachments.length === 0) {
      this.sink.frame(dir, text, meta ? { channel: event, meta } : { channel: event });
      return;
    }
    const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, 64)).toString('hex') + (b.byteLength > 64 ? '…' : '');
    this.sink.frame(dir, text, { channel: event, meta: { ...meta, attachments: attachments.map((b, num) => ({ num, bytes: b.byteLength, hex: hex(b) })) } });
  }

  private emit(event: string, args: unknown[], ack: boolean): void {
    const socket = this.socket;
    if (!socket) return;
    if (!ack) {
      socket.emit(event, ...args);
      this.logEvent('out', event, args);
      return;
    }
    const ref = ++this.ackRef;
    const sentAt = this.sink.now();
    const timeout = this.options.socketio?.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    socket.timeout(timeout).emit(event, ...args, (err: Error | null, ...reply: unknown[]) => {
      if (this.lc.ended) return;
      const rttMs = Math.round((this.sink.now() - sentAt) * 100) / 100;
      if (err) {
        this.sink.frame('in', `no ack for "${event}" within ${timeout} ms`, { channel: event, control: true, meta: { packet: 'ACK', ack: false, ackRef: ref, timeout: true, rttMs } });
        return;
      }
      this.logEvent('in', event, reply, { ack: true, ackRef: ref, rttMs });
    });
    this.logEvent('out', event, args, { ackRequested: true, ackRef: ref });
  }

  /**
   * Why the engine did not open, in one line: socket.io-client only says "xhr poll error" or "websocket
   * error", so ask the Engine.IO endpoint once by plain HTTP (refused, not Socket.IO, a v2 server...).
   */
  private async diagnose(err: Error & { description?: unknown }): Promise<{ message: string; code?: string }> {
    const desc = err.description;
    if (desc instanceof Error && (desc as { code?: string }).code) return describeError(desc, this.options.url);
    const u = new URL(this.options.url.trim());
    const secure = u.protocol === 'https:' || u.protocol === 'wss:';
    const path = (this.options.socketio?.path ?? '/socket.io/').replace(/\/?$/, '/');
    const target = `${secure ? 'https' : 'http'}://${u.host}${path}?EIO=4&transport=polling`;
    const got = await new Promise<{ status?: number; body?: Buffer; error?: unknown }>((resolve) => {
      const req = (secure ? https : http).get(target, { ...nodeTlsOptions(this.options.tls), headers: this.options.headers, timeout: 3000 }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 512) chunks.push(c);
          size += c.length;
          if (size >= 512) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).subarray(0, 512) });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (error) => resolve({ error }));
    });
    if (got.error) return describeError(got.error, this.options.url);
    const body = got.body ?? Buffer.alloc(0);
    const text = body.toString('latin1');
    // Engine.IO 3 frames its polling payloads with lengths: `96:0{"sid"...` as text, 0x00 <digits> 0xff as binary.
    if (/^\d+:0\{/.test(text) || (body[0] === 0 && body.indexOf(0xff) > 0 && body[body.indexOf(0xff) + 1] === 0x30)) return { message: V2_MESSAGE, code: 'ERR_SOCKETIO_V2' };
    if (got.status !== undefined && got.status !== 200) {
      return { message: `no Socket.IO server at ${path} (HTTP ${got.status} from the Engine.IO endpoint; the engine path is set with --path)`, code: 'ERR_SOCKETIO_HANDSHAKE' };
    }
    if (!text.startsWith('0{')) {
      return { message: `not a Socket.IO server: the Engine.IO handshake at ${path} answered ${JSON.stringify(truncate(text.replace(/[^\x20-\x7e]/g, '.'), 60))}`, code: 'ERR_SOCKETIO_HANDSHAKE' };
    }
    return { message: `the Engine.IO connection failed: ${err.message}${typeof desc === 'string' ? ` (${truncate(desc, 100)})` : desc instanceof Error ? ` (${truncate(desc.message, 100)})` : ''}`, code: 'ERR_SOCKETIO_TRANSPORT' };
  }

  async send(msg: OutboundMessage): Promise<void> {
    const socket = this.socket;
    if (!socket || !socket.connected || this.lc.down) throw new Error('The Socket.IO namespace is not joined');
    const event = msg.channel?.trim() || 'message';
    let args: unknown[];
    if (typeof msg.data !== 'string') args = [Buffer.from(msg.data)];
    else if (msg.channel === undefined) args = [msg.data];
    else {
      const text = msg.data.trim();
      if (text === '') args = [];
      else {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          throw new Error(`The arguments of "${event}" are not JSON (a JSON array is the argument list; any other value is one argument)`);
        }
        args = Array.isArray(value) ? value : [value];
      }
    }
    this.emit(event, args, msg.meta?.ack === true || (msg.meta?.ack === undefined && this.options.socketio?.ack === true));
  }

  reconnect(): void {
    this.lc.requestReconnect(() => {
      const engine = this.manager?.engine as unknown as { close?: () => void } | undefined;
      engine?.close?.();
    });
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      const socket = this.socket;
      if (!socket || !socket.connected) return this.lc.finishClose();
      this.sink.frame('out', `DISCONNECT ${this.namespace}`, { control: true, meta: { packet: 'DISCONNECT', namespace: this.namespace } });
      // The DISCONNECT packet goes out, then the engine closes.
      socket.disconnect();
      this.lc.finishClose();
    });
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
