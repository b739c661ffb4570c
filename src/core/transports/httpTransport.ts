import type { ConnectOptions } from '../../shared/connectOptions';
import { checkUrl, describeError } from '../errors';
import { decodeContent, HttpBodyError, HttpClientError, followRedirect, httpRequest, isTextualBody, redactHeaders, redactUrl, type BodyPreview, type BodyRead, type HttpResponse, type SentRequest } from '../httpClient';
import { headersForRedirect } from '../../shared/credentials';
import type { Transport, TransportFactory, TransportSink } from '../transport';
import { Http2Exchange } from './http2Exchange';

/**
 * How long a request-response exchange waits for response headers once connected, unless
 * `responseTimeoutMs` says otherwise (0 = no limit): generous, but a silent server cannot hold a session forever.
 */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;

/** Cap on a decoded body, so that a small compressed body cannot expand without bound. */

export const createHttpTransport: TransportFactory = ({ options, sink }) => new HttpTransport(options, sink);

/**
 * HTTP request-response: one exchange, logged as an `out` frame and an `in` frame with one
 * timing event. Redirects are shown, not hidden: every 3xx hop is its own `in` frame
 * (`meta.redirect: true`) with its own timing, and is followed unless `followRedirects` is false.
 */
class HttpTransport implements Transport {
  private readonly abort = new AbortController();
  private ended = false;
  private opened = false;
  /** The response whose body is being read: logged as it stands if the session ends mid-body. */
  private reading: { res: HttpResponse; body: BodyRead; location: string | undefined; timingLogged: boolean } | undefined;
  /** Why the exchange was cut by one of its own limits (total, body idle); reported instead of the abort. */
  private limitHit: { message: string; code: string } | undefined;
  private totalTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** With --http2: the requests as streams of one HTTP/2 connection. */
  private h2: Http2Exchange | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {}

  start(): void {
    const problem = checkUrl(this.options.url, ['http', 'https']);
    if (problem) {
      this.sink.error(problem, 'ERR_INVALID_URL');
      this.end('failed', problem);
      return;
    }
    const h = this.options.http;
    if ((h?.repeat !== undefined || h?.parallel !== undefined) && !h?.http2) {
      const message = '--repeat and --parallel need --http2 (several requests as streams of one HTTP/2 connection)';
      this.sink.error(message, 'ERR_INVALID_OPTIONS');
      this.end('failed', message);
      return;
    }
    if (h?.http2) {
      this.h2 = new Http2Exchange(this.options, this.sink, { repeat: h.repeat ?? 1, parallel: h.parallel ?? 1 }, (state, reason, code) => this.end(state, reason, code), (message, code) => this.fail(message, code));
      void this.h2.run();
      return;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    const { options, sink } = this;
    const follow = options.followRedirects !== false;
    const maxRedirects = options.maxRedirects ?? 10;
    let url = options.url;
    let method = (options.method ?? (options.body !== undefined ? 'POST' : 'GET')).toUpperCase();
    let body: string | undefined = options.body;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const visited = new Set<string>();
    let dropped: string[] = [];
    sink.state('connecting', { url: redactUrl(url) });
    const total = options.totalTimeoutMs ?? 0;
    if (total > 0) {
      this.totalTimer = setTimeout(() => this.cut(`total timeout: the exchange took longer than ${total} ms`, 'ERR_TOTAL_TIMEOUT'), total);
    }
    try {
      for (let hop = 0; ; hop++) {
        visited.add(`${method} ${url}`);
        const res = await httpRequest({
          url,
          method,
          headers,
          body,
          tls: options.tls,
          connectTimeoutMs: options.connectTimeoutMs,
          responseTimeoutMs: options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS,
          signal: this.abort.signal,
          now: sink.now,
          onRequest: (sent) => this.logRequest(sent, body, hop, dropped),
          onConnected: () => {
            if (!this.opened) {
              this.opened = true;
              sink.state('open', { url: redactUrl(url) });
            }
          },
        });
        const next = followRedirect(res, method);
        await this.logResponse(res, next?.url);
        if (this.ended) return;
        if (!next || !follow) {
          this.end('closed', `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`, res.status);
          return;
        }
        if (visited.has(`${next.method} ${next.url}`)) {
          this.fail(`Redirect loop: ${redactUrl(url)} redirects back to ${redactUrl(next.url)}, which was already requested`, 'ERR_REDIRECT_LOOP');
          return;
        }
        if (hop + 1 > maxRedirects) {
          this.fail(`Too many redirects: more than ${maxRedirects} hops (last to ${redactUrl(next.url)})`, 'ERR_TOO_MANY_REDIRECTS');
          return;
        }
        // The redirect policy of every HTTP-based pattern (shared/credentials): credentials are for
        // the origin they were given to, as browsers and curl do; the next hop's out frame says what was dropped.
        const policy = headersForRedirect(headers, url, next.url);
        dropped = policy.dropped;
        for (const name of Object.keys(headers)) if (!(name in policy.headers)) delete headers[name];
        url = next.url;
        method = next.method;
        if (next.dropBody) {
          body = undefined;
          for (const name of Object.keys(headers)) if (['content-length', 'content-type'].includes(name.toLowerCase())) delete headers[name];
        }
      }
    } catch (err) {
      if (this.ended) return;
      const d = this.limitHit ?? (err instanceof HttpClientError ? { message: err.message, code: err.code } : describeError(err, url));
      this.fail(d.message, d.code);
    } finally {
      clearTimeout(this.totalTimer);
      clearTimeout(this.idleTimer);
    }
  }

  /** One of the exchange's own limits was reached: stop it; run() reports `message`. */
  private cut(message: string, code: string): void {
    if (this.ended || this.limitHit) return;
    this.limitHit = { message, code };
    this.abort.abort();
  }

  /** Silence while the body arrives is limited too (default: the response timeout's 30 s). */
  private watchBodyIdle(res: HttpResponse): void {
    const limit = this.options.bodyIdleTimeoutMs ?? this.options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    if (!(limit > 0)) return;
    let received = 0;
    const arm = () => {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.cut(`idle timeout: the response body sent nothing for ${limit} ms (after ${received} bytes)`, 'ERR_IDLE_TIMEOUT'), limit);
    };
    res.message.on('data', (chunk: Buffer) => {
      received += chunk.length;
      arm();
    });
    res.message.once('close', () => clearTimeout(this.idleTimer));
    arm();
  }

  private logRequest(sent: SentRequest, body: string | undefined, hop: number, dropped: string[]): void {
    const meta: Record<string, unknown> = { method: sent.method, url: redactUrl(sent.url), headers: redactHeaders(sent.headers) };
    if (hop > 0) meta.hop = hop;
    if (dropped.length > 0) meta.credentialsDropped = dropped;
    this.sink.frame('out', body ?? '', { meta });
  }

  private async logResponse(res: HttpResponse, location: string | undefined): Promise<void> {
    const read = res.startBodyRead(this.sink.previewLimit);
    const reading = { res, body: read, location, timingLogged: false };
    this.reading = reading;
    this.watchBodyIdle(res);
    let body: BodyPreview;
    try {
      body = await read.done;
    } catch (err) {
      // The status and headers arrived: log them with what the body had, then report the real cause.
      if (this.reading === reading && !this.ended) this.logIn(reading, err instanceof HttpBodyError ? err.partial : read.snapshot(), this.limitHit?.message ?? (err as Error).message);
      throw err;
    } finally {
      clearTimeout(this.idleTimer);
      if (this.reading === reading) this.reading = undefined;
    }
    this.logIn(reading, body);
  }

  /** The response's timing and `in` frame; `incomplete` says why the body stopped early. */
  private logIn(reading: NonNullable<HttpTransport['reading']>, body: BodyPreview, incomplete?: string): void {
    const { sink } = this;
    const { res, location } = reading;
    const meta: Record<string, unknown> = { status: res.status, statusText: res.statusText, headers: res.headers };
    if (location !== undefined) {
      meta.redirect = true;
      meta.location = redactUrl(location);
    }
    if (incomplete !== undefined) meta.incomplete = incomplete;
    const timingMeta: Record<string, unknown> = { status: res.status, url: redactUrl(res.url) };
    if (location !== undefined) timingMeta.redirect = true;
    if (incomplete !== undefined) timingMeta.incomplete = true;
    if (!reading.timingLogged) {
      reading.timingLogged = true;
      sink.timing(res.phases(), timingMeta);
    }
    let payload: Uint8Array = body.preview;
    let size = body.size;
    const coding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (coding && coding !== 'identity') {
      meta.contentEncoding = coding;
      // Only a complete body can be decoded; a truncated one is shown as received.
      const decoded = body.truncated || incomplete !== undefined ? undefined : decodeContent(coding, body.preview);
      if (decoded) {
        meta.encodedSize = body.size;
        payload = decoded;
        size = decoded.length;
      }
    }
    const binary = !isTextualBody(res.headers['content-type'], payload);
    // A redirect hop is a control frame: --count counts answers, and must not stop the chain early.
    sink.frame('in', payload, { size, binary, meta, control: location !== undefined });
  }

  private fail(message: string, code?: string): void {
    if (this.ended) return;
    this.sink.error(message, code);
    this.end('failed', message);
  }

  private end(state: 'closed' | 'failed', reason: string, code?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.state(state, code !== undefined ? { reason, code } : { reason });
  }

  close(reason?: string): Promise<void> {
    if (this.h2 && !this.ended) {
      this.h2.stop();
      this.end('closed', reason ?? 'closed by user');
      return Promise.resolve();
    }
    if (!this.ended) {
      // Ended mid-body (--duration, Ctrl+C): the response is logged as it stands.
      const reading = this.reading;
      this.reading = undefined;
      if (reading) this.logIn(reading, reading.body.snapshot(), `session ended mid-body: ${reason ?? 'closed by user'}`);
      clearTimeout(this.totalTimer);
      clearTimeout(this.idleTimer);
      this.end('closed', reason ?? 'closed by user');
      this.abort.abort();
    }
    return Promise.resolve();
  }
}
