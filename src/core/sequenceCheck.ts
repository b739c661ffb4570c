/**
 * The idempotent consumer's check, run by the engine: every inbound data frame is identified by a
 * user-named field, and duplicates, gaps and out-of-order arrivals become `anomaly` events.
 *
 * Identity (`ConnectOptions.idField`):
 * - `sse-id`: the SSE event id (`meta.id`);
 * - a JSON path into the payload: `$.seq`, `$.id`, `$.data.items[0].id`;
 * - `header:Name`: a header of the frame (`meta.headers`, any case), e.g. a webhook delivery id;
 * - `prop:name`: an MQTT 5 user property (`meta.properties.userProperties`), else a message property of
 *   that name (`meta.properties.messageId` of an AMQP message);
 * - `meta:name`: a field of the frame's `meta` (a Redis stream entry's `meta:id`);
 * - `key`: a Kafka record's key (`meta.key`), short for `meta:key`.
 *
 * Memory is bounded: duplicates are found among the last `window` keys (default 10,000); a key
 * older than that which comes back reads as out-of-order (numeric keys) or goes unnoticed (others).
 * Gap and order checks need only the highest numeric key so far, so they hold across any length.
 */
import { isRedelivery } from '../shared/redelivery';
import type { AnomalyType, EventBody, WireEvent } from '../shared/events';
import { getAtPath, parseJsonPath, type JsonPathStep } from './jsonPath';

/** The part of a Session the check needs: a way to add events. */
export interface AnomalySink {
  emitExtra(body: EventBody): void;
}

export interface SequenceCheckOptions {
  /** How many recent keys are remembered for duplicate detection. Default 10,000. */
  window?: number;
  /**
   * Check only frames on this channel (a Socket.IO event name, an MQTT topic, a Redis or NATS channel);
   * `*` matches any run of characters. Frames on other channels are neither checked nor flagged.
   */
  channel?: string;
}

/** A channel filter as a predicate: exact, or a glob where `*` matches any run of characters. */
export function channelMatcher(pattern: string): (channel: string | undefined) => boolean {
  const p = pattern.trim();
  if (!p.includes('*')) return (c) => c === p;
  const re = new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (c) => c !== undefined && re.test(c);
}

/** What one reconnect cost, as the sequence check saw it once data flowed again. */
export interface ReconnectAccount {
  /** The reconnect event's attempt number (the first of a run of attempts). */
  attempt: number;
  /** The reconnect event's cause. */
  cause: string;
  /** Frames after the reconnect whose keys had been seen before it: the server's replay. */
  replayed: number;
  /** Numbers skipped between the last key before the drop and the first new key after it. */
  missing: number;
  /** The missing range, when there is one. */
  range?: [number, number];
}

type Extractor = (e: Extract<WireEvent, { kind: 'frame' }>) => { key?: unknown; problem?: 'not-json' | 'absent' };

export const DEFAULT_ID_WINDOW = 10_000;
/** Most per-reconnect accounts kept for the summary (the latest). */
const MAX_ACCOUNTS = 200;

/** Check an idField before a session uses it; a one-line problem, or undefined when it is usable. */
export function checkIdField(idField: string): string | undefined {
  try {
    makeExtractor(idField);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function makeExtractor(idField: string): Extractor {
  const field = idField.trim();
  // An event without an `id:` of its own carries the last id (meta.idInherited): it has no identity of its own.
  if (field === 'sse-id') return (e) => (e.meta?.idInherited === true ? { key: undefined, problem: 'absent' } : { key: e.meta?.id, problem: e.meta?.id === undefined ? 'absent' : undefined });
  if (/^header:/i.test(field)) {
    const name = field.slice('header:'.length).trim().toLowerCase();
    if (!name) throw new Error('Invalid id field "header:": name a header, e.g. header:X-Delivery-Id');
    return (e) => {
      const headers = e.meta?.headers;
      if (headers && typeof headers === 'object') {
        for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
          if (k.toLowerCase() === name) return { key: Array.isArray(v) ? v[0] : v };
        }
      }
      return { problem: 'absent' };
    };
  }
  if (/^prop:/i.test(field)) {
    const name = field.slice('prop:'.length).trim();
    if (!name) throw new Error('Invalid id field "prop:": name an MQTT user property or a message property, e.g. prop:seq, prop:messageId');
    return (e) => {
      const all = e.meta?.properties as ({ userProperties?: Record<string, unknown> } & Record<string, unknown>) | undefined;
      const user = all?.userProperties?.[name];
      const own = all?.[name];
      const v = user !== undefined ? user : own !== null && typeof own !== 'object' ? own : undefined;
      const key = Array.isArray(v) ? v[0] : v;
      return key === undefined ? { problem: 'absent' } : { key };
    };
  }
  if (/^meta:/i.test(field) || field === 'key') {
    const name = field === 'key' ? 'key' : field.slice('meta:'.length).trim();
    if (!name) throw new Error('Invalid id field "meta:": name a meta field, e.g. meta:id (a Redis stream entry id)');
    return (e) => {
      const v = e.meta?.[name];
      return v === undefined || v === null || typeof v === 'object' ? { problem: 'absent' } : { key: v };
    };
  }
  if (field.startsWith('$')) {
    let steps: JsonPathStep[];
    try {
      steps = parseJsonPath(field);
    } catch (err) {
      throw new Error(`Invalid id field: ${(err as Error).message}`, { cause: err });
    }
    return (e) => {
      if (e.encoding !== 'utf8') return { problem: 'not-json' };
      let root: unknown;
      try {
        root = JSON.parse(e.data);
      } catch {
        return { problem: 'not-json' };
      }
      const key = getAtPath(root, steps);
      return key === undefined || key === null ? { problem: 'absent' } : { key };
    };
  }
  throw new Error(`Invalid id field "${idField}": use sse-id, a JSON path like $.seq, header:Name, prop:name or meta:name, or key (a Kafka record key)`);
}

/** A key as a safe integer when it is one (numbers, or strings of digits), else undefined. */
function asNumber(key: string | number): number | undefined {
  if (typeof key === 'number') return Number.isSafeInteger(key) ? key : undefined;
  if (!/^-?\d{1,15}$/.test(key)) return undefined;
  return Number(key);
}

/**
 * A SessionObserver that checks message identity (attach with `session.observe()`; Session.start()
 * attaches one by itself when `options.idField` is set). Adds `anomalies` and `idCheck` to the summary.
 */
export class SequenceCheck {
  readonly idField: string;
  private readonly extract: Extractor;
  private readonly window: number;
  /** Only frames on matching channels are checked (all when absent). */
  private readonly onChannel: ((channel: string | undefined) => boolean) | undefined;
  /** Recent keys, for duplicates; `order` evicts the oldest once `window` is reached. */
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private orderHead = 0;
  private highest: number | undefined;
  private readonly counts: Record<AnomalyType, number> = { duplicate: 0, gap: 0, 'out-of-order': 0 };
  /** Checked frames the broker marked as redeliveries (see src/shared/redelivery.ts). */
  private redeliveries = 0;
  private checked = 0;
  private unidentified = 0;
  private notJson = 0;
  /** True while consecutive frames cannot be identified: one error per such burst. */
  private inBadBurst = false;
  /** The reconnect whose replay is being counted (until the first new key after it). */
  private recovering: ReconnectAccount | undefined;
  private readonly accounts: ReconnectAccount[] = [];
  private outages = 0;

  constructor(idField: string, opts: SequenceCheckOptions = {}) {
    this.idField = idField.trim();
    this.extract = makeExtractor(idField);
    this.window = Math.max(1, Math.floor(opts.window ?? DEFAULT_ID_WINDOW));
    this.onChannel = opts.channel?.trim() ? channelMatcher(opts.channel) : undefined;
  }

  /** Totals so far, by anomaly type. */
  get anomalies(): Readonly<Record<AnomalyType, number>> {
    return this.counts;
  }

  /** Per-reconnect replay/missing accounting so far. */
  get reconnects(): readonly ReconnectAccount[] {
    return this.accounts;
  }

  onEvent(e: WireEvent, session: AnomalySink): void {
    if (e.kind === 'reconnect') {
      // A run of failed attempts is one outage: account it once, against its first attempt.
      if (!this.recovering) {
        this.recovering = { attempt: e.attempt, cause: e.cause, replayed: 0, missing: 0 };
        this.accounts.push(this.recovering);
        this.outages++;
        // Bounded like everything else: the latest outages are the ones worth reading.
        if (this.accounts.length > MAX_ACCOUNTS) this.accounts.shift();
      }
      return;
    }
    if (e.kind !== 'frame' || e.dir !== 'in' || e.meta?.control === true) return;
    if (this.onChannel && !this.onChannel(e.channel)) return;
    const found = this.extract(e);
    const raw = found.key;
    if (found.problem || (typeof raw !== 'string' && typeof raw !== 'number') || raw === '') {
      this.unidentified++;
      const notJson = found.problem === 'not-json';
      if (notJson) this.notJson++;
      if (!this.inBadBurst) {
        this.inBadBurst = true;
        const why = notJson
          ? e.truncated
            ? `the payload is truncated at the preview limit, so ${this.idField} cannot be read`
            : `the payload is not valid JSON, so ${this.idField} cannot be read`
          : `it has no ${this.idField}`;
        session.emitExtra({
          kind: 'error',
          message: `Sequence check: frame ${e.seq} is not checked: ${why} (further unidentified frames in a row are only counted)`,
          code: notJson ? 'ERR_ID_NOT_JSON' : 'ERR_ID_MISSING',
        });
      }
      return;
    }
    this.inBadBurst = false;
    this.checked++;
    const key = raw;
    const text = typeof key === 'number' ? String(key) : key;
    const afterReconnect = this.recovering !== undefined;
    const redelivered = isRedelivery(e.meta);
    if (redelivered) this.redeliveries++;
    if (this.seen.has(text)) {
      if (this.recovering) this.recovering.replayed++;
      // A duplicate the broker itself marked as a redelivery: expected after a requeue or a lost ack, and exactly
      // what an idempotent consumer must absorb; said so, apart from duplicates that arrive unmarked.
      const meta: Record<string, unknown> | undefined = afterReconnect || redelivered ? {} : undefined;
      if (meta && afterReconnect) meta.afterReconnect = true;
      if (meta && redelivered) meta.redelivered = true;
      this.report(session, 'duplicate', key, undefined, undefined, meta);
      return;
    }
    this.remember(text);
    const recovering = this.recovering;
    this.recovering = undefined;
    const n = asNumber(key);
    if (n === undefined) return;
    const prev = this.highest;
    if (prev === undefined || n === prev + 1) {
      this.highest = n;
      return;
    }
    if (n > prev + 1) {
      const range: [number, number] = [prev + 1, n - 1];
      const missing = n - prev - 1;
      if (recovering) {
        recovering.missing += missing;
        recovering.range = range;
      }
      const meta: Record<string, unknown> = { range, missing };
      if (afterReconnect) meta.afterReconnect = true;
      this.report(session, 'gap', key, prev + 1, n, meta);
      this.highest = n;
      return;
    }
    // Below the highest key and not a recent duplicate: it arrived late.
    this.report(session, 'out-of-order', key, prev + 1, n, afterReconnect ? { afterReconnect: true } : undefined);
  }

  private remember(text: string): void {
    this.seen.add(text);
    this.order.push(text);
    if (this.order.length - this.orderHead > this.window) {
      this.seen.delete(this.order[this.orderHead]);
      this.orderHead++;
      // Compact now and then, so the array does not grow with the session.
      if (this.orderHead > this.window) {
        this.order.splice(0, this.orderHead);
        this.orderHead = 0;
      }
    }
  }

  private report(session: AnomalySink, type: AnomalyType, key: string | number, expected: number | undefined, got: number | undefined, meta: Record<string, unknown> | undefined): void {
    this.counts[type]++;
    const body: Record<string, unknown> = { kind: 'anomaly', type, key };
    if (expected !== undefined) body.expected = expected;
    if (got !== undefined) body.got = got;
    if (meta) body.meta = meta;
    session.emitExtra(body as EventBody);
  }

  /** Summary fields: `anomalies` by type and `idCheck` with the counts and per-reconnect accounting. */
  summary(): Record<string, unknown> {
    const idCheck: Record<string, unknown> = {
      field: this.idField,
      checked: this.checked,
      unidentified: this.unidentified,
      window: this.window,
    };
    if (this.notJson > 0) idCheck.notJson = this.notJson;
    if (this.redeliveries > 0) idCheck.redeliveries = this.redeliveries;
    if (this.accounts.length > 0) {
      idCheck.reconnects = this.accounts.map((a) => ({ ...a }));
      idCheck.outages = this.outages;
    }
    return { anomalies: { ...this.counts }, idCheck };
  }
}
