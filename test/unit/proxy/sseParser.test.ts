/**
 * The capture proxy's event-stream reader (src/core/proxy/sseParser.ts): the events it logs do not
 * depend on how the bytes were cut into reads (CRLF split across reads, a multi-byte character split,
 * one byte at a time), and the line endings, fields, comments and bounds follow the HTML standard.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser, type SseEvent } from '../../../src/core/proxy/sseParser';

function parse(pieces: Buffer[], maxLineBytes?: number): SseEvent[] {
  const out: SseEvent[] = [];
  const p = new SseParser((e) => out.push(e), maxLineBytes === undefined ? {} : { maxLineBytes });
  for (const b of pieces) p.push(b);
  p.end();
  return out;
}

/** Every way of cutting `bytes` in two, plus one byte at a time. */
function cuts(bytes: Buffer): Buffer[][] {
  const all: Buffer[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) all.push([bytes.subarray(0, i), bytes.subarray(i)]);
  all.push([...bytes].map((b) => Buffer.from([b])));
  return all;
}

const STREAM = Buffer.from(
  [
    ': hello\r\n',
    'id: 1\r\n',
    'event: tick\r\n',
    'data: first line\r\n',
    'data: second € line\r\n',
    '\r\n',
    'data:no space\n',
    'retry: 2500\n',
    '\n',
    'id: 7\rdata: cr only\r\r',
    'data: lf again\n\n',
    'event: ignored-without-data\n\n',
    'id: 9\n\n',
    'data: never ended',
  ].join(''),
  'utf8',
);

describe('capture proxy: event-stream reader', () => {
  it('logs the same events however the stream is cut into reads', () => {
    const whole = parse([STREAM]);
    assert.deepEqual(
      whole.map((e) => ({ type: e.type, data: e.data, id: e.id, retry: e.retry, comments: e.comments, size: e.size })),
      [
        { type: 'tick', data: 'first line\nsecond € line', id: '1', retry: undefined, comments: 1, size: Buffer.byteLength('first line\nsecond € line') },
        { type: 'message', data: 'no space', id: undefined, retry: 2500, comments: 0, size: 8 },
        { type: 'message', data: 'cr only', id: '7', retry: undefined, comments: 0, size: 7 },
        { type: 'message', data: 'lf again', id: undefined, retry: undefined, comments: 0, size: 8 },
        { type: 'message', data: '', id: '9', retry: undefined, comments: 0, size: 0 },
      ],
    );
    for (const pieces of cuts(STREAM)) {
      assert.deepEqual(parse(pieces), whole, `cut into ${pieces.map((p) => p.length).join('+')} bytes`);
    }
  });

  it('a CRLF split between two reads ends one line, not two (no empty line, so no early dispatch)', () => {
    const events = parse([Buffer.from('data: a\r'), Buffer.from('\ndata: b\r'), Buffer.from('\n\r'), Buffer.from('\n')]);
    assert.deepEqual(events.map((e) => e.data), ['a\nb']);
  });

  it('cuts a line longer than the bound and still counts its whole size', () => {
    const long = 'x'.repeat(5000);
    const events = parse([Buffer.from(`data: ${long}\n\n`)], 1024);
    assert.equal(events.length, 1);
    assert.equal(events[0].truncated, true);
    assert.equal(events[0].data.length, 1024 - 'data: '.length);
    assert.equal(events[0].size, 5000);
  });
});
