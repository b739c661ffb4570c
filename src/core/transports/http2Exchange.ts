/**
 * HTTP requests over HTTP/2 (`--http2`): one connection that Wirescope opens itself (ALPN h2 for https, prior
 * knowledge for http, see ../h2Connection.ts), then `repeat` requests as streams on it, `parallel` at a time, so
 * multiplexing shows: one connect and TLS, many stream ids, each request with its own time to first byte and
 * total. The connection's SETTINGS, PINGs, GOAWAY and each RST_STREAM are control frames.
 *
 * Redirects are followed as over HTTP/1.1 (unless followRedirects is false): each hop is a control in frame with its
 * Location, then the next request goes out as a new stream, on the same connection when the origin is the same, or
 * on a new HTTP/2 connection to the other origin (credentials dropped, as the shared redirect policy says).
 */
import http2 from 'node:http2';
import type { ConnectOptions } from '../../shared/connectOptions';
import { describeError } from '../errors';
import { ConnectError, openConnection, requestStream, rstName, settingsWords, type H2Connection } from '../h2Connection';
import { decodeContent, followRedirect, isTextualBody, redactHeaders, redactUrl } from '../httpClient';
import { headersForRedirect } from '../../shared/credentials';
import type { TransportSink } from '../transport';

export interface Http2Plan {
  repeat: number;
  parallel: number;
}

interface Outcome {
  streamId?: number;
  /** The 3xx's next hop, when followed. */
  next?: { url: string; method: string; dropBody: boolean };
  status?: number;
  error?: { message: string; code: string };
}

/** Response headers as a plain record (pseudo-headers left out; repeated ones joined as HTTP/1.1 would). */
function plainHeaders(h: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

export class Http2Exchange {
  private conn: H2Connection | undefined;
  private ended = false;
  private readonly abort = new AbortController();
  private readonly streams = new Set<http2.ClientHttp2Stream>();
  /** Connections opened for redirects to other origins, by origin. */
  private readonly others = new Map<string, Promise<H2Connection>>();

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
    private readonly plan: Http2Plan,
    private readonly end: (state: 'closed' | 'failed', reason: string, code?: number) => void,
    private readonly fail: (message: string, code?: string) => void,
  ) {}

  async run(): Promise<void> {
    const { options, sink } = this;
    const u = new URL(options.url);
    const secure = u.protocol === 'https:';
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (secure ? 443 : 80));
    sink.state('connecting', { url: redactUrl(options.url) });
    let conn: H2Connection;
    try {
      conn = await openConnection({ host, port, secure, tls: options.tls, timeoutMs: options.connectTimeoutMs ?? 10_000, now: () => sink.now(), signal: this.abort.signal, role: 'HTTP/2' });
    } catch (err) {
      if (this.ended) return;
      const d = err instanceof ConnectError ? { message: err.message, code: err.code } : describeError(err, options.url);
      return this.failed(d.message, d.code);
    }
    if (this.ended) {
      conn.session.destroy();
      return;
    }
    this.conn = conn;
    sink.frame('in', `SETTINGS from the server: ${settingsWords(conn.settings)}`, { control: true, meta: { packet: 'SETTINGS', settings: conn.settings } });
    conn.session.on('remoteSettings', (settings) => {
      if (!this.ended) sink.frame('in', `SETTINGS changed by the server: ${settingsWords(settings)}`, { control: true, meta: { packet: 'SETTINGS', settings } });
    });
    conn.session.on('ping', (payload: Buffer) => {
      if (!this.ended) sink.frame('in', 'PING from the server (answered with its PING ACK)', { control: true, meta: { packet: 'PING', payload: payload.toString('hex') } });
    });
    conn.session.on('goaway', (code: number, lastStreamId: number) => {
      if (!this.ended) sink.frame('in', `GOAWAY (${rstName(code)}): the server takes no stream after ${lastStreamId}`, { control: true, meta: { packet: 'GOAWAY', errorCode: code, lastStreamId } });
    });
    conn.session.on('error', () => undefined);
    sink.timing({ dns: conn.timing.dns, connect: conn.timing.connect, tls: conn.timing.tls, ttfb: null, download: null, total: conn.timing.total }, { phase: 'connection', protocol: 'h2' });
    const meta: Record<string, unknown> = { http2: { settings: conn.settings, requests: this.plan.repeat, parallel: this.plan.parallel } };
    if (conn.tls) meta.tls = conn.tls;
    sink.state('open', { url: redactUrl(options.url), meta });

    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!this.ended && next < this.plan.repeat) {
        const i = next++;
        outcomes[i] = await this.exchange(conn, i);
      }
    };
    const total = options.totalTimeoutMs ?? 0;
    const timer = total > 0 ? setTimeout(() => this.cutAll(`total timeout: the requests took longer than ${total} ms`, 'ERR_TOTAL_TIMEOUT'), total) : undefined;
    try {
      await Promise.all(Array.from({ length: Math.min(this.plan.parallel, this.plan.repeat) }, worker));
    } finally {
      clearTimeout(timer);
    }
    if (this.ended) return;
    const statuses: Record<string, number> = {};
    for (const o of outcomes) if (o?.status !== undefined) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
    const failed = outcomes.filter((o) => o?.error);
    sink.summarize({ http2: { requests: this.plan.repeat, parallel: this.plan.parallel, connections: 1 + this.others.size, streams: outcomes.map((o) => o?.streamId ?? null), statuses, failed: failed.length } });
    conn.session.close();
    for (const other of this.others.values()) void other.then((c) => c.session.close(), () => undefined);
    if (failed.length) {
      const first = failed[0].error as { message: string; code: string };
      return this.failed(this.plan.repeat > 1 ? `${failed.length} of ${this.plan.repeat} requests failed; the first: ${first.message}` : first.message, first.code);
    }
    const last = outcomes[outcomes.length - 1];
    const status = last?.status ?? 0;
    this.done('closed', this.plan.repeat > 1 ? `${this.plan.repeat} requests over one HTTP/2 connection (${Object.entries(statuses).map(([s, n]) => `${n} × ${s}`).join(', ')})` : `HTTP ${status}`, status);
  }

  /**
   * One request and the redirects it is answered with: a stream per hop, on `conn` while the origin stays the same,
   * on a connection of the redirect's origin otherwise. The outcome is the last hop's.
   */
  private async exchange(conn: H2Connection, index: number): Promise<Outcome> {
    const { options } = this;
    const follow = options.followRedirects !== false;
    const maxRedirects = options.maxRedirects ?? 10;
    let url = options.url;
    let method = (options.method ?? (options.body !== undefined ? 'POST' : 'GET')).toUpperCase();
    let body = options.body;
    let headers: Record<string, string> = { ...(options.headers ?? {}) };
    let dropped: string[] = [];
    const visited = new Set<string>();
    let c = conn;
    const origin = new URL(options.url).origin;
    for (let hop = 0; ; hop++) {
      visited.add(`${method} ${url}`);
      const o = await this.request(c, { url, method, body, headers, hop, dropped, follow }, index);
      if (!o.next || o.error || this.ended) return o;
      const next = o.next;
      if (visited.has(`${next.method} ${next.url}`)) return { ...o, error: { message: `Redirect loop: ${redactUrl(url)} redirects back to ${redactUrl(next.url)}, which was already requested`, code: 'ERR_REDIRECT_LOOP' } };
      if (hop + 1 > maxRedirects) return { ...o, error: { message: `Too many redirects: more than ${maxRedirects} hops (last to ${redactUrl(next.url)})`, code: 'ERR_TOO_MANY_REDIRECTS' } };
      // The redirect policy of every HTTP-based pattern: credentials stay with the origin they were given to.
      const policy = headersForRedirect(headers, url, next.url);
      headers = { ...policy.headers };
      dropped = policy.dropped;
      if (next.dropBody) {
        body = undefined;
        for (const name of Object.keys(headers)) if (['content-length', 'content-type'].includes(name.toLowerCase())) delete headers[name];
      }
      const to = new URL(next.url);
      if (to.protocol !== 'http:' && to.protocol !== 'https:') return { ...o, error: { message: `The redirect leads to ${redactUrl(next.url)}, which is not http(s)`, code: 'ERR_REDIRECT_SCHEME' } };
      if (to.origin === origin) c = conn;
      else {
        try {
          c = await this.connectionTo(to);
        } catch (err) {
          const d = err instanceof ConnectError ? { message: err.message, code: err.code } : describeError(err, next.url);
          return { ...o, error: { message: `redirect to ${redactUrl(next.url)}: ${d.message}`, code: d.code ?? 'ERR_HTTP2_CONNECT' } };
        }
      }
      url = next.url;
      method = next.method;
    }
  }

  /** The HTTP/2 connection to another origin (a redirect's), opened once and timed. */
  private connectionTo(to: URL): Promise<H2Connection> {
    const known = this.others.get(to.origin);
    if (known) return known;
    const { options, sink } = this;
    const secure = to.protocol === 'https:';
    const opening = openConnection({
      host: to.hostname.replace(/^\[|\]$/g, ''),
      port: Number(to.port || (secure ? 443 : 80)),
      secure,
      tls: options.tls,
      timeoutMs: options.connectTimeoutMs ?? 10_000,
      now: () => sink.now(),
      signal: this.abort.signal,
      role: 'HTTP/2',
    }).then((c) => {
      c.session.on('error', () => undefined);
      if (!this.ended) sink.timing({ dns: c.timing.dns, connect: c.timing.connect, tls: c.timing.tls, ttfb: null, download: null, total: c.timing.total }, { phase: 'connection', protocol: 'h2', url: redactUrl(to.origin) });
      if (this.ended) c.session.destroy();
      return c;
    });
    this.others.set(to.origin, opening);
    return opening;
  }

  /** One request as one stream: the out frame, then the response's in frame and its timing. */
  private request(conn: H2Connection, hop: { url: string; method: string; body: string | undefined; headers: Record<string, string>; hop: number; dropped: string[]; follow: boolean }, index: number): Promise<Outcome> {
    const { sink } = this;
    const { method, body } = hop;
    const u = new URL(hop.url);
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': `${u.pathname}${u.search}`, ':scheme': u.protocol.replace(':', ''), ':authority': u.host };
    for (const [k, v] of Object.entries(hop.headers)) {
      const name = k.toLowerCase();
      // Connection-specific headers are not allowed in HTTP/2 (RFC 9113 8.2.2).
      if (['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host'].includes(name)) continue;
      headers[name] = v;
    }
    if (!('accept-encoding' in headers)) headers['accept-encoding'] = 'gzip, deflate, br';
    const t0 = sink.now();
    return new Promise<Outcome>((resolve) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = requestStream(conn.session, headers, { endStream: body === undefined });
      } catch (err) {
        const error = { message: `request ${index + 1} could not start a stream: ${(err as Error).message}`, code: (err as NodeJS.ErrnoException).code ?? 'ERR_HTTP2_STREAM' };
        return resolve({ error });
      }
      this.streams.add(req);
      const streamId = () => req.id;
      const requestMeta: Record<string, unknown> = { method, url: redactUrl(hop.url), headers: redactHeaders(Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, String(v)]))), httpVersion: '2' };
      // The stream id is known once the request's HEADERS go out (at once on a connected session).
      const logRequest = (): void => {
        requestMeta.streamId = streamId();
        if (this.plan.repeat > 1) requestMeta.request = index + 1;
        if (hop.hop > 0) requestMeta.hop = hop.hop;
        if (hop.dropped.length > 0) requestMeta.credentialsDropped = hop.dropped;
        if (!this.ended) sink.frame('out', body ?? '', { meta: requestMeta });
      };
      if (req.id !== undefined) logRequest();
      else req.once('ready', logRequest);
      if (body !== undefined) req.end(body);
      let status: number | undefined;
      let resHeaders: Record<string, string> = {};
      let ttfbAt: number | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const limit = sink.previewLimit;
      let truncated = false;
      req.on('response', (h) => {
        ttfbAt = sink.now();
        status = Number(h[':status']);
        resHeaders = plainHeaders(h);
      });
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (truncated) return;
        const room = limit - chunks.reduce((n, x) => n + x.length, 0);
        if (c.length > room) {
          chunks.push(c.subarray(0, Math.max(0, room)));
          truncated = true;
        } else chunks.push(c);
      });
      let next: Outcome['next'];
      const finish = (error?: { message: string; code: string }): void => {
        this.streams.delete(req);
        const now = sink.now();
        const id = streamId();
        if (status !== undefined && !this.ended) {
          let payload: Buffer = Buffer.concat(chunks);
          let shown = size;
          const meta: Record<string, unknown> = { status, statusText: '', headers: resHeaders, streamId: id, httpVersion: '2' };
          if (this.plan.repeat > 1) meta.request = index + 1;
          const coding = (resHeaders['content-encoding'] ?? '').trim().toLowerCase();
          if (coding && coding !== 'identity') {
            meta.contentEncoding = coding;
            const decoded = truncated || error ? undefined : decodeContent(coding, payload);
            if (decoded) {
              meta.encodedSize = size;
              payload = decoded;
              shown = decoded.length;
            }
          }
          if (resHeaders.location !== undefined && status >= 300 && status < 400) {
            try {
              meta.location = redactUrl(new URL(resHeaders.location, hop.url).toString());
            } catch {
              meta.location = redactUrl(resHeaders.location);
            }
          }
          // A 3xx that is followed is a hop (a control frame: --count counts answers), as over HTTP/1.1.
          next = !error && hop.follow ? followRedirect({ status, headers: resHeaders, url: hop.url }, method) : undefined;
          if (next) meta.redirect = true;
          if (error) meta.incomplete = error.message;
          sink.timing({ dns: null, connect: null, tls: null, ttfb: ttfbAt !== undefined ? ttfbAt - t0 : null, download: ttfbAt !== undefined ? now - ttfbAt : null, total: now - t0 }, { status, url: redactUrl(hop.url), streamId: id, ...(next ? { redirect: true } : {}), ...(this.plan.repeat > 1 ? { request: index + 1 } : {}) });
          sink.frame('in', payload, { size: shown, binary: !isTextualBody(resHeaders['content-type'], payload), meta, control: next !== undefined, ...(truncated ? { truncated: true } : {}) });
        }
        resolve({ streamId: id, status, error, next });
      };
      req.on('end', () => undefined);
      req.on('error', () => undefined);
      req.on('close', () => {
        const rst = req.rstCode;
        if (rst !== undefined && rst !== http2.constants.NGHTTP2_NO_ERROR && !this.ended) {
          const name = rstName(rst);
          sink.frame('in', `RST_STREAM ${name} from the server on stream ${streamId() ?? '?'}`, { control: true, meta: { packet: 'RST_STREAM', errorCode: rst, errorName: name, streamId: streamId() } });
          return finish({ message: `the server reset stream ${streamId() ?? '?'} (RST_STREAM ${name})${status === undefined ? ' before answering' : ''}`, code: 'ERR_HTTP2_STREAM' });
        }
        if (status === undefined) return finish({ message: this.ended ? 'the session ended first' : 'the connection closed before the server answered', code: 'ERR_HTTP2_STREAM' });
        finish();
      });
    });
  }

  private cutAll(message: string, code: string): void {
    if (this.ended) return;
    this.failed(message, code);
    this.closeAll();
  }

  private failed(message: string, code?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.fail(message, code);
  }

  private done(state: 'closed' | 'failed', reason: string, code?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.end(state, reason, code);
  }

  private closeAll(): void {
    this.abort.abort();
    for (const s of this.streams) if (!s.closed) s.close(http2.constants.NGHTTP2_CANCEL);
    this.conn?.session.destroy();
    for (const other of this.others.values()) void other.then((c) => c.session.destroy(), () => undefined);
  }

  /** The session ends (Ctrl+C, --duration): open streams are cancelled and the connection closed. */
  stop(): void {
    this.ended = true;
    this.closeAll();
  }
}
