// Bundles the three outputs with esbuild: extension host (cjs, vscode external), CLI (node), webview (browser).
import * as esbuild from 'esbuild';
import { mkdirSync, copyFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const quiet = process.argv.includes('--quiet');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: quiet ? 'warning' : 'info',
  absWorkingDir: root,
  legalComments: 'none',
};

const targets = [
  {
    ...common,
    entryPoints: { extension: 'src/host/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
  },
  {
    ...common,
    entryPoints: { inspector: 'webview/main.ts', profileForm: 'webview/profileForm/main.ts' },
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'css' },
  },
].filter((t) => Object.values(t.entryPoints).every((p) => existsSync(join(root, p))));

mkdirSync(join(root, 'dist/webview'), { recursive: true });
const css = join(root, 'webview/inspector.css');
if (existsSync(css)) copyFileSync(css, join(root, 'dist/webview/inspector.css'));
const formCss = join(root, 'webview/profileForm/profileForm.css');
if (existsSync(formCss)) copyFileSync(formCss, join(root, 'dist/webview/profileForm.css'));

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  if (!quiet) {
    for (const f of readdirSync(join(root, 'dist'), { recursive: true })) {
      const p = join(root, 'dist', String(f));
      if (String(f).endsWith('.js')) console.log(`  ${String(f).padEnd(28)} ${(statSync(p).size / 1024).toFixed(1)} KiB`);
    }
  }
}
