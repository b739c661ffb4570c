// The Kafka Fetch decoder and codecs on hand-made bytes, for what the mock cluster does not produce: offsets past
// 2^53, log-append time, a batch cut short at the end of a response, xerial-framed snappy (Java producers) and
// overlapping LZ4 matches. Real compressed topics from kcat are read in kafka.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lz4Frame, snappy } from '../../../src/patterns/kafka/codecs';
import { decodeFetchResponse, KafkaFetchDecodeError } from '../../../src/patterns/kafka/fetchDecode';

const i16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const varint = (n: number) => {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
};
const bytes = (b: Buffer | null) => (b === null ? varint(-1) : Buffer.concat([varint(b.length), b]));

function record(offsetDelta: number, tsDelta: number, key: Buffer | null, value: Buffer | null, headers: Array<[string, string]> = []): Buffer {
  const body = Buffer.concat([Buffer.from([0]), varint(tsDelta), varint(offsetDelta), bytes(key), bytes(value), varint(headers.length), ...headers.map(([k, v]) => Buffer.concat([bytes(Buffer.from(k)), bytes(Buffer.from(v))]))]);
  return Buffer.concat([varint(body.length), body]);
}

function batch(baseOffset: bigint, records: Buffer[], o: { attributes?: number; first?: bigint; max?: bigint } = {}): Buffer {
  const body = Buffer.concat([i32(0), Buffer.from([2]), i32(0), i16(o.attributes ?? 0), i32(records.length - 1), i64(o.first ?? 1_700_000_000_000n), i64(o.max ?? 1_700_000_000_500n), i64(-1n), i16(-1), i32(-1), i32(records.length), ...records]);
  return Buffer.concat([i64(baseOffset), i32(body.length), body]);
}

/** A Fetch v4 response for topic `t`, partition 0, with this record set. */
function fetchV4(recordSet: Buffer, highWatermark = 10n): Buffer {
  return Buffer.concat([i32(0), i32(1), i16(1), Buffer.from('t'), i32(1), i32(0), i16(0), i64(highWatermark), i64(highWatermark), i32(-1), i32(recordSet.length), recordSet]);
}

describe('kafka Fetch decoder', () => {
  it('reads records in place: offsets and timestamps from the batch base, null key and value, headers in order with repeats', async () => {
    const set = batch(5n, [record(0, 0, Buffer.from('k'), Buffer.from('v0'), [['a', '1'], ['a', '2']]), record(1, 7, null, null)]);
    const res = await decodeFetchResponse(fetchV4(set), 4);
    const [p] = res.responses[0].partitions;
    assert.equal(res.responses[0].topicName, 't');
    assert.equal(p.highWatermark, '10');
    assert.deepEqual(
      p.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers?.map(([k, v]) => [k, v?.toString()]) ?? null]),
      [
        [5, 1_700_000_000_000, 'k', 'v0', [['a', '1'], ['a', '2']]],
        [6, 1_700_000_000_007, null, null, null],
      ],
    );
  });

  it('offsets past 2^53 stay exact as decimal strings; log-append time takes the batch max timestamp', async () => {
    const base = 2n ** 60n;
    const set = batch(base, [record(0, 3, null, Buffer.from('x')), record(1, 4, null, Buffer.from('y'))], { attributes: 0x08 });
    const [p] = (await decodeFetchResponse(fetchV4(set), 4)).responses[0].partitions;
    assert.deepEqual(p.records.map((r) => r.offset), [base.toString(), (base + 1n).toString()]);
    assert.deepEqual(p.records.map((r) => r.timestamp), [1_700_000_000_500, 1_700_000_000_500]);
  });

  it('a batch cut short at the end of the response (the broker fills up to maxBytes) is left for the next fetch', async () => {
    const whole = batch(0n, [record(0, 0, null, Buffer.from('a'))]);
    const cut = batch(1n, [record(0, 0, null, Buffer.from('b'.repeat(100)))]).subarray(0, 40);
    const [p] = (await decodeFetchResponse(fetchV4(Buffer.concat([whole, cut])), 4)).responses[0].partitions;
    assert.deepEqual(p.records.map((r) => r.value?.toString()), ['a']);
  });

  it('versions 7 and 11 carry the session id, the log start offset and the preferred replica', async () => {
    const set = batch(0n, [record(0, 0, null, Buffer.from('z'))]);
    const v11 = Buffer.concat([i32(0), i16(0), i32(42), i32(1), i16(1), Buffer.from('t'), i32(1), i32(3), i16(0), i64(1n), i64(1n), i64(0n), i32(0), i32(-1), i32(set.length), set]);
    const res = await decodeFetchResponse(v11, 11);
    assert.equal(res.responses[0].partitions[0].partition, 3);
    assert.equal(res.responses[0].partitions[0].records[0].value?.toString(), 'z');
  });

  it('bytes that do not add up are a KafkaFetchDecodeError with one line saying where', async () => {
    const bad = batch(0n, [Buffer.concat([varint(50), Buffer.from('abc')])]);
    await assert.rejects(decodeFetchResponse(fetchV4(bad), 4), (e: Error) => e instanceof KafkaFetchDecodeError && /^malformed Fetch response: a record needs 50 bytes at byte \d+, the response has 3 left$/.test(e.message));
    await assert.rejects(decodeFetchResponse(Buffer.from([0, 0, 0]), 4), KafkaFetchDecodeError);
  });
});

describe('kafka codecs', () => {
  it('snappy: a raw block with a literal and an overlapping copy, and the same inside xerial framing', () => {
    // "abcabcabcabc": literal "abc", then a copy of 9 bytes from 3 back (kind 2: 2-byte offset).
    const raw = Buffer.concat([Buffer.from([12]), Buffer.from([0x08, 0x61, 0x62, 0x63]), Buffer.from([(9 - 1) << 2 | 2, 3, 0])]);
    assert.equal(snappy(raw).toString(), 'abcabcabcabc');
    const xerial = Buffer.concat([Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0]), i32(1), i32(1), i32(raw.length), raw, i32(raw.length), raw]);
    assert.equal(snappy(xerial).toString(), 'abcabcabcabc'.repeat(2));
    assert.throws(() => snappy(Buffer.from([5, 0x08, 0x61, 0x62, 0x63])), /expands to 3 bytes, its header says 5/);
  });

  it('LZ4 frame: literals, an overlapping match, an uncompressed block, and a match before the start refused', () => {
    // Block: token (3 literals, match 4+5=9), "xyz", offset 3 -> "xyzxyzxyzxyz"; then a final literal-only sequence "!".
    const block = Buffer.from([0x35, 0x78, 0x79, 0x7a, 3, 0, 0x10, 0x21]);
    const size = (n: number, raw = false) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE((n | (raw ? 0x80000000 : 0)) >>> 0);
      return b;
    };
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
    const frame = Buffer.concat([header, size(block.length), block, size(2, true), Buffer.from('ok'), size(0)]);
    assert.equal(lz4Frame(frame).toString(), 'xyzxyzxyzxyz!ok');
    const bad = Buffer.from([0x10, 0x61, 9, 0]);
    assert.throws(() => lz4Frame(Buffer.concat([header, size(bad.length), bad, size(0)])), /refers 9 bytes back, before the start/);
  });
});
