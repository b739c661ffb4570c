// socketio against the library's own server (`socket.io`) on 127.0.0.1:0: namespaces, auth accepted and
// refused by middleware, acks with their round trip, binary attachments, the polling -> websocket upgrade,
// a server restart (reconnect through the shared lifecycle, namespace joined again), connection-state
// recovery, and the CLI's Done-when line.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { parseConnectArgs, UsageError } from '../../../src/cli/args';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { FrameEvent, StateEvent, WireEvent } from '../../../src/shared/events';
import { validateProfile } from '../../../src/shared/profile';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';
import { makeTestCerts } from '../../helpers/tlsCerts';
import { parseNdjson, runCli } from '../cli/runCli';

const errorsOf = (p: unknown) => validateProfile(p).filter((x) => x.severity === 'error');
const frames = (es: WireEvent[]) => ofKind(es, 'frame') as FrameEvent[];
const data = (es: WireEvent[]) => frames(es).filter((f) => !f.meta?.control);
const controls = (es: WireEvent[], packet: string) => frames(es).filter((f) => f.meta?.control && f.meta.packet === packet);
const states = (es: WireEvent[]) => (ofKind(es, 'state') as StateEvent[]).map((s) => s.state);

interface Live {
  io: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A socket.io server (the library's own) on a free port, or on `port` when it comes back after a restart. */
async function startServer(setup: (io: Server) => void, port = 0, opts: ConstructorParameters<typeof Server>[1] = {}): Promise<Live> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, opts);
  setup(io);
  await new Promise<void>((r) => httpServer.listen(port, '127.0.0.1', () => r()));
  const p = (httpServer.address() as AddressInfo).port;
  return {
    io,
    port: p,
    url: `http://127.0.0.1:${p}`,
    close: () =>
      new Promise<void>((r) => {
        io.disconnectSockets(true);
        void io.close(() => r());
        httpServer.closeAllConnections();
      }),
  };
}

/** The test server's behaviour: a welcome, echo (answering acks), binary, and a chat namespace behind a token. */
function app(io: Server): void {
  const onConnection = (s: ServerSocket) => {
    s.emit('welcome', { nsp: s.nsp.name, auth: s.handshake.auth, query: s.handshake.query.room ?? null });
    s.on('echo', (...args: unknown[]) => {
      const cb = typeof args.at(-1) === 'function' ? (args.pop() as (...a: unknown[]) => void) : undefined;
      if (cb) cb({ ok: true }, args.length);
      else s.emit('echo', ...args);
    });
    s.on('bin', () => {
      s.emit('blob', Buffer.from([0, 1, 2, 255]));
      s.emit('mixed', { name: 'x' }, Buffer.from('hi'));
    });
  };
  io.on('connection', onConnection);
  const chat = io.of('/chat');
  chat.use((socket, next) => (socket.handshake.auth?.token === 'good' ? next() : next(new Error('token refused'))));
  chat.on('connection', onConnection);
}

describe('socketio: options from the CLI and profiles', () => {
  it('--emit, --auth, --query, --transport, --ack, --path fill the socketio options; bad values are one line', () => {
    const cmd = parseConnectArgs(['http://127.0.0.1:3000/chat', '--pattern', 'socketio', '--emit', 'echo={"x":1}', '--emit', 'sum=[1,2]', '--emit', 'ping', '--auth', '{"token":"t"}', '--query', 'a=1', '--query', 'b=2', '--transport', 'websocket', '--ack', '--ack-timeout', '500', '--path', '/io/']);
    assert.deepEqual(cmd.options.socketio, {
      emit: [{ event: 'echo', args: [{ x: 1 }] }, { event: 'sum', args: [1, 2] }, { event: 'ping', args: [] }],
      auth: { token: 't' },
      query: { a: '1', b: '2' },
      transport: 'websocket',
      ack: true,
      ackTimeoutMs: 500,
      path: '/io/',
    });
    const bad = (args: string[], re: RegExp) => assert.throws(() => parseConnectArgs(['http://h:1/', '--pattern', 'socketio', ...args]), (e: Error) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'));
    bad(['--emit', 'x={oops'], /^--emit the arguments of "x" are not JSON/);
    bad(['--emit', '={}'], /^--emit needs event=JSON/);
    bad(['--auth', '[1]'], /^--auth needs a JSON object/);
    bad(['--query', 'novalue'], /^--query needs name=value/);
    bad(['--transport', 'carrier-pigeon'], /^--transport must be one of auto, websocket, polling/);
    const fromEnv = parseConnectArgs(['http://h:1/', '--pattern', 'socketio', '--auth-env', 'SIO_TOKEN'], { env: { SIO_TOKEN: '{"token":"s3cret"}' }, readFile: () => '' });
    assert.deepEqual(fromEnv.options.socketio?.auth, { token: 's3cret' });
    assert.throws(
      () => parseConnectArgs(['http://h:1/', '--pattern', 'socketio', '--auth-env', 'SIO_TOKEN'], { env: { SIO_TOKEN: 's3cret-not-json' }, readFile: () => '' }),
      (e: Error) => e instanceof UsageError && /^--auth-env: SIO_TOKEN needs a JSON object/.test(e.message) && !e.message.includes('s3cret'),
    );
    assert.throws(() => parseConnectArgs(['ws://h:1/', '--emit', 'x=1']), (e: Error) => e instanceof UsageError && /applies to the socketio pattern/.test(e.message));
  });

  it('profiles are validated by the descriptor schema', () => {
    assert.deepEqual(errorsOf({ name: 'x', pattern: 'socketio', url: 'http://h:1/chat', socketio: { auth: { token: '${secret:T}' }, emit: [{ event: 'a', args: [1], ack: true }], transport: 'polling' } }), []);
    assert.equal(errorsOf({ name: 'x', pattern: 'socketio', url: 'http://h:1/', socketio: { transport: 'smoke' } }).length, 1);
    assert.equal(errorsOf({ name: 'x', pattern: 'socketio', url: 'http://h:1/', socketio: { emit: [{ args: [] }] } }).length > 0, true, 'an emit needs its event name');
    assert.ok(errorsOf({ name: 'x', pattern: 'socketio', url: 'mqtt://h:1/' }).length > 0, 'http(s) or ws(s) only');
  });
});

describe('socketio against a real socket.io server', () => {
  let srv: Live;
  before(async () => {
    srv = await startServer(app);
  });
  after(async () => {
    await srv.close();
  });

  const base = (over: Partial<ConnectOptions> = {}): ConnectOptions => ({ pattern: 'socketio', url: `${srv.url}/`, ...over });

  it('each received event is an in frame on its name with the JSON array of its arguments; the Engine.IO open and CONNECT are named control frames', async () => {
    const events = await runSession(base({ count: 2, socketio: { emit: [{ event: 'echo', args: [{ x: 1 }, 'two'] }], query: { room: 'r1' } } }));
    checkInvariants(events);
    const got = data(events).filter((f) => f.dir === 'in');
    assert.deepEqual(got.map((f) => [f.channel, JSON.parse(f.data)]), [
      ['welcome', [{ nsp: '/', auth: {}, query: 'r1' }]],
      ['echo', [{ x: 1 }, 'two']],
    ]);
    const out = data(events).filter((f) => f.dir === 'out');
    assert.deepEqual(out.map((f) => [f.channel, f.data]), [['echo', '[{"x":1},"two"]']]);
    const open = controls(events, 'open')[0];
    assert.match(open.data, /^Engine\.IO open: sid \S+, pingInterval 25000 ms, pingTimeout 20000 ms, transport polling/);
    assert.equal(typeof open.meta?.sid, 'string');
    assert.equal(open.meta?.pingInterval, 25000);
    assert.equal(open.meta?.pingTimeout, 20000);
    assert.match(controls(events, 'CONNECT').find((f) => f.dir === 'in')!.data, /^CONNECT \/: joined as \S+/);
    assert.deepEqual(states(events), ['connecting', 'open', 'closing', 'closed']);
    const timing = ofKind(events, 'timing')[0];
    assert.equal(timing.meta?.handshake, true);
    assert.equal(timing.phases.connect, null, 'no socket-level phases through the library');
    assert.ok(typeof timing.phases.ttfb === 'number' && timing.phases.ttfb > 0 && timing.phases.ttfb <= timing.phases.total, JSON.stringify(timing.phases));
  });

  it('auto: the polling -> websocket upgrade is visible as it happens; websocket and polling only do not upgrade', async () => {
    const auto = await runSession(base(), async (s, es) => {
      // The upgrade runs beside the namespace join: wait for it rather than for a count.
      await waitFor(es, (x) => controls(x, 'upgrade').length > 0 && data(x).some((f) => f.channel === 'welcome'), 5000);
      await s.close();
    });
    assert.equal(controls(auto, 'open')[0].meta?.transport, 'polling');
    const upgrading = controls(auto, 'upgrading')[0];
    assert.ok(upgrading, 'the upgrade probe is logged');
    assert.deepEqual([upgrading.meta?.from, upgrading.meta?.to], ['polling', 'websocket']);
    const upgraded = controls(auto, 'upgrade')[0];
    assert.match(upgraded.data, /^upgraded polling → websocket$/);
    assert.ok(upgraded.seq > upgrading.seq);

    const ws = await runSession(base({ count: 1, socketio: { transport: 'websocket' } }));
    assert.equal(controls(ws, 'open')[0].meta?.transport, 'websocket');
    assert.equal(controls(ws, 'upgrading').length + controls(ws, 'upgrade').length, 0);
    assert.equal(data(ws)[0].channel, 'welcome');

    const polling = await runSession(base({ count: 2, socketio: { transport: 'polling', emit: [{ event: 'echo', args: [3] }] } }));
    assert.equal(controls(polling, 'open')[0].meta?.transport, 'polling');
    assert.equal(controls(polling, 'upgrading').length, 0, 'polling only: no upgrade');
    assert.deepEqual(data(polling).filter((f) => f.dir === 'in').map((f) => f.channel), ['welcome', 'echo']);
  });

  it('namespaces: the URL path is the namespace; its auth middleware accepts a good token and its refusal is one line in words', async () => {
    const ok = await runSession(base({ url: `${srv.url}/chat`, count: 1, socketio: { auth: { token: 'good' } } }));
    assert.deepEqual(JSON.parse(data(ok).find((f) => f.dir === 'in')!.data), [{ nsp: '/chat', auth: { token: 'good' }, query: null }]);
    const connectOut = controls(ok, 'CONNECT').find((f) => f.dir === 'out')!;
    assert.equal(connectOut.data, 'CONNECT /chat with auth (token)', 'the auth keys are named, never the values');
    assert.ok(!JSON.stringify(ok).includes('"good"') || JSON.parse(data(ok)[0].data)[0].auth.token === 'good', 'the token appears only where the server echoed it');

    const refused = await runSession(base({ url: `${srv.url}/chat`, socketio: { auth: { token: 'bad' } } }));
    checkInvariants(refused);
    const errs = ofKind(refused, 'error');
    assert.equal(errs.length, 1);
    assert.equal(errs[0].message, 'the server refused namespace /chat: token refused');
    assert.equal(errs[0].code, 'ERR_SOCKETIO_REFUSED');
    assert.match(controls(refused, 'CONNECT_ERROR')[0].data, /^CONNECT_ERROR \/chat: token refused$/);
    assert.deepEqual(states(refused), ['connecting', 'failed']);

    const unknown = await runSession(base({ url: `${srv.url}/nowhere` }));
    assert.equal(ofKind(unknown, 'error')[0].message, 'the server refused namespace /nowhere: Invalid namespace');
  });

  it('acks: --ack asks for one; the ack is an in frame on the event with meta.ack and its round trip; the composer can ask per message', async () => {
    const events = await runSession(base({ socketio: { emit: [{ event: 'echo', args: ['a', 'b'] }], ack: true } }), async (s, es) => {
      await waitFor(es, (x) => data(x).some((f) => f.meta?.ack === true));
      // As the composer sends: event name as the channel, JSON arguments, the ack toggle in meta.
      await s.send({ channel: 'echo', data: '[1,2,3]', meta: { ack: true } });
      await waitFor(es, (x) => data(x).filter((f) => f.meta?.ack === true).length === 2);
      await s.send({ channel: 'echo', data: '{"plain":true}', meta: { ack: false } });
      await waitFor(es, (x) => data(x).some((f) => f.dir === 'in' && f.channel === 'echo' && f.meta?.ack === undefined));
      await assert.rejects(s.send({ channel: 'echo', data: '{not json' }), /not JSON/);
      await s.close();
    });
    const acks = data(events).filter((f) => f.meta?.ack === true);
    assert.equal(acks.length, 2);
    for (const a of acks) {
      assert.equal(a.dir, 'in');
      assert.equal(a.channel, 'echo');
      assert.equal(typeof a.meta?.rttMs, 'number');
      assert.ok((a.meta!.rttMs as number) >= 0);
      const sent = data(events).find((f) => f.dir === 'out' && f.meta?.ackRef === a.meta?.ackRef)!;
      assert.ok(sent && sent.seq < a.seq, 'the ack follows the emit it answers');
      assert.equal(sent.meta?.ackRequested, true);
    }
    assert.deepEqual(JSON.parse(acks[0].data), [{ ok: true }, 2]);
    assert.deepEqual(JSON.parse(acks[1].data), [{ ok: true }, 3]);
    const plain = data(events).find((f) => f.dir === 'in' && f.channel === 'echo' && f.meta?.ack === undefined)!;
    assert.deepEqual(JSON.parse(plain.data), [{ plain: true }]);
  });

  it('an ack that never comes is one line on the event, and the session stays open', async () => {
    const events = await runSession(base({ socketio: { emit: [{ event: 'nobody-answers', args: [] }], ack: true, ackTimeoutMs: 150 } }), async (s, es) => {
      await waitFor(es, (x) => frames(x).some((f) => f.meta?.timeout === true));
      await s.close();
    });
    const t = frames(events).find((f) => f.meta?.timeout === true)!;
    assert.equal(t.channel, 'nobody-answers');
    assert.equal(t.data, 'no ack for "nobody-answers" within 150 ms');
    assert.deepEqual(states(events), ['connecting', 'open', 'closing', 'closed']);
  });

  it('binary attachments: an only binary argument is a binary frame; mixed arguments keep their placeholders and list the attachments', async () => {
    const events = await runSession(base({ count: 3, socketio: { emit: [{ event: 'bin', args: [] }] } }));
    const blob = data(events).find((f) => f.channel === 'blob')!;
    assert.equal(blob.encoding, 'base64');
    assert.deepEqual([...Buffer.from(blob.data, 'base64')], [0, 1, 2, 255]);
    const mixed = data(events).find((f) => f.channel === 'mixed')!;
    assert.deepEqual(JSON.parse(mixed.data), [{ name: 'x' }, { _placeholder: true, num: 0 }]);
    assert.deepEqual(mixed.meta?.attachments, [{ num: 0, bytes: 2, hex: '6869' }]);
  });

  it('user info in the URL is HTTP Basic authentication on the Engine.IO requests, masked in every logged URL', async () => {
    const other = await startServer((io) => io.on('connection', (s) => s.emit('who', s.handshake.headers.authorization ?? null)));
    try {
      const events = await runSession({ pattern: 'socketio', url: `http://ann:s3cr%40t@127.0.0.1:${other.port}/`, count: 1 });
      assert.deepEqual(JSON.parse(data(events).find((f) => f.channel === 'who')!.data), [`Basic ${Buffer.from('ann:s3cr@t').toString('base64')}`]);
      const logged = JSON.stringify(ofKind(events, 'state'));
      assert.ok(!logged.includes('s3cr'), `no password in the states: ${logged}`);
    } finally {
      await other.close();
    }
  });

  it('the server ending the namespace (DISCONNECT) is its goodbye: closed, in words, no reconnect', async () => {
    const other = await startServer((io) => io.on('connection', (s) => setTimeout(() => s.disconnect(), 50)));
    try {
      const events = await runSession({ pattern: 'socketio', url: other.url });
      assert.match(controls(events, 'DISCONNECT').find((f) => f.dir === 'in')!.data, /^DISCONNECT \/: the server ended the namespace session$/);
      const last = (ofKind(events, 'state') as StateEvent[]).at(-1)!;
      assert.deepEqual([last.state, last.reason], ['closed', 'the server disconnected namespace /']);
      assert.equal(ofKind(events, 'reconnect').length, 0);
    } finally {
      await other.close();
    }
  });
});

describe('socketio over TLS', () => {
  it('https: trusted through the CA option, refused in one line without it, over polling and over WebSocket', async () => {
    const { selfSigned } = makeTestCerts();
    const httpsServer = https.createServer({ cert: selfSigned.cert, key: selfSigned.key });
    const io = new Server(httpsServer);
    io.on('connection', (s) => s.emit('welcome', 'over tls'));
    await new Promise<void>((r) => httpsServer.listen(0, '127.0.0.1', () => r()));
    const url = `https://127.0.0.1:${(httpsServer.address() as AddressInfo).port}/`;
    try {
      for (const transport of ['auto', 'websocket'] as const) {
        const ok = await runSession({ pattern: 'socketio', url, count: 1, tls: { ca: selfSigned.cert }, socketio: { transport } });
        assert.deepEqual(JSON.parse(data(ok).find((f) => f.channel === 'welcome')!.data), ['over tls'], transport);
        const refused = await runSession({ pattern: 'socketio', url, socketio: { transport } });
        const errs = ofKind(refused, 'error');
        assert.equal(errs.length, 1, JSON.stringify(errs));
        assert.match(errs[0].message, /self-signed/, `${transport}: ${errs[0].message}`);
        assert.deepEqual(states(refused), ['connecting', 'failed']);
      }
    } finally {
      await new Promise<void>((r) => {
        httpsServer.closeAllConnections();
        void io.close(() => r());
      });
    }
  });
});

describe('socketio heartbeats', () => {
  it('the server\'s Engine.IO pings and our pongs are named control frames', async () => {
    const srv = await startServer(() => undefined, 0, { pingInterval: 60, pingTimeout: 1000 });
    try {
      const events = await runSession({ pattern: 'socketio', url: srv.url, socketio: { transport: 'websocket' } }, async (s, es) => {
        await waitFor(es, (x) => controls(x, 'pong').length >= 2, 5000);
        await s.close();
      });
      assert.equal(controls(events, 'open')[0].meta?.pingInterval, 60);
      const pings = controls(events, 'ping');
      const pongs = controls(events, 'pong');
      assert.ok(pings.length >= 2 && pings.every((p) => p.dir === 'in' && p.data === 'ping'));
      assert.ok(pongs.every((p) => p.dir === 'out' && p.data === 'pong'));
      assert.ok(pongs[0].seq > pings[0].seq, 'a pong answers a ping');
    } finally {
      await srv.close();
    }
  });
});

describe('socketio reconnects through the shared lifecycle', () => {
  it('a server restart: reconnect events, then the namespace joined again (a second CONNECT) and the welcome again', async () => {
    let srv = await startServer(app);
    const port = srv.port;
    try {
      const events = await runSession(
        { pattern: 'socketio', url: `${srv.url}/chat`, reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0, maxAttempts: 40 }, socketio: { auth: { token: 'good' }, transport: 'websocket' } },
        async (s, es) => {
          await waitFor(es, (x) => data(x).some((f) => f.channel === 'welcome'));
          await srv.close();
          await waitFor(es, (x) => ofKind(x, 'reconnect').length >= 2, 10_000);
          srv = await startServer(app, port);
          await waitFor(es, (x) => data(x).filter((f) => f.channel === 'welcome').length === 2, 10_000);
          await s.close();
        },
        30_000,
      );
      checkInvariants(events);
      const joins = controls(events, 'CONNECT').filter((f) => f.dir === 'in');
      assert.equal(joins.length, 2, 'the namespace was joined twice');
      assert.ok(joins.every((j) => j.meta?.namespace === '/chat'));
      const opens = (ofKind(events, 'state') as StateEvent[]).filter((s) => s.state === 'open');
      assert.equal(opens.length, 2);
      assert.equal(opens[1].meta?.reconnected, true);
      assert.equal(opens[1].meta?.namespace, '/chat');
      assert.ok(ofKind(events, 'reconnect').every((r) => typeof r.cause === 'string' && r.cause.length > 0));
      assert.equal(controls(events, 'CONNECT').filter((f) => f.dir === 'out').length >= 2, true, 'a CONNECT went out on each connection');
    } finally {
      await srv.close();
    }
  });

  it('a lost connection to a server with connection-state recovery: the namespace comes back recovered, and the events missed meanwhile arrive', async () => {
    const srv = await startServer(
      (io) =>
        io.on('connection', (s) => {
          if (!s.recovered) s.emit('welcome', 1);
          s.on('cut', () => {
            // Lose the connection (no DISCONNECT), then emit while the client is away.
            s.conn.close();
            setTimeout(() => io.emit('missed', 'while away'), 20);
          });
        }),
      0,
      { connectionStateRecovery: { maxDisconnectionDuration: 10_000 } },
    );
    try {
      const events = await runSession(
        { pattern: 'socketio', url: srv.url, reconnect: { initialDelayMs: 200, jitter: 0 }, socketio: { transport: 'websocket' } },
        async (s, es) => {
          await waitFor(es, (x) => data(x).some((f) => f.channel === 'welcome'));
          await s.send({ channel: 'cut', data: '' });
          await waitFor(es, (x) => data(x).some((f) => f.channel === 'missed'), 10_000);
          await s.close();
        },
      );
      const open2 = (ofKind(events, 'state') as StateEvent[]).filter((s) => s.state === 'open')[1];
      assert.equal(open2?.meta?.recovered, true);
      assert.match(controls(events, 'CONNECT').filter((f) => f.dir === 'in')[1].data, /connection state recovered/);
      assert.equal(data(events).filter((f) => f.channel === 'welcome').length, 1, 'no second welcome: the session was recovered');
      const missed = data(events).find((f) => f.channel === 'missed')!;
      assert.deepEqual(JSON.parse(missed.data), ['while away'], 'the recovery offset the server appends is not an argument');
      assert.equal(typeof missed.meta?.offset, 'string', 'it is kept in meta.offset');
    } finally {
      await srv.close();
    }
  });
});

describe('socketio from the CLI (the issue\'s Done-when line)', () => {
  it('--id-field with --id-channel checks only that event: a welcome without the field is no error row, and a gap in the ticks is flagged', async () => {
    const srv = await startServer((io) =>
      io.on('connection', (s) => {
        s.emit('welcome', { hello: true });
        for (const seq of [1, 2, 4]) s.emit('tick', { seq });
      }),
    );
    try {
      const args = ['connect', srv.url, '--pattern', 'socketio', '--id-field', '$[0].seq', '--count', '4', '--format', 'ndjson'];
      const narrowed = parseNdjson((await runCli([...args, '--id-channel', 'tick'], { timeoutMs: 20_000 })).stdout);
      assert.deepEqual(data(narrowed).filter((f) => f.dir === 'in').map((f) => f.channel), ['welcome', 'tick', 'tick', 'tick']);
      assert.deepEqual(ofKind(narrowed, 'error').map((e) => e.code), [], 'the welcome is not checked');
      assert.deepEqual(ofKind(narrowed, 'anomaly').map((a) => [a.type, a.key]), [['gap', 4]]);
      const summary = ofKind(narrowed, 'summary')[0] as unknown as { idCheck: { checked: number; unidentified: number } };
      assert.equal(summary.idCheck.checked, 3);
      assert.equal(summary.idCheck.unidentified, 0);
      // Without the channel, the welcome has no $[0].seq: one error row says so.
      const all = parseNdjson((await runCli(args, { timeoutMs: 20_000 })).stdout);
      assert.deepEqual(ofKind(all, 'error').map((e) => e.code), ['ERR_ID_MISSING']);
      assert.deepEqual(ofKind(all, 'anomaly').map((a) => [a.type, a.key]), [['gap', 4]]);
      const wild = parseNdjson((await runCli([...args, '--id-channel', 't*'], { timeoutMs: 20_000 })).stdout);
      assert.deepEqual(ofKind(wild, 'error').map((e) => e.code), []);
      const bad = await runCli(['connect', srv.url, '--pattern', 'socketio', '--id-channel', 'tick'], { timeoutMs: 20_000 });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--id-channel narrows the sequence check, which needs --id-field/);
    } finally {
      await srv.close();
    }
  });

  it('connect --pattern socketio --emit echo --auth --count 2 --format ndjson shows the welcome and the echo with their event names as channels', async () => {
    const srv = await startServer(app);
    try {
      const r = await runCli(['connect', `http://127.0.0.1:${srv.port}`, '--pattern', 'socketio', '--emit', 'echo={"x":1}', '--auth', '{"user":"a"}', '--count', '2', '--format', 'ndjson'], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      const events = parseNdjson(r.stdout);
      const got = data(events).filter((f) => f.dir === 'in');
      assert.deepEqual(got.map((f) => f.channel), ['welcome', 'echo']);
      assert.deepEqual(JSON.parse(got[0].data), [{ nsp: '/', auth: { user: 'a' }, query: null }]);
      assert.deepEqual(JSON.parse(got[1].data), [{ x: 1 }]);
    } finally {
      await srv.close();
    }
  });
});
