// The demo's MQTT broker (aedes) is not in the main bundles: scripts/build.mjs ships it as
// dist/demo-mqtt-broker.js, which the demo loads when it starts its broker. This builds the real bundles
// into a temporary directory, checks where aedes ended up, and runs the built CLI's demo with an MQTT
// client of the built CLI against it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../../..');
let out = '';

before(() => {
  out = mkdtempSync(path.join(tmpdir(), 'wirescope-bundles-'));
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet', `--outdir=${out}`], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  assert.equal(build.status, 0, build.stderr || build.stdout);
});

after(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

/** esbuild names every bundled module in a comment: `// node_modules/aedes/aedes.js`. */
const hasModule = (file: string, pkg: string) => readFileSync(path.join(out, file), 'utf8').includes(`// node_modules/${pkg}/`);

describe('demo broker bundle', () => {
  it('aedes is in dist/demo-mqtt-broker.js only; the main bundles load it by path', () => {
    assert.ok(existsSync(path.join(out, 'demo-mqtt-broker.js')));
    assert.ok(hasModule('demo-mqtt-broker.js', 'aedes'));
    for (const main of ['extension.js', 'cli.js']) {
      assert.equal(hasModule(main, 'aedes'), false, `${main} does not contain aedes`);
      assert.match(readFileSync(path.join(out, main), 'utf8'), /import\("\.\/demo-mqtt-broker\.js"\)/, `${main} loads the broker bundle on demand`);
    }
  });

  it('the socket.io server is in dist/demo-socketio.js only; the main bundles carry only the client and load the server by path', () => {
    assert.ok(existsSync(path.join(out, 'demo-socketio.js')));
    assert.ok(hasModule('demo-socketio.js', 'socket.io'));
    for (const main of ['extension.js', 'cli.js']) {
      assert.equal(hasModule(main, 'socket.io'), false, `${main} does not contain the socket.io server`);
      assert.equal(hasModule(main, 'engine.io'), false, `${main} does not contain the engine.io server`);
      assert.ok(hasModule(main, 'socket.io-client'), `${main} bundles socket.io-client (the socketio pattern)`);
      assert.match(readFileSync(path.join(out, main), 'utf8'), /import\("\.\/demo-socketio\.js"\)/, `${main} loads the Socket.IO server bundle on demand`);
    }
  });

  it('the built CLI demo serves the feed over Socket.IO through its separate bundle, to the built CLI', async () => {
    const demo = spawn(process.execPath, [path.join(out, 'cli.js'), 'demo', '--port', '0', '--no-mqtt', '--no-grpc', '--rate', '20/s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    demo.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!/Socket\.IO \(socketio\)\s+http:\/\/127\.0\.0\.1:\d+\//.test(stdout)) {
        assert.ok(Date.now() < deadline && demo.exitCode === null, `demo did not start: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /Socket\.IO \(socketio\)\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)![1];
      const r = spawnSync(process.execPath, [path.join(out, 'cli.js'), 'connect', url, '--pattern', 'socketio', '--emit', 'echo={"x":1}', '--ack', '--transport', 'websocket', '--count', '8', '--format', 'ndjson'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; dir?: string; channel?: string; meta?: { control?: boolean; ack?: boolean } });
      const data = events.filter((e) => e.kind === 'frame' && e.dir === 'in' && !e.meta?.control);
      assert.equal(data[0].channel, 'welcome', r.stdout);
      assert.ok(data.some((f) => f.channel === 'echo' && f.meta?.ack === true), `the echo is acknowledged: ${r.stdout}`);
    } finally {
      demo.kill('SIGKILL');
    }
  });

  it('the built CLI demo serves MQTT 3.1.1 and 5 through the separate bundle', async () => {
    const demo = spawn(process.execPath, [path.join(out, 'cli.js'), 'demo', '--port', '0', '--mqtt-port', '0', '--no-grpc', '--rate', '20/s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    demo.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!/mqtt:\/\/127\.0\.0\.1:\d+/.test(stdout)) {
        assert.ok(Date.now() < deadline && demo.exitCode === null, `demo did not start: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /mqtt:\/\/127\.0\.0\.1:\d+/.exec(stdout)![0];
      for (const version of ['4', '5']) {
        const r = spawnSync(process.execPath, [path.join(out, 'cli.js'), 'connect', url, '--mqtt-version', version, '--subscribe', 'feed/ticks', '--count', '2', '--format', 'ndjson'], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; dir?: string; channel?: string; meta?: { control?: boolean } });
        const data = events.filter((e) => e.kind === 'frame' && e.dir === 'in' && !e.meta?.control);
        assert.equal(data.length, 2, `MQTT ${version}: ${r.stdout}`);
        assert.ok(data.every((f) => f.channel === 'feed/ticks'));
      }
    } finally {
      demo.kill('SIGKILL');
    }
  });

  it('the gRPC server is in dist/demo-grpc.js only; the main bundles load it by path', () => {
    assert.ok(existsSync(path.join(out, 'demo-grpc.js')));
    assert.ok(hasModule('demo-grpc.js', '@grpc/grpc-js'));
    assert.ok(hasModule('demo-grpc.js', '@grpc/reflection'));
    for (const main of ['extension.js', 'cli.js']) {
      assert.equal(hasModule(main, '@grpc/grpc-js'), false, `${main} does not contain grpc-js`);
      assert.equal(hasModule(main, '@grpc/reflection'), false, `${main} does not contain @grpc/reflection`);
      assert.match(readFileSync(path.join(out, main), 'utf8'), /import\("\.\/demo-grpc\.js"\)/, `${main} loads the gRPC server bundle on demand`);
    }
  });

  it('the built CLI demo serves gRPC with reflection through its separate bundle (no .proto file on disk), to the built CLI', async () => {
    const demo = spawn(process.execPath, [path.join(out, 'cli.js'), 'demo', '--port', '0', '--no-mqtt', '--grpc-port', '0', '--rate', '20/s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    demo.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!/grpc:\/\/127\.0\.0\.1:\d+/.test(stdout)) {
        assert.ok(Date.now() < deadline && demo.exitCode === null, `demo did not start: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /grpc:\/\/127\.0\.0\.1:\d+/.exec(stdout)![0];
      const list = spawnSync(process.execPath, [path.join(out, 'cli.js'), 'connect', url, '--list', '--format', 'ndjson'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(list.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { method: string }).method), ['wirescope.demo.Feed/Watch', 'wirescope.demo.Feed/Get', 'wirescope.demo.Feed/Chat']);
      const r = spawnSync(process.execPath, [path.join(out, 'cli.js'), 'connect', url, '--method', 'wirescope.demo.Feed/Watch', '-d', '{"count":5}', '--format', 'ndjson'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; dir?: string; state?: string; code?: number; meta?: { control?: boolean } });
      assert.equal(events.filter((e) => e.kind === 'frame' && e.dir === 'in' && !e.meta?.control).length, 5, r.stdout);
      const last = events.filter((e) => e.kind === 'state').pop();
      assert.deepEqual([last?.state, last?.code], ['closed', 0]);
    } finally {
      demo.kill('SIGKILL');
    }
  });

  it('the GraphQL servers are in dist/demo-graphql.js only; the main bundles load it by path', () => {
    assert.ok(existsSync(path.join(out, 'demo-graphql.js')));
    const servers = ['graphql', 'graphql-http', 'graphql-ws', 'graphql-sse', 'subscriptions-transport-ws'];
    for (const pkg of servers) assert.ok(hasModule('demo-graphql.js', pkg), `demo-graphql.js bundles ${pkg}`);
    for (const main of ['extension.js', 'cli.js']) {
      for (const pkg of servers) assert.equal(hasModule(main, pkg), false, `${main} does not contain ${pkg}`);
      assert.match(readFileSync(path.join(out, main), 'utf8'), /import\("\.\/demo-graphql\.js"\)/, `${main} loads the GraphQL bundle on demand`);
    }
  });

  it('the built CLI demo serves GraphQL queries and subscriptions (legacy graphql-ws, graphql-sse) through its separate bundle, to the built CLI', async () => {
    const demo = spawn(process.execPath, [path.join(out, 'cli.js'), 'demo', '--port', '0', '--no-mqtt', '--no-grpc', '--rate', '20/s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    demo.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!/GraphQL subscriptions \(SSE\)\s+http:\/\/127\.0\.0\.1:\d+\/graphql\/stream/.test(stdout)) {
        assert.ok(Date.now() < deadline && demo.exitCode === null, `demo did not start: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const base = /GraphQL queries \(graphql\)\s+(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(stdout)![1];
      const run = (args: string[]) => {
        const r = spawnSync(process.execPath, [path.join(out, 'cli.js'), 'connect', ...args, '--pattern', 'graphql', '--format', 'ndjson'], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; dir?: string; data?: string; meta?: { control?: boolean; protocol?: string } });
        return events.filter((e) => e.kind === 'frame' && e.dir === 'in' && !e.meta?.control);
      };
      const [query] = run([`${base}/graphql`, '-d', 'query { feed { rate } }']);
      assert.deepEqual(JSON.parse(query.data!), { data: { feed: { rate: 20 } } });
      for (const [url, protocol, wire] of [[`${base.replace('http:', 'ws:')}/graphql`, 'graphql-ws', 'graphql-ws'], [`${base}/graphql/stream`, 'sse', 'graphql-sse']]) {
        const results = run([url, '-d', 'subscription { ticks { seq } }', '--count', '2', '--graphql-protocol', protocol]);
        assert.equal(results.length, 2, wire);
        assert.ok(results.every((f) => f.meta?.protocol === wire && typeof (JSON.parse(f.data!) as { data: { ticks: { seq: number } } }).data.ticks.seq === 'number'), JSON.stringify(results));
      }
    } finally {
      demo.kill('SIGKILL');
    }
  });
});
