// `npm start`: Wirescope in a real VS Code with the demo backend.
// Installs code-server if missing, builds, starts the demo on loopback, lays out a workspace with one
// profile per pattern, starts code-server on 127.0.0.1 and prints the URL. Ctrl+C stops all of it.
// usage: npm start [-- --port N] [-- --desktop]      env: WIRESCOPE_PORT (as --port), WIRESCOPE_CACHE (see setup.sh)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, DEMO_WEBHOOK_SECRET_ENV, ensureInstalled, freePort, portFree, prepareDirs, quietSettings, repoRoot, startCodeServer } from './vscode/launch.mjs';

const args = process.argv.slice(2);
const desktop = args.includes('--desktop');
const portArg = args.indexOf('--port');
// --port N, else $WIRESCOPE_PORT, else 8931 (or a free port when 8931 is taken).
const portText = portArg >= 0 ? args[portArg + 1] : process.env.WIRESCOPE_PORT;
const explicitPort = portText !== undefined && portText !== '';
let port = explicitPort ? Number(portText) : 8931;
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`wirescope: ${portArg >= 0 ? '--port' : 'WIRESCOPE_PORT'} needs a port number (1-65535), got ${portText ?? 'nothing'}`);
  process.exit(2);
}

// Everything lives in a git-ignored folder of the repo, kept between runs (settings, secrets, layout).
const home = join(repoRoot, '.cache', 'start');
const workspaceDir = join(home, 'workspace');
const userDataDir = join(home, 'user-data');
const extensionsDir = join(home, 'extensions');

const stops = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const stop of stops.reverse()) {
    try { await stop(); } catch { /* keep stopping the rest */ }
  }
  process.exit(code);
}
process.on('SIGINT', () => { console.log('\nwirescope: stopping…'); void stopAll(0); });
process.on('SIGTERM', () => void stopAll(0));

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
}

// The demo's webhook sender signs its calls with this secret; the webhook profile reads it from the
// same environment variable in the extension host. Made fresh for each run, passed only through env.
const webhookSecret = randomBytes(16).toString('hex');

/**
 * The demo backend through the product's own CLI, in its own process group; resolves with its URL map and its
 * profiles. The broker and gRPC listeners take port 0 (their URLs come back in the index); the HTTP port is
 * chosen here to ask the index, and a start that loses it to another process between choosing and binding
 * is tried again on a new one.
 */
async function startDemoBackend(webhookPort) {
  for (let attempt = 1; ; attempt++) {
    const demoPort = await freePort();
    const child = spawn(process.execPath, [join(repoRoot, 'dist/cli.js'), 'demo', '--port', String(demoPort), '--mqtt-port', '0', '--grpc-port', '0',
      '--webhook-url', `http://127.0.0.1:${webhookPort}/hook`, '--webhook-secret-env', DEMO_WEBHOOK_SECRET_ENV],
    { stdio: ['ignore', 'ignore', attempt < 3 ? 'pipe' : 'inherit'], detached: true, env: { ...process.env, [DEMO_WEBHOOK_SECRET_ENV]: webhookSecret } });
    let exited = false;
    let stderr = '';
    const keep = (d) => { stderr += d; };
    child.stderr?.on('data', keep);
    child.on('exit', () => { exited = true; });
    const stop = () => { if (!exited) { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ } } };
    // The index route answers with every URL the demo serves once every side listens.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`http://127.0.0.1:${demoPort}/`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(2000) });
        if (res.ok) {
          const index = await res.json();
          if (child.stderr) { child.stderr.off('data', keep); process.stderr.write(stderr); child.stderr.pipe(process.stderr); }
          return { urls: index.urls, profiles: index.profiles, stop };
        }
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    stop();
    if (exited && attempt < 3 && /EADDRINUSE|in use/i.test(stderr)) continue;
    if (stderr) process.stderr.write(stderr);
    throw new Error(exited ? 'the demo backend exited at start' : 'the demo backend did not answer within 20 s');
  }
}

const code = desktop ? which('code') : '';
if (desktop && !code) {
  console.error('wirescope: --desktop needs a desktop VS Code `code` on PATH; run `npm start` without it for the browser version.');
  process.exit(1);
}

try {
  console.log('wirescope: building…');
  build();
  const webhookPort = await freePort();
  const demo = await startDemoBackend(webhookPort);
  stops.push(demo.stop);
  console.log(`wirescope: demo backend at ${demo.urls.index}${demo.urls.mqtt ? ` (MQTT ${demo.urls.mqtt})` : ''}${demo.urls.grpc ? ` (gRPC ${demo.urls.grpc})` : ''}${demo.urls.graphqlWs ? ` (GraphQL ${demo.urls.graphql}, subscriptions ${demo.urls.graphqlWs} and ${demo.urls.graphqlSse})` : ''}`);

  const profiles = demo.profiles;
  mkdirSync(home, { recursive: true });
  prepareDirs({ extensionsDir, userDataDir, workspaceDir, profiles, settings: quietSettings('Default Dark Modern') });
  writeFileSync(join(workspaceDir, 'README.md'), '# Wirescope demo workspace\n\nMade by `npm start`: `.vscode/wirescope.json` holds one profile per pattern, pointing at the demo backend it started.\nOpen the Wirescope icon in the activity bar, or run "Wirescope: Connect to Profile…" from the command palette (F1).\n');

  if (desktop) {
    console.log('wirescope: opening desktop VS Code with the extension under development');
    const child = spawn(code, ['--new-window', '--wait', `--extensionDevelopmentPath=${repoRoot}`, `--user-data-dir=${userDataDir}`, workspaceDir], { stdio: 'inherit', detached: true });
    stops.push(() => { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ } });
    child.on('exit', () => void stopAll(0));
  } else {
    console.log('wirescope: checking code-server (installs it once, a few minutes)…');
    const installed = ensureInstalled();
    if (!(await portFree(port))) {
      if (explicitPort) throw new Error(`port ${port} is in use; choose another with --port N`);
      const taken = port;
      port = await freePort();
      console.log(`wirescope: port ${taken} is in use; using ${port} instead (--port N to choose)`);
    }
    const server = await startCodeServer({
      installed, port, extensionsDir, userDataDir, workspaceDir, logFile: join(home, 'code-server.log'),
      // The extension uses this demo (New Connection's URLs, Start Demo Backend) instead of starting a second one.
      env: { [DEMO_WEBHOOK_SECRET_ENV]: webhookSecret, WIRESCOPE_DEMO_URL: demo.urls.index },
    });
    stops.push(() => server.stop());
    console.log('');
    console.log(`  Wirescope in VS Code: ${server.url}`);
    console.log('');
    console.log(`  code-server log: ${join(home, 'code-server.log')}. Ctrl+C stops code-server and the demo backend.`);
    const watch = setInterval(() => {
      if (server.exited()) {
        console.error(`wirescope: code-server exited (${JSON.stringify(server.exited())}); see ${join(home, 'code-server.log')}`);
        clearInterval(watch);
        void stopAll(1);
      }
    }, 1000);
    stops.push(() => clearInterval(watch));
  }
} catch (e) {
  console.error(`wirescope: ${e instanceof Error ? e.message : String(e)}`);
  await stopAll(1);
}
