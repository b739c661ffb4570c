import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import type { SummaryEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession } from '../../helpers/servers';

const frames = (events: WireEvent[], dir: 'in' | 'out') => ofKind(events, 'frame').filter((f) => f.dir === dir);

describe('long-poll transport', () => {
  it('carries the cursor from a JSON field, re-issues at once, tells 204 apart, and shows heldMs and gapMs', async () => {
    const seenCursors: (string | null)[] = [];
    let n = 0;
    const srv = await httpServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      seenCursors.push(u.searchParams.get('since'));
      n++;
      if (n === 2) {
        // The server held the request and nothing happened: 204 after 80 ms.
        setTimeout(() => res.writeHead(204).end(), 80);
        return;
      }
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ events: [n], next: `c${n}` })), 30);
    });
    try {
      const events = await runSession({ pattern: 'long-poll', url: srv.url + '/feed?since=c0', count: 4, longPoll: { cursorField: '$.next', cursorParam: 'since', timeoutMs: 5000 } });
      checkInvariants(events);
      assert.deepEqual(seenCursors, ['c0', 'c1', 'c1', 'c3']);
      const ins = frames(events, 'in');
      assert.deepEqual(ins.map((f) => f.meta?.status), [200, 204, 200, 200]);
      assert.deepEqual(ins.map((f) => f.meta?.empty === true), [false, true, false, false]);
      assert.deepEqual(ins.map((f) => f.meta?.cursor), ['c1', undefined, 'c3', 'c4']);
      assert.ok((ins[1].meta?.heldMs as number) >= 75, `held ${ins[1].meta?.heldMs}`);
      assert.ok((ins[0].meta?.heldMs as number) >= 25);
      const outs = frames(events, 'out');
      assert.equal(outs[0].meta?.gapMs, undefined, 'no gap before the first request');
      for (const o of outs.slice(1)) {
        const gap = o.meta?.gapMs as number;
        assert.ok(gap >= 0 && gap < 200, `re-issued at once (gap ${gap})`);
      }
      assert.equal(outs[1].meta?.cursor, 'c1');
      assert.match(outs[1].meta?.url as string, /\?since=c1$/);
      assert.equal(ofKind(events, 'timing').length, 4);
      assert.equal(ofKind(events, 'reconnect').length, 0);
      const summary = events[events.length - 1] as SummaryEvent;
      const lp = summary.longPoll as { requests: number; data: number; empty: number; clientTimeouts: number; errors: number; heldMs: { avg: number; max: number }; cursor: string };
      assert.deepEqual({ ...lp, heldMs: undefined }, { requests: 4, data: 3, empty: 1, clientTimeouts: 0, errors: 0, heldMs: undefined, cursor: 'c4' });
      assert.ok(lp.heldMs.max >= 75 && lp.heldMs.avg >= 25 && lp.heldMs.avg <= lp.heldMs.max);
    } finally {
      await srv.close();
    }
  });

  it('carries the cursor from a header, and ETag as If-None-Match', async () => {
    const seen: { cursor: string | null; inm?: string }[] = [];
    let n = 0;
    const srv = await httpServer((req, res) => {
      n++;
      seen.push({ cursor: new URL(req.url!, 'http://x').searchParams.get('cursor'), inm: req.headers['if-none-match'] });
      res.writeHead(200, { 'x-next-cursor': `h${n}`, etag: `"e${n}"`, 'content-type': 'application/json' }).end(n === 2 ? '[]' : `[${n}]`);
    });
    try {
      const header = await runSession({ pattern: 'long-poll', url: srv.url, count: 3, longPoll: { cursorHeader: 'X-Next-Cursor' } });
      checkInvariants(header);
      assert.deepEqual(seen.map((s) => s.cursor), [null, 'h1', 'h2']);
      assert.deepEqual(frames(header, 'in').map((f) => f.meta?.empty === true), [false, true, false], '[] is an empty answer');
      seen.length = 0;
      n = 0;
      const etag = await runSession({ pattern: 'long-poll', url: srv.url, count: 3, longPoll: { useEtag: true } });
      checkInvariants(etag);
      assert.deepEqual(seen.map((s) => s.inm), [undefined, '"e1"', '"e2"']);
      assert.deepEqual(seen.map((s) => s.cursor), [null, null, null], 'no cursor parameter in ETag mode');
    } finally {
      await srv.close();
    }
  });

  it('aborts a request the server never answers (client timeout) and re-issues it', async () => {
    let n = 0;
    const held: http.ServerResponse[] = [];
    const srv = await httpServer((_req, res) => {
      n++;
      if (n <= 2) {
        held.push(res); // never answered
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"cursor":"after"}');
    });
    try {
      const events = await runSession({ pattern: 'long-poll', url: srv.url, count: 1, longPoll: { timeoutMs: 150, cursorField: '$.cursor' } });
      checkInvariants(events);
      const reconnects = ofKind(events, 'reconnect');
      assert.equal(reconnects.length, 2);
      for (const r of reconnects) {
        assert.equal(r.cause, 'client timeout');
        assert.equal(r.delayMs, 0);
        assert.ok((r.meta?.heldMs as number) >= 145, `held ${r.meta?.heldMs}`);
      }
      assert.equal(frames(events, 'out').length, 3, 're-issued after each timeout');
      assert.equal(n, 3);
      const inFrame = frames(events, 'in')[0];
      assert.equal(inFrame.meta?.cursor, 'after');
      assert.equal(ofKind(events, 'state').pop()!.state, 'closed');
      assert.equal(((events[events.length - 1] as SummaryEvent).longPoll as { clientTimeouts: number }).clientTimeouts, 2);
    } finally {
      await srv.close();
    }
  });

  it('backs off after errors with reconnect events that carry the cursor, then resumes', async () => {
    let n = 0;
    const seen: (string | null)[] = [];
    const srv = await httpServer((req, res) => {
      n++;
      seen.push(new URL(req.url!, 'http://x').searchParams.get('cursor'));
      if (n === 2 || n === 3) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('overloaded');
        return;
      }
      if (n === 4) {
        // A dropped connection mid-request.
        res.socket?.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cursor: `k${n}` }));
    });
    try {
      const events = await runSession({
        pattern: 'long-poll',
        url: srv.url,
        // Error responses are inbound frames too: 200, 503, 503, 200.
        count: 4,
        longPoll: { cursorField: '$.cursor' },
        reconnect: { initialDelayMs: 40, jitter: 0, multiplier: 2, maxAttempts: 5 },
      });
      checkInvariants(events);
      assert.deepEqual(seen, [null, 'k1', 'k1', 'k1', 'k1']);
      const reconnects = ofKind(events, 'reconnect');
      assert.deepEqual(reconnects.map((r) => r.attempt), [1, 2, 3]);
      assert.deepEqual(reconnects.map((r) => r.delayMs), [40, 80, 160]);
      assert.ok(reconnects.every((r) => r.meta?.cursor === 'k1'), 'the resume token is shown');
      assert.equal(reconnects[0].cause, 'HTTP 503 Service Unavailable');
      assert.match(reconnects[2].cause, /Connection reset by the server|closed/i);
      const states = ofKind(events, 'state').map((s) => s.state);
      assert.ok(states.includes('reconnecting'));
      const ins = frames(events, 'in');
      assert.deepEqual(ins.map((f) => f.meta?.status), [200, 503, 503, 200]);
      assert.equal(ofKind(events, 'error').filter((e) => e.code === 'HTTP_503').length, 2);
    } finally {
      await srv.close();
    }
  });

  it('gives up after the maximum number of attempts', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(500).end());
    // The first answer is an error too: the session still backs off (the server is there), then gives up.
    try {
      const events = await runSession({ pattern: 'long-poll', url: srv.url, reconnect: { initialDelayMs: 10, jitter: 0, maxAttempts: 2 } });
      checkInvariants(events);
      assert.equal(ofKind(events, 'reconnect').length, 2);
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'failed');
      assert.equal(last.reason, 'gave up after 2 reconnect attempts: HTTP 500 Internal Server Error');
    } finally {
      await srv.close();
    }
  });
});
