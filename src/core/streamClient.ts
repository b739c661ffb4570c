/**
 * A minimal HTTP/1.1 client for long-lived streamed responses (server-sent events), on a socket it makes
 * itself. Node's HTTP client hands over one body piece per chunk of a chunked body and calls into
 * JavaScript for each; on a feed of small events that is most of the cost per event. This client reads
 * each socket read once: the chunked framing is cut in JavaScript and the body pieces of one read go to
 * the reader together, as slices of the read (no copy).
 *
 * It keeps what the engine's `httpRequest` gives: a fresh connection per exchange, socket timing
 * (`RequestTiming`), the TLS options, a connect timeout, the sent headers for the log, abort, and
 * failures as `HttpClientError` with one line for people (Node's codes where Node has one:
 * ECONNRESET, ETIMEDOUT, HPE_*). It implements what an event stream needs: one request, one response,
 * status line and headers (16 KiB at most, as Node), chunked, Content-Length or close-delimited bodies,
 * 1xx responses skipped. No keep-alive, no upgrade, no pipelining; redirects are the caller's.
 */
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { TlsOptions } from '../shared/connectOptions';
import type { TimingPhases } from '../shared/events';
import { DEFAULT_CONNECT_TIMEOUT_MS, HttpClientError, type SentRequest } from './httpClient';
import { describeError } from './errors';
import { RequestTiming } from './netTiming';
import { nodeTlsOptions } from './tlsOptions';

/** Node's default limit for a response head (--max-http-header-size). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Response headers Node keeps only once (the first wins), as IncomingMessage.headers does. */
const SINGLE_HEADERS = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);
const CRLF = 0x0a;

/**
 * Published once a request has been written to its socket in full (`{ method, url }`), in the async context
 * of the caller: this client does not go through node:http, so the `http.client.request.*` channels never see
 * it. The race engine's wire meter counts requests from both.
 */
export const STREAM_REQUEST_SENT_CHANNEL = 'wirescope.stream.request.sent';
const requestSent = dc.channel(STREAM_REQUEST_SENT_CHANNEL);

export interface StreamRequestOptions {
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  tls?: TlsOptions;
  /** Limit for TCP connect plus TLS handshake; default 10 s. 0 disables it. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  onRequest?(sent: SentRequest): void;
}

/** Receives the body: the pieces of one socket read in one call, then the end (with the error that cut it). */
export interface BodyReader {
  data(pieces: Buffer[]): void;
  end(err?: HttpClientError): void;
}

export interface StreamResponse {
  url: string;
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with `, ` (a few keep their first value, as in Node). */
  headers: Record<string, string>;
  /** Raw name/value list, in wire order. */
  rawHeaders: string[];
  timing: RequestTiming;
  phases(): TimingPhases;
  /** Start delivering the body (once). */
  read(reader: BodyReader): void;
  /** Read up to `limit` bytes of the body, waiting at most `waitMs`, then drop the connection. */
  readSome(limit: number, waitMs: number): Promise<{ preview: Buffer; size: number }>;
  /** Drop the connection; the reader's `end` gets `reason` (default an abort). */
  destroy(reason?: HttpClientError): void;
  /** Stop reading the socket (back-pressure: the peer is held back by TCP) until resume(). */
  pause(): void;
  resume(): void;
}

type BodyMode = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

const malformed = (message: string, code = 'HPE_INVALID_CONSTANT') => Object.assign(new Error(message), { code });

function toClientError(err: unknown, target: string): HttpClientError {
  if (err instanceof HttpClientError) return err;
  const e = err as { name?: unknown; code?: unknown; reason?: unknown; message?: unknown } | null;
  if (e && (e.name === 'AbortError' || e.code === 'ABORT_ERR')) return new HttpClientError('Request aborted', 'ABORT_ERR', err);
  if (e && e.code === 'EPROTO') {
    const raw = String(e.message ?? '');
    if (/wrong version number/i.test(raw) || e.reason === 'wrong version number') {
      const d = describeError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: raw }, target);
      return new HttpClientError(d.message, d.code, err);
    }
    const why = typeof e.reason === 'string' && e.reason ? e.reason : 'the TLS handshake failed';
    return new HttpClientError(`TLS failure (${target}): ${why}`, 'EPROTO', err);
  }
  const d = describeError(err, target);
  return new HttpClientError(d.message, d.code, err);
}

/** Send one request on a fresh connection; resolves when the response head (after any 1xx) has arrived. */
export function openStream(opts: StreamRequestOptions): Promise<StreamResponse> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return Promise.reject(new HttpClientError(`Invalid URL: "${String(opts.url)}"`, 'ERR_INVALID_URL'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new HttpClientError(`Unsupported URL scheme "${url.protocol}" here; expected http: or https:`, 'ERR_INVALID_URL'));
  }
  if (opts.signal?.aborted) return Promise.reject(new HttpClientError('Request aborted', 'ABORT_ERR'));
  const method = (opts.method ?? 'GET').toUpperCase();
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
  // Header names and values are checked as Node's client checks them, with its errors.
  const headers: Array<[string, string]> = [];
  const sent: Record<string, string> = { host: url.host };
  try {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw Object.assign(new TypeError(`Method must be a valid HTTP token ["${method}"]`), { code: 'ERR_INVALID_HTTP_TOKEN' });
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
      if (name.toLowerCase() === 'host') continue;
      headers.push([name, value]);
      sent[name.toLowerCase()] = value;
    }
  } catch (err) {
    return Promise.reject(toClientError(err, url.host));
  }
  if (body && !('content-length' in sent) && !('transfer-encoding' in sent)) {
    headers.push(['Content-Length', String(body.length)]);
    sent['content-length'] = String(body.length);
  }
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  head += 'Connection: close\r\n\r\n';
  return new Exchange(url, method, Buffer.from(head, 'latin1'), body, sent, opts).start();
}

class Exchange implements StreamResponse {
  readonly url: string;
  status = 0;
  statusText = '';
  headers: Record<string, string> = {};
  rawHeaders: string[] = [];
  readonly timing: RequestTiming;
  private readonly target: string;
  private socket: net.Socket | undefined;
  private resolveHead!: (r: StreamResponse) => void;
  private rejectHead!: (e: HttpClientError) => void;
  private headDone = false;
  private ended = false;
  private headBuf: Buffer | undefined;
  private mode: BodyMode = { kind: 'close' };
  /** Chunked framing state: bytes of the current chunk still to come, or the line being read. */
  private chunkLeft = 0;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private line = '';
  private reader: BodyReader | undefined;
  /** Body pieces that arrived before a reader was attached. */
  private early: Buffer[] = [];
  private earlyEnd: { err?: HttpClientError } | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.fail(new HttpClientError('Request aborted', 'ABORT_ERR'));

  constructor(
    url: URL,
    private readonly method: string,
    private readonly head: Buffer,
    private readonly body: Buffer | undefined,
    private readonly sent: Record<string, string>,
    private readonly opts: StreamRequestOptions,
  ) {
    this.url = url.href;
    this.target = url.host;
    this.timing = new RequestTiming(opts.now ?? (() => performance.now()));
  }

  start(): Promise<StreamResponse> {
    const done = new Promise<StreamResponse>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    const url = new URL(this.url);
    const secure = url.protocol === 'https:';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port || (secure ? 443 : 80));
    let socket: net.Socket;
    try {
      if (secure) {
        const t = nodeTlsOptions(this.opts.tls);
        socket = tls.connect({ host, port, ...t, servername: t.servername ?? (net.isIP(host) ? undefined : host), ALPNProtocols: ['http/1.1'] });
      } else {
        socket = net.connect({ host, port });
      }
    } catch (err) {
      this.fail(err);
      return done;
    }
    this.socket = socket;
    this.timing.attachSocket(socket);
    socket.setNoDelay(true);
    const limit = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (limit > 0) {
      this.connectTimer = setTimeout(() => this.fail(Object.assign(new Error(`Connection timed out after ${limit} ms`), { code: 'ETIMEDOUT' })), limit);
      this.connectTimer.unref?.();
    }
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(this.connectTimer);
      const sent = () => {
        if (requestSent.hasSubscribers) requestSent.publish({ method: this.method, url: this.url });
      };
      if (this.body) {
        socket.write(this.head);
        socket.write(this.body, sent);
      } else socket.write(this.head, sent);
      this.opts.onRequest?.({ method: this.method, url: this.url, headers: this.sent, bodySize: this.body?.length ?? 0 });
    });
    socket.on('data', (buf: Buffer) => this.onData(buf));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.onClose());
    return done;
  }

  private onData(buf: Buffer): void {
    if (this.ended) return;
    if (!this.headDone) {
      this.timing.markFirstByte();
      const all = this.headBuf ? Buffer.concat([this.headBuf, buf]) : buf;
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (all.length > MAX_HEAD_BYTES) return this.fail(malformed('Header overflow', 'HPE_HEADER_OVERFLOW'));
        this.headBuf = all;
        return;
      }
      if (end > MAX_HEAD_BYTES) return this.fail(malformed('Header overflow', 'HPE_HEADER_OVERFLOW'));
      this.headBuf = undefined;
      const problem = this.parseHead(all.toString('latin1', 0, end));
      if (problem) return this.fail(malformed(problem));
      const rest = all.subarray(end + 4);
      if (this.status >= 100 && this.status < 200 && this.status !== 101) {
        // An informational response (100, 103): the real one follows.
        this.headers = {};
        this.rawHeaders = [];
        if (rest.length > 0) this.onData(rest);
        return;
      }
      if (this.status === 101) return this.fail(malformed('Unexpected 101 Switching Protocols'));
      this.headDone = true;
      this.opts.signal?.removeEventListener('abort', this.onAbort);
      this.resolveHead(this);
      if (rest.length > 0) this.onBody(rest);
      else if (this.mode.kind === 'none' || (this.mode.kind === 'length' && this.mode.left === 0)) this.finish();
      return;
    }
    this.onBody(buf);
  }

  /** Status line and headers; returns a problem or undefined. */
  private parseHead(text: string): string | undefined {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) return `Invalid status line "${lines[0].slice(0, 60)}"`;
    this.status = Number(m[1]);
    this.statusText = m[2] ?? '';
    const headers: Record<string, string> = {};
    const raw: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(line.slice(0, colon))) return `Invalid header line "${line.slice(0, 60)}"`;
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      raw.push(name, value);
      const key = name.toLowerCase();
      if (!(key in headers)) headers[key] = value;
      else if (!SINGLE_HEADERS.has(key)) headers[key] += `, ${value}`;
    }
    this.headers = headers;
    this.rawHeaders = raw;
    const te = headers['transfer-encoding'];
    if (this.method === 'HEAD' || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) this.mode = { kind: 'none' };
    else if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) return `Unsupported Transfer-Encoding "${te}"`;
      this.mode = { kind: 'chunked' };
    } else if (headers['content-length'] !== undefined) {
      if (!/^\d+$/.test(headers['content-length'])) return `Invalid Content-Length "${headers['content-length']}"`;
      this.mode = { kind: 'length', left: Number(headers['content-length']) };
    } else this.mode = { kind: 'close' };
    return undefined;
  }

  private onBody(buf: Buffer): void {
    const mode = this.mode;
    if (mode.kind === 'none') return this.finish();
    if (mode.kind === 'close') return this.deliver([buf]);
    if (mode.kind === 'length') {
      const take = Math.min(mode.left, buf.length);
      mode.left -= take;
      if (take > 0) this.deliver([take === buf.length ? buf : buf.subarray(0, take)]);
      if (mode.left === 0) this.finish();
      return;
    }
    // Chunked: cut the framing, deliver the data slices of this read together.
    const pieces: Buffer[] = [];
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.chunkState === 'data') {
        const take = Math.min(this.chunkLeft, n - i);
        pieces.push(buf.subarray(i, i + take));
        i += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkState = 'data-end';
        continue;
      }
      // Fast paths for the common framing, read from the bytes without making strings: the CRLF after a
      // chunk's data, and a bare hex size line, both whole in this read.
      if (this.line === '' && this.chunkState === 'data-end') {
        if (buf[i] === 13 && i + 1 < n && buf[i + 1] === 10) {
          i += 2;
          this.chunkState = 'size';
          continue;
        }
      } else if (this.line === '' && this.chunkState === 'size') {
        let j = i;
        let size = 0;
        while (j < n && j - i < 12) {
          const c = buf[j];
          const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (d < 0) break;
          size = size * 16 + d;
          j++;
        }
        if (j > i && j + 1 < n && buf[j] === 13 && buf[j + 1] === 10) {
          i = j + 2;
          this.chunkLeft = size;
          this.chunkState = size === 0 ? 'trailer' : 'data';
          continue;
        }
      }
      const nl = buf.indexOf(CRLF, i);
      const part = buf.toString('latin1', i, nl < 0 ? n : nl);
      if (nl < 0) {
        this.line += part;
        if (this.line.length > 1024) return this.fail(malformed('Chunk size line too long', 'HPE_INVALID_CHUNK_SIZE'));
        break;
      }
      i = nl + 1;
      const line = (this.line + part).replace(/\r$/, '');
      this.line = '';
      if (this.chunkState === 'data-end') {
        if (line !== '') return this.fail(malformed('Expected CRLF after chunk data', 'HPE_INVALID_CHUNK_SIZE'));
        this.chunkState = 'size';
        continue;
      }
      if (this.chunkState === 'trailer') {
        if (line === '') {
          if (pieces.length > 0) this.deliver(pieces);
          return this.finish();
        }
        continue;
      }
      const size = /^([0-9A-Fa-f]{1,12})[\t ]*(?:;.*)?$/.exec(line);
      if (!size) return this.fail(malformed('Invalid chunk size', 'HPE_INVALID_CHUNK_SIZE'));
      this.chunkLeft = parseInt(size[1], 16);
      this.chunkState = this.chunkLeft === 0 ? 'trailer' : 'data';
    }
    if (pieces.length > 0) this.deliver(pieces);
  }

  private deliver(pieces: Buffer[]): void {
    if (this.ended) return;
    if (this.reader) this.reader.data(pieces);
    else this.early.push(...pieces);
  }

  /** The body is complete. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.timing.markEnd();
    this.socket?.destroy();
    if (this.reader) this.reader.end();
    else this.earlyEnd = {};
  }

  private onClose(): void {
    if (this.ended) return;
    if (!this.headDone) return this.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    if (this.mode.kind === 'close') return this.finish();
    this.fail(Object.assign(new Error('The connection closed before the response body ended'), { code: 'ECONNRESET' }));
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.connectTimer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.timing.markEnd();
    this.socket?.destroy();
    const e = toClientError(err, this.target);
    if (!this.headDone) {
      this.headDone = true;
      this.rejectHead(e);
      return;
    }
    if (this.reader) this.reader.end(e);
    else this.earlyEnd = { err: e };
  }

  phases(): TimingPhases {
    return this.timing.phases();
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  read(reader: BodyReader): void {
    if (this.reader) throw new Error('The body is already being read');
    this.reader = reader;
    const early = this.early;
    this.early = [];
    if (early.length > 0) reader.data(early);
    if (this.earlyEnd) reader.end(this.earlyEnd.err);
  }

  readSome(limit: number, waitMs: number): Promise<{ preview: Buffer; size: number }> {
    return new Promise((resolve) => {
      const kept: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.destroy();
        const all = Buffer.concat(kept);
        resolve({ preview: all.subarray(0, limit), size });
      };
      const timer = setTimeout(finish, waitMs);
      timer.unref?.();
      this.read({
        data: (pieces) => {
          for (const p of pieces) {
            size += p.length;
            if (size - p.length < limit) kept.push(p);
          }
          if (size >= limit) finish();
        },
        end: () => finish(),
      });
    });
  }

  destroy(reason?: HttpClientError): void {
    this.fail(reason ?? new HttpClientError('Request aborted', 'ABORT_ERR'));
  }
}
