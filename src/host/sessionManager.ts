/**
 * The extension's sessions: creates engine Sessions from profiles or ad-hoc options, keeps each
 * session's events in a bounded SessionLog (the host owns the log; webviews are viewports), and
 * tells the UI what changed. No vscode import, so it is unit-tested in plain Node.
 */
import { maskUrlPasswords } from '../shared/credentials';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ActivityTracker } from '../core/activity';
import { attachCapture, readCapture, type CaptureWriter } from '../core/captureWriter';
import { Emitter, type Disposable } from '../core/emitter';
import { describeError } from '../core/errors';
import { sanitizeEvent, type RedactOptions } from '../core/export/redact';
import { Session, type SessionDeps } from '../core/session';
import { SessionLog } from '../core/sessionLog';
import type { OutboundMessage } from '../core/transport';
import { DEFAULT_PREVIEW_LIMIT, PATTERNS, type ConnectOptions, type PatternId } from '../shared/connectOptions';
import { TERMINAL_STATES, type SessionState, type WireEvent } from '../shared/events';
import type { Profile, ProfileScope } from '../shared/profile';
import type { ActivitySnapshot } from '../shared/activity';
import type { GraphqlCompletion } from '../shared/graphqlCompletion';
import type { PayloadInputEncoding, SessionInfo } from '../shared/protocol';
import type { ArchiveWriter, SessionArchive } from './sessionArchive';

/** Settings the manager reads when a session starts (or an export runs). */
export interface ManagerSettings {
  maxEvents: number;
  maxBytes: number;
  previewLimit: number;
  revealAuthHeaders: boolean;
  capture: { enabled: boolean; maxBytes: number; dir?: string };
}

export const DEFAULT_SETTINGS: ManagerSettings = {
  maxEvents: 1_000_000,
  maxBytes: 256 * 1024 * 1024,
  previewLimit: DEFAULT_PREVIEW_LIMIT,
  revealAuthHeaders: false,
  capture: { enabled: false, maxBytes: 512 * 1024 * 1024 },
};

export interface StartRequest {
  /** Resolved options: may hold secret values, so they are never persisted. */
  options: ConnectOptions;
  name: string;
  /** The unresolved profile (no secret values), for "Save Session as Profile" and templates. */
  profile: Profile;
  profileId?: string;
  scope?: ProfileScope;
  /** Secret values used by `options`: redacted from the UI, exports and captures. */
  secretValues?: string[];
  /** Called with the session before it starts (observers such as a test run's expectations). */
  beforeStart?: (session: Session) => void;
}

/** One session as the extension sees it. */
export interface ManagedSession {
  readonly id: string;
  readonly name: string;
  readonly pattern: PatternId;
  readonly url: string;
  readonly startedAt: number;
  readonly profile: Profile;
  readonly profileId?: string;
  readonly scope?: ProfileScope;
  readonly session: Session;
  readonly log: SessionLog;
  /** Rates, state bands, markers and latencies for the activity strip. */
  readonly activity: ActivityTracker;
  readonly secretValues: readonly string[];
  /** Events a test run marked (failing expectations point at them), shown marked in the inspector. */
  marked?: { seqs: number[]; note: string };
  /** Why disk capture stopped, if it did. */
  captureNote?: string;
  capturePath?: string;
  /** The last state the session reported, and its one-line reason. */
  lastState?: SessionState;
  lastReason?: string;
  /** Brought back from the archive after a window reload (its Session never connects). */
  restored?: boolean;
  /** This session's archive file (kept across a reload). */
  archivePath?: string;
}

/** The name for a new session: `name`, or `name #2`, `#3`… when another session has it. */
export function distinctName(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(name)) return name;
  for (let n = 2; ; n++) if (!used.has(`${name} #${n}`)) return `${name} #${n}`;
}

/** How an ended session ended, from its last state and reason. */
export function outcomeOf(state: SessionState | 'idle', reason: string | undefined): 'ok' | 'failed' | 'dropped' | undefined {
  if (state === 'failed') return 'failed';
  if (state !== 'closed') return undefined;
  // A connection that was lost and not retried ("disconnected: connection reset") did not end by choice.
  if (reason && /^disconnected: /.test(reason)) return 'dropped';
  return 'ok';
}

export interface SessionManagerDeps {
  settings?: () => ManagerSettings;
  /** The extension's own log (LogOutputChannel in VS Code). */
  log?: (level: 'info' | 'warn' | 'error', line: string) => void;
  /** A one-line message a person should see. */
  notify?: (level: 'info' | 'warning' | 'error', message: string) => void;
  sessionDeps?: SessionDeps;
  /** Ended sessions kept in the list; the oldest go first. */
  maxEndedSessions?: number;
  /** Where sessions are kept across a window reload (none: they are not). */
  archive?: SessionArchive;
}

function decodePayload(data: string, encoding: PayloadInputEncoding): OutboundMessage {
  if (encoding === 'text') return { data };
  if (encoding === 'hex') {
    const clean = data.replace(/\s+/g, '').replace(/^0x/i, '');
    if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error('Not valid hex: use pairs of 0-9 a-f, spaces allowed');
    return { data: Buffer.from(clean, 'hex'), binary: true };
  }
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new Error('Not valid base64');
  return { data: Buffer.from(clean, 'base64'), binary: true };
}

/** Check a payload for the composer without sending it; undefined when fine. */
export function checkPayload(data: string, encoding: PayloadInputEncoding): string | undefined {
  try {
    decodePayload(data, encoding);
    return undefined;
  } catch (err) {
    return describeError(err).message;
  }
}

export class SessionManager implements Disposable {
  private readonly sessions = new Map<string, ManagedSession>();
  private readonly captures = new Map<string, CaptureWriter>();
  private readonly archives = new Map<string, ArchiveWriter>();
  /**
   * Starts a restored session again (the controller resolves its profile's secrets anew); without
   * it, Reconnect of a restored session reuses the options it has, which hold no secrets.
   */
  restartHandler: ((m: ManagedSession) => Promise<ManagedSession | undefined>) | undefined;
  private readonly changeEmitter = new Emitter<void>();
  private readonly appendEmitter = new Emitter<string>();
  private readonly resetEmitter = new Emitter<string>();
  private readonly selectEmitter = new Emitter<string | undefined>();
  private selectedId: string | undefined;
  private counter = 0;
  private disposed = false;

  /** The list of sessions or one's state changed. */
  readonly onDidChangeSessions = this.changeEmitter.event;
  /** Events were appended to a session's log (fired per event; listeners batch). */
  readonly onDidAppend = this.appendEmitter.event;
  /** A session's log was cleared. */
  readonly onDidReset = this.resetEmitter.event;
  readonly onDidChangeSelection = this.selectEmitter.event;

  constructor(private readonly deps: SessionManagerDeps = {}) {}

  private settings(): ManagerSettings {
    return this.deps.settings?.() ?? DEFAULT_SETTINGS;
  }

  /** Start a session. Resolves once the engine has started connecting; failures become events. */
  async start(req: StartRequest): Promise<ManagedSession> {
    if (this.disposed) throw new Error('Wirescope is shutting down');
    const s = this.settings();
    const options: ConnectOptions = { ...req.options, previewLimit: req.options.previewLimit ?? s.previewLimit };
    const managed = this.adopt(req, new Session(options, this.deps.sessionDeps));
    req.beforeStart?.(managed.session);
    await managed.session.start();
    return managed;
  }

  /**
   * Keep the log of a session someone else starts (the pattern race creates its sessions on one
   * clock): it is listed, logged, captured and inspectable like any other. Call before it starts.
   */
  adopt(req: StartRequest, session: Session): ManagedSession {
    if (this.disposed) throw new Error('Wirescope is shutting down');
    const s = this.settings();
    const options = session.options;
    const log = new SessionLog({ maxEvents: s.maxEvents, maxBytes: s.maxBytes });
    const id = `${++this.counter}-${session.id}`;
    const managed: ManagedSession = {
      id,
      name: distinctName(req.name, this.list().map((m) => m.name)),
      pattern: options.pattern,
      url: req.profile.url,
      startedAt: Date.now(),
      profile: req.profile,
      profileId: req.profileId,
      scope: req.scope,
      session,
      log,
      activity: new ActivityTracker(),
      secretValues: (req.secretValues ?? []).filter((v) => v.length > 0),
    };
    this.sessions.set(id, managed);
    if (s.capture.enabled && s.capture.dir) this.openCapture(managed, s.capture.dir);
    this.openArchive(managed);
    session.onEvent((e) => this.onEvent(managed, e));
    this.pruneEnded();
    this.selectedId = id;
    this.deps.log?.('info', `session ${id} ${options.pattern} ${managed.url} (${req.name}) starting`);
    this.changeEmitter.fire();
    this.selectEmitter.fire(id);
    return managed;
  }

  private onEvent(m: ManagedSession, e: WireEvent): void {
    m.log.append(e);
    m.activity.add(e);
    this.archives.get(m.id)?.write(e);
    this.appendEmitter.fire(m.id);
    if (e.kind === 'state') {
      m.lastState = e.state;
      m.lastReason = e.reason !== undefined ? this.redact(m, e.reason) : undefined;
      if (e.state === 'failed' || (e.reason && TERMINAL_STATES.has(e.state))) this.deps.log?.(e.state === 'failed' ? 'warn' : 'info', `session ${m.id} ${e.state}: ${this.redact(m, e.reason ?? '')}`);
      this.changeEmitter.fire();
    } else if (e.kind === 'error') {
      this.deps.log?.('warn', `session ${m.id}: ${this.redact(m, e.message)}`);
    } else if (e.kind === 'summary') {
      this.closeCapture(m.id);
      this.closeArchive(m.id);
      this.changeEmitter.fire();
    }
  }

  private openArchive(m: ManagedSession): void {
    const archive = this.deps.archive;
    if (!archive) return;
    const w = archive.open({ name: m.name, pattern: m.pattern, url: maskUrlPasswords(m.url), startedAt: m.startedAt, profile: { ...m.profile, url: maskUrlPasswords(m.profile.url) }, ...(m.profileId ? { profileId: m.profileId } : {}), ...(m.scope ? { scope: m.scope } : {}) }, this.redaction(m.id));
    if (!w) return;
    m.archivePath = w.path;
    this.archives.set(m.id, w);
  }

  private closeArchive(id: string): Promise<void> {
    const w = this.archives.get(id);
    if (!w) return Promise.resolve();
    this.archives.delete(id);
    return w.end();
  }

  /**
   * Bring back the sessions archived before a window reload, as ended sessions with their logs.
   * Live ones were closed by the reload: their last state says so. Returns how many came back.
   */
  async restoreArchived(): Promise<number> {
    const archive = this.deps.archive;
    if (!archive || this.disposed) return 0;
    const restored = await archive.restore();
    const s = this.settings();
    for (const r of restored) {
      const log = new SessionLog({ maxEvents: s.maxEvents, maxBytes: s.maxBytes });
      const activity = new ActivityTracker();
      let lastState: SessionState | undefined;
      let lastReason: string | undefined;
      for (const e of r.events) {
        log.append(e);
        activity.add(e);
        if (e.kind === 'state') {
          lastState = e.state;
          lastReason = e.reason;
        }
      }
      const session = new Session({ pattern: r.info.pattern, url: r.info.url || 'http://127.0.0.1/' }, this.deps.sessionDeps);
      await session.close('restored after a window reload');
      const id = `${++this.counter}-${session.id}`;
      const ended = lastState === 'closed' || lastState === 'failed';
      const managed: ManagedSession = {
        id,
        name: r.info.name,
        pattern: r.info.pattern,
        url: r.info.url,
        startedAt: r.info.startedAt,
        profile: r.info.profile,
        ...(r.info.profileId ? { profileId: r.info.profileId } : {}),
        ...(r.info.scope ? { scope: r.info.scope } : {}),
        session,
        log,
        activity,
        secretValues: [],
        restored: true,
        archivePath: r.path,
        lastState: ended ? lastState : 'closed',
        lastReason: ended ? lastReason : `ended by a window reload${lastState ? ` while ${lastState}` : ''}`,
      };
      this.sessions.set(id, managed);
    }
    if (restored.length) {
      this.selectedId ??= this.list().at(-1)?.id;
      this.changeEmitter.fire();
      this.selectEmitter.fire(this.selectedId);
    }
    return restored.length;
  }

  private redact(m: ManagedSession, s: string): string {
    let out = s;
    for (const v of m.secretValues) if (v.length >= 3) out = out.split(v).join('[secret]');
    return out;
  }

  /** Masking and redaction options for a session's events (UI and exports). */
  redaction(id: string): RedactOptions {
    const m = this.sessions.get(id);
    return { revealAuthHeaders: this.settings().revealAuthHeaders, secrets: m?.secretValues ?? [] };
  }

  /** An event as it may be shown or exported. */
  sanitize(id: string, e: WireEvent): WireEvent {
    return sanitizeEvent(e, this.redaction(id));
  }

  get(id: string): ManagedSession | undefined {
    return this.sessions.get(id);
  }

  list(): ManagedSession[] {
    return [...this.sessions.values()];
  }

  get selected(): string | undefined {
    return this.selectedId && this.sessions.has(this.selectedId) ? this.selectedId : undefined;
  }

  select(id: string | undefined): void {
    if (id !== undefined && !this.sessions.has(id)) return;
    if (this.selectedId === id) return;
    this.selectedId = id;
    this.selectEmitter.fire(id);
    this.changeEmitter.fire();
  }

  private readonly graphqlFieldCache = new Map<string, Promise<{ fields: GraphqlCompletion[]; error?: string }>>();

  /**
   * GraphQL: the root fields of the session's server as completions, from one introspection per session (a
   * query of its own, apart from the session's connection). Never throws: `error` is the one line why there
   * are none, with the session's secrets redacted.
   */
  graphqlFields(id: string): Promise<{ fields: GraphqlCompletion[]; error?: string }> {
    const m = this.sessions.get(id);
    if (!m) return Promise.resolve({ fields: [], error: 'That session no longer exists' });
    if (m.pattern !== 'graphql') return Promise.resolve({ fields: [], error: 'Field completions are for GraphQL sessions' });
    let p = this.graphqlFieldCache.get(id);
    if (!p) {
      p = import('../patterns/graphql/completions')
        .then(({ graphqlCompletions }) => graphqlCompletions(m.session.options))
        .then(
          (fields) => ({ fields }),
          (err: unknown) => ({ fields: [], error: this.redact(m, describeError(err, m.url).message) }),
        );
      this.graphqlFieldCache.set(id, p);
      // A failed introspection is asked again next time (the server may have been down).
      void p.then((r) => {
        if (r.error !== undefined && this.graphqlFieldCache.get(id) === p) this.graphqlFieldCache.delete(id);
      });
    }
    return p;
  }

  /** The activity strip's aggregates; a live session's reach the present moment. */
  activity(id: string): ActivitySnapshot | undefined {
    const m = this.sessions.get(id);
    if (!m) return undefined;
    const now = m.session.ended || m.restored ? undefined : Date.now() - m.startedAt;
    const withLatency = m.pattern === 'http' || m.pattern === 'poll' || m.pattern === 'long-poll' || m.pattern === 'async';
    return m.activity.snapshot(now, withLatency);
  }

  /** Live (not ended) sessions. */
  live(): ManagedSession[] {
    return this.list().filter((m) => !m.session.ended);
  }

  state(id: string): SessionState | 'idle' {
    return this.sessions.get(id)?.session.state ?? 'closed';
  }

  info(m: ManagedSession): SessionInfo {
    const ended = m.session.ended;
    const state = m.restored ? (m.lastState ?? 'closed') : m.session.state;
    const info: SessionInfo = {
      id: m.id,
      name: m.name,
      pattern: m.pattern,
      // The header shows it: a password in the URL (amqp://user:pass@host) is masked like everywhere else.
      url: maskUrlPasswords(m.url),
      state,
      startedAt: m.startedAt,
      ended,
      canSend: !ended && m.session.canSend,
      canPing: !ended && m.session.canPing,
      canReconnect: true,
    };
    if (!ended && m.session.canHalfClose) info.canHalfClose = true;
    if (m.profileId) info.profileId = m.profileId;
    if (m.marked) info.marked = { seqs: [...m.marked.seqs], note: m.marked.note };
    if (ended) {
      const outcome = outcomeOf(state, m.lastReason);
      if (outcome) info.outcome = outcome;
    }
    if (m.lastReason && (ended || state === 'reconnecting')) info.reason = m.lastReason;
    if (m.restored) info.restored = true;
    if (m.profile.templates?.length) info.templates = m.profile.templates.map((t) => ({ name: t.name, data: t.data, ...(t.encoding ? { encoding: t.encoding } : {}) }));
    return info;
  }

  infos(): SessionInfo[] {
    return this.list().map((m) => this.info(m));
  }

  private require(id: string): ManagedSession {
    const m = this.sessions.get(id);
    if (!m) throw new Error('That session no longer exists');
    return m;
  }

  /** Send a message typed by the user (text, hex or base64). Throws one-line errors. */
  async send(id: string, data: string, encoding: PayloadInputEncoding, channel?: string, options?: Record<string, unknown>): Promise<void> {
    const m = this.require(id);
    const msg = decodePayload(data, encoding);
    if (channel) msg.channel = channel;
    if (options && Object.keys(options).length) msg.meta = options;
    await m.session.send(msg);
  }

  ping(id: string): void {
    this.require(id).session.ping();
  }

  halfClose(id: string): void {
    this.require(id).session.halfClose();
  }

  /** Close a session; resolves with it ended. */
  async disconnect(id: string): Promise<void> {
    const m = this.require(id);
    await m.session.close('closed by user');
  }

  /**
   * Reconnect: a live session that supports it drops and reconnects in place (the log continues);
   * otherwise a new session starts with the same options and becomes the selected one.
   */
  async reconnect(id: string): Promise<ManagedSession> {
    const m = this.require(id);
    // A restored session starts anew from its profile (a prompt cancelled leaves it as it is).
    if (m.restored && this.restartHandler) return (await this.restartHandler(m)) ?? m;
    if (!m.session.ended) {
      try {
        m.session.reconnect();
        return m;
      } catch {
        await m.session.close('reconnect requested by user');
      }
    }
    return this.start({
      options: m.session.options,
      name: m.name,
      profile: m.profile,
      profileId: m.profileId,
      scope: m.scope,
      secretValues: [...m.secretValues],
    });
  }

  /** Announce a change made outside the manager (for example a session's templates). */
  notifyChanged(): void {
    this.changeEmitter.fire();
  }

  clear(id: string): void {
    const m = this.require(id);
    m.log.clear();
    m.activity.reset();
    // What was cleared must not come back after a reload: the archive starts over.
    if (this.archives.has(id) || m.restored) {
      const old = m.archivePath;
      void this.closeArchive(id).then(() => this.deps.archive?.remove(old));
      m.archivePath = undefined;
      if (!m.session.ended) this.openArchive(m);
    }
    this.resetEmitter.fire(id);
    this.changeEmitter.fire();
  }

  /** Forget an ended session (a live one is closed first). */
  async remove(id: string): Promise<void> {
    const m = this.sessions.get(id);
    if (!m) return;
    if (!m.session.ended) await m.session.close('removed');
    this.sessions.delete(id);
    this.graphqlFieldCache.delete(id);
    this.closeCapture(id);
    void this.closeArchive(id).then(() => this.deps.archive?.remove(m.archivePath));
    if (this.selectedId === id) {
      this.selectedId = this.list().at(-1)?.id;
      this.selectEmitter.fire(this.selectedId);
    }
    this.changeEmitter.fire();
  }

  /** Forget every ended session at once ("Clear Ended Sessions"); returns how many went. */
  removeEnded(): number {
    const ended = this.list().filter((m) => m.session.ended);
    for (const m of ended) this.forget(m);
    if (ended.length) {
      if (this.selectedId && !this.sessions.has(this.selectedId)) {
        this.selectedId = this.list().at(-1)?.id;
        this.selectEmitter.fire(this.selectedId);
      }
      this.changeEmitter.fire();
    }
    return ended.length;
  }

  private forget(m: ManagedSession): void {
    this.sessions.delete(m.id);
    this.graphqlFieldCache.delete(m.id);
    this.closeCapture(m.id);
    void this.closeArchive(m.id).then(() => this.deps.archive?.remove(m.archivePath));
  }

  private pruneEnded(): void {
    const keep = this.deps.maxEndedSessions ?? 50;
    const ended = this.list().filter((m) => m.session.ended);
    for (const m of ended.slice(0, Math.max(0, ended.length - keep))) this.forget(m);
  }

  // ------------------------------------------------------------ disk capture

  /**
   * Reopen a past disk capture as an ended, read-only session: its events go into a new log (with
   * the usual caps) and it becomes the selected session. Throws one-line errors for unreadable files.
   */
  async openPastCapture(path: string): Promise<ManagedSession> {
    if (this.disposed) throw new Error('Wirescope is shutting down');
    const s = this.settings();
    const { events, info } = readCapture(path);
    const log = new SessionLog({ maxEvents: s.maxEvents, maxBytes: s.maxBytes });
    const activity = new ActivityTracker();
    let firstTs: number | undefined;
    for await (const e of events) {
      firstTs ??= e.ts;
      log.append(e);
      activity.add(e);
    }
    if (info.events === 0) throw new Error(`${basename(path)} holds no Wirescope events`);
    const start = info.start ?? {};
    const pattern = PATTERNS.find((p) => p === start.pattern) ?? 'http';
    const url = typeof start.url === 'string' ? start.url : path;
    const name = `${typeof start.name === 'string' ? start.name : basename(path)} (capture)`;
    // A session that never connects: closed before it starts, so every action treats it as ended.
    const session = new Session({ pattern, url }, this.deps.sessionDeps);
    await session.close('reopened from a disk capture');
    const id = `${++this.counter}-${session.id}`;
    const managed: ManagedSession = {
      id,
      name,
      pattern,
      url,
      startedAt: typeof start.startedAt === 'number' ? start.startedAt : (firstTs ?? Date.now()),
      profile: { name, pattern, url },
      session,
      log,
      activity,
      secretValues: [],
      capturePath: path,
    };
    if (!info.end) managed.captureNote = 'This capture was cut short (no end record): it holds the events up to the interruption';
    else if (!info.end.complete) managed.captureNote = `This capture is incomplete: ${info.end.reason}`;
    this.sessions.set(id, managed);
    this.selectedId = id;
    this.changeEmitter.fire();
    this.selectEmitter.fire(id);
    return managed;
  }

  private openCapture(m: ManagedSession, dir: string): void {
    try {
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${new Date(m.startedAt).toISOString().replace(/[:.]/g, '-')}-${m.id}.ndjson`);
      const max = this.settings().capture.maxBytes;
      // The writer gets the session's redaction: secrets never reach the disk.
      const writer = attachCapture(m.session, {
        path,
        maxBytes: max,
        redact: this.redaction(m.id),
        start: { name: m.name, pattern: m.pattern, url: maskUrlPasswords(m.url), startedAt: m.startedAt },
        onStop: (message) => {
          m.captureNote = /size limit/.test(message)
            ? `Disk capture of "${m.name}" stopped at its size cap (${Math.round(max / 1048576)} MiB); the in-memory log continues`
            : message;
          this.deps.notify?.('warning', m.captureNote);
        },
      });
      m.capturePath = path;
      this.captures.set(m.id, writer);
    } catch (err) {
      m.captureNote = `Disk capture unavailable: ${describeError(err).message}`;
      this.deps.notify?.('warning', m.captureNote);
    }
  }

  private closeCapture(id: string): void {
    const c = this.captures.get(id);
    if (!c) return;
    this.captures.delete(id);
    void c.end();
  }

  /** Close every session (extension deactivation). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.live().map((m) => m.session.close('VS Code window closing').catch(() => undefined)));
    for (const id of [...this.captures.keys()]) this.closeCapture(id);
    // The archive files must be whole before the window goes: they are the sessions after a reload.
    await Promise.all([...this.archives.keys()].map((id) => this.closeArchive(id).catch(() => undefined)));
    this.changeEmitter.dispose();
    this.appendEmitter.dispose();
    this.resetEmitter.dispose();
    this.selectEmitter.dispose();
  }
}
