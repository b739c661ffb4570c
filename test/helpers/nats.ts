/**
 * A real NATS server for tests: Debian's `nats-server` on a free loopback port, started in its own process
 * group and stopped by that group's id. restart() brings it back on the same port (reconnect tests). Auth:
 * a user/password or a token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { freePort } from '../../src/core/freePort';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export interface NatsServer {
  port: number;
  url: string;
  log(): string;
  halt(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
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

export async function startNats(opts: { user?: string; pass?: string; token?: string; tls?: { cert: string; key: string } } = {}): Promise<NatsServer> {
  if (!existsSync(NATS_SERVER_BIN)) throw new Error(`nats-server is not installed at ${NATS_SERVER_BIN} (apt-get install nats-server)`);
  const port = await freePort();
  let proc: ChildProcess | undefined;
  let output = '';
  let stopped = false;
  const dir = opts.tls ? mkdtempSync(join(tmpdir(), 'wirescope-nats-')) : undefined;
  if (opts.tls && dir) {
    writeFileSync(join(dir, 'server.crt'), opts.tls.cert);
    writeFileSync(join(dir, 'server.key'), opts.tls.key, { mode: 0o600 });
  }
  const launch = async (): Promise<void> => {
    const args = ['-a', '127.0.0.1', '-p', String(port)];
    if (opts.user) args.push('--user', opts.user, '--pass', opts.pass ?? '');
    if (opts.token) args.push('--auth', opts.token);
    if (dir) args.push('--tls', '--tlscert', join(dir, 'server.crt'), '--tlskey', join(dir, 'server.key'));
    const child = spawn(NATS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    proc = child;
    const reap = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    const keep = (s: Buffer) => {
      if (output.length < 64 * 1024) output += s.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const until = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${output.trim()}`);
      if (await canConnect(port)) return;
      if (Date.now() > until) {
        reap();
        throw new Error(`nats-server did not listen on ${port} within 10 s: ${output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stopProcess = async (): Promise<void> => {
    const child = proc;
    proc = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    log: () => output,
    halt: stopProcess,
    start: async () => {
      if (stopped) throw new Error('the server was stopped for good');
      if (!proc) await launch();
    },
    restart: async () => {
      await stopProcess();
      await launch();
    },
    stop: async () => {
      stopped = true;
      await stopProcess();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
