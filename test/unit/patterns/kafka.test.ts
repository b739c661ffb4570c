// The kafka pattern against librdkafka's mock cluster (Debian's kcat, one cluster per describe block, in its own
// process group, stopped after), with kcat as the peer that produces the records Wirescope reads and reads back
// the records Wirescope produces. See test/helpers/kafka.ts for what the mock cluster cannot do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConnectArgs } from '../../../src/cli/args';
import { Session } from '../../../src/core/session';
import { parseFrom, parseKafkaUrl, type KafkaUrl } from '../../../src/patterns/kafka/transport';
import { produceArg } from '../../../src/patterns/kafka/descriptor';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { AnomalyEvent, FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';
import { kcatConsume, kcatProduce, startKafka, type KafkaCluster } from '../../helpers/kafka';
import { assertOneLineError, parseNdjson, runCli } from '../cli/runCli';

const dataIn = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'in' && !f.meta?.control);
const dataOut = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'out' && !f.meta?.control);
const controls = (events: WireEvent[], packet: string) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.meta?.control === true && f.meta?.packet === packet);
const states = (events: WireEvent[]) => (ofKind(events, 'state') as StateEvent[]).map((s) => s.state);

async function live(options: ConnectOptions): Promise<{ s: Session; events: WireEvent[] }> {
  const s = new Session(options);
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  return { s, events };
}

let topicN = 0;
const freshTopic = (name: string) => `ws-${name}-${process.pid}-${++topicN}`;

describe('kafka pattern: URL, --from, --produce and connect flags', () => {
  it('reads a bootstrap list, TLS and user info from the URL, and says what is wrong in one line', () => {
    const u = parseKafkaUrl('kafka://alice:s%40cret@a.example:9093,b.example,[::1]:9094') as KafkaUrl;
    assert.deepEqual(u.brokers, [{ host: 'a.example', port: 9093 }, { host: 'b.example', port: 9092 }, { host: '::1', port: 9094 }]);
    assert.equal(u.username, 'alice');
    assert.equal(u.password, 's@cret');
    assert.equal((parseKafkaUrl('kafkas://k:9093') as KafkaUrl).secure, true);
    assert.match(parseKafkaUrl('kafka://a:99999') as string, /Invalid URL: "kafka:\/\/a:99999": port 99999 is out of range/);
    assert.match(parseKafkaUrl('kafka://a,,b') as string, /empty broker/);
    const bad = parseKafkaUrl('kafka://u:hunter2@a:1:2') as string;
    assert.match(bad, /is not host:port/);
    assert.doesNotMatch(bad, /hunter2/);
  });
  it('--from takes beginning, latest, an offset or an ISO time, and nothing else', () => {
    assert.deepEqual(parseFrom('beginning'), { kind: 'beginning' });
    assert.deepEqual(parseFrom(undefined), { kind: 'latest' });
    assert.deepEqual(parseFrom('42'), { kind: 'offset', offset: 42n });
    assert.deepEqual(parseFrom('2026-11-30T10:00:00Z'), { kind: 'time', ms: Date.parse('2026-11-30T10:00:00Z') });
    assert.match(parseFrom('yesterday') as string, /--from must be beginning, latest, an offset/);
  });
  it('--produce topic:key=value (key optional; the value may hold = and :)', () => {
    assert.deepEqual(produceArg('orders:k1=v=1:x'), { topic: 'orders', key: 'k1', value: 'v=1:x' });
    assert.deepEqual(produceArg('orders=plain'), { topic: 'orders', value: 'plain' });
    assert.deepEqual(produceArg('orders:=empty key'), { topic: 'orders', key: '', value: 'empty key' });
    assert.throws(() => produceArg('orders'), /needs topic:key=value/);
  });
  it('fills the kafka options from the flags; --from, --group, --publish keep their Redis and NATS meanings', () => {
    const c = parseConnectArgs(['kafka://127.0.0.1:9092', '--topic', 'a', '--topic', 'b', '--from', 'beginning', '--group', 'g', '--commit', '--produce', 'a:k=v', '--produce-topic', 'a', '--client-id', 'me', '-H', 'trace: 1']);
    assert.equal(c.options.pattern, 'kafka');
    assert.deepEqual(c.options.kafka, { topic: ['a', 'b'], from: 'beginning', group: 'g', commit: true, produce: [{ topic: 'a', key: 'k', value: 'v' }], produceTopic: 'a', clientId: 'me' });
    assert.deepEqual(c.options.headers, { trace: '1' });
    assert.deepEqual(parseConnectArgs(['redis://127.0.0.1', '--stream', 's', '--from', '0', '--group', 'g']).options.redis, { stream: ['s'], from: '0', group: 'g' });
    assert.equal(parseConnectArgs(['mqtt://127.0.0.1', '--client-id', 'c']).options.mqtt?.clientId, 'c');
    assert.equal(parseConnectArgs(['kafka://127.0.0.1', '--username', 'u', '--password-env', 'KPW'], { env: { KPW: 'pw' }, readFile: () => '' }).options.kafka?.password, 'pw');
  });
});

describe('kafka pattern against the mock cluster (kcat)', () => {
  let k: KafkaCluster;
  before(async () => {
    k = await startKafka();
  });
  after(async () => {
    await k?.stop();
  });

  it('CLI: --topic t --from beginning --count 3 shows three keyed records produced by kcat, with partition and offset', async () => {
    const topic = freshTopic('cli');
    await kcatProduce(k.bootstrap, topic, [
      { key: 'k1', value: '{"seq":1}' },
      { key: 'k2', value: '{"seq":2}' },
      { key: 'k3', value: '{"seq":3}' },
    ]);
    const r = await runCli(['connect', k.url, '--topic', topic, '--from', 'beginning', '--count', '3', '--format', 'ndjson'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    const recs = dataIn(events);
    assert.equal(recs.length, 3);
    assert.deepEqual(recs.map((f) => f.meta?.key).sort(), ['k1', 'k2', 'k3']);
    for (const f of recs) {
      assert.equal(f.channel, topic);
      assert.equal(typeof f.meta?.partition, 'number');
      assert.match(String(f.meta?.offset), /^\d+$/);
      assert.match(String(f.meta?.timestamp), /^\d{4}-\d\d-\d\dT/);
      assert.equal(f.data, `{"seq":${String(f.meta?.key).slice(1)}}`);
    }
    // The pretty output names partition@offset and the key.
    const pretty = await runCli(['connect', k.url, '--topic', topic, '--from', 'beginning', '--count', '3'], { timeoutMs: 30_000 });
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.match(pretty.stdout, /\[ws-cli-[^\]]+\]\s+p\d+@\d+ key k1\s+\{"seq":1\}/);
    assert.match(pretty.stdout, /MODE {2}watching only \(no consumer group, nothing committed\)/);
  });

  it('meta carries headers and timestamp; binary values and keys are kept as base64; summary has first/last offsets per partition', async () => {
    const topic = freshTopic('meta');
    await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: 'one', partition: 0, headers: { 'x-id': '7', trace: 'abc' } }, { key: 'a', value: 'two', partition: 0, headers: { 'x-id': '8', trace: 'abc' } }, { key: 'b', value: 'three', partition: 2 }]);
    const events = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning' }, count: 3 }, undefined, 20_000);
    checkInvariants(events);
    const recs = dataIn(events);
    assert.equal(recs.length, 3);
    const one = recs.find((f) => f.data === 'one');
    assert.deepEqual(one?.meta?.headers, { 'x-id': '7', trace: 'abc' });
    assert.equal(one?.meta?.partition, 0);
    assert.equal(one?.meta?.offset, '0');
    const summary = ofKind(events, 'summary')[0] as unknown as { kafka: { partitions: Array<{ topic: string; partition: number; records: number; firstOffset: string | null; lastOffset: string | null; highWatermark?: string; lag?: number }> } };
    const p0 = summary.kafka.partitions.find((p) => p.partition === 0);
    const p2 = summary.kafka.partitions.find((p) => p.partition === 2);
    assert.deepEqual({ first: p0?.firstOffset, last: p0?.lastOffset, n: p0?.records, hw: p0?.highWatermark, lag: p0?.lag }, { first: '0', last: '1', n: 2, hw: '2', lag: 0 });
    assert.deepEqual({ first: p2?.firstOffset, last: p2?.lastOffset }, { first: '0', last: '0' });
    assert.equal(summary.kafka.partitions.find((p) => p.partition === 1)?.firstOffset, null);
    assert.equal(controls(events, 'ASSIGN').length, 1);
    assert.match(controls(events, 'ASSIGN')[0].data, /assigned \(no consumer group\): ws-meta-[^ ]+ \[0, 1, 2, 3\]/);
  });

  it('produces with --produce and -H headers: each is an out frame with the acknowledged partition and offset, and kcat reads them back', async () => {
    const topic = freshTopic('produce');
    const events = await runSession(
      { pattern: 'kafka', url: k.url, headers: { 'x-trace': 't1' }, kafka: { produce: [{ topic, key: 'order-1', value: 'created' }, { topic, key: 'order-1', value: 'paid' }, { topic, value: 'keyless' }] } },
      async (s, es) => {
        await waitFor(es, (x) => dataOut(x).length >= 3, 15_000);
        await s.close('done');
      },
      20_000,
    );
    checkInvariants(events);
    const outs = dataOut(events);
    assert.deepEqual(outs.map((f) => f.data), ['created', 'paid', 'keyless']);
    for (const f of outs) {
      assert.equal(f.channel, topic);
      assert.equal(f.meta?.acked, true);
      assert.equal(typeof f.meta?.partition, 'number');
      assert.match(String(f.meta?.offset), /^\d+$/);
    }
    // Same key, same partition, consecutive offsets.
    assert.equal(outs[0].meta?.partition, outs[1].meta?.partition);
    assert.equal(BigInt(String(outs[1].meta?.offset)), BigInt(String(outs[0].meta?.offset)) + 1n);
    const back = await kcatConsume(k.bootstrap, topic);
    assert.deepEqual(back.map((r) => r.value).sort(), ['created', 'keyless', 'paid']);
    const created = back.find((r) => r.value === 'created');
    assert.equal(created?.key, 'order-1');
    assert.equal(created?.partition, outs[0].meta?.partition);
    assert.equal(created?.offset, Number(outs[0].meta?.offset));
    assert.match(created?.headers ?? '', /x-trace=t1/);
  });

  it('--from latest shows only records produced after the start; --from <offset> and --from <ISO time> start there', async () => {
    const topic = freshTopic('from');
    await kcatProduce(k.bootstrap, topic, [0, 1, 2, 3, 4].map((i) => ({ key: 'k', value: `old-${i}`, partition: 1 })));
    const { s, events } = await live({ pattern: 'kafka', url: k.url, kafka: { topic: [topic] } });
    await waitFor(events, (es) => controls(es, 'ASSIGN').length === 1, 15_000);
    await kcatProduce(k.bootstrap, topic, [{ key: 'k', value: 'new-0', partition: 1 }]);
    await waitFor(events, (es) => dataIn(es).length >= 1, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    await s.close('done');
    assert.deepEqual(dataIn(events).map((f) => f.data), ['new-0']);

    const fromOffset = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: '3' }, count: 3 }, undefined, 20_000);
    assert.deepEqual(dataIn(fromOffset).map((f) => `${f.data}@${String(f.meta?.offset)}`), ['old-3@3', 'old-4@4', 'new-0@5']);

    // A time: the first record at or after it in each partition, or the end when there is none. (The mock
    // cluster answers every time lookup with the end of the log, so only a time after the last record is
    // asserted here; a real broker finds older records too.)
    const { s: s2, events: timed } = await live({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: new Date(Date.now() + 60_000).toISOString() } });
    await waitFor(timed, (es) => controls(es, 'ASSIGN').length === 1, 15_000);
    assert.match(controls(timed, 'ASSIGN')[0].data, /\[1\]@6/);
    await kcatProduce(k.bootstrap, topic, [{ key: 'k', value: 'after-cut', partition: 1 }]);
    await waitFor(timed, (es) => dataIn(es).length >= 1, 15_000);
    await s2.close('done');
    const fromTime = timed;
    assert.deepEqual(dataIn(fromTime).map((f) => f.data), ['after-cut']);
  });

  it('a gzip-compressed topic (kcat -z gzip) is read record by record: offsets contiguous, keys and values intact, a repeated header key is a list', async () => {
    const topic = freshTopic('gzip');
    const n = 300;
    await kcatProduce(k.bootstrap, topic, Array.from({ length: n }, (_, i) => ({ key: `k${i % 7}`, value: `value ${i} ${'x'.repeat(i % 50)}`, partition: 1, headers: { tag: ['a', 'b'], id: '7' } })), { compression: 'gzip' });
    const events = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning' }, count: n }, undefined, 20_000);
    checkInvariants(events);
    const recs = dataIn(events);
    assert.equal(recs.length, n);
    assert.deepEqual(
      recs.map((f) => [f.meta?.offset, f.meta?.key, f.data]),
      Array.from({ length: n }, (_, i) => [String(i), `k${i % 7}`, `value ${i} ${'x'.repeat(i % 50)}`]),
    );
    assert.deepEqual(recs[4].meta?.headers, { tag: ['a', 'b'], id: '7' });
    assert.ok(recs.every((f) => f.meta?.partition === 1 && typeof f.meta?.timestamp === 'string' && !Number.isNaN(Date.parse(f.meta.timestamp as string))));
    // kcat reads the same offsets back.
    const back = await kcatConsume(k.bootstrap, topic);
    assert.deepEqual(back.map((r) => r.offset), recs.map((f) => Number(f.meta?.offset)));
  });

  it('snappy and LZ4 topics (kcat -z snappy, -z lz4) are read record by record; zstd is one line naming it, and the session ends', async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 5}`, value: `${'compressible '.repeat(8)}#${i}`, partition: 0 }));
    for (const codec of ['snappy', 'lz4'] as const) {
      const topic = freshTopic(codec);
      await kcatProduce(k.bootstrap, topic, records, { compression: codec });
      const events = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning' }, count: records.length }, undefined, 20_000);
      checkInvariants(events);
      assert.deepEqual(ofKind(events, 'error'), [], codec);
      assert.deepEqual(
        dataIn(events).map((f) => [f.meta?.offset, f.meta?.key, f.data]),
        records.map((r, i) => [String(i), r.key, r.value]),
        codec,
      );
    }
    // The group path decodes with kafkajs, given the same codecs.
    const grouped = freshTopic('lz4-group');
    await kcatProduce(k.bootstrap, grouped, records, { compression: 'lz4' });
    const viaGroup = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [grouped], from: 'beginning', group: `g-${grouped}` }, count: records.length }, undefined, 30_000);
    assert.deepEqual(ofKind(viaGroup, 'error'), [], 'lz4 through a group');
    assert.deepEqual(dataIn(viaGroup).map((f) => f.data), records.map((r) => r.value), 'lz4 through a group');
    const topic = freshTopic('zstd');
    await kcatProduce(k.bootstrap, topic, records, { compression: 'zstd' });
    const events = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning' } }, undefined, 20_000);
    const errors = ofKind(events, 'error') as Array<{ message: string }>;
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0].message, /^the zstd record batch at offset 0 cannot be read: zstd is not available in this Node\.js/);
    assert.equal(dataIn(events).length, 0);
    assert.equal(states(events).at(-1), 'failed');
    assert.equal(ofKind(events, 'reconnect').length, 0, 'the same bytes would come again: no reconnect');
  });

  it('an offset past the end of the log is said in words and reading waits at the end', async () => {
    const topic = freshTopic('range');
    await kcatProduce(k.bootstrap, topic, [{ key: 'k', value: 'a', partition: 0 }]);
    const { s, events } = await live({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: '1000' } });
    await waitFor(events, (es) => controls(es, 'OFFSET_OUT_OF_RANGE').some((f) => f.meta?.partition === 0), 15_000);
    const oor = controls(events, 'OFFSET_OUT_OF_RANGE').find((f) => f.meta?.partition === 0);
    assert.ok(oor, 'partition 0 is out of range');
    assert.match(oor.data, /offset 1000 is out of range for ws-range-[^[]+\[0\] \(the log holds 0\.\.0\): reading from 1/);
    await kcatProduce(k.bootstrap, topic, [{ key: 'k', value: 'b', partition: 0 }]);
    await waitFor(events, (es) => dataIn(es).length >= 1, 15_000);
    await s.close('done');
    assert.deepEqual(dataIn(events).map((f) => f.data), ['b']);
  });

  it('the idempotent-consumer view: --id-field key and header:NAME flag duplicates and gaps', async () => {
    const topic = freshTopic('ids');
    await kcatProduce(k.bootstrap, topic, [
      { key: '1', value: 'a', partition: 0, headers: { 'x-seq': '10' } },
      { key: '2', value: 'b', partition: 0, headers: { 'x-seq': '11' } },
      { key: '2', value: 'b again', partition: 0, headers: { 'x-seq': '11' } },
      { key: '5', value: 'e', partition: 0, headers: { 'x-seq': '14' } },
    ]);
    for (const idField of ['key', 'header:x-seq']) {
      const events = await runSession({ pattern: 'kafka', url: k.url, idField, kafka: { topic: [topic], from: 'beginning' }, count: 4 }, undefined, 20_000);
      const anomalies = ofKind(events, 'anomaly') as AnomalyEvent[];
      assert.deepEqual(anomalies.map((a) => a.type).sort(), ['duplicate', 'gap'], `${idField}: ${JSON.stringify(anomalies)}`);
    }
  });

  it('the composer: send() produces to the given topic or produceTopic, with a key from meta', async () => {
    const topic = freshTopic('send');
    const { s, events } = await live({ pattern: 'kafka', url: k.url, kafka: { produceTopic: topic } });
    await waitFor(events, (es) => states(es).includes('open'), 15_000);
    await s.send({ data: 'from the composer', meta: { key: 'c1' } });
    await s.send({ data: 'explicit', channel: topic });
    await waitFor(events, (es) => dataOut(es).length >= 2, 10_000);
    await s.close('done');
    const back = await kcatConsume(k.bootstrap, topic);
    assert.deepEqual(back.map((r) => `${r.key}=${r.value}`).sort(), ['=explicit', 'c1=from the composer']);
  });

  it('with --group: joining and the assignment are shown in words, the session says it is destructive, and nothing is committed without --commit', async () => {
    const topic = freshTopic('group');
    await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    const group = `wsg-${process.pid}-${topicN}`;
    const events = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', group }, count: 2 }, undefined, 40_000);
    checkInvariants(events);
    const mode = controls(events, 'MODE')[0];
    assert.equal(mode.meta?.destructive, true);
    assert.match(mode.data, new RegExp(`DESTRUCTIVE: joins group ${group}.*nothing is committed`));
    const join = controls(events, 'GROUP_JOIN')[0];
    assert.ok(join, 'joined');
    assert.match(join.data, new RegExp(`joined group ${group} as .*; assigned ${topic} \\[0, 1, 2, 3\\]`));
    assert.equal(dataIn(events).length, 2);
    assert.equal(controls(events, 'OFFSET_COMMIT').length, 0);
    // Nothing was committed: a second member of the same group starts from the beginning again.
    const again = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', group }, count: 2 }, undefined, 40_000);
    assert.deepEqual(dataIn(again).map((f) => f.data).sort(), ['1', '2']);
  });

  it('two live members of one group: the first sees the rebalance in words and the four partitions are split between them', async () => {
    const topic = freshTopic('rebalance');
    await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: '1' }]);
    const group = `wsg-rb-${process.pid}-${topicN}`;
    const a = await live({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', group } });
    const b = { s: undefined as Session | undefined, events: [] as WireEvent[] };
    try {
      await waitFor(a.events, (es) => controls(es, 'GROUP_JOIN').length >= 1, 30_000);
      assert.match(controls(a.events, 'GROUP_JOIN')[0].data, new RegExp(`assigned ${topic} \\[0, 1, 2, 3\\]`));
      const started = await live({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', group } });
      b.s = started.s;
      b.events = started.events;
      // The first member learns of the newcomer at its next heartbeat, rejoins, and gets its share. A join can be
      // followed by another round (a member's join seen mid-rebalance), so the split is read once the two members'
      // latest assignments cover the four partitions between them, within a bounded wait.
      await waitFor(a.events, (es) => controls(es, 'REBALANCING').length >= 1, 40_000);
      assert.match(controls(a.events, 'REBALANCING')[0].data, new RegExp(`group ${group} is rebalancing: a member joined or left`));
      const share = (events: WireEvent[]) => {
        const last = controls(events, 'GROUP_JOIN').at(-1);
        return ((last?.meta?.assignment as Record<string, number[]>)?.[topic] ?? []).slice().sort();
      };
      const split = () => {
        const [x, y] = [share(a.events), share(b.events)];
        return x.length > 0 && y.length > 0 && JSON.stringify([...x, ...y].sort()) === '[0,1,2,3]';
      };
      const until = Date.now() + 75_000;
      while (!split() && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
      // On a miss, each member's group story (every join with its member id and share, rejoins, drops), to tell a
      // member that joined twice from a third member the group kept.
      const story = (events: WireEvent[]) =>
        events
          .filter((e) => (e.kind === 'frame' && !!e.meta?.control && e.meta.packet !== 'MODE') || e.kind === 'reconnect' || e.kind === 'error')
          .map((e) =>
            e.kind === 'frame'
              ? `${String(e.meta?.packet)}${e.meta?.memberId ? ` ${String(e.meta.memberId)}` : ''}${e.meta?.assignment ? ` ${JSON.stringify(e.meta.assignment)}` : ''}`
              : e.kind === 'reconnect'
                ? `reconnect (${e.cause})`
                : e.kind === 'error'
                  ? `error (${e.message})`
                  : e.kind,
          )
          .join(' | ');
      assert.ok(split(), `the four partitions end up split between the two members: ${JSON.stringify([share(a.events), share(b.events)])}; first: ${story(a.events)}; second: ${story(b.events)}`);
      assert.ok(controls(a.events, 'GROUP_JOIN').length >= 2, 'the first member joined again');
    } finally {
      await Promise.all([a.s.close('done'), b.s?.close('done')]);
    }
  });

  it('with --group, a cut broker connection is said in words (the member reconnects by itself, so the session never drops), and records after it still arrive', async () => {
    const topic = freshTopic('groupcut');
    await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: 'before', partition: 2 }]);
    const group = `wsg-cut-${process.pid}-${topicN}`;
    const { s, events } = await live({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', group, maxWaitMs: 200 } });
    try {
      await waitFor(events, (es) => dataIn(es).some((f) => f.data === 'before'), 30_000);
      const cut = await k.cut();
      assert.ok(cut >= 1, `the member's connections were cut (${cut})`);
      await waitFor(events, (es) => controls(es, 'BROKER_LOST').length >= 1, 20_000);
      const lost = controls(events, 'BROKER_LOST')[0];
      assert.equal(lost.meta?.broker, k.bootstrap);
      assert.match(lost.data, new RegExp(`^connection to broker ${k.bootstrap.replace(/\./g, '\\.')} lost \\((Connection (aborted on this machine|reset by the server|closed by the server while sending)|the broker closed the connection)\\): the group member reconnects`));
      // ss -K aborts the socket on this side.
      assert.equal(lost.meta?.code, 'ECONNABORTED');
      await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: 'after', partition: 2 }]);
      await waitFor(events, (es) => dataIn(es).some((f) => f.data === 'after'), 40_000);
      const back = controls(events, 'BROKER_RECONNECTED')[0];
      assert.ok(back, 'the reconnection is said too');
      assert.match(back.data, new RegExp(`^reconnected to broker ${k.bootstrap.replace(/\./g, '\\.')} after \\d+ ms$`));
      assert.ok(back.seq > lost.seq);
      // The session itself never dropped: no reconnect event, no state but connecting and open.
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.deepEqual(states(events), ['connecting', 'open']);
      await s.close('done');
      checkInvariants(events);
    } finally {
      await s.close('done');
    }
  });

  it('with --group --commit the offsets of the records shown are committed (shown as control frames), and the next member starts after them', async () => {
    const topic = freshTopic('commit');
    await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: '1', partition: 0 }, { key: 'a', value: '2', partition: 0 }]);
    const group = `wsc-${process.pid}-${topicN}`;
    const first = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', group, commit: true }, count: 2 }, undefined, 40_000);
    assert.match(controls(first, 'MODE')[0].data, /COMMITS the offsets/);
    assert.ok(controls(first, 'OFFSET_COMMIT').length >= 1, 'a commit was shown');
    await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: '3', partition: 0 }]);
    const second = await runSession({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', group, commit: true }, count: 1 }, undefined, 40_000);
    assert.deepEqual(dataIn(second).map((f) => f.data), ['3']);
  });

  it('--commit without --group, a bad topic name and a bad --from are one line each, before connecting', async () => {
    const cases: Array<[ConnectOptions['kafka'], RegExp]> = [
      [{ topic: ['t'], commit: true }, /--commit needs --group/],
      [{ topic: ['bad topic'] }, /invalid topic name "bad topic"/],
      [{ topic: ['t'], from: 'soon' }, /--from must be beginning, latest/],
    ];
    for (const [kafka, re] of cases) {
      const events = await runSession({ pattern: 'kafka', url: k.url, kafka });
      assert.deepEqual(states(events), ['failed']);
      assert.match((ofKind(events, 'error')[0] as { message: string }).message, re);
    }
  });
});

describe('kafka pattern: broker down', () => {
  it('at start: one line (connection refused), exit code 1', async () => {
    const k = await startKafka();
    const port = k.port;
    await k.stop();
    const r = await runCli(['connect', `kafka://127.0.0.1:${port}`, '--topic', 't'], { timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.match(assertOneLineError(r.stderr), /Connection refused \(127\.0\.0\.1:\d+\): nothing is listening there/);
  });

  it('mid-session: the drop and the reconnect attempts are visible, and the session gives up with one line (the mock cluster cannot come back on its port)', async () => {
    const k = await startKafka();
    const topic = freshTopic('down');
    await kcatProduce(k.bootstrap, topic, [{ key: 'a', value: 'before' }]);
    const { s, events } = await live({ pattern: 'kafka', url: k.url, kafka: { topic: [topic], from: 'beginning', maxWaitMs: 100 }, reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 2 } });
    try {
      await waitFor(events, (es) => dataIn(es).length >= 1, 15_000);
      await k.stop();
      await waitFor(events, (es) => states(es).includes('reconnecting'), 20_000);
      await waitFor(events, (es) => states(es).includes('failed'), 30_000);
      checkInvariants(events);
      const recon = ofKind(events, 'reconnect') as Array<{ cause: string }>;
      assert.ok(recon.length >= 1);
      assert.match(recon[0].cause, /closed the connection|Connection refused|Connection reset/);
      const err = ofKind(events, 'error').at(-1) as { message: string };
      assert.match(err.message, /gave up after 2 reconnect attempts: Connection refused/);
    } finally {
      await s.close('done');
      await k.stop();
    }
  });
});
