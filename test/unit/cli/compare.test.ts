/**
 * `wirescope compare` end to end (the real CLI process) against a backend Wirescope did not write:
 * node:http and the ws library's server with known behaviour (test/helpers/raceBackend.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startRaceBackend } from '../../helpers/raceBackend';
import { assertOneLineError, runCli } from './runCli';

interface JsonSession {
  name: string;
  pattern: string;
  received: number;
  unique: number;
  duplicates: number;
  missed: number;
  latencyMs: { p50: number; p95: number; max: number } | null;
  requests: number | null;
  connections: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  bytesPerMessage: number | null;
  requestsPerMessage: number | null;
  reconnects: number;
  direction: string;
  notes?: Record<string, string>;
}

const SSE_DELAY_MS = 120;

describe('wirescope compare', () => {
  it('races ws, sse and long poll from a profiles file and reports what the backend did (--format json)', async () => {
    const backend = await startRaceBackend({ rate: 5, sseDelayMs: SSE_DELAY_MS });
    const dir = mkdtempSync(join(tmpdir(), 'wirescope-compare-'));
    const file = join(dir, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({
        profiles: [
          { name: 'ws', pattern: 'ws', url: backend.wsUrl },
          { name: 'sse', pattern: 'sse', url: `${backend.url}/sse` },
          { name: 'long poll', pattern: 'long-poll', url: `${backend.url}/long-poll?cursor=0`, longPoll: { cursorField: '$.cursor' } },
          { name: 'poll', pattern: 'poll', url: `${backend.url}/poll`, poll: { intervalMs: 1000 } },
        ],
      }),
    );
    try {
      const r = await runCli(['compare', '--profiles', file, 'ws', 'sse', 'long poll', '--duration', '8000', '--id-field', '$.seq', '--timestamp-field', '$.at', '--format', 'json'], { timeoutMs: 40_000 });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { sessions: JsonSession[]; feed: { ids: number; firstId: number; lastId: number }; durationMs: number };
      assert.deepEqual(out.sessions.map((s) => [s.name, s.pattern, s.direction]), [['ws', 'ws', 'both'], ['sse', 'sse', 'push'], ['long poll', 'long-poll', 'pull']]);
      assert.ok(out.durationMs >= 7990 && out.durationMs <= 8200, String(out.durationMs));
      const [ws, sse, lp] = out.sessions;
      // The fields, all present.
      for (const s of out.sessions) {
        for (const k of ['received', 'unique', 'duplicates', 'missed', 'latencyMs', 'requests', 'connections', 'bytesIn', 'bytesOut', 'bytesPerMessage', 'requestsPerMessage', 'reconnects', 'direction']) {
          assert.ok(k in s, `${s.name} lacks ${k}`);
        }
        assert.equal(s.missed, 0, `${s.name} missed ${s.missed}`);
        assert.equal(s.duplicates, 0);
        assert.equal(s.reconnects, 0);
        // 8 s of a 5/s feed, less the time to connect on a loaded machine.
        assert.ok(s.unique >= 15, `${s.name} got ${s.unique}`);
      }
      // Latency: the WebSocket sends at publish time, SSE 120 ms late, long poll answers at once.
      // (Bounds leave room for a loaded machine; SSE is compared with the WebSocket, which sees the same load.)
      assert.ok(ws.latencyMs!.p50 <= 50, `ws p50 ${ws.latencyMs!.p50}`);
      assert.ok(sse.latencyMs!.p50 >= SSE_DELAY_MS - 1, `sse p50 ${sse.latencyMs!.p50}`);
      const extra = sse.latencyMs!.p50 - ws.latencyMs!.p50;
      assert.ok(extra >= SSE_DELAY_MS - 10 && extra <= SSE_DELAY_MS + 15, `sse p50 ${sse.latencyMs!.p50} vs ws p50 ${ws.latencyMs!.p50}`);
      assert.ok(lp.latencyMs!.p50 <= 50, `long-poll p50 ${lp.latencyMs!.p50}`);
      // Requests: the backend's own counts (the CLI is a separate process: compare the totals it saw).
      assert.equal(ws.requests, backend.requests['/ws']);
      assert.equal(sse.requests, backend.requests['/sse']);
      assert.equal(lp.requests, backend.requests['/long-poll']);
      assert.ok(lp.requestsPerMessage! >= 0.5 && lp.requestsPerMessage! <= 1.2, `long-poll req/msg ${lp.requestsPerMessage}`);
      assert.ok(ws.bytesIn! > 0 && sse.bytesIn! > 0 && lp.bytesOut! > 0);
      assert.equal(out.feed.ids, Math.max(ws.unique, sse.unique, lp.unique));
    } finally {
      await backend.close();
    }
  });

  it('finds .vscode/wirescope.json from the working directory up, and short polling misses about 80% (table and markdown)', async () => {
    const backend = await startRaceBackend({ rate: 5, sseDelayMs: 0 });
    const root = mkdtempSync(join(tmpdir(), 'wirescope-compare-'));
    mkdirSync(join(root, '.vscode'));
    mkdirSync(join(root, 'sub'));
    writeFileSync(
      join(root, '.vscode', 'wirescope.json'),
      JSON.stringify({
        profiles: [
          { name: 'ws', pattern: 'ws', url: backend.wsUrl },
          { name: 'poll', pattern: 'poll', url: `${backend.url}/poll`, poll: { intervalMs: 1000 } },
        ],
      }),
    );
    try {
      const r = await runCli(['compare', 'ws', 'poll', '--duration', '6000', '--id-field', '$.seq', '--timestamp-field', '$.at', '--format', 'markdown'], { cwd: join(root, 'sub'), timeoutMs: 40_000 });
      assert.equal(r.code, 0, r.stderr);
      const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ws ') || l.startsWith('| poll '));
      assert.equal(rows.length, 2, r.stdout);
      const header = r.stdout.split('\n').find((l) => l.startsWith('| session'))!.split('|').map((c) => c.trim());
      const cell = (row: string, title: string) => row.split('|').map((c) => c.trim())[header.indexOf(title)];
      const poll = rows.find((l) => l.startsWith('| poll '))!;
      const missed = Number(cell(poll, 'reliability missed'));
      const unique = Number(cell(poll, 'reliability unique'));
      const fraction = missed / (missed + unique);
      assert.ok(fraction >= 0.65 && fraction <= 0.9, `poll missed ${missed} of ${missed + unique}`);
      assert.equal(Number(cell(poll, 'efficiency requests')), backend.requests['/poll']);
    } finally {
      await backend.close();
    }
  });

  it('reads a profile with its own idField by it: matched with the others by id, --id-field optional when all have one', async () => {
    const backend = await startRaceBackend({ rate: 10, sseDelayMs: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'wirescope-compare-'));
    const file = join(dir, 'p.json');
    const nestedUrl = backend.wsUrl.replace(/\/ws$/, '/ws-nested');
    writeFileSync(
      file,
      JSON.stringify({
        profiles: [
          { name: 'plain', pattern: 'ws', url: backend.wsUrl },
          { name: 'plain with id', pattern: 'ws', url: backend.wsUrl, idField: '$.seq' },
          // Each event as {"data":{"ticks":{"seq":"12","at":"<RFC 3339>"}}}, as a GraphQL subscription over gRPC-style JSON would.
          { name: 'nested', pattern: 'ws', url: nestedUrl, idField: '$.data.ticks.seq' },
        ],
      }),
    );
    try {
      const r = await runCli(['compare', '--profiles', file, 'plain', 'nested', '--duration', '3000', '--id-field', '$.seq', '--timestamp-field', '$.at', '--format', 'json'], { timeoutMs: 40_000 });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { sessions: Array<JsonSession & { idField?: string }>; feed: { ids: number }; idField: string };
      const [plain, nested] = out.sessions;
      assert.equal(out.idField, '$.seq');
      assert.equal(nested.idField, '$.data.ticks.seq');
      assert.equal(plain.idField, undefined);
      assert.ok(nested.unique >= 15, `nested got ${nested.unique}`);
      assert.equal(nested.missed, 0);
      assert.equal(plain.missed, 0);
      assert.equal(out.feed.ids, Math.max(plain.unique, nested.unique));
      // The publish time stays the race's $.at, which the nested shape does not have: said, not guessed.
      assert.equal(nested.latencyMs, null);
      assert.equal(nested.notes?.latencyMs, 'no message carried a valid $.at');

      // Every profile has its own idField: no --id-field needed; the table names the one read differently.
      const t = await runCli(['compare', '--profiles', file, 'plain with id', 'nested', '--duration', '2000'], { timeoutMs: 40_000 });
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /id \$\.seq/);
      assert.match(t.stdout, /^nested: read with its own id \$\.data\.ticks\.seq$/m);
      assert.match(t.stdout, /^nested +ws .* 0 +0\s*$/m);

      const bad = await runCli(['compare', '--profiles', file, 'plain', 'nested']);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(assertOneLineError(bad.stderr), /--id-field is needed .*: "plain" has no idField of its own/);
    } finally {
      await backend.close();
    }
  });

  it('bad input gets one line: unknown profile, missing id field, bad fault, broken file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirescope-compare-'));
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ profiles: [{ name: 'a', pattern: 'ws', url: 'ws://127.0.0.1:1/' }, { name: 'b', pattern: 'sse', url: 'http://127.0.0.1:1/' }] }));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"profiles": [');
    const cases: Array<[string[], RegExp]> = [
      [['compare', '--profiles', file, 'a', 'zzz', '--id-field', '$.seq'], /no profile named "zzz"/],
      [['compare', '--profiles', file, 'a', 'b'], /--id-field is needed/],
      [['compare', '--profiles', file, 'a'], /at least two profiles/],
      [['compare', '--demo', '--fault', 'cut'], /--fault takes cut@<ms>/],
      [['compare', '--demo', '--duration', '1000', '--fault', 'cut@2000'], /inside the race/],
      [['compare', '--profiles', broken, 'a', 'b', '--id-field', '$.seq'], /broken\.json is not valid JSON: .*line 1/],
      [['compare', '--profiles', file, 'a', 'b', '--id-field', '$..'], /Invalid/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(assertOneLineError(r.stderr), pattern);
    }
  });
});
