import { randomUUID } from 'node:crypto';
import { DEFAULT_PREVIEW_LIMIT, type ConnectOptions } from '../shared/connectOptions';
import type { EventBody, FrameEvent, SessionState, SummaryEvent, TimingPhases, WireEvent } from '../shared/events';
import { createClock, type Clock } from './clock';
import { Emitter } from './emitter';
import { describeError } from './errors';
import { loadTransport, type TransportLoader } from './registry';
import { SequenceCheck } from './sequenceCheck';
import { ProxySequenceCheck } from './proxy/streamCheck';
import type { ProxyConnectionInfo, ProxyFault } from './proxy/captureProxy';
import { maskUrlPasswords } from '../shared/credentials';
import type { FrameOptions, OutboundMessage, Transport, TransportSink } from './transport';

export interface SessionDeps {
  clock?: Clock;
  /** Override how a pattern's transport is found (tests, plugins). */
  loadTransport?: TransportLoader;
  /** How long close() waits for the transport before forcing the end. */
  closeGraceMs?: number;
}

/** What a capture proxy session offers besides its events (see src/core/proxy). */
export interface ProxyControl {
  connections(): ProxyConnectionInfo[];
  /** A fault on one live connection (`*` for all); returns how many it applied to. */
  inject(connId: string, fault: ProxyFault): number;
  onDidChangeConnections(listener: () => void): { dispose(): void };
}

/** Observes every event before listeners see it and may add events (anomaly detection, stats). */
export interface SessionObserver {
  onEvent(e: WireEvent, session: Session): void;
  /** Extra summary fields. */
  summary?(): Record<string, unknown>;
}

/**
 * One connection of one pattern to one endpoint, and its ordered event stream.
 * Stamps `seq`/`t`/`ts`, counts frames and bytes, enforces count/duration limits,
 * and always ends with a terminal state event followed by the summary.
 */
export class Session {
  readonly id = randomUUID().slice(0, 8);
  readonly options: ConnectOptions;
  readonly clock: Clock;
  private readonly emitter = new Emitter<WireEvent>();
  /** Subscribe to events as they happen. */
  readonly onEvent = this.emitter.event;
  private readonly deps: SessionDeps;
  private transport: Transport | undefined;
  private seq = 0;
  private current: SessionState | 'idle' = 'idle';
  private framesIn = 0;
  private framesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private dataIn = 0;
  private reconnects = 0;
  private extra: Record<string, unknown> = {};
  private observers: SessionObserver[] = [];
  private finished = false;
  private closing: Promise<SummaryEvent> | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private resolveDone!: (s: SummaryEvent) => void;
  /** Resolves with the summary once the session has ended. */
  readonly done: Promise<SummaryEvent>;
  readonly previewLimit: number;

  constructor(options: ConnectOptions, deps: SessionDeps = {}) {
    this.options = options;
    this.deps = deps;
    this.clock = deps.clock ?? createClock();
    this.previewLimit = options.previewLimit ?? DEFAULT_PREVIEW_LIMIT;
    this.done = new Promise((r) => (this.resolveDone = r));
    this.sink = this.createSink();
  }

  get state(): SessionState | 'idle' {
    return this.current;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** Add an observer (before start()). */
  observe(o: SessionObserver): void {
    this.observers.push(o);
  }

  /** Open the connection. Never throws: failures become events. */
  async start(): Promise<void> {
    if (this.current !== 'idle') return;
    this.current = 'connecting';
    try {
      // The sequence check comes first, so a bad id field fails the session before connecting.
      if (this.options.idField) {
        // A capture proxy carries many streams: each is checked on its own.
        this.observe(this.options.pattern === 'proxy' ? new ProxySequenceCheck(this.options.idField) : new SequenceCheck(this.options.idField, { channel: this.options.idChannel }));
      }
      const factory = await (this.deps.loadTransport ?? loadTransport)(this.options.pattern);
      if (this.finished) return;
      this.transport = factory({ options: this.options, sink: this.sink });
      if (this.options.durationMs && this.options.durationMs > 0) {
        this.durationTimer = setTimeout(() => void this.close('duration reached'), this.options.durationMs);
        this.durationTimer.unref?.();
      }
      this.transport.start();
    } catch (err) {
      const d = describeError(err);
      this.sink.error(d.message, d.code);
      this.finish('failed', d.message);
    }
  }

  /** Send a message, logged as an out frame by the transport. */
  async send(msg: OutboundMessage): Promise<void> {
    if (!this.transport?.send) throw new Error(`The ${this.options.pattern} pattern cannot send messages`);
    if (this.finished) throw new Error('The session has ended');
    await this.transport.send(msg);
  }

  /** The capture proxy's live connections and faults (pattern `proxy`), once the transport exists. */
  get proxy(): ProxyControl | undefined {
    const t = this.transport as Partial<ProxyControl> | undefined;
    return t && typeof t.inject === 'function' && typeof t.connections === 'function' ? (t as ProxyControl) : undefined;
  }

  get canSend(): boolean {
    return !!this.transport?.send;
  }

  get canPing(): boolean {
    return !!this.transport?.ping;
  }

  /** The sending side can be ended while reading goes on (a gRPC client or bidi stream). */
  get canHalfClose(): boolean {
    return !!this.transport?.halfClose;
  }

  /** End the sending side (half-close); throws a one-line error where the pattern cannot. */
  halfClose(): void {
    if (!this.transport?.halfClose) throw new Error(`The ${this.options.pattern} pattern cannot end its sending side`);
    if (!this.finished) this.transport.halfClose();
  }

  ping(data?: string): void {
    if (!this.transport?.ping) throw new Error(`The ${this.options.pattern} pattern has no ping`);
    this.transport.ping(data);
  }

  /** True when the pattern can stop reading while the event consumer catches up (back-pressure). */
  get canPause(): boolean {
    return !!this.transport?.pause;
  }

  /** Stop reading from the network until resume(), where the pattern can (see Transport.pause). */
  pause(): void {
    if (!this.finished) this.transport?.pause?.();
  }

  resume(): void {
    this.transport?.resume?.();
  }

  /** Drop the connection and reconnect now (where the pattern supports it). */
  reconnect(): void {
    if (!this.transport?.reconnect) throw new Error(`The ${this.options.pattern} pattern cannot reconnect`);
    this.transport.reconnect();
  }

  /** End the session. Resolves with the summary. Safe to call more than once. */
  close(reason = 'closed by user'): Promise<SummaryEvent> {
    if (this.finished) return this.done;
    if (this.closing) return this.closing;
    this.closing = (async () => {
      this.sink.state('closing', { reason });
      const grace = this.deps.closeGraceMs ?? 3000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.transport?.close(reason),
          new Promise<void>((r) => {
            timer = setTimeout(r, grace);
            timer.unref?.();
          }),
        ]);
      } catch {
        // A transport that fails to close cleanly still ends the session.
      } finally {
        clearTimeout(timer);
      }
      this.finish('closed', reason);
      return this.done;
    })();
    return this.closing;
  }

  /** Stamp and dispatch one event. */
  private push<E extends WireEvent>(body: EventBody<E>): E {
    this.stampTime();
    const e = body as unknown as Record<string, unknown>;
    // Stamped fields go first so that serialised events read naturally.
    const stamped = { seq: ++this.seq, t: this.tickT, ts: this.tickTs, ...e } as E;
    this.dispatch(stamped);
    return stamped;
  }

  private dispatch(e: WireEvent): void {
    const obs = this.observers;
    if (obs.length === 0) {
      this.emitter.fire(e);
      return;
    }
    this.observing++;
    try {
      for (let i = 0; i < obs.length; i++) obs[i].onEvent(e, this);
    } finally {
      this.observing--;
    }
    this.emitter.fire(e);
    // Events an observer added about `e` come after it, so listeners see seq in order.
    if (this.observing === 0 && this.pendingExtra.length > 0) {
      const extra = this.pendingExtra.splice(0);
      for (const body of extra) if (!this.finished) this.push(body);
    }
  }

  /** Depth of observer calls in progress, and the events they asked to add meanwhile. */
  private observing = 0;
  private pendingExtra: EventBody[] = [];

  /**
   * Read the clock once per macrotask: every event of one socket read gets the same receive time
   * (they did arrive together), and a burst of thousands of frames costs one clock read.
   * Events stay ordered in time because the reading is only reused within the same task.
   */
  private stampTime(): void {
    if (this.tickRaw >= 0) return;
    const t = this.clock.now();
    this.tickRaw = t;
    this.tickT = Math.round(t * 1000) / 1000;
    this.tickTs = this.clock.epochAt(t);
    queueMicrotask(this.endTick);
  }

  /** Stamp the events of the rest of this task with an earlier clock reading `t` (see TransportSink.at). */
  private stampAt(t: number): void {
    if (t < this.tickRaw) return;
    if (this.tickRaw < 0) queueMicrotask(this.endTick);
    this.tickRaw = t;
    this.tickT = Math.round(t * 1000) / 1000;
    this.tickTs = this.clock.epochAt(t);
  }

  private readonly endTick = (): void => {
    this.tickRaw = -1;
  };
  private tickRaw = -1;
  private tickT = 0;
  private tickTs = 0;

  /** Emit an event on behalf of an observer (anomalies). */
  emitExtra(body: EventBody): void {
    if (this.finished) return;
    if (this.observing > 0) this.pendingExtra.push(body);
    else this.push(body);
  }

  private finish(state: 'closed' | 'failed', reason?: string, extra?: { code?: number; url?: string; meta?: Record<string, unknown> }): void {
    if (this.finished) return;
    clearTimeout(this.durationTimer);
    const body: Record<string, unknown> = { kind: 'state', state };
    if (reason !== undefined) body.reason = maskUrlPasswords(reason);
    if (extra?.code !== undefined) body.code = extra.code;
    if (extra?.url !== undefined) body.url = maskUrlPasswords(extra.url);
    if (extra?.meta !== undefined) body.meta = extra.meta;
    this.current = state;
    this.push(body as EventBody);
    this.finished = true;
    let extraSummary: Record<string, unknown> = { ...this.extra };
    for (const o of this.observers) if (o.summary) extraSummary = { ...extraSummary, ...o.summary() };
    const t = this.clock.now();
    const summary = {
      seq: ++this.seq,
      t: Math.round(t * 1000) / 1000,
      ts: this.clock.epochAt(t),
      kind: 'summary',
      frames: { in: this.framesIn, out: this.framesOut },
      bytes: { in: this.bytesIn, out: this.bytesOut },
      reconnects: this.reconnects,
      durationMs: Math.round(t),
      state,
      ...extraSummary,
    } as SummaryEvent;
    this.emitter.fire(summary);
    this.resolveDone(summary);
    // If the transport ended by itself, make sure nothing keeps running.
    if (!this.closing) void Promise.resolve(this.transport?.close(reason)).catch(() => undefined);
  }

  /** The sink handed to the transport. */
  private readonly sink: TransportSink;

  private createSink(): TransportSink {
    return {
    previewLimit: this.previewLimit,
    now: () => this.clock.now(),
    state: (state, extra) => {
      if (this.finished) return;
      if (state === 'closed' || state === 'failed') {
        this.finish(state, extra?.reason, extra);
        return;
      }
      if (this.closing && state !== 'closing') return;
      this.current = state;
      // URLs and messages that quote one never carry a password (every pattern, every output).
      const body: Record<string, unknown> = { kind: 'state', state };
      if (extra?.reason !== undefined) body.reason = maskUrlPasswords(extra.reason);
      if (extra?.code !== undefined) body.code = extra.code;
      if (extra?.url !== undefined) body.url = maskUrlPasswords(extra.url);
      if (extra?.meta !== undefined) body.meta = extra.meta;
      this.push(body as EventBody);
    },
    frame: (dir, payload, opts) => {
      if (this.finished) return;
      this.pushFrame(dir, payload, opts);
    },
    timing: (phases: TimingPhases, meta) => {
      if (this.finished) return;
      this.push(meta ? { kind: 'timing', phases, meta } : { kind: 'timing', phases });
    },
    reconnect: (attempt, delayMs, cause, meta) => {
      if (this.finished) return;
      this.reconnects++;
      cause = maskUrlPasswords(cause);
      const body = (meta ? { kind: 'reconnect', attempt, delayMs, cause, meta } : { kind: 'reconnect', attempt, delayMs, cause }) as EventBody;
      this.push(body);
    },
    error: (message, code) => {
      if (this.finished) return;
      message = maskUrlPasswords(message);
      this.push(code ? { kind: 'error', message, code } : { kind: 'error', message });
    },
    emit: (body) => {
      if (this.finished) return;
      this.push(body);
    },
    summarize: (extra) => {
      this.extra = { ...this.extra, ...extra };
    },
    at: (t) => this.stampAt(t),
    };
  }

  private pushFrame(dir: 'in' | 'out', payload: string | Uint8Array, opts: FrameOptions | undefined): void {
    const limit = this.previewLimit;
    let size: number;
    let data: string;
    let encoding: 'utf8' | 'base64';
    let truncated: boolean;
    if (opts?.encodedSize !== undefined && typeof payload === 'string') {
      encoding = 'utf8';
      size = opts.encodedSize;
      truncated = payload.length > limit;
      data = truncated ? payload.slice(0, limit) : payload;
    } else if (typeof payload === 'string') {
      encoding = 'utf8';
      const given = opts?.size;
      if (payload.length > limit) {
        size = given ?? Buffer.byteLength(payload);
        data = payload.slice(0, limit);
        truncated = true;
      } else {
        data = payload;
        // The whole string is the preview: measure it once (the common case on a fast feed).
        const bytes = Buffer.byteLength(payload);
        size = given ?? bytes;
        truncated = size > bytes;
      }
    } else {
      size = opts?.size ?? payload.byteLength;
      const n = Math.min(limit, payload.byteLength);
      // Transports mostly hand over Buffers: decode in place rather than making a view per frame.
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, n);
      truncated = size > n;
      if (opts?.binary) {
        encoding = 'base64';
        data = buf.toString('base64', 0, n);
      } else {
        encoding = 'utf8';
        data = buf.toString('utf8', 0, n);
      }
    }
    if (dir === 'in') {
      this.framesIn++;
      this.bytesIn += size;
    } else {
      this.framesOut++;
      this.bytesOut += size;
    }
    // The hot path: build the stamped event in one literal (no body object, no spread).
    this.stampTime();
    const e: FrameEvent = { seq: ++this.seq, t: this.tickT, ts: this.tickTs, kind: 'frame', dir, size, encoding, data };
    if (truncated) e.truncated = true;
    if (opts !== undefined) {
      if (opts.channel !== undefined) e.channel = opts.channel;
      if (opts.control) e.meta = { ...(opts.meta ?? {}), control: true };
      else if (opts.meta !== undefined) e.meta = opts.meta;
    }
    this.dispatch(e);
    if (dir === 'in' && !opts?.control) {
      this.dataIn++;
      const count = this.options.count;
      if (count && count > 0 && this.dataIn === count) void this.close('count reached');
    }
  }
}
