import { performance } from 'node:perf_hooks';

/** A session clock: monotonic `t` since start, and wall-clock `ts` derived from it (no jumps mid-session). */
export interface Clock {
  /** Milliseconds since the clock started (monotonic, fractional). */
  now(): number;
  /** Epoch milliseconds at a given `now()` reading. */
  epochAt(t: number): number;
}

export function createClock(): Clock {
  const origin = performance.now();
  const epoch0 = Date.now();
  return {
    now: () => performance.now() - origin,
    epochAt: (t) => Math.floor(epoch0 + t),
  };
}
