/**
 * What a session is asked to open: shared by the engine, the CLI, the profile model and the webview.
 * Pattern-specific options live in their own sub-objects, typed from each pattern's descriptor
 * (src/patterns/<id>/descriptor.ts), so adding a pattern adds no field here.
 */
import { ALL_PATTERN_DESCRIPTORS, patternForUrl, type PatternId, type PatternOptionFields } from '../patterns';

export { PATTERNS, type PatternId, type ProfilePatternId } from '../patterns';

/** Human names of the patterns (the capture proxy included), from their descriptors. */
export const PATTERN_LABELS = Object.fromEntries(ALL_PATTERN_DESCRIPTORS.map((d) => [d.id, d.label])) as Record<PatternId, string>;

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

/** What a session opens. The pattern-specific option fields (`ws`, `mqtt`, `tcp`...) come from the pattern descriptors. */
export interface ConnectOptions extends PatternOptionFields {
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
  /** The capture proxy (`wirescope proxy`); not a profile pattern, so its options are not descriptor-typed. */
  proxy?: ProxyOptions;
  /** Message identity for lost/duplicate detection (`sse-id`, a JSON path like `$.seq`, `header:Name`, `prop:name`). */
  idField?: string;
  /** Check identity only on frames of this channel (event name, topic, subject); `*` is a wildcard. */
  idChannel?: string;
}

type Options<K extends keyof PatternOptionFields> = NonNullable<PatternOptionFields[K]>;
export type WsOptions = Options<'ws'>;
export type SseOptions = Options<'sse'>;
/** Short polling. */
export type PollOptions = Options<'poll'>;
/** Long polling. */
export type LongPollOptions = Options<'longPoll'>;
/** HTTP streaming. */
export type StreamOptions = Options<'stream'>;
/** MQTT. */
export type MqttOptions = Options<'mqtt'>;
export type MqttSubscription = NonNullable<MqttOptions['subscribe']>[number];
export type MqttPublish = NonNullable<MqttOptions['publish']>[number];
/** Webhook receiver. */
export type WebhookOptions = Options<'webhook'>;
/** How a webhook receiver checks signatures. */
export type WebhookSignatureOptions = NonNullable<WebhookOptions['hmac']>;
export { SIGNATURE_SCHEMES, type SignatureScheme } from '../patterns/webhook/descriptor';
/** Asynchronous request-response (202 + status URL). */
export type AsyncOptions = Options<'async'>;
/** Raw TCP / TLS. */
export type TcpOptions = Options<'tcp'>;
/** UDP. */
export type UdpOptions = Options<'udp'>;

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

/** Infer the pattern from a URL's scheme (each descriptor says which schemes it infers); undefined when the scheme says nothing. */
export function inferPattern(url: string): PatternId | undefined {
  return patternForUrl(url);
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
