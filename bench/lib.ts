/** Shared pieces of the benchmarks: the feed server process, side-by-side runs, results. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface FeedServer {
  httpPort: number;
  mqttPort: number;
  /** Line feed over raw TCP: the client sends `N SIZE\n`, the server writes N lines of SIZE bytes. */
  tcpPort: number;
  /** Socket.IO (the library's own server): a client connecting with `?n=N&size=S` gets N `tick` events of S bytes. */
  socketioPort: number;
  /** Present when started with a certificate. */
  httpsPort?: number;
  stop(): Promise<void>;
}

/** Start bench/feedServer.mjs as a separate process on 127.0.0.1 and wait for its ports. */
export async function startFeedServer(tls?: { cert: string; key: string }): Promise<FeedServer> {
  const env = tls ? { ...process.env, BENCH_TLS_CERT: tls.cert, BENCH_TLS_KEY: tls.key } : process.env;
  const child = spawn(process.execPath, [join(ROOT, 'bench/feedServer.mjs')], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => String(l)),
    once(child, 'exit').then(() => {
      throw new Error('the feed server exited before it was ready');
    }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the feed server did not start within 10 s')), 10_000).unref()),
  ]);
  const ports = JSON.parse(first) as { http: number; mqtt: number; tcp: number; socketio: number; https?: number };
  return { httpPort: ports.http, mqttPort: ports.mqtt, tcpPort: ports.tcp, socketioPort: ports.socketio, httpsPort: ports.https, stop: () => stopChild(child) };
}

/** End a child we started: close its stdin, then kill it if it lingers. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await once(child, 'exit');
  clearTimeout(timer);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}

/** One measured run: returns a throughput (units per second). */
export type Runner = () => Promise<number>;

export interface PairResult {
  ours: number;
  bare: number;
  ratio: number;
  oursRuns: number[];
  bareRuns: number[];
}

/**
 * Run Wirescope and the bare client side by side: one warm-up each (`warmOurs`/`warmBare`, smaller
 * runs are enough to load modules and let the JIT settle), then `reps` interleaved repetitions with
 * the order alternating, and compare medians (noise on a shared machine hits both).
 */
export async function sideBySide(ours: Runner, bare: Runner, reps: number, warmOurs: Runner = ours, warmBare: Runner = bare): Promise<PairResult> {
  collect();
  await warmBare();
  collect();
  await warmOurs();
  const oursRuns: number[] = [];
  const bareRuns: number[] = [];
  for (let i = 0; i < reps; i++) {
    const order: Array<[Runner, number[]]> = i % 2 === 0 ? [[bare, bareRuns], [ours, oursRuns]] : [[ours, oursRuns], [bare, bareRuns]];
    for (const [run, into] of order) {
      collect();
      await sleep(20);
      into.push(await run());
    }
  }
  const o = median(oursRuns);
  const b = median(bareRuns);
  return { ours: o, bare: b, ratio: o / b, oursRuns, bareRuns };
}

export interface ResultRow {
  /** Stable id, for bench-results.json consumers. */
  id: string;
  what: string;
  value: number;
  unit: string;
  /** What it is compared with (bare client figure), when there is one. */
  baseline?: number;
  ratio?: number;
  target: string;
  /** true = met, false = missed, null = informational. */
  met: boolean | null;
  note?: string;
  runs?: { ours: number[]; bare?: number[] };
}

export interface BenchContext {
  feed: FeedServer;
  /** The throwaway certificate the feed server's https port uses (trust it as a CA). */
  tlsCert?: string;
  /** Quick mode: fewer repetitions and smaller counts, for trying the bench out. */
  quick: boolean;
  /** Capture and CLI pairs to run (`--patterns ws,sse,mqtt`); all when absent. */
  patterns?: Set<string>;
  add(row: ResultRow): void;
  log(line: string): void;
}

const fmt = (n: number) => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString());

/** The results as an aligned text table. */
export function formatTable(rows: ResultRow[]): string {
  const header = ['benchmark', 'wirescope', 'bare', 'ratio', 'target', 'status'];
  const body = rows.map((r) => [
    r.what,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline !== undefined ? `${fmt(r.baseline)} ${r.unit}` : '',
    r.ratio !== undefined ? r.ratio.toFixed(2) : '',
    r.target,
    r.met === null ? 'info' : r.met ? 'ok' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}
