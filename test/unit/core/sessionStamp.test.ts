// The session reads its clock once per task (a burst of frames from one socket read shares its
// receive time). These tests pin what that must never break: time order, a fresh reading for
// every later task, and ts agreeing with t.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkInvariants, ofKind, runSession, wsServer } from '../../helpers/servers';

describe('session time stamps', () => {
  it('keeps t ordered, gives a later burst a later time, and keeps ts in step with t', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (sock) => {
        for (let i = 0; i < 200; i++) sock.send(`a${i}`);
        setTimeout(() => {
          for (let i = 0; i < 200; i++) sock.send(`b${i}`);
        }, 150);
      }),
    );
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, count: 400 });
      checkInvariants(events);
      const frames = ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control);
      assert.equal(frames.length, 400);
      const lastA = frames[199];
      const firstB = frames[200];
      assert.equal(lastA.data, 'a199');
      assert.equal(firstB.data, 'b0');
      // A stale reading carried over from the first burst would give the second one the same t. The
      // bursts are 150 ms apart at the server, so a fresh reading is far from 0 even when reading the
      // first burst took tens of ms on a loaded machine.
      assert.ok(firstB.t - lastA.t >= 60, `second burst at ${firstB.t} ms, first ended at ${lastA.t} ms`);
      const offset = events[0].ts - events[0].t;
      for (const e of events) assert.ok(Math.abs(e.ts - e.t - offset) <= 1, `ts ${e.ts} out of step with t ${e.t} at seq ${e.seq}`);
    } finally {
      await srv.close();
    }
  });

  it('stamps events emitted from timers and socket reads in between with their own readings', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (sock) => {
        let i = 0;
        const timer = setInterval(() => {
          sock.send(`tick ${i++}`);
          if (i === 5) clearInterval(timer);
        }, 15);
      }),
    );
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, count: 5 });
      checkInvariants(events);
      const ticks = ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control);
      assert.equal(ticks.length, 5);
      for (let k = 1; k < ticks.length; k++) assert.ok(ticks[k].t - ticks[k - 1].t >= 5, `ticks ${k - 1} and ${k} are ${ticks[k].t - ticks[k - 1].t} ms apart`);
    } finally {
      await srv.close();
    }
  });
});
