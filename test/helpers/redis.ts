/**
 * A real Redis server for tests: Debian's `redis-server` on a free loopback port, no persistence, a temp
 * dir, started in its own process group and stopped by that group's id. restart() brings it back on the
 * same port (reconnect tests); `redisCli()` runs Debian's `redis-cli` as a peer Wirescope did not write.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/core/freePort';
import { startDaemon, type Daemon } from './daemon';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
export const REDIS_CLI_BIN = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';

export interface RedisServer {
  port: number;
  url: string;
  /** Run redis-cli against this server (with the password when one is required); resolves with its stdout. */
  cli(...args: string[]): Promise<string>;
  log(): string;
  /** Stop the process but keep the port, so that start() can bring it back. */
  halt(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stop for good and remove the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export function redisAvailable(): boolean {
  return existsSync(REDIS_SERVER_BIN) && existsSync(REDIS_CLI_BIN);
}

export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER_BIN)) throw new Error(`redis-server is not installed at ${REDIS_SERVER_BIN} (apt-get install redis-server)`);
  const dir = mkdtempSync(join(tmpdir(), 'wirescope-redis-'));
  const port = await freePort();
  let daemon: Daemon | undefined;
  let earlier = '';
  let removed = false;

  const launch = async (): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'];
    if (opts.password) args.push('--requirepass', opts.password);
    daemon = await startDaemon({ name: 'redis-server', bin: REDIS_SERVER_BIN, args, ready: { port } });
  };

  const stopProcess = async (): Promise<void> => {
    const d = daemon;
    daemon = undefined;
    if (!d) return;
    earlier += d.log();
    await d.stop();
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli: (...args) =>
      new Promise((resolve, reject) => {
        const auth = opts.password ? ['--no-auth-warning', '-a', opts.password] : [];
        execFile(REDIS_CLI_BIN, ['-h', '127.0.0.1', '-p', String(port), ...auth, ...args], { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`redis-cli ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
      }),
    log: () => earlier + (daemon?.log() ?? ''),
    halt: stopProcess,
    start: async () => {
      if (removed) throw new Error('the server was stopped for good');
      if (!daemon) await launch();
    },
    restart: async () => {
      await stopProcess();
      await launch();
    },
    stop: async () => {
      await stopProcess();
      if (!removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
