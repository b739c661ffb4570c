/**
 * Which feed events a frame carries: their ids (`--id-field`, the same syntax as the sequence check)
 * and publish times (`--timestamp-field`, a JSON path to epoch ms or an ISO date).
 *
 * A frame may carry several events: a long-poll answer or a batch endpoint sends
 * `{"events": [...]}` or a bare array. When the id path finds nothing at the root, it is applied
 * to each element of the root array, or of the first array-valued property whose elements carry it.
 */
import type { FrameEvent } from '../../shared/events';
import { getAtPath, parseJsonPath, type JsonPathStep } from '../jsonPath';
import { checkIdField } from '../sequenceCheck';

export interface FeedKey {
  id: string;
  /** Publish time, epoch ms (fractional allowed), when the timestamp field is present and valid. */
  at: number | undefined;
}

export type KeyExtractor = (frame: FrameEvent) => FeedKey[];

/** Epoch ms from a number (ms; values below 1e11 are read as seconds) or a string (digits or ISO 8601). */
export function parseTimestamp(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return parseTimestamp(Number(s));
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function keyText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Check both fields (an absent id field is not checked); a one-line problem or undefined. */
export function checkKeyFields(idField: string | undefined, timestampField: string | undefined): string | undefined {
  const p = idField === undefined ? undefined : checkIdField(idField);
  if (p) return p;
  if (timestampField !== undefined) {
    try {
      if (!timestampField.trim().startsWith('$')) throw new Error(`use a JSON path like $.at, got "${timestampField}"`);
      parseJsonPath(timestampField);
    } catch (err) {
      return `Invalid timestamp field: ${(err as Error).message}`;
    }
  }
  return undefined;
}

/** Build the extractor; throws an Error with one line when a field is malformed. */
export function makeKeyExtractor(idField: string, timestampField?: string): KeyExtractor {
  const problem = checkKeyFields(idField, timestampField);
  if (problem) throw new Error(problem);
  const field = idField.trim();
  const tsSteps = timestampField ? parseJsonPath(timestampField) : undefined;
  const parse = (e: FrameEvent): unknown => {
    if (e.encoding !== 'utf8') return undefined;
    try {
      return JSON.parse(e.data);
    } catch {
      return undefined;
    }
  };
  const atOf = (obj: unknown): number | undefined => (tsSteps ? parseTimestamp(getAtPath(obj, tsSteps)) : undefined);

  if (field.startsWith('$')) {
    const steps: JsonPathStep[] = parseJsonPath(field);
    const one = (obj: unknown): FeedKey | undefined => {
      const id = keyText(getAtPath(obj, steps));
      return id === undefined ? undefined : { id, at: atOf(obj) };
    };
    const many = (list: unknown[]): FeedKey[] => {
      const out: FeedKey[] = [];
      for (const x of list) {
        const k = one(x);
        if (k) out.push(k);
      }
      return out;
    };
    return (e) => {
      const root = parse(e);
      if (root === undefined || root === null || typeof root !== 'object') return [];
      const k = one(root);
      if (k) return [k];
      if (Array.isArray(root)) return many(root);
      for (const v of Object.values(root as Record<string, unknown>)) {
        if (Array.isArray(v) && v.length > 0) {
          const keys = many(v);
          if (keys.length > 0) return keys;
        }
      }
      return [];
    };
  }
  // sse-id, header:Name, prop:name: one id per frame, read from the frame's meta; the time from the payload.
  const fromMeta = (e: FrameEvent): unknown => {
    const meta = e.meta ?? {};
    if (field === 'sse-id') return meta.id;
    if (/^header:/i.test(field)) {
      const name = field.slice('header:'.length).trim().toLowerCase();
      const headers = meta.headers as Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
      return undefined;
    }
    const name = field.slice('prop:'.length).trim();
    const v = (meta.properties as { userProperties?: Record<string, unknown> } | undefined)?.userProperties?.[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return (e) => {
    const id = keyText(fromMeta(e));
    if (id === undefined) return [];
    return [{ id, at: tsSteps ? atOf(parse(e)) : undefined }];
  };
}
