import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import type { FrameEvent, SummaryEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession } from '../../helpers/servers';

/** A resource whose version goes up at the given request numbers (1-based). */
function versioned(changeAt: Set<number>) {
  let requests = 0;
  let version = 1;
  let changedAt = Date.now();
  return {
    next(): { version: number; changedAt: number; n: number } {
      requests++;
      if (changeAt.has(requests)) {
        version++;
        // Pretend the change happened 40 ms before this request, so staleness is at least 40 ms.
        changedAt = Date.now() - 40;
      }
      return { version, changedAt, n: requests };
    },
  };
}

const inFrames = (events: WireEvent[]) => ofKind(events, 'frame').filter((f) => f.dir === 'in');
const summaryOf = (events: WireEvent[]) => events[events.length - 1] as SummaryEvent;

describe('poll transport', () => {
  it('detects changes by ETag with If-None-Match, counts 304 as unchanged, and computes staleness from a JSON field', async () => {
    const res = versioned(new Set([3, 5]));
    const seenIfNoneMatch: (string | undefined)[] = [];
    const srv = await httpServer((req, reply) => {
      const r = res.next();
      seenIfNoneMatch.push(req.headers['if-none-match']);
      const etag = `"v${r.version}"`;
      if (req.headers['if-none-match'] === etag) {
        reply.writeHead(304, { etag }).end();
        return;
      }
      reply.writeHead(200, { etag, 'content-type': 'application/json' }).end(JSON.stringify({ version: r.version, changedAt: r.changedAt }));
    });
    try {
      const events = await runSession({
        pattern: 'poll',
        url: srv.url + '/resource',
        count: 6,
        poll: { intervalMs: 30, timestampField: '$.changedAt' },
      });
      checkInvariants(events);
      const ins = inFrames(events);
      assert.equal(ins.length, 6);
      assert.deepEqual(ins.map((f) => f.meta?.status), [200, 304, 200, 304, 200, 304]);
      assert.deepEqual(ins.map((f) => f.meta?.changed), [true, false, true, false, true, false]);
      assert.equal(ins[0].meta?.initial, true);
      assert.equal(ins[2].meta?.detection, 'etag');
      assert.deepEqual(seenIfNoneMatch, [undefined, '"v1"', '"v1"', '"v2"', '"v2"', '"v3"']);
      const outs = ofKind(events, 'frame').filter((f) => f.dir === 'out');
      assert.equal(outs.length, 6, 'each poll is an out/in pair');
      assert.equal((outs[1].meta?.headers as Record<string, string>)['if-none-match'], '"v1"');
      assert.equal(ofKind(events, 'timing').length, 6, 'one timing event per poll');
      for (const f of [ins[2], ins[4]]) {
        const s = f.meta?.stalenessMs as number;
        assert.ok(s >= 40 && s < 2000, `staleness ${s}`);
      }
      const poll = summaryOf(events).poll as { requests: number; changes: number; requestsPerChange: number; bytesPerChange: number; staleness: { avgMs: number; maxMs: number; samples: number } };
      assert.equal(poll.requests, 6);
      assert.equal(poll.changes, 2);
      assert.equal(poll.requestsPerChange, 3);
      const bodyBytes = ins.reduce((n, f) => n + f.size, 0);
      assert.equal(poll.bytesPerChange, bodyBytes / 2);
      assert.equal(poll.staleness.samples, 2);
      assert.ok(poll.staleness.avgMs >= 40 && poll.staleness.maxMs >= poll.staleness.avgMs);
      assert.deepEqual(ins[5].meta?.stats, poll, 'running stats on the last in frame match the summary');
    } finally {
      await srv.close();
    }
  });

  it('detects changes by Last-Modified with If-Modified-Since and reads staleness from a header', async () => {
    const res = versioned(new Set([3]));
    const seen: (string | undefined)[] = [];
    const srv = await httpServer((req, reply) => {
      const r = res.next();
      seen.push(req.headers['if-modified-since']);
      // Whole seconds, as HTTP dates are; each version gets its own second.
      const lastModified = new Date(Date.UTC(2026, 0, 1, 0, 0, r.version)).toUTCString();
      const headers = { 'last-modified': lastModified, 'x-changed-at': String(r.changedAt), 'content-type': 'text/plain' };
      if (req.headers['if-modified-since'] === lastModified) {
        reply.writeHead(304, headers).end();
        return;
      }
      reply.writeHead(200, headers).end(`version ${r.version}`);
    });
    try {
      const events = await runSession({
        pattern: 'poll',
        url: srv.url,
        count: 4,
        poll: { intervalMs: 25, change: 'last-modified', timestampHeader: 'X-Changed-At' },
      });
      checkInvariants(events);
      const ins = inFrames(events);
      assert.deepEqual(ins.map((f) => f.meta?.status), [200, 304, 200, 304]);
      assert.deepEqual(ins.map((f) => f.meta?.changed), [true, false, true, false]);
      assert.equal(ins[2].meta?.detection, 'last-modified');
      assert.equal(seen[0], undefined);
      assert.equal(seen[1], new Date(Date.UTC(2026, 0, 1, 0, 0, 1)).toUTCString());
      assert.ok((ins[2].meta?.stalenessMs as number) >= 40);
      assert.equal((summaryOf(events).poll as { changes: number }).changes, 1);
    } finally {
      await srv.close();
    }
  });

  it('detects changes by a body hash when the server sends no validators', async () => {
    const bodies = ['a', 'a', 'b', 'b', 'b', 'c'];
    let n = 0;
    const srv = await httpServer((_req, reply) => {
      reply.writeHead(200, { 'content-type': 'text/plain' }).end(bodies[Math.min(n++, bodies.length - 1)]);
    });
    try {
      const events = await runSession({ pattern: 'poll', url: srv.url, count: 6, poll: { intervalMs: 20 } });
      checkInvariants(events);
      const ins = inFrames(events);
      assert.deepEqual(ins.map((f) => f.data), bodies);
      assert.deepEqual(ins.map((f) => f.meta?.changed), [true, false, true, false, false, true]);
      assert.ok(ins.every((f) => f.meta?.detection === 'hash'));
      const poll = summaryOf(events).poll as { changes: number; requestsPerChange: number; bytesPerChange: number; staleness: { samples: number } };
      assert.equal(poll.changes, 2);
      assert.equal(poll.requestsPerChange, 3);
      assert.equal(poll.bytesPerChange, 3);
      assert.equal(poll.staleness.samples, 0, 'no timestamp configured: no staleness samples');
    } finally {
      await srv.close();
    }
  });

  it('keeps polling through 500s with an error per failure and backoff, and still ends at the duration', async () => {
    let n = 0;
    const times: number[] = [];
    const srv = await httpServer((_req, reply: http.ServerResponse) => {
      n++;
      times.push(Date.now());
      if (n === 1 || n >= 5) reply.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${n >= 5 ? 'later' : 'first'}`);
      else reply.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    });
    try {
      const events = await runSession({
        pattern: 'poll',
        url: srv.url,
        durationMs: 1500,
        poll: { intervalMs: 20 },
        reconnect: { initialDelayMs: 60, multiplier: 2, jitter: 0, maxDelayMs: 1000, maxAttempts: 10 },
      });
      checkInvariants(events);
      const ins = inFrames(events);
      const statuses = ins.map((f) => f.meta?.status);
      assert.deepEqual(statuses.slice(0, 5), [200, 500, 500, 500, 200]);
      assert.equal(ins[1].data, 'boom', 'the failing response body is logged');
      assert.equal(ins[1].meta?.changed, false);
      const httpErrors = ofKind(events, 'error').filter((e) => e.code === 'HTTP_500');
      assert.equal(ofKind(events, 'error').length, 3, 'one error event per failed poll');
      assert.equal(httpErrors.length, 3);
      assert.equal(httpErrors[0].message, 'Poll 2: HTTP 500 Internal Server Error from the polling endpoint; next poll in 60 ms (backing off)');
      assert.equal(httpErrors[2].message, 'Poll 4: HTTP 500 Internal Server Error from the polling endpoint; next poll in 240 ms (backing off, 3 failures in a row)');
      // Backoff doubles: gaps after the 2nd, 3rd and 4th requests are >= 60, 120, 240 ms.
      assert.ok(times[2] - times[1] >= 55 && times[3] - times[2] >= 115 && times[4] - times[3] >= 235, `gaps ${times.slice(1, 5).map((t, i) => t - times[i])}`);
      assert.ok(ins.length > 5, 'polling goes on after recovery');
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'closed');
      assert.equal(last.reason, 'duration reached');
    } finally {
      await srv.close();
    }
  });

  it('gives up after reconnect.maxAttempts network failures in a row once the server has gone', async () => {
    const srv = await httpServer((_req, reply) => {
      reply.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('once');
      // Stop listening after the first answer: every later poll is refused.
      srv.server.close();
    });
    try {
      const events = await runSession({ pattern: 'poll', url: srv.url, poll: { intervalMs: 10 }, reconnect: { initialDelayMs: 10, jitter: 0, maxAttempts: 2 } });
      checkInvariants(events);
      const errors = ofKind(events, 'error');
      assert.equal(errors.length, 3, 'two failures with backoff, then the one that gives up');
      assert.match(errors[0].message, /^Poll 2 failed: Connection refused \(127\.0\.0\.1:\d+\): nothing is listening there; next poll in \d+ ms \(backing off\)$/);
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'failed');
      assert.match(last.reason!, /^gave up after 2 reconnect attempts: Connection refused/);
    } finally {
      srv.server.closeAllConnections();
    }
  });

  it('fails with one line when the endpoint never answered, and rejects a bad URL', async () => {
    const srv = await httpServer((_req, reply) => reply.end());
    const url = srv.url;
    await srv.close();
    const refused = await runSession({ pattern: 'poll', url, poll: { intervalMs: 20 } });
    checkInvariants(refused);
    assert.match(ofKind(refused, 'error')[0].message, /^Connection refused \(127\.0\.0\.1:\d+\): nothing is listening there$/);
    assert.equal(ofKind(refused, 'state').pop()!.state, 'failed');
    const bad = await runSession({ pattern: 'poll', url: 'not a url' });
    checkInvariants(bad);
    assert.equal(ofKind(bad, 'error')[0].message, 'Invalid URL: "not a url"');
    const badPath = await runSession({ pattern: 'poll', url: 'http://127.0.0.1:1/', poll: { timestampField: '$..x' } });
    assert.match(ofKind(badPath, 'error')[0].message, /^Invalid JSON path "\$\.\.x"/);
  });

  it('sends the request template and logs binary bodies as base64', async () => {
    let seen: { method?: string; auth?: string; body?: string } = {};
    const srv = await httpServer((req, reply) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = { method: req.method, auth: req.headers.authorization, body };
        reply.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([1, 2, 3, 0xff]));
      });
    });
    try {
      const events = await runSession({ pattern: 'poll', url: srv.url, method: 'POST', body: '{"q":1}', headers: { Authorization: 'Bearer secret-token' }, count: 1 });
      checkInvariants(events);
      assert.deepEqual(seen, { method: 'POST', auth: 'Bearer secret-token', body: '{"q":1}' });
      const f = inFrames(events)[0] as FrameEvent;
      assert.equal(f.encoding, 'base64');
      assert.equal(f.data, Buffer.from([1, 2, 3, 0xff]).toString('base64'));
      assert.ok(!JSON.stringify(events).includes('secret-token'), 'credentials are redacted in logged headers');
    } finally {
      await srv.close();
    }
  });
});
