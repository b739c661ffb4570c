/**
 * The demo's pattern race (`wirescope compare --demo`, "Compare Patterns…"): every pattern of the demo backend,
 * gRPC server streaming and a GraphQL subscription over graphql-ws included, receives the same feed events,
 * and they are matched across sessions by id: gRPC's int64 seq ("12" in its JSON) and GraphQL's nested
 * `data.ticks.seq` are the same ids as the WebSocket's `seq`, and their publish times (an RFC 3339 Timestamp,
 * epoch ms under `data.ticks`) give latencies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRace } from '../../../src/core/compare/race';
import { startDemoRace } from '../../../src/demo/demoRace';
import { byName } from '../../helpers/raceBackend';

describe('demo pattern race', () => {
  it('races gRPC Watch and a GraphQL subscription with the other patterns, on the same ids', async () => {
    const race = await startDemoRace({ rate: 10 });
    try {
      assert.deepEqual(race.entries.map((e) => e.name), ['short poll', 'long poll', 'SSE', 'WebSocket', 'gRPC', 'GraphQL', 'MQTT', 'webhook']);
      const result = await runRace({ entries: race.entries, durationMs: 6000, idField: race.idField, timestampField: race.timestampField });
      const ids = (name: string) => new Set(result.arrivals[result.sessions.findIndex((s) => s.name === name)].map((a) => a.id));
      const ws = ids('WebSocket');
      assert.ok(ws.size >= 25, `WebSocket got ${ws.size} events`);

      for (const name of ['gRPC', 'GraphQL', 'WebSocket', 'SSE']) {
        const s = byName(result.sessions, name);
        assert.deepEqual(s.ended, { state: 'closed' }, `${name} ended ${JSON.stringify(s.ended)}`);
        assert.equal(s.unidentified, 0, `${name}: ${s.unidentified} frames without a readable id`);
        assert.equal(s.missed, 0, `${name} missed ${s.missed}: ${JSON.stringify(result.missedIds[result.sessions.indexOf(s)].slice(0, 5))}`);
        assert.equal(s.duplicates, 0, `${name} duplicates`);
        // Publish times parsed (an RFC 3339 Timestamp, or epoch ms under data.ticks): loopback latency, not hours off.
        assert.ok(s.latencyMs, `${name}: ${JSON.stringify(s.notes)}`);
        assert.ok(s.latencyMs.p50 >= -2 && s.latencyMs.p50 <= 500, `${name} p50 ${s.latencyMs.p50}`);
        assert.ok(s.latencyMs.max <= 2000, `${name} max ${s.latencyMs.max}`);
        assert.equal(s.bytesIn! > 0, true, `${name} bytes in`);
      }
      // The same events, by the same ids: gRPC's "12" and GraphQL's data.ticks.seq 12 are the WebSocket's 12.
      for (const name of ['gRPC', 'GraphQL']) {
        const got = ids(name);
        const common = [...got].filter((id) => ws.has(id)).length;
        assert.ok(got.size >= 25, `${name} got ${got.size} events`);
        // Only the edges of the windows may differ (sessions connect a few ms apart).
        assert.ok(common >= Math.min(got.size, ws.size) - 2, `${name}: ${common} ids in common with the WebSocket's ${ws.size} (it got ${got.size})`);
        assert.ok([...got].every((id) => /^\d+$/.test(id)), `${name} ids ${[...got].slice(0, 5).join(', ')}`);
      }
      // Each gRPC call is an HTTP/2 request: the reflection call, then Watch.
      assert.equal(byName(result.sessions, 'gRPC').requests, 2);
      assert.equal(byName(result.sessions, 'GraphQL').requests, 1);
      // The report says which session read its own fields, and gRPC reads the race's.
      assert.equal(byName(result.sessions, 'GraphQL').idField, '$.data.ticks.seq');
      assert.equal(byName(result.sessions, 'GraphQL').timestampField, '$.data.ticks.at');
      assert.equal(byName(result.sessions, 'gRPC').idField, undefined);
      // Every id any session saw is counted once in the feed.
      assert.equal(result.feed.ids, new Set(result.arrivals.flat().map((a) => a.id)).size);
    } finally {
      await race.close();
    }
  });

  it('a cut mid-race: the GraphQL subscription resumes after its last seq (resumeVariable), so it neither misses nor repeats an event', async () => {
    const race = await startDemoRace({ rate: 20 });
    try {
      const entries = race.entries.filter((e) => e.name === 'GraphQL' || e.name === 'SSE');
      const result = await runRace({ entries, durationMs: 5000, idField: race.idField, timestampField: race.timestampField, fault: { type: 'cut', atMs: 2000 } });
      for (const name of ['GraphQL', 'SSE']) {
        const s = byName(result.sessions, name);
        assert.ok(s.reconnects >= 1, `${name} reconnected after the cut (${s.reconnects})`);
        assert.equal(s.duplicates, 0, `${name} duplicates`);
        assert.equal(s.missed, 0, `${name} missed ${s.missed}: ${JSON.stringify(result.missedIds[result.sessions.indexOf(s)].slice(0, 5))}`);
      }
    } finally {
      await race.close();
    }
  });
});
