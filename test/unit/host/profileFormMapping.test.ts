// The profile form's pure logic: form values <-> profile, the host's secret handling, and the
// validation of what the page posts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseProfilesText, resolveProfile, upsertProfileInText } from '../../../src/core/profiles';
import { renderProfileFormHtml } from '../../../src/host/profileFormHtml';
import { applyFormSave, formSecretNames, profileForForm } from '../../../src/host/profileFormSecrets';
import { validateProfile, type Profile } from '../../../src/shared/profile';
import { MAX_FORM_SECRET, parseFormMessage } from '../../../src/shared/profileFormProtocol';
import { fieldForProblem, profileToValues, valuesToProfile } from '../../../webview/profileForm/formFields';

const FULL: Profile[] = [
  { name: 'h', pattern: 'http', url: 'https://api.test/x', method: 'POST', body: '{"a":1}', headers: { Accept: 'application/json' }, followRedirects: true, connectTimeoutMs: 3000 },
  { name: 'w', pattern: 'ws', url: 'wss://h.test/ws', protocols: ['graphql-ws', 'v2'], ws: { pingIntervalMs: 5000, pongTimeoutMs: 2000 }, send: ['hello', '{"sub":1}'], idField: '$.seq' },
  { name: 's', pattern: 'sse', url: 'http://h.test/sse', sse: { idleTimeoutMs: 30000, lastEventId: '42' }, reconnect: { enabled: false, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 1.5, jitter: 0.2, maxAttempts: 4 } },
  { name: 'p', pattern: 'poll', url: 'http://h.test/p', poll: { intervalMs: 2000, change: 'etag', timestampField: '$.at', timestampHeader: 'X-At' } },
  { name: 'l', pattern: 'long-poll', url: 'http://h.test/lp', longPoll: { timeoutMs: 25000, cursorField: '$.cursor', cursorHeader: 'X-Cursor', cursorParam: 'since', useEtag: true, idleTimeoutMs: 60000 } },
  { name: 't', pattern: 'stream', url: 'http://h.test/s', stream: { split: 'lines', idleTimeoutMs: 10000 } },
  {
    name: 'm', pattern: 'mqtt', url: 'mqtt://127.0.0.1:1883',
    mqtt: {
      protocolVersion: 5, clientId: 'c1', clean: false, keepaliveSec: 30, username: 'u', publishTopic: 'cmd',
      will: { topic: 'gone', payload: 'bye', retain: true },
      subscribe: [{ topic: 'feed/#', qos: 1 }, { topic: 'x', qos: 0 }],
      publish: [{ topic: 'hello', payload: 'hi', qos: 1, retain: true }],
      request: { topic: 'rpc', responseTopic: 'rpc/reply', payload: 'ping', count: 3, timeoutMs: 1000 },
    },
    templates: [{ name: 'hex one', data: '0a0b', encoding: 'hex', channel: 'cmd' }, { name: 'plain', data: 'x' }],
  },
  { name: 'wh', pattern: 'webhook', url: 'http://127.0.0.1:0', webhook: { listen: '127.0.0.1:0', reply: { status: 202, body: 'ok', delayMs: 5 }, hmac: { header: 'X-Sig', algorithm: 'sha1', prefix: 'sha1=', secret: '${secret:wh.hmac}' } } },
  { name: 'a', pattern: 'async', url: 'http://h.test/jobs', async: { timeoutMs: 60000, pollIntervalMs: 500, statusField: '$.state', doneValues: ['ok', 'bad'], operationUrlField: '$.href', callback: true } },
  {
    name: 'io', pattern: 'socketio', url: 'http://127.0.0.1:3000/chat', idField: '$[0].seq', idChannel: 'tick',
    socketio: { path: '/io/', transport: 'websocket', auth: { token: '${env:IO_TOKEN}', room: 7 }, query: { v: '2' }, emit: [{ event: 'join', args: ['lobby'], ack: true }, { event: 'ping', args: [] }], ackTimeoutMs: 2000 },
  },
  { name: 'auth', pattern: 'http', url: 'http://h.test', auth: { type: 'basic', username: '${env:USER}', secret: 'auth.pw' }, tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem', insecure: true, servername: 'h', passphraseSecret: 'k.pass' } },
];

describe('profile form mapping', () => {
  for (const profile of FULL) {
    test(`${profile.pattern} profile "${profile.name}" survives profile -> form -> profile`, () => {
      const { profile: back, fieldErrors } = valuesToProfile(profileToValues(profile), profile);
      assert.deepEqual(fieldErrors, {});
      assert.deepEqual(back, profile);
      assert.deepEqual(validateProfile(back).filter((p) => p.severity === 'error'), []);
    });
  }

  test('objects and lists of objects are JSON fields from the descriptor: parsed on save, a wrong shape or bad JSON is one line on the field', () => {
    const v = profileToValues({ name: 'io', pattern: 'socketio', url: 'http://h.test' });
    assert.equal(v.fields['socketio.auth'], '');
    v.fields['socketio.auth'] = '{"token": "t"}';
    v.fields['socketio.emit'] = '[{"event": "join", "args": [1], "ack": true}]';
    v.fields['socketio.query'] = ' ';
    const ok = valuesToProfile(v, {});
    assert.deepEqual(ok.fieldErrors, {});
    assert.deepEqual(ok.profile, { name: 'io', pattern: 'socketio', url: 'http://h.test', socketio: { auth: { token: 't' }, emit: [{ event: 'join', args: [1], ack: true }] } });
    assert.equal(profileToValues(ok.profile).fields['socketio.auth'], '{\n  "token": "t"\n}');
    v.fields['socketio.auth'] = '[1]';
    v.fields['socketio.emit'] = '{"event": "x"}';
    v.fields['socketio.query'] = '{"a": ';
    const bad = valuesToProfile(v, {});
    assert.equal(bad.fieldErrors['socketio.auth'], 'Enter a JSON object: { … }');
    assert.equal(bad.fieldErrors['socketio.emit'], 'Enter a JSON list: [ … ]');
    assert.match(bad.fieldErrors['socketio.query'], /^Enter JSON: /);
    // The descriptor's schema still judges the contents (an emit without its event name).
    v.fields['socketio.auth'] = '';
    v.fields['socketio.query'] = '';
    v.fields['socketio.emit'] = '[{"args": []}]';
    const judged = valuesToProfile(v, {});
    assert.deepEqual(judged.fieldErrors, {});
    assert.ok(validateProfile(judged.profile).some((p) => p.severity === 'error' && p.path.join('.').startsWith('socketio.emit')), JSON.stringify(validateProfile(judged.profile)));
  });

  test('a new profile from an empty form gets only what was typed', () => {
    const v = profileToValues({ name: '', pattern: 'http', url: '' });
    v.name = '  Orders ';
    v.pattern = 'poll';
    v.url = ' http://h.test/orders ';
    v.fields['poll.intervalMs'] = '1500';
    v.rows.headers = [{ name: 'Accept', value: 'text/plain' }, { name: '', value: '' }];
    const { profile } = valuesToProfile(v, {});
    assert.deepEqual(profile, { name: 'Orders', pattern: 'poll', url: 'http://h.test/orders', poll: { intervalMs: 1500 }, headers: { Accept: 'text/plain' } });
  });

  test('cleared fields are removed, emptied objects go away, unknown fields stay', () => {
    const base = { name: 'p', pattern: 'poll', url: 'http://h.test', poll: { intervalMs: 100 }, custom: { x: 1 }, previewLimit: 10 } as unknown as Profile;
    const v = profileToValues(base);
    v.fields['poll.intervalMs'] = '';
    const { profile } = valuesToProfile(v, base);
    assert.deepEqual(profile, { name: 'p', pattern: 'poll', url: 'http://h.test', custom: { x: 1 }, previewLimit: 10 });
  });

  test("switching the pattern drops the old pattern's options", () => {
    const base: Profile = { name: 'x', pattern: 'poll', url: 'http://h.test', poll: { intervalMs: 100 } };
    const v = profileToValues(base);
    v.pattern = 'sse';
    v.fields['sse.idleTimeoutMs'] = '500';
    assert.deepEqual(valuesToProfile(v, base).profile, { name: 'x', pattern: 'sse', url: 'http://h.test', sse: { idleTimeoutMs: 500 } });
  });

  test('changing the auth type drops the fields of the old type; none removes auth', () => {
    const base: Profile = { name: 'x', pattern: 'http', url: 'http://h.test', auth: { type: 'basic', username: 'me', secret: 's1' } };
    const v = profileToValues(base);
    v.fields['auth.type'] = 'header';
    v.fields['auth.header'] = 'X-Key';
    assert.deepEqual(valuesToProfile(v, base).profile.auth, { type: 'header', header: 'X-Key', secret: 's1' });
    v.fields['auth.type'] = 'none';
    assert.equal('auth' in valuesToProfile(v, base).profile, false);
  });

  test('checkboxes that are on by default show on, and only turning them off is written', () => {
    const base: Profile = { name: 'x', pattern: 'mqtt', url: 'mqtt://h' };
    const v = profileToValues(base);
    assert.equal(v.fields['reconnect.enabled'], true);
    assert.equal(v.fields['mqtt.clean'], true);
    assert.equal(v.fields['tls.insecure'], false);
    assert.deepEqual(valuesToProfile(v, base).profile, base, 'nothing changed, nothing written');
    v.fields['reconnect.enabled'] = false;
    v.fields['mqtt.clean'] = false;
    v.fields['tls.insecure'] = true;
    assert.deepEqual(valuesToProfile(v, base).profile, { ...base, reconnect: { enabled: false }, mqtt: { clean: false }, tls: { insecure: true } });
  });

  test('number fields with text are field errors, not profile values', () => {
    const v = profileToValues({ name: 'x', pattern: 'ws', url: 'ws://h.test' });
    v.fields['ws.pingIntervalMs'] = 'soon';
    v.fields['reconnect.maxAttempts'] = '-1';
    v.fields['reconnect.jitter'] = 'abc';
    const { profile, fieldErrors } = valuesToProfile(v, {});
    assert.deepEqual(Object.keys(fieldErrors).sort(), ['reconnect.jitter', 'reconnect.maxAttempts', 'ws.pingIntervalMs']);
    assert.equal(profile.ws, undefined);
  });

  test('a custom HMAC check without its header is a field error; "none" removes the check', () => {
    const base: Profile = { name: 'w', pattern: 'webhook', url: 'http://127.0.0.1:0', webhook: { hmac: { header: 'X-Sig', algorithm: 'sha256', secret: '' } } };
    const v = profileToValues(base);
    assert.equal(v.fields['webhook.hmac.scheme'], 'custom', 'a check with a header and no scheme is the custom scheme');
    v.fields['webhook.hmac.header'] = '';
    assert.ok(valuesToProfile(v, base).fieldErrors['webhook.hmac.header']);
    v.fields['webhook.hmac.algorithm'] = '';
    v.fields['webhook.hmac.scheme'] = '';
    const { profile, fieldErrors } = valuesToProfile(v, base);
    assert.deepEqual(fieldErrors, {});
    assert.equal(profile.webhook, undefined);
  });

  test('a signature check needs no header: recognised by headers (auto) or a named scheme', () => {
    // A new webhook profile with only the secret typed and "recognise by headers" picked.
    const v = profileToValues({ name: '', pattern: 'webhook', url: '' });
    assert.equal(v.fields['webhook.hmac.scheme'], '', 'no check by default');
    v.name = 'Hooks';
    v.url = 'http://127.0.0.1:0/';
    v.fields['webhook.hmac.scheme'] = 'auto';
    let r = valuesToProfile(v, {});
    assert.deepEqual(r.fieldErrors, {});
    assert.deepEqual(r.profile.webhook, { hmac: { secret: '' } }, 'auto is what a check without scheme or header means');
    assert.deepEqual(validateProfile(applyFormSave(undefined, r.profile, { hmacSecret: 'k' }).profile).filter((p) => p.severity === 'error'), []);
    assert.equal(applyFormSave(undefined, r.profile, { hmacSecret: 'k' }).profile.webhook?.hmac?.secret, '${secret:Hooks.webhook-hmac}');
    // A named scheme is written, and custom-only fields typed before are dropped.
    v.fields['webhook.hmac.scheme'] = 'github';
    v.fields['webhook.hmac.header'] = 'X-Stale';
    r = valuesToProfile(v, {});
    assert.deepEqual(r.profile.webhook, { hmac: { secret: '', scheme: 'github' } });
    // Opened again, the form shows what is stored.
    assert.equal(profileToValues(r.profile).fields['webhook.hmac.scheme'], 'github');
    assert.equal(profileToValues({ name: 'a', pattern: 'webhook', url: 'http://h', webhook: { hmac: { secret: '${secret:x}' } } }).fields['webhook.hmac.scheme'], 'auto');
    // Auto with a stray custom header: the header goes (it belongs to custom), and so does the then-implied scheme.
    const both: Profile = { name: 'b', pattern: 'webhook', url: 'http://h', webhook: { hmac: { secret: '${secret:x}', scheme: 'auto', header: 'X-Sig' } } };
    const back = valuesToProfile(profileToValues(both), both).profile;
    assert.deepEqual(back.webhook?.hmac, { secret: '${secret:x}' });
  });

  test('a hand-written profile with wrong types still opens in the form', () => {
    const broken = { name: 42, pattern: 'carrier-pigeon', url: 7, headers: 'Accept: */*', poll: [1], auth: { type: 'bearer' } } as unknown as Profile;
    const v = profileToValues(profileForForm(broken));
    assert.equal(v.pattern, 'http');
    assert.equal(v.name, '42');
    assert.equal(v.url, '7');
    assert.deepEqual(v.rows.headers, []);
    assert.equal(valuesToProfile(v, broken).profile.name, '42');
    assert.equal(formSecretNames(broken).auth, '42.bearer');
  });

  test('validation problems land on the field they belong to', () => {
    assert.equal(fieldForProblem(['url']), 'url');
    assert.equal(fieldForProblem(['headers', 'Bad Name']), 'headers');
    assert.equal(fieldForProblem(['reconnect', 'jitter']), 'reconnect.jitter');
    assert.equal(fieldForProblem(['templates', 0, 'data']), 'templates');
    assert.equal(fieldForProblem(['nothing']), undefined);
  });
});

describe('host side of the form: secrets', () => {
  test('profileForForm removes MQTT passwords and HMAC secrets, literal or referenced', () => {
    const p: Profile = { name: 'm', pattern: 'mqtt', url: 'mqtt://h', mqtt: { username: 'u', password: 'hunter2' }, webhook: { hmac: { header: 'X', algorithm: 'sha256', secret: 'lit-hmac' } } };
    const shown = JSON.stringify(profileForForm(p));
    assert.ok(!shown.includes('hunter2') && !shown.includes('lit-hmac'));
    assert.equal(p.mqtt?.password, 'hunter2', 'the stored profile object is not changed');
  });

  test('typed secrets become references by name and are returned for storage', () => {
    const posted: Profile = { name: 'Shop API', pattern: 'http', url: 'http://h.test', auth: { type: 'bearer' }, tls: { certFile: 'c', keyFile: 'k' } };
    const r = applyFormSave(undefined, posted, { auth: 'tok', tlsPassphrase: 'pp' });
    assert.deepEqual(r.profile.auth, { type: 'bearer', secret: 'Shop-API.bearer' });
    assert.equal(r.profile.tls?.passphraseSecret, 'Shop-API.tls-passphrase');
    assert.deepEqual(r.secrets, [
      { key: 'auth', name: 'Shop-API.bearer', value: 'tok' },
      { key: 'tlsPassphrase', name: 'Shop-API.tls-passphrase', value: 'pp' },
    ]);
    assert.ok(!JSON.stringify(r.profile).includes('tok') && !JSON.stringify(r.profile).includes('"pp"'));
  });

  test('MQTT password and HMAC secret: typed ones are stored under the existing reference; untyped ones keep the original', () => {
    const original: Profile = { name: 'b', pattern: 'mqtt', url: 'mqtt://h', mqtt: { password: '${secret:broker.pw}' } };
    const posted = profileForForm(original);
    assert.equal(applyFormSave(original, posted, {}).profile.mqtt?.password, '${secret:broker.pw}');
    const typed = applyFormSave(original, posted, { mqttPassword: 'new' });
    assert.equal(typed.profile.mqtt?.password, '${secret:broker.pw}');
    assert.deepEqual(typed.secrets, [{ key: 'mqttPassword', name: 'broker.pw', value: 'new' }]);
    const hook: Profile = { name: 'Hook', pattern: 'webhook', url: 'http://127.0.0.1:0', webhook: { hmac: { header: 'X-Sig', algorithm: 'sha256', secret: '' } } };
    const h = applyFormSave(undefined, hook, { hmacSecret: 'k' });
    assert.equal(h.profile.webhook?.hmac?.secret, '${secret:Hook.webhook-hmac}');
    assert.deepEqual(h.secrets, [{ key: 'hmacSecret', name: 'Hook.webhook-hmac', value: 'k' }]);
  });

  test('a rename keeps using the stored secret names; removed top-level fields are reported', () => {
    const original: Profile = { name: 'Old', pattern: 'http', url: 'http://h.test', auth: { type: 'bearer' }, body: 'x' };
    const r = applyFormSave(original, { name: 'New', pattern: 'http', url: 'http://h.test', auth: { type: 'bearer' } }, { auth: 't' });
    assert.equal(r.profile.auth?.secret, 'Old.bearer');
    assert.deepEqual(r.removeKeys, ['body']);
    assert.equal(formSecretNames(original).auth, 'Old.bearer');
  });
});

describe('form messages from the page', () => {
  test('well-formed messages pass; empty secrets are dropped', () => {
    assert.deepEqual(parseFormMessage({ type: 'ready' }), { type: 'ready' });
    const m = parseFormMessage({ type: 'save', profile: { name: 'a' }, scope: 'user', secrets: { auth: 'x', mqttPassword: '' } });
    assert.deepEqual(m, { type: 'save', profile: { name: 'a' }, scope: 'user', secrets: { auth: 'x' } });
  });

  test('malformed messages give a one-line reason', () => {
    const bad: unknown[] = [
      null,
      'save',
      { type: 'save', profile: [], scope: 'user' },
      { type: 'save', profile: {}, scope: 'global' },
      { type: 'save', profile: {}, scope: 'user', secrets: { apiKey: 'x' } },
      { type: 'save', profile: {}, scope: 'user', secrets: { auth: 5 } },
      { type: 'save', profile: {}, scope: 'user', secrets: { auth: 'x'.repeat(MAX_FORM_SECRET + 1) } },
      { type: 'eval', code: '1' },
    ];
    for (const raw of bad) {
      const r = parseFormMessage(raw);
      assert.equal(typeof r, 'string', JSON.stringify(raw)?.slice(0, 60));
      assert.ok(!(r as string).includes('\n'));
    }
  });
});

describe('form save through the real profile file edit and resolution', () => {
  test('the file gets references, keeps its comments and other fields; connecting resolves the stored secrets', async () => {
    const text = `{
  // team profiles
  "profiles": [
    { "name": "Broker", "pattern": "mqtt", "url": "mqtt://127.0.0.1:1883", "mqtt": { "username": "dev" }, "x-team": "iot" }
  ]
}
`;
    const original = parseProfilesText(text).profiles[0].profile;
    const values = profileToValues(profileForForm(original));
    values.fields['auth.type'] = 'bearer';
    values.fields['mqtt.keepaliveSec'] = '15';
    values.rows['mqtt.subscribe'] = [{ topic: 'feed/#', qos: '1' }];
    const { profile: posted, fieldErrors } = valuesToProfile(values, profileForForm(original));
    assert.deepEqual(fieldErrors, {});
    const msg = parseFormMessage({ type: 'save', profile: posted, scope: 'workspace', secrets: { mqttPassword: 'PW-777', auth: 'TOKEN-888' } });
    assert.ok(typeof msg !== 'string' && msg.type === 'save');
    const result = applyFormSave(original, msg.profile, msg.secrets);
    const vault = new Map(result.secrets.map((s) => [s.name, s.value]));
    const after = upsertProfileInText(text, result.profile, { previousName: original.name, removeKeys: result.removeKeys });
    assert.ok(after.includes('// team profiles') && after.includes('"x-team": "iot"'));
    assert.ok(!after.includes('PW-777') && !after.includes('TOKEN-888'), 'no secret value in the file');
    const parsed = parseProfilesText(after);
    assert.deepEqual(parsed.problems.filter((p) => p.severity === 'error'), []);
    const saved = parsed.profiles[0].profile;
    assert.equal(saved.mqtt?.password, '${secret:Broker.mqtt-password}');
    assert.deepEqual(saved.auth, { type: 'bearer', secret: 'Broker.bearer' });
    assert.deepEqual(saved.mqtt?.subscribe, [{ topic: 'feed/#', qos: 1 }]);
    const resolved = await resolveProfile(saved, { env: () => undefined, secret: async (n) => vault.get(n), readFile: async () => '' });
    assert.equal(resolved.options.mqtt?.password, 'PW-777');
    assert.equal(resolved.options.headers?.Authorization, 'Bearer TOKEN-888');
  });
});

describe('profile form document', () => {
  test('the inspector CSP, one nonce script, escaped URIs, and refusal of unsafe inputs', () => {
    const nonce = 'abcdefghijklmnop0123==';
    const html = renderProfileFormHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/a.js?"><b>', styleUri: 'https://x/a.css', nonce });
    assert.ok(html.includes(`script-src 'nonce-${nonce}'`) && html.includes("default-src 'none'"));
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.ok(!html.includes('"><b>'), 'attribute values are escaped');
    assert.throws(() => renderProfileFormHtml({ cspSource: 'x', scriptUri: 's', styleUri: 'c', nonce: 'short' }));
    assert.throws(() => renderProfileFormHtml({ cspSource: "x 'unsafe-inline'", scriptUri: 's', styleUri: 'c', nonce }));
  });
});
