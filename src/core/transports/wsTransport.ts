import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { ConnectOptions } from '../../shared/connectOptions';
import { checkUrl, describeError } from '../errors';
import { ConnectionLifecycle } from '../lifecycle';
import { RequestTiming } from '../netTiming';
import { flatHeaders, nodeTlsOptions } from '../tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../transport';

const OPCODE = { close: 8, ping: 9, pong: 10 } as const;
/** Bytes of a non-101 handshake response body kept for the log. */
const REJECT_BODY_LIMIT = 64 * 1024;

export const createWsTransport: TransportFactory = ({ options, sink }) => new WsTransport(options, sink);

/**
 * WebSocket via `ws`. `ws` does not reconnect by itself; the shared connection lifecycle decides:
 * exponential backoff with jitter after a drop of an established connection, and a first connection
 * that fails (refused, DNS, TLS, non-101) fails the session at once.
 */
class WsTransport implements Transport {
  private ws: WebSocket | undefined;
  private readonly lc: ConnectionLifecycle;
  /** Reading is paused for back-pressure (see Transport.pause). */
  private paused = false;
  private lastCause = '';
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  /** Set when the current socket was dropped on purpose (liveness timeout). */
  private dropCause: string | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => {
      this.stopLiveness();
      const ws = this.ws;
      this.ws = undefined;
      if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    });
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['ws', 'wss']);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    this.connect();
  }

  private connect(): void {
    const { options, sink } = this;
    this.lc.connecting(options.url);
    const timing = new RequestTiming(sink.now);
    let handshake: IncomingMessage | undefined;
    let failure: string | undefined;
    let failureCode: string | undefined;
    let ws: WebSocket;
    try {
      ws = new WebSocket(options.url, options.protocols ?? [], {
        headers: options.headers,
        handshakeTimeout: options.connectTimeoutMs ?? 10_000,
        followRedirects: false,
        maxPayload: 512 * 1024 * 1024,
        ...nodeTlsOptions(options.tls),
        // ws's documented hook for the handshake request: timing follows its socket.
        finishRequest: (req: ClientRequest) => {
          timing.attach(req);
          req.end();
        },
      });
    } catch (err) {
      const d = describeError(err, options.url);
      this.lc.fail(d.message, d.code);
      return;
    }
    this.ws = ws;

    ws.on('upgrade', (res) => {
      timing.markFirstByte();
      handshake = res;
    });

    ws.on('unexpected-response', (req, res) => {
      timing.markFirstByte();
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        timing.markEnd();
        sink.timing(timing.phases(), { handshake: true, status: res.statusCode });
        const body = Buffer.concat(chunks);
        sink.frame('in', body, {
          size,
          meta: { status: res.statusCode, statusText: res.statusMessage, headers: flatHeaders(res.headers), handshake: true },
        });
        failure = `WebSocket handshake rejected: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
        failureCode = 'ERR_WS_HANDSHAKE';
        sink.error(failure, failureCode);
        req.destroy();
        ws.terminate();
      };
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size - c.length < REJECT_BODY_LIMIT) chunks.push(c);
      });
      res.on('end', done);
      res.on('error', done);
    });

    ws.on('open', () => {
      timing.markEnd();
      const status = handshake?.statusCode ?? 101;
      sink.timing(timing.phases(), { handshake: true, status });
      const meta: Record<string, unknown> = {
        status,
        headers: handshake ? flatHeaders(handshake.headers) : {},
      };
      if (ws.protocol) meta.protocol = ws.protocol;
      if (ws.extensions) meta.extensions = ws.extensions;
      this.lc.opened(options.url, meta);
      if (this.paused) ws.pause();
      else this.startLiveness(ws);
      for (const text of options.send ?? []) this.sendNow(ws, { data: text });
    });

    ws.on('message', (data, isBinary) => {
      sink.frame('in', data as Buffer, isBinary ? { binary: true } : undefined);
    });

    ws.on('ping', (data) => {
      sink.frame('in', data, { control: true, meta: { opcode: OPCODE.ping } });
    });

    ws.on('pong', (data) => {
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      sink.frame('in', data, { control: true, meta: { opcode: OPCODE.pong } });
    });

    ws.on('error', (err) => {
      // Closing during the handshake makes `ws` report "closed before the connection was established": the user's doing, not a failure.
      if (failure || this.lc.closing) return;
      const d = describeError(err, options.url);
      failure = d.message;
      failureCode = d.code;
      sink.error(d.message, d.code);
    });

    ws.on('close', (code, reasonBuf) => {
      if (this.ws !== ws) return;
      this.stopLiveness();
      const reason = reasonBuf.toString('utf8');
      const wasOpen = timing.ttfbAt !== undefined && !failure && handshake !== undefined;
      if (code !== 1006) {
        sink.frame('in', reasonBuf, { control: true, meta: { opcode: OPCODE.close, code, reason } });
      }
      this.ws = undefined;
      if (this.lc.closing) {
        this.lc.end('closed', this.lc.closeReason ?? (reason || 'closed by user'), code);
        return;
      }
      const forced = this.dropCause;
      this.dropCause = undefined;
      const cause =
        forced ??
        (failure
          ? failure
          : code === 1006
            ? 'connection lost (1006, no close frame)'
            : `closed by server: ${code}${reason ? ' ' + reason : ''}`);
      if (wasOpen && code === 1000 && forced === undefined && !this.lc.reconnectRequested) {
        // A normal closure by the server ends the session cleanly.
        this.lc.end('closed', reason || 'closed by server', code);
        return;
      }
      this.lastCause = cause;
      const closeCode = code === 1006 ? undefined : code;
      const plan = this.lc.dropped(cause, {
        // The failure's error event went out when it happened.
        reported: failure !== undefined,
        errorCode: failureCode,
        closeCode,
        meta: closeCode !== undefined ? { code: closeCode } : undefined,
      });
      if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => go && this.connect());
    });
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    // A paused socket reads no pong either: the pong timeout must not take the silence for a dead link.
    this.stopLiveness();
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const ws = this.ws;
    if (ws?.readyState === WebSocket.OPEN) {
      ws.resume();
      this.startLiveness(ws);
    }
  }

  private startLiveness(ws: WebSocket): void {
    const every = this.options.ws?.pingIntervalMs ?? 0;
    if (!every || every <= 0) return;
    const timeout = this.options.ws?.pongTimeoutMs ?? Math.max(1000, every);
    this.pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      this.sendPing(ws);
      if (!this.pongTimer) {
        this.pongTimer = setTimeout(() => {
          this.pongTimer = undefined;
          this.dropCause = `pong timeout: no pong within ${timeout} ms (half-open connection?)`;
          this.sink.error(this.dropCause, 'ERR_PONG_TIMEOUT');
          ws.terminate();
        }, timeout);
      }
    }, every);
  }

  private stopLiveness(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  private sendPing(ws: WebSocket, data = ''): void {
    ws.ping(data);
    this.sink.frame('out', data, { control: true, meta: { opcode: OPCODE.ping } });
  }

  private sendNow(ws: WebSocket, msg: OutboundMessage): void {
    const payload = typeof msg.data === 'string' ? msg.data : Buffer.from(msg.data);
    ws.send(payload, { binary: !!msg.binary || typeof msg.data !== 'string' });
    this.sink.frame('out', payload, msg.binary || typeof msg.data !== 'string' ? { binary: true } : undefined);
  }

  async send(msg: OutboundMessage): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error('The WebSocket is not open');
    this.sendNow(ws, msg);
  }

  ping(data?: string): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error('The WebSocket is not open');
    this.sendPing(ws, data ?? '');
  }

  reconnect(): void {
    this.lc.requestReconnect(() => this.ws?.terminate());
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      this.stopLiveness();
      const ws = this.ws;
      if (!ws) {
        this.lc.finishClose();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) {
        const why = (reason ?? '').slice(0, 120);
        this.sink.frame('out', why, { control: true, meta: { opcode: OPCODE.close, code: 1000, reason: why } });
        ws.close(1000, why);
        const t = setTimeout(() => ws.terminate(), 2000);
        t.unref?.();
      } else {
        ws.terminate();
      }
    });
  }

  /** The cause of the last drop (for tests and UIs). */
  get lastDropCause(): string {
    return this.lastCause;
  }
}
