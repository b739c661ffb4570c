/**
 * Run in its own process (node --expose-gc) so RSS growth belongs to this capture alone:
 * a real WebSocket session records N small frames into a SessionLog, then text and regex
 * filters run over the whole log. Prints one JSON line.
 *
 * usage: node --expose-gc --import tsx bench/memoryChild.ts <ws url> <n>
 */
import { performance } from 'node:perf_hooks';
import { Session } from '../src/core/session';
import { SessionLog } from '../src/core/sessionLog';
import type { LogFilter } from '../src/shared/protocol';
import { median } from './lib';

const gc = (globalThis as { gc?: () => void }).gc;

function settle(): NodeJS.MemoryUsage {
  // Several passes: the first ones let finalizers and weak callbacks release more.
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage();
}

async function main(): Promise<void> {
  const [url, nArg] = process.argv.slice(2);
  const n = Number(nArg);
  if (!url || !Number.isInteger(n) || n <= 0) throw new Error('usage: memoryChild.ts <ws url> <n>');
  if (!gc) throw new Error('run with --expose-gc');
  // Load the transport and warm the code paths first, so module loading is not counted.
  const warm = new Session({ pattern: 'ws', url: url.replace(/n=\d+/, 'n=1000'), count: 1000 });
  const warmLog = new SessionLog();
  warm.onEvent((e) => warmLog.append(e));
  await warm.start();
  await warm.done;
  warmLog.clear();

  const before = settle();
  const log = new SessionLog({ maxEvents: n + 1000, maxBytes: 4 * 1024 ** 3 });
  const session = new Session({ pattern: 'ws', url, count: n });
  session.onEvent((e) => log.append(e));
  const t0 = performance.now();
  await session.start();
  const summary = await session.done;
  const captureMs = performance.now() - t0;
  const after = settle();
  const frames = log.stats().framesIn;
  if (frames < n) throw new Error(`captured ${frames} of ${n} frames (${String(summary.state)})`);

  // Search: each filter builds a fresh view over the whole log (the full scan, not just a screenful),
  // then reads the first screenful of rows. Median of 3.
  const filters: Array<{ name: string; filter: LogFilter }> = [
    { name: 'text, rare match', filter: { text: `"seq":${Math.floor(n * 0.987654)},` } },
    { name: 'text, case-insensitive common', filter: { text: 'PRICE":42' } },
    { name: 'regex', filter: { text: '"price":\\d{5},', regex: true } },
    { name: 'regex, no match', filter: { text: 'seq":-\\d+', regex: true } },
  ];
  const search = filters.map(({ name, filter }) => {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const v = log.createView(filter);
      v.rows(0, 50);
      total = v.total;
      times.push(performance.now() - s);
      v.dispose();
    }
    return { name, filter, matches: total, ms: Math.round(median(times) * 10) / 10 };
  });
  // Touch the log after measuring so it is certainly alive until here.
  const kept = log.size;
  console.log(
    JSON.stringify({
      n,
      kept,
      captureMs: Math.round(captureMs),
      rssGrowthMb: Math.round(((after.rss - before.rss) / 1e6) * 10) / 10,
      heapGrowthMb: Math.round(((after.heapUsed - before.heapUsed) / 1e6) * 10) / 10,
      externalGrowthMb: Math.round(((after.external - before.external) / 1e6) * 10) / 10,
      bytesPerFrame: Math.round((after.rss - before.rss) / n),
      logEstimateMb: Math.round((log.bytes / 1e6) * 10) / 10,
      search,
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
