import { httpStatusOf } from '../core/expectations';
import { redactText, sanitizeEvent } from '../core/export/redact';
import { probePattern } from '../core/patternProbe';
import { HTTP_STATUS_PATTERNS } from '../shared/expectations';
import { Session, type SessionObserver } from '../core/session';
import type { StateEvent, SummaryEvent, WireEvent } from '../shared/events';
import type { ConnectCommand } from './args';
import { createPrinter, shouldColor } from './format';
import { redactHeaders } from '../shared/credentials';

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
  /**
   * Write to stdout. Returns false when the consumer has fallen behind (its backlog is over the
   * limit); `onDrain` then says when it has caught up.
   */
  write(text: string): boolean | void;
  /** Call `cb` once stdout's backlog has been written out (after write() returned false). */
  onDrain?(cb: () => void): void;
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

/**
 * Credential headers are masked in everything the CLI prints, with the one rule of
 * shared/credentials: request headers already are at the source; response headers (Set-Cookie, a
 * token echoed back) and any other `…headers` in `meta` are masked here. Returns `e` itself when
 * there is nothing to mask (the common case, cheaply).
 */
function maskEventHeaders(e: WireEvent): WireEvent {
  const meta = (e as { meta?: Record<string, unknown> }).meta;
  if (meta === undefined) return e;
  let out: Record<string, unknown> | undefined;
  for (const k in meta) {
    // Only keys ending in "headers" (any case) are looked at; the last letter rules out the rest cheaply.
    const last = k.charCodeAt(k.length - 1);
    if (last !== 115 && last !== 83) continue;
    const v = meta[k];
    if ((k === 'headers' || /headers$/i.test(k)) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const masked = redactHeaders(v as Record<string, string>);
      if (Object.keys(masked).some((h) => masked[h] !== (v as Record<string, string>)[h])) (out ??= { ...meta })[k] = masked;
    }
  }
  return out ? ({ ...e, meta: out } as WireEvent) : e;
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
  if (cmd.grpcList) return (await import('./grpcList')).runGrpcList(cmd, io, secretValues);
  if (cmd.graphqlList) return (await import('./graphqlList')).runGraphqlList(cmd, io, secretValues);
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
  // GraphQL: results (and operations) with errors; the first one's line, and how many.
  let graphqlErrors: { first: string; count: number } | undefined;
  // Back-pressure: when stdout falls behind, stop reading from the network until it catches up
  // (the peer is held back by TCP), so memory stays bounded whatever the consumer's speed.
  let behind = false;
  const caughtUp = () => {
    behind = false;
    session.resume();
  };
  session.onEvent((raw: WireEvent) => {
    const e = secrets.length ? sanitizeEvent(raw, redaction) : raw;
    if (e.kind === 'error') lastError = e.message;
    if (e.kind === 'state' && (e.state === 'closed' || e.state === 'failed')) terminal = e;
    const status = httpStatusOf(e);
    if (status !== undefined && status >= 400 && !httpError) httpError = { status, seq: e.seq };
    if (e.kind === 'frame' && Array.isArray(e.meta?.errors) && e.meta.errors.length > 0) {
      const first = e.meta.errors[0] as { message?: unknown; path?: unknown };
      const line = `${String(first.message ?? '')}${Array.isArray(first.path) && first.path.length ? ` (at ${first.path.join('.')})` : ''}`;
      graphqlErrors = graphqlErrors ? { ...graphqlErrors, count: graphqlErrors.count + 1 } : { first: `${e.channel !== undefined ? `${e.channel}: ` : ''}${line}`, count: 1 };
    }
    const shown = maskEventHeaders(e);
    const text = printer.print(shown);
    if (text === undefined) return;
    if (io.write(text) === false && !behind && io.onDrain && e.kind !== 'summary') {
      behind = true;
      // Patterns that cannot pause (request-driven ones pace themselves) keep writing into the backlog.
      session.pause();
      io.onDrain(caughtUp);
    }
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
  if (graphqlErrors && cmd.options.pattern === 'graphql') {
    // A GraphQL result with errors is a failure even with HTTP 200, as a non-OK gRPC status is.
    const more = graphqlErrors.count > 1 ? ` (and ${graphqlErrors.count - 1} more result${graphqlErrors.count === 2 ? '' : 's'} with errors)` : '';
    io.error(redactText(`GraphQL errors: ${graphqlErrors.first}${more}`, secrets));
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
