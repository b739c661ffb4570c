import type { ConnectOptions, PatternId } from '../shared/connectOptions';
import { describeError } from './errors';
import { createNodeFetch, redactUrl } from './httpClient';

/** What an http(s) URL's answer says about the pattern to use. */
export interface PatternProbe {
  /** `sse` for text/event-stream, `stream` for NDJSON / JSON Lines, else `http`. */
  pattern: PatternId;
  /** The response's Content-Type, when one came. */
  contentType?: string;
  status?: number;
  /** Why this pattern (or why the probe could not tell), for one log line. */
  reason: string;
}

/** The pattern a response's Content-Type calls for; undefined for an ordinary response. */
export function patternForContentType(contentType: string | undefined): 'sse' | 'stream' | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines' || type === 'application/json-seq') return 'stream';
  return undefined;
}

/**
 * Ask an http(s) URL which pattern it speaks: one GET with the session's headers and TLS options
 * (redirects followed), read up to the response headers, then dropped. `text/event-stream` means SSE,
 * `application/x-ndjson` / `application/jsonl` an HTTP stream; anything else (or a failure, which the
 * real session then reports) means request-response. Bounded by `timeoutMs`.
 */
export async function probePattern(options: Pick<ConnectOptions, 'url' | 'headers' | 'tls' | 'connectTimeoutMs' | 'responseTimeoutMs' | 'maxRedirects'>, timeoutMs = 10_000): Promise<PatternProbe> {
  // Never wait longer than the session itself would for an answer.
  timeoutMs = Math.min(timeoutMs, options.responseTimeoutMs || timeoutMs, options.connectTimeoutMs || timeoutMs);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const fetch = createNodeFetch({ tls: options.tls, connectTimeoutMs: options.connectTimeoutMs ?? timeoutMs, maxRedirects: options.maxRedirects ?? 10 });
  try {
    const res = await fetch(options.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream, application/x-ndjson;q=0.9, application/jsonl;q=0.9, */*;q=0.8', ...(options.headers ?? {}) },
      signal: ac.signal,
    });
    const contentType = res.headers.get('content-type') ?? undefined;
    const pattern = patternForContentType(contentType);
    const where = redactUrl(options.url);
    if (pattern) return { pattern, contentType, status: res.status, reason: `${where} answers with Content-Type ${contentType}` };
    return { pattern: 'http', contentType, status: res.status, reason: `${where} answers ${res.status}${contentType ? ` with Content-Type ${contentType}` : ''}` };
  } catch (err) {
    return { pattern: 'http', reason: `could not ask ${redactUrl(options.url)} for its content type (${ac.signal.aborted ? `no answer within ${timeoutMs} ms` : describeError(err, options.url).message})` };
  } finally {
    clearTimeout(timer);
    // Drop the body (an endless stream for SSE): the real session makes its own request.
    ac.abort();
  }
}
