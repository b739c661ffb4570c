/**
 * The capture proxy: Wirescope in the middle of the user's app and its backend.
 *
 * Reverse mode listens on loopback and sends everything to one target; forward mode is an HTTP
 * proxy for HTTP_PROXY (absolute-form requests, CONNECT tunnels passed through undecrypted).
 * Every exchange is decoded by pattern from the bytes that pass and reported through the
 * session's sink: HTTP requests and responses with timing for both hops, WebSocket frames both
 * ways, SSE events and NDJSON lines as they pass, long polls by their hold time.
 *
 * Forwarding comes first: each chunk is written to the other side before it is decoded, bodies
 * and frames pass unchanged and in order, back-pressure holds both ways, and decoding keeps only
 * what it needs (a frame header, a line or event up to the preview limit).
 * Directions: out = client -> backend, in = backend -> client. Every per-connection event carries
 * `meta.conn` (connection id) and `meta.client` (the client's address).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import type { ProxyOptions, TlsOptions } from '../../shared/connectOptions';
import { Emitter } from '../emitter';
import { describeError } from '../errors';
import { redactHeaders, redactUrl } from '../httpClient';
import { BodyDecoder, malformed, MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from '../http1Response';
import { LineSplitter } from '../lineSplitter';
import { RequestTiming } from '../netTiming';
import { nodeTlsOptions } from '../tlsOptions';
import type { TransportSink } from '../transport';
import { RecordingSink, type RecorderStats } from './recorder';
import { isLoopbackHost, parseListen } from '../webhookReceiver';
import { SseParser } from './sseParser';
import { Valve, type ValveDestination, type ValveMode } from './valve';
import { closeFrame, WsFrameParser, type WsMessage } from './wsFrames';

export type ProxyFault =
  | { type: 'cut' }
  | { type: 'stall' }
  | { type: 'slow'; bytesPerSecond: number }
  | { type: 'half-close'; side?: 'client' | 'backend' }
  | { type: 'resume' };

export type ProxyConnectionKind = 'http' | 'websocket' | 'upgrade' | 'tunnel';

/** One live client connection, for lists (the Sessions tree) and faults. */
export interface ProxyConnectionInfo {
  id: string;
  client: string;
  kind: ProxyConnectionKind;
  /** The last request line's target (`GET /sse`), or the tunnel's host:port. */
  label: string;
  openedAt: number;
  exchanges: number;
  bytes: { out: number; in: number };
  fault?: ValveMode;
}

/** A start-up failure, already worded for people (one line) with a stable code. */
export class ProxyStartError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface CaptureProxyOptions extends ProxyOptions {
  /** Reverse mode: the backend's base URL. */
  target?: string;
  tls?: TlsOptions;
  connectTimeoutMs?: number;
  previewLimit: number;
  sink: TransportSink;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade', 'expect']);
const TEXT_TYPE = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded|javascript|x-ndjson|jsonl|jsonlines|json-seq)\b)/i;
const NDJSON_TYPE = /^application\/(x-ndjson|ndjson|jsonl|x-jsonl|jsonlines|x-jsonlines|json-seq|stream\+json)\b/i;
const SSE_TYPE = /^text\/event-stream\b/i;
const MAX_UPGRADE_HEAD = 64 * 1024;
/** Decoded bytes of one compressed body worth inflating for the log; past this only wire bytes are counted. */
const MAX_INFLATE = 256 * 1024 * 1024;
const WS_TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** Inflated bytes of one WebSocket message worth keeping for the log. */
const MAX_WS_INFLATE = 64 * 1024 * 1024;

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Headers for the log: credentials masked (Authorization, Cookie, Set-Cookie...). */
function logHeaders(raw: readonly string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i];
    h[k] = h[k] === undefined ? raw[i + 1] : `${h[k]}, ${raw[i + 1]}`;
  }
  const out = redactHeaders(h);
  for (const k of Object.keys(out)) if (k.toLowerCase() === 'set-cookie') out[k] = out[k].replace(/=[^;,]*/, '=***');
  return out;
}

function headerOf(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() === name) return raw[i + 1];
  return undefined;
}

function isText(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_TYPE.test(contentType.trim());
}

/** Keeps the first `limit` bytes of a body and counts all of it. */
class Preview {
  private chunks: Buffer[] = [];
  kept = 0;
  size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.size += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    // Copy: the source may reuse its buffer.
    this.chunks.push(Buffer.from(piece));
    this.kept += piece.length;
  }
  get bytes(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.kept);
  }
}

interface IdleBackend {
  /** Which target the connection is to (backendKey). */
  key: string;
  socket: net.Socket;
  onClose(): void;
  onData(): void;
}

/** Idle backend connections one client connection keeps (more only when it pipelines). */
const MAX_IDLE_BACKENDS = 4;
const CRLF_BYTES = Buffer.from('\r\n');

interface Conn {
  id: string;
  client: string;
  socket: net.Socket;
  kind: ProxyConnectionKind;
  label: string;
  openedAt: number;
  exchanges: number;
  bytesOut: number;
  bytesIn: number;
  mode: ValveMode;
  bytesPerSecond: number;
  valves: Set<Valve>;
  upstream: Set<net.Socket>;
  /** Backend connections kept alive for this client connection's next requests. */
  idle: IdleBackend[];
  /** Requests waiting for a stall to end. */
  waiters: Array<() => void>;
  /** WebSocket connections: parsers per direction, to close cleanly at a frame boundary. */
  ws?: { toBackend: WsFrameParser; toClient: WsFrameParser; backend: net.Socket };
  closed: boolean;
  /** Cut on purpose: its FAULT_INJECTED line says why it ended, so the resets that follow are not reported again. */
  cut?: boolean;
}

interface Target {
  secure: boolean;
  host: string;
  port: number;
  /** Path prefix of a reverse target (`/api`), '' for none. */
  base: string;
  /** Host header value of the target. */
  hostHeader: string;
  /** The URL shown in logs for a request path. */
  url(path: string): string;
}

function backendKey(t: Target): string {
  return `${t.secure ? 'https' : 'http'}://${t.host}:${t.port}`;
}

function targetFromUrl(u: URL): Target {
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const base = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  const origin = `${secure ? 'https' : 'http'}://${u.host}`;
  return { secure, host, port, base, hostHeader: u.host, url: (path) => redactUrl(origin + base + path) };
}

export class CaptureProxy {
  private server: http.Server | undefined;
  private readonly conns = new Map<string, Conn>();
  private readonly bySocket = new WeakMap<net.Socket, Conn>();
  private connCounter = 0;
  private exchangeCounter = 0;
  private readonly target: Target | undefined;
  private readonly tlsOpts: ReturnType<typeof nodeTlsOptions>;
  /** Reports go through the recorder: forwarding never waits for the log (src/core/proxy/recorder.ts). */
  private readonly sink: RecordingSink;
  private readonly longPollMs: number;
  private readonly forwarded: boolean;
  private closing = false;
  private listenHost = '127.0.0.1';
  private listenPort = 0;
  /** Totals for the summary. */
  readonly totals = { connections: 0, exchanges: 0, websockets: 0, tunnels: 0, sseEvents: 0, lines: 0, longPolls: 0, bytesFromClients: 0, bytesFromBackends: 0 };
  url = '';
  private readonly changed = new Emitter<void>();
  /** Connections opened, closed or changed fault. */
  readonly onDidChangeConnections = this.changed.event;

  constructor(private readonly opts: CaptureProxyOptions) {
    this.sink = new RecordingSink(opts.sink);
    this.tlsOpts = nodeTlsOptions(opts.tls);
    this.longPollMs = opts.longPollMs ?? 1000;
    this.forwarded = opts.forwardedHeaders ?? !opts.forward;
    if (!opts.forward) {
      if (!opts.target) throw new Error('The capture proxy needs a target URL (or forward mode)');
      let u: URL;
      try {
        u = new URL(opts.target);
      } catch {
        throw new Error(`Invalid target URL: "${redactUrl(opts.target)}"`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`Unsupported target scheme "${u.protocol}": the target is an http:// or https:// URL (WebSocket upgrades to it pass through)`);
      if (!u.hostname) throw new Error(`Invalid target URL: "${redactUrl(opts.target)}" has no host`);
      this.target = targetFromUrl(u);
    }
  }

  /** Check the target answers (TCP, and TLS for https), so a wrong --target fails with one line at start. */
  async probe(): Promise<void> {
    const t = this.target;
    if (!t) return;
    const where = `${t.host}:${t.port}`;
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
      const socket = t.secure
        ? tls.connect({ host: t.host, port: t.port, servername: net.isIP(t.host) ? undefined : t.host, ...this.tlsOpts, ALPNProtocols: ['http/1.1'] })
        : net.connect({ host: t.host, port: t.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ProxyStartError(`Target unreachable: ${where} did not answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      socket.once(t.secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.end();
        socket.destroy();
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        const d = describeError(err, where);
        reject(new ProxyStartError(`Target unreachable: ${d.message}`, d.code ?? 'ERR_TARGET'));
      });
    });
  }

  /** Start listening; resolves with the proxy URL. Rejects with a one-line Error. */
  async start(): Promise<string> {
    const want = parseListen(this.opts.listen);
    if (!isLoopbackHost(want.host) && !this.opts.allowRemote) {
      throw new ProxyStartError(`Listening on ${want.host} would let other machines use this proxy; give the explicit allow-remote option (--allow-remote) to do that`, 'ERR_NON_LOOPBACK');
    }
    const server = http.createServer({ noDelay: true, requestTimeout: 0, keepAlive: true });
    server.timeout = 0;
    server.keepAliveTimeout = 5000;
    this.server = server;
    server.on('connection', (socket: net.Socket) => this.accept(socket));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onConnect(req, socket, head));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
      if (socket.writable && !socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
      if (err.code !== 'ECONNRESET') this.sink.error(`${this.connLabel(socket)}: malformed request from the client: ${describeError(err).message}`, err.code ?? 'ERR_BAD_REQUEST');
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        const d = describeError(err, `${want.host}:${want.port}`);
        reject(new ProxyStartError(d.code === 'EADDRINUSE' ? `${d.message}: choose another listen port (port 0 picks a free one)` : d.message, d.code ?? 'ERR_LISTEN'));
      };
      server.once('error', onError);
      server.listen({ host: want.host, port: want.port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.sink.error(`Proxy listener: ${describeError(err).message}`, (err as NodeJS.ErrnoException).code));
    const addr = server.address() as net.AddressInfo;
    this.listenHost = want.host;
    this.listenPort = addr.port;
    const hostInUrl = want.host.includes(':') ? `[${want.host}]` : want.host;
    this.url = `http://${hostInUrl}:${addr.port}/`;
    return this.url;
  }

  /** Where the proxy listens, as host:port. */
  get listenAddress(): string {
    return `${this.listenHost.includes(':') ? `[${this.listenHost}]` : this.listenHost}:${this.listenPort}`;
  }

  /** The target as shown (credentials masked); undefined in forward mode. */
  get targetLabel(): string | undefined {
    return this.opts.target ? redactUrl(this.opts.target) : undefined;
  }

  // ------------------------------------------------------------------ connections

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const id = `c${++this.connCounter}`;
    const client = `${socket.remoteAddress?.includes(':') ? `[${socket.remoteAddress}]` : socket.remoteAddress}:${socket.remotePort}`;
    const conn: Conn = {
      id,
      client,
      socket,
      kind: 'http',
      label: '',
      openedAt: Date.now(),
      exchanges: 0,
      bytesOut: 0,
      bytesIn: 0,
      mode: 'pass',
      bytesPerSecond: 0,
      valves: new Set(),
      upstream: new Set(),
      idle: [],
      waiters: [],
      closed: false,
    };
    this.totals.connections++;
    this.conns.set(id, conn);
    this.bySocket.set(socket, conn);
    socket.on('error', () => undefined);
    socket.once('close', () => this.dropConn(conn));
    if (this.closing) socket.destroy();
    this.changed.fire();
  }

  private dropConn(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    for (const v of conn.valves) v.stop();
    for (const s of conn.upstream) s.destroy();
    conn.idle = [];
    this.conns.delete(conn.id);
    this.changed.fire();
  }

  private connLabel(socket: net.Socket): string {
    const c = this.bySocket.get(socket);
    return c ? `connection ${c.id} from ${c.client}` : 'a client';
  }

  /** Live connections now. */
  connections(): ProxyConnectionInfo[] {
    return [...this.conns.values()].map((c) => {
      const info: ProxyConnectionInfo = { id: c.id, client: c.client, kind: c.kind, label: c.label, openedAt: c.openedAt, exchanges: c.exchanges, bytes: { out: c.bytesOut, in: c.bytesIn } };
      if (c.mode !== 'pass') info.fault = c.mode;
      return info;
    });
  }

  /**
   * A fault on purpose on one live connection (or on all of them with `*`): cut both sides, stall
   * both directions, slow the bytes towards the client, half-close one side, or resume.
   * Returns how many connections it applied to.
   */
  inject(connId: string, fault: ProxyFault): number {
    const targets = connId === '*' ? [...this.conns.values()] : [this.conns.get(connId)].filter((c): c is Conn => c !== undefined);
    for (const c of targets) {
      const what = fault.type === 'slow' ? `slow to ${fault.bytesPerSecond} B/s` : fault.type === 'half-close' ? `half-close towards the ${fault.side ?? 'client'}` : fault.type;
      this.sink.error(`Fault injected on ${c.id} (${c.client}): ${what}`, 'FAULT_INJECTED');
      switch (fault.type) {
        case 'cut':
          c.cut = true;
          c.socket.destroy();
          for (const s of c.upstream) s.destroy();
          break;
        case 'half-close':
          if ((fault.side ?? 'client') === 'client') c.socket.end();
          else for (const s of c.upstream) s.end();
          break;
        case 'stall':
        case 'slow':
        case 'resume':
          c.mode = fault.type === 'resume' ? 'pass' : fault.type;
          if (fault.type === 'slow') c.bytesPerSecond = Math.max(1, fault.bytesPerSecond);
          for (const v of c.valves) v.changed();
          if (c.mode !== 'stall') for (const w of c.waiters.splice(0)) w();
          break;
      }
    }
    if (targets.length > 0) this.changed.fire();
    return targets.length;
  }

  private baseMeta(conn: Conn, exchange: number): Record<string, unknown> {
    return { conn: conn.id, client: conn.client, exchange };
  }

  /** Where a request goes, from the reverse target or (forward mode) the request itself. */
  private route(req: http.IncomingMessage): { target: Target; path: string } | { error: string; status: number } {
    const raw = req.url ?? '/';
    if (this.target) {
      const path = raw.startsWith('/') ? raw : '/' + raw.replace(/^[a-z]+:\/\/[^/]*/i, '');
      return { target: this.target, path: this.target.base + (path || '/') };
    }
    let u: URL;
    try {
      u = /^[a-z]+:\/\//i.test(raw) ? new URL(raw) : new URL(`http://${req.headers.host ?? ''}${raw}`);
    } catch {
      return { error: `This is a forward proxy: the request target must be an absolute URL, got "${raw.slice(0, 200)}"`, status: 400 };
    }
    if (!/^(https?|wss?):$/.test(u.protocol) || !u.hostname) return { error: `Unsupported URL for this proxy: ${redactUrl(u)}`, status: 400 };
    // The destination's origin only: the path is the request's own.
    const t = targetFromUrl(new URL(`${u.protocol}//${u.host}/`));
    if ((t.host === this.listenHost || isLoopbackHost(t.host)) && t.port === this.listenPort) return { error: 'The request was addressed to this proxy itself (a loop)', status: 508 };
    return { target: t, path: u.pathname + u.search };
  }

  /** Request headers towards the backend: hop-by-hop removed, Host and X-Forwarded-* as configured. Raw, case kept. */
  private upstreamHeaders(req: http.IncomingMessage, target: Target, keepUpgrade: boolean): string[] {
    const raw = req.rawHeaders;
    const out: string[] = [];
    const connectionTokens = new Set((headerOf(raw, 'connection') ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
    let xff: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i];
      const lower = name.toLowerCase();
      if (keepUpgrade && (lower === 'connection' || lower === 'upgrade')) {
        out.push(name, raw[i + 1]);
        continue;
      }
      if (HOP_BY_HOP.has(lower) || (connectionTokens.has(lower) && !keepUpgrade)) continue;
      if (lower === 'host') {
        out.push(name, this.opts.keepHost || this.opts.forward ? raw[i + 1] : target.hostHeader);
        continue;
      }
      if (this.forwarded && lower === 'x-forwarded-for') {
        xff = xff ? `${xff}, ${raw[i + 1]}` : raw[i + 1];
        continue;
      }
      if (this.forwarded && (lower === 'x-forwarded-proto' || lower === 'x-forwarded-host')) continue;
      out.push(name, raw[i + 1]);
    }
    if (headerOf(out, 'host') === undefined) out.unshift('Host', target.hostHeader);
    if (this.forwarded) {
      const ip = req.socket.remoteAddress ?? '';
      out.push('X-Forwarded-For', xff ? `${xff}, ${ip}` : ip);
      out.push('X-Forwarded-Proto', 'http');
      const clientHost = headerOf(raw, 'host');
      if (clientHost) out.push('X-Forwarded-Host', clientHost);
    }
    return out;
  }

  /** A kept-alive backend connection of this client connection to `target`, or a new one. */
  private backendSocket(conn: Conn, target: Target): { socket: net.Socket; reused: boolean } {
    const key = backendKey(target);
    for (let i = conn.idle.length - 1; i >= 0; i--) {
      const idle = conn.idle[i];
      if (idle.key !== key) continue;
      conn.idle.splice(i, 1);
      idle.socket.off('close', idle.onClose);
      idle.socket.off('data', idle.onData);
      if (idle.socket.destroyed || !idle.socket.writable) continue;
      idle.socket.resume();
      return { socket: idle.socket, reused: true };
    }
    const socket = target.secure
      ? tls.connect({ host: target.host, port: target.port, ...this.tlsOpts, servername: this.tlsOpts.servername ?? (net.isIP(target.host) ? undefined : target.host), ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    conn.upstream.add(socket);
    socket.once('close', () => conn.upstream.delete(socket));
    socket.on('error', () => undefined);
    return { socket, reused: false };
  }

  /**
   * A backend connection whose exchange ended cleanly goes back to its client connection for the next
   * request (the backend connection mirrors the client's, as before); anything it says while idle, or
   * its close, takes it out.
   */
  private releaseBackend(conn: Conn, target: Target, socket: net.Socket): void {
    if (conn.closed || this.closing || socket.destroyed || !socket.writable || conn.idle.length >= MAX_IDLE_BACKENDS) {
      socket.destroy();
      return;
    }
    socket.resume();
    const entry: IdleBackend = {
      key: backendKey(target),
      socket,
      onClose: () => {
        const i = conn.idle.indexOf(entry);
        if (i >= 0) conn.idle.splice(i, 1);
      },
      // Bytes from an idle backend belong to no request: the connection is not reused.
      onData: () => socket.destroy(),
    };
    socket.once('close', entry.onClose);
    socket.on('data', entry.onData);
    conn.idle.push(entry);
  }

  // ------------------------------------------------------------------ HTTP exchanges

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const conn = this.bySocket.get(req.socket);
    if (!conn) {
      res.destroy();
      return;
    }
    if (conn.mode === 'stall') {
      req.pause();
      conn.waiters.push(() => this.onRequest(req, res));
      return;
    }
    const routed = this.route(req);
    const exchange = ++this.exchangeCounter;
    conn.exchanges++;
    this.totals.exchanges++;
    const meta = this.baseMeta(conn, exchange);
    res.sendDate = false;
    if ('error' in routed) {
      this.sink.error(`${conn.id} (${conn.client}): ${routed.error}`, 'ERR_PROXY_REQUEST');
      res.writeHead(routed.status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end(`wirescope proxy: ${routed.error}\n`);
      return;
    }
    const { target, path } = routed;
    const url = target.url(path);
    const method = req.method ?? 'GET';
    conn.label = `${method} ${path.split('?')[0]}`;
    this.changed.fire();
    const receivedAt = this.sink.now();
    const timing = new RequestTiming(this.sink.now);
    const reqHeaders = logHeaders(req.rawHeaders);
    const reqType = req.headers['content-type'];
    const expectsBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const reqPreview = new Preview(this.opts.previewLimit);
    let requestLogged = false;
    const logRequest = (): void => {
      if (requestLogged) return;
      requestLogged = true;
      this.sink.frame('out', reqPreview.bytes, {
        size: reqPreview.size,
        binary: reqPreview.size > 0 && !isText(reqType),
        meta: { ...meta, method: req.method, url, path, headers: reqHeaders, httpVersion: req.httpVersion },
      });
    };
    if (!expectsBody) logRequest();

    // The request goes to the backend on a connection of our own (kept alive per client connection), so the
    // response's bytes can be relayed as they come (see onResponse). Node's server has read the client's
    // request; its body arrives here without framing, and is framed again as the client framed it.
    const headers = this.upstreamHeaders(req, target, false);
    const chunkedBody = req.headers['transfer-encoding'] !== undefined;
    let headText = `${method} ${path} HTTP/1.1\r\n`;
    for (let i = 0; i + 1 < headers.length; i += 2) headText += `${headers[i]}: ${headers[i + 1]}\r\n`;
    headText += 'Connection: keep-alive\r\n\r\n';
    const { socket: backend, reused } = this.backendSocket(conn, target);
    timing.attachSocket(backend);
    backend.write(Buffer.from(headText, 'latin1'));
    let requestSent = !expectsBody;
    const bodyWriter: ValveDestination = {
      write: (chunk: Buffer) => (chunkedBody ? backend.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF_BYTES])) : backend.write(chunk)),
      end: () => {
        if (requestSent) return;
        requestSent = true;
        if (chunkedBody && !backend.destroyed) backend.write('0\r\n\r\n');
      },
      get destroyed() {
        return backend.destroyed;
      },
      get writableEnded() {
        return requestSent || backend.writableEnded;
      },
      once: (event, listener) => backend.once(event, listener),
    };
    const upValve = new Valve(conn, req, bodyWriter, false);
    conn.valves.add(upValve);
    req.on('data', (chunk: Buffer) => {
      upValve.write(chunk);
      conn.bytesOut += chunk.length;
      this.totals.bytesFromClients += chunk.length;
      reqPreview.push(chunk);
    });
    req.on('end', () => {
      upValve.end();
      logRequest();
    });

    let responded = false;
    let finished = false;
    let clientGone = false;
    res.on('close', () => {
      conn.valves.delete(upValve);
      if (!res.writableFinished && !finished) {
        // The client went away before the exchange finished: let the backend know.
        clientGone = true;
        backend.destroy();
      }
    });

    let connectTimer: NodeJS.Timeout | undefined;
    const fail = (err: unknown): void => {
      clearTimeout(connectTimer);
      backend.destroy();
      if (finished || responded) return;
      finished = true;
      logRequest();
      if (conn.cut) return;
      if (clientGone) {
        this.sink.error(`${conn.id} (${conn.client}) ${req.method} ${url}: the client closed the connection before the response`, 'ERR_CLIENT_GONE');
        return;
      }
      const d = describeError(err, `${target.host}:${target.port}`);
      this.sink.error(`${conn.id} (${conn.client}) ${req.method} ${url}: ${d.message}`, d.code);
      if (!res.headersSent && !res.destroyed) {
        const body = `wirescope proxy: ${d.message}\n`;
        res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        this.sink.frame('in', body, { meta: { ...meta, status: 502, statusText: 'Bad Gateway', headers: {}, generated: true } });
      } else res.destroy();
    };
    if (!reused && this.opts.connectTimeoutMs) {
      const ms = this.opts.connectTimeoutMs;
      connectTimer = setTimeout(() => fail(Object.assign(new Error(`Connection timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
      connectTimer.unref();
      backend.once(target.secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    }

    // The response head, read here (1xx responses skipped); then the body belongs to onResponse.
    let headBuf: Buffer | undefined;
    const onHeadData = (chunk: Buffer): void => {
      const all = headBuf ? Buffer.concat([headBuf, chunk]) : chunk;
      const end = all.indexOf('\r\n\r\n');
      if (end < 0 || end > MAX_HEAD_BYTES) {
        if (all.length > MAX_HEAD_BYTES) return fail(malformed('Header overflow', 'HPE_HEADER_OVERFLOW'));
        headBuf = all;
        return;
      }
      headBuf = undefined;
      const head = parseResponseHead(all.toString('latin1', 0, end), method);
      if ('problem' in head) return fail(malformed(head.problem));
      const rest = all.subarray(end + 4);
      if (head.status >= 100 && head.status < 200) {
        // 100 Continue went to the client from our own server already; 103 and others are not forwarded.
        if (head.status === 101) return fail(malformed('Unexpected 101 Switching Protocols'));
        if (rest.length > 0) onHeadData(rest);
        return;
      }
      responded = true;
      timing.markFirstByte();
      backend.off('data', onHeadData);
      backend.off('close', onEarlyClose);
      backend.off('error', onEarlyError);
      this.onResponse(conn, req, res, backend, head, rest, {
        meta,
        timing,
        receivedAt,
        url,
        path,
        logRequest,
        done: () => (finished = true),
        requestBytes: () => reqPreview.size,
        clientGone: () => clientGone,
        reusable: () => requestSent && !clientGone,
        release: () => this.releaseBackend(conn, target, backend),
      });
    };
    const onEarlyError = (err: Error): void => fail(err);
    const onEarlyClose = (): void => fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    backend.on('data', onHeadData);
    backend.once('error', onEarlyError);
    backend.once('close', onEarlyClose);
  }

  /**
   * The response: its head is forwarded through node's server response (hop-by-hop headers dropped), its
   * body straight from the backend socket. A chunked body passes with its framing as the backend wrote it
   * (one write per socket read, no parse-and-re-encode per chunk), cut only by our own decoder to find
   * where the response ends and to record it on the side, after the bytes went on.
   */
  private onResponse(
    conn: Conn,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    backend: net.Socket,
    head: ResponseHead,
    rest: Buffer,
    x: {
      meta: Record<string, unknown>;
      timing: RequestTiming;
      receivedAt: number;
      url: string;
      path: string;
      logRequest(): void;
      done(): void;
      requestBytes(): number;
      clientGone(): boolean;
      reusable(): boolean;
      release(): void;
    },
  ): void {
    const status = head.status;
    const raw = head.rawHeaders;
    const out: string[] = [];
    const connectionTokens = new Set((headerOf(raw, 'connection') ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const lower = raw[i].toLowerCase();
      if ((HOP_BY_HOP.has(lower) && lower !== 'proxy-authenticate') || connectionTokens.has(lower)) continue;
      out.push(raw[i], raw[i + 1]);
    }
    const contentType = headerOf(raw, 'content-type');
    const encoding = (headerOf(raw, 'content-encoding') ?? '').trim().toLowerCase();
    const kind: 'sse' | 'ndjson' | 'body' = contentType && SSE_TYPE.test(contentType.trim()) ? 'sse' : contentType && NDJSON_TYPE.test(contentType.trim()) ? 'ndjson' : 'body';
    const headers = logHeaders(raw);
    const headSentAt = this.sink.now();
    const framing = new BodyDecoder(head.body);
    // The backend's own chunked framing goes to the client as it is: for an HTTP/1.1 client, when this
    // response is the one its connection is writing now (a pipelined one waits in node's queue, framed by node).
    const rawChunked = head.body.kind === 'chunked' && req.httpVersion === '1.1' && res.socket === req.socket;
    try {
      res.writeHead(status, head.statusText, out);
    } catch (err) {
      // Headers Node refuses to send (invalid characters): the client gets a 502 and the log says why.
      const d = describeError(err);
      this.sink.error(`${conn.id} (${conn.client}) ${req.method} ${x.url}: the backend's response headers cannot be forwarded: ${d.message}`, 'ERR_PROXY_HEADERS');
      backend.destroy();
      res.writeHead(502, { 'Content-Length': 0 });
      res.end();
      x.done();
      return;
    }
    // The head carries the backend's Transfer-Encoding: chunked; its chunks are written as they are.
    if (rawChunked) (res as unknown as { chunkedEncoding: boolean }).chunkedEncoding = false;
    const streaming = kind !== 'body' || headerOf(raw, 'content-length') === undefined;
    if (streaming) res.flushHeaders();
    const heldMs = round(headSentAt - x.receivedAt);
    const respMeta: Record<string, unknown> = { ...x.meta, status, statusText: head.statusText, headers, httpVersion: head.httpVersion };
    if (kind !== 'body') respMeta.path = `${req.method} ${x.path.split('?')[0]}`;
    if (encoding && encoding !== 'identity') respMeta.contentEncoding = encoding;

    // The decoding side: optional inflation, then SSE events, lines, or a body preview.
    const preview = kind === 'body' ? new Preview(this.opts.previewLimit) : undefined;
    let decodedBytes = 0;
    let sse: SseParser | undefined;
    let lines: LineSplitter | undefined;
    const streamMeta = { ...x.meta, stream: kind };
    if (kind === 'sse') {
      respMeta.stream = 'sse';
      this.sink.frame('in', '', { control: true, meta: respMeta });
      sse = new SseParser(
        (e) => {
          this.totals.sseEvents++;
          // The stream's meta is shared by its events when they add nothing (no id, no retry): nothing downstream changes a frame's meta.
          let m: Record<string, unknown> = streamMeta;
          if (e.id !== undefined || e.retry !== undefined) {
            // Object.assign, not a spread: on Node 20 `{ ...o }` followed by a new key cost about 1.5 us here, per event.
            m = Object.assign({}, streamMeta);
            if (e.id !== undefined) m.id = e.id;
            if (e.retry !== undefined) m.retry = e.retry;
            // An id- or retry-only block: logged (it changes what a reconnect sends), but no message event in a browser.
            if (!e.hasData) m.dispatched = false;
          }
          // The session measures the data itself; the whole size is given only when the data was cut.
          this.sink.frame('in', e.data, e.truncated ? { channel: e.type, size: Math.max(e.size, Buffer.byteLength(e.data)), meta: m } : { channel: e.type, meta: m });
        },
        { maxLineBytes: Math.max(this.opts.previewLimit, 1024 * 1024) },
      );
    } else if (kind === 'ndjson') {
      respMeta.stream = 'ndjson';
      this.sink.frame('in', '', { control: true, meta: respMeta });
      lines = new LineSplitter({ maxLineBytes: Math.max(this.opts.previewLimit, 1024 * 1024) });
    }
    const emitLines = (list: { bytes: Buffer; forced?: true }[]): void => {
      for (const l of list) {
        this.totals.lines++;
        this.sink.frame('in', l.bytes, { meta: l.forced ? { ...streamMeta, partial: true } : streamMeta });
      }
    };
    const consume = (chunk: Buffer): void => {
      decodedBytes += chunk.length;
      if (sse) sse.push(chunk);
      else if (lines) emitLines(lines.push(chunk));
      else preview!.push(chunk);
    };
    let inflater: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined;
    let inflateFailed = false;
    if (respMeta.contentEncoding) {
      const flush = zlib.constants.Z_SYNC_FLUSH;
      if (encoding === 'gzip' || encoding === 'x-gzip') inflater = zlib.createGunzip({ flush, finishFlush: flush });
      else if (encoding === 'deflate') inflater = zlib.createInflate({ flush, finishFlush: flush });
      else if (encoding === 'br') inflater = zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
      if (inflater) {
        inflater.on('data', (d: Buffer) => {
          if (decodedBytes + d.length > MAX_INFLATE) {
            inflateFailed = true;
            inflater?.destroy();
            return;
          }
          consume(d);
        });
        inflater.on('error', () => (inflateFailed = true));
      }
    }
    /** The body pieces of one read, recorded (after they were forwarded). */
    const record = (pieces: Buffer[]): void => {
      if (inflater) {
        if (!inflateFailed) for (const p of pieces) inflater.write(p);
      } else if (respMeta.contentEncoding) {
        // An encoding we cannot read: count it, keep the raw preview.
        if (preview) for (const p of pieces) preview.push(p);
      } else if (pieces.length === 1) consume(pieces[0]);
      // Many small chunks in one read (an event each): decoded as one piece.
      else if (sse || lines) consume(Buffer.concat(pieces));
      else for (const p of pieces) consume(p);
    };

    const downValve = new Valve(conn, backend, res, true);
    conn.valves.add(downValve);
    let wireBytes = 0;
    let decodeDone = false;
    let clientDone = false;
    let clientEndAt: number | undefined;
    let completed = false;
    let aborted = false;
    let bodyEnded = false;
    let bodyError: { message: string; code: string } | undefined;
    const complete = (): void => {
      if (completed || !decodeDone || !clientDone) return;
      completed = true;
      x.done();
      conn.valves.delete(downValve);
      x.logRequest();
      const backendPhases = x.timing.phases();
      if (preview) {
        const m: Record<string, unknown> = { ...respMeta };
        if (respMeta.contentEncoding) {
          m.wireBytes = wireBytes;
          if (inflateFailed || !inflater) m.decoded = false;
        }
        if (backendPhases.ttfb !== null && backendPhases.ttfb >= this.longPollMs) {
          m.longPoll = true;
          m.heldMs = round(backendPhases.ttfb);
          this.totals.longPolls++;
        }
        if (aborted) m.aborted = true;
        const size = inflater && !inflateFailed ? decodedBytes : preview.size;
        this.sink.frame('in', preview.bytes, { size, binary: preview.size > 0 && !isText(contentType), meta: m });
      } else {
        if (lines) {
          const left = lines.flush();
          if (left && left.length > 0) emitLines([{ bytes: left, forced: true }]);
        }
        sse?.end();
      }
      // When the client had the whole response (recording may finish later).
      const end = clientEndAt ?? this.sink.now();
      const meta: Record<string, unknown> = {
        ...x.meta,
        status,
        hop: 'backend',
        clientHop: { ttfb: heldMs, total: round(end - x.receivedAt) },
        bytes: { out: x.requestBytes(), in: wireBytes },
      };
      if (x.timing.wasReused) meta.reused = true;
      if (kind !== 'body') meta.stream = kind;
      if (aborted) meta.aborted = true;
      this.sink.timing(backendPhases, meta);
    };
    let decodingEnded = false;
    const finishDecoding = (): void => {
      if (decodingEnded) return;
      decodingEnded = true;
      // After the body's last read was decoded.
      this.sink.later(0, endDecoding);
    };
    const endDecoding = (): void => {
      const done = (): void => {
        if (decodeDone) return;
        decodeDone = true;
        complete();
      };
      if (inflater && !inflateFailed && !inflater.destroyed) {
        inflater.once('end', done);
        inflater.once('close', done);
        inflater.end();
      } else done();
    };
    const detach = (): void => {
      backend.off('data', onData);
      backend.off('end', onEnd);
      backend.off('close', onClose);
      backend.off('error', onError);
    };
    /** The body ended as its framing says (or, close-delimited, with the connection). */
    const endBody = (reusable: boolean): void => {
      bodyEnded = true;
      x.timing.markEnd();
      detach();
      downValve.end();
      if (reusable && x.reusable() && !connectionTokens.has('close') && head.httpVersion === '1.1') x.release();
      else backend.destroy();
      finishDecoding();
    };
    /** The body did not end as it should: the client sees the same cut, the log says why in one line. */
    const abort = (why: string | undefined, code: string): void => {
      if (bodyEnded || aborted) return;
      aborted = true;
      x.timing.markEnd();
      detach();
      backend.destroy();
      if (why && !x.clientGone() && !conn.cut) this.sink.error(`${conn.id} (${conn.client}) ${req.method} ${x.url}: ${why}`, code);
      // What passed so far reaches the client before the cut.
      downValve.flush();
      if (res.socket && !res.socket.destroyed) res.socket.destroySoon();
      else res.destroy();
      finishDecoding();
    };
    const onData = (buf: Buffer): void => {
      const r = framing.push(buf);
      // Forward first: the bytes of this response as they came (or its data, when node frames it).
      if (rawChunked) {
        const upTo = r.error ? r.error.at : r.used;
        if (upTo > 0) downValve.write(upTo === buf.length ? buf : buf.subarray(0, upTo));
        downValve.flush();
      } else {
        for (const p of r.pieces) downValve.write(p);
        downValve.flush();
      }
      let n = 0;
      for (const p of r.pieces) n += p.length;
      wireBytes += n;
      conn.bytesIn += n;
      this.totals.bytesFromBackends += n;
      // Decoding and recording wait until forwarding is done (src/core/proxy/recorder.ts).
      if (r.pieces.length > 0) {
        const pieces = r.pieces;
        this.sink.later(n, () => record(pieces));
      }
      if (r.error) {
        bodyError = r.error;
        abort(`the backend's response body is broken: malformed chunked encoding after ${wireBytes} bytes (${r.error.message})`, r.error.code);
      } else if (r.done) endBody(r.used === buf.length);
    };
    const onEnd = (): void => {
      if (framing.mode.kind === 'close') endBody(false);
    };
    const onClose = (): void => {
      if (!bodyEnded) abort(bodyError ? undefined : 'the backend closed the connection before the response ended', 'ECONNRESET');
    };
    const onError = (): void => undefined;
    backend.on('data', onData);
    backend.on('end', onEnd);
    backend.on('close', onClose);
    backend.on('error', onError);
    if (framing.finished) endBody(rest.length === 0);
    else if (rest.length > 0) onData(rest);

    const resEnd = (): void => {
      if (clientDone) return;
      clientDone = true;
      clientEndAt = this.sink.now();
      complete();
    };
    res.once('finish', resEnd);
    res.once('close', () => {
      if (!res.writableFinished && !bodyEnded) {
        // The client went away mid-response: stop the backend side too.
        if (!aborted) {
          aborted = true;
          x.timing.markEnd();
          detach();
          backend.destroy();
        }
        finishDecoding();
      }
      resEnd();
    });
  }

  // ------------------------------------------------------------------ upgrades (WebSocket)

  private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const conn = this.bySocket.get(socket);
    if (!conn) {
      socket.destroy();
      return;
    }
    const routed = this.route(req);
    const exchange = ++this.exchangeCounter;
    conn.exchanges++;
    this.totals.exchanges++;
    const meta = this.baseMeta(conn, exchange);
    if ('error' in routed) {
      this.sink.error(`${conn.id} (${conn.client}): ${routed.error}`, 'ERR_PROXY_REQUEST');
      socket.end(`HTTP/1.1 ${routed.status} ${http.STATUS_CODES[routed.status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const { target, path } = routed;
    const isWs = /^websocket$/i.test(String(req.headers.upgrade ?? '').trim());
    conn.kind = isWs ? 'websocket' : 'upgrade';
    conn.label = `${req.method} ${path.split('?')[0]}`;
    if (isWs) this.totals.websockets++;
    this.changed.fire();
    const url = target.url(path).replace(/^http/, isWs ? 'ws' : 'http');
    this.sink.frame('out', '', { control: true, meta: { ...meta, method: req.method, url, path, headers: logHeaders(req.rawHeaders), upgrade: String(req.headers.upgrade ?? '') } });
    const timing = new RequestTiming(this.sink.now);
    const backend = target.secure
      ? tls.connect({ host: target.host, port: target.port, ...this.tlsOpts, servername: this.tlsOpts.servername ?? (net.isIP(target.host) ? undefined : target.host), ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: target.host, port: target.port });
    backend.setNoDelay(true);
    timing.attachSocket(backend);
    conn.upstream.add(backend);
    const headers = this.upstreamHeaders(req, target, true);
    let headLines = `${req.method} ${path} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i + 1 < headers.length; i += 2) headLines += `${headers[i]}: ${headers[i + 1]}\r\n`;
    headLines += '\r\n';
    let connected = false;
    backend.once(target.secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      backend.write(headLines);
      if (head.length > 0) {
        backend.write(head);
      }
    });
    let gotHead = false;
    let headBuf: Buffer[] = [];
    let headLen = 0;
    const fail = (message: string, code?: string): void => {
      this.sink.error(`${conn.id} (${conn.client}) upgrade ${url}: ${message}`, code);
      if (!gotHead && socket.writable) {
        const body = `wirescope proxy: ${message}\n`;
        socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else socket.destroy();
      backend.destroy();
    };
    backend.on('error', (err) => {
      if (!gotHead) fail(describeError(err, `${target.host}:${target.port}`).message, describeError(err).code);
      else socket.destroy();
    });
    const onHeadData = (chunk: Buffer): void => {
      headBuf.push(chunk);
      headLen += chunk.length;
      const all = Buffer.concat(headBuf, headLen);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (headLen > MAX_UPGRADE_HEAD) fail(`the backend's response head is over ${MAX_UPGRADE_HEAD} bytes`, 'ERR_PROXY_HEADERS');
        return;
      }
      gotHead = true;
      backend.off('data', onHeadData);
      headBuf = [];
      timing.markFirstByte();
      const headText = all.subarray(0, end).toString('latin1');
      const [statusLine, ...headerLines] = headText.split('\r\n');
      const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
      const status = m ? Number(m[2]) : 0;
      const rawResp: string[] = [];
      for (const line of headerLines) {
        const c = line.indexOf(':');
        if (c > 0) rawResp.push(line.slice(0, c).trim(), line.slice(c + 1).trim());
      }
      // The head goes to the client exactly as it came; what followed it goes through the relay.
      const headBytes = all.subarray(0, end + 4);
      socket.write(headBytes);
      conn.bytesIn += headBytes.length;
      this.totals.bytesFromBackends += headBytes.length;
      const respMeta: Record<string, unknown> = { ...meta, status, statusText: m?.[3] ?? '', headers: logHeaders(rawResp), path: `${req.method} ${path.split('?')[0]}` };
      const upgraded = status === 101;
      if (upgraded) respMeta.protocol = headerOf(rawResp, 'sec-websocket-protocol') ?? '';
      const ext = headerOf(rawResp, 'sec-websocket-extensions');
      if (ext) respMeta.extensions = ext;
      this.sink.frame('in', '', { control: true, meta: respMeta });
      const phases = timing.phases();
      this.sink.timing(phases, { ...meta, handshake: true, status, hop: 'backend' });
      this.pipeUpgraded(conn, socket, backend, all.subarray(end + 4), isWs && upgraded, ext, meta, timing);
    };
    backend.on('data', onHeadData);
    socket.on('error', () => backend.destroy());
    socket.once('close', () => {
      if (!gotHead) backend.destroy();
    });
    if (this.opts.connectTimeoutMs) {
      backend.setTimeout(this.opts.connectTimeoutMs, () => {
        if (!connected) fail(`Connection timed out (${target.host}:${target.port})`, 'ETIMEDOUT');
        backend.setTimeout(0);
      });
    }
  }

  /** After the response head: raw relay both ways, with WebSocket frames decoded when it upgraded. */
  private pipeUpgraded(conn: Conn, client: net.Socket, backend: net.Socket, rest: Buffer, decodeWs: boolean, extensions: string | undefined, meta: Record<string, unknown>, timing: RequestTiming): void {
    const openedAt = this.sink.now();
    let toBackend: WsFrameParser | undefined;
    let toClient: WsFrameParser | undefined;
    if (decodeWs) {
      const deflate = extensions ? parseDeflate(extensions) : undefined;
      const log = (dir: 'in' | 'out', inflate: Inflater | undefined) => {
        // Compressed messages inflate asynchronously; once one did, that direction's log is a chain, so order holds.
        let chain: Promise<void> | undefined;
        return (msg: WsMessage): void => {
          if (!chain && !(msg.compressed && inflate)) {
            this.logWsMessage(dir, msg, meta);
            return;
          }
          chain = (chain ?? Promise.resolve()).then(async () => {
            if (msg.compressed && inflate && msg.raw) {
              const out = await inflate(msg.raw);
              if (out) {
                msg.inflatedSize = out.length;
                msg.preview = out.length > this.opts.previewLimit ? out.subarray(0, this.opts.previewLimit) : out;
                msg.truncated = out.length > msg.preview.length;
                if (msg.opcode === 8 && msg.preview.length >= 2) msg.reason = msg.preview.subarray(2).toString('utf8');
              }
            }
            this.logWsMessage(dir, msg, meta);
          });
        };
      };
      const onError = (dir: 'in' | 'out') => (message: string) => this.sink.error(`${conn.id} (${conn.client}) WebSocket ${dir === 'out' ? 'client -> backend' : 'backend -> client'}: ${message}`, 'ERR_WS_FRAMING');
      toBackend = new WsFrameParser({ previewLimit: this.opts.previewLimit, onMessage: log('out', deflate ? makeInflater(deflate.clientNoContext, deflate.clientBits) : undefined), onError: onError('out') });
      toClient = new WsFrameParser({ previewLimit: this.opts.previewLimit, onMessage: log('in', deflate ? makeInflater(deflate.serverNoContext, deflate.serverBits) : undefined), onError: onError('in') });
      conn.ws = { toBackend, toClient, backend };
    }
    const relay = this.splice(conn, client, backend, {
      fromClient: toBackend && ((chunk) => toBackend.push(chunk)),
      fromBackend: toClient && ((chunk) => toClient.push(chunk)),
      closed: (bytes) => {
        timing.markEnd();
        const total = round(this.sink.now() - openedAt);
        this.sink.timing({ dns: null, connect: null, tls: null, ttfb: null, download: null, total }, { ...meta, connectionClosed: true, bytes });
      },
    });
    if (rest.length > 0) relay.fromBackend(rest);
  }

  /**
   * Two sockets joined through a valve each way (the faults of the connection apply): bytes counted per
   * connection and in the totals, each chunk shown to an optional tap after it is forwarded, half-closes passed
   * through, and a close on either side ends both, once. The raw relay of upgraded connections and of CONNECT
   * tunnels.
   */
  private splice(
    conn: Conn,
    client: net.Socket,
    backend: net.Socket,
    taps: { fromClient?: (chunk: Buffer) => void; fromBackend?: (chunk: Buffer) => void; closed(bytes: { out: number; in: number }): void },
  ): { fromClient(chunk: Buffer): void; fromBackend(chunk: Buffer): void } {
    const up = new Valve(conn, client, backend, false);
    const down = new Valve(conn, backend, client, true);
    conn.valves.add(up);
    conn.valves.add(down);
    const fromClient = (chunk: Buffer): void => {
      up.write(chunk);
      conn.bytesOut += chunk.length;
      this.totals.bytesFromClients += chunk.length;
      taps.fromClient?.(chunk);
    };
    const fromBackend = (chunk: Buffer): void => {
      down.write(chunk);
      conn.bytesIn += chunk.length;
      this.totals.bytesFromBackends += chunk.length;
      taps.fromBackend?.(chunk);
    };
    client.on('data', fromClient);
    backend.on('data', fromBackend);
    client.once('end', () => up.end());
    backend.once('end', () => down.end());
    let ended = false;
    const closeBoth = (): void => {
      if (ended) return;
      ended = true;
      up.stop();
      down.stop();
      client.destroy();
      backend.destroy();
      taps.closed({ out: up.bytes, in: down.bytes });
    };
    client.once('close', closeBoth);
    backend.once('close', closeBoth);
    client.on('error', () => undefined);
    backend.on('error', () => undefined);
    return { fromClient, fromBackend };
  }

  private logWsMessage(dir: 'in' | 'out', msg: WsMessage, meta: Record<string, unknown>): void {
    const control = msg.opcode >= 8;
    let m: Record<string, unknown> = meta;
    if (control || msg.compressed || msg.fragments > 1) {
      m = { ...meta };
      if (control) m.opcode = msg.opcode;
      if (msg.opcode === 8) {
        m.code = msg.code;
        if (msg.reason) m.reason = msg.reason;
      }
      if (msg.compressed) {
        m.compressed = true;
        if (msg.inflatedSize === undefined) m.decoded = false;
      }
      if (msg.fragments > 1) m.fragments = msg.fragments;
    }
    // A close frame reads as its reason (its code is in meta), as the ws pattern logs it.
    const payload = msg.opcode === 8 ? (msg.reason ?? '') : msg.opcode === 1 ? msg.preview.toString('utf8') : msg.preview;
    this.sink.frame(dir, payload, {
      size: msg.opcode === 8 ? Buffer.byteLength(payload as string) : (msg.inflatedSize ?? msg.size),
      binary: msg.opcode === 2 || msg.opcode === 9 || msg.opcode === 10 ? !isUtf8Text(msg.preview, msg.opcode) : false,
      control,
      meta: m,
    });
  }

  // ------------------------------------------------------------------ CONNECT tunnels (forward mode)

  private onConnect(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const conn = this.bySocket.get(socket);
    if (!conn) {
      socket.destroy();
      return;
    }
    const exchange = ++this.exchangeCounter;
    conn.exchanges++;
    this.totals.exchanges++;
    const meta = this.baseMeta(conn, exchange);
    const hostPort = req.url ?? '';
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hostPort);
    if (!this.opts.forward || !m) {
      const why = !this.opts.forward ? 'CONNECT needs forward mode (--forward)' : `bad CONNECT target "${hostPort.slice(0, 200)}"`;
      this.sink.error(`${conn.id} (${conn.client}): ${why}`, 'ERR_PROXY_REQUEST');
      socket.end(`HTTP/1.1 ${!this.opts.forward ? 405 : 400} ${!this.opts.forward ? 'Method Not Allowed' : 'Bad Request'}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const host = m[1].replace(/^\[|\]$/g, '');
    const port = Number(m[2]);
    conn.kind = 'tunnel';
    conn.label = `CONNECT ${hostPort}`;
    this.totals.tunnels++;
    this.changed.fire();
    this.sink.frame('out', '', { control: true, meta: { ...meta, method: 'CONNECT', url: hostPort, headers: logHeaders(req.rawHeaders), tunnel: true } });
    const timing = new RequestTiming(this.sink.now);
    const backend = net.connect({ host, port });
    backend.setNoDelay(true);
    timing.attachSocket(backend);
    conn.upstream.add(backend);
    let open = false;
    backend.once('connect', () => {
      open = true;
      timing.markFirstByte();
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      this.sink.frame('in', '', { control: true, meta: { ...meta, status: 200, statusText: 'Connection Established', headers: {}, tunnel: true } });
      const openedAt = this.sink.now();
      const relay = this.splice(conn, socket, backend, {
        closed: (bytes) => {
          const p = timing.phases();
          this.sink.timing(
            { dns: p.dns, connect: p.connect, tls: null, ttfb: null, download: null, total: round(this.sink.now() - openedAt + (p.connect ?? 0) + (p.dns ?? 0)) },
            { ...meta, tunnel: hostPort, connectionClosed: true, bytes },
          );
        },
      });
      // Bytes the client sent after the CONNECT head, before the tunnel opened.
      if (head.length > 0) relay.fromClient(head);
    });
    backend.on('error', (err) => {
      if (open) return;
      const d = describeError(err, hostPort);
      this.sink.error(`${conn.id} (${conn.client}) CONNECT ${hostPort}: ${d.message}`, d.code);
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      this.sink.frame('in', '', { control: true, meta: { ...meta, status: 502, statusText: 'Bad Gateway', headers: {}, tunnel: true, generated: true } });
    });
    socket.on('error', () => backend.destroy());
  }

  // ------------------------------------------------------------------ stop

  /**
   * Stop: no new connections; WebSocket connections get a close frame (1001, at a frame boundary)
   * both ways, others a FIN; whatever is still open after `graceMs` is destroyed.
   */
  async close(graceMs = 1000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const server = this.server;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    server?.closeIdleConnections?.();
    for (const c of this.conns.values()) {
      for (const w of c.waiters.splice(0)) w();
      c.mode = 'pass';
      for (const v of c.valves) {
        v.changed();
        v.flush();
      }
      if (c.ws) {
        if (c.ws.toClient.atBoundary && c.socket.writable) c.socket.write(closeFrame(1001, 'proxy stopped', false, () => randomBytes(4)));
        if (c.ws.toBackend.atBoundary && c.ws.backend.writable) c.ws.backend.write(closeFrame(1001, 'proxy stopped', true, () => randomBytes(4)));
      }
      c.socket.end();
      for (const s of c.upstream) s.end();
    }
    const deadline = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    const allClosed = new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.conns.size === 0) resolve();
      };
      check();
      const sub = this.changed.event(() => {
        check();
        if (this.conns.size === 0) sub.dispose();
      });
    });
    await Promise.race([allClosed, deadline]);
    for (const c of this.conns.values()) {
      c.socket.destroy();
      for (const s of c.upstream) s.destroy();
    }
    server?.closeAllConnections?.();
    await Promise.race([closed, new Promise<void>((r) => setTimeout(r, 200).unref())]);
    this.sink.flush();
  }

  /** How far recording fell behind forwarding (for the summary). */
  get recording(): RecorderStats {
    return { ...this.sink.stats };
  }
}

/** Pings and pongs usually carry text (or nothing); logged as text when they are valid UTF-8 without controls. */
function isUtf8Text(b: Buffer, opcode: number): boolean {
  if (opcode === 1 || opcode === 8) return true;
  if (b.length === 0) return true;
  const s = b.toString('utf8');
  if (s.includes('\uFFFD')) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

interface DeflateParams {
  clientNoContext: boolean;
  serverNoContext: boolean;
  clientBits: number;
  serverBits: number;
}

/** The permessage-deflate parameters the server accepted, or undefined when it accepted none. */
function parseDeflate(header: string): DeflateParams | undefined {
  for (const ext of header.split(',')) {
    const parts = ext.split(';').map((s) => s.trim());
    if (parts[0].toLowerCase() !== 'permessage-deflate') continue;
    const p: DeflateParams = { clientNoContext: false, serverNoContext: false, clientBits: 15, serverBits: 15 };
    for (const param of parts.slice(1)) {
      const [k, v] = param.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
      const key = k.toLowerCase();
      if (key === 'client_no_context_takeover') p.clientNoContext = true;
      else if (key === 'server_no_context_takeover') p.serverNoContext = true;
      else if (key === 'client_max_window_bits' && v) p.clientBits = Number(v) || 15;
      else if (key === 'server_max_window_bits' && v) p.serverBits = Number(v) || 15;
    }
    return p;
  }
  return undefined;
}

type Inflater = (compressed: Buffer) => Promise<Buffer | undefined>;

/**
 * Raw inflate with a kept window (context takeover), as a WebSocket endpoint reads messages: each
 * message gets the 00 00 FF FF tail back and a sync flush. One message at a time (the caller chains).
 */
function makeInflater(noContext: boolean, windowBits: number): Inflater {
  let broken = false;
  const bits = Math.min(15, Math.max(9, windowBits));
  const create = () => zlib.createInflateRaw({ windowBits: bits });
  let inflate = create();
  inflate.on('error', () => (broken = true));
  return (compressed) =>
    new Promise((resolve) => {
      if (broken) return resolve(undefined);
      const out: Buffer[] = [];
      let n = 0;
      const onData = (d: Buffer): void => {
        n += d.length;
        if (n > MAX_WS_INFLATE) {
          broken = true;
          return;
        }
        out.push(d);
      };
      const onError = (): void => {
        broken = true;
        inflate.off('data', onData);
        resolve(undefined);
      };
      inflate.on('data', onData);
      inflate.once('error', onError);
      inflate.write(Buffer.concat([compressed, WS_TRAILER]));
      inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        inflate.off('data', onData);
        inflate.off('error', onError);
        if (broken) return resolve(undefined);
        if (noContext) {
          inflate.close();
          inflate = create();
          inflate.on('error', () => (broken = true));
        }
        resolve(Buffer.concat(out, n));
      });
    });
}
