// Issue 11 §3/§5 on the host side, against real loopback servers: distinct names, how a session
// ended (outcome and reason), Clear Ended Sessions, the failure notice, a user-requested WebSocket
// reconnect, and sessions kept across a window reload (the archive), bounded and without secrets.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SessionLog } from '../../../src/core/sessionLog';
import { plainLine, watchFailures } from '../../../src/host/failureWatch';
import { SessionArchive } from '../../../src/host/sessionArchive';
import { SessionManager, distinctName, outcomeOf } from '../../../src/host/sessionManager';
import type { WireEvent } from '../../../src/shared/events';
import { httpServer, wsServer } from '../../helpers/servers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('sessions: names, outcomes, clearing, failure notices', () => {
  it('gives two sessions of one profile distinct names', async () => {
    assert.equal(distinctName('SSE feed', []), 'SSE feed');
    assert.equal(distinctName('SSE feed', ['SSE feed']), 'SSE feed #2');
    assert.equal(distinctName('SSE feed', ['SSE feed', 'SSE feed #2', 'SSE feed #3']), 'SSE feed #4');
    assert.equal(distinctName('SSE feed', ['SSE feed #2']), 'SSE feed', 'a free name is kept');
    const srv = await wsServer(() => undefined);
    const manager = new SessionManager();
    try {
      const profile = { name: 'feed', pattern: 'ws' as const, url: srv.url };
      const a = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'feed', profile });
      const b = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'feed', profile });
      assert.equal(a.name, 'feed');
      assert.equal(b.name, 'feed #2');
    } finally {
      await manager.dispose();
      await srv.close();
    }
  });

  it('says how a session ended: a completed request is ok, a refused connection failed with its reason', async () => {
    assert.equal(outcomeOf('closed', 'request complete'), 'ok');
    assert.equal(outcomeOf('closed', 'disconnected: connection reset'), 'dropped');
    assert.equal(outcomeOf('failed', 'connect ECONNREFUSED'), 'failed');
    assert.equal(outcomeOf('open', undefined), undefined);
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    const dead = await httpServer(() => undefined);
    const deadUrl = dead.url;
    await dead.close();
    const manager = new SessionManager();
    const failures: Array<[string, string]> = [];
    const watch = watchFailures(manager, (m, reason) => failures.push([m.name, reason]));
    try {
      const ok = await manager.start({ options: { pattern: 'http', url: `${srv.url}/items` }, name: 'REST', profile: { name: 'REST', pattern: 'http', url: `${srv.url}/items` } });
      await until(() => ok.session.ended);
      const info = manager.info(ok);
      assert.equal(info.state, 'closed');
      assert.equal(info.outcome, 'ok', 'a 200 answer is a success');
      assert.equal(failures.length, 0, 'no failure notice for a success');

      const bad = await manager.start({ options: { pattern: 'http', url: `${deadUrl}/x` }, name: 'Refused', profile: { name: 'Refused', pattern: 'http', url: `${deadUrl}/x` } });
      await until(() => bad.session.ended);
      await until(() => failures.length > 0);
      const badInfo = manager.info(bad);
      assert.equal(badInfo.state, 'failed');
      assert.equal(badInfo.outcome, 'failed');
      assert.match(badInfo.reason ?? '', /refused/i);
      assert.deepEqual(failures.map(([n]) => n), ['Refused'], 'one notice, for the failed session');
      assert.match(failures[0][1], /refused/i);
      // State changes after the failure do not repeat the notice.
      manager.notifyChanged();
      manager.notifyChanged();
      assert.equal(failures.length, 1);

      // Clear Ended Sessions: every ended one goes at once, live ones stay.
      const wss = await wsServer(() => undefined);
      try {
        const live = await manager.start({ options: { pattern: 'ws', url: wss.url }, name: 'live', profile: { name: 'live', pattern: 'ws', url: wss.url } });
        await until(() => live.session.state === 'open');
        assert.equal(manager.removeEnded(), 2);
        assert.deepEqual(manager.list().map((m) => m.name), ['live']);
        assert.equal(manager.removeEnded(), 0);
      } finally {
        await manager.dispose();
        await wss.close();
      }
    } finally {
      watch.dispose();
      await manager.dispose();
      await srv.close();
    }
  });

  it('turns a hostile reason into one plain line for a notification', () => {
    assert.equal(plainLine('bad\r\n[click](command:evil)\u202Egone'), 'bad click(command:evil) gone');
    assert.equal(plainLine('x'.repeat(400)).length, 300);
  });

  it('logs a user-requested WebSocket reconnect as such: no close code 1006, no backoff', async () => {
    let connections = 0;
    const srv = await wsServer((wss) => wss.on('connection', () => connections++));
    const manager = new SessionManager();
    try {
      const m = await manager.start({ options: { pattern: 'ws', url: srv.url, reconnect: { initialDelayMs: 5000, jitter: 0 } }, name: 'ws', profile: { name: 'ws', pattern: 'ws', url: srv.url } });
      await until(() => m.session.state === 'open');
      const started = Date.now();
      await manager.reconnect(m.id);
      await until(() => connections === 2 && m.session.state === 'open', 3000);
      assert.ok(Date.now() - started < 2000, 'reconnected at once, not after the 5 s backoff');
      const events = [...m.log];
      const rc = events.filter((e) => e.kind === 'reconnect');
      assert.equal(rc.length, 1);
      assert.equal(rc[0].kind === 'reconnect' && rc[0].cause, 'reconnect requested by user');
      assert.equal(rc[0].kind === 'reconnect' && rc[0].delayMs, 0);
      assert.deepEqual(rc[0].kind === 'reconnect' && rc[0].meta, { requested: 'user' });
      const reconnecting = events.find((e) => e.kind === 'state' && e.state === 'reconnecting');
      assert.ok(reconnecting && reconnecting.kind === 'state');
      assert.equal(reconnecting.code, undefined, 'no close code 1006');
      assert.equal(reconnecting.reason, 'reconnect requested by user');
    } finally {
      await manager.dispose();
      await srv.close();
    }
  });
});

describe('sessions across a window reload', () => {
  it('restores ended and live sessions with their logs, redacted and bounded; Reconnect starts anew', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirescope-archive-'));
    const srv = await wsServer((wss) => wss.on('connection', (s) => {
      s.send('hello one');
      s.send('token s3cr3t-value here');
    }));
    try {
      const archive = new SessionArchive({ dir });
      const first = new SessionManager({ archive });
      const profile = { name: 'WS feed', pattern: 'ws' as const, url: srv.url, headers: { Authorization: 'Bearer ${secret:ws.token}' } };
      const ended = await first.start({ options: { pattern: 'ws', url: srv.url }, name: 'WS feed', profile, secretValues: ['s3cr3t-value'] });
      await until(() => ended.log.stats().framesIn >= 2);
      await first.disconnect(ended.id);
      const live = await first.start({ options: { pattern: 'ws', url: srv.url }, name: 'WS feed', profile, secretValues: ['s3cr3t-value'] });
      await until(() => live.log.stats().framesIn >= 2);
      const liveEvents = live.log.size;
      // The window goes: the manager is disposed (live sessions close), the files are complete.
      await first.dispose();
      const files = await readdir(dir);
      assert.equal(files.length, 2);
      for (const f of files) assert.doesNotMatch(await readFile(join(dir, f), 'utf8'), /s3cr3t-value/, 'no secret value on disk');

      const second = new SessionManager({ archive: new SessionArchive({ dir }) });
      const restarted: string[] = [];
      second.restartHandler = async (m) => {
        restarted.push(m.name);
        return undefined;
      };
      assert.equal(await second.restoreArchived(), 2);
      const [a, b] = second.list();
      assert.deepEqual([a.name, b.name], ['WS feed', 'WS feed #2']);
      for (const m of [a, b]) {
        const info = second.info(m);
        assert.equal(info.ended, true);
        assert.equal(info.restored, true);
        assert.equal(info.canReconnect, true);
        assert.equal(info.outcome, 'ok');
        const frames = [...m.log].filter((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true) as Array<{ data: string }>;
        assert.deepEqual(frames.map((f) => f.data), ['hello one', 'token [secret] here']);
        assert.deepEqual(m.profile.headers, { Authorization: 'Bearer ${secret:ws.token}' }, 'the unresolved profile comes back for Reconnect');
      }
      assert.ok(b.log.size >= liveEvents, `the live session comes back with its whole log (${b.log.size} >= ${liveEvents})`);
      assert.equal(second.info(b).reason, 'VS Code window closing', 'the live one says the window closed it');
      await second.reconnect(b.id);
      assert.deepEqual(restarted, ['WS feed #2'], 'Reconnect of a restored session starts it from its profile');
      // Removing a restored session forgets its file.
      await second.remove(a.id);
      await sleep(50);
      assert.equal((await readdir(dir)).length, 1);
      assert.equal(second.removeEnded(), 1);
      await sleep(50);
      assert.equal((await readdir(dir)).length, 0);
      await second.dispose();
    } finally {
      await srv.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a password in the URL reaches no archive file: neither the session URL nor the profile kept for Reconnect', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirescope-archive-'));
    const srv = await wsServer((wss) => wss.on('connection', (s) => s.send('hi')));
    try {
      const manager = new SessionManager({ archive: new SessionArchive({ dir }) });
      const url = srv.url.replace('ws://', 'ws://alice:Url-Pa55word@');
      const m = await manager.start({ options: { pattern: 'ws', url }, name: 'WS with user info', profile: { name: 'WS with user info', pattern: 'ws', url } });
      await until(() => m.log.stats().framesIn >= 1);
      await manager.dispose();
      const files = await readdir(dir);
      assert.equal(files.length, 1);
      const text = await readFile(join(dir, files[0]), 'utf8');
      assert.doesNotMatch(text, /Url-Pa55word/, 'no URL password on disk');
      assert.match(text, /alice:\*\*\*@|alice:%2A%2A%2A@|alice@/, 'the user name stays, the password masked');
    } finally {
      await srv.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps at most maxSessions files, each at most maxBytes, and skips damaged files with a log line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wirescope-archive-'));
    const lines: string[] = [];
    try {
      const archive = new SessionArchive({ dir, maxSessions: 3, maxBytes: 4096, log: (_l, line) => lines.push(line) });
      const info = { name: 'n', pattern: 'ws' as const, url: 'ws://127.0.0.1:1/', startedAt: 1, profile: { name: 'n', pattern: 'ws' as const, url: 'ws://127.0.0.1:1/' } };
      for (let i = 0; i < 5; i++) {
        const w = archive.open({ ...info, name: `s${i}` }, {})!;
        for (let k = 1; k <= 200; k++) w.write({ seq: k, t: k, ts: k, kind: 'frame', dir: 'in', size: 40, encoding: 'utf8', data: 'x'.repeat(40) } as WireEvent);
        await w.end();
        await sleep(5);
      }
      const files = await readdir(dir);
      assert.equal(files.length, 3, 'the oldest files go');
      for (const f of files) assert.ok((await readFile(join(dir, f))).length <= 4096, 'each file within its cap');
      await writeFile(join(dir, 'zz-damaged.ndjson'), 'not json\n');
      const restored = await archive.restore();
      assert.deepEqual(restored.map((r) => r.info.name).sort(), ['s3', 's4'], 'kept the newest; the damaged file made the oldest go');
      assert.ok(restored.every((r) => r.events.length > 10 && r.events.length < 200));
      assert.ok(lines.some((l) => /no session record/.test(l)));
      // A file without the end record (the window was killed) still comes back.
      const cut = archive.open({ ...info, name: 'cut' }, {})!;
      cut.write({ seq: 1, t: 1, ts: 1, kind: 'state', state: 'open' } as WireEvent);
      await sleep(50);
      const log = new SessionLog();
      const back = (await archive.restore()).find((r) => r.info.name === 'cut');
      assert.ok(back);
      for (const e of back.events) log.append(e);
      assert.equal(log.size, 1);
      await cut.end();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
