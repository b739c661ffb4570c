import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { wsServer, type WsTestServer } from '../../helpers/servers';
import { assertOneLineError, REPO_ROOT, runCli } from './runCli';

const XSD = join(REPO_ROOT, 'test', 'fixtures', 'junit-10.xsd');

/** Validate with xmllint (Debian libxml2-utils) against the JUnit XSD; resolves with xmllint's verdict. */
async function xmllint(file: string): Promise<string> {
  try {
    const { stderr } = await promisify(execFile)('xmllint', ['--noout', '--schema', XSD, file], { timeout: 20_000 });
    return stderr.trim();
  } catch (err) {
    throw new Error(`xmllint rejected ${file}: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
}

/** Pull every element of one name out with xmllint's XPath (a real XML parser, not a regex). */
async function xpath(file: string, expr: string): Promise<string> {
  const { stdout } = await promisify(execFile)('xmllint', ['--xpath', expr, file], { timeout: 20_000 });
  return stdout.trim();
}

describe('wirescope test', () => {
  let dir: string;
  let echo: WsTestServer;
  let live = 0;
  let maxLive = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wirescope-test-'));
    // The ws library's own WebSocketServer, echoing every message: a peer Wirescope did not write.
    echo = await wsServer((wss) =>
      wss.on('connection', (sock) => {
        maxLive = Math.max(maxLive, ++live);
        sock.on('close', () => live--);
        sock.on('message', (data, binary) => sock.send(data, { binary }));
      }),
    );
    const profiles = {
      profiles: [
        { name: 'echo ok', pattern: 'ws', url: `${echo.url}/`, send: ['ok'], expect: [{ receive: { match: '^ok$', within: 3000 } }] },
        { name: 'echo wrong', pattern: 'ws', url: `${echo.url}/`, send: ['hello'], durationMs: 5000, expect: [{ receive: { match: '^never$', within: 800 } }, { noReceive: { match: 'error' } }] },
        { name: 'not a test', pattern: 'ws', url: `${echo.url}/` },
      ],
    };
    await writeFile(join(dir, 'p.json'), JSON.stringify(profiles, null, 2));
  });
  after(async () => {
    await echo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('done when: exits 1 with a JUnit report of two testcases, one failed naming its expectation; the passing one alone exits 0', async () => {
    const report = join(dir, 'r.xml');
    const res = await runCli(['test', '--profiles', join(dir, 'p.json'), '--reporter', 'junit', '--output', report], { timeoutMs: 60_000 });
    assert.equal(res.code, 1, res.stderr);
    assert.match(assertOneLineError(res.stderr), /^wirescope: 1 of 2 profiles failed: echo wrong$/);
    assert.equal(res.stdout, '', 'the only reporter writes to its file');
    await xmllint(report);
    const xml = await readFile(report, 'utf8');
    assert.equal(await xpath(report, 'count(//testcase)'), '2');
    assert.equal(await xpath(report, 'string(//testsuites/@failures)'), '1');
    assert.equal(await xpath(report, 'count(//testcase[@name="echo ok"]/failure)'), '0');
    assert.equal(await xpath(report, 'count(//testcase[@name="echo wrong"]/failure)'), '1', xml);
    const message = await xpath(report, 'string(//testcase[@name="echo wrong"]/failure/@message)');
    assert.equal(message, 'expect[0] receive 1 frame matching /^never$/ within 800 ms: expected 1 frame matching /^never$/ within 800 ms, saw 0');

    const one = await runCli(['test', '--profiles', join(dir, 'p.json'), 'echo ok'], { timeoutMs: 60_000 });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^✓ echo ok {2}\(\d+ ms\)\n {4}✓ expect\[0\] receive 1 frame matching \/\^ok\$\/ within 3000 ms\n\n1 profile: 1 passed, 0 failed \(\d+ ms\)\n$/);
  });

  it('every reporter at once: junit, tap and json to files, pretty to stdout; sessions run concurrently up to --concurrency', async () => {
    maxLive = 0;
    const files = { junit: join(dir, 'a.xml'), tap: join(dir, 'a.tap'), json: join(dir, 'a.json') };
    const res = await runCli(
      ['test', '--profiles', join(dir, 'p.json'), '--reporter', 'junit', '--output', files.junit, '--reporter', 'tap', '--output', files.tap, '--reporter', 'json', '--output', files.json, '--reporter', 'pretty', '--concurrency', '2'],
      { timeoutMs: 60_000 },
    );
    assert.equal(res.code, 1, res.stderr);
    assert.equal(maxLive, 2, 'both profiles had their connection open at the same time');

    // pretty: each profile, its failed expectation with expected vs seen, the frames involved, the totals.
    assert.match(res.stdout, /^✗ echo wrong {2}\(\d+ ms\)$/m);
    assert.match(res.stdout, /^ {4}✗ expect\[0\] receive 1 frame matching \/\^never\$\/ within 800 ms: expected 1 frame matching \/\^never\$\/ within 800 ms, saw 0$/m);
    assert.match(res.stdout, /^ {4}✓ expect\[1\] noReceive no frame matching \/error\/$/m);
    assert.match(res.stdout, /^2 profiles: 1 passed, 1 failed \(\d+ ms\)$/m);

    await xmllint(files.junit);

    const tap = (await readFile(files.tap, 'utf8')).split('\n');
    assert.deepEqual(tap.slice(0, 3), ['TAP version 14', '1..2', 'ok 1 - echo ok']);
    assert.ok(tap.includes('not ok 2 - echo wrong'), tap.join('\n'));
    assert.ok(tap.includes('      message: "expected 1 frame matching /^never$/ within 800 ms, saw 0"'), tap.join('\n'));

    const json = JSON.parse(await readFile(files.json, 'utf8')) as {
      passed: number;
      failed: number;
      profiles: Array<{ name: string; status: string; line: number; expectations: Array<{ status: string; seqs: number[] }> }>;
    };
    assert.equal(json.passed, 1);
    assert.equal(json.failed, 1);
    assert.deepEqual(json.profiles.map((p) => [p.name, p.status, p.line]), [['echo ok', 'passed', 3], ['echo wrong', 'failed', 19]]);
    const ok = json.profiles[0].expectations[0];
    assert.equal(ok.status, 'passed');
    assert.equal(ok.seqs.length, 1, 'the passing receive points at the echoed frame');
  });

  it('bad profiles: exit 2 with every problem on one line, nothing run; unknown names and profiles without expect too', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ profiles: [{ name: 'b', pattern: 'ws', url: `${echo.url}/`, expect: [{ receive: { count: 0 } }, { status: 200 }] }] }));
    maxLive = 0;
    const res = await runCli(['test', '--profiles', bad]);
    assert.equal(res.code, 2);
    assert.match(assertOneLineError(res.stderr), /profile "b" in .*bad\.json has 2 problems: profiles\[0\]\.expect\[0\]\.receive\.count \(line 1, column \d+\): "count" must be a whole number >= 1; profiles\[0\]\.expect\[1\]\.status \(line 1, column \d+\): "status" applies to the HTTP patterns/);
    assert.equal(maxLive, 0, 'nothing connected');

    const unknown = await runCli(['test', '--profiles', join(dir, 'p.json'), 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(assertOneLineError(unknown.stderr), /no profile named "nope"/);
    const noExpect = await runCli(['test', '--profiles', join(dir, 'p.json'), 'not a test']);
    assert.equal(noExpect.code, 2);
    assert.match(assertOneLineError(noExpect.stderr), /"not a test" in .* has no "expect" list/);
    const twoStdout = await runCli(['test', '--profiles', join(dir, 'p.json'), '--reporter', 'tap', '--reporter', 'json']);
    assert.equal(twoStdout.code, 2);
    assert.match(assertOneLineError(twoStdout.stderr), /only one reporter can write to stdout/);
  });
});
