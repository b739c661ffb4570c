/**
 * HTTP requests over HTTP/2 (`--http2`): one connection that Wirescope opens itself (ALPN h2 for https, prior
 * knowledge for http, see ../h2Connection.ts), then `repeat` requests as streams on it, `parallel` at a time, so
 * multiplexing shows: one connect and TLS, many stream ids, each request with its own time to first byte and
 * total. The connection's SETTINGS, PINGs, GOAWAY and each RST_STREAM are control frames.
 *
 * Redirects are shown (a 3xx is an in frame with its Location) but not followed over HTTP/2.
 */
import http2 from 'node:http2';
import zlib from 'node:zlib';
import type { ConnectOptions } from '../../shared/connectOptions';
import { describeError } from '../errors';
import { ConnectError, openConnection, rstName, settingsWords, type H2Connection } from '../h2Connection';
import { isTextualBody, redactHeaders, redactUrl } from '../httpClient';
import type { TransportSink } from '../transport';

/** Cap on a decoded body, as for HTTP/1.1. */
const MAX_DECODED_BYTES = 32 * 1024 * 1024;

export interface Http2Plan {
  repeat: number;
  parallel: number;
}

interface Outcome {
  streamId?: number;
  status?: number;
  error?: { message: string; code: string };
}

function decode(coding: string, data: Buffer): Buffer | undefined {
  const opts = { maxOutputLength: MAX_DECODED_BYTES };
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return zlib.gunzipSync(data, opts);
    if (coding === 'br') return zlib.brotliDecompressSync(data, opts);
    if (coding === 'deflate') {
      try {
        return zlib.inflateSync(data, opts);
      } catch {
        return zlib.inflateRawSync(data, opts);
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
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
        outcomes[i] = await this.request(conn, u, i);
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
    sink.summarize({ http2: { requests: this.plan.repeat, parallel: this.plan.parallel, connections: 1, streams: outcomes.map((o) => o?.streamId ?? null), statuses, failed: failed.length } });
    conn.session.close();
    if (failed.length) {
      const first = failed[0].error as { message: string; code: string };
      return this.failed(this.plan.repeat > 1 ? `${failed.length} of ${this.plan.repeat} requests failed; the first: ${first.message}` : first.message, first.code);
    }
    const last = outcomes[outcomes.length - 1];
    const status = last?.status ?? 0;
    this.done('closed', this.plan.repeat > 1 ? `${this.plan.repeat} requests over one HTTP/2 connection (${Object.entries(statuses).map(([s, n]) => `${n} × ${s}`).join(', ')})` : `HTTP ${status}`, status);
  }

  /** One request as one stream: the out frame, then the response's in frame and its timing. */
  private request(conn: H2Connection, u: URL, index: number): Promise<Outcome> {
    const { options, sink } = this;
    const method = (options.method ?? (options.body !== undefined ? 'POST' : 'GET')).toUpperCase();
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': `${u.pathname}${u.search}`, ':scheme': u.protocol.replace(':', ''), ':authority': u.host };
    for (const [k, v] of Object.entries(options.headers ?? {})) {
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
        req = conn.session.request(headers, { endStream: options.body === undefined });
      } catch (err) {
        const error = { message: `request ${index + 1} could not start a stream: ${(err as Error).message}`, code: (err as NodeJS.ErrnoException).code ?? 'ERR_HTTP2_STREAM' };
        return resolve({ error });
      }
      this.streams.add(req);
      const streamId = () => req.id;
      const requestMeta: Record<string, unknown> = { method, url: redactUrl(options.url), headers: redactHeaders(Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, String(v)]))), httpVersion: '2' };
      // The stream id is known once the request's HEADERS go out (at once on a connected session).
      const logRequest = (): void => {
        requestMeta.streamId = streamId();
        if (this.plan.repeat > 1) requestMeta.request = index + 1;
        if (!this.ended) sink.frame('out', options.body ?? '', { meta: requestMeta });
      };
      if (req.id !== undefined) logRequest();
      else req.once('ready', logRequest);
      if (options.body !== undefined) req.end(options.body);
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
            const decoded = truncated || error ? undefined : decode(coding, payload);
            if (decoded) {
              meta.encodedSize = size;
              payload = decoded;
              shown = decoded.length;
            }
          }
          if (resHeaders.location !== undefined && status >= 300 && status < 400) meta.location = redactUrl(new URL(resHeaders.location, options.url).toString());
          if (error) meta.incomplete = error.message;
          sink.timing({ dns: null, connect: null, tls: null, ttfb: ttfbAt !== undefined ? ttfbAt - t0 : null, download: ttfbAt !== undefined ? now - ttfbAt : null, total: now - t0 }, { status, url: redactUrl(options.url), streamId: id, ...(this.plan.repeat > 1 ? { request: index + 1 } : {}) });
          sink.frame('in', payload, { size: shown, binary: !isTextualBody(resHeaders['content-type'], payload), meta, ...(truncated ? { truncated: true } : {}) });
        }
        resolve({ streamId: id, status, error });
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
  }

  /** The session ends (Ctrl+C, --duration): open streams are cancelled and the connection closed. */
  stop(): void {
    this.ended = true;
    this.closeAll();
  }
}
