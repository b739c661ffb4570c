/**
 * The pattern race's result: the same feed over several sessions on one clock, measured.
 * Shared by the engine (src/core/compare), the CLI, the host and the report webview.
 * The JSON the CLI prints (`--format json`) is `toJsonReport(result)`; see docs/compare.md.
 */
import type { PatternId } from './connectOptions';

export type Direction = 'push' | 'pull' | 'both';

/** Which way messages flow in a pattern: a property of the pattern, not a measurement. */
export const PATTERN_DIRECTION: Record<PatternId, Direction> = {
  http: 'pull',
  ws: 'both',
  sse: 'push',
  poll: 'pull',
  'long-poll': 'pull',
  stream: 'push',
  mqtt: 'both',
  webhook: 'push',
  async: 'pull',
  // The capture proxy carries whatever the app's own traffic is.
  proxy: 'both',
  tcp: 'both',
  udp: 'both',
  socketio: 'both',
  redis: 'both',
  smtp: 'both',
  nats: 'both',
  imap: 'both',
  // A call: unary is request-response, streams push; the composer adds client messages.
  grpc: 'both',
  // Queries are request-response; subscriptions push results.
  graphql: 'both',
  kafka: 'both',
  amqp: 'both',
};

export interface LatencyStats {
  p50: number;
  p95: number;
  max: number;
}

/** What a cut (`--fault cut@ms`) cost one session. */
export interface CutRecovery {
  /** Cut to the arrival of the first message published after it. */
  recoveryMs: number | null;
  /** Feed ids published between the last message received before the cut and the first message published after it that this session never received. */
  lost: number | null;
  /** Ids received after the cut that had already been received before it (replays). */
  doubled: number | null;
  /** Connections the proxy dropped for this session. */
  connectionsCut: number;
}

/** One session's line of the table. Numbers are measured; a null comes with its reason in `notes`. */
export interface SessionResult {
  name: string;
  pattern: PatternId;
  /** Data messages that carried an id (one frame may carry several, e.g. a long-poll batch). */
  received: number;
  unique: number;
  duplicates: number;
  /** Ids other sessions received inside this session's live window that this one never received. */
  missed: number;
  latencyMs: LatencyStats | null;
  requests: number | null;
  connections: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  bytesPerMessage: number | null;
  requestsPerMessage: number | null;
  reconnects: number;
  direction: Direction;
  /** Why a value is null (field name -> one line). */
  notes: Record<string, string>;
  /** How the session ended (closed, failed) and why, when it was not the race's end. */
  ended: { state: string; reason?: string };
  /** Live window on the race clock: first contact with the server to the end. */
  window: { fromMs: number | null; toMs: number };
  /** Data frames whose id could not be read. */
  unidentified: number;
  /** Messages published before the race began (history replays, a poll's first answer): not counted above. */
  beforeStart: number;
  /** This session's own id field, when it is not the race's (`RaceResult.idField`). */
  idField?: string;
  /** This session's own publish-time field, when it is not the race's. */
  timestampField?: string;
  fault?: CutRecovery;
}

/** One message arrival, for the report's timeline and distributions (race clock, ms). */
export interface Arrival {
  id: string;
  /** Received at. */
  t: number;
  /** Publish time on the race clock (from the timestamp field), when known. */
  pub: number | null;
  /** Not the first time this session received the id. */
  dup: boolean;
}

export interface FeedSummary {
  /** Distinct ids seen by any session inside the race window. */
  ids: number;
  firstId: string | number | null;
  lastId: string | number | null;
}

export interface RaceResult {
  sessions: SessionResult[];
  feed: FeedSummary;
  durationMs: number;
  /** Race start, epoch ms. */
  startedAt: number;
  idField: string;
  timestampField: string | null;
  fault: { type: 'cut'; atMs: number } | null;
  /** Per session (same order): arrivals, capped (see `arrivalsTruncated`). */
  arrivals: Arrival[][];
  arrivalsTruncated: boolean;
  /** Ids per session that others received in its window and it never did (capped), for the timeline. */
  missedIds: Array<Array<{ id: string; pub: number | null }>>;
}

/** The CLI's `--format json` shape (the issue's, plus `notes`, `fault` and the run's settings). */
export function toJsonReport(r: RaceResult): Record<string, unknown> {
  return {
    sessions: r.sessions.map((s) => ({
      name: s.name,
      pattern: s.pattern,
      received: s.received,
      unique: s.unique,
      duplicates: s.duplicates,
      missed: s.missed,
      latencyMs: s.latencyMs,
      requests: s.requests,
      connections: s.connections,
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      bytesPerMessage: s.bytesPerMessage,
      requestsPerMessage: s.requestsPerMessage,
      reconnects: s.reconnects,
      direction: s.direction,
      ...(Object.keys(s.notes).length > 0 ? { notes: s.notes } : {}),
      ...(s.fault ? { fault: s.fault } : {}),
      ended: s.ended,
      unidentified: s.unidentified,
      beforeStart: s.beforeStart,
      ...(s.idField !== undefined ? { idField: s.idField } : {}),
      ...(s.timestampField !== undefined ? { timestampField: s.timestampField } : {}),
    })),
    feed: r.feed,
    durationMs: r.durationMs,
    idField: r.idField,
    timestampField: r.timestampField,
    ...(r.fault ? { fault: r.fault } : {}),
  };
}
