/**
 * Logging around one HTTP exchange for the request-driven patterns (poll, long-poll, stream, async):
 * the request as an `out` frame, then the caller logs the response. Built on httpClient, never beside it.
 */
import type { ConnectOptions } from '../shared/connectOptions';
import { describeError, type Described } from './errors';
import { HttpClientError, httpRequest, isTextualBody, redactHeaders, redactUrl, type BodyPreview, type HttpResponse } from './httpClient';
import type { TransportSink } from './transport';

/** What to send; defaults come from the session's ConnectOptions. */
export interface ExchangeSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Extra meta for the `out` frame. */
  outMeta?: Record<string, unknown>;
}

/**
 * Send one request and log it as an `out` frame (`meta.method`, `meta.url`, `meta.headers`, credentials redacted)
 * once it is on its way. Resolves when the response headers arrive; rejects with an HttpClientError.
 */
export function sendLogged(options: ConnectOptions, sink: TransportSink, spec: ExchangeSpec): Promise<HttpResponse> {
  const body = spec.body;
  return httpRequest({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body,
    tls: options.tls,
    connectTimeoutMs: options.connectTimeoutMs,
    responseTimeoutMs: options.responseTimeoutMs,
    signal: spec.signal,
    now: sink.now,
    onRequest: (sent) => {
      const meta: Record<string, unknown> = { method: sent.method, url: redactUrl(sent.url), headers: redactHeaders(sent.headers), ...(spec.outMeta ?? {}) };
      sink.frame('out', body ?? '', { meta });
    },
  });
}

/** One line for a failed exchange: httpClient's message is already specific (it names the host). */
export function describeHttpError(err: unknown): Described {
  if (err instanceof HttpClientError) return { message: err.message, code: err.code };
  return describeError(err);
}

/** Response meta every pattern shares. */
export function responseMeta(res: HttpResponse): Record<string, unknown> {
  return { status: res.status, statusText: res.statusText, headers: res.headers };
}

/** Log a read response: its timing event, then its `in` frame (text as UTF-8, other bodies as base64). */
export function logResponse(sink: TransportSink, res: HttpResponse, body: BodyPreview, meta: Record<string, unknown>): void {
  sink.timing(res.phases(), { status: res.status });
  const binary = !isTextualBody(res.headers['content-type'], body.preview);
  sink.frame('in', body.preview, { size: body.size, meta, ...(binary ? { binary: true } : {}) });
}

/** The body as text when it is textual (for JSON paths, hashes of text, empty checks). */
export function bodyText(res: HttpResponse, body: BodyPreview): string | undefined {
  return isTextualBody(res.headers['content-type'], body.preview) ? body.preview.toString('utf8') : undefined;
}

/** Header names are matched without regard to case. */
export function hasHeader(headers: Record<string, string> | undefined, name: string): boolean {
  const n = name.toLowerCase();
  return Object.keys(headers ?? {}).some((k) => k.toLowerCase() === n);
}

/**
 * Parse Retry-After: delta seconds or an HTTP date. Returns ms from `nowEpoch`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowEpoch = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowEpoch);
}

/**
 * A server time (epoch ms or seconds, ISO or HTTP date) as epoch ms; undefined when it cannot be read.
 * Numbers below 1e11 are taken as seconds, since epoch ms have been above that since 1973.
 */
export function parseServerTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string' && v.trim() !== '') {
    const s = v.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return parseServerTime(Number(s));
    const at = Date.parse(s);
    return Number.isNaN(at) ? undefined : at;
  }
  return undefined;
}

/** Wait `ms`, resolving early (false) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
