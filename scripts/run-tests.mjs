// Runs a test suite with node's built-in runner (TypeScript through tsx).
// usage: node scripts/run-tests.mjs <suite> [more suites] [-- node --test args]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sep = process.argv.indexOf('--');
const suites = (sep < 0 ? process.argv.slice(2) : process.argv.slice(2, sep));
const extra = sep < 0 ? [] : process.argv.slice(sep + 1);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.test\.(ts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

const files = suites.flatMap((s) => walk(join(root, 'test', s))).sort();
if (files.length === 0) {
  console.error(`no test files in ${suites.join(', ')}`);
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=240000', ...extra, ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, WIRESCOPE_TEST: '1' } });
process.exit(r.status ?? 1);
