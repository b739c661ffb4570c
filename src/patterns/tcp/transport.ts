/**
 * Raw TCP and TLS sockets (`tcp://host:port`, `tls://host:port`). Frames by lines, a length prefix or
 * per read; text frames as text, others as binary (hex in the detail). TLS shows its handshake time and
 * the peer certificate (subject, issuer, validity, ALPN). Half-close is logged both ways as a FIN control
 * frame. Reconnects go through the shared connection lifecycle.
 */
import net from 'node:net';
import tls from 'node:tls';
import { checkUrl, describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import { nodeTlsOptions } from '../../core/tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { tcpPattern } from './descriptor';
import { Framer, type Frame } from './framing';
import { asText, sendBytes, type Eol } from './payload';

export const createTransport: TransportFactory = ({ options, sink }) => new TcpTransport(options, sink);

/** What the log shows of a peer certificate. */
export function certificateSummary(cert: tls.PeerCertificate | undefined): Record<string, unknown> | undefined {
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const name = (x: Record<string, unknown> | undefined) =>
    x ? Object.entries(x).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ') : undefined;
  return {
    subject: name(cert.subject as unknown as Record<string, unknown>),
    issuer: name(cert.issuer as unknown as Record<string, unknown>),
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    ...(cert.subjectaltname ? { subjectAltName: cert.subjectaltname } : {}),
    fingerprint256: cert.fingerprint256,
  };
}

class TcpTransport implements Transport {
  private socket: net.Socket | undefined;
  private readonly lc: ConnectionLifecycle;
  private readonly secure: boolean;
  private readonly eol: Eol;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.secure = /^tls:/i.test(options.url.trim());
    const split = options.tcp?.split ?? 'chunks';
    this.eol = options.tcp?.eol ?? (split === 'lines' ? 'crlf' : 'none');
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => {
      const s = this.socket;
      this.socket = undefined;
      s?.destroy();
    });
  }

  start(): void {
    const problem = checkUrl(this.options.url, tcpPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const u = new URL(this.options.url);
    if (!u.port) return this.lc.fail(`Invalid URL "${this.options.url}": raw sockets need a port (tcp://host:port)`, 'ERR_INVALID_URL');
    this.connect(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port));
  }

  private connect(host: string, port: number): void {
    const { options, sink } = this;
    this.lc.connecting(options.url);
    const t0 = sink.now();
    let lookupAt: number | undefined;
    let connectAt: number | undefined;
    let failure: string | undefined;
    let failureCode: string | undefined;
    let opened = false;
    let peerEnded = false;
    const framer = new Framer({ split: options.tcp?.split ?? 'chunks', lengthBytes: options.tcp?.lengthBytes, lengthEndian: options.tcp?.lengthEndian });
    const socket = this.secure
      ? tls.connect({ host, port, ...nodeTlsOptions(options.tls), ...(options.tcp?.alpn?.length ? { ALPNProtocols: options.tcp.alpn } : {}), ...(net.isIP(host) ? {} : { servername: options.tls?.servername ?? host }) })
      : net.connect({ host, port, allowHalfOpen: true });
    this.socket = socket;
    const connectTimeout = options.connectTimeoutMs ?? 10_000;
    socket.setTimeout(connectTimeout);
    socket.once('lookup', () => (lookupAt = sink.now()));
    socket.once('connect', () => {
      connectAt = sink.now();
      if (!this.secure) onOpen();
    });
    if (this.secure) socket.once('secureConnect', () => onOpen());

    const onOpen = () => {
      if (this.socket !== socket) return;
      opened = true;
      socket.setTimeout(0);
      const now = sink.now();
      const dnsEnd = lookupAt ?? t0;
      const connectEnd = connectAt ?? now;
      sink.timing({ dns: lookupAt !== undefined ? dnsEnd - t0 : null, connect: connectEnd - dnsEnd, tls: this.secure ? now - connectEnd : null, ttfb: null, download: null, total: now - t0 });
      const meta: Record<string, unknown> = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, localPort: socket.localPort };
      if (socket instanceof tls.TLSSocket) {
        meta.tls = {
          protocol: socket.getProtocol(),
          cipher: socket.getCipher()?.name,
          alpn: socket.alpnProtocol || null,
          authorized: socket.authorized,
          ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
          certificate: certificateSummary(socket.getPeerCertificate()),
        };
      }
      this.lc.opened(options.url, meta);
      const wait = options.tcp?.greetingWaitMs ?? 500;
      if (wait === 0 || !(options.send?.length || options.tcp?.halfClose)) startUp();
      else {
        greetingTimer = setTimeout(startUp, wait);
        greetingTimer.unref?.();
      }
    };

    // Start-up sends wait for the peer's greeting (or its silence): SMTP servers drop early talkers.
    let greetingTimer: NodeJS.Timeout | undefined;
    let startedUp = false;
    const startUp = () => {
      clearTimeout(greetingTimer);
      if (startedUp || this.socket !== socket || socket.destroyed) return;
      startedUp = true;
      for (const text of options.send ?? []) this.write(socket, sendBytes(text, this.eol));
      if (options.tcp?.halfClose) this.endOurSide(socket);
    };

    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = framer.push(chunk);
      } catch (err) {
        failure = `malformed stream: ${(err as Error).message}`;
        failureCode = 'ERR_FRAMING';
        sink.error(failure, failureCode);
        socket.destroy();
        return;
      }
      for (const f of frames) this.emitFrame(f);
      if (opened && !startedUp) startUp();
    });

    socket.on('end', () => {
      peerEnded = true;
      for (const f of framer.flush()) this.emitFrame(f);
      // The peer's FIN: it will send no more; our side stays writable until we end it too.
      sink.frame('in', '', { control: true, meta: { packet: 'FIN', fin: true, halfClose: true } });
      if (!socket.writableEnded) socket.end();
    });

    socket.on('timeout', () => {
      failure = `connection timed out after ${connectTimeout} ms`;
      failureCode = 'ETIMEDOUT';
      sink.error(failure, failureCode);
      socket.destroy();
    });

    socket.on('error', (err) => {
      if (failure || this.lc.closing) return;
      const d = describeError(err, options.url);
      failure = d.message;
      failureCode = d.code;
      sink.error(d.message, d.code);
    });

    socket.on('close', () => {
      clearTimeout(greetingTimer);
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.lc.closing) return this.lc.finishClose();
      if (opened && peerEnded && !failure && !this.lc.reconnectRequested) {
        // The peer said goodbye (FIN) and nothing failed: the conversation is over.
        return this.lc.end('closed', 'closed by server');
      }
      const cause = failure ?? (opened ? 'connection lost' : 'connection closed before it opened');
      const plan = this.lc.dropped(cause, { reported: failure !== undefined, errorCode: failureCode });
      if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => go && this.connect(host, port));
    });
  }

  private emitFrame(f: Frame): void {
    const meta: Record<string, unknown> = {};
    if (f.eol) meta.eol = f.eol;
    if (f.length !== undefined) meta.length = f.length;
    const text = asText(f.bytes);
    const opts = Object.keys(meta).length ? { meta } : {};
    if (text !== undefined) this.sink.frame('in', text, opts);
    else this.sink.frame('in', f.bytes, { ...opts, binary: true });
  }

  private write(socket: net.Socket, bytes: Uint8Array): void {
    socket.write(bytes);
    const text = asText(bytes);
    if (text !== undefined) this.sink.frame('out', text);
    else this.sink.frame('out', bytes, { binary: true });
  }

  /** Half-close: FIN to the peer, keep reading (also the composer's End sending). */
  halfClose(): void {
    const socket = this.socket;
    if (socket && !socket.destroyed && this.lc.everOpened && !this.lc.down) this.endOurSide(socket);
  }

  private endOurSide(socket: net.Socket): void {
    if (socket.writableEnded) return;
    socket.end();
    this.sink.frame('out', '', { control: true, meta: { packet: 'FIN', fin: true, halfClose: true } });
  }

  async send(msg: OutboundMessage): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed || !this.lc.everOpened || this.lc.down) throw new Error('The socket is not open');
    if (socket.writableEnded) throw new Error('This side of the connection is closed (half-close); the peer can still send');
    const bytes = typeof msg.data === 'string' ? (msg.binary ? new TextEncoder().encode(msg.data) : sendBytes(msg.data, this.eol)) : msg.data;
    this.write(socket, bytes);
  }

  reconnect(): void {
    this.lc.requestReconnect(() => this.socket?.destroy());
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      const socket = this.socket;
      if (!socket) return this.lc.finishClose();
      if (!socket.writableEnded && !socket.destroyed) {
        socket.end();
        this.sink.frame('out', '', { control: true, meta: { packet: 'FIN', fin: true, halfClose: true } });
      }
      const t = setTimeout(() => socket.destroy(), 2000);
      t.unref?.();
    });
  }
}
