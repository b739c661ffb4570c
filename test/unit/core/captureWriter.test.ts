import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { attachCapture, CaptureWriter, readCapture } from '../../../src/core/captureWriter';
import { Session } from '../../../src/core/session';
import { DEFAULT_SETTINGS, SessionManager } from '../../../src/host/sessionManager';
import type { WireEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, wsServer } from '../../helpers/servers';

const dir = mkdtempSync(join(tmpdir(), 'wirescope-capture-test-'));
let n = 0;
const nextPath = () => join(dir, `c${++n}.ndjson`);
after(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string) {
  const r = readCapture(path);
  const events: WireEvent[] = [];
  for await (const e of r.events) events.push(e);
  return { events, info: r.info };
}

/** A WebSocket server that sends `count` JSON messages of `pad` bytes and closes normally. */
async function feed(count: number, pad = 10) {
  return wsServer((wss) =>
    wss.on('connection', (ws, req) => {
      ws.send(JSON.stringify({ seq: 0, auth: req.headers.authorization }));
      for (let i = 1; i <= count; i++) ws.send(JSON.stringify({ seq: i, pad: 'x'.repeat(pad) }));
      ws.close(1000, 'done');
    }),
  );
}

/** Run a ws session with a capture attached; returns the live events and the writer. */
async function captured(url: string, opts: Partial<Parameters<typeof attachCapture>[1]> & { path: string }, headers?: Record<string, string>) {
  const s = new Session({ pattern: 'ws', url, headers });
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  const writer = attachCapture(s, opts);
  await s.start();
  await s.done;
  await writer.end();
  return { events, writer };
}

describe('CaptureWriter', () => {
  it('writes every event of a real session as NDJSON and reads it back identically, with secrets replaced and auth headers masked', async () => {
    const secret = 'tok-5ecr3t-value';
    const srv = await feed(50);
    try {
      const path = nextPath();
      const { events, writer } = await captured(url(srv.url), { path, redact: { secrets: [secret] }, start: { pattern: 'ws', url: srv.url } }, { Authorization: `Bearer ${secret}` });
      checkInvariants(events);
      const raw = readFileSync(path, 'utf8');
      assert.ok(!raw.includes(secret), 'the secret never reaches the disk');
      assert.ok(raw.includes('[secret]'), 'the echoed secret was replaced');
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const back = await readAll(path);
      assert.equal(back.events.length, events.length);
      assert.deepEqual(back.events.map((e) => e.seq), events.map((e) => e.seq));
      assert.deepEqual(back.events.at(-1), events.at(-1), 'the summary round-trips');
      assert.deepEqual(back.info.start, { pattern: 'ws', url: srv.url });
      assert.equal(back.info.end?.complete, true);
      assert.equal(back.info.end?.events, events.length);
      assert.equal(back.info.truncatedLastLine, false);
      assert.equal(writer.bytes, Buffer.byteLength(raw));
    } finally {
      await srv.close();
    }
  });

  it('stops cleanly at its size limit: an error event in the session, a last line saying so, and the file within the limit', async () => {
    const srv = await feed(400, 100);
    try {
      const path = nextPath();
      const limit = 8 * 1024;
      const { events } = await captured(url(srv.url), { path, maxBytes: limit });
      checkInvariants(events);
      const stop = ofKind(events, 'error').find((e) => e.code === 'ERR_CAPTURE_STOPPED');
      assert.ok(stop, 'the session shows that capture stopped');
      assert.equal(stop.message, 'disk capture stopped at 8 KB (its size limit); later events are kept in memory only');
      const raw = readFileSync(path, 'utf8');
      const lines = raw.trimEnd().split('\n');
      const last = JSON.parse(lines.at(-1) as string);
      assert.equal(last.kind, 'capture');
      assert.equal(last.end.complete, false);
      assert.match(last.end.reason, /size limit/);
      assert.ok(Buffer.byteLength(raw) <= limit, 'the whole file, end record included, stays within the limit');
      const back = await readAll(path);
      assert.ok(back.events.length > 10 && back.events.length < events.length);
      assert.deepEqual(back.events.map((e) => e.seq), events.slice(0, back.events.length).map((e) => e.seq), 'a prefix of the session, in order');
    } finally {
      await srv.close();
    }
  });

  it('when the disk falls behind, events are skipped and counted, and the hole is recorded with its seq range', async () => {
    const path = nextPath();
    const w = new CaptureWriter({ path, maxPendingBytes: 64 * 1024 });
    const total = 5000;
    for (let i = 1; i <= total; i++) {
      w.write({ seq: i, t: i, ts: 1.7e12 + i, kind: 'frame', dir: 'in', size: 200, encoding: 'utf8', data: 'y'.repeat(200) });
    }
    await w.end();
    assert.ok(w.skipped > 0, 'a synchronous burst outruns the disk');
    const back = await readAll(path);
    assert.equal(back.events.length + w.skipped, total, 'every event is written or counted');
    const hole = back.info.skipped.reduce((s, h) => s + h.count, 0);
    assert.equal(hole, w.skipped);
    assert.equal(back.info.end?.complete, false);
    const seqs = new Set(back.events.map((e) => e.seq));
    for (const h of back.info.skipped) for (let s = h.from; s <= h.to; s++) assert.ok(!seqs.has(s));
  });

  it('the reader tolerates a truncated last line and counts damaged lines', async () => {
    const path = nextPath();
    const w = new CaptureWriter({ path });
    for (let i = 1; i <= 5; i++) w.write({ seq: i, t: i, ts: 1.7e12, kind: 'error', message: `e${i}` });
    await w.end();
    // An interrupted writer: the end record gone, half an event at the end.
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(0, -1);
    writeFileSync(path, lines.slice(0, 2).join('\n') + '\n{not json}\n' + lines.slice(2).join('\n') + '\n');
    appendFileSync(path, '{"seq":6,"t":6,"ts":1,"kind":"err');
    const back = await readAll(path);
    assert.deepEqual(back.events.map((e) => e.seq), [1, 2, 3, 4, 5]);
    assert.equal(back.info.truncatedLastLine, true);
    assert.equal(back.info.badLines, 1);
    assert.equal(back.info.end, undefined, 'no end record: the capture was cut short');
  });

  it('a file that cannot be created stops the capture with one line; a missing capture reads as one line', async () => {
    const path = nextPath();
    writeFileSync(path, 'taken');
    const stops: string[] = [];
    const w = new CaptureWriter({ path, onStop: (m) => stops.push(m) });
    w.write({ seq: 1, t: 0, ts: 1.7e12, kind: 'error', message: 'x' });
    await w.end();
    assert.equal(stops.length, 1);
    assert.match(stops[0], /^Disk capture stopped: /);
    assert.ok(!stops[0].includes('\n'));
    assert.equal(readFileSync(path, 'utf8'), 'taken', 'an existing file is never overwritten');
    await assert.rejects(readAll(join(dir, 'missing.ndjson')), (err: Error) => /^Cannot read capture .*missing\.ndjson: /.test(err.message) && !err.message.includes('\n'));
  });
});

describe('reopening a past capture in the session manager', () => {
  it('a captured session comes back as an ended session with the same events; a cut-short one says so', async () => {
    const srv = await feed(30);
    const capDir = join(dir, 'manager');
    const manager = new SessionManager({ settings: () => ({ ...DEFAULT_SETTINGS, capture: { enabled: true, maxBytes: 1024 * 1024, dir: capDir } }) });
    try {
      const live = await manager.start({ options: { pattern: 'ws', url: url(srv.url) }, name: 'feed', profile: { name: 'feed', pattern: 'ws', url: url(srv.url) } });
      await live.session.done;
      await new Promise((r) => setTimeout(r, 50));
      const path = live.capturePath as string;
      const past = await manager.openPastCapture(path);
      assert.equal(past.session.ended, true);
      assert.equal(manager.selected, past.id);
      assert.equal(past.name, 'feed (capture)');
      assert.equal(past.pattern, 'ws');
      assert.deepEqual([...past.log].map((e) => e.seq), [...live.log].map((e) => e.seq));
      assert.equal(past.captureNote, undefined);
      assert.equal(manager.info(past).canSend, false);

      // Cut the file mid-line, as a crash would.
      const text = readFileSync(path, 'utf8');
      const cut = join(capDir, 'cut.ndjson');
      writeFileSync(cut, text.slice(0, Math.floor(text.length * 0.6)));
      const partial = await manager.openPastCapture(cut);
      assert.ok(partial.log.size > 0 && partial.log.size < live.log.size);
      assert.match(partial.captureNote ?? '', /cut short/);

      const notCapture = join(capDir, 'notes.ndjson');
      writeFileSync(notCapture, 'hello\n');
      await assert.rejects(manager.openPastCapture(notCapture), /^Error: notes\.ndjson holds no Wirescope events$/);
    } finally {
      await manager.dispose();
      await srv.close();
    }
  });
});

function url(base: string): string {
  return `${base}/`;
}
