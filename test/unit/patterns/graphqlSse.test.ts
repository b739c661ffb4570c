// graphql-sse against the library's own handler (createHandler from graphql-sse/lib/use/http, test/helpers/graphql.ts
// and servers made here on 127.0.0.1, ports chosen at run time): a dropped stream reconnects through the shared
// lifecycle and the running operations are sent again, visibly (a socket cut, and the server restarted on the same
// port); single connection mode (a PUT reservation, the event stream with the token, operations POSTed with the
// token and stopped with DELETE), and its reconnection.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHandler } from 'graphql-sse/lib/use/http';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { schema, startGraphqlServers, type GraphqlServers } from '../../helpers/graphql';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';

const frames = (events: WireEvent[]) => ofKind(events, 'frame') as FrameEvent[];
const dataIn = (events: WireEvent[]) => frames(events).filter((f) => f.dir === 'in' && !f.meta?.control);
const dataOut = (events: WireEvent[]) => frames(events).filter((f) => f.dir === 'out' && !f.meta?.control);
const controls = (events: WireEvent[], type: string) => frames(events).filter((f) => f.meta?.control === true && f.meta.type === type);
const terminal = (events: WireEvent[]) => ofKind(events, 'state').find((s) => s.state === 'closed' || s.state === 'failed') as StateEvent;
const seqsOf = (events: WireEvent[], channel: string) => dataIn(events).filter((f) => f.channel === channel).map((f) => (JSON.parse(f.data) as { data: { ticks: { seq: number } } }).data.ticks.seq);
const QUICK = { initialDelayMs: 50, maxDelayMs: 200, jitter: 0 };
const gql = (url: string, documents: string[], extra: Partial<ConnectOptions> = {}): ConnectOptions => ({ pattern: 'graphql', url, reconnect: QUICK, ...extra, graphql: { documents, ...(extra.graphql ?? {}) } });

/** graphql-sse's handler on its own server, with the requests it saw (method and token) and a way to restart it on the same port. */
async function sseServer(): Promise<{ url: string; requests: Array<{ method: string; token?: string; operationId?: string }>; cut(): void; stop(): Promise<void>; start(): Promise<void>; close(): Promise<void> }> {
  const handler = createHandler({ schema });
  const requests: Array<{ method: string; token?: string; operationId?: string }> = [];
  const sockets = new Set<Socket>();
  let port = 0;
  let server: http.Server | undefined;
  const start = async () => {
    const s = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const token = req.headers['x-graphql-event-stream-token'];
      requests.push({ method: req.method ?? '', ...(typeof token === 'string' ? { token } : {}), ...(u.searchParams.get('operationId') ? { operationId: u.searchParams.get('operationId')! } : {}) });
      // The handler's promise rejects when it writes to a stream whose client has gone (EPIPE): the server's affair.
      handler(req, res).catch(() => undefined);
    });
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => s.close(r));
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}/graphql/stream`,
    requests,
    cut: () => {
      for (const sock of sockets) sock.destroy();
    },
    stop,
    start,
    close: stop,
  };
}

let srv: GraphqlServers;
before(async () => {
  srv = await startGraphqlServers();
});
after(async () => {
  await srv.close();
});

describe('graphql-sse distinct connections: a dropped stream reconnects', () => {
  it('a cut socket: reconnect event, "re-subscribing 1 operation after the reconnect", the subscription sent again with meta.resubscribe', async () => {
    const before = srv.sseRequests();
    const events = await runSession(gql(srv.sseUrl, ['subscription Live { ticks(intervalMs: 10) { seq } }']), async (s, evs) => {
      await waitFor(evs, (es) => dataIn(es).length >= 2);
      srv.dropStreams();
      await waitFor(evs, (es) => controls(es, 'resubscribe').length === 1 && seqsOf(es, 'Live').filter((n) => n === 2).length >= 2, 10_000);
      await s.close('enough');
    });
    checkInvariants(events);
    assert.equal(ofKind(events, 'reconnect').length, 1);
    assert.equal(controls(events, 'resubscribe')[0].data, 're-subscribing 1 operation after the reconnect: Live');
    const subs = dataOut(events);
    assert.equal(subs.length, 2);
    assert.equal(subs[0].meta?.resubscribe, undefined);
    assert.equal(subs[1].meta?.resubscribe, true);
    assert.equal(srv.sseRequests() - before, 2, 'the server saw the subscription twice');
    const opens = ofKind(events, 'state').filter((s) => s.state === 'open');
    assert.equal(opens.length, 2);
    assert.equal(opens[1].meta?.reconnected, true);
    // The new subscription starts again at 1 on the same channel.
    const seqs = seqsOf(events, 'Live');
    assert.deepEqual(seqs.slice(0, 2), [1, 2]);
    assert.ok(seqs.lastIndexOf(1) > 1, `a second run of ticks: ${seqs.join(',')}`);
    assert.equal(terminal(events).state, 'closed');
    assert.equal(terminal(events).reason, 'enough');
  });

  it('the server restarted on the same port: attempts while it is down, then both running operations sent again', async () => {
    const own = await sseServer();
    try {
      const events = await runSession(gql(own.url, ['subscription A { ticks(intervalMs: 10) { seq } }', 'subscription B { ticks(intervalMs: 10) { seq } }']), async (s, evs) => {
        await waitFor(evs, (es) => seqsOf(es, 'A').length >= 2 && seqsOf(es, 'B').length >= 2);
        await own.stop();
        // Down long enough for at least one refused attempt.
        await waitFor(evs, (es) => ofKind(es, 'reconnect').length >= 2, 10_000);
        await own.start();
        await waitFor(evs, (es) => ofKind(es, 'state').filter((x) => x.state === 'open').length === 2 && seqsOf(es, 'A').lastIndexOf(1) > 0 && seqsOf(es, 'B').lastIndexOf(1) > 0, 10_000);
        await s.close('enough');
      });
      checkInvariants(events);
      const resub = controls(events, 'resubscribe');
      assert.ok(resub.length >= 2, 'every attempt says it sends the operations again');
      assert.ok(resub.every((f) => f.data === 're-subscribing 2 operations after the reconnect: A, B'), resub.map((f) => f.data).join(' | '));
      const reconnects = ofKind(events, 'reconnect');
      assert.deepEqual(reconnects.map((r) => r.attempt), reconnects.map((_, i) => i + 1), 'attempts counted');
      assert.match(reconnects[1].cause ?? '', /refused/i, 'a later attempt failed: nothing listening');
      const reopened = ofKind(events, 'state').filter((x) => x.state === 'open')[1];
      assert.equal(reopened.meta?.reconnected, true);
      assert.equal(reopened.meta?.attempts, reconnects.length);
      const posts = own.requests.filter((r) => r.method === 'POST');
      assert.ok(posts.length === 4, `two subscriptions, each sent twice: ${posts.length}`);
      assert.equal(terminal(events).state, 'closed');
    } finally {
      await own.close();
    }
  });

  it('with reconnecting off a cut ends the session in one line; a first stream that cannot connect fails at once', async () => {
    const events = await runSession(gql(srv.sseUrl, ['subscription Live { ticks(intervalMs: 10) { seq } }'], { reconnect: { enabled: false } }), async (_s, evs) => {
      await waitFor(evs, (es) => dataIn(es).length >= 1);
      srv.dropStreams();
      await waitFor(evs, (es) => terminal(es) !== undefined, 10_000);
    });
    assert.equal(ofKind(events, 'reconnect').length, 0);
    assert.equal(terminal(events).state, 'closed');
    assert.doesNotMatch(terminal(events).reason ?? '', /\n/);
    const refused = await runSession(gql('http://127.0.0.1:1/graphql/stream', ['subscription { ticks { seq } }']));
    assert.equal(terminal(refused).state, 'failed');
    assert.equal(ofKind(refused, 'reconnect').length, 0);
  });
});

describe('graphql-sse single connection mode (--graphql-protocol sse-single) against the library handler', () => {
  it('PUT reserves a stream, GET opens it with the token, each operation is POSTed with it; results come on the one stream; the token is never shown', async () => {
    const own = await sseServer();
    try {
      const events = await runSession(gql(own.url, ['subscription A { ticks(count: 3, intervalMs: 5) { seq } }', 'query Q { hello(name: "single") }'], { graphql: { protocol: 'sse-single' } }));
      checkInvariants(events);
      const [put, get, ...posts] = own.requests;
      assert.equal(put.method, 'PUT');
      assert.equal(put.token, undefined);
      assert.equal(get.method, 'GET');
      assert.ok(get.token && get.token.length > 0, 'the stream is asked for with the token');
      assert.deepEqual(posts.map((r) => [r.method, r.token]), [['POST', get.token], ['POST', get.token]]);
      assert.deepEqual(seqsOf(events, 'A'), [1, 2, 3]);
      assert.deepEqual(dataIn(events).filter((f) => f.channel === 'Q').map((f) => f.data), ['{"data":{"hello":"hello single"}}']);
      assert.equal(controls(events, 'reserved').length, 1);
      assert.match(controls(events, 'reserved')[0].data, /^reserved an event stream \(HTTP 201, a \d+-character token\)$/);
      assert.deepEqual(controls(events, 'complete').map((f) => f.channel).sort(), ['A', 'Q']);
      const out = dataOut(events);
      assert.deepEqual(out.map((f) => JSON.parse(f.data).extensions), [{ operationId: '1' }, { operationId: '2' }]);
      assert.ok(out.every((f) => (f.meta?.headers as Record<string, string>)['x-graphql-event-stream-token'] === '[token]'), 'the token header is masked');
      assert.ok(!JSON.stringify(events).includes(get.token!), 'the token appears in no event');
      assert.equal(ofKind(events, 'state').find((x) => x.state === 'open')?.meta?.mode, 'single');
      assert.equal(terminal(events).state, 'closed');
      assert.match(terminal(events).reason ?? '', /^2 operations done, 4 results$/);
    } finally {
      await own.close();
    }
  });

  it('--count stops the running operations with DELETE ?operationId= and the token; the composer POSTs another operation on the live stream', async () => {
    const own = await sseServer();
    try {
      // Ticks 200 ms apart: the composer's query is answered and complete long before the third result ends the session.
      const events = await runSession(gql(own.url, ['subscription Live { ticks(intervalMs: 200) { seq } }'], { count: 3, graphql: { protocol: 'sse-single' } }), async (s, evs) => {
        await waitFor(evs, (es) => dataIn(es).length >= 1);
        await s.send({ data: 'query Hi { hello(name: "composer") }' });
        await waitFor(evs, (es) => terminal(es) !== undefined, 10_000);
      });
      checkInvariants(events);
      assert.deepEqual(dataIn(events).filter((f) => f.channel === 'Hi').map((f) => f.data), ['{"data":{"hello":"hello composer"}}']);
      const token = own.requests.find((r) => r.method === 'GET')?.token;
      const deletes = own.requests.filter((r) => r.method === 'DELETE');
      assert.deepEqual(deletes, [{ method: 'DELETE', token, operationId: '1' }], 'the running subscription is stopped');
      assert.deepEqual(controls(events, 'stop').map((f) => f.data), ['stop Live (DELETE operationId=1)']);
      assert.equal(dataIn(events).length, 3);
      assert.equal(terminal(events).state, 'closed');
    } finally {
      await own.close();
    }
  });

  it('a cut stream reconnects: a new reservation, "re-subscribing 1 operation after the reconnect", the subscription POSTed again with the new token', async () => {
    const own = await sseServer();
    try {
      const events = await runSession(gql(own.url, ['subscription Live { ticks(intervalMs: 10) { seq } }'], { graphql: { protocol: 'sse-single' } }), async (s, evs) => {
        await waitFor(evs, (es) => dataIn(es).length >= 2);
        own.cut();
        await waitFor(evs, (es) => controls(es, 'resubscribe').length === 1 && seqsOf(es, 'Live').lastIndexOf(1) > 0 && seqsOf(es, 'Live').length >= 4, 10_000);
        await s.close('enough');
      });
      checkInvariants(events);
      assert.equal(ofKind(events, 'reconnect').length, 1);
      assert.equal(controls(events, 'resubscribe')[0].data, 're-subscribing 1 operation after the reconnect: Live');
      assert.equal(controls(events, 'reserved').length, 2, 'a new reservation');
      const posts = own.requests.filter((r) => r.method === 'POST');
      const gets = own.requests.filter((r) => r.method === 'GET');
      assert.equal(posts.length, 2);
      assert.equal(gets.length, 2);
      assert.notEqual(gets[0].token, gets[1].token);
      assert.equal(posts[1].token, gets[1].token, 'sent again with the new token');
      assert.deepEqual(dataOut(events).map((f) => f.meta?.resubscribe), [undefined, true]);
      const reopened = ofKind(events, 'state').filter((x) => x.state === 'open')[1];
      assert.equal(reopened.meta?.reconnected, true);
      assert.equal(terminal(events).state, 'closed');
    } finally {
      await own.close();
    }
  });

  for (const protocol of ['sse', 'sse-single'] as const) {
    it(`${protocol}: --resume-variable after: a cut stream resumes the subscription after its last result, every seq once and in order`, async () => {
      const own = await sseServer();
      const seqs = (es: WireEvent[]) => dataIn(es).map((f) => (JSON.parse(f.data) as { data: { resumable: { seq: number } } }).data.resumable.seq);
      try {
        const doc = 'subscription Live($after: Int) { resumable(after: $after) { seq } }';
        const events = await runSession(gql(own.url, [doc], { graphql: { protocol, resumeVariable: 'after', resumeField: '$.data.resumable.seq' } }), async (s, evs) => {
          await waitFor(evs, (es) => dataIn(es).length >= 3);
          own.cut();
          await waitFor(evs, (es) => controls(es, 'resubscribe').length === 1 && dataIn(es).length >= 7, 10_000);
          await s.close('enough');
        });
        checkInvariants(events);
        const line = controls(events, 'resubscribe')[0];
        const last = seqs(dataIn(events).filter((f) => f.seq < line.seq)).at(-1);
        assert.equal(line.data, `re-subscribing 1 operation after the reconnect: Live with after = ${last}`);
        const sent = dataOut(events).map((f) => (JSON.parse(f.data) as { variables?: { after?: number } }).variables?.after);
        assert.deepEqual(sent, [undefined, last], 'the first subscription has no cursor; the second carries the last seq');
        const all = seqs(events);
        assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i + 1));
      } finally {
        await own.close();
      }
    });
  }

  it('a server without single connection mode (distinct only) refuses the reservation: one line', async () => {
    const events = await runSession(gql(srv.httpUrl, ['subscription { ticks { seq } }'], { graphql: { protocol: 'sse-single' } }));
    assert.equal(terminal(events).state, 'failed');
    assert.match(terminal(events).reason ?? '', /^the event stream reservation \(PUT\)/);
    assert.doesNotMatch(terminal(events).reason ?? '', /\n/);
  });
});

describe('graphql-sse: the Reconnect command', () => {
  for (const protocol of ['sse', 'sse-single'] as const) {
    it(`${protocol}: a user-requested reconnect stops the stream and sends the running operation again, marked as the user's`, async () => {
      const own = await sseServer();
      try {
        const events = await runSession(gql(own.url, ['subscription Live { ticks(intervalMs: 10) { seq } }'], { graphql: { protocol } }), async (s, evs) => {
          await waitFor(evs, (es) => dataIn(es).length >= 2);
          s.reconnect();
          await waitFor(evs, (es) => controls(es, 'resubscribe').length === 1 && seqsOf(es, 'Live').lastIndexOf(1) > 0, 10_000);
          await s.close('enough');
        });
        checkInvariants(events);
        const reconnects = ofKind(events, 'reconnect');
        assert.equal(reconnects.length, 1);
        assert.equal(reconnects[0].meta?.requested, 'user');
        assert.equal(reconnects[0].delayMs, 0);
        assert.deepEqual(dataOut(events).map((f) => f.meta?.resubscribe), [undefined, true]);
        assert.equal(own.requests.filter((r) => r.method === 'POST').length, 2);
        assert.equal(ofKind(events, 'state').filter((x) => x.state === 'open')[1]?.meta?.reconnected, true);
        assert.equal(terminal(events).state, 'closed');
      } finally {
        await own.close();
      }
    });
  }
});
