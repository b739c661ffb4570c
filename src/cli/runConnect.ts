import { httpStatusOf } from '../core/expectations';
import { redactText, sanitizeEvent } from '../core/export/redact';
import { probePattern } from '../core/patternProbe';
import { HTTP_STATUS_PATTERNS } from '../shared/expectations';
import { Session, type SessionObserver } from '../core/session';
import type { StateEvent, SummaryEvent, WireEvent } from '../shared/events';
import type { ConnectCommand } from './args';
import { createPrinter, shouldColor } from './format';

/** Exit codes of `wirescope`. */
export const EXIT = {
  ok: 0,
  /** The session ended in state `failed` (refused, DNS, TLS, handshake rejected...). */
  failed: 1,
  /** Bad arguments or an invalid URL. */
  usage: 2,
  /** `--fail-on anomaly` and the session saw sequence anomalies. */
  anomaly: 3,
  /** `--fail-on http-error` and an HTTP response had a 4xx/5xx status. */
  httpError: 4,
} as const;

/** Where the command writes and how it is stopped; the real process in main.ts, something else in tests. */
export interface CliIo {
  write(text: string): void;
  /** One line on stderr. */
  error(line: string): void;
  isTTY: boolean;
  columns?: number;
  env: Record<string, string | undefined>;
  /** The current folder (profiles files are looked for from here up); process.cwd() when absent. */
  cwd?: string;
  /** Calls `stop` on Ctrl+C / SIGTERM; returns a function that removes the handlers. */
  onInterrupt(stop: (signal: string) => void): () => void;
}

/** Why a session failed, in one line: the terminal state's reason, else the last error. */
function failureLine(events: { lastError?: string; terminal?: StateEvent }): string {
  return events.terminal?.reason ?? events.lastError ?? 'connection failed';
}


/**
 * Run `wirescope connect` to the end; resolves with the exit code. `observers` see every event first
 * (sequence checks, stats). `secretValues` (from a profile) are replaced by `[secret]` in everything printed.
 */
export async function runConnect(cmd: ConnectCommand, io: CliIo, observers: readonly SessionObserver[] = [], secretValues: readonly string[] = []): Promise<number> {
  const printer = createPrinter(cmd.format, { color: shouldColor(io.isTTY, io.env), columns: io.columns });
  if (cmd.probePattern) {
    // An http(s) URL without --pattern: its Content-Type decides (text/event-stream -> sse, NDJSON -> stream).
    const probe = await probePattern(cmd.options);
    if (probe.pattern !== cmd.options.pattern) {
      cmd = { ...cmd, options: { ...cmd.options, pattern: probe.pattern } };
      const note = `connecting as ${probe.pattern} (${probe.pattern === 'sse' ? 'server-sent events' : 'HTTP stream'}): ${probe.reason}; --pattern http for request-response`;
      io.error(redactText(note, secretValues.filter((v) => v.length > 0)));
    }
  }
  const session = new Session(cmd.options);
  for (const o of observers) session.observe(o);
  const secrets = secretValues.filter((v) => v.length > 0);
  const redaction = { secrets, revealAuthHeaders: true };
  let lastError: string | undefined;
  let terminal: StateEvent | undefined;
  let httpError: { status: number; seq: number } | undefined;
  session.onEvent((raw: WireEvent) => {
    const e = secrets.length ? sanitizeEvent(raw, redaction) : raw;
    if (e.kind === 'error') lastError = e.message;
    if (e.kind === 'state' && (e.state === 'closed' || e.state === 'failed')) terminal = e;
    const status = httpStatusOf(e);
    if (status !== undefined && status >= 400 && !httpError) httpError = { status, seq: e.seq };
    const text = printer.print(e);
    if (text !== undefined) io.write(text);
  });
  const removeInterrupt = io.onInterrupt((signal) => void session.close(signal === 'SIGINT' ? 'interrupted (Ctrl+C)' : `stopped by ${signal}`));
  let summary: SummaryEvent;
  try {
    await session.start();
    summary = await session.done;
  } finally {
    removeInterrupt();
  }
  if (summary.state === 'failed') {
    io.error(redactText(failureLine({ lastError, terminal }), secrets));
    return EXIT.failed;
  }
  if (cmd.failOn === 'anomaly' && summary.anomalies) {
    const a = summary.anomalies;
    const total = a.gap + a.duplicate + a['out-of-order'];
    if (total > 0) {
      io.error(`${total} sequence anomal${total === 1 ? 'y' : 'ies'} (${a.gap} gap, ${a.duplicate} duplicate, ${a['out-of-order']} out-of-order)`);
      return EXIT.anomaly;
    }
  }
  if (cmd.failOnHttpError && httpError && HTTP_STATUS_PATTERNS.includes(cmd.options.pattern)) {
    io.error(`HTTP ${httpError.status} (event #${httpError.seq}) with --fail-on http-error`);
    return EXIT.httpError;
  }
  return EXIT.ok;
}
