import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseNdjson } from '../../../src/core/export/ndjson';
import { DEFAULT_SETTINGS, SessionManager, checkPayload } from '../../../src/host/sessionManager';
import { checkInvariants, wsServer } from '../../helpers/servers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('session manager', () => {
  it('keeps each session in its log, sends text/hex/base64, reports state changes, and restarts an ended session', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (s) => s.on('message', (m, bin) => s.send(m, { binary: bin }))));
    const manager = new SessionManager();
    let changes = 0;
    manager.onDidChangeSessions(() => changes++);
    try {
      const m = await manager.start({ options: { pattern: 'ws', url: srv.url }, name: 'echo', profile: { name: 'echo', pattern: 'ws', url: srv.url, templates: [{ name: 't', data: 'x' }] } });
      await until(() => m.session.state === 'open');
      await manager.send(m.id, 'hello', 'text');
      await manager.send(m.id, 'de ad be ef', 'hex');
      await manager.send(m.id, Buffer.from('b64!').toString('base64'), 'base64');
      await until(() => m.log.stats().framesIn >= 3);
      const ins = [...m.log].filter((e) => e.kind === 'frame' && e.dir === 'in') as Array<{ data: string; encoding: string }>;
      assert.deepEqual(ins.map((f) => (f.encoding === 'base64' ? Buffer.from(f.data, 'base64').toString('hex') : f.data)), ['hello', 'deadbeef', Buffer.from('b64!').toString('hex')]);
      const info = manager.info(m);
      assert.equal(info.state, 'open');
      assert.equal(info.canSend, true);
      assert.equal(info.canPing, true);
      assert.deepEqual(info.templates, [{ name: 't', data: 'x' }]);
      await assert.rejects(manager.send(m.id, 'zz', 'hex'), /Not valid hex/);
      assert.equal(checkPayload('abc', 'base64'), undefined);
      assert.match(checkPayload('a', 'base64')!, /Not valid base64/);

      await manager.disconnect(m.id);
      checkInvariants([...m.log]);
      assert.equal(manager.info(m).ended, true);
      assert.equal(manager.info(m).canSend, false);
      assert.ok(changes >= 3, 'state changes are announced');
      await assert.rejects(manager.send(m.id, 'late', 'text'), /ended|not open/);

      const again = await manager.reconnect(m.id);
      assert.notEqual(again.id, m.id, 'an ended session restarts as a new one');
      assert.equal(manager.selected, again.id);
      await until(() => again.session.state === 'open');
      assert.equal(again.name, 'echo #2', 'a second session of the same profile gets a distinct name');

      // A live session reconnects in place and its log continues.
      const same = await manager.reconnect(again.id);
      assert.equal(same.id, again.id);
      await until(() => [...again.log].some((e) => e.kind === 'reconnect'));
      await until(() => again.session.state === 'open');

      await manager.remove(m.id);
      assert.equal(manager.get(m.id), undefined);
    } finally {
      await manager.dispose();
      await srv.close();
    }
  });

  it('captures to disk as NDJSON without secrets and stops at the size cap with a message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ws-cap-'));
    const srv = await wsServer((wss) =>
      wss.on('connection', (s) => {
        for (let i = 0; i < 200; i++) s.send(`msg ${i} token=TOPSECRET-1 ${'x'.repeat(100)}`);
      }),
    );
    const notes: string[] = [];
    const manager = new SessionManager({
      settings: () => ({ ...DEFAULT_SETTINGS, capture: { enabled: true, maxBytes: 8 * 1024, dir } }),
      notify: (_l, m) => notes.push(m),
    });
    try {
      const m = await manager.start({ options: { pattern: 'ws', url: srv.url, count: 200 }, name: 'cap', profile: { name: 'cap', pattern: 'ws', url: srv.url }, secretValues: ['TOPSECRET-1'] });
      await m.session.done;
      await sleep(50);
      const files = await readdir(dir);
      assert.equal(files.length, 1);
      const text = await readFile(join(dir, files[0]), 'utf8');
      assert.ok(!text.includes('TOPSECRET-1'), 'the secret never reaches the disk');
      assert.ok(text.includes('token=[secret]'));
      assert.ok(Buffer.byteLength(text) <= 8 * 1024);
      const events = parseNdjson(text);
      assert.equal(events[0].seq, 1);
      assert.ok(events.length < m.log.size, 'capture stopped early');
      const dataIn = [...m.log].filter((e) => e.kind === 'frame' && e.dir === 'in' && !e.meta?.control).length;
      assert.equal(dataIn, 200, 'the in-memory log continues past the disk cap');
      assert.ok(notes.some((n) => /stopped at its size cap/.test(n)));
      assert.match(m.captureNote ?? '', /size cap/);
    } finally {
      await manager.dispose();
      await srv.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failing connection ends as failed with a one-line reason', async () => {
    const manager = new SessionManager();
    try {
      const m = await manager.start({ options: { pattern: 'ws', url: 'ws://127.0.0.1:1/' }, name: 'refused', profile: { name: 'refused', pattern: 'ws', url: 'ws://127.0.0.1:1/' } });
      await m.session.done;
      assert.equal(manager.info(m).state, 'failed');
      const err = [...m.log].find((e) => e.kind === 'error') as { message: string } | undefined;
      assert.match(err?.message ?? '', /Connection refused/);
    } finally {
      await manager.dispose();
    }
  });
});
