/**
 * The one HTTP exchange primitive every HTTP-based pattern builds on (request-response, SSE,
 * polling, long polling, streaming, async 202).
 *
 * Each exchange uses a fresh connection (`agent: false`) so that the dns/connect/tls phases are
 * measured for real instead of hidden by a pooled socket. Redirects are never followed here: the
 * caller sees every 3xx and decides (see `followRedirect`, and `createNodeFetch`, which follows).
 * Failures reject with an `HttpClientError` whose message is already one line for people.
 */
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import type { TlsOptions } from '../shared/connectOptions';
import type { TimingPhases } from '../shared/events';
import { describeError } from './errors';
import { RequestTiming } from './netTiming';
import { flatHeaders, nodeTlsOptions } from './tlsOptions';
import { headersForRedirect, maskUrlPasswords, redactUrl } from '../shared/credentials';

/** Default limit for reaching a ready socket (TCP connect plus TLS handshake). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** One request. */
export interface HttpRequestOptions {
  url: string | URL;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  tls?: TlsOptions;
  /** Limit for TCP connect plus TLS handshake; default 10 s. 0 disables it. */
  connectTimeoutMs?: number;
  /** Limit from connected to the response headers (time to first byte); none by default. */
  responseTimeoutMs?: number;
  /** Aborts the request, or the response body once it is streaming. */
  signal?: AbortSignal;
  /** Clock for timing (ms, monotonic); pass the session clock to share its time base. */
  now?: () => number;
  /** Called once the request is on its way, with the headers it carries. */
  onRequest?(sent: SentRequest): void;
  /** Called when the socket is ready (connected, and TLS done for https). */
  onConnected?(): void;
}

/** What was sent, for logging. */
export interface SentRequest {
  method: string;
  url: string;
  /** Lower-case names, including `host` and any `content-length` Node adds. */
  headers: Record<string, string>;
  /** Body size in bytes. */
  bodySize: number;
  /** On a redirect hop to another origin: the credential headers (lower-case names) that were not sent. */
  credentialsDropped?: string[];
}

/** A response whose body is still streaming. */
export interface HttpResponse {
  /** The URL this response answers (no redirect following here). */
  url: string;
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Raw header name/value list, in wire order. */
  rawHeaders: string[];
  /** The Node response stream; read it, or iterate this object, or call readBody(). */
  message: IncomingMessage;
  /** Timing of this exchange; `markEnd` happens when the body ends or the stream closes. */
  timing: RequestTiming;
  /** Body chunks as they arrive. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
  /**
   * Read the whole body, keeping at most `limit` bytes (for previews) while counting all of it.
   * Rejects with an HttpClientError if the stream fails before its end.
   */
  readBody(limit?: number): Promise<BodyPreview>;
  /**
   * Start reading the whole body like readBody(), with a live view of what has arrived so far
   * (for a session that ends mid-body: the partial response is still logged).
   */
  startBodyRead(limit?: number): BodyRead;
  /** Timing phases (final once the body has ended). */
  phases(): TimingPhases;
  /** Drop the connection (the body stream errors with `reason`, default an abort). */
  destroy(reason?: Error): void;
}

/** A body read with a size cap. */
export interface BodyPreview {
  /** The first `limit` bytes. */
  preview: Buffer;
  /** The whole body size in bytes (as received, before any decoding). */
  size: number;
  truncated: boolean;
}

/** A body being read: its promise, and what has arrived so far. */
export interface BodyRead {
  done: Promise<BodyPreview>;
  snapshot(): BodyPreview;
}

/** A failed exchange, with a one-line message (from describeError) and a stable code. */
export class HttpClientError extends Error {
  readonly code: string | undefined;
  /** The underlying error, for programs; never shown to people as is. */
  override readonly cause: unknown;
  constructor(message: string, code: string | undefined, cause?: unknown) {
    super(message);
    this.name = code === 'ABORT_ERR' ? 'AbortError' : 'HttpClientError';
    this.code = code;
    this.cause = cause;
  }
}

/**
 * A response body that failed before its end: the message names the real cause (the body ended
 * early, a malformed chunk, a reset), and `partial` holds what arrived, so that the status,
 * headers and partial body can still be logged.
 */
export class HttpBodyError extends HttpClientError {
  constructor(
    message: string,
    code: string | undefined,
    readonly partial: BodyPreview,
    cause?: unknown,
  ) {
    super(message, code, cause);
  }
}

/** What the request side saw after the headers arrived (the parser's error, a socket reset). */
interface BodyState {
  reqError?: unknown;
}

/** The one line for a body that stopped before its end, with its real cause. */
function bodyFailure(err: unknown, res: IncomingMessage, state: BodyState, received: number, target: string): { message: string; code: string | undefined } {
  const own = err as { code?: unknown; name?: unknown } | null;
  if (own && (own.name === 'AbortError' || own.code === 'ABORT_ERR')) return { message: 'Request aborted', code: 'ABORT_ERR' };
  if (err instanceof HttpClientError && err.code !== 'ECONNRESET') return { message: err.message, code: err.code };
  const why = state.reqError as { code?: unknown; message?: unknown; reason?: unknown } | undefined;
  const whyCode = typeof why?.code === 'string' ? why.code : undefined;
  const parserReason = String(why?.reason ?? why?.message ?? '').replace(/^Parse Error: /, '');
  if (whyCode?.startsWith('HPE_')) {
    const chunked = /CHUNK/.test(whyCode) || /chunk/i.test(parserReason);
    const what = chunked ? 'malformed chunked encoding' : 'malformed HTTP body';
    return { message: `Response body broken (${target}): ${what} after ${received} bytes (${parserReason || whyCode})`, code: whyCode };
  }
  const expected = Number(res.headers['content-length']);
  const reset = whyCode === 'ECONNRESET' || whyCode === 'EPIPE';
  const how = reset ? 'the connection was reset by the server' : whyCode ? describeError(why).message : 'the server closed the connection';
  if (Number.isFinite(expected) && expected > received) {
    // The code stays ECONNRESET (the connection ended before the body did) for programs; the message says how.
    return { message: `Response body incomplete (${target}): body ended after ${received} of ${expected} bytes; ${how}`, code: 'ECONNRESET' };
  }
  const chunked = /chunked/i.test(String(res.headers['transfer-encoding'] ?? ''));
  return {
    message: `Response body incomplete (${target}): ${chunked ? 'the chunked body ended without its last chunk' : 'the body ended early'} after ${received} bytes; ${how}`,
    code: 'ECONNRESET',
  };
}

function toHttpError(err: unknown, target: string): HttpClientError {
  if (err instanceof HttpClientError) return err;
  const e = err as { name?: unknown; code?: unknown } | null;
  if (e && (e.name === 'AbortError' || e.code === 'ABORT_ERR')) return new HttpClientError('Request aborted', 'ABORT_ERR', err);
  if (e && e.code === 'EPROTO') {
    // OpenSSL's text for a failed handshake is long and internal; keep its reason only.
    const reason = (err as { reason?: unknown }).reason;
    const raw = String((err as { message?: unknown }).message ?? '');
    if (/wrong version number/i.test(raw) || reason === 'wrong version number') {
      const d = describeError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: raw }, target);
      return new HttpClientError(d.message, d.code, err);
    }
    const why = typeof reason === 'string' && reason ? reason : 'the TLS handshake failed';
    return new HttpClientError(`TLS failure (${target}): ${why}`, 'EPROTO', err);
  }
  const d = describeError(err, target);
  return new HttpClientError(d.message, d.code, err);
}

function abortError(): HttpClientError {
  return new HttpClientError('Request aborted', 'ABORT_ERR');
}

// The one rule for what a credential is lives in shared/credentials; these names stay exported here for callers.
export { redactHeaders, redactUrl } from '../shared/credentials';

/**
 * Send one request on a fresh connection and resolve when the response headers arrive.
 * The body is left streaming; read it with `readBody()` or by iterating the response.
 */
export function httpRequest(opts: HttpRequestOptions): Promise<HttpResponse> {
  const now = opts.now ?? (() => performance.now());
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return Promise.reject(new HttpClientError(`Invalid URL: "${maskUrlPasswords(String(opts.url))}"`, 'ERR_INVALID_URL'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new HttpClientError(`Unsupported URL scheme "${url.protocol}" here; expected http: or https:`, 'ERR_INVALID_URL'));
  }
  const target = `${url.host}`;
  if (opts.signal?.aborted) return Promise.reject(abortError());

  const secure = url.protocol === 'https:';
  const method = (opts.method ?? 'GET').toUpperCase();
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : Buffer.from(opts.body.buffer, opts.body.byteOffset, opts.body.byteLength);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const hasHeader = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (body && !hasHeader('content-length') && !hasHeader('transfer-encoding')) headers['content-length'] = String(body.length);

  return new Promise<HttpResponse>((resolve, reject) => {
    const timing = new RequestTiming(now);
    let settled = false;
    let response: IncomingMessage | undefined;
    let connectTimer: NodeJS.Timeout | undefined;
    let req: ClientRequest;

    let ttfbTimer: NodeJS.Timeout | undefined;
    const fail = (err: unknown) => {
      clearTimeout(connectTimer);
      clearTimeout(ttfbTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      timing.markEnd();
      reject(toHttpError(err, target));
    };

    const onAbort = () => {
      const err = abortError();
      if (!settled) fail(err);
      req.destroy(err);
      response?.destroy(err);
    };

    try {
      const options: https.RequestOptions = {
        method,
        headers,
        agent: false,
        ...(secure ? nodeTlsOptions(opts.tls) : {}),
      };
      req = (secure ? https : http).request(url, options);
      // Node keeps at most 2000 raw header entries (1000 fields) by default and drops the rest
      // silently; the header block's size limit (16 KB) already bounds it.
      req.maxHeadersCount = 0;
    } catch (err) {
      // Invalid header names or values, bad methods: Node throws synchronously.
      fail(err);
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    timing.attach(req);

    const connectLimit = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    req.once('socket', (socket) => {
      if (connectLimit > 0) {
        connectTimer = setTimeout(() => {
          const err = Object.assign(new Error(`Connection timed out after ${connectLimit} ms`), { code: 'ETIMEDOUT' });
          req.destroy(err);
        }, connectLimit);
        connectTimer.unref?.();
      }
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(connectTimer);
        const ttfbLimit = opts.responseTimeoutMs ?? 0;
        if (ttfbLimit > 0 && !response) {
          // A server that accepts and never answers must not hold the session forever.
          ttfbTimer = setTimeout(() => {
            const err = Object.assign(new Error(`No response within ${ttfbLimit} ms after connecting (time to first byte)`), { code: 'ERR_TTFB_TIMEOUT' });
            req.destroy(err);
          }, ttfbLimit);
          ttfbTimer.unref?.();
        }
        opts.onConnected?.();
      });
      // The first byte is when data arrives, not when the parser has built the response object
      // (which, on cold code, takes a few ms that would otherwise move from ttfb to download).
      socket.prependOnceListener('data', () => timing.markFirstByte());
    });

    const bodyState: BodyState = {};
    req.on('error', (err) => {
      // After the headers, the request side names why the body broke (parser error, reset).
      if (settled) bodyState.reqError ??= err;
      fail(err);
    });
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      clearTimeout(ttfbTimer);
      response = res;
      timing.markFirstByte();
      const finish = () => {
        timing.markEnd();
        opts.signal?.removeEventListener('abort', onAbort);
      };
      res.once('end', finish);
      res.once('close', finish);
      // An error after the headers belongs to the body reader; keep Node from throwing it.
      res.on('error', () => undefined);
      settled = true;
      resolve(makeResponse(url.href, res, timing, target, bodyState));
    });

    if (opts.onRequest) {
      const sent = flatHeaders(req.getHeaders() as Record<string, string | string[] | undefined>);
      const withHost: Record<string, string> = { host: url.host, ...sent };
      opts.onRequest({ method, url: url.href, headers: withHost, bodySize: body?.length ?? 0 });
    }
    req.end(body);
  });
}

function makeResponse(url: string, res: IncomingMessage, timing: RequestTiming, target: string, state: BodyState): HttpResponse {
  return {
    url,
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers: flatHeaders(res.headers),
    rawHeaders: res.rawHeaders,
    message: res,
    timing,
    async *[Symbol.asyncIterator]() {
      let received = 0;
      try {
        for await (const chunk of res) {
          received += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      } catch (err) {
        const d = bodyFailure(err, res, state, received, target);
        throw new HttpClientError(d.message, d.code, err);
      }
    },
    readBody: (limit = Number.POSITIVE_INFINITY) => startBodyRead(res, limit, target, state).done,
    startBodyRead: (limit = Number.POSITIVE_INFINITY) => startBodyRead(res, limit, target, state),
    phases: () => timing.phases(),
    destroy: (reason?: Error) => {
      res.destroy(reason ?? abortError());
    },
  };
}

function startBodyRead(res: IncomingMessage, limit: number, target: string, state: BodyState): BodyRead {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let size = 0;
  const snapshot = (): BodyPreview => ({ preview: Buffer.concat(kept, keptBytes), size, truncated: size > keptBytes });
  const done = new Promise<BodyPreview>((resolve, reject) => {
    let finished = false;
    const finish = (err?: unknown) => {
      if (finished) return;
      finished = true;
      if (!err) return resolve(snapshot());
      const d = bodyFailure(err, res, state, size, target);
      reject(new HttpBodyError(d.message, d.code, snapshot(), err));
    };
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (keptBytes < limit) {
        const take = Math.min(chunk.length, limit - keptBytes);
        kept.push(take === chunk.length ? chunk : chunk.subarray(0, take));
        keptBytes += take;
      }
    });
    res.once('end', () => finish());
    res.once('error', (err) => finish(err));
    res.once('close', () => {
      // `close` without `end` means the connection dropped mid-body.
      if (!res.complete) finish(res.errored ?? Object.assign(new Error('The connection closed before the response body ended'), { code: 'ECONNRESET' }));
      else finish();
    });
    if (res.readableEnded) finish();
  });
  return { done, snapshot };
}

/** Status codes that are redirects with a Location to follow. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Where a redirect response leads, per RFC 9110: the resolved Location, and whether the next
 * request becomes a GET without a body (303 always; 301/302 after a POST, as browsers do).
 * Undefined when the response is not a followable redirect.
 */
export function followRedirect(
  res: Pick<HttpResponse, 'status' | 'headers' | 'url'>,
  method: string,
): { url: string; method: string; dropBody: boolean } | undefined {
  if (!REDIRECT_STATUSES.has(res.status)) return undefined;
  const location = res.headers.location;
  if (!location) return undefined;
  let next: URL;
  try {
    next = new URL(location, res.url);
  } catch {
    return undefined;
  }
  const m = method.toUpperCase();
  const toGet = res.status === 303 ? m !== 'HEAD' : (res.status === 301 || res.status === 302) && m === 'POST';
  return { url: next.href, method: toGet ? 'GET' : m, dropBody: toGet };
}

/** Cap on a body decoded for display (gzip, deflate, br), over HTTP/1.1 and HTTP/2 alike. */
const MAX_DECODED_BYTES = 32 * 1024 * 1024;

/** Decode a gzip/deflate/br body for display; undefined when the coding is unknown, the bytes are bad, or it would pass the cap. */
export function decodeContent(coding: string, data: Buffer): Buffer | undefined {
  const opts = { maxOutputLength: MAX_DECODED_BYTES };
  try {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(data, opts);
      case 'deflate':
        // Servers send deflate both with and without the zlib wrapper.
        try {
          return zlib.inflateSync(data, opts);
        } catch {
          return zlib.inflateRawSync(data, opts);
        }
      case 'br':
        return zlib.brotliDecompressSync(data, opts);
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

const TEXTUAL_TYPE = /^(text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|ecmascript|x-www-form-urlencoded|x-ndjson|ndjson|jsonl|x-jsonlines|graphql|yaml|x-yaml|csv|problem\+json|sql)\b)|^image\/svg\+xml|^message\//i;

/**
 * True when a body should be shown as UTF-8 text: a textual content type, or, with no
 * content type, bytes that decode as UTF-8 without control characters.
 */
export function isTextualBody(contentType: string | undefined, sample?: Uint8Array): boolean {
  const ct = (contentType ?? '').split(';', 1)[0].trim();
  if (ct) return TEXTUAL_TYPE.test(ct) || /[+/](json|xml)$/i.test(ct);
  if (!sample || sample.byteLength === 0) return true;
  try {
    // A preview may end in the middle of a character; ignore the last three bytes' validity.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, Math.max(0, sample.byteLength - 3)));
    // eslint-disable-next-line no-control-regex
    return !/[\u0000-\u0008\u000e-\u001f]/.test(text);
  } catch {
    return false;
  }
}

/** Hooks that let a transport watch what a fetch built by `createNodeFetch` does. */
export interface FetchHooks {
  /** A request is on its way (each redirect hop too). */
  onRequest?(sent: SentRequest): void;
  /** Response headers arrived (each hop); `redirect` is true for a hop that will be followed. */
  onResponse?(res: HttpResponse, info: { redirect: boolean }): void;
  /** A body chunk arrived on the final response. */
  onChunk?(chunk: Buffer, res: HttpResponse): void;
  /** The final response's body ended (`err` undefined) or failed. */
  onBodyEnd?(res: HttpResponse, err?: HttpClientError): void;
}

/** Defaults of a fetch built by `createNodeFetch`. */
export interface NodeFetchOptions {
  tls?: TlsOptions;
  connectTimeoutMs?: number;
  now?: () => number;
  /** Redirect hops allowed with `redirect: 'follow'` (default 20, as in browsers). */
  maxRedirects?: number;
  hooks?: FetchHooks;
}

/** The subset of `fetch` this module implements. */
export type NodeFetch = (input: string | URL, init?: NodeFetchInit) => Promise<Response>;

/** The subset of RequestInit understood by `createNodeFetch`. */
export interface NodeFetchInit {
  method?: string;
  headers?: Record<string, string> | Headers | Array<[string, string]>;
  body?: string | Uint8Array | ArrayBuffer | null;
  redirect?: 'follow' | 'manual' | 'error';
  signal?: AbortSignal | null;
  /** Accepted and ignored (they concern browsers). */
  mode?: string;
  cache?: string;
  credentials?: string;
}

/** Statuses whose Response must have a null body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A WHATWG-fetch-compatible function over `httpRequest`, for libraries that take a `fetch`
 * option (the `eventsource` package). Unlike the global fetch it honours Wirescope's TLS options
 * (insecure, CA, client certificates), measures timing, and reports every hop through hooks.
 */
export function createNodeFetch(defaults: NodeFetchOptions = {}): NodeFetch {
  const maxRedirects = defaults.maxRedirects ?? 20;
  return async (input, init = {}) => {
    let url = String(input instanceof URL ? input.href : input);
    let method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? {}).forEach((v, k) => (headers[k] = v));
    let body: string | Uint8Array | undefined =
      init.body === undefined || init.body === null ? undefined : init.body instanceof ArrayBuffer ? new Uint8Array(init.body) : init.body;
    const signal = init.signal ?? undefined;
    const mode = init.redirect ?? 'follow';
    const hooks = defaults.hooks ?? {};
    let dropped: string[] = [];
    for (let hop = 0; ; hop++) {
      const onRequest = hooks.onRequest;
      const droppedNow = dropped;
      const res = await httpRequest({
        url,
        method,
        headers,
        body,
        tls: defaults.tls,
        connectTimeoutMs: defaults.connectTimeoutMs,
        now: defaults.now,
        signal,
        onRequest: onRequest && (droppedNow.length > 0 ? (sent) => onRequest({ ...sent, credentialsDropped: droppedNow }) : onRequest),
      });
      const next = mode === 'manual' ? undefined : followRedirect(res, method);
      if (next) {
        hooks.onResponse?.(res, { redirect: true });
        res.destroy();
        if (mode === 'error') throw new HttpClientError(`Redirected to ${redactUrl(next.url)}, but redirects are not allowed here`, 'ERR_REDIRECT');
        if (hop + 1 > maxRedirects) throw new HttpClientError(`Too many redirects (more than ${maxRedirects})`, 'ERR_TOO_MANY_REDIRECTS');
        // The redirect policy of every HTTP-based pattern: credentials stay with their origin.
        const policy = headersForRedirect(headers, url, next.url);
        dropped = policy.dropped;
        if (dropped.length > 0) for (const name of Object.keys(headers)) if (!(name in policy.headers)) delete headers[name];
        url = next.url;
        method = next.method;
        if (next.dropBody) {
          body = undefined;
          delete headers['content-length'];
          delete headers['content-type'];
        }
        continue;
      }
      hooks.onResponse?.(res, { redirect: false });
      return toWebResponse(res, hop > 0, hooks);
    }
  };
}

function toWebResponse(res: HttpResponse, redirected: boolean, hooks: FetchHooks): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
    } catch {
      // A header the WHATWG Headers class refuses is still in res.headers for logging.
    }
  }
  const msg = res.message;
  let stream: ReadableStream<Uint8Array> | null = null;
  if (NULL_BODY_STATUSES.has(res.status)) msg.resume();
  else stream = bodyStream(res, hooks);
  // Response rejects status codes outside 200..599 and odd reason phrases; keep what it accepts.
  const status = res.status >= 200 && res.status <= 599 ? res.status : 500;
  let response: Response;
  try {
    response = new Response(stream, { status, statusText: res.statusText, headers });
  } catch {
    response = new Response(stream, { status, headers });
  }
  Object.defineProperty(response, 'url', { value: res.url });
  Object.defineProperty(response, 'redirected', { value: redirected });
  return response;
}

/** Bytes a body stream may hold unread before the Node response is paused. */
const BODY_HIGH_WATER_BYTES = 1 << 20;

/**
 * The response body as a web stream, for the reader in a library. The HTTP parser hands over one
 * piece per chunk of a chunked body, which for a server writing each event separately means one
 * piece per message: all pieces of one socket read are gathered and enqueued as one chunk, so the
 * stream's per-chunk work (enqueue, a read promise, a decode call in the reader) happens once per
 * read, not once per message. Pieces are joined only when there are several; a lone one is passed
 * on as is. The Node stream is paused only when a megabyte is waiting unread, and resumed by `pull`.
 */
function bodyStream(res: HttpResponse, hooks: FetchHooks): ReadableStream<Uint8Array> {
  const msg = res.message;
  let closed = false;
  let controller: ReadableStreamDefaultController<Uint8Array>;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let flushQueued = false;
  let socketPaused = false;
  const flush = (): void => {
    flushQueued = false;
    if (pending.length === 0 || closed) return;
    const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    hooks.onChunk?.(chunk, res);
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 1) <= 0 && msg.socket && !socketPaused) {
      // Pieces bypass the Node stream's buffer (see start), so back-pressure stops the socket itself.
      socketPaused = true;
      msg.socket.pause();
    }
  };
  const onData = (piece: Buffer): void => {
    if (closed) return;
    pending.push(piece);
    pendingBytes += piece.length;
    // Every piece of one socket read arrives in the same synchronous parser run; the tick after
    // it sees them all (and comes before the stream's own end or close, which Node queues later).
    if (!flushQueued) {
      flushQueued = true;
      process.nextTick(flush);
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        // Node's HTTP parser hands each body piece to the response's push(); taking them there skips
        // the Readable machinery (buffering, a 'data' emit) per piece, which on a feed of small
        // events costs about as much as the rest of this bridge. Pieces that came with the headers,
        // before this stream existed, are already in the Node stream's buffer: they go first. The
        // end of the body (push(null)) still goes through the stream, so 'end' and 'close' come as
        // usual, and resume() lets it flow to them.
        for (let buffered = msg.read() as Buffer | null; buffered !== null; buffered = msg.read() as Buffer | null) onData(buffered);
        const push = msg.push.bind(msg);
        msg.push = (piece: unknown, encoding?: BufferEncoding): boolean => {
          if (!Buffer.isBuffer(piece)) return push(piece, encoding);
          onData(piece);
          return true;
        };
        // Should a Node version deliver body pieces without push(), they come as 'data' events instead:
        // nothing is lost either way, and a piece taken at push() never reaches 'data', so none doubles.
        msg.on('data', onData);
        msg.resume();
        msg.once('end', () => {
          flush();
          if (closed) return;
          closed = true;
          hooks.onBodyEnd?.(res);
          controller.close();
        });
        msg.once('close', () => {
          flush();
          if (closed) return;
          closed = true;
          const err = toHttpError(
            msg.errored ?? Object.assign(new Error('The connection closed before the response body ended'), { code: 'ECONNRESET' }),
            new URL(res.url).host,
          );
          hooks.onBodyEnd?.(res, err);
          controller.error(err);
        });
      },
      pull() {
        if (socketPaused) {
          socketPaused = false;
          msg.socket?.resume();
        }
      },
      cancel() {
        closed = true;
        pending = [];
        msg.destroy();
      },
    },
    { highWaterMark: BODY_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
  );
}
