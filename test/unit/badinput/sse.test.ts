/**
 * SSE bad input from a real server: no trailing newline, CR-only and CRLF endings, a 10 MB line,
 * invalid UTF-8, a BOM; and a fuzz of the line splitting through the real transport: the same
 * bytes cut at random points (seeded) must give the same frames as the bytes sent whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FrameEvent, WireEvent } from '../../../src/shared/events';
import { DEFAULT_PREVIEW_LIMIT } from '../../../src/shared/connectOptions';
import { httpServer, ofKind, runSession, type HttpTestServer } from '../../helpers/servers';
import { handledSession, prng, randomSplit, reportBadInputs } from './tally';

/** What the server sends for a path: the pieces, written `gapMs` apart, then the response ends. */
const plans = new Map<string, { pieces: Buffer[]; gapMs: number }>();
let planId = 0;

function plan(pieces: Buffer[], gapMs = 0): string {
  const path = `/p${++planId}`;
  plans.set(path, { pieces, gapMs });
  return path;
}

const dataOf = (events: WireEvent[]): FrameEvent[] => ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control);

describe('SSE bad input', () => {
  let srv: HttpTestServer;
  before(async () => {
    srv = await httpServer(async (req, res) => {
      const p = plans.get(req.url ?? '');
      if (!p) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      req.socket.setNoDelay(true);
      for (const piece of p.pieces) {
        if (res.destroyed) return;
        res.write(piece);
        if (p.gapMs > 0) await new Promise((r) => setTimeout(r, p.gapMs));
      }
      res.end();
    });
  });
  after(async () => {
    await srv.close();
    reportBadInputs('sse');
  });

  /** Run one SSE session over `bytes` (reconnect off: the server's end ends the session). */
  const run = (pieces: Buffer[], gapMs = 0) => runSession({ pattern: 'sse', url: srv.url + plan(pieces, gapMs), reconnect: { enabled: false } });

  it('no trailing newline: complete events are frames, the unterminated last one is not invented', async () => {
    const events = await run([Buffer.from('data: a\n\ndata: b')]);
    const s = handledSession(events);
    assert.deepEqual(dataOf(events).map((f) => f.data), ['a']);
    assert.equal(s.state, 'closed');
  });

  it('CR-only and CRLF line endings give the same events as LF', async () => {
    for (const text of ['data: a\r\rid: 7\rdata: b\r\r', 'data: a\r\n\r\nid: 7\r\ndata: b\r\n\r\n', 'data: a\n\nid: 7\ndata: b\n\n']) {
      const events = await run([Buffer.from(text)]);
      handledSession(events);
      const frames = dataOf(events);
      assert.deepEqual(frames.map((f) => f.data), ['a', 'b'], JSON.stringify(text));
      assert.equal(frames[1].meta?.id, '7');
    }
  });

  it('a 10 MB data line: counted in full, truncated at the preview limit, and the stream goes on', async () => {
    const big = 10 * 1024 * 1024;
    const events = await run([Buffer.from('data: '), Buffer.alloc(big, 'x'), Buffer.from('\n\ndata: after\n\n')]);
    handledSession(events);
    const frames = dataOf(events);
    assert.equal(frames.length, 2);
    assert.equal(frames[0].size, big);
    assert.equal(frames[0].truncated, true);
    assert.equal(frames[0].data.length, DEFAULT_PREVIEW_LIMIT);
    assert.equal(frames[1].data, 'after');
  });

  it('invalid UTF-8 becomes replacement characters, not a failure', async () => {
    const events = await run([Buffer.concat([Buffer.from('data: a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('b\n\n')])]);
    handledSession(events);
    const frames = dataOf(events);
    assert.equal(frames.length, 1);
    assert.match(frames[0].data, /^a\uFFFD+b$/);
  });

  it('a BOM at the start of the stream is skipped', async () => {
    const events = await run([Buffer.from('\uFEFFdata: bom\n\n')]);
    handledSession(events);
    assert.deepEqual(dataOf(events).map((f) => f.data), ['bom']);
  });

  it('fuzz: random chunk boundaries (seeded) give the same frames as the stream sent whole', async () => {
    const corpus = Buffer.from(
      [
        '\uFEFF: a comment line\n',
        'retry: 5000\n',
        'id: 1\nevent: greet\ndata: héllo wörld 😀\n\n',
        'data: line one\r\ndata: line two\r\n\r\n',
        'id: 2\rdata: cr only\r\r',
        'data\n\n',
        'data:no space\nid: 3\n\n',
        'event: json\ndata: {"seq": 4, "text": "日本語テキスト"}\n\n',
        ': keep-alive\n\n',
        'data: ' + 'z'.repeat(3000) + '\n\n',
        'id: 5\ndata: last\n\n',
      ].join(''),
    );
    const project = (events: WireEvent[]) => dataOf(events).map((f) => [f.channel, f.meta?.id ?? null, f.data]);
    const reference = project(await run([corpus]));
    assert.equal(reference.length, 8, 'the corpus holds 8 events');
    assert.deepEqual(reference[0], ['greet', '1', 'héllo wörld 😀']);
    assert.deepEqual(reference[1], ['message', '1', 'line one\nline two']);
    const rnd = prng(0x5eed);
    const iterations = 20;
    let same = 0;
    for (let i = 0; i < iterations; i++) {
      const events = await run(randomSplit(corpus, rnd, 60), 1);
      handledSession(events);
      assert.deepEqual(project(events), reference, `iteration ${i}`);
      same++;
    }
    assert.equal(same, iterations);
  });
});
