import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHar, type Har, type HarSessionInfo } from '../../../src/core/export/har';
import { MASK } from '../../../src/core/export/redact';
import type { ConnectOptions } from '../../../src/shared/connectOptions';
import type { WireEvent } from '../../../src/shared/events';
import { httpServer, runSession, waitFor, wsServer } from '../../helpers/servers';

/** A structural HAR 1.2 check of the required fields and their types; returns every problem found. */
function harProblems(har: unknown): string[] {
  const problems: string[] = [];
  const need = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  const isStr = (v: unknown) => typeof v === 'string';
  const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const isNV = (list: unknown, where: string) => {
    need(Array.isArray(list), `${where} is an array`);
    if (Array.isArray(list)) list.forEach((x, i) => need(!!x && isStr(x.name) && isStr(x.value), `${where}[${i}] has string name and value`));
  };
  const log = (har as Har)?.log;
  need(!!log && typeof log === 'object', 'log');
  if (!log) return problems;
  need(log.version === '1.2', 'log.version is "1.2"');
  need(!!log.creator && isStr(log.creator.name) && isStr(log.creator.version), 'log.creator name/version');
  if (log.pages !== undefined) {
    need(Array.isArray(log.pages), 'pages array');
    for (const p of log.pages ?? []) need(isStr(p.id) && isStr(p.title) && !Number.isNaN(Date.parse(p.startedDateTime)) && !!p.pageTimings, 'page fields');
  }
  need(Array.isArray(log.entries), 'entries array');
  (log.entries ?? []).forEach((e, i) => {
    const at = `entries[${i}]`;
    need(isStr(e.startedDateTime) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(e.startedDateTime), `${at}.startedDateTime ISO 8601`);
    need(isNum(e.time) && e.time >= 0, `${at}.time >= 0`);
    const q = e.request;
    need(!!q && isStr(q.method) && isStr(q.url) && isStr(q.httpVersion), `${at}.request method/url/httpVersion`);
    isNV(q?.headers, `${at}.request.headers`);
    isNV(q?.queryString, `${at}.request.queryString`);
    isNV(q?.cookies, `${at}.request.cookies`);
    need(isNum(q?.headersSize) && isNum(q?.bodySize), `${at}.request sizes`);
    if (q?.postData) need(isStr(q.postData.mimeType), `${at}.request.postData.mimeType`);
    const r = e.response;
    need(!!r && Number.isInteger(r.status) && isStr(r.statusText) && isStr(r.httpVersion) && isStr(r.redirectURL), `${at}.response status/statusText/httpVersion/redirectURL`);
    isNV(r?.headers, `${at}.response.headers`);
    isNV(r?.cookies, `${at}.response.cookies`);
    need(!!r?.content && isNum(r.content.size) && isStr(r.content.mimeType), `${at}.response.content size/mimeType`);
    if (r?.content?.text !== undefined) need(isStr(r.content.text), `${at}.response.content.text`);
    if (r?.content?.encoding !== undefined) need(r.content.encoding === 'base64', `${at}.response.content.encoding`);
    need(isNum(r?.headersSize) && isNum(r?.bodySize), `${at}.response sizes`);
    need(!!e.cache && typeof e.cache === 'object', `${at}.cache`);
    const t = e.timings;
    need(!!t && isNum(t.send) && isNum(t.wait) && isNum(t.receive) && t.send >= 0 && t.wait >= 0 && t.receive >= 0, `${at}.timings send/wait/receive >= 0`);
    for (const k of ['blocked', 'dns', 'connect', 'ssl'] as const) if (t?.[k] !== undefined) need(isNum(t[k]) && (t[k] >= 0 || t[k] === -1), `${at}.timings.${k} >= 0 or -1`);
    if (e._webSocketMessages) {
      for (const m of e._webSocketMessages) need((m.type === 'send' || m.type === 'receive') && isNum(m.time) && (m.opcode === 1 || m.opcode === 2) && isStr(m.data), `${at}._webSocketMessages item`);
    }
  });
  return problems;
}

const info = (o: ConnectOptions, id = 's1'): HarSessionInfo => ({ id, name: 'test', pattern: o.pattern, url: o.url, method: o.method, headers: o.headers, body: o.body });

describe('HAR 1.2 export', () => {
  it('the validator catches broken documents (so passing it means something)', () => {
    assert.ok(harProblems({ log: { version: '1.1', creator: {}, entries: [{ startedDateTime: 'yesterday', time: -1, request: {}, response: {}, timings: {} }] } }).length > 8);
  });

  it('turns a real WebSocket session into a 101 entry with Chrome _webSocketMessages and handshake timings', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (s) => {
        s.on('message', (m, bin) => s.send(m, { binary: bin }));
        s.send(Buffer.from([1, 2, 3]), { binary: true });
      }),
    );
    try {
      const options: ConnectOptions = { pattern: 'ws', url: srv.url + '/feed?room=7', send: ['hello'], count: 2, headers: { 'X-Api-Key': 'k-1', 'X-Plain': 'p' } };
      const events = await runSession(options);
      const har = buildHar(events, info(options), { creatorVersion: '9.9.9' });
      assert.deepEqual(harProblems(har), []);
      assert.equal(har.log.creator.version, '9.9.9');
      assert.equal(har.log.entries.length, 1);
      const e = har.log.entries[0];
      assert.equal(e.response.status, 101);
      assert.equal(e.request.method, 'GET');
      assert.equal(e.request.url, srv.url + '/feed?room=7');
      assert.deepEqual(e.request.queryString, [{ name: 'room', value: '7' }]);
      assert.ok(e.response.headers.some((h) => h.name.toLowerCase() === 'upgrade' && /websocket/i.test(h.value)));
      assert.equal(e.request.headers.find((h) => h.name === 'X-Api-Key')?.value, MASK, 'credential header masked');
      assert.equal(e.request.headers.find((h) => h.name === 'X-Plain')?.value, 'p');
      assert.equal(e._resourceType, 'websocket');
      const msgs = e._webSocketMessages!;
      // The server's binary greeting and our send race; the echo always follows the send.
      const rows = msgs.map((m) => [m.type, m.opcode, m.data].join(' '));
      assert.deepEqual([...rows].sort(), ['receive 1 hello', `receive 2 ${Buffer.from([1, 2, 3]).toString('base64')}`, 'send 1 hello']);
      assert.ok(rows.indexOf('send 1 hello') < rows.indexOf('receive 1 hello'));
      for (const m of msgs) assert.ok(m.time > 1.6e9 && m.time < 1e11, 'epoch seconds');
      assert.ok(e.timings.connect >= 0, 'connect phase from the handshake timing');
      assert.equal(e.timings.dns, -1, 'IP literal: no DNS');
      assert.ok(Date.parse(e.startedDateTime) <= msgs[0].time * 1000);
    } finally {
      await srv.close();
    }
  });

  it('turns real HTTP exchanges into entries with request, response, postData and timings, with secrets redacted', async () => {
    const srv = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        setTimeout(() => {
          res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': 'sid=abc', 'x-echo-len': String(body.length) });
          res.end(JSON.stringify({ ok: true, got: body }));
        }, 30);
      });
    });
    try {
      const secret = 'S3CRET-VALUE-42';
      const options: ConnectOptions = { pattern: 'http', url: `${srv.url}/items?x=1`, method: 'POST', headers: { 'content-type': 'text/plain', Authorization: `Bearer ${secret}` }, body: `token=${secret}` };
      const events = await runSession(options);
      const har = buildHar(events, info(options), { secrets: [secret] });
      assert.deepEqual(harProblems(har), []);
      assert.equal(har.log.entries.length, 1);
      const e = har.log.entries[0];
      assert.equal(e.request.method, 'POST');
      assert.equal(e.request.url, `${srv.url}/items?x=1`);
      assert.equal(e.request.postData?.mimeType, 'text/plain');
      assert.equal(e.request.postData?.text, 'token=[secret]');
      assert.equal(e.response.status, 201);
      assert.equal(e.response.content.mimeType, 'application/json');
      assert.match(e.response.content.text ?? '', /"ok":true/);
      assert.equal(e.response.content.size, Buffer.byteLength(e.response.content.text!.replace('[secret]', secret)));
      assert.equal(e.response.headers.find((h) => h.name === 'set-cookie')?.value, MASK);
      assert.ok(e.timings.wait >= 25, `wait ${e.timings.wait} covers the 30 ms server delay`);
      assert.ok(e.time >= e.timings.wait);
      const text = JSON.stringify(har);
      assert.ok(!text.includes(secret), 'the secret value appears nowhere in the HAR');
    } finally {
      await srv.close();
    }
  });

  it('shows a redirect hop as its own entry with redirectURL, then the final response', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/old') res.writeHead(302, { location: '/new' }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('moved here');
    });
    try {
      const options: ConnectOptions = { pattern: 'http', url: `${srv.url}/old` };
      const har = buildHar(await runSession(options), info(options));
      assert.deepEqual(harProblems(har), []);
      assert.deepEqual(har.log.entries.map((e) => [e.request.url, e.response.status]), [[`${srv.url}/old`, 302], [`${srv.url}/new`, 200]]);
      assert.equal(har.log.entries[0].response.redirectURL.endsWith('/new'), true);
      assert.equal(har.log.entries[1].response.content.text, 'moved here');
    } finally {
      await srv.close();
    }
  });

  it('turns a real SSE session into one eventsource entry and a real NDJSON stream into one entry with its body', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('id: 1\nevent: tick\ndata: {"n":1}\n\n');
        res.write('id: 2\ndata: plain\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"a":1}\n{"a":');
        setTimeout(() => res.end('2}\n'), 200);
      }
    });
    try {
      const sseOptions: ConnectOptions = { pattern: 'sse', url: `${srv.url}/sse`, count: 2 };
      const sse = buildHar(await runSession(sseOptions), info(sseOptions));
      assert.deepEqual(harProblems(sse), []);
      assert.equal(sse.log.entries.length, 1, 'one connection, one entry');
      const e = sse.log.entries[0];
      assert.equal(e.request.method, 'GET');
      assert.equal(e.response.status, 200);
      assert.equal(e._resourceType, 'eventsource');
      assert.deepEqual(e._eventSourceMessages!.map((m) => [m.eventName, m.eventId, m.data]), [['tick', '1', '{"n":1}'], ['message', '2', 'plain']]);
      assert.ok(e.timings.connect >= 0 && e.timings.wait >= 0);

      const streamOptions: ConnectOptions = { pattern: 'stream', url: `${srv.url}/stream`, reconnect: { enabled: false } };
      const streamEvents = await runSession(streamOptions);
      const stream = buildHar(streamEvents, info(streamOptions));
      assert.deepEqual(harProblems(stream), []);
      assert.equal(stream.log.entries.length, 1);
      const s = stream.log.entries[0];
      assert.equal(s.response.status, 200);
      assert.equal(s.response.content.text, '{"a":1}\n{"a":2}\n', 'NDJSON lines with their line breaks');
      assert.equal(s.response.content.mimeType, 'application/x-ndjson');
      // receive is the session's download phase: from the first body byte to the last, here across the server's
      // 200 ms pause (a loaded machine may read the two parts late, but not 100 ms late at both ends).
      const timing = streamEvents.find((e) => e.kind === 'timing');
      assert.ok(timing && timing.kind === 'timing' && timing.phases.download !== null);
      assert.equal(s.timings.receive, timing.phases.download);
      assert.ok(s.timings.receive >= 100, `receive ${s.timings.receive} covers the 200 ms pause`);
    } finally {
      await srv.close();
    }
  });

  it('gives every poll its own entry, 304s included', async () => {
    const srv = await httpServer((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
      else res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json' }).end('{"v":1}');
    });
    try {
      const options: ConnectOptions = { pattern: 'poll', url: `${srv.url}/state`, poll: { intervalMs: 20 }, count: 3 };
      const har = buildHar(await runSession(options), info(options));
      assert.deepEqual(harProblems(har), []);
      const statuses = har.log.entries.map((e) => e.response.status);
      assert.ok(statuses.length >= 3, `${statuses.length} entries`);
      assert.deepEqual(statuses.slice(0, 3), [200, 304, 304]);
      assert.ok(har.log.entries.every((e) => e.request.method === 'GET' && e.request.url === `${srv.url}/state`));
      assert.equal(har.log.entries[1].request.headers.find((h) => h.name.toLowerCase() === 'if-none-match')?.value, '"v1"');
    } finally {
      await srv.close();
    }
  });

  it('records each request a webhook receiver got, with the reply it sent', async () => {
    const options: ConnectOptions = { pattern: 'webhook', url: 'http://127.0.0.1:0', webhook: { listen: '127.0.0.1:0', reply: { status: 202, body: 'thanks' } } };
    let base = '';
    const events = await runSession(options, async (s, ev) => {
      await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
      const open = ev.find((e) => e.kind === 'state' && e.state === 'open') as { url?: string; meta?: { listen?: string } };
      base = open.url ?? `http://${open.meta?.listen}`;
      const r = await fetch(new URL('/hook?x=1', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"event":"paid"}' });
      assert.equal(r.status, 202);
      await r.text();
      await s.close();
    });
    const har = buildHar(events, info(options));
    assert.deepEqual(harProblems(har), []);
    assert.equal(har.log.entries.length, 1);
    const e = har.log.entries[0];
    assert.equal(e.request.method, 'POST');
    assert.equal(e.request.url, new URL('/hook?x=1', base).toString(), 'the receiver address, the path and the query');
    assert.equal(e.request.postData?.text, '{"event":"paid"}');
    assert.equal(e.response.status, 202);
    assert.equal(e.response.content.text, 'thanks');
  });

  it('keeps SSE events in _eventSourceMessages and shows a request that never got an answer with status 0', () => {
    const ts = 1_800_000_000_000;
    const ev = (seq: number, body: Record<string, unknown>) => ({ seq, t: seq, ts: ts + seq, ...body }) as unknown as WireEvent;
    const sse = [
      ev(1, { kind: 'state', state: 'connecting', url: 'http://h/sse' }),
      ev(2, { kind: 'timing', phases: { dns: 1, connect: 2, tls: 3, ttfb: 4, download: null, total: 10 } }),
      ev(3, { kind: 'state', state: 'open', url: 'http://h/sse', meta: { status: 200, headers: { 'content-type': 'text/event-stream' } } }),
      ev(4, { kind: 'frame', dir: 'in', size: 3, encoding: 'utf8', data: 'one', channel: 'tick', meta: { id: '41' } }),
      ev(5, { kind: 'frame', dir: 'in', size: 3, encoding: 'utf8', data: 'two', meta: { id: '42' } }),
    ];
    const har = buildHar(sse, { id: 'x', name: 'sse', pattern: 'sse', url: 'http://h/sse' });
    assert.deepEqual(harProblems(har), []);
    const e = har.log.entries[0];
    assert.deepEqual(e._eventSourceMessages!.map((m) => [m.eventName, m.eventId, m.data]), [['tick', '41', 'one'], ['message', '42', 'two']]);
    assert.deepEqual([e.timings.dns, e.timings.connect, e.timings.ssl, e.timings.wait], [1, 5, 3, 4], 'HAR connect includes ssl');
    assert.equal(e.time, 10);
    assert.equal(e.response.content.mimeType, 'text/event-stream');

    const failed = buildHar(
      [
        ev(1, { kind: 'frame', dir: 'out', size: 0, encoding: 'utf8', data: '', meta: { method: 'GET', url: 'http://h/poll', headers: {} } }),
        ev(2, { kind: 'error', message: 'Connection refused (http://h/poll): nothing is listening there' }),
      ],
      { id: 'y', name: 'poll', pattern: 'poll', url: 'http://h/poll' },
    );
    assert.deepEqual(harProblems(failed), []);
    assert.equal(failed.log.entries[0].response.status, 0);
    assert.match(failed.log.entries[0]._error ?? '', /Connection refused/);
  });
});
