// One conformance suite, run against every registered pattern (as MQTT.js runs one abstract client
// suite against tcp, tls and ws): the shared contract of states, sequence, summary, reconnects, close
// and failures. Each pattern's fixture (fixtures.ts) starts a real server on 127.0.0.1 and says how a
// row applies where the pattern differs; nothing is skipped.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { PATTERNS, type ConnectOptions } from '../../../src/shared/connectOptions';
import type { StateEvent, SummaryEvent, WireEvent } from '../../../src/shared/events';
import { Session } from '../../../src/core/session';
import { isPatternAvailable, loadTransport } from '../../../src/core/registry';
import type { Transport } from '../../../src/core/transport';
import { checkInvariants, ofKind, waitFor } from '../../helpers/servers';
import { freePort } from '../../../src/core/freePort';
import { FIXTURES, type Fixture, type LiveServer } from './fixtures';
import { stopSharedRabbit } from '../../helpers/rabbitmq';

// The amqp rows share one RabbitMQ node (started by the first of them): stopped with its process groups at the end.
after(() => stopSharedRabbit());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reject when `p` takes longer than `ms`: every wait in this suite is bounded. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface Run {
  session: Session;
  events: WireEvent[];
  /** The transport the session built, for the contract-level close() row. */
  transport(): Transport;
}

function open(options: ConnectOptions): Run {
  let built: Transport | undefined;
  const session = new Session(options, {
    loadTransport: async (pattern) => {
      const factory = await loadTransport(pattern);
      return (ctx) => (built = factory(ctx));
    },
  });
  const events: WireEvent[] = [];
  session.onEvent((e) => events.push(e));
  return {
    session,
    events,
    transport: () => {
      assert.ok(built, 'the session built its transport');
      return built;
    },
  };
}

/** Start the session and wait until it is open and established (the webhook's caller is sent here). */
async function establish(fx: Fixture, srv: LiveServer, run: Run): Promise<StateEvent> {
  await run.session.start();
  await waitFor(run.events, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'), 8000);
  const opened = ofKind(run.events, 'state').find((s) => s.state === 'open')!;
  await srv.provoke(opened);
  await waitFor(run.events, fx.established, 8000);
  return opened;
}

/** The contract's shape of any finished session: seq 1..n, t non-decreasing, one terminal state, summary last. */
function assertFinished(events: WireEvent[]): SummaryEvent {
  checkInvariants(events);
  const summaries = events.filter((e) => e.kind === 'summary');
  assert.equal(summaries.length, 1, 'exactly one summary');
  const terminal = ofKind(events, 'state').filter((s) => s.state === 'closed' || s.state === 'failed');
  assert.equal(terminal.length, 1, 'exactly one terminal state');
  return events[events.length - 1] as SummaryEvent;
}

/** The summary counts equal what the frame events show. */
function assertCounts(events: WireEvent[], summary: SummaryEvent): void {
  const frames = ofKind(events, 'frame');
  const sum = (dir: 'in' | 'out') => frames.filter((f) => f.dir === dir).reduce((n, f) => n + f.size, 0);
  assert.deepEqual(summary.frames, {
    in: frames.filter((f) => f.dir === 'in').length,
    out: frames.filter((f) => f.dir === 'out').length,
  });
  assert.deepEqual(summary.bytes, { in: sum('in'), out: sum('out') });
  assert.equal(summary.reconnects, ofKind(events, 'reconnect').length, 'summary.reconnects = reconnect events');
  assert.equal(summary.state, ofKind(events, 'state').at(-1)!.state, 'summary.state = the terminal state');
}

/** One line for people: no newline, no stack frame, not empty. */
function assertOneLine(message: string | undefined, what: string): void {
  assert.equal(typeof message, 'string', `${what} is a string`);
  assert.ok(message!.trim().length > 0, `${what} is not empty`);
  assert.ok(!/[\r\n]/.test(message!), `${what} is one line: ${JSON.stringify(message)}`);
  assert.ok(!/\bat .*[\w)]:\d+:\d+/.test(message!), `${what} has no stack frame: ${message}`);
}

/** Active handles and requests by type, to compare with a baseline. */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

function excess(now: Map<string, number>, base: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [type, n] of now) if (n > (base.get(type) ?? 0)) out.push(`${type} +${n - (base.get(type) ?? 0)}`);
  return out;
}

/**
 * Wait (bounded) until nothing beyond the baseline keeps the event loop alive, and stays so for a moment
 * (a listen or reconnect still in flight shows up only later); returns what is left over.
 */
async function settleTo(base: Map<string, number>, ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    let left = excess(resources(), base);
    if (left.length === 0) {
      await pause(150);
      left = excess(resources(), base);
      if (left.length === 0) return left;
    }
    if (Date.now() > until) return left;
    await pause(20);
  }
}

/**
 * Run a row against a fresh server. Every row, whatever its path (closed, failed, reconnected), must also
 * leave no handle of its own behind once the session has ended.
 */
async function withServer(fx: Fixture, body: (srv: LiveServer) => Promise<void>): Promise<void> {
  const srv = await fx.start();
  try {
    await noHandlesLeft(() => body(srv));
  } finally {
    await srv.close();
  }
}

/**
 * What is active before a row starts. A handle closed just before (the previous row's server) can still be
 * counted for a moment; a baseline that includes it would hide a leak of the same type, so take the lower count.
 */
async function baseline(): Promise<Map<string, number>> {
  const first = resources();
  await pause(50);
  const second = resources();
  for (const [type, n] of second) second.set(type, Math.min(n, first.get(type) ?? 0));
  return second;
}

/** Run `body` and then check that the handles it opened are gone (bounded wait). */
async function noHandlesLeft(body: () => Promise<void>): Promise<void> {
  const base = await baseline();
  await body();
  const left = await settleTo(base, 3000);
  assert.deepEqual(left, [], `handles left after the session ended: ${left.join(', ')}`);
}

describe('conformance: the fixture table covers every pattern', () => {
  it('has exactly one fixture per registered pattern', () => {
    const registered = PATTERNS.filter((p) => isPatternAvailable(p));
    assert.deepEqual(FIXTURES.map((f) => f.pattern).sort(), [...registered].sort());
    assert.equal(registered.length, PATTERNS.length, 'every pattern of the contract has a transport');
  });

  it('states a reason wherever a pattern answers a row differently', () => {
    for (const fx of FIXTURES) {
      if (fx.recovery.kind !== 'reconnect') assert.ok(fx.recovery.reason.length > 20, `${fx.pattern}: recovery reason`);
      if (fx.noServer.kind !== 'closed-port') assert.ok(fx.noServer.reason.length > 20, `${fx.pattern}: no-server reason`);
      if (fx.invalidTarget.kind !== 'url') assert.ok(fx.invalidTarget.reason.length > 20, `${fx.pattern}: invalid-target reason`);
    }
  });
});

for (const fx of FIXTURES) {
  describe(`conformance: ${fx.pattern}`, () => {
    it('closed by the user: connecting -> open -> closing -> closed, ordered events, counts that add up, nothing after', async () => {
      await withServer(fx, async (srv) => {
        const run = open(srv.options);
        try {
          await establish(fx, srv, run);
          const [a, b] = await within(5000, Promise.all([run.session.close('done here'), run.session.close('again')]), 'close twice');
          assert.equal(a, b, 'both closes resolve with the one summary');
          assert.equal(await within(1000, run.session.close('third time'), 'third close'), a);
          const summary = assertFinished(run.events);
          assert.deepEqual(
            ofKind(run.events, 'state').map((s) => s.state),
            ['connecting', 'open', 'closing', 'closed'],
          );
          assert.equal(ofKind(run.events, 'state').at(-1)!.reason, 'done here', 'the first close reason wins');
          assert.equal(ofKind(run.events, 'error').length, 0, `no errors: ${JSON.stringify(ofKind(run.events, 'error'))}`);
          assertCounts(run.events, summary);
          assert.ok(summary.frames.in + summary.frames.out > 0, 'the session exchanged frames');
          const seen = run.events.length;
          // A request already on the wire when close() ran (long-poll re-issues at once) reaches the server
          // a moment later; what must not happen is a new one after that.
          await pause(50);
          const hits = srv.hits();
          await pause(200);
          assert.equal(run.events.length, seen, 'no event after the summary');
          assert.equal(srv.hits(), hits, 'no request or connection after close');
        } finally {
          await run.session.close();
        }
      });
    });

    it('transport.close() twice is safe: both resolve, one terminal state, a third call resolves too', async () => {
      await withServer(fx, async (srv) => {
        const run = open(srv.options);
        try {
          await establish(fx, srv, run);
          const t = run.transport();
          await within(5000, Promise.all([t.close('first'), t.close('second')]), 'transport close twice');
          // close() resolves after the terminal state was reported.
          const terminal = ofKind(run.events, 'state').filter((s) => s.state === 'closed' || s.state === 'failed');
          assert.equal(terminal.length, 1);
          assert.equal(terminal[0].state, 'closed');
          await within(1000, t.close('third'), 'third transport close');
          const summary = await within(1000, run.session.done, 'session end');
          assert.equal(summary.state, 'closed');
          assertFinished(run.events);
          assertCounts(run.events, summary);
        } finally {
          await run.session.close();
        }
      });
    });

    it('leaves nothing running after close: active handles return to the baseline', async () => {
      await withServer(fx, async (srv) => {
        const base = await baseline();
        const run = open(srv.options);
        try {
          await establish(fx, srv, run);
          await within(5000, run.session.close(), 'close');
          const left = await settleTo(base, 3000);
          assert.deepEqual(left, [], `handles left after close: ${left.join(', ')}`);
        } finally {
          await run.session.close();
        }
      });
    });

    it('count: 1 ends the session with state closed after one inbound data frame', async () => {
      await withServer(fx, async (srv) => {
        const run = open({ ...(srv.countOptions ?? srv.options), count: 1 });
        try {
          await run.session.start();
          if (fx.pattern === 'webhook') {
            await waitFor(run.events, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'), 8000);
            await srv.provoke(ofKind(run.events, 'state').find((s) => s.state === 'open')!);
          }
          const summary = await within(10_000, run.session.done, 'count: 1 ends the session');
          assertFinished(run.events);
          assertCounts(run.events, summary);
          assert.equal(summary.state, 'closed');
          const dataIn = ofKind(run.events, 'frame').filter((f) => f.dir === 'in' && f.meta?.control !== true);
          assert.ok(dataIn.length >= 1, 'at least the counted frame');
          const closing = ofKind(run.events, 'state').find((s) => s.state === 'closing');
          assert.ok(closing, 'the count closes the session');
          assert.equal(closing.reason, 'count reached');
          assert.ok(closing.seq > dataIn[0].seq, 'closing follows the counted frame');
          assert.equal(dataIn.filter((f) => f.seq < closing.seq).length, 1, 'exactly one data frame before the count closed it');
        } finally {
          await run.session.close();
        }
      });
    });

    const recovery = fx.recovery;
    const rowName =
      recovery.kind === 'reconnect'
        ? 'a server drop gives a reconnect event and the session opens again'
        : recovery.kind === 'next-poll'
          ? `a server drop fails one poll and the next poll answers (${recovery.reason})`
          : recovery.kind === 'fails'
            ? `a server drop fails the session with one line and no retry (${recovery.reason})`
            : `a caller hanging up mid-request leaves the session open for the next caller (${recovery.reason})`;
    it(rowName, async () => {
      await withServer(fx, async (srv) => {
        const run = open(srv.options);
        const { events } = run;
        try {
          const opened = await establish(fx, srv, run);
          const mark = events.length;
          await srv.drop();
          if (recovery.kind === 'reconnect') {
            await waitFor(events, (es) => es.slice(mark).some((e) => e.kind === 'reconnect'), 10_000);
            const rc = ofKind(events.slice(mark), 'reconnect')[0];
            await waitFor(events, (es) => es.some((e) => e.kind === 'state' && e.state === 'open' && e.seq > rc.seq), 10_000);
            await within(5000, run.session.close(), 'close');
            const summary = assertFinished(events);
            assertCounts(events, summary);
            assert.equal(summary.state, 'closed');
            assert.ok(rc.attempt >= 1, 'attempts count from 1');
            assert.ok(Number.isFinite(rc.delayMs) && rc.delayMs >= 0, `delay ${rc.delayMs}`);
            assertOneLine(rc.cause, 'reconnect cause');
            const states = ofKind(events, 'state');
            const reconnecting = states.find((s) => s.state === 'reconnecting');
            assert.ok(reconnecting && reconnecting.seq < rc.seq, 'reconnecting state before the reconnect event');
            const reopened = states.find((s) => s.state === 'open' && s.seq > rc.seq)!;
            assert.equal(reopened.meta?.reconnected, true, 'the second open says it is a reconnection');
            assert.ok(summary.reconnects >= 1);
          } else if (recovery.kind === 'next-poll') {
            await waitFor(events, (es) => es.slice(mark).some((e) => e.kind === 'error'), 8000);
            const err = ofKind(events.slice(mark), 'error')[0];
            await waitFor(events, (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.seq > err.seq && e.meta?.status === 200), 8000);
            await within(5000, run.session.close(), 'close');
            const summary = assertFinished(events);
            assertCounts(events, summary);
            assertOneLine(err.message, 'poll failure');
            assert.equal(summary.state, 'closed', 'polling went on after the failure');
            assert.ok(!ofKind(events, 'state').some((s) => s.state === 'failed'));
          } else if (recovery.kind === 'fails') {
            const summary = await within(8000, run.session.done, 'the cut exchange ends the session');
            assertFinished(events);
            assertCounts(events, summary);
            assert.equal(summary.state, 'failed');
            assert.equal(ofKind(events, 'reconnect').length, 0, 'nothing retries');
            const errors = ofKind(events.slice(mark), 'error');
            assert.ok(errors.length >= 1, 'the failure is an error event');
            for (const e of errors) assertOneLine(e.message, 'error message');
            assertOneLine(ofKind(events, 'state').at(-1)!.reason, 'failed reason');
          } else {
            const before = ofKind(events, 'frame').filter((f) => f.dir === 'in').length;
            await srv.provoke(opened);
            await waitFor(events, (es) => ofKind(es, 'frame').filter((f) => f.dir === 'in').length > before, 8000);
            assert.equal(run.session.ended, false, 'the receiver is still open');
            await within(5000, run.session.close(), 'close');
            const summary = assertFinished(events);
            assertCounts(events, summary);
            assert.equal(summary.state, 'closed');
            assert.equal(ofKind(events, 'reconnect').length, 0);
            assert.deepEqual(
              ofKind(events, 'state').map((s) => s.state),
              ['connecting', 'open', 'closing', 'closed'],
            );
          }
        } finally {
          await run.session.close();
        }
      });
    });

    const lifecycle = fx.lifecycle;
    const giveUpName =
      lifecycle.kind === 'reconnects'
        ? 'gives up after maxAttempts: reconnect events 1..n, then one error and failed, worded as for every pattern'
        : lifecycle.kind === 'polls'
          ? `gives up after maxAttempts failed polls, worded as for every pattern (${lifecycle.reason})`
          : `nothing to give up on: no reconnecting, whatever maxAttempts says (${lifecycle.reason})`;
    it(giveUpName, async () => {
      await withServer(fx, async (srv) => {
        const options: ConnectOptions = { ...srv.options, reconnect: { ...(srv.options.reconnect ?? {}), initialDelayMs: 20, jitter: 0, maxAttempts: 2 } };
        const run = open(options);
        const { events } = run;
        try {
          const opened = await establish(fx, srv, run);
          const mark = events.length;
          if (lifecycle.kind === 'none' && fx.recovery.kind === 'stays-open') {
            // More hang-ups than maxAttempts: a receiver counts nothing and stays open for the next caller.
            for (let i = 0; i < 3; i++) await srv.drop();
            const before = ofKind(events, 'frame').filter((f) => f.dir === 'in').length;
            await srv.provoke(opened);
            await waitFor(events, (es) => ofKind(es, 'frame').filter((f) => f.dir === 'in').length > before, 8000);
            assert.equal(run.session.ended, false, 'the receiver is still open');
            await within(5000, run.session.close(), 'close');
            const summary = assertFinished(events);
            assert.equal(summary.state, 'closed');
            assert.ok(!ofKind(events, 'state').some((s) => s.state === 'reconnecting'));
            assert.equal(ofKind(events, 'reconnect').length, 0);
            return;
          }
          await srv.goAway();
          const summary = await within(15_000, run.session.done, 'the session gives up');
          assertFinished(events);
          assertCounts(events, summary);
          assert.equal(summary.state, 'failed');
          const terminal = ofKind(events, 'state').at(-1)!;
          assertOneLine(terminal.reason, 'failed reason');
          const errors = ofKind(events.slice(mark), 'error');
          for (const e of errors) assertOneLine(e.message, 'error message');
          const gaveUp = errors.filter((e) => e.code === 'ERR_RECONNECT_EXHAUSTED');
          if (lifecycle.kind === 'none') {
            assert.ok(!ofKind(events, 'state').some((s) => s.state === 'reconnecting'), 'never reconnecting');
            assert.equal(ofKind(events, 'reconnect').length, 0, 'nothing retries');
            assert.equal(gaveUp.length, 0, 'no give-up: there was nothing to retry');
            assert.ok(errors.length >= 1, 'the failure is an error event');
            return;
          }
          // The one wording, the one code, and the terminal state says the same.
          assert.equal(gaveUp.length, 1, `one give-up error: ${JSON.stringify(errors)}`);
          assert.match(gaveUp[0].message, /^gave up after 2 reconnect attempts: Connection refused/);
          assert.equal(terminal.reason, gaveUp[0].message, 'the failed state carries the give-up line');
          assert.ok(gaveUp[0].seq < terminal.seq && errors.at(-1) === gaveUp[0], 'the give-up is the last error, before failed');
          const rcs = ofKind(events.slice(mark), 'reconnect');
          if (lifecycle.kind === 'polls') {
            assert.equal(rcs.length, 0, 'polling has no reconnect events');
            assert.ok(!ofKind(events, 'state').some((s) => s.state === 'reconnecting'));
            return;
          }
          assert.deepEqual(rcs.map((r) => r.attempt), [1, 2], 'attempts 1 and 2, then no more');
          assert.equal(summary.reconnects, 2);
          for (const rc of rcs) {
            assertOneLine(rc.cause, 'reconnect cause');
            assert.ok(Number.isFinite(rc.delayMs) && rc.delayMs >= 0, `delay ${rc.delayMs}`);
          }
          assert.match(rcs[1].cause, /^Connection refused/, 'the second attempt follows a refused one');
          const reconnecting = ofKind(events.slice(mark), 'state').filter((s) => s.state === 'reconnecting');
          assert.ok(reconnecting.length >= 1 && reconnecting[0].seq < rcs[0].seq, 'reconnecting before the first attempt');
          assert.ok(!ofKind(events.slice(mark), 'state').some((s) => s.state === 'open'), 'never open again');
        } finally {
          await run.session.close();
        }
      });
    });

    const reconnectName =
      lifecycle.kind === 'reconnects'
        ? 'user-requested reconnect: the connection drops with that cause, one reconnect event, open again, data flows'
        : `user-requested reconnect is refused with one line and the session goes on (${lifecycle.reason})`;
    it(reconnectName, async () => {
      await withServer(fx, async (srv) => {
        const run = open(srv.options);
        const { events } = run;
        try {
          await establish(fx, srv, run);
          const mark = events.length;
          if (lifecycle.kind !== 'reconnects') {
            assert.throws(() => run.session.reconnect(), (err: Error) => {
              assertOneLine(err.message, 'refusal');
              assert.match(err.message, /cannot reconnect/);
              return true;
            });
            await pause(100);
            assert.equal(run.session.ended, false, 'the session goes on');
            assert.ok(!ofKind(events.slice(mark), 'state').length, 'no state change');
            assert.equal(ofKind(events, 'reconnect').length, 0);
            await within(5000, run.session.close(), 'close');
            assert.equal(assertFinished(events).state, 'closed');
            return;
          }
          run.session.reconnect();
          await waitFor(events, (es) => es.slice(mark).some((e) => e.kind === 'state' && e.state === 'open'), 10_000);
          const reopened = ofKind(events.slice(mark), 'state').find((s) => s.state === 'open')!;
          // Data flows on the new connection.
          const working = fx.reestablished ?? fx.established;
          await waitFor(events, (es) => working(es.filter((e) => e.seq > reopened.seq)), 10_000);
          await within(5000, run.session.close(), 'close');
          const summary = assertFinished(events);
          assertCounts(events, summary);
          assert.equal(summary.state, 'closed');
          const after = events.slice(mark);
          const rcs = ofKind(after, 'reconnect');
          assert.equal(rcs.length, 1, 'one reconnect event');
          assert.equal(rcs[0].cause, 'reconnect requested by user');
          assert.equal(rcs[0].attempt, 1);
          // Not a drop: it says it was asked for, and nothing backs off (SSE's library still waits the
          // server's retry: delay, which its event reports as waited).
          assert.equal(rcs[0].meta?.requested, 'user');
          if (fx.pattern !== 'sse') assert.equal(rcs[0].delayMs, 0);
          assert.equal(ofKind(after, 'state')[0].code, undefined, 'no close code on a requested reconnect');
          const states = ofKind(after, 'state').map((s) => s.state);
          assert.equal(states[0], 'reconnecting', `states ${states}`);
          assert.equal(ofKind(after, 'state')[0].reason, 'reconnect requested by user');
          assert.ok(ofKind(after, 'state')[0].seq < rcs[0].seq, 'reconnecting before the reconnect event');
          assert.equal(reopened.meta?.reconnected, true);
          assert.equal(reopened.meta?.attempts, 1);
          assert.equal(typeof reopened.meta?.downtimeMs, 'number');
          assert.ok(!states.includes('failed'));
          assert.deepEqual(ofKind(after, 'error'), [], 'a requested reconnect is not an error');
        } finally {
          await run.session.close();
        }
      });
    });

    const connectionless = fx.connectionless;
    if (connectionless) {
      it(`closed right after start: closing -> closed, close() resolves, nothing left behind (${connectionless.reason})`, async () => {
        const port = await freePort();
        await noHandlesLeft(async () => {
          const run = open({ pattern: fx.pattern, url: (fx.noServer as { url(port: number): string }).url(port) });
          await run.session.start();
          const summary = await within(5000, run.session.close('changed my mind'), 'close right after start');
          assertFinished(run.events);
          assertCounts(run.events, summary);
          assert.equal(summary.state, 'closed');
          const states = ofKind(run.events, 'state');
          assert.equal(states[0].state, 'connecting');
          assert.deepEqual(states.slice(-2).map((x) => x.state), ['closing', 'closed']);
          assert.equal(states.at(-1)!.reason, 'changed my mind');
          assert.equal(ofKind(run.events, 'error').length, 0, `no error for a close: ${JSON.stringify(ofKind(run.events, 'error'))}`);
        });
      });
    } else {
      it('closed while still connecting: closing -> closed, close() resolves, nothing left behind', async () => {
        // A peer that accepts TCP and never says a word: the session can only be waiting when it is closed.
        const sockets = new Set<net.Socket>();
        const silent = net.createServer((s) => {
          sockets.add(s);
          s.on('error', () => undefined);
          s.once('close', () => sockets.delete(s));
          // Read (and drop) what arrives, so that the client's end of the connection is seen.
          s.resume();
        });
        await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
        const port = (silent.address() as net.AddressInfo).port;
        try {
          await noHandlesLeft(async () => {
            const options: ConnectOptions =
              fx.noServer.kind === 'closed-port'
                ? { pattern: fx.pattern, url: fx.noServer.url(port) }
                : { pattern: fx.pattern, url: '', webhook: { listen: '127.0.0.1:0' } };
            const run = open(options);
            await run.session.start();
            if (fx.noServer.kind === 'closed-port') await waitFor(run.events, () => sockets.size > 0, 5000);
            const summary = await within(5000, run.session.close('changed my mind'), 'close while connecting');
            assertFinished(run.events);
            assertCounts(run.events, summary);
            assert.equal(summary.state, 'closed');
            const states = ofKind(run.events, 'state');
            assert.equal(states[0].state, 'connecting');
            assert.deepEqual(states.slice(-2).map((s) => s.state), ['closing', 'closed']);
            assert.equal(states.at(-1)!.reason, 'changed my mind');
            assert.equal(ofKind(run.events, 'error').length, 0, `no error for a close: ${JSON.stringify(ofKind(run.events, 'error'))}`);
            // The server side sees the connection go away too.
            await waitFor(run.events, () => sockets.size === 0, 3000);
          });
        } finally {
          for (const s of sockets) s.destroy();
          await new Promise<void>((r) => silent.close(() => r()));
        }
      });
    }

    const noServer = fx.noServer;
    if (noServer.kind === 'closed-port') {
      it('a first connection to a closed port fails with one line, no stack, no retry', async () => {
        const port = await freePort();
        await noHandlesLeft(async () => {
          const run = open({ pattern: fx.pattern, url: noServer.url(port), reconnect: { initialDelayMs: 10, jitter: 0 }, ...noServer.with });
          await run.session.start();
          const summary = await within(10_000, run.session.done, 'a refused connection ends the session');
          assertFinished(run.events);
          assertCounts(run.events, summary);
          assert.equal(summary.state, 'failed');
          assert.equal(ofKind(run.events, 'reconnect').length, 0, 'a first connection that fails is not retried');
          const errors = ofKind(run.events, 'error');
          assert.ok(errors.length >= 1, 'an error event');
          for (const e of errors) assertOneLine(e.message, 'error message');
          assert.match(errors[0].message, /refused/i);
          assertOneLine(ofKind(run.events, 'state').at(-1)!.reason, 'failed reason');
        });
      });
    } else {
      it(`listening on a port already in use fails with one line (${noServer.reason})`, async () => {
        const taken = net.createServer();
        await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
        const port = (taken.address() as net.AddressInfo).port;
        try {
          await noHandlesLeft(async () => {
            const run = open({ pattern: fx.pattern, url: '', webhook: { listen: `127.0.0.1:${port}` } });
            await run.session.start();
            const summary = await within(5000, run.session.done, 'a taken port ends the session');
            assertFinished(run.events);
            assert.equal(summary.state, 'failed');
            const errors = ofKind(run.events, 'error');
            assert.equal(errors.length, 1);
            assertOneLine(errors[0].message, 'error message');
            assert.match(errors[0].message, /already in use/);
          });
        } finally {
          await new Promise<void>((r) => taken.close(() => r()));
        }
      });
    }

    const invalid = fx.invalidTarget;
    if (invalid.kind === 'url') {
      it('an invalid URL fails at once with a one-line "Invalid URL" message', async () => {
        await noHandlesLeft(async () => {
          for (const url of invalid.urls) {
            const run = open({ pattern: fx.pattern, url });
            await run.session.start();
            const summary = await within(3000, run.session.done, `invalid URL ${url}`);
            assertFinished(run.events);
            assert.equal(summary.state, 'failed', url);
            const errors = ofKind(run.events, 'error');
            assert.equal(errors.length, 1, url);
            assertOneLine(errors[0].message, 'error message');
            assert.match(errors[0].message, /^Invalid URL/, url);
            assert.equal(summary.frames.in + summary.frames.out, 0, 'nothing was sent');
            assert.ok(!ofKind(run.events, 'state').some((s) => s.state === 'open'));
          }
        });
      });
    } else {
      it(`an invalid listen address fails at once with one line; the URL is ignored (${invalid.reason})`, async () => {
        for (const listen of invalid.listens) {
          const run = open({ pattern: fx.pattern, url: 'not a url', webhook: { listen } });
          await run.session.start();
          const summary = await within(3000, run.session.done, `invalid listen ${listen}`);
          assertFinished(run.events);
          assert.equal(summary.state, 'failed', listen);
          const errors = ofKind(run.events, 'error');
          assert.equal(errors.length, 1, listen);
          assertOneLine(errors[0].message, 'error message');
          assert.match(errors[0].message, /^Invalid listen address/, listen);
        }
        // A bad URL alone does not matter to a receiver: it still opens on its listen address.
        const run = open({ pattern: fx.pattern, url: 'not a url', webhook: { listen: '127.0.0.1:0' } });
        await run.session.start();
        await waitFor(run.events, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'), 5000);
        await within(3000, run.session.close(), 'close');
        assert.equal(ofKind(run.events, 'state').at(-1)!.state, 'closed');
      });
    }
  });
}
