/**
 * The hostile-server suite's harness. Every case is one row of a table keyed by pattern: it starts a
 * hostile peer on 127.0.0.1 (port 0), runs the real `wirescope` command in this process through
 * `main(argv, io)` (or as a child process where a real pipe matters), and asserts what was logged.
 *
 * Besides a case's own assertions, every CLI run is checked for the properties no case may break:
 * - no crash: `main` resolves, and stderr holds at most one line per failure and never a stack trace;
 * - no hang: a case that does not finish within its time limit is a hang;
 * - no leak: no secret the case registered appears on stdout, stderr or in an export;
 * - no injection: stdout and stderr carry no raw control characters, escape sequences or bidi overrides;
 * - bounded: a measured figure (RSS, buffered bytes) stays within the case's limit.
 * Each failure is classified, and the suite prints its totals from what actually happened.
 */
import { after, describe, test } from 'node:test';
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/program';
import type { CliIo } from '../../src/cli/runConnect';
import type { WireEvent } from '../../src/shared/events';

export type Category = 'framing' | 'fault' | 'bounds' | 'credentials' | 'terminal' | 'logs';

/** Why a case failed, for the totals. */
export type FailureClass = 'crash' | 'hang' | 'leak' | 'injection' | 'unbounded' | 'wrong';

export class CaseFailure extends Error {
  constructor(
    readonly cls: FailureClass,
    message: string,
  ) {
    super(`[${cls}] ${message}`);
  }
}

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
  /** Process warnings emitted while the command ran (TimeoutOverflowWarning...). */
  warnings: string[];
  /** stdout parsed as NDJSON events (empty for other formats). */
  events: WireEvent[];
  /** Wall time of the run, ms. */
  ms: number;
}

export interface CliRunOptions {
  env?: Record<string, string>;
  /** Send the interrupt (as Ctrl+C does) after this long. */
  interruptAfterMs?: number;
  /** Send the interrupt when this settles (a long-running command such as `proxy`, once the case has driven it). */
  interruptWhen?: Promise<unknown>;
  /** Columns of the pretend terminal. */
  columns?: number;
}

export interface HostileContext {
  /** Run `wirescope <args>` in this process; the run's output is checked for crashes, leaks and raw control characters. */
  cli(args: string[], opts?: CliRunOptions): Promise<CliOutcome>;
  /** A value that must never appear in any output or export of this case. */
  secret(value: string): string;
  /** Check an export or any other text for the case's secrets. */
  checkLeaks(where: string, text: string): void;
  /** Record a measured figure that must stay within `limit`. */
  bounded(what: string, measured: number, limit: number): void;
  /** Run at the end of the case, pass or fail (servers to close). */
  cleanup(fn: () => unknown): void;
}

export interface HostileCase {
  pattern: string;
  category: Category;
  name: string;
  /** The failure of issue 12 this case reproduces (F1..F21), when it is one. */
  original?: string;
  /** Hang limit; default 15 s. */
  timeoutMs?: number;
  /** Not fixed yet: the case runs and is counted, but its failure does not fail the run (node:test todo). */
  todo?: string;
  run(ctx: HostileContext): Promise<void>;
}

/** Characters that must never reach a terminal raw: C0 except newline, DEL, C1, line/paragraph separators, bidi controls, BOM. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;

function checkTerminal(where: string, text: string): void {
  const m = RAW_CONTROL.exec(text);
  if (m) {
    const at = Math.max(0, m.index - 40);
    throw new CaseFailure('injection', `${where} carries a raw U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0')}: ${JSON.stringify(text.slice(at, m.index + 20))}`);
  }
}

function checkStderr(stderr: string): void {
  if (/\n\s+at .+[:(]\d+/.test(stderr) || /^\s+at .+:\d+:\d+/m.test(stderr)) throw new CaseFailure('crash', `stack trace on stderr: ${stderr.slice(0, 400)}`);
}

export const totals = { cases: 0, passed: 0, crashes: 0, hangs: 0, leaks: 0, injections: 0, unbounded: 0, wrong: 0 };
const byPattern = new Map<string, number>();

function tally(cls: FailureClass | undefined): void {
  if (cls === undefined) totals.passed++;
  else if (cls === 'crash') totals.crashes++;
  else if (cls === 'hang') totals.hangs++;
  else if (cls === 'leak') totals.leaks++;
  else if (cls === 'injection') totals.injections++;
  else if (cls === 'unbounded') totals.unbounded++;
  else totals.wrong++;
}

function line(t: typeof totals, patterns: number): string {
  return `${t.cases} cases over ${patterns} patterns, ${t.passed} passed, ${t.crashes} crashes, ${t.hangs} hangs, ${t.leaks} leaks, ${t.unbounded} unbounded, ${t.injections} terminal injections, ${t.wrong} wrong logs`;
}

export function totalsLine(label: string): string {
  return `hostile (${label}): ${line(totals, byPattern.size)}`;
}

/**
 * Each test file is its own process: the run's totals go through a file keyed by the runner's pid,
 * and every file prints the totals of the run so far (the last one printed is the whole run's).
 */
function runSoFar(): string {
  const file = join(tmpdir(), `wirescope-hostile-totals-${process.ppid}.ndjson`);
  appendFileSync(file, JSON.stringify({ ...totals, patterns: [...byPattern.keys()] }) + '\n');
  const sum = { cases: 0, passed: 0, crashes: 0, hangs: 0, leaks: 0, injections: 0, unbounded: 0, wrong: 0 };
  const patterns = new Set<string>();
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l) continue;
    const f = JSON.parse(l) as typeof sum & { patterns: string[] };
    for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += f[k];
    for (const p of f.patterns) patterns.add(p);
  }
  return `hostile, run so far: ${line(sum, patterns.size)}`;
}

async function runCase(c: HostileCase): Promise<void> {
  const secrets: string[] = [];
  const cleanups: Array<() => unknown> = [];
  const checkLeaks = (where: string, text: string) => {
    for (const s of secrets) if (text.includes(s)) throw new CaseFailure('leak', `${where} contains the secret ${JSON.stringify(s)}: ${JSON.stringify(text.slice(Math.max(0, text.indexOf(s) - 80), text.indexOf(s) + 40))}`);
  };
  const ctx: HostileContext = {
    secret: (v) => {
      secrets.push(v);
      return v;
    },
    checkLeaks,
    bounded: (what, measured, limit) => {
      if (!(measured <= limit)) throw new CaseFailure('unbounded', `${what}: ${Math.round(measured)} > limit ${limit}`);
    },
    cleanup: (fn) => cleanups.push(fn),
    cli: async (args, opts = {}) => {
      const out: string[] = [];
      const err: string[] = [];
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      let stop: ((signal: string) => void) | undefined;
      const io: CliIo = {
        write: (text) => {
          out.push(text);
        },
        error: (line) => {
          err.push(`wirescope: ${line}\n`);
        },
        isTTY: false,
        columns: opts.columns ?? 120,
        env: { ...opts.env },
        onInterrupt: (s) => {
          stop = s;
          return () => (stop = undefined);
        },
      };
      const timer = opts.interruptAfterMs !== undefined ? setTimeout(() => stop?.('SIGINT'), opts.interruptAfterMs) : undefined;
      void opts.interruptWhen?.finally(() => stop?.('SIGINT')).catch(() => undefined);
      const t0 = performance.now();
      let code: number;
      try {
        code = await main(args, io);
      } catch (e) {
        throw new CaseFailure('crash', `main() threw: ${String((e as Error)?.stack ?? e)}`);
      } finally {
        clearTimeout(timer);
        // Warnings are emitted on the next tick.
        await new Promise((r) => setImmediate(r));
        process.off('warning', onWarning);
      }
      const stdout = out.join('');
      const stderr = err.join('');
      checkStderr(stderr);
      checkTerminal('stdout', stdout);
      checkTerminal('stderr', stderr);
      checkLeaks('stdout', stdout);
      checkLeaks('stderr', stderr);
      let events: WireEvent[] = [];
      if (args.includes('ndjson') || args.includes('--format=ndjson')) {
        events = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as WireEvent);
      }
      return { code, stdout, stderr, warnings, events, ms: performance.now() - t0 };
    },
  };
  const limit = c.timeoutMs ?? 15_000;
  let hangTimer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_r, reject) => {
    hangTimer = setTimeout(() => reject(new CaseFailure('hang', `did not finish within ${limit} ms`)), limit);
  });
  let cls: FailureClass | undefined;
  try {
    await Promise.race([c.run(ctx), hang]);
  } catch (e) {
    cls = e instanceof CaseFailure ? e.cls : 'wrong';
    throw e;
  } finally {
    clearTimeout(hangTimer);
    totals.cases++;
    byPattern.set(c.pattern, (byPattern.get(c.pattern) ?? 0) + 1);
    tally(cls);
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // Closing a hostile peer may fail; the case's verdict stands.
      }
    }
  }
}

/** Register a table of cases with the test runner: one describe per pattern, one test per case. */
export function registerSuite(label: string, cases: readonly HostileCase[]): void {
  const patterns = [...new Set(cases.map((c) => c.pattern))];
  for (const p of patterns) {
    describe(`hostile ${p}`, () => {
      for (const c of cases.filter((x) => x.pattern === p)) {
        const label = `${c.category}: ${c.name}${c.original ? ` (${c.original})` : ''}`;
        test(label, { timeout: (c.timeoutMs ?? 15_000) + 10_000, ...(c.todo ? { todo: c.todo } : {}) }, () => runCase(c));
      }
    });
  }
  after(() => {
    const own = totalsLine(label);
    const all = runSoFar();
    console.log(own);
    console.log(all);
    if (process.env.WIRESCOPE_HOSTILE_TOTALS) appendFileSync(process.env.WIRESCOPE_HOSTILE_TOTALS, `${own}\n${all}\n`);
  });
}

/** Plain assertion that classifies as a wrong log. */
export function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CaseFailure('wrong', message);
}

export function framesIn(events: WireEvent[]): Extract<WireEvent, { kind: 'frame' }>[] {
  return events.filter((e): e is Extract<WireEvent, { kind: 'frame' }> => e.kind === 'frame' && e.dir === 'in');
}

export function summaryOf(events: WireEvent[]): Extract<WireEvent, { kind: 'summary' }> {
  const s = events.at(-1);
  if (!s || s.kind !== 'summary') throw new CaseFailure('wrong', `the last event is not the summary: ${JSON.stringify(s)}`);
  return s;
}
