/**
 * A server that accepts every connection and drops it at once (a crash loop, a check after the
 * handshake): the shared lifecycle must not reconnect for ever with the first backoff delay. A
 * reconnection that drops within STABLE_OPEN_MS counts towards giving up, the delays keep growing,
 * and the session ends failed with the one give-up line. Real servers on 127.0.0.1: the `ws` library's
 * server and a node:net one.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { GAVE_UP_CODE, STABLE_OPEN_MS } from '../../../src/core/lifecycle';
import { Session } from '../../../src/core/session';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { WireEvent } from '../../../src/shared/events';

async function run(options: ConnectOptions): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  const session = new Session(options);
  session.onEvent((e) => events.push(e));
  const guard = setTimeout(() => void session.close('test guard: still reconnecting after 20 s'), 20_000);
  try {
    await session.start();
    await session.done;
  } finally {
    clearTimeout(guard);
  }
  return events;
}

const POLICY = { initialDelayMs: 20, maxDelayMs: 400, multiplier: 2, jitter: 0, maxAttempts: 4 };

function assertGaveUp(events: WireEvent[]): void {
  const opens = events.filter((e) => e.kind === 'state' && e.state === 'open');
  const delays = events.flatMap((e) => (e.kind === 'reconnect' ? [e.delayMs] : []));
  const terminal = events.filter((e) => e.kind === 'state' && (e.state === 'closed' || e.state === 'failed'));
  assert.equal(terminal.length, 1, 'one terminal state');
  const last = terminal[0];
  assert.ok(last.kind === 'state' && last.state === 'failed', `the session gives up instead of reconnecting for ever: ${JSON.stringify(last)}`);
  const gaveUp = events.filter((e) => e.kind === 'error' && e.code === GAVE_UP_CODE);
  assert.equal(gaveUp.length, 1, 'one give-up error');
  const msg = gaveUp[0].kind === 'error' ? gaveUp[0].message : '';
  assert.match(msg, new RegExp(`^gave up after 4 reconnect attempts: .*\\(the last 4 reconnections dropped within ${STABLE_OPEN_MS / 1000} s of opening\\)$`));
  assert.ok(!msg.includes('\n'), 'one line');
  // The first connection, then one per reconnect attempt: bounded by maxAttempts.
  assert.equal(opens.length, 5, `opens: ${opens.length}`);
  assert.deepEqual(delays, [20, 40, 80, 160], 'each reconnection that did not hold doubles the delay');
}

describe('lifecycle: a server that drops every connection right after it opens', () => {
  it('WebSocket: the handshake succeeds, then the server closes with 1011 each time', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    let accepted = 0;
    wss.on('connection', (ws) => {
      accepted++;
      ws.close(1011, 'crash loop');
    });
    try {
      const { port } = wss.address() as net.AddressInfo;
      const events = await run({ pattern: 'ws', url: `ws://127.0.0.1:${port}/`, reconnect: POLICY });
      assertGaveUp(events);
      assert.equal(accepted, 5, 'the server saw as many connections as the session opened');
    } finally {
      wss.close();
    }
  });

  it('raw TCP: the server resets every connection it accepts (a FIN would end the session: see docs/patterns/tcp.md)', async () => {
    let accepted = 0;
    const srv = net.createServer((s) => {
      accepted++;
      // A moment after the accept, so the client has seen its connection open.
      setTimeout(() => s.resetAndDestroy(), 30);
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    try {
      const { port } = srv.address() as net.AddressInfo;
      const events = await run({ pattern: 'tcp', url: `tcp://127.0.0.1:${port}`, reconnect: POLICY });
      assertGaveUp(events);
      assert.equal(accepted, 5);
    } finally {
      srv.close();
    }
  });
});
