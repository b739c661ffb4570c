import type { ConnectOptions } from '../shared/connectOptions';
import type { EventBody, SessionState, TimingPhases } from '../shared/events';

/** How a transport reports: every call becomes one stamped event of the contract. */
export interface TransportSink {
  /** Bytes of payload kept in `data`. */
  readonly previewLimit: number;
  /** Session clock, ms since start. */
  now(): number;
  state(state: SessionState, extra?: { reason?: string; code?: number; url?: string; meta?: Record<string, unknown> }): void;
  /** Log a frame; `payload` is the whole payload (strings count as UTF-8). */
  frame(dir: 'in' | 'out', payload: string | Uint8Array, opts?: FrameOptions): void;
  timing(phases: TimingPhases, meta?: Record<string, unknown>): void;
  reconnect(attempt: number, delayMs: number, cause: string, meta?: Record<string, unknown>): void;
  error(message: string, code?: string): void;
  /** Any other event body (anomalies, pattern-specific kinds). */
  emit(body: EventBody): void;
  /** Add pattern-specific fields to the final summary. */
  summarize(extra: Record<string, unknown>): void;
  /**
   * The reports made from now until the end of the current task describe traffic seen at session time `t`
   * (a reading of `now()` taken earlier): a reporter that records later than it observes (the capture
   * proxy's recorder) keeps the times at which things happened. `t` never goes back.
   */
  at?(t: number): void;
}

export interface FrameOptions {
  channel?: string;
  meta?: Record<string, unknown>;
  /** Binary payload: logged as base64. */
  binary?: boolean;
  /** Control frame (ping, pong, close, CONNACK...): `meta.control = true`, not counted by `--count`. */
  control?: boolean;
  /** Whole size when `payload` is already a preview. */
  size?: number;
  /**
   * The size on the wire when `payload` is a rendering of the message rather than its bytes (gRPC: the
   * protobuf size of a message shown as JSON). Becomes the frame's `size`; never marks it truncated.
   */
  encodedSize?: number;
}

/** A message to send. */
export interface OutboundMessage {
  data: string | Uint8Array;
  binary?: boolean;
  /** Topic (MQTT) or other sub-stream. */
  channel?: string;
  meta?: Record<string, unknown>;
}

/** One pattern's connection. Reports only through the sink; must end with state closed or failed. */
export interface Transport {
  /** Begin connecting. Errors are reported through the sink, never thrown. */
  start(): void;
  /** Send a message (patterns that can send). */
  send?(msg: OutboundMessage): Promise<void>;
  /** Send a ping (WebSocket). */
  ping?(data?: string): void;
  /** End the sending side and keep reading (a gRPC client or bidi stream); a no-op once it is ended. */
  halfClose?(): void;
  /** Drop the current connection and reconnect now. */
  reconnect?(): void;
  /**
   * Stop reading from the network (the consumer of the events is behind): the socket is paused, so
   * the peer is held back by TCP flow control, and liveness timers that would misread the silence
   * (idle, pong) are suspended. Events of data already read may still arrive.
   */
  pause?(): void;
  /** Read again after pause(). */
  resume?(): void;
  /** Close; resolves after the terminal state was reported. Safe to call twice. */
  close(reason?: string): Promise<void>;
}

export interface TransportContext {
  options: ConnectOptions;
  sink: TransportSink;
}

export type TransportFactory = (ctx: TransportContext) => Transport;

/** What a transport can do, for UIs. */
export interface TransportCapabilities {
  send: boolean;
  ping: boolean;
}
