// The amqp pattern against a real Debian rabbitmq-server (ONE throwaway node for this file, on free ports with
// its own epmd, stopped after; tests keep apart by name prefix), with amqplib (not written here) as the peer
// that publishes, consumes, declares dead-letter queues and answers requests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as amqplib from 'amqplib';
import { parseConnectArgs } from '../../../src/cli/args';
import { AmqpReader, describeXDeath, encode, type AmqpEvent } from '../../../src/patterns/amqp/protocol';
import { Session } from '../../../src/core/session';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { AnomalyEvent, FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';
import { rabbitPrefix, sharedRabbit, stopSharedRabbit, type RabbitNode } from '../../helpers/rabbitmq';
import { runCli, startCli } from '../cli/runCli';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCerts } from '../../helpers/tlsCerts';

const dataIn = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'in' && !f.meta?.control);
const dataOut = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'out' && !f.meta?.control);
const controls = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.meta?.control === true);
const packet = (events: WireEvent[], p: string) => controls(events).filter((f) => f.meta?.packet === p);
const ready = (events: WireEvent[]) => packet(events, 'queue.bind-ok').length > 0 || packet(events, 'basic.consume-ok').length > 0;

async function live(options: ConnectOptions): Promise<{ s: Session; events: WireEvent[] }> {
  const s = new Session(options);
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  return { s, events };
}

/** A Deliver method frame for channel `ch` (what a broker sends), built by hand for the reader tests. */
function deliverFrame(ch: number, tag: number, exchange: string, key: string, redelivered = false): Buffer {
  const parts: Buffer[] = [];
  const short = (v: number) => parts.push(Buffer.from([v >> 8, v & 255]));
  const sstr = (s: string) => parts.push(Buffer.from([Buffer.byteLength(s)]), Buffer.from(s));
  short(60);
  short(60);
  sstr('ctag');
  const t = Buffer.alloc(8);
  t.writeBigUInt64BE(BigInt(tag));
  parts.push(t, Buffer.from([redelivered ? 1 : 0]));
  sstr(exchange);
  sstr(key);
  const payload = Buffer.concat(parts);
  const f = Buffer.alloc(payload.length + 8);
  f[0] = 1;
  f.writeUInt16BE(ch, 1);
  f.writeUInt32BE(payload.length, 3);
  payload.copy(f, 7);
  f[f.length - 1] = 0xce;
  return f;
}

/** Deliver + the content frames of encode.publish (header and bodies are the same both ways). */
function delivery(ch: number, tag: number, body: Buffer, props: Parameters<typeof encode.publish>[4], frameMax = 4096): Buffer {
  const pub = encode.publish(ch, 'ex', 'rk', body, props, frameMax);
  const methodLen = pub.readUInt32BE(3) + 8;
  return Buffer.concat([deliverFrame(ch, tag, 'ex', 'rk', tag > 1), pub.subarray(methodLen)]);
}

describe('AMQP 0-9-1 reader', () => {
  const read = (chunks: Buffer[], opts = {}) => {
    const r = new AmqpReader(opts);
    const out: AmqpEvent[] = [];
    for (const c of chunks) r.push(c, (e) => out.push(e));
    return out;
  };
  it('assembles deliveries (properties, a field table of every type, bodies over several frames), heartbeats and methods, split at every byte', () => {
    const headers = { s: 'text', n: 7, big: 2 ** 40, neg: -3, f: 1.5, yes: true, none: null, list: ['a', 1, [2]], nested: { k: 'v' }, bytes: Buffer.from([0, 1]) };
    const body = Buffer.alloc(9000, 0x61);
    const wire = Buffer.concat([
      delivery(1, 1, Buffer.from('hi'), { messageId: 'm-1', contentType: 'text/plain', headers, deliveryMode: 2, priority: 3, correlationId: 'c', replyTo: 'r', expiration: '60000', timestamp: 1700000000, type: 't', appId: 'app' }),
      Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]),
      delivery(1, 2, body, {}),
      delivery(3, 3, Buffer.alloc(0), { messageId: 'empty' }),
      encode.connectionClose(320, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"),
    ]);
    for (let cut = 1; cut < wire.length; cut += cut < 200 ? 1 : 97) {
      const evs = read([wire.subarray(0, cut), wire.subarray(cut)]);
      assert.deepEqual(evs.map((e) => e.type), ['content', 'heartbeat', 'content', 'content', 'method'], `cut ${cut}`);
      const [a, , b, c, d] = evs as [Extract<AmqpEvent, { type: 'content' }>, AmqpEvent, Extract<AmqpEvent, { type: 'content' }>, Extract<AmqpEvent, { type: 'content' }>, Extract<AmqpEvent, { type: 'method' }>];
      assert.equal(a.content.body.toString(), 'hi');
      assert.equal(a.content.deliveryTag, 1);
      assert.equal(a.content.routingKey, 'rk');
      assert.deepEqual({ ...a.content.properties, headers: undefined }, { messageId: 'm-1', contentType: 'text/plain', headers: undefined, deliveryMode: 2, priority: 3, correlationId: 'c', replyTo: 'r', expiration: '60000', timestamp: 1700000000, type: 't', appId: 'app' });
      assert.deepEqual(a.content.properties.headers, headers);
      assert.equal(b.content.body.length, 9000);
      assert.equal(b.content.redelivered, true);
      assert.equal(c.channel, 3);
      assert.equal(c.content.body.length, 0);
      assert.deepEqual(d.method, { name: 'connection.close', replyCode: 320, replyText: "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'", classId: 0, methodId: 0 });
    }
  });
  it('refuses what is not AMQP 0-9-1, frames over the frame size, bodies over the limit and bodies without a delivery, in one line each', () => {
    assert.throws(() => read([Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')]), /^AmqpProtocolError: not an AMQP 0-9-1 server: it answered with "HTTP\/1\.1 400 Bad Request/);
    assert.throws(() => read([Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x0a])]), /not an AMQP 0-9-1 server in plain text: it answered with a TLS record \("\\x15\\x03\\x01\\x00\\x02\\x02\\n"\), so this port speaks TLS: use amqps:\/\//);
    assert.throws(() => read([Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0])]), /not an AMQP 0-9-1 server: it answered with the protocol header AMQP\\x00\\x01\\x00\\x00 \(a broker that speaks AMQP 1\.0\)/);
    const huge = Buffer.from([1, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => read([huge]), /not an AMQP 0-9-1 server: its first frame claims 4294967295 bytes/);
    assert.throws(() => read([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]), huge]), /a frame of 4294967295 bytes is over the frame size of 1048576/);
    assert.throws(() => read([delivery(1, 1, Buffer.alloc(2000), {})], { maxMessageBytes: 1024 }), /a message of 2000 bytes is over the 1024 bytes limit/);
    const pub = encode.publish(1, 'ex', 'rk', Buffer.from('x'), {}, 4096);
    assert.throws(() => read([pub.subarray(pub.readUInt32BE(3) + 8)]), /a content header frame on channel 1 without a delivery/);
  });
  it('tells the x-death history in words', () => {
    const words = describeXDeath({ 'x-death': [{ queue: 'work', reason: 'rejected', count: 2, exchange: 'jobs', 'routing-keys': ['job.1'], time: 1700000000 }, { queue: 'delay', reason: 'expired', count: 1, exchange: '', 'routing-keys': ['delay'] }] });
    assert.equal(words, 'dead-lettered from queue work rejected (nack or reject without requeue) 2 times, published to exchange jobs with routing key job.1 at 2023-11-14T22:13:20.000Z; before that from queue delay expired (its TTL ran out) 1 time, published to exchange (default) with routing key delay');
    assert.equal(describeXDeath({ other: 1 }), undefined);
  });
});

describe('amqp pattern: connect flags', () => {
  it('--bind, --queue, --ack, --publish exchange/routingKey=payload, the properties and --property fill the amqp options; --ack stays a switch for redis', () => {
    const c = parseConnectArgs(['amqp://127.0.0.1:5672/', '--bind', 'amq.topic:orders.#', '--bind', 'logs:', '--publish', 'amq.topic/orders.new={"a":1}', '--publish', '/q=x=y', '--content-type', 'application/json', '--message-id', 'm', '--correlation-id', 'c', '--reply-to', 'r', '--expiration', '5000', '--property', 'tenant=eu', '--property', 'trace=1', '--persistent']);
    assert.equal(c.options.pattern, 'amqp');
    assert.deepEqual(c.options.amqp, {
      bind: [{ exchange: 'amq.topic', routingKey: 'orders.#' }, { exchange: 'logs', routingKey: '' }],
      publish: [{ exchange: 'amq.topic', routingKey: 'orders.new', payload: '{"a":1}' }, { exchange: '', routingKey: 'q', payload: 'x=y' }],
      contentType: 'application/json', messageId: 'm', correlationId: 'c', replyTo: 'r', expiration: '5000', headers: { tenant: 'eu', trace: '1' }, persistent: true,
    });
    assert.deepEqual(parseConnectArgs(['amqps://h/', '--queue', 'work', '--ack', 'auto', '--prefetch', '5']).options.amqp, { queue: 'work', ack: 'auto', prefetch: 5 });
    assert.deepEqual(parseConnectArgs(['amqp://h/', '--queue', 'work', '--ack=none']).options.amqp, { queue: 'work', ack: 'none' });
    assert.throws(() => parseConnectArgs(['amqp://h/', '--queue', 'work', '--ack']), /--ack must be one of auto, manual, none/);
    assert.throws(() => parseConnectArgs(['amqp://h/', '--bind', 'nocolon']), /--bind needs exchange:routingKey/);
    assert.throws(() => parseConnectArgs(['amqp://h/', '--publish', 'noslash=x']), /--publish needs exchange\/routingKey=payload/);
    assert.deepEqual(parseConnectArgs(['redis://127.0.0.1', '--stream', 's', '--group', 'g', '--ack', '--create-group']).options.redis, { stream: ['s'], group: 'g', ack: true, createGroup: true });
    assert.equal(parseConnectArgs(['redis://127.0.0.1', '--stream', 's', '--ack']).options.redis?.ack, true);
  });
});

describe('amqp pattern against rabbitmq-server', () => {
  let rabbit: RabbitNode;
  let peer: amqplib.ChannelModel;
  let ch: amqplib.Channel;
  before(async () => {
    rabbit = await sharedRabbit();
    await openPeer();
  });
  const openPeer = async () => {
    peer = await amqplib.connect(rabbit.url);
    // The broker closes the peer's connection too (close_all_connections): that is expected here.
    peer.on('error', () => undefined);
    ch = await peer.createChannel();
    ch.on('error', () => undefined);
  };
  after(async () => {
    await peer?.close().catch(() => undefined);
    await stopSharedRabbit();
  });

  it("CLI: --bind 'amq.topic:orders.#' --count 3 --format ndjson shows three messages published by another client (the done-when line)", async () => {
    const p = rabbitPrefix('done');
    const run = startCli(['connect', rabbit.url, '--bind', `amq.topic:${p}.orders.#`, '--count', '3', '--format', 'ndjson'], { timeoutMs: 30_000 });
    await run.waitForStdout((o) => /queue\.bind-ok/.test(o));
    for (let i = 1; i <= 3; i++) ch.publish('amq.topic', `${p}.orders.n${i}`, Buffer.from(JSON.stringify({ seq: i })), { messageId: `m-${i}`, contentType: 'application/json' });
    ch.publish('amq.topic', `${p}.other`, Buffer.from('not matched'));
    const r = await run.result;
    assert.equal(r.code, 0, r.stderr);
    const frames = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as WireEvent);
    const got = dataIn(frames);
    assert.deepEqual(got.map((f) => [f.channel, f.meta?.exchange, (f.meta?.properties as { messageId?: string }).messageId, f.data]), [1, 2, 3].map((i) => [`${p}.orders.n${i}`, 'amq.topic', `m-${i}`, `{"seq":${i}}`]));
    assert.ok(got.every((f) => typeof f.meta?.deliveryTag === 'number' && f.meta?.redelivered === false));
    assert.ok(!r.stdout.includes('not matched'));
    assert.ok(!r.stdout.includes('guest:guest'), 'the password is masked');
  });

  it('watching takes nothing: a consumer of the same queue-bound messages still gets every one; the session says it only watches', async () => {
    const p = rabbitPrefix('watch');
    const { queue } = await ch.assertQueue(`${p}-app`, { autoDelete: true });
    await ch.bindQueue(queue, 'amq.topic', `${p}.#`);
    const { s, events } = await live({ pattern: 'amqp', url: rabbit.url, amqp: { bind: [{ exchange: 'amq.topic', routingKey: `${p}.#` }] } });
    await waitFor(events, ready);
    for (let i = 0; i < 5; i++) ch.publish('amq.topic', `${p}.x`, Buffer.from(String(i)));
    await waitFor(events, (es) => dataIn(es).length >= 5);
    const left = await ch.checkQueue(queue);
    await s.close();
    checkInvariants(events);
    assert.equal(left.messageCount, 5, "the application's own queue still holds all five");
    const mode = packet(events, 'MODE')[0];
    assert.equal(mode.meta?.destructive, false);
    assert.match(mode.data, /through a private queue \(exclusive, auto-delete\): copies only/);
    assert.match(packet(events, 'queue.declare-ok')[0].data, /^declared private queue amq\.gen-/);
    await ch.deleteQueue(queue);
  });

  it('publishes carry the properties and headers; unroutable ones come back; a missing exchange is one line and the session publishes on', async () => {
    const p = rabbitPrefix('pub');
    const { queue } = await ch.assertQueue(`${p}-in`, { autoDelete: false });
    const got: amqplib.ConsumeMessage[] = [];
    await ch.consume(queue, (m) => m && got.push(m), { noAck: true });
    const { s, events } = await live({
      pattern: 'amqp',
      url: rabbit.url,
      amqp: { publish: [{ exchange: '', routingKey: queue, payload: 'first' }, { exchange: 'amq.topic', routingKey: `${p}.nobody`, payload: 'lost' }], contentType: 'text/plain', messageId: 'id', correlationId: 'corr', replyTo: 'rq', expiration: '60000', headers: { tenant: 'eu' }, persistent: true },
    });
    await waitFor(events, (es) => packet(es, 'basic.return').length >= 1 && got.length >= 1);
    await s.send({ data: 'x', channel: `${p}-missing/any` });
    await waitFor(events, (es) => packet(es, 'channel.close').length >= 1 && ofKind(es, 'error').length >= 1);
    // The publish channel reopens: the next publish goes through.
    await new Promise((r) => setTimeout(r, 200));
    await s.send({ data: 'after', channel: `/${queue}` });
    await waitFor([], () => got.length >= 2);
    await s.close();
    checkInvariants(events);
    assert.deepEqual(got.map((m) => m.content.toString()), ['first', 'after']);
    const m = got[0];
    assert.equal(m.properties.contentType, 'text/plain');
    assert.equal(m.properties.messageId, 'id-1');
    assert.equal(m.properties.correlationId, 'corr');
    assert.equal(m.properties.replyTo, 'rq');
    assert.equal(m.properties.expiration, '60000');
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(m.properties.headers?.tenant, 'eu');
    const outs = dataOut(events);
    assert.deepEqual(outs.map((f) => f.channel), [queue, `${p}.nobody`, 'any', queue]);
    assert.equal(outs[0].meta?.exchange, '');
    assert.deepEqual(outs[0].meta?.headers, { tenant: 'eu' });
    assert.match(packet(events, 'basic.return')[0].data, /^returned by the broker: 312 NO_ROUTE: nothing is bound to amq\.topic with routing key /);
    const errs = ofKind(events, 'error');
    assert.equal(errs.length, 1);
    assert.match(errs[0].message, new RegExp(`^publish failed: 404 NOT_FOUND - no exchange '${p}-missing' in vhost '/' \\(1 publish to ${p}-missing/any not confirmed: lost\\)`));
    assert.equal(ofKind(events, 'reconnect').length, 0);
    const summary = ofKind(events, 'summary')[0] as unknown as { amqp: { published: number; confirmed: number; returned: number; lost: number } };
    assert.deepEqual({ ...summary.amqp, blocked: undefined }, { published: 4, confirmed: 3, returned: 1, lost: 1, blocked: undefined });
    await ch.deleteQueue(queue);
  });

  it('--queue with ack manual: ack, nack to the dead-letter exchange (x-death in words) and requeue (redelivered) from the composer; unsettled ones go back at the end', async () => {
    const p = rabbitPrefix('manual');
    await ch.assertExchange(`${p}-dlx`, 'fanout', { autoDelete: true });
    const dead = await ch.assertQueue(`${p}-dead`, {});
    await ch.bindQueue(dead.queue, `${p}-dlx`, '');
    const work = await ch.assertQueue(`${p}-work`, { arguments: { 'x-dead-letter-exchange': `${p}-dlx` } });
    for (let i = 1; i <= 4; i++) ch.sendToQueue(work.queue, Buffer.from(`job ${i}`), { messageId: `j${i}` });
    await new Promise((r) => setTimeout(r, 200));
    const { s, events } = await live({ pattern: 'amqp', url: rabbit.url, amqp: { queue: work.queue } });
    await waitFor(events, (es) => dataIn(es).length >= 4);
    const tags = dataIn(events).map((f) => f.meta?.deliveryTag as number);
    await s.send({ data: '', meta: { settle: 'ack', deliveryTag: tags[0] } });
    await s.send({ data: '', meta: { settle: 'nack', deliveryTag: tags[1] } });
    await s.send({ data: '', meta: { settle: 'requeue', deliveryTag: tags[2] } });
    await assert.rejects(s.send({ data: '', meta: { settle: 'ack', deliveryTag: 999 } }), /Delivery tag 999 does not wait to be settled \(waiting: \d+(, \d+)?\)/);
    await waitFor(events, (es) => dataIn(es).length >= 5);
    const again = dataIn(events)[4];
    assert.equal(again.data, 'job 3');
    assert.equal(again.meta?.redelivered, true, 'a requeued message comes back marked redelivered');
    await s.close();
    checkInvariants(events);
    const mode = packet(events, 'MODE')[0];
    assert.equal(mode.meta?.destructive, true);
    assert.match(mode.data, /^DESTRUCTIVE: consumes queue .*-work \(ack manual\)/);
    assert.equal((ofKind(events, 'state').find((x) => x.state === 'open') as StateEvent).meta?.destructive, true);
    assert.match(packet(events, 'queue.declare-ok')[0].data, /: 4 messages ready, 0 other consumers$/);
    assert.deepEqual(packet(events, 'basic.ack').map((f) => f.data.replace(/^delivery \d+ /, '')), ['(' + work.queue + ') acknowledged: it leaves the queue']);
    assert.equal(packet(events, 'basic.nack').length, 2);
    assert.match(packet(events, 'connection.close').at(-1)!.data, /^closing: 2 unsettled deliveries go back to queue /);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await ch.checkQueue(work.queue)).messageCount, 2, 'job 3 (requeued) and job 4 are back in the queue');
    // The nacked job went to the dead-letter queue; a watcher of the dead-letter exchange reads why.
    const dl = await new Promise<amqplib.GetMessage | false>((r) => setTimeout(() => void ch.get(dead.queue, { noAck: true }).then(r), 100));
    assert.ok(dl && dl.content.toString() === 'job 2');
    const w = await live({ pattern: 'amqp', url: rabbit.url, amqp: { queue: dead.queue, ack: 'auto' } });
    await waitFor(w.events, ready);
    const m2 = await live({ pattern: 'amqp', url: rabbit.url, amqp: { queue: work.queue } });
    await waitFor(m2.events, (es) => dataIn(es).length >= 2);
    await m2.s.send({ data: '', meta: { settle: 'nack' } });
    await waitFor(w.events, (es) => dataIn(es).length >= 1, 5000);
    await m2.s.close();
    await w.s.close();
    assert.equal((await ch.checkQueue(dead.queue)).messageCount, 0, 'ack auto took it off the dead-letter queue');
    const deadMsg = dataIn(w.events)[0];
    assert.match(String(deadMsg.meta?.deadLetter), new RegExp(`^dead-lettered from queue ${work.queue} rejected \\(nack or reject without requeue\\) 1 time, published to exchange \\(default\\) with routing key ${work.queue} at `));
    assert.ok(Array.isArray((deadMsg.meta?.headers as Record<string, unknown>)['x-death']));
    await ch.deleteQueue(work.queue);
    await ch.deleteQueue(dead.queue);
  });

  it('--queue with ack none empties the queue as the broker sends; settling is refused in one line', async () => {
    const q = await ch.assertQueue(rabbitPrefix('none'), {});
    for (let i = 0; i < 3; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await new Promise((r) => setTimeout(r, 200));
    const { s, events } = await live({ pattern: 'amqp', url: rabbit.url, amqp: { queue: q.queue, ack: 'none' } });
    await waitFor(events, (es) => dataIn(es).length >= 3);
    await assert.rejects(s.send({ data: '', meta: { settle: 'ack' } }), /^Error: Only deliveries of --queue with --ack manual wait for you to settle them$/);
    await s.close();
    assert.equal((await ch.checkQueue(q.queue)).messageCount, 0);
    assert.match(packet(events, 'MODE')[0].data, /consumed without acknowledgements: each message leaves the queue as the broker sends it/);
    await ch.deleteQueue(q.queue);
  });

  it('--id-field prop:messageId flags a duplicate and a gap; redeliveries are marked', async () => {
    const p = rabbitPrefix('ids');
    const q = await ch.assertQueue(`${p}-q`, {});
    const { s, events } = await live({ pattern: 'amqp', url: rabbit.url, idField: 'prop:messageId', amqp: { queue: q.queue, ack: 'manual' } });
    await waitFor(events, ready);
    for (const id of ['1', '2', '2', '5']) ch.sendToQueue(q.queue, Buffer.from(`m${id}`), { messageId: id });
    await waitFor(events, (es) => dataIn(es).length >= 4);
    const first = dataIn(events)[0];
    await s.send({ data: '', meta: { settle: 'requeue', deliveryTag: first.meta?.deliveryTag } });
    await waitFor(events, (es) => dataIn(es).length >= 5);
    await s.close();
    checkInvariants(events);
    const an = ofKind(events, 'anomaly') as AnomalyEvent[];
    // The second '2' was published twice (unmarked); the second '1' is the broker's redelivery after the requeue.
    assert.deepEqual(an.map((a) => [a.type, a.key, a.meta?.redelivered === true]), [['duplicate', '2', false], ['gap', '5', false], ['duplicate', '1', true]]);
    assert.equal(dataIn(events)[4].meta?.redelivered, true);
    const summary = ofKind(events, 'summary')[0] as unknown as { idCheck: { redeliveries?: number } };
    assert.equal(summary.idCheck.redeliveries, 1);
    await ch.deleteQueue(q.queue);
  });

  it('request/reply: reply_to is the private queue, each reply matched by correlation_id with its round trip; a request nobody answers times out in one line', async () => {
    const p = rabbitPrefix('rpc');
    const svc = await ch.assertQueue(`${p}-svc`, { autoDelete: true });
    await ch.consume(svc.queue, (m) => {
      if (!m) return;
      ch.sendToQueue(m.properties.replyTo as string, Buffer.from(`echo ${m.content.toString()}`), { correlationId: m.properties.correlationId as string });
      ch.ack(m);
    });
    const events = await runSession({ pattern: 'amqp', url: rabbit.url, amqp: { requestTo: `/${svc.queue}`, requests: 3, requestIntervalMs: 20, requestTimeoutMs: 3000 } });
    checkInvariants(events);
    const replies = dataIn(events);
    assert.deepEqual(replies.map((f) => [f.data, f.meta?.request]), [['echo {"request":1}', 1], ['echo {"request":2}', 2], ['echo {"request":3}', 3]]);
    assert.ok(replies.every((f) => typeof f.meta?.rttMs === 'number' && /^[0-9a-f]{8}-\d$/.test(String(f.meta?.correlationId))));
    const outs = dataOut(events);
    assert.ok(outs.every((f) => /^amq\.gen-/.test(String((f.meta?.properties as { replyTo?: string }).replyTo))));
    assert.equal(ofKind(events, 'timing').filter((t) => t.meta?.request !== undefined).length, 3);
    const summary = ofKind(events, 'summary')[0] as unknown as { requestResponse: { sent: number; answered: number; timedOut: number } };
    assert.deepEqual({ ...summary.requestResponse, rtt: undefined }, { sent: 3, answered: 3, timedOut: 0, rtt: undefined });
    assert.equal(ofKind(events, 'state').at(-1)?.reason, 'all requests answered or timed out');

    const quiet = await ch.assertQueue(`${p}-quiet`, { autoDelete: false });
    const none = await runSession({ pattern: 'amqp', url: rabbit.url, amqp: { requestTo: `/${quiet.queue}`, requestTimeoutMs: 300 } });
    const errs = ofKind(none, 'error');
    assert.equal(errs.length, 1);
    assert.equal(errs[0].code, 'ERR_AMQP_REQUEST_TIMEOUT');
    assert.match(errs[0].message, /^request 1 to \/.*-quiet \(correlation id [0-9a-f]{8}-1\) timed out after 300 ms$/);
    await ch.deleteQueue(quiet.queue);
  });

  it('bad credentials, an unknown exchange, an unknown queue, an unknown vhost and a broker down at start: one line each, no retry, no password', async () => {
    const p = rabbitPrefix('fail');
    const cases: Array<[ConnectOptions, RegExp, string]> = [
      [{ pattern: 'amqp', url: `amqp://guest:wrong-pw@127.0.0.1:${rabbit.port}/`, amqp: { bind: [{ exchange: 'amq.topic', routingKey: '#' }] } }, /^authentication failed: 403 ACCESS_REFUSED - Login was refused/, 'ERR_AUTH'],
      [{ pattern: 'amqp', url: rabbit.url, amqp: { bind: [{ exchange: `${p}-nope`, routingKey: '#' }] } }, new RegExp(`^cannot bind to exchange ${p}-nope: 404 NOT_FOUND - no exchange '${p}-nope' in vhost '/'$`), 'ERR_AMQP_NOT_FOUND'],
      [{ pattern: 'amqp', url: rabbit.url, amqp: { queue: `${p}-nope` } }, new RegExp(`^cannot consume queue ${p}-nope: 404 NOT_FOUND - no queue '${p}-nope' in vhost '/'$`), 'ERR_AMQP_NOT_FOUND'],
      [{ pattern: 'amqp', url: `amqp://127.0.0.1:${rabbit.port}/${p}`, amqp: { bind: [{ exchange: 'amq.topic', routingKey: '#' }] } }, new RegExp(`^cannot open virtual host "${p}": 530 NOT_ALLOWED - vhost ${p} not found$`), 'ERR_AMQP_VHOST'],
    ];
    for (const [options, re, code] of cases) {
      const events = await runSession({ ...options, reconnect: { initialDelayMs: 30, maxAttempts: 5 } });
      checkInvariants(events);
      const errs = ofKind(events, 'error');
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.match(errs[0].message, re);
      assert.equal(errs[0].code, code);
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.ok(!JSON.stringify(events).includes('wrong-pw'));
    }
    const cli = await runCli(['connect', `amqp://guest:wrong-pw@127.0.0.1:${rabbit.port}/`, '--bind', 'amq.topic:#'], { timeoutMs: 20_000 });
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
    assert.ok(!(cli.stdout + cli.stderr).includes('wrong-pw'));
    const net = await import('node:net');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const freed = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const down = await runCli(['connect', `amqp://127.0.0.1:${freed}/`, '--bind', 'amq.topic:#'], { timeoutMs: 20_000 });
    assert.equal(down.code, 1);
    assert.equal(down.stderr.trim().split('\n').length, 1);
    assert.match(down.stderr, /Connection refused/);
  });

  describe('amqps:// through the TLS listener (the self-signed test certificate)', () => {
    const tlsUser = `tls-${Date.now().toString(36)}`;
    const tlsPass = `Amqps-pw-${Math.random().toString(36).slice(2, 10)}`;
    let dir: string;
    let caFile: string;
    let tlsBase: string;
    before(async () => {
      assert.ok(rabbit.tlsPort, 'the shared node listens for TLS');
      await rabbit.ctl('add_user', tlsUser, tlsPass);
      await rabbit.ctl('set_permissions', '-p', '/', tlsUser, '.*', '.*', '.*');
      dir = mkdtempSync(join(tmpdir(), 'wirescope-amqps-'));
      caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, makeTestCerts().selfSigned.cert);
      tlsBase = `127.0.0.1:${rabbit.tlsPort}/`;
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('CLI: amqps://user:password@ with --cacert watches and publishes through the TLS port; the TLS phase is timed, the open state says authorized; the password is in no output', async () => {
      const p = rabbitPrefix('tls');
      // A consumer of the plain port receives what the session publishes over TLS.
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
      await ch.bindQueue(queue, 'amq.topic', `${p}.self`);
      const seen: string[] = [];
      await ch.consume(queue, (m) => m && seen.push(m.content.toString()), { noAck: true });
      // The other client (amqplib) publishes over TLS too, trusting the same certificate.
      const tlsPeer = await amqplib.connect(`amqps://guest:guest@${tlsBase}`, { ca: [makeTestCerts().selfSigned.cert] });
      try {
        const pch = await tlsPeer.createChannel();
        const run = startCli(['connect', `amqps://${tlsUser}:${tlsPass}@${tlsBase}`, '--cacert', caFile, '--bind', `amq.topic:${p}.#`, '--publish', `amq.topic/${p}.self=from the session`, '--count', '2', '--format', 'ndjson'], { timeoutMs: 30_000 });
        await run.waitForStdout((o) => /queue\.bind-ok/.test(o));
        pch.publish('amq.topic', `${p}.peer`, Buffer.from('from amqplib over TLS'), { messageId: 'tls-1' });
        const r = await run.result;
        assert.equal(r.code, 0, r.stderr);
        const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as WireEvent);
        assert.deepEqual(dataIn(events).map((f) => [f.channel, f.data]).sort(), [[`${p}.peer`, 'from amqplib over TLS'], [`${p}.self`, 'from the session']]);
        assert.equal((dataIn(events).find((f) => f.channel === `${p}.peer`)?.meta?.properties as { messageId?: string }).messageId, 'tls-1');
        assert.deepEqual(dataOut(events).map((f) => [f.channel, f.data]), [[`${p}.self`, 'from the session']]);
        const open = ofKind(events, 'state').find((x) => x.state === 'open') as StateEvent;
        assert.equal((open.meta?.tls as { authorized?: boolean } | undefined)?.authorized, true);
        assert.match(String((open.meta?.tls as { protocol?: string }).protocol), /^TLSv1\.[23]$/);
        assert.ok((ofKind(events, 'timing')[0].phases.tls ?? -1) >= 0, 'a tls phase');
        assert.ok(!(r.stdout + r.stderr).includes(tlsPass), 'the password is in no output');
        await waitFor([], () => seen.length >= 1, 10_000);
        assert.deepEqual(seen, ['from the session']);
      } finally {
        await tlsPeer.close().catch(() => undefined);
      }
    });

    it("a saved profile with tls.caFile and the password from a secret: connect --profile consumes and publishes over amqps://; the secret is in no output", async () => {
      const p = rabbitPrefix('tlsprof');
      const file = join(dir, 'wirescope.json');
      writeFileSync(
        file,
        JSON.stringify({
          profiles: [
            {
              name: 'rabbit-tls',
              pattern: 'amqp',
              url: `amqps://${tlsUser}@${tlsBase}`,
              tls: { caFile },
              amqp: { password: '${secret:amqps.pw}', bind: [{ exchange: 'amq.topic', routingKey: `${p}.#` }], publish: [{ exchange: 'amq.topic', routingKey: `${p}.one`, payload: 'via the profile' }] },
            },
          ],
        }),
      );
      const r = await runCli(['connect', '--profile', 'rabbit-tls', '--profiles', file, '--count', '1', '--format', 'ndjson'], { env: { WIRESCOPE_SECRET_AMQPS_PW: tlsPass }, timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(tlsPass));
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as WireEvent);
      assert.deepEqual(dataIn(events).map((f) => [f.channel, f.data]), [[`${p}.one`, 'via the profile']]);
      const open = ofKind(events, 'state').find((x) => x.state === 'open') as StateEvent;
      assert.equal((open.meta?.tls as { authorized?: boolean } | undefined)?.authorized, true);
    });

    it('an untrusted certificate (no --cacert) is one line naming the self-signed certificate, without a stack trace or the password; a session fails at once without retrying', async () => {
      const r = await runCli(['connect', `amqps://${tlsUser}:${tlsPass}@${tlsBase}`, '--bind', 'amq.topic:#'], { timeoutMs: 20_000 });
      assert.equal(r.code, 1);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /TLS failure.*the server certificate is self-signed/);
      assert.doesNotMatch(r.stderr, /\n\s+at |Error:/);
      assert.ok(!(r.stdout + r.stderr).includes(tlsPass), 'the password is in no output');
      const events = await runSession({ pattern: 'amqp', url: `amqps://${tlsUser}:${tlsPass}@${tlsBase}`, reconnect: { initialDelayMs: 30, maxAttempts: 5 }, amqp: { bind: [{ exchange: 'amq.topic', routingKey: '#' }] } });
      checkInvariants(events);
      const errs = ofKind(events, 'error');
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.match(errs[0].message, /TLS failure.*self-signed/);
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.ok(!JSON.stringify(events).includes(tlsPass));
      // amqp:// (plain) to the TLS port is one line too, naming amqps://.
      const plain = await runSession({ pattern: 'amqp', url: `amqp://${tlsUser}:${tlsPass}@${tlsBase}`, connectTimeoutMs: 3000, reconnect: { enabled: false }, amqp: { bind: [{ exchange: 'amq.topic', routingKey: '#' }] } });
      const plainErrs = ofKind(plain, 'error');
      assert.equal(plainErrs.length, 1, JSON.stringify(plainErrs));
      assert.match(plainErrs[0].message, /^not an AMQP 0-9-1 server in plain text: it answered with a TLS record .*this port speaks TLS: use amqps:\/\/$/);
      assert.ok(!JSON.stringify(plain).includes(tlsPass));
    });
  });

  it('connection.blocked and unblocked are told in words while the broker is out of memory', async () => {
    const { s, events } = await live({ pattern: 'amqp', url: rabbit.url, amqp: { publishTo: 'amq.topic/blocked.test' } });
    await waitFor(events, (es) => ofKind(es, 'state').some((x) => x.state === 'open'));
    await waitFor([], () => true);
    await new Promise((r) => setTimeout(r, 100));
    try {
      await rabbit.ctl('set_vm_memory_high_watermark', '0.00001');
      await s.send({ data: 'while blocked' });
      await waitFor(events, (es) => packet(es, 'connection.blocked').length >= 1, 10_000);
    } finally {
      await rabbit.ctl('set_vm_memory_high_watermark', '0.4');
    }
    await waitFor(events, (es) => packet(es, 'connection.unblocked').length >= 1, 10_000);
    await s.close();
    checkInvariants(events);
    assert.match(packet(events, 'connection.blocked')[0].data, /^the broker blocked this connection: it holds back publishes until resources free up \(low on memory\)$/);
    assert.equal(packet(events, 'connection.unblocked')[0].data, 'the broker unblocked this connection: publishes flow again');
  });

  it('the broker closing every connection (320 CONNECTION_FORCED) and deleting a consumed queue: reconnect, re-declare, re-bind and the cancelled consumer are visible; a gap is flagged', async () => {
    const p = rabbitPrefix('restart');
    // The first reconnect attempt waits 2 s, so that seq 2 below is published while the session is surely away.
    const { s, events } = await live({ pattern: 'amqp', url: rabbit.url, idField: '$.seq', reconnect: { initialDelayMs: 2000, maxDelayMs: 2000, jitter: 0, maxAttempts: 20 }, amqp: { bind: [{ exchange: 'amq.topic', routingKey: `${p}.#` }] } });
    await waitFor(events, ready);
    ch.publish('amq.topic', `${p}.a`, Buffer.from('{"seq":1}'));
    await waitFor(events, (es) => dataIn(es).length >= 1);
    await rabbit.ctl('close_all_connections', 'test restart');
    await waitFor(events, (es) => ofKind(es, 'state').some((x) => x.state === 'reconnecting'), 10_000);
    // The peer's connection was closed too: a new one publishes seq 2 while the session is away (lost) and 3 after.
    await openPeer();
    ch.publish('amq.topic', `${p}.a`, Buffer.from('{"seq":2}'));
    assert.equal(packet(events, 'queue.bind-ok').length, 1, 'seq 2 went out while the session was away (not re-bound yet)');
    await waitFor(events, (es) => packet(es, 'queue.bind-ok').length >= 2, 15_000);
    ch.publish('amq.topic', `${p}.a`, Buffer.from('{"seq":3}'));
    await waitFor(events, (es) => dataIn(es).length >= 2);
    await s.close();
    checkInvariants(events);
    assert.match(packet(events, 'connection.close')[0].data, /^the broker closed the connection: 320 CONNECTION_FORCED - .*test restart/);
    assert.ok(ofKind(events, 'reconnect').length >= 1);
    assert.match(packet(events, 'RESUBSCRIBE')[0].data, new RegExp(`^after the reconnect: re-declaring the private queue, re-binding amq\\.topic:${p}\\.#`));
    assert.equal(packet(events, 'queue.declare-ok').length, 2);
    const an = ofKind(events, 'anomaly') as AnomalyEvent[];
    assert.ok(an.some((a) => a.type === 'gap' && a.key === 3), JSON.stringify(an));

    // A consumed queue deleted under the session: the broker cancels the consumer; the session reconnects and then says the queue is gone.
    const q = await ch.assertQueue(`${p}-gone`, {});
    const g = await live({ pattern: 'amqp', url: rabbit.url, reconnect: { initialDelayMs: 50, maxDelayMs: 100, jitter: 0, maxAttempts: 5 }, amqp: { queue: q.queue } });
    await waitFor(g.events, ready);
    await ch.deleteQueue(q.queue);
    await g.s.done;
    checkInvariants(g.events);
    assert.match(packet(g.events, 'basic.cancel')[0].data, new RegExp(`^the broker cancelled consumer .*: queue ${q.queue} was deleted or became unavailable$`));
    const errs = ofKind(g.events, 'error').map((e) => e.message);
    assert.match(errs[0], /^the broker cancelled the consumer of queue .*-gone/);
    assert.match(errs.at(-1)!, new RegExp(`^cannot consume queue ${q.queue}: 404 NOT_FOUND - no queue '${q.queue}'`));
    assert.equal(ofKind(g.events, 'state').at(-1)?.state, 'failed');
  });

  it('a broker restart (rabbitmqctl stop_app, start_app): refused attempts while it is down, then open, re-declare and re-bind, and messages flow again', async () => {
    const p = rabbitPrefix('app');
    const { s, events } = await live({ pattern: 'amqp', url: rabbit.url, reconnect: { initialDelayMs: 300, maxDelayMs: 1000, jitter: 0, maxAttempts: 60 }, amqp: { bind: [{ exchange: 'amq.topic', routingKey: `${p}.#` }] } });
    await waitFor(events, ready);
    await rabbit.restartApp();
    await openPeer();
    await waitFor(events, (es) => packet(es, 'queue.bind-ok').length >= 2, 30_000);
    ch.publish('amq.topic', `${p}.after`, Buffer.from('after the restart'));
    await waitFor(events, (es) => dataIn(es).some((f) => f.data === 'after the restart'), 10_000);
    await s.close();
    checkInvariants(events);
    assert.ok(ofKind(events, 'reconnect').length >= 1);
    assert.equal(ofKind(events, 'state').filter((x) => x.state === 'open').length, 2);
    assert.equal((ofKind(events, 'state').filter((x) => x.state === 'open')[1] as StateEvent).meta?.reconnected, true);
    assert.ok(packet(events, 'RESUBSCRIBE').length === 1);
  });
});
