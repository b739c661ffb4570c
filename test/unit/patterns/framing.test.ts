// The tcp pattern's framer: lines, cut bound and length prefixes, fed in awkward pieces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Framer, type Frame } from '../../../src/patterns/tcp/framing';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (f: Frame) => new TextDecoder().decode(f.bytes);

/** Feed `input` in pieces of `size` bytes and collect every frame, then the flush. */
function feed(framer: Framer, input: Uint8Array, size: number): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < input.length; i += size) out.push(...framer.push(input.slice(i, i + size)));
  return [...out, ...framer.flush()];
}

describe('tcp framer', () => {
  it('lines: CRLF and LF, split anywhere (one byte at a time too), with the unterminated rest on flush', () => {
    const text = 'a\r\nbb\ncc\r\n\r\nlast';
    for (const size of [1, 2, 3, 5, 100]) {
      const frames = feed(new Framer({ split: 'lines' }), enc(text), size);
      assert.deepEqual(frames.map(dec), ['a', 'bb', 'cc', '', 'last'], `pieces of ${size}`);
      assert.deepEqual(frames.slice(0, 4).map((f) => f.eol), ['crlf', 'lf', 'crlf', 'crlf'], `pieces of ${size}`);
    }
  });

  it('lines: a line longer than the bound is cut at exactly the bound, every byte kept once', () => {
    const frames = feed(new Framer({ split: 'lines', maxFrame: 10 }), enc('x'.repeat(25) + '\nyy\n'), 7);
    assert.deepEqual(frames.map((f) => [f.bytes.length, f.eol]), [[10, 'cut'], [10, 'cut'], [5, 'lf'], [2, 'lf']]);
  });

  it('lines: 32 MiB without a newline in 64 KiB reads is cut at 16 MiB, twice', () => {
    const framer = new Framer({ split: 'lines' });
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const out: Frame[] = [];
    for (let i = 0; i < 512; i++) out.push(...framer.push(chunk));
    assert.deepEqual(out.map((f) => [f.bytes.length, f.eol]), [[16 * 1024 * 1024, 'cut'], [16 * 1024 * 1024, 'cut']]);
  });

  it('length prefixes: big and little endian, 1/2/4 bytes, header and body split across reads', () => {
    const frame = (n: number, width: 1 | 2 | 4, le: boolean) => {
      const head = new Uint8Array(width);
      const v = new DataView(head.buffer);
      if (width === 1) v.setUint8(0, n);
      else if (width === 2) v.setUint16(0, n, le);
      else v.setUint32(0, n, le);
      return [...head, ...enc('z'.repeat(n))];
    };
    for (const width of [1, 2, 4] as const) {
      for (const le of [false, true]) {
        const input = Uint8Array.from([...frame(3, width, le), ...frame(0, width, le), ...frame(200, width, le)]);
        for (const size of [1, 3, 1000]) {
          const frames = feed(new Framer({ split: 'length', lengthBytes: width, lengthEndian: le ? 'le' : 'be' }), input, size);
          assert.deepEqual(frames.map((f) => [f.length, f.bytes.length]), [[3, 3], [0, 0], [200, 200]], `width ${width} le ${le} pieces ${size}`);
        }
      }
    }
  });

  it('length prefixes: a prefix above the bound is refused before anything is allocated for it', () => {
    const framer = new Framer({ split: 'length' });
    assert.throws(() => framer.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2])), /length prefix 4294967295 exceeds the 16777216-byte frame limit/);
  });

  it('length prefixes: a short frame at the end comes back whole on flush, prefix included', () => {
    const framer = new Framer({ split: 'length', lengthBytes: 2 });
    assert.deepEqual(framer.push(Uint8Array.from([0, 5, 0x61, 0x62])), []);
    const rest = framer.flush();
    assert.deepEqual([...rest[0].bytes], [0, 5, 0x61, 0x62]);
  });
});
