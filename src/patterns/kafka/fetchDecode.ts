/**
 * Fetch responses (versions 4 to 11) decoded by Wirescope, for the read without a consumer group.
 *
 * kafkajs encodes the request and owns the connection (authentication, TLS, correlation, timeouts); only the
 * response body is read here. kafkajs's own decoder turns every record's offset and timestamp into a 64-bit
 * `Long` made from a decimal string, and every header list into a fresh object spread per header, which cost
 * more per record than everything else the session does with it. Here a record is read once, in place:
 *
 * - offsets and timestamps are plain numbers (every real log is far below 2^53; a larger offset is kept as
 *   its decimal string);
 * - keys, values and header values are views on the response buffer, not copies;
 * - headers stay a list in the record's order (a key may repeat).
 *
 * Record batches (magic 2) are read here, compressed ones after ./codecs.ts has decompressed them (gzip, snappy
 * and LZ4; zstd is one line saying this Node.js cannot). The legacy message sets
 * (magic 0 and 1, brokers before 0.11) go to kafkajs's decoder and are converted. Bytes that do not add up
 * throw a `KafkaFetchDecodeError` with one line saying where.
 */
import fetchRequests from 'kafkajs/src/protocol/requests/fetch';
import { createErrorFromCode, failure } from 'kafkajs/src/protocol/error';
import { KafkaJSOffsetOutOfRange } from 'kafkajs/src/errors';
import Decoder from 'kafkajs/src/protocol/decoder';
import decodeMessages from 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages';
import { CODEC_NAMES, decompress } from './codecs';

export interface FetchedRecord {
  /** The record's offset: a number below 2^53, else its decimal string. */
  offset: number | string;
  /** Milliseconds since the epoch, or -1 when the record has none. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header keys and values in the record's order, or null when it has none. */
  headers: Array<[string, Buffer | null]> | null;
  /** A transaction marker, not data. */
  isControlRecord: boolean;
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  records: FetchedRecord[];
}

export interface FetchedTopic {
  topicName: string;
  partitions: FetchedPartition[];
}

export interface FetchResult {
  responses: FetchedTopic[];
}

export class KafkaFetchDecodeError extends Error {
  override name = 'KafkaFetchDecodeError';
}

const TWO_32 = 4294967296;
const CONTROL_BATCH = 0x20;
const LOG_APPEND_TIME = 0x08;
const CODEC_MASK = 0x07;
/** Offset, length, leader epoch, magic: the part of a batch read before its magic byte is known. */
const BATCH_PREFIX = 17;
/** The fixed header of a record batch (magic 2), up to and including its record count. */
const BATCH_HEADER = 61;

/** A bounded reader over one response body; every read checks that the bytes are there. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) throw new KafkaFetchDecodeError(`malformed Fetch response: ${what} needs ${n} bytes at byte ${this.pos}, the response has ${this.end - this.pos} left`);
  }

  int8(): number {
    this.need(1, 'an INT8');
    return this.buf.readInt8(this.pos++);
  }

  int16(): number {
    this.need(2, 'an INT16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'an INT32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** An INT64 as a number when it is exact (|v| < 2^53), else as its decimal string. */
  int64(): number | string {
    this.need(8, 'an INT64');
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    const at = this.pos;
    this.pos += 8;
    if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_32 + lo;
    return this.buf.readBigInt64BE(at).toString();
  }

  string(): string {
    const n = this.int16();
    if (n < 0) return '';
    this.need(n, 'a STRING');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A zigzag varint (up to 64 bits), as a number; exact for the deltas and lengths records carry. */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b = pos < this.end ? buf[pos++] : -1;
    if (b < 0) throw new KafkaFetchDecodeError(`malformed Fetch response: a varint runs past the end at byte ${pos}`);
    let n = b & 0x7f;
    if (b & 0x80) {
      let mul = 128;
      for (let i = 1; ; i++) {
        if (pos >= this.end || i >= 10) throw new KafkaFetchDecodeError(`malformed Fetch response: a varint at byte ${this.pos} is ${i >= 10 ? 'longer than 10 bytes' : 'cut short'}`);
        b = buf[pos++];
        n += (b & 0x7f) * mul;
        if (!(b & 0x80)) break;
        mul *= 128;
      }
    }
    this.pos = pos;
    // Zigzag: 0, -1, 1, -2, 2 ...
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** Varint-length bytes (-1: null), as a view on the response. */
  varBytes(what: string): Buffer | null {
    const n = this.varint();
    if (n < 0) return null;
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function addOffset(base: number | string, delta: number): number | string {
  if (typeof base === 'number') {
    const v = base + delta;
    if (Number.isSafeInteger(v)) return v;
    return (BigInt(base) + BigInt(delta)).toString();
  }
  return (BigInt(base) + BigInt(delta)).toString();
}

/** The records of one uncompressed run (`count` of them from `r`). */
function readRecords(r: Reader, count: number, baseOffset: number | string, baseTimestamp: number, logAppendTime: number | undefined, control: boolean, into: FetchedRecord[]): void {
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    if (len < 0) throw new KafkaFetchDecodeError(`malformed Fetch response: a record length of ${len} at byte ${r.pos}`);
    r.need(len, 'a record');
    const recordEnd = r.pos + len;
    const rr = new Reader(r.buf, r.pos, recordEnd);
    rr.int8(); // attributes (unused)
    const tsDelta = rr.varint();
    const offDelta = rr.varint();
    const key = rr.varBytes('a record key');
    const value = rr.varBytes('a record value');
    const nh = rr.varint();
    let headers: Array<[string, Buffer | null]> | null = null;
    if (nh > 0) {
      headers = [];
      for (let h = 0; h < nh; h++) {
        const k = rr.varBytes('a header key');
        const v = rr.varBytes('a header value');
        headers.push([k ? k.toString('utf8') : '', v]);
      }
    }
    r.pos = recordEnd;
    into.push({
      offset: typeof baseOffset === 'number' && Number.isSafeInteger(baseOffset + offDelta) ? baseOffset + offDelta : addOffset(baseOffset, offDelta),
      timestamp: logAppendTime ?? (baseTimestamp < 0 ? -1 : baseTimestamp + tsDelta),
      key,
      value,
      headers,
      isControlRecord: control,
    });
  }
}


/** The record set of one partition (`size` bytes at the reader's position). */
async function readRecordSet(r: Reader, size: number, out: FetchedRecord[]): Promise<void> {
  const end = r.pos + size;
  while (end - r.pos >= BATCH_PREFIX) {
    const at = r.pos;
    const baseOffset = r.int64();
    const batchLength = r.int32();
    // A broker fills up to maxBytes and may cut the last batch short: that one is fetched again next time.
    if (batchLength < 0 || at + 12 + batchLength > end) break;
    const batchEnd = at + 12 + batchLength;
    const magic = r.buf.readInt8(at + 16);
    if (magic !== 2) {
      r.pos = at;
      await legacyMessageSet(r, end - at, out);
      return;
    }
    if (batchLength + 12 < BATCH_HEADER) throw new KafkaFetchDecodeError(`malformed Fetch response: a record batch of ${batchLength} bytes is shorter than its header`);
    const b = new Reader(r.buf, at + 12, batchEnd);
    b.int32(); // partition leader epoch
    b.int8(); // magic
    b.int32(); // CRC-32C (the broker checked it when the batch was written)
    const attributes = b.int16();
    b.int32(); // last offset delta
    const firstTimestamp = b.int64();
    const maxTimestamp = b.int64();
    b.int64(); // producer id
    b.int16(); // producer epoch
    b.int32(); // base sequence
    const count = b.int32();
    const control = (attributes & CONTROL_BATCH) !== 0;
    const first = typeof firstTimestamp === 'number' ? firstTimestamp : Number(firstTimestamp);
    const logAppend = (attributes & LOG_APPEND_TIME) !== 0 ? (typeof maxTimestamp === 'number' ? maxTimestamp : Number(maxTimestamp)) : undefined;
    if ((attributes & CODEC_MASK) === 0) {
      readRecords(b, count, baseOffset, first, logAppend, control, out);
    } else {
      const codec = attributes & CODEC_MASK;
      const name = CODEC_NAMES[codec] ?? `codec ${codec}`;
      let plain: Buffer;
      try {
        plain = await decompress(codec, r.buf.subarray(b.pos, batchEnd));
      } catch (err) {
        throw new KafkaFetchDecodeError(`the ${name} record batch at offset ${String(baseOffset)} cannot be read: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
      }
      readRecords(new Reader(plain), count, baseOffset, first, logAppend, control, out);
    }
    r.pos = batchEnd;
  }
  r.pos = end;
}

/** Magic 0 and 1 message sets, through kafkajs's decoder, converted to records. */
async function legacyMessageSet(r: Reader, size: number, out: FetchedRecord[]): Promise<void> {
  const sized = Buffer.allocUnsafe(4 + size);
  sized.writeInt32BE(size, 0);
  r.buf.copy(sized, 4, r.pos, r.pos + size);
  for (const m of await decodeMessages(new Decoder(sized))) {
    const headers: Array<[string, Buffer | null]> = [];
    for (const [k, v] of Object.entries(m.headers ?? {})) for (const x of Array.isArray(v) ? v : [v]) headers.push([k, x]);
    const off = Number(m.offset);
    const ts = Number(m.timestamp ?? -1);
    out.push({ offset: Number.isSafeInteger(off) ? off : m.offset, timestamp: Number.isFinite(ts) ? ts : -1, key: m.key, value: m.value, headers: headers.length ? headers : null, isControlRecord: !!m.isControlRecord });
  }
  r.pos += size;
}

/** Decodes a Fetch response body of `version` (4-11). */
export async function decodeFetchResponse(raw: Buffer, version: number): Promise<FetchResult & { errorCode: number }> {
  const r = new Reader(raw);
  r.int32(); // throttle time
  let errorCode = 0;
  if (version >= 7) {
    errorCode = r.int16();
    r.int32(); // fetch session id
  }
  const topics = r.int32();
  const responses: FetchedTopic[] = [];
  for (let t = 0; t < topics; t++) {
    const topicName = r.string();
    const np = r.int32();
    const partitions: FetchedPartition[] = [];
    for (let p = 0; p < np; p++) {
      const partition = r.int32();
      const pErr = r.int16();
      const hw = r.int64();
      r.int64(); // last stable offset
      if (version >= 5) r.int64(); // log start offset
      const aborted = r.int32();
      for (let a = 0; a < aborted; a++) {
        r.int64();
        r.int64();
      }
      if (version >= 11) r.int32(); // preferred read replica
      const size = r.int32();
      const records: FetchedRecord[] = [];
      if (size > 0) {
        r.need(size, 'a record set');
        await readRecordSet(r, size, records);
      }
      partitions.push({ partition, errorCode: pErr, highWatermark: String(hw), records });
    }
    responses.push({ topicName, partitions });
  }
  return { errorCode, responses };
}

type KafkajsRequest = { request: unknown; response: { decode(raw: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> }; requestTimeout?: number };

const OFFSET_OUT_OF_RANGE = 1;

/** kafkajs's Fetch request versions, with the response read by `decodeFetchResponse` from version 4 on. */
export function fetchDefinition(): { versions: string[]; protocol(o: { version: number }): (params: object) => KafkajsRequest } {
  const base = fetchRequests;
  return {
    versions: base.versions,
    protocol: ({ version }) => {
      const make = base.protocol({ version });
      if (version < 4) return make;
      return (params) => {
        const req = make(params);
        return {
          ...req,
          response: {
            decode: (raw: Buffer) => decodeFetchResponse(raw, version),
            // As kafkajs does: the first partition with an error fails the request (out of range named as such).
            parse: async (d: unknown) => {
              const data = d as FetchResult & { errorCode: number };
              if (data.errorCode && failure(data.errorCode)) throw createErrorFromCode(data.errorCode);
              for (const t of data.responses) {
                for (const p of t.partitions) {
                  if (!failure(p.errorCode)) continue;
                  if (p.errorCode === OFFSET_OUT_OF_RANGE) throw new KafkaJSOffsetOutOfRange(createErrorFromCode(p.errorCode), { topic: t.topicName, partition: p.partition });
                  throw createErrorFromCode(p.errorCode);
                }
              }
              return data;
            },
          },
        };
      };
    },
  };
}
