/**
 * A real Mosquitto broker for tests: Debian's `mosquitto`, on a free loopback port, with a generated
 * config in a temp dir. stop() ends the process (SIGTERM, then SIGKILL) and removes the temp dir;
 * restart() brings it back on the same ports (reconnect tests).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/core/freePort';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD_BIN = process.env.MOSQUITTO_PASSWD_BIN ?? '/usr/bin/mosquitto_passwd';

export interface MosquittoOptions {
  /** Require these credentials (password_file, no anonymous access). */
  users?: Record<string, string>;
  /** Also open a websockets listener. */
  websockets?: boolean;
  /** Also open a TLS listener with this certificate (PEM). */
  tls?: { cert: string; key: string };
}

export interface Mosquitto {
  port: number;
  url: string;
  /** ws://127.0.0.1:<port> when `websockets` was asked for. */
  wsUrl?: string;
  /** mqtts://127.0.0.1:<port> when `tls` was given. */
  tlsUrl?: string;
  /** What the broker wrote to stderr so far (for failure messages). */
  log(): string;
  /** Stop the process (the ports become free); safe to call twice. */
  stop(): Promise<void>;
  /** Stop the process but keep its config, so that start() can bring it back on the same ports. */
  halt(): Promise<void>;
  /** Start a halted broker again on the same ports with the same config. */
  start(): Promise<void>;
  /** halt() then start(). */
  restart(): Promise<void>;
  /** Restart on the same ports, now requiring these credentials (credentials revoked mid-session). */
  requireUsers(users: Record<string, string>): Promise<void>;
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO_BIN)) throw new Error(`Mosquitto is not installed at ${MOSQUITTO_BIN} (apt-get install mosquitto)`);
  const dir = mkdtempSync(join(tmpdir(), 'wirescope-mosquitto-'));
  const port = await freePort();
  const wsPort = opts.websockets ? await freePort() : undefined;
  const tlsPort = opts.tls ? await freePort() : undefined;
  const confFile = join(dir, 'mosquitto.conf');
  /** (Re)write the config; `users` switches between anonymous access and a password file. */
  const writeConfig = (users: Record<string, string> | undefined): void => {
    const lines = [
      // Stay root when the tests run as root, so the broker can read the temp dir.
      'user root',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      // Round-trip assertions should not include Nagle's algorithm delaying small packets.
      'set_tcp_nodelay true',
      `listener ${port} 127.0.0.1`,
    ];
    if (users) {
      const pwFile = join(dir, 'passwords');
      writeFileSync(pwFile, '', { mode: 0o600 });
      for (const [user, password] of Object.entries(users)) {
        const r = spawnSync(MOSQUITTO_PASSWD_BIN, ['-b', pwFile, user, password], { encoding: 'utf8', timeout: 10_000 });
        if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr || r.error?.message}`);
      }
      lines.push('allow_anonymous false', `password_file ${pwFile}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (wsPort !== undefined) lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets');
    if (opts.tls && tlsPort !== undefined) {
      writeFileSync(join(dir, 'server.crt'), opts.tls.cert);
      writeFileSync(join(dir, 'server.key'), opts.tls.key, { mode: 0o600 });
      lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${join(dir, 'server.crt')}`, `keyfile ${join(dir, 'server.key')}`);
    }
    writeFileSync(confFile, lines.join('\n') + '\n');
  };
  writeConfig(opts.users);

  let proc: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<void> => {
    const child = spawn(MOSQUITTO_BIN, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = child;
    // A test runner that dies must not leave a broker behind.
    const reap = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      if (stderr.length < 64 * 1024) stderr += s;
    });
    const until = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr.trim()}`);
      const up =
        (await canConnect(port)) &&
        (wsPort === undefined || (await canConnect(wsPort))) &&
        (tlsPort === undefined || (await canConnect(tlsPort)));
      if (up) return;
      if (Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`mosquitto did not start listening on ${port} within 10 s: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const stopProcess = async (): Promise<void> => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  let removed = false;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: wsPort !== undefined ? `ws://127.0.0.1:${wsPort}` : undefined,
    tlsUrl: tlsPort !== undefined ? `mqtts://127.0.0.1:${tlsPort}` : undefined,
    log: () => stderr,
    stop: async () => {
      await stopProcess();
      if (!removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    halt: stopProcess,
    start: async () => {
      if (removed) throw new Error('the broker was stopped for good');
      if (!proc) await launch();
    },
    restart: async () => {
      if (removed) throw new Error('the broker was stopped for good');
      await stopProcess();
      await launch();
    },
    requireUsers: async (users) => {
      if (removed) throw new Error('the broker was stopped for good');
      await stopProcess();
      writeConfig(users);
      await launch();
    },
  };
}
