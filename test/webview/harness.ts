// Headless-Chromium harness for the inspector: builds the bundle, serves the real HTML (real nonce,
// real CSP) from a loopback server on port 0, injects the fake host, and records CSP violations
// and console errors.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { WireEvent } from '../../src/shared/events';
import type { SessionInfo } from '../../src/shared/protocol';
import { renderInspectorHtml } from '../../src/host/webviewHtml';

const root = join(import.meta.dirname, '..', '..');
export type Theme = 'dark' | 'light' | 'high-contrast';

let built = false;
/** Build dist/webview once per test process. */
export function buildBundle(): void {
  if (built) return;
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr || r.stdout}`);
  built = true;
}

// The variables VS Code sets on a webview's <html> for each theme kind (a representative subset).
const THEMES: Record<Theme, Record<string, string>> = {
  dark: {
    foreground: '#cccccc', descriptionForeground: '#9d9d9d', errorForeground: '#f85149', focusBorder: '#0078d4',
    'editor-background': '#1f1f1f', 'sideBar-background': '#181818', 'panel-border': '#2b2b2b', 'widget-border': '#313131',
    'editorWidget-background': '#202020', 'editorWidget-foreground': '#cccccc', 'textCodeBlock-background': '#2b2b2b',
    'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c', 'button-border': '#ffffff12',
    'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c', 'input-placeholderForeground': '#989898',
    'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'dropdown-listBackground': '#1f1f1f',
    'checkbox-background': '#313131', 'checkbox-foreground': '#cccccc', 'checkbox-border': '#3c3c3c',
    'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
    'panelTitle-activeForeground': '#cccccc', 'panelTitle-inactiveForeground': '#9d9d9d', 'panelTitle-activeBorder': '#0078d4',
    'list-hoverBackground': '#2a2d2e', 'list-activeSelectionBackground': '#04395e', 'list-activeSelectionForeground': '#ffffff',
    'list-inactiveSelectionBackground': '#37373d', 'list-focusOutline': '#0078d4',
    'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100', 'inputValidation-warningBackground': '#352a05',
    'inputValidation-warningBorder': '#b89500', 'inputValidation-infoBackground': '#063b49', 'inputValidation-infoBorder': '#007acc',
    'editorWarning-foreground': '#cca700', 'testing-iconPassed': '#73c991', 'testing-iconFailed': '#f14c4c',
    'charts-blue': '#3794ff', 'charts-green': '#89d185', 'charts-orange': '#d18616', 'charts-purple': '#b180d7', 'charts-yellow': '#cca700', 'charts-red': '#f14c4c',
    'diffEditor-insertedLineBackground': '#9bb95533', 'editor-findMatchHighlightBackground': '#ea5c0055', 'sash-hoverBorder': '#0078d4',
    'menu-background': '#1f1f1f', 'menu-foreground': '#cccccc', 'menu-selectionBackground': '#0078d4', 'menu-selectionForeground': '#ffffff', 'menu-border': '#454545', 'widget-shadow': '#0000005c',
    'editorGroupHeader-tabsBackground': '#181818', 'scrollbarSlider-background': '#79797966', 'progressBar-background': '#0078d4',
  },
  light: {
    foreground: '#3b3b3b', descriptionForeground: '#3b3b3b', errorForeground: '#f85149', focusBorder: '#005fb8',
    'editor-background': '#ffffff', 'sideBar-background': '#f8f8f8', 'panel-border': '#e5e5e5', 'widget-border': '#e5e5e5',
    'editorWidget-background': '#f8f8f8', 'editorWidget-foreground': '#3b3b3b', 'textCodeBlock-background': '#f0f0f0',
    'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc', 'button-border': '#0000001a',
    'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece', 'input-placeholderForeground': '#767676',
    'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece', 'dropdown-listBackground': '#ffffff',
    'checkbox-background': '#f8f8f8', 'checkbox-foreground': '#3b3b3b', 'checkbox-border': '#cecece',
    'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b',
    'panelTitle-activeForeground': '#3b3b3b', 'panelTitle-inactiveForeground': '#3b3b3b', 'panelTitle-activeBorder': '#005fb8',
    'list-hoverBackground': '#f2f2f2', 'list-activeSelectionBackground': '#e8e8e8', 'list-activeSelectionForeground': '#000000',
    'list-inactiveSelectionBackground': '#e4e6f1', 'list-focusOutline': '#005fb8',
    'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100', 'inputValidation-warningBackground': '#f6f5d2',
    'inputValidation-warningBorder': '#b89500', 'inputValidation-infoBackground': '#d6ecf2', 'inputValidation-infoBorder': '#007acc',
    'editorWarning-foreground': '#bf8803', 'testing-iconPassed': '#388a34', 'testing-iconFailed': '#e51400',
    'charts-blue': '#1a85ff', 'charts-green': '#388a34', 'charts-orange': '#d18616', 'charts-purple': '#652d90', 'charts-yellow': '#bf8803', 'charts-red': '#e51400',
    'diffEditor-insertedLineBackground': '#9ccc2c40', 'editor-findMatchHighlightBackground': '#ea5c0055', 'sash-hoverBorder': '#005fb8',
    'menu-background': '#ffffff', 'menu-foreground': '#3b3b3b', 'menu-selectionBackground': '#005fb8', 'menu-selectionForeground': '#ffffff', 'menu-border': '#cecece', 'widget-shadow': '#00000029',
    'editorGroupHeader-tabsBackground': '#f8f8f8', 'scrollbarSlider-background': '#64646466', 'progressBar-background': '#005fb8',
  },
  'high-contrast': {
    foreground: '#ffffff', descriptionForeground: '#ffffff', errorForeground: '#f48771', focusBorder: '#f38518',
    contrastBorder: '#6fc3df', contrastActiveBorder: '#f38518',
    'editor-background': '#000000', 'sideBar-background': '#000000', 'panel-border': '#6fc3df', 'widget-border': '#6fc3df',
    'editorWidget-background': '#0c141f', 'editorWidget-foreground': '#ffffff', 'textCodeBlock-background': '#000000',
    'button-background': '#000000', 'button-foreground': '#ffffff', 'button-hoverBackground': '#000000', 'button-border': '#6fc3df',
    'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff', 'button-secondaryHoverBackground': '#000000',
    'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df', 'input-placeholderForeground': '#ffffffb3',
    'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff', 'dropdown-border': '#6fc3df', 'dropdown-listBackground': '#000000',
    'checkbox-background': '#000000', 'checkbox-foreground': '#ffffff', 'checkbox-border': '#6fc3df',
    'badge-background': '#000000', 'badge-foreground': '#ffffff',
    'panelTitle-activeForeground': '#ffffff', 'panelTitle-inactiveForeground': '#ffffff', 'panelTitle-activeBorder': '#6fc3df',
    'list-hoverBackground': '#000000', 'list-activeSelectionBackground': '#000000', 'list-activeSelectionForeground': '#ffffff',
    'list-inactiveSelectionBackground': '#000000', 'list-focusOutline': '#f38518',
    'inputValidation-errorBackground': '#000000', 'inputValidation-errorBorder': '#f48771', 'inputValidation-warningBackground': '#000000',
    'inputValidation-warningBorder': '#cca700', 'inputValidation-infoBackground': '#000000', 'inputValidation-infoBorder': '#6fc3df',
    'editorWarning-foreground': '#ffd370', 'testing-iconPassed': '#73c991', 'testing-iconFailed': '#f14c4c',
    'charts-blue': '#3794ff', 'charts-green': '#89d185', 'charts-orange': '#d18616', 'charts-purple': '#b180d7', 'charts-yellow': '#ffd370', 'charts-red': '#f14c4c',
    'editor-findMatchHighlightBorder': '#f38518', 'sash-hoverBorder': '#f38518',
    'menu-background': '#000000', 'menu-foreground': '#ffffff', 'menu-border': '#6fc3df', 'menu-selectionBorder': '#f38518',
    'editorGroupHeader-tabsBackground': '#000000', 'scrollbarSlider-background': '#6fc3df66', 'progressBar-background': '#6fc3df',
  },
};

function themeCss(theme: Theme): string {
  const vars = Object.entries(THEMES[theme]).map(([k, v]) => `  --vscode-${k}: ${v};`);
  vars.push(
    "  --vscode-font-family: 'DejaVu Sans', sans-serif;",
    '  --vscode-font-size: 13px;',
    "  --vscode-editor-font-family: 'DejaVu Sans Mono', monospace;",
    '  --vscode-editor-font-size: 12px;',
  );
  return `html {\n${vars.join('\n')}\n}\n`;
}

export interface HarnessConfig {
  sessions: SessionInfo[];
  events?: Record<string, WireEvent[]>;
  selected?: string;
  sendFails?: string;
  /** Sessions whose rows are generated from their index (count of rows now). */
  synthetic?: Record<string, number>;
  /** Run no requestAnimationFrame callbacks, as in a hidden or throttled page. */
  noAnimationFrames?: boolean;
  /** Answer the first n requests of a method with an error, as a busy or reloaded host may. */
  failFirst?: Record<string, number>;
}

export interface OpenOptions {
  theme?: Theme;
  view?: 'sidebar' | 'panel';
  sessionId?: string;
  width?: number;
  height?: number;
}

/** A page with the inspector loaded against the fake host, plus what went wrong in it. */
export interface InspectorPage {
  page: Page;
  cspViolations: string[];
  consoleErrors: string[];
  close(): Promise<void>;
}

/** Loopback server plus one Chromium; open pages with {@link Harness.open}. */
export class Harness {
  private constructor(
    private readonly server: Server,
    private readonly browser: Browser,
    readonly origin: string,
  ) {}

  static async start(): Promise<Harness> {
    buildBundle();
    const dist = join(root, 'dist', 'webview');
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (url.pathname === '/inspector.js') return send('text/javascript', readFileSync(join(dist, 'inspector.js')));
      if (url.pathname === '/inspector.css') return send('text/css', readFileSync(join(dist, 'inspector.css')));
      if (url.pathname === '/codicon.ttf') return send('font/ttf', readFileSync(join(dist, 'codicon.ttf')));
      const theme = (url.searchParams.get('theme') ?? 'dark') as Theme;
      if (url.pathname === '/theme.css') return send('text/css', themeCss(theme in THEMES ? theme : 'dark'));
      if (url.pathname === '/') {
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const nonce = randomBytes(16).toString('base64');
        let html = renderInspectorHtml({
          cspSource: origin,
          scriptUri: `${origin}/inspector.js`,
          styleUri: `${origin}/inspector.css`,
          nonce,
          view: url.searchParams.get('view') === 'panel' ? 'panel' : 'sidebar',
          sessionId: url.searchParams.get('session') ?? undefined,
        });
        // VS Code puts theme variables and a theme class on the webview document; do the same.
        const cls = theme === 'high-contrast' ? 'vscode-high-contrast' : `vscode-${theme}`;
        html = html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css?theme=${theme}">\n</head>`).replace('<body ', `<body class="${cls}" data-vscode-theme-kind="${cls}" `);
        return send('text/html; charset=utf-8', html);
      }
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      // Debian's chromium (CI installs it); never a downloaded browser.
      executablePath: process.env.WIRESCOPE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    return new Harness(server, browser, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** Open the inspector in a fresh context with the fake host configured. */
  async open(config: HarnessConfig, o: OpenOptions = {}): Promise<InspectorPage> {
    return this.openWith(
      [`window.__HARNESS_CONFIG = ${JSON.stringify(config)};`, readFileSync(join(import.meta.dirname, 'fakeHost.js'), 'utf8')],
      o,
    );
  }

  /**
   * Open the inspector wired to a host running in this Node process: what the page posts goes to
   * `toHost`; use {@link postToPage} for the other direction. This is how the real
   * InspectorEndpoint is tested end to end without VS Code. `onPage` gets the page before it loads.
   */
  async openBridged(toHost: (message: unknown) => void, onPage: (page: Page) => void, o: OpenOptions = {}): Promise<InspectorPage> {
    return this.openWith(
      [
        `window.acquireVsCodeApi = () => ({
          postMessage: (m) => window.__toHost(JSON.parse(JSON.stringify(m))),
          getState: () => { const s = sessionStorage.getItem('wirescope-harness-state'); return s ? JSON.parse(s) : undefined; },
          setState: (s) => sessionStorage.setItem('wirescope-harness-state', JSON.stringify(s)),
        });`,
      ],
      o,
      async (page) => {
        // The page asks Ready while it loads, so the host needs the page before navigation ends.
        onPage(page);
        await page.exposeFunction('__toHost', (m: unknown) => toHost(m));
      },
    );
  }

  private async openWith(initScripts: string[], o: OpenOptions, prepare?: (page: Page) => Promise<void>): Promise<InspectorPage> {
    const context = await this.browser.newContext({ viewport: { width: o.width ?? 900, height: o.height ?? 760 } });
    const page = await context.newPage();
    const cspViolations: string[] = [];
    const consoleErrors: string[] = [];
    await page.exposeFunction('__reportCsp', (s: string) => cspViolations.push(s));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await prepare?.(page);
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) => window.__reportCsp(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '') + ' @' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));\n`,
    });
    for (const content of initScripts) await page.addInitScript({ content });
    const q = new URLSearchParams({ theme: o.theme ?? 'dark', view: o.view ?? 'sidebar' });
    if (o.sessionId) q.set('session', o.sessionId);
    await page.goto(`${this.origin}/?${q}`);
    return { page, cspViolations, consoleErrors, close: () => context.close() };
  }

  async stop(): Promise<void> {
    await this.browser.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Deliver a host message to the page the way VS Code does (a window message event). */
export async function postToPage(page: Page, message: unknown): Promise<boolean> {
  try {
    await page.evaluate((m) => window.postMessage(m, '*'), message);
    return true;
  } catch {
    return false; // the page is gone, like a disposed webview
  }
}

// ---------- event builders ----------
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
let clockSeq = 0;
/** Stamp seq/t/ts onto a list of event bodies, starting at seq 1. */
export function stamp(bodies: Array<Record<string, unknown>>): WireEvent[] {
  clockSeq = 0;
  return bodies.map((b) => {
    clockSeq++;
    return { seq: clockSeq, t: clockSeq * 10.5, ts: T0 + clockSeq * 10, ...b } as unknown as WireEvent;
  });
}

/** A frame body. */
export function frame(dir: 'in' | 'out', data: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'frame', dir, size: Buffer.byteLength(data), encoding: 'utf8', data, ...extra };
}

/** A session description for the fake host. */
export function session(id: string, extra: Partial<SessionInfo> = {}): SessionInfo {
  return { id, name: `Session ${id}`, pattern: 'ws', url: 'ws://127.0.0.1:9/feed', state: 'open', startedAt: T0, ended: false, canSend: true, canPing: true, canReconnect: true, ...extra };
}

/**
 * Picks an option of a toolkit dropdown as a user does: a click opens it and a click on the option picks it. The option
 * gets its click as a DOM event rather than at screen coordinates, because the toolkit positions and scrolls its listbox
 * after it opens and, on a loaded machine, a click aimed at the option's old place lands on its neighbour. The pick is
 * done when the dropdown holds the value; a dropdown that never takes it fails here, with its id and value.
 */
export async function pickOption(page: Page, dropdownId: string, value: string): Promise<void> {
  const sel = `#${dropdownId}`;
  await page.click(sel);
  await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('aria-expanded') === 'true', sel, { timeout: 5000 });
  await page.locator(`${sel} [role="option"][value="${value}"]`).dispatchEvent('click');
  await page
    .waitForFunction(([s, v]) => (document.querySelector(s) as HTMLElement & { value?: string } | null)?.value === v, [sel, value] as const, { timeout: 5000 })
    .catch(async () => {
      const now = await page.evaluate((s) => (document.querySelector(s) as HTMLElement & { value?: string } | null)?.value, sel);
      throw new Error(`dropdown ${dropdownId} holds ${JSON.stringify(now)} after picking ${JSON.stringify(value)}`);
    });
}

/**
 * The value of an input (or textarea) once it shows `expected`, or what it shows after `timeoutMs`: a toolkit
 * field renders a value set from code on its next update, so a read right after a pick can see the old one.
 * The caller still asserts equality, so a wrong value fails with the value seen.
 */
export async function settledValue(locator: Locator, expected: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await locator.inputValue();
    if (now === expected || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Wait for a selector to be visible; on timeout, fail with what the page shows instead (the
 * session header's state, the page's text, console errors), so a failure in CI says why.
 */
export async function waitForShown(p: InspectorPage, selector: string, timeoutMs = 30_000): Promise<void> {
  try {
    await p.page.waitForSelector(selector, { timeout: timeoutMs });
  } catch (err) {
    const seen = await p.page
      .evaluate((sel) => {
        const state = document.querySelector('#session-state');
        return {
          matching: document.querySelectorAll(sel).length,
          state: state ? { text: state.textContent, tone: (state as HTMLElement).dataset.tone, hidden: !(state as HTMLElement).offsetParent } : null,
          text: document.body.innerText.replace(/\s+/g, ' ').slice(0, 400),
        };
      }, selector)
      .catch((e: unknown) => `page not readable: ${e instanceof Error ? e.message : String(e)}`);
    throw new Error(`${selector} not shown within ${timeoutMs} ms (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); the page shows ${JSON.stringify(seen)}; console errors: ${JSON.stringify(p.consoleErrors)}`, { cause: err });
  }
}
