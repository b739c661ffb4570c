import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ProfileResolveError,
  authSecretName,
  parseProfilesText,
  positionAt,
  profileOffset,
  removeProfileFromText,
  resolveProfile,
  upsertProfileInText,
  type ProfileResolver,
} from '../../../src/core/profiles';
import { secretNamesOf, validateProfile, type Profile } from '../../../src/shared/profile';

const resolver = (env: Record<string, string>, secrets: Record<string, string>, asked: string[] = []): ProfileResolver => ({
  env: (n) => env[n],
  secret: async (n) => {
    asked.push(n);
    return secrets[n];
  },
  readFile: async (p) => {
    const { readFile } = await import('node:fs/promises');
    return readFile(p, 'utf8');
  },
});

const HAND_WRITTEN = `{
    // Shared with the team: keep this comment.
    "$schema": "./schema.json",
    "profiles": [
        {
            "name": "feed",
            "pattern": "ws",
            "url": "ws://127.0.0.1:8080/ws",
            "x-team-note": "hand-written field",   // trailing comment
            "headers": { "X-Trace": "1" }
        }
    ]
}
`;

describe('profiles file parsing', () => {
  it('reports malformed JSON with its line and column and lists no profiles', () => {
    const text = '{\n  "profiles": [\n    { "name": "a", "pattern": "ws" "url": "ws://x" }\n  ]\n}\n';
    const r = parseProfilesText(text);
    assert.equal(r.syntaxOk, false);
    assert.equal(r.profiles.length, 0);
    assert.ok(r.problems.length >= 1);
    const p = r.problems[0];
    assert.equal(p.line, 3);
    assert.equal(p.column, text.split('\n')[2].indexOf('"url"') + 1);
    assert.match(p.message, /comma was expected at line 3, column \d+/);
    assert.equal(p.severity, 'error');
  });

  it('accepts comments and trailing commas (JSONC, as VS Code settings files)', () => {
    const r = parseProfilesText('// c\n{ "profiles": [ { "name": "a", "pattern": "sse", "url": "http://h/e", }, ], }');
    assert.equal(r.syntaxOk, true);
    assert.equal(r.profiles.length, 1);
    assert.equal(r.profiles[0].valid, true);
  });

  it('locates validation problems at the offending key, and keeps valid profiles usable', () => {
    const text = `{
  "profiles": [
    { "name": "ok", "pattern": "http", "url": "http://127.0.0.1/" },
    { "name": "bad", "pattern": "carrier-pigeon", "url": "http://127.0.0.1/" },
    { "name": "ok", "pattern": "ws", "url": "http://wrong-scheme/" }
  ]
}`;
    const r = parseProfilesText(text);
    assert.equal(r.syntaxOk, true);
    assert.deepEqual(r.profiles.map((p) => p.valid), [true, false, false]);
    const pattern = r.problems.find((p) => p.message.includes('"pattern" must be one of'))!;
    assert.equal(pattern.line, 4);
    assert.equal(pattern.column, text.split('\n')[3].indexOf('"pattern"') + 1);
    assert.match(pattern.message, /^profiles\[1\]\.pattern: /);
    const dup = r.problems.find((p) => p.message.includes('already named "ok"'))!;
    assert.equal(dup.line, 5);
    assert.ok(r.problems.some((p) => p.line === 5 && /needs a ws: or wss: URL/.test(p.message)));
  });

  it('rejects a file without a profiles list and bad field types', () => {
    assert.match(parseProfilesText('[]').problems[0].message, /must hold an object/);
    assert.match(parseProfilesText('{"profiles": 3}').problems[0].message, /"profiles" must be a list/);
    const probs = validateProfile({ name: 'x', pattern: 'http', url: 'http://h/', headers: { 'Bad Name': 'v', Ok: 'a\r\nb' }, reconnect: { jitter: 3 }, auth: { type: 'bearer', token: 'abc' } });
    const msgs = probs.filter((p) => p.severity === 'error').map((p) => p.message).join('\n');
    assert.match(msgs, /Invalid header name "Bad Name"/);
    assert.match(msgs, /contains a line break/);
    assert.match(msgs, /jitter/);
    assert.match(msgs, /Do not put secrets in the profile/);
  });

  it('warns about literal credentials in a shared file', () => {
    const probs = validateProfile({ name: 'x', pattern: 'http', url: 'http://h/', headers: { Authorization: 'Bearer abc' } });
    assert.ok(probs.some((p) => p.severity === 'warning' && /literal credential/.test(p.message)));
    const ok = validateProfile({ name: 'x', pattern: 'http', url: 'http://h/', headers: { Authorization: 'Bearer ${secret:tok}' } });
    assert.equal(ok.length, 0);
  });

  it('computes positions for offsets', () => {
    assert.deepEqual(positionAt('ab\ncd', 4), { line: 2, column: 2 });
    assert.deepEqual(positionAt('', 0), { line: 1, column: 1 });
  });
});

describe('profiles file editing keeps what the user wrote', () => {
  it('updates a changed field in place and keeps comments, unknown fields and indentation', () => {
    const profile: Profile = { name: 'feed', pattern: 'ws', url: 'ws://127.0.0.1:9090/ws', headers: { 'X-Trace': '1' } };
    const out = upsertProfileInText(HAND_WRITTEN, profile);
    assert.ok(out.includes('// Shared with the team: keep this comment.'));
    assert.ok(out.includes('"x-team-note": "hand-written field",   // trailing comment'));
    assert.ok(out.includes('"url": "ws://127.0.0.1:9090/ws"'));
    assert.ok(out.includes('"headers": { "X-Trace": "1" }'), 'unchanged fields are not rewritten');
    assert.equal(out.split('\n').length, HAND_WRITTEN.split('\n').length, 'only one line changed');
    const diff = out.split('\n').filter((l, i) => l !== HAND_WRITTEN.split('\n')[i]);
    assert.deepEqual(diff, ['            "url": "ws://127.0.0.1:9090/ws",']);
  });

  it('appends a new profile with the file indentation and keeps the others', () => {
    const out = upsertProfileInText(HAND_WRITTEN, { name: 'jobs', pattern: 'async', url: 'http://127.0.0.1:8080/jobs', method: 'POST' });
    const r = parseProfilesText(out);
    assert.deepEqual(r.profiles.map((p) => p.profile.name), ['feed', 'jobs']);
    assert.ok(out.includes('// Shared with the team'));
    assert.match(out, /\n {12}"name": "jobs"/, 'four-space indentation of the file is used');
    const at = profileOffset(out, 'jobs')!;
    assert.equal(out[at], '{');
    assert.ok(out.slice(at).startsWith('{') && out.slice(at, at + 200).includes('"jobs"'));
    assert.equal(profileOffset(out, 'missing'), undefined);
    assert.ok(profileOffset(out, 'jobs')! > profileOffset(out, 'feed')!);
  });

  it('renames by previous name, removes only the named keys, deletes profiles, and creates a file', () => {
    let out = upsertProfileInText(HAND_WRITTEN, { name: 'feed2', pattern: 'ws', url: 'ws://127.0.0.1:8080/ws' }, { previousName: 'feed', removeKeys: ['headers'] });
    let r = parseProfilesText(out);
    assert.equal(r.profiles.length, 1);
    assert.equal(r.profiles[0].profile.name, 'feed2');
    assert.equal(r.profiles[0].profile.headers, undefined);
    assert.equal((r.profiles[0].profile as unknown as Record<string, unknown>)['x-team-note'], 'hand-written field');
    out = removeProfileFromText(out, 'feed2');
    r = parseProfilesText(out);
    assert.equal(r.profiles.length, 0);
    assert.ok(out.includes('// Shared with the team'));
    const fresh = upsertProfileInText('', { name: 'a', pattern: 'sse', url: 'http://h/sse' });
    assert.equal(parseProfilesText(fresh).profiles[0].profile.name, 'a');
  });

  it('keeps one-line profiles on one line, and spreads new fields of spread-out profiles over lines', () => {
    const oneLiners = `{
  "profiles": [
    { "name": "a", "pattern": "ws", "url": "ws://h/a" }, // first
    { "name": "b", "pattern": "sse", "url": "http://h/b", "auth": { "type": "bearer", "secret": "t" } }
  ]
}
`;
    let out = upsertProfileInText(oneLiners, { name: 'c', pattern: 'ws', url: 'ws://h/c', headers: { A: '1' } });
    const lines = out.split('\n');
    assert.equal(lines[2], oneLiners.split('\n')[2], 'the first profile and its comment are untouched');
    assert.equal(lines[3], oneLiners.split('\n')[3] + ',', 'the neighbour keeps its layout; only a comma is added');
    assert.equal(lines[4], '    { "name": "c", "pattern": "ws", "url": "ws://h/c", "headers": { "A": "1" } }', 'a new profile next to one-liners is a one-liner');
    out = upsertProfileInText(out, { name: 'b', pattern: 'sse', url: 'http://h/b2', auth: { type: 'bearer', secret: 't' }, headers: { X: 'y' } });
    assert.equal(out.split('\n')[3], '    { "name": "b", "pattern": "sse", "url": "http://h/b2", "auth": { "type": "bearer", "secret": "t" }, "headers": { "X": "y" } },');
    assert.deepEqual(parseProfilesText(out).profiles.map((p) => p.profile.url), ['ws://h/a', 'http://h/b2', 'ws://h/c']);

    out = upsertProfileInText(HAND_WRITTEN, { name: 'feed', pattern: 'ws', url: 'ws://127.0.0.1:8080/ws', headers: { 'X-Trace': '2', 'X-More': 'yes' }, reconnect: { maxAttempts: 3 } });
    assert.ok(out.includes('"headers": {\n                "X-Trace": "2",\n                "X-More": "yes"\n            },'), out);
    assert.ok(out.includes(',\n            "reconnect": {\n                "maxAttempts": 3\n            }\n'), out);
    assert.ok(out.includes('"x-team-note": "hand-written field",   // trailing comment'));
    assert.deepEqual(parseProfilesText(out).profiles[0].profile.reconnect, { maxAttempts: 3 });
  });

  it('refuses to save over a malformed file', () => {
    assert.throws(() => upsertProfileInText('{ "profiles": [ ', { name: 'a', pattern: 'ws', url: 'ws://h/' }), (e: Error) => e instanceof ProfileResolveError && /not valid JSON \(line 1, column \d+\)/.test(e.message));
  });
});

describe('profile resolution', () => {
  it('substitutes ${env:…} and ${secret:…} and applies bearer auth, returning the secret values', async () => {
    const profile: Profile = {
      name: 'api',
      pattern: 'http',
      url: 'http://${env:WS_HOST}:8080/items?key=${secret:apikey}',
      method: 'post',
      headers: { 'X-Env': '${env:STAGE}-x' },
      body: '{"pw":"${secret:apikey}"}',
      auth: { type: 'bearer', secret: 'token1' },
      reconnect: { maxAttempts: 2 },
      poll: { intervalMs: 100 },
    };
    const asked: string[] = [];
    const r = await resolveProfile(profile, resolver({ WS_HOST: '127.0.0.1', STAGE: 'dev' }, { apikey: 'K-123456', token1: 'T-abcdef' }, asked), {});
    assert.equal(r.options.url, 'http://127.0.0.1:8080/items?key=K-123456');
    assert.equal(r.options.method, 'POST');
    assert.deepEqual(r.options.headers, { 'X-Env': 'dev-x', Authorization: 'Bearer T-abcdef' });
    assert.equal(r.options.body, '{"pw":"K-123456"}');
    assert.deepEqual(r.options.reconnect, { maxAttempts: 2 });
    assert.deepEqual(r.options.poll, { intervalMs: 100 });
    assert.deepEqual(r.secretValues.sort(), ['K-123456', 'T-abcdef']);
    assert.deepEqual(asked.sort(), ['apikey', 'token1'], 'each secret asked once');
    assert.ok(!JSON.stringify(profile).includes('K-123456'), 'the profile is not modified');
  });

  it('basic auth becomes an Authorization header (and MQTT credentials for mqtt); the encoded form is redacted too', async () => {
    const r = await resolveProfile({ name: 'b', pattern: 'http', url: 'http://h/', auth: { type: 'basic', username: 'ann', secret: 'pw' } }, resolver({}, { pw: 's3cret' }));
    const enc = Buffer.from('ann:s3cret').toString('base64');
    assert.equal(r.options.headers?.Authorization, `Basic ${enc}`);
    assert.ok(r.secretValues.includes('s3cret') && r.secretValues.includes(enc));
    const m = await resolveProfile({ name: 'm', pattern: 'mqtt', url: 'mqtt://127.0.0.1:1883', auth: { type: 'basic', username: 'ann', secret: 'pw' }, mqtt: { clientId: 'c1' } }, resolver({}, { pw: 's3cret' }));
    assert.deepEqual(m.options.mqtt, { clientId: 'c1', username: 'ann', password: 's3cret' });
    assert.equal(m.options.headers, undefined);
  });

  it('a missing variable or secret is one clear line', async () => {
    await assert.rejects(resolveProfile({ name: 'e', pattern: 'ws', url: 'ws://${env:NOPE_HOST}/' }, resolver({}, {})), /^ProfileResolveError: Environment variable NOPE_HOST \(used by url of profile "e"\) is not set$/);
    await assert.rejects(resolveProfile({ name: 's', pattern: 'ws', url: 'ws://h/', auth: { type: 'header', header: 'X-Api-Key' } }, resolver({}, {})), /Secret "s\.header" \(used by auth of profile "s"\) is not stored/);
    await assert.rejects(resolveProfile({ name: 'v', pattern: 'ws', url: 'http://h/' }, resolver({}, {})), /Profile "v": url: The ws pattern needs/);
  });

  it('omits stored secrets entirely in untrusted mode', async () => {
    const asked: string[] = [];
    const r = await resolveProfile({ name: 'u', pattern: 'ws', url: 'ws://h/?k=${secret:k}', auth: { type: 'bearer', secret: 't' } }, resolver({}, { k: 'KKKK', t: 'TTTT' }, asked), { secrets: 'omit' });
    assert.deepEqual(asked, [], 'SecretStorage is never read');
    assert.equal(r.options.url, 'ws://h/?k=');
    assert.equal(r.options.headers, undefined);
    assert.deepEqual(r.omittedSecrets.sort(), ['k', 't']);
    assert.deepEqual(r.secretValues, []);
  });

  it('reads TLS files and reports a missing one clearly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ws-prof-'));
    try {
      await writeFile(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n');
      const r = await resolveProfile({ name: 't', pattern: 'ws', url: 'wss://h/', tls: { caFile: join(dir, 'ca.pem'), insecure: true } }, resolver({}, {}));
      assert.match(r.options.tls?.ca ?? '', /BEGIN CERTIFICATE/);
      assert.equal(r.options.tls?.insecure, true);
      await assert.rejects(resolveProfile({ name: 't', pattern: 'ws', url: 'wss://h/', tls: { caFile: join(dir, 'nope.pem') } }, resolver({}, {})), /Cannot read the TLS caFile ".*nope\.pem" of profile "t": no such file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the secrets a profile uses', () => {
    const p: Profile = { name: 'My API!', pattern: 'http', url: 'http://h/?a=${secret:one}', auth: { type: 'bearer' }, tls: { passphraseSecret: 'pp' } };
    assert.equal(authSecretName(p), 'My-API.bearer');
    assert.deepEqual(secretNamesOf(p).sort(), ['one', 'pp']);
  });
});
