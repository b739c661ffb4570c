/**
 * Reads WebSocket frames (RFC 6455) out of a byte stream that is being forwarded unchanged.
 * Pure: no I/O. The parser never re-frames and never holds a whole payload: it keeps a frame
 * header (at most 14 bytes) and a preview of each message up to `previewLimit` bytes, unmasked.
 * Compressed messages (permessage-deflate, RSV1) are handed over with their compressed bytes
 * (kept up to `maxCompressedBytes`), for the caller to inflate.
 *
 * A stream that is not valid WebSocket framing is reported once through `onError`, and the parser
 * stops decoding that direction (the bytes keep flowing: the proxy does not judge).
 */

export interface WsMessage {
  /** 1 text, 2 binary, 8 close, 9 ping, 10 pong (continuations are folded into their message). */
  opcode: number;
  /** Whole payload size in bytes (sum of the fragments; compressed size for compressed messages). */
  size: number;
  /** The payload up to the preview limit, unmasked (inflated for a compressed message, when possible). */
  preview: Buffer;
  /** `preview` holds less than the whole payload. */
  truncated: boolean;
  /** Number of frames the message came in (1 when not fragmented). */
  fragments: number;
  /** The message was compressed (RSV1 on its first frame). */
  compressed: boolean;
  /** For compressed messages: the inflated size, once the caller inflated it. */
  inflatedSize?: number;
  /** For compressed messages: the whole compressed payload (absent past `maxCompressedBytes`). */
  raw?: Buffer;
  /** Close frames: status code and reason. */
  code?: number;
  reason?: string;
  /** The frames were masked (client to server). */
  masked: boolean;
}

export interface WsParserOptions {
  previewLimit: number;
  onMessage(msg: WsMessage): void;
  /** The stream stopped being valid framing: one line, reported once. */
  onError(message: string): void;
  /** Compressed messages larger than this are not kept for inflating (default 16 MiB). */
  maxCompressedBytes?: number;
}

interface Partial {
  opcode: number;
  size: number;
  chunks: Buffer[];
  kept: number;
  fragments: number;
  compressed: boolean;
  masked: boolean;
  /** For compressed messages: the compressed bytes (all of them, up to the cap). */
  raw?: Buffer[];
  rawOverflow?: boolean;
}

export class WsFrameParser {
  private header = Buffer.alloc(14);
  private headerLen = 0;
  /** Bytes of the current frame's payload still to come; -1 while reading a header. */
  private remaining = -1;
  private frameOpcode = 0;
  private frameFin = false;
  private mask: Buffer | undefined;
  private maskOffset = 0;
  private message: Partial | undefined;
  private control: Partial | undefined;
  private broken = false;
  private readonly maxCompressed: number;

  constructor(private readonly opts: WsParserOptions) {
    this.maxCompressed = opts.maxCompressedBytes ?? 16 * 1024 * 1024;
  }

  /** True between frames: a close frame could be inserted here without breaking the stream. */
  get atBoundary(): boolean {
    return !this.broken && this.remaining < 0 && this.headerLen === 0 && this.message === undefined;
  }

  get failed(): boolean {
    return this.broken;
  }

  push(chunk: Buffer): void {
    if (this.broken) return;
    let at = 0;
    while (at < chunk.length && !this.broken) {
      if (this.remaining < 0) {
        at = this.readHeader(chunk, at);
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - at);
      if (n > 0) this.payload(chunk.subarray(at, at + n));
      at += n;
      this.remaining -= n;
      if (this.remaining === 0) this.endFrame();
    }
  }

  private fail(message: string): void {
    if (this.broken) return;
    this.broken = true;
    this.message = undefined;
    this.control = undefined;
    this.opts.onError(message);
  }

  /** Read header bytes from `chunk` at `at`; returns the new position. */
  private readHeader(chunk: Buffer, at: number): number {
    // Copy at most what a header can need; how much exactly is known after the first two bytes.
    while (at < chunk.length) {
      const need = this.headerNeed();
      if (this.headerLen >= need) break;
      const take = Math.min(need - this.headerLen, chunk.length - at);
      chunk.copy(this.header, this.headerLen, at, at + take);
      this.headerLen += take;
      at += take;
    }
    const need = this.headerNeed();
    if (this.headerLen < need) return at;
    this.startFrame();
    return at;
  }

  private headerNeed(): number {
    if (this.headerLen < 2) return 2;
    const len7 = this.header[1] & 0x7f;
    const masked = (this.header[1] & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private startFrame(): void {
    const h = this.header;
    const fin = (h[0] & 0x80) !== 0;
    const rsv1 = (h[0] & 0x40) !== 0;
    const rsv23 = h[0] & 0x30;
    const opcode = h[0] & 0x0f;
    const masked = (h[1] & 0x80) !== 0;
    const len7 = h[1] & 0x7f;
    let len: number;
    let p = 2;
    if (len7 === 126) {
      len = h.readUInt16BE(2);
      p = 4;
    } else if (len7 === 127) {
      const hi = h.readUInt32BE(2);
      if (hi > 0x1fffff) {
        this.fail('WebSocket frame length over 2^53 bytes: not valid framing, decoding stopped');
        return;
      }
      len = hi * 0x1_0000_0000 + h.readUInt32BE(6);
      p = 10;
    } else len = len7;
    this.mask = masked ? Buffer.from(h.subarray(p, p + 4)) : undefined;
    this.maskOffset = 0;
    this.headerLen = 0;
    if (rsv23 !== 0) return this.fail(`WebSocket frame with reserved bits set (opcode ${opcode}): not valid framing, decoding stopped`);
    const isControl = opcode >= 8;
    if (isControl) {
      if (opcode > 10) return this.fail(`Unknown WebSocket control opcode ${opcode}: decoding stopped`);
      if (!fin || len > 125) return this.fail(`Invalid WebSocket control frame (opcode ${opcode}, ${len} bytes${fin ? '' : ', fragmented'}): decoding stopped`);
      this.control = { opcode, size: len, chunks: [], kept: 0, fragments: 1, compressed: false, masked };
    } else if (opcode === 0) {
      if (!this.message) return this.fail('WebSocket continuation frame without a message to continue: decoding stopped');
      this.message.fragments++;
    } else if (opcode === 1 || opcode === 2) {
      if (this.message) return this.fail('WebSocket data frame inside an unfinished fragmented message: decoding stopped');
      this.message = { opcode, size: 0, chunks: [], kept: 0, fragments: 1, compressed: rsv1, masked };
      if (rsv1) this.message.raw = [];
    } else {
      return this.fail(`Unknown WebSocket opcode ${opcode}: decoding stopped`);
    }
    this.frameOpcode = opcode;
    this.frameFin = fin;
    this.remaining = len;
    if (len === 0) this.endFrame();
  }

  private payload(piece: Buffer): void {
    const target = this.frameOpcode >= 8 ? this.control : this.message;
    if (!target) return;
    target.size += piece.length;
    const wantRaw = target.raw !== undefined && !target.rawOverflow;
    const room = this.opts.previewLimit - target.kept;
    // Only what is kept is unmasked: the rest of a large payload is counted and let go.
    const keepN = target.compressed ? (wantRaw ? piece.length : 0) : Math.max(0, Math.min(room, piece.length));
    if (keepN > 0 || (this.mask && piece.length > 0)) {
      const out = keepN > 0 ? Buffer.allocUnsafe(keepN) : undefined;
      if (this.mask) {
        const m = this.mask;
        let o = this.maskOffset;
        if (out) for (let i = 0; i < keepN; i++) out[i] = piece[i] ^ m[(o + i) & 3];
        o = (o + piece.length) & 3;
        this.maskOffset = o;
      } else if (out) piece.copy(out, 0, 0, keepN);
      if (out) {
        if (target.compressed) {
          target.raw!.push(out);
          target.kept += keepN;
          if (target.kept > this.maxCompressed) {
            target.rawOverflow = true;
            target.raw = [];
          }
        } else {
          target.chunks.push(out);
          target.kept += keepN;
        }
      }
    }
  }

  private endFrame(): void {
    this.remaining = -1;
    if (this.frameOpcode >= 8) {
      const c = this.control!;
      this.control = undefined;
      this.emit(c);
      return;
    }
    if (!this.frameFin) return;
    const m = this.message!;
    this.message = undefined;
    this.emit(m);
  }

  private emit(p: Partial): void {
    const preview = p.chunks.length === 1 ? p.chunks[0] : Buffer.concat(p.chunks, p.kept);
    const truncated = p.kept < p.size;
    const msg: WsMessage = { opcode: p.opcode, size: p.size, preview, truncated, fragments: p.fragments, compressed: p.compressed, masked: p.masked };
    if (p.compressed) {
      msg.preview = Buffer.alloc(0);
      msg.truncated = p.size > 0;
      if (!p.rawOverflow) msg.raw = Buffer.concat(p.raw ?? []);
    }
    if (p.opcode === 8) {
      if (msg.preview.length >= 2) {
        msg.code = msg.preview.readUInt16BE(0);
        msg.reason = msg.preview.subarray(2).toString('utf8');
      } else msg.code = 1005;
    }
    this.opts.onMessage(msg);
  }
}

/** A close frame as a server sends it (unmasked) or a client (masked with a random key). */
export function closeFrame(code: number, reason: string, masked: boolean, randomKey: () => Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason.slice(0, 120), 'utf8')]);
  const head = Buffer.from([0x88, (masked ? 0x80 : 0) | body.length]);
  if (!masked) return Buffer.concat([head, body]);
  const key = randomKey();
  const maskedBody = Buffer.allocUnsafe(body.length);
  for (let i = 0; i < body.length; i++) maskedBody[i] = body[i] ^ key[i & 3];
  return Buffer.concat([head, key, maskedBody]);
}
