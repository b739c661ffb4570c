/**
 * Failures that must end a session with one clear line: DNS, TLS (self-signed, expired, wrong
 * host, each accepted with the per-profile insecure switch), and servers that accept a connection
 * and never answer (connect/handshake timeout, time-to-first-byte timeout, SSE idle limit).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ConnectOptions, PatternId } from '../../../src/shared/connectOptions';
import type { SummaryEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, listen, ofKind, runSession } from '../../helpers/servers';
import { httpsServer, makeTestCerts, type HttpsTestServer, type TestCerts } from '../../helpers/tlsCerts';
import { figures, isClearLine, report } from './tally';

/** The session failed, with a terminal reason that is one clear line matching `pattern`. */
function assertClearFailure(events: WireEvent[], pattern: RegExp): string {
  checkInvariants(events);
  const summary = events.at(-1) as SummaryEvent;
  const terminal = events.at(-2) as Extract<WireEvent, { kind: 'state' }>;
  figures.failuresExpected++;
  assert.equal(summary.state, 'failed', JSON.stringify(terminal));
  const line = terminal.reason ?? ofKind(events, 'error').at(-1)?.message;
  assert.ok(isClearLine(line), `one line: ${line}`);
  assert.match(line ?? '', pattern);
  figures.failuresClear++;
  return line ?? '';
}

/** A TCP server that accepts and never says anything. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  const port = await listen(server);
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('failures with a clear message', () => {
  after(() => report('failure faults:'));

  it('DNS failure for ws, sse, http and mqtt', async () => {
    const cases: Array<[PatternId, string]> = [
      ['ws', 'ws://no-such-host.invalid/'],
      ['sse', 'http://no-such-host.invalid/sse'],
      ['http', 'http://no-such-host.invalid/'],
      ['mqtt', 'mqtt://no-such-host.invalid'],
    ];
    for (const [pattern, url] of cases) {
      const events = await runSession({ pattern, url, reconnect: { enabled: false } });
      assertClearFailure(events, /DNS lookup failed|ENOTFOUND|getaddrinfo/);
    }
  });

  describe('TLS', () => {
    let certs: TestCerts;
    const servers: HttpsTestServer[] = [];
    before(async () => {
      certs = makeTestCerts();
      for (const c of [certs.selfSigned, certs.expired, certs.wrongHost]) {
        servers.push(
          await httpsServer(c, (req, res) => {
            if (req.url?.startsWith('/sse')) {
              res.writeHead(200, { 'content-type': 'text/event-stream' });
              res.end('id: 1\ndata: ok\n\n');
            } else res.end('ok');
          }),
        );
      }
    });
    after(async () => {
      for (const s of servers) await s.close();
    });

    const kinds: Array<[string, RegExp]> = [
      ['self-signed', /self-signed/],
      ['expired', /expired/],
      ['wrong host', /does not match the host name/],
    ];
    for (let i = 0; i < kinds.length; i++) {
      const [name, why] = kinds[i];
      it(`${name}: http, sse and stream fail with the reason and succeed with insecure`, async () => {
        const base = servers[i].url;
        for (const pattern of ['http', 'sse', 'stream'] as PatternId[]) {
          const url = pattern === 'sse' ? `${base}/sse` : `${base}/`;
          // The wrong-host certificate is trusted as a CA here, so that the name is the only fault left.
          const trust = name === 'wrong host' ? { ca: certs.wrongHost.cert } : undefined;
          const opts: ConnectOptions = { pattern, url, reconnect: { enabled: false }, count: 1, ...(trust ? { tls: trust } : {}) };
          const line = assertClearFailure(await runSession(opts), why);
          assert.match(line, /allow insecure/i, 'the message names the way out');
          const ok = await runSession({ ...opts, tls: { ...trust, insecure: true } });
          checkInvariants(ok);
          assert.notEqual((ok.at(-1) as SummaryEvent).state, 'failed', `${pattern} with insecure: ${JSON.stringify(ofKind(ok, 'error'))}`);
          assert.ok(ofKind(ok, 'frame').some((f) => f.dir === 'in' && /ok/.test(f.data)));
        }
      });
    }
  });

  describe('a server that accepts and never answers', () => {
    let silent: { port: number; close(): Promise<void> };
    before(async () => {
      silent = await silentServer();
    });
    after(async () => {
      await silent.close();
    });

    it('ws: the handshake timeout fails the session', async () => {
      const events = await runSession({ pattern: 'ws', url: `ws://127.0.0.1:${silent.port}/`, connectTimeoutMs: 300 });
      assertClearFailure(events, /timed out|timeout/i);
    });

    it('http: the response (time to first byte) timeout fails the session', async () => {
      const events = await runSession({ pattern: 'http', url: `http://127.0.0.1:${silent.port}/`, responseTimeoutMs: 300 });
      const line = assertClearFailure(events, /No response within 300 ms after connecting/);
      assert.ok(!line.includes('\n'));
    });

    it('https: the TLS handshake that never completes hits the connect timeout', async () => {
      const events = await runSession({ pattern: 'http', url: `https://127.0.0.1:${silent.port}/`, connectTimeoutMs: 300 });
      assertClearFailure(events, /timed out/i);
    });

    it('sse: the idle limit bounds the wait for response headers', async () => {
      const events = await runSession({ pattern: 'sse', url: `http://127.0.0.1:${silent.port}/sse`, sse: { idleTimeoutMs: 300 } });
      assertClearFailure(events, /no response headers within 300 ms/);
    });

    it('mqtt: no CONNACK within the connect timeout', async () => {
      const events = await runSession({ pattern: 'mqtt', url: `mqtt://127.0.0.1:${silent.port}`, connectTimeoutMs: 400, reconnect: { enabled: false } });
      assertClearFailure(events, /CONNACK|timed out|timeout/i);
    });
  });
});
