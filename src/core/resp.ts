/**
 * RESP (the Redis serialization protocol) in both directions, written for Wirescope's Redis pattern:
 * an incremental reply parser and a command encoder. No connection handling, no reconnection, no
 * offline queue: the transport sees every reply as it arrives and owns the connection's life.
 *
 * The parser reads RESP2 and the RESP3 types (so that a server speaking RESP3 is still understood),
 * is binary-safe (bulk strings are Buffers), and keeps memory bounded against a hostile server:
 * a bulk string longer than `maxBulkBytes` or a line longer than `maxLineBytes` is a protocol error,
 * array lengths are never preallocated, and nesting is limited. Any byte that cannot start a reply
 * is an error that quotes what the server sent (an HTTP server answers "HTTP/1.1 400 ...").
 */

/** A RESP error reply (`-ERR ...`, `-WRONGTYPE ...`). */
export class RespError {
  constructor(readonly message: string) {}
  /** The error's code: its first word (ERR, WRONGTYPE, NOAUTH, WRONGPASS, NOGROUP...). */
  get code(): string {
    return /^[A-Z][A-Z_-]*/.exec(this.message)?.[0] ?? 'ERR';
  }
}

/** One reply: simple strings as strings, bulk strings as Buffers, integers as numbers, nil as null. */
export type RespValue = string | number | Buffer | null | RespError | boolean | RespValue[];

/** The server broke the protocol; the connection cannot be read any further. */
export class RespProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespProtocolError';
  }
}

export interface RespParserOptions {
  /** Largest bulk string accepted (default 64 MiB). */
  maxBulkBytes?: number;
  /** Longest line (type byte to CRLF) accepted (default 64 KiB). */
  maxLineBytes?: number;
  /** Deepest nesting of aggregates accepted (default 64). */
  maxDepth?: number;
}

interface Aggregate {
  items: RespValue[];
  left: number;
  /** RESP3 map (`%`): its pairs are kept flat, as RESP2 would send them. */
  push: boolean;
}

const CR = 13;
const CRLF = Buffer.from('\r\n', 'latin1');
const LF = 10;

/** A printable quote of bytes the server sent, for one-line messages. */
export function quoteBytes(b: Buffer, max = 40): string {
  const s = b.subarray(0, max).toString('latin1').replace(/[^\x20-\x7e]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return s + (b.length > max ? '…' : '');
}

export class RespParser {
  private readonly maxBulk: number;
  private readonly maxLine: number;
  private readonly maxDepth: number;
  /** Bytes of an unfinished line, kept until its CRLF arrives. */
  private pending: Buffer | undefined;
  /** An unfinished bulk string: its parts so far and how many bytes (CRLF included) are still due. */
  private bulk: { parts: Buffer[]; got: number; total: number; verbatim: boolean } | undefined;
  private readonly stack: Aggregate[] = [];
  /** Replies parsed so far; the count of every reply since the start (for messages). */
  replies = 0;

  constructor(opts: RespParserOptions = {}) {
    this.maxBulk = opts.maxBulkBytes ?? 64 * 1024 * 1024;
    this.maxLine = opts.maxLineBytes ?? 64 * 1024;
    this.maxDepth = opts.maxDepth ?? 64;
  }

  /** Part of a reply has been read and the rest is still due. */
  get midReply(): boolean {
    return this.pending !== undefined || this.bulk !== undefined || this.stack.length > 0;
  }

  /** Bytes held for unfinished replies (bounded by the limits). */
  get buffered(): number {
    return (this.pending?.length ?? 0) + (this.bulk?.got ?? 0);
  }

  /** Feed bytes; calls `onReply` for each complete top-level reply. Throws RespProtocolError. */
  push(chunk: Buffer, onReply: (v: RespValue) => void): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      if (this.bulk) {
        const b = this.bulk;
        const take = Math.min(b.total - b.got, n - pos);
        b.parts.push(buf.subarray(pos, pos + take));
        b.got += take;
        pos += take;
        if (b.got < b.total) break;
        this.bulk = undefined;
        const whole = b.parts.length === 1 ? b.parts[0] : Buffer.concat(b.parts, b.total);
        if (whole[b.total - 2] !== CR || whole[b.total - 1] !== LF) throw new RespProtocolError('malformed reply: a bulk string is not followed by CRLF');
        const body = whole.subarray(0, b.total - 2);
        this.value(b.verbatim && body.length >= 4 && body[3] === 0x3a ? body.subarray(4) : body, onReply);
        continue;
      }
      let eol = buf.indexOf(CR, pos);
      while (eol >= 0 && eol + 1 < n && buf[eol + 1] !== LF) eol = buf.indexOf(CR, eol + 1);
      if (eol < 0 || eol + 1 >= n) {
        if (n - pos > this.maxLine) throw new RespProtocolError(`malformed reply: a line of more than ${this.maxLine} bytes without CRLF (${quoteBytes(buf.subarray(pos))})`);
        this.pending = Buffer.from(buf.subarray(pos));
        return;
      }
      if (eol - pos > this.maxLine) throw new RespProtocolError(`malformed reply: a line of ${eol - pos} bytes (limit ${this.maxLine})`);
      const type = buf[pos];
      // Only the rare types need their line as a string; lengths and integers are read from the bytes.
      const line = type === 0x28 || type === 0x2c || type === 0x23 ? buf.toString('latin1', pos + 1, eol) : '';
      const next = eol + 2;
      switch (type) {
        case 0x2b: // + simple string
          this.value(buf.toString('utf8', pos + 1, eol), onReply);
          break;
        case 0x2d: // - error
          this.value(new RespError(buf.toString('utf8', pos + 1, eol)), onReply);
          break;
        case 0x3a: // : integer
          this.value(this.integer(buf, pos + 1, eol, 'integer'), onReply);
          break;
        case 0x28: // ( big number (RESP3): kept as its digits
          if (!/^-?\d+$/.test(line)) throw new RespProtocolError(`malformed reply: bad big number "${quoteBytes(Buffer.from(line, 'latin1'))}"`);
          this.value(line, onReply);
          break;
        case 0x2c: { // , double (RESP3)
          const d = line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line);
          if (Number.isNaN(d) && line !== 'nan') throw new RespProtocolError(`malformed reply: bad double "${quoteBytes(Buffer.from(line, 'latin1'))}"`);
          this.value(d, onReply);
          break;
        }
        case 0x23: // # boolean (RESP3)
          if (line !== 't' && line !== 'f') throw new RespProtocolError(`malformed reply: bad boolean "${quoteBytes(Buffer.from(line, 'latin1'))}"`);
          this.value(line === 't', onReply);
          break;
        case 0x5f: // _ null (RESP3)
          this.value(null, onReply);
          break;
        case 0x24: // $ bulk string
        case 0x3d: // = verbatim string (RESP3)
        case 0x21: { // ! bulk error (RESP3)
          const len = this.integer(buf, pos + 1, eol, 'bulk length');
          if (len < 0) {
            this.value(null, onReply);
            break;
          }
          if (len > this.maxBulk) throw new RespProtocolError(`malformed reply: a bulk string of ${len} bytes is over the ${formatLimit(this.maxBulk)} limit`);
          if (type === 0x21) {
            // Small by nature: wait for the whole error.
            if (next + len + 2 > n) {
              this.pending = Buffer.from(buf.subarray(pos));
              return;
            }
            this.value(new RespError(buf.toString('utf8', next, next + len)), onReply);
            pos = next + len + 2;
            continue;
          }
          const total = len + 2;
          if (next + total <= n) {
            // The common case: the whole bulk string is in this chunk.
            if (buf[next + len] !== CR || buf[next + len + 1] !== LF) throw new RespProtocolError('malformed reply: a bulk string is not followed by CRLF');
            const body = buf.subarray(next, next + len);
            this.value(type === 0x3d && len >= 4 && body[3] === 0x3a ? body.subarray(4) : body, onReply);
            pos = next + total;
            continue;
          }
          this.bulk = { parts: [], got: 0, total, verbatim: type === 0x3d };
          pos = next;
          continue;
        }
        case 0x2a: // * array
        case 0x25: // % map (RESP3): pairs kept flat
        case 0x7e: // ~ set (RESP3)
        case 0x3e: { // > push (RESP3)
          let len = this.integer(buf, pos + 1, eol, 'array length');
          if (type === 0x25 && len > 0) len *= 2;
          if (len < 0) this.value(null, onReply);
          else if (len === 0) this.value([], onReply);
          else {
            if (this.stack.length >= this.maxDepth) throw new RespProtocolError(`malformed reply: nested more than ${this.maxDepth} deep`);
            this.stack.push({ items: [], left: len, push: type === 0x3e });
          }
          break;
        }
        default:
          throw new RespProtocolError(`not a RESP reply: the server sent "${quoteBytes(buf.subarray(pos, Math.min(n, pos + 60)))}"`);
      }
      pos = next;
    }
  }

  /** A decimal integer from the bytes `start..end` (no string made: this runs for every bulk string). */
  private integer(buf: Buffer, start: number, end: number, what: string): number {
    let i = start;
    const neg = buf[i] === 0x2d;
    if (neg) i++;
    let ok = i < end && end - i <= 17;
    let n = 0;
    for (; ok && i < end; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) ok = false;
      else n = n * 10 + d;
    }
    if (!ok) throw new RespProtocolError(`malformed reply: bad ${what} "${quoteBytes(buf.subarray(start, end))}"`);
    return neg ? -n : n;
  }

  /** A complete value: it fills the innermost open aggregate, or is a reply of its own. */
  private value(v: RespValue, onReply: (v: RespValue) => void): void {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        this.replies++;
        onReply(v);
        return;
      }
      top.items.push(v);
      if (--top.left > 0) return;
      this.stack.pop();
      v = top.items;
    }
  }
}

function formatLimit(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/** One command as RESP: an array of bulk strings. */
export function encodeCommand(args: ReadonlyArray<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** A reply as text (bulk strings decoded as UTF-8), for messages and meta. */
export function replyText(v: RespValue): string {
  if (v === null) return '(nil)';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof RespError) return v.message;
  if (Array.isArray(v)) return `[${v.map(replyText).join(', ')}]`;
  return String(v);
}
