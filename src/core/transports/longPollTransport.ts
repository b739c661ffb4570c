import type { ConnectOptions, LongPollOptions } from '../../shared/connectOptions';
import { checkUrl, describeError } from '../errors';
import { redactUrl, type BodyPreview, type HttpResponse } from '../httpClient';
import { bodyText, describeHttpError, hasHeader, logResponse, responseMeta, sendLogged } from '../httpExchange';
import { ConnectionLifecycle, USER_RECONNECT_CAUSE } from '../lifecycle';
import { parseJsonPath, readJsonPath, scalarText, type JsonPathStep } from '../jsonPath';
import type { Transport, TransportFactory, TransportSink } from '../transport';

export const createLongPollTransport: TransportFactory = ({ options, sink }) => new LongPollTransport(options, sink);

/** Default client-side hold limit: longer than the 30 s most long-poll servers hold a request. */
const DEFAULT_HOLD_LIMIT_MS = 60_000;

type Outcome = { kind: 'data' | 'empty' } | { kind: 'retry'; cause: string } | { kind: 'fatal' };

/**
 * Long polling: a request is re-issued as soon as the previous one is answered. A cursor is carried
 * forward (JSON field, header or ETag). Each in frame has `meta.heldMs` and `meta.empty`; each out
 * frame after the first has `meta.gapMs`. A request held past `longPoll.timeoutMs` is aborted and
 * re-issued (`client timeout`); errors back off with the reconnect policy, logged as reconnect events
 * that show the cursor (the resume token) sent next.
 */
class LongPollTransport implements Transport {
  private readonly stop = new AbortController();
  private readonly lc: ConnectionLifecycle;
  private readonly lp: LongPollOptions;
  private everAnswered = false;
  /** Aborts the request being held (a user-requested reconnect). */
  private attemptAbort: AbortController | undefined;
  private cursor: string | undefined;
  private etag: string | undefined;
  private lastAnswerAt: number | undefined;
  private requests = 0;
  /** Running counts for `summary.longPoll`. */
  private readonly counts = { data: 0, empty: 0, clientTimeouts: 0, errors: 0, heldSumMs: 0, heldMaxMs: 0, answered: 0 };
  private cursorPath: JsonPathStep[] | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.stop.abort());
    this.lp = options.longPoll ?? {};
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['http', 'https']);
    if (problem) return this.fail(problem, 'ERR_INVALID_URL');
    if (this.lp.cursorField) {
      try {
        this.cursorPath = parseJsonPath(this.lp.cursorField);
      } catch (err) {
        return this.fail(describeError(err).message, 'ERR_BAD_OPTION');
      }
    }
    // A cursor already in the URL is the starting point.
    this.cursor = new URL(this.options.url).searchParams.get(this.cursorParam) ?? undefined;
    this.lc.connecting(redactUrl(this.options.url));
    void this.loop();
  }

  private get cursorParam(): string {
    return this.lp.cursorParam || 'cursor';
  }

  private get holdLimitMs(): number {
    return this.lp.timeoutMs ?? this.lp.idleTimeoutMs ?? DEFAULT_HOLD_LIMIT_MS;
  }

  private async loop(): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      const outcome = await this.requestOnce(signal);
      if (signal.aborted || this.lc.ended || outcome.kind === 'fatal') return;
      if (outcome.kind === 'retry') {
        const plan = this.lc.dropped(outcome.cause, { reported: true, meta: this.resumeMeta() });
        if (!plan.retry || !(await this.lc.wait(plan.delayMs))) return;
      }
    }
  }

  /** The resume token sent with the next request. */
  private resumeMeta(): Record<string, unknown> {
    const meta: Record<string, unknown> = {};
    if (this.cursor !== undefined) meta.cursor = this.cursor;
    if (this.lp.useEtag && this.etag) meta.ifNoneMatch = this.etag;
    return meta;
  }

  private requestUrl(): string {
    if (this.cursor === undefined || this.lp.useEtag) return this.options.url;
    const u = new URL(this.options.url);
    u.searchParams.set(this.cursorParam, this.cursor);
    return u.href;
  }

  private async requestOnce(stopSignal: AbortSignal): Promise<Outcome> {
    const { options, sink } = this;
    const limit = this.holdLimitMs;
    const attempt = new AbortController();
    this.attemptAbort = attempt;
    const onStop = () => attempt.abort();
    stopSignal.addEventListener('abort', onStop, { once: true });
    let timedOut = false;
    const holdTimer =
      limit > 0
        ? setTimeout(() => {
            timedOut = true;
            attempt.abort();
          }, limit)
        : undefined;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.lp.useEtag && this.etag && !hasHeader(headers, 'if-none-match')) headers['If-None-Match'] = this.etag;
    const outMeta: Record<string, unknown> = { request: ++this.requests };
    if (this.cursor !== undefined) outMeta.cursor = this.cursor;
    if (this.lastAnswerAt !== undefined) outMeta.gapMs = round(sink.now() - this.lastAnswerAt);
    const sentAt = sink.now();
    let res: HttpResponse | undefined;
    let body: BodyPreview;
    try {
      res = await sendLogged(options, sink, { url: this.requestUrl(), method: options.method ?? 'GET', headers, body: options.body, signal: attempt.signal, outMeta });
      body = await res.readBody(sink.previewLimit);
    } catch (err) {
      if (stopSignal.aborted) return { kind: 'fatal' };
      if (this.lc.reconnectRequested) return { kind: 'retry', cause: USER_RECONNECT_CAUSE };
      const heldMs = round(sink.now() - sentAt);
      this.lastAnswerAt = sink.now();
      if (timedOut) {
        // Not a failure of the server: re-issue at once, as a long-poll client does.
        sink.timing(res ? res.phases() : { dns: null, connect: null, tls: null, ttfb: null, download: null, total: heldMs }, { clientTimeout: true });
        sink.reconnect(1, 0, 'client timeout', { heldMs, limitMs: limit, ...this.resumeMeta() });
        this.counts.clientTimeouts++;
        this.summarize();
        return { kind: 'data' };
      }
      const d = describeHttpError(err);
      if (!this.everAnswered) {
        this.fail(d.message, d.code);
        return { kind: 'fatal' };
      }
      this.counts.errors++;
      this.summarize();
      sink.error(d.message, d.code);
      return { kind: 'retry', cause: d.message };
    } finally {
      clearTimeout(holdTimer);
      stopSignal.removeEventListener('abort', onStop);
      this.attemptAbort = undefined;
    }
    this.lastAnswerAt = sink.now();
    const heldMs = round(this.lastAnswerAt - sentAt);
    if (!this.everAnswered || (this.lc.down && res.status < 400)) {
      this.everAnswered = true;
      this.lc.opened(redactUrl(options.url), { status: res.status });
    }
    const meta: Record<string, unknown> = { ...responseMeta(res), heldMs, request: this.requests };
    this.counts.answered++;
    this.counts.heldSumMs += heldMs;
    this.counts.heldMaxMs = Math.max(this.counts.heldMaxMs, heldMs);
    if (res.status >= 400) {
      this.counts.errors++;
      this.summarize();
      logResponse(sink, res, body, meta);
      const cause = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
      sink.error(`Long-poll request ${this.requests} failed: ${cause}`, `HTTP_${res.status}`);
      return { kind: 'retry', cause };
    }
    const text = bodyText(res, body);
    const empty = res.status === 204 || res.status === 304 || body.size === 0 || (text !== undefined && /^\s*(\[\s*\]|null)?\s*$/.test(text));
    if (empty) meta.empty = true;
    const next = this.nextCursor(res, text);
    if (next !== undefined) {
      this.cursor = next;
      meta.cursor = next;
    }
    if (res.headers.etag) this.etag = res.headers.etag;
    if (empty) this.counts.empty++;
    else this.counts.data++;
    this.summarize();
    logResponse(sink, res, body, meta);
    return { kind: empty ? 'empty' : 'data' };
  }

  /** Counts so far as `summary.longPoll` (set before each in frame, so a count-ended session includes it). */
  private summarize(): void {
    const c = this.counts;
    this.sink.summarize({
      longPoll: {
        requests: this.requests,
        data: c.data,
        empty: c.empty,
        clientTimeouts: c.clientTimeouts,
        errors: c.errors,
        heldMs: { avg: c.answered > 0 ? round(c.heldSumMs / c.answered) : null, max: c.answered > 0 ? c.heldMaxMs : null },
        ...(this.cursor !== undefined ? { cursor: this.cursor } : {}),
      },
    });
  }

  private nextCursor(res: HttpResponse, text: string | undefined): string | undefined {
    if (this.lp.cursorHeader) {
      const v = res.headers[this.lp.cursorHeader.toLowerCase()];
      if (v) return v;
    }
    if (this.cursorPath && text !== undefined) {
      const v = scalarText(readJsonPath(text, this.cursorPath));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  private fail(message: string, code?: string): void {
    this.lc.fail(message, code);
  }

  reconnect(): void {
    this.lc.requestReconnect(() => this.attemptAbort?.abort());
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => this.lc.finishClose());
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
