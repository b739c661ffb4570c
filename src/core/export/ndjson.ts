/**
 * NDJSON export: one event of the contract per line, exactly as the CLI's `--format ndjson` prints it,
 * after masking and redaction. Parsing back gives the same events.
 */
import type { WireEvent } from '../../shared/events';
import { sanitizeEvent, type RedactOptions } from './redact';

/** One NDJSON line (without the newline) for an event, sanitized. */
export function ndjsonLine(e: WireEvent, opts: RedactOptions = {}): string {
  return JSON.stringify(sanitizeEvent(e, opts));
}

/** Lines for many events, lazily, so a large log is never held twice in memory. */
export function* ndjsonLines(events: Iterable<WireEvent>, opts: RedactOptions = {}): Generator<string> {
  for (const e of events) yield ndjsonLine(e, opts) + '\n';
}

/** The whole export as one string (small logs and tests). */
export function toNdjson(events: Iterable<WireEvent>, opts: RedactOptions = {}): string {
  let out = '';
  for (const line of ndjsonLines(events, opts)) out += line;
  return out;
}

/** Parse NDJSON back into events; a malformed line is reported with its line number, in one line. */
export function parseNdjson(text: string): WireEvent[] {
  const out: WireEvent[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`Line ${i + 1} is not valid JSON`);
    }
    // Disk captures add `capture` records (start, holes, end) that are about the file, not events.
    if (v && typeof v === 'object' && (v as { kind?: unknown }).kind === 'capture') continue;
    if (!v || typeof v !== 'object' || typeof (v as { kind?: unknown }).kind !== 'string' || !Number.isInteger((v as { seq?: unknown }).seq)) {
      throw new Error(`Line ${i + 1} is not a Wirescope event`);
    }
    out.push(v as WireEvent);
  }
  return out;
}
