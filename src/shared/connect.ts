/**
 * What a session is asked to open: shared by the engine, the CLI, the profile model and the webview.
 * Pattern-specific options live in their own sub-objects so that adding a pattern adds a field.
 */

export const PATTERNS = ['http', 'ws', 'sse', 'poll', 'long-poll', 'stream', 'mqtt', 'webhook', 'async'] as const;
export type PatternId = (typeof PATTERNS)[number];

export const PATTERN_LABELS: Record<PatternId, string> = {
  http: 'HTTP request-response',
  ws: 'WebSocket',
  sse: 'Server-sent events',
  poll: 'Short polling',
  'long-poll': 'Long polling',
  stream: 'HTTP streaming',
  mqtt: 'MQTT publish/subscribe',
  webhook: 'Webhook receiver',
  async: 'Async request-response (202)',
};

export interface ReconnectPolicy {
  /** Reconnect after a drop of an established connection. */
  enabled: boolean;
  /** First backoff delay. */
  initialDelayMs: number;
  /** Cap on any single delay. */
  maxDelayMs: number;
  multiplier: number;
  /** 0..1: fraction of each delay that is randomised. */
  jitter: number;
  /** Give up after this many consecutive failed attempts (0 = never give up). */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  enabled: true,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.3,
  maxAttempts: 10,
};

export interface TlsOptions {
  /** Accept certificates that do not verify (self-signed, expired, wrong host). */
  insecure?: boolean;
  /** PEM text of extra CA certificates. */
  ca?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  passphrase?: string;
  servername?: string;
}

export interface ConnectOptions {
  pattern: PatternId;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Messages sent as soon as the connection opens (CLI `--send`). */
  send?: string[];
  /** WebSocket subprotocols. */
  protocols?: string[];
  reconnect?: Partial<ReconnectPolicy>;
  tls?: TlsOptions;
  /** Bytes of payload kept in a frame's `data`; the rest is counted in `size` only. */
  previewLimit?: number;
  /** End the session after this many inbound data frames (control frames don't count). */
  count?: number;
  /** End the session after this many milliseconds. */
  durationMs?: number;
  /** Give up on a connection attempt after this long. */
  connectTimeoutMs?: number;
  /** HTTP: follow redirects (each hop is still logged). */
  followRedirects?: boolean;
  maxRedirects?: number;
  /** Pattern-specific options. */
  ws?: WsOptions;
  sse?: SseOptions;
  poll?: PollOptions;
  longPoll?: LongPollOptions;
  stream?: StreamOptions;
  mqtt?: MqttOptions;
  webhook?: WebhookOptions;
  async?: AsyncOptions;
  /** Message identity for lost/duplicate detection (`sse-id`, a JSON path like `$.seq`, `header:Name`, `prop:name`). */
  idField?: string;
}

/** Short polling. */
export interface PollOptions {
  intervalMs?: number;
}

/** Long polling. */
export interface LongPollOptions {
  /** Client-side hold limit per request. */
  timeoutMs?: number;
}

/** HTTP streaming. */
export interface StreamOptions {
  idleTimeoutMs?: number;
}

/** MQTT. */
export interface MqttOptions {
  protocolVersion?: 4 | 5;
}

/** Webhook receiver. */
export interface WebhookOptions {
  /** host:port to listen on; loopback and port 0 by default. */
  listen?: string;
}

/** Asynchronous request-response (202 + status URL). */
export interface AsyncOptions {
  timeoutMs?: number;
}

export interface WsOptions {
  /** Send a ping this often (0 = never). */
  pingIntervalMs?: number;
  /** Treat the connection as dead when no pong arrives within this time. */
  pongTimeoutMs?: number;
}

export interface SseOptions {
  /** Treat the stream as dead when nothing arrives for this long (0 = never). */
  idleTimeoutMs?: number;
  /** Send this as Last-Event-ID on the first request. */
  lastEventId?: string;
}

export const DEFAULT_PREVIEW_LIMIT = 64 * 1024;

/** Infer the pattern from a URL's scheme; undefined when the scheme says nothing. */
export function inferPattern(url: string): PatternId | undefined {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim());
  switch (m?.[1]?.toLowerCase()) {
    case 'ws':
    case 'wss':
      return 'ws';
    case 'http':
    case 'https':
      return 'http';
    case 'mqtt':
    case 'mqtts':
      return 'mqtt';
    default:
      return undefined;
  }
}
