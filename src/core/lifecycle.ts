import type { ReconnectPolicy } from '../shared/connectOptions';
import { backoffDelay, mayRetry, resolvePolicy } from './backoff';
import type { TransportSink } from './transport';

/** The cause every pattern logs when the user asks for a reconnect. */
export const USER_RECONNECT_CAUSE = 'reconnect requested by user';
/** The error code of a session that ran out of reconnect attempts, for every pattern. */
export const GAVE_UP_CODE = 'ERR_RECONNECT_EXHAUSTED';

/** The one wording of "no more attempts", for every pattern. */
export function gaveUpMessage(attempts: number, cause: string): string {
  return `gave up after ${attempts} reconnect attempt${attempts === 1 ? '' : 's'}: ${cause}`;
}

/**
 * A reconnected connection that drops again within this time did not really recover (a server that
 * accepts and then fails at once: a crash loop, an auth check after the handshake). Such drops do not
 * start the count of attempts afresh: the backoff keeps growing and the session gives up after
 * `maxAttempts`, instead of reconnecting every half second for ever.
 */
export const STABLE_OPEN_MS = 2000;

/** The one wording of a drop when reconnecting is turned off. */
export function disconnectedMessage(cause: string): string {
  return `disconnected: ${cause}`;
}

export interface DropInfo {
  /** Stable code for the error event when this drop ends the session (first connection, give-up). */
  errorCode?: string;
  /** Numeric close code (WebSocket close code, HTTP status) carried on the states. */
  closeCode?: number;
  /** Extra fields for the `reconnect` event. */
  meta?: Record<string, unknown>;
  /** The error event for this cause was already emitted (a first connection that failed then says nothing twice). */
  reported?: boolean;
  /**
   * Announce the `reconnect` event now (default). A transport whose library schedules the attempt
   * itself passes false and calls `announce()` when the attempt starts.
   */
  announce?: boolean;
  /** The delay a library that waits by itself has already chosen (default: the policy's backoff). */
  delayMs?: number;
}

/** What the transport does next after a drop. */
export type DropPlan = { retry: true; attempt: number; delayMs: number } | { retry: false };

/**
 * One connection lifecycle, shared by every connection-oriented transport:
 * connecting -> open -> drop -> reconnecting (backoff, one `reconnect` event per attempt) -> open again,
 * or give up -> failed, or close -> closed; and exactly one terminal state whatever happens in between.
 *
 * The decisions it owns (see docs/event-contract.md):
 * - a connection that never opened fails the session at once (one error event, then `failed`);
 * - once open, a drop reconnects with exponential backoff, jitter and a cap;
 * - after `maxAttempts` failed attempts the session fails with "gave up after N reconnect attempts: cause"
 *   and an error event with code ERR_RECONNECT_EXHAUSTED;
 * - with reconnecting turned off a drop ends the session as closed, "disconnected: cause";
 * - the open after a drop carries `reconnected`, `downtimeMs` and `attempts`;
 * - a user-requested reconnect drops the connection with the cause "reconnect requested by user" and
 *   connects again at once (delay 0, `meta.requested: "user"`, no close code), or cuts a pending backoff short.
 * The transport keeps what is specific to it: how to connect, what a frame is, and what a cause means.
 */
export class ConnectionLifecycle {
  readonly policy: ReconnectPolicy;
  private _ended = false;
  private _everOpened = false;
  private _attempt = 0;
  private droppedAt: number | undefined;
  /** When the current connection opened, and whether that open followed a drop. */
  private openedAt: number | undefined;
  private openedAfterDrop = false;
  /** Reconnected connections in a row that dropped within STABLE_OPEN_MS (see there). */
  private flaps = 0;
  private _closing = false;
  private _closeReason: string | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private waitResolve: ((go: boolean) => void) | undefined;
  /** The cause of a drop the user asked for, consumed by the next `dropped()`. */
  private requested: string | undefined;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly sink: TransportSink,
    reconnect: Partial<ReconnectPolicy> | undefined,
    /** Releases the transport's resources; runs once, just before the terminal state is reported. */
    private readonly cleanup: () => void = () => undefined,
  ) {
    this.policy = resolvePolicy(reconnect);
  }

  /** The terminal state has been reported. */
  get ended(): boolean {
    return this._ended;
  }
  /** The user closed the session (the terminal state may still be on its way). */
  get closing(): boolean {
    return this._closing;
  }
  get closeReason(): string | undefined {
    return this._closeReason;
  }
  /** Some connection of this session has opened. */
  get everOpened(): boolean {
    return this._everOpened;
  }
  /** Failed attempts since the last open (the current attempt's number while reconnecting). */
  get attempt(): number {
    return this._attempt;
  }
  /** Between a drop and the next open. */
  get down(): boolean {
    return this.droppedAt !== undefined;
  }
  /** Waiting out a backoff delay. */
  get waiting(): boolean {
    return this.waitResolve !== undefined;
  }
  /** True once the session is ending or ended: nothing should start any more. */
  get stopped(): boolean {
    return this._ended || this._closing;
  }

  connecting(url: string | undefined, meta?: Record<string, unknown>): void {
    if (this._ended) return;
    const extra: { url?: string; meta?: Record<string, unknown> } = {};
    if (url !== undefined) extra.url = url;
    if (meta) extra.meta = meta;
    this.sink.state('connecting', extra);
  }

  /** The connection is open: reports `open`, with the reconnection's story when it follows a drop. */
  opened(url: string | undefined, meta: Record<string, unknown> = {}): void {
    if (this._ended) return;
    if (this.droppedAt !== undefined) {
      meta.reconnected = true;
      meta.downtimeMs = Math.round(this.sink.now() - this.droppedAt);
      meta.attempts = this._attempt;
    }
    this.openedAfterDrop = this.droppedAt !== undefined;
    this.openedAt = this.sink.now();
    this.droppedAt = undefined;
    this._attempt = 0;
    this._everOpened = true;
    this.requested = undefined;
    this.sink.state('open', url !== undefined ? { url, meta } : { meta });
  }

  /**
   * The connection (or an attempt) went away. Decides what follows and reports it: fail fast, closed
   * (reconnecting off), give up, or `reconnecting` plus the attempt's `reconnect` event. With
   * `retry: true` the transport waits `delayMs` (see `wait`) and connects again.
   */
  dropped(cause: string, info: DropInfo = {}): DropPlan {
    if (this._ended) return { retry: false };
    if (this._closing) {
      this.end('closed', this._closeReason ?? 'closed by user');
      return { retry: false };
    }
    const requested = this.requested;
    this.requested = undefined;
    const why = requested ?? cause;
    if (!this._everOpened && requested === undefined) {
      // A first connection that fails is a configuration problem: fail at once, with one line.
      this.fail(why, info.errorCode, info.reported, info.closeCode);
      return { retry: false };
    }
    if (this.openedAt !== undefined && requested === undefined) {
      const lived = this.sink.now() - this.openedAt;
      if (this.openedAfterDrop && lived < STABLE_OPEN_MS) this.flaps++;
      else this.flaps = 0;
    } else if (requested !== undefined) this.flaps = 0;
    this.openedAt = undefined;
    if (this.droppedAt === undefined) this.droppedAt = this.sink.now();
    if (!this.policy.enabled) {
      this.end('closed', disconnectedMessage(why), info.closeCode);
      return { retry: false };
    }
    this._attempt++;
    // Consecutive failures: the attempts since the last open, plus the reconnections that did not hold.
    const streak = this._attempt + this.flaps;
    if (!mayRetry(this.policy, streak)) {
      const cause = this.flaps > 0 ? `${why} (the last ${this.flaps === 1 ? 'reconnection' : `${this.flaps} reconnections`} dropped within ${STABLE_OPEN_MS / 1000} s of opening)` : why;
      this.fail(gaveUpMessage(streak - 1, cause), GAVE_UP_CODE, false, info.closeCode);
      return { retry: false };
    }
    this.lastRequested = requested !== undefined;
    if (requested !== undefined) {
      // The user asked for it: not a drop to back off from, and the close code of the cut is ours.
      this.sink.state('reconnecting', { reason: why });
      this.lastCause = why;
      if (info.announce !== false) this.announce(0, info.meta);
      return { retry: true, attempt: this._attempt, delayMs: 0 };
    }
    const delayMs = info.delayMs ?? backoffDelay(this.policy, streak);
    this.sink.state('reconnecting', info.closeCode !== undefined ? { reason: why, code: info.closeCode } : { reason: why });
    this.lastCause = why;
    if (info.announce !== false) this.announce(delayMs, info.meta);
    return { retry: true, attempt: this._attempt, delayMs };
  }

  private lastCause = '';
  /** The current attempt follows a reconnect the user asked for (its event says `requested: "user"`). */
  private lastRequested = false;

  /** The `reconnect` event of the current attempt (called by `dropped`, or by a transport whose library waits). */
  announce(delayMs: number, meta?: Record<string, unknown>): void {
    if (this._ended) return;
    const m = this.lastRequested ? { ...(meta ?? {}), requested: 'user' } : meta;
    this.sink.reconnect(this._attempt, delayMs, this.lastCause, m && Object.keys(m).length > 0 ? m : undefined);
  }

  /**
   * Wait out a backoff delay. Resolves true when it is time to connect again (or the user asked for it
   * now), false when the session ended meanwhile.
   */
  wait(delayMs: number): Promise<boolean> {
    this.cancelWait(false);
    if (this.stopped) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.waitResolve = resolve;
      this.waitTimer = setTimeout(() => this.cancelWait(true), Math.max(0, delayMs));
    });
  }

  private cancelWait(go: boolean): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const r = this.waitResolve;
    this.waitResolve = undefined;
    r?.(go && !this.stopped);
  }

  /**
   * The user asked for a reconnect. During a backoff the wait ends now; otherwise `drop` is called to cut
   * the current connection, and the drop that follows is logged with the user's cause (and reconnects even
   * when the first connection had not opened yet; with reconnecting off it ends as "disconnected"). Returns false when there
   * is nothing to do (the session is ending).
   */
  requestReconnect(drop: () => void): boolean {
    if (this.stopped) return false;
    if (this.waiting) {
      this.cancelWait(true);
      return true;
    }
    this.requested = USER_RECONNECT_CAUSE;
    drop();
    return true;
  }

  /** A user-requested drop is pending (its cause is what the transport should log). */
  get reconnectRequested(): boolean {
    return this.requested !== undefined;
  }

  /** End with one error event and `failed`. */
  fail(message: string, code?: string, alreadyReported = false, closeCode?: number): void {
    if (this._ended) return;
    if (!alreadyReported) this.sink.error(message, code);
    this.end('failed', message, closeCode);
  }

  /**
   * The user closes. Marks the session as closing (nothing reconnects any more) and resolves once the
   * terminal state has been reported. `shutdown` starts the transport's own goodbye (close frame,
   * DISCONNECT...) and must lead to `end`, `dropped` or `finishClose`; it is not called a second time.
   */
  close(reason: string | undefined, shutdown: () => void): Promise<void> {
    if (this._ended) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this._closing) return done;
    this._closing = true;
    this._closeReason = reason ?? 'closed by user';
    this.cancelWait(false);
    shutdown();
    return done;
  }

  /** The transport's goodbye is complete: report `closed` with the user's reason. */
  finishClose(code?: number): void {
    this.end('closed', this._closeReason ?? 'closed by user', code);
  }

  /** Report the terminal state, exactly once, after releasing the transport's resources. */
  end(state: 'closed' | 'failed', reason: string, code?: number): void {
    if (this._ended) return;
    this._ended = true;
    this.cancelWait(false);
    try {
      this.cleanup();
    } finally {
      this.sink.state(state, code !== undefined ? { reason, code } : { reason });
      for (const w of this.waiters.splice(0)) w();
    }
  }
}
