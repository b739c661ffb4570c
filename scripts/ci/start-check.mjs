// CI check of the README's first command, run the way a user runs it.
//
// Reads the first command of the README's first ```bash block (`npm install && npm start`), runs it with
// bash in its own process group from the repository (a clean clone in CI), with WIRESCOPE_CACHE pointing at
// an EMPTY directory so code-server is installed through `npm start` itself. It waits for the printed URL,
// opens it in Chromium (playwright-core, /usr/bin/chromium), connects the "SSE feed" demo profile from the
// command palette and waits for incoming rows in the inspector. Then it sends SIGINT to the process group
// (what Ctrl+C in a terminal does) and checks that every process the command started has ended and that
// its ports are closed.
//
// Uses only Node built-ins until the command's `npm install` has run; playwright-core is imported after.
//
// usage: WIRESCOPE_CACHE=$(mktemp -d) node scripts/ci/start-check.mjs [--warm-cache]
//        node scripts/ci/start-check.mjs --print-command N   (prints the README's Nth command and exits)
// env:   WIRESCOPE_CACHE  must name an empty directory (or not exist) unless --warm-cache is given
//        CHROMIUM_PATH    default /usr/bin/chromium
// Output: test-results/start-check/ (npm-start.log, inspector.png, on failure failure.png).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { freePort, repoRoot } from '../vscode/launch.mjs';

const args = process.argv.slice(2);
const t0 = Date.now();
const secs = (from = t0) => ((Date.now() - from) / 1000).toFixed(1);
const say = (m) => console.log(`[start-check +${secs()} s] ${m}`);

/** The commands of the README's first ```bash block, comments removed. */
function readmeCommands() {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /```bash\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```bash block');
  return block[1].split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

const printAt = args.indexOf('--print-command');
if (printAt >= 0) {
  const n = Number(args[printAt + 1]);
  const cmd = readmeCommands()[n - 1];
  if (!cmd) { console.error(`README.md has no command ${args[printAt + 1]}`); process.exit(2); }
  console.log(cmd);
  process.exit(0);
}

const command = readmeCommands()[0];
if (!/\bnpm start\b/.test(command)) {
  console.error(`start-check: the README's first command is "${command}", not an npm start`);
  process.exit(1);
}
const cache = process.env.WIRESCOPE_CACHE;
if (!cache) {
  console.error('start-check: set WIRESCOPE_CACHE to an empty directory (e.g. $(mktemp -d))');
  process.exit(2);
}
if (!args.includes('--warm-cache') && existsSync(cache) && readdirSync(cache).length > 0) {
  console.error(`start-check: WIRESCOPE_CACHE=${cache} is not empty; the check installs code-server through npm start (pass --warm-cache to allow)`);
  process.exit(2);
}

const outDir = join(repoRoot, 'test-results', 'start-check');
mkdirSync(outDir, { recursive: true });
const logFile = join(outDir, 'npm-start.log');
const log = createWriteStream(logFile);

// ---- processes: everything the command starts, by pid and start time (a pid can be reused) ----
/** pid -> { ppid, pgid, start, cmd } for every process now. */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may contain spaces; the fields after it are fixed.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = rest[0];
      if (state === 'Z' || state === 'X') continue; // exited, waiting to be reaped
      let cmd = '';
      try { cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { /* gone */ }
      table.set(Number(name), { ppid: Number(rest[1]), pgid: Number(rest[2]), start: rest[19], cmd });
    } catch { /* exited meanwhile */ }
  }
  return table;
}

/** key "pid:start" -> { pid, start, cmd } of every descendant of `root` ever seen (root included). */
const seen = new Map();
function track(root) {
  const table = processTable();
  const children = new Map();
  for (const [pid, p] of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  // Start from the root and from every process seen before that still runs (same start time: a reused pid is
  // another process); those keep being followed once re-parented, as a detached group outliving its parent is.
  const stack = [root, ...[...seen.values()].filter((s) => table.get(s.pid)?.start === s.start).map((s) => s.pid)].filter((pid) => table.has(pid));
  const visited = new Set();
  while (stack.length) {
    const pid = stack.pop();
    if (visited.has(pid)) continue;
    visited.add(pid);
    const p = table.get(pid);
    const key = `${pid}:${p.start}`;
    if (!seen.has(key)) seen.set(key, { pid, start: p.start, cmd: p.cmd.slice(0, 200) });
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
}
/** The tracked processes still running. */
function stillRunning() {
  const table = processTable();
  return [...seen.values()].filter((s) => table.get(s.pid)?.start === s.start);
}

function portOpen(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (v) => { sock.destroy(); resolve(v); };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(2000, () => done(false));
  });
}

async function waitFor(what, check, timeoutMs, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---- run it ----
const port = await freePort();
// A user's shell: none of the npm_* variables an outer npm would set (this check may itself run under npm).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD'));
env.WIRESCOPE_CACHE = cache;
env.WIRESCOPE_PORT = String(port);
const nodeVersion = process.version;
say(`running "${command}" in ${repoRoot} with node ${nodeVersion}, WIRESCOPE_CACHE=${cache}${args.includes('--warm-cache') ? '' : ' (empty)'}, WIRESCOPE_PORT=${port}; output in ${logFile}`);
const child = spawn('bash', ['-c', command], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
let exited = null;
const onData = (d) => {
  log.write(d);
  output += d.toString();
  for (const line of d.toString().split('\n')) if (/^wirescope:|^\[vscode-setup\]|Wirescope in VS Code|npm (error|warn)/.test(line.trim())) say(`| ${line.trim()}`);
};
child.stdout.on('data', onData);
child.stderr.on('data', onData);
child.on('exit', (code, signal) => { exited = { code, signal }; });
const tracker = setInterval(() => track(child.pid), 300);

let browser;
let page;
let failed = false;
const timings = {};
try {
  const url = await waitFor('the printed URL ("Wirescope in VS Code: …")', () => {
    if (exited) throw new Error(`"${command}" exited (${JSON.stringify(exited)}) before printing the URL; last output:\n${output.split('\n').slice(-25).join('\n')}`);
    return /Wirescope in VS Code: (http:\/\/\S+)/.exec(output)?.[1];
  }, 25 * 60_000, 500);
  timings.urlPrintedS = Number(secs());
  say(`URL printed after ${timings.urlPrintedS} s: ${url}`);
  if (!args.includes('--warm-cache') && !/installing code-server@/.test(output)) throw new Error('npm start did not install code-server, though the cache was empty');
  const demoPort = Number(/demo backend at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1]);
  if (!demoPort) throw new Error('npm start did not print the demo backend URL');

  const { chromium } = await import('playwright-core');
  const tBrowser = Date.now();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 60_000,
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
  await page.goto(url, { timeout: 60_000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.locator('.activitybar [aria-label^="Wirescope"]').first().waitFor({ state: 'visible', timeout: 60_000 });
  say(`workbench with the Wirescope activity-bar entry after ${secs(tBrowser)} s`);

  // Connect the SSE demo profile as a user does: F1, the command, the profile.
  const input = page.locator('.quick-input-widget input');
  await waitFor('the command palette', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    return input.waitFor({ state: 'visible', timeout: 2000 }).then(() => true, () => false);
  }, 20_000, 200);
  const pick = async (label) => {
    const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
  };
  await input.fill('>Wirescope: Connect to Profile…');
  await pick('Wirescope: Connect to Profile…');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('SSE feed');
  await pick('SSE feed');

  // The inspector (side bar or editor area) shows the session and its incoming rows.
  const rows = await waitFor('incoming SSE rows in the inspector', async () => {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      const name = (await f.locator('#session-name').textContent({ timeout: 500 }).catch(() => null))?.trim();
      if (name !== 'SSE feed') continue;
      const n = await f.locator('#frame-log .frame-in').count().catch(() => 0);
      if (n > 0) return n;
    }
    return 0;
  }, 45_000, 300);
  timings.framesSeenS = Number(secs());
  say(`the inspector shows the "SSE feed" session with ${rows} incoming rows`);
  await page.screenshot({ path: join(outDir, 'inspector.png') });

  // Ctrl+C: SIGINT to the command's process group.
  track(child.pid);
  clearInterval(tracker);
  const before = stillRunning();
  say(`${before.length} processes running under the command; sending SIGINT to its process group ${child.pid}`);
  const tStop = Date.now();
  process.kill(-child.pid, 'SIGINT');
  await waitFor('the command to exit after SIGINT', () => exited, 30_000, 100);
  timings.exitAfterSigintS = Number(secs(tStop));
  say(`the command exited (${JSON.stringify(exited)}) ${timings.exitAfterSigintS} s after SIGINT`);
  if (!/wirescope: stopping/.test(output)) throw new Error('start.mjs did not report stopping on SIGINT');
  const left = await waitFor('every process it started to end', () => {
    const l = stillRunning();
    return l.length === 0 ? [] : Date.now() - tStop > 15_000 ? l : null;
  }, 20_000, 200);
  if (left.length > 0) throw new Error(`still running after Ctrl+C:\n${left.map((p) => `  ${p.pid} ${p.cmd}`).join('\n')}`);
  for (const [what, p] of [['code-server', port], ['demo backend', demoPort]]) {
    if (await portOpen(p)) throw new Error(`the ${what}'s port ${p} still accepts connections after Ctrl+C`);
  }
  say(`all ${before.length} processes it started have ended; code-server (${port}) and demo (${demoPort}) ports are closed`);
  say(`PASS: URL after ${timings.urlPrintedS} s (empty cache: ${!args.includes('--warm-cache')}), frames after ${timings.framesSeenS} s, exit ${timings.exitAfterSigintS} s after SIGINT, total ${secs()} s`);
} catch (e) {
  failed = true;
  console.error(`[start-check] FAIL: ${e instanceof Error ? e.message : String(e)}`);
  if (page) await page.screenshot({ path: join(outDir, 'failure.png') }).catch(() => undefined);
} finally {
  clearInterval(tracker);
  if (browser) await browser.close().catch(() => undefined);
  // Whatever is left (after a failure): end it, by process group then by pid.
  if (!exited) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }
  for (const p of stillRunning()) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  log.end();
}
process.exit(failed ? 1 : 0);
