/**
 * A real RabbitMQ broker for tests: Debian's `rabbitmq-server` as a throwaway node (docs in
 * /work/shared/brokers.md): its own Erlang port mapper on a free port, AMQP and distribution ports chosen
 * at run time, a temporary base directory, run as the `rabbitmq` user. Each of epmd and the node runs in
 * its own process group, stopped by that group's id (never by name).
 *
 * Starting costs about 8 s, so a test process shares ONE node (`sharedRabbit()`); tests keep apart by
 * name prefix (`rabbitPrefix()`). With `tls`, the node also listens for AMQP over TLS (`amqps://`) on a second
 * free port with that certificate (the shared node does, with the self-signed test certificate of tlsCerts.ts). `ctl(...)` runs rabbitmqctl against the node (close_all_connections,
 * stop_app/start_app for a broker restart within the same node).
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/core/freePort';
import { canConnect, startDaemon, type Daemon } from './daemon';
import { makeTestCerts, type TestCert } from './tlsCerts';

export const RABBITMQ_SERVER_BIN = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const RABBITMQCTL_BIN = '/usr/lib/rabbitmq/bin/rabbitmqctl';

export interface RabbitNode {
  port: number;
  /** amqp://guest:guest@127.0.0.1:PORT/ */
  url: string;
  /** With `tls`: the TLS listener's port and amqps://guest:guest@127.0.0.1:TLSPORT/ */
  tlsPort?: number;
  tlsUrl?: string;
  nodeName: string;
  log(): string;
  /** Run rabbitmqctl against this node (bounded to 60 s); resolves with its output. */
  ctl(...args: string[]): Promise<string>;
  /** Stop and start the broker application inside the node (a broker restart: connections are closed, the port goes away and comes back). */
  restartApp(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRabbit(opts: { tls?: TestCert } = {}): Promise<RabbitNode> {
  if (!existsSync(RABBITMQ_SERVER_BIN)) throw new Error(`rabbitmq-server is not installed at ${RABBITMQ_SERVER_BIN} (apt-get install rabbitmq-server)`);
  const port = await freePort();
  const epmdPort = await freePort();
  const distPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wirescope-rabbit-'));
  chmodSync(dir, 0o755);
  const { uid, gid } = await rabbitIds();
  chownSync(dir, uid, gid);
  let conf = `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users = none\n`;
  const tlsPort = opts.tls ? await freePort() : undefined;
  if (opts.tls) {
    // The certificate is self-signed: it is its own CA. Clients are not asked for a certificate.
    for (const [name, text, mode] of [['cert.pem', opts.tls.cert, 0o644], ['key.pem', opts.tls.key, 0o600]] as const) {
      writeFileSync(join(dir, name), text, { mode });
      chownSync(join(dir, name), uid, gid);
    }
    conf += [
      `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
      `ssl_options.cacertfile = ${join(dir, 'cert.pem')}`,
      `ssl_options.certfile = ${join(dir, 'cert.pem')}`,
      `ssl_options.keyfile = ${join(dir, 'key.pem')}`,
      'ssl_options.verify = verify_none',
      'ssl_options.fail_if_no_peer_cert = false',
      '',
    ].join('\n');
  }
  writeFileSync(join(dir, 'rabbitmq.conf'), conf);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  chownSync(join(dir, 'rabbitmq.conf'), uid, gid);
  chownSync(join(dir, 'enabled_plugins'), uid, gid);
  const nodeName = `wirescope${port}@localhost`;
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
  };
  const epmd = await startDaemon({ name: 'epmd', bin: 'runuser', args: ['-u', 'rabbitmq', '--', 'epmd', '-address', '127.0.0.1', '-port', String(epmdPort)], env, ready: { port: epmdPort } });
  let node: Daemon | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await node?.stop();
    await epmd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    node = await startDaemon({ name: 'rabbitmq-server', bin: 'runuser', args: ['-u', 'rabbitmq', '--preserve-environment', '--', RABBITMQ_SERVER_BIN], env, ready: { port }, readyTimeoutMs: 60_000, stopGraceMs: 10_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  const running = node;
  const ctl = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('runuser', ['-u', 'rabbitmq', '--preserve-environment', '--', RABBITMQCTL_BIN, '-n', nodeName, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${err.message} ${stderr}`));
        else resolve(stdout);
      });
    });
  const waitPort = async (ms: number, which = port) => {
    const until = Date.now() + ms;
    for (;;) {
      if (!running.running()) throw new Error(`rabbitmq-server exited: ${running.log()}`);
      if (await canConnect(which)) return;
      if (Date.now() > until) throw new Error(`rabbitmq-server did not listen on ${which} within ${ms / 1000} s: ${running.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  if (tlsPort !== undefined) {
    try {
      await waitPort(20_000, tlsPort);
    } catch (err) {
      await stop();
      throw err;
    }
  }
  return {
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}/`,
    ...(tlsPort !== undefined ? { tlsPort, tlsUrl: `amqps://guest:guest@127.0.0.1:${tlsPort}/` } : {}),
    nodeName,
    log: () => running.log(),
    ctl,
    restartApp: async () => {
      await ctl('stop_app');
      await ctl('start_app');
      await waitPort(30_000);
      if (tlsPort !== undefined) await waitPort(30_000, tlsPort);
    },
    stop,
  };
}

async function rabbitIds(): Promise<{ uid: number; gid: number }> {
  return new Promise((resolve, reject) => {
    execFile('id', ['rabbitmq'], (err, out) => {
      if (err) return reject(new Error('no rabbitmq user (apt-get install rabbitmq-server creates it)'));
      const uid = Number(/uid=(\d+)/.exec(out)?.[1]);
      const gid = Number(/gid=(\d+)/.exec(out)?.[1]);
      resolve({ uid, gid });
    });
  });
}

let shared: Promise<RabbitNode> | undefined;

/**
 * The one node of this test process (started on first use), with the TLS listener (the self-signed test certificate:
 * trust it with `makeTestCerts().selfSigned.cert`). Stop it with `stopSharedRabbit()` in an `after` hook.
 */
export function sharedRabbit(): Promise<RabbitNode> {
  shared ??= startRabbit({ tls: makeTestCerts().selfSigned });
  return shared;
}

export async function stopSharedRabbit(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s.catch(() => undefined))?.stop();
}

/** A name prefix that keeps one test's queues and exchanges apart from another's on the shared node. */
export function rabbitPrefix(name: string): string {
  return `${name}-${randomBytes(3).toString('hex')}`;
}
