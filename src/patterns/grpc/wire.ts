/**
 * gRPC over HTTP/2, the parts that are bytes and words: length-prefixed messages, status codes,
 * grpc-timeout, grpc-message's percent-encoding and metadata. See
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md. Pure: no sockets here.
 */
import zlib from 'node:zlib';

/** Status code names, by number (0-16). */
export const STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

export const STATUS = Object.fromEntries(STATUS_NAMES.map((n, i) => [n, i])) as Record<(typeof STATUS_NAMES)[number], number>;

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `STATUS_${code}`;
}

/** The one-line reason of a status: `NOT_FOUND: no item 404` (just the name when there is no message). */
export function statusReason(code: number, message: string): string {
  const m = oneLine(message);
  return m && m !== statusName(code) ? `${statusName(code)}: ${m}` : statusName(code);
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  const line = s.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** The status a call gets when the server answered without a grpc-status: from the HTTP status, as the spec maps it. */
export function statusFromHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return STATUS.INTERNAL;
    case 401:
      return STATUS.UNAUTHENTICATED;
    case 403:
      return STATUS.PERMISSION_DENIED;
    case 404:
      return STATUS.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return STATUS.UNAVAILABLE;
    default:
      return STATUS.UNKNOWN;
  }
}

/** One message as it goes on the wire: flag byte (0: not compressed), 4-byte big-endian length, the bytes. */
export function encodeMessage(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + bytes.byteLength);
  out[0] = 0;
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, 5);
  return out;
}

/** A message larger than the limit: the call ends with RESOURCE_EXHAUSTED, nothing of it is kept. */
export class MessageTooLarge extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`the server sent a message of ${size} bytes, over the limit of ${limit} bytes (--max-message-size)`);
  }
}

/** The length-prefixed messages of a response body, whatever way the DATA frames cut them. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the message being read, once its prefix is in. */
  private need = -1;
  private compressed = false;

  constructor(private readonly maxBytes: number) {}

  /** Bytes of a message read so far (0 between messages). */
  get pending(): number {
    return this.buffered;
  }

  /** Feed bytes; `onMessage` gets each whole message (compressed flag as sent). Throws MessageTooLarge. */
  push(chunk: Buffer, onMessage: (bytes: Buffer, compressed: boolean) => void): void {
    // The common case: a chunk that holds whole messages and nothing is buffered.
    if (this.buffered === 0 && this.need < 0) {
      let at = 0;
      while (chunk.length - at >= 5) {
        const len = chunk.readUInt32BE(at + 1);
        if (len > this.maxBytes) throw new MessageTooLarge(len, this.maxBytes);
        if (chunk.length - at - 5 < len) break;
        onMessage(chunk.subarray(at + 5, at + 5 + len), chunk[at] === 1);
        at += 5 + len;
      }
      if (at === chunk.length) return;
      chunk = chunk.subarray(at);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 5) return;
        const head = this.take(5);
        this.compressed = head[0] === 1;
        this.need = head.readUInt32BE(1);
        if (this.need > this.maxBytes) throw new MessageTooLarge(this.need, this.maxBytes);
      }
      if (this.buffered < this.need) return;
      const body = this.take(this.need);
      this.need = -1;
      onMessage(body, this.compressed);
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

/** Undo a compressed message's encoding (gzip and deflate; grpc-encoding names it). */
export function decompress(bytes: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const opts = { maxOutputLength: maxBytes };
  switch ((encoding ?? '').toLowerCase()) {
    case 'gzip':
      return zlib.gunzipSync(bytes, opts);
    case 'deflate':
      return zlib.inflateSync(bytes, opts);
    default:
      throw new Error(`a compressed message with grpc-encoding "${encoding ?? '(none)'}", which Wirescope cannot read`);
  }
}

/** grpc-timeout for a deadline: at most 8 digits, in the finest unit that fits. */
export function grpcTimeout(ms: number): string {
  const units: Array<[string, number]> = [['m', 1], ['S', 1000], ['M', 60_000], ['H', 3_600_000]];
  for (const [u, per] of units) {
    const v = Math.ceil(ms / per);
    if (v < 1e8) return `${v}${u}`;
  }
  return '99999999H';
}

/** grpc-message is percent-encoded UTF-8. */
export function decodeGrpcMessage(raw: string | undefined): string {
  if (!raw) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Headers that are HTTP/2 or gRPC machinery, not metadata the application sent. */
const RESERVED = new Set(['content-type', 'grpc-status', 'grpc-message', 'te', 'user-agent', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'content-length', 'date', 'server']);

/**
 * The metadata of a header or trailer block: pseudo-headers and gRPC's own fields are left out.
 * Binary (`-bin`) values travel as base64 already and are shown as sent (base64).
 */
export function metadataOf(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || k.startsWith(':') || RESERVED.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * Request metadata from `-H` headers: names are lower-cased (HTTP/2 requires it), reserved ones are
 * refused, and a `-bin` value must be base64 (what goes on the wire). Returns a one-line problem or the metadata.
 */
export function requestMetadata(headers: Record<string, string> | undefined): { metadata: Record<string, string> } | { problem: string } {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const name = k.toLowerCase();
    if (name.startsWith('grpc-') || name === 'content-type' || name === 'te' || name.startsWith(':')) return { problem: `metadata "${name}" is reserved by gRPC and cannot be set with -H` };
    if (name.endsWith('-bin')) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return { problem: `metadata "${name}" is binary (-bin): its value must be base64` };
    } else if (!/^[\x20-\x7e]*$/.test(v)) return { problem: `metadata "${name}": a text value must be printable ASCII (use a -bin key for bytes)` };
    metadata[name] = v;
  }
  return { metadata };
}
