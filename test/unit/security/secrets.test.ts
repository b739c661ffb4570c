/**
 * Secrets never leave the engine in clear: sessions that really used a bearer token, an API key
 * header, a secret in the body and an MQTT password (resolved from a profile by a secret resolver)
 * are exported as NDJSON and HAR, captured to disk and logged by the session manager, and every
 * output is searched for the secret values. Authorization-like headers are masked by default and
 * shown only when the user asks to reveal them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { attachCapture } from '../../../src/core/captureWriter';
import { buildHar } from '../../../src/core/export/har';
import { toNdjson } from '../../../src/core/export/ndjson';
import { MASK, sanitizeEvent } from '../../../src/core/export/redact';
import { resolveProfile, type ProfileResolver } from '../../../src/core/profiles';
import { Session } from '../../../src/core/session';
import { DEFAULT_SETTINGS, SessionManager } from '../../../src/host/sessionManager';
import type { WireEvent } from '../../../src/shared/events';
import type { Profile } from '../../../src/shared/profile';
import { startMosquitto, type Mosquitto } from '../../helpers/mosquitto';
import { checkInvariants, ofKind, wsServer, type WsTestServer } from '../../helpers/servers';

const SECRETS: Record<string, string> = {
  'api-token': 'tok_live_8f3b1c9d7e',
  'api-key': 'key-Zq4w9XyP2m',
  'body-secret': 'pw-in-body-77aa',
  'mqtt-pass': 'mqtt-pass-K9v2',
};

const resolver: ProfileResolver = {
  env: () => undefined,
  secret: async (name) => SECRETS[name],
  readFile: async () => {
    throw new Error('no files here');
  },
};

/** Every secret value and the forms it travels in. */
function leaks(text: string, values: readonly string[]): string[] {
  return values.filter((v) => text.includes(v));
}

describe('secrets never appear in logs, exports, captures or files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirescope-secrets-'));
  let srv: WsTestServer;
  const seenByServer: string[] = [];
  let broker: Mosquitto;

  before(async () => {
    // The server echoes what it received (headers and messages) back: server data carries the secrets too.
    srv = await wsServer((wss) =>
      wss.on('connection', (ws, req) => {
        seenByServer.push(String(req.headers.authorization), String(req.headers['x-api-key']));
        ws.send(JSON.stringify({ youSent: { authorization: req.headers.authorization, key: req.headers['x-api-key'] } }));
        ws.on('message', (m) => {
          seenByServer.push(String(m));
          ws.send(`echo: ${String(m)}`);
        });
      }),
    );
    broker = await startMosquitto({ users: { alice: SECRETS['mqtt-pass'] } });
  });
  after(async () => {
    await srv.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a WebSocket session with a bearer token, an API key and a secret in a message: NDJSON, HAR, capture and manager logs hold none of them', async () => {
    const profile: Profile = {
      name: 'secret ws',
      pattern: 'ws',
      url: srv.url,
      headers: { 'X-Api-Key': '${secret:api-key}' },
      auth: { type: 'bearer', secret: 'api-token' },
      send: ['login ${secret:body-secret}'],
    };
    const resolved = await resolveProfile(profile, resolver);
    const values = resolved.secretValues;
    assert.deepEqual([...values].sort(), [SECRETS['api-key'], SECRETS['api-token'], SECRETS['body-secret']].sort());

    const logLines: string[] = [];
    const notes: string[] = [];
    const capDir = join(dir, 'captures');
    const manager = new SessionManager({
      settings: () => ({ ...DEFAULT_SETTINGS, capture: { enabled: true, maxBytes: 1024 * 1024, dir: capDir } }),
      log: (_level, line) => logLines.push(line),
      notify: (_level, m) => notes.push(m),
    });
    try {
      const m = await manager.start({ options: { ...resolved.options, count: 2 }, name: profile.name, profile, secretValues: values });
      await m.session.done;
      await new Promise((r) => setTimeout(r, 50));
      const events = [...m.log];
      checkInvariants(events);
      // The secrets really were used: the server got them, and they came back in its data.
      assert.ok(seenByServer.some((s) => s.includes(SECRETS['api-token'])));
      assert.ok(seenByServer.some((s) => s.includes(SECRETS['body-secret'])));
      assert.ok(events.some((e) => JSON.stringify(e).includes(SECRETS['api-token'])), 'the raw in-memory events hold the echoed token');

      const redaction = manager.redaction(m.id);
      const outputs: Record<string, string> = {
        ndjson: toNdjson(events, redaction),
        har: JSON.stringify(buildHar(events, { id: m.id, name: m.name, pattern: 'ws', url: m.url, headers: resolved.options.headers }, redaction)),
        sanitized: JSON.stringify(events.map((e) => manager.sanitize(m.id, e))),
        logs: logLines.join('\n') + notes.join('\n'),
      };
      for (const f of readdirSync(capDir)) outputs[`capture ${f}`] = readFileSync(join(capDir, f), 'utf8');
      assert.ok(Object.keys(outputs).some((k) => k.startsWith('capture ')), 'a capture file was written');
      for (const [name, text] of Object.entries(outputs)) {
        assert.deepEqual(leaks(text, values), [], `${name} leaks a secret`);
      }
      assert.ok(outputs.ndjson.includes('[secret]'), 'secrets are replaced, visibly');
    } finally {
      await manager.dispose();
    }
  });

  it('an MQTT session with a password from a basic-auth profile: the password is in no export or capture', async () => {
    const profile: Profile = {
      name: 'secret mqtt',
      pattern: 'mqtt',
      url: broker.url,
      auth: { type: 'basic', username: 'alice', secret: 'mqtt-pass' },
      mqtt: { subscribe: [{ topic: 'sec/t' }], publish: [{ topic: 'sec/t', payload: 'hello' }] },
    } as Profile;
    const resolved = await resolveProfile(profile, resolver);
    assert.equal(resolved.options.mqtt?.password, SECRETS['mqtt-pass']);
    const s = new Session({ ...resolved.options, count: 1 });
    const events: WireEvent[] = [];
    s.onEvent((e) => events.push(e));
    const path = join(dir, 'mqtt.ndjson');
    const writer = attachCapture(s, { path, redact: { secrets: resolved.secretValues } });
    await s.start();
    await s.done;
    await writer.end();
    checkInvariants(events);
    assert.equal(ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control).length, 1, 'the password was accepted by the broker');
    const outputs = {
      ndjson: toNdjson(events, { secrets: resolved.secretValues }),
      har: JSON.stringify(buildHar(events, { id: s.id, name: 'mqtt', pattern: 'mqtt', url: broker.url }, { secrets: resolved.secretValues })),
      capture: readFileSync(path, 'utf8'),
      // Without any redaction: the engine itself never logs the password.
      raw: JSON.stringify(events),
    };
    for (const [name, text] of Object.entries(outputs)) assert.deepEqual(leaks(text, [SECRETS['mqtt-pass']]), [], `${name} leaks the password`);
  });

  it('authorization-like headers are masked by default and shown only with an explicit reveal', () => {
    const e: WireEvent = {
      seq: 1,
      t: 0,
      ts: 1.7e12,
      kind: 'frame',
      dir: 'out',
      size: 0,
      encoding: 'utf8',
      data: '',
      meta: { method: 'GET', url: 'http://127.0.0.1/', headers: { Authorization: 'Bearer literal-token', Cookie: 'sid=abc123', 'X-Api-Key': 'k-123', Accept: 'text/plain' } },
    };
    const masked = sanitizeEvent(e, {}) as typeof e;
    assert.deepEqual(masked.meta?.headers, { Authorization: MASK, Cookie: MASK, 'X-Api-Key': MASK, Accept: 'text/plain' });
    const revealed = sanitizeEvent(e, { revealAuthHeaders: true }) as typeof e;
    assert.deepEqual(revealed.meta?.headers, (e.meta as { headers: unknown }).headers);
    // Revealing headers never reveals a registered secret value.
    const both = sanitizeEvent(e, { revealAuthHeaders: true, secrets: ['literal-token'] }) as typeof e;
    assert.equal((both.meta?.headers as Record<string, string>).Authorization, 'Bearer [secret]');

    const ndjsonMasked = toNdjson([e]);
    assert.ok(!ndjsonMasked.includes('literal-token') && !ndjsonMasked.includes('abc123'));
    const har = buildHar([e], { id: 'x', name: 'x', pattern: 'http', url: 'http://127.0.0.1/', headers: { Authorization: 'Bearer literal-token' } });
    assert.ok(!JSON.stringify(har).includes('literal-token'), 'HAR masks by default');
    const harRevealed = buildHar([e], { id: 'x', name: 'x', pattern: 'http', url: 'http://127.0.0.1/', headers: { Authorization: 'Bearer literal-token' } }, { revealAuthHeaders: true });
    assert.ok(JSON.stringify(harRevealed).includes('literal-token'), 'HAR shows it on explicit reveal');
  });
});
