/**
 * The bad-input figure: every case counts as tried, and as handled when the engine answered it
 * without crashing (a session that ended with its terminal state and summary, or a one-line
 * message). Each test file prints its own figure from a final after().
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SummaryEvent, WireEvent } from '../../../src/shared/events';
import { checkInvariants } from '../../helpers/servers';

export const badInputs = { tried: 0, handled: 0 };

/** Count one bad input whose session ended properly (invariants hold, errors are one line). Returns the summary. */
export function handledSession(events: WireEvent[]): SummaryEvent {
  badInputs.tried++;
  checkInvariants(events);
  for (const e of events) {
    if (e.kind === 'error' && (e.message.includes('\n') || /\bat .+:\d+:\d+/.test(e.message))) throw new Error(`not one line: ${e.message}`);
  }
  badInputs.handled++;
  return events.at(-1) as SummaryEvent;
}

/** Count one bad input answered by a one-line message. */
export function handledMessage(message: string | undefined): string {
  badInputs.tried++;
  if (!message || message.includes('\n') || /\bat .+:\d+:\d+/.test(message)) throw new Error(`not one clear line: ${message}`);
  badInputs.handled++;
  return message;
}

/** Count inputs of a fuzz run: `same` of `tried` gave the reference result. */
export function fuzzed(tried: number, same: number): void {
  badInputs.tried += tried;
  badInputs.handled += same;
}

export function reportBadInputs(label: string): void {
  const crashed = badInputs.tried - badInputs.handled;
  console.log(`bad input (${label}): ${badInputs.tried} tried, ${badInputs.handled} handled, ${crashed} crashed`);
  // Each file is its own process: the run's total goes through a file keyed by the runner's pid.
  const file = join(tmpdir(), `wirescope-badinput-figures-${process.ppid}.ndjson`);
  appendFileSync(file, JSON.stringify(badInputs) + '\n');
  let tried = 0;
  let handled = 0;
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l) continue;
    const f = JSON.parse(l) as typeof badInputs;
    tried += f.tried;
    handled += f.handled;
  }
  console.log(`bad input, run so far: ${tried} tried, ${handled} handled without a crash, ${tried - handled} crashed`);
}

/** A small seeded PRNG (mulberry32), so a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Split `buf` at random points into 1..maxPieces pieces. */
export function randomSplit(buf: Buffer, rnd: () => number, maxPieces = 40): Buffer[] {
  const cuts = new Set<number>();
  const pieces = 1 + Math.floor(rnd() * maxPieces);
  for (let i = 1; i < pieces; i++) cuts.add(1 + Math.floor(rnd() * (buf.length - 1)));
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of sorted) {
    out.push(buf.subarray(from, c));
    from = c;
  }
  out.push(buf.subarray(from));
  return out;
}
