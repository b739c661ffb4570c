/**
 * Piped slow consumers: the real CLI as a child process whose stdout is a pipe that is not read
 * for a while. Its resident memory is sampled from /proc while the server floods WebSocket messages.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { expect, type HostileCase } from '../harness';
import { sleep } from '../peers';

const ROOT = join(__dirname, '..', '..', '..');

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Flood `n` messages to each client, as fast as the socket takes them (the server itself stays bounded). */
async function floodServer(n: number): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    let i = 0;
    const pump = () => {
      while (i < n && ws.readyState === ws.OPEN) {
        if (ws.bufferedAmount > 1 << 20) {
          setTimeout(pump, 5);
          return;
        }
        ws.send(`{"seq":${++i},"value":"${'v'.repeat(40)}"}`);
      }
    };
    pump();
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

interface PipedRun {
  code: number | null;
  baseMb: number;
  peakMb: number;
  stdoutBytes: number;
  stderr: string;
  lastLine: string;
}

/** Run the CLI against the flood; stdout is not read for `stallMs`, then drained. */
async function pipedRun(url: string, n: number, stallMs: number, extra: string[]): Promise<PipedRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'connect', url, '--count', String(n), '--format', 'ndjson', ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let stdoutBytes = 0;
  let tail = '';
  const onData = (d: Buffer) => {
    stdoutBytes += d.length;
    tail = (tail + d.toString('utf8')).slice(-2000);
  };
  let peakMb = 0;
  const sampler = setInterval(() => {
    const v = rssMb(child.pid!);
    if (v > peakMb) peakMb = v;
  }, 50);
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  // Wait for the first bytes (connected and flowing), then note the base and stop reading.
  await new Promise<void>((r) => {
    const first = (d: Buffer) => {
      onData(d);
      child.stdout!.off('data', first);
      child.stdout!.pause();
      r();
    };
    child.stdout!.on('data', first);
    // A CLI that refuses its arguments prints nothing on stdout.
    child.once('exit', () => r());
  });
  const baseMb = rssMb(child.pid!) || peakMb;
  await sleep(stallMs);
  child.stdout!.on('data', onData);
  child.stdout!.resume();
  const code = await exited;
  clearTimeout(killer);
  clearInterval(sampler);
  const lines = tail.trim().split('\n');
  return { code, baseMb, peakMb, stdoutBytes, stderr, lastLine: lines[lines.length - 1] ?? '' };
}

export const pipedCases: HostileCase[] = [
  {
    pattern: 'ws',
    category: 'bounds',
    name: 'piped slow consumer: 100,000 messages while stdout is not read for 2 s keep RSS bounded, nothing lost',
    original: 'F13',
    timeoutMs: 110_000,
    async run(h) {
      const n = 100_000;
      const srv = await floodServer(n);
      h.cleanup(() => srv.close());
      const r = await pipedRun(srv.url, n, 2000, []);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      h.bounded(`RSS growth (MB) over the base of ${Math.round(r.baseMb)} MB while stdout was stalled`, r.peakMb - r.baseMb, 60);
      expect(r.lastLine.startsWith('{"seq"'), `the output ends with a cut line (the process exited before stdout drained): ${r.lastLine.slice(-200)}`);
      const summary = JSON.parse(r.lastLine) as { kind: string; frames: { in: number } };
      expect(summary.kind === 'summary' && summary.frames.in >= n, `summary: ${r.lastLine}`);
    },
  },
];
