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
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { TlsOptions } from '../shared/connectOptions';
import type { TimingPhases } from '../shared/events';
import { DEFAULT_CONNECT_TIMEOUT_MS, HttpClientError, type SentRequest } from './httpClient';
import { describeError } from './errors';
import { BodyDecoder, malformed, MAX_HEAD_BYTES, parseResponseHead } from './http1Response';
import { RequestTiming } from './netTiming';
import { REQUEST_SENT_CHANNEL, requestSent } from './requestSentChannel';
import { nodeTlsOptions } from './tlsOptions';


/** Published once a request has been written to its socket in full: see ./requestSentChannel.ts. */
export const STREAM_REQUEST_SENT_CHANNEL = REQUEST_SENT_CHANNEL;

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
  private framing = new BodyDecoder({ kind: 'close' });
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
      else if (this.framing.finished) this.finish();
      return;
    }
    this.onBody(buf);
  }

  /** Status line and headers; returns a problem or undefined. */
  private parseHead(text: string): string | undefined {
    const head = parseResponseHead(text, this.method);
    if ('problem' in head) return head.problem;
    this.status = head.status;
    this.statusText = head.statusText;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
    this.framing = new BodyDecoder(head.body);
    return undefined;
  }

  private onBody(buf: Buffer): void {
    const r = this.framing.push(buf);
    if (r.pieces.length > 0) this.deliver(r.pieces);
    if (r.error) return this.fail(malformed(r.error.message, r.error.code));
    if (r.done) this.finish();
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
    if (this.framing.mode.kind === 'close') return this.finish();
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
