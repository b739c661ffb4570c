/**
 * The pattern race measures what a backend with known behaviour does (test/helpers/raceBackend.ts:
 * node:http and the ws library's server, not Wirescope's demo), and its wire counts equal a
 * socket-level proxy's counts on the same connections.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRace } from '../../../src/core/compare/race';
import { WireMeter } from '../../../src/core/compare/wireMeter';
import net from 'node:net';
import { Session } from '../../../src/core/session';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import { byName, startRaceBackend } from '../../helpers/raceBackend';
import { httpsServer, makeTestCerts } from '../../helpers/tlsCerts';

const SSE_DELAY_MS = 150;

/**
 * A socket-level TCP proxy that counts every byte each side sends, until that side closes (a side
 * that closes first only ends the other, so late bytes such as TLS close_notify are still counted).
 */
async function countingProxy(targetPort: number) {
  const counts = { toServer: 0, fromServer: 0, accepted: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    counts.accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('data', (d: Buffer) => {
      counts.toServer += d.length;
      if (!upstream.destroyed && !upstream.writableEnded) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      counts.fromServer += d.length;
      if (!client.destroyed && !client.writableEnded) client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    counts,
    url: (scheme: string, path: string) => `${scheme}://127.0.0.1:${port}${path}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('pattern race accuracy', () => {
  it('measures latency, misses and requests that match the backend', async () => {
    const backend = await startRaceBackend({ rate: 5, sseDelayMs: SSE_DELAY_MS });
    try {
      const result = await runRace({
        entries: [
          { name: 'ws', options: { pattern: 'ws', url: backend.wsUrl } },
          { name: 'sse', options: { pattern: 'sse', url: `${backend.url}/sse` } },
          { name: 'poll', options: { pattern: 'poll', url: `${backend.url}/poll`, poll: { intervalMs: 1000 } } },
          // From cursor 0: every event, including any published while the first request travels.
          { name: 'long poll', options: { pattern: 'long-poll', url: `${backend.url}/long-poll?cursor=0`, longPoll: { cursorField: '$.cursor' } } },
        ],
        durationMs: 6000,
        idField: '$.seq',
        timestampField: '$.at',
      });
      const ws = byName(result.sessions, 'ws');
      const sse = byName(result.sessions, 'sse');
      const poll = byName(result.sessions, 'poll');
      const lp = byName(result.sessions, 'long poll');

      // WebSocket sends at publish time: loopback latency plus scheduling noise (the feed's 200 ms spacing is the scale).
      assert.ok(ws.latencyMs, JSON.stringify(ws.notes));
      assert.ok(ws.latencyMs.p50 >= -1 && ws.latencyMs.p50 <= 50, `ws p50 ${ws.latencyMs.p50}`);
      // SSE sends each event 150 ms late: never earlier than that, and the median is the delay plus the
      // same scheduling noise the WebSocket sees (the difference cancels the machine's load).
      assert.ok(sse.latencyMs);
      assert.ok(sse.latencyMs.p50 >= SSE_DELAY_MS - 1, `sse p50 ${sse.latencyMs.p50}`);
      const extra = sse.latencyMs.p50 - ws.latencyMs.p50;
      assert.ok(extra >= SSE_DELAY_MS - 10 && extra <= SSE_DELAY_MS + 15, `sse p50 ${sse.latencyMs.p50} vs ws p50 ${ws.latencyMs.p50}`);
      // Long polling answers each event as it appears: nothing missed, low latency.
      assert.equal(lp.missed, 0);
      assert.ok(lp.latencyMs && lp.latencyMs.p50 <= 50, `long-poll p50 ${lp.latencyMs?.p50}`);
      // Push sessions that stayed up miss nothing.
      assert.equal(ws.missed, 0);
      assert.equal(sse.missed, 0);
      // A short poll at 1 s of a latest-value endpoint on a 5/s feed sees about one event in five.
      const fraction = poll.missed / (poll.missed + poll.unique);
      assert.ok(fraction >= 0.65 && fraction <= 0.9, `poll missed ${poll.missed} of ${poll.missed + poll.unique} (${fraction.toFixed(2)})`);
      assert.ok(poll.latencyMs && poll.latencyMs.max <= 200 + 30, `poll max ${poll.latencyMs?.max}`);

      // Request counts equal the server's own counts.
      assert.equal(poll.requests, backend.requests['/poll']);
      assert.equal(lp.requests, backend.requests['/long-poll']);
      assert.equal(sse.requests, backend.requests['/sse']);
      assert.equal(ws.requests, backend.requests['/ws']);
      assert.equal(ws.requests, 1);
      assert.ok(poll.requests! >= 5 && poll.requests! <= 8, `poll requests ${poll.requests}`);
      // Every HTTP exchange uses a fresh connection.
      assert.equal(poll.connections, poll.requests);
      assert.equal(ws.connections, 1);
      // Efficiency ratios follow from the counts.
      assert.equal(poll.requestsPerMessage, Math.round((poll.requests! / poll.unique) * 100) / 100);
      assert.equal(ws.bytesPerMessage, Math.round(((ws.bytesIn! + ws.bytesOut!) / ws.unique) * 100) / 100);
      // Wire bytes include the headers: a poll costs more per message than the WebSocket.
      assert.ok(poll.bytesPerMessage! > 2 * ws.bytesPerMessage!, `${poll.bytesPerMessage} vs ${ws.bytesPerMessage}`);
      assert.equal(result.feed.ids, new Set(result.arrivals.flat().map((a) => a.id)).size);
      for (const s of result.sessions) {
        assert.equal(s.received, s.unique + s.duplicates);
        assert.deepEqual(s.ended, { state: 'closed' });
      }
    } finally {
      await backend.close();
    }
  });

  it('counts the same bytes on the wire as a socket-level proxy on the same connections (plain, WebSocket and TLS)', async () => {
    const backend = await startRaceBackend({ rate: 20, sseDelayMs: 0 });
    const tls = await httpsServer(makeTestCerts().selfSigned, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ seq: 1, pad: 'x'.repeat(3000) }));
    });
    const port = Number(new URL(backend.url).port);
    const proxies = { poll: await countingProxy(port), ws: await countingProxy(port), tls: await countingProxy(tls.port) };
    const meter = new WireMeter();
    try {
      // Each session ends by its own count, between exchanges: no response is still travelling towards a
      // closed socket (the proxy would count bytes the client never read).
      const run = async (name: keyof typeof proxies, options: ConnectOptions) => {
        const s = new Session(options);
        meter.run(name, () => void s.start());
        const limit = setTimeout(() => void s.close(), 15_000);
        await s.done;
        clearTimeout(limit);
      };
      await Promise.all([
        run('poll', { pattern: 'poll', url: proxies.poll.url('http', '/poll'), poll: { intervalMs: 200 }, count: 6 }),
        run('ws', { pattern: 'ws', url: proxies.ws.url('ws', '/ws'), count: 20 }),
        run('tls', { pattern: 'poll', url: proxies.tls.url('https', '/'), poll: { intervalMs: 200 }, tls: { insecure: true }, count: 4 }),
      ]);
      // Let the last FIN/close records pass the proxies.
      await new Promise((r) => setTimeout(r, 300));
      for (const name of ['poll', 'ws', 'tls'] as const) {
        const c = meter.counts(name);
        const p = proxies[name].counts;
        assert.ok(c.bytesIn > 0 && c.connections > 0, `${name}: ${JSON.stringify(c)}`);
        assert.equal(c.bytesIn, p.fromServer, `${name} bytes in`);
        assert.equal(c.bytesOut, p.toServer, `${name} bytes out`);
        assert.equal(c.connections, p.accepted, `${name} connections`);
      }
      // TLS records are counted, not the payload: more than the 3 KB body per request.
      const t = meter.counts('tls');
      assert.ok(t.bytesIn / t.requests > 3000 + 200, `tls ${t.bytesIn} B over ${t.requests} requests`);
    } finally {
      meter.dispose();
      await Promise.all(Object.values(proxies).map((p) => p.close()));
      await tls.close();
      await backend.close();
    }
  });
});
