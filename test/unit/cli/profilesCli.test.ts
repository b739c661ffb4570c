import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT, type CliIo } from '../../../src/cli/runConnect';
import { main } from '../../../src/cli/program';
import { findProfilesFile, secretEnvName } from '../../../src/core/profileFile';
import { httpServer, wsServer, type HttpTestServer, type WsTestServer } from '../../helpers/servers';
import { assertOneLineError, parseNdjson, runCli } from './runCli';

function captureIo(env: Record<string, string>, cwd: string): CliIo & { out: string; errors: string[] } {
  const io = {
    out: '',
    errors: [] as string[],
    write: (t: string) => void (io.out += t),
    error: (l: string) => void io.errors.push(l),
    isTTY: false,
    env,
    cwd,
    onInterrupt: () => () => undefined,
  };
  return io;
}

describe('wirescope connect --profile, wirescope profiles', () => {
  let dir: string;
  let ws: WsTestServer;
  let web: HttpTestServer;
  const received: Array<{ text: string; headers: Record<string, unknown> }> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wirescope-profiles-'));
    // The ws library's own server, echoing, and recording what the client really sent.
    ws = await wsServer((wss) =>
      wss.on('connection', (sock, req) => {
        sock.on('message', (data, binary) => {
          received.push({ text: data.toString(), headers: req.headers });
          sock.send(data, { binary });
        });
      }),
    );
    web = await httpServer((req, res) => {
      if (req.url === '/missing') res.writeHead(404, { 'content-type': 'text/plain' }).end('no such thing');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await mkdir(join(dir, '.vscode'));
    await mkdir(join(dir, 'deep', 'er'), { recursive: true });
    await writeFile(
      join(dir, '.vscode', 'wirescope.json'),
      `{
  // hand-written, with a comment
  "profiles": [
    {
      "name": "echo",
      "pattern": "ws",
      "url": "ws://127.0.0.1:\${env:ECHO_PORT}/",
      "headers": { "X-Api-Key": "\${secret:api.token}" },
      "send": ["hello \${secret:api.token}"],
      "count": 1
    },
    { "name": "broken", "pattern": "ws", "url": "not a url", "durationMs": -5 },
    { "name": "web", "pattern": "http", "url": "${web.url}/missing" }
  ]
}
`,
    );
  });
  after(async () => {
    await ws.close();
    await web.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('maps secret names to WIRESCOPE_SECRET_ variables and finds the profiles file from a folder below', () => {
    assert.equal(secretEnvName('api.token'), 'WIRESCOPE_SECRET_API_TOKEN');
    assert.equal(secretEnvName('Orders feed.bearer'), 'WIRESCOPE_SECRET_ORDERS_FEED_BEARER');
    assert.equal(findProfilesFile(join(dir, 'deep', 'er')), join(dir, '.vscode', 'wirescope.json'));
  });

  it('connects with a saved profile found from the current folder up: env and secret substituted, the secret never printed', async () => {
    received.length = 0;
    const secret = 'tok-3f9a2b7c';
    const io = captureIo({ ECHO_PORT: String(ws.port), WIRESCOPE_SECRET_API_TOKEN: secret }, join(dir, 'deep', 'er'));
    const code = await main(['connect', '--profile', 'echo', '--format', 'ndjson'], io);
    assert.equal(code, EXIT.ok, io.errors.join('\n'));
    // The server got the real values...
    assert.equal(received.length, 1);
    assert.equal(received[0].text, `hello ${secret}`);
    assert.equal(received[0].headers['x-api-key'], secret);
    // ...and the output has none of them.
    assert.ok(!io.out.includes(secret), 'the secret value is not in the output');
    const events = parseNdjson(io.out);
    const frames = events.filter((e) => e.kind === 'frame' && !e.meta?.control);
    assert.deepEqual(frames.map((f) => f.kind === 'frame' && [f.dir, f.data]), [['out', 'hello [secret]'], ['in', 'hello [secret]']]);
    assert.equal(events.at(-1)?.kind, 'summary');
  });

  it('flags override the profile: a URL, --send and --count replace its fields', async () => {
    received.length = 0;
    const io = captureIo({ ECHO_PORT: '1', WIRESCOPE_SECRET_API_TOKEN: 'tok-3f9a2b7c' }, dir);
    const code = await main(['connect', '--profile', 'echo', `${ws.url}/other`, '--send', 'a', '--send', 'b', '--count', '2', '--format', 'ndjson'], io);
    assert.equal(code, EXIT.ok, io.errors.join('\n'));
    assert.deepEqual(received.map((r) => r.text), ['a', 'b'], 'the profile\'s own send list was replaced');
    const inbound = parseNdjson(io.out).filter((e) => e.kind === 'frame' && e.dir === 'in' && !e.meta?.control);
    assert.equal(inbound.length, 2);
    assert.equal(received[0].headers['x-api-key'], 'tok-3f9a2b7c', 'the profile headers still apply');
  });

  it('a missing secret is one line naming its variable, exit 2', async () => {
    const io = captureIo({ ECHO_PORT: String(ws.port) }, dir);
    assert.equal(await main(['connect', '--profile', 'echo'], io), EXIT.usage);
    assert.equal(io.errors.length, 1);
    assert.match(io.errors[0], /secret "api\.token" of profile "echo" is not set: set environment variable WIRESCOPE_SECRET_API_TOKEN$/);
    assert.equal(io.out, '', 'nothing connected');
  });

  it('a profile with problems is refused with their JSON paths and messages, exit 2; an unknown name lists the names', async () => {
    const io = captureIo({}, dir);
    assert.equal(await main(['connect', '--profile', 'broken'], io), EXIT.usage);
    assert.equal(io.errors.length, 1);
    assert.match(io.errors[0], /profile "broken" in .*wirescope\.json has 2 problems: profiles\[1\]\.url \(line 12, column \d+\): Invalid URL: "not a url"; profiles\[1\]\.durationMs \(line 12, column \d+\): "durationMs" must be a whole number >= 1$/);

    const none = captureIo({}, dir);
    assert.equal(await main(['connect', '--profile', 'nope'], none), EXIT.usage);
    assert.match(none.errors[0], /no profile named "nope" in .* \(it has "echo", "broken", "web"\)/);
  });

  it('wirescope profiles lists every profile with its problems (exit 2 when any has errors); --format json too', async () => {
    const io = captureIo({}, join(dir, 'deep'));
    assert.equal(await main(['profiles'], io), EXIT.usage);
    const lines = io.out.split('\n');
    assert.match(lines[0], /wirescope\.json: 3 profiles$/);
    assert.ok(lines.some((l) => /^ {2}echo {2,}ws {2,}ws:\/\/127\.0\.0\.1:\$\{env:ECHO_PORT\}\/$/.test(l)), io.out);
    assert.ok(lines.some((l) => /^✖ broken/.test(l)), io.out);
    assert.ok(lines.some((l) => /error {3}profiles\[1\]\.url \(line 12, column \d+\): Invalid URL/.test(l)), io.out);
    assert.deepEqual(io.errors, [`2 problem(s) in ${join(dir, '.vscode', 'wirescope.json')}`]);

    const json = captureIo({}, dir);
    await main(['profiles', '--format', 'json'], json);
    const doc = JSON.parse(json.out) as { ok: boolean; profiles: Array<{ name: string; valid: boolean; line: number; problems: Array<{ path: unknown[] }> }> };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.profiles.map((p) => [p.name, p.valid, p.line]), [['echo', true, 4], ["broken", false, 12], ["web", true, 13]]);
    assert.deepEqual(doc.profiles[1].problems.map((p) => p.path), [['profiles', 1, 'url'], ['profiles', 1, 'durationMs']]);
  });

  it('no profiles file anywhere up, or an unreadable one: one line, exit 2', async () => {
    const lonely = await mkdtemp(join(tmpdir(), 'wirescope-none-'));
    try {
      const io = captureIo({}, lonely);
      assert.equal(await main(['profiles'], io), EXIT.usage);
      assert.match(io.errors[0], /^no \.vscode\/wirescope\.json in .* or any folder above it; give --profiles FILE$/);
      await writeFile(join(lonely, 'p.json'), '{ "profiles": [ { "name": "x", } ');
      const bad = captureIo({}, lonely);
      assert.equal(await main(['connect', '--profile', 'x', '--profiles', 'p.json'], bad), EXIT.usage);
      assert.match(bad.errors[0], /p\.json is not valid JSON: .*line 1/);
    } finally {
      await rm(lonely, { recursive: true, force: true });
    }
  });

  it('the real process: --profiles FILE, and --fail-on http-error exits 4 on a 404 like curl --fail (0 without it)', async () => {
    const file = join(dir, '.vscode', 'wirescope.json');
    const lenient = await runCli(['connect', '--profile', 'web', '--profiles', file, '--format', 'summary']);
    assert.equal(lenient.code, EXIT.ok, lenient.stderr);
    const strict = await runCli(['connect', '--profile', 'web', '--profiles', file, '--format', 'summary', '--fail-on', 'http-error']);
    assert.equal(strict.code, EXIT.httpError);
    assert.match(assertOneLineError(strict.stderr), /^wirescope: HTTP 404 \(event #\d+\) with --fail-on http-error$/);
    const ok = await runCli(['connect', `${web.url}/fine`, '--format', 'summary', '--fail-on', 'http-error']);
    assert.equal(ok.code, EXIT.ok, ok.stderr);
  });
});
