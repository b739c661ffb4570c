/**
 * Splits a byte stream into lines for NDJSON / JSON Lines. Pure: no I/O, no timers.
 * Splitting happens on the byte 0x0A, which never occurs inside a multi-byte UTF-8 sequence,
 * so a character cut across chunks is joined intact. A trailing `\r` is dropped (CRLF streams).
 */

/** One line out of the splitter (without its line terminator). */
export interface SplitLine {
  bytes: Buffer;
  /** The line grew past `maxLineBytes` and was forced out before its newline arrived. */
  forced?: true;
}

export interface LineSplitterOptions {
  /** Force out a line that grows past this many bytes without a newline (bounds memory). Default 16 MiB. */
  maxLineBytes?: number;
  /** Drop empty lines (blank keep-alive lines in NDJSON). Default true. */
  skipEmpty?: boolean;
}

const NL = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly maxLineBytes: number;
  private readonly skipEmpty: boolean;

  constructor(opts: LineSplitterOptions = {}) {
    this.maxLineBytes = Math.max(1, opts.maxLineBytes ?? 16 * 1024 * 1024);
    this.skipEmpty = opts.skipEmpty ?? true;
  }

  /** Bytes held for a line whose newline has not arrived yet. */
  get pendingSize(): number {
    return this.pendingBytes;
  }

  /** Feed one chunk; returns the lines it completed, in order. */
  push(chunk: Uint8Array): SplitLine[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: SplitLine[] = [];
    let from = 0;
    while (from < buf.length) {
      const nl = buf.indexOf(NL, from);
      if (nl < 0) {
        this.hold(buf.subarray(from), out);
        break;
      }
      const piece = buf.subarray(from, nl);
      let line: Buffer;
      if (this.pending.length > 0) {
        line = Buffer.concat([...this.pending, piece], this.pendingBytes + piece.length);
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        line = piece;
      }
      this.emit(stripCr(line), out);
      from = nl + 1;
    }
    return out;
  }

  /** End of stream: the bytes of an unfinished line (without newline), or undefined when none are held. */
  flush(): Buffer | undefined {
    if (this.pendingBytes === 0) return undefined;
    const rest = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return rest;
  }

  private hold(piece: Buffer, out: SplitLine[]): void {
    if (piece.length === 0) return;
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes >= this.maxLineBytes) {
      const line = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      out.push({ bytes: line, forced: true });
    }
  }

  private emit(line: Buffer, out: SplitLine[]): void {
    if (line.length === 0 && this.skipEmpty) return;
    out.push({ bytes: line });
  }
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * Reference form of the splitter: split a whole sequence of chunks at once.
 * `rest` holds the unterminated tail (empty when the stream ended on a newline).
 */
export function splitLines(chunks: readonly Uint8Array[], opts?: LineSplitterOptions): { lines: SplitLine[]; rest: Buffer } {
  const s = new LineSplitter(opts);
  const lines: SplitLine[] = [];
  for (const c of chunks) lines.push(...s.push(c));
  return { lines, rest: s.flush() ?? Buffer.alloc(0) };
}
