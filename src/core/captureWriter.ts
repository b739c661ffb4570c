/**
 * Full capture of a session to disk, and reading it back.
 *
 * The file is NDJSON: one event of the contract per line, exactly as `--format ndjson` prints it,
 * after masking and redaction (secret values never reach the disk). Besides events, the file holds
 * `capture` lines that are not session events: an optional first line describing the session, a
 * note when the disk fell behind and events were not written, and a last line that says how the
 * capture ended (complete, or stopped at its size limit). A capture without that last line was cut
 * short (a crash, a killed window); the reader still returns everything up to the last whole line.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { WireEvent } from '../shared/events';
import { sanitizeEvent, redactText, type RedactOptions } from './export/redact';
import { describeError } from './errors';

/** A line of a capture file that is about the capture, not an event of the session. */
export interface CaptureRecord {
  kind: 'capture';
  /** First line: what was captured. */
  start?: Record<string, unknown>;
  /** Events that were not written because the disk fell behind (`from`..`to` are their seqs). */
  skipped?: { count: number; from: number; to: number };
  /** Last line: how the capture ended. */
  end?: { complete: boolean; reason: string; events: number; bytes: number; skipped: number };
}

export interface CaptureWriterOptions {
  /** File to create; it must not exist yet. Created with mode 0600. */
  path: string;
  /** Stop writing before the file would grow past this many bytes (end record included). Default 512 MiB. */
  maxBytes?: number;
  /** Masking and the secret values to replace. */
  redact?: RedactOptions;
  /** Bytes waiting for the disk before further events are skipped (and counted). Default 8 MiB. */
  maxPendingBytes?: number;
  /** Written as the first line (`{"kind":"capture","start":...}`), redacted like events. */
  start?: Record<string, unknown>;
  /** Called once when writing stops early (size limit or a disk error), with a one-line message. */
  onStop?(message: string): void;
}

export const DEFAULT_CAPTURE_MAX_BYTES = 512 * 1024 * 1024;
const DEFAULT_MAX_PENDING = 8 * 1024 * 1024;
/** Room kept for the end record, so that the whole file stays within its limit. */
const END_RESERVE = 512;

function sizeText(n: number): string {
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  const v = n / (1024 * 1024);
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} MB`;
}

/**
 * Writes one session's events to an NDJSON file without blocking the session: lines go to a file
 * stream, and while the disk is behind by more than `maxPendingBytes` events are skipped and
 * counted (a `skipped` record marks the hole) rather than held in memory without bound.
 */
export class CaptureWriter {
  readonly path: string;
  private readonly stream: WriteStream;
  private readonly maxBytes: number;
  private readonly maxPending: number;
  private readonly redact: RedactOptions;
  private readonly onStop: ((message: string) => void) | undefined;
  private written = 0;
  private events = 0;
  private skippedTotal = 0;
  private skipRun: { count: number; from: number; to: number } | undefined;
  private stopReason: string | undefined;
  private ended: Promise<void> | undefined;
  private failed: string | undefined;

  constructor(opts: CaptureWriterOptions) {
    this.path = opts.path;
    this.maxBytes = opts.maxBytes ?? DEFAULT_CAPTURE_MAX_BYTES;
    this.maxPending = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    this.redact = opts.redact ?? {};
    this.onStop = opts.onStop;
    this.stream = createWriteStream(opts.path, { flags: 'wx', mode: 0o600 });
    this.stream.on('error', (err) => {
      if (this.failed) return;
      this.failed = `Disk capture stopped: ${describeError(err).message}`;
      this.stop(this.failed);
    });
    if (opts.start) this.raw({ kind: 'capture', start: opts.start });
  }

  /** Bytes handed to the file so far. */
  get bytes(): number {
    return this.written;
  }

  /** Events written so far. */
  get eventCount(): number {
    return this.events;
  }

  /** Events not written because the disk fell behind. */
  get skipped(): number {
    return this.skippedTotal;
  }

  /** Why writing stopped early, if it did. */
  get stopped(): string | undefined {
    return this.stopReason;
  }

  /** Write one event (sanitized). Never throws; never blocks. */
  write(e: WireEvent): void {
    if (this.stopReason !== undefined || this.ended) return;
    const line = JSON.stringify(sanitizeEvent(e, this.redact)) + '\n';
    const size = Buffer.byteLength(line);
    if (this.written + size + END_RESERVE > this.maxBytes) {
      this.stop(`disk capture stopped at ${sizeText(this.maxBytes)} (its size limit); later events are kept in memory only`);
      return;
    }
    if (this.stream.writableLength > this.maxPending) {
      // The disk is behind: count the hole instead of buffering without bound.
      if (this.skipRun) {
        this.skipRun.count++;
        this.skipRun.to = e.seq;
      } else this.skipRun = { count: 1, from: e.seq, to: e.seq };
      this.skippedTotal++;
      return;
    }
    if (this.skipRun) {
      this.raw({ kind: 'capture', skipped: this.skipRun });
      this.skipRun = undefined;
    }
    this.written += size;
    this.events++;
    this.stream.write(line);
  }

  private raw(record: CaptureRecord): void {
    const line = redactText(JSON.stringify(record), this.redact.secrets ?? []) + '\n';
    this.written += Buffer.byteLength(line);
    this.stream.write(line);
  }

  private stop(message: string): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = message;
    this.onStop?.(message);
    void this.end();
  }

  /** Write the last line and close the file. Resolves once the file is flushed; safe to call twice. */
  end(): Promise<void> {
    if (this.ended) return this.ended;
    this.ended = (async () => {
      if (!this.failed && !this.stream.destroyed) {
        if (this.skipRun) {
          this.raw({ kind: 'capture', skipped: this.skipRun });
          this.skipRun = undefined;
        }
        const complete = this.stopReason === undefined && this.skippedTotal === 0;
        this.raw({ kind: 'capture', end: { complete, reason: this.stopReason ?? 'session ended', events: this.events, bytes: this.written, skipped: this.skippedTotal } });
        this.stream.end();
      } else {
        this.stream.destroy();
      }
      if (!this.stream.closed) await once(this.stream, 'close').catch(() => undefined);
    })();
    return this.ended;
  }
}

/** What reading a capture found besides its events. */
export interface CaptureInfo {
  start?: Record<string, unknown>;
  end?: CaptureRecord['end'];
  /** Holes the writer recorded. */
  skipped: NonNullable<CaptureRecord['skipped']>[];
  events: number;
  /** The last line was cut off (no newline, not whole JSON): the capture was interrupted. */
  truncatedLastLine: boolean;
  /** Lines elsewhere that were not whole JSON events (a damaged file); skipped. */
  badLines: number;
}

/**
 * Stream a capture's events back, oldest first. `info` is complete once iteration finishes.
 * A missing or unreadable file throws one-line errors; damaged lines are counted, not thrown.
 */
export function readCapture(path: string): { events: AsyncGenerator<WireEvent>; info: CaptureInfo } {
  const info: CaptureInfo = { skipped: [], events: 0, truncatedLastLine: false, badLines: 0 };
  async function* events(): AsyncGenerator<WireEvent> {
    const input = createReadStream(path, { encoding: 'utf8' });
    const failure = new Promise<never>((_, reject) =>
      input.once('error', (err) => reject(new Error(`Cannot read capture ${path}: ${describeError(err).message}`))),
    );
    failure.catch(() => undefined);
    // Only the file's last line can lack a newline; remember whether the file ended with one.
    let endsWithNewline = true;
    input.on('data', (chunk) => {
      if (chunk.length > 0) endsWithNewline = (chunk as string).endsWith('\n');
    });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let pending: string | undefined;
    const take = (line: string, last: boolean): WireEvent | undefined => {
      if (!line.trim()) return undefined;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        if (last && !endsWithNewline) info.truncatedLastLine = true;
        else info.badLines++;
        return undefined;
      }
      const rec = v as { kind?: unknown; seq?: unknown };
      if (rec && rec.kind === 'capture') {
        const c = v as CaptureRecord;
        if (c.start) info.start = c.start;
        if (c.end) info.end = c.end;
        if (c.skipped) info.skipped.push(c.skipped);
        return undefined;
      }
      if (!rec || typeof rec.kind !== 'string' || !Number.isInteger(rec.seq)) {
        info.badLines++;
        return undefined;
      }
      info.events++;
      return v as WireEvent;
    };
    const iterate = (async function* () {
      for await (const line of lines) yield line;
    })();
    try {
      while (true) {
        const next = await Promise.race([iterate.next(), failure]);
        if (next.done) break;
        if (pending !== undefined) {
          const e = take(pending, false);
          if (e) yield e;
        }
        pending = next.value;
      }
      if (pending !== undefined) {
        const e = take(pending, true);
        if (e) yield e;
      }
    } finally {
      lines.close();
      input.destroy();
    }
  }
  return { events: events(), info };
}

/** The part of a Session a capture needs. */
export interface CapturedSession {
  onEvent(listener: (e: WireEvent) => void): unknown;
  emitExtra(body: { kind: 'error'; message: string; code?: string }): void;
}

/**
 * Capture a session's events to `opts.path` from now on. When writing stops early, the session gets
 * an `error` event with the one-line reason (visible in every UI and in the CLI), and the file ends
 * with a record saying so. The file is closed after the summary; `writer.end()` waits for that.
 */
export function attachCapture(session: CapturedSession, opts: CaptureWriterOptions): CaptureWriter {
  const writer = new CaptureWriter({
    ...opts,
    onStop: (message) => {
      opts.onStop?.(message);
      // After the event being written has reached every listener: the session's order stays intact.
      queueMicrotask(() => session.emitExtra({ kind: 'error', message, code: 'ERR_CAPTURE_STOPPED' }));
    },
  });
  session.onEvent((e) => {
    writer.write(e);
    if (e.kind === 'summary') void writer.end();
  });
  return writer;
}
