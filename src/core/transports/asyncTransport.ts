import type { AsyncOptions, ConnectOptions } from '../../shared/connectOptions';
import { checkUrl, describeError } from '../errors';
import { redactUrl, type BodyPreview, type HttpResponse } from '../httpClient';
import { bodyText, describeHttpError, logResponse, parseRetryAfter, responseMeta, sendLogged, sleep } from '../httpExchange';
import { parseJsonPath, readJsonPath, scalarText, type JsonPathStep } from '../jsonPath';
import type { Transport, TransportFactory, TransportSink } from '../transport';
import { WebhookReceiver, type ReceivedRequest } from '../webhookReceiver';

export const createAsyncTransport: TransportFactory = ({ options, sink }) => new AsyncTransport(options, sink);

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_POLL_INTERVAL_MS = 1000;
/** Where the operation's state is read when no status field is configured: `status`, then `state`. */
const DEFAULT_STATUS_PATH = parseJsonPath('$.status');
const DEFAULT_STATE_PATH = parseJsonPath('$.state');
/** Google's long-running operations: `done: false` until finished. */
const GOOGLE_DONE_PATH = parseJsonPath('$.done');
/** Terminal values of the status field when none are configured. */
export const DEFAULT_DONE_VALUES = ['done', 'succeeded', 'success', 'failed', 'completed', 'complete', 'error', 'cancelled', 'canceled', 'finished', 'aborted', 'expired', 'rejected'];
/**
 * Values that say the operation is still working, compared without case, spaces, `-` and `_`
 * (so `in-progress`, `IN_PROGRESS` and Azure's `InProgress` are one).
 */
export const WORKING_VALUES = ['pending', 'queued', 'running', 'inprogress', 'processing', 'started', 'accepted', 'notstarted', 'waiting', 'scheduled', 'submitted', 'created', 'executing'];
const normalize = (v: string) => v.toLowerCase().replace(/[\s_-]+/g, '');
const WORKING = new Set(WORKING_VALUES);

/** What a status body says about the operation. */
interface OperationState {
  verdict: 'done' | 'working' | 'unknown';
  /** The status value read (for the log), e.g. `InProgress`, or `done: false`. */
  value?: string;
  /** Where it was read: `status`, `state`, `done`, or the configured field. */
  field?: string;
}
/** Header that tells the server where to call back. */
export const CALLBACK_HEADER = 'X-Callback-Url';

/** How a status response is read. */
type Verdict = { done: true; result?: string; resultUrl?: string } | { done: false; next?: string; result?: string } | { error: string; code: string; fatal: boolean };

/**
 * Asynchronous request-response: the first request (POST by default) is answered with 202 and an
 * operation URL (Location, Operation-Location, Azure-AsyncOperation, or a JSON field of the body). That URL is
 * polled, honouring Retry-After, until a terminal state. Unless a status field is configured, the common
 * operation shapes are read: a `status` or `state` field (pending, queued, running, in-progress, Azure's
 * InProgress… are still working; done, succeeded, failed… are terminal) and Google's `done: false|true`;
 * a body with none of them ends the operation on any non-202 answer. A first answer other than 202 that
 * says it is still working is polled the same way. In callback mode
 * a loopback webhook receiver waits for the server's call instead. The final in frame has
 * `meta.done: true` and `meta.latencyMs` for the whole operation; `async.timeoutMs` bounds it.
 */
class AsyncTransport implements Transport {
  private readonly stop = new AbortController();
  private readonly ao: AsyncOptions;
  private ended = false;
  private statusPath: JsonPathStep[] = DEFAULT_STATUS_PATH;
  /** The status field was configured: only its done values end the operation. */
  private statusExplicit = false;
  private operationPath: JsonPathStep[] | undefined;
  private receiver: WebhookReceiver | undefined;
  private startedAt: number | undefined;
  private polls = 0;
  private overallTimer: NodeJS.Timeout | undefined;
  private operationUrl: string | undefined;
  private callbackArrived: (() => void) | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.ao = options.async ?? {};
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['http', 'https']);
    if (problem) return this.fail(problem, 'ERR_INVALID_URL');
    try {
      if (this.ao.statusField) {
        this.statusPath = parseJsonPath(this.ao.statusField);
        this.statusExplicit = true;
      }
      if (this.ao.operationUrlField) this.operationPath = parseJsonPath(this.ao.operationUrlField);
    } catch (err) {
      return this.fail(describeError(err).message, 'ERR_BAD_OPTION');
    }
    void this.run();
  }

  private get doneValues(): Set<string> {
    return new Set((this.ao.doneValues?.length ? this.ao.doneValues : DEFAULT_DONE_VALUES).map((v) => v.toLowerCase()));
  }

  private async run(): Promise<void> {
    const { options, sink } = this;
    const signal = this.stop.signal;
    sink.state('connecting', { url: redactUrl(options.url) });
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body = options.body;
    if (this.ao.callback) {
      const url = await this.startReceiver();
      if (!url) return;
      headers[CALLBACK_HEADER] = url;
      body = withCallbackField(body, url);
    }
    const timeoutMs = this.ao.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (timeoutMs > 0) {
      this.overallTimer = setTimeout(() => {
        const how = this.ao.callback ? 'no callback arrived' : `${this.polls} status poll${this.polls === 1 ? '' : 's'}`;
        this.fail(`The operation did not finish within ${timeoutMs} ms (${how})`, 'ERR_ASYNC_TIMEOUT');
      }, timeoutMs);
    }
    this.startedAt = sink.now();
    const first = await this.exchange({ url: options.url, method: options.method ?? 'POST', headers, body, outMeta: { phase: 'start' } });
    if (!first || signal.aborted) return;
    const { res, preview, text } = first;
    const meta: Record<string, unknown> = { ...responseMeta(res), phase: 'start' };
    if (res.status !== 202) {
      if (res.status >= 400) {
        logResponse(sink, res, preview, meta);
        return this.fail(`The request was refused: HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`, `HTTP_${res.status}`);
      }
      const first = this.operationState(text);
      if (first.verdict !== 'working' || this.ao.callback) {
        // Not accepted for later: the server answered at once.
        return this.complete(res, preview, meta, { result: first.verdict === 'done' ? first.value : this.statusValue(text) }, 'the server answered at once');
      }
      // A 200/201 whose body says the work is still going (Azure answers 201 with status InProgress).
      meta.operationStatus = first.value;
      if (!this.findOperationUrl(res, text, options.url)) {
        logResponse(sink, res, preview, meta);
        return this.fail(`HTTP ${res.status} says the operation is still working (${first.field}: ${first.value}) but gives no URL to poll: no Location, Operation-Location or Azure-AsyncOperation header (set the operation URL field)`, 'ERR_NO_OPERATION_URL');
      }
    }
    this.operationUrl = this.ao.callback ? undefined : this.findOperationUrl(res, text, options.url);
    if (this.operationUrl) meta.operationUrl = redactUrl(this.operationUrl);
    logResponse(sink, res, preview, meta);
    sink.state('open', { url: redactUrl(options.url), meta: { status: res.status, ...(this.operationUrl ? { operationUrl: redactUrl(this.operationUrl) } : {}), ...(this.receiver ? { callbackUrl: this.receiver.url } : {}) } });
    if (this.ao.callback) {
      // The receiver's onRequest finishes the session; just wait for it or for the end.
      await new Promise<void>((resolve) => {
        this.callbackArrived = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return;
    }
    if (!this.operationUrl) {
      return this.fail('The 202 response has no Location header and no operation URL in its body (set the operation URL field)', 'ERR_NO_OPERATION_URL');
    }
    let wait = this.waitAfter(res);
    while (!signal.aborted) {
      if (!(await sleep(wait, signal))) return;
      this.polls++;
      const polled = await this.exchange({ url: this.operationUrl, method: 'GET', headers: { ...(options.headers ?? {}) }, outMeta: { phase: 'status', poll: this.polls } });
      if (!polled || signal.aborted) return;
      const pmeta: Record<string, unknown> = { ...responseMeta(polled.res), phase: 'status', poll: this.polls };
      const verdict = this.judge(polled.res, polled.text);
      if ('error' in verdict) {
        logResponse(sink, polled.res, polled.preview, pmeta);
        if (verdict.fatal) return this.fail(verdict.error, verdict.code);
        sink.error(verdict.error, verdict.code);
      } else if (verdict.done) {
        return this.complete(polled.res, polled.preview, pmeta, verdict, 'operation finished');
      } else {
        if (verdict.result !== undefined) pmeta.operationStatus = verdict.result;
        if (verdict.next) {
          this.operationUrl = verdict.next;
          pmeta.operationUrl = redactUrl(verdict.next);
        }
        logResponse(sink, polled.res, polled.preview, pmeta);
      }
      wait = this.waitAfter(polled.res);
    }
  }

  /** One logged exchange with its body read; undefined after a failure that ended the session. */
  private async exchange(spec: { url: string; method: string; headers: Record<string, string>; body?: string; outMeta: Record<string, unknown> }): Promise<{ res: HttpResponse; preview: BodyPreview; text: string | undefined } | undefined> {
    try {
      const res = await sendLogged(this.options, this.sink, { ...spec, signal: this.stop.signal });
      const preview = await res.readBody(this.sink.previewLimit);
      return { res, preview, text: bodyText(res, preview) };
    } catch (err) {
      if (this.stop.signal.aborted) return undefined;
      const d = describeHttpError(err);
      this.fail(d.message, d.code);
      return undefined;
    }
  }

  private statusValue(text: string | undefined): string | undefined {
    return text !== undefined ? scalarText(readJsonPath(text, this.statusPath)) : undefined;
  }

  /** Read a status response: done, not yet (maybe with a new URL), or an error. */
  private judge(res: HttpResponse, text: string | undefined): Verdict {
    const s = res.status;
    if (s >= 500) return { error: `Status poll ${this.polls}: HTTP ${s}${res.statusText ? ' ' + res.statusText : ''}; polling on`, code: `HTTP_${s}`, fatal: false };
    if (s >= 400) return { error: `Status poll ${this.polls}: HTTP ${s}${res.statusText ? ' ' + res.statusText : ''}`, code: `HTTP_${s}`, fatal: true };
    const location = res.headers.location ? resolveUrl(res.headers.location, this.operationUrl ?? this.options.url) : undefined;
    if (s >= 300) return { done: true, resultUrl: location };
    const state = this.operationState(text);
    const next = s === 202 ? location : undefined;
    if (state.verdict === 'done') return { done: true, result: state.value };
    if (state.verdict === 'working') return { done: false, result: state.value, next };
    // A status value that is not a known one: still working until a done value (as configured or default).
    if (state.value !== undefined) return { done: false, result: state.value, next };
    // No status value: a configured field must still appear; otherwise any non-202 answer is the end.
    if (this.statusExplicit || s === 202) return { done: false, next };
    return { done: true };
  }

  /**
   * Read the operation's state from a status body: the configured field, or else `status`, `state`
   * and Google's `done`. An unknown `status` value is reported (not done); an unknown `state` value
   * is ignored, as `state` often means something else in a finished resource.
   */
  private operationState(text: string | undefined): OperationState {
    if (text === undefined) return { verdict: 'unknown' };
    const classify = (value: string, field: string, unknownCounts: boolean): OperationState | undefined => {
      if (this.doneValues.has(value.toLowerCase()) || this.doneValues.has(normalize(value))) return { verdict: 'done', value, field };
      if (WORKING.has(normalize(value))) return { verdict: 'working', value, field };
      return unknownCounts ? { verdict: 'unknown', value, field } : undefined;
    };
    if (this.statusExplicit) {
      const v = scalarText(readJsonPath(text, this.statusPath));
      return v === undefined ? { verdict: 'unknown' } : classify(v, this.ao.statusField ?? 'status', true)!;
    }
    const status = scalarText(readJsonPath(text, DEFAULT_STATUS_PATH));
    if (status !== undefined) return classify(status, 'status', true)!;
    const state = scalarText(readJsonPath(text, DEFAULT_STATE_PATH));
    const byState = state !== undefined ? classify(state, 'state', false) : undefined;
    if (byState) return byState;
    const done = readJsonPath(text, GOOGLE_DONE_PATH);
    if (typeof done === 'boolean') return done ? { verdict: 'done', value: 'done: true', field: 'done' } : { verdict: 'working', value: 'done: false', field: 'done' };
    return { verdict: 'unknown' };
  }

  private waitAfter(res: HttpResponse): number {
    return parseRetryAfter(res.headers['retry-after']) ?? this.ao.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  private findOperationUrl(res: HttpResponse, text: string | undefined, base: string): string | undefined {
    if (res.headers.location) return resolveUrl(res.headers.location, base);
    if (res.headers['operation-location']) return resolveUrl(res.headers['operation-location'], base);
    if (res.headers['azure-asyncoperation']) return resolveUrl(res.headers['azure-asyncoperation'], base);
    if (this.operationPath && text !== undefined) {
      const v = scalarText(readJsonPath(text, this.operationPath));
      if (v) return resolveUrl(v, base);
    }
    return undefined;
  }

  private complete(res: HttpResponse, preview: BodyPreview, meta: Record<string, unknown>, verdict: { result?: string; resultUrl?: string }, why: string): void {
    const latencyMs = this.latency();
    meta.done = true;
    meta.latencyMs = latencyMs;
    if (verdict.result !== undefined) meta.operationStatus = verdict.result;
    if (verdict.resultUrl) meta.resultUrl = redactUrl(verdict.resultUrl);
    this.summarize(latencyMs, verdict.result);
    logResponse(this.sink, res, preview, meta);
    this.end('closed', verdict.result !== undefined ? `${why}: ${verdict.result}` : why);
  }

  private latency(): number {
    return Math.round((this.sink.now() - (this.startedAt ?? 0)) * 10) / 10;
  }

  private summarize(latencyMs: number | null, result?: string): void {
    const summary: Record<string, unknown> = { latencyMs, polls: this.polls, callback: !!this.ao.callback };
    if (result !== undefined) summary.result = result;
    this.sink.summarize({ async: summary });
  }

  private async startReceiver(): Promise<string | undefined> {
    const wh = this.options.webhook ?? {};
    // Callbacks are for this machine only unless the user chose an address.
    const receiver = new WebhookReceiver({ ...wh, listen: wh.listen ?? '127.0.0.1:0', sink: this.sink, onRequest: (r) => this.onCallback(r) });
    this.receiver = receiver;
    try {
      return await receiver.start();
    } catch (err) {
      this.fail(`Could not start the callback receiver: ${describeError(err).message}`, 'ERR_LISTEN');
      return undefined;
    }
  }

  private onCallback(req: ReceivedRequest): Record<string, unknown> | undefined {
    if (this.ended) return undefined;
    if (req.signature === 'invalid' || req.signature === 'missing') {
      this.sink.error(`A callback arrived with a ${req.signature} signature; still waiting for a valid one`, 'ERR_CALLBACK_SIGNATURE');
      return { callback: true, done: false };
    }
    const latencyMs = this.latency();
    const text = req.body.toString('utf8');
    const result = this.statusValue(text);
    this.summarize(latencyMs, result);
    // The in frame is logged right after this returns; end once it is.
    setImmediate(() => {
      this.end('closed', result !== undefined ? `callback received: ${result}` : 'callback received');
      this.callbackArrived?.();
    });
    return { callback: true, done: true, latencyMs, ...(result !== undefined ? { operationStatus: result } : {}) };
  }

  private fail(message: string, code?: string): void {
    if (this.ended) return;
    this.sink.error(message, code);
    this.summarize(null);
    this.end('failed', message);
  }

  private end(state: 'closed' | 'failed', reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.overallTimer);
    this.stop.abort();
    const receiver = this.receiver;
    if (receiver) {
      // Let the callback's reply go out before the terminal state.
      void receiver.close().finally(() => this.sink.state(state, { reason }));
      return;
    }
    this.sink.state(state, { reason });
  }

  async close(reason?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.overallTimer);
    this.stop.abort();
    await this.receiver?.close();
    this.sink.state('closed', { reason: reason ?? 'closed by user' });
  }
}

function resolveUrl(ref: string, base: string): string | undefined {
  try {
    return new URL(ref, base).href;
  } catch {
    return undefined;
  }
}

/** Add `callbackUrl` to a JSON object body; other bodies are sent unchanged (the header still carries the URL). */
function withCallbackField(body: string | undefined, url: string): string | undefined {
  if (body === undefined || body.trim() === '') return body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return JSON.stringify({ ...(parsed as Record<string, unknown>), callbackUrl: url });
  } catch {
    // Not JSON: leave it as it is.
  }
  return body;
}
