// Issue 17 in a real VS Code (code-server): "Start Capture Proxy…" in front of the demo backend, and
// clients Wirescope did not write (curl for SSE, the `ws` library for WebSocket) talking through the
// proxy URL from the test process. Every frame both ways is in the host's log (read through the
// inspector's NDJSON export) and in the inspector; the Sessions tree lists the live connections;
// "Cut this connection" in the detail pane ends curl's stream; stopping the proxy closes the rest.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { acceptProposed, launchWorkbench, waitUntil, type RevealedState, type Workbench } from './harness';

let wb: Workbench;

function scenario(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      await wb?.screenshot(`fail-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
      throw e;
    }
  });
}

interface ProxyConn { id: string; client: string; kind: string; label: string; bytes: { out: number; in: number }; fault?: string }
type ProxySession = RevealedState['sessions'][number] & { proxy?: { url: string | null; connections: ProxyConn[] } };
interface LoggedEvent {
  kind: string;
  dir?: 'in' | 'out';
  data?: string;
  encoding?: string;
  channel?: string;
  code?: string;
  meta?: Record<string, unknown>;
}

interface HarDoc {
  log: {
    entries: Array<{
      request: { url: string };
      _webSocketMessages?: Array<{ type: 'send' | 'receive'; opcode: number; data: string }>;
      _eventSourceMessages?: Array<{ eventName: string; eventId: string; data: string }>;
    }>;
  };
}

/** curl -N: an SSE client Wirescope did not write; the events it printed, by id, as they came. */
class CurlSse {
  readonly proc: ChildProcess;
  out = '';
  exit: { code: number | null; signal: string | null } | undefined;
  constructor(url: string) {
    this.proc = spawn('curl', ['-sSN', '--noproxy', '*', '--max-time', '300', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (s: string) => { this.out += s; });
    this.proc.stderr!.resume();
    this.proc.on('exit', (code, signal) => { this.exit = { code, signal }; });
  }
  /** Complete events (ended by their blank line): id and data. */
  events(): Array<{ id: string; data: string }> {
    const blocks = this.out.replace(/\r\n/g, '\n').split('\n\n');
    blocks.pop(); // not ended yet
    const evs: Array<{ id: string; data: string }> = [];
    for (const b of blocks) {
      const id = /^id: ?(.*)$/m.exec(b)?.[1];
      const data = /^data: ?(.*)$/m.exec(b)?.[1];
      if (id !== undefined && data !== undefined) evs.push({ id, data });
    }
    return evs;
  }
}

describe('capture proxy in VS Code (issue 17)', { timeout: 600_000 }, () => {
  let curl: CurlSse | undefined;
  let ws: WebSocket | undefined;
  const token = `e2e-proxy-${process.pid}-${Date.now()}`;
  const sent: string[] = [];
  const received: string[] = [];
  let pongs = 0;
  let wsClosed: { code: number; reason: string } | undefined;
  let proxyName = '';
  let proxyUrl = '';
  let events: LoggedEvent[] = [];
  let sseConn = '';

  const proxySession = async (): Promise<ProxySession | undefined> =>
    (await wb.revealState()).sessions.filter((s) => s.pattern === 'proxy').pop() as ProxySession | undefined;

  before(async () => {
    wb = await launchWorkbench({ name: 'capture-proxy' });
  });
  after(async () => {
    curl?.proc.kill();
    ws?.terminate();
    await wb?.close();
  });

  scenario('Start Capture Proxy… with a profile\'s origin listens on loopback and says its URL', async () => {
    await wb.palette('Wirescope: Start Capture Proxy…', 'SSE feed');
    const s = await waitUntil('a running capture proxy in the host', async () => {
      const p = await proxySession();
      return p && !p.ended && p.state === 'open' && p.proxy?.url ? p : undefined;
    }, 30_000, 300);
    proxyName = s.name;
    proxyUrl = s.proxy!.url!.replace(/\/$/, '');
    const demo = new URL(wb.demo.urls.index);
    assert.equal(proxyName, `Capture proxy → ${demo.host}`);
    assert.match(proxyUrl, /^http:\/\/127\.0\.0\.1:\d+$/, 'it listens on loopback');
    assert.notEqual(new URL(proxyUrl).port, demo.port, 'on its own port, not the backend\'s');
    // The notification names the URL and offers to copy it.
    const toast = wb.page.locator('.notification-toast', { hasText: s.proxy!.url! }).first();
    await toast.waitFor({ timeout: 20_000 });
    assert.match((await toast.textContent()) ?? '', /capture proxy for .* listening at http:\/\/127\.0\.0\.1:\d+/);
    await toast.locator('.monaco-button', { hasText: 'Copy URL' }).first().waitFor({ timeout: 5_000 });
    // Its inspector opens in the editor area.
    const panel = await wb.panel(proxyName, 30_000);
    assert.equal((await panel.locator('#session-state').textContent())?.trim(), 'open');
    await wb.screenshot('proxy-started');
  });

  scenario('curl -N (SSE) and a ws client (WebSocket) through the proxy: every frame both ways in the host log and the inspector', async () => {
    assert.ok(proxyUrl, 'the proxy started');
    curl = new CurlSse(`${proxyUrl}/sse`);
    ws = new WebSocket(`${proxyUrl.replace('http:', 'ws:')}/ws`, { perMessageDeflate: false });
    ws.on('message', (d: Buffer, isBinary: boolean) => { if (!isBinary) received.push(d.toString('utf8')); });
    ws.on('pong', () => { pongs++; });
    ws.on('close', (code: number, reason: Buffer) => { wsClosed = { code, reason: reason.toString() }; });
    ws.on('error', () => undefined);
    await once(ws, 'open');
    for (let i = 1; i <= 4; i++) {
      const m = `${token}-${i}`;
      sent.push(m);
      ws.send(m);
    }
    ws.ping(Buffer.from(`${token}-ping`));
    // Live through the proxy: the first SSE event arrives while the stream is open, the echoes come back.
    await waitUntil('4 SSE events at curl', () => curl!.events().length >= 4, 30_000, 100);
    assert.equal(curl.exit, undefined, 'the stream is still open');
    await waitUntil('the 4 echoes and the pong at the ws client', () => sent.every((m) => received.includes(m)) && pongs >= 1, 20_000, 100);
    await waitUntil('feed messages at the ws client', () => received.filter((m) => m.startsWith('{')).length >= 2, 20_000, 100);

    // The Sessions tree lists both live connections under the proxy.
    const p = await waitUntil('two live connections in the host', async () => {
      const s = await proxySession();
      return s?.proxy && s.proxy.connections.length === 2 ? s : undefined;
    }, 20_000, 300);
    const labels = p.proxy!.connections.map((c) => `${c.kind} ${c.label}`).sort();
    assert.deepEqual(labels, ['http GET /sse', 'websocket GET /ws']);
    await wb.page.locator('.activitybar [aria-label^="Wirescope"]').first().click();
    const sessionsPane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Sessions' }) });
    for (const c of p.proxy!.connections) {
      await sessionsPane.locator('.monaco-list-row', { hasText: `${c.id} · ${c.label}` }).first().waitFor({ timeout: 15_000 });
    }
    await wb.screenshot('proxy-sessions-tree');

    // The host's log, as the inspector exports it (NDJSON).
    const panel = await wb.panel(proxyName, 20_000);
    const curlSnapshot = curl.events();
    const receivedSnapshot = [...received];
    await panel.locator('#btn-export-ndjson').click();
    await acceptProposed(wb.page, /as NDJSON/);
    const ndjsonPath = await waitUntil('the NDJSON export', () => readdirSync(wb.workspaceDir).filter((f) => f.endsWith('.ndjson')).map((f) => join(wb.workspaceDir, f))[0], 20_000);
    events = await waitUntil('the NDJSON export to be written', () => {
      const text = readFileSync(ndjsonPath, 'utf8').trim();
      try { return text ? text.split('\n').map((l) => JSON.parse(l) as LoggedEvent) : undefined; } catch { return undefined; }
    }, 10_000);
    const frames = events.filter((e) => e.kind === 'frame');
    const connOf = (label: string) => p.proxy!.connections.find((c) => c.label === label)!.id;
    sseConn = connOf('GET /sse');
    const wsConn = connOf('GET /ws');
    // SSE: each event curl printed is an `in` frame of that connection with its id and data, in order.
    const sseBlocks = frames.filter((e) => e.meta?.conn === sseConn && e.dir === 'in' && e.meta?.control !== true);
    // The demo's first block is `retry: 500` alone (no event for a client): logged as such, with its retry.
    assert.equal(sseBlocks[0]?.meta?.retry, 500, 'the retry-only block is logged first');
    const sseIn = sseBlocks.filter((e) => e.meta?.id !== undefined);
    assert.equal(sseIn.length, sseBlocks.length - 1, 'every other block is an event with its id');
    const loggedSse = sseIn.map((e) => ({ id: String(e.meta?.id), data: e.data }));
    assert.ok(curlSnapshot.length >= 4);
    assert.deepEqual(loggedSse.slice(0, curlSnapshot.length), curlSnapshot, 'the log has every SSE event curl got, in order, unchanged');
    assert.ok(sseIn.every((e) => e.channel === 'tick'), 'SSE events keep their event type');
    // …and every event the log has reached curl (the proxy forwards before it records).
    await waitUntil('curl to have every logged SSE event', () => curl!.events().length >= loggedSse.length, 10_000, 100);
    assert.deepEqual(curl.events().slice(0, loggedSse.length), loggedSse);
    // WebSocket: out = what the client sent, in = what it received, both complete and in order.
    const wsData = (dir: 'in' | 'out') => frames.filter((e) => e.meta?.conn === wsConn && e.dir === dir && e.meta?.control !== true && e.meta?.upgrade === undefined && e.meta?.status === undefined).map((e) => e.data);
    assert.deepEqual(wsData('out'), sent, 'every client message is an out frame');
    const wsIn = wsData('in');
    assert.deepEqual(wsIn.slice(0, receivedSnapshot.length), receivedSnapshot, 'every message the client got is an in frame, in order');
    await waitUntil('the client to have every logged message', () => received.length >= wsIn.length, 10_000, 100);
    assert.deepEqual(received.slice(0, wsIn.length), wsIn);
    // Ping out, pong in: control frames with their opcodes.
    const ctl = frames.filter((e) => e.meta?.conn === wsConn && e.meta?.opcode !== undefined);
    assert.ok(ctl.some((e) => e.dir === 'out' && e.meta?.opcode === 9 && e.data === `${token}-ping`), 'the ping is logged out');
    assert.ok(ctl.some((e) => e.dir === 'in' && e.meta?.opcode === 10 && e.data === `${token}-ping`), 'its pong is logged in');
    // The handshake: upgrade request out, 101 in.
    assert.ok(frames.some((e) => e.meta?.conn === wsConn && e.dir === 'out' && e.meta?.upgrade === 'websocket'));
    assert.ok(frames.some((e) => e.meta?.conn === wsConn && e.dir === 'in' && e.meta?.status === 101));

    // The HAR export of the same log: the WebSocket exchange with its messages, the SSE stream with its events.
    await panel.locator('#btn-more').click();
    await panel.locator('#btn-export-har').click();
    await acceptProposed(wb.page, /as HAR/);
    const harPath = await waitUntil('the HAR export', () => readdirSync(wb.workspaceDir).filter((f) => f.endsWith('.har')).map((f) => join(wb.workspaceDir, f))[0], 20_000);
    const har = await waitUntil('the HAR export to parse', () => {
      try { return JSON.parse(readFileSync(harPath, 'utf8')) as HarDoc; } catch { return undefined; }
    }, 10_000);
    const wsEntry = har.log.entries.find((e) => e._webSocketMessages);
    assert.ok(wsEntry && new URL(wsEntry.request.url).pathname === '/ws', 'a HAR entry for the WebSocket with _webSocketMessages');
    assert.deepEqual(wsEntry._webSocketMessages!.filter((m) => m.type === 'send').map((m) => m.data), sent, 'every sent message, in order');
    assert.deepEqual(wsEntry._webSocketMessages!.filter((m) => m.type === 'receive').map((m) => m.data).slice(0, receivedSnapshot.length), receivedSnapshot, 'every received message, in order');
    const sseEntry = har.log.entries.find((e) => e._eventSourceMessages);
    assert.ok(sseEntry && new URL(sseEntry.request.url).pathname === '/sse', 'a HAR entry for the SSE stream with _eventSourceMessages');
    const harEvents = sseEntry._eventSourceMessages!.filter((m) => m.eventId !== '').map((m) => ({ id: m.eventId, data: m.data }));
    assert.deepEqual(harEvents.slice(0, curlSnapshot.length), curlSnapshot, 'every SSE event curl got, in order');
    assert.ok(sseEntry._eventSourceMessages!.every((m) => m.eventId === '' || m.eventName === 'tick'));

    // The inspector shows them: the echoes both ways (filtered by the run's token), and curl's SSE events.
    await panel.locator('#filter-text input').fill(token);
    await waitUntil('4 out and 4 in rows of the echoes', async () =>
      (await panel.locator('#frame-log .row.frame-out').filter({ hasText: token }).count()) === 5 // 4 messages + the ping
      && (await panel.locator('#frame-log .row.frame-in').filter({ hasText: token }).count()) === 5, 15_000, 200);
    for (const m of sent) {
      await panel.locator('#frame-log .row.frame-out', { hasText: m }).first().waitFor({ timeout: 5_000 });
      await panel.locator('#frame-log .row.frame-in', { hasText: m }).first().waitFor({ timeout: 5_000 });
    }
    await wb.screenshot('proxy-inspector-ws');
    for (const e of curlSnapshot) {
      const seq = /"seq":(\d+)/.exec(e.data)?.[1];
      assert.ok(seq, `an SSE event of the feed (${e.data})`);
      await panel.locator('#filter-text input').fill(`"seq":${seq},`);
      await panel.locator('#frame-log .row.frame-in', { hasText: `"seq":${seq},` }).filter({ has: panel.locator('.c-chan', { hasText: /^\s*tick\s*$/ }) }).first().waitFor({ timeout: 10_000 });
    }
  });

  scenario('Cut this connection in the detail pane ends curl\'s stream; the ws client stays up', async () => {
    assert.ok(curl && ws, 'the clients are connected');
    const panel = await wb.panel(proxyName, 20_000);
    const last = curl.events().at(-1)!;
    const seq = /"seq":(\d+)/.exec(last.data)![1];
    await panel.locator('#filter-text input').fill(`"seq":${seq},`);
    // The SSE event and the same feed event on the WebSocket both match; click the SSE one (the log reuses
    // its row elements while the filter settles: click again until the detail shows the SSE event).
    const row = panel.locator('#frame-log .row.frame-in', { hasText: `"seq":${seq},` }).filter({ has: panel.locator('.c-chan', { hasText: /^\s*tick\s*$/ }) }).first();
    await waitUntil('the detail of the SSE event', async () => {
      await row.click({ timeout: 3_000 });
      const detail = (await panel.locator('#detail').textContent()) ?? '';
      // Its facts table reads `channel` `tick` (text of adjacent cells); the payload has the event's seq.
      return /channel\s*tick/.test(detail) && detail.includes(seq);
    }, 15_000, 300);
    const cut = panel.locator('#detail-cut');
    await cut.waitFor({ timeout: 10_000 });
    await wb.screenshot('proxy-detail-cut');
    const before = received.length;
    await cut.click();
    await waitUntil('curl to see its connection end', () => curl!.exit, 15_000, 100);
    assert.notEqual(curl.exit!.code, 0, `curl reports the cut stream (${JSON.stringify(curl.exit)})`);
    // The host says so, and lists only the WebSocket connection now.
    const s = await waitUntil('one live connection left', async () => {
      const p = await proxySession();
      return p?.proxy && p.proxy.connections.length === 1 ? p : undefined;
    }, 15_000, 300);
    assert.equal(s.proxy!.connections[0].kind, 'websocket');
    assert.equal(s.ended, false, 'the proxy keeps running');
    // The WebSocket is untouched: a new message still echoes.
    const m = `${token}-after-cut`;
    sent.push(m);
    ws.send(m);
    await waitUntil('the echo after the cut', () => received.includes(m), 15_000, 100);
    assert.ok(received.length > before);
    assert.equal(wsClosed, undefined);
    // The inspector logs the fault on that connection.
    await panel.locator('#filter-text input').fill(`Fault injected on ${sseConn} `);
    await panel.locator('#frame-log .row', { hasText: 'cut' }).first().waitFor({ timeout: 10_000 });
  });

  scenario('stopping the proxy closes its connections: the ws client gets 1001, the port stops listening', async () => {
    assert.ok(ws, 'the ws client is connected');
    const panel = await wb.panel(proxyName, 20_000);
    await panel.locator('#filter-text input').fill('');
    await panel.locator('#btn-disconnect').click();
    await waitUntil('the ws client to be closed', () => wsClosed, 15_000, 100);
    assert.equal(wsClosed!.code, 1001);
    assert.equal(wsClosed!.reason, 'proxy stopped');
    const s = await waitUntil('the proxy session to end', async () => {
      const p = await proxySession();
      return p?.ended ? p : undefined;
    }, 15_000, 300);
    assert.deepEqual(s.proxy!.connections, []);
    // Nothing listens there any more.
    const refused = await fetch(`${proxyUrl}/items`).then(() => false, () => true);
    assert.ok(refused, 'a request to the old proxy URL is refused');
    const sessionsPane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Sessions' }) });
    await waitUntil('the connection rows to leave the tree', async () => (await sessionsPane.locator('.monaco-list-row', { hasText: 'GET /ws' }).count()) === 0, 15_000, 300);
    await wb.screenshot('proxy-stopped');
  });

  scenario('Start Capture Proxy… with a typed URL (an invalid one is refused in the box); the tree\'s Cut This Connection ends a ws client', async () => {
    const before = new Set((await wb.revealState()).sessions.map((s) => s.id));
    await wb.palette('Wirescope: Start Capture Proxy…', 'Enter a target URL…');
    const input = wb.page.locator('.quick-input-widget input');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Wirescope: Start Capture Proxy' }).first().waitFor({ timeout: 10_000 });
    await input.fill('ftp://127.0.0.1/');
    await waitUntil('the box to refuse the URL', async () => /\S/.test((await wb.page.locator('.quick-input-widget .quick-input-message').textContent().catch(() => '')) ?? ''), 10_000, 200);
    const demo = new URL(wb.demo.urls.index);
    await input.fill(`http://${demo.host}`);
    await input.press('Enter');
    const s = await waitUntil('a second capture proxy', async () => {
      const p = (await wb.revealState()).sessions.find((x) => !before.has(x.id) && x.pattern === 'proxy') as ProxySession | undefined;
      return p && !p.ended && p.proxy?.url ? p : undefined;
    }, 30_000, 300);
    const url = s.proxy!.url!.replace(/\/$/, '');
    assert.notEqual(url, proxyUrl, 'its own port');
    const client = new WebSocket(`${url.replace('http:', 'ws:')}/ws`, { perMessageDeflate: false });
    client.on('error', () => undefined);
    let closed: number | undefined;
    client.on('close', (code: number) => { closed = code; });
    let echoes = 0;
    client.on('message', (d: Buffer) => { if (d.toString() === 'one' || d.toString() === 'two') echoes++; });
    await once(client, 'open');
    const conn = await waitUntil('its WebSocket connection in the host', async () => {
      const p = (await wb.revealState()).sessions.find((x) => x.id === s.id) as ProxySession | undefined;
      return p?.proxy?.connections.find((c) => c.label === 'GET /ws');
    }, 15_000, 300);
    const sessionsPane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Sessions' }) });
    // A click on the icon of the container already shown would hide the side bar.
    if (!(await sessionsPane.first().isVisible().catch(() => false))) await wb.page.locator('.activitybar [aria-label^="Wirescope"]').first().click();
    const row = sessionsPane.locator('.monaco-list-row', { hasText: `${conn.id} · GET /ws` }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.hover();
    // The row is not redrawn as the connection carries traffic (a redraw rebuilds its buttons, and a
    // click spanning one is lost): the Cut button is the same element after two echoes and a second.
    const cutButton = row.locator('.action-label[aria-label^="Cut This Connection"]').first();
    const button = await cutButton.elementHandle({ timeout: 10_000 });
    const echoed = waitUntil('two echoes through the proxy', () => echoes >= 2, 10_000, 50);
    client.send('one');
    client.send('two');
    await echoed;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await button!.evaluate((el) => el.isConnected), true, 'the Cut button was not rebuilt while the connection carried traffic');
    // The bytes are in the row's tooltip, written when the pointer rests on it (resolveTreeItem).
    const tip = await waitUntil('the connection row\'s tooltip', async () => (await wb.page.locator('.workbench-hover, .monaco-hover').allTextContents()).find((t) => t.startsWith(`Connection ${conn.id} from 127.0.0.1:`)), 10_000, 200);
    const bytes = /client -> backend [\d.]+ (?:B|KiB) \((\d+) bytes\), backend -> client [\d.]+ (?:B|KiB) \((\d+) bytes\)/.exec(tip);
    assert.ok(bytes && Number(bytes[1]) > 0 && Number(bytes[2]) > 0, `the tooltip counts bytes both ways: ${tip}`);
    await cutButton.click();
    await waitUntil('the ws client to be cut', () => closed, 15_000, 100);
    assert.equal(closed, 1006, 'the client sees an abnormal closure');
    const after = await waitUntil('the connection to leave the host', async () => {
      const p = (await wb.revealState()).sessions.find((x) => x.id === s.id) as ProxySession | undefined;
      return p?.proxy && p.proxy.connections.length === 0 ? p : undefined;
    }, 15_000, 300);
    assert.equal(after.ended, false, 'the proxy keeps running');
    await wb.screenshot('proxy-tree-cut');
    // A capture proxy is not a profile pattern: Save Session as Profile says so in one line and writes nothing.
    await wb.palette('Wirescope: Save Session as Profile');
    const toast = wb.page.locator('.notification-toast', { hasText: 'is a capture proxy, which is not saved as a profile' }).first();
    await toast.waitFor({ timeout: 15_000 });
    assert.ok(!(await wb.revealState()).profiles.some((p) => p.pattern === 'proxy'), 'no proxy profile was written');
  });
});
