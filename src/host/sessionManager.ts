/**
 * The extension's sessions: creates engine Sessions from profiles or ad-hoc options, keeps each
 * session's events in a bounded SessionLog (the host owns the log; webviews are viewports), and
 * tells the UI what changed. No vscode import, so it is unit-tested in plain Node.
 */
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
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
import type { PayloadInputEncoding, SessionInfo } from '../shared/protocol';

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
  readonly secretValues: readonly string[];
  /** Events a test run marked (failing expectations point at them), shown marked in the inspector. */
  marked?: { seqs: number[]; note: string };
  /** Why disk capture stopped, if it did. */
  captureNote?: string;
  capturePath?: string;
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
      name: req.name,
      pattern: options.pattern,
      url: req.profile.url,
      startedAt: Date.now(),
      profile: req.profile,
      profileId: req.profileId,
      scope: req.scope,
      session,
      log,
      secretValues: (req.secretValues ?? []).filter((v) => v.length > 0),
    };
    this.sessions.set(id, managed);
    if (s.capture.enabled && s.capture.dir) this.openCapture(managed, s.capture.dir);
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
    this.appendEmitter.fire(m.id);
    if (e.kind === 'state') {
      if (e.state === 'failed' || (e.reason && TERMINAL_STATES.has(e.state))) this.deps.log?.(e.state === 'failed' ? 'warn' : 'info', `session ${m.id} ${e.state}: ${this.redact(m, e.reason ?? '')}`);
      this.changeEmitter.fire();
    } else if (e.kind === 'error') {
      this.deps.log?.('warn', `session ${m.id}: ${this.redact(m, e.message)}`);
    } else if (e.kind === 'summary') {
      this.closeCapture(m.id);
      this.changeEmitter.fire();
    }
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

  /** Live (not ended) sessions. */
  live(): ManagedSession[] {
    return this.list().filter((m) => !m.session.ended);
  }

  state(id: string): SessionState | 'idle' {
    return this.sessions.get(id)?.session.state ?? 'closed';
  }

  info(m: ManagedSession): SessionInfo {
    const ended = m.session.ended;
    const info: SessionInfo = {
      id: m.id,
      name: m.name,
      pattern: m.pattern,
      url: m.url,
      state: m.session.state,
      startedAt: m.startedAt,
      ended,
      canSend: !ended && m.session.canSend,
      canPing: !ended && m.session.canPing,
      canReconnect: true,
    };
    if (m.profileId) info.profileId = m.profileId;
    if (m.marked) info.marked = { seqs: [...m.marked.seqs], note: m.marked.note };
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
    this.resetEmitter.fire(id);
    this.changeEmitter.fire();
  }

  /** Forget an ended session (a live one is closed first). */
  async remove(id: string): Promise<void> {
    const m = this.sessions.get(id);
    if (!m) return;
    if (!m.session.ended) await m.session.close('removed');
    this.sessions.delete(id);
    this.closeCapture(id);
    if (this.selectedId === id) {
      this.selectedId = this.list().at(-1)?.id;
      this.selectEmitter.fire(this.selectedId);
    }
    this.changeEmitter.fire();
  }

  private pruneEnded(): void {
    const keep = this.deps.maxEndedSessions ?? 50;
    const ended = this.list().filter((m) => m.session.ended);
    for (const m of ended.slice(0, Math.max(0, ended.length - keep))) {
      this.sessions.delete(m.id);
      this.closeCapture(m.id);
    }
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
    let firstTs: number | undefined;
    for await (const e of events) {
      firstTs ??= e.ts;
      log.append(e);
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
        start: { name: m.name, pattern: m.pattern, url: m.url, startedAt: m.startedAt },
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
    this.changeEmitter.dispose();
    this.appendEmitter.dispose();
    this.resetEmitter.dispose();
    this.selectEmitter.dispose();
  }
}
