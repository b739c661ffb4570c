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
  private buf = new Uint8Array(0);
  private readonly max: number;

  constructor(private readonly o: FramerOptions) {
    this.max = o.maxFrame ?? 16 * 1024 * 1024;
  }

  /** Bytes received; returns the complete frames. */
  push(chunk: Uint8Array): Frame[] {
    if (this.o.split === 'chunks') return [{ bytes: chunk }];
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    return this.o.split === 'lines' ? this.lines() : this.lengths();
  }

  /** The stream ended: what is left over (a last line without its terminator, a short frame). */
  flush(): Frame[] {
    const rest = this.buf;
    this.buf = new Uint8Array(0);
    return rest.length ? [{ bytes: rest, ...(this.o.split === 'lines' ? {} : { length: undefined }) }] : [];
  }

  private lines(): Frame[] {
    const out: Frame[] = [];
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      if (this.buf[i] !== 10) {
        if (i - start + 1 >= this.max) {
          out.push({ bytes: this.buf.slice(start, i + 1), eol: 'cut' });
          start = i + 1;
        }
        continue;
      }
      const cr = i > start && this.buf[i - 1] === 13;
      out.push({ bytes: this.buf.slice(start, cr ? i - 1 : i), eol: cr ? 'crlf' : 'lf' });
      start = i + 1;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  private lengths(): Frame[] {
    const width = this.o.lengthBytes ?? 4;
    const le = this.o.lengthEndian === 'le';
    const out: Frame[] = [];
    let at = 0;
    while (this.buf.length - at >= width) {
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + at, width);
      const n = width === 1 ? view.getUint8(0) : width === 2 ? view.getUint16(0, le) : view.getUint32(0, le);
      if (n > this.max) throw new Error(`length prefix ${n} exceeds the ${this.max}-byte frame limit (wrong --length-bytes or --length-endian?)`);
      if (this.buf.length - at - width < n) break;
      out.push({ bytes: this.buf.slice(at + width, at + width + n), length: n });
      at += width + n;
    }
    this.buf = this.buf.slice(at);
    return out;
  }
}
