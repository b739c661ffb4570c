// End-to-end harness: a real VS Code (code-server) with the built extension, the demo backend on
// loopback, and Debian Chromium driven by playwright-core. Fresh temp dirs and free ports per run;
// close() tears everything down, also after a failure. Every wait is bounded.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { demoProfiles, startDemo, type DemoBackend } from '../../src/demo';
// @ts-expect-error: plain ESM module shared with scripts/start.mjs, no type declarations
import * as launch from '../../scripts/vscode/launch.mjs';

/** Where screenshots and logs of the e2e run go (git-ignored). */
export const resultsDir = join(launch.repoRoot as string, 'test-results', 'e2e');

/** Key bound to the hidden `wirescope.test.revealState` command in the test user's keybindings. */
const REVEAL_STATE_KEY = 'ctrl+alt+shift+f9';

let built = false;

export interface RevealedState {
  sessions: Array<{ id: string; name: string; pattern: string; state: string; ended: boolean; stats: { framesIn: number; framesOut: number; reconnects: number } & Record<string, unknown> }>;
  selected?: string;
  profiles: Array<{ id: string; name: string; pattern: string; scope: string; valid: boolean; problems: unknown[] }>;
  profileFiles: Array<{ path: string; exists: boolean; syntaxError?: unknown; problems: number }>;
  [key: string]: unknown;
}

export interface Workbench {
  page: Page;
  browser: Browser;
  demo: DemoBackend;
  workspaceDir: string;
  userDataDir: string;
  profilesFile: string;
  codeServerLog: string;
  /** F1, type a command title, Enter; then type and accept each quick pick answer in turn. */
  palette(command: string, ...answers: string[]): Promise<void>;
  /** The revealed state, fresh from the extension host. */
  revealState(): Promise<RevealedState>;
  /** The sidebar inspector's frame (waits for it). */
  inspector(timeoutMs?: number): Promise<Frame>;
  /** The editor-area inspector of the session named `name` (waits for it). */
  panel(name: string, timeoutMs?: number): Promise<Frame>;
  /** A frame of a webview whose document matches a selector. */
  webviewFrame(selector: string, timeoutMs?: number): Promise<Frame>;
  /** Stop the demo backend (all its connections drop). */
  stopDemo(): Promise<void>;
  /** Start it again on the same ports. */
  restartDemo(): Promise<void>;
  /** Save a screenshot to test-results/e2e (optionally only a region of the page). */
  screenshot(name: string, clip?: { x: number; y: number; width: number; height: number }): Promise<string>;
  /** The extension host's Wirescope log lines (output channel). */
  extensionLog(): string;
  close(): Promise<void>;
}

/** Poll `check` until it returns a truthy value or the time is up (then throw with `what`). */
export async function waitUntil<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 150): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last).split('\n')[0]})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function walkFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isDirectory()) walkFiles(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** The Wirescope output channel's log files of a user-data dir, concatenated. */
function extensionLogOf(userDataDir: string): string {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return '';
  return walkFiles(logs).filter((f) => /wirescope/i.test(f) && f.endsWith('.log')).map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** Every file under `dirs` whose bytes contain `needle`. */
export function filesContaining(dirs: string[], needle: string): string[] {
  const hits: string[] = [];
  const bytes = Buffer.from(needle, 'utf8');
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of walkFiles(d)) {
      try { if (readFileSync(f).includes(bytes)) hits.push(f); } catch { /* vanished */ }
    }
  }
  return hits;
}

export interface LaunchOptions {
  /** Label for temp dirs and logs. */
  name: string;
  theme?: string;
  /** Profiles for .vscode/wirescope.json from the demo's URLs (default: one per pattern). */
  profiles?: (urls: DemoBackend['urls'], webhookPort: number) => unknown[];
  /** User settings on top of the quiet defaults. */
  settings?: Record<string, unknown>;
}

/** Start demo + code-server + Chromium and open the workbench on a fresh workspace. */
export async function launchWorkbench(opts: LaunchOptions): Promise<Workbench> {
  const installed = launch.ensureInstalled();
  if (!built && !process.env.WIRESCOPE_E2E_SKIP_BUILD) {
    launch.build();
    built = true;
  }
  const root = mkdtempSync(join(tmpdir(), `wirescope-e2e-${opts.name}-`));
  const workspaceDir = join(root, 'workspace');
  const userDataDir = join(root, 'user-data');
  const extensionsDir = join(root, 'extensions');
  const stateFile = join(root, 'state.json');
  const profilesFile = join(workspaceDir, '.vscode', 'wirescope.json');
  await mkdir(resultsDir, { recursive: true });
  const codeServerLog = join(resultsDir, `${opts.name}-code-server.log`);

  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch { /* keep tearing down */ }
    }
    cleanups.length = 0;
    try { writeFileSync(join(resultsDir, `${opts.name}-wirescope.log`), extensionLogOf(userDataDir)); } catch { /* no logs yet */ }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const webhookPort: number = await launch.freePort();
    const webhookSecret = randomBytes(16).toString('hex');
    const webhookSecretEnv = launch.DEMO_WEBHOOK_SECRET_ENV as string;
    // The demo's own listeners take port 0, so nothing can take a port between choosing and binding it
    // (a CI run once saw the gRPC port, chosen free a moment before, taken by then). A restart binds the
    // same ports again, since the workspace profiles name them.
    const demoOptions = { host: '127.0.0.1', port: 0, mqttPort: 0, grpcPort: 0, rate: 4, webhookUrl: `http://127.0.0.1:${webhookPort}/hook`, webhookSecret, webhookSecretEnv, sseRetryMs: 500 };
    let demo = await startDemo(demoOptions);
    const portOf = (url: string | undefined): number => Number(new URL(url ?? 'x:').port);
    Object.assign(demoOptions, { port: portOf(demo.urls.sse), mqttPort: portOf(demo.urls.mqtt), grpcPort: portOf(demo.urls.grpc) });
    let demoRunning = true;
    cleanups.push(async () => { if (demoRunning) await demo.close(); });

    launch.prepareDirs({
      extensionsDir, userDataDir, workspaceDir,
      profiles: opts.profiles ? opts.profiles(demo.urls, webhookPort) : demoProfiles(demo.urls, { webhookSecret: `\${env:${webhookSecretEnv}}` }),
      settings: { ...launch.quietSettings(opts.theme ?? 'Default Dark Modern'), ...(opts.settings ?? {}) },
      keybindings: [{ key: REVEAL_STATE_KEY, command: 'wirescope.test.revealState' }],
    });
    const server = await launch.startCodeServer({
      installed, port: await launch.freePort(), extensionsDir, userDataDir, workspaceDir, logFile: codeServerLog,
      env: { WIRESCOPE_TEST_STATE_FILE: stateFile, [webhookSecretEnv]: webhookSecret, WIRESCOPE_DEMO_URL: demo.urls.index },
    });
    cleanups.push(() => server.stop());

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: 60_000,
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(20_000);
    await page.goto(server.url, { timeout: 60_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The workbench is usable for us once the extension's contributions are in: its activity-bar entry shows.
    await page.locator('.activitybar [aria-label^="Wirescope"]').first().waitFor({ state: 'visible', timeout: 60_000 });

    const paletteOnce = async (command: string, ...answers: string[]) => {
      const input = page.locator('.quick-input-widget input');
      // The palette sometimes misses the first key while the workbench is still settling, and a webview that
      // just opened takes the focus once it has loaded, which closes a palette opened a moment before: retry
      // opening and typing (bounded) until the command's row is on screen; nothing is run before that.
      await waitUntil('the command palette to offer the command', async () => {
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        const open = await input.isVisible({ timeout: 2000 }).catch(() => false) || (await input.waitFor({ state: 'visible', timeout: 2000 }).then(() => true, () => false));
        if (!open) return false;
        const typed = await input.fill(`>${command}`, { timeout: 3000 }).then(() => true, () => false);
        return typed && (await commandRow(page, command).waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false));
      }, 40_000, 200);
      await clickRow(page, command);
      for (const answer of answers) {
        await quickPick(page, answer);
      }
    };
    // A pick answered a moment after another webview closed or loaded can lose the focus and close before it
    // takes the answer: run the command again from the start (at most three times); nothing has been chosen
    // yet when that happens, since a closed pick takes no answer.
    const palette = async (command: string, ...answers: string[]) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await paletteOnce(command, ...answers);
          return;
        } catch (e) {
          const closed = answers.length > 0 && !(await page.locator('.quick-input-widget input').isVisible().catch(() => false));
          if (!closed || attempt >= 3) throw e;
        }
      }
    };

    const revealState = async (): Promise<RevealedState> => {
      const before = existsSync(stateFile) ? statSync(stateFile).mtimeMs : 0;
      return waitUntil('the revealed state file', async () => {
        await page.locator('.monaco-workbench').focus().catch(() => undefined);
        await page.keyboard.press('Control+Alt+Shift+F9');
        const ok = await waitUntil('state file update', () => existsSync(stateFile) && statSync(stateFile).mtimeMs > before, 3000, 50).then(() => true, () => false);
        if (!ok) return undefined;
        return JSON.parse(readFileSync(stateFile, 'utf8')) as RevealedState;
      }, 20_000, 100);
    };

    const webviewFrame = async (selector: string, timeoutMs = 20_000) =>
      waitUntil(`a webview with ${selector}`, async () => {
        for (const f of page.frames()) {
          if (f === page.mainFrame()) continue;
          if (await f.locator(selector).count().catch(() => 0)) return f;
        }
        return undefined;
      }, timeoutMs, 200);

    const wb: Workbench = {
      page, browser, workspaceDir, userDataDir, profilesFile, codeServerLog,
      get demo() { return demo; },
      palette,
      revealState,
      webviewFrame,
      inspector: (timeoutMs) => webviewFrame('body[data-view="sidebar"] #app', timeoutMs),
      panel: (name, timeoutMs = 20_000) =>
        waitUntil(`the editor inspector of "${name}"`, async () => {
          for (const f of page.frames()) {
            if (f === page.mainFrame()) continue;
            if (!(await f.locator('body[data-view="panel"] #app').count().catch(() => 0))) continue;
            if ((await f.locator('#session-name').textContent().catch(() => null))?.trim() === name) return f;
          }
          return undefined;
        }, timeoutMs, 200),
      stopDemo: async () => { if (demoRunning) { demoRunning = false; await demo.close(); } },
      restartDemo: async () => {
        if (demoRunning) { demoRunning = false; await demo.close(); }
        // The old listener's port can linger for a moment after close; retry the bind briefly.
        demo = await waitUntil('the demo backend to listen again', () => startDemo(demoOptions), 10_000, 200);
        demoRunning = true;
      },
      screenshot: async (name, clip) => {
        const p = join(resultsDir, `${name}.png`);
        await page.screenshot(clip ? { path: p, clip } : { path: p });
        return p;
      },
      extensionLog: () => extensionLogOf(userDataDir),
      close,
    };
    return wb;
  } catch (e) {
    await close();
    throw e;
  }
}

/** Answer an open quick pick: type the text, then click the row whose label is exactly that text. */
export async function quickPick(page: Page, answer: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(answer, { timeout: 8_000 });
  await clickRow(page, answer);
}

/** Click the quick-input row labelled exactly `label` (rows filter asynchronously, and the first is not always it). */
function commandRow(page: Page, label: string) {
  const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
}

async function clickRow(page: Page, label: string): Promise<void> {
  const row = commandRow(page, label);
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
}

/** Accept what an open input box or file dialog proposes (e.g. the export's default file name). */
export async function acceptProposed(page: Page, title?: RegExp): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // With a title, wait for that dialog: an earlier quick input (the palette) can still be on screen.
  if (title) await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  // Keyboard focus may still be in the webview that opened the dialog, and a click that lands while the
  // dialog is still laying out is lost: press its own OK (or Enter in its input) until it closes.
  const ok = page.locator('.quick-input-widget .monaco-button', { hasText: /^OK$/ }).first();
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await ok.isVisible().catch(() => false)) await ok.click().catch(() => undefined);
    else await input.press('Enter').catch(() => undefined);
    const closed = await input.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false);
    if (closed) return;
  }
  throw new Error('the save dialog did not accept the proposed file');
}
