/**
 * A real NATS server for tests: Debian's `nats-server` on a free loopback port, started in its own process
 * group and stopped by that group's id. restart() brings it back on the same port (reconnect tests). Auth:
 * a user/password or a token.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/core/freePort';
import { startDaemon, type Daemon } from './daemon';

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

export async function startNats(opts: { user?: string; pass?: string; token?: string; tls?: { cert: string; key: string }; /** nats-server configuration text (limits such as max_pending); flags still apply on top. */ config?: string } = {}): Promise<NatsServer> {
  if (!existsSync(NATS_SERVER_BIN)) throw new Error(`nats-server is not installed at ${NATS_SERVER_BIN} (apt-get install nats-server)`);
  const port = await freePort();
  let daemon: Daemon | undefined;
  let earlier = '';
  let stopped = false;
  const dir = opts.tls || opts.config !== undefined ? mkdtempSync(join(tmpdir(), 'wirescope-nats-')) : undefined;
  if (opts.config !== undefined && dir) writeFileSync(join(dir, 'nats.conf'), opts.config);
  if (opts.tls && dir) {
    writeFileSync(join(dir, 'server.crt'), opts.tls.cert);
    writeFileSync(join(dir, 'server.key'), opts.tls.key, { mode: 0o600 });
  }
  const launch = async (): Promise<void> => {
    const args = opts.config !== undefined && dir ? ['-c', join(dir, 'nats.conf')] : [];
    args.push('-a', '127.0.0.1', '-p', String(port));
    if (opts.user) args.push('--user', opts.user, '--pass', opts.pass ?? '');
    if (opts.token) args.push('--auth', opts.token);
    if (opts.tls && dir) args.push('--tls', '--tlscert', join(dir, 'server.crt'), '--tlskey', join(dir, 'server.key'));
    daemon = await startDaemon({ name: 'nats-server', bin: NATS_SERVER_BIN, args, ready: { port } });
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
    url: `nats://127.0.0.1:${port}`,
    log: () => earlier + (daemon?.log() ?? ''),
    halt: stopProcess,
    start: async () => {
      if (stopped) throw new Error('the server was stopped for good');
      if (!daemon) await launch();
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
