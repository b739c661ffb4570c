/**
 * Output formats of `wirescope connect`: ndjson (the contract, one event per line), summary (the
 * final summary only) and pretty (for people). Server data is only ever printed escaped, so a
 * payload cannot move the cursor, change colours or hide text in the terminal.
 */
import { isRedelivery } from '../shared/redelivery';
import type { FrameEvent, StateEvent, SummaryEvent, TimingEvent, WireEvent } from '../shared/events';
import type { OutputFormat } from './args';

/** Turns events into output text; `undefined` means print nothing for this event. */
export interface EventPrinter {
  print(e: WireEvent): string | undefined;
}

/**
 * Characters JSON.stringify leaves raw that a terminal may act on: DEL, C1 controls (U+0080-U+009F,
 * among them the 8-bit CSI and OSC), line and paragraph separators, bidirectional controls, the BOM.
 * C0 controls are already escaped by JSON.stringify.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * One event as a JSON line that is safe on a terminal: the same JSON value (a `\uXXXX` escape
 * parses to the same string), with no character a terminal could interpret.
 */
export function jsonLine(e: unknown): string {
  const text = JSON.stringify(e);
  // Every unsafe character is DEL or above ASCII: a line of ASCII without DEL (its UTF-8 length is its
  // length) needs no scan, which costs about a third as much as the regex on a short line.
  if (Buffer.byteLength(text) === text.length && text.indexOf('\x7f') === -1) return text + '\n';
  JSON_UNSAFE.lastIndex = 0;
  if (!JSON_UNSAFE.test(text)) return text + '\n';
  return text.replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

export class NdjsonPrinter implements EventPrinter {
  print(e: WireEvent): string {
    return jsonLine(e);
  }
}

export class SummaryPrinter implements EventPrinter {
  print(e: WireEvent): string | undefined {
    return e.kind === 'summary' ? jsonLine(e) : undefined;
  }
}

/** ANSI styles; identity functions when colour is off. */
interface Palette {
  dim(s: string): string;
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

function palette(color: boolean): Palette {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { dim: wrap(2, 22), bold: wrap(1, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), magenta: wrap(35, 39) };
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldColor(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY === true && env.TERM !== 'dumb';
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/**
 * One printable line from untrusted text: control characters (C0, DEL, C1), line and paragraph
 * separators and bidirectional overrides become visible escapes; the result is cut to `max`
 * characters with an ellipsis.
 */
export function escapePreview(text: string, max: number): string {
  let out = '';
  let count = 0;
  for (const ch of text) {
    if (count >= max) return out + '…';
    const cp = ch.codePointAt(0)!;
    let piece = ch;
    if (NAMED_ESCAPES[ch]) piece = NAMED_ESCAPES[ch];
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) piece = `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp === 0x2028 || cp === 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff) {
      piece = `\\u${cp.toString(16).padStart(4, '0')}`;
    }
    out += piece;
    count += piece.length;
  }
  return out;
}

/** Bytes for people: 512 B, 1.5 KiB, 2.0 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const WS_OPCODES: Record<number, string> = { 8: 'close', 9: 'ping', 10: 'pong' };

/** Width of the timing waterfall bar in characters. */
const BAR_WIDTH = 24;

/**
 * A waterfall of one exchange's phases in a fixed width: d dns, c connect, s tls, w waiting for
 * the first byte, r receiving. Every phase that took time gets at least one character.
 */
export function waterfall(p: TimingEvent['phases']): string {
  const parts: Array<[string, number | null]> = [
    ['d', p.dns],
    ['c', p.connect],
    ['s', p.tls],
    ['w', p.ttfb],
    ['r', p.download],
  ];
  const sum = parts.reduce((a, [, v]) => a + (v ?? 0), 0);
  const total = Math.max(p.total, sum);
  if (total <= 0) return '';
  let bar = '';
  for (const [ch, v] of parts) {
    if (!v || v <= 0) continue;
    bar += ch.repeat(Math.max(1, Math.round((v / total) * BAR_WIDTH)));
  }
  return bar.slice(0, BAR_WIDTH + 4);
}

/** The people-readable format: one line per event, a waterfall for timings, a final summary. */
export class PrettyPrinter implements EventPrinter {
  private readonly c: Palette;
  private readonly previewWidth: number;

  constructor(opts: { color: boolean; columns?: number }) {
    this.c = palette(opts.color);
    // Leave room for the time, arrow, size and channel columns.
    this.previewWidth = Math.max(20, (opts.columns ?? 120) - 40);
  }

  print(e: WireEvent): string {
    const time = this.c.dim(`${(e.t / 1000).toFixed(3).padStart(8)}s`);
    return `${time}  ${this.body(e)}\n`;
  }

  private body(e: WireEvent): string {
    const c = this.c;
    switch (e.kind) {
      case 'state':
        return this.state(e);
      case 'frame':
        return this.frame(e);
      case 'timing':
        return this.timing(e);
      case 'reconnect':
        return c.yellow(`↻ reconnect #${e.attempt} in ${Math.round(e.delayMs)} ms`) + `: ${escapePreview(e.cause, this.previewWidth)}`;
      case 'error':
        return c.red(`✖ error`) + `${e.code ? c.dim(` [${escapePreview(e.code, 40)}]`) : ''} ${escapePreview(e.message, this.previewWidth + 20)}`;
      case 'anomaly': {
        const detail = [`key ${e.key}`, e.expected !== undefined ? `expected ${e.expected}` : '', e.got !== undefined ? `got ${e.got}` : '', e.meta?.redelivered === true ? 'redelivered by the broker' : '', e.meta?.afterReconnect === true ? 'after a reconnect' : ''].filter(Boolean).join(', ');
        return c.magenta(`⚠ ${e.type}`) + ` ${escapePreview(detail, this.previewWidth)}`;
      }
      case 'summary':
        return this.summary(e);
    }
  }

  private state(e: StateEvent): string {
    const c = this.c;
    const color = e.state === 'open' ? c.green : e.state === 'failed' ? c.red : e.state === 'reconnecting' ? c.yellow : (s: string) => s;
    const bits = [color(`● ${e.state}`)];
    if (e.url) bits.push(escapePreview(e.url, this.previewWidth));
    const status = e.meta?.status;
    if (typeof status === 'number') bits.push(c.dim(`HTTP ${status}`));
    if (e.code !== undefined) bits.push(c.dim(`code ${e.code}`));
    if (e.reason) bits.push(c.dim(escapePreview(e.reason, this.previewWidth)));
    return bits.join('  ');
  }

  private frame(e: FrameEvent): string {
    const c = this.c;
    const control = e.meta?.control === true;
    const arrow = e.dir === 'in' ? '←' : '→';
    const head = `${arrow} ${e.dir.padEnd(3)} ${formatBytes(e.size).padStart(9)}`;
    const tags: string[] = [];
    const meta = e.meta ?? {};
    // Capture proxy: which client connection the frame belongs to.
    if (typeof meta.conn === 'string') tags.push(c.dim(escapePreview(meta.conn, 12)));
    if (e.channel !== undefined) tags.push(c.cyan(`[${escapePreview(e.channel, 40)}]`));
    if (typeof meta.opcode === 'number') tags.push(c.dim(WS_OPCODES[meta.opcode] ?? `opcode ${meta.opcode}`));
    if (typeof meta.packet === 'string') tags.push(c.dim(escapePreview(meta.packet, 20)));
    // A Kafka record: partition@offset and its key.
    if (typeof meta.partition === 'number' && typeof meta.offset === 'string') tags.push(c.dim(`p${meta.partition}@${escapePreview(meta.offset, 20)}`) + (typeof meta.key === 'string' ? ` key ${escapePreview(meta.key, 40)}` : ''));
    if (typeof meta.method === 'string') tags.push(c.bold(escapePreview(meta.method, 10)) + (typeof meta.url === 'string' ? ' ' + escapePreview(meta.url, 80) : ''));
    // HTTP/2: the stream an exchange went over (several share one connection with --repeat/--parallel).
    if (meta.httpVersion === '2' && typeof meta.streamId === 'number') tags.push(c.dim(`stream ${meta.streamId}`));
    if (typeof meta.status === 'number') tags.push(c.bold(`${meta.status}`) + (typeof meta.statusText === 'string' ? ' ' + escapePreview(meta.statusText, 40) : ''));
    if (meta.changed === false) tags.push(c.dim('unchanged'));
    // A GraphQL result (or an operation's end) with errors: marked even when the HTTP status is 200.
    if (Array.isArray(meta.errors) && meta.errors.length > 0) {
      const first = meta.errors[0] as { message?: unknown; path?: unknown };
      const where = Array.isArray(first.path) && first.path.length ? ` (at ${first.path.join('.')})` : '';
      tags.push(c.red(`errors: ${escapePreview(`${String(first.message ?? '')}${where}`, 80)}${meta.errors.length > 1 ? ` (+${meta.errors.length - 1} more)` : ''}`));
    }
    if (isRedelivery(meta)) tags.push(c.yellow('redelivered'));
    // An acknowledgement (Socket.IO): it answers an emit, after this round trip.
    if (meta.ack === true) tags.push(c.green(`ack${typeof meta.rttMs === 'number' ? ` ${formatMs(meta.rttMs)} ms` : ''}`));
    // A conversation's reply (SMTP, IMAP): its code in words and the exchange's round trip.
    if (typeof meta.words === 'string') tags.push(c.bold(escapePreview(meta.words, 60)) + (meta.ack !== true && typeof meta.rttMs === 'number' ? c.dim(` ${formatMs(meta.rttMs)} ms`) : ''));
    let preview: string;
    if (e.encoding === 'base64') {
      const bytes = Buffer.from(e.data, 'base64');
      const hex = bytes.subarray(0, 24).toString('hex').replace(/(..)(?!$)/g, '$1 ');
      preview = c.dim('binary ') + hex + (bytes.length > 24 || e.truncated ? ' …' : '');
    } else {
      preview = escapePreview(e.data, this.previewWidth) + (e.truncated ? c.dim(' …(truncated)') : '');
    }
    const line = [head, ...tags, preview].filter((s) => s !== '').join('  ');
    return control ? c.dim(line) : line;
  }

  private timing(e: TimingEvent): string {
    const c = this.c;
    const p = e.phases;
    const label = e.meta?.handshake ? 'handshake' : 'timing';
    const phases = `dns ${formatMs(p.dns)}  connect ${formatMs(p.connect)}  tls ${formatMs(p.tls)}  ttfb ${formatMs(p.ttfb)}  download ${formatMs(p.download)}  = ${formatMs(p.total)} ms`;
    const bar = waterfall(p);
    return c.cyan(`⏱ ${label}`) + `  ${phases}` + (bar ? `  ${c.dim('▕')}${bar}${c.dim('▏')}` : '');
  }

  private summary(e: SummaryEvent): string {
    const c = this.c;
    const known = new Set(['seq', 't', 'ts', 'kind', 'frames', 'bytes', 'reconnects', 'durationMs', 'state', 'anomalies']);
    const lines = [
      c.bold('── summary') +
        `  ${e.state ?? 'closed'} after ${e.durationMs} ms` +
        `  in ${plural(e.frames.in, 'frame')} (${formatBytes(e.bytes.in)})` +
        `  out ${plural(e.frames.out, 'frame')} (${formatBytes(e.bytes.out)})` +
        `  ${plural(e.reconnects, 'reconnect')}`,
    ];
    if (e.anomalies) {
      const a = e.anomalies;
      const total = a.duplicate + a.gap + a['out-of-order'];
      lines.push(`           anomalies: ${total === 0 ? 'none' : `${a.gap} gap, ${a.duplicate} duplicate, ${a['out-of-order']} out-of-order`}`);
    }
    for (const [k, v] of Object.entries(e)) {
      if (known.has(k)) continue;
      lines.push(`           ${escapePreview(k, 30)}: ${escapePreview(JSON.stringify(v) ?? '', this.previewWidth + 20)}`);
    }
    return lines.join('\n');
  }
}

/** The printer for an output format. */
export function createPrinter(format: OutputFormat, opts: { color: boolean; columns?: number }): EventPrinter {
  switch (format) {
    case 'ndjson':
      return new NdjsonPrinter();
    case 'summary':
      return new SummaryPrinter();
    case 'pretty':
      return new PrettyPrinter(opts);
  }
}
