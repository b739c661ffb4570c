// The lifecycle every request-driven pattern shares: connecting -> open -> closing -> closed,
// close() twice is safe, and nothing keeps running after close (the server sees no more requests).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectOptions, PatternId } from '../../../src/shared/connectOptions';
import { Session } from '../../../src/core/session';
import type { WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, waitFor } from '../../helpers/servers';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('request-driven patterns: lifecycle', () => {
  const cases: { pattern: PatternId; extra?: Partial<ConnectOptions> }[] = [
    { pattern: 'poll', extra: { poll: { intervalMs: 20 } } },
    { pattern: 'long-poll' },
    { pattern: 'stream' },
    { pattern: 'async', extra: { async: { pollIntervalMs: 20 } } },
    { pattern: 'webhook' },
  ];
  for (const c of cases) {
    it(`${c.pattern}: states in order, close() twice is safe, and no request follows the close`, async () => {
      let requests = 0;
      const srv = await httpServer((req, res) => {
        requests++;
        if (c.pattern === 'long-poll') {
          setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"n":1}'), 10);
        } else if (c.pattern === 'stream') {
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          res.write('{"n":1}\n'); // then held open
        } else if (c.pattern === 'async') {
          if (req.method === 'POST') res.writeHead(202, { location: '/op' }).end();
          else res.writeHead(202).end();
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('x');
        }
      });
      const session = new Session({ pattern: c.pattern, url: srv.url, ...(c.extra ?? {}) });
      const events: WireEvent[] = [];
      session.onEvent((e) => events.push(e));
      try {
        await session.start();
        await waitFor(events, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
        if (c.pattern === 'webhook') {
          const url = ofKind(events, 'state').find((s) => s.state === 'open')!.url!;
          await (await fetch(url, { method: 'POST', body: 'hi' })).text();
        } else {
          await waitFor(events, (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in'));
        }
        const [a, b] = await Promise.all([session.close('done here'), session.close('again')]);
        assert.equal(a, b, 'both closes resolve with the one summary');
        await session.close('third time');
        checkInvariants(events);
        const states = ofKind(events, 'state').map((s) => s.state);
        assert.deepEqual([states[0], states[1]], ['connecting', 'open']);
        assert.deepEqual(states.slice(-2), ['closing', 'closed']);
        assert.equal(ofKind(events, 'state').pop()!.reason, 'done here');
        // A request the client sent just before the close may still be on its way to the server: let
        // it land, then a loop that kept running after the close would add more within 120 ms.
        await pause(50);
        const count = requests;
        const seen = events.length;
        await pause(120);
        assert.equal(requests, count, 'no request after close');
        assert.equal(events.length, seen, 'no event after the summary');
      } finally {
        await srv.close();
      }
    });
  }
});
