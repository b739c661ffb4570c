import { EventEmitter } from 'node:events';

/** One numbered event of the demo's live feed. */
export interface FeedEvent {
  /** 1, 2, 3... per feed; never reused, so every pattern can resume from it. */
  seq: number;
  /** Server epoch ms when the event was produced. */
  at: number;
  /** A bounded random walk, so that consecutive values are related and easy to eyeball. */
  value: number;
  /** A small text field, so that payloads are not all numbers. */
  label: string;
}

export interface FeedOptions {
  /** Events per second (any rate, fractions allowed); 0 pauses the timer (events can still be produced with `tick()`). */
  rate?: number;
  /** How many recent events are kept for resuming (Last-Event-ID, cursors). */
  historySize?: number;
}

const LABELS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

/**
 * The single live feed every demo route serves. Keeps a bounded history so that SSE,
 * long polling and streaming clients can resume where they left off.
 */
export class Feed {
  private readonly emitter = new EventEmitter();
  private readonly history: FeedEvent[] = [];
  private readonly historySize: number;
  private timer: NodeJS.Timeout | undefined;
  private lastSeq = 0;
  private value = 50;
  /** Events per second (0 when paused). */
  readonly rate: number;

  constructor(opts: FeedOptions = {}) {
    this.rate = Math.max(0, opts.rate ?? 1);
    this.historySize = Math.max(1, opts.historySize ?? 1000);
    // Every route subscribes per client; many clients are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  /** Start producing events at the configured rate. */
  start(): void {
    if (this.timer || this.rate === 0) return;
    if (this.rate <= 100) {
      this.timer = setInterval(() => this.tick(), Math.round(1000 / this.rate));
    } else {
      // Timers cannot fire more than about once per millisecond, so fast feeds catch up in bursts
      // from the elapsed time; a stalled loop produces at most one second's worth at once.
      const startedAt = performance.now();
      let produced = 0;
      this.timer = setInterval(() => {
        const due = Math.floor(((performance.now() - startedAt) * this.rate) / 1000) - produced;
        const n = Math.min(due, Math.ceil(this.rate));
        for (let i = 0; i < n; i++) this.tick();
        produced += due;
      }, 10);
    }
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.emitter.removeAllListeners();
  }

  /** Produce the next event now (with this label, or the next of the rotation). */
  tick(label?: string): FeedEvent {
    this.value = Math.min(100, Math.max(0, this.value + Math.round((Math.random() - 0.5) * 10)));
    const seq = ++this.lastSeq;
    const e: FeedEvent = { seq, at: Date.now(), value: this.value, label: label ?? LABELS[seq % LABELS.length] };
    this.history.push(e);
    if (this.history.length > this.historySize) this.history.shift();
    this.emitter.emit('event', e);
    return e;
  }

  /** Sequence number of the latest event (0 before the first). */
  get cursor(): number {
    return this.lastSeq;
  }

  /** The latest event, if any. */
  get latest(): FeedEvent | undefined {
    return this.history[this.history.length - 1];
  }

  /** Oldest sequence number still in history (0 when empty). */
  get oldestKept(): number {
    return this.history[0]?.seq ?? 0;
  }

  /** Kept events with seq greater than `seq`, oldest first. */
  since(seq: number): FeedEvent[] {
    const first = this.history[0];
    if (!first) return [];
    const start = Math.max(0, seq - first.seq + 1);
    return this.history.slice(start);
  }

  /** Subscribe to new events; returns the unsubscribe function. */
  subscribe(listener: (e: FeedEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
