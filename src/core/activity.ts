/**
 * Live aggregates of one session for the inspector's activity strip: messages and bytes per
 * second in and out over the whole session (fixed-count buckets that double their width as the
 * session grows), the connection state over time as bands, reconnect/anomaly/error markers, and
 * request latencies (p50, p95, a small histogram). Fed once per event in O(1); the webview asks
 * for a snapshot about once a second, never once per event. Pure: no vscode, no DOM.
 */
import type { ActivitySnapshot, BandState } from '../shared/activity';
import type { WireEvent } from '../shared/events';

export type { ActivitySnapshot, BandState } from '../shared/activity';

/** Buckets kept; when the session outgrows them, neighbours merge and the width doubles. */
export const ACTIVITY_BUCKETS = 240;
const FIRST_WIDTH_MS = 250;
const MAX_MARKERS = 400;
const MAX_BANDS = 400;
/** Latency samples kept (the newest); percentiles are over these. */
const MAX_LATENCIES = 2000;
const HISTOGRAM_BINS = 12;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function bandOf(state: string): BandState | undefined {
  switch (state) {
    case 'open': return 'connected';
    case 'connecting': return 'connecting';
    case 'reconnecting': return 'reconnecting';
    case 'closed':
    case 'failed': return 'down';
    default: return undefined;
  }
}

export class ActivityTracker {
  private width = FIRST_WIDTH_MS;
  private msgsIn = new Float64Array(ACTIVITY_BUCKETS);
  private msgsOut = new Float64Array(ACTIVITY_BUCKETS);
  private bytesIn = new Float64Array(ACTIVITY_BUCKETS);
  private bytesOut = new Float64Array(ACTIVITY_BUCKETS);
  private firstSeq = new Float64Array(ACTIVITY_BUCKETS);
  private lastT = 0;
  private bands: Array<{ from: number; to: number; state: BandState; seq: number }> = [];
  private markers: Array<{ t: number; seq: number; kind: 'reconnect' | 'anomaly' | 'error' }> = [];
  private latencies: number[] = [];
  private latencyNext = 0;
  private latencyCount = 0;

  /** Take one event into the aggregates. */
  add(e: WireEvent): void {
    const t = e.t > 0 && Number.isFinite(e.t) ? e.t : 0;
    if (t > this.lastT) this.lastT = t;
    let b = Math.floor(t / this.width);
    while (b >= ACTIVITY_BUCKETS) {
      this.widen();
      b = Math.floor(t / this.width);
    }
    if (this.firstSeq[b] === 0) this.firstSeq[b] = e.seq;
    switch (e.kind) {
      case 'frame':
        if (e.dir === 'in') {
          this.msgsIn[b]++;
          this.bytesIn[b] += e.size;
        } else {
          this.msgsOut[b]++;
          this.bytesOut[b] += e.size;
        }
        return;
      case 'state': {
        const state = bandOf(e.state);
        if (!state) return;
        const last = this.bands[this.bands.length - 1];
        if (last && last.state === state) return;
        if (last) last.to = t;
        this.bands.push({ from: t, to: t, state, seq: e.seq });
        if (this.bands.length > MAX_BANDS) this.bands.splice(0, this.bands.length - MAX_BANDS);
        return;
      }
      case 'reconnect':
      case 'anomaly':
      case 'error':
        this.markers.push({ t, seq: e.seq, kind: e.kind });
        if (this.markers.length > MAX_MARKERS) this.markers.splice(0, this.markers.length - MAX_MARKERS);
        return;
      case 'timing': {
        const total = e.phases.total;
        if (typeof total !== 'number' || !Number.isFinite(total) || e.meta?.handshake) return;
        // A ring of the newest samples: percentiles follow the recent behaviour.
        if (this.latencies.length < MAX_LATENCIES) this.latencies.push(total);
        else this.latencies[this.latencyNext] = total;
        this.latencyNext = (this.latencyNext + 1) % MAX_LATENCIES;
        this.latencyCount++;
        return;
      }
      default:
        return;
    }
  }

  /** Forget everything (the log was cleared). */
  reset(): void {
    this.width = FIRST_WIDTH_MS;
    for (const a of [this.msgsIn, this.msgsOut, this.bytesIn, this.bytesOut, this.firstSeq]) a.fill(0);
    this.lastT = 0;
    this.bands = [];
    this.markers = [];
    this.latencies = [];
    this.latencyNext = 0;
    this.latencyCount = 0;
  }

  private widen(): void {
    const half = ACTIVITY_BUCKETS / 2;
    for (const a of [this.msgsIn, this.msgsOut, this.bytesIn, this.bytesOut]) {
      for (let i = 0; i < half; i++) a[i] = a[2 * i] + a[2 * i + 1];
      a.fill(0, half);
    }
    const f = this.firstSeq;
    for (let i = 0; i < half; i++) f[i] = f[2 * i] || f[2 * i + 1];
    f.fill(0, half);
    this.width *= 2;
  }

  /** The aggregates as of `nowT` (session ms; the open band and the last bucket reach it). */
  snapshot(nowT = this.lastT, withLatency = true): ActivitySnapshot {
    const end = Math.max(nowT, this.lastT);
    const used = Math.min(ACTIVITY_BUCKETS, Math.floor(end / this.width) + 1);
    // Per second, to a thousandth: a poll a second must not round to nothing.
    const per = (a: Float64Array) => Array.from(a.subarray(0, used), (v) => Math.round((v * 1_000_000) / this.width) / 1000);
    const bands = this.bands.map((b) => ({ ...b }));
    const open = bands[bands.length - 1];
    if (open && open.state !== 'down') open.to = end;
    else if (open) open.to = Math.max(open.to, open.from);
    const snap: ActivitySnapshot = {
      durationMs: end,
      bucketMs: this.width,
      msgsIn: per(this.msgsIn),
      msgsOut: per(this.msgsOut),
      bytesIn: per(this.bytesIn),
      bytesOut: per(this.bytesOut),
      firstSeq: Array.from(this.firstSeq.subarray(0, used)),
      bands,
      markers: this.markers.slice(),
    };
    if (withLatency && this.latencies.length > 0) {
      const sorted = [...this.latencies].sort((a, b) => a - b);
      const max = sorted[sorted.length - 1];
      const step = Math.max(1e-6, max / HISTOGRAM_BINS);
      const histogram = Array.from({ length: HISTOGRAM_BINS }, (_, i) => ({ upTo: (i + 1) * step, count: 0 }));
      for (const v of sorted) histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor(v / step))].count++;
      snap.latency = { count: this.latencyCount, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max, histogram };
    }
    return snap;
  }
}
