import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildHar } from '../../../src/core/export/har';
import { toNdjson } from '../../../src/core/export/ndjson';
import { resolveProfile, upsertProfileInText } from '../../../src/core/profiles';
import { DEFAULT_SETTINGS, SessionManager } from '../../../src/host/sessionManager';
import type { Profile } from '../../../src/shared/profile';
import { httpServer } from '../../helpers/servers';

describe('secrets never reach a file, an export or the log', () => {
  it('a bearer token and a ${secret:…} in the URL, echoed back by the server, are absent from every output', async () => {
    const TOKEN = 'tok-9f8e7d6c5b4a';
    const KEY = 'key-0a1b2c3d4e';
    const srv = await httpServer((req, res) => {
      // A careless server that reflects credentials everywhere it can.
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo-auth': String(req.headers.authorization), 'set-cookie': `sid=${TOKEN}` });
      res.end(JSON.stringify({ youSent: req.headers.authorization, url: req.url }));
    });
    const dir = await mkdtemp(join(tmpdir(), 'ws-secret-'));
    const logLines: string[] = [];
    const manager = new SessionManager({
      settings: () => ({ ...DEFAULT_SETTINGS, capture: { enabled: true, maxBytes: 1 << 20, dir: join(dir, 'captures') } }),
      log: (_level, line) => logLines.push(line),
    });
    try {
      const profile: Profile = { name: 'careless', pattern: 'http', url: `${srv.url}/items?api_key=\${secret:apikey}`, auth: { type: 'bearer', secret: 'token' } };
      const resolved = await resolveProfile(profile, {
        env: () => undefined,
        secret: async (name) => ({ token: TOKEN, apikey: KEY })[name],
        readFile: async () => '',
      });
      assert.ok(resolved.options.headers?.Authorization?.includes(TOKEN), 'the request really carries the secret');
      const m = await manager.start({ options: resolved.options, name: profile.name, profile, secretValues: resolved.secretValues });
      await m.session.done;
      await new Promise((r) => setTimeout(r, 50));
      const events = [...m.log];
      assert.ok(JSON.stringify(events).includes(TOKEN), 'the in-memory log holds what crossed the wire');

      const redaction = manager.redaction(m.id);
      await writeFile(join(dir, 'export.ndjson'), toNdjson(events, redaction));
      const o = m.session.options;
      await writeFile(join(dir, 'export.har'), JSON.stringify(buildHar(events, { id: m.id, name: m.name, pattern: m.pattern, url: o.url, method: o.method, headers: o.headers }, redaction)));
      await writeFile(join(dir, 'profiles.json'), upsertProfileInText('', m.profile));
      await writeFile(join(dir, 'extension.log'), logLines.join('\n'));
      await writeFile(join(dir, 'ui.json'), JSON.stringify(events.map((e) => manager.sanitize(m.id, e))));

      const files: string[] = [];
      for (const d of [dir, join(dir, 'captures')]) for (const f of await readdir(d)) if (f.includes('.')) files.push(join(d, f));
      assert.ok(files.length >= 6, `outputs: ${files.join(', ')}`);
      for (const f of files) {
        const text = await readFile(f, 'utf8');
        assert.ok(text.length > 0, `${f} is not empty`);
        for (const secret of [TOKEN, KEY]) assert.ok(!text.includes(secret), `${secret} found in ${f}`);
      }
      const har = JSON.parse(await readFile(join(dir, 'export.har'), 'utf8'));
      assert.equal(har.log.entries[0].response.status, 200);
      assert.match(har.log.entries[0].response.content.text, /\[secret\]/);
    } finally {
      await manager.dispose();
      await srv.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
