import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TimingPhases } from '../shared/events';

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Measures one HTTP exchange from socket events, on the session clock:
 * dns (lookup), connect (TCP), tls (handshake), ttfb (request sent -> response headers),
 * download (headers -> last byte). A phase that did not happen (IP literal, plain TCP,
 * reused socket) is null.
 *
 * The phases follow curl's `-w` times. For https, Node builds the TLS context (parses the CA,
 * loads client certificates) before it starts the TCP connect, where curl does that work after
 * connecting and counts it in time_appconnect: so the time from the start to the socket's
 * creation is counted in the tls phase, and connect (or dns) starts when the socket exists.
 */
export class RequestTiming {
  readonly start: number;
  /** When the socket was handed over (a TLS socket's context is built by then). */
  private socketAt: number | undefined;
  private secure = false;
  private dnsEnd: number | undefined;
  private connectEnd: number | undefined;
  private tlsEnd: number | undefined;
  private firstByte: number | undefined;
  private end: number | undefined;
  private reused = false;

  constructor(private readonly now: () => number) {
    this.start = now();
  }

  /** Follow the request's socket events. */
  attach(req: ClientRequest | undefined | null): void {
    if (!req) return;
    req.once('socket', (socket: Socket) => this.attachSocket(socket));
  }

  /** Follow a socket that is connecting (one already connected counts as reused: no phases). */
  attachSocket(socket: Socket): void {
    if (!socket.connecting && socket.remoteAddress) {
      this.reused = true;
      return;
    }
    this.socketAt = this.now();
    this.secure = (socket as TLSSocket).encrypted === true;
    socket.once('lookup', () => (this.dnsEnd = this.now()));
    socket.once('connect', () => (this.connectEnd = this.now()));
    socket.once('secureConnect', () => (this.tlsEnd = this.now()));
  }

  /** Response headers arrived. */
  markFirstByte(): void {
    if (this.firstByte === undefined) this.firstByte = this.now();
  }

  /** Last byte arrived (or the exchange ended). */
  markEnd(): void {
    if (this.end === undefined) this.end = this.now();
  }

  get wasReused(): boolean {
    return this.reused;
  }

  get ttfbAt(): number | undefined {
    return this.firstByte;
  }

  phases(): TimingPhases {
    const end = this.end ?? this.now();
    // TLS setup before the socket existed belongs to the tls phase (see the class comment);
    // for plain TCP the time before the socket stays in the first network phase.
    const tlsSetup = this.secure && this.socketAt !== undefined && this.tlsEnd !== undefined ? this.socketAt - this.start : 0;
    const netStart = this.start + tlsSetup;
    const dns = this.dnsEnd !== undefined ? this.dnsEnd - netStart : null;
    const connFrom = this.dnsEnd ?? netStart;
    const connect = this.connectEnd !== undefined ? this.connectEnd - connFrom : null;
    const tls = this.tlsEnd !== undefined && this.connectEnd !== undefined ? this.tlsEnd - this.connectEnd + tlsSetup : null;
    const sentAt = this.tlsEnd ?? this.connectEnd ?? this.dnsEnd ?? this.start;
    const ttfb = this.firstByte !== undefined ? this.firstByte - sentAt : null;
    const download = this.firstByte !== undefined ? end - this.firstByte : null;
    return {
      dns: dns === null ? null : round(dns),
      connect: connect === null ? null : round(connect),
      tls: tls === null ? null : round(tls),
      ttfb: ttfb === null ? null : round(ttfb),
      download: download === null ? null : round(download),
      total: round(end - this.start),
    };
  }
}
