/**
 * The CLI as a whole process: `wirescope connect <url> --count N --format summary` (the built
 * dist/cli.js) against a bare-client script process reading the same feed. Wall time from spawn
 * to exit, so start-up and shutdown count too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isPatternAvailable } from '../src/core/registry';
import { ROOT, sideBySide, type BenchContext } from './lib';

function timedProcess(args: string[], expectIn: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`${args[0].split('/').pop()} exited ${code}: ${(err || out).trim().split('\n')[0]}`));
      // Both print a summary line; check that it saw every message, so a fast failure cannot pass.
      const summary = out
        .trim()
        .split('\n')
        .map((l) => {
          try {
            return JSON.parse(l) as { kind?: string; frames?: { in?: number } };
          } catch {
            return undefined;
          }
        })
        .find((e) => e?.kind === 'summary');
      const got = summary?.frames?.in ?? 0;
      if (got < expectIn) return reject(new Error(`${args[0].split('/').pop()} saw ${got} of ${expectIn} messages`));
      resolve(expectIn / seconds);
    });
  });
}

export async function benchCli(ctx: BenchContext): Promise<void> {
  ctx.log('  building dist/ ...');
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`build failed: ${(build.stderr || build.stdout).trim().split('\n')[0]}`);
  const cli = join(ROOT, 'dist/cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js was not built (no src/cli/main.ts yet?)');
  const bare = join(ROOT, 'bench/bareClient.mjs');
  const reps = ctx.quick ? 2 : 3;
  const http = `127.0.0.1:${ctx.feed.httpPort}`;
  const cases: Array<{ id: string; what: string; n: number; cliArgs: (n: number) => string[]; bareArgs: (n: number) => string[] }> = [];
  const nWs = ctx.quick ? 50_000 : 200_000;
  const wsUrl = (n: number) => `ws://${http}/ws-lib?n=${n}&size=100`;
  cases.push({ id: 'cli.ws', what: `CLI process, WebSocket ${nWs / 1000}k`, n: nWs, cliArgs: (n) => [wsUrl(n)], bareArgs: (n) => ['ws', wsUrl(n), String(n)] });
  if (isPatternAvailable('sse')) {
    const nSse = ctx.quick ? 30_000 : 100_000;
    const sseUrl = (n: number) => `http://${http}/sse-lib?n=${n}&size=100`;
    cases.push({ id: 'cli.sse', what: `CLI process, SSE ${nSse / 1000}k`, n: nSse, cliArgs: (n) => [sseUrl(n), '--pattern', 'sse'], bareArgs: (n) => ['sse', sseUrl(n), String(n)] });
  }
  if (isPatternAvailable('mqtt') && !ctx.quick) {
    const nMqtt = 50_000;
    const brokerUrl = `mqtt://127.0.0.1:${ctx.feed.mqttPort}`;
    cases.push({
      id: 'cli.mqtt',
      what: `CLI process, MQTT QoS 0 ${nMqtt / 1000}k`,
      n: nMqtt,
      cliArgs: (n) => [brokerUrl, '--subscribe', `bench/${n}/100:0`, '--mqtt-version', '4'],
      bareArgs: (n) => ['mqtt', brokerUrl, String(n), `bench/${n}/100`],
    });
  }
  for (const c of cases.filter((k) => !ctx.patterns || ctx.patterns.has(k.id.slice('cli.'.length)))) {
    ctx.log(`  ${c.what} ...`);
    const ours = (n: number) => timedProcess([cli, 'connect', ...c.cliArgs(n), '--count', String(n), '--format', 'summary'], n);
    const bareRun = (n: number) => timedProcess([bare, ...c.bareArgs(n)], n);
    const warm = Math.floor(c.n / 4);
    const r = await sideBySide(
      () => ours(c.n),
      () => bareRun(c.n),
      reps,
      () => ours(warm),
      () => bareRun(warm),
    );
    ctx.add({
      id: c.id,
      what: c.what,
      value: r.ours,
      unit: 'msg/s',
      baseline: r.bare,
      ratio: r.ratio,
      target: 'ratio >= 0.9',
      met: r.ratio >= 0.9,
      runs: { ours: r.oursRuns.map(Math.round), bare: r.bareRuns.map(Math.round) },
    });
  }
  await pipedRss(ctx);
}

/** Resident memory of a process from /proc (MB), 0 when it cannot be read. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * `wirescope connect ws://... --format ndjson | cat > /dev/null` with millions of messages: the
 * CLI's peak RSS. stdout is a real pipe to a real `cat`, which reads more slowly than the feed
 * arrives, so without back-pressure every printed line would wait in memory.
 */
export async function pipedRss(ctx: BenchContext): Promise<void> {
  const cli = join(ROOT, 'dist/cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js was not built');
  const n = ctx.quick ? 1_000_000 : 4_000_000;
  const url = `ws://127.0.0.1:${ctx.feed.httpPort}/ws-lib?n=${n}&size=100`;
  ctx.log(`  CLI piped to cat, WebSocket ${n / 1e6}M, ndjson ...`);
  const cat = spawn('cat', [], { stdio: ['pipe', 'ignore', 'inherit'] });
  await new Promise<void>((r) => (cat.stdin!.writable ? r() : cat.stdin!.once('ready', () => r())));
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'connect', url, '--count', String(n), '--format', 'ndjson'], { cwd: ROOT, stdio: ['ignore', cat.stdin!, 'pipe'] });
  cat.stdin!.destroy();
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!))), 100);
  const guard = setTimeout(() => child.kill('SIGKILL'), 900_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearInterval(sampler);
  clearTimeout(guard);
  await new Promise<void>((r) => (cat.exitCode !== null ? r() : cat.once('exit', () => r())));
  if (code !== 0) throw new Error(`wirescope exited ${code}: ${err.trim().split('\n')[0]}`);
  const seconds = (performance.now() - t0) / 1000;
  ctx.add({
    id: 'cli.piped.rss',
    what: `CLI peak RSS, --format ndjson | cat, WebSocket ${n / 1e6}M x 100 B (${Math.round(n / seconds).toLocaleString('en-US')} msg/s)`,
    value: Math.round(peak),
    unit: 'MB',
    target: '< 300 MB',
    met: peak < 300,
  });
}
