/**
 * Expectations: the checks a profile's `expect` list makes over a session's events. This module is
 * the one definition of their shape: the TypeScript types, the validation (problems with JSON
 * paths, as for the rest of the profile) and the JSON Schema fragment that
 * schemas/wirescope.schema.json carries as `definitions.expectation` (a unit test keeps the two
 * equal). The evaluator is src/core/expectations.ts. No Node, DOM or vscode imports here.
 */
import type { PatternId } from './connectOptions';

/** A JSON value a frame must hold. */
export interface JsonCondition {
  path: string;
  equals?: unknown;
}

/** Conditions a frame must meet, all of them. */
export interface FrameMatch {
  /** Regular expression (JavaScript syntax) the frame's text must match. */
  match?: string;
  /** JSON values in the frame: each must exist at its `path`, and equal `equals` when given (one condition or a list). */
  json?: JsonCondition | JsonCondition[];
  /** Channel (SSE event type, MQTT topic) the frame must be on. */
  channel?: string;
}

export interface ReceiveExpectation {
  /** At least `count` (default 1) inbound frames matching all conditions, within `within` ms of the session opening. */
  receive: FrameMatch & { count?: number; within?: number };
}
export interface NoReceiveExpectation {
  /** No inbound frame matching all conditions, within `within` ms of the session opening (or the whole session). */
  noReceive: FrameMatch & { within?: number };
}
export interface NoAnomaliesExpectation {
  /** No gap, duplicate or out-of-order message, by the profile's `idField`. */
  noAnomalies: true;
}
export interface StatusExpectation {
  /** Every HTTP response status is this one, or within this inclusive range. */
  status: number | [number, number];
}
export interface TimingExpectation {
  /** Every timing measurement's total (connect/handshake/request) is at most `max` ms. */
  timing: { totalMs: { max: number } };
}
export interface LatencyExpectation {
  /** The 95th percentile of (receive time - the epoch-ms timestamp at `timestampField`) is at most `p95` ms. */
  latencyMs: { p95: number; timestampField: string };
}
export interface ReconnectsExpectation {
  /** At most `max` reconnect attempts. */
  reconnects: { max: number };
}

export type Expectation =
  | ReceiveExpectation
  | NoReceiveExpectation
  | NoAnomaliesExpectation
  | StatusExpectation
  | TimingExpectation
  | LatencyExpectation
  | ReconnectsExpectation;

export const EXPECTATION_KINDS = ['receive', 'noReceive', 'noAnomalies', 'status', 'timing', 'latencyMs', 'reconnects'] as const;
export type ExpectationKind = (typeof EXPECTATION_KINDS)[number];

/** Patterns whose responses are HTTP responses: the `status` expectation applies to these. */
export const HTTP_STATUS_PATTERNS: readonly PatternId[] = ['http', 'sse', 'poll', 'long-poll', 'stream', 'async'];

/** The kind of an expectation object (its one key). */
export function expectationKind(e: Expectation): ExpectationKind {
  return Object.keys(e)[0] as ExpectationKind;
}

/** The result of one expectation after a run. */
export interface ExpectationResult {
  /** Index in the profile's `expect` list. */
  index: number;
  kind: ExpectationKind;
  /** `expect[1] receive /^tick/ x3 within 2000 ms`: names the expectation in reports. */
  label: string;
  status: 'passed' | 'failed';
  /** What was expected and what was seen: `expected 3 frames matching /^tick/ within 2000 ms, saw 1`. */
  message: string;
  /** Sequence numbers of the events involved (matching frames, the offending frame, anomalies...). */
  seqs: number[];
}

// ---------------------------------------------------------------- validation

interface Problem {
  path: Array<string | number>;
  message: string;
  severity: 'error' | 'warning';
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isPosInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
const isNonNegNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isStatus = (v: unknown) => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599;

function checkRegex(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function validateFrameMatch(m: Record<string, unknown>, at: Array<string | number>, err: (p: Array<string | number>, msg: string) => void, allowed: readonly string[]): void {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) err([...at, k], `Unknown field "${k}" (allowed: ${allowed.join(', ')})`);
  if (m.match !== undefined) {
    if (typeof m.match !== 'string') err([...at, 'match'], '"match" must be a regular expression, as a string');
    else {
      const bad = checkRegex(m.match);
      if (bad) err([...at, 'match'], bad.startsWith('Invalid regular expression') ? bad : `Invalid regular expression: ${bad}`);
    }
  }
  if (m.channel !== undefined && typeof m.channel !== 'string') err([...at, 'channel'], '"channel" must be a string');
  if (m.json !== undefined) {
    const checkOne = (j: unknown, where: Array<string | number>) => {
      if (!isObj(j)) return err(where, '"json" must be { "path": "$.x", "equals": value } or a list of them');
      if (typeof j.path !== 'string' || !/^\$(\.|\[|$)/.test(j.path)) err([...where, 'path'], '"json.path" must be a JSON path starting with $, like $.type');
      for (const k of Object.keys(j)) if (k !== 'path' && k !== 'equals') err([...where, k], `Unknown field "${k}" (allowed: path, equals)`);
    };
    if (Array.isArray(m.json)) {
      if (m.json.length === 0) err([...at, 'json'], '"json" needs at least one { "path", "equals" }');
      m.json.forEach((j, i) => checkOne(j, [...at, 'json', i]));
    } else checkOne(m.json, [...at, 'json']);
  }
  if (m.within !== undefined && !isPosInt(m.within)) err([...at, 'within'], '"within" must be a whole number of ms >= 1');
}

/**
 * Validate a profile's `expect` list. `pattern` and `idField` are the profile's (some expectations
 * depend on them). Paths are relative to the profile (`['expect', 0, 'receive', 'count']`).
 */
export function validateExpectations(list: unknown, pattern: unknown, idField: unknown): Problem[] {
  const problems: Problem[] = [];
  const err = (path: Array<string | number>, message: string) => problems.push({ path, message, severity: 'error' });
  if (!Array.isArray(list)) {
    err(['expect'], '"expect" must be a list of expectations, like [{ "receive": { "match": "^ok" } }]');
    return problems;
  }
  list.forEach((e, i) => {
    const at = ['expect', i];
    if (!isObj(e)) return err(at, 'An expectation must be an object, like { "receive": { "match": "^ok" } }');
    const keys = Object.keys(e);
    if (keys.length !== 1 || !(EXPECTATION_KINDS as readonly string[]).includes(keys[0])) {
      const unknown = keys.find((k) => !(EXPECTATION_KINDS as readonly string[]).includes(k));
      return err(unknown !== undefined ? [...at, unknown] : at, keys.length === 1 || unknown !== undefined
        ? `${unknown !== undefined ? `Unknown expectation "${unknown}"` : 'Unknown expectation'}: use one of ${EXPECTATION_KINDS.join(', ')}`
        : `An expectation has exactly one of ${EXPECTATION_KINDS.join(', ')}; this one has ${keys.length === 0 ? 'none' : keys.join(', ')}`);
    }
    const kind = keys[0] as ExpectationKind;
    const v = e[kind];
    const here = [...at, kind];
    switch (kind) {
      case 'receive':
        if (!isObj(v)) return err(here, '"receive" must be an object: { "count": n, "within": ms, "match": "regex", "json": {...}, "channel": "name" }');
        validateFrameMatch(v, here, err, ['count', 'within', 'match', 'json', 'channel']);
        if (v.count !== undefined && !isPosInt(v.count)) err([...here, 'count'], '"count" must be a whole number >= 1');
        return;
      case 'noReceive':
        if (!isObj(v)) return err(here, '"noReceive" must be an object: { "match": "regex", "within": ms }');
        validateFrameMatch(v, here, err, ['within', 'match', 'json', 'channel']);
        return;
      case 'noAnomalies':
        if (v !== true) return err(here, '"noAnomalies" must be true');
        if (typeof idField !== 'string' || !idField) err(here, '"noAnomalies" needs the profile\'s "idField" (sse-id, $.seq, header:Name, prop:name): it says where a message\'s sequence number is');
        return;
      case 'status': {
        const ok = isStatus(v) || (Array.isArray(v) && v.length === 2 && isStatus(v[0]) && isStatus(v[1]) && (v[0] as number) <= (v[1] as number));
        if (!ok) return err(here, '"status" must be a status code (200) or an inclusive range ([200, 299])');
        if (typeof pattern === 'string' && !HTTP_STATUS_PATTERNS.includes(pattern as PatternId)) err(here, `"status" applies to the HTTP patterns (${HTTP_STATUS_PATTERNS.join(', ')}), not ${pattern}`);
        return;
      }
      case 'timing':
        if (!isObj(v) || !isObj(v.totalMs) || !isNonNegNumber(v.totalMs.max)) return err(here, '"timing" must be { "totalMs": { "max": ms } }');
        for (const k of Object.keys(v)) if (k !== 'totalMs') err([...here, k], `Unknown field "${k}" (allowed: totalMs)`);
        return;
      case 'latencyMs':
        if (!isObj(v)) return err(here, '"latencyMs" must be { "p95": ms, "timestampField": "$.at" }');
        if (!isNonNegNumber(v.p95)) err([...here, 'p95'], '"p95" must be a number of ms >= 0');
        if (typeof v.timestampField !== 'string' || !/^\$(\.|\[)/.test(v.timestampField)) err([...here, 'timestampField'], '"timestampField" must be a JSON path to the sender\'s epoch-ms timestamp, like $.at');
        for (const k of Object.keys(v)) if (k !== 'p95' && k !== 'timestampField') err([...here, k], `Unknown field "${k}" (allowed: p95, timestampField)`);
        return;
      case 'reconnects':
        if (!isObj(v) || !(Number.isInteger(v.max) && (v.max as number) >= 0)) return err(here, '"reconnects" must be { "max": n } with n >= 0');
        return;
    }
  });
  return problems;
}

// ---------------------------------------------------------------- JSON Schema

const jsonCondition = {
  type: 'object',
  required: ['path'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', pattern: '^\\$', description: 'JSON path, like $.type or $.items[0].id.' },
    equals: { description: 'The value expected at path (any JSON value).' },
  },
};

const frameMatchProperties = {
  match: { type: 'string', format: 'regex', description: 'Regular expression (JavaScript syntax) the frame text must match.' },
  json: {
    description: 'JSON values in the frame: each present at path, and equal to equals when given. One condition or a list (all must hold).',
    oneOf: [jsonCondition, { type: 'array', minItems: 1, items: jsonCondition }],
  },
  channel: { type: 'string', description: 'Channel the frame must be on: SSE event type, MQTT topic.' },
};

const within = { type: 'integer', minimum: 1, description: 'Window in ms from the session opening.' };

/** `definitions.expectation` of schemas/wirescope.schema.json (kept equal by a unit test). */
export const EXPECTATION_JSON_SCHEMA = {
  description: 'One check over the session. The session ends as soon as every expectation is decided; the profile\'s durationMs is the upper bound.',
  oneOf: [
    {
      type: 'object',
      required: ['receive'],
      additionalProperties: false,
      properties: {
        receive: {
          type: 'object',
          description: 'At least count inbound frames matching all given conditions, within ms of the session opening.',
          additionalProperties: false,
          properties: { count: { type: 'integer', minimum: 1, default: 1, description: 'How many matching frames (default 1).' }, within, ...frameMatchProperties },
        },
      },
    },
    {
      type: 'object',
      required: ['noReceive'],
      additionalProperties: false,
      properties: {
        noReceive: {
          type: 'object',
          description: 'No inbound frame matching all given conditions, within ms of the session opening (or during the whole session).',
          additionalProperties: false,
          properties: { within, ...frameMatchProperties },
        },
      },
    },
    {
      type: 'object',
      required: ['noAnomalies'],
      additionalProperties: false,
      properties: { noAnomalies: { const: true, description: 'No gap, duplicate or out-of-order message, by the profile\'s idField.' } },
    },
    {
      type: 'object',
      required: ['status'],
      additionalProperties: false,
      properties: {
        status: {
          description: 'HTTP patterns: every response status is this one, or within this inclusive range.',
          oneOf: [
            { type: 'integer', minimum: 100, maximum: 599 },
            { type: 'array', items: { type: 'integer', minimum: 100, maximum: 599 }, minItems: 2, maxItems: 2 },
          ],
        },
      },
    },
    {
      type: 'object',
      required: ['timing'],
      additionalProperties: false,
      properties: {
        timing: {
          type: 'object',
          description: 'Every timing measurement (connect, handshake, request) is at most totalMs.max.',
          required: ['totalMs'],
          additionalProperties: false,
          properties: { totalMs: { type: 'object', required: ['max'], additionalProperties: false, properties: { max: { type: 'number', minimum: 0 } } } },
        },
      },
    },
    {
      type: 'object',
      required: ['latencyMs'],
      additionalProperties: false,
      properties: {
        latencyMs: {
          type: 'object',
          description: '95th percentile of receive time minus the sender timestamp (epoch ms) at timestampField.',
          required: ['p95', 'timestampField'],
          additionalProperties: false,
          properties: { p95: { type: 'number', minimum: 0 }, timestampField: { type: 'string', pattern: '^\\$', description: 'JSON path to the sender\'s epoch-ms timestamp, like $.at.' } },
        },
      },
    },
    {
      type: 'object',
      required: ['reconnects'],
      additionalProperties: false,
      properties: { reconnects: { type: 'object', required: ['max'], additionalProperties: false, properties: { max: { type: 'integer', minimum: 0 } } } },
    },
  ],
  defaultSnippets: [
    { label: 'receive', body: { receive: { match: '$1', within: '^${2:2000}' } } },
    { label: 'noReceive', body: { noReceive: { match: '$1', within: '^${2:2000}' } } },
    { label: 'status', body: { status: '^${1:200}' } },
  ],
} as const;
