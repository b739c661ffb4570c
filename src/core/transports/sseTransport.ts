import { EventSource, type FetchLike, type FetchLikeResponse } from 'eventsource';
import type { ConnectOptions } from '../../shared/connectOptions';
import { checkUrl, describeError } from '../errors';
import { createNodeFetch, HttpClientError, isTextualBody, redactHeaders, redactUrl, type HttpResponse, type NodeFetch, type SentRequest } from '../httpClient';
import { ConnectionLifecycle, USER_RECONNECT_CAUSE } from '../lifecycle';
import { SseRetryWatcher } from '../sseRetryWatcher';
import type { Transport, TransportFactory, TransportSink } from '../transport';

export const createSseTransport: TransportFactory = ({ options, sink }) => new SseTransport(options, sink);

/** The content type check the `eventsource` package applies (WHATWG spec). */
const EVENT_STREAM_TYPE = /^[\t\n\r ]*text\/event-stream[\t\n\r ]*(?:;|$)/i;
/** How much of a rejected response's body is read for the log, and for how long at most. */
const REJECTED_BODY_WAIT_MS = 1000;
const CLOSED = 2;

/**
 * Server-sent events via `eventsource`, fed by our own fetch so that every connection has real
 * timing, status and headers, and honours the TLS options. The library does the protocol work
 * (parsing, `retry:`, Last-Event-ID, reconnecting after a drop); this transport watches it:
 * every dispatched event becomes a frame (the library only dispatches by type, so the instance's
 * dispatchEvent is wrapped to see all of them), and every drop, attempt and reopen is logged.
 * A failed first connection, a non-200 status or a wrong content type ends the session at once.
 */
class SseTransport implements Transport {
  private es: EventSource | undefined;
  private readonly lc: ConnectionLifecycle;
  /** When the library scheduled the pending reconnect (its error event), to measure the delay. */
  private scheduledAt: number | undefined;
  /** The latest known reason the connection went away; consumed by the next error event. */
  private problem: { message: string; code?: string } | undefined;
  /** Set when a response was rejected (status, content type): the session fails with it. */
  private rejection: { message: string; code: string } | undefined;
  private current: HttpResponse | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastEventId: string | undefined;
  private connections = 0;
  private lastResponseInfo: { status: number; statusText: string; headers: Record<string, string>; url: string } | undefined;
  private readonly nodeFetch: NodeFetch;
  /** Keeps the process alive while the library waits to reconnect (its own timer is unref'd). */
  private waitHold: NodeJS.Timeout | undefined;
  /** The server's latest `retry:` (the library applies it but does not expose it), for reconnect events. */
  private retryMs: number | undefined;
  private readonly retryWatcher = new SseRetryWatcher();

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => {
      this.disarmIdle();
      this.releaseHold();
      this.es?.close();
      this.current?.destroy();
      this.current = undefined;
      if (this.lastEventId !== undefined) this.sink.summarize({ lastEventId: this.lastEventId });
    });
    this.nodeFetch = createNodeFetch({
      tls: this.options.tls,
      connectTimeoutMs: this.options.connectTimeoutMs,
      now: () => this.sink.now(),
      maxRedirects: this.options.maxRedirects ?? 10,
      hooks: {
        onRequest: (sent) => this.logRequest(sent),
        onResponse: (res, { redirect }) => {
          if (redirect) this.sink.timing(res.phases(), { status: res.status, url: redactUrl(res.url), redirect: true, location: res.headers.location });
          else {
            this.current = res;
            this.retryWatcher.reset();
          }
        },
        onChunk: (chunk, res) => {
          if (res !== this.current) return;
          this.armIdle();
          const retry = this.retryWatcher.push(chunk);
          if (retry !== undefined) this.retryMs = retry;
        },
        onBodyEnd: (res, err) => {
          if (res !== this.current || this.lc.ended) return;
          this.problem = err ? { message: err.message, code: err.code } : { message: 'stream ended by the server' };
        },
      },
    });
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['http', 'https']);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    this.lc.connecting(redactUrl(this.options.url));
    let es: EventSource;
    try {
      es = new EventSource(this.options.url, { fetch: this.fetchForLibrary });
    } catch (err) {
      const d = describeError(err, this.options.url);
      return this.lc.fail(d.message, d.code ?? 'ERR_INVALID_URL');
    }
    this.es = es;
    // The library dispatches each event by its type only; replacing dispatchEvent on the instance
    // sees every type without knowing the names in advance. The instance is private to this
    // transport and nothing listens on it, so the EventTarget machinery is skipped altogether:
    // on a fast feed that is a measurable share of the cost per message.
    es.dispatchEvent = (ev: Event): boolean => {
      this.observe(es, ev);
      return true;
    };
  }

  /** The `fetch` handed to `eventsource`: adds our headers, logs attempts, and vets responses. */
  private readonly fetchForLibrary: FetchLike = async (url, init) => {
    this.releaseHold();
    if (this.lc.stopped) throw new HttpClientError('Request aborted', 'ABORT_ERR');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.options.headers ?? {})) headers[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(init.headers)) headers[k.toLowerCase()] = v;
    // The library only knows ids it has seen; a configured resume point stands in until then.
    const configured = this.options.sse?.lastEventId;
    // Header values are byte strings: an id travels as its UTF-8 bytes, as the library sends it.
    if (!headers['last-event-id'] && configured && this.lastEventId === undefined) headers['last-event-id'] = Buffer.from(configured, 'utf8').toString('latin1');
    if (this.lc.down) {
      const delay = this.scheduledAt !== undefined ? Math.round(this.sink.now() - this.scheduledAt) : 0;
      const sentId = headers['last-event-id'];
      const meta: Record<string, unknown> = { lastEventId: sentId === undefined ? null : Buffer.from(sentId, 'latin1').toString('utf8') };
      // The delay the server asked for with `retry:`, which the library waited (compare with delayMs).
      if (this.retryMs !== undefined) meta.retryMs = this.retryMs;
      this.lc.announce(delay, meta);
    }
    const method = (this.options.method ?? 'GET').toUpperCase();
    // The idle limit also bounds the wait for response headers; an idle timeout must reach the
    // library as an ordinary error (it ignores aborts), so that it reconnects.
    const limit = this.options.sse?.idleTimeoutMs ?? 0;
    const own = new AbortController();
    const outer = init.signal as AbortSignal | undefined;
    let idle: NodeJS.Timeout | undefined;
    const headersLate =
      limit > 0
        ? new Promise<never>((_resolve, reject) => {
            idle = setTimeout(() => {
              own.abort();
              reject(new HttpClientError(`idle timeout: no response headers within ${limit} ms`, 'ERR_IDLE_TIMEOUT'));
            }, limit);
          })
        : undefined;
    let res: Response;
    try {
      const fetching = this.nodeFetch(url, {
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' ? undefined : this.options.body,
        redirect: 'follow',
        signal: outer ? AbortSignal.any([outer, own.signal]) : own.signal,
      });
      res = await (headersLate ? Promise.race([fetching, headersLate]) : fetching);
    } catch (err) {
      let e: HttpClientError;
      if (err instanceof HttpClientError) e = err;
      else {
        const d = describeError(err, String(url));
        e = new HttpClientError(d.message, d.code, err);
      }
      if (e.code !== 'ABORT_ERR') {
        this.problem = { message: e.message, code: e.code };
        // A first connection's failure is reported when the session fails; later ones here.
        if (e.code === 'ERR_IDLE_TIMEOUT' && this.lc.everOpened) this.sink.error(e.message, e.code);
      }
      throw e;
    } finally {
      clearTimeout(idle);
    }
    return this.vet(res);
  };

  /** Log the connection's timing; read and log the body of a response the library will reject. */
  private async vet(res: Response): Promise<FetchLikeResponse> {
    const sink = this.sink;
    this.connections++;
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const contentType = res.headers.get('content-type') ?? '';
    const status = res.status;
    const info = { status, statusText: res.statusText, headers };
    this.lastResponseInfo = { ...info, url: res.url };
    const meta: Record<string, unknown> = { status, url: redactUrl(res.url), connection: this.connections };
    // A stream has no download end; the connection's timing stops at its headers.
    if (this.current) sink.timing({ ...this.current.phases(), download: null }, meta);
    if (status === 200 && EVENT_STREAM_TYPE.test(contentType)) return res;

    if (status === 204) {
      // The spec's way for a server to say "stop reconnecting": a clean end, not a failure.
      this.rejection = { message: 'server sent 204 No Content: stop reconnecting', code: 'SSE_204' };
    } else if (status !== 200) {
      this.rejection = {
        message: `SSE connection rejected: HTTP ${status}${res.statusText ? ' ' + res.statusText : ''} (expected 200 with Content-Type text/event-stream)`,
        code: 'ERR_SSE_STATUS',
      };
    } else {
      this.rejection = {
        message: `SSE connection rejected: Content-Type is "${contentType || '(none)'}", expected text/event-stream`,
        code: 'ERR_SSE_CONTENT_TYPE',
      };
    }
    const { preview, size } = await readSome(res, sink.previewLimit, REJECTED_BODY_WAIT_MS);
    // A control frame, like the request: it must not count towards --count and end the session
    // as "count reached" before the failure is reported.
    sink.frame('in', preview, { size, binary: !isTextualBody(contentType, preview), control: true, meta: { ...info, handshake: true } });
    // The library reads status and content type only; the body has been consumed here.
    return { url: res.url, status, redirected: res.redirected, headers: res.headers, body: null };
  }

  private logRequest(sent: SentRequest): void {
    // The request that opens (or reopens) the stream: a handshake, so a control frame.
    const meta: Record<string, unknown> = { method: sent.method, url: redactUrl(sent.url), headers: redactHeaders(sent.headers), handshake: true };
    this.sink.frame('out', this.options.body && sent.bodySize > 0 ? this.options.body : '', { meta, control: true });
  }

  private observe(es: EventSource, ev: Event): void {
    if (this.lc.ended || this.es !== es) return;
    if (ev.type === 'open') {
      this.onOpen();
      return;
    }
    if (ev.type === 'error') {
      this.onError(es, ev as Event & { message?: string; code?: number });
      return;
    }
    if (ev instanceof MessageEvent) {
      const id = ev.lastEventId;
      // One options object per frame, and a meta object only when there is something in it.
      if (id) {
        this.lastEventId = id;
        this.sink.frame('in', String(ev.data), { channel: ev.type, meta: { id } });
      } else {
        this.sink.frame('in', String(ev.data), { channel: ev.type });
      }
    }
  }

  private onOpen(): void {
    const info = this.lastResponseInfo;
    const meta: Record<string, unknown> = info ? { status: info.status, statusText: info.statusText, headers: info.headers } : {};
    if (info && info.url !== this.options.url) meta.finalUrl = redactUrl(info.url);
    this.scheduledAt = undefined;
    this.problem = undefined;
    this.lc.opened(redactUrl(this.options.url), meta);
    this.armIdle();
  }

  private onError(es: EventSource, ev: Event & { message?: string; code?: number }): void {
    this.disarmIdle();
    const problem = this.problem ?? { message: ev.message || 'connection lost' };
    this.problem = undefined;
    if (es.readyState === CLOSED) {
      // The library failed the connection (status, content type, oversized event): no retry.
      const rejection = this.rejection ?? { message: `SSE connection failed: ${ev.message ?? 'unknown reason'}`, code: 'ERR_SSE' };
      if (rejection.code === 'SSE_204') {
        this.lc.end('closed', rejection.message, 204);
        return;
      }
      this.lc.fail(rejection.message, rejection.code, false, ev.code !== undefined && ev.code !== 200 ? ev.code : undefined);
      return;
    }
    this.scheduledAt = this.sink.now();
    // The library waits (the server's `retry:`) and reconnects by itself; the attempt's event goes out when it does.
    const plan = this.lc.dropped(problem.message, { errorCode: problem.code, announce: false });
    if (!plan.retry) return;
    this.releaseHold();
    this.waitHold = setInterval(() => undefined, 60_000);
  }

  private releaseHold(): void {
    clearInterval(this.waitHold);
    this.waitHold = undefined;
  }

  private armIdle(): void {
    const limit = this.options.sse?.idleTimeoutMs ?? 0;
    if (!limit || limit <= 0 || this.lc.ended) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const current = this.current;
      if (this.lc.ended || !current) return;
      const message = `idle timeout: no data for ${limit} ms`;
      this.sink.error(message, 'ERR_IDLE_TIMEOUT');
      this.problem = { message, code: 'ERR_IDLE_TIMEOUT' };
      // Ending the body with an error makes the library reconnect (with Last-Event-ID).
      current.destroy(new HttpClientError(message, 'ERR_IDLE_TIMEOUT'));
    }, limit);
  }

  private disarmIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  reconnect(): void {
    if (!this.current || this.lc.down) return;
    const current = this.current;
    this.lc.requestReconnect(() => current.destroy(new HttpClientError(USER_RECONNECT_CAUSE, 'ERR_USER_RECONNECT')));
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => this.lc.finishClose());
  }
}

/** Read up to `limit` bytes of a body, waiting at most `waitMs`, then cancel the rest. */
async function readSome(res: Response, limit: number, waitMs: number): Promise<{ preview: Buffer; size: number }> {
  if (!res.body) return { preview: Buffer.alloc(0), size: 0 };
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), waitMs);
    timer.unref?.();
  });
  try {
    while (size < limit) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout' || next.done) break;
      chunks.push(Buffer.from(next.value));
      size += next.value.byteLength;
    }
  } catch {
    // A body that fails mid-way still leaves what arrived for the log.
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => undefined);
  }
  const all = Buffer.concat(chunks);
  return { preview: all.subarray(0, limit), size };
}
