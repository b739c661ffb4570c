/**
 * What a session is asked to open: shared by the engine, the CLI, the profile model and the webview.
 * Pattern-specific options live in their own sub-objects so that adding a pattern adds a field.
 */

export const PATTERNS = ['http', 'ws', 'sse', 'poll', 'long-poll', 'stream', 'mqtt', 'webhook', 'async'] as const;
/**
 * `proxy` is the capture proxy (`wirescope proxy`, "Start Capture Proxy..."): a session that listens
 * and decodes the traffic of the user's own app. It is not a profile pattern, so it is not in PATTERNS.
 */
export type PatternId = ProfilePatternId | 'proxy';
/** The patterns a profile (and the profile form) can name. */
export type ProfilePatternId = (typeof PATTERNS)[number];

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
  proxy: 'Capture proxy',
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
  /** HTTP-based patterns: give up when a connected request gets no response headers within this long (time to first byte). */
  responseTimeoutMs?: number;
  /**
   * `http`: limit on the whole exchange, from sending the request to the last byte of the final
   * response's body, redirect hops included. Off (0) by default: a large download is legitimate.
   */
  totalTimeoutMs?: number;
  /**
   * `http`: limit on silence while a response body is arriving (no byte for this long). Default
   * 30 s (the response timeout's default); 0 turns it off.
   */
  bodyIdleTimeoutMs?: number;
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
  proxy?: ProxyOptions;
  /** Message identity for lost/duplicate detection (`sse-id`, a JSON path like `$.seq`, `header:Name`, `prop:name`). */
  idField?: string;
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

/** Short polling. */
export interface PollOptions {
  /** Time between polls. */
  intervalMs?: number;
  /** How a change is detected; `auto` uses ETag, then Last-Modified, then a body hash. */
  change?: 'auto' | 'etag' | 'last-modified' | 'hash';
  /** JSON path (`$.changedAt`) to the server's change time (epoch ms or ISO), for staleness. */
  timestampField?: string;
  /** Header holding the server's change time, for staleness. */
  timestampHeader?: string;
}

/** Long polling. */
export interface LongPollOptions {
  /** Client-side hold limit per request. */
  timeoutMs?: number;
  /** Query parameter that carries the cursor (default `cursor`). */
  cursorParam?: string;
  /** JSON path in the response body to the next cursor (`$.cursor`). */
  cursorField?: string;
  /** Response header with the next cursor. */
  cursorHeader?: string;
  /** Carry the ETag as If-None-Match instead of a cursor. */
  useEtag?: boolean;
  /** Treat the stream as dead when a request gets no answer for this long (0 = never). */
  idleTimeoutMs?: number;
}

/** HTTP streaming. */
export interface StreamOptions {
  /** Treat the stream as dead when nothing arrives for this long (0 = never). */
  idleTimeoutMs?: number;
  /** `auto`: NDJSON/JSON Lines by content type are split per line, others per chunk. */
  split?: 'auto' | 'lines' | 'chunks';
}

export interface MqttSubscription {
  topic: string;
  qos?: 0 | 1 | 2;
}

export interface MqttPublish {
  topic: string;
  payload: string;
  /** Payload encoding of `payload`. */
  encoding?: 'text' | 'hex' | 'base64';
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** MQTT 5 properties. */
  properties?: {
    userProperties?: Record<string, string | string[]>;
    contentType?: string;
    messageExpiryInterval?: number;
    responseTopic?: string;
    /** Correlation data as text. */
    correlationData?: string;
  };
}

/** MQTT. */
export interface MqttOptions {
  protocolVersion?: 4 | 5;
  clientId?: string;
  /** Clean session (3.1.1) / clean start (5). */
  clean?: boolean;
  keepaliveSec?: number;
  username?: string;
  password?: string;
  will?: MqttPublish;
  subscribe?: MqttSubscription[];
  /** Published once connected. */
  publish?: MqttPublish[];
  /** Topic for messages sent without one (the CLI's `--send`, the inspector's send box). */
  publishTopic?: string;
  /** MQTT 5 session expiry; with `clean: false` it defaults to 3600 so that the session can resume. */
  sessionExpirySec?: number;
  /** Publish/async-response over MQTT 5: requests with response topic + correlation data. */
  request?: {
    topic: string;
    responseTopic?: string;
    payload?: string;
    /** Per-request timeout. */
    timeoutMs?: number;
    /** How many requests to send. */
    count?: number;
    /** Time between requests. */
    intervalMs?: number;
    /** QoS of the requests and of the response subscription (default 1). */
    qos?: 0 | 1 | 2;
    /** Keep the session open once every request is answered or timed out (default: end it). */
    keepOpen?: boolean;
  };
}

/** Webhook receiver. */
export interface WebhookOptions {
  /** host:port to listen on; 127.0.0.1 and port 0 by default. */
  listen?: string;
  /** The reply the receiver sends back. */
  reply?: { status?: number; body?: string; delayMs?: number; headers?: Record<string, string> };
  /** Optional HMAC signature check: with only a secret, the scheme is recognised by the request's headers. */
  hmac?: WebhookSignatureOptions;
}

/** Signature schemes recognised by their headers, and `custom` for a configured header. */
export const SIGNATURE_SCHEMES = ['github', 'stripe', 'slack', 'shopify', 'standard-webhooks', 'custom'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** How a webhook receiver checks signatures. */
export interface WebhookSignatureOptions {
  secret: string;
  /**
   * `auto` (the default without `header`): recognise GitHub, Stripe, Slack, Shopify and Standard Webhooks/Svix
   * by their headers. A named scheme checks only that one. `custom` (the default with `header`): the configured
   * header, algorithm, prefix and encoding over the body.
   */
  scheme?: 'auto' | SignatureScheme;
  /** Custom scheme: the header holding the signature. */
  header?: string;
  /** Custom scheme: the HMAC algorithm (default sha256). */
  algorithm?: 'sha256' | 'sha1' | 'sha512';
  /** Custom scheme: a prefix before the digest, e.g. `sha256=` (accepted with or without). */
  prefix?: string;
  /** Custom scheme: the digest's encoding; `auto` (default) accepts hex or base64. */
  encoding?: 'hex' | 'base64' | 'auto';
  /** Stripe, Slack, Standard Webhooks: how far the signed timestamp may be from now (default 300 s; 0 = no limit). */
  toleranceSec?: number;
}

/** Asynchronous request-response (202 + status URL). */
export interface AsyncOptions {
  /** Overall limit for the operation. */
  timeoutMs?: number;
  /** Poll interval when the server sends no Retry-After. */
  pollIntervalMs?: number;
  /** JSON path of the status field in the status response (`$.status`). */
  statusField?: string;
  /** Values of the status field that are terminal (default done, succeeded, failed, completed, error). */
  doneValues?: string[];
  /** Wait for a callback on a webhook receiver instead of polling. */
  callback?: boolean;
  /** JSON path in the 202 body to the operation URL when there is no Location header. */
  operationUrlField?: string;
}

/**
 * The capture proxy. In reverse mode (the default) `ConnectOptions.url` is the target backend;
 * in forward mode (`forward: true`) it is unused and clients name their destination themselves.
 */
export interface ProxyOptions {
  /** host:port to listen on; 127.0.0.1 and port 0 by default. */
  listen?: string;
  /** Allow a listen address other machines can reach (refused otherwise). */
  allowRemote?: boolean;
  /** An HTTP proxy for HTTP_PROXY: absolute-form requests and CONNECT tunnels. */
  forward?: boolean;
  /** Keep the client's Host header (default: the target's host, so virtual hosts and TLS names match). */
  keepHost?: boolean;
  /** Add X-Forwarded-For/-Proto/-Host (default: on in reverse mode, off in forward mode). */
  forwardedHeaders?: boolean;
  /** A plain response held at least this long before its headers is marked a long poll (default 1000). */
  longPollMs?: number;
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

/**
 * A URL typed without a scheme gets `http://`, as curl does: `localhost:8080/sse`, `api.example.com/x`,
 * `127.0.0.1:3000`. Anything with a scheme (`ws://…`), a `${…}` substitution or nothing is returned as is.
 */
export function withDefaultScheme(url: string): string {
  const s = url.trim();
  if (s === '' || s.includes('${') || /^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return s;
  // host:port[/path…], a dotted host or localhost with an optional port, [v6]:port. A lone word stays as it
  // is (an invalid URL), as do "mailto:x" and "C:\path".
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?([/?#]|$)/i.exec(s);
  if (m && (m[5] !== undefined || m[1].includes('.') || m[1].startsWith('[') || m[1].toLowerCase() === 'localhost')) return `http://${s}`;
  return s;
}
