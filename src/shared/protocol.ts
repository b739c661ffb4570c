/**
 * The one typed message protocol between the extension host and the inspector webview.
 * Both sides import this file. The host owns the log; the webview is a viewport that asks
 * for row ranges and gets batched notifications. The host validates every incoming message.
 *
 * Envelopes:
 *   webview -> host  {type:'req', id, method, params}   answered by {type:'res', id, ok, result|error}
 *   webview -> host  {type:'cmd', method, params}       fire-and-forget
 *   host -> webview  {type:'note', method, params}      notifications (batched, 16-50 ms)
 */
import type { ActivitySnapshot } from './activity';
import type { PatternId } from './connectOptions';
import type { EventKind, SessionState, WireEvent } from './events';

// ---------- descriptors ----------
export interface RequestType<P, R> {
  readonly kind: 'req';
  readonly method: string;
  /** Phantom fields carry the types; never set at run time. */
  readonly _params?: P;
  readonly _result?: R;
}
export interface CommandType<P> {
  readonly kind: 'cmd';
  readonly method: string;
  readonly _params?: P;
}
export interface NotificationType<P> {
  readonly kind: 'note';
  readonly method: string;
  readonly _params?: P;
}
const req = <P, R>(method: string): RequestType<P, R> => ({ kind: 'req', method });
const cmd = <P>(method: string): CommandType<P> => ({ kind: 'cmd', method });
const note = <P>(method: string): NotificationType<P> => ({ kind: 'note', method });

export type ParamsOf<T> = T extends { _params?: infer P } ? P : never;
export type ResultOf<T> = T extends RequestType<unknown, infer R> ? R : never;

// ---------- shared models ----------
export interface SessionInfo {
  id: string;
  name: string;
  pattern: PatternId;
  url: string;
  state: SessionState | 'idle';
  /** Epoch ms. */
  startedAt: number;
  ended: boolean;
  canSend: boolean;
  canPing: boolean;
  canReconnect: boolean;
  profileId?: string;
  /**
   * How an ended session ended: `ok` (completed, closed normally or by the user), `failed`
   * (could not connect, gave up, error), `dropped` (the connection was lost and not retried).
   */
  outcome?: 'ok' | 'failed' | 'dropped';
  /** The one-line reason of the last state change (why it ended, for an ended session). */
  reason?: string;
  /** Brought back from before a window reload: its log is what was saved; Reconnect starts it anew. */
  restored?: boolean;
  /** Saved send templates of the session's profile. */
  templates?: Array<{ name: string; data: string; encoding?: PayloadInputEncoding }>;
  /** Events a test run marked: failing expectations point at them (seq numbers), with what failed. */
  marked?: { seqs: number[]; note: string };
}

export interface LogFilter {
  /** Directions to show (frames only); empty or missing = both. */
  dirs?: Array<'in' | 'out'>;
  /** Event kinds to show; missing = all. */
  kinds?: EventKind[];
  /** Exact channel (event type / topic) to show. */
  channel?: string;
  /** Text to search in payloads, channels, reasons and messages. */
  text?: string;
  /** Treat `text` as a regular expression. */
  regex?: boolean;
  /** Hide control frames (ping/pong/close, MQTT acks). */
  hideControl?: boolean;
  /** Only anomaly events. */
  anomaliesOnly?: boolean;
}

/** Live figures for a session, sent with every append notification. */
export interface LogStats {
  /** Events in the log (retained in memory). */
  events: number;
  /** Older events dropped from memory by the cap. */
  dropped: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  reconnects: number;
  anomalies: number;
  /** Over the last second. */
  msgsPerSec: number;
  bytesPerSec: number;
  /** Time between the last two inbound frames, ms. */
  interArrivalMs: number | null;
}

export type PayloadInputEncoding = 'text' | 'hex' | 'base64';

// ---------- webview -> host ----------
export const Ready = req<Record<string, never>, { sessions: SessionInfo[]; selected?: string; theme?: string }>('webview/ready');
/**
 * Set the filter for a session's view; the host answers with the filtered row count. With
 * `keepSeq` (the event the detail pane shows) it also says where that event is in the new view
 * (`keepIndex`, -1 when the filter hides it).
 */
export const SetFilter = req<{ sessionId: string; filter: LogFilter; keepSeq?: number }, { filterId: number; total: number; keepIndex?: number }>('log/setFilter');
/** The activity strip's aggregates (rates, state bands, markers, latency), asked about once a second. */
export const GetActivity = req<{ sessionId: string }, { activity: ActivitySnapshot | null }>('session/getActivity');
/** Where the first event with a seq >= `seq` is in the current view (-1: none), to jump there. */
export const LocateSeq = req<{ sessionId: string; filterId: number; seq: number }, { filterId: number; index: number }>('log/locateSeq');
/** Ask for rows [start, start+count) of the filtered view. */
export const GetRows = req<
  { sessionId: string; filterId: number; start: number; count: number },
  { filterId: number; total: number; start: number; rows: WireEvent[] }
>('log/getRows');
/** One event in full (for the detail pane). */
export const GetEvent = req<{ sessionId: string; seq: number }, { event: WireEvent | null }>('log/getEvent');
/** The events that tell the connection story: state, reconnect, timing, error, anomaly. */
export const GetTimeline = req<{ sessionId: string }, { events: WireEvent[] }>('log/getTimeline');
export const Send = req<{ sessionId: string; data: string; encoding: PayloadInputEncoding; channel?: string; options?: Record<string, unknown> }, { ok: true }>('session/send');
export const Ping = cmd<{ sessionId: string }>('session/ping');
export const Disconnect = cmd<{ sessionId: string }>('session/disconnect');
export const Reconnect = cmd<{ sessionId: string }>('session/reconnect');
export const ClearLog = cmd<{ sessionId: string }>('log/clear');
export const ExportLog = cmd<{ sessionId: string; format: 'ndjson' | 'har' }>('log/export');
export const SelectSession = cmd<{ sessionId: string }>('session/select');
export const CopyText = cmd<{ text: string }>('clipboard/copy');
/** Add a `receive` expectation that this inbound frame meets to the session's workspace profile. */
export const AddExpectation = cmd<{ sessionId: string; seq: number }>('profile/addExpectation');
/** Open an event's whole payload (as the log keeps it) in a read-only editor tab. */
export const OpenPayload = cmd<{ sessionId: string; seq: number }>('log/openPayload');
/** Capture proxy: a fault on one live connection of the session ("Cut this connection"). */
export const ProxyFault = cmd<{ sessionId: string; conn: string; fault: 'cut' | 'stall' | 'resume' }>('proxy/fault');
export const SaveTemplate = cmd<{ sessionId: string; name: string; data: string; encoding: PayloadInputEncoding }>('profile/saveTemplate');

// ---------- host -> webview ----------
export const DidChangeSessions = note<{ sessions: SessionInfo[]; selected?: string }>('sessions/didChange');
/** New events arrived (batched): the new filtered total, fresh stats and the newest rows for a pinned view. */
export const DidAppend = note<{ sessionId: string; filterId: number; total: number; stats: LogStats; tail: WireEvent[] }>('log/didAppend');
/** The log was cleared or reset: the webview drops what it has and asks again. */
export const DidReset = note<{ sessionId: string }>('log/didReset');
/** A one-line message for the user (errors, export done). */
export const DidNotify = note<{ level: 'info' | 'warning' | 'error'; message: string }>('ui/didNotify');

// ---------- envelopes ----------
export type WebviewMessage =
  | { type: 'req'; id: number; method: string; params: unknown }
  | { type: 'cmd'; method: string; params: unknown };
export type HostMessage =
  | { type: 'res'; id: number; ok: true; result: unknown }
  | { type: 'res'; id: number; ok: false; error: string }
  | { type: 'note'; method: string; params: unknown };

// ---------- validation (host side; the webview is not trusted) ----------
type Check = (p: Record<string, unknown>) => string | undefined;
const str = (k: string, max = 10_000_000): Check => (p) => (typeof p[k] === 'string' && (p[k] as string).length <= max ? undefined : `${k} must be a string`);
const optStr = (k: string): Check => (p) => (p[k] === undefined || typeof p[k] === 'string' ? undefined : `${k} must be a string`);
const int = (k: string, min = 0, max = Number.MAX_SAFE_INTEGER): Check => (p) =>
  Number.isInteger(p[k]) && (p[k] as number) >= min && (p[k] as number) <= max ? undefined : `${k} must be an integer in [${min}, ${max}]`;
const oneOf = (k: string, values: readonly string[]): Check => (p) => (values.includes(p[k] as string) ? undefined : `${k} must be one of ${values.join(', ')}`);
const optInt = (k: string): Check => (p) => (p[k] === undefined || (Number.isInteger(p[k]) && (p[k] as number) >= 0) ? undefined : `${k} must be a non-negative integer`);
const obj = (k: string): Check => (p) => (p[k] && typeof p[k] === 'object' && !Array.isArray(p[k]) ? undefined : `${k} must be an object`);
const optObj = (k: string): Check => (p) => (p[k] === undefined || (p[k] && typeof p[k] === 'object' && !Array.isArray(p[k])) ? undefined : `${k} must be an object`);

const sid = str('sessionId', 100);
const schemas: Record<string, Check[]> = {
  [Ready.method]: [],
  [SetFilter.method]: [sid, obj('filter'), optInt('keepSeq')],
  [LocateSeq.method]: [sid, int('filterId'), int('seq')],
  [GetActivity.method]: [sid],
  [GetRows.method]: [sid, int('filterId'), int('start'), int('count', 0, 5000)],
  [GetEvent.method]: [sid, int('seq', 1)],
  [GetTimeline.method]: [sid],
  [Send.method]: [sid, str('data', 64 * 1024 * 1024), oneOf('encoding', ['text', 'hex', 'base64']), optStr('channel'), optObj('options')],
  [Ping.method]: [sid],
  [Disconnect.method]: [sid],
  [Reconnect.method]: [sid],
  [ClearLog.method]: [sid],
  [ExportLog.method]: [sid, oneOf('format', ['ndjson', 'har'])],
  [SelectSession.method]: [sid],
  [CopyText.method]: [str('text', 64 * 1024 * 1024)],
  [AddExpectation.method]: [sid, int('seq', 1)],
  [OpenPayload.method]: [sid, int('seq', 1)],
  [ProxyFault.method]: [sid, str('conn', 40), oneOf('fault', ['cut', 'stall', 'resume'])],
  [SaveTemplate.method]: [sid, str('name', 200), str('data', 1024 * 1024), oneOf('encoding', ['text', 'hex', 'base64'])],
};

const FILTER_KEYS = new Set(['dirs', 'kinds', 'channel', 'text', 'regex', 'hideControl', 'anomaliesOnly']);

/** Validate a LogFilter from the webview; returns a problem or undefined. */
export function checkFilter(f: Record<string, unknown>): string | undefined {
  for (const k of Object.keys(f)) if (!FILTER_KEYS.has(k)) return `unknown filter field ${k}`;
  if (f.dirs !== undefined && (!Array.isArray(f.dirs) || f.dirs.some((d) => d !== 'in' && d !== 'out'))) return 'dirs must be in/out';
  if (f.kinds !== undefined && (!Array.isArray(f.kinds) || f.kinds.some((k) => typeof k !== 'string'))) return 'kinds must be strings';
  for (const k of ['channel', 'text'] as const) if (f[k] !== undefined && typeof f[k] !== 'string') return `${k} must be a string`;
  for (const k of ['regex', 'hideControl', 'anomaliesOnly'] as const) if (f[k] !== undefined && typeof f[k] !== 'boolean') return `${k} must be a boolean`;
  if (typeof f.text === 'string' && f.text.length > 1000) return 'text is too long';
  return undefined;
}

/**
 * Validate a message from the webview. Returns the message when well-formed, or a one-line problem.
 * Unknown methods, wrong envelope shapes and wrong parameter types are all rejected.
 */
export function validateWebviewMessage(m: unknown): { ok: true; msg: WebviewMessage } | { ok: false; error: string } {
  if (!m || typeof m !== 'object') return { ok: false, error: 'message is not an object' };
  const o = m as Record<string, unknown>;
  if (o.type !== 'req' && o.type !== 'cmd') return { ok: false, error: 'unknown message type' };
  if (typeof o.method !== 'string' || !(o.method in schemas)) return { ok: false, error: `unknown method ${String(o.method)}` };
  if (o.type === 'req' && !Number.isInteger(o.id)) return { ok: false, error: 'request without id' };
  const params = (o.params ?? {}) as Record<string, unknown>;
  if (typeof params !== 'object' || Array.isArray(params)) return { ok: false, error: 'params must be an object' };
  for (const check of schemas[o.method]) {
    const problem = check(params);
    if (problem) return { ok: false, error: `${o.method}: ${problem}` };
  }
  if (o.method === SetFilter.method) {
    const problem = checkFilter(params.filter as Record<string, unknown>);
    if (problem) return { ok: false, error: `${o.method}: ${problem}` };
  }
  return { ok: true, msg: { ...(o as object), params } as WebviewMessage };
}
