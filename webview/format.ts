/**
 * Pure text helpers for the inspector: visible control/bidi characters, hex dumps, sizes, times.
 * No DOM access here, so the functions are unit-testable in plain Node.
 */
import type { WireEvent } from '../src/shared/events';
import { isRedelivery } from '../src/shared/redelivery';

// Bidi controls, zero-width and other invisible format characters: they can reorder or hide
// text (Trojan Source), so the UI always shows them as a visible code point.
const INVISIBLE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x061c, 0x061c], [0x115f, 0x1160], [0x17b4, 0x17b5],
  [0x180b, 0x180f], [0x200b, 0x200f], [0x2028, 0x202e], [0x2060, 0x206f], [0x3164, 0x3164],
  [0xfe00, 0xfe0f], [0xfeff, 0xfeff], [0xffa0, 0xffa0], [0xfff9, 0xfffb],
];
function isInvisible(code: number): boolean {
  for (const [lo, hi] of INVISIBLE_RANGES) if (code >= lo && code <= hi) return true;
  return false;
}

function codePoint(c: string): string {
  return `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/**
 * Make every control, bidi and zero-width character visible. With `multiline`, newline and tab
 * stay as they are (the detail pane); otherwise they become ⏎ and ⇥ (single-line previews).
 */
export function reveal(s: string, multiline = false): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const c = s[i];
    let rep: string | undefined;
    let width = 1;
    if (code < 0x20 || code === 0x7f) {
      if (multiline && (c === '\n' || c === '\t')) continue;
      if (c === '\n') rep = '⏎';
      else if (c === '\t') rep = '⇥';
      else if (c === '\r' && multiline) rep = '';
      else rep = codePoint(c);
    } else if (code >= 0x80 && code <= 0x9f) rep = codePoint(c);
    else if (code >= 0xad && code < 0xd800 && isInvisible(code)) rep = codePoint(c);
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A valid pair: only the tag characters (U+E0000 block), which hide text, are shown.
      const cp = s.codePointAt(i)!;
      if (cp >= 0xe0000 && cp <= 0xe007f) {
        rep = `⟨U+${cp.toString(16).toUpperCase()}⟩`;
        width = 2;
      } else {
        i++;
        continue;
      }
    } else if (code >= 0xd800 && code <= 0xdfff) rep = '\uFFFD'; // a lone surrogate
    else if (code >= 0xfe00 && isInvisible(code)) rep = codePoint(c);
    if (rep !== undefined) {
      out += s.slice(plainFrom, i) + rep;
      i += width - 1;
      plainFrom = i + 1;
    }
  }
  return plainFrom === 0 ? s : out + s.slice(plainFrom);
}

/** Decode base64 to bytes; invalid input gives null. */
export function base64ToBytes(b64: string): Uint8Array | null {
  try {
    const bin = atob(b64.replace(/\s+/g, ''));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Encode bytes as base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Classic hex dump lines: offset, 16 hex bytes, ASCII with dots for non-printables. */
export function hexDump(bytes: Uint8Array, maxBytes = 64 * 1024): string[] {
  const lines: string[] = [];
  const n = Math.min(bytes.length, maxBytes);
  for (let off = 0; off < n; off += 16) {
    let hex = '';
    let ascii = '';
    for (let j = 0; j < 16; j++) {
      if (off + j < n) {
        const b = bytes[off + j];
        hex += b.toString(16).padStart(2, '0') + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else hex += '   ';
      if (j === 7) hex += ' ';
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines;
}

/** Parse user-typed hex ("de ad be ef", "0xDEADBEEF"); returns bytes or a one-line problem. */
export function parseHex(input: string): { bytes: Uint8Array } | { error: string } {
  const clean = input.replace(/0x/gi, '').replace(/[\s,:]+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) return { error: 'Hex payload may contain only 0-9, a-f and spaces' };
  if (clean.length % 2 !== 0) return { error: 'Hex payload needs an even number of digits' };
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return { bytes };
}

/** Check user-typed base64; returns a one-line problem or undefined. */
export function checkBase64(input: string): string | undefined {
  const clean = input.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return 'Not valid base64';
  return base64ToBytes(clean) ? undefined : 'Not valid base64';
}

/** Pretty-print JSON text, or null when it does not parse as an object or array. */
export function prettyJson(text: string): string | null {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return null;
  }
}

/** Human size: 512 B, 1.5 KiB, 2.0 MiB. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Rate with unit, e.g. 12.3k/s. */
export function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Milliseconds with up to 3 decimals for small values. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 10_000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** What the time column shows: since the session started, the wall clock, or the gap to the row above. */
export type TimeMode = 'relative' | 'clock' | 'delta';
export const TIME_MODES: readonly TimeMode[] = ['relative', 'clock', 'delta'];
export const TIME_MODE_LABELS: Record<TimeMode, string> = { relative: 'Time since start', clock: 'Wall-clock time', delta: 'Time since the previous row' };
/** Column header per time mode. */
export const TIME_MODE_HEADERS: Record<TimeMode, string> = { relative: 'ms since start', clock: 'Clock', delta: 'Δ ms' };

/**
 * Time column: ms since the session started, wall clock HH:MM:SS.mmm (local time), or the
 * gap to the previous row in ms (`prev` is that row; unknown gives an empty cell).
 */
export function formatTime(e: { t: number; ts: number }, mode: TimeMode, prev?: { t: number } | null): string {
  if (mode === 'relative') return e.t.toFixed(1);
  if (mode === 'delta') {
    if (prev === undefined) return '';
    if (prev === null) return '0.0';
    const d = e.t - prev.t;
    return `${d >= 0 ? '+' : ''}${d < 10_000 ? d.toFixed(1) : Math.round(d)}`;
  }
  const d = new Date(e.ts);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const PREVIEW_CHARS = 240;

/** The text of a frame's payload (base64 payloads decode to latin-1 text for the preview). */
export function payloadText(data: string, encoding: 'utf8' | 'base64'): string {
  if (encoding === 'utf8') return data;
  const bytes = base64ToBytes(data);
  if (!bytes) return data;
  const head = bytes.subarray(0, PREVIEW_CHARS);
  return Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}

/** Column texts for one log row. */
export interface RowText {
  dir: string;
  channel: string;
  size: string;
  preview: string;
  /** CSS class suffix: frame-in, frame-out, state, reconnect, error, anomaly, timing, summary. */
  cls: string;
}

/** Reason phrases for the status codes people meet (a response without its own statusText). */
const STATUS_TEXT: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** "200 OK", "404 Not Found": the status with the server's reason phrase, or the standard one. */
export function statusLine(status: number, statusText?: unknown): string {
  const text = typeof statusText === 'string' && statusText ? statusText : STATUS_TEXT[status] ?? '';
  return `${status}${text ? ' ' + text : ''}`;
}

/**
 * Shorten a long channel or topic in the middle, keeping its first and last segments:
 * `feed/eu/west/sensors/alpha` -> `feed/…/alpha`. Short ones are returned as they are.
 */
export function middleEllipsis(s: string, max = 24): string {
  if (s.length <= max) return s;
  const parts = s.split('/');
  if (parts.length >= 3) {
    const first = parts[0];
    const last = parts[parts.length - 1];
    if (first.length + last.length + 3 <= max) {
      // Keep as many trailing segments as fit after the first.
      let tail = last;
      for (let i = parts.length - 2; i > 0; i--) {
        const next = `${parts[i]}/${tail}`;
        if (first.length + next.length + 3 > max) break;
        tail = next;
      }
      return `${first}/…/${tail}`;
    }
  }
  const keep = Math.max(2, max - 1);
  const head = Math.ceil(keep / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (keep - head))}`;
}

/** True when a reconnect event is one the user asked for (not a drop). */
export function userRequested(e: { cause: string; meta?: Record<string, unknown> }): boolean {
  return e.meta?.requested === 'user' || /requested by user/.test(e.cause);
}

function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

const OPCODE_NAMES: Record<number, string> = { 8: 'close', 9: 'ping', 10: 'pong' };

/** A control frame's name: the MQTT packet type, or the WebSocket opcode's name. */
function controlName(meta: Record<string, unknown>): string {
  if (typeof meta.packet === 'string') return meta.packet;
  if (typeof meta.opcode === 'number') return OPCODE_NAMES[meta.opcode] ?? `opcode ${meta.opcode}`;
  // A protocol message by its type (GraphQL's connection_init, connection_ack, ka…).
  if (typeof meta.type === 'string' && meta.type !== '') return reveal(meta.type);
  return 'control';
}

/**
 * What an empty-bodied frame is about, from its meta: the request line of an HTTP request, the status
 * of a response or reply, the code of a close. Server strings go through reveal() by the caller.
 */
function metaSummary(meta: Record<string, unknown> | undefined): string {
  if (!meta) return '';
  if (typeof meta.method === 'string') return `${meta.method} ${typeof meta.url === 'string' ? meta.url : typeof meta.path === 'string' ? meta.path : ''}`.trim();
  if (typeof meta.status === 'number') return `${meta.status}${typeof meta.statusText === 'string' && meta.statusText ? ' ' + meta.statusText : ''}`;
  if (typeof meta.code === 'number') return `code ${meta.code}${typeof meta.reason === 'string' && meta.reason ? ' ' + meta.reason : ''}`;
  return '';
}

/** `Service/Method` of `package.Service/Method`. */
export function shortRpcName(method: string): string {
  const [service, name] = method.split('/');
  return `${service.split('.').pop() ?? service}/${name ?? ''}`;
}

/**
 * A gRPC frame's row: the method (Service/Method) in the channel column; a response message says which
 * stream (call) it answers; the trailers lead with the status in words, coloured by OK or not.
 */
function grpcRow(e: Extract<WireEvent, { kind: 'frame' }>, method: string, body: string, binary: boolean): RowText {
  const meta = e.meta ?? {};
  const grpcStatus = typeof meta.grpcStatus === 'number' ? meta.grpcStatus : undefined;
  let cls = meta.control === true ? `frame-${e.dir} control grpc` : `frame-${e.dir} grpc`;
  let preview = (binary ? '[binary] ' : '') + body + (e.truncated ? ' …' : '');
  if (grpcStatus !== undefined) cls += grpcStatus === 0 ? ' status-ok' : ' status-error';
  else if (meta.control !== true && typeof meta.type === 'string') {
    const type = reveal(meta.type.split('.').pop() ?? meta.type);
    preview = `${type}${typeof meta.streamId === 'number' ? ` #${meta.streamId}` : ''} · ${preview}`;
  }
  if (typeof meta.decodeError === 'string') preview = `${reveal(meta.decodeError)} · ${preview}`;
  return { dir: e.dir === 'in' ? '↓' : '↑', channel: reveal(shortRpcName(method)), size: formatSize(e.size), preview, cls };
}

/** Texts for a row of the frame log; every server-controlled string passes through reveal(). */
export function rowText(e: WireEvent, channelChars = 24): RowText {
  switch (e.kind) {
    case 'frame': {
      const binary = e.encoding === 'base64';
      const body = reveal(payloadText(e.data.slice(0, binary ? PREVIEW_CHARS * 2 : PREVIEW_CHARS), e.encoding));
      const meta = e.meta;
      // gRPC names its method package.Service/Method (an HTTP method never has a slash): shown as Service/Method.
      const rpc = typeof meta?.method === 'string' && meta.method.includes('/') ? meta.method : undefined;
      if (rpc !== undefined) return grpcRow(e, rpc, body, binary);
      const status = typeof meta?.status === 'number' ? meta.status : undefined;
      const method = typeof meta?.method === 'string' ? meta.method : undefined;
      // A reply we sent (webhook receiver): it answers the request named in its meta.
      const reply = e.dir === 'out' && status !== undefined && method !== undefined;
      // An empty body says nothing: show what the frame is (GET /items, 200 OK, code 1000) instead.
      let summary = body === '' ? reveal(metaSummary(meta)) : '';
      let tag = '';
      if (reply) {
        tag = statusLine(status);
        const to = reveal(`${method} ${typeof meta?.path === 'string' ? meta.path : ''}`.trim());
        summary = body === '' ? `reply to ${to}` : '';
      } else if (status !== undefined) tag = reveal(statusLine(status, meta?.statusText));
      else if (method !== undefined) tag = reveal(method);
      const channel = e.channel !== undefined ? middleEllipsis(reveal(e.channel), channelChars) : tag || (meta?.control ? controlName(meta) : '');
      let preview = summary ? summary : (binary ? '[binary] ' : '') + body + (e.truncated ? ' …' : '');
      if (reply && summary === '') preview = `reply to ${reveal(`${method} ${typeof meta?.path === 'string' ? meta.path : ''}`.trim())} · ${preview}`;
      else if (e.channel !== undefined && tag && !summary) preview = `${tag} · ${preview}`;
      // An acknowledgement (Socket.IO): it answers an emit of the same channel, after this round trip.
      if (meta?.ack === true) preview = `ack${typeof meta.rttMs === 'number' ? ` ${Math.round(meta.rttMs * 10) / 10} ms` : ''} · ${preview}`;
      // A conversation's reply (SMTP, IMAP): its code in words and the exchange's round trip come first.
      if (typeof meta?.words === 'string' && !summary) preview = `${reveal(meta.words)}${typeof meta.rttMs === 'number' ? ` (${meta.rttMs} ms)` : ''} · ${preview}`;
      // A redelivery (AMQP redelivered, a Redis pending entry read again, MQTT DUP): said first, and marked.
      const redelivered = isRedelivery(meta);
      if (redelivered) preview = `redelivered · ${preview}`;
      // A GraphQL result (or an operation's end) with errors: the first one leads, and the row is an error even with HTTP 200.
      const errors = Array.isArray(meta?.errors) && meta.errors.length > 0 ? (meta.errors as Array<{ message?: unknown; path?: unknown }>) : undefined;
      if (errors) {
        const first = errors[0] ?? {};
        const where = Array.isArray(first.path) && first.path.length > 0 ? ` (at ${first.path.map(String).join('.')})` : '';
        preview = `errors: ${reveal(`${str(first.message)}${where}`)}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''} · ${preview}`;
      }
      let cls = meta?.control === true ? `frame-${e.dir} control` : `frame-${e.dir}`;
      if (redelivered) cls += ' redelivered';
      if (reply) cls += ' reply';
      if (errors) cls += ' status-error result-errors';
      else if (status !== undefined) cls += status >= 400 ? ' status-error' : status >= 300 ? ' status-redirect' : ' status-ok';
      return {
        dir: reply ? '←' : e.dir === 'in' ? '↓' : '↑',
        channel,
        size: formatSize(e.size),
        preview,
        cls,
      };
    }
    case 'state': {
      const extra = [e.code !== undefined ? `code ${e.code}` : '', e.reason ? reveal(e.reason) : '', e.url ? reveal(e.url) : ''].filter(Boolean).join(' · ');
      return { dir: '●', channel: 'state', size: '', preview: `${e.state}${extra ? ' — ' + extra : ''}`, cls: `state state-${e.state}` };
    }
    case 'reconnect':
      if (userRequested(e)) return { dir: '↻', channel: 'reconnect', size: '', preview: 'reconnect requested by user', cls: 'reconnect user' };
      return { dir: '↻', channel: 'reconnect', size: '', preview: `attempt ${e.attempt} in ${formatMs(e.delayMs)} — ${reveal(e.cause)}`, cls: 'reconnect' };
    case 'error':
      return { dir: '✕', channel: 'error', size: '', preview: reveal(e.message) + (e.code ? ` (${reveal(e.code)})` : ''), cls: 'error' };
    case 'anomaly':
      return {
        dir: '⚠',
        channel: 'anomaly',
        size: '',
        preview: `${e.type} key ${reveal(str(e.key))}${e.expected !== undefined ? ` expected ${reveal(str(e.expected))}` : ''}${e.got !== undefined ? ` got ${reveal(str(e.got))}` : ''}${e.meta?.redelivered === true ? ' · redelivered by the broker' : ''}${e.meta?.afterReconnect === true ? ' · after a reconnect' : ''}`,
        cls: 'anomaly',
      };
    case 'timing':
      return { dir: '◆', channel: 'timing', size: '', preview: `total ${formatMs(e.phases.total)} · ttfb ${formatMs(e.phases.ttfb)}`, cls: 'timing' };
    case 'summary':
      return {
        dir: 'Σ',
        channel: 'summary',
        size: formatSize(e.bytes.in + e.bytes.out),
        preview: `${e.frames.in} in / ${e.frames.out} out · ${e.reconnects} reconnects · ${formatMs(e.durationMs)}`,
        cls: 'summary',
      };
    default:
      return { dir: '?', channel: '', size: '', preview: '', cls: 'unknown' };
  }
}

/** Check a regex the way the host will compile it; returns a one-line problem or undefined. */
export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return `Invalid regular expression: ${(err instanceof Error ? err.message : String(err)).replace(/^Invalid regular expression: /, '')}`;
  }
}
