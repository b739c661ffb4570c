import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, it } from 'node:test';
import type { WireEvent } from '../../../src/shared/events';
import { incompleteUtf8Tail, isLineDelimited } from '../../../src/core/transports/streamTransport';
import { checkInvariants, httpServer, ofKind, runSession } from '../../helpers/servers';
import { httpsServer, makeTestCerts } from '../../helpers/tlsCerts';

const ins = (events: WireEvent[]) => ofKind(events, 'frame').filter((f) => f.dir === 'in');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Write the pieces with a pause between them (each becomes its own chunk on the wire). */
async function writeSlowly(res: http.ServerResponse, pieces: (string | Buffer)[], gapMs = 30): Promise<void> {
  for (const p of pieces) {
    if (res.destroyed) return;
    res.write(p);
    await pause(gapMs);
  }
}

describe('stream transport', () => {
  it('splits NDJSON into one frame per line, joins a line split across chunks, and logs ttfb', async () => {
    const srv = await httpServer((_req, res) => {
      // Headers after 60 ms, so time to first byte is visible.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        void writeSlowly(res, ['{"n":1}\n{"n":2}\n{"n', '":3,"s":"☃', '"}\n', '{"n":4}\n']).then(() => res.end());
      }, 60);
    });
    try {
      const events = await runSession({ pattern: 'stream', url: srv.url + '/feed' });
      checkInvariants(events);
      assert.deepEqual(ins(events).map((f) => f.data), ['{"n":1}', '{"n":2}', '{"n":3,"s":"☃"}', '{"n":4}']);
      const open = ofKind(events, 'state').find((s) => s.state === 'open')!;
      assert.equal(open.meta?.split, 'lines');
      assert.equal(open.meta?.status, 200);
      const timing = ofKind(events, 'timing')[0];
      assert.ok(timing.phases.ttfb! >= 55, `ttfb ${timing.phases.ttfb}`);
      assert.ok(timing.phases.download! >= 80, `download ${timing.phases.download}`);
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'closed');
      assert.equal(last.reason, 'stream ended by the server');
      assert.equal(ofKind(events, 'error').length, 0);
      assert.equal(ofKind(events, 'frame').filter((f) => f.dir === 'out').length, 1, 'one request');
    } finally {
      await srv.close();
    }
  });

  it('reports a stream cut mid-line with the partial line, then reconnects per the policy', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      res.writeHead(200, { 'content-type': 'application/jsonl' });
      if (n === 1) {
        void writeSlowly(res, ['{"a":1}\n', '{"a":2,"cut']).then(() => res.socket?.destroy());
      } else {
        res.end('{"a":3}\n');
      }
    });
    try {
      const events = await runSession({ pattern: 'stream', url: srv.url, reconnect: { initialDelayMs: 20, jitter: 0 } });
      checkInvariants(events);
      const frames = ins(events);
      assert.deepEqual(frames.map((f) => f.data), ['{"a":1}', '{"a":2,"cut', '{"a":3}']);
      assert.equal(frames[1].meta?.partial, true);
      const cut = ofKind(events, 'error').find((e) => e.code === 'ERR_STREAM_CUT')!;
      assert.equal(cut.message, 'stream cut mid-line: 11 bytes of an incomplete line');
      const reconnects = ofKind(events, 'reconnect');
      assert.equal(reconnects.length, 1);
      assert.equal(reconnects[0].delayMs, 20);
      const reopened = ofKind(events, 'state').filter((s) => s.state === 'open')[1];
      assert.equal(reopened.meta?.reconnected, true);
      assert.equal(n, 2);
      assert.equal(ofKind(events, 'state').pop()!.state, 'closed');
    } finally {
      await srv.close();
    }
  });

  it('logs other types one frame per chunk: binary as base64, text as utf8 with characters kept whole', async () => {
    const srv = await httpServer(async (req, res) => {
      if (req.url === '/bin') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        await writeSlowly(res, [Buffer.from([0, 1, 2]), Buffer.from([0xfe, 0xff])]);
      } else {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        const snow = Buffer.from('☃', 'utf8');
        await writeSlowly(res, [Buffer.concat([Buffer.from('a'), snow.subarray(0, 1)]), Buffer.concat([snow.subarray(1), Buffer.from('b')])]);
      }
      res.end();
    });
    try {
      const bin = await runSession({ pattern: 'stream', url: srv.url + '/bin' });
      checkInvariants(bin);
      assert.deepEqual(ins(bin).map((f) => [f.encoding, f.data, f.size]), [
        ['base64', Buffer.from([0, 1, 2]).toString('base64'), 3],
        ['base64', Buffer.from([0xfe, 0xff]).toString('base64'), 2],
      ]);
      assert.equal(ofKind(bin, 'state').find((s) => s.state === 'open')!.meta?.split, 'chunks');
      const text = await runSession({ pattern: 'stream', url: srv.url + '/text' });
      checkInvariants(text);
      assert.deepEqual(ins(text).map((f) => [f.encoding, f.data]), [['utf8', 'a'], ['utf8', '☃b']]);
    } finally {
      await srv.close();
    }
  });

  it('ends after --count lines and closes the stream', async () => {
    let closed = false;
    const srv = await httpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      let i = 0;
      const timer = setInterval(() => res.write(JSON.stringify({ i: i++ }) + '\n'), 10);
      req.socket.on('close', () => {
        clearInterval(timer);
        closed = true;
      });
    });
    try {
      const events = await runSession({ pattern: 'stream', url: srv.url, count: 3 });
      checkInvariants(events);
      assert.deepEqual(ins(events).map((f) => f.data), ['{"i":0}', '{"i":1}', '{"i":2}']);
      assert.equal(ofKind(events, 'state').pop()!.reason, 'count reached');
      assert.equal(ofKind(events, 'timing').length, 1, 'timing so far is logged on close');
      const deadline = Date.now() + 2000;
      while (!closed && Date.now() < deadline) await pause(10);
      assert.ok(closed, 'the server saw the connection close');
    } finally {
      await srv.close();
    }
  });

  it('drops an idle stream with idle timeout as the cause and reconnects', async () => {
    let n = 0;
    const srv = await httpServer((_req, res) => {
      n++;
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`{"hello":${n}}\n`); // then silence
    });
    try {
      const events = await runSession({ pattern: 'stream', url: srv.url, durationMs: 450, stream: { idleTimeoutMs: 100 }, reconnect: { initialDelayMs: 10, jitter: 0 } });
      checkInvariants(events);
      const reconnects = ofKind(events, 'reconnect');
      // About one idle drop per 110 ms (100 ms idle + 10 ms backoff) in 450 ms; a busy machine gives fewer.
      assert.ok(reconnects.length >= 2 && reconnects.length <= 4, `${reconnects.length} reconnects`);
      assert.ok(reconnects.every((r) => r.cause === 'idle timeout: nothing received for 100 ms' && r.attempt === 1));
      assert.deepEqual(ins(events).map((f) => f.data).slice(0, 2), ['{"hello":1}', '{"hello":2}']);
      assert.equal(ofKind(events, 'state').pop()!.reason, 'duration reached');
    } finally {
      await srv.close();
    }
  });

  it('gives up after the maximum number of attempts when the server goes away', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"only":1}\n');
      // Stop listening, then drop this stream: every reconnect is refused.
      srv.server.close();
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const events = await runSession({ pattern: 'stream', url: srv.url, reconnect: { initialDelayMs: 10, jitter: 0, maxAttempts: 2 } });
      checkInvariants(events);
      const reconnects = ofKind(events, 'reconnect');
      assert.deepEqual(reconnects.map((r) => r.attempt), [1, 2]);
      assert.match(reconnects[1].cause, /^Connection refused/);
      const last = ofKind(events, 'state').pop()!;
      assert.equal(last.state, 'failed');
      assert.match(last.reason!, /^gave up after 2 reconnect attempts: Connection refused \(127\.0\.0\.1:\d+\): nothing is listening there$/);
    } finally {
      srv.server.closeAllConnections();
    }
  });

  it('fails at once with the status and body on a non-2xx first response', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('no such feed'));
    try {
      const events = await runSession({ pattern: 'stream', url: srv.url });
      checkInvariants(events);
      const f = ins(events)[0];
      assert.equal(f.meta?.status, 404);
      assert.equal(f.data, 'no such feed');
      assert.equal(ofKind(events, 'error')[0].message, 'The stream endpoint answered HTTP 404 Not Found');
      assert.equal(ofKind(events, 'state').pop()!.state, 'failed');
    } finally {
      await srv.close();
    }
  });

  it('over https: a self-signed certificate fails with one TLS line, and streams with insecure TLS', async () => {
    const srv = await httpsServer(makeTestCerts().selfSigned, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"secure":true}\n');
    });
    try {
      const bad = await runSession({ pattern: 'stream', url: srv.url });
      checkInvariants(bad);
      assert.match(ofKind(bad, 'error')[0].message, /^TLS failure .*self-signed/);
      assert.equal(ofKind(bad, 'state').pop()!.state, 'failed');
      const good = await runSession({ pattern: 'stream', url: srv.url, tls: { insecure: true } });
      checkInvariants(good);
      assert.deepEqual(ins(good).map((f) => f.data), ['{"secure":true}']);
      const tls = ofKind(good, 'timing')[0].phases.tls;
      assert.ok(tls !== null && tls > 0, `tls phase ${tls}`);
    } finally {
      await srv.close();
    }
  });

  it('recognises line-delimited types and incomplete UTF-8 tails', () => {
    for (const t of ['application/x-ndjson', 'application/jsonl; charset=utf-8', 'application/x-jsonlines']) assert.ok(isLineDelimited(t), t);
    assert.ok(!isLineDelimited('application/json') && !isLineDelimited(undefined));
    const snow = Buffer.from('a☃', 'utf8');
    assert.equal(incompleteUtf8Tail(snow), 0);
    assert.equal(incompleteUtf8Tail(snow.subarray(0, 2)), 1);
    assert.equal(incompleteUtf8Tail(snow.subarray(0, 3)), 2);
    assert.equal(incompleteUtf8Tail(Buffer.from('abc')), 0);
  });
});
