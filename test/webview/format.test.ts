// Text helpers of the webview (pure functions, run in Node).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBase64, formatSize, hexDump, parseHex, prettyJson, regexProblem, reveal, rowText } from '../../webview/format';
import { buildTimeline } from '../../webview/timelineView';
import type { WireEvent } from '../../src/shared/events';

test('reveal shows control, bidi, zero-width and tag characters as code points', () => {
  assert.equal(reveal('a\u202Eb\u200Bc\uFEFFd\u2066e\u2069'), 'a⟨U+202E⟩b⟨U+200B⟩c⟨U+FEFF⟩d⟨U+2066⟩e⟨U+2069⟩');
  assert.equal(reveal('x\u0000y\u001Bz\u007F\u0085'), 'x⟨U+0000⟩y⟨U+001B⟩z⟨U+007F⟩⟨U+0085⟩');
  assert.equal(reveal('line1\nline2\tend'), 'line1⏎line2⇥end');
  assert.equal(reveal('line1\r\nline2\tend', true), 'line1\nline2\tend');
  assert.equal(reveal('tag\u{E0041}x'), 'tag⟨U+E0041⟩x');
  assert.equal(reveal('emoji 😀 and 한국어 stay'), 'emoji 😀 and 한국어 stay');
  assert.equal(reveal('lone \uD800 surrogate'), 'lone \uFFFD surrogate');
  const plain = 'plain ascii text';
  assert.equal(reveal(plain), plain);
});

test('hex dump has offset, hex and ASCII columns', () => {
  const bytes = new Uint8Array(20).map((_, i) => (i === 0 ? 0x48 : i === 1 ? 0x69 : i));
  const lines = hexDump(bytes);
  assert.equal(lines.length, 2);
  assert.equal(lines[0], '00000000  48 69 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |Hi..............|');
  assert.match(lines[1], /^00000010 {2}10 11 12 13 +\|\.\.\.\.\|$/);
  assert.deepEqual(hexDump(new Uint8Array(40), 16).at(-1), '… 24 more bytes');
});

test('hex and base64 input are checked with one-line messages', () => {
  assert.deepEqual(Array.from((parseHex('de ad BE EF') as { bytes: Uint8Array }).bytes), [0xde, 0xad, 0xbe, 0xef]);
  assert.deepEqual(Array.from((parseHex('0x01,0x02') as { bytes: Uint8Array }).bytes), [1, 2]);
  assert.match((parseHex('abc') as { error: string }).error, /even number/);
  assert.match((parseHex('zz') as { error: string }).error, /only 0-9/);
  assert.equal(checkBase64('3q2+7w=='), undefined);
  assert.equal(checkBase64('not base64!'), 'Not valid base64');
});

test('JSON pretty-printing, sizes, regex problems', () => {
  assert.equal(prettyJson('{"a":[1,2]}'), '{\n  "a": [\n    1,\n    2\n  ]\n}');
  assert.equal(prettyJson('{"a":'), null);
  assert.equal(prettyJson('42'), null);
  assert.equal(formatSize(512), '512 B');
  assert.equal(formatSize(1536), '1.5 KiB');
  assert.match(regexProblem('([') ?? '', /^Invalid regular expression: /);
  assert.equal(regexProblem('a+b'), undefined);
});

test('row text reveals server strings and marks event kinds', () => {
  const base = { seq: 1, t: 1, ts: 0 };
  const r = rowText({ ...base, kind: 'frame', dir: 'in', size: 5, encoding: 'utf8', data: 'a\u202Eb\nc', channel: 'to\u200Bpic' });
  assert.equal(r.preview, 'a⟨U+202E⟩b⏎c');
  assert.equal(r.channel, 'to⟨U+200B⟩pic');
  assert.equal(r.dir, '↓');
  assert.equal(rowText({ ...base, kind: 'reconnect', attempt: 2, delayMs: 250, cause: 'close 1006' }).cls, 'reconnect');
  const ack = rowText({ ...base, kind: 'frame', dir: 'in', size: 9, encoding: 'utf8', data: '[{"ok":1}]', channel: 'echo', meta: { ack: true, rttMs: 3.456 } });
  assert.deepEqual([ack.channel, ack.preview], ['echo', 'ack 3.5 ms · [{"ok":1}]'], 'an ack (Socket.IO) names itself and its round trip');
  assert.equal(rowText({ ...base, kind: 'frame', dir: 'out', size: 2, encoding: 'utf8', data: 'hi', meta: { control: true, opcode: 9 } }).cls, 'frame-out control');
  const again = rowText({ ...base, kind: 'frame', dir: 'in', size: 5, encoding: 'utf8', data: 'job 3', channel: 'work', meta: { redelivered: true } });
  assert.deepEqual([again.preview, again.cls], ['redelivered · job 3', 'frame-in redelivered'], 'a redelivery is said first and marked');
  assert.equal(rowText({ ...base, kind: 'frame', dir: 'in', size: 2, encoding: 'utf8', data: 'hi', meta: { qos: 1, dup: true } }).cls, 'frame-in redelivered', 'MQTT DUP too');
  assert.equal(rowText({ ...base, kind: 'frame', dir: 'in', size: 2, encoding: 'utf8', data: 'hi', meta: { redelivered: false } }).cls, 'frame-in');
  // GraphQL: a result with errors is an error row even with HTTP 200, its first error said first.
  const gql = rowText({ ...base, kind: 'frame', dir: 'in', size: 40, encoding: 'utf8', data: '{"errors":[{"message":"boom"}],"data":null}', channel: 'Who', meta: { status: 200, errors: [{ message: 'boom\u202E', path: ['a', 0] }, { message: 'two' }] } });
  assert.deepEqual([gql.channel, gql.preview, gql.cls], ['Who', 'errors: boom⟨U+202E⟩ (at a.0) (+1 more) · 200 OK · {"errors":[{"message":"boom"}],"data":null}', 'frame-in status-error result-errors']);
  assert.equal(rowText({ ...base, kind: 'frame', dir: 'in', size: 2, encoding: 'utf8', data: '{}', channel: 'Who', meta: { status: 200 } }).cls, 'frame-in status-ok');
  assert.equal(rowText({ ...base, kind: 'frame', dir: 'in', size: 14, encoding: 'utf8', data: 'connection_ack', meta: { control: true, type: 'connection_ack' } }).channel, 'connection_ack', 'a protocol message by its type');
  const dup = rowText({ ...base, kind: 'anomaly', type: 'duplicate', key: 'j3', meta: { redelivered: true } });
  assert.equal(dup.preview, 'duplicate key j3 · redelivered by the broker');
});

test('the timeline groups a disconnect with its attempts, resume token and downtime', () => {
  const ev = (seq: number, t: number, body: Record<string, unknown>) => ({ seq, t, ts: 0, ...body }) as unknown as WireEvent;
  const entries = buildTimeline([
    ev(1, 0, { kind: 'state', state: 'open' }),
    ev(2, 100, { kind: 'state', state: 'reconnecting', code: 1006 }),
    ev(3, 101, { kind: 'reconnect', attempt: 1, delayMs: 200, cause: 'close', meta: { sessionPresent: true } }),
    ev(4, 400, { kind: 'state', state: 'open' }),
    ev(5, 500, { kind: 'anomaly', type: 'gap', key: 'k', expected: 3, got: 5 }),
  ]);
  assert.equal(entries.length, 2);
  assert.equal(entries[0].kind, 'outage');
  const o = (entries[0] as { outage: { cause: string; attempts: unknown[]; resumeToken?: string; downtimeMs?: number } }).outage;
  assert.equal(o.cause, 'reconnecting · code 1006');
  assert.equal(o.attempts.length, 1);
  assert.equal(o.resumeToken, 'MQTT sessionPresent: true');
  assert.equal(o.downtimeMs, 300);
  assert.equal(entries[1].kind, 'anomaly');

  // An SSE reconnect with no id to resume from, and the server's retry hint.
  const sse = buildTimeline([
    ev(1, 0, { kind: 'state', state: 'open' }),
    ev(2, 50, { kind: 'reconnect', attempt: 1, delayMs: 3000, cause: 'server closed the stream', meta: { lastEventId: null, retryMs: 3000 } }),
  ]);
  const o2 = (sse[0] as { outage: { attempts: Array<{ cause: string }>; resumeToken?: string; downtimeMs?: number } }).outage;
  assert.equal(o2.resumeToken, 'Last-Event-ID: none sent');
  assert.equal(o2.attempts[0].cause, 'server closed the stream · server retry 3000.0 ms');
  assert.equal(o2.downtimeMs, undefined, 'still disconnected');
});

test('the timeline names a close code or status once when the cause already states it', () => {
  const ev = (seq: number, t: number, body: Record<string, unknown>) => ({ seq, t, ts: 0, ...body }) as unknown as WireEvent;
  const lost = 'connection lost (1006, no close frame)';
  const ws = buildTimeline([
    ev(1, 0, { kind: 'state', state: 'open' }),
    ev(2, 100, { kind: 'state', state: 'reconnecting', code: 1006, reason: lost }),
    ev(3, 101, { kind: 'reconnect', attempt: 1, delayMs: 200, cause: lost, meta: { code: 1006 } }),
    ev(4, 320, { kind: 'state', state: 'reconnecting', code: 1006, reason: lost }),
    ev(5, 321, { kind: 'reconnect', attempt: 2, delayMs: 400, cause: 'closed by server: 4000 bye', meta: { code: 4000, status: 503 } }),
  ]);
  const o = (ws[0] as { outage: { cause: string; attempts: Array<{ cause: string }> } }).outage;
  assert.equal(o.cause, `reconnecting · ${lost}`, 'the code once, and a repeated state is not appended again');
  assert.equal(o.attempts[0].cause, lost);
  assert.equal(o.attempts[1].cause, 'closed by server: 4000 bye · status 503');

  // A code the cause does not state, or states only inside a longer number, is still named.
  const other = buildTimeline([
    ev(1, 0, { kind: 'state', state: 'open' }),
    ev(2, 100, { kind: 'state', state: 'reconnecting', code: 1011, reason: 'port 10110 gone' }),
    ev(3, 101, { kind: 'reconnect', attempt: 1, delayMs: 200, cause: 'HTTP 503 Service Unavailable', meta: { status: 503, code: 1001 } }),
  ]);
  const o2 = (other[0] as { outage: { cause: string; attempts: Array<{ cause: string }> } }).outage;
  assert.equal(o2.cause, 'reconnecting · code 1011 · port 10110 gone');
  assert.equal(o2.attempts[0].cause, 'HTTP 503 Service Unavailable · code 1001');
});

test('an empty-bodied frame shows what it is: request line, status, close code; control frames are named', () => {
  const base = { seq: 1, t: 0, ts: 0 };
  const get = rowText({ ...base, kind: 'frame', dir: 'out', size: 0, encoding: 'utf8', data: '', meta: { method: 'GET', url: 'http://127.0.0.1:1/poll' } });
  assert.equal(get.preview, 'GET http://127.0.0.1:1/poll');
  const reply = rowText({ ...base, kind: 'frame', dir: 'out', size: 0, encoding: 'utf8', data: '', meta: { status: 200, statusText: 'OK' } });
  assert.equal(reply.preview, '200 OK');
  const close = rowText({ ...base, kind: 'frame', dir: 'in', size: 0, encoding: 'utf8', data: '', meta: { control: true, opcode: 8, code: 1000, reason: '' } });
  assert.equal(close.channel, 'close');
  assert.equal(close.preview, 'code 1000');
  const connack = rowText({ ...base, kind: 'frame', dir: 'in', size: 0, encoding: 'utf8', data: '', meta: { control: true, packet: 'connack' } });
  assert.equal(connack.channel, 'connack');
  // A body wins over the summary, and server strings in the summary are revealed.
  assert.equal(rowText({ ...base, kind: 'frame', dir: 'in', size: 2, encoding: 'utf8', data: 'ok', meta: { status: 200 } }).preview, 'ok');
  assert.match(rowText({ ...base, kind: 'frame', dir: 'out', size: 0, encoding: 'utf8', data: '', meta: { method: 'GET', url: 'http://x/\u202E' } }).preview, /U\+202E/);
});

test('rows read right: status lines, middle-shortened topics, time modes, a user reconnect', async () => {
  const { statusLine, middleEllipsis, formatTime, userRequested } = await import('../../webview/format');
  assert.equal(statusLine(200), '200 OK');
  assert.equal(statusLine(404), '404 Not Found');
  assert.equal(statusLine(418), '418');
  assert.equal(statusLine(200, 'Fine'), '200 Fine', "the server's own reason phrase wins");
  assert.equal(middleEllipsis('feed/eu/west/sensors/alpha', 12), 'feed/…/alpha');
  assert.equal(middleEllipsis('feed/eu/west/sensors/alpha', 20), 'feed/…/sensors/alpha');
  assert.equal(middleEllipsis('short', 12), 'short');
  assert.equal(middleEllipsis('abcdefghijklmnopqrstuvwxyz', 9), 'abcd…wxyz');
  const e = { t: 125.25, ts: Date.UTC(2026, 0, 1, 10, 20, 30, 45) };
  assert.equal(formatTime(e, 'relative'), '125.3');
  assert.equal(formatTime(e, 'delta', { t: 100 }), '+25.3');
  assert.equal(formatTime(e, 'delta', null), '0.0');
  assert.equal(formatTime(e, 'delta', undefined), '', 'unknown previous row: empty, not wrong');
  assert.match(formatTime(e, 'clock'), /^\d\d:20:30\.045$/);
  assert.equal(userRequested({ cause: 'x', meta: { requested: 'user' } }), true);
  assert.equal(userRequested({ cause: 'close 1006' }), false);
  const base = { seq: 1, t: 0, ts: 0 };
  const user = rowText({ ...base, kind: 'reconnect', attempt: 1, delayMs: 0, cause: 'reconnect requested by user', meta: { requested: 'user' } });
  assert.equal(user.preview, 'reconnect requested by user');
  assert.equal(user.cls, 'reconnect user');
  const reply = rowText({ ...base, kind: 'frame', dir: 'out', size: 2, encoding: 'utf8', data: 'ok', meta: { status: 200, method: 'POST', path: '/hook' } });
  assert.deepEqual([reply.dir, reply.channel, reply.preview], ['←', '200 OK', 'reply to POST /hook · ok']);
  assert.match(reply.cls, /reply status-ok/);
  const notFound = rowText({ ...base, kind: 'frame', dir: 'in', size: 4, encoding: 'utf8', data: 'nope', meta: { status: 404 } });
  assert.deepEqual([notFound.channel, notFound.preview], ['404 Not Found', 'nope']);
  assert.match(notFound.cls, /status-error/);
  const topic = rowText({ ...base, kind: 'frame', dir: 'in', size: 1, encoding: 'utf8', data: 'x', channel: 'a/b/c/d/e/f/g/h/i/j/k/last' }, 12);
  assert.equal(topic.channel, 'a/…/j/k/last');
});
