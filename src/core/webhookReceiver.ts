import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookOptions } from '../shared/connectOptions';
import { describeError } from './errors';
import { redactHeaders } from './httpClient';
import { flatHeaders } from './tlsOptions';
import type { TransportSink } from './transport';
import { startSignatureCheck, validateSignatureOptions, type SignatureCheck, type SignatureResult, type SignatureVerdict } from './webhookSignature';

export type { SignatureVerdict } from './webhookSignature';

/** Where a receiver listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parse `host:port`, `[v6]:port`, `:port` or `port`; host defaults to 127.0.0.1 and port to 0.
 * Throws an Error with a one-line message on bad input.
 */
export function parseListen(spec: string | undefined): ListenAddress {
  const s = (spec ?? '').trim();
  if (s === '') return { host: '127.0.0.1', port: 0 };
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(s);
  if (v6) {
    host = v6[1];
    portText = v6[2] ?? '';
  } else if (/^\d+$/.test(s)) {
    host = '';
    portText = s;
  } else {
    const at = s.lastIndexOf(':');
    if (at >= 0 && s.indexOf(':') !== at) throw new Error(`Invalid listen address "${s}": write an IPv6 host in brackets, like [::1]:8080`);
    host = at >= 0 ? s.slice(0, at) : s;
    portText = at >= 0 ? s.slice(at + 1) : '';
  }
  if (portText !== '' && !/^\d+$/.test(portText)) throw new Error(`Invalid listen address "${s}": the port must be a number`);
  const port = portText === '' ? 0 : Number(portText);
  if (port > 65535) throw new Error(`Invalid listen address "${s}": port ${port} is out of range`);
  if (host !== '' && !/^[A-Za-z0-9.:%-]+$/.test(host)) throw new Error(`Invalid listen address "${s}": bad host "${host}"`);
  return { host: host || '127.0.0.1', port };
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** What the receiver learnt about one request, handed to `onRequest` before the frame is logged. */
export interface ReceivedRequest {
  method: string;
  /** The path of the request target, as received (not normalised). */
  path: string;
  /** The whole request target (path and query) as received. */
  target: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** The body up to the preview limit. */
  body: Buffer;
  /** The whole body size in bytes. */
  size: number;
  signature?: SignatureVerdict;
  /** The scheme checked, its header and why a signature did not pass. */
  signatureCheck?: SignatureResult;
}

export interface WebhookReceiverOptions extends WebhookOptions {
  sink: TransportSink;
  /** Extra meta for the request's in frame (for example the async pattern's `done`). */
  onRequest?: (req: ReceivedRequest) => Record<string, unknown> | undefined;
}

const TEXT_TYPE = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded|javascript|x-ndjson|jsonl)\b)/i;

/**
 * A local HTTP endpoint that logs every request as an `in` frame and its configured reply as an `out` frame.
 * Shared by the webhook pattern and the async pattern's callback mode.
 */
export class WebhookReceiver {
  private server: http.Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Replies not sent yet; close() lets them go out first so a caller is not cut off mid-request. */
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** The receiver's URL once listening. */
  url = '';
  address: ListenAddress | undefined;

  constructor(private readonly opts: WebhookReceiverOptions) {}

  /** Start listening. Rejects with an Error whose message is one line (port in use, bad address). */
  async start(): Promise<string> {
    const want = parseListen(this.opts.listen);
    if (this.opts.hmac) validateSignatureOptions(this.opts.hmac);
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(new Error(describeError(err, `${want.host}:${want.port}`).message));
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ host: want.host, port: want.port });
    });
    const addr = server.address() as AddressInfo;
    this.address = { host: want.host, port: addr.port };
    const hostInUrl = want.host.includes(':') ? `[${want.host}]` : want.host;
    this.url = `http://${hostInUrl}:${addr.port}/`;
    return this.url;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { sink, hmac } = this.opts;
    const limit = sink.previewLimit;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let size = 0;
    // The scheme is chosen from the headers, before the body: the signed bytes are hashed as they arrive.
    const check: SignatureCheck | undefined = hmac ? startSignatureCheck(flatHeaders(req.headers), hmac) : undefined;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      check?.update(chunk);
      if (keptBytes < limit) {
        const take = chunk.subarray(0, limit - keptBytes);
        kept.push(take);
        keptBytes += take.length;
      }
    });
    req.on('error', () => undefined);
    let replied!: () => void;
    const pending = new Promise<void>((r) => (replied = r));
    this.inFlight.add(pending);
    void pending.then(() => this.inFlight.delete(pending));
    // The response's close (sent, or the caller went away) settles it; the request's close comes as soon as its body is read.
    res.on('close', () => replied());
    req.on('end', () => {
      if (this.closed) {
        replied();
        return;
      }
      const headers = flatHeaders(req.headers);
      const u = new URL(req.url ?? '/', 'http://receiver');
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of u.searchParams) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      // The request target as received: new URL() would normalise it (`//etc/passwd` -> `/passwd`,
      // `/a/../b` -> `/b`), and a debugging tool shows what the caller sent.
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const received: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: q < 0 ? target : target.slice(0, q),
        target,
        query,
        headers,
        body: Buffer.concat(kept, keptBytes),
        size,
      };
      if (check) {
        received.signatureCheck = check.result();
        received.signature = received.signatureCheck.verdict;
      }
      // Credentials a caller sends (Authorization, cookies) are not written to the log.
      const meta: Record<string, unknown> = { method: received.method, path: received.path, headers: redactHeaders(headers) };
      if (q >= 0) meta.target = target;
      if (Object.keys(query).length > 0) meta.query = query;
      if (received.signatureCheck) {
        const c = received.signatureCheck;
        meta.signature = c.verdict;
        if (c.scheme) meta.signatureScheme = c.scheme;
        if (c.header) meta.signatureHeader = c.header;
        if (c.reason) meta.signatureReason = c.reason;
      }
      const extra = this.opts.onRequest?.(received);
      const binary = !isText(headers['content-type'], received.body);
      sink.frame('in', received.body, { size, meta: { ...meta, ...(extra ?? {}) }, ...(binary ? { binary: true } : {}) });
      this.reply(res, received, replied);
    });
  }

  private reply(res: http.ServerResponse, received: ReceivedRequest, replied: () => void): void {
    const reply = this.opts.reply ?? {};
    const status = reply.status ?? 200;
    const body = reply.body ?? '';
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'text/plain; charset=utf-8';
    const send = () => {
      try {
        sendNow();
      } finally {
        replied();
      }
    };
    const sendNow = () => {
      if (res.destroyed) {
        this.opts.sink.error(`The caller of ${received.method} ${received.path} disconnected before the reply was sent`, 'ERR_WEBHOOK_CALLER_GONE');
        return;
      }
      try {
        res.writeHead(status, headers);
        res.end(body);
      } catch (err) {
        this.opts.sink.error(`Could not send the webhook reply: ${describeError(err).message}`, 'ERR_WEBHOOK_REPLY');
        return;
      }
      const meta: Record<string, unknown> = { status, headers, method: received.method, path: received.path };
      if (reply.delayMs) meta.delayMs = reply.delayMs;
      this.opts.sink.frame('out', body, { meta });
    };
    const delay = reply.delayMs ?? 0;
    if (delay > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, delay);
      this.timers.add(timer);
    } else {
      send();
    }
  }

  /**
   * Stop listening, let replies already due go out (bounded by `graceMs`), then drop connections.
   * Safe to call twice.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const server = this.server;
    if (!server) return;
    if (!server.listening) {
      // Closed while start() is still binding: close once it is bound, or not at all if binding fails.
      await new Promise<void>((resolve) => {
        server.once('listening', () => resolve());
        server.once('error', () => resolve());
      });
      if (!server.listening) return;
    }
    const stopped = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.inFlight]),
        new Promise<void>((r) => {
          timer = setTimeout(r, graceMs);
          timer.unref?.();
        }),
      ]);
      clearTimeout(timer);
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    server.closeAllConnections();
    await stopped;
  }
}

function isText(contentType: string | undefined, body: Buffer): boolean {
  if (contentType) return TEXT_TYPE.test(contentType.trim());
  // No declared type: treat it as text when it decodes as UTF-8 without replacement characters.
  return !body.toString('utf8').includes('\uFFFD');
}
