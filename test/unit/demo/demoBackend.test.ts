import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { io as socketIoClient } from 'socket.io-client';
import WebSocket from 'ws';
import { demoProfiles, startDemo, type DemoBackend, type FeedEvent } from '../../../src/demo';
import { validateProfile, type Profile } from '../../../src/shared/profile';
import { httpServer } from '../../helpers/servers';
import { freePort } from '../../../src/core/freePort';

/** Read an SSE response until `n` events arrived (bounded), then drop the connection. */
async function readSse(url: string, headers: Record<string, string>, n: number, onFirstChunk?: () => void, timeoutMs = 5000): Promise<{ status: number; contentType: string; raw: string; events: Array<{ id?: string; event?: string; data: string }> }> {
  const ac = new AbortController();
  const guard = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(url, { headers, signal: ac.signal });
  let raw = '';
  const events: Array<{ id?: string; event?: string; data: string }> = [];
  try {
    const decoder = new TextDecoder();
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      if (raw === '') onFirstChunk?.();
      raw += decoder.decode(chunk, { stream: true });
      const blocks = raw.split('\n\n');
      events.length = 0;
      for (const block of blocks.slice(0, -1)) {
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const m = /^([a-z]+): ?(.*)$/.exec(line);
          if (m) fields[m[1]] = m[2];
        }
        if (fields.data !== undefined) events.push({ id: fields.id, event: fields.event, data: fields.data });
      }
      if (events.length >= n) break;
    }
  } finally {
    clearTimeout(guard);
    ac.abort();
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', raw, events };
}

describe('demo backend', () => {
  let demo: DemoBackend;
  before(async () => {
    // Paused feed: the tests produce events with tick(), so every expectation is exact.
    demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0, jobMs: 300 });
  });
  after(async () => {
    await demo.close();
  });

  it('binds 127.0.0.1 and lists every URL on the index page, as text and as JSON', async () => {
    assert.match(demo.urls.index, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const text = await (await fetch(demo.urls.index)).text();
    for (const url of [demo.urls.items, demo.urls.sse, demo.urls.ws, demo.urls.poll, demo.urls.stream, demo.urls.jobs]) assert.ok(text.includes(url), url);
    const json = (await (await fetch(demo.urls.index, { headers: { accept: 'application/json' } })).json()) as { urls: Record<string, string> };
    assert.equal(json.urls.ws, demo.urls.ws);
    assert.equal(json.urls.longPoll, demo.urls.longPoll);
  });

  it('hands out its profiles (the one definition in demoProfiles.ts) on the JSON index, each one valid', async () => {
    const json = (await (await fetch(demo.urls.index, { headers: { accept: 'application/json' } })).json()) as { profiles: Profile[] };
    assert.deepEqual(json.profiles, demoProfiles(demo.urls));
    // This demo has no MQTT broker, no gRPC server and no webhook target: those profiles are absent, the HTTP-based ones all there.
    assert.deepEqual(json.profiles.map((p) => p.pattern), ['http', 'ws', 'sse', 'poll', 'long-poll', 'stream', 'socketio', 'async', 'graphql', 'graphql', 'graphql', 'graphql']);
    for (const p of json.profiles) assert.deepEqual(validateProfile(p), [], p.name);
    const full = demoProfiles({ ...demo.urls, mqtt: 'mqtt://127.0.0.1:1883', webhookTarget: 'http://127.0.0.1:4567/hook', grpc: 'grpc://127.0.0.1:50051' });
    const hook = full.find((p) => p.pattern === 'webhook');
    assert.deepEqual(hook?.webhook, { listen: '127.0.0.1:4567' });
    assert.ok(full.some((p) => p.pattern === 'mqtt'));
    assert.deepEqual(full.filter((p) => p.pattern === 'grpc').map((p) => [p.name, p.grpc?.method]), [
      ['gRPC Watch', 'wirescope.demo.Feed/Watch'],
      ['gRPC Get', 'wirescope.demo.Feed/Get'],
      ['gRPC Chat', 'wirescope.demo.Feed/Chat'],
    ]);
    for (const p of full) assert.deepEqual(validateProfile(p), [], p.name);
  });

  it('serves a REST resource: list, create, read, replace, delete, and clear errors', async () => {
    const list = (await (await fetch(demo.urls.items)).json()) as Array<{ id: number }>;
    assert.ok(Array.isArray(list) && list.length >= 2);
    const created = await fetch(demo.urls.items, { method: 'POST', body: JSON.stringify({ name: 'widget', size: 3 }), headers: { 'content-type': 'application/json' } });
    assert.equal(created.status, 201);
    const item = (await created.json()) as { id: number; name: string; size: number };
    assert.equal(created.headers.get('location'), `/items/${item.id}`);
    assert.equal(item.name, 'widget');
    const url = `${demo.urls.items}/${item.id}`;
    assert.deepEqual(((await (await fetch(url)).json()) as { name: string }).name, 'widget');
    const put = await fetch(url, { method: 'PUT', body: JSON.stringify({ name: 'gadget' }) });
    assert.equal(put.status, 200);
    const replaced = (await put.json()) as Record<string, unknown>;
    assert.equal(replaced.name, 'gadget');
    assert.equal(replaced.size, undefined, 'PUT replaces the fields');
    assert.equal(replaced.id, item.id);
    assert.equal((await fetch(url, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(url)).status, 404);
    const bad = await fetch(demo.urls.items, { method: 'POST', body: '{not json' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /not valid JSON/);
    assert.equal((await fetch(demo.urls.items, { method: 'PATCH' })).status, 405);
  });

  it('/sse sends retry, id and event: tick, and replays what a client missed from Last-Event-ID', async () => {
    const before = demo.feed.cursor;
    const sent = [demo.feed.tick(), demo.feed.tick(), demo.feed.tick()];
    const r = await readSse(demo.urls.sse, { 'Last-Event-ID': String(before + 1) }, 2);
    assert.equal(r.status, 200);
    assert.match(r.contentType, /^text\/event-stream/);
    assert.match(r.raw, /^retry: \d+\n\n/);
    assert.deepEqual(
      r.events.map((e) => [e.id, e.event]),
      [
        [String(sent[1].seq), 'tick'],
        [String(sent[2].seq), 'tick'],
      ],
    );
    assert.deepEqual(JSON.parse(r.events[1].data), sent[2]);
  });

  it('/sse pushes live events to a connected client', async () => {
    let e: FeedEvent | undefined;
    // The first chunk (retry:) means the client is subscribed; only then is the event produced.
    const r = await readSse(demo.urls.sse, {}, 1, () => (e = demo.feed.tick()));
    assert.ok(e);
    assert.equal(r.events[0].id, String(e.seq));
    assert.equal(r.events[0].event, 'tick');
  });

  it('/poll answers with ETag, Last-Modified, X-Changed-At and a changedAt field, and 304 when unchanged', async () => {
    const e = demo.feed.tick();
    const res = await fetch(demo.urls.poll);
    assert.equal(res.status, 200);
    const etag = res.headers.get('etag')!;
    assert.equal(etag, `"${e.seq}"`);
    assert.equal(res.headers.get('x-changed-at'), String(e.at));
    assert.equal(res.headers.get('last-modified'), new Date(e.at).toUTCString());
    const body = (await res.json()) as FeedEvent & { changedAt: number };
    assert.equal(body.seq, e.seq);
    assert.equal(body.changedAt, e.at);
    const same = await fetch(demo.urls.poll, { headers: { 'if-none-match': etag } });
    assert.equal(same.status, 304);
    assert.equal(await same.text(), '');
    const byDate = await fetch(demo.urls.poll, { headers: { 'if-modified-since': res.headers.get('last-modified')! } });
    assert.equal(byDate.status, 304);
    demo.feed.tick();
    const changed = await fetch(demo.urls.poll, { headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
  });

  it('/long-poll returns missed events at once, holds until the next one, and answers 204 after the wait', async () => {
    const base = demo.urls.longPoll.split('?')[0];
    const start = demo.feed.cursor;
    demo.feed.tick();
    demo.feed.tick();
    const now = await fetch(`${base}?cursor=${start}`);
    assert.equal(now.status, 200);
    const body = (await now.json()) as { events: FeedEvent[]; cursor: number };
    assert.deepEqual(body.events.map((e) => e.seq), [start + 1, start + 2]);
    assert.equal(body.cursor, start + 2);
    assert.equal(now.headers.get('x-cursor'), String(start + 2));

    const t0 = Date.now();
    const held = fetch(`${base}?cursor=${body.cursor}&wait=5000`);
    await new Promise((r) => setTimeout(r, 200));
    const next = demo.feed.tick();
    const heldRes = await held;
    assert.ok(Date.now() - t0 >= 180, 'the request was held until the event');
    assert.equal(heldRes.status, 200);
    assert.deepEqual(((await heldRes.json()) as { events: FeedEvent[] }).events, [next]);

    const t1 = Date.now();
    const empty = await fetch(`${base}?cursor=${next.seq}&wait=250`);
    assert.equal(empty.status, 204);
    assert.ok(Date.now() - t1 >= 240, 'held for the wait time');
    assert.equal(empty.headers.get('x-cursor'), String(next.seq));
    assert.equal((await fetch(`${base}?cursor=abc`)).status, 400);
  });

  it('/stream sends NDJSON, one line per event, chunked', async () => {
    const from = demo.feed.cursor;
    const sent = [demo.feed.tick(), demo.feed.tick(), demo.feed.tick()];
    const res = await fetch(`${demo.urls.stream}?from=${from}&limit=3`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    const lines = (await res.text()).split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    assert.deepEqual(lines.map((l) => JSON.parse(l)), sent);
  });

  it('/jobs runs the 202 flow: Location and Retry-After, running, then done with a result', async () => {
    const post = await fetch(demo.urls.jobs, { method: 'POST' });
    assert.equal(post.status, 202);
    assert.equal(post.headers.get('retry-after'), '1');
    const location = post.headers.get('location')!;
    assert.match(location, /^\/jobs\/\d+$/);
    assert.equal(((await post.json()) as { status: string }).status, 'running');
    const statusUrl = new URL(location, demo.urls.index).href;
    const running = await fetch(statusUrl);
    assert.equal(running.status, 202);
    assert.equal(((await running.json()) as { status: string }).status, 'running');
    await new Promise((r) => setTimeout(r, 350));
    const done = await fetch(statusUrl);
    assert.equal(done.status, 200);
    const body = (await done.json()) as { status: string; result: { tookMs: number } };
    assert.equal(body.status, 'done');
    assert.equal(body.result.tookMs, 300);
    assert.equal((await fetch(new URL('/jobs/999999', demo.urls.index))).status, 404);
  });

  it('/ws echoes text and binary and pushes the feed as JSON', async () => {
    const ws = new WebSocket(demo.urls.ws);
    const got: Array<{ data: string; binary: boolean }> = [];
    ws.on('message', (d, isBinary) => got.push({ data: isBinary ? (d as Buffer).toString('hex') : d.toString(), binary: isBinary }));
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send('hello');
      ws.send(Buffer.from([1, 2, 255]));
      const until = Date.now() + 3000;
      while (got.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      const e = demo.feed.tick();
      while (got.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(got, [
        { data: 'hello', binary: false },
        { data: '0102ff', binary: true },
        { data: JSON.stringify(e), binary: false },
      ]);
    } finally {
      ws.terminate();
    }
  });

  it('serves the feed over Socket.IO on the same port (a bare socket.io-client): welcome, ticks, echo with an ack, polling and upgrade', async () => {
    const client = socketIoClient(demo.urls.socketio, { reconnection: false, transports: ['polling', 'websocket'] });
    const ticks: FeedEvent[] = [];
    client.on('tick', (e: FeedEvent) => ticks.push(e));
    try {
      const welcome = await new Promise<{ server: string; namespace: string }>((resolve, reject) => {
        client.once('welcome', resolve);
        client.once('connect_error', reject);
      });
      assert.equal(welcome.server, 'wirescope demo');
      assert.equal(welcome.namespace, '/');
      await new Promise<void>((resolve) => (client.io.engine.transport.name === 'websocket' ? resolve() : client.io.engine.once('upgrade', () => resolve())));
      const e = demo.feed.tick();
      const until = Date.now() + 3000;
      while (!ticks.some((t) => t.seq === e.seq) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(ticks.find((t) => t.seq === e.seq), e);
      const acked = await client.timeout(3000).emitWithAck('echo', { a: 1 }, 'two');
      assert.deepEqual(acked, { a: 1 });
    } finally {
      client.disconnect();
    }
    // The WebSocket route still answers its own path on the shared server.
    const ws = new WebSocket(demo.urls.ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.terminate();
  });

  it('answers 404 with a pointer to the index for unknown paths and upgrades', async () => {
    const res = await fetch(new URL('/nope', demo.urls.index));
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /GET \/ lists every route/);
    const ws = new WebSocket(demo.urls.ws.replace('/ws', '/other'));
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    ws.terminate();
    assert.equal(status, 404);
  });
});

describe('demo webhook sender', () => {
  it('POSTs each feed event with a valid X-Signature-256 HMAC', async () => {
    const received: Array<{ body: string; signature: string; seq: string }> = [];
    const receiver = await httpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-signature-256']), seq: String(req.headers['x-wirescope-seq']) });
        res.writeHead(204).end();
      });
    });
    const secret = 'test-secret-not-real';
    const logs: string[] = [];
    const demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0, webhookUrl: receiver.url + '/hook', webhookSecret: secret, onLog: (l) => logs.push(l) });
    try {
      assert.equal(demo.webhookSecret, secret);
      const sent = [demo.feed.tick(), demo.feed.tick()];
      const until = Date.now() + 5000;
      while (received.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.equal(received.length, 2);
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(JSON.parse(received[i].body), sent[i], 'in order, the event as JSON');
        assert.equal(received[i].seq, String(sent[i].seq));
        const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(received[i].body).digest('hex'));
        const actual = Buffer.from(received[i].signature);
        assert.ok(expected.length === actual.length && timingSafeEqual(expected, actual), 'signature verifies');
        const wrong = 'sha256=' + createHmac('sha256', 'other').update(received[i].body).digest('hex');
        assert.notEqual(received[i].signature, wrong);
      }
      while (logs.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.match(logs[0], /webhook #\d+ -> HTTP 204/);
    } finally {
      await demo.close();
      await receiver.close();
    }
  });

  it('makes up a random secret when none is given and reports failed deliveries in one line', async () => {
    const logs: string[] = [];
    // Nothing listens on port 1 of the loopback interface.
    const demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0, webhookUrl: 'http://127.0.0.1:1/hook', onLog: (l) => logs.push(l) });
    try {
      assert.match(demo.webhookSecret ?? '', /^[0-9a-f]{32}$/);
      demo.feed.tick();
      const until = Date.now() + 5000;
      while (logs.length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.match(logs[0], /^webhook #\d+ failed: Connection refused/);
    } finally {
      await demo.close();
    }
  });
});

describe('startDemo', () => {
  it('rejects with EADDRINUSE when the port is taken, and close() is safe twice', async () => {
    const demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0 });
    const port = Number(new URL(demo.urls.index).port);
    await assert.rejects(startDemo({ port, mqttPort: false, grpcPort: false, rate: 0 }), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
    await demo.close();
    await demo.close();
    // The port is free again.
    const srv = http.createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => srv.close(() => r()));
  });
});

describe('stopping the demo under live clients', () => {
  it('close() ends promptly while SSE, stream, long-poll, WebSocket and Socket.IO clients are connected (a restart test waits on it)', async () => {
    const demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0, longPollWaitMs: 60_000 });
    const held: http.ClientRequest[] = [];
    /** A GET that stays open: resolved once its response began (SSE), or once the request went out (a stream or long poll of the paused feed answers nothing yet). */
    const hold = (url: string, until: 'response' | 'sent') =>
      new Promise<void>((resolve) => {
        const req = http.get(url, (res) => {
          res.on('error', () => undefined);
          res.resume();
          resolve();
        });
        req.on('error', () => undefined);
        if (until === 'sent') req.on('finish', () => resolve());
        held.push(req);
      });
    const ws = new WebSocket(demo.urls.ws);
    ws.on('error', () => undefined);
    const sio = socketIoClient(demo.urls.socketio!, { transports: ['websocket'], reconnection: false });
    try {
      await Promise.all([
        hold(demo.urls.sse, 'response'),
        hold(demo.urls.stream, 'sent'),
        hold(demo.urls.longPoll.replace('cursor=0', 'cursor=999999'), 'sent'),
        new Promise((r) => ws.once('open', r)),
        new Promise((r) => sio.once('welcome', r)),
      ]);
      await new Promise((r) => setTimeout(r, 100));
      const closed = await Promise.race([demo.close().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5000))]);
      assert.ok(closed, 'close() did not finish within 5 s with clients connected');
    } finally {
      sio.close();
      ws.terminate();
      for (const r of held) r.destroy();
    }
  });
});

describe('demo MQTT broker', () => {
  it('is started by startDemo, listed in the URLs, and publishes the feed on feed/#', async () => {
    const demo = await startDemo({ port: 0, mqttPort: 0, grpcPort: false, rate: 0 });
    const { connectAsync } = await import('mqtt');
    const client = await connectAsync(demo.urls.mqtt!, { reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      assert.match(demo.urls.mqtt ?? '', /^mqtt:\/\/127\.0\.0\.1:\d+$/);
      const index = (await (await fetch(demo.urls.index, { headers: { accept: 'application/json' } })).json()) as { urls: Record<string, string> };
      assert.equal(index.urls.mqtt, demo.urls.mqtt);
      const got: Array<{ topic: string; body: string }> = [];
      client.on('message', (topic, payload) => got.push({ topic, body: payload.toString('utf8') }));
      await client.subscribeAsync('feed/ticks');
      const e = demo.feed.tick();
      const until = Date.now() + 5000;
      while (got.length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(got[0], { topic: 'feed/ticks', body: JSON.stringify(e) });
    } finally {
      await client.endAsync(true);
      await demo.close();
    }
  });
});

describe('the demo index while the demo starts', () => {
  it('answers 503 until every side listens, then lists every URL: the first 200 already has MQTT and gRPC (npm start lays out its profiles from it)', async () => {
    const port = await freePort();
    const starting = startDemo({ port, mqttPort: 0, grpcPort: 0, rate: 0 });
    let started = false;
    void starting.then(() => (started = true), () => (started = true));
    const answers: Array<{ status: number; urls?: Record<string, string> }> = [];
    // Ask as npm start does, every few ms, until startDemo has resolved (bounded: 20 s).
    const deadline = Date.now() + 20_000;
    while (!started && Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { urls?: Record<string, string> };
        answers.push({ status: res.status, urls: body.urls });
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const demo = await starting;
    try {
      for (const a of answers) {
        assert.ok(a.status === 503 || a.status === 200, `status ${a.status}`);
        if (a.status === 200) assert.ok(a.urls?.mqtt && a.urls.grpc, `a 200 while starting lists every side: ${JSON.stringify(a.urls)}`);
      }
      const res = await fetch(demo.urls.index, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { urls: Record<string, string>; profiles: Array<{ name: string }> };
      assert.equal(body.urls.grpc, demo.urls.grpc);
      assert.equal(body.urls.mqtt, demo.urls.mqtt);
      assert.ok(body.profiles.some((p) => p.name === 'gRPC Watch') && body.profiles.some((p) => p.name === 'MQTT feed'));
    } finally {
      await demo.close();
    }
  });
});
