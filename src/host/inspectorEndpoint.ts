/**
 * The host end of the inspector protocol, one per webview (sidebar view or editor panel).
 * It validates every message from the webview, answers requests from the session logs, and
 * batches host -> webview notifications on a timer, only while the webview is visible: VS Code
 * drops messages to hidden webviews, and a visible-again webview re-asks from Ready.
 *
 * It depends on a tiny webview interface rather than on vscode types, so it runs in plain Node tests.
 */
import type { Disposable } from '../core/emitter';
import { describeError } from '../core/errors';
import type { LogView, SessionLog } from '../core/sessionLog';
import type { ActivitySnapshot } from '../shared/activity';
import type { WireEvent } from '../shared/events';
import type { GraphqlCompletion } from '../shared/graphqlCompletion';
import {
  DidAppend,
  DidChangeSessions,
  DidNotify,
  DidReset,
  validateWebviewMessage,
  WebviewToHost,
  type HostMessage,
  type NotificationType,
  type ParamsOf,
  type PayloadInputEncoding,
  type SessionInfo,
} from '../shared/protocol';
import { defineHandlers } from '../shared/typedProtocol';

/** What the endpoint needs of a webview: VS Code's Webview plus a visibility flag fit it. */
export interface WebviewLike {
  postMessage(message: unknown): PromiseLike<boolean> | boolean | void;
  onDidReceiveMessage(listener: (message: unknown) => void): Disposable;
  readonly visible: boolean;
}

type Event<T> = (listener: (value: T) => void) => Disposable;

/** What the endpoint needs of the extension: sessions, their logs, and the actions behind commands. */
export interface InspectorBackend {
  sessions(): SessionInfo[];
  selected(): string | undefined;
  log(sessionId: string): SessionLog | undefined;
  /** An event as it may be shown (credential headers masked, secrets redacted). */
  sanitize(sessionId: string, e: WireEvent): WireEvent;
  onDidChangeSessions: Event<void>;
  onDidAppend: Event<string>;
  onDidReset: Event<string>;
  send(sessionId: string, data: string, encoding: PayloadInputEncoding, channel?: string, options?: Record<string, unknown>): Promise<void>;
  ping(sessionId: string): void;
  /** End the sending side (absent where no pattern can). */
  halfClose?(sessionId: string): void;
  disconnect(sessionId: string): Promise<void> | void;
  reconnect(sessionId: string): Promise<unknown> | void;
  /** Capture proxy: a fault on one live connection (absent where there is no proxy). */
  proxyFault?(sessionId: string, conn: string, fault: 'cut' | 'stall' | 'resume'): void;
  clear(sessionId: string): void;
  exportLog(sessionId: string, format: 'ndjson' | 'har'): Promise<void> | void;
  select(sessionId: string): void;
  copy(text: string): Promise<void> | void;
  /** The activity strip's aggregates of a session. */
  activity?(sessionId: string): ActivitySnapshot | undefined;
  /** Open an event's payload in a read-only editor (VS Code only). */
  openPayload?(sessionId: string, seq: number): Promise<void> | void;
  saveTemplate(sessionId: string, name: string, data: string, encoding: PayloadInputEncoding): Promise<void> | void;
  /** "Add Expectation from Frame": a receive expectation from this frame, into the session's profile. */
  addExpectation?(sessionId: string, seq: number): Promise<void> | void;
  /** GraphQL: the root fields of the session's server for the composer's completions (absent where there is no introspection). */
  graphqlFields?(sessionId: string): Promise<{ fields: GraphqlCompletion[]; error?: string }>;
  /** Batch interval for notifications, ms. */
  batchIntervalMs(): number;
}

export interface EndpointOptions {
  view: 'sidebar' | 'panel';
  /** A panel is bound to one session. */
  sessionId?: string;
  log?: (level: 'info' | 'warn' | 'error', line: string) => void;
  /** Most rows sent in one DidAppend tail. */
  maxTail?: number;
}

interface ViewState {
  view: LogView;
  /** Filtered total the webview knows about. */
  sentTotal: number;
}

/** Figures about the endpoint's traffic, for tests and the output channel. */
export interface EndpointCounters {
  received: number;
  rejected: number;
  posted: number;
  appendNotes: number;
}

export class InspectorEndpoint implements Disposable {
  private readonly views = new Map<string, ViewState>();
  private readonly dirty = new Set<string>();
  private sessionsDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subs: Disposable[] = [];
  private disposed = false;
  readonly counters: EndpointCounters = { received: 0, rejected: 0, posted: 0, appendNotes: 0 };

  constructor(
    private readonly webview: WebviewLike,
    private readonly backend: InspectorBackend,
    private readonly opts: EndpointOptions,
  ) {
    this.subs.push(
      webview.onDidReceiveMessage((m) => void this.receive(m)),
      backend.onDidAppend((id) => {
        if (!this.views.has(id)) return;
        this.dirty.add(id);
        this.schedule();
      }),
      backend.onDidChangeSessions(() => {
        this.sessionsDirty = true;
        this.schedule();
      }),
      backend.onDidReset((id) => {
        const v = this.views.get(id);
        if (v) {
          v.view.dispose();
          this.views.delete(id);
        }
        this.dirty.delete(id);
        if (this.webview.visible) this.post(DidReset, { sessionId: id });
      }),
    );
  }

  /** Call when the webview's visibility changed: pending notifications go out once it is visible. */
  visibilityChanged(): void {
    if (this.webview.visible) this.schedule();
  }

  private schedule(): void {
    if (this.disposed || this.timer || !this.webview.visible) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, Math.max(1, this.backend.batchIntervalMs()));
  }

  /** Send what is pending now (one DidChangeSessions, one DidAppend per changed session). */
  flush(): void {
    if (this.disposed || !this.webview.visible) return;
    if (this.sessionsDirty) {
      this.sessionsDirty = false;
      this.post(DidChangeSessions, this.sessionsPayload());
    }
    for (const id of [...this.dirty]) {
      this.dirty.delete(id);
      const state = this.views.get(id);
      const log = this.backend.log(id);
      if (!state || !log) continue;
      const total = state.view.total;
      const fresh = Math.max(0, total - state.sentTotal);
      const take = Math.min(fresh || 0, this.opts.maxTail ?? 200);
      const tail = take > 0 ? state.view.rows(total - take, take).map((e) => this.backend.sanitize(id, e)) : [];
      state.sentTotal = total;
      this.counters.appendNotes++;
      this.post(DidAppend, { sessionId: id, filterId: state.view.filterId, total, stats: log.stats(), tail });
    }
  }

  private sessionsPayload(): { sessions: SessionInfo[]; selected?: string } {
    const sessions = this.backend.sessions();
    const selected = this.opts.view === 'panel' ? this.opts.sessionId : this.backend.selected();
    return selected ? { sessions, selected } : { sessions };
  }

  private post<N extends NotificationType<unknown>>(type: N, params: ParamsOf<N>): void {
    this.send({ type: 'note', method: type.method, params });
  }

  private send(msg: HostMessage): void {
    if (this.disposed) return;
    this.counters.posted++;
    try {
      const r = this.webview.postMessage(msg);
      if (r && typeof (r as PromiseLike<boolean>).then === 'function') {
        (r as PromiseLike<boolean>).then(undefined, () => undefined);
      }
    } catch {
      // A disposed webview throws; the endpoint is being torn down with it.
    }
  }

  private async receive(raw: unknown): Promise<void> {
    this.counters.received++;
    const v = validateWebviewMessage(raw);
    if (!v.ok) {
      this.counters.rejected++;
      this.opts.log?.('warn', `inspector: rejected a message from the webview: ${v.error}`);
      const id = (raw as { id?: unknown } | null)?.id;
      if ((raw as { type?: unknown } | null)?.type === 'req' && Number.isInteger(id)) this.send({ type: 'res', id: id as number, ok: false, error: v.error });
      return;
    }
    const msg = v.msg;
    // Validation found the method, so it has a handler (defineHandlers covers the whole set).
    const handler = this.handlers.get(msg.method)!;
    const p = msg.params as Record<string, unknown>;
    if (msg.type === 'req') {
      try {
        const result = await handler.run(p);
        this.send({ type: 'res', id: msg.id, ok: true, result });
      } catch (err) {
        this.send({ type: 'res', id: msg.id, ok: false, error: describeError(err).message });
      }
      return;
    }
    try {
      await handler.run(p);
    } catch (err) {
      const message = describeError(err).message;
      this.opts.log?.('warn', `inspector: ${msg.method}: ${message}`);
      this.post(DidNotify, { level: 'error', message });
    }
  }

  private logOf(sessionId: string): SessionLog {
    if (this.opts.view === 'panel' && this.opts.sessionId && sessionId !== this.opts.sessionId) throw new Error('This panel shows another session');
    const log = this.backend.log(sessionId);
    if (!log) throw new Error('That session no longer exists');
    return log;
  }

  /**
   * One handler per message of {@link WebviewToHost}, each typed by its descriptor: the compiler
   * fails when a descriptor has no handler or a handler returns the wrong result.
   */
  private readonly handlers = defineHandlers(WebviewToHost, {
    Ready: () => {
      // A (re)loaded webview knows nothing: forget what was sent to the previous one.
      this.resetViews();
      this.sessionsDirty = false;
      return this.sessionsPayload();
    },
    SetFilter: ({ sessionId, filter, keepSeq }) => {
      const log = this.logOf(sessionId);
      const old = this.views.get(sessionId);
      const view = log.createView(filter);
      old?.view.dispose();
      this.views.set(sessionId, { view, sentTotal: view.total });
      return keepSeq === undefined ? { filterId: view.filterId, total: view.total } : { filterId: view.filterId, total: view.total, keepIndex: view.indexOf(keepSeq) };
    },
    GetActivity: ({ sessionId }) => {
      this.logOf(sessionId);
      return { activity: this.backend.activity?.(sessionId) ?? null };
    },
    LocateSeq: ({ sessionId, seq }) => {
      const state = this.viewOf(sessionId);
      return { filterId: state.view.filterId, index: state.view.indexAtOrAfter(seq) };
    },
    GetRows: ({ sessionId, start, count }) => {
      const state = this.viewOf(sessionId);
      const rows = state.view.rows(start, count).map((e) => this.backend.sanitize(sessionId, e));
      // Rows of a replaced filter would be wrong; the webview compares filterId and asks again.
      return { filterId: state.view.filterId, total: state.view.total, start, rows };
    },
    GetEvent: ({ sessionId, seq }) => {
      const e = this.logOf(sessionId).get(seq);
      return { event: e ? this.backend.sanitize(sessionId, e) : null };
    },
    GetTimeline: ({ sessionId }) => ({ events: this.logOf(sessionId).timeline().map((e) => this.backend.sanitize(sessionId, e)) }),
    Send: async ({ sessionId, data, encoding, channel, options }) => {
      this.logOf(sessionId);
      await this.backend.send(sessionId, data, encoding, channel, options);
      return { ok: true };
    },
    Ping: ({ sessionId }) => {
      this.logOf(sessionId);
      this.backend.ping(sessionId);
    },
    HalfClose: ({ sessionId }) => {
      this.logOf(sessionId);
      if (!this.backend.halfClose) throw new Error('This session cannot end its sending side');
      this.backend.halfClose(sessionId);
    },
    Disconnect: async ({ sessionId }) => {
      this.logOf(sessionId);
      await this.backend.disconnect(sessionId);
    },
    Reconnect: async ({ sessionId }) => {
      this.logOf(sessionId);
      await this.backend.reconnect(sessionId);
    },
    ClearLog: ({ sessionId }) => {
      this.logOf(sessionId);
      this.backend.clear(sessionId);
    },
    ProxyFault: ({ sessionId, conn, fault }) => {
      this.logOf(sessionId);
      if (!this.backend.proxyFault) throw new Error('This inspector cannot reach a capture proxy');
      this.backend.proxyFault(sessionId, conn, fault);
    },
    ExportLog: async ({ sessionId, format }) => {
      this.logOf(sessionId);
      await this.backend.exportLog(sessionId, format);
    },
    SelectSession: ({ sessionId }) => {
      if (this.opts.view === 'sidebar') this.backend.select(sessionId);
    },
    CopyText: async ({ text }) => {
      await this.backend.copy(text);
    },
    AddExpectation: async ({ sessionId, seq }) => {
      this.logOf(sessionId);
      await this.backend.addExpectation?.(sessionId, seq);
    },
    OpenPayload: async ({ sessionId, seq }) => {
      this.logOf(sessionId);
      if (!this.backend.openPayload) throw new Error('Opening a payload in an editor is not available here');
      await this.backend.openPayload(sessionId, seq);
    },
    SaveTemplate: async ({ sessionId, name, data, encoding }) => {
      this.logOf(sessionId);
      await this.backend.saveTemplate(sessionId, name, data, encoding);
    },
    GetGraphqlFields: async ({ sessionId }) => {
      this.logOf(sessionId);
      if (!this.backend.graphqlFields) return { fields: [], error: 'Field completions are not available here' };
      return this.backend.graphqlFields(sessionId);
    },
  });

  /** The session's current filtered view (SetFilter makes it). */
  private viewOf(sessionId: string): ViewState {
    this.logOf(sessionId);
    const state = this.views.get(sessionId);
    if (!state) throw new Error('No filter set for this session: send SetFilter first');
    return state;
  }

  private resetViews(): void {
    for (const s of this.views.values()) s.view.dispose();
    this.views.clear();
    this.dirty.clear();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.resetViews();
    for (const s of this.subs) s.dispose();
  }
}
