import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, splitLines } from '../../../src/core/lineSplitter';

const b = (s: string) => Buffer.from(s, 'utf8');
const texts = (lines: { bytes: Buffer }[]) => lines.map((l) => l.bytes.toString('utf8'));

describe('lineSplitter', () => {
  it('splits one chunk into lines and keeps the unterminated tail', () => {
    const s = new LineSplitter();
    assert.deepEqual(texts(s.push(b('{"a":1}\n{"a":2}\n{"a"'))), ['{"a":1}', '{"a":2}']);
    assert.equal(s.pendingSize, 4);
    assert.deepEqual(texts(s.push(b(':3}\n'))), ['{"a":3}']);
    assert.equal(s.flush(), undefined);
  });

  it('joins a line split across many chunks, including inside a multi-byte character', () => {
    const whole = b('{"word":"naïve ☃ 한글"}\n');
    const chunks = [...whole].map((byte) => Buffer.from([byte]));
    const { lines, rest } = splitLines(chunks);
    assert.deepEqual(texts(lines), ['{"word":"naïve ☃ 한글"}']);
    assert.equal(rest.length, 0);
  });

  it('drops CR of CRLF and skips blank lines unless asked to keep them', () => {
    assert.deepEqual(texts(splitLines([b('a\r\n\r\n\nb\r'), b('\n')]).lines), ['a', 'b']);
    assert.deepEqual(texts(splitLines([b('a\n\nb\n')], { skipEmpty: false }).lines), ['a', '', 'b']);
  });

  it('returns the incomplete last line from flush', () => {
    const s = new LineSplitter();
    s.push(b('done\npart'));
    s.push(b('ial'));
    assert.equal(s.flush()?.toString(), 'partial');
    assert.equal(s.pendingSize, 0);
  });

  it('forces out a line that grows past maxLineBytes', () => {
    const s = new LineSplitter({ maxLineBytes: 8 });
    const out = s.push(b('0123'));
    assert.equal(out.length, 0);
    const forced = s.push(b('456789'));
    assert.equal(forced.length, 1);
    assert.equal(forced[0].forced, true);
    assert.equal(forced[0].bytes.toString(), '0123456789');
    assert.deepEqual(texts(s.push(b('x\n'))), ['x']);
  });

  it('gives the same lines for any chunking of the same bytes', () => {
    const text = Array.from({ length: 40 }, (_, i) => JSON.stringify({ i, s: 'é'.repeat(i % 5) })).join('\n') + '\ntail';
    const whole = b(text);
    const reference = splitLines([whole]);
    // A deterministic pseudo-random chunking, so a failure is reproducible.
    let seed = 7;
    for (let round = 0; round < 50; round++) {
      const chunks: Buffer[] = [];
      let at = 0;
      while (at < whole.length) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = 1 + (seed % 17);
        chunks.push(whole.subarray(at, at + n));
        at += n;
      }
      const got = splitLines(chunks);
      assert.deepEqual(texts(got.lines), texts(reference.lines));
      assert.equal(got.rest.toString(), 'tail');
    }
  });
});
