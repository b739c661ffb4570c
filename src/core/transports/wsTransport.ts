import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { ConnectOptions, ReconnectPolicy } from '../../shared/connect';
import { backoffDelay, mayRetry, resolvePolicy } from '../backoff';
import { checkUrl, describeError } from '../errors';
import { RequestTiming } from '../netTiming';
import { flatHeaders, nodeTlsOptions } from '../tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../transport';

const OPCODE = { close: 8, ping: 9, pong: 10 } as const;
/** Bytes of a non-101 handshake response body kept for the log. */
const REJECT_BODY_LIMIT = 64 * 1024;

export const createWsTransport: TransportFactory = ({ options, sink }) => new WsTransport(options, sink);

/**
 * WebSocket via `ws`. `ws` does not reconnect by itself, so this transport does:
 * exponential backoff with jitter after a drop of an established connection.
 * A first connection that fails (refused, DNS, TLS, non-101) fails the session at once.
 */
class WsTransport implements Transport {
  private ws: WebSocket | undefined;
  private readonly policy: ReconnectPolicy;
  private attempt = 0;
  private everOpened = false;
  private userClosed = false;
  /** The reason given to close(): the closed state says why the user ended it, even before the handshake finished. */
  private closeReason: string | undefined;
  private ended = false;
  private droppedAt: number | undefined;
  private lastCause = '';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private closeWaiters: Array<() => void> = [];
  /** Set when the current socket was dropped on purpose (forced reconnect, liveness timeout). */
  private dropCause: string | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.policy = resolvePolicy(options.reconnect);
  }

  start(): void {
    const problem = checkUrl(this.options.url, ['ws', 'wss']);
    if (problem) {
      this.sink.error(problem, 'ERR_INVALID_URL');
      this.end('failed', problem);
      return;
    }
    this.connect();
  }

  private connect(): void {
    const { options, sink } = this;
    sink.state('connecting', { url: options.url });
    const timing = new RequestTiming(sink.now);
    let handshake: IncomingMessage | undefined;
    let failure: string | undefined;
    let ws: WebSocket;
    try {
      ws = new WebSocket(options.url, options.protocols ?? [], {
        headers: options.headers,
        handshakeTimeout: options.connectTimeoutMs ?? 10_000,
        followRedirects: false,
        maxPayload: 512 * 1024 * 1024,
        ...nodeTlsOptions(options.tls),
      });
    } catch (err) {
      const d = describeError(err, options.url);
      sink.error(d.message, d.code);
      this.end('failed', d.message);
      return;
    }
    this.ws = ws;
    timing.attach((ws as unknown as { _req?: ClientRequest })._req);

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
        sink.error(failure, 'ERR_WS_HANDSHAKE');
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
      if (this.droppedAt !== undefined) {
        meta.reconnected = true;
        meta.downtimeMs = Math.round(sink.now() - this.droppedAt);
        meta.attempts = this.attempt;
      }
      this.droppedAt = undefined;
      this.attempt = 0;
      this.everOpened = true;
      sink.state('open', { url: options.url, meta });
      this.startLiveness(ws);
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
      if (failure || this.userClosed) return;
      const d = describeError(err, options.url);
      failure = d.message;
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
      if (this.userClosed) {
        this.end('closed', this.closeReason ?? (reason || 'closed by user'), code);
        return;
      }
      const forced = this.dropCause;
      const cause =
        forced ??
        (failure
          ? failure
          : code === 1006
            ? 'connection lost (1006, no close frame)'
            : `closed by server: ${code}${reason ? ' ' + reason : ''}`);
      this.dropCause = undefined;
      if (!this.everOpened) {
        this.end('failed', failure ?? cause, code === 1006 ? undefined : code);
        return;
      }
      if (wasOpen && code === 1000 && forced === undefined && !failure) {
        // A normal closure by the server ends the session cleanly.
        this.end('closed', reason || 'closed by server', code);
        return;
      }
      this.scheduleReconnect(cause, code);
    });
  }

  private scheduleReconnect(cause: string, code?: number): void {
    if (this.droppedAt === undefined) this.droppedAt = this.sink.now();
    this.lastCause = cause;
    this.attempt++;
    if (!mayRetry(this.policy, this.attempt)) {
      const why = this.policy.enabled
        ? `gave up after ${this.attempt - 1} reconnect attempts: ${cause}`
        : `disconnected: ${cause}`;
      this.end(this.policy.enabled ? 'failed' : 'closed', why, code);
      return;
    }
    const delay = backoffDelay(this.policy, this.attempt);
    const meta: Record<string, unknown> = {};
    if (code !== undefined) meta.code = code;
    this.sink.state('reconnecting', { reason: cause, ...(code !== undefined ? { code } : {}) });
    this.sink.reconnect(this.attempt, delay, cause, Object.keys(meta).length ? meta : undefined);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.userClosed) this.connect();
    }, delay);
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
    if (this.ended || this.userClosed) return;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.connect();
      return;
    }
    const ws = this.ws;
    if (ws) {
      this.dropCause = 'reconnect requested by user';
      this.everOpened = true;
      ws.terminate();
    }
  }

  close(reason?: string): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.userClosed = true;
    this.closeReason ??= reason;
    this.stopLiveness();
    return new Promise<void>((resolve) => {
      this.closeWaiters.push(resolve);
      if (this.reconnectTimer) {
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = undefined;
      }
      const ws = this.ws;
      if (!ws) {
        this.end('closed', reason ?? 'closed by user');
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

  private end(state: 'closed' | 'failed', reason: string, code?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.stopLiveness();
    clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    this.sink.state(state, code !== undefined ? { reason, code } : { reason });
    for (const w of this.closeWaiters.splice(0)) w();
  }

  /** The cause of the last drop (for tests and UIs). */
  get lastDropCause(): string {
    return this.lastCause;
  }
}
