/**
 * `npm run bench`: Wirescope against bare clients over loopback, side by side in one run.
 * Prints a table and writes bench-results.json in the working directory.
 *
 * usage: npm run bench [-- --quick] [-- --only capture,cli,proxy,memory,search,timing,bundle,ui] [-- --patterns ws,sse,mqtt]
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { makeTestCerts } from '../test/helpers/tlsCerts';
import { formatTable, startFeedServer, type BenchContext, type ResultRow } from './lib';

const SECTIONS = ['capture', 'cli', 'proxy', 'memory', 'timing', 'bundle', 'ui'] as const;
type Section = (typeof SECTIONS)[number];

function parseArgs(argv: string[]): { quick: boolean; only: Set<Section>; patterns?: Set<string> } {
  const quick = argv.includes('--quick');
  const p = argv.indexOf('--patterns');
  const patterns = p >= 0 ? new Set((argv[p + 1] ?? '').split(',').filter(Boolean)) : undefined;
  const i = argv.indexOf('--only');
  let only = new Set<Section>(SECTIONS);
  if (i >= 0) {
    const names = (argv[i + 1] ?? '').split(',').map((s) => (s === 'search' ? 'memory' : s));
    const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
    if (bad.length) {
      console.error(`unknown section ${bad.join(', ')}; expected ${SECTIONS.join(', ')} (search runs with memory)`);
      process.exit(2);
    }
    only = new Set(names as Section[]);
  }
  return { quick, only, patterns };
}

async function main(): Promise<void> {
  const { quick, only, patterns } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const rows: ResultRow[] = [];
  // A throwaway self-signed certificate (made with openssl) for the https timing comparison.
  let cert: { cert: string; key: string } | undefined;
  try {
    cert = makeTestCerts().selfSigned;
  } catch {
    console.log('openssl is not available: the https timing comparison is skipped');
  }
  const feed = await startFeedServer(cert);
  const ctx: BenchContext = {
    feed,
    tlsCert: cert?.cert,
    quick,
    patterns,
    add: (row) => {
      rows.push(row);
      const status = row.met === null ? '' : row.met ? ' ok' : ' MISSED';
      console.log(`    ${row.what}: ${Number(row.value.toPrecision(4))} ${row.unit}${row.ratio !== undefined ? ` (ratio ${row.ratio.toFixed(2)})` : ''}${status}`);
    },
    log: (line) => console.log(line),
  };
  const failures: string[] = [];
  try {
    for (const section of SECTIONS) {
      if (!only.has(section)) continue;
      console.log(`${section}:`);
      try {
        const mod = await import(`./${section === 'memory' ? 'memory' : section}.ts`);
        const fn = Object.values(mod).find((v) => typeof v === 'function' && v.name.startsWith('bench')) as ((c: BenchContext) => Promise<void>) | undefined;
        if (!fn) throw new Error(`no bench function in ${section}.ts`);
        await fn(ctx);
      } catch (err) {
        const msg = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
        failures.push(`${section}: ${msg}`);
        console.log(`  ${section} failed: ${msg}`);
      }
    }
  } finally {
    await feed.stop();
  }
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemGB: Math.round(os.totalmem() / 2 ** 30),
    loadAvg1m: Number(os.loadavg()[0].toFixed(2)),
  };
  const out = { date: new Date().toISOString(), quick, durationSec: Math.round((Date.now() - started) / 1000), machine, results: rows, failures };
  writeFileSync('bench-results.json', JSON.stringify(out, null, 2) + '\n');
  console.log('');
  console.log(formatTable(rows));
  console.log('');
  for (const r of rows) if (r.note) console.log(`${r.id}: ${r.note}`);
  console.log('');
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAvg1m}; ${out.durationSec} s`);
  const missed = rows.filter((r) => r.met === false);
  if (missed.length) console.log(`targets missed: ${missed.map((r) => r.id).join(', ')} (see docs/bench.md)`);
  if (failures.length) console.log(`sections that failed: ${failures.join('; ')}`);
  console.log('wrote bench-results.json');
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message.split('\n', 1)[0] : String(err)}`);
  process.exit(1);
});
