// The demo backend's GraphQL side (src/demo/graphqlFeed.ts) on its HTTP port: queries and a mutation over
// graphql-http, and the feed as a subscription over graphql-ws, the legacy subscriptions-transport-ws (same path,
// chosen by subprotocol) and graphql-sse, run by the real CLI; introspection through --list.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Session } from '../../../src/core/session';
import { startDemo, type DemoBackend } from '../../../src/demo';
import type { FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { ofKind, waitFor } from '../../helpers/servers';
import { parseNdjson, runCli } from '../cli/runCli';

let demo: DemoBackend;

before(async () => {
  demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 20 });
});
after(async () => {
  await demo?.close();
});

const dataIn = (events: WireEvent[]) => ofKind(events, 'frame').filter((f: FrameEvent) => f.dir === 'in' && f.meta?.control !== true);
const results = (events: WireEvent[]) => dataIn(events).map((f) => JSON.parse(String(f.data)) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> });

describe('demo GraphQL', () => {
  it('lists its URLs on the HTTP port: /graphql over http and ws, /graphql/stream', async () => {
    const origin = new URL(demo.urls.index).origin;
    assert.equal(demo.urls.graphql, `${origin}/graphql`);
    assert.equal(demo.urls.graphqlWs, `${origin.replace('http:', 'ws:')}/graphql`);
    assert.equal(demo.urls.graphqlSse, `${origin}/graphql/stream`);
    const index = (await (await fetch(demo.urls.index, { headers: { accept: 'application/json' } })).json()) as { urls: Record<string, string> };
    assert.equal(index.urls.graphqlWs, demo.urls.graphqlWs);
  });

  it('answers queries over HTTP: latest, event(seq:), events, items (the REST resource), feed', async () => {
    for (let i = 0; i < 3; i++) demo.feed.tick();
    const want = demo.feed.since(demo.feed.cursor - 2)[0];
    const created = (await (await fetch(demo.urls.items, { method: 'POST', body: '{"name":"from REST"}', headers: { 'content-type': 'application/json' } })).json()) as { id: number };
    const r = await runCli(['connect', demo.urls.graphql, '--pattern', 'graphql', '-d', 'query Q($s: Int!) { latest { seq level } event(seq: $s) { seq value label at } events(after: 0, limit: 2) { seq } items { id name } feed { cursor rate } }', '--variables', JSON.stringify({ s: want.seq }), '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const [res] = results(parseNdjson(r.stdout));
    assert.equal(res.errors, undefined);
    const d = res.data as { latest: { seq: number; level: string }; event: { seq: number; value: number; label: string; at: number }; events: Array<{ seq: number }>; items: Array<{ id: number; name: string }>; feed: { cursor: number; rate: number } };
    assert.ok(d.latest.seq >= want.seq);
    assert.match(d.latest.level, /^(LOW|MID|HIGH)$/);
    assert.deepEqual(d.event, { seq: want.seq, value: want.value, label: want.label, at: want.at });
    assert.deepEqual(d.events.map((e) => e.seq), [demo.feed.oldestKept, demo.feed.oldestKept + 1]);
    assert.ok(d.items.some((i) => i.id === created.id && i.name === 'from REST'));
    assert.equal(d.feed.rate, 20);
  });

  it('an absent event is a GraphQL error naming the kept seqs: flagged, exit 1, with HTTP 200', async () => {
    const r = await runCli(['connect', demo.urls.graphql, '--pattern', 'graphql', '-d', 'query { event(seq: 999999) { seq } }', '--format', 'ndjson']);
    assert.equal(r.code, 1);
    const events = parseNdjson(r.stdout);
    const [res] = results(events);
    assert.match(res.errors?.[0]?.message ?? '', /^no event 999999: the feed is at seq \d+ and keeps \d+\.\.\d+$/);
    assert.equal((ofKind(events, 'state').pop() as StateEvent).code, 200);
    assert.match(r.stderr, /no event 999999/);
  });

  it('publish(label:) produces a feed event now, which a subscription on the same feed receives', async () => {
    const session = new Session({ pattern: 'graphql', url: demo.urls.graphqlWs, body: 'subscription { ticks { seq label } }' });
    const events: WireEvent[] = [];
    session.onEvent((e) => events.push(e));
    await session.start();
    try {
      await waitFor(events, (es) => dataIn(es).length >= 1, 10_000);
      const r = await runCli(['connect', demo.urls.graphql, '--pattern', 'graphql', '-d', 'mutation { publish(label: "from-test") { seq label } }', '--format', 'ndjson']);
      assert.equal(r.code, 0, r.stderr);
      const published = (results(parseNdjson(r.stdout))[0].data as { publish: { seq: number; label: string } }).publish;
      assert.equal(published.label, 'from-test');
      assert.equal(demo.feed.since(published.seq - 1)[0].label, 'from-test', 'the feed has it');
      await waitFor(events, (es) => results(es).some((x) => (x.data?.ticks as { seq: number } | undefined)?.seq === published.seq), 10_000);
      const got = results(events).find((x) => (x.data?.ticks as { seq: number }).seq === published.seq);
      assert.deepEqual(got?.data, { ticks: { seq: published.seq, label: 'from-test' } });
    } finally {
      await session.close();
    }
  });

  for (const [name, url, protocol, wire] of [
    ['auto over ws (the server picks graphql-transport-ws)', () => demo.urls.graphqlWs, 'auto', 'graphql-transport-ws'],
    ['graphql-transport-ws', () => demo.urls.graphqlWs, 'graphql-transport-ws', 'graphql-transport-ws'],
    ['legacy graphql-ws (subscriptions-transport-ws)', () => demo.urls.graphqlWs, 'graphql-ws', 'graphql-ws'],
    ['graphql-sse', () => demo.urls.graphqlSse, 'sse', 'graphql-sse'],
  ] as const) {
    it(`subscription { ticks { seq } } --count 3 over ${name}: 3 results, seq increasing by one`, async () => {
      const r = await runCli(['connect', url(), '--pattern', 'graphql', '-d', 'subscription { ticks { seq } }', '--count', '3', '--graphql-protocol', protocol, '--id-field', '$.data.ticks.seq', '--format', 'ndjson']);
      assert.equal(r.code, 0, r.stderr);
      const events = parseNdjson(r.stdout);
      const seqs = results(events).map((x) => (x.data?.ticks as { seq: number }).seq);
      assert.equal(seqs.length, 3, r.stdout);
      assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2]);
      assert.ok(dataIn(events).every((f) => f.meta?.protocol === wire), `over ${wire}: ${JSON.stringify(dataIn(events).map((f) => f.meta?.protocol))}`);
      assert.deepEqual(ofKind(events, 'anomaly'), []);
      assert.equal((ofKind(events, 'state').pop() as StateEvent).state, 'closed');
    });
  }

  it('ticks(from:) resumes from a kept seq: the kept events first, in order', async () => {
    for (let i = 0; i < 5; i++) demo.feed.tick();
    const from = demo.feed.cursor - 4;
    const r = await runCli(['connect', demo.urls.graphqlWs, '--pattern', 'graphql', '-d', `subscription { ticks(from: ${from}) { seq } }`, '--count', '6', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(results(parseNdjson(r.stdout)).map((x) => (x.data?.ticks as { seq: number }).seq), [from, from + 1, from + 2, from + 3, from + 4, from + 5]);
  });

  it('--list by introspection names the query, mutation and subscription fields, at the query URL and at the graphql-sse one', async () => {
    // graphql-sse's handler answers a plain POST with an error ("Stream not found"): the listing asks it over graphql-sse next.
    for (const url of [demo.urls.graphql, demo.urls.graphqlSse]) {
      const r = await runCli(['connect', url, '--pattern', 'graphql', '--list']);
      assert.equal(r.code, 0, `${url}: ${r.stderr}`);
      for (const line of ['latest: Event', 'event(seq: Int!): Event', 'items: [Item!]!', 'publish(label: String): Event!', 'ticks(from: Int = 0, after: Int): Event!']) {
        assert.ok(r.stdout.includes(line), `${url}: ${line} in:\n${r.stdout}`);
      }
    }
  });

  it('a WebSocket upgrade of /graphql without a GraphQL subprotocol is refused with a 400 naming both; /ws still works beside it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(demo.urls.graphqlWs, ['chat']);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          try {
            assert.match(body, /graphql-transport-ws.*graphql-ws/);
            resolve(res.statusCode ?? 0);
          } catch (e) {
            reject(e);
          }
        });
      });
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', () => undefined);
    });
    assert.equal(status, 400);
    const echo = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(demo.urls.ws);
      ws.on('open', () => ws.send('still here'));
      ws.on('message', (m) => {
        if (String(m) === 'still here') {
          ws.close();
          resolve(String(m));
        }
      });
      ws.on('error', reject);
    });
    assert.equal(echo, 'still here');
  });
});
