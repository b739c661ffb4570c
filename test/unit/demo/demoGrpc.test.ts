// The demo backend's gRPC side (src/demo/grpcFeed.ts): wirescope.demo.Feed on @grpc/grpc-js with server reflection,
// on a free port, called by the real CLI (Watch, Get, Chat, --list by reflection) and, for the v1alpha reflection
// service, by grpc-js's own client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor';
import { startDemo, type DemoBackend } from '../../../src/demo';
import { DEMO_FEED_PROTO, reflectionProto } from '../../../src/demo/grpcProto';
import type { FrameEvent, StateEvent } from '../../../src/shared/events';
import { ofKind } from '../../helpers/servers';
import { parseNdjson, runCli } from '../cli/runCli';

let demo: DemoBackend;

before(async () => {
  demo = await startDemo({ port: 0, mqttPort: false, grpcPort: 0, rate: 20 });
});
after(async () => {
  await demo?.close();
});

const dataIn = (events: ReturnType<typeof parseNdjson>) => ofKind(events, 'frame').filter((f: FrameEvent) => f.dir === 'in' && f.meta?.control !== true);
const json = (f: FrameEvent) => JSON.parse(String(f.data)) as Record<string, unknown>;

describe('demo gRPC: wirescope.demo.Feed with reflection', () => {
  it('is listed in the URLs (loopback, its own port) and on the index', async () => {
    assert.match(demo.urls.grpc ?? '', /^grpc:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(demo.urls.grpc!).port, new URL(demo.urls.index).port);
    const index = (await (await fetch(demo.urls.index, { headers: { accept: 'application/json' } })).json()) as { urls: Record<string, string> };
    assert.equal(index.urls.grpc, demo.urls.grpc);
  });

  it('Watch -d {"count":5}: 5 events in frames, seq increasing as int64 strings, Timestamp, enum and map in JSON, closed with code 0', async () => {
    const r = await runCli(['connect', demo.urls.grpc!, '--method', 'wirescope.demo.Feed/Watch', '-d', '{"count":5}', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    const msgs = dataIn(events).map(json);
    assert.equal(msgs.length, 5, r.stdout);
    const seqs = msgs.map((m) => m.seq);
    for (const s of seqs) assert.match(String(s), /^\d+$/, 'int64 as a string');
    for (let i = 1; i < seqs.length; i++) assert.equal(Number(seqs[i]), Number(seqs[i - 1]) + 1, `consecutive: ${seqs.join(',')}`);
    for (const m of msgs) {
      assert.match(String(m.at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'Timestamp as RFC 3339');
      assert.match(String(m.level), /^LEVEL_(LOW|MID|HIGH)$/);
      assert.deepEqual(m.tags, { parity: Number(m.seq) % 2 === 0 ? 'even' : 'odd', source: 'wirescope-demo' });
    }
    const last = ofKind(events, 'state').pop() as StateEvent;
    assert.equal(last.state, 'closed');
    assert.equal(last.code, 0);
  });

  it('Watch from a kept seq resumes: the kept events first, in order, with the id check clean', async () => {
    const from = demo.feed.cursor - 3;
    assert.ok(from >= 1, 'the feed has events');
    const r = await runCli(['connect', demo.urls.grpc!, '--method', 'wirescope.demo.Feed/Watch', '-d', JSON.stringify({ count: 6, from }), '--id-field', '$.seq', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    const seqs = dataIn(events).map((f) => Number(json(f).seq));
    assert.deepEqual(seqs, [from, from + 1, from + 2, from + 3, from + 4, from + 5]);
    assert.deepEqual(ofKind(events, 'anomaly'), []);
  });

  it('Get returns the event asked for (as the feed has it), and NOT_FOUND with one clear line when the feed does not keep it', async () => {
    const want = demo.feed.since(demo.feed.cursor - 2)[0];
    const r = await runCli(['connect', demo.urls.grpc!, '--method', 'wirescope.demo.Feed/Get', '-d', JSON.stringify({ seq: want.seq }), '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const [got] = dataIn(parseNdjson(r.stdout)).map(json);
    assert.equal(got.seq, String(want.seq));
    assert.equal(got.value ?? 0, want.value);
    assert.equal(got.label, want.label);
    assert.equal(Date.parse(String(got.at)), want.at);

    const missing = await runCli(['connect', demo.urls.grpc!, '--method', 'wirescope.demo.Feed/Get', '-d', '{"seq":"9007199254740993"}', '--format', 'ndjson']);
    assert.equal(missing.code, 1);
    const lines = missing.stderr.trim().split('\n');
    assert.equal(lines.length, 1, missing.stderr);
    assert.match(lines[0], /NOT_FOUND: no event 9007199254740993: the feed is at seq \d+ and keeps \d+\.\.\d+/);
    const failed = ofKind(parseNdjson(missing.stdout), 'state').pop() as StateEvent;
    assert.equal(failed.code, 5);
  });

  it('Chat echoes each message with a per-call seq, a server timestamp and the feed seq', async () => {
    const before = demo.feed.cursor;
    const r = await runCli(['connect', demo.urls.grpc!, '--method', 'wirescope.demo.Feed/Chat', '--send', '{"text":"hi"}', '--send', '{"text":"again"}', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const replies = dataIn(parseNdjson(r.stdout)).map(json);
    assert.deepEqual(replies.map((m) => [m.text, m.seq]), [['echo: hi', '1'], ['echo: again', '2']]);
    for (const m of replies) {
      assert.ok(Math.abs(Date.parse(String(m.at)) - Date.now()) < 60_000, String(m.at));
      assert.ok(Number(m.feedSeq) >= before, `feedSeq ${String(m.feedSeq)}`);
    }
  });

  it('--list by reflection (v1) names the three methods with their call kinds and input templates', async () => {
    const r = await runCli(['connect', demo.urls.grpc!, '--list', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { method: string; kind: string; input: string; output: string; template: unknown; source: string });
    assert.deepEqual(
      rows.map((m) => [m.method, m.kind, m.input, m.output]),
      [
        ['wirescope.demo.Feed/Watch', 'server-streaming', 'wirescope.demo.WatchRequest', 'wirescope.demo.Event'],
        ['wirescope.demo.Feed/Get', 'unary', 'wirescope.demo.GetRequest', 'wirescope.demo.Event'],
        ['wirescope.demo.Feed/Chat', 'bidi', 'wirescope.demo.ChatMessage', 'wirescope.demo.ChatReply'],
      ],
    );
    assert.deepEqual(rows[0].template, { count: 0, from: '0' });
    assert.match(rows[0].source, /reflection v1/);
  });

  it('the older grpc.reflection.v1alpha answers too (to grpc-js\'s own client), with real file names and the Timestamp import', async () => {
    const def = protoLoader.fromJSON(protobuf.parse(reflectionProto('v1alpha')).root.toJSON(), { longs: String, enums: String, defaults: true, oneofs: true });
    const Ctor = grpc.makeGenericClientConstructor((def['grpc.reflection.v1alpha.ServerReflection'] as grpc.ServiceDefinition), 'ServerReflection');
    const client = new Ctor(new URL(demo.urls.grpc!).host, grpc.credentials.createInsecure());
    try {
      const ask = (req: Record<string, unknown>) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const call = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, Record<string, unknown>> }).ServerReflectionInfo();
          call.on('data', (m) => {
            resolve(m);
            call.end();
          });
          call.on('error', reject);
          call.write(req);
        });
      const list = await ask({ listServices: '' });
      const names = ((list.listServicesResponse as { service: Array<{ name: string }> }).service).map((s) => s.name).sort();
      // @grpc/reflection lists the services of the definition it describes (not itself).
      assert.deepEqual(names, ['wirescope.demo.Feed']);
      const files = await ask({ fileContainingSymbol: 'wirescope.demo.Feed' });
      const FDP = (descriptorExt as unknown as { FileDescriptorProto: { decode(b: Uint8Array): { name: string; dependency: string[]; service: Array<{ name: string }> } } }).FileDescriptorProto;
      const decoded = ((files.fileDescriptorResponse as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto).map((b) => FDP.decode(b));
      const feed = decoded.find((f) => f.name === 'wirescope/demo/feed.proto');
      assert.ok(feed, decoded.map((f) => f.name).join(', '));
      assert.deepEqual(feed.dependency, ['google/protobuf/timestamp.proto']);
      assert.deepEqual(feed.service.map((s) => s.name), ['Feed']);
      assert.ok(decoded.some((f) => f.name === 'google/protobuf/timestamp.proto'), 'the dependency comes along');
    } finally {
      client.close();
    }
  });

  it('the .proto text the HTTP side serves works with --proto (imports resolved, no reflection asked)', async () => {
    assert.equal(demo.urls.grpcProto, new URL('/grpc/feed.proto', demo.urls.index).href);
    const res = await fetch(demo.urls.grpcProto!);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.equal(text, DEMO_FEED_PROTO);
    const dir = mkdtempSync(join(tmpdir(), 'wirescope-demo-proto-'));
    try {
      mkdirSync(join(dir, 'protos', 'wirescope', 'demo'), { recursive: true });
      writeFileSync(join(dir, 'protos', 'wirescope', 'demo', 'feed.proto'), text);
      const r = await runCli(['connect', demo.urls.grpc!, '--proto', 'wirescope/demo/feed.proto', '--import-path', 'protos', '--method', 'wirescope.demo.Feed/Watch', '-d', '{"count":5}', '--format', 'ndjson'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const events = parseNdjson(r.stdout);
      assert.equal(dataIn(events).length, 5);
      assert.ok(!ofKind(events, 'frame').some((f) => f.meta?.packet === 'REFLECTION'), 'the schema came from the file');
      const last = ofKind(events, 'state').pop() as StateEvent;
      assert.deepEqual([last.state, last.code], ['closed', 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a busy gRPC port is one EADDRINUSE error, and the HTTP side it started is closed again', async () => {
    const port = Number(new URL(demo.urls.grpc!).port);
    await assert.rejects(startDemo({ port: 0, mqttPort: false, grpcPort: port, rate: 0 }), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE' && err.message.includes(String(port)));
  });
});
