// `wirescope connect <http(s) URL>` without --pattern: the response's Content-Type decides the pattern
// (text/event-stream -> sse, application/x-ndjson / application/jsonl -> stream, anything else -> http), and
// a bare host:port/path gets http:// as curl does. A plain node:http server on 127.0.0.1 plays the backend.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { patternForContentType } from '../../../src/core/patternProbe';
import { withDefaultScheme } from '../../../src/shared/connectOptions';
import type { FrameEvent, StateEvent } from '../../../src/shared/events';
import { httpServer, ofKind, type HttpTestServer } from '../../helpers/servers';
import { parseNdjson, runCli } from './runCli';

describe('connect infers the pattern of an http(s) URL from its Content-Type', () => {
  let srv: HttpTestServer;
  const hits: Record<string, number> = {};
  const timers = new Set<NodeJS.Timeout>();
  before(async () => {
    srv = await httpServer((req: http.IncomingMessage, res: http.ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0];
      hits[path] = (hits[path] ?? 0) + 1;
      const endless = (type: string, line: (n: number) => string) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
        let n = 0;
        const tick = setInterval(() => res.write(line(++n)), 30);
        timers.add(tick);
        res.on('close', () => { clearInterval(tick); timers.delete(tick); });
      };
      if (path === '/sse') return endless('text/event-stream; charset=utf-8', (n) => `id: ${n}\ndata: {"n":${n}}\n\n`);
      if (path === '/ndjson') return endless('application/x-ndjson', (n) => `{"n":${n}}\n`);
      if (path === '/jsonl') return endless('application/jsonl', (n) => `{"n":${n}}\n`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  after(async () => {
    for (const t of timers) clearInterval(t);
    await srv.close();
  });

  it('text/event-stream: runs as SSE and says so (the URL typed without a scheme)', async () => {
    const r = await runCli(['connect', `127.0.0.1:${srv.port}/sse`, '--count', '3', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^wirescope: connecting as sse \(server-sent events\): http:\/\/127\.0\.0\.1:\d+\/sse answers with Content-Type text\/event-stream; charset=utf-8; --pattern http for request-response\n$/);
    const events = parseNdjson(r.stdout);
    const ins = ofKind(events, 'frame').filter((f: FrameEvent) => f.dir === 'in');
    assert.equal(ins.length, 3, 'three events, not one endless body');
    assert.deepEqual(ins.map((f) => f.meta?.id), ['1', '2', '3']);
    assert.equal((ofKind(events, 'state')[0] as StateEvent).url, `http://127.0.0.1:${srv.port}/sse`);
  });

  for (const [path, type] of [['/ndjson', 'application/x-ndjson'], ['/jsonl', 'application/jsonl']]) {
    it(`${type}: runs as an HTTP stream, one frame per line`, async () => {
      const r = await runCli(['connect', `http://127.0.0.1:${srv.port}${path}`, '--count', '3', '--format', 'ndjson']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`connecting as stream \\(HTTP stream\\): .* answers with Content-Type ${type.replace('/', '\\/')}`));
      const ins = ofKind(parseNdjson(r.stdout), 'frame').filter((f: FrameEvent) => f.dir === 'in');
      assert.deepEqual(ins.map((f) => f.data), ['{"n":1}', '{"n":2}', '{"n":3}']);
    });
  }

  it('application/json stays request-response, without a note; the probe is one extra GET', async () => {
    hits['/json'] = 0;
    const r = await runCli(['connect', `http://127.0.0.1:${srv.port}/json`, '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const ins = ofKind(parseNdjson(r.stdout), 'frame').filter((f: FrameEvent) => f.dir === 'in');
    assert.equal(ins.length, 1);
    assert.equal(ins[0].meta?.status, 200);
    assert.equal(hits['/json'], 2, 'the Content-Type probe, then the request itself');
  });

  it('an explicit --pattern, a method other than GET or a body: no probe', async () => {
    hits['/json'] = 0;
    for (const args of [['--pattern', 'http'], ['-X', 'POST', '-d', '{}']]) {
      const r = await runCli(['connect', `http://127.0.0.1:${srv.port}/json`, ...args, '--format', 'ndjson']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
    }
    assert.equal(hits['/json'], 2, 'one request per run');
  });

  it('a refused connection is reported once, by the session, as before', async () => {
    const closed = await httpServer((_q, s) => s.end());
    const port = closed.port;
    await closed.close();
    const r = await runCli(['connect', `127.0.0.1:${port}/sse`]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^wirescope: .*refused/i);
  });
});

describe('pattern inference helpers', () => {
  it('maps content types', () => {
    assert.equal(patternForContentType('text/event-stream'), 'sse');
    assert.equal(patternForContentType('Text/Event-Stream; charset=UTF-8'), 'sse');
    assert.equal(patternForContentType('application/x-ndjson'), 'stream');
    assert.equal(patternForContentType('application/jsonl; charset=utf-8'), 'stream');
    assert.equal(patternForContentType('application/json'), undefined);
    assert.equal(patternForContentType(undefined), undefined);
  });

  it('adds http:// to a bare host[:port][/path], as curl does, and leaves the rest alone', () => {
    assert.equal(withDefaultScheme('localhost:8080/sse'), 'http://localhost:8080/sse');
    assert.equal(withDefaultScheme('127.0.0.1:3000'), 'http://127.0.0.1:3000');
    assert.equal(withDefaultScheme('api.example.com/v1/items?x=1'), 'http://api.example.com/v1/items?x=1');
    assert.equal(withDefaultScheme('[::1]:8080/x'), 'http://[::1]:8080/x');
    assert.equal(withDefaultScheme('  example.com  '), 'http://example.com');
    assert.equal(withDefaultScheme('ws://localhost:8080/ws'), 'ws://localhost:8080/ws');
    assert.equal(withDefaultScheme('mqtts://broker:8883'), 'mqtts://broker:8883');
    assert.equal(withDefaultScheme('${env:API_URL}/x'), '${env:API_URL}/x');
    assert.equal(withDefaultScheme('localhost/x'), 'http://localhost/x');
    assert.equal(withDefaultScheme('nonsense'), 'nonsense', 'a lone word is not taken for a host');
    assert.equal(withDefaultScheme('not a url'), 'not a url');
    assert.equal(withDefaultScheme(''), '');
  });
});
