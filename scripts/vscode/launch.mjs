// Shared by `npm start` (scripts/start.mjs) and the end-to-end harness (test/e2e/harness.ts):
// install check, workspace with demo profiles, private extensions dir, quiet settings, code-server start/stop.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Run scripts/vscode/setup.sh (instant once installed) and return the paths it installed. */
export function ensureInstalled() {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/vscode/setup.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/vscode/setup.sh failed (exit ${r.status})`);
  const cache = r.stdout.trim().split('\n').pop();
  return {
    cache,
    nodeBinDir: join(cache, 'node24/node_modules/node/bin'),
    codeServerBin: join(cache, 'code-server/node_modules/.bin/code-server'),
  };
}

/** True when nothing listens on 127.0.0.1:port (so code-server can bind it). */
export function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * The environment without what an outer npm (`npm start`) sets for its scripts: npm_config_* (its
 * user agent names Node 20, which code-server's install reads as the Node version), npm_package_*,
 * npm_lifecycle_*, npm_execpath, NODE… Processes that run under Node 24 must not inherit them.
 */
export function withoutNpmEnv(env = process.env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD'));
}

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The environment variable that carries the demo webhook sender's secret: npm start and the e2e harness
 * give it to the demo (`--webhook-secret-env`) and to code-server, and the demo's webhook profile reads it
 * as `${env:WIRESCOPE_DEMO_WEBHOOK_SECRET}`.
 */
export const DEMO_WEBHOOK_SECRET_ENV = 'WIRESCOPE_DEMO_WEBHOOK_SECRET';

/** Settings that give a quiet workbench (no chat, no welcome page, no telemetry). */
export function quietSettings(theme = 'Default Dark Modern') {
  return {
    'chat.disableAIFeatures': true,
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.colorTheme': theme,
    'workbench.tips.enabled': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'git.enabled': false,
    'security.workspace.trust.enabled': false,
  };
}

/**
 * Lay out the dirs code-server runs with: the extension linked into a private extensions dir
 * (named <publisher>.<name>-<version>, as VS Code scans it), user settings and keybindings, and
 * a workspace whose .vscode/wirescope.json holds the given profiles.
 */
export function prepareDirs({ extensionsDir, userDataDir, workspaceDir, profiles, settings, keybindings }) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  mkdirSync(extensionsDir, { recursive: true });
  const link = join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  rmSync(link, { recursive: true, force: true });
  symlinkSync(repoRoot, link, 'dir');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify(settings ?? quietSettings(), null, 2));
  if (keybindings) writeFileSync(join(userDataDir, 'User/keybindings.json'), JSON.stringify(keybindings, null, 2));
  mkdirSync(join(workspaceDir, '.vscode'), { recursive: true });
  if (profiles) writeFileSync(join(workspaceDir, '.vscode/wirescope.json'), JSON.stringify({ profiles }, null, 2) + '\n');
}

/**
 * Start code-server on 127.0.0.1 in its own process group and wait (bounded) until it listens.
 * Returns { url, pid, stop() }; stop() ends the whole group.
 */
export async function startCodeServer({ installed, port, extensionsDir, userDataDir, workspaceDir, logFile, env = {}, timeoutMs = 90_000 }) {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const args = [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, workspaceDir,
  ];
  const child = spawn(installed.codeServerBin, args, {
    detached: true, // own process group: code-server starts several children, ended together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...withoutNpmEnv(), ...env, PATH: `${installed.nodeBinDir}:${process.env.PATH}` },
  });
  let output = '';
  let exited = null;
  const onData = (d) => { log.write(d); if (output.length < 200_000) output += d.toString(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const stop = async () => {
    if (exited === null) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const deadline = Date.now() + 5000;
      while (exited === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (exited === null) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    // Children of the group may outlive the leader briefly.
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group gone */ }
    log.end();
  };
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('HTTP server listening on')) {
    if (exited !== null) throw new Error(`code-server exited (${JSON.stringify(exited)}) before listening; log: ${logFile}`);
    if (Date.now() > deadline) { await stop(); throw new Error(`code-server did not listen within ${timeoutMs} ms; log: ${logFile}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspaceDir)}`;
  return { url, pid: child.pid, stop, exited: () => exited, output: () => output };
}

/** Build dist/ (extension, CLI, webviews) unless asked not to. */
export function build() {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/build.mjs'), '--quiet'], { stdio: 'inherit', cwd: repoRoot });
  if (r.status !== 0) throw new Error('build failed');
  if (!existsSync(join(repoRoot, 'dist/extension.js'))) throw new Error('dist/extension.js missing after build');
}
