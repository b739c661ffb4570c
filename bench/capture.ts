/**
 * Capture throughput: a real Session recording every frame into a SessionLog, against the bare
 * client library reading the same feed from the same server process. Both count only the N data
 * messages; the clock runs from before connecting to the N-th message.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../src/core/freePort';
import { RABBITMQ_SERVER_BIN, startRabbit } from '../test/helpers/rabbitmq';
import { SMTPServer } from 'smtp-server';
import { DOVECOT_BIN, startDovecot } from '../test/helpers/dovecot';
import { io as socketIoClient } from 'socket.io-client';
import WebSocket from 'ws';
import { isPatternAvailable } from '../src/core/registry';
import { Session } from '../src/core/session';
import { SessionLog } from '../src/core/sessionLog';
import type { ConnectOptions } from '../src/shared/connectOptions';
import type { WireEvent } from '../src/shared/events';
import { median, sideBySide, type BenchContext } from './lib';
import { KCAT_BIN, kcatProduce, startKafka } from '../test/helpers/kafka';
import { NATS_SERVER_BIN, startNats } from '../test/helpers/nats';

const RUN_TIMEOUT_MS = 60_000;
const MESSAGE_SIZE = 100;

/** Run one Wirescope session until `n` inbound data frames were recorded; returns messages/s. */
export async function captureWithSession(options: ConnectOptions, n: number): Promise<number> {
  const log = new SessionLog({ maxEvents: n + 10_000 });
  const session = new Session({ ...options, count: n });
  let got = 0;
  let end = 0;
  const t0 = performance.now();
  session.onEvent((e: WireEvent) => {
    log.append(e);
    if (e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true && ++got === n) end = performance.now();
  });
  const guard = setTimeout(() => void session.close('bench timeout'), RUN_TIMEOUT_MS);
  await session.start();
  const summary = await session.done;
  clearTimeout(guard);
  if (got < n) throw new Error(`${options.pattern}: got ${got} of ${n} frames (${String(summary.state)})`);
  if (log.stats().framesIn < n) throw new Error('the log missed frames');
  return n / ((end - t0) / 1000);
}

export function bareWs(url: string, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const ws = new WebSocket(url);
    let got = 0;
    const guard = setTimeout(() => {
      ws.terminate();
      reject(new Error(`bare ws: got ${got} of ${n}`));
    }, RUN_TIMEOUT_MS);
    ws.on('message', () => {
      if (++got === n) {
        const rate = n / ((performance.now() - t0) / 1000);
        clearTimeout(guard);
        ws.once('close', () => resolve(rate));
        ws.close(1000);
      }
    });
    ws.on('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
  });
}

export async function bareSse(url: string, n: number): Promise<number> {
  const { EventSource } = await import('eventsource');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const es = new EventSource(url);
    let got = 0;
    const guard = setTimeout(() => {
      es.close();
      reject(new Error(`bare eventsource: got ${got} of ${n}`));
    }, RUN_TIMEOUT_MS);
    es.onmessage = () => {
      if (++got === n) {
        clearTimeout(guard);
        es.close();
        resolve(n / ((performance.now() - t0) / 1000));
      }
    };
    es.onerror = (err) => {
      if (got < n && es.readyState === es.CLOSED) {
        clearTimeout(guard);
        reject(new Error(`bare eventsource failed: ${String((err as { message?: string }).message ?? 'error')}`));
      }
    };
  });
}

async function bareMqtt(brokerUrl: string, topic: string, n: number): Promise<number> {
  const mqtt = await import('mqtt');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const client = mqtt.connect(brokerUrl, { reconnectPeriod: 0 });
    let got = 0;
    const guard = setTimeout(() => {
      client.end(true);
      reject(new Error(`bare mqtt: got ${got} of ${n}`));
    }, RUN_TIMEOUT_MS);
    client.on('connect', () => client.subscribe(topic, { qos: 0 }));
    client.on('message', () => {
      if (++got === n) {
        clearTimeout(guard);
        const rate = n / ((performance.now() - t0) / 1000);
        client.end(false, {}, () => resolve(rate));
      }
    });
    client.on('error', (err) => {
      clearTimeout(guard);
      client.end(true);
      reject(err);
    });
  });
}

/**
 * A bare SMTP conversation over `net`: read the greeting, EHLO, then NOOPs, each written once the previous
 * reply's last line came (a `NNN ` line ends a reply); `n` replies in all, as the session counts them.
 */
function bareSmtpConversation(port: number, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let got = 0;
    let carry = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`bare smtp: got ${got} of ${n}`));
    }, RUN_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      if (got >= n) return;
      const lines = (carry + text).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        if (line[3] === '-') continue;
        if (++got === n) {
          clearTimeout(guard);
          const rate = n / ((performance.now() - t0) / 1000);
          socket.end('QUIT\r\n');
          socket.once('close', () => resolve(rate));
          return;
        }
        socket.write(got === 1 ? 'EHLO bench\r\n' : 'NOOP\r\n');
      }
    });
    socket.on('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
  });
}

/**
 * A bare IMAP conversation over `net`: read the greeting, then tagged NOOPs, each written once the previous
 * one's tagged completion arrived; counts the greeting and each completion (n in all), as the session does.
 */
function bareImapConversation(port: number, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let got = 0;
    let carry = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`bare imap: got ${got} of ${n}`));
    }, RUN_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      if (got >= n) return;
      const lines = (carry + text).split('\r\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        // The greeting (untagged OK), then each tagged completion; other untagged lines belong to a reply.
        if (got === 0 ? !line.startsWith('* OK') : !line.startsWith(`a${got} `)) continue;
        if (++got === n) {
          clearTimeout(guard);
          const rate = n / ((performance.now() - t0) / 1000);
          socket.end(`a${got} LOGOUT\r\n`);
          socket.once('close', () => resolve(rate));
          return;
        }
        socket.write(`a${got} NOOP\r\n`);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
  });
}

/** A bare Node client of the TCP line feed: net.connect, send the request line, split the text into lines. */
async function bareTcpLines(port: number, n: number): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let got = 0;
    let carry = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`bare tcp: got ${got} of ${n}`));
    }, RUN_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${n} ${MESSAGE_SIZE}\n`));
    socket.on('data', (text: string) => {
      const lines = (carry + text).split('\n');
      carry = lines.pop() ?? '';
      got += lines.length;
      if (got >= n) {
        clearTimeout(guard);
        const rate = n / ((performance.now() - t0) / 1000);
        socket.destroy();
        resolve(rate);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
  });
}

/** A bare `socket.io-client` of the Socket.IO feed (WebSocket transport, as the session): counts `tick` events. */
function bareSocketIo(port: number, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = socketIoClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, query: { n: String(n), size: String(MESSAGE_SIZE) } });
    let got = 0;
    const guard = setTimeout(() => {
      socket.disconnect();
      reject(new Error(`bare socket.io-client: got ${got} of ${n}`));
    }, RUN_TIMEOUT_MS);
    socket.on('tick', () => {
      if (++got === n) {
        clearTimeout(guard);
        const rate = n / ((performance.now() - t0) / 1000);
        socket.disconnect();
        resolve(rate);
      }
    });
    socket.on('connect_error', (err) => {
      clearTimeout(guard);
      socket.disconnect();
      reject(err);
    });
  });
}

/** Record one pair in the results; `targeted` pairs carry the issue's >= 0.9 goal, the others are informational. */
async function pair(
  ctx: BenchContext,
  id: string,
  what: string,
  ours: (n: number) => Promise<number>,
  bare: (n: number) => Promise<number>,
  n: number,
  reps: number,
  targeted: boolean,
): Promise<void> {
  ctx.log(`  ${what} ...`);
  const warm = Math.max(1000, Math.floor(n / 4));
  // Client CPU per message (this process only; the server runs elsewhere) is steadier than rates
  // when other work shares the machine, and says where a ratio below 1 comes from.
  const cpuOurs: number[] = [];
  const cpuBare: number[] = [];
  const withCpu = (run: (n: number) => Promise<number>, into: number[]) => async () => {
    const before = process.cpuUsage();
    const rate = await run(n);
    const used = process.cpuUsage(before);
    into.push((used.user + used.system) / n);
    return rate;
  };
  const r = await sideBySide(
    withCpu(ours, cpuOurs),
    withCpu(bare, cpuBare),
    reps,
    () => ours(warm),
    () => bare(warm),
  );
  const cpuNote = `client CPU per message: Wirescope ${median(cpuOurs).toFixed(2)} us, bare ${median(cpuBare).toFixed(2)} us`;
  ctx.add({
    id,
    what,
    value: r.ours,
    unit: 'msg/s',
    baseline: r.bare,
    ratio: r.ratio,
    target: targeted ? 'ratio >= 0.9' : 'headroom',
    met: targeted ? r.ratio >= 0.9 : null,
    note: cpuNote,
    runs: { ours: r.oursRuns.map(Math.round), bare: r.bareRuns.map(Math.round) },
  });
}

export async function benchCapture(ctx: BenchContext): Promise<void> {
  // Seven repetitions: on a shared 2-core machine single runs swing by tens of percent.
  const reps = ctx.quick ? 3 : 7;
  const http = `127.0.0.1:${ctx.feed.httpPort}`;

  // Each pattern twice: against a server written the ordinary way (the library's send per message:
  // the pairing, the >= 0.9 target) and against pre-built bytes written in big chunks,
  // where the client alone limits the rate (shows the per-message cost; no target).
  const want = (pattern: string) => !ctx.patterns || ctx.patterns.has(pattern);
  const nWs = ctx.quick ? 50_000 : 200_000;
  for (const [path, targeted] of want('ws') ? ([['ws-lib', true], ['ws', false]] as const) : []) {
    const url = (n: number) => `ws://${http}/${path}?n=${n}&size=${MESSAGE_SIZE}`;
    const what = `WebSocket ${nWs / 1000}k x ${MESSAGE_SIZE} B, ${targeted ? 'ws server' : 'pre-built feed'}`;
    await pair(ctx, `capture.${path}`, what, (n) => captureWithSession({ pattern: 'ws', url: url(n) }, n), (n) => bareWs(url(n), n), nWs, reps, targeted);
  }

  const nSse = ctx.quick ? 30_000 : 100_000;
  if (!want('sse')) {
    // not asked for
  } else if (isPatternAvailable('sse')) {
    for (const [path, targeted] of [['sse-lib', true], ['sse', false]] as const) {
      const url = (n: number) => `http://${http}/${path}?n=${n}&size=${MESSAGE_SIZE}`;
      const what = `SSE ${nSse / 1000}k x ${MESSAGE_SIZE} B, ${targeted ? 'write per event' : 'pre-built feed'}`;
      await pair(ctx, `capture.${path}`, what, (n) => captureWithSession({ pattern: 'sse', url: url(n) }, n), (n) => bareSse(url(n), n), nSse, reps, targeted);
    }
  } else {
    ctx.log('  SSE: the sse pattern is not registered in this build; skipped');
  }

  const nTcp = ctx.quick ? 50_000 : 200_000;
  if (want('tcp') && isPatternAvailable('tcp')) {
    const url = `tcp://127.0.0.1:${ctx.feed.tcpPort}`;
    await pair(
      ctx,
      'capture.tcp',
      `TCP lines ${nTcp / 1000}k x ${MESSAGE_SIZE} B, write per line`,
      (n) => captureWithSession({ pattern: 'tcp', url, send: [`${n} ${MESSAGE_SIZE}`], tcp: { split: 'lines', eol: 'lf', greetingWaitMs: 0 } }, n),
      (n) => bareTcpLines(ctx.feed.tcpPort, n),
      nTcp,
      reps,
      true,
    );
  }

  const nSmtp = ctx.quick ? 500 : 2000;
  if (want('smtp') && isPatternAvailable('smtp')) {
    // A conversation: each NOOP waits for its 250 before the next goes out (no pipelining), so the figure
    // is round trips per second through smtp-server, ours (a reply reader, pairing, one in frame per reply)
    // against a bare net client doing the same.
    const server = new SMTPServer({ name: 'bench.test', authOptional: true, disabledCommands: ['STARTTLS'], logger: false, maxAllowedUnauthenticatedCommands: 1_000_000 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.server.address() as net.AddressInfo).port;
    try {
      await pair(
        ctx,
        'capture.smtp',
        `SMTP conversation, ${nSmtp} commands each waiting for its reply, smtp-server`,
        (n) => captureWithSession({ pattern: 'smtp', url: `smtp://127.0.0.1:${port}`, smtp: { starttls: 'off' }, send: Array.from({ length: n }, () => 'NOOP') }, n),
        (n) => bareSmtpConversation(port, n),
        nSmtp,
        reps,
        // No target in issue 15: the ratio is reported side by side.
        false,
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  const nImap = ctx.quick ? 500 : 2000;
  if (want('imap') && isPatternAvailable('imap')) {
    if (!existsSync(DOVECOT_BIN)) ctx.log(`  IMAP: ${DOVECOT_BIN} is not installed (apt-get install dovecot-imapd); skipped`);
    else {
      // Debian's dovecot-imapd, as the tests start it: each NOOP waits for its tagged OK (no pipelining), so the
      // figure is round trips per second, ours (the conversation layer: tags, grouping, one in frame per reply)
      // against a bare net client doing the same.
      const dv = await startDovecot([]);
      try {
        await pair(
          ctx,
          'capture.imap',
          `IMAP conversation, ${nImap} commands each waiting for its tagged reply, dovecot`,
          (n) => captureWithSession({ pattern: 'imap', url: dv.url, imap: { starttls: 'off' }, send: Array.from({ length: n - 1 }, () => 'NOOP') }, n),
          (n) => bareImapConversation(dv.port, n),
          nImap,
          reps,
          // No target in issue 15: the ratio is reported side by side.
          false,
        );
      } finally {
        await dv.stop();
      }
    }
  }

  const nSocketIo = ctx.quick ? 30_000 : 100_000;
  if (want('socketio') && isPatternAvailable('socketio')) {
    const port = ctx.feed.socketioPort;
    await pair(
      ctx,
      'capture.socketio',
      `Socket.IO events ${nSocketIo / 1000}k x ${MESSAGE_SIZE} B, socket.io server (WebSocket)`,
      (n) => captureWithSession({ pattern: 'socketio', url: `http://127.0.0.1:${port}/`, socketio: { transport: 'websocket', query: { n: String(n), size: String(MESSAGE_SIZE) } } }, n),
      (n) => bareSocketIo(port, n),
      nSocketIo,
      reps,
      true,
    );
  }

  const nMqtt = ctx.quick ? 20_000 : 100_000;
  const brokerUrl = `mqtt://127.0.0.1:${ctx.feed.mqttPort}`;
  if (!want('mqtt')) {
    // not asked for
  } else if (isPatternAvailable('mqtt')) {
    // aedes, not the client, limits this pair: fewer repetitions keep the whole bench short.
    await pair(
      ctx,
      'capture.mqtt',
      `MQTT QoS 0 ${nMqtt / 1000}k x ${MESSAGE_SIZE} B, aedes broker`,
      (n) => captureWithSession({ pattern: 'mqtt', url: brokerUrl, mqtt: { protocolVersion: 4, subscribe: [{ topic: `bench/${n}/${MESSAGE_SIZE}`, qos: 0 }] } }, n),
      (n) => bareMqtt(brokerUrl, `bench/${n}/${MESSAGE_SIZE}`, n),
      nMqtt,
      3,
      true,
    );
  } else {
    ctx.log('  MQTT: the mqtt pattern is not registered in this build; skipped');
  }

  const nGrpc = ctx.quick ? 30_000 : 100_000;
  if (want('grpc') && isPatternAvailable('grpc')) {
    // One server-streaming call (Watch) of n Tick messages of about 100 B from @grpc/grpc-js in its own process;
    // ours: a session with the same .proto files (messages decoded to proto3 JSON, one frame each, logged).
    const srv = await startBenchGrpc();
    try {
      await pair(
        ctx,
        'capture.grpc',
        `gRPC server-streaming ${nGrpc / 1000}k x ~100 B, @grpc/grpc-js server`,
        (n) => captureWithSession({ pattern: 'grpc', url: `grpc://127.0.0.1:${srv.port}`, body: JSON.stringify({ count: n }), grpc: { method: `${GRPC_FEED}/Watch`, protos: [join(GRPC_FIXTURES, 'feed.proto')], importPaths: [join(GRPC_FIXTURES, 'protos')] } }, n),
        (n) => bareGrpc(srv.port, n),
        nGrpc,
        reps,
        true,
      );
    } finally {
      await srv.stop();
    }
  }

  const nGraphql = ctx.quick ? 30_000 : 100_000;
  if (want('graphql') && isPatternAvailable('graphql')) {
    // One subscription of n results from the graphql-ws library's server in its own process; the bare side is the
    // graphql-ws library's own client, ours a graphql session (each result one frame, logged).
    const srv = await startBenchServer('graphqlServer.mjs', 'graphql');
    const url = `ws://127.0.0.1:${srv.port}/graphql`;
    const doc = (n: number) => `subscription { ticks(count: ${n}) { seq } }`;
    try {
      await pair(
        ctx,
        'capture.graphql',
        `GraphQL subscription ${nGraphql / 1000}k results, graphql-ws server`,
        (n) => captureWithSession({ pattern: 'graphql', url, graphql: { documents: [doc(n)] } }, n),
        (n) => bareGraphqlWs(url, doc(n), n),
        nGraphql,
        reps,
        true,
      );
    } finally {
      await srv.stop();
    }
  }

  const nRedis = ctx.quick ? 30_000 : 100_000;
  if (!want('redis')) {
    // not asked for
  } else if (!isPatternAvailable('redis')) {
    ctx.log('  Redis: the redis pattern is not registered in this build; skipped');
  } else if (!existsSync(REDIS_SERVER) || !existsSync(REDIS_CLI)) {
    ctx.log(`  Redis: ${REDIS_SERVER} or ${REDIS_CLI} is not installed (apt-get install redis-server); skipped`);
  } else {
    const redis = await startBenchRedis();
    try {
      // The publisher is redis-cli --pipe (a separate process, not written here) sending n PUBLISHes as fast
      // as the server takes them, started once the subscription is confirmed; the clock runs from connecting.
      await pair(
        ctx,
        'capture.redis',
        `Redis pub/sub ${nRedis / 1000}k x ${MESSAGE_SIZE} B, redis-server, redis-cli --pipe publisher`,
        (n) => captureRedis(redis, n),
        (n) => bareIoredis(redis, n),
        nRedis,
        reps,
        true,
      );
    } finally {
      await redis.stop();
    }
  }
  const nKafka = ctx.quick ? 30_000 : 100_000;
  if (!want('kafka')) {
    // not asked for
  } else if (!isPatternAvailable('kafka')) {
    ctx.log('  Kafka: the kafka pattern is not registered in this build; skipped');
  } else if (!existsSync(KCAT_BIN)) {
    ctx.log(`  Kafka: ${KCAT_BIN} is not installed (apt-get install kcat); skipped`);
  } else {
    const k = await startKafka();
    try {
      // kcat (not written here) produces n records once into one topic of the mock cluster; each run then reads the
      // topic from the beginning. The bare side is kafkajs's own fetch loop without a group (the path the pattern
      // takes), so the ratio is what capturing costs on top of the client library.
      const topic = `bench-kafka-${process.pid}`;
      await kcatProduce(k.bootstrap, topic, Array.from({ length: nKafka }, (_, i) => ({ key: `k${i % 64}`, value: String(i).padEnd(MESSAGE_SIZE, '.') })));
      await pair(
        ctx,
        'capture.kafka',
        `Kafka consume ${nKafka / 1000}k x ${MESSAGE_SIZE} B from the beginning, librdkafka mock cluster (kcat), kcat producer`,
        (n) => captureKafka(k.url, topic, n),
        (n) => bareKafkajs(k.bootstrap, topic, n),
        nKafka,
        reps,
        true,
      );
    } finally {
      await k.stop();
    }
  }
  const nNats = ctx.quick ? 30_000 : 100_000;
  if (!want('nats')) {
    // not asked for
  } else if (!isPatternAvailable('nats')) {
    ctx.log('  NATS: the nats pattern is not registered in this build; skipped');
  } else if (!existsSync(NATS_SERVER_BIN)) {
    ctx.log(`  NATS: ${NATS_SERVER_BIN} is not installed (apt-get install nats-server); skipped`);
  } else {
    // Room for a whole run in the server's per-client pending buffer, and a generous write deadline: a
    // subscriber that falls behind is then slower, not cut off as a slow consumer (which would drop messages).
    const srv = await startNats({ config: 'max_pending: 268435456\nwrite_deadline: "60s"\n' });
    try {
      // The publisher is nats.js in a child process (started and connected before the clock starts), told to
      // publish n messages once the subscription is confirmed; the clock runs from connecting.
      await pair(
        ctx,
        'capture.nats',
        `NATS subscribe ${nNats / 1000}k x ${MESSAGE_SIZE} B, nats-server, nats.js publisher process`,
        (n) => captureNats(srv.url, srv.log, n),
        (n) => bareNatsJs(srv.url, srv.log, n),
        nNats,
        reps,
        true,
      );
    } finally {
      await srv.stop();
    }
  }
  const nAmqp = ctx.quick ? 20_000 : 100_000;
  if (!want('amqp')) {
    // not asked for
  } else if (!isPatternAvailable('amqp')) {
    ctx.log('  AMQP: the amqp pattern is not registered in this build; skipped');
  } else if (!existsSync(RABBITMQ_SERVER_BIN)) {
    ctx.log(`  AMQP: ${RABBITMQ_SERVER_BIN} is not installed (apt-get install rabbitmq-server); skipped`);
  } else {
    const rabbit = await startRabbit();
    try {
      // The publisher is amqplib in a child process (not written here) publishing n messages to amq.topic as fast
      // as the broker takes them, started once the private queue is bound; the clock runs from connecting.
      await pair(
        ctx,
        'capture.amqp',
        `AMQP ${nAmqp / 1000}k x ${MESSAGE_SIZE} B through amq.topic, rabbitmq-server, amqplib publisher process`,
        (n) => captureAmqp(rabbit.url, n),
        (n) => bareAmqplib(rabbit.url, n),
        nAmqp,
        reps,
        true,
      );
    } finally {
      await rabbit.stop();
    }
  }
}

const GRPC_FEED = 'wirescope.feed.v1.Feed';
const GRPC_FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'grpc');

/** bench/grpcServer.mjs in its own process; resolves with its port and a stop function. */
async function startBenchGrpc(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, 'grpcServer.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const guard = setTimeout(() => reject(new Error('the gRPC bench server did not start')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(guard);
        resolve((JSON.parse(line) as { grpc: number }).grpc);
      }
    });
    child.once('exit', (code) => reject(new Error(`the gRPC bench server exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** A bench server script (bench/NAME) in its own process, printing {"key": port} when ready; resolves with its port and a stop function. */
async function startBenchServer(script: string, key: string): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, script)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const guard = setTimeout(() => reject(new Error(`${script} did not start`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(guard);
        resolve((JSON.parse(out.split('\n')[0]) as Record<string, number>)[key]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** The bare graphql-ws client (the library's createClient on ws), counting the results of one subscription. */
async function bareGraphqlWs(url: string, query: string, n: number): Promise<number> {
  const { createClient } = await import('graphql-ws');
  const t0 = performance.now();
  const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      let got = 0;
      let stop: () => void = () => undefined;
      const guard = setTimeout(() => {
        stop();
        reject(new Error(`bare graphql-ws: got ${got} of ${n}`));
      }, RUN_TIMEOUT_MS);
      stop = client.subscribe(
        { query },
        {
          next: () => {
            if (++got === n) {
              clearTimeout(guard);
              resolve(n / ((performance.now() - t0) / 1000));
            }
          },
          error: (err) => {
            clearTimeout(guard);
            reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
          },
          complete: () => undefined,
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/** The bare @grpc/grpc-js client (proto-loader, the same .proto files), counting 'data' events of one Watch call. */
async function bareGrpc(port: number, n: number): Promise<number> {
  const grpc = await import('@grpc/grpc-js');
  const protoLoader = await import('@grpc/proto-loader');
  const def = protoLoader.loadSync(join(GRPC_FIXTURES, 'feed.proto'), { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: [join(GRPC_FIXTURES, 'protos')] });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { wirescope: { feed: { v1: { Feed: new (addr: string, creds: unknown) => { Watch(req: unknown): NodeJS.EventEmitter & { cancel(): void }; close(): void } } } } };
  const t0 = performance.now();
  const client = new pkg.wirescope.feed.v1.Feed(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<number>((resolve, reject) => {
      let got = 0;
      const call = client.Watch({ count: n });
      const guard = setTimeout(() => {
        call.cancel();
        reject(new Error(`bare grpc-js: got ${got} of ${n}`));
      }, RUN_TIMEOUT_MS);
      call.on('data', () => {
        if (++got === n) {
          clearTimeout(guard);
          resolve(n / ((performance.now() - t0) / 1000));
        }
      });
      call.on('error', (err: Error) => {
        clearTimeout(guard);
        reject(err);
      });
    });
  } finally {
    client.close();
  }
}


let amqpRun = 0;

/** Publish n messages of MESSAGE_SIZE bytes to amq.topic with `key` from a child process (amqplib, honouring its back-pressure). */
function publishAmqp(url: string, key: string, n: number): Promise<void> {
  const script = `
const amqp = require(${JSON.stringify(require.resolve('amqplib'))});
(async () => {
  const c = await amqp.connect(process.argv[1]);
  const ch = await c.createChannel();
  const body = Buffer.alloc(${MESSAGE_SIZE}, 0x78);
  const n = Number(process.argv[3]);
  for (let i = 0; i < n; i++) {
    if (!ch.publish('amq.topic', process.argv[2], body)) await new Promise((r) => ch.once('drain', r));
  }
  await ch.close();
  await c.close();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;
  return new Promise<void>((resolve, reject) => {
    const pub = spawn(process.execPath, ['-e', script, url, key, String(n)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    pub.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    pub.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`amqplib publisher exited with ${code}: ${err.trim()}`))));
  });
}

/** Wirescope's session watching amq.topic through its private queue; the publisher starts once the binding is confirmed. */
async function captureAmqp(url: string, n: number): Promise<number> {
  const key = `bench.${++amqpRun}`;
  const log = new SessionLog({ maxEvents: n + 10_000 });
  const session = new Session({ pattern: 'amqp', url, count: n, amqp: { bind: [{ exchange: 'amq.topic', routingKey: key }] } });
  let got = 0;
  let end = 0;
  let publishing: Promise<void> | undefined;
  const t0 = performance.now();
  session.onEvent((e: WireEvent) => {
    log.append(e);
    if (e.kind !== 'frame' || e.dir !== 'in') return;
    if (e.meta?.control === true) {
      if (e.meta.packet === 'queue.bind-ok' && !publishing) publishing = publishAmqp(url, key, n);
      return;
    }
    if (++got === n) end = performance.now();
  });
  const guard = setTimeout(() => void session.close('bench timeout'), RUN_TIMEOUT_MS);
  await session.start();
  const summary = await session.done;
  clearTimeout(guard);
  await publishing;
  if (got < n) throw new Error(`amqp: got ${got} of ${n} frames (${String(summary.state)})`);
  if (log.stats().framesIn < n) throw new Error('the log missed frames');
  return n / ((end - t0) / 1000);
}

/** The bare amqplib consumer: the same private queue (exclusive, server-named, no acks), counting deliveries. */
async function bareAmqplib(url: string, n: number): Promise<number> {
  const amqp = await import('amqplib');
  const key = `bench.${++amqpRun}`;
  const t0 = performance.now();
  const conn = await amqp.connect(url);
  let publishing: Promise<void> | undefined;
  try {
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, 'amq.topic', key);
    const rate = await new Promise<number>((resolve, reject) => {
      let got = 0;
      const guard = setTimeout(() => reject(new Error(`bare amqplib: got ${got} of ${n}`)), RUN_TIMEOUT_MS);
      ch.consume(
        queue,
        (m) => {
          if (m && ++got === n) {
            clearTimeout(guard);
            resolve(n / ((performance.now() - t0) / 1000));
          }
        },
        { noAck: true },
      ).then(() => (publishing = publishAmqp(url, key, n)), reject);
    });
    await publishing;
    return rate;
  } finally {
    await conn.close().catch(() => undefined);
  }
}


const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

interface BenchRedis {
  port: number;
  /** Start publishing n messages on `channel` (redis-cli --pipe); resolves when the publisher exits. */
  publish(channel: string, n: number): Promise<void>;
  stop(): Promise<void>;
}

/** A throwaway redis-server on a free loopback port, in its own process group (stopped by its group id). */
async function startBenchRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'wirescope-bench-redis-'));
  const port = await freePort();
  const child = spawn(REDIS_SERVER, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', '--client-output-buffer-limit', 'pubsub', '0', '0', '0'], { stdio: 'ignore', detached: true });
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      /* gone */
    }
  };
  const reap = () => kill('SIGKILL');
  process.once('exit', reap);
  const until = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (up) break;
    if (Date.now() > until || child.exitCode !== null) throw new Error(`redis-server did not start on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const payload = 'x'.repeat(MESSAGE_SIZE);
  const files = new Map<string, string>();
  return {
    port,
    publish: (channel, n) => {
      const key = `${channel}/${n}`;
      let file = files.get(key);
      if (!file) {
        const one = `*3\r\n$7\r\nPUBLISH\r\n$${channel.length}\r\n${channel}\r\n$${payload.length}\r\n${payload}\r\n`;
        file = join(dir, `publish-${files.size}.resp`);
        writeFileSync(file, one.repeat(n));
        files.set(key, file);
      }
      const input = file;
      return new Promise<void>((resolve, reject) => {
        const pub = spawn('/bin/sh', ['-c', `exec "${REDIS_CLI}" -h 127.0.0.1 -p ${port} --pipe < "${input}"`], { stdio: 'ignore' });
        pub.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli --pipe exited with ${code}`))));
      });
    },
    stop: async () => {
      process.removeListener('exit', reap);
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let redisRun = 0;

/** Wirescope's session subscribed to a fresh channel; the publisher starts on the server's confirmation. */
async function captureRedis(redis: BenchRedis, n: number): Promise<number> {
  const channel = `bench-${++redisRun}`;
  const log = new SessionLog({ maxEvents: n + 10_000 });
  const session = new Session({ pattern: 'redis', url: `redis://127.0.0.1:${redis.port}`, count: n, redis: { subscribe: [channel] } });
  let got = 0;
  let end = 0;
  let publishing: Promise<void> | undefined;
  const t0 = performance.now();
  session.onEvent((e: WireEvent) => {
    log.append(e);
    if (e.kind !== 'frame' || e.dir !== 'in') return;
    if (e.meta?.control === true) {
      if (e.meta.packet === 'SUBSCRIBE' && !publishing) publishing = redis.publish(channel, n);
      return;
    }
    if (++got === n) end = performance.now();
  });
  const guard = setTimeout(() => void session.close('bench timeout'), RUN_TIMEOUT_MS);
  await session.start();
  const summary = await session.done;
  clearTimeout(guard);
  await publishing;
  if (got < n) throw new Error(`redis: got ${got} of ${n} frames (${String(summary.state)})`);
  if (log.stats().framesIn < n) throw new Error('the log missed frames');
  return n / ((end - t0) / 1000);
}

/** The bare ioredis subscriber (its reconnection off), counting 'message' events. */
async function bareIoredis(redis: BenchRedis, n: number): Promise<number> {
  const { default: Redis } = await import('ioredis');
  const channel = `bench-${++redisRun}`;
  const t0 = performance.now();
  const client = new Redis({ host: '127.0.0.1', port: redis.port, retryStrategy: () => null, lazyConnect: true });
  let publishing: Promise<void> | undefined;
  try {
    const rate = await new Promise<number>((resolve, reject) => {
      let got = 0;
      const guard = setTimeout(() => reject(new Error(`bare ioredis: got ${got} of ${n}`)), RUN_TIMEOUT_MS);
      client.on('message', () => {
        if (++got === n) {
          clearTimeout(guard);
          resolve(n / ((performance.now() - t0) / 1000));
        }
      });
      client.on('error', (err: Error) => {
        clearTimeout(guard);
        reject(err);
      });
      client
        .connect()
        .then(() => client.subscribe(channel))
        .then(() => (publishing = redis.publish(channel, n)), reject);
    });
    await publishing;
    return rate;
  } finally {
    client.disconnect();
  }
}

/** Wirescope's session reading every partition of the topic from the beginning (no group), with the session log. */
async function captureKafka(url: string, topic: string, n: number): Promise<number> {
  const log = new SessionLog({ maxEvents: n + 10_000 });
  const session = new Session({ pattern: 'kafka', url, count: n, kafka: { topic: [topic], from: 'beginning' } });
  let got = 0;
  let end = 0;
  const t0 = performance.now();
  session.onEvent((e: WireEvent) => {
    log.append(e);
    if (e.kind !== 'frame' || e.dir !== 'in' || e.meta?.control === true) return;
    if (++got === n) end = performance.now();
  });
  const guard = setTimeout(() => void session.close('bench timeout'), RUN_TIMEOUT_MS);
  await session.start();
  const summary = await session.done;
  clearTimeout(guard);
  if (got < n) throw new Error(`kafka: got ${got} of ${n} frames (${String(summary.state)})`);
  if (log.stats().framesIn < n) throw new Error('the log missed frames');
  return n / ((end - t0) / 1000);
}

/** The bare kafkajs client: its cluster's Metadata, ListOffsets and Fetch loop over every partition, counting records. */
async function bareKafkajs(bootstrap: string, topic: string, n: number): Promise<number> {
  const { Kafka, logLevel } = await import('kafkajs');
  const t0 = performance.now();
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const sym = Object.getOwnPropertySymbols(kafka).find((x) => x.description === 'private:Kafka:createCluster');
  type Msg = { offset: string };
  type Cluster = {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    addMultipleTargetTopics(t: string[]): Promise<void>;
    findTopicPartitionMetadata(t: string): Array<{ partitionId: number; leader: number }>;
    fetchTopicsOffset(t: Array<{ topic: string; partitions: Array<{ partition: number }>; fromBeginning: boolean }>): Promise<Array<{ partitions: Array<{ partition: number; offset: string }> }>>;
    findBroker(o: { nodeId: number }): Promise<{ fetch(o: unknown): Promise<{ responses: Array<{ partitions: Array<{ partition: number; messages: Msg[] }> }> }> }>;
  };
  const cluster = (kafka as unknown as Record<symbol, (o: object) => Cluster>)[sym as symbol]({ allowAutoTopicCreation: false });
  try {
    await cluster.connect();
    await cluster.addMultipleTargetTopics([topic]);
    const parts = cluster.findTopicPartitionMetadata(topic);
    const start = await cluster.fetchTopicsOffset([{ topic, partitions: parts.map((p) => ({ partition: p.partitionId })), fromBeginning: true }]);
    const next = new Map(start[0].partitions.map((p) => [p.partition, BigInt(p.offset)]));
    const broker = await cluster.findBroker({ nodeId: parts[0].leader });
    let got = 0;
    const until = Date.now() + RUN_TIMEOUT_MS;
    while (got < n) {
      if (Date.now() > until) throw new Error(`bare kafkajs: got ${got} of ${n}`);
      const res = await broker.fetch({ replicaId: -1, isolationLevel: 1, maxWaitTime: 1000, minBytes: 1, maxBytes: 10 << 20, topics: [{ topic, partitions: [...next].map(([partition, off]) => ({ partition, fetchOffset: off.toString(), maxBytes: Math.floor((10 << 20) / next.size) })) }] });
      for (const p of res.responses[0]?.partitions ?? []) {
        const from = next.get(p.partition) ?? 0n;
        for (const m of p.messages) {
          if (BigInt(m.offset) < from) continue;
          next.set(p.partition, BigInt(m.offset) + 1n);
          if (++got === n) break;
        }
        if (got === n) break;
      }
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await cluster.disconnect();
  }
}

let natsRun = 0;

/** After the publisher is done, this long at most for the last messages to arrive (then the run fails). */
const NATS_TAIL_MS = 15_000;

interface NatsPublisher {
  /** Publish n messages of MESSAGE_SIZE bytes on the subject; resolves when the server has all of them. */
  go(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A nats.js publisher in its own process, connected before the measured run starts: on `go` it publishes n
 * messages as fast as the client takes them, with a flush (PING/PONG round trip) every 1000 messages so that
 * it never runs far ahead of the server, then drains and exits.
 */
async function startNatsPublisher(url: string, subject: string, n: number): Promise<NatsPublisher> {
  const script = `
const { connect } = require(${JSON.stringify(require.resolve('nats'))});
(async () => {
  const nc = await connect({ servers: process.argv[1], reconnect: false });
  const subject = process.argv[2];
  const n = Number(process.argv[3]);
  const body = Buffer.alloc(${MESSAGE_SIZE}, 0x78);
  process.stdout.write('ready\\n');
  await new Promise((r) => process.stdin.once('data', r));
  process.stdin.destroy();
  for (let i = 1; i <= n; i++) {
    nc.publish(subject, body);
    if (i % 1000 === 0) await nc.flush();
  }
  await nc.drain();
  process.stdout.write('done\\n');
})().catch((e) => { console.error(e.message); process.exit(1); });
`;
  const pub = spawn(process.execPath, ['-e', script, url, subject, String(n)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  pub.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  pub.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => pub.once('exit', (code) => r(code)));
  const failed = () => new Error(`the nats.js publisher exited with ${String(pub.exitCode)}: ${err.trim()}`);
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('the nats.js publisher did not connect within 20 s')), 20_000);
    const check = () => {
      if (out.includes('ready\n')) {
        clearTimeout(guard);
        pub.stdout!.off('data', check);
        resolve();
      }
    };
    pub.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(guard);
      reject(failed());
    });
  });
  return {
    go: async () => {
      pub.stdin!.end('go\n');
      const code = await exited;
      if (code !== 0 || !out.includes('done\n')) throw failed();
    },
    stop: async () => {
      if (pub.exitCode === null && pub.signalCode === null) pub.kill('SIGKILL');
      await exited;
    },
  };
}

/** After the publisher finished, wait (bounded) for the n-th message; a shortfall is an error naming the likely cause. */
function natsShortfall(who: string, got: number, n: number, serverLog: () => string): Error {
  const slow = /slow consumer/i.test(serverLog());
  return new Error(`${who}: got ${got} of ${n} messages${slow ? ' (nats-server reported a slow consumer and dropped messages)' : ''}`);
}

/** Wirescope's session subscribed to a fresh subject; the publisher goes on the PONG that confirms the subscription. */
export async function captureNats(url: string, serverLog: () => string, n: number): Promise<number> {
  const subject = `bench.nats.${++natsRun}`;
  const pub = await startNatsPublisher(url, subject, n);
  const log = new SessionLog({ maxEvents: n + 10_000 });
  const session = new Session({ pattern: 'nats', url, count: n, reconnect: { enabled: false }, nats: { subscribe: [subject] } });
  let got = 0;
  let end = 0;
  let publishing: Promise<void> | undefined;
  let tail: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  session.onEvent((e: WireEvent) => {
    log.append(e);
    if (e.kind !== 'frame' || e.dir !== 'in') return;
    if (e.meta?.control === true) {
      if (e.meta.packet === 'SUB' && !publishing) {
        publishing = pub.go();
        // Once everything is published, the rest must arrive soon: a shortfall ends the run instead of hanging.
        publishing.then(
          () => (tail = setTimeout(() => void session.close('bench: messages missing'), NATS_TAIL_MS)),
          () => void session.close('bench: the publisher failed'),
        );
      }
      return;
    }
    if (++got === n) end = performance.now();
  });
  const guard = setTimeout(() => void session.close('bench timeout'), RUN_TIMEOUT_MS);
  try {
    await session.start();
    const summary = await session.done;
    if (publishing) await publishing;
    if (got < n) throw natsShortfall(`nats (${String(summary.state)})`, got, n, serverLog);
  } finally {
    clearTimeout(guard);
    clearTimeout(tail);
    await pub.stop();
  }
  if (log.stats().framesIn < n) throw new Error('the log missed frames');
  return n / ((end - t0) / 1000);
}

/** The bare nats.js subscriber (callback form, its reconnection off), counting messages. */
export async function bareNatsJs(url: string, serverLog: () => string, n: number): Promise<number> {
  const { connect } = await import('nats');
  const subject = `bench.nats.${++natsRun}`;
  const pub = await startNatsPublisher(url, subject, n);
  const t0 = performance.now();
  const nc = await connect({ servers: url, reconnect: false });
  let publishing: Promise<void> | undefined;
  let tail: NodeJS.Timeout | undefined;
  try {
    const rate = await new Promise<number>((resolve, reject) => {
      let got = 0;
      const fail = () => reject(natsShortfall('bare nats.js', got, n, serverLog));
      const guard = setTimeout(fail, RUN_TIMEOUT_MS);
      nc.subscribe(subject, {
        callback: (err) => {
          if (err) {
            clearTimeout(guard);
            return reject(err);
          }
          if (++got === n) {
            clearTimeout(guard);
            clearTimeout(tail);
            resolve(n / ((performance.now() - t0) / 1000));
          }
        },
      });
      void nc.closed().then((err) => {
        if (got < n) {
          clearTimeout(guard);
          reject(err ?? natsShortfall('bare nats.js (connection closed)', got, n, serverLog));
        }
      });
      nc.flush().then(() => {
        publishing = pub.go();
        publishing.then(
          () => (tail = setTimeout(fail, NATS_TAIL_MS)),
          (e: unknown) => {
            clearTimeout(guard);
            reject(e as Error);
          },
        );
      }, reject);
    });
    await publishing;
    return rate;
  } finally {
    clearTimeout(tail);
    await nc.close().catch(() => undefined);
    await pub.stop();
  }
}
