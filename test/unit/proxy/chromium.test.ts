/**
 * Chromium (Debian's, through playwright-core) loads a page through the capture proxy and uses a
 * WebSocket and an EventSource to a real backend (the `ws` library's server and node:http).
 * The browser's own clients work unchanged, and every frame both ways is in the proxy's log.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { frames, startProxy, until, type ProxyUnderTest } from '../../helpers/captureProxy';
import { listen } from '../../helpers/servers';

const PAGE = `<!doctype html><meta charset="utf-8"><title>proxy test</title><script>
window.results = { ws: [], sse: [], sseOpenWhileFirst: null };
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.binaryType = 'arraybuffer';
ws.onopen = () => { ws.send('from-browser-1'); ws.send(new Uint8Array([9, 8, 7, 0, 255]).buffer); ws.send('from-browser-2'); };
ws.onmessage = (m) => {
  window.results.ws.push(typeof m.data === 'string' ? m.data : 'bin:' + Array.from(new Uint8Array(m.data)).join(','));
  if (window.results.ws.length === 3) ws.close(1000, 'browser done');
};
ws.onclose = (e) => { window.results.wsClose = e.code; };
const es = new EventSource('/sse');
es.addEventListener('tick', (e) => {
  window.results.sse.push(e.data + '#' + e.lastEventId);
  if (window.results.sseOpenWhileFirst === null) window.results.sseOpenWhileFirst = es.readyState === EventSource.OPEN;
  if (window.results.sse.length === 3) es.close();
});
</script>`;

describe('capture proxy: Chromium WebSocket and EventSource', () => {
  let backend: http.Server;
  let wss: WebSocketServer;
  let proxy: ProxyUnderTest;
  let browser: Browser;
  let releaseThird: (() => void) | undefined;

  before(async () => {
    backend = http.createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
        return;
      }
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('id: 1\nevent: tick\ndata: one\n\n');
        setTimeout(() => res.write('id: 2\nevent: tick\ndata: two\n\n'), 50);
        releaseThird = () => res.write('id: 3\nevent: tick\ndata: three\n\n');
        return;
      }
      res.writeHead(404).end();
    });
    wss = new WebSocketServer({ server: backend });
    wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })));
    const port = await listen(backend);
    proxy = await startProxy(`http://127.0.0.1:${port}`);
    browser = await chromium.launch({
      executablePath: process.env.WIRESCOPE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    for (const c of wss?.clients ?? []) c.terminate();
    wss?.close();
    backend?.closeAllConnections();
    backend?.close();
  });

  it('the browser WebSocket and EventSource work through the proxy and every frame is logged', async () => {
    const page = await browser.newPage();
    await page.goto(`${proxy.url}/`);
    // The first two SSE events arrive while the stream is open (the backend has not sent the third).
    await page.waitForFunction(() => (window as unknown as { results: { sse: string[] } }).results.sse.length >= 2, undefined, { timeout: 15_000 });
    releaseThird?.();
    await page.waitForFunction(() => {
      const r = (window as unknown as { results: { ws: string[]; sse: string[]; wsClose?: number } }).results;
      return r.sse.length === 3 && r.wsClose !== undefined;
    }, undefined, { timeout: 15_000 });
    const results = (await page.evaluate(() => (window as unknown as { results: unknown }).results)) as { ws: string[]; sse: string[]; wsClose: number; sseOpenWhileFirst: boolean };
    assert.deepEqual(results.ws, ['from-browser-1', 'bin:9,8,7,0,255', 'from-browser-2']);
    assert.deepEqual(results.sse, ['one#1', 'two#2', 'three#3']);
    assert.equal(results.sseOpenWhileFirst, true);
    assert.equal(results.wsClose, 1000);
    await page.close();

    await until(() => frames(proxy.events, (f) => f.meta?.opcode === 8).length === 2, 5000, 'close frames both ways');
    const wsData = frames(proxy.events, (f) => f.meta?.control !== true && f.meta?.stream === undefined && f.meta?.method === undefined && f.meta?.status === undefined);
    const out = wsData.filter((f) => f.dir === 'out');
    const inn = wsData.filter((f) => f.dir === 'in');
    assert.deepEqual(out.map((f) => (f.encoding === 'base64' ? 'bin:' + [...Buffer.from(f.data, 'base64')].join(',') : f.data)), ['from-browser-1', 'bin:9,8,7,0,255', 'from-browser-2']);
    assert.deepEqual(inn.map((f) => (f.encoding === 'base64' ? 'bin:' + [...Buffer.from(f.data, 'base64')].join(',') : f.data)), ['from-browser-1', 'bin:9,8,7,0,255', 'from-browser-2']);
    const sse = frames(proxy.events, (f) => f.channel === 'tick');
    assert.deepEqual(sse.map((f) => `${f.data}#${String(f.meta?.id)}`), ['one#1', 'two#2', 'three#3']);
    // Chromium negotiates permessage-deflate only when the server accepts it; ws's server does not by default.
    const sw = frames(proxy.events, (f) => f.meta?.status === 101)[0];
    assert.ok(sw, 'the 101 response is logged');
  });
});
