/** Memory (1M captured frames, RSS growth) and search (text/regex over them), in a child process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, type BenchContext } from './lib';

interface ChildResult {
  n: number;
  kept: number;
  captureMs: number;
  rssGrowthMb: number;
  heapGrowthMb: number;
  externalGrowthMb: number;
  bytesPerFrame: number;
  logEstimateMb: number;
  search: Array<{ name: string; matches: number; ms: number }>;
}

function runChild(url: string, n: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench/memoryChild.ts'), url, String(n)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`memory child failed: ${err.trim().split('\n')[0] || `exit ${code}`}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as ChildResult);
      } catch {
        reject(new Error('memory child printed no result'));
      }
    });
  });
}

export async function benchMemory(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 200_000 : 1_000_000;
  const url = `ws://127.0.0.1:${ctx.feed.httpPort}/ws?n=${n}&size=100`;
  ctx.log(`  capturing ${n.toLocaleString('en-US')} frames of 100 B in a fresh process ...`);
  const r = await runChild(url, n);
  const perMillion = (r.rssGrowthMb * 1_000_000) / n;
  ctx.add({
    id: 'memory.rss',
    what: `RSS growth, ${n / 1e6}M captured 100 B frames`,
    value: r.rssGrowthMb,
    unit: 'MB',
    target: '< 300 MB per 1M',
    met: perMillion < 300,
    note: `heap +${r.heapGrowthMb} MB, external +${r.externalGrowthMb} MB, log estimate ${r.logEstimateMb} MB, capture ${r.captureMs} ms`,
  });
  ctx.add({ id: 'memory.bytesPerFrame', what: 'RSS per captured frame', value: r.bytesPerFrame, unit: 'B', target: '< 300 B', met: r.bytesPerFrame < 300 });
  for (const s of r.search) {
    ctx.add({
      id: `search.${s.name.replace(/[^a-z]+/gi, '-').replace(/-$/, '')}`,
      what: `Filter over ${n / 1e6}M frames: ${s.name} (${s.matches} hits)`,
      value: s.ms,
      unit: 'ms',
      target: '< 500 ms',
      met: s.ms < 500,
    });
  }
}
