/**
 * HAR 1.2 of a capture proxy session: one entry per proxied exchange, paired by `meta.exchange`
 * (many connections interleave, so order alone cannot pair them). A WebSocket exchange carries its
 * messages in `_webSocketMessages`, an SSE stream its events in `_eventSourceMessages`, an NDJSON
 * stream its lines as the response text; timings are the backend hop's. Everything goes through the
 * same masking and redaction as the NDJSON export.
 */
import type { FrameEvent, TimingEvent, WireEvent } from '../../shared/events';
import type { Har, HarEntry, HarNameValue, HarOptions, HarSessionInfo } from './har';
import { redactText, sanitizeEvent } from './redact';

const iso = (ts: number) => new Date(ts).toISOString();

function nameValues(h: unknown): HarNameValue[] {
  if (!h || typeof h !== 'object') return [];
  const out: HarNameValue[] = [];
  for (const [name, v] of Object.entries(h as Record<string, unknown>)) {
    if (Array.isArray(v)) for (const x of v) out.push({ name, value: String(x) });
    else if (v !== undefined && v !== null) out.push({ name, value: String(v) });
  }
  return out;
}

function queryOf(url: string): HarNameValue[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

interface Building {
  entry: HarEntry;
  timing?: TimingEvent;
}

export function buildProxyHar(events: Iterable<WireEvent>, session: HarSessionInfo, opts: HarOptions = {}): Har {
  const secrets = opts.secrets ?? [];
  const maxStream = opts.maxStreamText ?? 1024 * 1024;
  const pageId = `session-${session.id}`;
  const byExchange = new Map<number, Building>();
  const order: Building[] = [];
  let firstTs: number | undefined;

  const entryFor = (ex: number, ts: number): Building => {
    let b = byExchange.get(ex);
    if (b) return b;
    const entry: HarEntry = {
      pageref: pageId,
      startedDateTime: iso(ts),
      time: 0,
      request: { method: 'GET', url: '', httpVersion: 'HTTP/1.1', cookies: [], headers: [], queryString: [], headersSize: -1, bodySize: 0 },
      response: { status: 0, statusText: '', httpVersion: 'HTTP/1.1', cookies: [], headers: [], content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: -1, bodySize: -1 },
      cache: {},
      timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 0, receive: 0 },
    };
    b = { entry };
    byExchange.set(ex, b);
    order.push(b);
    return b;
  };

  const addText = (b: Building, add: string) => {
    const c = b.entry.response.content;
    if ((c.text ?? '').length < maxStream) c.text = ((c.text ?? '') + add).slice(0, maxStream);
  };

  for (const raw of events) {
    const e = sanitizeEvent(raw, opts);
    if (firstTs === undefined) firstTs = e.ts;
    if (e.kind === 'timing') {
      const ex = e.meta?.exchange;
      if (typeof ex !== 'number' || e.meta?.connectionClosed || e.meta?.handshake) continue;
      const b = byExchange.get(ex);
      if (!b) continue;
      b.timing = e;
      const p = e.phases;
      const ssl = p.tls ?? -1;
      b.entry.timings = { blocked: -1, dns: p.dns ?? -1, connect: p.connect === null ? -1 : p.connect + (ssl > 0 ? ssl : 0), ssl, send: 0, wait: p.ttfb ?? 0, receive: p.download ?? 0 };
      continue;
    }
    if (e.kind !== 'frame') continue;
    const f: FrameEvent = e;
    const meta = f.meta ?? {};
    const ex = meta.exchange;
    if (typeof ex !== 'number') continue;
    const b = entryFor(ex, f.ts);
    const entry = b.entry;
    if (f.dir === 'out' && typeof meta.method === 'string') {
      const url = redactText(typeof meta.url === 'string' ? meta.url : '', secrets);
      entry.startedDateTime = iso(f.ts);
      entry.request.method = meta.method;
      entry.request.url = url;
      entry.request.queryString = queryOf(url);
      entry.request.headers = nameValues(meta.headers);
      entry.request.bodySize = f.size;
      if (f.size > 0) {
        const type = entry.request.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? 'application/octet-stream';
        entry.request.postData = { mimeType: type, text: f.encoding === 'base64' ? Buffer.from(f.data, 'base64').toString('latin1') : f.data };
      }
      if (meta.upgrade === 'websocket') {
        entry._resourceType = 'websocket';
        entry._webSocketMessages = [];
      }
      continue;
    }
    if (f.dir === 'in' && typeof meta.status === 'number') {
      const r = entry.response;
      r.status = meta.status;
      r.statusText = typeof meta.statusText === 'string' ? meta.statusText : '';
      r.headers = nameValues(meta.headers);
      const type = r.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value;
      r.content.mimeType = type ?? (f.encoding === 'base64' ? 'application/octet-stream' : 'text/plain');
      if (meta.stream === 'sse') {
        entry._resourceType = 'eventsource';
        entry._eventSourceMessages = [];
        r.bodySize = 0;
      } else if (meta.stream === 'ndjson' || meta.status === 101) {
        r.bodySize = 0;
      } else {
        r.content.size = f.size;
        r.bodySize = typeof meta.wireBytes === 'number' ? meta.wireBytes : f.size;
        r.content.text = f.data;
        if (f.encoding === 'base64') r.content.encoding = 'base64';
      }
      if (meta.generated) entry._error = 'answered by the proxy: the backend could not be reached';
      continue;
    }
    if (meta.control === true && meta.opcode === undefined) continue;
    if (entry._webSocketMessages) {
      // Chrome lists data messages; control frames (ping/pong/close) are left out, as DevTools does.
      if (meta.control === true) continue;
      entry._webSocketMessages.push({ type: f.dir === 'out' ? 'send' : 'receive', time: f.ts / 1000, opcode: f.encoding === 'base64' ? 2 : 1, data: f.data });
    } else if (entry._eventSourceMessages) {
      // Chrome lists the messages the page got: a block without data (id or retry only) is not one.
      if (meta.dispatched === false) continue;
      entry._eventSourceMessages.push({ time: f.ts / 1000, eventName: f.channel ?? 'message', eventId: meta.id === undefined ? '' : String(meta.id), data: f.data });
      entry.response.content.size += f.size;
    } else if (meta.stream === 'ndjson') {
      entry.response.content.size += f.size;
      addText(b, f.data + (meta.partial ? '' : '\n'));
    }
  }
  for (const b of order) {
    const t = b.entry.timings;
    b.entry.time = Math.round([t.blocked, t.dns, t.connect, t.send, t.wait, t.receive].filter((x) => x > 0).reduce((a, c) => a + c, 0) * 1000) / 1000;
  }
  return {
    log: {
      version: '1.2',
      creator: { name: 'Wirescope', version: opts.creatorVersion ?? '0.0.0' },
      pages: [{ startedDateTime: iso(firstTs ?? Date.now()), id: pageId, title: redactText(`${session.name} (${session.pattern})`, secrets), pageTimings: { onContentLoad: -1, onLoad: -1 } }],
      entries: order.filter((b) => b.entry.request.url !== '').map((b) => b.entry),
    },
  };
}
