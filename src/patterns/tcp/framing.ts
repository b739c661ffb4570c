/**
 * Cutting a TCP byte stream into frames: lines (CRLF or LF), a length prefix (1, 2 or 4 bytes, big or
 * little endian) or one frame per read. Bounded: a line or a length-prefixed frame larger than `maxFrame`
 * is cut there, so a peer that never sends a newline cannot grow memory without limit.
 */
export type Split = 'lines' | 'length' | 'chunks';

export interface Frame {
  bytes: Uint8Array;
  /** lines: the terminator that ended the line (`crlf`, `lf`), or `cut` when the line hit the size bound. */
  eol?: 'crlf' | 'lf' | 'cut';
  /** length: the prefix value. */
  length?: number;
}

export interface FramerOptions {
  split: Split;
  lengthBytes?: 1 | 2 | 4;
  lengthEndian?: 'be' | 'le';
  /** Largest frame kept whole (default 16 MiB). */
  maxFrame?: number;
}

export class Framer {
  /** Bytes received and not yet framed, as the reads brought them (joined once, when a frame is complete). */
  private pending: Uint8Array[] = [];
  private pendingLen = 0;
  /** length: the prefix of the frame being collected (its bytes kept for flush). */
  private head: { n: number; bytes: Uint8Array } | undefined;
  private readonly max: number;

  constructor(private readonly o: FramerOptions) {
    this.max = o.maxFrame ?? 16 * 1024 * 1024;
  }

  /** Bytes received; returns the complete frames. Each byte is looked at once: a long line costs no rescans. */
  push(chunk: Uint8Array): Frame[] {
    if (this.o.split === 'chunks') return [{ bytes: chunk }];
    return this.o.split === 'lines' ? this.lines(chunk) : this.lengths(chunk);
  }

  /** The stream ended: what is left over (a last line without its terminator, a short frame). */
  flush(): Frame[] {
    const parts = this.head ? [this.head.bytes, ...this.pending] : this.pending;
    const rest = join(parts, this.pendingLen + (this.head?.bytes.length ?? 0));
    this.pending = [];
    this.pendingLen = 0;
    this.head = undefined;
    return rest.length ? [{ bytes: rest, ...(this.o.split === 'lines' ? {} : { length: undefined }) }] : [];
  }

  private keep(part: Uint8Array): void {
    if (part.length === 0) return;
    this.pending.push(part);
    this.pendingLen += part.length;
  }

  /** Everything pending plus `last`, as one frame's bytes; pending is emptied. */
  private takeAll(last: Uint8Array): Uint8Array {
    const bytes = this.pending.length === 0 ? last.slice() : join([...this.pending, last], this.pendingLen + last.length);
    this.pending = [];
    this.pendingLen = 0;
    return bytes;
  }

  private lines(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const room = this.max - this.pendingLen;
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      if (end - start >= room) {
        // The line reached the frame bound: cut it there.
        out.push({ bytes: this.takeAll(chunk.subarray(start, start + room)), eol: 'cut' });
        start += room;
        continue;
      }
      if (nl < 0) {
        this.keep(chunk.subarray(start));
        break;
      }
      let line = this.takeAll(chunk.subarray(start, nl));
      const cr = line.length > 0 && line[line.length - 1] === 13;
      if (cr) line = line.subarray(0, line.length - 1);
      out.push({ bytes: line, eol: cr ? 'crlf' : 'lf' });
      start = nl + 1;
    }
    return out;
  }

  /** The first `k` pending bytes, removed from pending. */
  private take(k: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let left = k;
    while (left > 0) {
      const first = this.pending[0];
      if (first.length <= left) {
        parts.push(first);
        this.pending.shift();
        left -= first.length;
      } else {
        parts.push(first.subarray(0, left));
        this.pending[0] = first.subarray(left);
        left = 0;
      }
    }
    this.pendingLen -= k;
    return parts.length === 1 ? parts[0].slice() : join(parts, k);
  }

  private lengths(chunk: Uint8Array): Frame[] {
    const width = this.o.lengthBytes ?? 4;
    const le = this.o.lengthEndian === 'le';
    this.keep(chunk);
    const out: Frame[] = [];
    for (;;) {
      if (!this.head) {
        if (this.pendingLen < width) break;
        const bytes = this.take(width);
        const view = new DataView(bytes.buffer, bytes.byteOffset, width);
        const n = width === 1 ? view.getUint8(0) : width === 2 ? view.getUint16(0, le) : view.getUint32(0, le);
        if (n > this.max) throw new Error(`length prefix ${n} exceeds the ${this.max}-byte frame limit (wrong --length-bytes or --length-endian?)`);
        this.head = { n, bytes };
      }
      if (this.pendingLen < this.head.n) break;
      out.push({ bytes: this.take(this.head.n), length: this.head.n });
      this.head = undefined;
    }
    return out;
  }
}

function join(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
