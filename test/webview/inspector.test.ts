// The built inspector bundle in headless Chromium against a fake host speaking the real protocol.
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { frame, Harness, pickOption, session, stamp, type InspectorPage } from './harness';

const resultsDir = join(import.meta.dirname, '..', '..', 'test-results');

interface SentMessage {
  type: string;
  method: string;
  params: Record<string, unknown>;
}

async function sent(page: Page, method: string): Promise<SentMessage[]> {
  return page.evaluate((m) => (window as unknown as { __host: { requests(m: string): unknown[] } }).__host.requests(m), method) as Promise<SentMessage[]>;
}

/** Wait until the fake host has received a message of `method` matching `pred`. */
async function waitSent(page: Page, method: string, pred: (m: SentMessage) => boolean, timeoutMs = 5000): Promise<SentMessage> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = (await sent(page, method)).find(pred);
    if (hit) return hit;
    await page.waitForTimeout(25);
  }
  throw new Error(`no ${method} matching within ${timeoutMs} ms; got ${JSON.stringify(await sent(page, method))}`);
}

/** Seqs of the rows currently rendered with data, in screen order. */
async function visibleSeqs(page: Page): Promise<number[]> {
  return page.$$eval('#frame-log .row[data-seq]:not([hidden])', (rows) =>
    rows
      .map((r) => ({ seq: Number((r as HTMLElement).dataset.seq), y: r.getBoundingClientRect().top }))
      .sort((a, b) => a.y - b.y)
      .map((r) => r.seq),
  );
}

/** Wait until exactly these seqs are rendered (rows arrive asynchronously from the host). */
async function waitForSeqs(page: Page, expected: number[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let got: number[] = [];
  while (Date.now() < deadline) {
    got = await visibleSeqs(page);
    if (JSON.stringify(got) === JSON.stringify(expected)) return;
    await page.waitForTimeout(25);
  }
  assert.deepEqual(got, expected, 'rendered rows');
}

async function rowText(page: Page, seq: number): Promise<string> {
  return page.locator(`#frame-log .row[data-seq="${seq}"]`).innerText();
}

function assertClean(p: InspectorPage): void {
  assert.deepEqual(p.cspViolations, [], 'CSP violations');
  assert.deepEqual(p.consoleErrors, [], 'console errors');
}

const basicEvents = () =>
  stamp([
    { kind: 'state', state: 'connecting', url: 'ws://127.0.0.1:9/feed' },
    { kind: 'timing', phases: { dns: 0.2, connect: 0.5, tls: null, ttfb: 2.1, download: 0.3, total: 3.1 } },
    { kind: 'state', state: 'open', url: 'ws://127.0.0.1:9/feed' },
    frame('in', '{"hello":"world","n":1}', { channel: 'message' }),
    frame('out', 'ping text'),
    frame('in', '3q2+7w==', { encoding: 'base64', size: 4 }),
    { kind: 'reconnect', attempt: 1, delayMs: 500, cause: 'close 1006' },
    { kind: 'anomaly', type: 'gap', key: 7, expected: 5, got: 7 },
    { kind: 'error', message: 'ECONNRESET' },
  ]);

describe('inspector webview in Chromium', () => {
  let hs: Harness;
  before(async () => {
    hs = await Harness.start();
  });
  after(async () => {
    await hs?.stop();
  });

  test('frames and connection events render as rows with the right text', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: basicEvents() }, selected: 'a' });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      assert.deepEqual(await visibleSeqs(page), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const r4 = await rowText(page, 4);
      assert.match(r4, /42\.0/);
      assert.match(r4, /↓/);
      assert.match(r4, /message/);
      assert.match(r4, /23 B/);
      assert.match(r4, /\{"hello":"world","n":1\}/);
      assert.match(await rowText(page, 5), /↑[\s\S]*ping text/);
      assert.match(await rowText(page, 6), /\[binary\]/);
      const kinds = await page.$$eval('#frame-log .row[data-seq]', (rows) => rows.map((r) => `${(r as HTMLElement).dataset.seq}:${r.className}`));
      for (const [seq, cls] of [['1', 'state'], ['7', 'reconnect'], ['8', 'anomaly'], ['9', 'error']]) {
        assert.ok(kinds.some((k) => k.startsWith(`${seq}:`) && k.includes(cls)), `row ${seq} has class ${cls}: ${kinds.join(', ')}`);
      }
      assert.equal(await page.textContent('#session-name'), 'Session a');
      assert.equal(await page.textContent('#session-state'), 'open');
      assert.equal(await page.textContent('#session-url'), 'ws://127.0.0.1:9/feed');
      assert.equal(await page.getAttribute('#frame-log', 'role'), 'listbox');

      // A pushed batch appears at the bottom while pinned, and the live stats update.
      await page.evaluate(() => {
        const host = (window as unknown as { __host: { append(s: string, e: unknown[]): void } }).__host;
        host.append('a', [{ seq: 10, t: 120, ts: Date.now(), kind: 'frame', dir: 'in', size: 12, encoding: 'utf8', data: 'late arrival', channel: 'message' }]);
      });
      await page.waitForSelector('#frame-log .row[data-seq="10"]');
      assert.match(await rowText(page, 10), /late arrival/);
      await page.click('#tab-timing');
      await page.waitForFunction(() => document.querySelector('#timing-stats')?.textContent?.includes('1.2k'));
      assert.match((await page.textContent('#timing-stats')) ?? '', /inter-arrival\s*0\.81 ms/);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('filters send SetFilter to the host and show only the filtered rows', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: basicEvents() } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      await page.locator('#filter-text input').fill('world');
      await waitSent(page, 'log/setFilter', (m) => (m.params.filter as { text?: string }).text === 'world');
      await waitForSeqs(page, [4]);

      await page.locator('#filter-text input').fill('');
      await pickOption(page, 'filter-dir', 'out');
      const dirFilter = await waitSent(page, 'log/setFilter', (m) => JSON.stringify(m.params.filter) === '{"dirs":["out"]}');
      assert.equal(dirFilter.params.sessionId, 'a');
      // Direction applies to frames; connection events stay visible.
      await waitForSeqs(page, [1, 2, 3, 5, 7, 8, 9]);
      await pickOption(page, 'filter-dir', 'both');

      // An invalid regex is reported inline and never sent.
      await page.click('#filter-regex');
      await page.locator('#filter-text input').fill('([');
      await page.waitForSelector('#filter-message:not([hidden])');
      assert.match((await page.textContent('#filter-message')) ?? '', /Invalid regular expression/);
      await page.waitForTimeout(400);
      assert.ok(!(await sent(page, 'log/setFilter')).some((m) => (m.params.filter as { text?: string }).text === '(['), 'invalid regex was sent');

      await page.locator('#filter-text input').fill('pi.g\\s+t');
      await waitSent(page, 'log/setFilter', (m) => JSON.stringify(m.params.filter) === '{"text":"pi.g\\\\s+t","regex":true}');
      assert.equal(await page.isHidden('#filter-message'), true);
      await waitForSeqs(page, [5]);

      await page.locator('#filter-text input').fill('');
      await page.click('#filter-regex');
      await page.click('#filter-anomalies');
      await waitSent(page, 'log/setFilter', (m) => JSON.stringify(m.params.filter) === '{"anomaliesOnly":true}');
      await waitForSeqs(page, [8]);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the detail pane shows pretty JSON, a hex dump with base64, masked headers; keyboard opens rows', async () => {
    const events = basicEvents();
    (events[3] as { meta?: unknown }).meta = { headers: { Authorization: 'Bearer s3cr3t-token', 'Content-Type': 'application/json' }, opcode: 1 };
    const p = await hs.open({ sessions: [session('a')], events: { a: events } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="4"]');
      await page.click('#frame-log .row[data-seq="4"]');
      await page.waitForSelector('#detail-payload');
      assert.equal(await page.textContent('#detail-payload'), JSON.stringify({ hello: 'world', n: 1 }, null, 2));
      await waitSent(page, 'log/getEvent', (m) => m.params.seq === 4);
      const headers = (await page.textContent('#detail-headers')) ?? '';
      assert.match(headers, /Content-Type\s*application\/json/);
      assert.ok(!headers.includes('s3cr3t'), 'authorization is masked');
      await page.click('#detail-reveal');
      await page.waitForFunction(() => document.querySelector('#detail-headers')?.textContent?.includes('Bearer s3cr3t-token'));
      assert.match((await page.textContent('#detail-meta')) ?? '', /opcode\s*1/);
      await page.click('#detail-copy');
      await waitSent(page, 'clipboard/copy', (m) => m.params.text === '{"hello":"world","n":1}');

      await page.click('#frame-log .row[data-seq="6"]');
      await page.waitForSelector('#detail-hex');
      assert.match((await page.textContent('#detail-hex')) ?? '', /^00000000 {2}de ad be ef +\|\.\.\.\.\|$/);
      assert.equal(await page.textContent('#detail-base64'), '3q2+7w==');

      // Keyboard: Home, then arrows and Enter.
      await page.focus('#frame-log');
      await page.keyboard.press('Home');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent === '#1 state');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('#detail-title')?.textContent?.startsWith('#4 frame'));
      assert.equal(await page.getAttribute('#frame-log .row[data-seq="4"]', 'aria-selected'), 'true');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('an XSS corpus in payloads, headers, topics, event types, reasons and names stays inert', async () => {
    const corpus = [
      '<script>window.__xss=1</script>',
      '<img src=x onerror="window.__xss=2">',
      '<svg onload="window.__xss=3"><circle r=1></circle></svg>',
      'javascript:window.__xss=4',
      '</style><style>body{background:rgb(255,0,0)!important}</style>',
      '<iframe src="javascript:window.__xss=5"></iframe>',
      '"><a id="xss-link" href="javascript:window.__xss=6">click</a>',
      '<div style="background:url(javascript:window.__xss=7)">css</div>',
      'abc\u202Eevil\u202Cdef',
      'zero\u200Bwidth\uFEFFjoin\u2066iso\u2069',
    ];
    const bodies: Array<Record<string, unknown>> = [{ kind: 'state', state: 'open', url: corpus[3], reason: corpus[0] }];
    for (const s of corpus) {
      bodies.push(frame('in', s, { channel: s, meta: { headers: { [s.slice(0, 40)]: s, 'x-note': s }, topic: s } }));
    }
    bodies.push(
      { kind: 'state', state: 'reconnecting', code: 4000, reason: corpus[1] },
      { kind: 'reconnect', attempt: 1, delayMs: 100, cause: corpus[2], meta: { reason: corpus[4], lastEventId: corpus[8] } },
      { kind: 'state', state: 'open', meta: { cursor: corpus[6] } },
      { kind: 'error', message: corpus[5], code: corpus[7] },
      { kind: 'anomaly', type: 'gap', key: corpus[9], expected: corpus[0], got: corpus[1] },
      { kind: 'timing', phases: { dns: 1, connect: 1, tls: null, ttfb: 1, download: 1, total: 4 }, meta: { url: corpus[2] } },
    );
    const events = stamp(bodies);
    const p = await hs.open({
      sessions: [session('a', { name: corpus[1], url: corpus[3] }), session('b', { name: corpus[8], pattern: 'mqtt' })],
      events: { a: events },
      selected: 'a',
    }, { height: 1400 });
    try {
      const { page } = p;
      const last = events.length;
      await page.waitForSelector(`#frame-log .row[data-seq="${last}"]`);
      for (let seq = 1; seq <= last; seq++) {
        await page.click(`#frame-log .row[data-seq="${seq}"]`);
        await page.waitForFunction((s) => document.querySelector('#detail-title')?.textContent?.startsWith(`#${s} `), seq);
        if (await page.isVisible('#detail-reveal')) await page.click('#detail-reveal');
      }
      await page.click('#tab-timeline');
      await page.waitForSelector('#timeline-list .tl-outage');
      await page.click('#tab-timing');
      await page.waitForSelector('#timing-waterfall .wf-row');

      const result = await page.evaluate(() => ({
        flag: (window as unknown as { __xss?: number }).__xss,
        injected: document.querySelectorAll('#app img, #app svg, #app iframe, #app script, #app a, #app style, #app object, #app embed, #xss-link').length,
        scripts: document.querySelectorAll('script').length,
        bodyBackground: getComputedStyle(document.body).backgroundColor,
        styledByServer: [...document.querySelectorAll('#app [style]')].filter((e) => /url\(|javascript/i.test(e.getAttribute('style') ?? '')).length,
        text: document.body.innerText,
      }));
      assert.equal(result.flag, undefined, 'an injected script ran');
      assert.equal(result.injected, 0, 'elements were created from server data');
      assert.equal(result.scripts, 1, 'only the nonce script exists');
      assert.equal(result.styledByServer, 0);
      assert.notEqual(result.bodyBackground, 'rgb(255, 0, 0)');
      // The markup is shown as text.
      assert.ok(result.text.includes('<script>window.__xss=1</script>'));
      assert.ok(result.text.includes('<img src=x onerror="window.__xss=2">'));
      // Bidi and zero-width characters are shown as code points and never reach the DOM raw.
      for (const cp of ['202E', '202C', '200B', 'FEFF', '2066', '2069']) assert.ok(result.text.includes(`⟨U+${cp}⟩`), `U+${cp} shown visibly`);
      assert.ok(!/[\u202A-\u202E\u2066-\u2069\u200B-\u200F\uFEFF]/.test(result.text), 'raw bidi/zero-width character in the DOM text');
      const allText = await page.evaluate(() => {
        const walker = document.createTreeWalker(document.getElementById('app')!, NodeFilter.SHOW_TEXT);
        let s = '';
        while (walker.nextNode()) s += walker.currentNode.nodeValue;
        const attrs = [...document.querySelectorAll('#app *')].flatMap((e) => [...e.attributes].map((a) => a.value));
        return s + '\n' + attrs.join('\n');
      });
      assert.ok(!/[\u202A-\u202E\u2066-\u2069\u200B-\u200F\uFEFF]/.test(allText), 'raw bidi/zero-width in a text node or attribute');
      await page.waitForTimeout(200);
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the composer sends hex with Ctrl+Enter, rejects bad hex, pings, uses and saves templates', async () => {
    const templates = [{ name: 'hello tpl', data: '{"op":"hello"}', encoding: 'text' as const }];
    const p = await hs.open({ sessions: [session('a', { templates }), session('m', { pattern: 'mqtt', name: 'broker' }), session('r', { pattern: 'redis', name: 'cache' })], events: { a: basicEvents() }, selected: 'a' });
    try {
      const { page } = p;
      await page.waitForSelector('#composer:not([hidden])');
      assert.equal(await page.isHidden('#composer-channel'), true, 'no topic field for WebSocket');
      assert.equal(await page.isHidden('#composer-qos'), true);
      await pickOption(page, 'composer-encoding', 'hex');
      await page.locator('#composer-input textarea').fill('zz 12');
      await page.click('#composer-send');
      await page.waitForSelector('#composer-message:not([hidden])');
      assert.match((await page.textContent('#composer-message')) ?? '', /Hex payload may contain only/);
      assert.equal((await sent(page, 'session/send')).length, 0);

      await page.locator('#composer-input textarea').fill('de ad be ef');
      await page.locator('#composer-input textarea').press('Control+Enter');
      const s = await waitSent(page, 'session/send', () => true);
      assert.deepEqual(s.params, { sessionId: 'a', data: 'de ad be ef', encoding: 'hex' });
      assert.equal(s.type, 'req');
      // The sent message stays for a resend, selected, so that typing replaces it.
      await page.waitForFunction(() => {
        const area = document.querySelector('#composer-input')?.shadowRoot?.querySelector('textarea');
        return !!area && area.value === 'de ad be ef' && area.selectionStart === 0 && area.selectionEnd === area.value.length;
      });
      assert.match((await page.getAttribute('#composer-input', 'title')) ?? '', /stays, selected/);
      await page.keyboard.type('ca fe');
      assert.equal(await page.locator('#composer-input textarea').inputValue(), 'ca fe', 'typing replaced the selected message');

      await page.click('#composer-ping');
      await waitSent(page, 'session/ping', (m) => m.params.sessionId === 'a');

      await pickOption(page, 'composer-templates', '0');
      await page.waitForFunction(() => (document.querySelector('#composer-input') as HTMLElement & { value: string }).value === '{"op":"hello"}');
      await page.locator('#composer-template-name input').fill('my tpl');
      await page.click('#composer-save-template');
      const saved = await waitSent(page, 'profile/saveTemplate', () => true);
      assert.deepEqual(saved.params, { sessionId: 'a', name: 'my tpl', data: '{"op":"hello"}', encoding: 'text' });

      // MQTT: a topic is required and sent as the channel.
      await pickOption(page, 'session-select', 'm');
      await waitSent(page, 'session/select', (m) => m.params.sessionId === 'm');
      await page.waitForSelector('#composer-channel:not([hidden])');
      await page.locator('#composer-input textarea').fill('on');
      await page.click('#composer-send');
      await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent?.includes('topic'));
      await page.locator('#composer-channel input').fill('home/lamp');
      await pickOption(page, 'composer-qos', '1');
      await page.click('#composer-retain');
      await page.click('#composer-send');
      const mq = await waitSent(page, 'session/send', (m) => m.params.sessionId === 'm');
      assert.deepEqual(mq.params, { sessionId: 'm', data: 'on', encoding: 'text', channel: 'home/lamp', options: { qos: 1, retain: true } });
      // After a click on Send the focus returns to the message, selected.
      await page.waitForFunction(() => {
        const area = document.querySelector('#composer-input')?.shadowRoot?.querySelector('textarea');
        return document.activeElement?.id === 'composer-input' && area?.value === 'on' && area.selectionEnd === 2 && area.selectionStart === 0;
      });

      // Redis: its descriptor names the field Channel and has no QoS or retain; the channel is required and sent without options.
      await pickOption(page, 'session-select', 'r');
      await waitSent(page, 'session/select', (m) => m.params.sessionId === 'r');
      await page.waitForSelector('#composer-channel[placeholder="Channel"]:not([hidden])');
      assert.equal(await page.isHidden('#composer-qos'), true, 'no QoS for a Redis channel');
      assert.equal(await page.isHidden('#composer-retain'), true, 'no retain for a Redis channel');
      await page.locator('#composer-channel input').fill('');
      await page.locator('#composer-input textarea').fill('hello redis');
      await page.click('#composer-send');
      await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent === 'Enter a channel to publish to');
      await page.locator('#composer-channel input').fill('news');
      await page.click('#composer-send');
      const rd = await waitSent(page, 'session/send', (m) => m.params.sessionId === 'r');
      assert.deepEqual(rd.params, { sessionId: 'r', data: 'hello redis', encoding: 'text', channel: 'news' });
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the composer of a pattern with events and acks (socketio): event name, JSON arguments checked, the ack toggle', async () => {
    const p = await hs.open({ sessions: [session('s', { pattern: 'socketio', name: 'chat' })], events: { s: basicEvents() }, selected: 's' });
    try {
      const { page } = p;
      await page.waitForSelector('#composer:not([hidden])');
      await page.waitForSelector('#composer-channel:not([hidden])');
      await page.waitForSelector('#composer-ack:not([hidden])');
      assert.equal(await page.getAttribute('#composer-channel', 'placeholder'), 'Event');
      assert.equal(await page.isHidden('#composer-qos'), true, 'no QoS for Socket.IO');
      assert.match((await page.getAttribute('#composer-input', 'placeholder')) ?? '', /Arguments as JSON/);
      await page.locator('#composer-input textarea').fill('[1, 2]');
      await page.click('#composer-send');
      await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent === 'Enter the name of the event to emit');
      await page.locator('#composer-channel input').fill('echo');
      await page.locator('#composer-input textarea').fill('{oops');
      await page.click('#composer-send');
      await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent?.startsWith('The arguments are not JSON'));
      assert.equal((await sent(page, 'session/send')).length, 0, 'nothing sent while the arguments are not JSON');
      await page.locator('#composer-input textarea').fill('[1, 2]');
      await page.click('#composer-ack');
      await page.click('#composer-send');
      const m = await waitSent(page, 'session/send', (x) => x.params.sessionId === 's');
      assert.deepEqual(m.params, { sessionId: 's', data: '[1, 2]', encoding: 'text', channel: 'echo', options: { ack: true } });
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the composer of a pattern whose deliveries wait to be settled (amqp): Exchange/routing key, and Ack, Nack and Requeue of one delivery', async () => {
    const p = await hs.open({ sessions: [session('q', { pattern: 'amqp', name: 'work queue' })], events: { q: basicEvents() }, selected: 'q' });
    try {
      const { page } = p;
      await page.waitForSelector('#composer:not([hidden])');
      await page.waitForSelector('#composer-channel[placeholder="Exchange/routing key"]:not([hidden])');
      await page.waitForSelector('#composer-settle-ack:not([hidden])');
      assert.equal(await page.isHidden('#composer-qos'), true, 'no QoS for AMQP');
      await page.click('#composer-settle-ack');
      const oldest = await waitSent(page, 'session/send', (x) => x.params.sessionId === 'q');
      assert.deepEqual(oldest.params, { sessionId: 'q', data: '', encoding: 'text', options: { settle: 'ack' } });
      await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent === 'Acknowledged');
      await page.locator('#composer-settle-tag input').fill('x1');
      await page.click('#composer-settle-requeue');
      await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent?.startsWith('A delivery tag is a whole number'));
      await page.locator('#composer-settle-tag input').fill('7');
      await page.click('#composer-settle-nack');
      const tagged = await waitSent(page, 'session/send', (x) => x.params.sessionId === 'q' && (x.params.options as { deliveryTag?: number } | undefined)?.deliveryTag === 7);
      assert.deepEqual(tagged.params.options, { settle: 'nack', deliveryTag: 7 });
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the settle buttons are only there for patterns that settle deliveries', async () => {
    const p = await hs.open({ sessions: [session('r', { pattern: 'redis', name: 'news' })], events: { r: basicEvents() }, selected: 'r' });
    try {
      await p.page.waitForSelector('#composer:not([hidden])');
      assert.equal(await p.page.isHidden('#composer-settle-ack'), true);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('a failed send shows the host error inline', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: basicEvents() }, sendFails: 'socket is not open' });
    try {
      const { page } = p;
      await page.waitForSelector('#composer:not([hidden])');
      await page.locator('#composer-input textarea').fill('hi');
      await page.click('#composer-send');
      await page.waitForFunction(() => document.querySelector('#composer-message')?.textContent === 'Send failed: socket is not open');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the virtualized log keeps the DOM bounded with 100k rows and fetches ranges on scroll', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: [] } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log-empty:not([hidden])');
      await waitSent(page, 'log/setFilter', () => true);
      await page.evaluate(() => (window as unknown as { __host: { generate(s: string, n: number, notify: boolean): void } }).__host.generate('a', 100_000, true));
      await page.waitForSelector('#frame-log .row[data-seq="100000"]');
      const domRows = await page.$$eval('#frame-log .row', (r) => r.length);
      assert.ok(domRows > 5 && domRows <= 60, `DOM rows ${domRows}`);
      assert.equal(await page.getAttribute('#frame-log', 'aria-rowcount'), '100000');

      // Scroll to the middle: the rows there are fetched from the host and shown.
      await page.evaluate(() => {
        const s = document.getElementById('frame-log')!;
        s.scrollTop = 50_000 * 22;
      });
      await page.waitForFunction(() => {
        const seqs = [...document.querySelectorAll('#frame-log .row[data-seq]:not([hidden])')].map((r) => Number((r as HTMLElement).dataset.seq));
        return seqs.some((s) => s >= 50_001 && s <= 50_003);
      });
      const seqs = await visibleSeqs(page);
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `rows in order: ${seqs.join(',')}`);
      const rowsReq = await sent(page, 'log/getRows');
      assert.ok(rowsReq.length >= 1);
      for (const r of rowsReq) assert.ok((r.params.count as number) <= 500 && (r.params.count as number) > 0, `GetRows count ${String(r.params.count)}`);
      assert.ok(rowsReq.some((r) => (r.params.start as number) <= 50_000 && (r.params.start as number) + (r.params.count as number) > 50_000));
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-label'), 'Resume autoscroll (jump to newest)', 'scrolling up pauses autoscroll');
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-pressed'), 'true');

      // More batches arrive while paused: the view stays put and the DOM stays bounded.
      const before = (await visibleSeqs(page))[0];
      for (let i = 0; i < 10; i++) {
        await page.evaluate(() => (window as unknown as { __host: { generate(s: string, n: number, notify: boolean): void } }).__host.generate('a', 2000, true));
      }
      await page.waitForFunction(() => document.getElementById('frame-log')?.getAttribute('aria-rowcount') === '120000');
      await page.waitForTimeout(100);
      assert.equal((await visibleSeqs(page))[0], before, 'paused view did not move');
      assert.ok((await page.$$eval('#frame-log .row', (r) => r.length)) <= 60);
      await page.click('#btn-autoscroll');
      await page.waitForSelector('#frame-log .row[data-seq="120000"]');
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-label'), 'Pause autoscroll');
      assert.equal(await page.getAttribute('#btn-autoscroll', 'aria-pressed'), 'false');

      // Jump to the top with the keyboard.
      await page.focus('#frame-log');
      await page.keyboard.press('Home');
      await page.waitForSelector('#frame-log .row[data-seq="1"]');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('when the host cap drops old events, the paused view refetches the slid rows', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: [] } });
    try {
      const { page } = p;
      await waitSent(page, 'log/setFilter', () => true);
      await page.evaluate(() => (window as unknown as { __host: { generate(s: string, n: number, notify: boolean): void } }).__host.generate('a', 100, true));
      await page.waitForSelector('#frame-log .row[data-seq="100"]');
      await page.focus('#frame-log');
      await page.keyboard.press('Home');
      await page.waitForSelector('#frame-log .row[data-seq="1"]');
      assert.equal((await visibleSeqs(page))[0], 1);
      // The cap drops 10, 10 new arrive: the total stays 100 and position 0 is now seq 11.
      await page.evaluate(() => {
        const host = (window as unknown as { __host: { dropOldest(s: string, n: number): void; generate(s: string, n: number, notify: boolean): void } }).__host;
        host.dropOldest('a', 10);
        host.generate('a', 10, true);
      });
      const deadline = Date.now() + 5000;
      let seqs = await visibleSeqs(page);
      while (seqs[0] !== 11 && Date.now() < deadline) {
        await page.waitForTimeout(25);
        seqs = await visibleSeqs(page);
      }
      assert.equal(seqs[0], 11, `top row after the slide: ${seqs.join(',')}`);
      assert.ok(seqs.length > 5);
      seqs.forEach((s, i) => assert.equal(s, 11 + i, `rows in order: ${seqs.join(',')}`));
      assert.equal(await page.getAttribute('#frame-log', 'aria-rowcount'), '100');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('the reconnect timeline and the timing waterfall tell the connection story', async () => {
    const events = stamp([
      { kind: 'state', state: 'connecting' },
      { kind: 'timing', phases: { dns: 0.2, connect: 0.5, tls: 1.5, ttfb: 2.1, download: 0.3, total: 4.6 }, meta: { url: 'https://127.0.0.1:8443/events' } },
      { kind: 'state', state: 'open' },
      frame('in', 'a'),
      { kind: 'state', state: 'reconnecting', code: 1006, reason: 'server gone' },
      { kind: 'reconnect', attempt: 1, delayMs: 500, cause: 'close', meta: { lastEventId: '42' } },
      { kind: 'error', message: 'ECONNREFUSED 127.0.0.1:8443', code: 'ECONNREFUSED' },
      { kind: 'reconnect', attempt: 2, delayMs: 1000, cause: 'error', meta: { lastEventId: '42' } },
      { kind: 'state', state: 'open', meta: { downtimeMs: 1812 } },
      { kind: 'anomaly', type: 'duplicate', key: 41 },
    ]);
    const p = await hs.open({ sessions: [session('a', { pattern: 'sse' })], events: { a: events } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="10"]');
      await page.click('#tab-timeline');
      await page.waitForSelector('#timeline-list .tl-outage');
      const outage = (await page.textContent('#timeline-list .tl-outage')) ?? '';
      for (const part of ['code 1006', 'server gone', 'attempt 1', 'backoff 500.0 ms', 'attempt 2', 'backoff 1000.0 ms', 'Last-Event-ID: 42', 'disconnected for 1812.0 ms']) {
        assert.ok(outage.includes(part), `timeline has "${part}": ${outage}`);
      }
      assert.match((await page.textContent('#timeline-list .tl-error')) ?? '', /ECONNREFUSED 127\.0\.0\.1:8443/);
      assert.match((await page.textContent('#timeline-list .tl-anomaly')) ?? '', /duplicate · key 41/);

      await page.click('#tab-timing');
      await page.waitForSelector('#timing-waterfall .wf-row');
      // Wait for layout of the newly shown tab before measuring bars.
      await page.waitForFunction(() => (document.querySelector('#timing-waterfall .wf-bar')?.getBoundingClientRect().width ?? 0) > 100);
      assert.equal(await page.$$eval('#timing-waterfall .wf-seg', (s) => s.length), 5);
      assert.match((await page.textContent('#timing-waterfall .wf-numbers')) ?? '', /dns 0\.20 ms · connect 0\.50 ms · tls 1\.50 ms · ttfb 2\.10 ms · download 0\.30 ms · total 4\.60 ms/);
      // Bars are scaled: the tls segment is three times as wide as connect.
      const widths = await page.$$eval('#timing-waterfall .wf-seg', (s) => s.map((e) => e.getBoundingClientRect().width));
      assert.ok(Math.abs(widths[2] / widths[1] - 3) < 0.1, `widths ${widths.join(',')}`);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('a webhook session shows its receiver URL with a copy button; empty state without sessions', async () => {
    const events = stamp([{ kind: 'state', state: 'open', url: 'http://127.0.0.1:5555/hook' }]);
    const p = await hs.open({ sessions: [session('w', { pattern: 'webhook', canSend: false, canPing: false })], events: { w: events } });
    try {
      const { page } = p;
      await page.waitForSelector('#webhook-receiver:not([hidden])');
      assert.equal(await page.textContent('#webhook-url'), 'http://127.0.0.1:5555/hook');
      assert.equal(await page.isHidden('#composer'), true, 'no composer when the session cannot send');
      await page.click('#webhook-copy');
      await waitSent(page, 'clipboard/copy', (m) => m.params.text === 'http://127.0.0.1:5555/hook');
      assertClean(p);
    } finally {
      await p.close();
    }
    const empty = await hs.open({ sessions: [] });
    try {
      await empty.page.waitForSelector('#empty-state:not([hidden])');
      assert.equal(await empty.page.isHidden('#inspector'), true);
      // A session appearing later replaces the empty state.
      await empty.page.evaluate(() => {
        const host = (window as unknown as { __host: { notify(m: string, p: unknown): void; events: Record<string, unknown[]> } }).__host;
        host.events.n = [];
        host.notify('sessions/didChange', {
          sessions: [{ id: 'n', name: 'New one', pattern: 'ws', url: 'ws://127.0.0.1:1/', state: 'connecting', startedAt: 0, ended: false, canSend: true, canPing: true, canReconnect: true }],
          selected: 'n',
        });
      });
      await empty.page.waitForSelector('#inspector:not([hidden])');
      assert.equal(await empty.page.textContent('#session-name'), 'New one');
      assertClean(empty);
    } finally {
      await empty.close();
    }
  });

  test('a session that reads as a consumer group says so in the header (open meta.destructive); a watching one does not', async () => {
    const mode = "DESTRUCTIVE: reads orders as consumer c1 of group billing: entries delivered here are not delivered to the group's other consumers";
    const group = stamp([
      { kind: 'state', state: 'open', url: 'redis://127.0.0.1:6379', meta: { destructive: true, mode } },
      frame('in', '{"n":1}', { channel: 'orders', meta: { id: '1-1', pending: true } }),
    ]);
    const watch = stamp([{ kind: 'state', state: 'open', url: 'redis://127.0.0.1:6379', meta: { destructive: false, mode: 'SUBSCRIBE news; watching only' } }]);
    const p = await hs.open({ sessions: [session('g', { pattern: 'redis', name: 'group' }), session('s', { pattern: 'redis', name: 'watch' })], events: { g: group, s: watch }, selected: 'g' });
    try {
      const { page } = p;
      await page.waitForSelector('#session-mode:not([hidden])');
      assert.equal(await page.textContent('#session-mode'), mode);
      await pickOption(page, 'session-select', 's');
      await waitSent(page, 'session/select', (m) => m.params.sessionId === 's');
      await page.waitForFunction(() => document.querySelector('#session-name')?.textContent === 'watch');
      await page.waitForFunction(() => (document.querySelector('#session-mode') as HTMLElement | null)?.hidden === true);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('poll sessions show the poll figures from frame meta', async () => {
    const stats = { requests: 12, changes: 3, requestsPerChange: 4, bytesPerChange: 80, staleness: { avgMs: 250, maxMs: 900, samples: 3 } };
    const events = stamp([
      { kind: 'state', state: 'open', url: 'http://127.0.0.1:9/items', meta: { status: 200 } },
      frame('in', '{"v":1}', { meta: { status: 200, changed: true, stats: { ...stats, requests: 11, changes: 2 } } }),
      frame('in', '', { meta: { status: 304, changed: false, stats } }),
    ]);
    const p = await hs.open({ sessions: [session('p', { pattern: 'poll', canSend: false })], events: { p: events } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="3"]');
      await page.waitForFunction(() => document.querySelector('#poll-stats')?.textContent?.startsWith('polls 12'));
      assert.equal(await page.textContent('#poll-stats'), 'polls 12 · changes 3 · polls/change 4.0 · staleness avg 250.0 ms max 900.0 ms · last status 304');
      assert.equal(await page.isVisible('#poll-stats'), true);
      assert.equal(await page.isHidden('#webhook-receiver'), true);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('header actions send their commands; Clear resets the view; time mode and notices', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: basicEvents() } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      for (const [id, method, extra] of [
        ['btn-disconnect', 'session/disconnect', {}],
        ['btn-reconnect', 'session/reconnect', {}],
        ['btn-export-ndjson', 'log/export', { format: 'ndjson' }],
        ['btn-export-har', 'log/export', { format: 'har' }],
      ] as const) {
        // Export HAR is a rarer action: it sits in the toolbar's "More actions" menu.
        if (id === 'btn-export-har') await page.click('#btn-more');
        await page.click(`#${id}`);
        await waitSent(page, method, (m) => JSON.stringify(m.params) === JSON.stringify({ sessionId: 'a', ...extra }));
      }

      assert.match(await rowText(page, 4), /42\.0/);
      await page.click('#btn-time-mode');
      await page.waitForFunction(() => /\d\d:\d\d:\d\d\.\d{3}/.test(document.querySelector('#frame-log .row[data-seq="4"] .c-time')?.textContent ?? ''));
      assert.equal(await page.getAttribute('#btn-time-mode', 'data-mode'), 'clock');
      assert.match((await page.getAttribute('#btn-time-mode', 'aria-label')) ?? '', /^Time column: Wall-clock time/);

      await page.evaluate(() => (window as unknown as { __host: { notify(m: string, p: unknown): void } }).__host.notify('ui/didNotify', { level: 'error', message: '<b>Export failed</b>: disk full' }));
      await page.waitForSelector('#notice:not([hidden])');
      assert.equal(await page.textContent('#notice'), '<b>Export failed</b>: disk full');
      assert.equal(await page.getAttribute('#notice', 'data-level'), 'error');
      assert.equal(await page.$$eval('#notice b', (b) => b.length), 0);

      const filtersBefore = (await sent(page, 'log/setFilter')).length;
      await page.click('#btn-clear');
      await waitSent(page, 'log/clear', (m) => m.params.sessionId === 'a');
      await page.waitForSelector('#frame-log-empty:not([hidden])');
      assert.equal((await sent(page, 'log/setFilter')).length, filtersBefore + 1, 'the view asks again after DidReset');
      await waitForSeqs(page, []);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('keyboard: the log shows visible focus, Tab reaches the tabs, arrows switch them', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: basicEvents() } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      await page.focus('#filter-anomalies');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'frame-log', 'Tab from the filters reaches the log');
      const outline = await page.evaluate(() => getComputedStyle(document.getElementById('frame-log')!).outlineStyle);
      assert.equal(outline, 'solid', 'the focused log has a visible outline');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-detail', 'next Tab reaches the tab strip');
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector('#view-timing:not([hidden])');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-timing');
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector('#view-timeline:not([hidden])');
      await page.waitForSelector('#timeline-list .tl-outage, #timeline-list .tl-anomaly');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('a reload restores the filter and asks the host again (the webview is disposable)', async () => {
    const p = await hs.open({ sessions: [session('a')], events: { a: basicEvents() } });
    try {
      const { page } = p;
      await page.waitForSelector('#frame-log .row[data-seq="9"]');
      await page.locator('#filter-text input').fill('ping');
      await waitSent(page, 'log/setFilter', (m) => (m.params.filter as { text?: string }).text === 'ping');
      await page.waitForTimeout(400); // setState is debounced
      await page.reload();
      await page.waitForSelector('#frame-log .row[data-seq="5"]');
      const filters = await sent(page, 'log/setFilter');
      assert.equal(filters.length, 1, 'a fresh page sends one SetFilter');
      assert.deepEqual(filters[0].params.filter, { text: 'ping' });
      assert.equal(await page.evaluate(() => (document.querySelector('#filter-text') as HTMLElement & { value: string }).value), 'ping');
      assert.deepEqual(await visibleSeqs(page), [5]);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('screenshots in dark, light and high-contrast use the theme variables', async () => {
    mkdirSync(resultsDir, { recursive: true });
    const expected = { dark: 'rgb(24, 24, 24)', light: 'rgb(248, 248, 248)', 'high-contrast': 'rgb(0, 0, 0)' } as const;
    const events = basicEvents();
    for (const theme of ['dark', 'light', 'high-contrast'] as const) {
      for (const width of [900, 380]) {
        const p = await hs.open({ sessions: [session('a', { name: 'Demo feed' }), session('b')], events: { a: events } }, { theme, width });
        try {
          const { page } = p;
          await page.waitForSelector('#frame-log .row[data-seq="9"]');
          await page.click('#frame-log .row[data-seq="4"]');
          await page.waitForSelector('#detail-payload');
          assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), expected[theme]);
          const file = join(resultsDir, `inspector-${theme}${width < 600 ? '-narrow' : ''}.png`);
          await page.screenshot({ path: file });
          assert.ok(statSync(file).size > 5000);
          assertClean(p);
        } finally {
          await p.close();
        }
      }
    }
  });
});
