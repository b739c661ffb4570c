/**
 * Bad input elsewhere: an HTTP response with a huge header block, an MQTT "broker" that sends a
 * malformed packet, broken profiles files, invalid URLs/ports/header syntax on the CLI, and a
 * seeded fuzz of the NDJSON line splitter.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { main } from '../../../src/cli/program';
import type { CliIo } from '../../../src/cli/runConnect';
import { LineSplitter, splitLines } from '../../../src/core/lineSplitter';
import { parseProfilesText } from '../../../src/core/profiles';
import { ofKind, listen, runSession } from '../../helpers/servers';
import { fuzzed, handledMessage, handledSession, prng, randomSplit, reportBadInputs } from './tally';

/** A raw TCP server on loopback; `onConnection` speaks whatever bytes the test wants. */
async function rawServer(onConnection: (s: net.Socket) => void) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConnection(s);
  });
  const port = await listen(server);
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function captureIo(): CliIo & { out: string; errors: string[] } {
  const io = {
    out: '',
    errors: [] as string[],
    write: (t: string) => void (io.out += t),
    error: (l: string) => void io.errors.push(l),
    isTTY: false,
    env: {},
    onInterrupt: () => () => undefined,
  };
  return io;
}

describe('bad input: HTTP, MQTT, profiles, CLI, NDJSON', () => {
  after(() => reportBadInputs('http/mqtt/profiles/cli/ndjson'));

  it('HTTP: a huge response header block fails with one clear line', async () => {
    const srv = await rawServer((s) =>
      s.once('data', () => {
        let head = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n';
        for (let i = 0; i < 4000; i++) head += `X-Filler-${i}: ${'v'.repeat(40)}\r\n`;
        s.end(head + 'Content-Length: 2\r\n\r\nok');
      }),
    );
    try {
      const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${srv.port}/` });
      const s = handledSession(events);
      assert.equal(s.state, 'failed');
      const err = ofKind(events, 'error').at(-1);
      assert.match(err?.message ?? '', /^The server's response headers are too large .*16 KB/);
    } finally {
      await srv.close();
    }
  });

  it('MQTT: a broker that answers CONNACK and then sends a malformed packet gives one-line error, no crash', async () => {
    const srv = await rawServer((s) =>
      s.once('data', () => {
        // CONNACK (3.1.1, accepted), then a PUBLISH whose remaining length never ends (5 continuation bytes).
        s.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
        setTimeout(() => s.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), 20);
      }),
    );
    try {
      const events = await runSession({ pattern: 'mqtt', url: `mqtt://127.0.0.1:${srv.port}`, mqtt: { protocolVersion: 4 }, reconnect: { enabled: false } });
      handledSession(events);
      const err = ofKind(events, 'error').find((e) => e.code === 'ERR_MQTT_MALFORMED');
      assert.ok(err, JSON.stringify(ofKind(events, 'error')));
      assert.match(err.message, /malformed/i);
    } finally {
      await srv.close();
    }
  });

  it('broken profiles files give located one-line problems, never a throw', () => {
    const broken = [
      '{ "profiles": [ { "name": "a", "pattern": "ws", "url": "ws://x" }, ] ',
      '{ "profiles": [ { "name": "a" "pattern": "ws" } ] }',
      '{ "profiles": "not a list" }',
      '{ "profiles": [ { "name": 42, "pattern": "carrier-pigeon", "url": "::" } ] }',
      '\u0000\u0001garbage',
      '{ "profiles": [ { "name": "a", "pattern": "ws", "url": "ws://x", "headers": { "Bad Name": 1 } } ] }',
      '[',
      '{"profiles":[' + '{"name":"n","pattern":"ws","url":"ws://h"},'.repeat(2000) + ']}',
    ];
    for (const text of broken) {
      const parsed = parseProfilesText(text);
      const errors = parsed.problems.filter((p) => p.severity === 'error');
      if (text.startsWith('{"profiles":[{"name":"n"')) {
        // Many copies of a valid profile: duplicates or not, it must not throw.
        handledMessage(`${parsed.profiles.length} profiles`);
        continue;
      }
      assert.ok(errors.length > 0, `a problem is reported for ${JSON.stringify(text.slice(0, 40))}`);
      for (const p of errors) {
        assert.ok(p.line >= 1 && p.column >= 1, 'located');
      }
      handledMessage(errors[0].message);
    }
  });

  it('CLI: invalid URLs, ports and header syntax exit 2 with one line', async () => {
    const cases: string[][] = [
      ['connect', 'ht!tp://nowhere'],
      ['connect', 'ws://127.0.0.1:99999/'],
      ['connect', 'ws://127.0.0.1:0x50/'],
      ['connect', 'not a url at all'],
      ['connect', 'ws://127.0.0.1:8080/', '-H', 'NoColonHere'],
      ['connect', 'ws://127.0.0.1:8080/', '-H', 'Bad Name: v'],
      ['connect', 'ws://127.0.0.1:8080/', '-H', ': empty name'],
      ['connect', 'gopher://127.0.0.1/'],
      ['connect', 'http://127.0.0.1:8080/', '--pattern', 'sse', '--id-field', '$.[oops'],
      ['connect', 'http://127.0.0.1:8080/', '--count', '-3'],
    ];
    for (const argv of cases) {
      const io = captureIo();
      const code = await main(argv, io);
      assert.equal(code, 2, `${argv.join(' ')} -> ${code} ${io.errors.join(' | ')}`);
      assert.equal(io.errors.length, 1, argv.join(' '));
      handledMessage(io.errors[0]);
    }
  });

  it('fuzz: the NDJSON splitter gives the same lines for any chunk boundaries (seeded)', () => {
    const rnd = prng(20261121);
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = i % 6;
      if (kind === 0) lines.push(JSON.stringify({ seq: i, text: 'é😀日本' }));
      else if (kind === 1) lines.push('');
      else if (kind === 2) lines.push(JSON.stringify({ seq: i, pad: 'p'.repeat(Math.floor(rnd() * 2000)) }) + '\r');
      else if (kind === 3) lines.push('{"broken": ');
      else if (kind === 4) lines.push(JSON.stringify({ seq: i, nested: { a: [1, 2, { b: '\\n' }] } }));
      else lines.push('\u00ff\u00fe');
    }
    const whole = Buffer.from(lines.join('\n') + '\nunterminated tail');
    const reference = splitLines([whole]);
    const key = (r: { lines: { bytes: Buffer }[]; rest: Buffer }) => [r.lines.map((l) => l.bytes.toString('base64')), r.rest.toString('base64')];
    const refKey = key(reference);
    assert.equal(reference.rest.toString(), 'unterminated tail');
    assert.equal(reference.lines.length, 250, '300 lines less 50 empty ones');
    const iterations = 400;
    let same = 0;
    for (let i = 0; i < iterations; i++) {
      const pieces = randomSplit(whole, rnd, 1 + Math.floor(rnd() * 300));
      const s = new LineSplitter();
      const got: { bytes: Buffer }[] = [];
      for (const p of pieces) got.push(...s.push(p));
      const rest = s.flush() ?? Buffer.alloc(0);
      assert.deepEqual(key({ lines: got, rest }), refKey, `iteration ${i}`);
      same++;
    }
    fuzzed(iterations, same);
  });
});
