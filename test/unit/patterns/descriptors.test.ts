// The drift issue 10 found, as tests: one scheme list, one options schema, a generated schema file that
// must not go stale, and flags/validation that follow the descriptors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConnectArgs, UsageError } from '../../../src/cli/args';
import { ALL_PATTERN_DESCRIPTORS, capabilitiesOf, descriptorOf, INFERRED_SCHEMES, PATTERN_DESCRIPTORS, PATTERNS } from '../../../src/patterns';
import { profilesFileJsonSchema } from '../../../src/patterns/profileSchema';
import { PATTERN_DIRECTION } from '../../../src/shared/compare';
import { PATTERN_LABELS } from '../../../src/shared/connectOptions';
import { PATTERN_SCHEMES, validateProfile } from '../../../src/shared/profile';

const errorsOf = (p: unknown) => validateProfile(p).filter((x) => x.severity === 'error');

describe('pattern descriptors', () => {
  it('the committed schemas/wirescope.schema.json is what the descriptors generate (run npm run schema when this fails)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'schemas', 'wirescope.schema.json'), 'utf8');
    assert.equal(committed, JSON.stringify(profilesFileJsonSchema(), null, 2) + '\n');
  });

  it('the schema carries the options the hand-written one had lost, and every pattern', () => {
    const schema = profilesFileJsonSchema() as { definitions: { profile: { properties: Record<string, { properties?: Record<string, { properties?: Record<string, unknown> }>; enum?: string[] }> } } };
    const p = schema.definitions.profile.properties;
    for (const k of ['publishTopic', 'sessionExpirySec', 'request']) assert.ok(p.mqtt.properties?.[k], `mqtt.${k}`);
    for (const k of ['qos', 'keepOpen']) assert.ok(p.mqtt.properties?.request.properties?.[k], `mqtt.request.${k}`);
    assert.deepEqual(p.pattern.enum, [...PATTERNS]);
    for (const d of PATTERN_DESCRIPTORS) if ('optionsKey' in d) assert.ok(p[d.optionsKey], d.optionsKey);
  });

  it('one scheme list: profiles and the CLI accept the same URLs (tcp:// for mqtt with --pattern mqtt)', () => {
    const cmd = parseConnectArgs(['tcp://127.0.0.1:1883', '--pattern', 'mqtt']);
    assert.equal(cmd.options.pattern, 'mqtt');
    assert.deepEqual(errorsOf({ name: 'x', pattern: 'mqtt', url: 'tcp://127.0.0.1:1883' }), []);
    assert.equal(parseConnectArgs(['tcp://127.0.0.1:1883']).options.pattern, 'tcp', 'without --pattern, tcp:// is raw TCP');
    for (const d of PATTERN_DESCRIPTORS) assert.equal(PATTERN_SCHEMES[d.id], d.schemes);
    assert.equal(new Set(INFERRED_SCHEMES).size, INFERRED_SCHEMES.length, 'a scheme infers one pattern at most');
    for (const s of INFERRED_SCHEMES) assert.ok(PATTERN_DESCRIPTORS.some((d) => (d.schemes as readonly string[]).includes(s)));
  });

  it('options are validated by their schema: wrong types and values are errors with their path', () => {
    const poll = errorsOf({ name: 'x', pattern: 'poll', url: 'http://h/', poll: { intervalMs: 'fast' } });
    assert.equal(poll.length, 1);
    assert.deepEqual(poll[0].path, ['poll', 'intervalMs']);
    assert.match(poll[0].message, /whole number/);
    const mqtt = errorsOf({ name: 'x', pattern: 'mqtt', url: 'mqtt://h', mqtt: { protocolVersion: 9 } });
    assert.equal(mqtt.length, 1);
    assert.deepEqual(mqtt[0].path, ['mqtt', 'protocolVersion']);
    assert.match(mqtt[0].message, /one of 4, 5/);
    assert.deepEqual(errorsOf({ name: 'x', pattern: 'tcp', url: 'tcp://h:1', tcp: { split: 'length', lengthBytes: 2, lengthEndian: 'le' } }), []);
    assert.equal(errorsOf({ name: 'x', pattern: 'tcp', url: 'tcp://h:1', tcp: { lengthBytes: 3 } }).length, 1);
    const unknown = validateProfile({ name: 'x', pattern: 'ws', url: 'ws://h/', ws: { pingEvery: 5 } });
    assert.deepEqual(unknown.map((x) => [x.severity, x.path.join('.')]), [['warning', 'ws.pingEvery']]);
  });

  it('CLI flags of a descriptor are parsed from its schema', () => {
    const cmd = parseConnectArgs(['tcp://127.0.0.1:9', '--split', 'length', '--length-bytes', '2', '--length-endian', 'le', '--half-close', '--alpn', 'a', '--alpn', 'b']);
    assert.deepEqual(cmd.options.tcp, { split: 'length', lengthBytes: 2, lengthEndian: 'le', halfClose: true, alpn: ['a', 'b'] });
    assert.equal(parseConnectArgs(['http://h/s', '--pattern', 'stream', '--split', 'lines']).options.stream?.split, 'lines', '--split still means the stream split for stream');
    assert.throws(() => parseConnectArgs(['tcp://127.0.0.1:9', '--length-bytes', '3']), (e: Error) => e instanceof UsageError && /--length-bytes must be one of 1, 2, 4/.test(e.message));
    assert.throws(() => parseConnectArgs(['ws://h/', '--half-close']), (e: Error) => e instanceof UsageError && /applies to the tcp pattern/.test(e.message));
  });

  it("New Connection's extra step names a list of strings in the pattern's options, and its answer makes a valid profile", () => {
    const asking = PATTERN_DESCRIPTORS.filter((d) => (d as { newConnection?: unknown }).newConnection);
    assert.ok(asking.some((d) => d.id === 'redis') && asking.some((d) => d.id === 'nats'));
    for (const d of asking) {
      const ask = (d as unknown as { newConnection: { key: string }; optionsKey: string; options: { properties: Record<string, { type?: string; items?: { type?: string } }> }; exampleUrl: string }).newConnection;
      const { optionsKey, options, exampleUrl } = d as unknown as { optionsKey: string; options: { properties: Record<string, { type?: string; items?: { type?: string } }> }; exampleUrl: string };
      const node = options.properties[ask.key];
      assert.equal(node?.type, 'array', `${d.id}.${ask.key}`);
      assert.equal(node.items?.type, 'string', `${d.id}.${ask.key}`);
      const profile = { name: 'n', pattern: d.id, url: exampleUrl, [optionsKey]: { [ask.key]: ['a', 'b'] } };
      assert.deepEqual(validateProfile(profile).filter((p) => p.severity === 'error'), [], d.id);
    }
  });

  it('the capture proxy has a descriptor but is not a profile pattern (profile: false)', () => {
    const proxy = descriptorOf('proxy');
    assert.ok(proxy, 'proxy descriptor');
    assert.equal((proxy as { profile?: boolean }).profile, false);
    assert.ok(ALL_PATTERN_DESCRIPTORS.some((d) => d.id === 'proxy'));
    assert.ok(!(PATTERN_DESCRIPTORS as readonly { id: string }[]).some((d) => d.id === 'proxy'), 'profile descriptors leave it out');
    assert.ok(!(PATTERNS as readonly string[]).includes('proxy'), 'PATTERNS leaves it out');
    assert.deepEqual(PATTERNS, ALL_PATTERN_DESCRIPTORS.filter((d) => (d as { profile?: boolean }).profile !== false).map((d) => d.id));
    assert.equal(PATTERN_LABELS.proxy, 'Capture proxy');
    assert.deepEqual(PATTERN_SCHEMES.proxy, ['http', 'https']);
    assert.equal(capabilitiesOf('proxy').send, false);
    const schema = profilesFileJsonSchema() as { definitions: { profile: { properties: Record<string, { enum?: string[] }> } } };
    assert.ok(!schema.definitions.profile.properties.pattern.enum?.includes('proxy'), 'the JSON Schema offers no proxy profile');
    assert.ok(!('proxy' in schema.definitions.profile.properties));
    assert.ok(errorsOf({ name: 'x', pattern: 'proxy', url: 'http://127.0.0.1:8080/' }).some((x) => x.path.join('.') === 'pattern'), 'a proxy profile is an error');
    for (const d of ALL_PATTERN_DESCRIPTORS) assert.ok(PATTERN_DIRECTION[d.id], `direction of ${d.id}`);
  });
});
