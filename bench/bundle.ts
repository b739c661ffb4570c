/**
 * Bundle sizes of dist/*.js (built by the cli section or `node scripts/build.mjs`), and, for the main
 * bundles, the size they had with the demo's MQTT broker (aedes) inlined, built the old way into a
 * temporary directory (`scripts/build.mjs --inline-demo`): the before/after of loading the demo on demand.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ROOT, type BenchContext } from './lib';

function jsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (name.endsWith('.js')) out.push(p);
  }
  return out.sort();
}

export async function benchBundle(ctx: BenchContext): Promise<void> {
  const dist = join(ROOT, 'dist');
  if (jsFiles(dist).length === 0) {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (build.status !== 0) throw new Error(`build failed: ${(build.stderr || build.stdout).trim().split('\n')[0]}`);
  }
  for (const file of jsFiles(dist)) {
    const raw = readFileSync(file);
    const rel = file.slice(dist.length + 1);
    ctx.add({
      id: `bundle.${rel}`,
      what: `Bundle dist/${rel}`,
      value: Math.round(raw.length / 1024),
      unit: 'KiB',
      target: 'report',
      met: null,
      note: `gzip ${Math.round(gzipSync(raw).length / 1024)} KiB`,
    });
  }
  const before = mkdtempSync(join(tmpdir(), 'wirescope-bundle-before-'));
  try {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', '--inline-demo', `--outdir=${before}`], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (build.status !== 0) throw new Error(`build with the demo inlined failed: ${(build.stderr || build.stdout).trim().split('\n')[0]}`);
    for (const name of ['extension.js', 'cli.js']) {
      const old = join(before, name);
      const now = join(dist, name);
      if (!existsSync(old) || !existsSync(now)) continue;
      const oldSize = statSync(old).size;
      const nowSize = statSync(now).size;
      ctx.add({
        id: `bundle.before.${name}`,
        what: `Bundle dist/${name} with the demo broker inlined (before)`,
        value: Math.round(oldSize / 1024),
        unit: 'KiB',
        target: 'report',
        met: null,
        note: `now ${Math.round(nowSize / 1024)} KiB (${Math.round((nowSize - oldSize) / 1024)} KiB); aedes ships in dist/demo-mqtt-broker.js, loaded when the demo starts its broker`,
      });
    }
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
}
