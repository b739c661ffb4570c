/**
 * The connection profile model: what `.vscode/wirescope.json` (workspace) and the user's
 * saved profiles hold. Pure data and validation; no Node, DOM or vscode imports.
 *
 * Secrets never live in a profile. A profile names them (`auth.secret`, `${secret:NAME}` in any
 * string field) and the host resolves them from SecretStorage at connect time.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { ALL_PATTERN_DESCRIPTORS, PATTERN_DESCRIPTORS, type PatternOptionFields, type PatternOptionKey } from '../patterns';
import { PATTERNS, type PatternId, type ReconnectPolicy } from './connectOptions';
import { validateExpectations, type Expectation } from './expectations';

export type AuthType = 'none' | 'basic' | 'bearer' | 'header';
export const AUTH_TYPES: readonly AuthType[] = ['none', 'basic', 'bearer', 'header'];

/** How a profile authenticates. The secret part is always a SecretStorage name, never a value. */
export interface ProfileAuth {
  type: AuthType;
  /** basic: the user name (may use `${env:NAME}`). */
  username?: string;
  /** basic: password; bearer: token; header: header value. Name of the secret in SecretStorage. */
  secret?: string;
  /** header: the header name (for example `X-Api-Key`). */
  header?: string;
}

/** TLS settings by file path; files are read at connect time, relative paths from the workspace folder. */
export interface ProfileTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Accept certificates that do not verify (self-signed, expired, wrong host). */
  insecure?: boolean;
  /** SecretStorage name of the client key passphrase. */
  passphraseSecret?: string;
  servername?: string;
}

export type TemplateEncoding = 'text' | 'hex' | 'base64';

/** A saved message for the composer. */
export interface SendTemplate {
  name: string;
  data: string;
  encoding?: TemplateEncoding;
  /** Topic (MQTT) or other sub-stream. */
  channel?: string;
}

/** A saved connection. The pattern-specific option fields (`ws`, `mqtt`, `tcp`...) come from the pattern descriptors. */
export interface Profile extends PatternOptionFields {
  name: string;
  pattern: PatternId;
  url: string;
  description?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  auth?: ProfileAuth;
  tls?: ProfileTls;
  reconnect?: Partial<ReconnectPolicy>;
  templates?: SendTemplate[];
  /** Messages sent as soon as the connection opens. */
  send?: string[];
  /** WebSocket subprotocols. */
  protocols?: string[];
  /** Message identity for lost/duplicate detection (`sse-id`, `$.seq`, `header:Name`, `prop:name`). */
  idField?: string;
  /** Check identity only on frames of this channel (a Socket.IO event, an MQTT topic); `*` is a wildcard. */
  idChannel?: string;
  previewLimit?: number;
  connectTimeoutMs?: number;
  /** End the session after this many inbound data frames. */
  count?: number;
  /** End the session after this long; with `expect`, the upper bound of a test run. */
  durationMs?: number;
  /** Checks over the session's events: the profile is then a test (`wirescope test`, the Testing view). */
  expect?: Expectation[];
  followRedirects?: boolean;
  maxRedirects?: number;
}

/** The workspace file `.vscode/wirescope.json`. */
export interface ProfilesFile {
  $schema?: string;
  version?: number;
  profiles: Profile[];
}

export type ProfileScope = 'workspace' | 'user';

/** A problem found in a profile, located by a JSON path like `profiles[2].url`. */
export interface ProfileProblem {
  /** Path segments from the root of the file (or of the profile when validating one profile). */
  path: Array<string | number>;
  message: string;
  severity: 'error' | 'warning';
}

/** The pattern-specific option key of a profile for each pattern that has options (from the descriptors). */
export const PATTERN_OPTION_KEY = Object.fromEntries(
  PATTERN_DESCRIPTORS.flatMap((d) => ('optionsKey' in d ? [[d.id, d.optionsKey]] : [])),
) as Partial<Record<PatternId, PatternOptionKey>>;

/** URL schemes each pattern accepts: the one list, from the descriptors. */
export const PATTERN_SCHEMES = Object.fromEntries(ALL_PATTERN_DESCRIPTORS.map((d): [string, readonly string[]] => [d.id, d.schemes])) as Record<PatternId, readonly string[]>;

const KNOWN_KEYS = new Set<string>([
  'name', 'pattern', 'url', 'description', 'method', 'headers', 'body', 'auth', 'tls', 'reconnect', 'templates', 'send',
  'protocols', 'idField', 'idChannel', 'previewLimit', 'connectTimeoutMs', 'followRedirects', 'maxRedirects', 'count', 'durationMs', 'expect',
  ...PATTERN_DESCRIPTORS.flatMap((d) => ('optionsKey' in d ? [d.optionsKey] : [])),
]);

const SECRET_REF = /\$\{secret:([A-Za-z0-9_.-]+)\}/g;
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;
const ANY_REF = /\$\{([a-z]+):([^}]*)\}/g;
/** RFC 7230 token characters for header names. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Valid SecretStorage names used by profiles. */
export const SECRET_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Names of every `${secret:NAME}` reference in a string. */
export function secretRefsIn(s: string): string[] {
  return [...s.matchAll(SECRET_REF)].map((m) => m[1]);
}

/** Names of every `${env:NAME}` reference in a string. */
export function envRefsIn(s: string): string[] {
  return [...s.matchAll(ENV_REF)].map((m) => m[1]);
}

/** Every secret name a profile refers to (auth, TLS passphrase and `${secret:…}` in any string). */
export function secretNamesOf(profile: Profile): string[] {
  const names = new Set<string>();
  if (profile.auth?.secret && profile.auth.type !== 'none') names.add(profile.auth.secret);
  if (profile.tls?.passphraseSecret) names.add(profile.tls.passphraseSecret);
  walkStrings(profile, (s) => {
    for (const n of secretRefsIn(s)) names.add(n);
  });
  return [...names];
}

/** Call `fn` for every string value in a JSON-like value. */
export function walkStrings(v: unknown, fn: (s: string) => void): void {
  if (typeof v === 'string') fn(v);
  else if (Array.isArray(v)) for (const x of v) walkStrings(x, fn);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) walkStrings(x, fn);
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/** Check a URL for a pattern; a URL holding `${…}` references is checked after a neutral substitution. */
export function checkProfileUrl(url: string, pattern: PatternId): string | undefined {
  // A Kafka URL may list several bootstrap brokers (kafka://a:9092,b:9092): the first one is checked here.
  if (/^kafkas?:\/\//i.test(url)) url = url.replace(/^(kafkas?:\/\/[^/?#,]*),[^/?#]*/i, '$1');
  let u: URL;
  try {
    u = new URL(url.replace(ANY_REF, 'x'));
  } catch {
    // A reference may stand for a port (`host:${env:PORT}`), where only digits fit.
    try {
      u = new URL(url.replace(ANY_REF, '1'));
    } catch {
      return `Invalid URL: "${url}"`;
    }
  }
  const scheme = u.protocol.replace(/:$/, '');
  const schemes = PATTERN_SCHEMES[pattern];
  if (!schemes.includes(scheme)) return `The ${pattern} pattern needs a ${schemes.map((s) => s + ':').join(' or ')} URL, not "${scheme}:"`;
  if (!u.hostname) return `Invalid URL: "${url}" has no host`;
  return undefined;
}

/**
 * Validate one profile. `at` is the path prefix of the profile in its file (`['profiles', 3]`).
 * Unknown fields are warnings (the file may be newer than this build); wrong types are errors.
 */
export function validateProfile(p: unknown, at: Array<string | number> = []): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const err = (path: Array<string | number>, message: string) => problems.push({ path: [...at, ...path], message, severity: 'error' });
  const warn = (path: Array<string | number>, message: string) => problems.push({ path: [...at, ...path], message, severity: 'warning' });
  if (!isObj(p)) {
    err([], 'A profile must be an object');
    return problems;
  }
  if (typeof p.name !== 'string' || !p.name.trim()) err(['name'], 'A profile needs a non-empty "name"');
  else if (p.name.length > 200) err(['name'], 'The name is longer than 200 characters');
  const patternOk = typeof p.pattern === 'string' && (PATTERNS as readonly string[]).includes(p.pattern);
  if (!patternOk) err(['pattern'], `"pattern" must be one of ${PATTERNS.join(', ')}`);
  if (typeof p.url !== 'string' || !p.url.trim()) err(['url'], 'A profile needs a "url"');
  else if (patternOk) {
    const problem = checkProfileUrl(p.url, p.pattern as PatternId);
    if (problem) err(['url'], problem);
  }
  for (const k of Object.keys(p)) if (!KNOWN_KEYS.has(k)) warn([k], `Unknown field "${k}"`);
  for (const k of ['description', 'method', 'body', 'idField', 'idChannel'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'string') err([k], `"${k}" must be a string`);
  }
  if (typeof p.idChannel === 'string' && p.idField === undefined) warn(['idChannel'], '"idChannel" narrows the sequence check, which needs "idField"');
  if (typeof p.method === 'string' && !/^[A-Za-z]+$/.test(p.method)) err(['method'], `Invalid HTTP method "${p.method}"`);
  if (p.headers !== undefined) {
    if (!isObj(p.headers)) err(['headers'], '"headers" must be an object of name: value');
    else
      for (const [k, v] of Object.entries(p.headers)) {
        if (!HEADER_NAME.test(k)) err(['headers', k], `Invalid header name "${k}"`);
        if (typeof v !== 'string') err(['headers', k], `The value of header "${k}" must be a string`);
        else if (/[\r\n]/.test(v)) err(['headers', k], `The value of header "${k}" contains a line break`);
        else if (/^(authorization|proxy-authorization|x-api-key|cookie)$/i.test(k) && v && !/\$\{(secret|env):/.test(v)) {
          warn(['headers', k], `"${k}" holds a literal credential: this file may be shared; use \${secret:NAME} instead`);
        }
      }
  }
  for (const k of ['send', 'protocols'] as const) {
    if (p[k] !== undefined && (!Array.isArray(p[k]) || (p[k] as unknown[]).some((x) => typeof x !== 'string'))) err([k], `"${k}" must be a list of strings`);
  }
  for (const k of ['previewLimit', 'connectTimeoutMs', 'maxRedirects'] as const) {
    if (p[k] !== undefined && !isNonNegInt(p[k])) err([k], `"${k}" must be a whole number >= 0`);
  }
  for (const k of ['count', 'durationMs'] as const) {
    if (p[k] !== undefined && !(Number.isInteger(p[k]) && (p[k] as number) >= 1)) err([k], `"${k}" must be a whole number >= 1`);
  }
  if (p.expect !== undefined) for (const problem of validateExpectations(p.expect, p.pattern, p.idField)) err(problem.path, problem.message);
  if (p.followRedirects !== undefined && typeof p.followRedirects !== 'boolean') err(['followRedirects'], '"followRedirects" must be true or false');
  validateAuth(p.auth, err, warn);
  validateTls(p.tls, err);
  validateReconnect(p.reconnect, err);
  if (p.templates !== undefined) {
    if (!Array.isArray(p.templates)) err(['templates'], '"templates" must be a list');
    else
      p.templates.forEach((t, i) => {
        if (!isObj(t)) return err(['templates', i], 'A template must be an object');
        if (typeof t.name !== 'string' || !t.name) err(['templates', i, 'name'], 'A template needs a "name"');
        if (typeof t.data !== 'string') err(['templates', i, 'data'], 'A template needs "data" (a string)');
        if (t.encoding !== undefined && !['text', 'hex', 'base64'].includes(t.encoding as string)) err(['templates', i, 'encoding'], '"encoding" must be text, hex or base64');
        else if (t.encoding === 'hex' && typeof t.data === 'string' && !/^(\s*[0-9a-fA-F]{2})*\s*$/.test(t.data)) err(['templates', i, 'data'], 'Not valid hex');
      });
  }
  // Pattern options: checked against each descriptor's schema (the one description of them).
  for (const d of PATTERN_DESCRIPTORS) {
    if (!('optionsKey' in d)) continue;
    const key = d.optionsKey;
    if (p[key] === undefined) continue;
    if (!isObj(p[key])) {
      err([key], `"${key}" must be an object`);
      continue;
    }
    if (patternOk && p.pattern !== d.id) warn([key], `"${key}" holds ${d.id} options; this profile's pattern is ${String(p.pattern)}`);
    optionProblems(d.options, p[key], [key], err, warn);
  }
  if (isObj(p.mqtt) && typeof p.mqtt.password === 'string' && p.mqtt.password && !/\$\{(secret|env):/.test(p.mqtt.password)) {
    warn(['mqtt', 'password'], 'A literal MQTT password in a shared file: use ${secret:NAME} instead');
  }
  for (const [key, what] of [['smtp', 'SMTP'], ['imap', 'IMAP']] as const) {
    const o = (p as Record<string, unknown>)[key];
    if (isObj(o) && typeof o.password === 'string' && o.password && !/\$\{(secret|env):/.test(o.password)) {
      warn([key, 'password'], `A literal ${what} password in a shared file: use \${secret:NAME} instead`);
    }
  }
  if (isObj(p.webhook) && isObj(p.webhook.hmac) && typeof p.webhook.hmac.secret === 'string' && !/\$\{(secret|env):/.test(p.webhook.hmac.secret)) {
    warn(['webhook', 'hmac', 'secret'], 'A literal HMAC secret in a shared file: use ${secret:NAME} instead');
  }
  walkRefs(p, [], (path, s) => {
    for (const m of s.matchAll(ANY_REF)) {
      if (m[1] !== 'env' && m[1] !== 'secret') err(path, `Unknown substitution "\${${m[1]}:…}"; use \${env:NAME} or \${secret:NAME}`);
      else if (m[1] === 'secret' && !SECRET_NAME.test(m[2])) err(path, `Invalid secret name "${m[2]}"`);
    }
  });
  return problems;
}

function walkRefs(v: unknown, path: Array<string | number>, fn: (path: Array<string | number>, s: string) => void): void {
  if (typeof v === 'string') {
    if (v.includes('${')) fn(path, v);
  } else if (Array.isArray(v)) v.forEach((x, i) => walkRefs(x, [...path, i], fn));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) walkRefs(x, [...path, k], fn);
}

type Report = (path: Array<string | number>, message: string) => void;

/** Problems of a value against a TypeBox schema, one per location; unknown fields are warnings, as at the top level. */
function optionProblems(schema: TSchema, value: unknown, at: Array<string | number>, err: Report, warn: Report): void {
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, value)) {
    const rel = e.path.split('/').slice(1).map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg.replace(/~1/g, '/').replace(/~0/g, '~')));
    const path = [...at, ...rel];
    const where = path.join('.');
    if (seen.has(where)) continue;
    seen.add(where);
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      warn(path, `Unknown field "${String(rel[rel.length - 1] ?? at[at.length - 1])}"`);
      continue;
    }
    err(path, `"${formatPath(path)}": ${describeSchemaError(e)}`);
  }
}

/** A schema error in words: what the field must be. */
function describeSchemaError(e: ValueError): string {
  const s = e.schema as { enum?: unknown[]; anyOf?: Array<{ const?: unknown }>; type?: string; minimum?: number; maximum?: number };
  if (s.anyOf && s.anyOf.every((x) => x.const !== undefined)) return `must be one of ${s.anyOf.map((x) => JSON.stringify(x.const)).join(', ')}, got ${JSON.stringify(e.value)}`;
  if (s.type === 'integer') {
    const range = s.minimum !== undefined && s.maximum !== undefined ? ` from ${s.minimum} to ${s.maximum}` : s.minimum !== undefined ? ` >= ${s.minimum}` : '';
    return `must be a whole number${range}, got ${JSON.stringify(e.value)}`;
  }
  if (s.type === 'string' || s.type === 'boolean' || s.type === 'number' || s.type === 'array' || s.type === 'object') {
    const what = { string: 'a string', boolean: 'true or false', number: 'a number', array: 'a list', object: 'an object' }[s.type];
    if (e.value === undefined) return 'is required';
    return `must be ${what}, got ${JSON.stringify(e.value)}`;
  }
  return e.message;
}

function validateAuth(a: unknown, err: Report, warn: Report): void {
  if (a === undefined) return;
  if (!isObj(a)) return err(['auth'], '"auth" must be an object');
  if (!AUTH_TYPES.includes(a.type as AuthType)) return err(['auth', 'type'], `"auth.type" must be one of ${AUTH_TYPES.join(', ')}`);
  if (a.secret !== undefined && (typeof a.secret !== 'string' || !SECRET_NAME.test(a.secret))) {
    err(['auth', 'secret'], '"auth.secret" is the NAME of a stored secret (letters, digits, . _ -)');
  }
  if (a.type === 'basic' && typeof a.username !== 'string') err(['auth', 'username'], 'Basic auth needs a "username"');
  if (a.type === 'header' && (typeof a.header !== 'string' || !HEADER_NAME.test(a.header))) err(['auth', 'header'], 'Header auth needs a valid "header" name');
  if (a.type !== 'none' && a.secret === undefined) warn(['auth'], `${a.type} auth without "secret": you will be asked for it at connect time`);
  for (const k of ['password', 'token', 'value']) {
    if (k in a) err(['auth', k], `Do not put secrets in the profile: set "auth.secret" to a name and store the value with Wirescope`);
  }
}

function validateTls(t: unknown, err: Report): void {
  if (t === undefined) return;
  if (!isObj(t)) return err(['tls'], '"tls" must be an object');
  for (const k of ['caFile', 'certFile', 'keyFile', 'servername', 'passphraseSecret']) {
    if (t[k] !== undefined && typeof t[k] !== 'string') err(['tls', k], `"tls.${k}" must be a string`);
  }
  if (t.insecure !== undefined && typeof t.insecure !== 'boolean') err(['tls', 'insecure'], '"tls.insecure" must be true or false');
  if ((t.certFile === undefined) !== (t.keyFile === undefined)) err(['tls'], 'A client certificate needs both "certFile" and "keyFile"');
}

function validateReconnect(r: unknown, err: Report): void {
  if (r === undefined) return;
  if (!isObj(r)) return err(['reconnect'], '"reconnect" must be an object');
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') err(['reconnect', 'enabled'], '"enabled" must be true or false');
  for (const k of ['initialDelayMs', 'maxDelayMs', 'maxAttempts']) {
    if (r[k] !== undefined && !isNonNegInt(r[k])) err(['reconnect', k], `"${k}" must be a whole number >= 0`);
  }
  if (r.multiplier !== undefined && !(typeof r.multiplier === 'number' && r.multiplier >= 1)) err(['reconnect', 'multiplier'], '"multiplier" must be a number >= 1');
  if (r.jitter !== undefined && !(typeof r.jitter === 'number' && r.jitter >= 0 && r.jitter <= 1)) err(['reconnect', 'jitter'], '"jitter" must be between 0 and 1');
}

/** Validate a whole profiles file: the shape, each profile, and unique names. */
export function validateProfilesFile(doc: unknown): ProfileProblem[] {
  if (!isObj(doc)) return [{ path: [], message: 'The profiles file must hold an object with a "profiles" list', severity: 'error' }];
  if (!Array.isArray(doc.profiles)) return [{ path: ['profiles'], message: '"profiles" must be a list', severity: 'error' }];
  const problems: ProfileProblem[] = [];
  const seen = new Set<string>();
  doc.profiles.forEach((p, i) => {
    problems.push(...validateProfile(p, ['profiles', i]));
    if (isObj(p) && typeof p.name === 'string') {
      if (seen.has(p.name)) problems.push({ path: ['profiles', i, 'name'], message: `Another profile is already named "${p.name}"`, severity: 'error' });
      seen.add(p.name);
    }
  });
  return problems;
}

/** Format a path as `profiles[2].headers.Accept`. */
export function formatPath(path: Array<string | number>): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(root)';
}
