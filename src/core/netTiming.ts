import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { TimingPhases } from '../shared/events';

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Measures one HTTP exchange from socket events, on the session clock:
 * dns (lookup), connect (TCP), tls (handshake), ttfb (request sent -> response headers),
 * download (headers -> last byte). A phase that did not happen (IP literal, plain TCP,
 * reused socket) is null.
 */
export class RequestTiming {
  readonly start: number;
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

  attachSocket(socket: Socket): void {
    if (!socket.connecting && socket.remoteAddress) {
      this.reused = true;
      return;
    }
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
    const dns = this.dnsEnd !== undefined ? this.dnsEnd - this.start : null;
    const connFrom = this.dnsEnd ?? this.start;
    const connect = this.connectEnd !== undefined ? this.connectEnd - connFrom : null;
    const tls = this.tlsEnd !== undefined && this.connectEnd !== undefined ? this.tlsEnd - this.connectEnd : null;
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
