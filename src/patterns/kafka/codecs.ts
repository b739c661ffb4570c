/**
 * Decompression of Kafka record batches: gzip (node:zlib), snappy (raw, or in the xerial framing Java
 * producers write) and LZ4 (the frame format). zstd needs a zlib Node 20 does not have, and says so.
 *
 * Every codec stops at `MAX_DECOMPRESSED` bytes of output, so a small batch that claims to expand to gigabytes
 * (a hostile broker, or a corrupt log) is one error line, not a process out of memory. Checksums inside the
 * compressed data are not verified: the broker checked each batch's CRC-32C when it was written.
 */
import { gunzip } from 'node:zlib';

export const MAX_DECOMPRESSED = 256 << 20;

export class CodecError extends Error {}

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** The decompressed bytes of a batch's records, for codec id 1-4 (the low three bits of its attributes). */
export async function decompress(codec: number, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case 1:
      return new Promise<Buffer>((resolve, reject) =>
        gunzip(data, { maxOutputLength: MAX_DECOMPRESSED }, (err, out) => (err ? reject(new CodecError((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `it expands past ${MAX_DECOMPRESSED >> 20} MiB` : err.message)) : resolve(out))),
      );
    case 2:
      return snappy(data);
    case 3:
      return lz4Frame(data);
    case 4:
      throw new CodecError('zstd is not available in this Node.js (it needs Node 22.15 or later)');
    default:
      throw new CodecError(`unknown compression codec ${codec}`);
  }
}

/** A growable output buffer with a hard limit. */
class Out {
  buf: Buffer;
  len = 0;
  constructor(hint: number) {
    this.buf = Buffer.allocUnsafe(Math.min(MAX_DECOMPRESSED, Math.max(1024, hint)));
  }

  reserve(n: number): void {
    const want = this.len + n;
    if (want <= this.buf.length) return;
    if (want > MAX_DECOMPRESSED) throw new CodecError(`it expands past ${MAX_DECOMPRESSED >> 20} MiB`);
    const next = Buffer.allocUnsafe(Math.min(MAX_DECOMPRESSED, Math.max(want, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Copies `n` bytes from `offset` back in the output (the regions may overlap: byte by byte then). */
  back(offset: number, n: number): void {
    if (offset <= 0 || offset > this.len) throw new CodecError(`a match refers ${offset} bytes back, before the start of the output`);
    this.reserve(n);
    const buf = this.buf;
    let from = this.len - offset;
    if (offset >= n) buf.copy(buf, this.len, from, from + n);
    else for (let i = 0, to = this.len; i < n; i++) buf[to++] = buf[from++];
    this.len += n;
  }

  literal(src: Buffer, start: number, n: number): void {
    if (start + n > src.length) throw new CodecError('a literal runs past the end of the input');
    this.reserve(n);
    src.copy(this.buf, this.len, start, start + n);
    this.len += n;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/** Snappy: one raw block, or xerial's framing (16-byte header, then length-prefixed raw blocks). */
export function snappy(data: Buffer): Buffer {
  if (data.length >= 16 && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const out = new Out(data.length * 3);
    let at = 16;
    while (at < data.length) {
      if (at + 4 > data.length) throw new CodecError('a snappy block length is cut short');
      const n = data.readInt32BE(at);
      at += 4;
      if (n < 0 || at + n > data.length) throw new CodecError(`a snappy block of ${n} bytes runs past the end of the input`);
      snappyRaw(data.subarray(at, at + n), out);
      at += n;
    }
    return out.done();
  }
  const out = new Out(0);
  snappyRaw(data, out);
  return out.done();
}

function snappyRaw(src: Buffer, out: Out): void {
  // The uncompressed length, as an unsigned varint.
  let at = 0;
  let expect = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= src.length || shift > 28) throw new CodecError('a snappy length header is malformed');
    const b = src[at++];
    expect += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) break;
  }
  if (expect > MAX_DECOMPRESSED) throw new CodecError(`it expands past ${MAX_DECOMPRESSED >> 20} MiB`);
  const start = out.len;
  out.reserve(expect);
  while (at < src.length) {
    const tag = src[at++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (at + bytes > src.length) throw new CodecError('a snappy literal length is cut short');
        n = src.readUIntLE(at, bytes);
        at += bytes;
      }
      out.literal(src, at, n + 1);
      at += n + 1;
    } else {
      let n: number;
      let offset: number;
      if (kind === 1) {
        if (at + 1 > src.length) throw new CodecError('a snappy copy is cut short');
        n = 4 + ((tag >> 2) & 7);
        offset = ((tag >> 5) << 8) | src[at++];
      } else if (kind === 2) {
        if (at + 2 > src.length) throw new CodecError('a snappy copy is cut short');
        n = (tag >> 2) + 1;
        offset = src.readUInt16LE(at);
        at += 2;
      } else {
        if (at + 4 > src.length) throw new CodecError('a snappy copy is cut short');
        n = (tag >> 2) + 1;
        offset = src.readUInt32LE(at);
        at += 4;
      }
      if (offset > out.len - start) throw new CodecError(`a snappy copy refers ${offset} bytes back, before the start of its block`);
      out.back(offset, n);
    }
    if (out.len - start > expect) throw new CodecError(`a snappy block expands past the ${expect} bytes its header says`);
  }
  if (out.len - start !== expect) throw new CodecError(`a snappy block expands to ${out.len - start} bytes, its header says ${expect}`);
}

const LZ4_MAGIC = 0x184d2204;

/** LZ4 frame format: a frame descriptor, then blocks until an empty one. Block and content checksums are skipped. */
export function lz4Frame(data: Buffer): Buffer {
  const out = new Out(data.length * 3);
  let at = 0;
  while (at < data.length) {
    if (at + 7 > data.length || data.readUInt32LE(at) !== LZ4_MAGIC) throw new CodecError('an LZ4 frame does not start with its magic number');
    const flg = data[at + 4];
    if (flg >> 6 !== 1) throw new CodecError(`an LZ4 frame of version ${flg >> 6}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    at += 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // magic, FLG, BD, sizes, header checksum
    for (;;) {
      if (at + 4 > data.length) throw new CodecError('an LZ4 block size is cut short');
      const word = data.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (at + size > data.length) throw new CodecError(`an LZ4 block of ${size} bytes runs past the end of the input`);
      if (word & 0x80000000) out.literal(data, at, size);
      else lz4Block(data, at, at + size, out);
      at += size + (blockChecksum ? 4 : 0);
    }
    at += contentChecksum ? 4 : 0;
  }
  return out.done();
}

function lz4Block(src: Buffer, at: number, end: number, out: Out): void {
  while (at < end) {
    const token = src[at++];
    let lit = token >> 4;
    if (lit === 15) {
      for (;;) {
        if (at >= end) throw new CodecError('an LZ4 literal length is cut short');
        const b = src[at++];
        lit += b;
        if (b !== 255) break;
      }
    }
    if (at + lit > end) throw new CodecError('an LZ4 literal runs past the end of its block');
    out.literal(src, at, lit);
    at += lit;
    // The last sequence of a block has literals only.
    if (at >= end) break;
    if (at + 2 > end) throw new CodecError('an LZ4 match offset is cut short');
    const offset = src.readUInt16LE(at);
    at += 2;
    let n = (token & 15) + 4;
    if ((token & 15) === 15) {
      for (;;) {
        if (at >= end) throw new CodecError('an LZ4 match length is cut short');
        const b = src[at++];
        n += b;
        if (b !== 255) break;
      }
    }
    out.back(offset, n);
  }
}

type KafkajsCodec = { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
let registered = false;

/**
 * Gives kafkajs (the consumer-group path, which decodes with kafkajs) the same decompression: bounded gzip, snappy
 * and LZ4, and zstd refused in words. kafkajs's own gzip compression is kept; Wirescope produces uncompressed, so
 * the others do not compress.
 */
export function registerWithKafkajs(codecs: Record<number, (() => KafkajsCodec) | undefined>): void {
  if (registered) return;
  registered = true;
  const gzipCompress = codecs[1]?.().compress;
  const wrap = (id: number): (() => KafkajsCodec) => () => ({
    compress: async (encoder) => {
      if (id === 1 && gzipCompress) return gzipCompress(encoder);
      throw new CodecError(`Wirescope does not produce ${CODEC_NAMES[id]}-compressed records`);
    },
    decompress: async (b) => {
      try {
        return await decompress(id, b);
      } catch (err) {
        throw new CodecError(`the ${CODEC_NAMES[id]} record batch cannot be read: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  });
  for (const id of [1, 2, 3, 4]) codecs[id] = wrap(id);
}
