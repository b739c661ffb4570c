/**
 * Figures for the fault tests, computed from what the tests observed. Each test file is its own
 * process, so every file appends its figures to a file shared by the run (keyed by the runner's
 * pid) and prints its own line plus the run's total so far.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FaultFigures {
  injected: number;
  /** Sessions that were hit by a fault and had to come back. */
  sessionsHit: number;
  recovered: number;
  /** Messages the sequence check found missing in sessions whose server supports resume. */
  lostWithResume: number;
  /** Anomalies the test's server was built to cause, and how many of them were flagged. */
  anomaliesExpected: number;
  anomaliesFlagged: number;
  /** Failures that had to end in one clear line. */
  failuresExpected: number;
  failuresClear: number;
}

export const figures: FaultFigures = {
  injected: 0,
  sessionsHit: 0,
  recovered: 0,
  lostWithResume: 0,
  anomaliesExpected: 0,
  anomaliesFlagged: 0,
  failuresExpected: 0,
  failuresClear: 0,
};

export function line(f: FaultFigures): string {
  return (
    `faults: ${f.injected} injected, ${f.recovered}/${f.sessionsHit} sessions recovered, ` +
    `${f.lostWithResume} messages lost where resume is supported, ${f.anomaliesFlagged}/${f.anomaliesExpected} anomalies flagged, ` +
    `${f.failuresClear}/${f.failuresExpected} failures with a clear one-line message`
  );
}

/** Print this file's figures and the run's so far (call from a final after()). */
export function report(label: string): void {
  const file = join(tmpdir(), `wirescope-fault-figures-${process.ppid}.ndjson`);
  appendFileSync(file, JSON.stringify(figures) + '\n');
  const total: FaultFigures = { ...figures };
  for (const k of Object.keys(total) as (keyof FaultFigures)[]) total[k] = 0;
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l) continue;
    const f = JSON.parse(l) as FaultFigures;
    for (const k of Object.keys(total) as (keyof FaultFigures)[]) total[k] += f[k] ?? 0;
  }
  console.log(`${label} ${line(figures)}`);
  console.log(`run so far: ${line(total)}`);
}

/** A clear failure line: one line, no stack frames. */
export function isClearLine(s: string | undefined): boolean {
  return !!s && s.length > 0 && !s.includes('\n') && !/\bat .+:\d+:\d+/.test(s);
}
