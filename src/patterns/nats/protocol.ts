/**
 * The NATS client protocol, both directions, for Wirescope's NATS pattern: an incremental parser of what
 * a server sends (INFO, MSG, HMSG, PING, PONG, +OK, -ERR) and the encoders of what a client sends. No
 * connection handling: the transport sees every operation as it arrives and owns the connection.
 *
 * Memory is bounded against a hostile server: a control line longer than `maxLineBytes` or a message
 * payload over `maxPayloadBytes` is a protocol error, and anything that is not a NATS operation is an
 * error quoting the bytes (an HTTP server answers "HTTP/1.1 400 ...").
 */
import { quoteBytes } from '../../core/resp';

export type NatsOp =
  | { op: 'INFO'; info: Record<string, unknown> }
  | { op: 'MSG'; subject: string; sid: number; replyTo?: string; headers?: Buffer; payload: Buffer }
  | { op: 'PING' }
  | { op: 'PONG' }
  | { op: 'OK' }
  | { op: 'ERR'; message: string };

export class NatsProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NatsProtocolError';
  }
}

export interface NatsParserOptions {
  /** Largest message (headers and payload) accepted (default 64 MiB). */
  maxPayloadBytes?: number;
  /** Longest control line accepted (default 64 KiB; the server's own limit is 4 KiB). */
  maxLineBytes?: number;
}

const CR = 13;
const LF = 10;

interface Awaiting {
  subject: string;
  sid: number;
  replyTo?: string;
  headerBytes: number;
  total: number;
  parts: Buffer[];
  got: number;
}

export class NatsParser {
  private readonly maxPayload: number;
  private readonly maxLine: number;
  private pending: Buffer | undefined;
  private awaiting: Awaiting | undefined;
  /** Operations parsed so far. */
  ops = 0;

  constructor(opts: NatsParserOptions = {}) {
    this.maxPayload = opts.maxPayloadBytes ?? 64 * 1024 * 1024;
    this.maxLine = opts.maxLineBytes ?? 64 * 1024;
  }

  /** Part of an operation has been read and the rest is still due. */
  get midOp(): boolean {
    return this.pending !== undefined || this.awaiting !== undefined;
  }

  get buffered(): number {
    return (this.pending?.length ?? 0) + (this.awaiting?.got ?? 0);
  }

  /** Feed bytes; calls `onOp` for each complete operation. Throws NatsProtocolError. */
  push(chunk: Buffer, onOp: (op: NatsOp) => void): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      const a = this.awaiting;
      if (a) {
        const take = Math.min(a.total + 2 - a.got, n - pos);
        a.parts.push(buf.subarray(pos, pos + take));
        a.got += take;
        pos += take;
        if (a.got < a.total + 2) break;
        this.awaiting = undefined;
        this.message(a, a.parts.length === 1 ? a.parts[0] : Buffer.concat(a.parts, a.got), 0, onOp);
        continue;
      }
      const eol = buf.indexOf(LF, pos);
      if (eol < 0) {
        if (n - pos > this.maxLine) throw new NatsProtocolError(`malformed stream: a control line of more than ${this.maxLine} bytes (${quoteBytes(buf.subarray(pos))})`);
        this.pending = Buffer.from(buf.subarray(pos));
        return;
      }
      const end = eol > pos && buf[eol - 1] === CR ? eol - 1 : eol;
      if (end - pos > this.maxLine) throw new NatsProtocolError(`malformed stream: a control line of ${end - pos} bytes (limit ${this.maxLine})`);
      // The hot path: a plain `MSG subject sid [reply] size` read from the bytes (no line string, no split).
      // Anything it does not recognise, errors included, goes the general way below.
      if (buf[pos] === 0x4d && buf[pos + 1] === 0x53 && buf[pos + 2] === 0x47 && buf[pos + 3] === 0x20) {
        const after = this.fastMsg(buf, pos + 4, end, eol + 1, onOp);
        if (after >= 0) {
          pos = after;
          continue;
        }
      }
      const line = buf.toString('utf8', pos, end);
      const next = eol + 1;
      const sp = line.search(/[ \t]/);
      const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
      const rest = sp < 0 ? '' : line.slice(sp + 1).trim();
      switch (verb) {
        case 'MSG':
        case 'HMSG': {
          const f = rest.split(/[ \t]+/);
          const hmsg = verb === 'HMSG';
          const want = hmsg ? [4, 5] : [3, 4];
          if (!want.includes(f.length)) throw new NatsProtocolError(`malformed stream: bad ${verb} line "${quoteBytes(buf.subarray(pos, end))}"`);
          const sid = Number(f[1]);
          const total = Number(f[f.length - 1]);
          const headerBytes = hmsg ? Number(f[f.length - 2]) : 0;
          if (!Number.isSafeInteger(sid) || !Number.isSafeInteger(total) || total < 0 || !Number.isSafeInteger(headerBytes) || headerBytes < 0 || headerBytes > total) {
            throw new NatsProtocolError(`malformed stream: bad ${verb} line "${quoteBytes(buf.subarray(pos, end))}"`);
          }
          if (total > this.maxPayload) throw new NatsProtocolError(`malformed stream: a message of ${total} bytes is over the ${this.maxPayload % 1048576 === 0 ? `${this.maxPayload / 1048576} MiB` : `${this.maxPayload} bytes`} limit`);
          const hasReply = f.length === (hmsg ? 5 : 4);
          const a2: Awaiting = { subject: f[0], sid, ...(hasReply ? { replyTo: f[2] } : {}), headerBytes, total, parts: [], got: 0 };
          if (next + total + 2 <= n) {
            this.message(a2, buf, next, onOp);
            pos = next + total + 2;
            continue;
          }
          this.awaiting = a2;
          pos = next;
          continue;
        }
        case 'PING':
          this.emit({ op: 'PING' }, onOp);
          break;
        case 'PONG':
          this.emit({ op: 'PONG' }, onOp);
          break;
        case '+OK':
          this.emit({ op: 'OK' }, onOp);
          break;
        case '-ERR':
          this.emit({ op: 'ERR', message: rest.replace(/^'(.*)'$/, '$1') }, onOp);
          break;
        case 'INFO': {
          let info: unknown;
          try {
            info = JSON.parse(rest);
          } catch {
            throw new NatsProtocolError(`malformed stream: INFO is not JSON (${quoteBytes(Buffer.from(rest))})`);
          }
          if (!info || typeof info !== 'object' || Array.isArray(info)) throw new NatsProtocolError('malformed stream: INFO is not a JSON object');
          this.emit({ op: 'INFO', info: info as Record<string, unknown> }, onOp);
          break;
        }
        default:
          throw new NatsProtocolError(`not a NATS operation: the server sent "${quoteBytes(buf.subarray(pos, Math.min(n, pos + 60)))}"`);
      }
      pos = next;
    }
  }

  /**
   * `MSG` with its arguments at `buf[from..end)` separated by single spaces, as servers write them: the message
   * handed on (or awaited) and the position after it returned; -1 when the line is anything else (the caller
   * then parses it the general way, which also words the errors).
   */
  private fastMsg(buf: Buffer, from: number, end: number, next: number, onOp: (op: NatsOp) => void): number {
    // Up to four fields: subject, sid, [reply], size.
    const sp1 = spaceIn(buf, from, end);
    if (sp1 <= from) return -1;
    let sid = 0;
    let i = sp1 + 1;
    const sidStart = i;
    for (; i < end; i++) {
      const c = buf[i] - 0x30;
      if (c < 0 || c > 9) break;
      sid = sid * 10 + c;
    }
    if (i === sidStart || i >= end || buf[i] !== 0x20 || i - sidStart > 15) return -1;
    i++;
    // Either the size (then the line ends), or a reply subject and then the size.
    let replyTo: string | undefined;
    let sizeStart = i;
    const sp3 = spaceIn(buf, i, end);
    if (sp3 >= 0) {
      if (sp3 === i || hasTab(buf, i, sp3)) return -1;
      replyTo = buf.toString('utf8', i, sp3);
      sizeStart = sp3 + 1;
    }
    let total = 0;
    for (i = sizeStart; i < end; i++) {
      const c = buf[i] - 0x30;
      if (c < 0 || c > 9) return -1;
      total = total * 10 + c;
    }
    if (i === sizeStart || end - sizeStart > 15) return -1;
    if (total > this.maxPayload) return -1;
    const subject = this.subjectOf(buf, from, sp1);
    if (subject === undefined) return -1;
    if (next + total + 2 <= buf.length) {
      const endData = next + total;
      if (buf[endData] !== CR || buf[endData + 1] !== LF) throw new NatsProtocolError('malformed stream: a message payload is not followed by CRLF');
      this.ops++;
      onOp(replyTo === undefined ? { op: 'MSG', subject, sid, payload: buf.subarray(next, endData) } : { op: 'MSG', subject, sid, replyTo, payload: buf.subarray(next, endData) });
      return endData + 2;
    }
    this.awaiting = { subject, sid, ...(replyTo !== undefined ? { replyTo } : {}), headerBytes: 0, total, parts: [], got: 0 };
    return next;
  }

  private lastSubject = '';
  private lastSubjectBytes: Buffer = Buffer.alloc(0);

  /** The subject at `buf[from..to)`: a feed repeats one subject, so the last one is decoded once and reused. */
  private subjectOf(buf: Buffer, from: number, to: number): string | undefined {
    const last = this.lastSubjectBytes;
    const len = to - from;
    if (len === last.length) {
      let k = 0;
      while (k < len && buf[from + k] === last[k]) k++;
      if (k === len) return this.lastSubject;
    }
    // A tab separates fields too: such a line is left to the general parser.
    if (hasTab(buf, from, to)) return undefined;
    if (len > 256) return buf.toString('utf8', from, to);
    this.lastSubjectBytes = Buffer.from(buf.subarray(from, to));
    this.lastSubject = buf.toString('utf8', from, to);
    return this.lastSubject;
  }

  /** A whole message is at `buf[start..start+total+2]`. */
  private message(a: Awaiting, buf: Buffer, start: number, onOp: (op: NatsOp) => void): void {
    const endData = start + a.total;
    if (buf[endData] !== CR || buf[endData + 1] !== LF) throw new NatsProtocolError('malformed stream: a message payload is not followed by CRLF');
    const op: NatsOp = { op: 'MSG', subject: a.subject, sid: a.sid, payload: buf.subarray(start + a.headerBytes, endData) };
    if (a.replyTo !== undefined) op.replyTo = a.replyTo;
    if (a.headerBytes > 0) op.headers = buf.subarray(start, start + a.headerBytes);
    this.emit(op, onOp);
  }

  private emit(op: NatsOp, onOp: (op: NatsOp) => void): void {
    this.ops++;
    onOp(op);
  }
}

/** The first space in `buf[from..to)`, or -1. */
function spaceIn(buf: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) if (buf[i] === 0x20) return i;
  return -1;
}

function hasTab(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === 0x09) return true;
  return false;
}

/** NATS headers (`NATS/1.0[ status[ description]]\r\nName: value\r\n...\r\n\r\n`): the status and the fields. */
export function parseHeaders(b: Buffer): { status?: number; description?: string; headers: Record<string, string | string[]> } {
  const lines = b.toString('utf8').split('\r\n');
  const first = /^NATS\/1\.0(?:\s+(\d{3}))?(?:\s+(.*))?$/.exec(lines[0] ?? '');
  const headers: Record<string, string | string[]> = {};
  for (const l of lines.slice(1)) {
    if (!l) continue;
    const at = l.indexOf(':');
    if (at <= 0) continue;
    const k = l.slice(0, at).trim();
    const v = l.slice(at + 1).trim();
    const had = headers[k];
    headers[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const out: { status?: number; description?: string; headers: Record<string, string | string[]> } = { headers };
  if (first?.[1]) out.status = Number(first[1]);
  if (first?.[2]) out.description = first[2].trim();
  return out;
}

/** `HPUB`'s header block for these fields. */
export function encodeHeaders(h: Record<string, string>): Buffer {
  let s = 'NATS/1.0\r\n';
  for (const [k, v] of Object.entries(h)) s += `${k}: ${v.replace(/[\r\n]/g, ' ')}\r\n`;
  return Buffer.from(s + '\r\n', 'utf8');
}

/** PUB (or HPUB with headers) of one message. */
export function encodePub(subject: string, payload: Buffer, replyTo?: string, headers?: Record<string, string>): Buffer {
  const r = replyTo ? ` ${replyTo}` : '';
  if (headers && Object.keys(headers).length) {
    const hb = encodeHeaders(headers);
    return Buffer.concat([Buffer.from(`HPUB ${subject}${r} ${hb.length} ${hb.length + payload.length}\r\n`), hb, payload, Buffer.from('\r\n')]);
  }
  return Buffer.concat([Buffer.from(`PUB ${subject}${r} ${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
}

/** A subject a client may publish to or subscribe with: no whitespace, not empty, no empty tokens. */
export function checkSubject(s: string, wildcards: boolean): string | undefined {
  if (!s) return 'an empty subject';
  if (/\s/.test(s)) return `the subject "${s}" contains whitespace`;
  if (s.split('.').some((t) => t === '')) return `the subject "${s}" has an empty token`;
  if (!wildcards && /(^|\.)(\*|>)(\.|$)/.test(s)) return `the subject "${s}" has a wildcard: a publish needs a full subject`;
  return undefined;
}
