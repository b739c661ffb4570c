import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPrinter, escapePreview, formatBytes, PrettyPrinter, shouldColor, waterfall } from '../../../src/cli/format';
import type { WireEvent } from '../../../src/shared/events';

const base = { seq: 1, t: 12.5, ts: 1.7e12 };

describe('output formats', () => {
  it('escapes control characters, bidi overrides and line separators, and cuts long text', () => {
    assert.equal(escapePreview('a\nb\tc\\d', 50), 'a\\nb\\tc\\\\d');
    assert.equal(escapePreview('\x1b[31mred\x07\x7f\x9b', 50), '\\x1b[31mred\\x07\\x7f\\x9b');
    assert.equal(escapePreview('x\u202eevil\u2028y', 50), 'x\\u202eevil\\u2028y');
    assert.equal(escapePreview('héllo 👋', 50), 'héllo 👋', 'printable Unicode is kept');
    assert.equal(escapePreview('abcdefghij', 4), 'abcd…');
  });

  it('honours NO_COLOR and colours only on a terminal', () => {
    assert.equal(shouldColor(true, {}), true);
    assert.equal(shouldColor(false, {}), false);
    assert.equal(shouldColor(true, { NO_COLOR: '1' }), false);
    assert.equal(shouldColor(true, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count');
    assert.equal(shouldColor(true, { TERM: 'dumb' }), false);
  });

  it('draws a timing waterfall proportional to the phases', () => {
    assert.equal(waterfall({ dns: null, connect: 6, tls: null, ttfb: 12, download: 6, total: 24 }), 'c'.repeat(6) + 'w'.repeat(12) + 'r'.repeat(6));
    const tiny = waterfall({ dns: 0.01, connect: 0.01, tls: 0.01, ttfb: 100, download: 0, total: 100 });
    assert.ok(tiny.startsWith('dcs'), 'a phase that took time gets at least one character');
    assert.equal(waterfall({ dns: null, connect: null, tls: null, ttfb: null, download: null, total: 0 }), '');
  });

  it('formats byte counts', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
  });

  it('ndjson prints every event as it is; summary prints only the summary', () => {
    const frame: WireEvent = { ...base, kind: 'frame', dir: 'in', size: 2, encoding: 'utf8', data: 'hi' };
    const summary: WireEvent = { ...base, seq: 2, kind: 'summary', frames: { in: 1, out: 0 }, bytes: { in: 2, out: 0 }, reconnects: 0, durationMs: 13, state: 'closed' };
    const nd = createPrinter('ndjson', { color: false });
    assert.deepEqual(JSON.parse(nd.print(frame)!), frame);
    assert.ok(nd.print(frame)!.endsWith('}\n'));
    const sum = createPrinter('summary', { color: false });
    assert.equal(sum.print(frame), undefined);
    assert.deepEqual(JSON.parse(sum.print(summary)!), summary);
  });

  it('ndjson lines carry no character a terminal acts on (DEL, C1, bidi, separators), plain ASCII and other text unchanged', () => {
    const nd = createPrinter('ndjson', { color: false });
    const cases: Array<[string, string]> = [
      ['plain ascii {"a":1}', 'plain ascii {\\"a\\":1}'],
      ['del\x7fhere', 'del\\u007fhere'],
      ['csi\x9b31m', 'csi\\u009b31m'],
      ['x\u202eevil\u2028y\ufeff', 'x\\u202eevil\\u2028y\\ufeff'],
      ['caf\u00e9 \u65e5\u672c', 'caf\u00e9 \u65e5\u672c'],
      ['caf\u00e9\x7f', 'caf\u00e9\\u007f'],
    ];
    for (const [data, shown] of cases) {
      const frame: WireEvent = { ...base, kind: 'frame', dir: 'in', size: Buffer.byteLength(data), encoding: 'utf8', data };
      const line = nd.print(frame)!;
      assert.ok(line.includes(`"data":"${shown}"`), `${JSON.stringify(data)} printed as ${line}`);
      assert.ok(!/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/.test(line), line);
      assert.deepEqual(JSON.parse(line), frame, 'the same JSON value');
    }
  });

  it('pretty shows time, arrows, sizes, channels, HTTP details, binary as hex, and uses colour only when asked', () => {
    const plain = new PrettyPrinter({ color: false, columns: 120 });
    const out = plain.print({ ...base, kind: 'frame', dir: 'out', size: 5, encoding: 'utf8', data: 'hello', meta: { method: 'GET', url: 'http://h/x' } });
    assert.equal(out, '   0.013s  → out       5 B  GET http://h/x  hello\n');
    const tick = plain.print({ ...base, kind: 'frame', dir: 'in', size: 2048, encoding: 'utf8', data: '{}', channel: 'tick', truncated: true, meta: { status: 200, statusText: 'OK' } });
    assert.match(tick, /← in {4}2\.0 KiB {2}\[tick\] {2}200 OK {2}\{\} …\(truncated\)/);
    const bin = plain.print({ ...base, kind: 'frame', dir: 'in', size: 3, encoding: 'base64', data: Buffer.from([0, 1, 255]).toString('base64') });
    assert.match(bin, /binary 00 01 ff$/m);
    const ack = plain.print({ ...base, kind: 'frame', dir: 'in', size: 11, encoding: 'utf8', data: '[{"ok":1}]', channel: 'echo', meta: { ack: true, rttMs: 2.94, ackRef: 1 } });
    assert.match(ack, /\[echo\] {2}ack 2\.9 ms {2}\[\{"ok":1\}\]$/m, 'an ack names itself and its round trip');
    const again = plain.print({ ...base, kind: 'frame', dir: 'in', size: 5, encoding: 'utf8', data: 'job 3', channel: 'work', meta: { deliveryTag: 5, redelivered: true } });
    assert.match(again, /\[work\] {2}redelivered {2}job 3$/m, 'a redelivery is tagged');
    const first = plain.print({ ...base, kind: 'frame', dir: 'in', size: 5, encoding: 'utf8', data: 'job 3', channel: 'work', meta: { deliveryTag: 3, redelivered: false } });
    assert.ok(!first.includes('redelivered'), 'a first delivery is not');
    const dup = plain.print({ ...base, kind: 'anomaly', type: 'duplicate', key: 'j3', meta: { redelivered: true, afterReconnect: true } });
    assert.match(dup, /⚠ duplicate key j3, redelivered by the broker, after a reconnect$/m);
    const err = plain.print({ ...base, kind: 'error', message: 'Connection refused', code: 'ECONNREFUSED' });
    assert.match(err, /✖ error \[ECONNREFUSED\] Connection refused/);
    const rec = plain.print({ ...base, kind: 'reconnect', attempt: 2, delayMs: 1000, cause: 'connection lost' });
    assert.match(rec, /↻ reconnect #2 in 1000 ms: connection lost/);
    const summary = plain.print({ ...base, kind: 'summary', frames: { in: 3, out: 1 }, bytes: { in: 30, out: 2 }, reconnects: 1, durationMs: 900, state: 'closed', poll: { requestsPerChange: 2 } });
    assert.match(summary, /── summary {2}closed after 900 ms {2}in 3 frames \(30 B\) {2}out 1 frame \(2 B\) {2}1 reconnect\n/);
    assert.match(summary, /poll: \{"requestsPerChange":2\}/, 'pattern-specific summary fields are shown');
    for (const s of [out, tick, bin, err, rec, summary]) assert.ok(!s.includes('\x1b'), 'no ANSI codes without colour');

    const colored = new PrettyPrinter({ color: true }).print({ ...base, kind: 'state', state: 'failed', reason: 'nope' });
    assert.ok(colored.includes('\x1b[31m'), 'failed is red');
    const hostile = new PrettyPrinter({ color: true }).print({ ...base, kind: 'frame', dir: 'in', size: 9, encoding: 'utf8', data: '\x1b]0;pwn\x07' });
    assert.ok(!hostile.includes('\x1b]'), 'server escape sequences are neutralised even with colour on');
  });
});
