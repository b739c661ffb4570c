import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import tls from 'node:tls';
import { RequestTiming } from '../../../src/core/netTiming';
import { httpsServer, makeTestCerts } from '../../helpers/tlsCerts';

/**
 * The time between the start of an exchange and the socket's creation stands for Node's TLS
 * context setup (CA parsing, certificate loading), which Node does before connecting. A clock
 * that jumps by SETUP_MS at that point makes the split visible regardless of machine speed.
 */
const SETUP_MS = 200;

function jumpingClock(): { now: () => number; jump: () => void } {
  let shift = 0;
  return { now: () => performance.now() + shift, jump: () => (shift += SETUP_MS) };
}

describe('RequestTiming phases', () => {
  it('https: time before the socket exists counts as tls (as curl counts it in time_appconnect), not connect', async () => {
    const cert = makeTestCerts().selfSigned;
    const server = await httpsServer(cert, (_req, res) => res.end('ok'));
    try {
      const clock = jumpingClock();
      const timing = new RequestTiming(clock.now);
      clock.jump();
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: cert.cert, servername: 'localhost' });
      timing.attachSocket(socket);
      await once(socket, 'secureConnect');
      const p = timing.phases();
      socket.destroy();
      assert.equal(p.dns, null, 'an IP literal has no lookup');
      assert.ok(p.connect !== null && p.connect >= 0 && p.connect < SETUP_MS, `connect ${p.connect} ms excludes the setup`);
      assert.ok(p.tls !== null && p.tls >= SETUP_MS, `tls ${p.tls} ms includes the setup`);
      assert.ok(p.total >= p.connect + p.tls - 0.01, 'the phases fit in the total');
    } finally {
      await server.close();
    }
  });

  it('plain TCP: time before the socket stays in connect (curl time_connect counts from the start)', async () => {
    const server = net.createServer((s) => s.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const clock = jumpingClock();
      const timing = new RequestTiming(clock.now);
      clock.jump();
      const socket = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      timing.attachSocket(socket);
      await once(socket, 'connect');
      const p = timing.phases();
      socket.destroy();
      assert.equal(p.tls, null);
      assert.ok(p.connect !== null && p.connect >= SETUP_MS, `connect ${p.connect} ms counts from the start`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
