/**
 * Every expectation kind, passing and failing, against real servers on 127.0.0.1 (the ws library's
 * WebSocketServer, node:http for HTTP and SSE). Results are checked for verdict, the message's
 * expected-vs-seen text and the seq numbers it points at.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SETTLED_REASON } from '../../../src/core/expectations';
import { resolveProfile } from '../../../src/core/profiles';
import { runProfileTest, type ProfileTestResult } from '../../../src/core/profileTest';
import type { Expectation } from '../../../src/shared/expectations';
import { validateProfile, type Profile } from '../../../src/shared/profile';
import { httpServer, wsServer, type HttpTestServer, type WsTestServer } from '../../helpers/servers';

async function run(profile: Profile): Promise<ProfileTestResult> {
  assert.deepEqual(validateProfile(profile).filter((p) => p.severity === 'error'), [], 'the test profile itself is valid');
  const { options, secretValues } = await resolveProfile(profile, { env: () => undefined, secret: async () => undefined, readFile: async () => '' });
  return runProfileTest(profile, options, secretValues);
}

const ws = (url: string, expect: Expectation[], extra: Partial<Profile> = {}): Profile => ({ name: 't', pattern: 'ws', url, expect, durationMs: 8000, ...extra });

describe('expectations against real servers', () => {
  let feed: WsTestServer;
  let web: HttpTestServer;
  let flaky: WsTestServer;
  const sseStreams = new Set<ServerResponse>();

  before(async () => {
    // On "go <n> <prefix>", send n messages; on "json", typed JSON; on "late", epoch timestamps 10 s old.
    feed = await wsServer((wss) =>
      wss.on('connection', (sock) =>
        sock.on('message', (raw) => {
          const text = raw.toString();
          const go = /^go (\d+) (\S+)$/.exec(text);
          if (go) for (let i = 1; i <= Number(go[1]); i++) sock.send(`${go[2]} ${i}`);
          else if (text === 'json') for (const type of ['hello', 'tick', 'tick']) sock.send(JSON.stringify({ type, at: Date.now() }));
          else if (text === 'late') for (let i = 0; i < 5; i++) sock.send(JSON.stringify({ at: Date.now() - 10_000 }));
          else if (text === 'fresh') for (let i = 0; i < 5; i++) sock.send(JSON.stringify({ at: Date.now() }));
          else sock.send(text);
        }),
      ),
    );
    // Drops every connection right after its first message: a reconnect per message.
    flaky = await wsServer((wss) => wss.on('connection', (sock) => sock.on('message', (m) => {
      sock.send(m);
      setTimeout(() => sock.terminate(), 20);
    })));
    web = await httpServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      else if (req.url === '/empty') res.writeHead(204).end();
      else if (req.url?.startsWith('/sse')) {
        // ids 1,2,3 or 1,2,4 (a gap), as "tick" events; with ?other, one "other" event; then the stream stays open.
        const ids = req.url.includes('gap') ? [1, 2, 4] : [1, 2, 3];
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        sseStreams.add(res);
        res.on('close', () => sseStreams.delete(res));
        for (const id of ids) res.write(`id: ${id}\nevent: tick\ndata: {"n":${id}}\n\n`);
        if (req.url.includes('other')) res.write('event: other\ndata: x\n\n');
      } else res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
    });
  });
  after(async () => {
    for (const s of sseStreams) s.destroy();
    await feed.close();
    await flaky.close();
    await web.close();
  });

  it('receive: count/match/within passes as soon as met (the session closes then); too few fails with expected vs seen and the seqs', async () => {
    const pass = await run(ws(`${feed.url}/`, [{ receive: { count: 3, match: '^tick', within: 3000 } }], { send: ['go 3 tick'] }));
    assert.equal(pass.status, 'passed');
    assert.equal(pass.reason, SETTLED_REASON, 'the session ended because the expectation was decided, not at its duration');
    assert.equal(pass.expectations[0].seqs.length, 3);
    assert.match(pass.expectations[0].message, /^expected 3 frames matching \/\^tick\/ within 3000 ms, saw 3 \(#\d+, #\d+, #\d+\)$/);

    const fail = await run(ws(`${feed.url}/`, [{ receive: { count: 3, match: '^tick', within: 600 } }], { send: ['go 1 tick', 'go 2 tock'] }));
    assert.equal(fail.status, 'failed');
    const r = fail.expectations[0];
    assert.equal(r.label, 'expect[0] receive 3 frames matching /^tick/ within 600 ms');
    assert.match(r.message, /^expected 3 frames matching \/\^tick\/ within 600 ms, saw 1 \(#(\d+)\)$/);
    assert.deepEqual(fail.involved.map((e) => e.text), ['in "tick 1"'], 'the frame involved is named by its seq');
    assert.equal(fail.involved[0].seq, r.seqs[0]);
  });

  it('receive with json {path, equals} and channel', async () => {
    const pass = await run(ws(`${feed.url}/`, [{ receive: { count: 2, json: { path: '$.type', equals: 'tick' } } }, { receive: { json: { path: '$.at' } } }], { send: ['json'] }));
    assert.equal(pass.status, 'passed', JSON.stringify(pass.expectations));
    const fail = await run(ws(`${feed.url}/`, [{ receive: { json: { path: '$.type', equals: 'tock' }, within: 500 } }], { send: ['json'] }));
    assert.equal(fail.status, 'failed');
    assert.equal(fail.expectations[0].message, 'expected 1 frame with $.type = "tock" within 500 ms, saw 0');

    const sse: Profile = { name: 's', pattern: 'sse', url: `${web.url}/sse?other`, durationMs: 8000, expect: [{ receive: { channel: 'other' } }, { receive: { count: 3, channel: 'tick' } }] };
    assert.equal((await run(sse)).status, 'passed');
    const wrongChannel = await run({ ...sse, expect: [{ receive: { channel: 'nope', within: 500 } }] });
    assert.equal(wrongChannel.expectations[0].message, 'expected 1 frame on channel "nope" within 500 ms, saw 0');
  });

  it('noReceive: fails at the first matching frame (pointing at it), passes when its window closes', async () => {
    const fail = await run(ws(`${feed.url}/`, [{ noReceive: { match: 'error', within: 3000 } }], { send: ['fine', 'an error here'] }));
    assert.equal(fail.status, 'failed');
    assert.match(fail.expectations[0].message, /^expected no frame matching \/error\/ within 3000 ms, saw 1 \(#\d+\)$/);
    assert.deepEqual(fail.involved.map((e) => e.text), ['in "an error here"']);
    assert.equal(fail.reason, SETTLED_REASON);

    const pass = await run(ws(`${feed.url}/`, [{ noReceive: { match: 'error', within: 400 } }], { send: ['fine'] }));
    assert.equal(pass.status, 'passed');
    assert.equal(pass.expectations[0].message, 'expected no frame matching /error/ within 400 ms, saw none');
    assert.equal(pass.reason, SETTLED_REASON, 'decided when the window closed, before the 8 s duration');
  });

  it('noAnomalies: with the profile idField, a gap fails (pointing at the anomaly), an unbroken sequence passes', async () => {
    const base: Profile = { name: 'a', pattern: 'sse', url: `${web.url}/sse`, idField: 'sse-id', durationMs: 8000, expect: [{ noAnomalies: true }, { receive: { count: 3, channel: 'tick' } }] };
    const pass = await run(base);
    assert.equal(pass.status, 'passed', JSON.stringify(pass.expectations));
    assert.equal(pass.expectations[0].message, 'expected no sequence anomalies by sse-id, saw none');
    const fail = await run({ ...base, url: `${web.url}/sse?gap` });
    assert.equal(fail.status, 'failed');
    assert.match(fail.expectations[0].message, /^expected no sequence anomalies by sse-id, saw 1: gap at .* \(#\d+\)$/);
    assert.match(fail.involved.map((e) => e.text).join(), /anomaly gap/);
  });

  it('status: a code or a range over every HTTP response', async () => {
    const http = (path: string, status: number | [number, number]): Profile => ({ name: 'h', pattern: 'http', url: `${web.url}${path}`, expect: [{ status }] });
    assert.equal((await run(http('/ok', 200))).status, 'passed');
    assert.equal((await run(http('/empty', [200, 299]))).status, 'passed');
    const fail = await run(http('/missing', [200, 299]));
    assert.equal(fail.status, 'failed');
    assert.match(fail.expectations[0].message, /^expected status 200-299, saw 404 \(#\d+\)$/);
    assert.match(fail.involved[0].text, /^in HTTP 404 "no"$/);
  });

  it('timing: every total under a maximum', async () => {
    const pass = await run({ name: 'h', pattern: 'http', url: `${web.url}/ok`, expect: [{ timing: { totalMs: { max: 60_000 } } }] });
    assert.equal(pass.status, 'passed');
    assert.match(pass.expectations[0].message, /^expected every timing total at most 60000 ms, saw at most [\d.]+ ms over 1 measurement \(#\d+\)$/);
    // No real request finishes in 0 ms.
    const fail = await run({ name: 'h', pattern: 'http', url: `${web.url}/ok`, expect: [{ timing: { totalMs: { max: 0 } } }] });
    assert.equal(fail.status, 'failed');
    assert.match(fail.expectations[0].message, /^expected every timing total at most 0 ms, saw [\d.]+ ms \(#\d+\)$/);
  });

  it('latencyMs: p95 of receive time minus the sender timestamp', async () => {
    const latency = (send: string): Profile => ws(`${feed.url}/`, [{ receive: { count: 5 } }, { latencyMs: { p95: 5000, timestampField: '$.at' } }], { send: [send] });
    const pass = await run(latency('fresh'));
    assert.equal(pass.status, 'passed', JSON.stringify(pass.expectations));
    assert.match(pass.expectations[1].message, /^expected p95 latency by \$\.at at most 5000 ms, saw -?[\d.]+ ms over 5 frames$/);
    const fail = await run(latency('late'));
    assert.equal(fail.status, 'failed');
    const m = /^expected p95 latency by \$\.at at most 5000 ms, saw ([\d.]+) ms over 5 frames \(#\d+, #\d+, #\d+, #\d+, #\d+\)$/.exec(fail.expectations[1].message);
    assert.ok(m, fail.expectations[1].message);
    // The sender stamped 10 s in the past; the session's wall clock may differ from Date.now() by a few ms.
    assert.ok(Number(m[1]) > 9900 && Number(m[1]) < 20_000, m[1]);
  });

  it('reconnects: at most N reconnect attempts', async () => {
    const reconnect = { initialDelayMs: 50, maxDelayMs: 100, jitter: 0 };
    const fail = await run(ws(`${flaky.url}/`, [{ reconnects: { max: 0 } }], { send: ['x'], reconnect, durationMs: 8000 }));
    assert.equal(fail.status, 'failed');
    assert.match(fail.expectations[0].message, /^expected at most 0 reconnects, saw 1 \(#\d+\)$/);
    assert.equal(fail.reason, SETTLED_REASON, 'failed at the first reconnect, not at the duration');
    const pass = await run(ws(`${feed.url}/`, [{ receive: { match: 'x' } }, { reconnects: { max: 0 } }], { send: ['x'] }));
    assert.equal(pass.status, 'passed');
    assert.equal(pass.expectations[1].message, 'expected at most 0 reconnects, saw 0');
  });

  it('a session that fails fails every undecided expectation, saying why', async () => {
    const res = await run({ name: 'r', pattern: 'ws', url: 'ws://127.0.0.1:1/', expect: [{ receive: { match: 'x' } }, { reconnects: { max: 3 } }] });
    assert.equal(res.status, 'failed');
    assert.equal(res.sessionState, 'failed');
    for (const e of res.expectations) {
      assert.equal(e.status, 'failed');
      assert.match(e.message, /; the session failed: Connection refused/);
    }
  });
});
