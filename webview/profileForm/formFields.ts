/**
 * The profile form's fields as data, and the mapping between a Profile and the form's values.
 * No DOM here, so the mapping is unit-tested in plain Node; main.ts draws what these specs say.
 */
import { capabilitiesOf, PATTERN_DESCRIPTORS } from '../../src/patterns';
import { SIGNATURE_SCHEMES } from '../../src/patterns/webhook/descriptor';
import { PATTERNS, type PatternId } from '../../src/shared/connectOptions';
import { AUTH_TYPES, type AuthType, type Profile } from '../../src/shared/profile';
import type { FormSecretKey } from '../../src/shared/profileFormProtocol';

export type FieldKind = 'text' | 'int' | 'number' | 'bool' | 'select' | 'textarea' | 'csv' | 'lines' | 'secret' | 'json' | 'documents';

/** The line between two GraphQL documents in the form's documents field (never valid GraphQL, so never ambiguous). */
export const DOCUMENT_SEPARATOR = '---';

/** The documents of a documents field: blocks split by lines of `---`, empty blocks dropped. */
export function splitDocuments(text: string): string[] {
  return text.split(/^[ \t]*---[ \t]*$/m).map((d) => d.trim()).filter((d) => d !== '');
}

/** The block of a documents field the caret is in: from after the `---` line before it to the next one. */
export function documentAt(text: string, caret: number): { start: number; end: number } {
  const re = /^[ \t]*---[ \t]*$/gm;
  let start = 0;
  let end = text.length;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index + m[0].length <= caret && m.index < caret) start = m.index + m[0].length;
    else if (m.index >= caret) {
      end = m.index;
      break;
    }
  }
  return { start, end };
}

/** One column of a row editor. */
export interface RowColumn {
  key: string;
  label: string;
  kind: 'text' | 'int' | 'select' | 'bool';
  options?: string[];
}

export interface FieldSpec {
  /** Dotted path in the profile (`poll.intervalMs`); for `secret` fields the form secret key. */
  path: string;
  label: string;
  kind: FieldKind;
  options?: Array<{ value: string; label: string }>;
  placeholder?: string;
  /** Shown only for these patterns (all when absent). */
  patterns?: readonly PatternId[];
  /** Shown only for these auth types. */
  authTypes?: readonly AuthType[];
  section: string;
  /** A line under the field. */
  hint?: string;
  /** A checkbox whose setting is on when the profile does not say (the engine's default). */
  defaultOn?: boolean;
  /** A select whose values are numbers in the profile. */
  numeric?: boolean;
  /** A `json` field: the JSON type its value must have. */
  json?: 'object' | 'array';
}

/** A list edited as rows (headers, templates, MQTT subscriptions and publishes). */
export interface RowsSpec {
  path: string;
  label: string;
  columns: RowColumn[];
  /** `record`: stored as an object of key: value (headers); `list`: an array of objects. */
  store: 'record' | 'list';
  patterns?: readonly PatternId[];
  section: string;
}

const opts = (values: readonly string[]) => values.map((v) => ({ value: v, label: v }));
const HTTP_LIKE: PatternId[] = ['http', 'sse', 'poll', 'long-poll', 'stream', 'async'];

/** Section titles of the hand-written option fields below (the rest use the descriptor's label). */
const HAND_SECTIONS: Partial<Record<PatternId, string>> = {
  ws: 'WebSocket', sse: 'Server-sent events', poll: 'Short polling', 'long-poll': 'Long polling', stream: 'HTTP streaming',
  mqtt: 'MQTT', webhook: 'Webhook receiver', async: 'Async request-response',
};

/** Every simple field of the form, in display order. */
export const FIELDS: FieldSpec[] = [
  { section: 'General', path: 'description', label: 'Description', kind: 'text' },
  { section: 'General', path: 'method', label: 'Method', kind: 'text', placeholder: 'GET', patterns: HTTP_LIKE },
  { section: 'General', path: 'body', label: 'Body (gRPC: the request message as JSON; GraphQL: the document)', kind: 'textarea', patterns: [...HTTP_LIKE, 'grpc', 'graphql'] },
  { section: 'General', path: 'connectTimeoutMs', label: 'Connect timeout (ms)', kind: 'int' },
  { section: 'General', path: 'followRedirects', label: 'Follow redirects', kind: 'bool', defaultOn: true, patterns: HTTP_LIKE },
  { section: 'Authentication', path: 'auth.type', label: 'Authentication', kind: 'select', options: AUTH_TYPES.map((t) => ({ value: t, label: { none: 'None', basic: 'Basic (user name and password)', bearer: 'Bearer token', header: 'Custom header' }[t] })) },
  { section: 'Authentication', path: 'auth.username', label: 'User name', kind: 'text', authTypes: ['basic'], placeholder: '${env:USER}' },
  { section: 'Authentication', path: 'auth.header', label: 'Header name', kind: 'text', authTypes: ['header'], placeholder: 'X-Api-Key' },
  { section: 'Authentication', path: 'auth.secret', label: 'Secret name', kind: 'text', authTypes: ['basic', 'bearer', 'header'], hint: 'Name of the stored secret; empty: derived from the profile name.' },
  { section: 'Authentication', path: 'auth', label: 'Password / token / header value', kind: 'secret', authTypes: ['basic', 'bearer', 'header'] },
  { section: 'TLS', path: 'tls.caFile', label: 'CA file', kind: 'text', placeholder: 'certs/ca.pem' },
  { section: 'TLS', path: 'tls.certFile', label: 'Client certificate file', kind: 'text' },
  { section: 'TLS', path: 'tls.keyFile', label: 'Client key file', kind: 'text' },
  { section: 'TLS', path: 'tlsPassphrase', label: 'Client key passphrase', kind: 'secret' },
  { section: 'TLS', path: 'tls.servername', label: 'Server name (SNI)', kind: 'text' },
  { section: 'TLS', path: 'tls.insecure', label: 'Allow insecure certificates', kind: 'bool', hint: 'Accepts certificates that do not verify: anyone on the path can read and change the traffic.' },
  { section: 'Reconnect', path: 'reconnect.enabled', label: 'Reconnect after a drop', kind: 'bool', defaultOn: true },
  { section: 'Reconnect', path: 'reconnect.initialDelayMs', label: 'First delay (ms)', kind: 'int', placeholder: '500' },
  { section: 'Reconnect', path: 'reconnect.maxDelayMs', label: 'Longest delay (ms)', kind: 'int', placeholder: '30000' },
  { section: 'Reconnect', path: 'reconnect.multiplier', label: 'Multiplier', kind: 'number', placeholder: '2' },
  { section: 'Reconnect', path: 'reconnect.jitter', label: 'Jitter (0–1)', kind: 'number', placeholder: '0.3' },
  { section: 'Reconnect', path: 'reconnect.maxAttempts', label: 'Give up after attempts (0 = never)', kind: 'int', placeholder: '10' },
  { section: 'Messages', path: 'idField', label: 'Message id field', kind: 'text', placeholder: '$.seq, sse-id, header:Name, prop:name', hint: 'Used to detect lost and duplicate messages.' },
  { section: 'Messages', path: 'idChannel', label: 'Check ids only on channel', kind: 'text', placeholder: 'tick, feed/*', hint: 'A Socket.IO event, MQTT topic or Redis/NATS channel (* is a wildcard); other channels are not checked. Empty: every message.' },
  { section: 'Messages', path: 'send', label: 'Send on open (one message per line)', kind: 'lines', patterns: PATTERNS.filter((p) => capabilitiesOf(p).send) },
  // Pattern options
  { section: 'WebSocket', path: 'protocols', label: 'Subprotocols (comma-separated)', kind: 'csv', patterns: ['ws'] },
  { section: 'WebSocket', path: 'ws.pingIntervalMs', label: 'Ping interval (ms, 0 = never)', kind: 'int', patterns: ['ws'] },
  { section: 'WebSocket', path: 'ws.pongTimeoutMs', label: 'Pong timeout (ms)', kind: 'int', patterns: ['ws'] },
  { section: 'Server-sent events', path: 'sse.idleTimeoutMs', label: 'Idle timeout (ms, 0 = never)', kind: 'int', patterns: ['sse'] },
  { section: 'Server-sent events', path: 'sse.lastEventId', label: 'Last-Event-ID on first request', kind: 'text', patterns: ['sse'] },
  { section: 'Short polling', path: 'poll.intervalMs', label: 'Interval (ms)', kind: 'int', patterns: ['poll'] },
  { section: 'Short polling', path: 'poll.change', label: 'Change detection', kind: 'select', options: opts(['auto', 'etag', 'last-modified', 'hash']), patterns: ['poll'] },
  { section: 'Short polling', path: 'poll.timestampField', label: 'Timestamp field (JSON path)', kind: 'text', placeholder: '$.changedAt', patterns: ['poll'] },
  { section: 'Short polling', path: 'poll.timestampHeader', label: 'Timestamp header', kind: 'text', patterns: ['poll'] },
  { section: 'Long polling', path: 'longPoll.timeoutMs', label: 'Hold timeout (ms)', kind: 'int', patterns: ['long-poll'] },
  { section: 'Long polling', path: 'longPoll.cursorField', label: 'Cursor field (JSON path)', kind: 'text', placeholder: '$.cursor', patterns: ['long-poll'] },
  { section: 'Long polling', path: 'longPoll.cursorHeader', label: 'Cursor header', kind: 'text', patterns: ['long-poll'] },
  { section: 'Long polling', path: 'longPoll.cursorParam', label: 'Cursor query parameter', kind: 'text', placeholder: 'cursor', patterns: ['long-poll'] },
  { section: 'Long polling', path: 'longPoll.useEtag', label: 'Carry the ETag (If-None-Match)', kind: 'bool', patterns: ['long-poll'] },
  { section: 'Long polling', path: 'longPoll.idleTimeoutMs', label: 'Idle timeout (ms)', kind: 'int', patterns: ['long-poll'] },
  { section: 'HTTP streaming', path: 'stream.split', label: 'Split', kind: 'select', options: opts(['auto', 'lines', 'chunks']), patterns: ['stream'] },
  { section: 'HTTP streaming', path: 'stream.idleTimeoutMs', label: 'Idle timeout (ms)', kind: 'int', patterns: ['stream'] },
  { section: 'MQTT', path: 'mqtt.protocolVersion', label: 'Protocol version', kind: 'select', numeric: true, options: [{ value: '5', label: 'MQTT 5' }, { value: '4', label: 'MQTT 3.1.1' }], patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.clientId', label: 'Client id', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.clean', label: 'Clean session', kind: 'bool', defaultOn: true, patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.keepaliveSec', label: 'Keepalive (s)', kind: 'int', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.username', label: 'User name', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqttPassword', label: 'Password', kind: 'secret', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.publishTopic', label: 'Default publish topic', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.will.topic', label: 'Will topic', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.will.payload', label: 'Will payload', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.will.retain', label: 'Will retained', kind: 'bool', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.request.topic', label: 'Request topic (request/response)', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.request.responseTopic', label: 'Response topic', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.request.payload', label: 'Request payload', kind: 'text', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.request.count', label: 'Requests to send', kind: 'int', patterns: ['mqtt'] },
  { section: 'MQTT', path: 'mqtt.request.timeoutMs', label: 'Request timeout (ms)', kind: 'int', patterns: ['mqtt'] },
  { section: 'Webhook receiver', path: 'webhook.listen', label: 'Listen on (host:port)', kind: 'text', placeholder: '127.0.0.1:0', patterns: ['webhook'] },
  { section: 'Webhook receiver', path: 'webhook.reply.status', label: 'Reply status', kind: 'int', placeholder: '200', patterns: ['webhook'] },
  { section: 'Webhook receiver', path: 'webhook.reply.body', label: 'Reply body', kind: 'textarea', patterns: ['webhook'] },
  { section: 'Webhook receiver', path: 'webhook.reply.delayMs', label: 'Reply delay (ms)', kind: 'int', patterns: ['webhook'] },
  {
    section: 'Webhook receiver', path: 'webhook.hmac.scheme', label: 'Signature check', kind: 'select', patterns: ['webhook'],
    options: [
      { value: '', label: 'none' },
      { value: 'auto', label: 'recognise by headers (GitHub, Stripe, Slack, Shopify, Standard Webhooks)' },
      ...SIGNATURE_SCHEMES.map((x) => ({ value: x, label: x === 'custom' ? 'custom header (below)' : x })),
    ],
    hint: 'Checks each call with the HMAC secret below. A named scheme checks only that one.',
  },
  { section: 'Webhook receiver', path: 'webhook.hmac.header', label: 'Custom: signature header', kind: 'text', placeholder: 'X-Signature', patterns: ['webhook'] },
  { section: 'Webhook receiver', path: 'webhook.hmac.algorithm', label: 'Custom: HMAC algorithm', kind: 'select', options: opts(['sha256', 'sha1', 'sha512']), patterns: ['webhook'] },
  { section: 'Webhook receiver', path: 'webhook.hmac.prefix', label: 'Custom: signature prefix', kind: 'text', placeholder: 'sha256=', patterns: ['webhook'] },
  { section: 'Webhook receiver', path: 'hmacSecret', label: 'HMAC secret', kind: 'secret', patterns: ['webhook'] },
  {
    section: 'GraphQL', path: 'graphql.documents', label: 'Documents (several: a line of --- between them)', kind: 'documents', patterns: ['graphql'],
    placeholder: 'subscription { ticks { seq } }', hint: 'Queries, mutations and subscriptions to run side by side; empty: the Body. List fields offers the server\'s fields; typing offers them too.',
  },
  { section: 'Async request-response', path: 'async.timeoutMs', label: 'Overall timeout (ms)', kind: 'int', patterns: ['async'] },
  { section: 'Async request-response', path: 'async.pollIntervalMs', label: 'Poll interval without Retry-After (ms)', kind: 'int', patterns: ['async'] },
  { section: 'Async request-response', path: 'async.statusField', label: 'Status field (JSON path)', kind: 'text', placeholder: '$.status', patterns: ['async'] },
  { section: 'Async request-response', path: 'async.doneValues', label: 'Done values (comma-separated)', kind: 'csv', placeholder: 'done, succeeded, failed', patterns: ['async'] },
  { section: 'Async request-response', path: 'async.operationUrlField', label: 'Operation URL field (JSON path)', kind: 'text', patterns: ['async'] },
  { section: 'Async request-response', path: 'async.callback', label: 'Wait for a callback instead of polling', kind: 'bool', patterns: ['async'] },
];

/** Row editors. */
export const ROWS: RowsSpec[] = [
  { section: 'Headers', path: 'headers', label: 'Headers', store: 'record', columns: [{ key: 'name', label: 'Name', kind: 'text' }, { key: 'value', label: 'Value', kind: 'text' }] },
  {
    section: 'Messages', path: 'templates', label: 'Send templates', store: 'list',
    columns: [{ key: 'name', label: 'Name', kind: 'text' }, { key: 'data', label: 'Data', kind: 'text' }, { key: 'encoding', label: 'Encoding', kind: 'select', options: ['text', 'hex', 'base64'] }, { key: 'channel', label: 'Topic', kind: 'text' }],
  },
  { section: 'MQTT', path: 'mqtt.subscribe', label: 'Subscriptions', store: 'list', patterns: ['mqtt'], columns: [{ key: 'topic', label: 'Topic filter', kind: 'text' }, { key: 'qos', label: 'QoS', kind: 'select', options: ['0', '1', '2'] }] },
  { section: 'MQTT', path: 'mqtt.publish', label: 'Publish on connect', store: 'list', patterns: ['mqtt'], columns: [{ key: 'topic', label: 'Topic', kind: 'text' }, { key: 'payload', label: 'Payload', kind: 'text' }, { key: 'qos', label: 'QoS', kind: 'select', options: ['0', '1', '2'] }, { key: 'retain', label: 'Retain', kind: 'bool' }] },
];

/** Section for the options of one pattern (shown only for that pattern): the descriptor's label. */
export const PATTERN_SECTION: Partial<Record<PatternId, string>> = Object.fromEntries(
  PATTERN_DESCRIPTORS.filter((d) => 'optionsKey' in d).map((d) => [d.id, HAND_SECTIONS[d.id] ?? d.label]),
);

/**
 * Fields for the pattern options no hand-written entry above covers, derived from each descriptor's
 * schema: a new pattern (tcp, udp) gets its form section from its descriptor alone.
 */
function derivedFields(): FieldSpec[] {
  const covered = new Set([...FIELDS.map((f) => f.path), ...ROWS.map((r) => r.path)]);
  const out: FieldSpec[] = [];
  for (const d of PATTERN_DESCRIPTORS) {
    if (!('optionsKey' in d)) continue;
    const props = (d.options as { properties: Record<string, SchemaNode> }).properties;
    for (const [key, node] of Object.entries(props)) {
      const path = `${d.optionsKey}.${key}`;
      if (covered.has(path) || [...covered].some((c) => c.startsWith(path + '.'))) continue;
      const spec = fieldFromSchema(path, key, node, PATTERN_SECTION[d.id] ?? d.label, d.id);
      if (spec) out.push(spec);
    }
  }
  return out;
}

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  anyOf?: Array<{ const?: unknown }>;
  items?: SchemaNode;
  description?: string;
}

/** "lengthBytes" -> "Length bytes". */
function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1).replace(/\bms\b/, '(ms)').replace(/\bsec\b/, '(s)');
}

function fieldFromSchema(path: string, key: string, node: SchemaNode, section: string, pattern: PatternId): FieldSpec | undefined {
  const base = { path, label: humanize(key), section, patterns: [pattern], ...(node.description ? { hint: node.description } : {}) };
  if (node.anyOf && node.anyOf.every((x) => x.const !== undefined)) {
    const values = node.anyOf.map((x) => x.const);
    return { ...base, kind: 'select', options: values.map((v) => ({ value: String(v), label: String(v) })), ...(values.every((v) => typeof v === 'number') ? { numeric: true } : {}) };
  }
  if (node.type === 'integer') return { ...base, kind: 'int' };
  if (node.type === 'number') return { ...base, kind: 'number' };
  if (node.type === 'boolean') return { ...base, kind: 'bool' };
  if (node.type === 'string') return { ...base, kind: 'text' };
  if (node.type === 'array' && node.items?.type === 'string') return { ...base, kind: 'csv', label: `${base.label} (comma-separated)` };
  // Objects and lists of objects (Socket.IO auth and emits, say) are edited as JSON, checked on save.
  if (node.type === 'object') return { ...base, kind: 'json', json: 'object', label: `${base.label} (JSON object)`, placeholder: jsonExample(node) };
  if (node.type === 'array') return { ...base, kind: 'json', json: 'array', label: `${base.label} (JSON list)`, placeholder: jsonExample(node) };
  return undefined;
}

/** A one-line example for a JSON field's placeholder: the keys of an object, or of a list's items. */
function jsonExample(node: SchemaNode): string {
  const keys = (n: SchemaNode | undefined) => Object.keys(n?.properties ?? {});
  if (node.type === 'array') {
    const k = keys(node.items);
    return k.length ? `[{${k.map((x) => `"${x}": …`).join(', ')}}]` : '[…]';
  }
  const k = keys(node);
  return k.length ? `{${k.map((x) => `"${x}": …`).join(', ')}}` : '{"key": "value"}';
}

FIELDS.push(...derivedFields());


/** Whether a field or row editor is shown for a pattern and auth type. */
export function isShown(spec: { patterns?: readonly PatternId[]; authTypes?: readonly AuthType[] }, pattern: PatternId, auth: AuthType): boolean {
  if (spec.patterns && !spec.patterns.includes(pattern)) return false;
  if (spec.authTypes && !spec.authTypes.includes(auth)) return false;
  return true;
}

export type Row = Record<string, string | boolean>;

/** Everything the form shows, as strings and booleans. */
export interface FormValues {
  name: string;
  pattern: PatternId;
  url: string;
  fields: Record<string, string | boolean>;
  rows: Record<string, Row[]>;
}

function getPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const seg of path.split('.')) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segs = path.split('.');
  let o = obj;
  for (const seg of segs.slice(0, -1)) {
    const next = o[seg];
    if (!next || typeof next !== 'object' || Array.isArray(next)) o[seg] = {};
    o = o[seg] as Record<string, unknown>;
  }
  o[segs[segs.length - 1]] = value;
}

function deletePath(obj: Record<string, unknown>, path: string): void {
  const segs = path.split('.');
  const parents: Array<[Record<string, unknown>, string]> = [];
  let o: unknown = obj;
  for (const seg of segs.slice(0, -1)) {
    if (!o || typeof o !== 'object') return;
    parents.push([o as Record<string, unknown>, seg]);
    o = (o as Record<string, unknown>)[seg];
  }
  if (!o || typeof o !== 'object') return;
  delete (o as Record<string, unknown>)[segs[segs.length - 1]];
  // Objects the form emptied go away too, so a cleared section leaves no `{}` in the file.
  for (let i = parents.length - 1; i >= 0; i--) {
    const [parent, key] = parents[i];
    const child = parent[key];
    if (child && typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length === 0) delete parent[key];
  }
}

/** Read a profile into form values (missing fields are empty strings or false). */
export function profileToValues(profile: Profile): FormValues {
  const fields: Record<string, string | boolean> = {};
  for (const f of FIELDS) {
    if (f.kind === 'secret') {
      fields[f.path] = '';
      continue;
    }
    const v = getPath(profile, f.path);
    if (f.kind === 'bool') fields[f.path] = v === undefined ? f.defaultOn === true : v === true;
    else if (f.kind === 'csv') fields[f.path] = Array.isArray(v) ? v.join(', ') : '';
    else if (f.kind === 'lines') fields[f.path] = Array.isArray(v) ? v.join('\n') : '';
    else if (f.kind === 'documents') fields[f.path] = Array.isArray(v) ? v.join(`\n${DOCUMENT_SEPARATOR}\n`) : '';
    else if (f.kind === 'json') fields[f.path] = v === undefined ? '' : JSON.stringify(v, null, 2);
    else if (f.path === 'auth.type') fields[f.path] = typeof v === 'string' ? v : 'none';
    else fields[f.path] = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  // A check without a scheme is custom when it names a header, else it recognises the scheme by headers.
  const hmac = getPath(profile, 'webhook.hmac') as Record<string, unknown> | undefined;
  if (hmac && typeof hmac === 'object' && !hmac.scheme) fields['webhook.hmac.scheme'] = hmac.header ? 'custom' : 'auto';
  const rows: Record<string, Row[]> = {};
  for (const r of ROWS) {
    const v = getPath(profile, r.path);
    if (r.store === 'record') rows[r.path] = v && typeof v === 'object' ? Object.entries(v as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) })) : [];
    else
      rows[r.path] = Array.isArray(v)
        ? v.map((item) => {
            const row: Row = {};
            for (const c of r.columns) {
              const x = (item as Record<string, unknown>)?.[c.key];
              row[c.key] = c.kind === 'bool' ? x === true : x === undefined ? '' : String(x);
            }
            return row;
          })
        : [];
  }
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return { name: text(profile.name), pattern: (PATTERNS as readonly string[]).includes(profile.pattern) ? profile.pattern : 'http', url: text(profile.url), fields, rows };
}

export interface FormToProfileResult {
  profile: Profile;
  /** Per-field problems the form finds before any validation (a number field holding text). */
  fieldErrors: Record<string, string>;
}

/**
 * Build the profile from form values on top of `base` (the stored profile): fields the form does not
 * know stay as they were; fields the form shows and the user cleared are removed; options of patterns
 * other than the chosen one are dropped.
 */
export function valuesToProfile(values: FormValues, base: Partial<Profile> = {}): FormToProfileResult {
  const p = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const fieldErrors: Record<string, string> = {};
  p.name = values.name.trim();
  p.pattern = values.pattern;
  p.url = values.url.trim();
  const auth = (values.fields['auth.type'] as AuthType) || 'none';
  for (const [pattern, section] of Object.entries(PATTERN_SECTION)) {
    if (pattern === values.pattern) continue;
    const key = FIELDS.find((f) => f.section === section && f.path.includes('.'))?.path.split('.')[0];
    if (key) delete p[key];
  }
  for (const f of FIELDS) {
    if (f.kind === 'secret') continue;
    if (!isShown(f, values.pattern, auth)) {
      // Hidden auth fields of another auth type are dropped; hidden pattern fields went with their object.
      if (f.authTypes) deletePath(p, f.path);
      continue;
    }
    const raw = values.fields[f.path];
    if (f.kind === 'bool') {
      // Only what differs from the default is written, unless the profile already spelled it out.
      const spelled = getPath(base, f.path) !== undefined;
      if (raw === true) {
        if (f.defaultOn && !spelled) deletePath(p, f.path);
        else setPath(p, f.path, true);
      } else if (f.defaultOn) setPath(p, f.path, false);
      else if (spelled) setPath(p, f.path, false);
      else deletePath(p, f.path);
      continue;
    }
    const s = typeof raw === 'string' ? raw : '';
    const t = s.trim();
    if (!t) {
      deletePath(p, f.path);
      continue;
    }
    switch (f.kind) {
      case 'int':
      case 'number': {
        const n = Number(t);
        if (!Number.isFinite(n) || (f.kind === 'int' && (!Number.isInteger(n) || n < 0))) {
          fieldErrors[f.path] = f.kind === 'int' ? 'Enter a whole number ≥ 0' : 'Enter a number';
          continue;
        }
        setPath(p, f.path, n);
        break;
      }
      case 'csv':
        setPath(p, f.path, t.split(',').map((x) => x.trim()).filter(Boolean));
        break;
      case 'lines':
        setPath(p, f.path, s.split(/\r?\n/).filter((x) => x.trim() !== ''));
        break;
      case 'documents':
        setPath(p, f.path, splitDocuments(s));
        break;
      case 'select':
        if (f.path === 'auth.type') {
          if (t === 'none') deletePath(p, 'auth');
          else setPath(p, f.path, t);
        } else setPath(p, f.path, f.numeric ? Number(t) : t);
        break;
      case 'textarea':
        setPath(p, f.path, s);
        break;
      case 'json': {
        let v: unknown;
        try {
          v = JSON.parse(t);
        } catch (err) {
          fieldErrors[f.path] = `Enter JSON: ${(err as Error).message}`;
          continue;
        }
        const isArray = Array.isArray(v);
        const isObject = v !== null && typeof v === 'object' && !isArray;
        if ((f.json === 'array' && !isArray) || (f.json === 'object' && !isObject)) {
          fieldErrors[f.path] = f.json === 'array' ? 'Enter a JSON list: [ … ]' : 'Enter a JSON object: { … }';
          continue;
        }
        setPath(p, f.path, v);
        break;
      }
      default:
        setPath(p, f.path, t);
    }
  }
  if (auth === 'none') delete p.auth;
  // A will or a request needs its topic; fill the defaults the engine expects for a complete object.
  const will = getPath(p, 'mqtt.will') as Record<string, unknown> | undefined;
  if (will && will.payload === undefined) will.payload = '';
  if (values.pattern === 'webhook') {
    const scheme = String(values.fields['webhook.hmac.scheme'] ?? '');
    if (!scheme) deletePath(p, 'webhook.hmac');
    else {
      // The secret itself is the form's secret field (the host stores it and writes its reference).
      const secret = getPath(base, 'webhook.hmac.secret');
      setPath(p, 'webhook.hmac.secret', typeof secret === 'string' ? secret : '');
      const hmac = getPath(p, 'webhook.hmac') as Record<string, unknown>;
      if (scheme === 'custom') {
        if (hmac.header === undefined) fieldErrors['webhook.hmac.header'] = 'A custom signature check needs the signature header';
        else if (hmac.algorithm === undefined) hmac.algorithm = 'sha256';
      } else {
        // Header, algorithm and prefix belong to the custom scheme only.
        for (const k of ['header', 'algorithm', 'prefix']) delete hmac[k];
      }
      // The scheme is written only where it differs from what its absence means (custom with a header, else auto).
      const implied = hmac.header !== undefined ? 'custom' : 'auto';
      if (scheme === implied) delete hmac.scheme;
      else hmac.scheme = scheme;
    }
  }
  for (const r of ROWS) {
    if (r.patterns && !r.patterns.includes(values.pattern)) continue;
    const rows = (values.rows[r.path] ?? []).filter((row) => r.columns.some((c) => c.kind !== 'bool' && c.kind !== 'select' && String(row[c.key] ?? '').trim() !== ''));
    if (rows.length === 0) {
      deletePath(p, r.path);
      continue;
    }
    if (r.store === 'record') {
      const rec: Record<string, string> = {};
      for (const row of rows) rec[String(row.name ?? '').trim()] = String(row.value ?? '');
      setPath(p, r.path, rec);
    } else {
      setPath(
        p,
        r.path,
        rows.map((row) => {
          const item: Record<string, unknown> = {};
          for (const c of r.columns) {
            const v = row[c.key];
            if (c.kind === 'bool') {
              if (v === true) item[c.key] = true;
            } else if (c.key === 'qos') {
              if (v !== '' && v !== undefined) item[c.key] = Number(v);
            } else if (c.key === 'encoding') {
              if (v && v !== 'text') item[c.key] = v;
            } else if (v !== '' && v !== undefined) item[c.key] = v;
            else if (c.key === 'data' || c.key === 'payload') item[c.key] = '';
          }
          return item;
        }),
      );
    }
  }
  return { profile: p as unknown as Profile, fieldErrors };
}

/** The form field a validation problem belongs to: the longest known path that prefixes it. */
export function fieldForProblem(path: Array<string | number>): string | undefined {
  const known = ['name', 'pattern', 'url', ...FIELDS.filter((f) => f.kind !== 'secret').map((f) => f.path), ...ROWS.map((r) => r.path)];
  for (let n = path.length; n > 0; n--) {
    const key = path.slice(0, n).join('.');
    if (known.includes(key)) return key;
  }
  return undefined;
}

/** The form secret key of a secret field (`auth`, `mqttPassword`, …). */
export function secretKeyOf(spec: FieldSpec): FormSecretKey {
  return spec.path as FormSecretKey;
}
