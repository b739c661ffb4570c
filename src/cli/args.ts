/**
 * Declarative command-line flags: each flag is one table entry that says what it takes and which
 * ConnectOptions field it fills. Help text is generated from the same tables, so they cannot drift.
 */
import { readFileSync } from 'node:fs';
import { checkUrl, describeError } from '../core/errors';
import { isPatternAvailable } from '../core/registry';
import { parseListen } from '../core/webhookReceiver';
import { capabilitiesOf, INFERRED_SCHEMES, PATTERN_DESCRIPTORS, type AnyPatternDescriptor } from '../patterns';
import type { PatternFlag } from '../patterns/descriptor';
import { parseJsonObject } from '../patterns/graphql/descriptor';
import { parseAuth } from '../patterns/socketio/descriptor';
import { inferPattern, PATTERNS, withDefaultScheme, type ConnectOptions, type MqttOptions, type PatternId } from '../shared/connectOptions';
import { checkIdField } from '../core/sequenceCheck';
import { PATTERN_SCHEMES } from '../shared/profile';

/** Bad arguments: exit code 2 with one line on stderr. */
export class UsageError extends Error {}

/** A problem with a profiles file or profile (exit code 2); its message says everything, so no usage hint follows it. */
export class ProfileUsageError extends UsageError {}

export const OUTPUT_FORMATS = ['pretty', 'ndjson', 'summary'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Everything `wirescope connect` was asked to do. */
export interface ConnectCommand {
  options: ConnectOptions;
  /** The pattern came from an http(s) scheme: ask the URL's Content-Type (sse, stream or http) before connecting. */
  probePattern?: boolean;
  format: OutputFormat;
  /** Exit non-zero when the session saw sequence anomalies. */
  failOn?: 'anomaly';
  /** Exit non-zero when an HTTP response had a 4xx/5xx status (`--fail-on http-error`, like curl --fail). */
  failOnHttpError?: boolean;
  /** `--profile NAME`: the saved profile the options start from. */
  profile?: string;
  /** `--profiles FILE`: where the profile is (default: `.vscode/wirescope.json` from the current folder up). */
  profilesFile?: string;
  /** When stdout is slow, drop frames from the output (counted) instead of pausing the connection. */
  help: boolean;
  /** `--list` (grpc): print the services and methods instead of calling one. */
  grpcList?: boolean;
  /** `--list` (graphql): print the query, mutation and subscription fields from introspection. */
  graphqlList?: boolean;
}

/** What flags may read besides their value: environment (secrets) and files (certificates). */
export interface ArgsEnvironment {
  env: Record<string, string | undefined>;
  readFile(path: string): string;
}

export const defaultArgsEnvironment: ArgsEnvironment = {
  env: process.env,
  readFile: (p) => readFileSync(p, 'utf8'),
};

/** One flag of a command's table. */
export interface FlagSpec<T> {
  /** Long name without dashes (`count`). */
  name: string;
  /** One-letter alias without the dash (`X`). */
  short?: string;
  /** Placeholder of the value in help (`ms`); absent for switches. */
  value?: string;
  /** May be given more than once. */
  repeat?: boolean;
  /** Only meaningful for these patterns (connect only). */
  patterns?: readonly PatternId[];
  /** Heading the flag is listed under in help. */
  group: string;
  /** The pattern option paths the flag sets (`mqtt.subscribe`): the docs' options tables name the flag there, and
   *  a unit test checks each path against the descriptors' schemas. */
  fills?: readonly string[];
  help: string;
  /** The values an enumerated flag takes (from its schema). */
  choices?: readonly string[];
  /**
   * The flag is a switch for some patterns and takes one of these values for others (`--ack` is Redis's and
   * Socket.IO's switch, AMQP's auto|manual|none): the next argument is its value only when it is one of them.
   */
  optionalValue?: readonly string[];
  apply(target: T, value: string, env: ArgsEnvironment): void;
}

// ---------- value parsing ----------

function intValue(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`--${flag} needs a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${flag} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`}, got ${raw}`);
  return n;
}

function qosValue(flag: string, raw: string): 0 | 1 | 2 {
  return intValue(flag, raw, 0, 2) as 0 | 1 | 2;
}

function envSecret(flag: string, name: string, env: ArgsEnvironment): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--${flag} takes the NAME of an environment variable, got "${name}"`);
  const v = env.env[name];
  if (v === undefined || v === '') throw new UsageError(`--${flag}: environment variable ${name} is not set`);
  return v;
}

function fileText(flag: string, path: string, env: ArgsEnvironment): string {
  try {
    return env.readFile(path);
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${describeError(err).message}`);
  }
}

function jsonPathValue(flag: string, raw: string): string {
  if (!/^\$(\.|\[|$)/.test(raw)) throw new UsageError(`--${flag} needs a JSON path starting with $, like $.cursor; got "${raw}"`);
  return raw;
}

function headerName(flag: string, raw: string): string {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(raw)) throw new UsageError(`--${flag} needs a header name, got "${raw}"`);
  return raw;
}

// ---------- connect ----------

/** Connect flags as parsed, before the pattern-dependent checks. */
export interface ConnectTarget extends ConnectCommand {
  /** Defaults that apply to every --publish/--subscribe, whatever the flag order. */
  mqttQos?: 0 | 1 | 2;
  mqttRetain?: boolean;
  hmacSecret?: string;
  hmacHeader?: string;
  hmacAlg?: 'sha256' | 'sha1';
}

const IDLE_PATTERNS: readonly PatternId[] = ['sse', 'stream', 'long-poll', 'http'];

/** The options of a conversation pattern (smtp, imap): the ones the password flags fill. */
function conversation(t: ConnectTarget): { username?: string; password?: string } {
  const o = t.options as unknown as Record<string, { username?: string; password?: string } | undefined>;
  return (o[t.options.pattern] ??= {});
}

function mqtt(t: ConnectTarget): MqttOptions {
  return (t.options.mqtt ??= {});
}

function webhook(t: ConnectTarget) {
  return (t.options.webhook ??= {});
}

/** The hand-written `wirescope connect` flags (shared ones and older patterns'). */
const HAND_FLAGS: readonly FlagSpec<ConnectTarget>[] = [
  {
    name: 'pattern', value: PATTERNS.join('|'), group: 'General',
    help: `Communication pattern; inferred when absent: ${PATTERN_DESCRIPTORS.flatMap((d) => ((d as { infers?: readonly string[] }).infers ?? []).filter((x) => x !== 'http' && x !== 'https').map((x) => `${x}: -> ${d.id}`)).join(', ')}; http(s): by the Content-Type of a first GET (text/event-stream -> sse, NDJSON/JSON Lines -> stream, else http).`,
    apply: (t, v) => {
      if (!(PATTERNS as readonly string[]).includes(v)) throw new UsageError(`--pattern must be one of ${PATTERNS.join(', ')}; got "${v}"`);
      t.options.pattern = v as PatternId;
    },
  },
  {
    name: 'format', value: OUTPUT_FORMATS.join('|'), group: 'General',
    help: 'pretty (for people, the default), ndjson (one contract event per line) or summary (the final summary only).',
    apply: (t, v) => {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}; got "${v}"`);
      t.format = v as OutputFormat;
    },
  },
  { name: 'count', value: 'n', group: 'General', help: 'End after n inbound data frames (control frames do not count).', apply: (t, v) => (t.options.count = intValue('count', v, 1)) },
  { name: 'duration', value: 'ms', group: 'General', help: 'End after this many milliseconds.', apply: (t, v) => (t.options.durationMs = intValue('duration', v, 1)) },
  {
    name: 'reconnect', group: 'General', help: 'Reconnect after a dropped connection, with exponential backoff (the default).',
    apply: (t) => (t.options.reconnect = { ...t.options.reconnect, enabled: true }),
  },
  {
    name: 'no-reconnect', group: 'General', help: 'Do not reconnect; a drop ends the session.',
    apply: (t) => (t.options.reconnect = { ...t.options.reconnect, enabled: false }),
  },
  { name: 'reconnect-attempts', value: 'n', group: 'General', help: 'Give up after n failed reconnect attempts in a row (0 = never; default 10).', apply: (t, v) => (t.options.reconnect = { ...t.options.reconnect, maxAttempts: intValue('reconnect-attempts', v, 0) }) },
  { name: 'reconnect-delay', value: 'ms', group: 'General', help: 'First backoff delay (default 500); it doubles per attempt, with jitter.', apply: (t, v) => (t.options.reconnect = { ...t.options.reconnect, initialDelayMs: intValue('reconnect-delay', v, 0) }) },
  { name: 'reconnect-max-delay', value: 'ms', group: 'General', help: 'Cap on any one backoff delay (default 30000).', apply: (t, v) => (t.options.reconnect = { ...t.options.reconnect, maxDelayMs: intValue('reconnect-max-delay', v, 0) }) },
  { name: 'preview-limit', value: 'bytes', group: 'General', help: 'Bytes of each payload kept in `data` (the size still counts all of it).', apply: (t, v) => (t.options.previewLimit = intValue('preview-limit', v, 0)) },
  {
    name: 'timeout', value: 'ms', group: 'General',
    help: 'long-poll: client-side hold limit per request; async: overall limit; http: the connect timeout and the wait for response headers (default 30000), not the body (see --idle-timeout, --total-timeout); other patterns: connect timeout.',
    apply: (t, v) => {
      const ms = intValue('timeout', v, 1);
      if (t.options.pattern === 'long-poll') (t.options.longPoll ??= {}).timeoutMs = ms;
      else if (t.options.pattern === 'async') (t.options.async ??= {}).timeoutMs = ms;
      else if (t.options.pattern === 'http') {
        // Both waits of one exchange: reaching the server, then its response headers.
        t.options.connectTimeoutMs = ms;
        t.options.responseTimeoutMs = ms;
      } else t.options.connectTimeoutMs = ms;
    },
  },
  {
    name: 'idle-timeout', fills: ['sse.idleTimeoutMs', 'stream.idleTimeoutMs', 'longPoll.idleTimeoutMs'], value: 'ms', group: 'General', patterns: IDLE_PATTERNS,
    help: 'sse, stream, long-poll: treat the connection as dead after this long without data; http: fail when a response body sends nothing for this long (default 30000, 0 = off).',
    apply: (t, v) => {
      const ms = intValue('idle-timeout', v, 0);
      if (t.options.pattern === 'http') t.options.bodyIdleTimeoutMs = ms;
      else if (t.options.pattern === 'sse') (t.options.sse ??= {}).idleTimeoutMs = ms;
      else if (t.options.pattern === 'stream') (t.options.stream ??= {}).idleTimeoutMs = ms;
      else (t.options.longPoll ??= {}).idleTimeoutMs = ms;
    },
  },
  { name: 'id-field', value: 'sse-id|$.json.path', group: 'General', help: 'Message identity for gap/duplicate/out-of-order detection (sse-id, $.seq, header:Name, prop:name, meta:name such as meta:id for a Redis stream entry id, key for a Kafka record key; prop:messageId for an AMQP message id).', apply: (t, v) => {
      const problem = checkIdField(v);
      if (problem) throw new UsageError(problem);
      t.options.idField = v;
    } },
  { name: 'id-channel', value: 'name', group: 'General', help: 'With --id-field: check identity only on frames of this channel (a Socket.IO event, an MQTT topic, a Redis or NATS channel; * is a wildcard), e.g. --id-channel tick.', apply: (t, v) => {
      if (!v.trim()) throw new UsageError('--id-channel needs a channel name (an event, topic or subject; * is a wildcard)');
      t.options.idChannel = v;
    } },
  {
    name: 'fail-on', value: 'anomaly|http-error', repeat: true, group: 'General', help: 'anomaly: exit with code 3 when any sequence anomaly was seen; http-error: exit with code 4 when an HTTP response was 4xx/5xx (like curl --fail).',
    apply: (t, v) => {
      for (const part of v.split(',')) {
        if (part === 'anomaly') t.failOn = 'anomaly';
        else if (part === 'http-error') t.failOnHttpError = true;
        else throw new UsageError(`--fail-on takes anomaly or http-error, got "${v}"`);
      }
    },
  },
  { name: 'profile', value: 'NAME', group: 'Profiles', help: 'Start from this saved profile; the other flags (and a URL) override its fields.', apply: (t, v) => (t.profile = v) },
  { name: 'profiles', value: 'FILE', group: 'Profiles', help: 'Profiles file of --profile (default: .vscode/wirescope.json in this folder or the nearest one above).', apply: (t, v) => (t.profilesFile = v) },
  {
    name: 'total-timeout', value: 'ms', group: 'General', patterns: ['http'],
    help: 'http: limit on the whole exchange, from sending the request to the last body byte, redirects included (default off).',
    apply: (t, v) => (t.options.totalTimeoutMs = intValue('total-timeout', v, 1)),
  },
  { name: 'help', short: 'h', group: 'General', help: 'Show this help.', apply: (t) => (t.help = true) },

  // Request
  { name: 'request', short: 'X', value: 'method', group: 'Request', help: 'HTTP method (http, poll, long-poll, stream, async).', apply: (t, v) => {
    if (!/^[A-Za-z]+$/.test(v)) throw new UsageError(`-X needs an HTTP method like GET or POST, got "${v}"`);
    t.options.method = v.toUpperCase();
  } },
  {
    name: 'header', short: 'H', value: "'Name: value'", repeat: true, group: 'Request', help: 'Add a request header (also the WebSocket and SSE handshakes).',
    apply: (t, v) => {
      const at = v.indexOf(':');
      const name = at > 0 ? v.slice(0, at).trim() : '';
      if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`-H needs 'Name: value', got "${v}"`);
      const value = v.slice(at + 1).trim();
      if (/[\r\n]/.test(value)) throw new UsageError(`-H ${name}: a header value cannot contain line breaks`);
      t.options.headers = { ...t.options.headers, [name]: value };
    },
  },
  { name: 'data', short: 'd', value: 'body', repeat: true, fills: ['graphql.documents'], group: 'Request', help: 'Request body. graphql: the GraphQL document (query, mutation or subscription); repeat it to run several operations, multiplexed on one WebSocket.', apply: (t, v) => {
    if (t.options.pattern === 'graphql') (t.options.graphql ??= {}).documents = [...(t.options.graphql?.documents ?? []), v];
    else if (t.options.body !== undefined) throw new UsageError('--data given more than once');
    else t.options.body = v;
  } },
  { name: 'send', value: 'text', repeat: true, group: 'Request', help: 'Message sent once connected (patterns that can send); repeat for several. tcp/udp: escapes (\\r \\n \\t \\0 \\xHH \\\\) are read, and hex:48656c6c6f sends bytes.', apply: (t, v) => (t.options.send = [...(t.options.send ?? []), v]) },
  { name: 'subprotocol', value: 'name', repeat: true, patterns: ['ws'], group: 'Request', help: 'WebSocket subprotocol to offer; repeat for several.', apply: (t, v) => (t.options.protocols = [...(t.options.protocols ?? []), v]) },
  { name: 'ping-interval', fills: ['ws.pingIntervalMs'], value: 'ms', patterns: ['ws'], group: 'Request', help: 'ws: send a ping this often.', apply: (t, v) => ((t.options.ws ??= {}).pingIntervalMs = intValue('ping-interval', v, 0)) },
  { name: 'pong-timeout', fills: ['ws.pongTimeoutMs'], value: 'ms', patterns: ['ws'], group: 'Request', help: 'ws: with --ping-interval, drop and reconnect when no pong comes back within this time (half-open connections).', apply: (t, v) => ((t.options.ws ??= {}).pongTimeoutMs = intValue('pong-timeout', v, 1)) },
  { name: 'interval', fills: ['poll.intervalMs', 'async.pollIntervalMs'], value: 'ms', patterns: ['poll', 'async'], group: 'Request', help: 'poll: time between polls; async: status poll interval when there is no Retry-After.', apply: (t, v) => {
    const ms = intValue('interval', v, 1);
    if (t.options.pattern === 'async') (t.options.async ??= {}).pollIntervalMs = ms;
    else (t.options.poll ??= {}).intervalMs = ms;
  } },

  // Pattern details
  { name: 'change', fills: ['poll.change'], value: 'auto|etag|last-modified|hash', patterns: ['poll'], group: 'Polling, long polling, streaming, async', help: 'poll: how a change is detected (default auto: ETag, then Last-Modified, then a body hash).', apply: (t, v) => {
    if (v !== 'auto' && v !== 'etag' && v !== 'last-modified' && v !== 'hash') throw new UsageError(`--change must be auto, etag, last-modified or hash; got "${v}"`);
    (t.options.poll ??= {}).change = v;
  } },
  { name: 'timestamp-field', fills: ['poll.timestampField'], value: '$.path', patterns: ['poll'], group: 'Polling, long polling, streaming, async', help: "poll: JSON path to the server's change time, for staleness ($.changedAt on the demo).", apply: (t, v) => ((t.options.poll ??= {}).timestampField = jsonPathValue('timestamp-field', v)) },
  { name: 'timestamp-header', fills: ['poll.timestampHeader'], value: 'name', patterns: ['poll'], group: 'Polling, long polling, streaming, async', help: "poll: header with the server's change time (X-Changed-At on the demo).", apply: (t, v) => ((t.options.poll ??= {}).timestampHeader = headerName('timestamp-header', v)) },
  { name: 'cursor-field', fills: ['longPoll.cursorField'], value: '$.path', patterns: ['long-poll'], group: 'Polling, long polling, streaming, async', help: 'long-poll: JSON path in the response to the next cursor ($.cursor on the demo).', apply: (t, v) => ((t.options.longPoll ??= {}).cursorField = jsonPathValue('cursor-field', v)) },
  { name: 'cursor-header', fills: ['longPoll.cursorHeader'], value: 'name', patterns: ['long-poll'], group: 'Polling, long polling, streaming, async', help: 'long-poll: response header with the next cursor (X-Cursor on the demo).', apply: (t, v) => ((t.options.longPoll ??= {}).cursorHeader = headerName('cursor-header', v)) },
  { name: 'cursor-param', fills: ['longPoll.cursorParam'], value: 'name', patterns: ['long-poll'], group: 'Polling, long polling, streaming, async', help: 'long-poll: query parameter that carries the cursor (default cursor).', apply: (t, v) => {
    if (!/^[A-Za-z0-9._~-]+$/.test(v)) throw new UsageError(`--cursor-param needs a query parameter name, got "${v}"`);
    (t.options.longPoll ??= {}).cursorParam = v;
  } },
  { name: 'use-etag', fills: ['longPoll.useEtag'], patterns: ['long-poll'], group: 'Polling, long polling, streaming, async', help: 'long-poll: carry the ETag as If-None-Match instead of a cursor.', apply: (t) => ((t.options.longPoll ??= {}).useEtag = true) },
  { name: 'split', fills: ['stream.split'], value: 'auto|lines|chunks', patterns: ['stream'], group: 'Polling, long polling, streaming, async', help: 'stream: one frame per line or per chunk (default auto: lines for NDJSON/JSON Lines).', apply: (t, v) => {
    if (v !== 'auto' && v !== 'lines' && v !== 'chunks') throw new UsageError(`--split must be auto, lines or chunks; got "${v}"`);
    (t.options.stream ??= {}).split = v;
  } },
  { name: 'status-field', fills: ['async.statusField'], value: '$.path', patterns: ['async'], group: 'Polling, long polling, streaming, async', help: 'async: JSON path of the status field (default $.status).', apply: (t, v) => ((t.options.async ??= {}).statusField = jsonPathValue('status-field', v)) },
  { name: 'done-value', fills: ['async.doneValues'], value: 'text', repeat: true, patterns: ['async'], group: 'Polling, long polling, streaming, async', help: 'async: a terminal value of the status field; repeat for several (default done, succeeded, failed, completed, error).', apply: (t, v) => {
    const a = (t.options.async ??= {});
    a.doneValues = [...(a.doneValues ?? []), v];
  } },
  { name: 'operation-url-field', fills: ['async.operationUrlField'], value: '$.path', patterns: ['async'], group: 'Polling, long polling, streaming, async', help: 'async: JSON path in the 202 body to the status URL when there is no Location header.', apply: (t, v) => ((t.options.async ??= {}).operationUrlField = jsonPathValue('operation-url-field', v)) },

  // TLS
  { name: 'insecure', short: 'k', group: 'TLS', help: 'Accept TLS certificates that do not verify (self-signed, expired, wrong host).', apply: (t) => (t.options.tls = { ...t.options.tls, insecure: true }) },
  { name: 'cacert', value: 'file', group: 'TLS', help: 'Trust the CA certificates in this PEM file.', apply: (t, v, env) => (t.options.tls = { ...t.options.tls, ca: fileText('cacert', v, env) }) },
  { name: 'cert', value: 'file', group: 'TLS', help: 'Client certificate (PEM).', apply: (t, v, env) => (t.options.tls = { ...t.options.tls, cert: fileText('cert', v, env) }) },
  { name: 'key', value: 'file', group: 'TLS', help: 'Client private key (PEM).', apply: (t, v, env) => (t.options.tls = { ...t.options.tls, key: fileText('key', v, env) }) },

  // Webhook
  { name: 'listen', fills: ['webhook.listen'], value: 'host:port', patterns: ['webhook'], group: 'Webhook receiver', help: 'Where to listen (default 127.0.0.1:0, a free port).', apply: (t, v) => {
    try {
      parseListen(v);
    } catch (err) {
      throw new UsageError(`--listen: ${describeError(err).message}`);
    }
    webhook(t).listen = v;
  } },
  { name: 'reply-status', fills: ['webhook.reply.status'], value: 'code', patterns: ['webhook'], group: 'Webhook receiver', help: 'Status of the reply (default 200).', apply: (t, v) => ((webhook(t).reply ??= {}).status = intValue('reply-status', v, 100, 599)) },
  { name: 'reply-body', fills: ['webhook.reply.body'], value: 'text', patterns: ['webhook'], group: 'Webhook receiver', help: 'Body of the reply.', apply: (t, v) => ((webhook(t).reply ??= {}).body = v) },
  { name: 'reply-delay', fills: ['webhook.reply.delayMs'], value: 'ms', patterns: ['webhook'], group: 'Webhook receiver', help: 'Wait this long before replying.', apply: (t, v) => ((webhook(t).reply ??= {}).delayMs = intValue('reply-delay', v, 0)) },
  { name: 'hmac-secret-env', fills: ['webhook.hmac.secret'], value: 'NAME', patterns: ['webhook'], group: 'Webhook receiver', help: 'Check HMAC signatures with the secret in this environment variable; GitHub, Stripe, Slack, Shopify and Standard Webhooks signatures are recognised by their headers.', apply: (t, v, env) => (t.hmacSecret = envSecret('hmac-secret-env', v, env)) },
  { name: 'hmac-header', fills: ['webhook.hmac.header'], value: 'name', patterns: ['webhook'], group: 'Webhook receiver', help: 'Check this header instead (a custom scheme: HMAC of the body, hex or base64, optional `sha256=` prefix).', apply: (t, v) => {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) throw new UsageError(`--hmac-header needs a header name, got "${v}"`);
    t.hmacHeader = v;
  } },
  { name: 'hmac-alg', fills: ['webhook.hmac.algorithm'], value: 'sha256|sha1', patterns: ['webhook'], group: 'Webhook receiver', help: 'Signature algorithm (default sha256).', apply: (t, v) => {
    if (v !== 'sha256' && v !== 'sha1') throw new UsageError(`--hmac-alg must be sha256 or sha1, got "${v}"`);
    t.hmacAlg = v;
  } },

  // MQTT
  { name: 'subscribe', fills: ['mqtt.subscribe'], value: 'topic[:qos]', repeat: true, patterns: ['mqtt'], group: 'MQTT', help: 'Subscribe once connected; wildcards + and # allowed.', apply: (t, v) => {
    const m = /^(.*):([0-2])$/.exec(v);
    const topic = m ? m[1] : v;
    if (!topic) throw new UsageError(`--subscribe needs a topic, got "${v}"`);
    const m5 = mqtt(t);
    m5.subscribe = [...(m5.subscribe ?? []), m ? { topic, qos: Number(m[2]) as 0 | 1 | 2 } : { topic }];
  } },
  { name: 'publish', fills: ['mqtt.publish'], value: 'topic=payload', repeat: true, patterns: ['mqtt'], group: 'MQTT', help: 'Publish once connected (with --qos and --retain).', apply: (t, v) => {
    const at = v.indexOf('=');
    if (at <= 0) throw new UsageError(`--publish needs topic=payload, got "${v}"`);
    const m5 = mqtt(t);
    m5.publish = [...(m5.publish ?? []), { topic: v.slice(0, at), payload: v.slice(at + 1) }];
  } },
  { name: 'request-topic', fills: ['mqtt.request.topic'], value: 'topic', patterns: ['mqtt'], group: 'MQTT', help: 'MQTT 5 request/response: send requests here with a response topic and correlation data, and match the answers.', apply: (t, v) => {
    if (!v) throw new UsageError('--request-topic needs a topic');
    const m5 = mqtt(t);
    m5.request = { ...m5.request, topic: v };
  } },
  { name: 'request-payload', fills: ['mqtt.request.payload'], value: 'text', patterns: ['mqtt'], group: 'MQTT', help: 'Payload of each request.', apply: (t, v) => {
    const m5 = mqtt(t);
    m5.request = { topic: '', ...m5.request, payload: v };
  } },
  { name: 'response-topic', fills: ['mqtt.request.responseTopic'], value: 'topic', patterns: ['mqtt'], group: 'MQTT', help: 'Topic the answers come back on (default: one made from the client id).', apply: (t, v) => {
    const m5 = mqtt(t);
    m5.request = { topic: '', ...m5.request, responseTopic: v };
  } },
  { name: 'requests', fills: ['mqtt.request.count'], value: 'n', patterns: ['mqtt'], group: 'MQTT', help: 'How many requests to send (default 1).', apply: (t, v) => {
    const m5 = mqtt(t);
    m5.request = { topic: '', ...m5.request, count: intValue('requests', v, 1) };
  } },
  { name: 'request-interval', fills: ['mqtt.request.intervalMs'], value: 'ms', patterns: ['mqtt'], group: 'MQTT', help: 'Time between requests.', apply: (t, v) => {
    const m5 = mqtt(t);
    m5.request = { topic: '', ...m5.request, intervalMs: intValue('request-interval', v, 0) };
  } },
  { name: 'request-timeout', fills: ['mqtt.request.timeoutMs'], value: 'ms', patterns: ['mqtt'], group: 'MQTT', help: 'How long each request waits for its answer.', apply: (t, v) => {
    const m5 = mqtt(t);
    m5.request = { topic: '', ...m5.request, timeoutMs: intValue('request-timeout', v, 1) };
  } },
  { name: 'qos', fills: ['mqtt.publish[].qos', 'mqtt.subscribe[].qos'], value: '0|1|2', patterns: ['mqtt'], group: 'MQTT', help: 'QoS of publishes and of subscriptions without their own.', apply: (t, v) => (t.mqttQos = qosValue('qos', v)) },
  { name: 'retain', fills: ['mqtt.publish[].retain'], patterns: ['mqtt'], group: 'MQTT', help: 'Publish with the retain flag.', apply: (t) => (t.mqttRetain = true) },
  { name: 'mqtt-version', fills: ['mqtt.protocolVersion'], value: '4|5', patterns: ['mqtt'], group: 'MQTT', help: 'Protocol version: 4 is MQTT 3.1.1, 5 is MQTT 5 (default).', apply: (t, v) => {
    if (v !== '4' && v !== '5') throw new UsageError(`--mqtt-version must be 4 or 5, got "${v}"`);
    mqtt(t).protocolVersion = Number(v) as 4 | 5;
  } },
  { name: 'client-id', fills: ['mqtt.clientId'], value: 'id', patterns: ['mqtt'], group: 'MQTT', help: 'Client identifier.', apply: (t, v) => (mqtt(t).clientId = v) },
  { name: 'keepalive', fills: ['mqtt.keepaliveSec'], value: 'seconds', patterns: ['mqtt'], group: 'MQTT', help: 'Keepalive interval (default 60); a broker that stops answering PINGREQ is dropped and reconnected.', apply: (t, v) => (mqtt(t).keepaliveSec = intValue('keepalive', v, 0)) },
  { name: 'username', fills: ['mqtt.username'], value: 'name', patterns: ['mqtt'], group: 'MQTT', help: 'User name.', apply: (t, v) => (mqtt(t).username = v) },
  { name: 'auth-env', fills: ['socketio.auth'], value: 'NAME', patterns: ['socketio'], group: 'Socket.IO', help: 'socketio: read the handshake auth payload (a JSON object, like {"token":"…"}) from this environment variable, kept out of the process list; it replaces --auth.', apply: (t, v, env) => {
    const raw = envSecret('auth-env', v, env);
    try {
      (t.options.socketio ??= {}).auth = parseAuth(raw);
    } catch (err) {
      // The message names the variable, never its value.
      throw new UsageError(`--auth-env: ${v} ${(err as Error).message.replace(/; got .*$/, '')}`);
    }
  } },
  { name: 'password-env', fills: ['mqtt.password'], value: 'NAME', patterns: ['mqtt'], group: 'MQTT', help: 'Read the password from this environment variable (never from the command line).', apply: (t, v, env) => (mqtt(t).password = envSecret('password-env', v, env)) },
  // Redis: same names, merged with the MQTT ones above (each pattern's session gets its own field).
  { name: 'username', fills: ['redis.username'], value: 'name', patterns: ['redis'], group: 'Redis pub/sub and streams', help: 'redis: ACL user name (Redis 6+).', apply: (t, v) => ((t.options.redis ??= {}).username = v) },
  { name: 'password-env', fills: ['redis.password'], value: 'NAME', patterns: ['redis'], group: 'Redis pub/sub and streams', help: 'redis: the AUTH password from this environment variable.', apply: (t, v, env) => ((t.options.redis ??= {}).password = envSecret('password-env', v, env)) },
  // SMTP: same names, merged with the ones above.
  { name: 'password-env', fills: ['smtp.password', 'imap.password'], value: 'NAME', patterns: ['smtp', 'imap'], group: 'SMTP and IMAP conversations', help: 'smtp, imap: the AUTH or LOGIN password from this environment variable (default WIRESCOPE_SMTP_PASSWORD or WIRESCOPE_IMAP_PASSWORD, read when a user name is given).', apply: (t, v, env) => (conversation(t).password = envSecret('password-env', v, env)) },
  { name: 'username', fills: ['nats.username'], value: 'name', patterns: ['nats'], group: 'NATS subjects', help: 'nats: user name.', apply: (t, v) => ((t.options.nats ??= {}).username = v) },
  { name: 'password-env', fills: ['nats.password'], value: 'NAME', patterns: ['nats'], group: 'NATS subjects', help: 'nats: the password from this environment variable.', apply: (t, v, env) => ((t.options.nats ??= {}).password = envSecret('password-env', v, env)) },
  { name: 'list', patterns: ['grpc', 'graphql'], group: 'gRPC', help: 'grpc: list the services and methods (call kind, input and output types, a JSON template of the input) from server reflection or --proto files, instead of calling one. graphql: list the query, mutation and subscription fields (arguments and return types) from an introspection query.', apply: (t) => {
    if (t.options.pattern === 'graphql') t.graphqlList = true;
    else t.grpcList = true;
  } },
  { name: 'query', value: 'FILE', repeat: true, fills: ['graphql.documents'], patterns: ['graphql'], group: 'GraphQL', help: 'graphql: read a GraphQL document from this file (like -d); repeat for several.', apply: (t, v, env) => {
    const g = (t.options.graphql ??= {});
    g.documents = [...(g.documents ?? []), fileText('query', v, env)];
  } },
  { name: 'init-payload-env', fills: ['graphql.initPayload'], value: 'NAME', patterns: ['graphql'], group: 'GraphQL', help: 'graphql: read the connection_init payload (a JSON object, like {"token":"…"}) from this environment variable, kept out of the process list; it replaces --init-payload.', apply: (t, v, env) => {
    const raw = envSecret('init-payload-env', v, env);
    try {
      (t.options.graphql ??= {}).initPayload = parseJsonObject(raw);
    } catch (err) {
      // The message names the variable, never its value.
      throw new UsageError(`--init-payload-env: ${v} ${(err as Error).message.replace(/; got .*$/, '')}`);
    }
  } },
  { name: 'username', fills: ['amqp.username'], value: 'name', patterns: ['amqp'], group: 'AMQP 0-9-1 (RabbitMQ)', help: 'amqp: user name (default guest).', apply: (t, v) => ((t.options.amqp ??= {}).username = v) },
  { name: 'password-env', fills: ['amqp.password'], value: 'NAME', patterns: ['amqp'], group: 'AMQP 0-9-1 (RabbitMQ)', help: 'amqp: the password from this environment variable.', apply: (t, v, env) => ((t.options.amqp ??= {}).password = envSecret('password-env', v, env)) },
  { name: 'token-env', fills: ['nats.token'], value: 'NAME', patterns: ['nats'], group: 'NATS subjects', help: 'nats: the authentication token from this environment variable.', apply: (t, v, env) => ((t.options.nats ??= {}).token = envSecret('token-env', v, env)) },
  { name: 'username', fills: ['kafka.username'], value: 'name', patterns: ['kafka'], group: 'Kafka topics', help: 'kafka: SASL user name.', apply: (t, v) => ((t.options.kafka ??= {}).username = v) },
  { name: 'password-env', fills: ['kafka.password'], value: 'NAME', patterns: ['kafka'], group: 'Kafka topics', help: 'kafka: the SASL password from this environment variable.', apply: (t, v, env) => ((t.options.kafka ??= {}).password = envSecret('password-env', v, env)) },
];

interface SchemaNode {
  type?: string;
  anyOf?: Array<{ const?: unknown }>;
  items?: SchemaNode;
  minimum?: number;
  maximum?: number;
  description?: string;
}

/** A flag of a pattern descriptor: parsing (enum, integer range, switch, list) and help come from its options schema. */
function descriptorFlag(d: AnyPatternDescriptor, f: PatternFlag): FlagSpec<ConnectTarget> {
  const key = (d as { optionsKey: string }).optionsKey;
  const node = ((d as { options: { properties: Record<string, SchemaNode> } }).options.properties[f.key] ?? {}) as SchemaNode;
  const target = (t: ConnectTarget) => ((t.options as unknown as Record<string, Record<string, unknown> | undefined>)[key] ??= {});
  const consts = node.anyOf?.every((x) => x.const !== undefined) ? node.anyOf.map((x) => x.const) : undefined;
  const parse = (v: string): unknown => {
    if (f.parse) {
      try {
        return f.parse(v);
      } catch (err) {
        throw new UsageError(`--${f.flag} ${(err as Error).message}`);
      }
    }
    if (consts) {
      const hit = consts.find((c) => String(c) === v);
      if (hit === undefined) throw new UsageError(`--${f.flag} must be one of ${consts.join(', ')}; got "${v}"`);
      return hit;
    }
    if (node.type === 'integer') return intValue(f.flag, v, node.minimum ?? 0, node.maximum);
    return v;
  };
  const isList = node.type === 'array';
  // A merging flag fills a record one entry per use (--query a=1 --query b=2).
  const isRecord = f.merge === true;
  return {
    name: f.flag,
    ...(node.type === 'boolean' ? {} : { value: f.value ?? 'value' }),
    ...(isList || isRecord ? { repeat: true } : {}),
    ...(consts ? { choices: consts.map(String) } : {}),
    patterns: [d.id],
    group: d.label,
    fills: [`${key}.${f.key}`],
    help: `${d.id}: ${node.description ?? f.key}`,
    apply: (t, v) => {
      const o = target(t);
      if (node.type === 'boolean') o[f.key] = true;
      else if (isList) o[f.key] = [...((o[f.key] as unknown[] | undefined) ?? []), f.parse ? parse(v) : v];
      else if (isRecord) o[f.key] = { ...((o[f.key] as Record<string, unknown> | undefined) ?? {}), ...(parse(v) as Record<string, unknown>) };
      else o[f.key] = parse(v);
    },
  };
}

/** A flag's help led by the patterns it is for ("mqtt: User name."), unless it already says so. */
function withPatterns(f: FlagSpec<ConnectTarget>): string {
  const pats = f.patterns ?? [];
  return pats.length === 0 || /^[a-z0-9-]+(, [a-z0-9-]+)*: /.test(f.help) ? f.help : `${pats.join(', ')}: ${f.help}`;
}

/** Join flags of the same name from several patterns: each pattern's session gets its own meaning. */
function mergeFlags(flags: readonly FlagSpec<ConnectTarget>[]): FlagSpec<ConnectTarget>[] {
  const out: FlagSpec<ConnectTarget>[] = [];
  // Each name's value words with the patterns that take them, so the help reads "topic (mqtt) | channel (redis)".
  const values = new Map<string, Array<{ value: string; patterns: string[] }>>();
  for (const f of flags) {
    const i = out.findIndex((o) => o.name === f.name);
    if (i < 0) {
      out.push(f);
      if (f.value !== undefined) values.set(f.name, [{ value: f.value, patterns: [...(f.patterns ?? [])] }]);
      continue;
    }
    const a = out[i];
    const aPatterns = a.patterns ?? [];
    // A switch joined with an enumerated flag: the value is optional, and only one of the choices is taken as it.
    const switchAndChoices = (a.value === undefined) !== (f.value === undefined) ? (a.choices ?? f.choices) : undefined;
    const words = values.get(f.name) ?? [];
    if (f.value !== undefined) {
      const same = words.find((w) => w.value === f.value);
      if (same) same.patterns.push(...(f.patterns ?? []));
      else words.push({ value: f.value, patterns: [...(f.patterns ?? [])] });
      values.set(f.name, words);
    }
    const value = words.length > 1 ? words.map((w) => `${w.value} (${w.patterns.join('/')})`).join(' | ') : (a.value ?? f.value);
    out[i] = {
      ...a,
      ...(switchAndChoices ? { optionalValue: switchAndChoices, value: `[${switchAndChoices.join('|')}]` } : { value }),
      repeat: a.repeat || f.repeat,
      patterns: [...aPatterns, ...(f.patterns ?? [])],
      fills: [...(a.fills ?? []), ...(f.fills ?? [])],
      help: `${withPatterns(a)} ${withPatterns(f)}`,
      apply: (t, v, env) => ((f.patterns ?? []).includes(t.options.pattern) ? f.apply(t, v, env) : a.apply(t, v, env)),
    };
  }
  return out;
}

/** Every `wirescope connect` flag: the hand-written table plus each descriptor's flags. */
const UNMERGED_FLAGS: readonly FlagSpec<ConnectTarget>[] = [
  ...HAND_FLAGS,
  ...PATTERN_DESCRIPTORS.flatMap((d) => ((d as { flags?: readonly PatternFlag[] }).flags ?? []).map((f) => descriptorFlag(d, f))),
];
export const CONNECT_FLAGS: readonly FlagSpec<ConnectTarget>[] = mergeFlags(UNMERGED_FLAGS);


export interface RawFlag<T> {
  spec: FlagSpec<T>;
  value: string;
  /** How it was written, for messages. */
  written: string;
}

/** Split argv into flags (checked against the table) and positionals. */
export function tokenize<T>(argv: readonly string[], table: readonly FlagSpec<T>[]): { flags: RawFlag<T>[]; positionals: string[] } {
  const flags: RawFlag<T>[] = [];
  const positionals: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec<T> | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq >= 0) inline = arg.slice(eq + 1);
      spec = table.find((f) => f.name === name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
    } else if (/^-[A-Za-z]/.test(arg)) {
      const letter = arg[1];
      spec = table.find((f) => f.short === letter);
      if (!spec) throw new UsageError(`unknown option -${letter}`);
      // -XPOST is -X POST, as in curl.
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      positionals.push(arg);
      continue;
    }
    let value = '';
    if (spec.optionalValue !== undefined) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length && spec.optionalValue.includes(argv[i + 1])) value = argv[++i];
    } else if (spec.value !== undefined) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`--${spec.name} needs a value (${spec.value})`);
    } else if (inline !== undefined) {
      throw new UsageError(`--${spec.name} takes no value`);
    }
    if (!spec.repeat && seen.has(spec.name) && spec.name !== 'help') throw new UsageError(`--${spec.name} given more than once`);
    seen.add(spec.name);
    flags.push({ spec, value, written: arg });
  }
  return { flags, positionals };
}

/** Parse `wirescope connect` arguments (after the word `connect`). Throws UsageError. */
/** The `--profile` and `--profiles` flags of a connect command line, read before the profile is loaded. */
export function profileFlags(argv: readonly string[]): { profile?: string; profilesFile?: string; help: boolean } {
  const { flags } = tokenize(argv, CONNECT_FLAGS);
  const value = (name: string) => flags.find((f) => f.spec.name === name)?.value;
  const profile = value('profiles') !== undefined && value('profile') === undefined ? undefined : value('profile');
  if (value('profiles') !== undefined && profile === undefined) throw new UsageError('--profiles needs --profile NAME');
  return { profile, profilesFile: value('profiles'), help: flags.some((f) => f.spec.name === 'help') };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `over` on top of `base`: objects merge key by key, anything else (scalars, lists) from `over` replaces. */
export function overrideOptions<T>(base: T, over: T): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? overrideOptions(out[k], v) : v;
  }
  return out as T;
}

/**
 * Parse `wirescope connect` arguments (after the word `connect`). Throws UsageError.
 * With `base` (a resolved `--profile`), the URL is optional and the flags given override its fields.
 */
export function parseConnectArgs(argv: readonly string[], env: ArgsEnvironment = defaultArgsEnvironment, base?: ConnectOptions): ConnectCommand {
  const { flags, positionals } = tokenize(argv, CONNECT_FLAGS);
  const t: ConnectTarget = { options: { pattern: base?.pattern ?? 'http', url: '' }, format: 'pretty', help: false };
  if (flags.some((f) => f.spec.name === 'help')) return { ...t, help: true };

  // The pattern decides where some flags go, so settle it before applying the rest.
  const patternFlag = flags.find((f) => f.spec.name === 'pattern');
  if (patternFlag) patternFlag.spec.apply(t, patternFlag.value, env);
  if (positionals.length > 1) throw new UsageError(`one URL expected, got ${positionals.length}: ${positionals.join(' ')}`);
  const url = positionals[0] === undefined ? base?.url : withDefaultScheme(positionals[0]);
  if (url === undefined && t.options.pattern !== 'webhook') {
    throw new UsageError(patternFlag ? 'missing URL' : 'missing URL (wirescope connect <url> [options])');
  }
  if (!patternFlag && !base) {
    const inferred = inferPattern(url ?? '');
    // http(s) without --pattern: the response's Content-Type decides between http, sse and stream (runConnect asks).
    if (inferred === 'http') t.probePattern = true;
    if (!inferred) {
      const problem = checkUrl(url ?? '', INFERRED_SCHEMES);
      throw new UsageError(problem ?? `cannot infer the pattern from "${url}"; give --pattern`);
    }
    t.options.pattern = inferred;
  }
  const pattern = t.options.pattern;
  t.options.url = url ?? '';

  const hasReconnect = flags.some((f) => f.spec.name === 'reconnect');
  const hasNoReconnect = flags.some((f) => f.spec.name === 'no-reconnect');
  if (hasReconnect && hasNoReconnect) throw new UsageError('--reconnect and --no-reconnect contradict each other');

  for (const f of flags) {
    if (f.spec.name === 'pattern') continue;
    if (f.spec.patterns && !f.spec.patterns.includes(pattern)) {
      throw new UsageError(`--${f.spec.name} applies to the ${f.spec.patterns.join('/')} pattern${f.spec.patterns.length > 1 ? 's' : ''}, not ${pattern}`);
    }
    f.spec.apply(t, f.value, env);
  }

  if (pattern === 'webhook') {
    const listen = parseListen(t.options.webhook?.listen);
    const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
    // The receiver ignores the URL; it is set so that every face shows where it listens.
    if (!url) t.options.url = `http://${host}:${listen.port}/`;
  }
  // A generated webhook URL may carry port 0 ("any free port"), which is not a URL a client can use.
  const problem = pattern === 'webhook' && !url ? undefined : checkUrl(t.options.url, PATTERN_SCHEMES[pattern]);
  if (problem) throw new UsageError(problem);
  if (!isPatternAvailable(pattern)) throw new UsageError(`the ${pattern} pattern is not available in this build`);

  if (t.hmacHeader !== undefined || t.hmacAlg !== undefined) {
    if (t.hmacSecret === undefined) throw new UsageError('--hmac-header and --hmac-alg need --hmac-secret-env NAME');
  }
  if (t.hmacSecret !== undefined) {
    const algorithm = t.hmacAlg ?? 'sha256';
    // Without a header the receiver recognises the scheme (GitHub, Stripe, Slack, Shopify, Standard Webhooks) by the request's headers.
    webhook(t).hmac = t.hmacHeader !== undefined || t.hmacAlg !== undefined
      ? { header: t.hmacHeader ?? 'X-Signature-256', algorithm, secret: t.hmacSecret, prefix: `${algorithm}=` }
      : { secret: t.hmacSecret };
  }
  if (t.options.mqtt && (t.mqttQos !== undefined || t.mqttRetain)) {
    const m = t.options.mqtt;
    m.publish = m.publish?.map((p) => ({ ...p, qos: t.mqttQos ?? p.qos, ...(t.mqttRetain ? { retain: true } : {}) }));
    m.subscribe = m.subscribe?.map((s) => ({ ...s, qos: s.qos ?? t.mqttQos }));
  }
  if (base) t.options = overrideOptions(base, t.options);
  // Conversations (smtp, imap): a user name (flag, profile or URL) without a password takes it from WIRESCOPE_<PATTERN>_PASSWORD.
  if (pattern === 'smtp' || pattern === 'imap') {
    const o = (t.options as unknown as Record<string, { username?: string; password?: string } | undefined>)[pattern];
    const fromEnv = env.env[`WIRESCOPE_${pattern.toUpperCase()}_PASSWORD`];
    const urlUser = URL.canParse(t.options.url) && new URL(t.options.url).username !== '';
    if ((o?.username !== undefined || urlUser) && o?.password === undefined && fromEnv) conversation(t).password = fromEnv;
  }
  if (t.options.mqtt?.request && !t.options.mqtt.request.topic) throw new UsageError('--request-payload, --response-topic, --requests, --request-interval and --request-timeout need --request-topic');
  if (t.options.mqtt?.request && t.options.mqtt.protocolVersion === 4) throw new UsageError('--request-topic needs MQTT 5 (response topic and correlation data are MQTT 5 properties); drop --mqtt-version 4');
  if (t.options.idChannel !== undefined && !t.options.idField) throw new UsageError('--id-channel narrows the sequence check, which needs --id-field (e.g. --id-field \'$[0].seq\' --id-channel tick)');
  if ((t.options.send?.length ?? 0) > 0 && !capabilitiesOf(pattern).send) throw new UsageError(`--send applies to the patterns that can send (${PATTERNS.filter((p) => capabilitiesOf(p).send).join(', ')}), not ${pattern}`);

  const probe = t.probePattern && t.options.pattern === 'http' && (t.options.method ?? 'GET').toUpperCase() === 'GET' && t.options.body === undefined;
  return { options: t.options, format: t.format, failOn: t.failOn, ...(t.failOnHttpError ? { failOnHttpError: true } : {}), ...(t.profile !== undefined ? { profile: t.profile, profilesFile: t.profilesFile } : {}), ...(probe ? { probePattern: true } : {}), ...(t.grpcList ? { grpcList: true } : {}), ...(t.graphqlList ? { graphqlList: true } : {}), help: false };
}

// ---------- demo ----------

/** What `wirescope demo` was asked to do. */
export interface DemoCommand {
  host: string;
  port: number;
  /** `false`: run without the MQTT broker. */
  mqttPort: number | false;
  /** `false`: run without the gRPC server. */
  grpcPort: number | false;
  rate: number;
  webhookUrl?: string;
  webhookSecret?: string;
  /** The environment variable the secret came from (--webhook-secret-env). */
  webhookSecretEnv?: string;
  help: boolean;
}

/** Every `wirescope demo` flag. */
export const DEMO_FLAGS: readonly FlagSpec<DemoCommand>[] = [
  { name: 'host', value: 'address', group: 'Demo', help: 'Interface to bind (default 127.0.0.1: this machine only).', apply: (d, v) => {
    if (!/^[A-Za-z0-9.:%-]+$/.test(v)) throw new UsageError(`--host needs a host name or address, got "${v}"`);
    d.host = v;
  } },
  { name: 'port', value: 'n', group: 'Demo', help: 'HTTP and WebSocket port (default 8080; 0 picks a free one).', apply: (d, v) => (d.port = intValue('port', v, 0, 65535)) },
  { name: 'mqtt-port', value: 'n', group: 'Demo', help: 'Embedded MQTT broker port (default 1883; 0 picks a free one).', apply: (d, v) => (d.mqttPort = intValue('mqtt-port', v, 0, 65535)) },
  { name: 'no-mqtt', group: 'Demo', help: 'Run without the embedded MQTT broker.', apply: (d) => (d.mqttPort = false) },
  { name: 'grpc-port', value: 'n', group: 'Demo', help: 'gRPC port of wirescope.demo.Feed, with server reflection (default 50051; 0 picks a free one).', apply: (d, v) => (d.grpcPort = intValue('grpc-port', v, 0, 65535)) },
  { name: 'no-grpc', group: 'Demo', help: 'Run without the gRPC server.', apply: (d) => (d.grpcPort = false) },
  { name: 'rate', value: 'n/s', group: 'Demo', help: 'Feed events per second (default 1; fractions allowed; 0 pauses the feed).', apply: (d, v) => {
    const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(v.trim());
    const n = m ? Number(m[1]) : NaN;
    if (!m || n > 100_000) throw new UsageError(`--rate needs events per second from 0 to 100000, like 5 or 0.5/s; got "${v}"`);
    d.rate = n;
  } },
  { name: 'webhook-url', value: 'URL', group: 'Demo', help: 'POST every feed event to this URL, signed (Standard Webhooks headers and X-Signature-256).', apply: (d, v) => {
    const problem = checkUrl(v, ['http', 'https']);
    if (problem) throw new UsageError(`--webhook-url: ${problem}`);
    d.webhookUrl = v;
  } },
  { name: 'webhook-secret', value: 'text', group: 'Demo', help: 'HMAC secret for the webhook signature (default: a random one, printed at start).', apply: (d, v) => {
    if (v === '') throw new UsageError('--webhook-secret cannot be empty');
    d.webhookSecret = v;
  } },
  { name: 'webhook-secret-env', value: 'NAME', group: 'Demo', help: 'Read the webhook HMAC secret from this environment variable (kept out of the process list).', apply: (d, v, env) => {
    d.webhookSecret = envSecret('webhook-secret-env', v, env);
    d.webhookSecretEnv = v;
  } },
  { name: 'help', short: 'h', group: 'Demo', help: 'Show this help.', apply: (d) => (d.help = true) },
];

/** Parse `wirescope demo` arguments. Throws UsageError. */
export function parseDemoArgs(argv: readonly string[], env: ArgsEnvironment = defaultArgsEnvironment): DemoCommand {
  const { flags, positionals } = tokenize(argv, DEMO_FLAGS);
  const d: DemoCommand = { host: '127.0.0.1', port: 8080, mqttPort: 1883, grpcPort: 50051, rate: 1, help: false };
  for (const f of flags) f.spec.apply(d, f.value, env);
  if (d.help) return d;
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (d.webhookSecret !== undefined && d.webhookUrl === undefined) throw new UsageError(`--webhook-secret${d.webhookSecretEnv ? '-env' : ''} needs --webhook-url`);
  if (flags.some((f) => f.spec.name === 'no-mqtt') && flags.some((f) => f.spec.name === 'mqtt-port')) throw new UsageError('--no-mqtt and --mqtt-port contradict each other');
  if (flags.some((f) => f.spec.name === 'no-grpc') && flags.some((f) => f.spec.name === 'grpc-port')) throw new UsageError('--no-grpc and --grpc-port contradict each other');
  return d;
}

/** Help text for a flag table, grouped by heading. */
export function flagHelp<T>(table: readonly FlagSpec<T>[]): string {
  const groups = new Map<string, string[][]>();
  for (const f of table) {
    const names = (f.short ? `-${f.short}, ` : '    ') + `--${f.name}` + (f.value ? ` ${f.value}` : '') + (f.repeat ? ' ...' : '');
    const rows = groups.get(f.group) ?? [];
    rows.push([names, f.help]);
    groups.set(f.group, rows);
  }
  const width = Math.min(34, Math.max(...[...groups.values()].flat().map((r) => r[0].length)));
  const out: string[] = [];
  for (const [group, rows] of groups) {
    out.push(`${group}:`);
    for (const [names, help] of rows) {
      if (names.length > width) out.push(`  ${names}`, `  ${' '.repeat(width)}  ${help}`);
      else out.push(`  ${names.padEnd(width)}  ${help}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Each pattern option path a connect flag sets, with the flag as help shows it (`--subscribe topic[:qos]`). */
export function flagsByOptionPath(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // Before same-named flags are joined, so that each path shows its own pattern's value (`--split`).
  for (const f of UNMERGED_FLAGS) {
    for (const path of f.fills ?? []) out.set(path, [...(out.get(path) ?? []), `--${f.name}${f.value ? ` ${f.value}` : ''}`]);
  }
  return out;
}
