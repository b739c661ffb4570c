/**
 * One direction of one proxied connection: bytes go from a source to a destination unchanged and in
 * order, with back-pressure (a full destination pauses the source). A fault switches the valve
 * from passing to holding (stall) or to a byte budget towards the client (slow); held bytes are
 * bounded (past 4 MiB the source is paused and TCP back-pressure does the rest).
 */
export type ValveMode = 'pass' | 'stall' | 'slow';

/** What a valve asks of its connection: the current fault mode. */
export interface ValveOwner {
  mode: ValveMode;
  bytesPerSecond: number;
}

/** Where bytes come from: a socket or an incoming message (what the valve pauses and resumes). */
export interface ValveSource {
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
}

/** Where bytes go: a socket, a server response, or a writer of a request body. */
export interface ValveDestination {
  write(chunk: Buffer): boolean;
  end(): unknown;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  once(event: 'drain', listener: () => void): unknown;
}

const HOLD_LIMIT = 4 * 1024 * 1024;

export class Valve {
  private queue: Buffer[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private ending = false;
  private waitingDrain = false;
  /** Bytes written to the destination. */
  bytes = 0;

  constructor(
    private readonly owner: ValveOwner,
    private readonly from: ValveSource,
    private readonly to: ValveDestination,
    /** Towards the client: the direction `slow` throttles. */
    private readonly towardsClient: boolean,
  ) {}

  /** A chunk from the source. */
  write(chunk: Buffer): void {
    const mode = this.owner.mode;
    if (this.queued === 0 && (mode === 'pass' || (mode === 'slow' && !this.towardsClient))) {
      this.forward(chunk);
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > HOLD_LIMIT) this.from.pause();
    this.pump();
  }

  /** The source ended: end the destination once everything held went out. */
  end(): void {
    this.ending = true;
    if (this.queued === 0) this.finish();
  }

  private finish(): void {
    this.flush();
    if (!this.to.destroyed && !this.to.writableEnded) this.to.end();
  }

  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    if (this.owner.mode !== 'stall') this.from.resume();
  };

  /** The chunks of this tick, written together at its end (see forward). */
  private batch: Buffer[] = [];
  private batchScheduled = false;
  /** Write what this tick holds now (the proxy stops: what passed must reach the peer before its FIN). */
  readonly flush = (): void => {
    this.batchScheduled = false;
    const list = this.batch;
    if (list.length === 0) return;
    this.batch = [];
    if (this.to.destroyed || this.to.writableEnded) return;
    if (!this.to.write(list.length === 1 ? list[0] : Buffer.concat(list)) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.from.pause();
      this.to.once('drain', this.onDrain);
    }
  };

  private forward(chunk: Buffer): void {
    if (this.to.destroyed || this.to.writableEnded) return;
    this.bytes += chunk.length;
    // One socket read can hold many chunks (an HTTP chunk per SSE event, many WebSocket frames): held
    // until the end of this tick, they leave in one write of one buffer, instead of a write (and, for
    // an HTTP response, a chunk of its own) each. Nothing waits longer than the current tick, so an
    // event still reaches the client as soon as it arrived.
    this.batch.push(chunk);
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** Drain what the mode allows now, and come back in 50 ms for the rest. */
  pump(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.timer = undefined;
      const mode = this.owner.mode;
      if (mode === 'stall') {
        if (!this.from.isPaused()) this.from.pause();
        return;
      }
      let budget = mode === 'slow' && this.towardsClient ? Math.max(1, Math.floor(this.owner.bytesPerSecond / 20)) : Infinity;
      while (budget > 0 && this.queue.length > 0) {
        const head = this.queue[0];
        const n = Math.min(head.length, budget);
        this.forward(head.subarray(0, n));
        budget -= n;
        this.queued -= n;
        if (n === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(n);
      }
      if (this.queued < HOLD_LIMIT / 4 && this.from.isPaused() && !this.waitingDrain) this.from.resume();
      if (this.queued > 0) this.timer = setTimeout(tick, 50);
      else if (this.ending) this.finish();
    };
    this.timer = setTimeout(tick, this.owner.mode === 'pass' ? 0 : 50);
  }

  /** The mode changed: stall pauses the source now, the others drain what is held. */
  changed(): void {
    if (this.owner.mode === 'stall') {
      this.from.pause();
      return;
    }
    if (this.queued > 0) this.pump();
    else if (!this.waitingDrain && this.from.isPaused()) this.from.resume();
  }

  stop(): void {
    this.batch = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.queued = 0;
  }
}
