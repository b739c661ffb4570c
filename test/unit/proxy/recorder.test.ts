/**
 * The capture proxy's recorder (src/core/proxy/recorder.ts): reports are recorded after the forwarding
 * path has returned, in the order they were made, stamped with the time the proxy saw the traffic; the
 * backlog is bounded (the report that crosses the cap records down to half first, and it is counted);
 * nothing is dropped. Also the session side of it (`TransportSink.at`), on a real Session.
 */
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Clock } from '../../../src/core/clock';
import { RecordingSink } from '../../../src/core/proxy/recorder';
import { Session } from '../../../src/core/session';
import type { Transport, TransportFactory, TransportSink } from '../../../src/core/transport';
import type { FrameEvent, WireEvent } from '../../../src/shared/events';

/** A sink that notes every call, with the time it was told the traffic happened. */
function noteSink(clock: { t: number }) {
  const calls: string[] = [];
  let at = -1;
  const sink: TransportSink = {
    previewLimit: 1024,
    now: () => clock.t,
    at: (t) => {
      at = t;
    },
    state: (s) => calls.push(`state ${s} @${at}`),
    frame: (dir, payload) => calls.push(`${dir} ${String(payload)} @${at}`),
    timing: () => calls.push(`timing @${at}`),
    reconnect: () => calls.push(`reconnect @${at}`),
    error: (m) => calls.push(`error ${m} @${at}`),
    emit: () => calls.push(`emit @${at}`),
    summarize: () => calls.push('summarize'),
  };
  return { sink, calls };
}

describe('capture proxy recorder', () => {
  it('records after the current task, in order, with the times the traffic was seen', async () => {
    const clock = { t: 10 };
    const { sink, calls } = noteSink(clock);
    const r = new RecordingSink(sink);
    r.frame('out', 'request');
    clock.t = 12; // same task: the reading taken for the task's first report is kept
    r.frame('in', 'head');
    r.later(3, () => sink.frame('in', 'decoded'));
    r.error('oops', 'E');
    assert.deepEqual(calls, [], 'nothing is recorded on the forwarding path');
    assert.equal(r.backlog, 4);
    await tick();
    assert.deepEqual(calls, ['out request @10', 'in head @10', 'in decoded @10', 'error oops @10']);
    clock.t = 20;
    r.timing({ dns: null, connect: null, tls: null, ttfb: null, download: null, total: 1 });
    clock.t = 25;
    await tick();
    assert.deepEqual(calls.slice(4), ['timing @20'], 'a later task reads the clock again');
    assert.equal(r.backlog, 0);
    assert.equal(r.stats.stalls, 0);
    assert.equal(r.stats.maxBacklog, 4);
    assert.equal(r.stats.maxLagMs, 5, 'the timing report waited from t=20 to t=25');
  });

  it('runs the reports a decoding task makes at once, between the reports queued before and after it', async () => {
    const clock = { t: 1 };
    const { sink, calls } = noteSink(clock);
    const r = new RecordingSink(sink);
    r.frame('in', 'a');
    r.later(1, () => {
      r.frame('in', 'b1');
      r.frame('in', 'b2');
    });
    r.frame('in', 'c');
    await tick();
    assert.deepEqual(calls, ['in a @1', 'in b1 @1', 'in b2 @1', 'in c @1']);
  });

  it('bounds the backlog: the report over the cap records down to half first, and nothing is dropped', async () => {
    const clock = { t: 0 };
    const { sink, calls } = noteSink(clock);
    // Each 744-byte frame counts 1000 bytes with the per-report estimate; the cap is 4000.
    const r = new RecordingSink(sink, 4000);
    const payload = (i: number) => `${i}`.padEnd(744, '.');
    for (let i = 1; i <= 4; i++) r.frame('in', payload(i));
    assert.equal(calls.length, 0, 'under the cap: nothing recorded yet');
    r.frame('in', payload(5));
    assert.equal(r.stats.stalls, 1);
    assert.equal(calls.length, 3, 'five reports (5000 bytes) recorded down to 2000 bytes: three recorded, two waiting');
    assert.equal(r.backlog, 2);
    await tick();
    assert.equal(calls.length, 5);
    assert.deepEqual(
      calls.map((c) => Number(c.split(' ')[1].replace(/\.+$/, ''))),
      [1, 2, 3, 4, 5],
    );
  });

  it('records in short slices while traffic flows, longer ones once the wire is quiet, and longer still near the cap', async () => {
    const clock = { t: 0 };
    const { sink } = noteSink(clock);
    /** One socket read's decoding: 64 KiB of payload that takes `ms` of wall-clock time to record. */
    const heavy = (r: RecordingSink, ms: number) =>
      r.later(64 * 1024, () => {
        const end = performance.now() + ms;
        while (performance.now() < end);
      });
    // Thirty reads' worth, far under the cap. The turn they arrived in records a short slice and gives the loop
    // back to forwarding; the next turn, with nothing new arrived, records a longer one.
    const r = new RecordingSink(sink, 1000 * 64 * 1024);
    for (let i = 0; i < 30; i++) heavy(r, 0.5);
    await tick();
    const busyTurn = 30 - r.backlog;
    assert.ok(busyTurn >= 1 && r.backlog > 0, `one slice, not the whole backlog (recorded ${busyTurn} of 30 in the turn they arrived)`);
    await tick();
    const quietTurn = 30 - busyTurn - r.backlog;
    assert.ok(quietTurn > busyTurn, `a quiet turn records more (${quietTurn} against ${busyTurn})`);
    r.flush();
    // Ninety reads' worth against a cap of a hundred: the slice grows with the backlog, so recording takes more of
    // the thread per turn before forwarding would have to wait.
    const near = new RecordingSink(sink, 100 * 64 * 1024);
    for (let i = 0; i < 90; i++) heavy(near, 0.5);
    await tick();
    const nearCapTurn = 90 - near.backlog;
    assert.ok(nearCapTurn > busyTurn, `near the cap a busy turn records more (${nearCapTurn} against ${busyTurn})`);
    assert.ok(near.backlog > 0, 'and still yields before the backlog is done');
    near.flush();
    assert.equal(near.backlog, 0);
    assert.equal(r.stats.stalls + near.stats.stalls, 0);
  });

  it('flush() records everything at once; a report that throws is one line and does not stop the rest', () => {
    const clock = { t: 0 };
    const { sink, calls } = noteSink(clock);
    const r = new RecordingSink(sink);
    r.frame('in', 'one');
    r.later(0, () => {
      throw new Error('a decoder failed');
    });
    r.frame('in', 'two');
    r.flush();
    assert.deepEqual(calls, ['in one @0', 'error Recording failed: a decoder failed @0', 'in two @0']);
    assert.equal(r.backlog, 0);
  });

  it('a real session stamps recorded events with the time the traffic was seen, never going back', async () => {
    let now = 0;
    const clock: Clock = { now: () => now, epochAt: (t) => 1_000_000 + Math.floor(t) };
    let recorder: RecordingSink | undefined;
    const factory: TransportFactory = ({ sink }) => {
      const t: Transport = {
        start: () => {
          sink.state('open');
          recorder = new RecordingSink(sink);
        },
        send: () => undefined,
        close: async () => {
          recorder?.flush();
          sink.state('closed');
        },
      } as unknown as Transport;
      return t;
    };
    const session = new Session({ pattern: 'ws', url: 'ws://127.0.0.1:1/' } as never, { clock, loadTransport: async () => factory });
    const events: WireEvent[] = [];
    session.onEvent((e) => events.push(e));
    await session.start();
    await tick();
    assert.ok(recorder);
    now = 5;
    recorder.frame('in', 'seen at 5');
    await tick();
    now = 7;
    recorder.frame('in', 'seen at 7');
    now = 9; // recorded at 9, seen at 7
    await tick();
    const frames = events.filter((e): e is FrameEvent => e.kind === 'frame');
    assert.deepEqual(
      frames.map((f) => [f.data, f.t, f.ts]),
      [
        ['seen at 5', 5, 1_000_005],
        ['seen at 7', 7, 1_000_007],
      ],
    );
    await session.close();
  });
});
