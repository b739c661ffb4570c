/**
 * An HTTP/2 connection opened by Wirescope itself (node:http2 over a socket it made): TCP, TLS with ALPN h2 or
 * cleartext prior knowledge (h2c), the connection preface and both SETTINGS, with every phase timed. gRPC calls
 * (src/patterns/grpc) and HTTP requests with `--http2` (src/core/transports/http2Exchange.ts) both ride on it.
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { requestSent } from './requestSentChannel';
import { nodeTlsOptions } from './tlsOptions';
import type { TlsOptions } from '../shared/connectOptions';

export interface ConnectionTiming {
  dns: number | null;
  connect: number;
  tls: number | null;
  /** Until the server's SETTINGS arrived (the HTTP/2 connection is usable). */
  total: number;
}

export interface H2Connection {
  session: http2.ClientHttp2Session;
  socket: net.Socket;
  timing: ConnectionTiming;
  secure: boolean;
  tls?: { protocol: string | null; cipher?: string; authorized: boolean; alpn: string | false | null };
  settings: http2.Settings;
}

/** A connection problem in one line (the cause is said in words). */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface ConnectParams {
  host: string;
  port: number;
  secure: boolean;
  tls?: TlsOptions;
  timeoutMs: number;
  now(): number;
  /** Abandon the attempt (the session closed while connecting): everything opened is destroyed. */
  signal?: AbortSignal;
  /** Who the server should be, for the messages: a gRPC server (the default) or any HTTP/2 server. */
  role?: 'gRPC' | 'HTTP/2';
}

/**
 * Start a request (a stream) on the connection, said on the request-sent channel: node:http2 publishes nothing
 * there, and the race's wire meter counts each gRPC call and HTTP/2 request from it. Throws what `request` throws.
 */
export function requestStream(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, options?: http2.ClientSessionRequestOptions): http2.ClientHttp2Stream {
  const req = session.request(headers, options);
  if (requestSent.hasSubscribers) requestSent.publish({ method: String(headers[':method'] ?? 'GET'), url: `${String(headers[':scheme'])}://${String(headers[':authority'])}${String(headers[':path'])}` });
  return req;
}

/** Open the HTTP/2 connection: TCP, TLS with ALPN h2 (grpcs, https), then the connection preface and both SETTINGS. */
export function openConnection(p: ConnectParams): Promise<H2Connection> {
  return new Promise((resolve, reject) => {
    const t0 = p.now();
    let lookupAt: number | undefined;
    let connectAt: number | undefined;
    let tlsAt: number | undefined;
    let settled = false;
    let session: http2.ClientHttp2Session | undefined;
    const where = `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
    const noH2 = p.role === 'HTTP/2' ? 'ERR_HTTP2_UNSUPPORTED' : 'ERR_GRPC_NO_H2';
    const notIt = p.role === 'HTTP/2' ? 'it does not speak HTTP/2 (try without --http2)' : 'it is not a gRPC server';
    const raw = net.connect({ host: p.host, port: p.port });
    raw.setNoDelay(true);
    let sock: net.Socket = raw;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session?.destroy();
      sock.destroy();
      raw.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ConnectError(connectAt === undefined ? `Connection timed out (${where})` : `no HTTP/2 SETTINGS from ${where} within ${p.timeoutMs} ms: the server does not speak HTTP/2${p.secure ? '' : ' with prior knowledge (h2c)'}`, 'ETIMEDOUT')), p.timeoutMs);
    if (p.signal) {
      const onAbort = () => fail(new ConnectError('connection attempt abandoned', 'ERR_GRPC_ABORTED'));
      if (p.signal.aborted) onAbort();
      else p.signal.addEventListener('abort', onAbort, { once: true });
    }
    raw.once('lookup', () => (lookupAt = p.now()));
    let http2Started = false;
    raw.once('error', (err) => fail(http2Started ? notHttp2(err, where, p.secure, noH2) : err));
    raw.once('connect', () => {
      connectAt = p.now();
      if (!p.secure) return startHttp2();
      const t = tls.connect({ socket: raw, ALPNProtocols: ['h2'], ...nodeTlsOptions(p.tls), ...(net.isIP(p.host) ? {} : { servername: p.tls?.servername ?? p.host }) });
      sock = t;
      t.once('error', (err) => {
        // A TLS server that offers only other protocols refuses ALPN h2 with an alert.
        if ((err as NodeJS.ErrnoException).code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') return fail(new ConnectError(`the server at ${where} did not agree to HTTP/2 over TLS (it refused ALPN h2): ${notIt}`, noH2));
        fail(http2Started ? notHttp2(err, where, p.secure, noH2) : err);
      });
      t.once('secureConnect', () => {
        tlsAt = p.now();
        if (t.alpnProtocol !== 'h2') return fail(new ConnectError(`the server at ${where} did not agree to HTTP/2 over TLS (ALPN: ${t.alpnProtocol || 'none'}): ${notIt}`, noH2));
        startHttp2();
      });
    });
    const startHttp2 = () => {
      http2Started = true;
      let gotSettings = false;
      const s = http2.connect(`${p.secure ? 'https' : 'http'}://${where}`, { createConnection: () => sock, maxSessionMemory: 64 });
      session = s;
      s.on('error', (err) => {
        if (!gotSettings) fail(notHttp2(err, where, p.secure, noH2));
      });
      s.once('close', () => {
        if (!gotSettings) fail(new ConnectError(`the server at ${where} closed the connection before HTTP/2 SETTINGS: it does not speak HTTP/2${p.secure ? '' : ' with prior knowledge (h2c; an HTTP/1.1 server?)'}`, noH2));
      });
      s.once('remoteSettings', (settings) => {
        gotSettings = true;
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const now = p.now();
        const dnsEnd = lookupAt ?? t0;
        const connectEnd = connectAt ?? now;
        const out: H2Connection = {
          session: s,
          socket: sock,
          secure: p.secure,
          settings,
          timing: { dns: lookupAt !== undefined ? dnsEnd - t0 : null, connect: connectEnd - dnsEnd, tls: tlsAt !== undefined ? tlsAt - connectEnd : null, total: now - t0 },
        };
        if (sock instanceof tls.TLSSocket) out.tls = { protocol: sock.getProtocol(), cipher: sock.getCipher()?.name, authorized: sock.authorized, alpn: sock.alpnProtocol };
        resolve(out);
      });
    };
  });
}

function notHttp2(err: Error, where: string, secure: boolean, noH2: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_SESSION_ERROR' || /protocol error/i.test(err.message)) {
    return new ConnectError(`the server at ${where} does not speak HTTP/2${secure ? '' : ' with prior knowledge (h2c; an HTTP/1.1 server?)'}: ${err.message}`, noH2);
  }
  return err;
}

const SETTING_WORDS: Array<[keyof http2.Settings, string]> = [
  ['maxConcurrentStreams', 'max concurrent streams'],
  ['initialWindowSize', 'initial window'],
  ['maxFrameSize', 'max frame'],
  ['maxHeaderListSize', 'max header list'],
  ['headerTableSize', 'header table'],
  ['enablePush', 'push'],
  ['enableConnectProtocol', 'extended CONNECT'],
];

/** The settings a server sent, in words (`max concurrent streams 100, initial window 65535 B, ...`). */
export function settingsWords(settings: http2.Settings): string {
  const parts: string[] = [];
  for (const [k, words] of SETTING_WORDS) {
    const v = settings[k];
    if (v === undefined) continue;
    if (typeof v === 'boolean') parts.push(`${words} ${v ? 'on' : 'off'}`);
    else parts.push(`${words} ${v}${k === 'initialWindowSize' || k === 'maxFrameSize' || k === 'maxHeaderListSize' || k === 'headerTableSize' ? ' B' : ''}`);
  }
  return parts.join(', ') || 'none (the defaults)';
}

/** The name of an HTTP/2 error code (RST_STREAM, GOAWAY). */
const RST_NAMES: Record<number, string> = { 0: 'NO_ERROR', 1: 'PROTOCOL_ERROR', 2: 'INTERNAL_ERROR', 3: 'FLOW_CONTROL_ERROR', 5: 'STREAM_CLOSED', 6: 'FRAME_SIZE_ERROR', 7: 'REFUSED_STREAM', 8: 'CANCEL', 9: 'COMPRESSION_ERROR', 10: 'CONNECT_ERROR', 11: 'ENHANCE_YOUR_CALM', 12: 'INADEQUATE_SECURITY', 13: 'HTTP_1_1_REQUIRED' };
export function rstName(code: number): string {
  return RST_NAMES[code] ?? String(code);
}
