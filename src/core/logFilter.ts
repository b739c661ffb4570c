import type { EventKind, WireEvent } from '../shared/events';
import type { LogFilter } from '../shared/protocol';

/**
 * A LogFilter compiled once, then applied to many events.
 *
 * Semantics (the parts combine with AND; an empty string or empty `dirs` means no restriction):
 * - `dirs`, `channel` and `hideControl` narrow frames only; other kinds pass them untouched, so the
 *   connection story (state, reconnect, error...) stays visible next to a narrowed frame list;
 * - `kinds` (missing = all, empty = none) and `anomaliesOnly` apply to every event;
 * - `text` is a case-insensitive substring, or with `regex` a case-insensitive regular expression.
 *   It looks at frame payloads and channels, state reasons and URLs, error messages and codes,
 *   reconnect causes, anomaly keys, and header values in `meta.headers`.
 *
 * The per-part methods exist so the log store can test frames straight from its columns without
 * building an event object per row.
 */
export interface CompiledFilter {
  readonly filter: LogFilter;
  /** True when the filter lets everything through (no per-event work needed). */
  readonly matchesAll: boolean;
  /** False when frame payloads are never looked at (no text part), so callers can skip decoding them. */
  readonly needsData: boolean;
  /** Test a whole event. */
  matches(e: WireEvent): boolean;
  /** Test a frame from its parts. */
  matchesFrame(dirOut: boolean, control: boolean, data: string, channel: string | undefined, meta: Record<string, unknown> | undefined): boolean;
  /** Test a string against the text/regex part alone (true when there is none). */
  matchesText(s: string): boolean;
}

/** Largest pattern accepted, mirrored from the protocol's check so direct callers get the same limit. */
const MAX_TEXT = 1000;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Build the text test. Throws an Error with a one-line message for an invalid regular expression. */
function compileText(text: string | undefined, regex: boolean | undefined): ((s: string) => boolean) | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length > MAX_TEXT) throw new Error(`The search text is too long (over ${MAX_TEXT} characters)`);
  let re: RegExp;
  if (regex) {
    try {
      re = new RegExp(text, 'i');
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
      throw new Error(`Invalid regular expression /${text}/: ${why.replace(/^Invalid regular expression: /, '')}`, { cause: err });
    }
  } else {
    // An escaped literal with the i flag runs in V8's compiled regex engine: no lower-cased copy per row.
    re = new RegExp(escapeRegExp(text), 'i');
  }
  return (s) => re.test(s);
}

function headerValuesMatch(meta: Record<string, unknown> | undefined, test: (s: string) => boolean): boolean {
  const headers = meta?.headers;
  if (!headers || typeof headers !== 'object') return false;
  for (const v of Object.values(headers as Record<string, unknown>)) {
    if (typeof v === 'string' ? test(v) : Array.isArray(v) && v.some((x) => typeof x === 'string' && test(x))) return true;
  }
  return false;
}

/** The strings of a non-frame event that a text search looks at. */
function otherTextMatches(e: WireEvent, test: (s: string) => boolean): boolean {
  switch (e.kind) {
    case 'state':
      return (e.reason !== undefined && test(e.reason)) || (e.url !== undefined && test(e.url)) || headerValuesMatch(e.meta, test);
    case 'error':
      return test(e.message) || (e.code !== undefined && test(e.code));
    case 'reconnect':
      return test(e.cause) || headerValuesMatch(e.meta, test);
    case 'anomaly':
      return test(String(e.key)) || test(e.type);
    case 'timing':
      return headerValuesMatch(e.meta, test);
    default:
      return false;
  }
}

/** Compile a filter. Throws an Error with a one-line message when the regex is invalid. */
export function compileFilter(filter: LogFilter): CompiledFilter {
  const text = compileText(filter.text, filter.regex);
  const dirs = filter.dirs && filter.dirs.length > 0 ? filter.dirs : undefined;
  const allowIn = !dirs || dirs.includes('in');
  const allowOut = !dirs || dirs.includes('out');
  const kinds: ReadonlySet<EventKind> | undefined = filter.kinds ? new Set(filter.kinds) : undefined;
  const channel = filter.channel !== undefined && filter.channel !== '' ? filter.channel : undefined;
  const hideControl = !!filter.hideControl;
  const anomaliesOnly = !!filter.anomaliesOnly;
  const framesVisible = !anomaliesOnly && (!kinds || kinds.has('frame'));
  const matchesAll = !text && allowIn && allowOut && !kinds && !channel && !hideControl && !anomaliesOnly;

  const matchesFrame = (dirOut: boolean, control: boolean, data: string, ch: string | undefined, meta: Record<string, unknown> | undefined): boolean => {
    if (!framesVisible) return false;
    if (dirOut ? !allowOut : !allowIn) return false;
    if (hideControl && control) return false;
    if (channel !== undefined && ch !== channel) return false;
    if (!text) return true;
    return text(data) || (ch !== undefined && text(ch)) || (meta !== undefined && headerValuesMatch(meta, text));
  };

  const matches = (e: WireEvent): boolean => {
    if (e.kind === 'frame') return matchesFrame(e.dir === 'out', e.meta?.control === true, e.data, e.channel, e.meta);
    if (anomaliesOnly && e.kind !== 'anomaly') return false;
    if (kinds && !kinds.has(e.kind)) return false;
    return !text || otherTextMatches(e, text);
  };

  return {
    filter,
    matchesAll,
    needsData: text !== undefined,
    matches,
    matchesFrame,
    matchesText: (s) => !text || text(s),
  };
}
