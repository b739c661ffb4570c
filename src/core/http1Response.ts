/**
 * Reading an HTTP/1.1 response from bytes, without node:http: the status line and headers, and the body's
 * framing (chunked, Content-Length, close-delimited or none). Pure: no I/O.
 *
 * Used by the stream client (src/core/streamClient.ts), which reads an event stream on its own socket,
 * and by the capture proxy, which relays a backend's bytes to its client unchanged and decodes them on
 * the side. Node's HTTP client hands over one body piece per chunk of a chunked body and calls into
 * JavaScript for each; here one socket read is cut in one call, and its body pieces are slices of the
 * read (no copy).
 */

/** Node's default limit for a response head (--max-http-header-size). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** Response headers Node keeps only once (the first wins), as IncomingMessage.headers does. */
const SINGLE_HEADERS = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export type BodyMode = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

export interface ResponseHead {
  status: number;
  statusText: string;
  /** `1.1` or `1.0`. */
  httpVersion: string;
  /** Lower-case names; repeated headers joined with `, ` (a few keep their first value, as in Node). */
  headers: Record<string, string>;
  /** Raw name/value list, in wire order. */
  rawHeaders: string[];
  /** How the body is framed. */
  body: BodyMode;
}

/** An error with Node's HTTP parser code (HPE_*), as node:http would fail. */
export function malformed(message: string, code = 'HPE_INVALID_CONSTANT'): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * Parse a response head (the text before the blank line, latin1) of a response to `method`.
 * Returns the head, or a one-line problem.
 */
export function parseResponseHead(text: string, method: string): ResponseHead | { problem: string } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/(1\.[01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) return { problem: `Invalid status line "${lines[0].slice(0, 60)}"` };
  const status = Number(m[2]);
  const headers: Record<string, string> = {};
  const raw: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return { problem: `Invalid header line "${line.slice(0, 60)}"` };
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    raw.push(name, value);
    const key = name.toLowerCase();
    if (!(key in headers)) headers[key] = value;
    else if (!SINGLE_HEADERS.has(key)) headers[key] += `, ${value}`;
  }
  let body: BodyMode;
  const te = headers['transfer-encoding'];
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) body = { kind: 'none' };
  else if (te !== undefined) {
    if (!/(^|,)\s*chunked\s*$/i.test(te)) return { problem: `Unsupported Transfer-Encoding "${te}"` };
    body = { kind: 'chunked' };
  } else if (headers['content-length'] !== undefined) {
    if (!/^\d+$/.test(headers['content-length'])) return { problem: `Invalid Content-Length "${headers['content-length']}"` };
    body = { kind: 'length', left: Number(headers['content-length']) };
  } else body = { kind: 'close' };
  return { status, statusText: m[3] ?? '', httpVersion: m[1], headers, rawHeaders: raw, body };
}

/** What one read of body bytes gave. */
export interface BodyRead {
  /** The body's data in this read: slices of it, in order (the chunked framing cut out). */
  pieces: Buffer[];
  /** Bytes of the read that belong to this response (framing included); the rest is not of this response. */
  used: number;
  /** The body ended in this read (terminal chunk and trailers, or Content-Length reached). */
  done: boolean;
  /** The framing is broken: the bytes from `at` on are not valid (pieces before it are). */
  error?: { message: string; code: string; at: number };
}

const CRLF = 0x0a;

/**
 * The body framing of one response, read incrementally. A close-delimited body never ends here: the
 * connection's end ends it. Memory is bounded: it keeps at most one chunk-size or trailer line (1 KiB).
 */
export class BodyDecoder {
  /** Chunked framing state: bytes of the current chunk still to come, or the line being read. */
  private chunkLeft = 0;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private line = '';
  private left: number;
  /** The body has ended (or failed). */
  finished: boolean;

  constructor(readonly mode: BodyMode) {
    this.left = mode.kind === 'length' ? mode.left : 0;
    this.finished = mode.kind === 'none' || (mode.kind === 'length' && mode.left === 0);
  }

  push(buf: Buffer): BodyRead {
    if (this.finished) return { pieces: [], used: 0, done: true };
    const mode = this.mode.kind;
    if (mode === 'close') return { pieces: buf.length > 0 ? [buf] : [], used: buf.length, done: false };
    if (mode === 'length') {
      const take = Math.min(this.left, buf.length);
      this.left -= take;
      if (this.left === 0) this.finished = true;
      return { pieces: take > 0 ? [take === buf.length ? buf : buf.subarray(0, take)] : [], used: take, done: this.finished };
    }
    return this.chunked(buf);
  }

  private fail(pieces: Buffer[], at: number, message: string): BodyRead {
    this.finished = true;
    return { pieces, used: at, done: false, error: { message, code: 'HPE_INVALID_CHUNK_SIZE', at } };
  }

  private chunked(buf: Buffer): BodyRead {
    // Cut the framing, hand over the data slices of this read together.
    const pieces: Buffer[] = [];
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.chunkState === 'data') {
        const take = Math.min(this.chunkLeft, n - i);
        pieces.push(buf.subarray(i, i + take));
        i += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkState = 'data-end';
        continue;
      }
      // Fast paths for the common framing, read from the bytes without making strings: the CRLF after a
      // chunk's data, and a bare hex size line, both whole in this read.
      if (this.line === '' && this.chunkState === 'data-end') {
        if (buf[i] === 13 && i + 1 < n && buf[i + 1] === 10) {
          i += 2;
          this.chunkState = 'size';
          continue;
        }
      } else if (this.line === '' && this.chunkState === 'size') {
        let j = i;
        let size = 0;
        while (j < n && j - i < 12) {
          const c = buf[j];
          const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
          if (d < 0) break;
          size = size * 16 + d;
          j++;
        }
        if (j > i && j + 1 < n && buf[j] === 13 && buf[j + 1] === 10) {
          i = j + 2;
          this.chunkLeft = size;
          this.chunkState = size === 0 ? 'trailer' : 'data';
          continue;
        }
      }
      const lineStart = this.line === '' ? i : 0;
      const nl = buf.indexOf(CRLF, i);
      const part = buf.toString('latin1', i, nl < 0 ? n : nl);
      if (nl < 0) {
        this.line += part;
        if (this.line.length > 1024) return this.fail(pieces, lineStart, 'Chunk size line too long');
        break;
      }
      i = nl + 1;
      const line = (this.line + part).replace(/\r$/, '');
      this.line = '';
      if (this.chunkState === 'data-end') {
        if (line !== '') return this.fail(pieces, lineStart, 'Expected CRLF after chunk data');
        this.chunkState = 'size';
        continue;
      }
      if (this.chunkState === 'trailer') {
        if (line === '') {
          this.finished = true;
          return { pieces, used: i, done: true };
        }
        continue;
      }
      const size = /^([0-9A-Fa-f]{1,12})[\t ]*(?:;.*)?$/.exec(line);
      if (!size) return this.fail(pieces, lineStart, 'Invalid chunk size');
      this.chunkLeft = parseInt(size[1], 16);
      this.chunkState = this.chunkLeft === 0 ? 'trailer' : 'data';
    }
    return { pieces, used: n, done: false };
  }
}
