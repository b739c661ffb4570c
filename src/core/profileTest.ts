/**
 * One profile run as a test: a session with the profile's options, the expectation evaluator
 * observing it, closed as soon as every expectation is decided; the profile's `durationMs` (or a
 * default) is the upper bound. Used by `wirescope test` and by the editor's Testing view (which
 * starts the session through its session manager so that it shows in the inspector).
 */
import type { ConnectOptions } from '../shared/connectOptions';
import type { FrameEvent, WireEvent } from '../shared/events';
import type { ExpectationResult } from '../shared/expectations';
import type { Profile } from '../shared/profile';
import { redactText } from './export/redact';
import { ExpectationEvaluator, frameText } from './expectations';
import { Session } from './session';

/** Upper bound of a test run when the profile has no `durationMs`. */
export const DEFAULT_TEST_DURATION_MS = 30_000;

export interface ProfileTestResult {
  name: string;
  status: 'passed' | 'failed';
  expectations: ExpectationResult[];
  /** Wall time of the run. */
  durationMs: number;
  /** Final state of the session and why it ended. */
  sessionState: 'closed' | 'failed';
  reason?: string;
  /** The events the results point at (by seq), redacted, for reports and the inspector. */
  involved: Array<{ seq: number; text: string }>;
}

/** The options a test run uses: the profile's, with the upper bound on its duration. */
export function testOptions(options: ConnectOptions, profile: Profile): ConnectOptions {
  return { ...options, durationMs: profile.durationMs ?? options.durationMs ?? DEFAULT_TEST_DURATION_MS };
}

/** A short line describing an event, for reports: `in "hello" [feed]`, `HTTP 404`. */
export function describeEvent(e: WireEvent, secrets: readonly string[] = []): string {
  const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);
  switch (e.kind) {
    case 'frame': {
      const f = e as FrameEvent;
      const status = typeof f.meta?.status === 'number' ? ` HTTP ${f.meta.status}` : '';
      return redactText(`${f.dir}${f.channel !== undefined ? ` [${f.channel}]` : ''}${status} ${JSON.stringify(clip(frameText(f)))}`, secrets);
    }
    case 'state':
      return redactText(`state ${e.state}${typeof e.meta?.status === 'number' ? ` HTTP ${e.meta.status}` : ''}${e.reason ? ` ${e.reason}` : ''}`, secrets);
    case 'timing':
      return `timing total ${Math.round(e.phases.total * 10) / 10} ms`;
    case 'reconnect':
      return redactText(`reconnect attempt ${e.attempt}: ${e.cause}`, secrets);
    case 'anomaly':
      return `anomaly ${e.type} at ${JSON.stringify(e.key)}`;
    case 'error':
      return redactText(`error ${e.message}`, secrets);
    default:
      return e.kind;
  }
}

/**
 * Watch a session (not started yet) with a profile's expectations; resolves with the result once it
 * ended. The caller starts the session. `secrets` are redacted from messages and event texts.
 */
export function watchSession(session: Session, profile: Profile, secrets: readonly string[] = []): Promise<ProfileTestResult> {
  const started = Date.now();
  const evaluator = new ExpectationEvaluator(profile.expect ?? [], { idField: profile.idField });
  session.observe(evaluator);
  // Results name events by seq: keep a short description of each one a check points at (bounded per check).
  const described = new Map<number, string>();
  let terminal: { state: string; reason?: string } | undefined;
  session.observe({
    onEvent: (e) => {
      if (e.kind === 'state' && (e.state === 'closed' || e.state === 'failed')) terminal = { state: e.state, reason: e.reason };
      if (evaluator.involves(e.seq)) described.set(e.seq, describeEvent(e, secrets));
    },
  });
  return (async () => {
    const summary = await session.done;
    const expectations = (await evaluator.results).map((r) => ({ ...r, message: redactText(r.message, secrets) }));
    const involved: Array<{ seq: number; text: string }> = [];
    for (const seq of new Set(expectations.flatMap((r) => r.seqs))) {
      const text = described.get(seq);
      if (text !== undefined) involved.push({ seq, text });
    }
    involved.sort((a, b) => a.seq - b.seq);
    const reason = terminal?.reason;
    const failed = expectations.some((r) => r.status === 'failed') || (expectations.length === 0 && summary.state === 'failed');
    return {
      name: profile.name,
      status: failed ? 'failed' : 'passed',
      expectations,
      durationMs: Date.now() - started,
      sessionState: summary.state === 'failed' ? 'failed' : 'closed',
      ...(reason !== undefined ? { reason: redactText(reason, secrets) } : {}),
      involved,
    };
  })();
}

/** Run a resolved profile as a test with its own session. */
export async function runProfileTest(profile: Profile, options: ConnectOptions, secrets: readonly string[] = []): Promise<ProfileTestResult> {
  const session = new Session(testOptions(options, profile));
  const result = watchSession(session, profile, secrets);
  await session.start();
  return result;
}
