/**
 * Sequence checks (`idField`) for a capture proxy session. One proxy carries many streams at once,
 * so each stream is checked on its own: a stream is a route (`GET /sse` on one target), and a new
 * connection to a route whose previous stream has ended continues that route's check as a
 * reconnect, so the app's own reconnect logic is accounted (replayed, missing) like Wirescope's.
 * Two streams of one route open at the same time are checked apart (`/sse#2`).
 *
 * Checked frames: SSE events, NDJSON lines and WebSocket data messages going to the client
 * (`in`); plain HTTP responses and control frames are not messages of a stream.
 */
import type { AnomalyType, EventBody, WireEvent } from '../../shared/events';
import { SequenceCheck, type AnomalySink } from '../sequenceCheck';

interface Stream {
  key: string;
  check: SequenceCheck;
}

export class ProxySequenceCheck {
  readonly idField: string;
  /** Checks per route key, kept for the whole session (bounded by MAX_ROUTES). */
  private readonly checks = new Map<string, SequenceCheck>();
  /** Live exchanges: exchange number -> its stream. */
  private readonly live = new Map<number, Stream>();
  /** Route keys in use by a live exchange. */
  private readonly busy = new Set<string>();
  private reconnects = 0;
  private static readonly MAX_ROUTES = 500;

  constructor(idField: string) {
    this.idField = idField.trim();
    // Validate now, like SequenceCheck, so a bad field fails the session before it listens.
    new SequenceCheck(idField);
  }

  onEvent(e: WireEvent, session: AnomalySink): void {
    if (e.kind === 'timing') {
      const ex = e.meta?.exchange;
      if (typeof ex === 'number' && (e.meta?.connectionClosed || e.meta?.stream)) this.endExchange(ex);
      return;
    }
    if (e.kind !== 'frame' || e.dir !== 'in') return;
    const meta = e.meta;
    const ex = meta?.exchange;
    if (typeof ex !== 'number') return;
    // The head of a stream (SSE/NDJSON response, WebSocket 101) opens the exchange's stream.
    if (meta?.control === true) {
      const status = meta.status;
      if (typeof status === 'number' && (meta.stream === 'sse' || meta.stream === 'ndjson' || status === 101)) this.openExchange(ex, e, session);
      return;
    }
    const stream = this.live.get(ex);
    if (!stream) return;
    const wrapped: AnomalySink = {
      emitExtra: (body: EventBody) => {
        const b = body as { meta?: Record<string, unknown> };
        session.emitExtra({ ...body, meta: { ...(b.meta ?? {}), conn: meta?.conn, exchange: ex, stream: stream.key } } as EventBody);
      },
    };
    stream.check.onEvent(e, wrapped);
  }

  private openExchange(ex: number, e: Extract<WireEvent, { kind: 'frame' }>, session: AnomalySink): void {
    const route = typeof e.meta?.path === 'string' ? e.meta.path : routeOf(e);
    let key = route;
    for (let n = 2; this.busy.has(key); n++) key = `${route}#${n}`;
    let check = this.checks.get(key);
    if (check) {
      // The same route again after its stream ended: the client reconnected.
      this.reconnects++;
      check.onEvent({ seq: e.seq, t: e.t, ts: e.ts, kind: 'reconnect', attempt: this.reconnects, delayMs: 0, cause: `client reconnected to ${key}` }, session);
    } else {
      if (this.checks.size >= ProxySequenceCheck.MAX_ROUTES) return;
      check = new SequenceCheck(this.idField);
      this.checks.set(key, check);
    }
    this.busy.add(key);
    this.live.set(ex, { key, check });
  }

  private endExchange(ex: number): void {
    const s = this.live.get(ex);
    if (!s) return;
    this.live.delete(ex);
    this.busy.delete(s.key);
  }

  summary(): Record<string, unknown> {
    const anomalies: Record<AnomalyType, number> = { duplicate: 0, gap: 0, 'out-of-order': 0 };
    let checked = 0;
    let unidentified = 0;
    const streams: Record<string, unknown> = {};
    for (const [key, c] of this.checks) {
      const s = c.summary() as { anomalies: Record<AnomalyType, number>; idCheck: { checked: number; unidentified: number } };
      for (const t of Object.keys(anomalies) as AnomalyType[]) anomalies[t] += s.anomalies[t];
      checked += s.idCheck.checked;
      unidentified += s.idCheck.unidentified;
      streams[key] = { anomalies: s.anomalies, ...s.idCheck };
    }
    return { anomalies, idCheck: { field: this.idField, checked, unidentified, streams } };
  }
}

function routeOf(e: Extract<WireEvent, { kind: 'frame' }>): string {
  return typeof e.meta?.conn === 'string' ? e.meta.conn : 'stream';
}
