import type { ConnectOptions } from '../../shared/connectOptions';
import { checkUrl, describeError } from '../errors';
import { headersForRedirect } from '../../shared/credentials';
import { resolvePolicy } from '../backoff';
import { followRedirect, HttpClientError, isTextualBody, redactHeaders, redactUrl, type SentRequest } from '../httpClient';
import { ConnectionLifecycle, USER_RECONNECT_CAUSE } from '../lifecycle';
import { SseParser, type SseEvent } from '../sseParser';
import { openStream, type StreamResponse } from '../streamClient';
import type { Transport, TransportFactory, TransportSink } from '../transport';

export const createSseTransport: TransportFactory = ({ options, sink }) => new SseTransport(options, sink);

/** The content type check of the HTML standard for an event stream. */
const EVENT_STREAM_TYPE = /^[\t\n\r ]*text\/event-stream[\t\n\r ]*(?:;|$)/i;
/** How much of a rejected response's body is read for the log, and for how long at most. */
const REJECTED_BODY_WAIT_MS = 1000;

/**
 * Server-sent events, with our own HTTP/1.1 stream reader (`streamClient.ts`: real socket timing, status
 * and headers, the TLS options, and the body of each socket read in one piece) and our own event-stream
 * parser (`sseParser.ts`). Every event becomes a frame (its type as channel, the last event id in
 * `meta.id`); the shared connection lifecycle reconnects after a drop, waiting the server's `retry:` when
 * it sent one (the policy's backoff otherwise) and sending Last-Event-ID. A failed first connection, a
 * non-200 status or a wrong content type ends the session at once; 204 ends it cleanly.
 */
class SseTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private readonly parser: SseParser;
  private current: StreamResponse | undefined;
  /** Aborts the connection attempt in flight (close, user reconnect, header idle timeout). */
  private attempt: AbortController | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Why the current stream is being cut by us (idle timeout), for the drop's cause. */
  private cutCause: string | undefined;
  /** The last non-empty event id dispatched (undefined before any). */
  private lastEventId: string | undefined;
  /** The server's latest `retry:`: the delay before the next attempt. */
  private retryMs: number | undefined;
  private connections = 0;
  /** The reconnect delay cap: a server's `retry:` above it is clamped (and said so once). */
  private readonly retryCap: number;
  private retryClampSaid = false;
  /** Reading is paused for back-pressure (see Transport.pause). */
  private paused = false;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => {
      this.disarmIdle();
      this.attempt?.abort();
      this.current?.destroy();
      this.current = undefined;
      if (this.lastEventId !== undefined) this.sink.summarize({ lastEventId: this.lastEventId });
    });
    this.parser = new SseParser({
      event: (e) => this.onEvent(e),
      retry: (ms, raw) => this.onRetry(ms, raw),
    });
    // A timer cannot wait longer than 2^31-1 ms (Node fires it at once instead, with a warning).
    this.retryCap = Math.min(resolvePolicy(options.reconnect).maxDelayMs, 2 ** 31 - 1);
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['http', 'https']);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    this.lc.connecting(redactUrl(this.options.url));
    void this.connect();
  }

  /** The id the next request sends: the stream's last id, or the configured resume point until the stream names one. */
  private resumeId(): string | undefined {
    const seen = this.parser.lastEventId;
    if (seen !== '') return seen;
    return this.lastEventId === undefined ? this.options.sse?.lastEventId || undefined : undefined;
  }

  private async connect(): Promise<void> {
    if (this.lc.stopped) return;
    const options = this.options;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    const resume = this.resumeId();
    // Header values are byte strings: an id travels as its UTF-8 bytes.
    if (resume !== undefined && headers['last-event-id'] === undefined) headers['last-event-id'] = Buffer.from(resume, 'utf8').toString('latin1');
    let method = (options.method ?? 'GET').toUpperCase();
    let body = method === 'GET' || method === 'HEAD' ? undefined : options.body;
    const attempt = new AbortController();
    this.attempt = attempt;
    // The idle limit also bounds the wait for response headers.
    const limit = options.sse?.idleTimeoutMs ?? 0;
    let headersLate: string | undefined;
    const headerTimer =
      limit > 0
        ? setTimeout(() => {
            headersLate = `idle timeout: no response headers within ${limit} ms`;
            attempt.abort();
          }, limit)
        : undefined;
    let res: StreamResponse;
    try {
      let url = options.url;
      const maxRedirects = options.maxRedirects ?? 10;
      let dropped: string[] = [];
      for (let hop = 0; ; hop++) {
        res = await openStream({
          url,
          method,
          headers,
          body,
          tls: options.tls,
          connectTimeoutMs: options.connectTimeoutMs,
          now: this.sink.now,
          signal: attempt.signal,
          onRequest: (sent) => this.logRequest(sent, dropped),
        });
        const next = followRedirect(res, method);
        if (!next) break;
        this.sink.timing(res.phases(), { status: res.status, url: redactUrl(res.url), redirect: true, location: res.headers.location });
        res.destroy();
        if (hop + 1 > maxRedirects) throw new HttpClientError(`Too many redirects (more than ${maxRedirects})`, 'ERR_TOO_MANY_REDIRECTS');
        // The redirect policy of every HTTP-based pattern: credentials stay with their origin.
        const policy = headersForRedirect(headers, url, next.url);
        dropped = policy.dropped;
        for (const name of Object.keys(headers)) if (!(name in policy.headers)) delete headers[name];
        url = next.url;
        method = next.method;
        if (next.dropBody) {
          body = undefined;
          delete headers['content-length'];
          delete headers['content-type'];
        }
      }
    } catch (err) {
      if (this.lc.stopped) return;
      const e = headersLate
        ? new HttpClientError(headersLate, 'ERR_IDLE_TIMEOUT')
        : err instanceof HttpClientError
          ? err
          : new HttpClientError(describeError(err, options.url).message, describeError(err, options.url).code, err);
      // A first connection's failure is reported when the session fails; an idle timeout later on here.
      if (e.code === 'ERR_IDLE_TIMEOUT' && this.lc.everOpened) this.sink.error(e.message, e.code);
      this.drop(e.message, e.code);
      return;
    } finally {
      clearTimeout(headerTimer);
      if (this.attempt === attempt) this.attempt = undefined;
    }
    if (this.lc.stopped) {
      res.destroy();
      return;
    }
    await this.vet(res);
  }

  /** Log the connection's timing; open the stream, or read and log the body of a response that is refused. */
  private async vet(res: StreamResponse): Promise<void> {
    const sink = this.sink;
    this.connections++;
    const status = res.status;
    const contentType = res.headers['content-type'] ?? '';
    // A stream has no download end; the connection's timing stops at its headers.
    sink.timing({ ...res.phases(), download: null }, { status, url: redactUrl(res.url), connection: this.connections });
    if (status === 200 && EVENT_STREAM_TYPE.test(contentType)) return this.open(res);

    let rejection: { message: string; code: string };
    if (status === 204) {
      // The standard's way for a server to say "stop reconnecting": a clean end, not a failure.
      res.destroy();
      this.lc.end('closed', 'server sent 204 No Content: stop reconnecting', 204);
      return;
    } else if (status !== 200) {
      rejection = {
        message: `SSE connection rejected: HTTP ${status}${res.statusText ? ' ' + res.statusText : ''} (expected 200 with Content-Type text/event-stream)`,
        code: 'ERR_SSE_STATUS',
      };
    } else {
      rejection = { message: `SSE connection rejected: Content-Type is "${contentType || '(none)'}", expected text/event-stream`, code: 'ERR_SSE_CONTENT_TYPE' };
    }
    const { preview, size } = await res.readSome(sink.previewLimit, REJECTED_BODY_WAIT_MS);
    if (this.lc.ended) return;
    // A control frame, like the request: it must not count towards --count and end the session
    // as "count reached" before the failure is reported.
    sink.frame('in', preview, {
      size,
      binary: !isTextualBody(contentType, preview),
      control: true,
      meta: { status, statusText: res.statusText, headers: res.headers, handshake: true },
    });
    this.lc.fail(rejection.message, rejection.code, false, status !== 200 ? status : undefined);
  }

  private open(res: StreamResponse): void {
    this.current = res;
    if (this.paused) res.pause();
    this.cutCause = undefined;
    this.parser.reset();
    const meta: Record<string, unknown> = { status: res.status, statusText: res.statusText, headers: res.headers };
    if (res.url !== this.options.url) meta.finalUrl = redactUrl(res.url);
    this.lc.opened(redactUrl(this.options.url), meta);
    this.armIdle();
    res.read({
      data: (pieces) => {
        if (this.current !== res) return;
        this.armIdle();
        // A read with many small chunks (a server that writes per event) is decoded and scanned once:
        // joining them costs less than a decoder call and a line scan per chunk.
        if (pieces.length === 1) this.parser.push(pieces[0]);
        else if (pieces.length > 1) this.parser.push(Buffer.concat(pieces));
      },
      end: (err) => this.onStreamEnd(res, err),
    });
  }

  /** The server's `retry:`: above the reconnect delay cap it is clamped, and the log says so once. */
  private onRetry(ms: number, raw: string): void {
    if (ms <= this.retryCap) {
      this.retryMs = ms;
      return;
    }
    this.retryMs = this.retryCap;
    if (this.retryClampSaid) return;
    this.retryClampSaid = true;
    this.sink.error(`server sent retry: ${raw.length > 40 ? raw.slice(0, 40) + '…' : raw} ms, above the reconnect delay cap; clamped to ${this.retryCap} ms`, 'SSE_RETRY_CLAMPED');
  }

  private onEvent(e: SseEvent): void {
    if (this.lc.ended) return;
    const id = e.lastEventId;
    // One options object per frame, and a meta object only when there is something in it. An event
    // without an `id:` of its own carries the stream's last id (the resume point), marked
    // `idInherited`: it has no identity of its own, so a sequence check counts it as unidentified.
    if (id) {
      this.lastEventId = id;
      this.sink.frame('in', e.data, { channel: e.type, meta: e.ownId ? { id } : { id, idInherited: true } });
    } else {
      this.sink.frame('in', e.data, { channel: e.type });
    }
  }

  private onStreamEnd(res: StreamResponse, err: HttpClientError | undefined): void {
    if (this.current !== res || this.lc.ended) return;
    this.current = undefined;
    this.disarmIdle();
    const cause = this.cutCause ?? (err ? err.message : 'stream ended by the server');
    this.drop(cause, err?.code);
  }

  /** The connection went away (or an attempt failed): the lifecycle decides, the server's `retry:` sets the delay. */
  private drop(cause: string, code?: string): void {
    const id = this.resumeId();
    const meta: Record<string, unknown> = { lastEventId: id === undefined ? null : id };
    // The delay the server asked for with `retry:` (compare with delayMs).
    if (this.retryMs !== undefined) meta.retryMs = this.retryMs;
    const plan = this.lc.dropped(cause, { errorCode: code, meta, delayMs: this.retryMs });
    if (plan.retry)
      void this.lc.wait(plan.delayMs).then((go) => {
        if (go) void this.connect();
      });
  }

  private logRequest(sent: SentRequest, dropped: string[]): void {
    // The request that opens (or reopens) the stream: a handshake, so a control frame.
    const meta: Record<string, unknown> = { method: sent.method, url: redactUrl(sent.url), headers: redactHeaders(sent.headers), handshake: true };
    if (dropped.length > 0) meta.credentialsDropped = dropped;
    this.sink.frame('out', this.options.body && sent.bodySize > 0 ? this.options.body : '', { meta, control: true });
  }

  pause(): void {
    if (this.paused || this.lc.ended) return;
    this.paused = true;
    // Silence while paused is ours, not the server's: the idle timer waits.
    this.disarmIdle();
    this.current?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.lc.ended) return;
    this.current?.resume();
    this.armIdle();
  }

  private armIdle(): void {
    const limit = this.options.sse?.idleTimeoutMs ?? 0;
    if (!limit || limit <= 0 || this.lc.ended || this.paused) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const current = this.current;
      if (this.lc.ended || !current) return;
      const message = `idle timeout: no data for ${limit} ms`;
      this.sink.error(message, 'ERR_IDLE_TIMEOUT');
      this.cutCause = message;
      current.destroy(new HttpClientError(message, 'ERR_IDLE_TIMEOUT'));
    }, limit);
  }

  private disarmIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  reconnect(): void {
    this.lc.requestReconnect(() => {
      if (this.current) this.current.destroy(new HttpClientError(USER_RECONNECT_CAUSE, 'ERR_USER_RECONNECT'));
      else this.attempt?.abort();
    });
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => this.lc.finishClose());
  }
}
