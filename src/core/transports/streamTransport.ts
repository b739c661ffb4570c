import type { ConnectOptions, StreamOptions } from '../../shared/connectOptions';
import { checkUrl } from '../errors';
import { isTextualBody, redactUrl, type HttpResponse } from '../httpClient';
import { describeHttpError, logResponse, responseMeta, sendLogged } from '../httpExchange';
import { ConnectionLifecycle, USER_RECONNECT_CAUSE } from '../lifecycle';
import { LineSplitter } from '../lineSplitter';
import type { Transport, TransportFactory, TransportSink } from '../transport';

export const createStreamTransport: TransportFactory = ({ options, sink }) => new StreamTransport(options, sink);

/** Content types whose body is one JSON document per line. */
const LINE_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json-seq']);

/** Bytes of an error response body kept for the log. */
const ERROR_BODY_LIMIT = 64 * 1024;

type Ending = { kind: 'ended' } | { kind: 'dropped'; cause: string } | { kind: 'stopped' } | { kind: 'fatal' };

/** True when the content type says "one record per line". */
export function isLineDelimited(contentType: string | undefined): boolean {
  const ct = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  return LINE_TYPES.has(ct);
}

/** How many bytes at the end of `buf` start a UTF-8 character that continues in the next chunk. */
export function incompleteUtf8Tail(buf: Uint8Array): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * HTTP streaming: one request, one long response. NDJSON/JSON Lines bodies become one frame per line
 * (a line split across chunks is joined); other bodies one frame per chunk, binary as base64.
 * A stream cut mid-line is reported with the partial line (`meta.partial`). A dropped stream or an
 * idle timeout reconnects per the reconnect policy; a stream the server ends cleanly ends the session.
 */
class StreamTransport implements Transport {
  private readonly stop = new AbortController();
  private readonly lc: ConnectionLifecycle;
  private readonly so: StreamOptions;
  private current: HttpResponse | undefined;
  /** Aborts the current request (a user-requested reconnect). */
  private attemptAbort: AbortController | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.stop.abort());
    this.so = options.stream ?? {};
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['http', 'https']);
    if (problem) return this.finish('failed', problem, 'ERR_INVALID_URL');
    void this.loop();
  }

  private async loop(): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      const ending = await this.streamOnce(signal);
      if (signal.aborted || this.lc.ended || ending.kind === 'stopped' || ending.kind === 'fatal') return;
      if (ending.kind === 'ended' && !this.lc.reconnectRequested) return this.finish('closed', 'stream ended by the server');
      const cause = ending.kind === 'dropped' ? ending.cause : 'stream ended by the server';
      const plan = this.lc.dropped(cause, { reported: true });
      if (!plan.retry || !(await this.lc.wait(plan.delayMs))) return;
    }
  }

  private async streamOnce(stopSignal: AbortSignal): Promise<Ending> {
    const { options, sink } = this;
    this.lc.connecting(redactUrl(options.url));
    const attempt = new AbortController();
    this.attemptAbort = attempt;
    const onStop = () => attempt.abort();
    stopSignal.addEventListener('abort', onStop, { once: true });
    const idleMs = this.so.idleTimeoutMs ?? 0;
    let idleCause: string | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      if (idleMs <= 0) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        // Silence while reading is paused for back-pressure is ours, not the server's.
        if (this.paused) return armIdle();
        idleCause = `idle timeout: nothing received for ${idleMs} ms`;
        attempt.abort();
      }, idleMs);
    };
    try {
      armIdle();
      let res: HttpResponse;
      try {
        res = await sendLogged(options, sink, { url: options.url, method: options.method ?? 'GET', headers: options.headers, body: options.body, signal: attempt.signal });
      } catch (err) {
        if (stopSignal.aborted) return { kind: 'stopped' };
        if (this.lc.reconnectRequested) return { kind: 'dropped', cause: USER_RECONNECT_CAUSE };
        const d = idleCause ? { message: idleCause, code: 'ERR_IDLE_TIMEOUT' } : describeHttpError(err);
        if (!this.lc.everOpened) {
          this.finish('failed', d.message, d.code);
          return { kind: 'fatal' };
        }
        sink.error(d.message, d.code);
        return { kind: 'dropped', cause: d.message };
      }
      this.current = res;
      if (res.status < 200 || res.status >= 300) {
        let body;
        try {
          body = await res.readBody(ERROR_BODY_LIMIT);
        } catch {
          body = { preview: Buffer.alloc(0), size: 0, truncated: false };
        }
        logResponse(sink, res, body, responseMeta(res));
        const why = `The stream endpoint answered HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
        if (!this.lc.everOpened) {
          this.finish('failed', why, `HTTP_${res.status}`);
          return { kind: 'fatal' };
        }
        sink.error(why, `HTTP_${res.status}`);
        return { kind: 'dropped', cause: `HTTP ${res.status}` };
      }
      return await this.readStream(res, stopSignal, armIdle, () => idleCause);
    } finally {
      clearTimeout(idleTimer);
      stopSignal.removeEventListener('abort', onStop);
      this.current = undefined;
      this.attemptAbort = undefined;
    }
  }

  /** Reading is paused for back-pressure (see Transport.pause); the current response's socket is held. */
  private paused = false;
  private reading: HttpResponse | undefined;

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.reading?.message.socket?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.reading?.message.socket?.resume();
  }

  private async readStream(res: HttpResponse, stopSignal: AbortSignal, armIdle: () => void, idleCause: () => string | undefined): Promise<Ending> {
    this.reading = res;
    if (this.paused) res.message.socket?.pause();
    const { sink } = this;
    const contentType = res.headers['content-type'];
    const split = this.so.split ?? 'auto';
    const byLine = split === 'lines' || (split === 'auto' && isLineDelimited(contentType));
    const openMeta: Record<string, unknown> = { ...responseMeta(res), split: byLine ? 'lines' : 'chunks', ttfb: res.phases().ttfb };
    this.lc.opened(redactUrl(this.options.url), openMeta);
    const splitter = byLine ? new LineSplitter() : undefined;
    let binary: boolean | undefined = contentType ? !isTextualBody(contentType) : undefined;
    let carry: Buffer | undefined;
    let failure: unknown;
    try {
      for await (const raw of res) {
        armIdle();
        if (splitter) {
          for (const line of splitter.push(raw)) sink.frame('in', line.bytes, line.forced ? { meta: { forced: true } } : undefined);
          continue;
        }
        if (binary === undefined) binary = !isTextualBody(undefined, raw);
        if (binary) {
          sink.frame('in', raw, { binary: true });
          continue;
        }
        // Text chunks: hold back a character cut at the chunk's end so each frame decodes cleanly.
        let chunk = carry ? Buffer.concat([carry, raw]) : raw;
        const tail = incompleteUtf8Tail(chunk);
        carry = tail > 0 ? chunk.subarray(chunk.length - tail) : undefined;
        if (tail > 0) chunk = chunk.subarray(0, chunk.length - tail);
        if (chunk.length > 0) sink.frame('in', chunk);
      }
    } catch (err) {
      failure = err;
    }
    res.timing.markEnd();
    if (stopSignal.aborted) return { kind: 'stopped' };
    sink.timing(res.phases(), { status: res.status, stream: true });
    const partial = splitter?.flush() ?? carry;
    if (partial && partial.length > 0) {
      if (splitter) {
        sink.error(`stream cut mid-line: ${partial.length} bytes of an incomplete line`, 'ERR_STREAM_CUT');
        sink.frame('in', partial, { meta: { partial: true } });
      } else {
        sink.frame('in', partial, { binary: true, meta: { partial: true } });
      }
    }
    if (this.lc.reconnectRequested) return { kind: 'dropped', cause: USER_RECONNECT_CAUSE };
    const idle = idleCause();
    if (idle) {
      sink.error(idle, 'ERR_IDLE_TIMEOUT');
      return { kind: 'dropped', cause: idle };
    }
    if (failure !== undefined) {
      const d = describeHttpError(failure);
      sink.error(`The stream dropped: ${d.message}`, d.code);
      return { kind: 'dropped', cause: d.message };
    }
    return { kind: 'ended' };
  }

  private finish(state: 'closed' | 'failed', reason: string, code?: string): void {
    if (state === 'failed') this.lc.fail(reason, code);
    else this.lc.end(state, reason);
  }

  reconnect(): void {
    this.lc.requestReconnect(() => this.attemptAbort?.abort());
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      const res = this.current;
      if (res) {
        // The stream was still flowing: its timing so far is still worth logging.
        res.timing.markEnd();
        this.sink.timing(res.phases(), { status: res.status, stream: true, closedByClient: true });
      }
      this.lc.finishClose();
    });
  }
}
