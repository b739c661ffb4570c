/**
 * A real server process for tests (redis-server, nats-server, dovecot, rabbitmq-server, kcat's mock
 * cluster...): started in its own process group, ready when its port accepts or when its output shows a
 * line, and stopped by signalling that group (never a process by name): SIGTERM, then SIGKILL after a grace
 * period. The group is also killed if the test process exits first. Output is kept, bounded, for failure
 * messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const OUTPUT_CAP = 64 * 1024;

export interface DaemonSpec {
  /** Shown in failure messages ("redis-server did not listen on 4000 within 10 s: ..."). */
  name: string;
  bin: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ready when this loopback port accepts a connection, or when the output (stdout + stderr) matches. */
  ready: { port: number } | { output: RegExp };
  readyTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL on stop(). */
  stopGraceMs?: number;
  /** More text for failure messages (a log file the daemon writes, say). */
  extraLog?: () => string;
}

export interface Daemon {
  pid: number;
  /** The ready line's match, when readiness was an output pattern. */
  match?: RegExpMatchArray;
  /** stdout + stderr so far (bounded), and the extra log. */
  log(): string;
  running(): boolean;
  /** Stop the whole process group; safe to call twice. */
  stop(): Promise<void>;
}

export async function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (!child.pid) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  let output = '';
  const child = spawn(spec.bin, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: spec.env ?? process.env, cwd: spec.cwd });
  let exitCode: number | string | null = null;
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let spawnFailed: Error | undefined;
  void spawnError.then((e) => (spawnFailed = e));
  const gone = new Promise<void>((r) => child.once('exit', (code, sig) => ((exitCode = code ?? sig ?? 'exited'), r())));
  const reap = () => killGroup(child, 'SIGKILL');
  process.once('exit', reap);
  void gone.then(() => process.removeListener('exit', reap));
  const keep = (s: Buffer) => {
    if (output.length < OUTPUT_CAP) output += s.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const log = () => `${output}${spec.extraLog ? spec.extraLog() : ''}`.trim().slice(-4000);

  const stop = async (): Promise<void> => {
    if (exitCode !== null || !child.pid) return;
    if (!killGroup(child, 'SIGTERM')) return;
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), spec.stopGraceMs ?? 3000);
    await gone;
    clearTimeout(timer);
    // Whatever the leader left behind in its group goes too.
    killGroup(child, 'SIGKILL');
  };

  const timeoutMs = spec.readyTimeoutMs ?? 10_000;
  const until = Date.now() + timeoutMs;
  let match: RegExpMatchArray | undefined;
  for (;;) {
    if (spawnFailed) throw new Error(`${spec.name} could not be started (${spec.bin}): ${spawnFailed.message}`);
    if (exitCode !== null) throw new Error(`${spec.name} exited (${exitCode}) before it was ready: ${log()}`);
    if ('port' in spec.ready) {
      if (await canConnect(spec.ready.port)) break;
    } else {
      const m = output.match(spec.ready.output);
      if (m) {
        match = m;
        break;
      }
    }
    if (Date.now() > until) {
      const what = 'port' in spec.ready ? `listen on ${spec.ready.port}` : `print ${spec.ready.output}`;
      const l = log();
      await stop();
      throw new Error(`${spec.name} did not ${what} within ${Math.round(timeoutMs / 1000)} s: ${l}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { pid: child.pid!, match, log, running: () => exitCode === null, stop };
}
