// The nats pattern against a real Debian nats-server (one per describe block, on a free port in its own process
// group, stopped after), with the `nats` npm client (nats.js, not written here) as the peer that publishes,
// replies to requests and carries headers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, headers as natsHeaders, StringCodec, type NatsConnection } from 'nats';
import { parseConnectArgs } from '../../../src/cli/args';
import { NatsParser, type NatsOp } from '../../../src/patterns/nats/protocol';
import { Session } from '../../../src/core/session';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { AnomalyEvent, FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';
import { startNats, type NatsServer } from '../../helpers/nats';
import { runCli, startCli } from '../cli/runCli';
import { makeTestCerts } from '../../helpers/tlsCerts';

const sc = StringCodec();
const dataIn = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'in' && !f.meta?.control);
const controls = (events: WireEvent[]) => (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.meta?.control === true);
const subscribed = (events: WireEvent[]) => controls(events).some((f) => f.meta?.packet === 'SUB');

async function live(options: ConnectOptions): Promise<{ s: Session; events: WireEvent[] }> {
  const s = new Session(options);
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  return { s, events };
}

describe('NATS protocol parser', () => {
  const parse = (chunks: Buffer[], opts = {}) => {
    const p = new NatsParser(opts);
    const out: NatsOp[] = [];
    for (const c of chunks) p.push(c, (op) => out.push(op));
    return out;
  };
  it('reads INFO, MSG with and without a reply subject, HMSG, PING, PONG, +OK and -ERR, split at every byte', () => {
    const wire = Buffer.from('INFO {"server_id":"x","headers":true}\r\nMSG a.b 2 5\r\nhe\r\no\r\nMSG a.c 2 _INBOX.1 0\r\n\r\nHMSG h 3 r 24 26\r\nNATS/1.0\r\nK: v\r\nK: w\r\n\r\nhi\r\nPING\r\nPONG\r\n+OK\r\n-ERR \'Unknown Protocol Operation\'\r\n');
    for (let cut = 1; cut < wire.length; cut++) {
      const ops = parse([wire.subarray(0, cut), wire.subarray(cut)]);
      assert.deepEqual(ops.map((o) => o.op), ['INFO', 'MSG', 'MSG', 'MSG', 'PING', 'PONG', 'OK', 'ERR'], `cut ${cut}`);
      const [, m1, m2, h] = ops as Array<Extract<NatsOp, { op: 'MSG' }>>;
      assert.equal(m1.payload.toString(), 'he\r\no');
      assert.equal(m2.replyTo, '_INBOX.1');
      assert.equal(m2.payload.length, 0);
      assert.equal(h.headers?.toString(), 'NATS/1.0\r\nK: v\r\nK: w\r\n\r\n');
      assert.equal(h.payload.toString(), 'hi');
      assert.equal((ops[7] as { message: string }).message, 'Unknown Protocol Operation');
    }
  });
  it('reads MSG lines of every spacing alike (the byte-level path for single spaces, the general one for the rest), and never reuses a subject for another of the same length', () => {
    const wire = Buffer.from(
      [
        'MSG a.b 2 1\r\n1\r\n',
        'MSG a.c 2 1\r\n2\r\n',
        'MSG a.c 2 1\r\n3\r\n',
        'MSG a.b 12 r.1 1\r\n4\r\n',
        'MSG  a.b  2   1\r\n5\r\n',
        'MSG\ta.d\t2\t1\r\n6\r\n',
        'MSG a\t3 b 1\r\n7\r\n',
        'msg é.ü 4 1\r\n8\r\n',
        'MSG é.ü 4 1\r\n9\r\n',
        'MSG a.b 1234567890123456 1\r\nA\r\n',
        'MSG a.b 2 0001\r\nB\r\n',
      ].join(''),
    );
    for (let cut = 1; cut < wire.length; cut += 3) {
      const ops = parse([wire.subarray(0, cut), wire.subarray(cut)]) as Array<Extract<NatsOp, { op: 'MSG' }>>;
      assert.deepEqual(
        ops.map((o) => [o.subject, o.sid, o.replyTo ?? '', o.payload.toString()]),
        [
          ['a.b', 2, '', '1'],
          ['a.c', 2, '', '2'],
          ['a.c', 2, '', '3'],
          ['a.b', 12, 'r.1', '4'],
          ['a.b', 2, '', '5'],
          ['a.d', 2, '', '6'],
          ['a', 3, 'b', '7'],
          ['é.ü', 4, '', '8'],
          ['é.ü', 4, '', '9'],
          ['a.b', 1234567890123456, '', 'A'],
          ['a.b', 2, '', 'B'],
        ],
        `cut ${cut}`,
      );
    }
    // Bad MSG lines get the same words whichever path saw them first.
    assert.throws(() => parse([Buffer.from('MSG a.b x 1\r\n1\r\n')]), /bad MSG line "MSG a\.b x 1"/);
    assert.throws(() => parse([Buffer.from('MSG a.b 2 1 2 3\r\n1\r\n')]), /bad MSG line/);
    assert.throws(() => parse([Buffer.from('MSG a.b 2 1\r\n12\r\n')]), /a message payload is not followed by CRLF/);
    assert.throws(() => parse([Buffer.from('MSG a.b 2 2048\r\n')], { maxPayloadBytes: 1024 }), /a message of 2048 bytes is over the 1024 bytes limit/);
  });
  it('refuses a message over the limit at its control line, a control line without end, and what is not NATS', () => {
    assert.throws(() => parse([Buffer.from('MSG a 1 999999999999\r\n')], { maxPayloadBytes: 1024 }), /a message of 999999999999 bytes is over the 1024 bytes limit/);
    assert.throws(() => parse([Buffer.alloc(70_000, 0x41)]), /a control line of more than 65536 bytes/);
    assert.throws(() => parse([Buffer.from('HTTP/1.1 400 Bad Request\r\n')]), /not a NATS operation: the server sent "HTTP\/1\.1 400 Bad Request/);
  });
});

describe('nats pattern: connect flags', () => {
  it('--subscribe, --queue-group, --publish subject=payload, --request-subject and friends fill the nats options; the MQTT and Redis meanings stay', () => {
    const c = parseConnectArgs(['nats://127.0.0.1:4222', '--subscribe', 'orders.>', '--queue-group', 'w', '--publish', 'orders.eu=a=b', '--request-subject', 'svc.echo', '--request-payload', 'ping', '--requests', '3', '--request-timeout', '500', '--request-interval', '10']);
    assert.equal(c.options.pattern, 'nats');
    assert.deepEqual(c.options.nats, { subscribe: ['orders.>'], queueGroup: 'w', publish: [{ subject: 'orders.eu', payload: 'a=b' }], requestSubject: 'svc.echo', requestPayload: 'ping', requests: 3, requestTimeoutMs: 500, requestIntervalMs: 10 });
    assert.deepEqual(parseConnectArgs(['redis://127.0.0.1', '--subscribe', 'news']).options.redis, { subscribe: ['news'] });
    assert.equal(parseConnectArgs(['mqtt://127.0.0.1', '--request-topic', 'rpc', '--requests', '2']).options.mqtt?.request?.count, 2);
    assert.equal(parseConnectArgs(['tls://127.0.0.1:4222', '--pattern', 'nats']).options.pattern, 'nats');
  });
});

describe('nats pattern against nats-server', () => {
  let server: NatsServer;
  let peer: NatsConnection;
  before(async () => {
    server = await startNats();
    peer = await connect({ servers: `127.0.0.1:${server.port}`, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  });
  after(async () => {
    await peer?.close().catch(() => undefined);
    await server?.stop();
  });

  it("CLI: --subscribe 'orders.>' --count 2 shows two messages published by another client (the done-when line)", async () => {
    const run = startCli(['connect', server.url, '--subscribe', 'orders.>', '--count', '2'], { timeoutMs: 20_000 });
    await run.waitForStdout((o) => /subscribed to orders\.>/.test(o));
    peer.publish('orders.eu.1', sc.encode('first'));
    peer.publish('other', sc.encode('not matched'));
    peer.publish('orders.us', sc.encode('second'));
    await peer.flush();
    const r = await run.result;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[orders\.eu\.1\]\s+first/);
    assert.match(r.stdout, /\[orders\.us\]\s+second/);
    assert.doesNotMatch(r.stdout, /not matched/);
    assert.match(r.stdout, /closed\s+count reached/);
  });

  it('messages carry headers, the reply subject and the sid in meta; binary payloads stay bytes; publishes go out with -H headers', async () => {
    const got: string[] = [];
    const echo = peer.subscribe('hdr.out');
    void (async () => {
      for await (const m of echo) got.push(`${sc.decode(m.data)}|${m.headers?.get('X-Trace') ?? ''}`);
    })();
    await peer.flush();
    const { s, events } = await live({ pattern: 'nats', url: server.url, headers: { 'X-Trace': 't-1' }, nats: { subscribe: ['hdr.*'], publishSubject: 'hdr.out' } });
    await waitFor(events, subscribed);
    const h = natsHeaders();
    h.append('Nats-Msg-Id', 'm-1');
    h.append('Color', 'red');
    h.append('Color', 'blue');
    peer.publish('hdr.in', sc.encode('with headers'), { headers: h, reply: 'my.reply' });
    peer.publish('hdr.bin', new Uint8Array([0, 255, 1]));
    await peer.flush();
    await waitFor(events, (es) => dataIn(es).length >= 2);
    await s.send({ data: 'from the session' });
    await waitFor(events, (es) => dataIn(es).some((f) => f.channel === 'hdr.out'));
    await waitFor(events, () => got.length >= 1);
    await s.close();
    checkInvariants(events);
    const [withH, bin] = dataIn(events);
    assert.equal(withH.data, 'with headers');
    assert.equal(withH.meta?.replyTo, 'my.reply');
    assert.deepEqual(withH.meta?.headers, { 'Nats-Msg-Id': 'm-1', Color: ['red', 'blue'] });
    assert.equal(typeof withH.meta?.sid, 'number');
    assert.equal(bin.encoding, 'base64');
    assert.deepEqual([...Buffer.from(bin.data, 'base64')], [0, 255, 1]);
    assert.deepEqual(got, ['from the session|t-1'], 'the other client got the publish with its header');
    const out = (ofKind(events, 'frame') as FrameEvent[]).find((f) => f.dir === 'out' && !f.meta?.control)!;
    assert.equal(out.channel, 'hdr.out');
    assert.deepEqual(out.meta?.headers, { 'X-Trace': 't-1' });
    assert.ok(controls(events).some((f) => f.meta?.packet === 'UNSUB'));
  });

  it('a queue group shares the messages: two sessions in one group get each message once between them; the session says it is destructive', async () => {
    const a = await live({ pattern: 'nats', url: server.url, nats: { subscribe: ['work.*'], queueGroup: 'workers' } });
    const b = await live({ pattern: 'nats', url: server.url, nats: { subscribe: ['work.*'], queueGroup: 'workers' } });
    await waitFor(a.events, subscribed);
    await waitFor(b.events, subscribed);
    for (let i = 1; i <= 40; i++) peer.publish(`work.${i}`, sc.encode(String(i)));
    await peer.flush();
    await waitFor(a.events, () => dataIn(a.events).length + dataIn(b.events).length >= 40);
    await new Promise((r) => setTimeout(r, 100));
    await a.s.close();
    await b.s.close();
    const all = [...dataIn(a.events), ...dataIn(b.events)].map((f) => Number(f.data)).sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => i + 1), 'each message exactly once across the group');
    assert.ok(dataIn(a.events).length > 0 && dataIn(b.events).length > 0, 'both members got some');
    const mode = controls(a.events).find((f) => f.meta?.packet === 'MODE')!;
    assert.equal(mode.meta?.destructive, true);
    assert.match(mode.data, /^DESTRUCTIVE: joins queue group workers/);
    assert.equal((ofKind(a.events, 'state').find((x) => x.state === 'open') as StateEvent).meta?.destructive, true);
  });

  it('request/reply: each request matched with its reply and round-trip time; the session ends when all are answered; no responders is one line', async () => {
    const svc = peer.subscribe('svc.echo');
    void (async () => {
      for await (const m of svc) m.respond(sc.encode(`echo ${sc.decode(m.data)}`));
    })();
    await peer.flush();
    const events = await runSession({ pattern: 'nats', url: server.url, nats: { requestSubject: 'svc.echo', requests: 3, requestIntervalMs: 20, requestTimeoutMs: 2000 } });
    checkInvariants(events);
    const replies = dataIn(events);
    assert.deepEqual(replies.map((f) => [f.data, f.meta?.request]), [['echo {"request":1}', 1], ['echo {"request":2}', 2], ['echo {"request":3}', 3]]);
    assert.ok(replies.every((f) => typeof f.meta?.rttMs === 'number' && (f.meta.rttMs as number) >= 0));
    const outs = (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'out' && !f.meta?.control);
    assert.ok(outs.every((f) => /^_INBOX\.[0-9a-f]+\.\d$/.test(String(f.meta?.replyTo))), 'each request carries its reply inbox');
    assert.equal(ofKind(events, 'timing').filter((t) => t.meta?.request !== undefined).length, 3);
    const summary = ofKind(events, 'summary')[0] as unknown as { requestResponse: { sent: number; answered: number; timedOut: number } };
    assert.deepEqual({ ...summary.requestResponse, rtt: undefined }, { sent: 3, answered: 3, timedOut: 0, rtt: undefined });
    assert.equal(ofKind(events, 'state').at(-1)?.reason, 'all requests answered or timed out');

    const none = await runSession({ pattern: 'nats', url: server.url, nats: { requestSubject: 'svc.nobody', requestTimeoutMs: 2000 } });
    const errs = ofKind(none, 'error');
    assert.equal(errs.length, 1);
    assert.equal(errs[0].code, 'ERR_NATS_NO_RESPONDERS');
    assert.match(errs[0].message, /^request 1 to svc\.nobody: no responders/);
  });

  it('--id-field $.seq flags the gap of messages published while the server was restarting; reconnect and re-subscribe are visible', async () => {
    const { s, events } = await live({ pattern: 'nats', url: server.url, reconnect: { initialDelayMs: 1500, maxDelayMs: 1500, jitter: 0, maxAttempts: 20 }, idField: '$.seq', nats: { subscribe: ['seq'] } });
    await waitFor(events, subscribed);
    peer.publish('seq', sc.encode('{"seq":1}'));
    await peer.flush();
    await waitFor(events, (es) => dataIn(es).length >= 1);
    await server.restart();
    await waitFor(events, (es) => ofKind(es, 'state').some((x) => x.state === 'reconnecting'));
    // The peer reconnects by itself (its library does); what it publishes now has no subscriber: lost.
    await waitFor([], () => !peer.isClosed() && peer.info !== undefined, 5000);
    await new Promise((r) => setTimeout(r, 300));
    peer.publish('seq', sc.encode('{"seq":2}'));
    await peer.flush();
    assert.equal(ofKind(events, 'state').filter((x) => x.state === 'open').length, 1, 'still waiting to reconnect');
    await waitFor(events, (es) => controls(es).filter((f) => f.meta?.packet === 'SUB').length >= 2, 10_000);
    peer.publish('seq', sc.encode('{"seq":3}'));
    peer.publish('seq', sc.encode('{"seq":3}'));
    await peer.flush();
    await waitFor(events, (es) => dataIn(es).length >= 3);
    await s.close();
    checkInvariants(events);
    assert.ok(ofKind(events, 'reconnect').length >= 1);
    assert.ok(controls(events).some((f) => f.meta?.packet === 'RESUBSCRIBE' && /re-subscribing after the reconnect: seq/.test(f.data)));
    assert.deepEqual((ofKind(events, 'anomaly') as AnomalyEvent[]).map((a) => a.type).sort(), ['duplicate', 'gap']);
  });
});

describe('nats pattern: credentials', () => {
  let server: NatsServer;
  let tokenServer: NatsServer;
  before(async () => {
    server = await startNats({ user: 'alice', pass: 'alice-s3cret' });
    tokenServer = await startNats({ token: 'tok-s3cret' });
  });
  after(async () => {
    await server?.stop();
    await tokenServer?.stop();
  });

  it('user:pass and token URLs authenticate; the secret never appears in events or CLI output', async () => {
    const { s, events } = await live({ pattern: 'nats', url: `nats://alice:alice-s3cret@127.0.0.1:${server.port}`, nats: { subscribe: ['x'], publish: [{ subject: 'x', payload: 'hi' }] } });
    await waitFor(events, (es) => dataIn(es).length >= 1);
    await s.close();
    assert.ok(!JSON.stringify(events).includes('alice-s3cret'));
    assert.match(String(ofKind(events, 'state')[0].url), /nats:\/\/alice:\*\*\*@127\.0\.0\.1/);
    const r = await runCli(['connect', `nats://tok-s3cret@127.0.0.1:${tokenServer.port}`, '--subscribe', 't', '--publish', 't=ok', '--count', '1'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[t\]\s+ok/);
  });

  it('a bad password and missing credentials each fail with one clear line, without retrying', async () => {
    for (const [url, re] of [
      [`nats://alice:wrong-pw@127.0.0.1:${server.port}`, /^authentication failed: Authorization Violation/],
      [`nats://127.0.0.1:${server.port}`, /^the server requires credentials/],
    ] as const) {
      const events = await runSession({ pattern: 'nats', url, reconnect: { initialDelayMs: 30, maxAttempts: 5 }, nats: { subscribe: ['x'] } });
      checkInvariants(events);
      const errs = ofKind(events, 'error');
      assert.equal(errs.length, 1, JSON.stringify(errs));
      assert.match(errs[0].message, re);
      assert.equal(errs[0].code, 'ERR_AUTH');
      assert.equal(ofKind(events, 'reconnect').length, 0);
      assert.ok(!JSON.stringify(events).includes('wrong-pw'));
    }
    const cli = await runCli(['connect', `nats://alice:wrong-pw@127.0.0.1:${server.port}`, '--subscribe', 'x'], { timeoutMs: 20_000 });
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
    assert.ok(!(cli.stdout + cli.stderr).includes('wrong-pw'));
  });

  it('a server that is down at start is one line and no retry', async () => {
    const gone = await startNats();
    const port = gone.port;
    await gone.stop();
    const r = await runCli(['connect', `nats://127.0.0.1:${port}`, '--subscribe', 'x'], { timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /Connection refused/);
  });
});

describe('nats pattern over TLS', () => {
  let server: NatsServer;
  before(async () => {
    server = await startNats({ tls: makeTestCerts().selfSigned });
  });
  after(async () => {
    await server?.stop();
  });

  it('tls:// with --pattern nats upgrades after INFO (timing has a tls phase, open meta.tls); nats:// to it is one line naming tls://', async () => {
    const ca = makeTestCerts().selfSigned.cert;
    const events = await runSession({ pattern: 'nats', url: `tls://127.0.0.1:${server.port}`, tls: { ca }, count: 1, nats: { subscribe: ['t'], publish: [{ subject: 't', payload: 'over tls' }] } });
    checkInvariants(events);
    assert.deepEqual(dataIn(events).map((f) => f.data), ['over tls']);
    const open = ofKind(events, 'state').find((x) => x.state === 'open') as StateEvent;
    assert.equal((open.meta?.tls as { authorized?: boolean } | undefined)?.authorized, true);
    assert.ok((ofKind(events, 'timing')[0].phases.tls ?? -1) >= 0, 'a tls phase');

    const plain = await runSession({ pattern: 'nats', url: `nats://127.0.0.1:${server.port}`, nats: { subscribe: ['t'] } });
    const errs = ofKind(plain, 'error');
    assert.equal(errs.length, 1);
    assert.match(errs[0].message, /^the server requires TLS: use tls:\/\/127\.0\.0\.1:\d+ with --pattern nats/);
  });
});
