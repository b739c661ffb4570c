import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { SummaryEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, httpServer, ofKind, runSession } from '../../helpers/servers';

const frames = (events: WireEvent[], dir: 'in' | 'out') => ofKind(events, 'frame').filter((f) => f.dir === dir);
const readBody = (req: import('node:http').IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
  });

describe('async transport', () => {
  it('follows 202 + relative Location, honours Retry-After, and ends done with latencyMs', async () => {
    let polls = 0;
    const seen: { method: string; url: string; at: number }[] = [];
    const srv = await httpServer(async (req, res) => {
      seen.push({ method: req.method!, url: req.url!, at: Date.now() });
      if (req.url === '/jobs' && req.method === 'POST') {
        await readBody(req);
        res.writeHead(202, { location: '/jobs/42', 'retry-after': '0' }).end('{"status":"queued"}');
        return;
      }
      if (req.url === '/jobs/42') {
        polls++;
        if (polls < 3) {
          // Retry-After as seconds (0.2 s is not valid HTTP, so use an HTTP date for the second).
          const retry = polls === 1 ? '1' : new Date(Date.now() + 1000).toUTCString();
          res.writeHead(200, { 'content-type': 'application/json', 'retry-after': retry }).end(JSON.stringify({ status: 'running' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'Succeeded', result: 7 }));
        return;
      }
      res.writeHead(404).end();
    });
    try {
      const events = await runSession({ pattern: 'async', url: srv.url + '/jobs', body: '{"work":1}', async: { statusField: '$.status', pollIntervalMs: 5000 } });
      checkInvariants(events);
      assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['POST /jobs', 'GET /jobs/42', 'GET /jobs/42', 'GET /jobs/42']);
      // Retry-After 0 -> at once; 1 s; then an HTTP date about 1 s ahead (whole seconds, so 0-1 s).
      assert.ok(seen[1].at - seen[0].at < 1000, 'Retry-After: 0 polls at once, not after pollIntervalMs');
      assert.ok(seen[2].at - seen[1].at >= 950, `Retry-After seconds honoured (${seen[2].at - seen[1].at} ms)`);
      assert.ok(seen[3].at - seen[2].at < 1500, 'Retry-After date honoured instead of the 5 s interval');
      const ins = frames(events, 'in');
      assert.equal(ins.length, 4);
      assert.equal(ins[0].meta?.status, 202);
      assert.equal(ins[0].meta?.operationUrl, srv.url + '/jobs/42');
      assert.equal(ins[1].meta?.operationStatus, 'running');
      assert.equal(ins[1].meta?.done, undefined);
      const final = ins[3];
      assert.equal(final.meta?.done, true);
      assert.equal(final.meta?.operationStatus, 'Succeeded');
      const latency = final.meta?.latencyMs as number;
      assert.ok(latency >= 1000 && latency < 5000, `latency ${latency}`);
      assert.equal(frames(events, 'out').length, 4);
      assert.equal(ofKind(events, 'timing').length, 4, 'every exchange has timing');
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'closed');
      assert.equal(last.reason, 'operation finished: Succeeded');
      const summary = events[events.length - 1] as SummaryEvent;
      assert.deepEqual({ ...(summary.async as object), latencyMs: 0 }, { latencyMs: 0, polls: 3, callback: false, result: 'Succeeded' });
    } finally {
      await srv.close();
    }
  });

  it('takes the operation URL from the body and ends at the first non-202 without a status field', async () => {
    let polls = 0;
    const srv = await httpServer((req, res) => {
      if (req.url === '/start') {
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ links: { status: 'op/9' } }));
        return;
      }
      polls++;
      if (polls < 2) res.writeHead(202).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('result body');
    });
    try {
      const events = await runSession({ pattern: 'async', url: srv.url + '/start', method: 'PUT', async: { operationUrlField: '$.links.status', pollIntervalMs: 20 } });
      checkInvariants(events);
      const outs = frames(events, 'out');
      assert.equal(outs[0].meta?.method, 'PUT');
      assert.equal(outs[1].meta?.url, srv.url + '/op/9');
      const final = frames(events, 'in').pop()!;
      assert.equal(final.data, 'result body');
      assert.equal(final.meta?.done, true);
      assert.equal(typeof final.meta?.latencyMs, 'number');
    } finally {
      await srv.close();
    }
  });

  it('reads $.status by default: a 200 that says running is not the end', async () => {
    let polls = 0;
    const srv = await httpServer((req, res) => {
      if (req.method === 'POST') return void res.writeHead(202, { location: '/op' }).end();
      polls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: polls < 3 ? 'running' : 'completed' }));
    });
    try {
      const events = await runSession({ pattern: 'async', url: srv.url, async: { pollIntervalMs: 20 } });
      checkInvariants(events);
      const ins = frames(events, 'in');
      assert.deepEqual(ins.map((f) => f.meta?.operationStatus), [undefined, 'running', 'running', 'completed']);
      assert.deepEqual(ins.map((f) => f.meta?.done), [undefined, undefined, undefined, true]);
    } finally {
      await srv.close();
    }
  });

  it('fails with a clear error when the job never finishes (overall timeout)', async () => {
    const srv = await httpServer((req, res) => {
      if (req.method === 'POST') res.writeHead(202, { location: '/jobs/forever' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"state":"running"}');
    });
    try {
      const started = Date.now();
      const events = await runSession({ pattern: 'async', url: srv.url + '/jobs', async: { timeoutMs: 400, pollIntervalMs: 50, statusField: '$.state' } });
      checkInvariants(events);
      assert.ok(Date.now() - started < 3000);
      const err = ofKind(events, 'error').find((e) => e.code === 'ERR_ASYNC_TIMEOUT')!;
      assert.match(err.message, /^The operation did not finish within 400 ms \(\d+ status polls\)$/);
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'failed');
      assert.ok(frames(events, 'in').length >= 3, 'it kept polling until the timeout');
      assert.ok(frames(events, 'in').every((f) => f.meta?.done === undefined));
    } finally {
      await srv.close();
    }
  });

  it('fails clearly when a 202 has no operation URL, and on a refused first request', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(202).end());
    try {
      const events = await runSession({ pattern: 'async', url: srv.url });
      checkInvariants(events);
      assert.equal(ofKind(events, 'error')[0].code, 'ERR_NO_OPERATION_URL');
      assert.equal(ofKind(events, 'state').pop()!.state, 'failed');
    } finally {
      await srv.close();
    }
    const refused = await runSession({ pattern: 'async', url: srv.url });
    assert.match(ofKind(refused, 'error')[0].message, /^Connection refused/);
  });

  it('ends done at once when the server answers the first request without 202', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"done"}'));
    try {
      const events = await runSession({ pattern: 'async', url: srv.url, async: { statusField: '$.status' } });
      checkInvariants(events);
      const ins = frames(events, 'in');
      assert.equal(ins.length, 1);
      assert.equal(ins[0].meta?.done, true);
      assert.equal(ins[0].meta?.operationStatus, 'done');
      assert.equal(ofKind(events, 'state').pop()!.reason, 'the server answered at once: done');
    } finally {
      await srv.close();
    }
  });

  it('callback mode keeps waiting after a callback with a bad signature', async () => {
    const secret = 's3';
    const srv = await httpServer(async (req, res) => {
      const url = req.headers['x-callback-url'] as string;
      await readBody(req);
      res.writeHead(202).end();
      setTimeout(async () => {
        const body = '{"status":"done"}';
        const bad = await fetch(url, { method: 'POST', body, headers: { 'x-sig': 'deadbeef' } });
        await bad.text();
        const good = await fetch(url, { method: 'POST', body, headers: { 'x-sig': createHmac('sha1', secret).update(body).digest('hex') } });
        await good.text();
      }, 30);
    });
    try {
      const events = await runSession({
        pattern: 'async',
        url: srv.url,
        async: { callback: true, timeoutMs: 5000 },
        webhook: { hmac: { header: 'x-sig', algorithm: 'sha1', secret } },
      });
      checkInvariants(events);
      const callbacks = frames(events, 'in').filter((f) => f.meta?.callback);
      assert.deepEqual(callbacks.map((f) => [f.meta?.signature, f.meta?.done]), [['invalid', false], ['valid', true]]);
      assert.equal(ofKind(events, 'error').filter((e) => e.code === 'ERR_CALLBACK_SIGNATURE').length, 1);
      assert.equal(ofKind(events, 'state').pop()!.state, 'closed');
    } finally {
      await srv.close();
    }
  });

  it('callback mode: sends the receiver URL in a header and the JSON body, and finishes when the callback arrives', async () => {
    const secret = 'cb-secret';
    let callbackStatus = 0;
    let received: { header?: string; body?: Record<string, unknown> } = {};
    const srv = await httpServer(async (req, res) => {
      const text = await readBody(req);
      received = { header: req.headers['x-callback-url'] as string, body: JSON.parse(text) };
      res.writeHead(202).end();
      // Call back a little later, as a job queue would, with a signed body.
      setTimeout(async () => {
        const payload = JSON.stringify({ status: 'completed', id: 5 });
        const r = await fetch(received.header!, {
          method: 'POST',
          body: payload,
          headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', secret).update(payload).digest('hex') },
        });
        callbackStatus = r.status;
        await r.text();
      }, 120);
    });
    try {
      const events = await runSession({
        pattern: 'async',
        url: srv.url + '/jobs',
        body: '{"task":"resize"}',
        headers: { 'content-type': 'application/json' },
        async: { callback: true, statusField: '$.status', timeoutMs: 5000 },
        webhook: { reply: { status: 204 }, hmac: { header: 'X-Signature', algorithm: 'sha256', secret } },
      });
      checkInvariants(events);
      assert.match(received.header!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.deepEqual(received.body, { task: 'resize', callbackUrl: received.header });
      const open = ofKind(events, 'state').find((s) => s.state === 'open')!;
      assert.equal(open.meta?.callbackUrl, received.header);
      const callback = frames(events, 'in').pop()!;
      assert.equal(callback.meta?.callback, true);
      assert.equal(callback.meta?.done, true);
      assert.equal(callback.meta?.signature, 'valid');
      assert.equal(callback.meta?.operationStatus, 'completed');
      assert.ok((callback.meta?.latencyMs as number) >= 110);
      // The reply went out before the receiver closed; the caller's fetch settles a moment later.
      for (let i = 0; i < 100 && callbackStatus === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(callbackStatus, 204, 'the callback got its reply');
      assert.equal(frames(events, 'out').pop()!.meta?.status, 204);
      assert.equal(ofKind(events, 'state').pop()!.reason, 'callback received: completed');
      assert.ok(!JSON.stringify(events).includes(secret));
      // The receiver is gone with the session.
      await assert.rejects(fetch(received.header!));
    } finally {
      await srv.close();
    }
  });
});
