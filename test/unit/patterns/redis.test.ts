// The redis pattern against a real Debian redis-server (one per describe block, started on a free port in
// its own process group and stopped after), with redis-cli as the peer that publishes and writes streams.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConnectArgs } from '../../../src/cli/args';
import { RespParser, RespError, encodeCommand, type RespValue } from '../../../src/core/resp';
import { Session } from '../../../src/core/session';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { AnomalyEvent, FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { parseNdjson, runCli, startCli } from '../cli/runCli';

const QUICK = { initialDelayMs: 30, maxDelayMs: 200, jitter: 0, maxAttempts: 50 };

const dataIn = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'in' && !f.meta?.control);
const controls = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.meta?.control === true);

/** Start a session, return it with its live event list. */
async function live(options: ConnectOptions): Promise<{ s: Session; events: WireEvent[] }> {
  const s = new Session(options);
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  return { s, events };
}

const subscribedTo = (name: string) => (es: WireEvent[]) => controls(es).some((f) => /SUBSCRIBE$/.test(String(f.meta?.packet)) && f.channel === name);

describe('RESP parser', () => {
  const parse = (chunks: Buffer[], opts = {}) => {
    const p = new RespParser(opts);
    const out: RespValue[] = [];
    for (const c of chunks) p.push(c, (v) => out.push(v));
    return { out, p };
  };
  it('reads every RESP2 type, split at every byte boundary', () => {
    const wire = Buffer.from('+OK\r\n-ERR bad thing\r\n:42\r\n$5\r\nhe\r\no\r\n$-1\r\n*2\r\n*1\r\n:1\r\n$0\r\n\r\n*-1\r\n*0\r\n');
    for (let cut = 1; cut < wire.length; cut++) {
      const { out } = parse([wire.subarray(0, cut), wire.subarray(cut)]);
      assert.equal(out.length, 8, `cut at ${cut}`);
      assert.equal(out[0], 'OK');
      assert.ok(out[1] instanceof RespError && out[1].code === 'ERR');
      assert.equal(out[2], 42);
      assert.deepEqual(out[3], Buffer.from('he\r\no'));
      assert.equal(out[4], null);
      assert.deepEqual(out[5], [[1], Buffer.alloc(0)]);
      assert.equal(out[6], null);
      assert.deepEqual(out[7], []);
    }
  });
  it('reads RESP3 types (null, boolean, double, map kept flat, push, verbatim)', () => {
    const { out } = parse([Buffer.from('_\r\n#t\r\n,1.5\r\n%1\r\n+a\r\n:1\r\n>2\r\n+x\r\n+y\r\n=8\r\ntxt:abcd\r\n')]);
    assert.deepEqual(out, [null, true, 1.5, ['a', 1], ['x', 'y'], Buffer.from('abcd')]);
  });
  it('refuses a bulk string over the limit before reading it, and a line without CRLF past the line limit', () => {
    assert.throws(() => parse([Buffer.from('$999999999999\r\n')], { maxBulkBytes: 1024 }), /over the 1024 bytes limit/);
    assert.throws(() => parse([Buffer.alloc(70_000, 0x2b)]), /without CRLF/);
    assert.throws(() => parse([Buffer.from('HTTP/1.1 400 Bad Request\r\n')]), /not a RESP reply: the server sent "HTTP\/1\.1 400 Bad Request/);
  });
  it('encodes a command as an array of bulk strings (binary-safe)', () => {
    assert.equal(encodeCommand(['SET', 'k', Buffer.from([0, 0xff])]).toString('latin1'), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\x00\xff\r\n');
  });
});

describe('redis pattern: connect flags', () => {
  it('--subscribe, --psubscribe, --publish channel=message, --stream, --group, --ack and --from fill the redis options', () => {
    const c = parseConnectArgs(['redis://127.0.0.1:6379', '--subscribe', 'news', '--subscribe', 'alerts', '--psubscribe', 'news.*', '--publish', 'news=hello=world', '--stream', 'orders', '--group', 'g', '--consumer', 'me', '--ack', '--from', '0', '--batch', '10', '--block', '100']);
    assert.equal(c.options.pattern, 'redis');
    assert.deepEqual(c.options.redis, { subscribe: ['news', 'alerts'], psubscribe: ['news.*'], publish: [{ channel: 'news', message: 'hello=world' }], stream: ['orders'], group: 'g', consumer: 'me', ack: true, from: '0', count: 10, blockMs: 100 });
    assert.throws(() => parseConnectArgs(['redis://127.0.0.1', '--publish', 'nochannel']), /--publish needs channel=message/);
    // The MQTT meaning of --subscribe is untouched.
    assert.deepEqual(parseConnectArgs(['mqtt://127.0.0.1', '--subscribe', 'a/#:1']).options.mqtt?.subscribe, [{ topic: 'a/#', qos: 1 }]);
    assert.equal(parseConnectArgs(['redis://127.0.0.1', '--password-env', 'RPW'], { env: { RPW: 'pw' }, readFile: () => '' }).options.redis?.password, 'pw');
    assert.equal(parseConnectArgs(['rediss://127.0.0.1']).options.pattern, 'redis');
  });
});

describe('redis pattern against redis-server (pub/sub and streams)', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('CLI: --subscribe news --count 2 shows two messages published by redis-cli (the done-when line)', async () => {
    const run = startCli(['connect', `${redis.url}`, '--subscribe', 'news', '--count', '2'], { timeoutMs: 20_000 });
    await run.waitForStdout((o) => /subscribed to channel news/.test(o));
    assert.match(await redis.cli('PUBLISH', 'news', 'first'), /^1/);
    await redis.cli('PUBLISH', 'news', 'second');
    const r = await run.result;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[news\]\s+first/);
    assert.match(r.stdout, /\[news\]\s+second/);
    assert.match(r.stdout, /unsubscribed from channel news/);
    assert.match(r.stdout, /closed\s+count reached/);
  });

  it('pub/sub: messages are in frames with channel = the channel; --publish is an out frame with the receivers count; binary payloads stay bytes', async () => {
    const { s, events } = await live({ pattern: 'redis', url: redis.url, redis: { subscribe: ['ps.a', 'ps.b'], publish: [{ channel: 'ps.a', message: 'self' }] } });
    await waitFor(events, (es) => dataIn(es).some((f) => f.data === 'self'));
    await redis.cli('PUBLISH', 'ps.b', '{"n":1}');
    // A payload that is not UTF-8 (redis-cli reads \xHH in quoted arguments).
    await redis.cli('--no-raw', 'EVAL', "return redis.call('PUBLISH', 'ps.b', string.char(0, 255, 1))", '0');
    await waitFor(events, (es) => dataIn(es).length >= 3);
    await s.close();
    checkInvariants(events);
    const ins = dataIn(events);
    assert.deepEqual(ins.map((f) => f.channel), ['ps.a', 'ps.b', 'ps.b']);
    assert.equal(ins[1].data, '{"n":1}');
    assert.equal(ins[2].encoding, 'base64');
    assert.deepEqual([...Buffer.from(ins[2].data, 'base64')], [0, 255, 1]);
    const out = (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'out' && !f.meta?.control);
    assert.equal(out.length, 1);
    assert.equal(out[0].channel, 'ps.a');
    assert.equal(out[0].data, 'self');
    assert.equal(out[0].meta?.receivers, 1, 'PUBLISH replied with one receiver (this session)');
    const subs = controls(events).filter((f) => f.meta?.packet === 'SUBSCRIBE');
    assert.deepEqual(subs.map((f) => f.channel), ['ps.a', 'ps.b']);
    assert.match(subs[1].data, /subscribed to channel ps\.b \(2 subscriptions/);
    const unsubs = controls(events).filter((f) => f.meta?.packet === 'UNSUBSCRIBE');
    assert.equal(unsubs.length, 2, 'unsubscribing on close is shown');
    assert.equal(ofKind(events, 'state').at(-1)?.state, 'closed');
  });

  it('psubscribe: a pmessage carries the channel it was published to and the pattern that matched', async () => {
    const { s, events } = await live({ pattern: 'redis', url: redis.url, redis: { psubscribe: ['pat.*'] } });
    await waitFor(events, subscribedTo('pat.*'));
    await redis.cli('PUBLISH', 'pat.one', 'p1');
    await redis.cli('PUBLISH', 'other', 'not for us');
    await waitFor(events, (es) => dataIn(es).length >= 1);
    await redis.cli('PUBLISH', 'pat.two', 'p2');
    await waitFor(events, (es) => dataIn(es).length >= 2);
    await s.close();
    assert.deepEqual(dataIn(events).map((f) => [f.channel, f.data, f.meta?.pattern]), [['pat.one', 'p1', 'pat.*'], ['pat.two', 'p2', 'pat.*']]);
    assert.ok(controls(events).some((f) => f.meta?.packet === 'PUNSUBSCRIBE'));
  });

  it('streams with XREAD: read-only, from 0 gives history, each entry has its id and fields; $ pins the last id so a reconnect loses nothing', async () => {
    await redis.cli('XADD', 'st.read', '1-1', 'item', 'a', 'qty', '1');
    await redis.cli('XADD', 'st.read', '1-2', 'item', 'b', 'qty', '2');
    const all = await runSession({ pattern: 'redis', url: redis.url, count: 2, redis: { stream: ['st.read'], from: '0', blockMs: 200 } });
    checkInvariants(all);
    const e = dataIn(all);
    assert.deepEqual(e.map((f) => f.meta?.id), ['1-1', '1-2']);
    assert.deepEqual(JSON.parse(e[0].data), { item: 'a', qty: '1' });
    assert.deepEqual(e[0].meta?.fields, { item: 'a', qty: '1' });
    assert.equal(e[0].channel, 'st.read');
    const mode = controls(all).find((f) => f.meta?.packet === 'MODE')!;
    assert.equal(mode.meta?.destructive, false);
    assert.match(mode.data, /read-only/);
    // Nothing was created: no group on the stream.
    assert.match(await redis.cli('XINFO', 'GROUPS', 'st.read'), /^\s*$/);

    // From $ (the default): only entries added after the start, also across a restart of the connection.
    const { s, events } = await live({ pattern: 'redis', url: redis.url, reconnect: QUICK, idField: 'meta:id', redis: { stream: ['st.read'], blockMs: 200 } });
    await waitFor(events, (es) => ofKind(es, 'state').some((x) => x.state === 'open'));
    await redis.cli('XADD', 'st.read', '2-1', 'item', 'c');
    await waitFor(events, (es) => dataIn(es).length >= 1);
    s.reconnect();
    await redis.cli('XADD', 'st.read', '2-2', 'item', 'd');
    await waitFor(events, (es) => dataIn(es).length >= 2, 8000);
    await s.close();
    assert.deepEqual(dataIn(events).map((f) => f.meta?.id), ['2-1', '2-2'], 'nothing before the start, nothing lost or doubled across the reconnect');
    const reopen = ofKind(events, 'state').filter((x) => x.state === 'open');
    assert.equal(reopen.length, 2);
    assert.deepEqual(reopen[1].meta?.resumeFrom, { 'st.read': '2-1' });
    assert.equal(ofKind(events, 'anomaly').length, 0);
  });

  it('streams with XREADGROUP: entries stay pending without --ack (XPENDING shows them); --ack acknowledges; history reads are redeliveries', async () => {
    await redis.cli('XGROUP', 'CREATE', 'st.group', 'g1', '0', 'MKSTREAM');
    await redis.cli('XADD', 'st.group', '1-1', 'n', '1');
    await redis.cli('XADD', 'st.group', '1-2', 'n', '2');
    const first = await runSession({ pattern: 'redis', url: redis.url, count: 2, redis: { stream: ['st.group'], group: 'g1', consumer: 'c1', blockMs: 200 } });
    checkInvariants(first);
    assert.deepEqual(dataIn(first).map((f) => [f.meta?.id, f.meta?.pending, f.meta?.group, f.meta?.consumer]), [['1-1', true, 'g1', 'c1'], ['1-2', true, 'g1', 'c1']]);
    const mode = controls(first).find((f) => f.meta?.packet === 'MODE')!;
    assert.equal(mode.meta?.destructive, true);
    assert.match(mode.data, /DESTRUCTIVE: reads st\.group as consumer c1 of group g1.*stay pending/);
    assert.equal((ofKind(first, 'state').find((x) => x.state === 'open') as StateEvent).meta?.destructive, true);
    assert.match(await redis.cli('XPENDING', 'st.group', 'g1'), /^2\n/, 'both entries pending: nothing acknowledged');

    // Again as c1 from 0: its pending entries come back as redeliveries, and --ack acknowledges them.
    const second = await runSession({ pattern: 'redis', url: redis.url, count: 2, redis: { stream: ['st.group'], group: 'g1', consumer: 'c1', from: '0', ack: true, blockMs: 200 } });
    const pendingFrame = controls(second).find((f) => f.meta?.packet === 'XPENDING')!;
    assert.match(pendingFrame.data, /group g1 on st\.group: 2 pending \(1-1 … 1-2\); c1 2/);
    assert.deepEqual(dataIn(second).map((f) => [f.meta?.id, f.meta?.redelivered]), [['1-1', true], ['1-2', true]]);
    const acks = controls(second).filter((f) => f.meta?.packet === 'XACK');
    assert.equal(acks.reduce((n, f) => n + Number(f.meta?.acknowledged), 0), 2);
    assert.match(await redis.cli('XPENDING', 'st.group', 'g1'), /^0\n/);
  });

  it('a missing group is one clear line unless --create-group; a key that is not a stream is WRONGTYPE in one line', async () => {
    const noGroup = await runSession({ pattern: 'redis', url: redis.url, redis: { stream: ['st.none'], group: 'nog' } });
    const err = ofKind(noGroup, 'error');
    assert.equal(err.length, 1);
    assert.equal(err[0].code, 'ERR_NOGROUP');
    assert.match(err[0].message, /consumer group "nog" does not exist on stream "st\.none": create it with --create-group/);
    assert.match(await redis.cli('EXISTS', 'st.none'), /^0/, 'watching created nothing');

    const created = await runSession({ pattern: 'redis', url: redis.url, durationMs: 300, redis: { stream: ['st.made'], group: 'mk', createGroup: true, blockMs: 100 } });
    assert.ok(controls(created).some((f) => f.meta?.packet === 'XGROUP CREATE' && f.meta?.created === true));
    assert.match(await redis.cli('XINFO', 'GROUPS', 'st.made'), /mk/);

    await redis.cli('SET', 'plain', 'x');
    const wrong = await runSession({ pattern: 'redis', url: redis.url, redis: { stream: ['plain'] } });
    const w = ofKind(wrong, 'error');
    assert.equal(w.length, 1);
    assert.equal(w[0].code, 'ERR_WRONGTYPE');
    assert.match(w[0].message, /^WRONGTYPE: the key "plain" holds a string, not a stream/);
    assert.equal(ofKind(wrong, 'state').at(-1)?.state, 'failed');

    // A key that becomes something else while the session reads it.
    await redis.cli('XADD', 'st.turns', '1-1', 'a', '1');
    const { s, events } = await live({ pattern: 'redis', url: redis.url, redis: { stream: ['st.turns'], from: '0', blockMs: 100 } });
    await waitFor(events, (es) => dataIn(es).length >= 1);
    await redis.cli('DEL', 'st.turns');
    await redis.cli('SET', 'st.turns', 'now a string');
    await s.done;
    const late = ofKind(events, 'error');
    assert.equal(late.length, 1);
    assert.match(late[0].message, /WRONGTYPE/);
  });

  it('--id-field $.seq flags the gap of messages published while the broker was restarting; reconnect and re-subscribe are visible', async () => {
    // The first attempt waits 1.5 s, so the broker is back before the session is.
    const { s, events } = await live({ pattern: 'redis', url: redis.url, reconnect: { initialDelayMs: 1500, maxDelayMs: 1500, jitter: 0, maxAttempts: 20 }, idField: '$.seq', redis: { subscribe: ['seq'] } });
    await waitFor(events, subscribedTo('seq'));
    await redis.cli('PUBLISH', 'seq', '{"seq":1}');
    await waitFor(events, (es) => dataIn(es).length >= 1);
    await redis.restart();
    await waitFor(events, (es) => ofKind(es, 'state').some((x) => x.state === 'reconnecting'));
    // Published while the session is waiting to reconnect: nobody receives it (pub/sub keeps nothing).
    await redis.cli('PUBLISH', 'seq', '{"seq":2}');
    assert.equal(ofKind(events, 'state').filter((x) => x.state === 'open').length, 1, 'still waiting to reconnect');
    await waitFor(events, (es) => controls(es).filter((f) => f.meta?.packet === 'SUBSCRIBE').length >= 2, 10_000);
    await redis.cli('PUBLISH', 'seq', '{"seq":3}');
    await redis.cli('PUBLISH', 'seq', '{"seq":3}');
    await waitFor(events, (es) => dataIn(es).length >= 3);
    await s.close();
    checkInvariants(events);
    assert.ok(ofKind(events, 'reconnect').length >= 1, 'a reconnect event');
    const states = ofKind(events, 'state').map((x) => x.state);
    assert.ok(states.includes('reconnecting'));
    assert.equal(states.filter((x) => x === 'open').length, 2);
    assert.ok(controls(events).some((f) => f.meta?.packet === 'RESUBSCRIBE' && /re-subscribing after the reconnect: seq/.test(f.data)));
    const anomalies = ofKind(events, 'anomaly') as AnomalyEvent[];
    assert.deepEqual(anomalies.map((a) => a.type).sort(), ['duplicate', 'gap']);
  });
});

describe('redis pattern: passwords', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ password: 's3cr3t-pw' });
    await redis.cli('ACL', 'SETUSER', 'alice', 'on', '>alice-pw', '~*', '&*', '+@all');
  });
  after(async () => {
    await redis?.stop();
  });

  it('redis://:pass@ and redis://user:pass@ authenticate; the password never appears in any event or CLI output', async () => {
    const url = `redis://:s3cr3t-pw@127.0.0.1:${redis.port}`;
    const { s, events } = await live({ pattern: 'redis', url, redis: { subscribe: ['auth'] } });
    await waitFor(events, subscribedTo('auth'));
    await redis.cli('PUBLISH', 'auth', 'in');
    await waitFor(events, (es) => dataIn(es).length >= 1);
    await s.close();
    assert.ok(!JSON.stringify(events).includes('s3cr3t-pw'));
    assert.match(String(ofKind(events, 'state')[0].url), /redis:\/\/:\*\*\*@127\.0\.0\.1/);

    const r = await runCli(['connect', `redis://alice:alice-pw@127.0.0.1:${redis.port}`, '--publish', 'auth=hi', '--duration', '300', '--format', 'ndjson'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes('alice-pw'));
    const out = (ofKind(parseNdjson(r.stdout), 'frame') as FrameEvent[]).filter((f) => f.dir === 'out' && !f.meta?.control);
    assert.equal(out[0]?.data, 'hi');
  });

  it('a bad password, a bad user password and no password each fail with one clear line, without retrying', async () => {
    for (const [url, re] of [
      [`redis://:wrong-pw@127.0.0.1:${redis.port}`, /^authentication failed: WRONGPASS/],
      [`redis://alice:nope@127.0.0.1:${redis.port}`, /^authentication failed: WRONGPASS/],
      [`redis://127.0.0.1:${redis.port}`, /^the server requires a password \(NOAUTH\)/],
    ] as const) {
      const events = await runSession({ pattern: 'redis', url, reconnect: QUICK, redis: { subscribe: ['x'] } });
      checkInvariants(events);
      const errs = ofKind(events, 'error');
      assert.equal(errs.length, 1, url);
      assert.match(errs[0].message, re);
      assert.equal(errs[0].code, 'ERR_AUTH');
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.equal(ofKind(events, 'state').at(-1)?.state, 'failed');
      assert.ok(!JSON.stringify(events).includes('wrong-pw'));
    }
    const cli = await runCli(['connect', `redis://:wrong-pw@127.0.0.1:${redis.port}`, '--subscribe', 'x'], { timeoutMs: 20_000 });
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
    assert.match(cli.stderr, /authentication failed: WRONGPASS/);
    assert.ok(!(cli.stdout + cli.stderr).includes('wrong-pw'));
  });
});

describe('redis pattern: broker down at start', () => {
  it('a refused first connection is one line and no retry', async () => {
    const redis = await startRedis();
    const port = redis.port;
    await redis.stop();
    const r = await runCli(['connect', `redis://127.0.0.1:${port}`, '--subscribe', 'x'], { timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /Connection refused/);
  });
});
