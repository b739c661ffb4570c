import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { describe, it } from 'node:test';
import type { FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { isLoopbackHost, parseListen } from '../../../src/core/webhookReceiver';
import { checkInvariants, listen, ofKind, runSession, waitFor } from '../../helpers/servers';

/** POST to the receiver and return status, body and how long the reply took. */
async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ms: number; headers: http.IncomingHttpHeaders }> {
  const started = Date.now();
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, body: text, ms: Date.now() - started, headers: Object.fromEntries(res.headers) };
}

function openUrl(events: WireEvent[]): string {
  const open = ofKind(events, 'state').find((s) => s.state === 'open') as StateEvent | undefined;
  assert.ok(open?.url, 'open state carries the receiver url');
  return open.url;
}

describe('webhook transport', () => {
  it('binds 127.0.0.1 by default, logs requests and the configured reply, and checks HMAC signatures', async () => {
    const secret = 'shh-test-secret';
    const sign = (body: string) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
    const replies: Awaited<ReturnType<typeof post>>[] = [];
    const events = await runSession(
      {
        pattern: 'webhook',
        url: '',
        webhook: {
          reply: { status: 503, body: 'try later', delayMs: 150, headers: { 'retry-after': '1' } },
          hmac: { header: 'X-Hub-Signature-256', algorithm: 'sha256', secret, prefix: 'sha256=' },
        },
      },
      async (s, ev) => {
        await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
        const url = openUrl(ev);
        const body = JSON.stringify({ event: 'push', n: 1 });
        replies.push(await post(url + 'hooks/github?x=1&x=2', body, { 'x-hub-signature-256': sign(body), authorization: 'Bearer caller-token' }));
        replies.push(await post(url + 'hooks/github', body, { 'x-hub-signature-256': sign(body + 'tampered') }));
        replies.push(await post(url + 'hooks/github', body));
        await waitFor(ev, (es) => es.filter((e) => e.kind === 'frame' && e.dir === 'out').length === 3);
        await s.close();
      },
    );
    checkInvariants(events);
    const url = openUrl(events);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(ofKind(events, 'error').length, 0, 'no warning for a loopback bind');
    for (const r of replies) {
      assert.equal(r.status, 503);
      assert.equal(r.body, 'try later');
      assert.equal(r.headers['retry-after'], '1');
      assert.ok(r.ms >= 140, `reply delayed (${r.ms} ms)`);
    }
    const ins = ofKind(events, 'frame').filter((f) => f.dir === 'in');
    assert.deepEqual(ins.map((f) => f.meta?.signature), ['valid', 'invalid', 'missing']);
    const first = ins[0];
    assert.equal(first.meta?.method, 'POST');
    assert.equal(first.meta?.path, '/hooks/github');
    assert.deepEqual(first.meta?.query, { x: ['1', '2'] });
    assert.equal((first.meta?.headers as Record<string, string>)['content-type'], 'application/json');
    assert.equal(first.data, '{"event":"push","n":1}');
    assert.equal(first.encoding, 'utf8');
    const outs = ofKind(events, 'frame').filter((f) => f.dir === 'out');
    assert.equal(outs.length, 3);
    assert.equal(outs[0].meta?.status, 503);
    assert.equal(outs[0].data, 'try later');
    assert.ok(!JSON.stringify(events).includes(secret), 'the secret never appears in events');
    assert.equal((first.meta?.headers as Record<string, string>).authorization, 'Bearer ***', 'caller credentials are redacted');
    const summary = events[events.length - 1];
    assert.equal(summary.kind === 'summary' && summary.frames.in, 3);
    // After close() the port no longer accepts connections.
    await assert.rejects(fetch(url));
  });

  it('accepts base64 signatures without a prefix and logs binary bodies as base64', async () => {
    const secret = 'k';
    const bin = Buffer.from([0, 1, 2, 250, 251]);
    const events = await runSession(
      // The delayed reply still goes out although the count is reached when the request arrives.
      { pattern: 'webhook', url: '', count: 1, webhook: { reply: { status: 202, delayMs: 100 }, hmac: { header: 'x-sig', algorithm: 'sha1', secret } } },
      async (_s, ev) => {
        await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
        const sig = createHmac('sha1', secret).update(bin).digest('base64');
        const res = await fetch(openUrl(ev), { method: 'PUT', body: bin, headers: { 'content-type': 'application/octet-stream', 'x-sig': sig } });
        assert.equal(res.status, 202);
        await res.arrayBuffer();
      },
    );
    checkInvariants(events);
    const f = ofKind(events, 'frame').find((e) => e.dir === 'in') as FrameEvent;
    assert.equal(f.encoding, 'base64');
    assert.equal(f.data, bin.toString('base64'));
    assert.equal(f.size, 5);
    assert.equal(f.meta?.signature, 'valid');
    assert.equal(f.meta?.method, 'PUT');
    const states = ofKind(events, 'state').map((s) => s.state);
    assert.equal(states[states.length - 1], 'closed', 'count reached ends the session cleanly');
  });

  it('accepts a signature with or without the configured prefix', async () => {
    const secret = 'p';
    const body = '{"x":1}';
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    const events = await runSession(
      { pattern: 'webhook', url: '', count: 3, webhook: { hmac: { header: 'x-sig', algorithm: 'sha256', secret, prefix: 'sha256=' } } },
      async (_s, ev) => {
        await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
        for (const sig of [hex, 'sha256=' + hex, 'sha256=' + hex.replace(/^./, (c) => (c === '0' ? '1' : '0'))]) await post(openUrl(ev), body, { 'x-sig': sig });
      },
    );
    checkInvariants(events);
    assert.deepEqual(ofKind(events, 'frame').filter((f) => f.dir === 'in').map((f) => f.meta?.signature), ['valid', 'valid', 'invalid']);
  });

  it('fails with a one-line error when the port is in use', async () => {
    const blocker = http.createServer();
    const port = await listen(blocker);
    try {
      const events = await runSession({ pattern: 'webhook', url: '', webhook: { listen: `127.0.0.1:${port}` } });
      checkInvariants(events);
      const err = ofKind(events, 'error')[0];
      assert.equal(err.message, `Address already in use (127.0.0.1:${port})`);
      assert.equal(err.code, 'EADDRINUSE');
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'failed');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('warns when bound to a non-loopback address', async () => {
    const events = await runSession({ pattern: 'webhook', url: '', webhook: { listen: '0.0.0.0:0' } }, async (s, ev) => {
      await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
      await s.close();
    });
    checkInvariants(events);
    const warn = ofKind(events, 'error')[0];
    assert.match(warn.message, /^listening on a non-loopback address 0\.0\.0\.0/);
  });

  it('rejects a malformed listen address with a clear message', async () => {
    const events = await runSession({ pattern: 'webhook', url: '', webhook: { listen: 'localhost:http' } });
    checkInvariants(events);
    assert.equal(ofKind(events, 'error')[0].message, 'Invalid listen address "localhost:http": the port must be a number');
    assert.equal(ofKind(events, 'state').pop()!.state, 'failed');
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseListen(undefined), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListen('8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen(':9000'), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(parseListen('[::1]:7'), { host: '::1', port: 7 });
    assert.deepEqual(parseListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
    assert.throws(() => parseListen('::1:80'), /brackets/);
    assert.throws(() => parseListen('host:99999'), /out of range/);
    assert.ok(isLoopbackHost('127.0.0.2') && isLoopbackHost('::1') && !isLoopbackHost('0.0.0.0'));
  });
});
