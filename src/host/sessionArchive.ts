/**
 * Keeps the extension's sessions across a window reload. Each session's events go to an NDJSON
 * file in the extension's storage directory as they happen (the disk-capture format: redacted,
 * secrets never written), with a first record naming the session and its unresolved profile. On
 * activation the files come back as ended sessions with their logs.
 *
 * Bounded: at most `maxSessions` files (the oldest go), each at most `maxBytes` (later events of
 * a bigger session stay in memory only, so a flood costs the disk and the CPU a fixed amount).
 * No vscode import: unit-tested in plain Node.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureWriter, readCapture } from '../core/captureWriter';
import { describeError } from '../core/errors';
import type { RedactOptions } from '../core/export/redact';
import { PATTERNS, type PatternId } from '../shared/connectOptions';
import type { WireEvent } from '../shared/events';
import type { Profile, ProfileScope } from '../shared/profile';

export const ARCHIVE_MAX_SESSIONS = 20;
export const ARCHIVE_MAX_BYTES = 16 * 1024 * 1024;

/** What the archive records about a session besides its events. */
export interface ArchivedSessionInfo {
  name: string;
  pattern: PatternId;
  url: string;
  startedAt: number;
  profile: Profile;
  profileId?: string;
  scope?: ProfileScope;
}

/** A session read back from the archive. */
export interface RestoredSession {
  path: string;
  info: ArchivedSessionInfo;
  events: WireEvent[];
  /** The file was cut short (the window went before the last write). */
  cutShort: boolean;
}

export interface ArchiveOptions {
  dir: string;
  maxSessions?: number;
  maxBytes?: number;
  log?: (level: 'info' | 'warn' | 'error', line: string) => void;
}

/** The live writer of one session's archive file. */
export interface ArchiveWriter {
  readonly path: string;
  write(e: WireEvent): void;
  end(): Promise<void>;
}

let fileCounter = 0;

export class SessionArchive {
  readonly dir: string;
  private readonly maxSessions: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: ArchiveOptions) {
    this.dir = opts.dir;
    this.maxSessions = opts.maxSessions ?? ARCHIVE_MAX_SESSIONS;
    this.maxBytes = opts.maxBytes ?? ARCHIVE_MAX_BYTES;
  }

  /** Start a session's file; undefined (and a log line) when the directory cannot be written. */
  open(info: ArchivedSessionInfo, redact: RedactOptions): ArchiveWriter | undefined {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Room for the new file first (the stream creates it asynchronously).
      this.prune(this.maxSessions - 1);
      const path = join(this.dir, `${Date.now()}-${process.pid}-${++fileCounter}.ndjson`);
      const writer = new CaptureWriter({
        path,
        maxBytes: this.maxBytes,
        redact,
        start: { wirescopeArchive: 1, ...info },
        onStop: (message) => this.opts.log?.('info', `session archive ${path}: ${message}`),
      });
      return writer;
    } catch (err) {
      this.opts.log?.('warn', `sessions will not survive a reload: ${describeError(err).message}`);
      return undefined;
    }
  }

  /** Forget a session's file (the session was removed or cleared). */
  remove(path: string | undefined): void {
    if (!path) return;
    try {
      rmSync(path, { force: true });
    } catch (err) {
      this.opts.log?.('warn', `could not remove ${path}: ${describeError(err).message}`);
    }
  }

  /** Archive files, oldest first. */
  private files(): Array<{ path: string; mtime: number }> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.ndjson'));
    } catch {
      return [];
    }
    const out: Array<{ path: string; mtime: number }> = [];
    for (const n of names) {
      const path = join(this.dir, n);
      try {
        out.push({ path, mtime: statSync(path).mtimeMs });
      } catch {
        // Gone meanwhile.
      }
    }
    return out.sort((a, b) => a.mtime - b.mtime || a.path.localeCompare(b.path));
  }

  /** Keep the newest `max` files. */
  private prune(max = this.maxSessions): void {
    const files = this.files();
    for (const f of files.slice(0, Math.max(0, files.length - max))) this.remove(f.path);
  }

  /** Read every archived session back, oldest first; unreadable files are skipped with a log line. */
  async restore(): Promise<RestoredSession[]> {
    this.prune();
    const out: RestoredSession[] = [];
    for (const f of this.files()) {
      try {
        const { events, info } = readCapture(f.path);
        const list: WireEvent[] = [];
        for await (const e of events) list.push(e);
        const start = info.start ?? {};
        if (start.wirescopeArchive !== 1) {
          this.opts.log?.('warn', `session archive ${f.path} has no session record; removed`);
          this.remove(f.path);
          continue;
        }
        const pattern = PATTERNS.find((p) => p === start.pattern) ?? 'http';
        const url = typeof start.url === 'string' ? start.url : '';
        const name = typeof start.name === 'string' ? start.name : 'Session';
        const profile = start.profile && typeof start.profile === 'object' && !Array.isArray(start.profile) ? (start.profile as Profile) : { name, pattern, url };
        out.push({
          path: f.path,
          info: {
            name,
            pattern,
            url,
            startedAt: typeof start.startedAt === 'number' ? start.startedAt : f.mtime,
            profile,
            ...(typeof start.profileId === 'string' ? { profileId: start.profileId } : {}),
            ...(start.scope === 'workspace' || start.scope === 'user' ? { scope: start.scope } : {}),
          },
          events: list,
          cutShort: !info.end,
        });
      } catch (err) {
        this.opts.log?.('warn', `could not restore ${f.path}: ${describeError(err).message}`);
      }
    }
    return out;
  }
}
