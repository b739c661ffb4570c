// The grpc pattern against in-process @grpc/grpc-js servers (the library's own server, with @grpc/reflection),
// on 127.0.0.1 and ports chosen at run time: every call kind, statuses, deadlines, metadata, reflection
// v1 and v1alpha, .proto files with imports, TLS, a server that drops mid-stream, and the CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConnectArgs } from '../../../src/cli/args';
import { FaultProxy } from '../../../src/core/faultProxy';
import { environmentResolver } from '../../../src/core/profileFile';
import { resolveProfile } from '../../../src/core/profiles';
import { formatListing, listGrpc } from '../../../src/patterns/grpc/listing';
import { longText, messageToJson, messageToJsonText } from '../../../src/patterns/grpc/json';
import protobuf from 'protobufjs';
import { findMethod, loadProtos, messageTemplate, SchemaError, toJson } from '../../../src/patterns/grpc/schema';
import { grpcTimeout, MessageReader, MessageTooLarge, requestMetadata, statusReason } from '../../../src/patterns/grpc/wire';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { FrameEvent, StateEvent, SummaryEvent, TimingEvent, WireEvent } from '../../../src/shared/events';
import { FEED_PROTO, GRPC_FIXTURES, IMPORT_PATH, loadFeedDefinition, sampleItem, startGrpcServer, type GrpcTestServer } from '../../helpers/grpc';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';
import { makeTestCerts } from '../../helpers/tlsCerts';
import { assertOneLineError, parseNdjson, runCli } from '../cli/runCli';

const FEED = 'wirescope.feed.v1.Feed';
const dataIn = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'in' && !f.meta?.control);
const dataOut = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'out' && !f.meta?.control);
const controls = (events: WireEvent[], packet: string) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.meta?.control === true && f.meta.packet === packet);
const terminal = (events: WireEvent[]) => ofKind(events, 'state').find((s) => s.state === 'closed' || s.state === 'failed') as StateEvent;
const summary = (events: WireEvent[]) => events[events.length - 1] as SummaryEvent & { grpc?: Record<string, unknown> };
const protoFiles = { protos: [FEED_PROTO], importPaths: [IMPORT_PATH] };

/** The item of id 12 in the canonical proto3 JSON mapping, as the test server's sampleItem() builds it. */
const ITEM_12_JSON = {
  id: '12',
  name: 'item 12',
  bigCount: '18446744073709551615',
  delta: '-42',
  checksum: '1234567890123',
  blob: 'AAEC+v8=',
  kind: 'KIND_TOOL',
  tags: ['a', 'b'],
  counters: { views: '9007199254740993' },
  sizes: { '3': { width: 1.5, height: 2 } },
  cents: '1999',
  dimensions: { width: 10, height: 20 },
  extra: { '@type': 'type.googleapis.com/wirescope.common.Dimensions', width: 3 },
  createdAt: '2023-11-14T22:13:20.500Z',
  ttl: '90s',
  stock: '7',
  note: 'fragile',
  attributes: { color: 'red', sizes: [1, null] },
  mask: 'name,createdAt',
  kinds: ['KIND_BOOK', 'KIND_TOOL'],
  ratio: 0.5,
  labelsById: { '-5': 'negative key', '9007199254740993': 'big key' },
  maybe: 0,
};

describe('gRPC wire pieces', () => {
  it('reads length-prefixed messages cut at every byte, and refuses one over the limit at its prefix', () => {
    const msgs = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('x'.repeat(300))];
    const wire = Buffer.concat(
      msgs.map((m) => {
        const h = Buffer.alloc(5);
        h.writeUInt32BE(m.length, 1);
        return Buffer.concat([h, m]);
      }),
    );
    for (let cut = 0; cut <= wire.length; cut++) {
      const r = new MessageReader(1024);
      const got: string[] = [];
      r.push(wire.subarray(0, cut), (b) => got.push(b.toString()));
      r.push(wire.subarray(cut), (b) => got.push(b.toString()));
      assert.deepEqual(got, msgs.map(String), `cut at ${cut}`);
      assert.equal(r.pending, 0);
    }
    const big = Buffer.alloc(5);
    big.writeUInt32BE(0xffffffff, 1);
    assert.throws(() => new MessageReader(4 * 1024 * 1024).push(big, () => undefined), (e: unknown) => e instanceof MessageTooLarge && /4294967295 bytes, over the limit of 4194304/.test((e as Error).message));
  });
  it('words statuses, timeouts and metadata as the spec has them', () => {
    assert.equal(statusReason(5, 'no item 404'), 'NOT_FOUND: no item 404');
    assert.equal(statusReason(0, 'OK'), 'OK');
    assert.equal(statusReason(14, 'line one\nline two'), 'UNAVAILABLE: line one line two');
    assert.equal(grpcTimeout(250), '250m');
    assert.equal(grpcTimeout(1e9), '1000000S');
    assert.equal(grpcTimeout(2e11), '3333334M');
    assert.deepEqual(requestMetadata({ 'X-Tenant': 'a', 'trace-bin': 'AQID' }), { metadata: { 'x-tenant': 'a', 'trace-bin': 'AQID' } });
    assert.match((requestMetadata({ 'grpc-timeout': '1S' }) as { problem: string }).problem, /reserved by gRPC/);
    assert.match((requestMetadata({ 'trace-bin': 'not base64!' }) as { problem: string }).problem, /must be base64/);
  });
});

describe('gRPC schemas from .proto files', () => {
  it('resolves imports against --import-path as protoc -I does, with the well-known types built in', async () => {
    const root = await loadProtos([FEED_PROTO], [IMPORT_PATH]);
    const m = findMethod(root, `${FEED}/Upload`);
    assert.equal(m.kind, 'client-streaming');
    assert.equal(m.requestType.fullName, '.wirescope.common.Item');
    assert.equal(findMethod(root, `${FEED}/Chat`).kind, 'bidi');
    assert.equal(findMethod(root, `${FEED}/Watch`).kind, 'server-streaming');
  });
  it('an import outside every import path, a missing file or an unknown method is one line naming the fix', async () => {
    await assert.rejects(loadProtos([FEED_PROTO], [GRPC_FIXTURES]), (e: unknown) => e instanceof SchemaError && /^import "wirescope\/common\/item\.proto" \(in feed\.proto\) is not in any import path \(.*\): add --import-path DIR$/.test((e as Error).message));
    await assert.rejects(loadProtos(['nope.proto'], [IMPORT_PATH]), /^Error: nope\.proto: no such file$|nope\.proto: no such file/);
    await assert.rejects(loadProtos([FEED_PROTO], ['no/such/dir']), /--import-path no\/such\/dir: no such folder/);
    const root = await loadProtos([FEED_PROTO], [IMPORT_PATH]);
    assert.throws(() => findMethod(root, `${FEED}/Nope`), /service wirescope\.feed\.v1\.Feed has no method Nope \(it has Get, Watch, Upload, Chat, Ping\)/);
    assert.throws(() => findMethod(root, 'x.Y/Z'), /no service x\.Y in the schema \(there is wirescope\.feed\.v1\.Feed\)/);
  });
  it('a template has every field once: JSON names, 64-bit integers as strings, enums by name, one member per oneof, maps and the well-known types', async () => {
    const root = await loadProtos([FEED_PROTO], [IMPORT_PATH]);
    const t = messageTemplate(findMethod(root, `${FEED}/Upload`).requestType);
    assert.equal(t.bigCount, '0');
    assert.equal(t.kind, 'KIND_UNSPECIFIED');
    assert.deepEqual(t.counters, { key: '0' });
    assert.deepEqual(t.sizes, { '0': { width: 0, height: 0 } });
    assert.equal(t.cents, '0');
    assert.equal('freeText' in t, false, 'only the first member of a oneof');
    assert.equal(t.createdAt, '1970-01-01T00:00:00Z');
    assert.equal(t.ttl, '0s');
    assert.equal(t.stock, '0');
    assert.deepEqual(t.kinds, ['KIND_UNSPECIFIED']);
    // The template is a valid message of its type.
    const type = findMethod(root, `${FEED}/Upload`).requestType;
    const { fromJson } = await import('../../../src/patterns/grpc/schema');
    assert.ok(type.encode(fromJson(type, t)).finish().length > 0);
  });
});

describe('gRPC JSON mapping: the compiled converter against protobufjs ProtoJSON', () => {
  it('gives the same JSON for every kind of field, as the server encoded them (explicit zeros, 64-bit map keys, proto3 optional, Any, the well-known types)', async () => {
    const root = await loadProtos([FEED_PROTO], [IMPORT_PATH]);
    const defs = loadFeedDefinition();
    const Item = root.lookupType('wirescope.common.Item');
    const serialize = (defs[FEED] as unknown as Record<string, { responseSerialize(v: unknown): Buffer }>).Get.responseSerialize;
    const samples = [sampleItem('12'), { id: '0', name: '', kind: 'KIND_UNSPECIFIED', ratio: 0, tags: [], counters: {}, maybe: 7, free_text: '' }, { cents: '0', dimensions: {}, big_count: '0', ratio: NaN, blob: Buffer.alloc(0) }, { kinds: ['KIND_TOOL'], labels_by_id: { '0': 'zero' }, ratio: Infinity }];
    for (const sample of samples) {
      const decoded = Item.decode(serialize(sample));
      assert.deepEqual(messageToJson(Item, decoded), toJson(Item, decoded), JSON.stringify(toJson(Item, decoded)));
      assert.equal(messageToJsonText(Item, decoded), JSON.stringify(toJson(Item, decoded)), 'the text writer gives the same text');
    }
    assert.deepEqual(messageToJson(Item, Item.decode(serialize(sampleItem('12')))), ITEM_12_JSON);
    const Tick = root.lookupType('wirescope.feed.v1.Tick');
    const tick = Tick.decode(Tick.encode(Tick.fromObject({ seq: '-9223372036854775808', at: { seconds: 1, nanos: 5 } })).finish());
    assert.deepEqual(messageToJson(Tick, tick), { seq: '-9223372036854775808', at: '1970-01-01T00:00:01.000000005Z' });
    assert.equal(messageToJsonText(Tick, tick), '{"seq":"-9223372036854775808","at":"1970-01-01T00:00:01.000000005Z"}');
    // Timestamps and durations at their edges and with every fraction length, against ProtoJSON.
    const Timestamp = root.lookupType('google.protobuf.Timestamp');
    const Duration = root.lookupType('google.protobuf.Duration');
    for (const [seconds, nanos] of [[0, 0], [-62135596800, 0], [253402300799, 999999999], [1, 1000], [1, 120000000], [-1, 500], [1700000000, 7]]) {
      const ts = Timestamp.decode(Timestamp.encode(Timestamp.fromObject({ seconds, nanos: Math.abs(nanos) })).finish());
      assert.deepEqual(messageToJson(Timestamp, ts), toJson(Timestamp, ts), `timestamp ${seconds} ${nanos}`);
      const d = Duration.decode(Duration.encode(Duration.fromObject({ seconds, nanos: seconds < 0 ? -Math.abs(nanos) : Math.abs(nanos) })).finish());
      assert.deepEqual(messageToJson(Duration, d), toJson(Duration, d), `duration ${seconds} ${nanos}`);
    }
    const negativeNanos = Duration.decode(Duration.encode(Duration.fromObject({ seconds: 0, nanos: -5000 })).finish());
    assert.equal(messageToJson(Duration, negativeNanos), '-0.000005s');
    const bad = Timestamp.decode(Timestamp.encode(Timestamp.fromObject({ seconds: 1, nanos: -1 })).finish());
    assert.throws(() => messageToJson(Timestamp, bad), /nanos/);
  });
});

describe('gRPC JSON mapping: 64-bit integers', () => {
  it('the fast text of a Long equals long.js\'s own, signed and unsigned, across the 2^53 edge and the extremes', () => {
    // The Long class protobufjs decodes 64-bit fields to.
    const Long = protobuf.util.Long as unknown as { fromString(s: string, unsigned: boolean): { toString(): string } };
    const signed = ['0', '1', '-1', '4294967295', '4294967296', '-4294967296', '9007199254740991', '-9007199254740991', '9007199254740992', '-9007199254740992', '9223372036854775807', '-9223372036854775808', '1796018480191'];
    for (const v of signed) {
      const l = Long.fromString(v, false);
      assert.equal(longText(l), l.toString(), v);
      assert.equal(longText(l), v);
    }
    const unsigned = ['0', '4294967296', '9007199254740991', '9007199254740992', '9223372036854775808', '18446744073709551615'];
    for (const v of unsigned) {
      const l = Long.fromString(v, true);
      assert.equal(longText(l), v, `unsigned ${v}`);
    }
    assert.equal(longText(42), '42');
    assert.equal(longText('77'), '77');
    assert.equal(longText(null), '0');
  });
});

describe('gRPC calls against @grpc/grpc-js', () => {
  let srv: GrpcTestServer;
  before(async () => (srv = await startGrpcServer()));
  after(async () => srv.stop());
  const opts = (method: string, extra: Partial<ConnectOptions> = {}, grpc: NonNullable<ConnectOptions['grpc']> = {}): ConnectOptions => ({ pattern: 'grpc', url: srv.url, ...extra, grpc: { method: `${FEED}/${method}`, ...grpc } });

  it('unary over reflection: the item in canonical proto3 JSON (int64 as string, bytes base64, enums by name, maps, oneof, Any, Timestamp, Duration, wrappers, Struct, FieldMask)', async () => {
    const events = await runSession(opts('Get', { body: '{"id":"12"}', headers: { 'x-echo': 'hello', 'trace-bin': 'AAEC' } }));
    checkInvariants(events);
    const reflection = controls(events, 'REFLECTION');
    assert.equal(reflection.length, 1);
    assert.equal(reflection[0].meta?.version, 'v1');
    const [out] = dataOut(events);
    assert.equal(out.data, '{"id":"12"}');
    assert.equal(out.size, 2, 'size is the encoded protobuf size');
    assert.deepEqual(out.meta, { method: `${FEED}/Get`, type: 'wirescope.feed.v1.GetRequest', streamId: out.meta?.streamId });
    const ins = dataIn(events);
    assert.equal(ins.length, 1);
    assert.deepEqual(JSON.parse(ins[0].data), ITEM_12_JSON);
    assert.equal(ins[0].meta?.type, 'wirescope.common.Item');
    assert.equal(typeof ins[0].meta?.streamId, 'number');
    assert.ok((ins[0].meta?.streamId as number) % 2 === 1, 'a client stream id is odd');
    assert.ok(ins[0].size > 50 && ins[0].size < ins[0].data.length, `protobuf size ${ins[0].size} < JSON ${ins[0].data.length}`);
    const headers = controls(events, 'HEADERS')[0];
    assert.deepEqual(headers.meta?.headers, { 'x-served-by': 'grpc-js-test', 'x-trace-bin': 'AQID/g==', 'x-echo': 'hello' });
    const trailers = controls(events, 'TRAILERS')[0];
    assert.deepEqual(trailers.meta?.trailers, { 'x-checksum': 'abc123' });
    const t = terminal(events);
    assert.equal(t.state, 'closed');
    assert.equal(t.code, 0);
    assert.equal(t.reason, 'OK');
    assert.deepEqual(summary(events).grpc?.trailers, { 'x-checksum': 'abc123' });
    assert.equal(summary(events).grpc?.statusName, 'OK');
    // The server got the metadata (the -bin value as its bytes).
    const got = srv.calls.at(-1)!;
    assert.equal(got.method, 'Get');
    assert.deepEqual(got.metadata['x-echo'], ['hello']);
    assert.deepEqual(got.metadata['trace-bin'], [Buffer.from([0, 1, 2])]);
    // Timing: the connection (connect, no TLS) and the call (first message, total).
    const timings = ofKind(events, 'timing') as TimingEvent[];
    const conn = timings.find((x) => x.meta?.phase === 'connection')!;
    assert.equal(conn.phases.tls, null);
    assert.ok(conn.phases.connect !== null && conn.phases.connect >= 0);
    const call = timings.find((x) => x.meta?.phase === 'call')!;
    assert.ok(call.phases.ttfb !== null && call.phases.ttfb <= call.phases.total);
    assert.equal(call.meta?.streamId, ins[0].meta?.streamId);
  });

  it('the same call from .proto files gives the same JSON, without reflection', async () => {
    const events = await runSession(opts('Get', { body: '{"id":"12"}' }, protoFiles));
    assert.equal(controls(events, 'REFLECTION').length, 0);
    assert.deepEqual(JSON.parse(dataIn(events)[0].data), ITEM_12_JSON);
    assert.equal(dataIn(events)[0].meta?.streamId, 1, 'the call is the connection\'s first stream');
  });

  it('server-streaming: one in frame per message, then closed with code 0; sizes are protobuf sizes', async () => {
    const events = await runSession(opts('Watch', { body: '{"count":5}' }, protoFiles));
    checkInvariants(events);
    const ins = dataIn(events);
    assert.deepEqual(ins.map((f) => JSON.parse(f.data).seq), ['1', '2', '3', '4', '5']);
    // The size is what came on the wire: the server's own serializer gives the same byte count.
    const serialize = (loadFeedDefinition()[FEED] as unknown as Record<string, { responseSerialize(v: unknown): Buffer }>).Watch.responseSerialize;
    for (const f of ins) {
      const j = JSON.parse(f.data) as { seq: string; note: string };
      assert.equal(f.size, serialize({ seq: j.seq, at: { seconds: String(1700000000 + Number(j.seq)), nanos: 0 }, note: j.note }).length);
    }
    assert.equal(JSON.parse(ins[0].data).at, '2023-11-14T22:13:21Z');
    assert.equal(terminal(events).code, 0);
    assert.deepEqual(summary(events).grpc?.messages, { in: 5, out: 1 });
  });

  it('a status after some messages fails the session with the status as code and NAME: message as reason', async () => {
    const events = await runSession(opts('Watch', { body: '{"count":2,"failWith":9}' }));
    assert.equal(dataIn(events).length, 2);
    const t = terminal(events);
    assert.equal(t.state, 'failed');
    assert.equal(t.code, 9);
    assert.equal(t.reason, 'FAILED_PRECONDITION: stopped after 2 ticks');
    assert.deepEqual(summary(events).grpc && { status: summary(events).grpc?.status, statusName: summary(events).grpc?.statusName, message: summary(events).grpc?.message }, { status: 9, statusName: 'FAILED_PRECONDITION', message: 'stopped after 2 ticks' });
  });

  it('NOT_FOUND and INTERNAL: code and reason, -bin trailers as base64', async () => {
    const nf = await runSession(opts('Get', { body: '{"id":"404"}' }));
    assert.equal(terminal(nf).code, 5);
    assert.equal(terminal(nf).reason, 'NOT_FOUND: no item 404');
    const errors = ofKind(nf, 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'GRPC_NOT_FOUND');
    const internal = await runSession(opts('Get', { body: '{"id":"500"}' }));
    assert.equal(terminal(internal).reason, 'INTERNAL: database on fire');
    assert.deepEqual(summary(internal).grpc?.trailers, { 'x-debug-bin': Buffer.from('broken\u0000state').toString('base64').replace(/=+$/, '') });
  });

  it('client-streaming: every --send is an out frame, the half-close follows, one summary message comes back', async () => {
    const events = await runSession(opts('Upload', { send: ['{"name":"a","blob":"AAAA"}', '{"name":"b","blob":"AQ=="}', '{"name":"c"}'] }));
    assert.equal(dataOut(events).length, 3);
    assert.equal(controls(events, 'END_STREAM').length, 1);
    assert.deepEqual(dataIn(events).map((f) => JSON.parse(f.data)), [{ items: 3, totalBytes: '4', names: ['a', 'b', 'c'] }]);
    assert.equal(terminal(events).code, 0);
  });

  it('bidi: a live stream takes composer messages, then ends with a half-close', async () => {
    const events = await runSession(opts('Chat', { send: ['{"text":"one"}'] }, { keepSending: true }), async (s, ev) => {
      await waitFor(ev, (es) => dataIn(es).length === 1);
      await s.send({ data: '{"text":"two"}' });
      await waitFor(ev, (es) => dataIn(es).length === 2);
      await assert.rejects(s.send({ data: '{"nope":1}' }), /not a valid wirescope\.feed\.v1\.ChatMessage message/);
      await assert.rejects(s.send({ data: 'not json' }), /^Error: Not JSON/);
      (s as unknown as { transport: { halfClose(): void } }).transport.halfClose();
    });
    assert.deepEqual(dataIn(events).map((f) => JSON.parse(f.data)), [{ text: 'echo: one', seq: '1' }, { text: 'echo: two', seq: '2' }]);
    assert.equal(controls(events, 'END_STREAM').length, 1);
    assert.equal(terminal(events).code, 0);
  });

  it('--deadline ends a slow call with DEADLINE_EXCEEDED (the server sees the cancel)', async () => {
    const events = await runSession(opts('Get', { body: '{"id":"7"}' }, { deadlineMs: 200 }));
    const t = terminal(events);
    assert.equal(t.state, 'failed');
    assert.equal(t.code, 4);
    assert.match(t.reason ?? '', /^DEADLINE_EXCEEDED: /);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(srv.cancelled.includes('Get'), 'the server saw the call end');
    const rst = controls(events, 'RST_STREAM');
    assert.equal(rst.length, 1);
    assert.equal(rst[0].dir, 'out');
    assert.match(rst[0].data, /^RST_STREAM CANCEL on stream \d+: the call is cancelled from this side$/);
  });

  it('--count ends a long stream early: the call is cancelled, the session closed with "count reached"', async () => {
    const events = await runSession(opts('Watch', { body: '{"count":1000,"intervalMs":5}', count: 3 }));
    assert.equal(dataIn(events).length, 3);
    assert.equal(terminal(events).state, 'closed');
    assert.equal(terminal(events).reason, 'count reached');
    assert.equal(summary(events).grpc?.statusName, 'CANCELLED');
  });

  it('a message over --max-message-size ends the call with RESOURCE_EXHAUSTED in one line', async () => {
    const events = await runSession(opts('Get', { body: '{"id":"12"}' }, { maxMessageBytes: 50 }));
    assert.equal(terminal(events).code, 8);
    assert.match(terminal(events).reason ?? '', /^RESOURCE_EXHAUSTED: the server sent a message of \d+ bytes, over the limit of 50 bytes/);
  });

  it('bad requests are one line before anything is sent: -d not JSON, a field the type lacks, --send on a unary call; no method names the methods there are', async () => {
    const r1 = await runSession(opts('Get', { body: '{nope' }, protoFiles));
    assert.match(terminal(r1).reason ?? '', /^-d is not JSON: /);
    assert.equal(ofKind(r1, 'state').some((s) => s.state === 'connecting'), false, 'checked before connecting');
    const r2 = await runSession(opts('Get', { body: '{"idd":1}' }, protoFiles));
    assert.match(terminal(r2).reason ?? '', /^not a valid wirescope\.feed\.v1\.GetRequest message: /);
    const r3 = await runSession(opts('Get', { send: ['{}'] }, protoFiles));
    assert.match(terminal(r3).reason ?? '', /Feed\/Get is a unary call: it takes one request from -d JSON, not --send/);
    const r4 = await runSession({ pattern: 'grpc', url: srv.url });
    assert.equal(terminal(r4).reason, `no method to call: give --method package.Service/Method (there are ${FEED}/Get, ${FEED}/Watch, ${FEED}/Upload, ${FEED}/Chat, ${FEED}/Ping)`);
    const r5 = await runSession(opts('Nope'));
    assert.match(terminal(r5).reason ?? '', /has no method Nope/);
  });

  it('--list: services, call kinds, types and templates, from reflection and from .proto files', async () => {
    const l = await listGrpc({ pattern: 'grpc', url: srv.url });
    assert.equal(l.source, 'reflection v1');
    assert.deepEqual(l.methods.map((m) => `${m.name}:${m.kind}`), ['Get:unary', 'Watch:server-streaming', 'Upload:client-streaming', 'Chat:bidi', 'Ping:unary']);
    assert.deepEqual(l.methods[1].template, { count: 0, intervalMs: 0, failWith: 0 });
    const text = formatListing(l);
    assert.match(text, /^service wirescope\.feed\.v1\.Feed {2}\(schema from reflection v1\)$/m);
    assert.match(text, /^ {2}wirescope\.feed\.v1\.Feed\/Upload {2}client-streaming {2}wirescope\.common\.Item -> wirescope\.feed\.v1\.UploadSummary$/m);
    const files = await listGrpc({ pattern: 'grpc', url: 'grpc://127.0.0.1:9', grpc: protoFiles });
    assert.equal(files.source, 'proto files');
    assert.deepEqual(files.methods.map((m) => m.template), l.methods.map((m) => m.template));
  });
});

describe('gRPC: the HTTP/2 connection shown', () => {
  it('the server\'s SETTINGS in words on open, and its keepalive PINGs as control frames during a call (grpc-js keepalive)', async () => {
    const pinging = await startGrpcServer({ serverOptions: { 'grpc.keepalive_time_ms': 100, 'grpc.keepalive_timeout_ms': 5000 } });
    try {
      const events = await runSession({ pattern: 'grpc', url: pinging.url, body: '{"count":8,"intervalMs":100}', grpc: { method: `${FEED}/Watch`, ...protoFiles } });
      checkInvariants(events);
      const settings = controls(events, 'SETTINGS');
      assert.equal(settings.length >= 1, true);
      assert.match(settings[0].data, /^SETTINGS from the server: .*max frame \d+ B/);
      assert.equal(typeof (settings[0].meta?.settings as { maxFrameSize?: number }).maxFrameSize, 'number');
      const pings = controls(events, 'PING');
      assert.ok(pings.length >= 2, `keepalive PINGs shown: ${pings.length}`);
      assert.ok(pings.every((p) => p.dir === 'in' && /^PING from the server \(answered with its PING ACK\)$/.test(p.data) && /^[0-9a-f]{16}$/.test(String(p.meta?.payload))));
      assert.equal(dataIn(events).length, 8);
      assert.equal(terminal(events).state, 'closed');
    } finally {
      await pinging.stop();
    }
  });
});

describe('gRPC reflection versions, TLS and drops', () => {
  it('a server with only grpc.reflection.v1alpha is still read; one without reflection is one line naming --proto', async () => {
    const old = await startGrpcServer({ reflection: 'v1alpha' });
    const none = await startGrpcServer({ reflection: 'none' });
    try {
      const events = await runSession({ pattern: 'grpc', url: old.url, body: '{"count":1}', grpc: { method: `${FEED}/Watch` } });
      assert.equal(controls(events, 'REFLECTION')[0].meta?.version, 'v1alpha');
      assert.equal(dataIn(events).length, 1);
      const l = await listGrpc({ pattern: 'grpc', url: old.url });
      assert.equal(l.source, 'reflection v1alpha');
      const r = await runSession({ pattern: 'grpc', url: none.url, grpc: { method: `${FEED}/Ping` } });
      assert.equal(terminal(r).reason, 'the server does not offer server reflection (grpc.reflection.v1 and v1alpha are UNIMPLEMENTED): give the schema with --proto FILE');
      const ok = await runSession({ pattern: 'grpc', url: none.url, grpc: { method: `${FEED}/Ping`, ...protoFiles } });
      assert.equal(terminal(ok).code, 0);
      assert.deepEqual(JSON.parse(dataIn(ok)[0].data), {});
    } finally {
      await old.stop();
      await none.stop();
    }
  });

  it('grpcs:// with the CA trusted: TLS timed and ALPN h2; untrusted: one TLS line', async () => {
    const certs = makeTestCerts();
    const srv = await startGrpcServer({ tls: certs.selfSigned });
    try {
      const events = await runSession({ pattern: 'grpc', url: srv.url, tls: { ca: certs.selfSigned.cert }, body: '{"id":"12"}', grpc: { method: `${FEED}/Get` } });
      assert.equal(terminal(events).code, 0);
      const open = ofKind(events, 'state').find((s) => s.state === 'open')!;
      assert.equal((open.meta?.tls as { alpn: string }).alpn, 'h2');
      const conn = (ofKind(events, 'timing') as TimingEvent[]).find((x) => x.meta?.phase === 'connection')!;
      assert.ok(conn.phases.tls !== null && conn.phases.tls > 0);
      const bad = await runSession({ pattern: 'grpc', url: srv.url, grpc: { method: `${FEED}/Get` } });
      assert.equal(terminal(bad).state, 'failed');
      assert.match(terminal(bad).reason ?? '', /^TLS failure \(grpcs:\/\/127\.0\.0\.1:\d+\): the server certificate is self-signed/);
      const plain = await runSession({ pattern: 'grpc', url: srv.url.replace('grpcs:', 'grpc:'), grpc: { method: `${FEED}/Get` }, connectTimeoutMs: 3000 });
      assert.equal(terminal(plain).state, 'failed');
      assert.match(terminal(plain).reason ?? '', /does not speak HTTP\/2|closed the connection before HTTP\/2 SETTINGS/);
    } finally {
      await srv.stop();
    }
  });

  it('a server that goes away mid-stream fails the call with UNAVAILABLE in one line, no reconnect', async () => {
    const srv = await startGrpcServer();
    try {
      const events = await runSession({ pattern: 'grpc', url: srv.url, body: '{"count":1000,"intervalMs":20}', grpc: { method: `${FEED}/Watch` } }, async (_s, ev) => {
        await waitFor(ev, (es) => dataIn(es).length >= 3);
        srv.server.forceShutdown();
      });
      checkInvariants(events);
      const t = terminal(events);
      assert.equal(t.state, 'failed');
      assert.equal(t.code, 14);
      assert.match(t.reason ?? '', /^UNAVAILABLE: /);
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.equal(ofKind(events, 'error').length, 1);
    } finally {
      await srv.stop();
    }
  });
});

describe('gRPC in the CLI', () => {
  let srv: GrpcTestServer;
  before(async () => (srv = await startGrpcServer()));
  after(async () => srv.stop());

  it('a connection dropped under a call (no GOAWAY, no RST_STREAM) fails it with UNAVAILABLE, not as a reset by the server', async () => {
    const srv = await startGrpcServer();
    const proxy = await FaultProxy.start(Number(new URL(srv.url).port));
    try {
      const events = await runSession({ pattern: 'grpc', url: proxy.url('grpc'), body: '{"count":1000,"intervalMs":20}', grpc: { method: `${FEED}/Watch` } }, async (_s, ev) => {
        await waitFor(ev, (es) => dataIn(es).length >= 3);
        assert.ok(proxy.cut() >= 1, 'the proxy cut the connection');
      });
      checkInvariants(events);
      const t = terminal(events);
      assert.equal(t.state, 'failed');
      assert.equal(t.code, 14, t.reason);
      assert.match(t.reason ?? '', /^UNAVAILABLE: the connection closed/);
      assert.ok(!ofKind(events, 'frame').some((f) => /^RST_STREAM .* from the server/.test((f as FrameEvent).data)), 'no reset is said to come from the server');
      assert.equal(ofKind(events, 'reconnect').length, 0);
    } finally {
      await proxy.close();
      await srv.stop();
    }
  });

  it('connect flags: --method, --proto and --import-path (repeatable), --deadline, --list; grpcs:// infers the pattern', () => {
    const c = parseConnectArgs(['grpcs://h:443', '--method', '/pkg.v1.Svc/Do', '--proto', 'a.proto', '--proto', 'b.proto', '--import-path', 'x', '--import-path', 'y', '--deadline', '500', '--keep-sending']);
    assert.equal(c.options.pattern, 'grpc');
    assert.deepEqual(c.options.grpc, { method: 'pkg.v1.Svc/Do', protos: ['a.proto', 'b.proto'], importPaths: ['x', 'y'], deadlineMs: 500, keepSending: true });
    assert.equal(parseConnectArgs(['grpc://h:1', '--list']).grpcList, true);
    assert.throws(() => parseConnectArgs(['grpc://h:1', '--method', 'nodots']), /--method needs package\.Service\/Method, got "nodots"/);
    assert.throws(() => parseConnectArgs(['ws://h:1', '--list']), /--list applies to the grpc\/graphql patterns, not ws/);
  });

  it('the issue\'s line: --proto with --import-path, --method Watch, -d {"count":5}: 5 in frames and a closed state with code 0', async () => {
    const r = await runCli(['connect', srv.url.replace('127.0.0.1', '127.0.0.1'), '--proto', 'test/fixtures/grpc/feed.proto', '--import-path', 'test/fixtures/grpc/protos', '--method', `${FEED}/Watch`, '-d', '{"count":5}', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    checkInvariants(events);
    assert.equal(dataIn(events).length, 5);
    assert.equal(terminal(events).state, 'closed');
    assert.equal(terminal(events).code, 0);
  });

  it('a profile\'s .proto files and import paths are read from where the profile lives, not the working folder', async () => {
    const profile = { name: 'feed', pattern: 'grpc' as const, url: srv.url, body: '{"count":2}', grpc: { method: `${FEED}/Watch`, protos: ['feed.proto'], importPaths: ['protos'] } };
    const resolved = await resolveProfile(profile, environmentResolver({}, GRPC_FIXTURES, 'feed'));
    assert.deepEqual(resolved.options.grpc?.protos, [FEED_PROTO]);
    assert.deepEqual(resolved.options.grpc?.importPaths, [IMPORT_PATH]);
    const events = await runSession(resolved.options);
    assert.equal(dataIn(events).length, 2);
    assert.equal(terminal(events).code, 0);
  });

  it('a non-OK status exits 1 with the status on the one stderr line', async () => {
    const r = await runCli(['connect', srv.url, '--method', `${FEED}/Get`, '-d', '{"id":"404"}']);
    assert.equal(r.code, 1);
    assert.equal(assertOneLineError(r.stderr), 'wirescope: NOT_FOUND: no item 404');
    const d = await runCli(['connect', srv.url, '--method', `${FEED}/Get`, '-d', '{"id":"7"}', '--deadline', '100']);
    assert.equal(d.code, 1);
    assert.match(assertOneLineError(d.stderr), /^wirescope: DEADLINE_EXCEEDED: /);
  });

  it('--list prints each method with its kind, types and input template; --format ndjson one JSON line per method', async () => {
    const r = await runCli(['connect', srv.url, '--list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wirescope\.feed\.v1\.Feed\/Chat {2}bidi {2}wirescope\.feed\.v1\.ChatMessage -> wirescope\.feed\.v1\.ChatMessage/);
    assert.match(r.stdout, /"bigCount": "0"/);
    const j = await runCli(['connect', srv.url, '--list', '--format', 'ndjson']);
    const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { method: string; kind: string; source: string });
    assert.equal(lines.length, 5);
    assert.equal(lines[0].source, 'reflection v1');
    const down = await runCli(['connect', 'grpc://127.0.0.1:1', '--list']);
    assert.equal(down.code, 1);
    assert.match(assertOneLineError(down.stderr), /^wirescope: Connection refused/);
  });
});

