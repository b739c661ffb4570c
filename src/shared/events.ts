/**
 * The Wirescope event contract: every pattern, every face (CLI, extension, benchmarks) speaks it.
 * Public and stable; documented in docs/event-contract.md. No Node, DOM or vscode imports here.
 */

export type SessionState = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed' | 'failed';
export type Direction = 'in' | 'out';
export type PayloadEncoding = 'utf8' | 'base64';
export type AnomalyType = 'duplicate' | 'gap' | 'out-of-order';

/** Fields every event carries. */
export interface EventBase {
  /** Strictly increasing per session, starting at 1. */
  seq: number;
  /** Milliseconds since session start, from a monotonic clock (fractional). */
  t: number;
  /** Wall-clock epoch milliseconds. */
  ts: number;
}

export interface StateEvent extends EventBase {
  kind: 'state';
  state: SessionState;
  reason?: string;
  code?: number;
  url?: string;
  meta?: Record<string, unknown>;
}

export interface FrameEvent extends EventBase {
  kind: 'frame';
  dir: Direction;
  /** Whole payload size in bytes, even when `data` is truncated. */
  size: number;
  encoding: PayloadEncoding;
  data: string;
  truncated?: true;
  /** Event type, topic, or other sub-stream name. */
  channel?: string;
  /** Pattern-specific details; `meta.control: true` marks control frames (ping, pong, CONNACK...). */
  meta?: Record<string, unknown>;
}

export interface TimingPhases {
  dns: number | null;
  connect: number | null;
  tls: number | null;
  ttfb: number | null;
  download: number | null;
  total: number;
}

export interface TimingEvent extends EventBase {
  kind: 'timing';
  phases: TimingPhases;
  meta?: Record<string, unknown>;
}

export interface ReconnectEvent extends EventBase {
  kind: 'reconnect';
  attempt: number;
  delayMs: number;
  cause: string;
  meta?: Record<string, unknown>;
}

export interface ErrorEvent extends EventBase {
  kind: 'error';
  message: string;
  code?: string;
}

export interface AnomalyEvent extends EventBase {
  kind: 'anomaly';
  type: AnomalyType;
  key: string | number;
  expected?: string | number;
  got?: string | number;
  meta?: Record<string, unknown>;
}

export interface SummaryEvent extends EventBase {
  kind: 'summary';
  frames: { in: number; out: number };
  bytes: { in: number; out: number };
  reconnects: number;
  durationMs: number;
  /** Final state of the session. */
  state?: SessionState;
  anomalies?: { duplicate: number; gap: number; 'out-of-order': number };
  /** Pattern-specific summaries (for example `poll`). */
  [extra: string]: unknown;
}

export type WireEvent =
  | StateEvent
  | FrameEvent
  | TimingEvent
  | ReconnectEvent
  | ErrorEvent
  | AnomalyEvent
  | SummaryEvent;

export type EventKind = WireEvent['kind'];

/** An event before the session stamps `seq`, `t` and `ts` on it. */
export type EventBody<E extends WireEvent = WireEvent> = E extends WireEvent ? Omit<E, 'seq' | 't' | 'ts'> : never;

export const TERMINAL_STATES: ReadonlySet<SessionState> = new Set(['closed', 'failed']);

export function isControlFrame(e: FrameEvent): boolean {
  return e.meta?.control === true;
}
