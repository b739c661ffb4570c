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
import type { GraphqlCompletion } from './graphqlCompletion';
import { byMethod, checkParams, clip, cmd, int, note, objectOf, oneOf, opt, record, req, str } from './typedProtocol';
export type { CommandType, NotificationType, ParamsOf, RequestType, ResultOf } from './typedProtocol';

// ---------- descriptors ----------
// Descriptors carry their types and validators (src/shared/typedProtocol.ts): the webview sends
// with them, the host validates with them and answers through a handler map typed by them.

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
  /** The sending side can be ended while reading goes on (gRPC client and bidi streams). */
  canHalfClose?: boolean;
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
const sessionId = str(100);
const encoding = oneOf(['text', 'hex', 'base64'] as const);
const seq = int(1);

export const Ready = req<Record<string, never>, { sessions: SessionInfo[]; selected?: string; theme?: string }>('webview/ready', {});
/**
 * Set the filter for a session's view; the host answers with the filtered row count. With
 * `keepSeq` (the event the detail pane shows) it also says where that event is in the new view
 * (`keepIndex`, -1 when the filter hides it).
 */
export const SetFilter = req<{ sessionId: string; filter: LogFilter; keepSeq?: number }, { filterId: number; total: number; keepIndex?: number }>('log/setFilter', {
  sessionId,
  filter: objectOf<LogFilter>(checkFilter),
  keepSeq: opt(int()),
});
/** The activity strip's aggregates (rates, state bands, markers, latency), asked about once a second. */
export const GetActivity = req<{ sessionId: string }, { activity: ActivitySnapshot | null }>('session/getActivity', { sessionId });
/** Where the first event with a seq >= `seq` is in the current view (-1: none), to jump there. */
export const LocateSeq = req<{ sessionId: string; filterId: number; seq: number }, { filterId: number; index: number }>('log/locateSeq', {
  sessionId,
  filterId: int(),
  seq: int(),
});
/** Ask for rows [start, start+count) of the filtered view. */
export const GetRows = req<
  { sessionId: string; filterId: number; start: number; count: number },
  { filterId: number; total: number; start: number; rows: WireEvent[] }
>('log/getRows', { sessionId, filterId: int(), start: int(), count: int(0, 5000) });
/** One event in full (for the detail pane). */
export const GetEvent = req<{ sessionId: string; seq: number }, { event: WireEvent | null }>('log/getEvent', { sessionId, seq });
/** The events that tell the connection story: state, reconnect, timing, error, anomaly. */
export const GetTimeline = req<{ sessionId: string }, { events: WireEvent[] }>('log/getTimeline', { sessionId });
export const Send = req<{ sessionId: string; data: string; encoding: PayloadInputEncoding; channel?: string; options?: Record<string, unknown> }, { ok: true }>('session/send', {
  sessionId,
  data: str(64 * 1024 * 1024),
  encoding,
  channel: opt(str()),
  options: opt(record()),
});
export const Ping = cmd<{ sessionId: string }>('session/ping', { sessionId });
/** End the session's sending side (half-close) and keep reading. */
export const HalfClose = cmd<{ sessionId: string }>('session/halfClose', { sessionId });
export const Disconnect = cmd<{ sessionId: string }>('session/disconnect', { sessionId });
export const Reconnect = cmd<{ sessionId: string }>('session/reconnect', { sessionId });
export const ClearLog = cmd<{ sessionId: string }>('log/clear', { sessionId });
export const ExportLog = cmd<{ sessionId: string; format: 'ndjson' | 'har' }>('log/export', { sessionId, format: oneOf(['ndjson', 'har'] as const) });
export const SelectSession = cmd<{ sessionId: string }>('session/select', { sessionId });
export const CopyText = cmd<{ text: string }>('clipboard/copy', { text: str(64 * 1024 * 1024) });
/** Add a `receive` expectation that this inbound frame meets to the session's workspace profile. */
export const AddExpectation = cmd<{ sessionId: string; seq: number }>('profile/addExpectation', { sessionId, seq });
/** Open an event's whole payload (as the log keeps it) in a read-only editor tab. */
export const OpenPayload = cmd<{ sessionId: string; seq: number }>('log/openPayload', { sessionId, seq });
/** Capture proxy: a fault on one live connection of the session ("Cut this connection"). */
export const ProxyFault = cmd<{ sessionId: string; conn: string; fault: 'cut' | 'stall' | 'resume' }>('proxy/fault', {
  sessionId,
  conn: str(40),
  fault: oneOf(['cut', 'stall', 'resume'] as const),
});
export const SaveTemplate = cmd<{ sessionId: string; name: string; data: string; encoding: PayloadInputEncoding }>('profile/saveTemplate', {
  sessionId,
  name: str(200),
  data: str(1024 * 1024),
  encoding,
});
/**
 * GraphQL: the root fields of the session's server (an introspection the host runs once per session), for the
 * composer's completions; `error` is the one line saying why there are none (introspection disabled, say).
 */
export const GetGraphqlFields = req<{ sessionId: string }, { fields: GraphqlCompletion[]; error?: string }>('session/graphqlFields', { sessionId });

/** Everything the webview may send the host: the host's handler map must cover exactly this set. */
export const WebviewToHost = {
  Ready,
  SetFilter,
  GetActivity,
  LocateSeq,
  GetRows,
  GetEvent,
  GetTimeline,
  Send,
  Ping,
  HalfClose,
  Disconnect,
  Reconnect,
  ClearLog,
  ExportLog,
  SelectSession,
  CopyText,
  AddExpectation,
  OpenPayload,
  ProxyFault,
  SaveTemplate,
  GetGraphqlFields,
} as const;

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
const INCOMING = byMethod(WebviewToHost);

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
 * Validate a message from the webview against the descriptors of {@link WebviewToHost}. Returns the
 * message when well-formed, or a one-line problem. Unknown methods, wrong envelope shapes (a request
 * sent as a command or the reverse included) and wrong parameter types are all rejected.
 */
export function validateWebviewMessage(m: unknown): { ok: true; msg: WebviewMessage } | { ok: false; error: string } {
  if (!m || typeof m !== 'object') return { ok: false, error: 'message is not an object' };
  const o = m as Record<string, unknown>;
  if (o.type !== 'req' && o.type !== 'cmd') return { ok: false, error: 'unknown message type' };
  const descriptor = typeof o.method === 'string' ? INCOMING.get(o.method) : undefined;
  if (!descriptor) return { ok: false, error: `unknown method ${clip(String(o.method))}` };
  if (o.type === 'req' && !Number.isInteger(o.id)) return { ok: false, error: 'request without id' };
  if (o.type !== descriptor.kind) return { ok: false, error: `${descriptor.method} is a ${descriptor.kind === 'req' ? 'request' : 'command'}, not a ${o.type === 'req' ? 'request' : 'command'}` };
  const params = (o.params ?? {}) as Record<string, unknown>;
  if (typeof params !== 'object' || Array.isArray(params)) return { ok: false, error: 'params must be an object' };
  const problem = checkParams(descriptor, params);
  if (problem) return { ok: false, error: `${descriptor.method}: ${problem}` };
  return { ok: true, msg: { ...(o as object), params } as WebviewMessage };
}
