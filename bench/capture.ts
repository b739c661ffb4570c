/**
 * Capture throughput: a real Session recording every frame into a SessionLog, against the bare
 * client library reading the same feed from the same server process. Both count only the N data
 * messages; the clock runs from before connecting to the N-th message.
 */
import { performance } from 'node:perf_hooks';
import { io as socketIoClient } from 'socket.io-client';
import WebSocket from 'ws';
import { isPatternAvailable } from '../src/core/registry';
import { Session } from '../src/core/session';
import { SessionLog } from '../src/core/sessionLog';
import type { ConnectOptions } from '../src/shared/connectOptions';
import type { WireEvent } from '../src/shared/events';
import { median, sideBySide, type BenchContext } from './lib';

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
}
