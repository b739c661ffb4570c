import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameEvent, StateEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession, waitFor, wsServer } from '../../helpers/servers';

describe('ws transport', () => {
  it('logs handshake timing, text and binary frames, sends, and ends after --count', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (sock) => {
        sock.on('message', (m, isBinary) => sock.send(m, { binary: isBinary }));
        sock.send(Buffer.from([0, 1, 2, 255]), { binary: true });
      }),
    );
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url + '/x', send: ['hi'], count: 2 });
      checkInvariants(events);
      const states = ofKind(events, 'state').map((s) => s.state);
      assert.deepEqual(states, ['connecting', 'open', 'closing', 'closed']);
      const open = ofKind(events, 'state').find((s) => s.state === 'open') as StateEvent;
      assert.equal(open.url, srv.url + '/x');
      assert.equal((open.meta as { status: number }).status, 101);
      const timing = ofKind(events, 'timing')[0];
      assert.ok(timing, 'handshake timing');
      assert.equal(timing.phases.dns, null, 'IP literal: no DNS phase');
      assert.ok(timing.phases.connect !== null && timing.phases.connect >= 0);
      assert.equal(timing.phases.tls, null);
      assert.ok(timing.phases.total >= timing.phases.connect!);
      const frames = ofKind(events, 'frame').filter((f) => !f.meta?.control);
      const bin = frames.find((f) => f.encoding === 'base64') as FrameEvent;
      assert.equal(bin.data, Buffer.from([0, 1, 2, 255]).toString('base64'));
      assert.equal(bin.size, 4);
      assert.ok(frames.some((f) => f.dir === 'out' && f.data === 'hi' && f.size === 2));
      assert.ok(frames.some((f) => f.dir === 'in' && f.data === 'hi' && f.encoding === 'utf8'));
      const summary = events[events.length - 1];
      assert.equal(summary.kind, 'summary');
      if (summary.kind === 'summary') {
        assert.equal(summary.frames.out, 2, 'text + close frame');
        assert.ok(summary.frames.in >= 2);
        assert.equal(summary.reconnects, 0);
      }
    } finally {
      await srv.close();
    }
  });

  it('truncates a large frame in data but counts it in full in size', async () => {
    const big = 'x'.repeat(200_000);
    const srv = await wsServer((wss) => wss.on('connection', (s) => s.send(big)));
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, count: 1, previewLimit: 1000 });
      const f = ofKind(events, 'frame').find((e) => e.dir === 'in' && !e.meta?.control)!;
      assert.equal(f.size, 200_000);
      assert.equal(f.data.length, 1000);
      assert.equal(f.truncated, true);
    } finally {
      await srv.close();
    }
  });

  it('logs pings and pongs with opcodes and sends a ping on demand', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (s) => s.ping('srv')));
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url }, async (s, ev) => {
        await waitFor(ev, (es) => es.some((e) => e.kind === 'frame' && e.meta?.opcode === 9 && e.dir === 'in'));
        s.ping('hello');
        await waitFor(ev, (es) => es.some((e) => e.kind === 'frame' && e.meta?.opcode === 10 && e.dir === 'in'));
        await s.close();
      });
      const ctl = ofKind(events, 'frame').filter((f) => f.meta?.control);
      assert.ok(ctl.some((f) => f.dir === 'in' && f.meta?.opcode === 9 && f.data === 'srv'));
      assert.ok(ctl.some((f) => f.dir === 'out' && f.meta?.opcode === 9 && f.data === 'hello'));
      assert.ok(ctl.some((f) => f.dir === 'in' && f.meta?.opcode === 10 && f.data === 'hello'));
    } finally {
      await srv.close();
    }
  });

  it('reports the close code and reason when the server closes cleanly', async () => {
    const srv = await wsServer((wss) => wss.on('connection', (s) => setTimeout(() => s.close(1000, 'bye now'), 20)));
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url });
      const closed = ofKind(events, 'state').at(-1)!;
      assert.equal(closed.state, 'closed');
      assert.equal(closed.code, 1000);
      assert.equal(closed.reason, 'bye now');
    } finally {
      await srv.close();
    }
  });

  it('reconnects with backoff after the server drops the connection', async () => {
    let n = 0;
    const srv = await wsServer((wss) =>
      wss.on('connection', (s) => {
        n++;
        if (n === 1) setTimeout(() => s.terminate(), 20);
        else s.send('after');
      }),
    );
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, count: 1, reconnect: { initialDelayMs: 50, jitter: 0 } });
      checkInvariants(events);
      const rc = ofKind(events, 'reconnect');
      assert.equal(rc.length, 1);
      assert.equal(rc[0].attempt, 1);
      assert.equal(rc[0].delayMs, 50);
      assert.match(rc[0].cause, /1006/);
      const opens = ofKind(events, 'state').filter((s) => s.state === 'open');
      assert.equal(opens.length, 2);
      assert.equal(opens[1].meta?.reconnected, true);
      assert.ok(typeof opens[1].meta?.downtimeMs === 'number');
    } finally {
      await srv.close();
    }
  });

  it('logs a non-101 handshake with its status and body and fails', async () => {
    const srv = await wsServer(() => undefined, { verifyClient: (_i, cb) => cb(false, 403, 'Forbidden: no token') });
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url });
      const f = ofKind(events, 'frame').find((e) => e.dir === 'in')!;
      assert.equal(f.meta?.status, 403);
      assert.match(f.data, /Forbidden/);
      const err = ofKind(events, 'error')[0];
      assert.match(err.message, /HTTP 403/);
      assert.equal(ofKind(events, 'state').at(-1)!.state, 'failed');
      assert.equal(ofKind(events, 'reconnect').length, 0);
    } finally {
      await srv.close();
    }
  });

  it('fails with a one-line message on a refused connection and an invalid URL', async () => {
    const srv = await wsServer(() => undefined);
    const url = srv.url;
    await srv.close();
    const refused = await runSession({ pattern: 'ws', url });
    assert.match(ofKind(refused, 'error')[0].message, /^Connection refused/);
    assert.equal(ofKind(refused, 'state').at(-1)!.state, 'failed');
    const bad = await runSession({ pattern: 'ws', url: 'ws://exa mple:99999' });
    assert.match(ofKind(bad, 'error')[0].message, /^Invalid URL/);
    for (const e of [...ofKind(refused, 'error'), ...ofKind(bad, 'error')]) assert.ok(!e.message.includes('\n'));
  });

  it('sends subprotocols and custom headers', async () => {
    let seen: { proto?: string; auth?: string } = {};
    const srv = await wsServer(
      (wss) =>
        wss.on('connection', (s, req) => {
          seen = { proto: s.protocol, auth: req.headers['x-token'] as string };
          s.send('ok');
        }),
      { handleProtocols: (p) => (p.has('chat.v2') ? 'chat.v2' : false) },
    );
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, protocols: ['chat.v2'], headers: { 'X-Token': 'abc' }, count: 1 });
      assert.equal(seen.proto, 'chat.v2');
      assert.equal(seen.auth, 'abc');
      const open = ofKind(events, 'state').find((s) => s.state === 'open')!;
      assert.equal(open.meta?.protocol, 'chat.v2');
    } finally {
      await srv.close();
    }
  });
});
