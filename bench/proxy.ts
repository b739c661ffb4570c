/**
 * The capture proxy (issue 17): what putting `wirescope proxy` between a client and its backend costs.
 * The proxy runs as its own process (`node dist/cli.js proxy --target <feed server> --format ndjson`,
 * its output to /dev/null), as it would next to the user's app; the clients are the bare libraries in
 * this process, one connection direct to the feed server and one through the proxy, side by side.
 *
 * - Latency added per SSE event: the client asks the feed server (directly, on a keep-alive
 *   connection) to write one event on an SSE stream it holds open, and times until the event arrives.
 *   Direct and proxied streams take turns; the figure is the median of the per-pair differences.
 * - Latency added per WebSocket message: an echo round trip on the `ws` server, direct and proxied in
 *   turns. A round trip crosses the proxy twice (the message and its echo), so the added latency per
 *   message is half the round trip's difference.
 * - Throughput: the bare `ws` and `eventsource` clients reading the same feeds direct and through the
 *   proxy (interleaved repetitions, medians); ratio = proxied / direct.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { bareSse, bareWs } from './capture';
import { median, ROOT, sideBySide, sleep, type BenchContext } from './lib';

const LATENCY_TARGET_MS = 1;
const RATIO_TARGET = 0.8;
const STEP_TIMEOUT_MS = 10_000;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

interface ProxyProcess {
  url: string;
  child: ChildProcess;
  /** CPU time (user + system) the proxy process has used so far, in microseconds (Linux /proc). */
  cpuUs(): number | undefined;
  stop(): Promise<{ code: number | null; stderr: string }>;
}

/** Start the CLI's capture proxy in front of `target` and wait until it accepts connections. */
async function startProxyProcess(target: string): Promise<ProxyProcess> {
  const port = await freePort();
  const devNull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'proxy', '--target', target, '--listen', `127.0.0.1:${port}`, '--format', process.env.BENCH_PROXY_FORMAT ?? 'ndjson'], {
    cwd: ROOT,
    stdio: ['ignore', devNull, 'pipe'],
  });
  closeSync(devNull);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the proxy exited ${child.exitCode}: ${stderr.trim().split('\n')[0]}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the proxy did not listen within 15 s');
    }
    await sleep(50);
  }
  const ticks = 100; // USER_HZ on Linux
  return {
    url: `127.0.0.1:${port}`,
    child,
    cpuUs: () => {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
        return ((Number(fields[11]) + Number(fields[12])) / ticks) * 1e6;
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      return { code: child.exitCode, stderr };
    },
  };
}

/**
 * Milliseconds from now until the proxy process stops using CPU (two readings 40 ms apart without a
 * change: /proc counts in 10 ms ticks), at most 5 s; undefined where /proc cannot be read.
 */
async function recordingCaughtUp(proxy: ProxyProcess): Promise<number | undefined> {
  const start = performance.now();
  let prev = proxy.cpuUs();
  if (prev === undefined) return undefined;
  for (let i = 0; i < 125; i++) {
    await sleep(40);
    const now = proxy.cpuUs();
    if (now === undefined) return undefined;
    if (now === prev) return Math.max(0, performance.now() - start - 40);
    prev = now;
  }
  return performance.now() - start;
}

/**
 * A plain TCP relay in its own process (`socket.pipe` both ways, no HTTP, no decoding, no recording):
 * the floor of putting any process between client and server on this machine, for the throughput rows.
 */
async function startRelayProcess(targetPort: number): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const script = `const net=require('node:net');net.createServer((c)=>{const b=net.connect(${targetPort},'127.0.0.1');c.setNoDelay(true);b.setNoDelay(true);c.pipe(b).pipe(c);c.on('error',()=>b.destroy());b.on('error',()=>c.destroy());}).listen(${port},'127.0.0.1');process.stdin.resume();process.stdin.on('end',()=>process.exit(0));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'ignore', 'inherit'] });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('the TCP relay did not listen');
    }
    await sleep(50);
  }
  return {
    url: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/** An SSE stream read with node:http (no SSE library): resolves `next()` when an event's blank line arrives. */
async function openSseProbe(hostPort: string, id: string): Promise<{ next(): Promise<number>; close(): void }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get(`http://${hostPort}/sse-ping?id=${id}`, { agent: false }, resolve);
    req.on('error', reject);
  });
  if (res.statusCode !== 200) throw new Error(`SSE probe via ${hostPort}: status ${res.statusCode}`);
  let buf = '';
  let waiting: ((t: number) => void) | undefined;
  res.setEncoding('utf8');
  res.on('data', (s: string) => {
    buf += s;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (block.startsWith('data:') && waiting) {
        const w = waiting;
        waiting = undefined;
        w(performance.now());
      }
    }
  });
  return {
    next: () => new Promise<number>((resolve) => (waiting = resolve)),
    close: () => res.destroy(),
  };
}

/** Ask the feed server (directly) to write one event on stream `id`. */
function fire(agent: http.Agent, hostPort: string, id: string, k: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://${hostPort}/fire?id=${id}&k=${k}`, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`fire: status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

interface PairedLatency {
  direct: number;
  proxied: number;
  /** Median of the per-pair differences (proxied - direct), ms. */
  diff: number;
  p90Diff: number;
  n: number;
}

function summarize(direct: number[], proxied: number[]): PairedLatency {
  const diffs = direct.map((d, i) => proxied[i] - d).sort((a, b) => a - b);
  return { direct: median(direct), proxied: median(proxied), diff: median(diffs), p90Diff: diffs[Math.floor(diffs.length * 0.9)], n: diffs.length };
}

async function sseLatency(feed: string, proxy: string, n: number, warm: number): Promise<PairedLatency> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const direct = await openSseProbe(feed, 'direct');
  const proxied = await openSseProbe(proxy, 'proxied');
  const times: Record<'direct' | 'proxied', number[]> = { direct: [], proxied: [] };
  try {
    let k = 0;
    for (let i = 0; i < warm + n; i++) {
      const order = i % 2 === 0 ? (['direct', 'proxied'] as const) : (['proxied', 'direct'] as const);
      for (const side of order) {
        const probe = side === 'direct' ? direct : proxied;
        const arrived = probe.next();
        const t0 = performance.now();
        const [t1] = await withTimeout(Promise.all([arrived, fire(agent, feed, side, ++k)]), `SSE event ${k} (${side})`);
        if (i >= warm) times[side].push(t1 - t0);
      }
    }
  } finally {
    direct.close();
    proxied.close();
    agent.destroy();
  }
  return summarize(times.direct, times.proxied);
}

async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => undefined);
  await withTimeout(once(ws, 'open'), `WebSocket ${url}`);
  return ws;
}

function echo(ws: WebSocket, msg: string): Promise<number> {
  return new Promise((resolve, reject) => {
    ws.once('message', (d: Buffer) => (d.toString() === msg ? resolve(performance.now()) : reject(new Error(`echo mismatch: ${d.toString().slice(0, 40)}`))));
    ws.send(msg);
  });
}

async function wsLatency(feed: string, proxy: string, n: number, warm: number): Promise<PairedLatency> {
  const direct = await openWs(`ws://${feed}/ws-echo`);
  const proxied = await openWs(`ws://${proxy}/ws-echo`);
  const times: Record<'direct' | 'proxied', number[]> = { direct: [], proxied: [] };
  const payload = `{"seq":0,"price":12345,"pad":"${'x'.repeat(60)}"}`;
  try {
    for (let i = 0; i < warm + n; i++) {
      const order = i % 2 === 0 ? (['direct', 'proxied'] as const) : (['proxied', 'direct'] as const);
      for (const side of order) {
        const msg = `${i}:${payload}`;
        const t0 = performance.now();
        const t1 = await withTimeout(echo(side === 'direct' ? direct : proxied, msg), `WebSocket echo ${i} (${side})`);
        if (i >= warm) times[side].push(t1 - t0);
      }
    }
  } finally {
    direct.terminate();
    proxied.terminate();
  }
  return summarize(times.direct, times.proxied);
}

const ms = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;

export async function benchProxy(ctx: BenchContext): Promise<void> {
  ctx.log('  building dist/ ...');
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`build failed: ${(build.stderr || build.stdout).trim().split('\n')[0]}`);
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js was not built');
  const feed = `127.0.0.1:${ctx.feed.httpPort}`;
  const proxy = await startProxyProcess(`http://${feed}`);
  const want = (pattern: string) => !ctx.patterns || ctx.patterns.has(pattern);
  try {
    const n = ctx.quick ? 300 : 2000;
    const warm = ctx.quick ? 50 : 200;
    if (want('sse')) {
      ctx.log(`  SSE event latency, ${n} events each side ...`);
      const r = await sseLatency(feed, proxy.url, n, warm);
      ctx.add({
        id: 'proxy.sse.latency',
        what: `Proxy: SSE event latency, proxied vs direct (median added ${ms(r.diff)})`,
        value: r.proxied,
        unit: 'ms',
        baseline: r.direct,
        target: `added < ${LATENCY_TARGET_MS} ms`,
        met: r.diff < LATENCY_TARGET_MS,
        note: `median of ${r.n} paired differences ${ms(r.diff)}, 90th percentile ${ms(r.p90Diff)}; times from asking the server for an event to its arrival (the ask goes direct on a keep-alive connection)`,
      });
    }
    if (want('ws')) {
      ctx.log(`  WebSocket echo latency, ${n} round trips each side ...`);
      const r = await wsLatency(feed, proxy.url, n, warm);
      ctx.add({
        id: 'proxy.ws.latency',
        what: `Proxy: WebSocket echo round trip, proxied vs direct (added per message ${ms(r.diff / 2)})`,
        value: r.proxied,
        unit: 'ms',
        baseline: r.direct,
        target: `added < ${LATENCY_TARGET_MS} ms per message`,
        met: r.diff / 2 < LATENCY_TARGET_MS,
        note: `median of ${r.n} paired round-trip differences ${ms(r.diff)} (two crossings: message and echo), 90th percentile ${ms(r.p90Diff)}`,
      });
    }

    // Throughput: the bare clients, direct and through the proxy.
    const reps = ctx.quick ? 3 : 5;
    const size = 100;
    const cases: Array<{ id: string; what: string; n: number; targeted: boolean; run: (host: string, n: number) => Promise<number> }> = [];
    const nWs = ctx.quick ? 50_000 : 200_000;
    const nSse = ctx.quick ? 30_000 : 100_000;
    if (want('ws')) {
      cases.push({ id: 'proxy.ws-lib', what: `Proxy: WebSocket ${nWs / 1000}k x ${size} B (ws client, ws server)`, n: nWs, targeted: true, run: (h, n) => bareWs(`ws://${h}/ws-lib?n=${n}&size=${size}`, n) });
      if (!ctx.quick) cases.push({ id: 'proxy.ws', what: `Proxy: WebSocket ${nWs / 1000}k x ${size} B, pre-built feed`, n: nWs, targeted: false, run: (h, n) => bareWs(`ws://${h}/ws?n=${n}&size=${size}`, n) });
    }
    if (want('sse')) {
      cases.push({ id: 'proxy.sse-lib', what: `Proxy: SSE ${nSse / 1000}k x ${size} B (eventsource client, write per event)`, n: nSse, targeted: true, run: (h, n) => bareSse(`http://${h}/sse-lib?n=${n}&size=${size}`, n) });
      if (!ctx.quick) cases.push({ id: 'proxy.sse', what: `Proxy: SSE ${nSse / 1000}k x ${size} B, pre-built feed`, n: nSse, targeted: false, run: (h, n) => bareSse(`http://${h}/sse?n=${n}&size=${size}`, n) });
    }
    // The same targeted pairs through a plain TCP relay process: what any process in the middle costs here.
    const relay = await startRelayProcess(ctx.feed.httpPort);
    try {
      for (const c of cases.filter((x) => x.targeted)) {
        const what = c.what.replace(/^Proxy: /, 'TCP relay (no decoding): ');
        ctx.log(`  ${what} ...`);
        const warmN = Math.max(1000, Math.floor(c.n / 4));
        const r = await sideBySide(() => c.run(relay.url, c.n), () => c.run(feed, c.n), reps, () => c.run(relay.url, warmN), () => c.run(feed, warmN));
        ctx.add({
          id: c.id.replace(/^proxy\./, 'proxy.relay.'),
          what,
          value: r.ours,
          unit: 'msg/s',
          baseline: r.bare,
          ratio: r.ratio,
          target: 'floor of a process in the middle',
          met: null,
          note: 'a node process piping the sockets both ways, for comparison with the proxy row of the same feed',
          runs: { ours: r.oursRuns.map(Math.round), bare: r.bareRuns.map(Math.round) },
        });
      }
    } finally {
      await relay.stop();
    }
    for (const c of cases) {
      ctx.log(`  ${c.what} ...`);
      const proxyCpu: number[] = [];
      const catchUp: number[] = [];
      const proxied = async (n: number) => {
        const before = proxy.cpuUs();
        const rate = await c.run(proxy.url, n);
        // The proxy records after it forwards: wait until it is idle again (its recording caught up), so
        // that its catching up never runs beside the next direct run, and report how long that took.
        const lag = await recordingCaughtUp(proxy);
        if (lag !== undefined) catchUp.push(lag);
        const after = proxy.cpuUs();
        if (before !== undefined && after !== undefined) proxyCpu.push((after - before) / n);
        return rate;
      };
      const warmN = Math.max(1000, Math.floor(c.n / 4));
      const r = await sideBySide(() => proxied(c.n), () => c.run(feed, c.n), reps, () => proxied(warmN), () => c.run(feed, warmN));
      ctx.add({
        id: c.id,
        what: c.what,
        value: r.ours,
        unit: 'msg/s',
        baseline: r.bare,
        ratio: r.ratio,
        target: c.targeted ? `ratio >= ${RATIO_TARGET}` : 'headroom',
        met: c.targeted ? r.ratio >= RATIO_TARGET : null,
        note: `proxied / direct, same bare client; proxy process CPU per message ${proxyCpu.length ? `${median(proxyCpu).toFixed(2)} us` : 'n/a'} (decoding and NDJSON recording included); recording caught up ${catchUp.length ? `${Math.round(median(catchUp))} ms` : 'n/a'} after the client had the last message (median)`,
        runs: { ours: r.oursRuns.map(Math.round), bare: r.bareRuns.map(Math.round) },
      });
    }
  } finally {
    const end = await proxy.stop();
    const problems = end.stderr.split('\n').filter((l) => l.trim());
    if (problems.length) ctx.log(`  the proxy said: ${problems.slice(0, 3).join(' | ')}`);
  }
}
