/**
 * A race entry may read its messages with its own id and publish-time fields (a GraphQL result nests the event
 * under `data.<field>`): its ids are matched with the other sessions', its latency comes from its own timestamps,
 * and a bad path is one line. Against test/helpers/raceBackend.ts (node:http and the ws library's server), whose
 * /ws-nested route sends the /ws events as `{"data":{"ticks":{"seq":"12","at":"<RFC 3339>"}}}`; and the key
 * normalisation (messageKeys.ts) that makes gRPC's proto3 JSON (an int64 as a string, a Timestamp as text) the
 * same key as a plain JSON number and epoch ms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeKeyExtractor, parseTimestamp } from '../../../src/core/compare/messageKeys';
import { RaceError, runRace } from '../../../src/core/compare/race';
import { raceNotes } from '../../../src/shared/compareFormat';
import type { FrameEvent } from '../../../src/shared/events';
import { byName, startRaceBackend } from '../../helpers/raceBackend';

const frame = (data: string): FrameEvent => ({ kind: 'frame', t: 0, dir: 'in', encoding: 'utf8', data, size: data.length }) as FrameEvent;

describe('race entries with their own id fields', () => {
  it('matches a nested, proto3-JSON session with a plain one by id, with latencies from its own timestamps', async () => {
    const backend = await startRaceBackend({ rate: 10, sseDelayMs: 0 });
    try {
      const nestedUrl = backend.wsUrl.replace(/\/ws$/, '/ws-nested');
      const result = await runRace({
        entries: [
          { name: 'plain', options: { pattern: 'ws', url: backend.wsUrl } },
          { name: 'nested', options: { pattern: 'ws', url: nestedUrl }, idField: '$.data.ticks.seq', timestampField: '$.data.ticks.at' },
          // The race's fields on the nested shape find no id: what the override is for.
          { name: 'nested, race fields', options: { pattern: 'ws', url: nestedUrl } },
        ],
        durationMs: 4000,
        idField: '$.seq',
        timestampField: '$.at',
      });
      const plain = byName(result.sessions, 'plain');
      const nested = byName(result.sessions, 'nested');
      const without = byName(result.sessions, 'nested, race fields');
      assert.ok(plain.unique >= 20, `plain got ${plain.unique}`);
      assert.ok(nested.unique >= 20, `nested got ${nested.unique}`);
      // The same events under the same ids: "12" (a string under data.ticks) is the plain session's 12.
      const ids = (i: number) => new Set(result.arrivals[i].map((a) => a.id));
      const common = [...ids(1)].filter((id) => ids(0).has(id)).length;
      assert.ok(common >= Math.min(plain.unique, nested.unique) - 2, `${common} ids in common of ${plain.unique} and ${nested.unique}`);
      assert.equal(nested.missed, 0);
      assert.equal(plain.missed, 0);
      assert.equal(nested.unidentified, 0);
      assert.equal(result.feed.ids, Math.max(plain.unique, nested.unique));
      // RFC 3339 publish times give the same loopback latency as epoch ms (not hours off, not missing).
      assert.ok(nested.latencyMs && plain.latencyMs, JSON.stringify(nested.notes));
      assert.ok(nested.latencyMs.p50 >= -2 && nested.latencyMs.p50 <= 100, `nested p50 ${nested.latencyMs.p50}`);
      assert.ok(Math.abs(nested.latencyMs.p50 - plain.latencyMs.p50) <= 30, `nested p50 ${nested.latencyMs.p50} vs plain ${plain.latencyMs.p50}`);
      // Without the override nothing is identified: every frame is counted as such, none as a message.
      assert.equal(without.unique, 0);
      assert.ok(without.unidentified >= 20, `unidentified ${without.unidentified}`);
      // The result and its notes name the session's own fields, and only where they differ from the race's.
      assert.equal(nested.idField, '$.data.ticks.seq');
      assert.equal(nested.timestampField, '$.data.ticks.at');
      assert.equal(plain.idField, undefined);
      assert.equal(without.idField, undefined);
      const notes = raceNotes(result);
      assert.ok(notes.includes('nested: read with its own id $.data.ticks.seq and publish time $.data.ticks.at'), notes.join('\n'));
      assert.ok(notes.some((l) => /^nested, race fields: \d+ data frames without a readable \$\.seq/.test(l)), notes.join('\n'));
    } finally {
      await backend.close();
    }
  });

  it('an entry with only its own id field keeps the race\'s timestamp field, and says when it finds none there', async () => {
    const backend = await startRaceBackend({ rate: 10, sseDelayMs: 0 });
    try {
      const result = await runRace({
        entries: [
          { name: 'plain', options: { pattern: 'ws', url: backend.wsUrl } },
          { name: 'nested', options: { pattern: 'ws', url: backend.wsUrl.replace(/\/ws$/, '/ws-nested') }, idField: '$.data.ticks.seq' },
        ],
        durationMs: 2500,
        idField: '$.seq',
        timestampField: '$.at',
      });
      const nested = byName(result.sessions, 'nested');
      assert.ok(nested.unique >= 10, `nested got ${nested.unique}`);
      assert.equal(nested.missed, 0);
      assert.equal(nested.latencyMs, null);
      assert.equal(nested.notes.latencyMs, 'no message carried a valid $.at');
      assert.equal(nested.timestampField, undefined);
    } finally {
      await backend.close();
    }
  });

  it('a bad per-entry field is one RaceError line naming the session, before anything connects', async () => {
    const entries = (extra: { idField?: string; timestampField?: string }) => [
      { name: 'a', options: { pattern: 'ws' as const, url: 'ws://127.0.0.1:1/' } },
      { name: 'GraphQL', options: { pattern: 'ws' as const, url: 'ws://127.0.0.1:1/' }, ...extra },
    ];
    const cases: Array<[{ idField?: string; timestampField?: string }, RegExp]> = [
      [{ idField: '$..' }, /^GraphQL: Invalid/],
      [{ idField: '' }, /^GraphQL: /],
      [{ timestampField: 'data.at' }, /^GraphQL: Invalid timestamp field: use a JSON path like \$\.at, got "data\.at"$/],
      [{ idField: '$.data.ticks.seq', timestampField: '$.data[' }, /^GraphQL: Invalid timestamp field/],
    ];
    for (const [extra, pattern] of cases) {
      await assert.rejects(
        runRace({ entries: entries(extra), durationMs: 1000, idField: '$.seq', timestampField: '$.at' }),
        (err: Error) => {
          assert.ok(err instanceof RaceError, `${JSON.stringify(extra)}: ${err.constructor.name} ${err.message}`);
          assert.match(err.message, pattern);
          assert.equal(err.message.split('\n').length, 1, err.message);
          return true;
        },
      );
    }
  });
});

describe('feed keys across encodings', () => {
  it('reads gRPC\'s proto3 JSON (int64 as a string, Timestamp as RFC 3339) as the same key as plain JSON', () => {
    const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
    const plain = makeKeyExtractor('$.seq', '$.at')(frame(JSON.stringify({ seq: 12, at })));
    const grpc = makeKeyExtractor('$.seq', '$.at')(frame(JSON.stringify({ seq: '12', at: new Date(at).toISOString(), value: 3 })));
    const graphql = makeKeyExtractor('$.data.ticks.seq', '$.data.ticks.at')(frame(JSON.stringify({ data: { ticks: { seq: 12, at } } })));
    assert.deepEqual(plain, [{ id: '12', at }]);
    assert.deepEqual(grpc, [{ id: '12', at }]);
    assert.deepEqual(graphql, [{ id: '12', at }]);
    // proto3 JSON writes 0, 3, 6 or 9 fraction digits, and may use an offset: all the same instant to the ms.
    assert.equal(parseTimestamp('2026-11-30T12:00:00Z'), Date.UTC(2026, 10, 30, 12));
    assert.equal(parseTimestamp('2026-11-30T12:00:00.123000Z'), at);
    assert.equal(parseTimestamp('2026-11-30T12:00:00.123000000Z'), at);
    assert.equal(parseTimestamp('2026-11-30T13:00:00.123+01:00'), at);
    // An int64 past 2^53 stays exact as text.
    assert.deepEqual(makeKeyExtractor('$.seq')(frame('{"seq":"9007199254740993"}')), [{ id: '9007199254740993', at: undefined }]);
  });
});
