/**
 * HAR 1.2 export of a session's events, readable by Chrome DevTools and HAR viewers.
 *
 * Each HTTP exchange becomes an entry: a frame with `meta.method` is a request, the next frame with
 * `meta.status` is its response, and timing events attach in order. Connection-oriented patterns
 * (WebSocket, SSE, streaming) get one entry per connection from the `open` state, with WebSocket
 * messages in Chrome's `_webSocketMessages` and SSE events in `_eventSourceMessages`.
 * Everything goes through the same masking and redaction as the NDJSON export.
 */
import type { PatternId } from '../../shared/connectOptions';
import type { FrameEvent, TimingEvent, WireEvent } from '../../shared/events';
import { buildProxyHar } from './harProxy';
import { maskHeaders, redactText, sanitizeEvent, type RedactOptions } from './redact';

export interface HarNameValue {
  name: string;
  value: string;
}

export interface HarTimings {
  blocked: number;
  dns: number;
  connect: number;
  ssl: number;
  send: number;
  wait: number;
  receive: number;
}

export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  /** Epoch seconds, fractional. */
  time: number;
  opcode: 1 | 2;
  data: string;
}

export interface HarEventSourceMessage {
  time: number;
  eventName: string;
  eventId: string;
  data: string;
}

export interface HarEntry {
  pageref?: string;
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    postData?: { mimeType: string; text: string };
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    content: { size: number; mimeType: string; text?: string; encoding?: 'base64' };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: HarTimings;
  _resourceType?: string;
  _webSocketMessages?: HarWebSocketMessage[];
  _eventSourceMessages?: HarEventSourceMessage[];
  _error?: string;
}

export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    pages?: Array<{ startedDateTime: string; id: string; title: string; pageTimings: { onContentLoad: number; onLoad: number } }>;
    entries: HarEntry[];
  };
}

/** What the export needs to know about the session besides its events. */
export interface HarSessionInfo {
  id: string;
  name: string;
  pattern: PatternId;
  url: string;
  method?: string;
  /** Request headers as configured (the handshake / connection request). */
  headers?: Record<string, string>;
  body?: string;
}

export interface HarOptions extends RedactOptions {
  creatorVersion?: string;
  /** Cap on the text kept for a streamed response body. */
  maxStreamText?: number;
}

const iso = (ts: number) => new Date(ts).toISOString();
const CONNECTION_PATTERNS: ReadonlySet<PatternId> = new Set(['ws', 'sse', 'stream']);

function nameValues(h: unknown): HarNameValue[] {
  if (!h || typeof h !== 'object') return [];
  const out: HarNameValue[] = [];
  for (const [name, v] of Object.entries(h as Record<string, unknown>)) {
    if (Array.isArray(v)) for (const x of v) out.push({ name, value: String(x) });
    else if (v !== undefined && v !== null) out.push({ name, value: String(v) });
  }
  return out;
}

function headerValue(h: HarNameValue[], name: string): string | undefined {
  const n = name.toLowerCase();
  return h.find((x) => x.name.toLowerCase() === n)?.value;
}

function queryOf(url: string): HarNameValue[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

function harTimings(t: TimingEvent | undefined, fallbackWait: number): HarTimings {
  if (!t) return { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: Math.max(0, fallbackWait), receive: 0 };
  const p = t.phases;
  const ssl = p.tls ?? -1;
  // HAR counts the TLS handshake inside `connect` as well as in `ssl`.
  const connect = p.connect === null ? -1 : p.connect + (ssl > 0 ? ssl : 0);
  return { blocked: -1, dns: p.dns ?? -1, connect, ssl, send: 0, wait: p.ttfb ?? 0, receive: p.download ?? 0 };
}

function totalTime(t: HarTimings): number {
  // `ssl` is already inside `connect`.
  const sum = [t.blocked, t.dns, t.connect, t.send, t.wait, t.receive].filter((x) => x > 0).reduce((a, b) => a + b, 0);
  return Math.round(sum * 1000) / 1000;
}

interface Building {
  entry: HarEntry;
  startTs: number;
  timing?: TimingEvent;
  responded: boolean;
}

/** Build a HAR 1.2 document from a session's events. */
export function buildHar(events: Iterable<WireEvent>, session: HarSessionInfo, opts: HarOptions = {}): Har {
  // A capture proxy interleaves many connections: its exchanges pair by meta.exchange.
  if (session.pattern === 'proxy') return buildProxyHar(events, session, opts);
  const secrets = opts.secrets ?? [];
  const maxStream = opts.maxStreamText ?? 1024 * 1024;
  const pageId = `session-${session.id}`;
  const configured = nameValues(maskHeaders(session.headers ?? {}, opts.revealAuthHeaders)).map((h) => ({ name: h.name, value: redactText(h.value, secrets) }));
  const safeUrl = redactText(session.url, secrets);
  const built: Building[] = [];
  /** Exchanges waiting for their response, oldest first. */
  const pending: Building[] = [];
  let orphanTiming: TimingEvent | undefined;
  let connectingTs: number | undefined;
  let current: Building | undefined;
  let firstTs: number | undefined;
  let lastError: string | undefined;
  /** Where a webhook receiver listens (its `open` state's url): requests it got are relative to it. */
  let receiverUrl: string | undefined;

  const newEntry = (startTs: number, method: string, url: string, headers: HarNameValue[], body?: string): Building => {
    const entry: HarEntry = {
      pageref: pageId,
      startedDateTime: iso(startTs),
      time: 0,
      request: {
        method,
        url,
        httpVersion: 'HTTP/1.1',
        cookies: [],
        headers,
        queryString: queryOf(url),
        headersSize: -1,
        bodySize: body ? Buffer.byteLength(body) : 0,
      },
      response: {
        status: 0,
        statusText: '',
        httpVersion: 'HTTP/1.1',
        cookies: [],
        headers: [],
        content: { size: 0, mimeType: 'x-unknown' },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
      },
      cache: {},
      timings: harTimings(undefined, 0),
    };
    if (body) entry.request.postData = { mimeType: headerValue(headers, 'content-type') ?? 'application/octet-stream', text: body };
    const b: Building = { entry, startTs, responded: false };
    built.push(b);
    return b;
  };

  const respond = (b: Building, f: FrameEvent | undefined, status: number, statusText: string, headers: HarNameValue[]) => {
    const r = b.entry.response;
    r.status = status;
    r.statusText = statusText;
    r.headers = headers;
    r.content.mimeType = headerValue(headers, 'content-type') ?? (f ? (f.encoding === 'base64' ? 'application/octet-stream' : 'text/plain') : 'x-unknown');
    if (f) {
      r.content.size = f.size;
      r.bodySize = f.size;
      r.content.text = f.data;
      if (f.encoding === 'base64') r.content.encoding = 'base64';
      const loc = f.meta?.location;
      if (typeof loc === 'string') r.redirectURL = loc;
    } else {
      r.bodySize = 0;
    }
    b.responded = true;
    if (!b.timing) b.entry.timings = harTimings(undefined, (f?.ts ?? b.startTs) - b.startTs);
  };

  for (const raw of events) {
    const e = sanitizeEvent(raw, opts);
    if (firstTs === undefined) firstTs = e.ts;
    switch (e.kind) {
      case 'state': {
        if (e.state === 'connecting') {
          connectingTs = e.ts;
          break;
        }
        if (e.state === 'open' && e.url && session.pattern === 'webhook') receiverUrl = e.url;
        if (e.state === 'open' && CONNECTION_PATTERNS.has(session.pattern)) {
          const meta = e.meta ?? {};
          // The transport may have logged the connection request as a frame already (SSE, streaming):
          // that pending request becomes this connection's entry.
          let b = pending.pop();
          if (!b) {
            const startTs = orphanTiming ? orphanTiming.ts - orphanTiming.phases.total : (connectingTs ?? e.ts);
            const reqHeaders = meta.requestHeaders ? nameValues(meta.requestHeaders) : configured;
            b = newEntry(startTs, session.pattern === 'ws' ? 'GET' : (session.method ?? 'GET'), e.url ? redactText(e.url, secrets) : safeUrl, reqHeaders);
          }
          const status = typeof meta.status === 'number' ? meta.status : session.pattern === 'ws' ? 101 : 200;
          const statusText = typeof meta.statusText === 'string' ? meta.statusText : status === 101 ? 'Switching Protocols' : status === 200 ? 'OK' : '';
          respond(b, undefined, status, statusText, nameValues(meta.headers));
          if (session.pattern === 'ws') {
            b.entry._resourceType = 'websocket';
            b.entry._webSocketMessages = [];
          } else if (session.pattern === 'sse') {
            b.entry._resourceType = 'eventsource';
            b.entry._eventSourceMessages = [];
            b.entry.response.content.mimeType = headerValue(b.entry.response.headers, 'content-type') ?? 'text/event-stream';
          }
          if (orphanTiming && !b.timing) {
            b.timing = orphanTiming;
            b.entry.timings = harTimings(orphanTiming, 0);
            orphanTiming = undefined;
          }
          current = b;
        }
        break;
      }
      case 'timing': {
        // Timings arrive in the order of the exchanges; a WebSocket handshake's comes before its `open` state.
        const target = e.meta?.handshake && session.pattern === 'ws' ? undefined : built.find((b) => !b.timing);
        if (target) {
          target.timing = e;
          target.entry.timings = harTimings(e, 0);
        } else orphanTiming = e;
        break;
      }
      case 'error':
        lastError = e.message;
        break;
      case 'frame': {
        const meta = e.meta ?? {};
        // A frame with a status is a response (a webhook's reply also names its request's method).
        // Redirect hops and rejected handshakes are control frames, and still responses.
        if (typeof meta.status === 'number') {
          let b = pending.shift();
          if (!b) {
            // A response without a logged request: a rejected WebSocket handshake, or a transport that logs only responses.
            const startTs = orphanTiming ? orphanTiming.ts - orphanTiming.phases.total : (connectingTs ?? e.ts);
            b = newEntry(startTs, session.method ?? 'GET', safeUrl, configured, session.pattern === 'ws' ? undefined : session.body);
            if (orphanTiming) {
              b.timing = orphanTiming;
              b.entry.timings = harTimings(orphanTiming, 0);
              orphanTiming = undefined;
            }
          }
          respond(b, e, meta.status, typeof meta.statusText === 'string' ? meta.statusText : '', nameValues(meta.headers));
          break;
        }
        if (typeof meta.method === 'string') {
          const url = typeof meta.url === 'string' ? meta.url : typeof meta.path === 'string' ? joinUrl(e.dir === 'in' && receiverUrl ? receiverUrl : safeUrl, meta.path, meta.query) : safeUrl;
          const headers = meta.headers ? nameValues(meta.headers) : configured;
          pending.push(newEntry(e.ts, meta.method.toUpperCase(), url, headers, e.size > 0 ? e.data : undefined));
          break;
        }
        if (meta.control || !current) break;
        if (current.entry._webSocketMessages) {
          current.entry._webSocketMessages.push({ type: e.dir === 'out' ? 'send' : 'receive', time: e.ts / 1000, opcode: e.encoding === 'base64' ? 2 : 1, data: e.data });
        } else if (current.entry._eventSourceMessages) {
          const id = meta.id ?? meta.lastEventId;
          current.entry._eventSourceMessages.push({ time: e.ts / 1000, eventName: e.channel ?? 'message', eventId: id === undefined ? '' : String(id), data: e.data });
        } else if (e.dir === 'in') {
          const c = current.entry.response.content;
          c.size += e.size;
          current.entry.response.bodySize = c.size;
          // Line-delimited streams were split into one frame per line: put the line breaks back.
          const lineBased = /ndjson|jsonl|jsonlines/i.test(c.mimeType);
          const add = (e.encoding === 'base64' ? Buffer.from(e.data, 'base64').toString('latin1') : e.data) + (lineBased && !e.meta?.partial ? '\n' : '');
          if ((c.text ?? '').length < maxStream) c.text = ((c.text ?? '') + add).slice(0, maxStream);
        }
        break;
      }
      default:
        break;
    }
  }
  for (const b of pending) {
    // No response ever came: status 0, as browsers export failed requests.
    b.entry.response.bodySize = 0;
    if (lastError) b.entry._error = lastError;
  }
  for (const b of built) b.entry.time = totalTime(b.entry.timings);
  const started = iso(firstTs ?? Date.now());
  return {
    log: {
      version: '1.2',
      creator: { name: 'Wirescope', version: opts.creatorVersion ?? '0.0.0' },
      pages: [{ startedDateTime: started, id: pageId, title: redactText(`${session.name} (${session.pattern})`, secrets), pageTimings: { onContentLoad: -1, onLoad: -1 } }],
      entries: built.map((b) => b.entry),
    },
  };
}

function joinUrl(base: string, path: string, query?: unknown): string {
  try {
    const u = new URL(path, base);
    if (query && typeof query === 'object' && !u.search) {
      for (const [k, v] of Object.entries(query as Record<string, unknown>)) {
        for (const x of Array.isArray(v) ? v : [v]) u.searchParams.append(k, String(x));
      }
    }
    return u.toString();
  } catch {
    return base + path;
  }
}
