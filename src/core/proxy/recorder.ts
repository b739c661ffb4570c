import { performance } from 'node:perf_hooks';
import { describeError } from '../errors';
import type { EventBody, SessionState, TimingPhases } from '../../shared/events';
import type { FrameOptions, TransportSink } from '../transport';

/** How far recording may fall behind forwarding, in estimated bytes, before forwarding waits for it. */
export const RECORDING_BACKLOG_BYTES = 64 * 1024 * 1024;
/**
 * Recording per turn of the event loop while traffic flows (reports arrived since the last slice): short,
 * so forwarding keeps most of the thread and a burst passes at the relay's pace, recorded right after it.
 */
const SLICE_BUSY_MS = 0.25;
/** Recording per turn once the wire is quiet (nothing arrived since the last slice): catching up. */
const SLICE_QUIET_MS = 4;
/**
 * Added to either as the backlog nears its cap, by the square of how full it is (1 ms at a quarter, 4 ms at half,
 * 16 at the cap): a burst is left to pass, and a flood the recording cannot follow settles on a longer slice
 * well before forwarding has to wait.
 */
const SLICE_PRESSURE_MS = 16;
/** Payload bytes recorded between two looks at the clock (one report may decode a whole socket read). */
const CLOCK_EVERY_BYTES = 8 * 1024;
/** What a queued report costs beyond its payload (event object, meta, closure): an estimate for the cap. */
const REPORT_OVERHEAD = 256;

interface Report {
  /** Session time at which the proxy saw what the report describes. */
  t: number;
  bytes: number;
  run: () => void;
}

/** What the recorder tells the summary: how far behind it fell, and whether forwarding ever waited. */
export interface RecorderStats {
  /** Most reports waiting at once. */
  maxBacklog: number;
  /** Longest wait between seeing traffic and recording it, ms. */
  maxLagMs: number;
  /** Times the backlog reached its cap and forwarding waited until recording caught up to half of it. */
  stalls: number;
}

/**
 * The capture proxy's sink, placed between its forwarding code and the session: every report is queued
 * with the session time at which the proxy saw the traffic, and recorded (event stamped, log appended,
 * NDJSON printed) in slices once the event loop has forwarded what was waiting: short ones while traffic
 * keeps arriving, longer ones when the wire is quiet or the backlog fills. So recording never delays a
 * byte on its way, and a burst faster than the recording passes at forwarding speed and is recorded in
 * full a little later, with the times it passed the proxy.
 *
 * The backlog is bounded: past {@link RECORDING_BACKLOG_BYTES} (payloads plus an estimate per report)
 * the report that crosses the cap records the backlog down to half first, on the forwarding path, and
 * that wait is counted (`stalls`). Nothing is dropped. `flush()` records everything at once (the proxy
 * calls it before it reports its end).
 */
export class RecordingSink implements TransportSink {
  readonly previewLimit: number;
  private readonly queue: Report[] = [];
  private head = 0;
  private backlogBytes = 0;
  private scheduled = false;
  /** Reports arrived since the last slice: traffic is flowing. */
  private arrived = false;
  private draining = false;
  /** Session time read once per macrotask (every report of one socket read shares it, as the session does). */
  private tickT = -1;
  readonly stats: RecorderStats = { maxBacklog: 0, maxLagMs: 0, stalls: 0 };

  constructor(
    private readonly target: TransportSink,
    private readonly maxBytes = RECORDING_BACKLOG_BYTES,
  ) {
    this.previewLimit = target.previewLimit;
  }

  /** The session clock (a property: callers pass it around unbound). */
  readonly now = (): number => this.target.now();

  state(state: SessionState, extra?: { reason?: string; code?: number; url?: string; meta?: Record<string, unknown> }): void {
    this.later(0, () => this.target.state(state, extra));
  }

  frame(dir: 'in' | 'out', payload: string | Uint8Array, opts?: FrameOptions): void {
    this.later(typeof payload === 'string' ? payload.length : payload.byteLength, () => this.target.frame(dir, payload, opts));
  }

  timing(phases: TimingPhases, meta?: Record<string, unknown>): void {
    this.later(0, () => this.target.timing(phases, meta));
  }

  reconnect(attempt: number, delayMs: number, cause: string, meta?: Record<string, unknown>): void {
    this.later(0, () => this.target.reconnect(attempt, delayMs, cause, meta));
  }

  error(message: string, code?: string): void {
    this.later(0, () => this.target.error(message, code));
  }

  emit(body: EventBody): void {
    this.later(0, () => this.target.emit(body));
  }

  summarize(extra: Record<string, unknown>): void {
    this.later(0, () => this.target.summarize(extra));
  }

  /** Reports waiting to be recorded. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /** Record everything waiting, now. */
  flush(): void {
    this.drain(Infinity);
  }

  /**
   * Run `run` in order with the reports: decoding work the forwarding path hands over (the body bytes of
   * one socket read, already forwarded). `payloadBytes` counts towards the backlog's cap.
   */
  later(payloadBytes: number, run: () => void): void {
    // A report made while recording (a decoder running inside a report) is in order already.
    if (this.draining) {
      run();
      return;
    }
    if (this.tickT < 0) {
      this.tickT = this.target.now();
      queueMicrotask(this.endTick);
    }
    const bytes = payloadBytes + REPORT_OVERHEAD;
    this.arrived = true;
    this.queue.push({ t: this.tickT, bytes, run });
    this.backlogBytes += bytes;
    const waiting = this.queue.length - this.head;
    if (waiting > this.stats.maxBacklog) this.stats.maxBacklog = waiting;
    if (this.backlogBytes > this.maxBytes) {
      this.stats.stalls++;
      this.drain(Infinity, this.maxBytes / 2);
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onImmediate);
    }
  }

  private readonly endTick = (): void => {
    this.tickT = -1;
  };

  private readonly onImmediate = (): void => {
    this.scheduled = false;
    const base = this.arrived ? SLICE_BUSY_MS : SLICE_QUIET_MS;
    this.arrived = false;
    const full = Math.min(1, this.backlogBytes / this.maxBytes);
    this.drain(base + SLICE_PRESSURE_MS * full * full);
    if (this.backlog > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onImmediate);
    }
  };

  private noteLag(t: number): void {
    const lag = this.target.now() - t;
    if (lag > this.stats.maxLagMs) this.stats.maxLagMs = Math.round(lag * 1000) / 1000;
  }

  /** Record reports in order until none wait, the backlog is at `downTo` bytes, or `budgetMs` has passed. */
  private drain(budgetMs: number, downTo = 0): void {
    if (this.draining) return;
    this.draining = true;
    const stamp = this.target.at?.bind(this.target);
    const start = budgetMs === Infinity ? 0 : performance.now();
    let n = 0;
    let sinceClock = 0;
    let last = -1;
    try {
      while (this.head < this.queue.length && this.backlogBytes > downTo) {
        const r = this.queue[this.head];
        this.queue[this.head++] = undefined as unknown as Report;
        this.backlogBytes -= r.bytes;
        if ((n & 63) === 0) this.noteLag(r.t);
        stamp?.(r.t);
        try {
          r.run();
        } catch (err) {
          // One failed decoding is said in one line, and the reports after it are still recorded.
          try {
            this.target.error(`Recording failed: ${describeError(err).message}`, 'ERR_RECORDING');
          } catch {
            // The session is gone.
          }
        }
        sinceClock += r.bytes - REPORT_OVERHEAD;
        if (budgetMs !== Infinity && ((++n & 63) === 0 || sinceClock >= CLOCK_EVERY_BYTES)) {
          sinceClock = 0;
          if (performance.now() - start >= budgetMs) break;
        }
        last = r.t;
      }
    } finally {
      if (last >= 0) this.noteLag(last);
      this.draining = false;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
    }
  }
}
