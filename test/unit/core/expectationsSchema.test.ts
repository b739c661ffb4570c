import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXPECTATION_JSON_SCHEMA, validateExpectations } from '../../../src/shared/expectations';
import { validateProfile } from '../../../src/shared/profile';

const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'schemas', 'wirescope.schema.json'), 'utf8')) as {
  definitions: { expectation: unknown; profile: { properties: Record<string, { items?: unknown }> } };
};

describe('expectation schema', () => {
  it('schemas/wirescope.schema.json carries the expectation schema of src/shared/expectations.ts, unchanged', () => {
    // One definition: the editor's completion and validation come from the same object as the engine's checks
    // (npm run schema generates the file from the descriptors and this definition).
    assert.deepEqual(schema.definitions.expectation, JSON.parse(JSON.stringify(EXPECTATION_JSON_SCHEMA)));
    assert.deepEqual(schema.definitions.profile.properties.expect.items, { $ref: '#/definitions/expectation' });
    for (const k of ['count', 'durationMs', 'expect']) assert.ok(k in schema.definitions.profile.properties, k);
  });

  it('validation accepts every kind and names each problem by its path', () => {
    const good = [
      { receive: { count: 3, within: 2000, match: '^tick', json: { path: '$.type', equals: 'tick' }, channel: 'feed' } },
      { noReceive: { match: 'error', within: 500 } },
      { noAnomalies: true },
      { status: [200, 299] },
      { timing: { totalMs: { max: 500 } } },
      { latencyMs: { p95: 50, timestampField: '$.at' } },
      { reconnects: { max: 0 } },
    ];
    assert.deepEqual(validateExpectations(good, 'sse', 'sse-id'), []);
    const bad = validateExpectations(
      [{ receive: { count: 0, match: '(' } }, { noAnomalies: true }, { status: 200 }, { receive: {}, status: 200 }, { latencyMs: { p95: 5 } }, 'x'],
      'ws',
      undefined,
    );
    assert.deepEqual(
      bad.map((p) => p.path.join('.')),
      ['expect.0.receive.match', 'expect.0.receive.count', 'expect.1.noAnomalies', 'expect.2.status', 'expect.3', 'expect.4.latencyMs.timestampField', 'expect.5'],
    );
    assert.match(bad[2].message, /needs the profile's "idField"/);
    assert.match(bad[3].message, /applies to the HTTP patterns .* not ws/);
    const inProfile = validateProfile({ name: 'x', pattern: 'ws', url: 'ws://h/', expect: [{ bogus: 1 }] }, ['profiles', 4]);
    assert.deepEqual(inProfile.map((p) => [p.path.join('.'), p.severity]), [['profiles.4.expect.0.bogus', 'error']]);
  });
});
