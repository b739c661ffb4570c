// The pattern-race report in headless Chromium: the real bundle and the real HTML (nonce, CSP) from a
// loopback server on port 0, fed a real race (node:http + ws backend) whose session names are hostile.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { runRace } from '../../src/core/compare/race';
import { renderCompareHtml } from '../../src/host/compare/compareHtml';
import type { RaceResult } from '../../src/shared/compare';
import { startRaceBackend } from '../helpers/raceBackend';
import { buildBundle, postToPage } from './harness';

const dist = join(import.meta.dirname, '..', '..', 'dist', 'webview');
const HOSTILE = '<img src=x onerror="window.__pwned=1">\u202Egnp.exe';

let server: Server;
let browser: Browser;
let origin = '';
let result: RaceResult;

describe('pattern race report in Chromium', () => {
  before(async () => {
    buildBundle();
    const backend = await startRaceBackend({ rate: 10, sseDelayMs: 50 });
    try {
      result = await runRace({
        entries: [
          { name: 'WebSocket', options: { pattern: 'ws', url: backend.wsUrl } },
          { name: HOSTILE, options: { pattern: 'sse', url: `${backend.url}/sse` } },
          // One poll a second of a 10/s latest-value feed: it misses most events by design.
          { name: 'poll', options: { pattern: 'poll', url: `${backend.url}/poll`, poll: { intervalMs: 1000 } } },
        ],
        durationMs: 4000,
        idField: '$.seq',
        timestampField: '$.at',
      });
    } finally {
      await backend.close();
    }
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (url.pathname === '/compare.js') return send('text/javascript', readFileSync(join(dist, 'compare.js')));
      if (url.pathname === '/compare.css') return send('text/css', readFileSync(join(dist, 'compare.css')));
      if (url.pathname === '/') return send('text/html; charset=utf-8', renderCompareHtml({ cspSource: origin, scriptUri: `${origin}/compare.js`, styleUri: `${origin}/compare.css`, nonce: randomBytes(16).toString('base64') }));
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: process.env.WIRESCOPE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  test('renders the table and charts as text, posts exports and inspector requests, under the CSP', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
    const page = await context.newPage();
    const csp: string[] = [];
    const errors: string[] = [];
    await page.exposeFunction('__reportCsp', (s: string) => csp.push(s));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) => window.__reportCsp(e.violatedDirective + ' ' + e.blockedURI));
        window.__posted = [];
        window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))), getState: () => undefined, setState: () => {} });`,
    });
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'));
      await postToPage(page, { type: 'result', result, machine: '2 cores, test', inspectable: ['WebSocket', HOSTILE] });
      await page.waitForSelector('table.race:not(.wire) tbody tr');

      const rows = await page.locator('table.race:not(.wire) tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-session')));
      assert.deepEqual(rows, ['WebSocket', HOSTILE, 'poll']);
      // The hostile name is text: no element was made from it, nothing ran.
      assert.equal(await page.locator('img').count(), 0);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      const firstCell = await page.locator(`table.race:not(.wire) tbody tr:nth-child(2) td`).first().textContent();
      assert.ok(firstCell?.includes('<img src=x'), firstCell ?? '');
      assert.ok(!firstCell?.includes('\u202E'), 'the bidi override is shown as an escape, not applied');

      // Numbers come from the result.
      const headers = await page.locator('table.race:not(.wire) thead tr:nth-child(2) th').allTextContents();
      const ws = result.sessions[0];
      const cells = await page.locator('table.race:not(.wire) tbody tr:nth-child(1) td').allTextContents();
      assert.equal(cells[headers.indexOf('unique')], String(ws.unique));
      assert.equal(cells[headers.indexOf('p50')], ws.latencyMs!.p50.toFixed(1));
      // Charts: a CDF line per session with latencies, bars per session, a timeline row per session.
      const withLatency = result.sessions.filter((s) => s.latencyMs).length;
      assert.equal(await page.locator('#latency-cdf path[data-session]').count(), withLatency);
      assert.equal(await page.locator('#bytes-per-message rect[data-session]').count(), result.sessions.filter((s) => s.bytesPerMessage !== null).length);
      assert.equal(await page.locator('#timeline g.arrivals').count(), 3);
      assert.equal(await page.locator('#timeline g.arrivals').nth(0).locator('line').count(), result.arrivals[0].length);
      // The short poll misses events, and they are marked.
      const pollMissed = result.sessions[2].missed;
      assert.ok(pollMissed > 0, JSON.stringify(result.sessions[2]));
      assert.equal(await page.locator('#timeline .missed-marks').nth(2).locator('circle').count(), pollMissed);

      await page.locator('button[data-export="csv"]').click();
      await page.locator('table.race:not(.wire) tbody tr:nth-child(2) button').click();
      await page.locator('table.race:not(.wire) tbody tr:nth-child(3) button').click({ force: true }).catch(() => undefined);
      const posted = await page.evaluate(() => (window as unknown as { __posted: Array<Record<string, unknown>> }).__posted);
      assert.deepEqual(posted.filter((m) => m.type !== 'ready'), [{ type: 'export', format: 'csv' }, { type: 'openInspector', name: HOSTILE }]);
      assert.deepEqual(csp, [], 'CSP violations');
      assert.deepEqual(errors, [], 'console errors');
    } finally {
      await context.close();
    }
  });
});
