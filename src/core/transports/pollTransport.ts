import { createHash } from 'node:crypto';
import type { ConnectOptions, PollOptions, ReconnectPolicy } from '../../shared/connectOptions';
import { backoffDelay } from '../backoff';
import { checkUrl, describeError } from '../errors';
import { redactUrl, type BodyPreview, type HttpResponse } from '../httpClient';
import { bodyText, describeHttpError, hasHeader, logResponse, parseServerTime, responseMeta, sendLogged, sleep } from '../httpExchange';
import { ConnectionLifecycle, GAVE_UP_CODE, gaveUpMessage } from '../lifecycle';
import { parseJsonPath, readJsonPath, type JsonPathStep } from '../jsonPath';
import type { Transport, TransportFactory, TransportSink } from '../transport';

export const createPollTransport: TransportFactory = ({ options, sink }) => new PollTransport(options, sink);

const DEFAULT_INTERVAL_MS = 1000;

type Detection = 'etag' | 'last-modified' | 'hash';

/** Running statistics of a polling session (`summary.poll`, and `meta.stats` on each in frame). */
export interface PollStats {
  requests: number;
  /** Changes detected after the first response (the first response is the starting point, not a change). */
  changes: number;
  /** requests / changes; null before the first change. */
  requestsPerChange: number | null;
  /** Response body bytes received per change; null before the first change. */
  bytesPerChange: number | null;
  /** Time from a change at the server (its timestamp) to its detection here. */
  staleness: { avgMs: number | null; maxMs: number | null; samples: number };
}

/**
 * Short polling: the request template is sent every `poll.intervalMs`. Each poll is an out/in frame
 * pair with a timing event; the in frame says whether the resource changed (ETag, Last-Modified or a
 * body hash; a 304 is unchanged). Failures (HTTP errors or network errors after the first response)
 * are logged and the next poll backs off; polling never stops silently.
 */
class PollTransport implements Transport {
  private readonly stop = new AbortController();
  private readonly lc: ConnectionLifecycle;
  private readonly policy: ReconnectPolicy;
  private readonly poll: PollOptions;
  private everAnswered = false;
  /** Failed polls in a row (any cause): drives the backoff. */
  private failures = 0;
  /** Network failures in a row: past `reconnect.maxAttempts` the session fails. */
  private networkFailures = 0;
  private etag: string | undefined;
  private lastModified: string | undefined;
  private hash: string | undefined;
  private seenFirst = false;
  private requests = 0;
  private changes = 0;
  private bodyBytes = 0;
  private stalenessSum = 0;
  private stalenessMax: number | null = null;
  private stalenessSamples = 0;
  private timestampPath: JsonPathStep[] | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.stop.abort());
    this.policy = this.lc.policy;
    this.poll = options.poll ?? {};
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['http', 'https']);
    if (problem) return this.fail(problem, 'ERR_INVALID_URL');
    const interval = this.poll.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval <= 0) return this.fail(`The poll interval must be a positive number of ms (got ${interval})`, 'ERR_BAD_OPTION');
    if (this.poll.timestampField) {
      try {
        this.timestampPath = parseJsonPath(this.poll.timestampField);
      } catch (err) {
        return this.fail(describeError(err).message, 'ERR_BAD_OPTION');
      }
    }
    this.lc.connecting(redactUrl(this.options.url));
    this.sink.summarize({ poll: this.stats() });
    void this.loop(interval);
  }

  private async loop(interval: number): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      const startedAt = this.sink.now();
      const outcome = await this.pollOnce(signal);
      if (signal.aborted || this.lc.ended) return;
      let wait = interval - (this.sink.now() - startedAt);
      if (outcome === 'fatal') return;
      if (outcome !== 'ok') {
        // One error event per failed poll, saying when the next one goes out, so a backoff is never silent.
        wait = Math.max(wait, backoffDelay(this.policy, this.failures));
        const streak = this.failures > 1 ? `, ${this.failures} failures in a row` : '';
        this.sink.error(`${outcome.message}; next poll in ${Math.round(wait)} ms (backing off${streak})`, outcome.code);
      }
      if (!(await sleep(wait, signal))) return;
    }
  }

  /** One poll. A failure backs off the next one; `fatal` ended the session. */
  private async pollOnce(signal: AbortSignal): Promise<'ok' | 'fatal' | { message: string; code?: string }> {
    const { options, sink } = this;
    const mode = this.poll.change ?? 'auto';
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const conditional: Record<string, string> = {};
    if (this.etag && (mode === 'auto' || mode === 'etag') && !hasHeader(headers, 'if-none-match')) conditional['If-None-Match'] = this.etag;
    if (this.lastModified && (mode === 'auto' || mode === 'last-modified') && !hasHeader(headers, 'if-modified-since')) {
      conditional['If-Modified-Since'] = this.lastModified;
    }
    this.requests++;
    let res: HttpResponse;
    let body: BodyPreview;
    try {
      res = await sendLogged(options, sink, {
        url: options.url,
        method: options.method ?? 'GET',
        headers: { ...headers, ...conditional },
        body: options.body,
        signal,
        outMeta: { poll: this.requests },
      });
      body = await res.readBody(Math.max(sink.previewLimit, 0));
    } catch (err) {
      if (signal.aborted) return 'fatal';
      const d = describeHttpError(err);
      if (!this.everAnswered) {
        // The endpoint never answered: a wrong URL or a server that is down, not a hiccup to wait out.
        this.fail(d.message, d.code);
        return 'fatal';
      }
      this.failures++;
      this.networkFailures++;
      if (this.policy.maxAttempts > 0 && this.networkFailures > this.policy.maxAttempts) {
        // The same give-up as a reconnecting pattern: the first failure is the drop, the rest are attempts.
        this.fail(gaveUpMessage(this.networkFailures - 1, d.message), GAVE_UP_CODE);
        return 'fatal';
      }
      return { message: `Poll ${this.requests} failed: ${d.message}`, code: d.code };
    }
    this.networkFailures = 0;
    if (!this.everAnswered) {
      this.everAnswered = true;
      this.lc.opened(redactUrl(options.url), { status: res.status });
    }
    const detectedAt = Date.now();
    const meta: Record<string, unknown> = { ...responseMeta(res), poll: this.requests };
    let failed = false;
    if (res.status === 304) {
      meta.changed = false;
      meta.detection = this.lastDetection(mode);
    } else if (res.status >= 400 || res.status < 200) {
      meta.changed = false;
      failed = true;
    } else {
      const text = bodyText(res, body);
      const { changed, detection } = this.detectChange(mode, res, body);
      meta.changed = changed;
      meta.detection = detection;
      if (!this.seenFirst) {
        meta.initial = true;
        this.seenFirst = true;
      } else if (changed) {
        this.changes++;
        const changedAt = this.serverTime(res, text);
        if (changedAt !== undefined) {
          // Clamp: a server clock slightly ahead of ours must not give a negative staleness.
          const staleness = Math.max(0, detectedAt - changedAt);
          meta.stalenessMs = staleness;
          this.stalenessSum += staleness;
          this.stalenessSamples++;
          this.stalenessMax = this.stalenessMax === null ? staleness : Math.max(this.stalenessMax, staleness);
        }
      }
    }
    this.bodyBytes += body.size;
    const stats = this.stats();
    meta.stats = stats;
    sink.summarize({ poll: stats });
    logResponse(sink, res, body, meta);
    if (failed) {
      this.failures++;
      return { message: `Poll ${this.requests}: HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''} from the polling endpoint`, code: `HTTP_${res.status}` };
    }
    this.failures = 0;
    return 'ok';
  }

  private lastDetection(mode: PollOptions['change']): Detection {
    if (mode === 'etag' || mode === 'last-modified' || mode === 'hash') return mode;
    return this.etag ? 'etag' : this.lastModified ? 'last-modified' : 'hash';
  }

  /** Compare this 2xx response with the last one; remember its validators. */
  private detectChange(mode: NonNullable<PollOptions['change']>, res: HttpResponse, body: BodyPreview): { changed: boolean; detection: Detection } {
    const etag = res.headers.etag;
    const lastModified = res.headers['last-modified'];
    // The hash covers the kept preview plus the whole size, so a change past the preview still shows in the size.
    const hash = createHash('sha256').update(body.preview).update(`:${body.size}`).digest('hex');
    let detection: Detection;
    if (mode === 'auto') detection = etag ? 'etag' : lastModified ? 'last-modified' : 'hash';
    else detection = mode;
    let changed: boolean;
    if (!this.seenFirst) changed = true;
    else if (detection === 'etag' && etag) changed = etag !== this.etag;
    else if (detection === 'last-modified' && lastModified) changed = lastModified !== this.lastModified;
    else changed = hash !== this.hash;
    if (etag) this.etag = etag;
    if (lastModified) this.lastModified = lastModified;
    this.hash = hash;
    return { changed, detection };
  }

  private serverTime(res: HttpResponse, text: string | undefined): number | undefined {
    if (this.poll.timestampHeader) {
      const v = res.headers[this.poll.timestampHeader.toLowerCase()];
      const at = parseServerTime(v);
      if (at !== undefined) return at;
    }
    if (this.timestampPath && text !== undefined) return parseServerTime(readJsonPath(text, this.timestampPath));
    return undefined;
  }

  private stats(): PollStats {
    const perChange = (n: number) => (this.changes > 0 ? Math.round((n / this.changes) * 100) / 100 : null);
    return {
      requests: this.requests,
      changes: this.changes,
      requestsPerChange: perChange(this.requests),
      bytesPerChange: perChange(this.bodyBytes),
      staleness: {
        avgMs: this.stalenessSamples > 0 ? Math.round((this.stalenessSum / this.stalenessSamples) * 10) / 10 : null,
        maxMs: this.stalenessMax,
        samples: this.stalenessSamples,
      },
    };
  }

  private fail(message: string, code?: string): void {
    this.lc.fail(message, code);
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => this.lc.finishClose());
  }
}
