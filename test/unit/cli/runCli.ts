/** Spawns the real CLI (through tsx, no build needed) and collects its output, bounded in time. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WireEvent } from '../../../src/shared/events';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Resolves when some stdout satisfies `pred` (bounded). */
  waitForStdout(pred: (out: string) => boolean, timeoutMs?: number): Promise<void>;
  result: Promise<CliResult>;
}

/** Start `wirescope <args>`; the process is killed after `timeoutMs` so a test can never hang. */
export function startCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): CliRun {
  // From another working directory `tsx` would not resolve: name the repository's loader by path.
  const loader = opts.cwd ? pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href : 'tsx';
  const child = spawn(process.execPath, ['--import', loader, join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const result = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    result,
    waitForStdout: async (pred, timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      while (!pred(stdout)) {
        if (Date.now() > until) throw new Error(`timed out waiting for CLI output; got: ${stdout.slice(-500)} / stderr: ${stderr.slice(-500)}`);
        if (child.exitCode !== null) throw new Error(`CLI exited (${child.exitCode}) before the expected output; stdout: ${stdout.slice(-500)} stderr: ${stderr.slice(-500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** Run `wirescope <args>` to its end. */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return startCli(args, opts).result;
}

/** Parse ndjson output, failing loudly on any line that is not JSON. */
export function parseNdjson(stdout: string): WireEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as WireEvent;
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${l}`);
      }
    });
}

/** Failures are one line on stderr, `wirescope: ...`, and never a stack trace. */
export function assertOneLineError(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${lines.length}: ${stderr}`);
  if (!lines[0].startsWith('wirescope: ')) throw new Error(`stderr line does not start with "wirescope: ": ${lines[0]}`);
  if (stderr.split('\n').some((l) => l.startsWith('    at '))) throw new Error(`stack trace in stderr: ${stderr}`);
  return lines[0];
}
