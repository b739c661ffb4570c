/**
 * The expectation evaluator: a session observer that checks a profile's `expect` list against the
 * session's events as they happen, ends the session as soon as every expectation is decided, and
 * reports pass/fail per expectation with what was expected, what was seen, and the seq numbers of
 * the events involved. Pure Node (no vscode): the CLI (`wirescope test`) and the editor's Testing
 * view drive it the same way. The expectation shapes are defined in src/shared/expectations.ts.
 *
 * Each expectation is either a goal or a watch:
 * - goals are decided by what arrives (`receive` when its count is reached, `noReceive` with `within`
 *   when its window closes, any of them as soon as it fails);
 * - watches hold over the whole session (`noReceive` without `within`, `noAnomalies`, `status`,
 *   `timing`, `latencyMs`, `reconnects`): they fail at the first offending event, and otherwise pass
 *   once every goal has passed and they have seen what they measure (a status, a timing, a sample).
 * The run is settled when one expectation failed, or every goal passed and every watch is ready.
 * Without any goal, watches run until the session ends by itself (count, duration, server close).
 * After settling, later events (the closing handshake) are not looked at.
 */
import type { AnomalyEvent, FrameEvent, WireEvent } from '../shared/events';
import {
  expectationKind,
  type Expectation,
  type ExpectationKind,
  type ExpectationResult,
  type FrameMatch,
  type JsonCondition,
} from '../shared/expectations';
import { getJsonPath } from './jsonPath';
import type { Session, SessionObserver } from './session';

/** The HTTP status an event reports: an inbound response frame's, or a connection's (SSE, streaming) on its state event. */
export function httpStatusOf(e: WireEvent): number | undefined {
  if (e.kind !== 'frame' && e.kind !== 'state') return undefined;
  if (e.kind === 'frame' && e.dir !== 'in') return undefined;
  const status = e.meta?.status;
  return typeof status === 'number' && status >= 100 && status <= 599 ? status : undefined;
}

/** The text of a frame's payload (base64 payloads decoded as UTF-8). */
export function frameText(e: FrameEvent): string {
  return e.encoding === 'base64' ? Buffer.from(e.data, 'base64').toString('utf8') : e.data;
}

function isDataIn(e: WireEvent): e is FrameEvent {
  return e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const MAX_SEQS = 20;

function seqList(seqs: readonly number[]): string {
  if (seqs.length === 0) return '';
  const shown = seqs.slice(0, 10).map((s) => `#${s}`).join(', ');
  return ` (${shown}${seqs.length > 10 ? `, +${seqs.length - 10} more` : ''})`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A compiled frame condition and its description (`matching /^tick/ on channel feed with $.type = "tick"`). */
class FrameFilter {
  private readonly re: RegExp | undefined;
  readonly description: string;
  constructor(private readonly m: FrameMatch) {
    this.re = m.match !== undefined ? new RegExp(m.match) : undefined;
    const parts: string[] = [];
    if (m.match !== undefined) parts.push(`matching /${m.match}/`);
    if (m.channel !== undefined) parts.push(`on channel ${JSON.stringify(m.channel)}`);
    this.json = m.json === undefined ? [] : Array.isArray(m.json) ? m.json : [m.json];
    if (this.json.length) parts.push(`with ${this.json.map((j) => `${j.path}${'equals' in j ? ` = ${JSON.stringify(j.equals)}` : ' present'}`).join(' and ')}`);
    this.description = parts.join(' ');
  }

  private readonly json: JsonCondition[];

  test(e: FrameEvent): boolean {
    if (this.m.channel !== undefined && e.channel !== this.m.channel) return false;
    if (!this.re && this.json.length === 0) return true;
    const text = frameText(e);
    if (this.re && !this.re.test(text)) return false;
    if (this.json.length) {
      let root: unknown;
      try {
        root = JSON.parse(text);
      } catch {
        return false;
      }
      for (const j of this.json) {
        let v: unknown;
        try {
          v = getJsonPath(root, j.path);
        } catch {
          return false;
        }
        if (v === undefined) return false;
        if ('equals' in j && !deepEqual(v, j.equals)) return false;
      }
    }
    return true;
  }
}

type Verdict = 'pending' | 'passed' | 'failed';

/** What every check can be asked. */
interface Check {
  readonly kind: ExpectationKind;
  readonly role: 'goal' | 'watch';
  readonly label: string;
  verdict: Verdict;
  /** A watch that has seen what it measures (and may pass once the goals have). */
  ready(): boolean;
  /** An event within the run (before settling). `sinceOpen` is ms since the session opened, or undefined before it opened. */
  onEvent(e: WireEvent, sinceOpen: number | undefined): void;
  /** The session has been open this long (timers); windows may close. */
  onTime(sinceOpen: number): void;
  /** ms after opening at which the check wants onTime, if any. */
  deadline?: number;
  /** Decide what is still pending: the run settled or the session ended. */
  finish(): void;
  message(): string;
  seqs(): number[];
}

class ReceiveCheck implements Check {
  readonly kind = 'receive' as const;
  readonly role = 'goal' as const;
  verdict: Verdict = 'pending';
  readonly label: string;
  readonly deadline: number | undefined;
  private readonly filter: FrameFilter;
  private readonly count: number;
  private readonly seen: number[] = [];
  constructor(spec: Extract<Expectation, { receive: unknown }>['receive']) {
    this.filter = new FrameFilter(spec);
    this.count = spec.count ?? 1;
    this.deadline = spec.within;
    this.label = `receive ${this.expectedText()}`;
  }
  private expectedText(): string {
    return `${plural(this.count, 'frame')}${this.filter.description ? ` ${this.filter.description}` : ''}${this.deadline !== undefined ? ` within ${this.deadline} ms` : ''}`;
  }
  ready(): boolean {
    return this.verdict !== 'pending';
  }
  onEvent(e: WireEvent, sinceOpen: number | undefined): void {
    if (this.verdict !== 'pending' || !isDataIn(e)) return;
    if (this.deadline !== undefined && sinceOpen !== undefined && sinceOpen > this.deadline) return this.onTime(sinceOpen);
    if (!this.filter.test(e)) return;
    this.seen.push(e.seq);
    if (this.seen.length >= this.count) this.verdict = 'passed';
  }
  onTime(sinceOpen: number): void {
    if (this.verdict === 'pending' && this.deadline !== undefined && sinceOpen >= this.deadline) this.verdict = 'failed';
  }
  finish(): void {
    if (this.verdict === 'pending') this.verdict = 'failed';
  }
  message(): string {
    return `expected ${this.expectedText()}, saw ${this.seen.length}${seqList(this.seen)}`;
  }
  seqs(): number[] {
    return this.seen.slice(0, MAX_SEQS);
  }
}

class NoReceiveCheck implements Check {
  readonly kind = 'noReceive' as const;
  readonly role: 'goal' | 'watch';
  verdict: Verdict = 'pending';
  readonly label: string;
  readonly deadline: number | undefined;
  private readonly filter: FrameFilter;
  private readonly seen: number[] = [];
  constructor(spec: Extract<Expectation, { noReceive: unknown }>['noReceive']) {
    this.filter = new FrameFilter(spec);
    this.deadline = spec.within;
    this.role = spec.within !== undefined ? 'goal' : 'watch';
    this.label = `noReceive ${this.expectedText()}`;
  }
  private expectedText(): string {
    return `no frame${this.filter.description ? ` ${this.filter.description}` : ''}${this.deadline !== undefined ? ` within ${this.deadline} ms` : ''}`;
  }
  ready(): boolean {
    return true;
  }
  onEvent(e: WireEvent, sinceOpen: number | undefined): void {
    if (this.verdict !== 'pending' || !isDataIn(e)) return;
    if (this.deadline !== undefined && sinceOpen !== undefined && sinceOpen > this.deadline) return this.onTime(sinceOpen);
    if (!this.filter.test(e)) return;
    this.seen.push(e.seq);
    this.verdict = 'failed';
  }
  onTime(sinceOpen: number): void {
    if (this.verdict === 'pending' && this.deadline !== undefined && sinceOpen >= this.deadline) this.verdict = 'passed';
  }
  finish(): void {
    if (this.verdict === 'pending') this.verdict = 'passed';
  }
  message(): string {
    return `expected ${this.expectedText()}, saw ${this.seen.length === 0 ? 'none' : this.seen.length}${seqList(this.seen)}`;
  }
  seqs(): number[] {
    return this.seen.slice(0, MAX_SEQS);
  }
}

class NoAnomaliesCheck implements Check {
  readonly kind = 'noAnomalies' as const;
  readonly role = 'watch' as const;
  verdict: Verdict = 'pending';
  readonly label: string;
  private readonly anomalies: AnomalyEvent[] = [];
  constructor(private readonly idField: string | undefined) {
    this.label = `noAnomalies by ${idField ?? '(no idField)'}`;
  }
  ready(): boolean {
    return true;
  }
  onEvent(e: WireEvent): void {
    if (e.kind !== 'anomaly') return;
    this.anomalies.push(e);
    this.verdict = 'failed';
  }
  onTime(): void {}
  finish(): void {
    if (this.verdict === 'pending') this.verdict = this.idField ? 'passed' : 'failed';
  }
  message(): string {
    if (!this.idField) return 'expected no sequence anomalies, but the profile has no idField to check them by';
    const what = this.anomalies.slice(0, 5).map((a) => `${a.type} at ${JSON.stringify(a.key)}${a.expected !== undefined ? ` (expected ${JSON.stringify(a.expected)})` : ''}`);
    return `expected no sequence anomalies by ${this.idField}, saw ${this.anomalies.length === 0 ? 'none' : `${this.anomalies.length}: ${what.join(', ')}${this.anomalies.length > 5 ? ', ...' : ''}`}${seqList(this.seqs())}`;
  }
  seqs(): number[] {
    return this.anomalies.map((a) => a.seq).slice(0, MAX_SEQS);
  }
}

class StatusCheck implements Check {
  readonly kind = 'status' as const;
  readonly role = 'watch' as const;
  verdict: Verdict = 'pending';
  readonly label: string;
  private readonly lo: number;
  private readonly hi: number;
  private readonly seen: Array<{ status: number; seq: number }> = [];
  private bad: { status: number; seq: number } | undefined;
  constructor(spec: number | [number, number]) {
    [this.lo, this.hi] = Array.isArray(spec) ? spec : [spec, spec];
    this.label = `status ${this.range()}`;
  }
  private range(): string {
    return this.lo === this.hi ? String(this.lo) : `${this.lo}-${this.hi}`;
  }
  ready(): boolean {
    return this.seen.length > 0;
  }
  onEvent(e: WireEvent): void {
    const status = httpStatusOf(e);
    if (status === undefined || this.verdict === 'failed') return;
    this.seen.push({ status, seq: e.seq });
    if (status < this.lo || status > this.hi) {
      this.bad = { status, seq: e.seq };
      this.verdict = 'failed';
    }
  }
  onTime(): void {}
  finish(): void {
    if (this.verdict === 'pending') this.verdict = this.seen.length > 0 ? 'passed' : 'failed';
  }
  message(): string {
    if (this.bad) return `expected status ${this.range()}, saw ${this.bad.status} (#${this.bad.seq})`;
    if (this.seen.length === 0) return `expected status ${this.range()}, saw no HTTP response`;
    const distinct = [...new Set(this.seen.map((s) => s.status))];
    return `expected status ${this.range()}, saw ${distinct.join(', ')} in ${plural(this.seen.length, 'response')}${seqList(this.seqs())}`;
  }
  seqs(): number[] {
    return this.bad ? [this.bad.seq] : this.seen.map((s) => s.seq).slice(0, MAX_SEQS);
  }
}

class TimingCheck implements Check {
  readonly kind = 'timing' as const;
  readonly role = 'watch' as const;
  verdict: Verdict = 'pending';
  readonly label: string;
  private readonly seen: Array<{ total: number; seq: number }> = [];
  private bad: { total: number; seq: number } | undefined;
  constructor(private readonly max: number) {
    this.label = `timing total at most ${max} ms`;
  }
  ready(): boolean {
    return this.seen.length > 0;
  }
  onEvent(e: WireEvent): void {
    if (e.kind !== 'timing' || this.verdict === 'failed') return;
    this.seen.push({ total: e.phases.total, seq: e.seq });
    if (e.phases.total > this.max) {
      this.bad = { total: e.phases.total, seq: e.seq };
      this.verdict = 'failed';
    }
  }
  onTime(): void {}
  finish(): void {
    if (this.verdict === 'pending') this.verdict = this.seen.length > 0 ? 'passed' : 'failed';
  }
  message(): string {
    if (this.bad) return `expected every timing total at most ${this.max} ms, saw ${round(this.bad.total)} ms (#${this.bad.seq})`;
    if (this.seen.length === 0) return `expected every timing total at most ${this.max} ms, saw no timing measurement`;
    const worst = this.seen.reduce((a, b) => (b.total > a.total ? b : a));
    return `expected every timing total at most ${this.max} ms, saw at most ${round(worst.total)} ms over ${plural(this.seen.length, 'measurement')}${seqList(this.seqs())}`;
  }
  seqs(): number[] {
    return this.bad ? [this.bad.seq] : this.seen.map((s) => s.seq).slice(0, MAX_SEQS);
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

class LatencyCheck implements Check {
  readonly kind = 'latencyMs' as const;
  readonly role = 'watch' as const;
  verdict: Verdict = 'pending';
  readonly label: string;
  private readonly samples: Array<{ ms: number; seq: number }> = [];
  private unreadable = 0;
  private p95: number | undefined;
  constructor(private readonly spec: { p95: number; timestampField: string }) {
    this.label = `latencyMs p95 at most ${spec.p95} ms by ${spec.timestampField}`;
  }
  ready(): boolean {
    return this.samples.length > 0;
  }
  onEvent(e: WireEvent): void {
    if (!isDataIn(e)) return;
    let at: unknown;
    try {
      at = getJsonPath(JSON.parse(frameText(e)), this.spec.timestampField);
    } catch {
      this.unreadable++;
      return;
    }
    const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : NaN;
    if (!Number.isFinite(ms)) {
      this.unreadable++;
      return;
    }
    this.samples.push({ ms: e.ts - ms, seq: e.seq });
  }
  onTime(): void {}
  finish(): void {
    if (this.verdict !== 'pending') return;
    if (this.samples.length === 0) {
      this.verdict = 'failed';
      return;
    }
    this.p95 = percentile([...this.samples.map((s) => s.ms)].sort((a, b) => a - b), 95);
    this.verdict = this.p95 <= this.spec.p95 ? 'passed' : 'failed';
  }
  message(): string {
    const head = `expected p95 latency by ${this.spec.timestampField} at most ${this.spec.p95} ms`;
    if (this.samples.length === 0) return `${head}, saw no frame with a timestamp at ${this.spec.timestampField}${this.unreadable ? ` (${plural(this.unreadable, 'frame')} without one)` : ''}`;
    const p = this.p95 ?? percentile([...this.samples.map((s) => s.ms)].sort((a, b) => a - b), 95);
    return `${head}, saw ${round(p)} ms over ${plural(this.samples.length, 'frame')}${seqList(this.seqs())}`;
  }
  seqs(): number[] {
    // The frames at or above the limit: the ones that made the percentile.
    const over = this.samples.filter((s) => s.ms > this.spec.p95);
    return (over.length ? over : []).map((s) => s.seq).slice(0, MAX_SEQS);
  }
}

class ReconnectsCheck implements Check {
  readonly kind = 'reconnects' as const;
  readonly role = 'watch' as const;
  verdict: Verdict = 'pending';
  readonly label: string;
  private readonly seen: number[] = [];
  constructor(private readonly max: number) {
    this.label = `reconnects at most ${max}`;
  }
  ready(): boolean {
    return true;
  }
  onEvent(e: WireEvent): void {
    if (e.kind !== 'reconnect') return;
    this.seen.push(e.seq);
    if (this.seen.length > this.max) this.verdict = 'failed';
  }
  onTime(): void {}
  finish(): void {
    if (this.verdict === 'pending') this.verdict = 'passed';
  }
  message(): string {
    return `expected at most ${plural(this.max, 'reconnect')}, saw ${this.seen.length}${seqList(this.seen)}`;
  }
  seqs(): number[] {
    return this.seen.slice(0, MAX_SEQS);
  }
}

function createCheck(e: Expectation, idField: string | undefined): Check {
  switch (expectationKind(e)) {
    case 'receive':
      return new ReceiveCheck((e as Extract<Expectation, { receive: unknown }>).receive);
    case 'noReceive':
      return new NoReceiveCheck((e as Extract<Expectation, { noReceive: unknown }>).noReceive);
    case 'noAnomalies':
      return new NoAnomaliesCheck(idField);
    case 'status':
      return new StatusCheck((e as Extract<Expectation, { status: unknown }>).status);
    case 'timing':
      return new TimingCheck((e as Extract<Expectation, { timing: unknown }>).timing.totalMs.max);
    case 'latencyMs':
      return new LatencyCheck((e as Extract<Expectation, { latencyMs: unknown }>).latencyMs);
    case 'reconnects':
      return new ReconnectsCheck((e as Extract<Expectation, { reconnects: unknown }>).reconnects.max);
  }
}

export interface EvaluatorOptions {
  /** The profile's message identity (`noAnomalies` checks by it). */
  idField?: string;
  /** Close the session once the run is settled (default true). */
  closeWhenSettled?: boolean;
}

/** Why the session was closed when the expectations decided it. */
export const SETTLED_REASON = 'expectations decided';

/**
 * Observe a session (add with `session.observe(evaluator)` before `start()`); `results` resolves
 * when the session's terminal state arrives.
 */
export class ExpectationEvaluator implements SessionObserver {
  private readonly checks: Check[];
  private session: Session | undefined;
  private openedAt: number | undefined;
  private timers: NodeJS.Timeout[] = [];
  private settledAt: number | undefined;
  private ended = false;
  private settleQueued = false;
  private readonly undecided = new Set<Check>();
  private failure: string | undefined;
  private resolveResults!: (r: ExpectationResult[]) => void;
  /** Per expectation, in list order, once the session has ended. */
  readonly results: Promise<ExpectationResult[]>;

  constructor(
    expect: readonly Expectation[],
    private readonly opts: EvaluatorOptions = {},
  ) {
    this.checks = expect.map((e) => createCheck(e, opts.idField));
    this.results = new Promise((r) => (this.resolveResults = r));
  }

  /** Does a result point at this event (so far)? */
  involves(seq: number): boolean {
    return this.checks.some((c) => c.seqs().includes(seq));
  }

  /** True once every expectation is decided (the session is then being closed). */
  get settled(): boolean {
    return this.settledAt !== undefined;
  }

  onEvent(e: WireEvent, session: Session): void {
    this.session ??= session;
    if (this.ended) return;
    if (e.kind === 'state' && e.state === 'open' && this.openedAt === undefined) {
      this.openedAt = e.t;
      this.armTimers();
    }
    if (this.settledAt === undefined) {
      const since = this.openedAt === undefined ? undefined : e.t - this.openedAt;
      for (const c of this.checks) c.onEvent(e, since);
      // Decide after the events that belong to this one (an anomaly follows the frame it is about).
      if (!this.settleQueued) {
        this.settleQueued = true;
        queueMicrotask(() => {
          this.settleQueued = false;
          if (!this.ended) this.maybeSettle();
        });
      }
    }
    if (e.kind === 'error') this.failure = e.message;
    if (e.kind === 'state' && (e.state === 'closed' || e.state === 'failed')) this.end(e.state === 'failed' ? (e.reason ?? this.failure ?? 'connection failed') : undefined);
  }

  private armTimers(): void {
    for (const c of this.checks) {
      if (c.deadline === undefined) continue;
      // A little after the window, so a frame stamped right at its edge is still looked at first.
      const t = setTimeout(() => this.onTimer(), c.deadline + 1);
      t.unref?.();
      this.timers.push(t);
    }
  }

  private onTimer(): void {
    if (this.ended || this.settledAt !== undefined || this.openedAt === undefined || !this.session) return;
    const since = this.session.clock.now() - this.openedAt;
    for (const c of this.checks) c.onTime(since);
    this.maybeSettle();
  }

  private maybeSettle(): void {
    if (this.settledAt !== undefined) return;
    const failed = this.checks.some((c) => c.verdict === 'failed');
    const goals = this.checks.filter((c) => c.role === 'goal');
    const done = goals.length > 0 && goals.every((c) => c.verdict === 'passed') && this.checks.every((c) => c.role === 'goal' || c.ready());
    if (!failed && !done) return;
    this.settledAt = this.session?.clock.now() ?? 0;
    // Fail fast: what was still open when another expectation failed is reported as not decided.
    if (failed) for (const c of this.checks) if (c.verdict === 'pending') this.undecided.add(c);
    for (const c of this.checks) c.finish();
    this.clearTimers();
    if (this.opts.closeWhenSettled !== false && this.session) {
      const s = this.session;
      // Not from inside the observer call: the closing events must follow the current one.
      queueMicrotask(() => void s.close(SETTLED_REASON));
    }
  }

  private end(failure: string | undefined): void {
    this.ended = true;
    this.clearTimers();
    const wasSettled = this.settledAt !== undefined;
    if (!wasSettled) {
      // A session that failed before the run was decided fails whatever was still open, watches included.
      if (failure) for (const c of this.checks) if (c.verdict === 'pending') c.verdict = 'failed';
      for (const c of this.checks) c.finish();
    }
    this.resolveResults(
      this.checks.map((c, index) => {
        let message = c.message();
        // A session that failed before the run was decided: say so on what it made fail.
        if (!wasSettled && failure && c.verdict === 'failed') message += `; the session failed: ${failure}`;
        if (this.undecided.has(c) && c.verdict === 'failed') message += ' (not decided: the run stopped at the first failed expectation)';
        return { index, kind: c.kind, label: `expect[${index}] ${c.label}`, status: c.verdict === 'passed' ? 'passed' : 'failed', message, seqs: c.seqs() };
      }),
    );
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

// ---------------------------------------------------------------- expectations from a frame

/** A JSON path for a key: `.key` when it is a plain identifier, `['odd key']` otherwise. */
function pathStep(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/** The scalar values of a JSON document with their paths (`$.type`, `$.items[0].id`), depth-first, bounded. */
export function jsonLeaves(root: unknown, max = 200): Array<{ path: string; value: unknown }> {
  const out: Array<{ path: string; value: unknown }> = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.length >= max) return;
    if (v !== null && typeof v === 'object') {
      if (depth >= 6) return;
      const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      for (const [k, x] of entries) walk(x, path + pathStep(k), depth + 1);
      return;
    }
    out.push({ path, value: v });
  };
  walk(root, '$', 0);
  return out;
}

/** A regular expression that matches exactly this text (long texts: their start). */
function exactRegex(text: string): string {
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return text.length <= 200 ? `^${escaped(text)}$` : `^${escaped(text.slice(0, 200))}`;
}

/**
 * A `receive` expectation that the given inbound frame meets: for JSON, the chosen paths with their
 * values (`json`), otherwise the text (`match`, anchored); its channel when it has one.
 */
export function expectationFromFrame(e: FrameEvent, jsonPaths: readonly string[] = []): Expectation {
  const receive: FrameMatch & { count?: number; within?: number } = {};
  const text = frameText(e);
  if (jsonPaths.length > 0) {
    const root = JSON.parse(text) as unknown;
    const conditions = jsonPaths.map((path) => ({ path, equals: getJsonPath(root, path) }));
    receive.json = conditions.length === 1 ? conditions[0] : conditions;
  } else {
    receive.match = exactRegex(text);
  }
  if (e.channel !== undefined) receive.channel = e.channel;
  return { receive };
}
