/**
 * The pattern race: several sessions that carry the same feed start together on one clock, run for
 * a fixed time, and are measured side by side (received, missed, latency, requests, wire bytes,
 * reconnects). Optionally every session's connection is cut at the same moment through a fault
 * proxy, and the race measures the recovery. See docs/compare.md for what each number means.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectOptions } from '../../shared/connectOptions';
import { PATTERN_DIRECTION, type Arrival, type CutRecovery, type RaceResult, type SessionResult } from '../../shared/compare';
import type { FrameEvent, WireEvent } from '../../shared/events';
import type { Clock } from '../clock';
import { describeError } from '../errors';
import { FaultProxy } from '../faultProxy';
import type { TransportLoader } from '../registry';
import { Session } from '../session';
import { makeKeyExtractor, type KeyExtractor } from './messageKeys';
import { WireMeter, type WireCounts } from './wireMeter';

export interface RaceEntry {
  /** Unique within the race (a profile name, or the demo's pattern name). */
  name: string;
  options: ConnectOptions;
  /**
   * Webhook receivers only: called once the receiver listens, with the URL senders should POST to
   * (a fault proxy's when the race injects a cut). The demo starts its sender here.
   */
  onReceiverUrl?(url: string): void;
  /**
   * This session's own id field, when its messages carry the feed's id elsewhere (a GraphQL result nests the
   * event under `data.<field>`); the race's `idField` otherwise. Same syntax, validated the same way.
   */
  idField?: string;
  /** This session's own publish-time field; the race's `timestampField` otherwise. */
  timestampField?: string;
}

export interface RaceConfig {
  entries: RaceEntry[];
  durationMs: number;
  idField: string;
  timestampField?: string;
  /**
   * The last part of the run that only lets in-flight messages arrive: events published after
   * `durationMs - settleMs` are not counted as missed by anyone. Default 1000 (at most a fifth of the run).
   */
  settleMs?: number;
  fault?: { type: 'cut'; atMs: number };
  /** Each session as it is created, before it starts (the host opens inspectors on them). */
  onSession?(name: string, session: Session): void;
  /** Ends the race early (Ctrl+C, Cancel); the result covers the time run. */
  signal?: AbortSignal;
  loadTransport?: TransportLoader;
  /** Most arrivals kept per session for the report (default 20,000). */
  maxArrivals?: number;
}

/** A race that cannot start (bad fields, duplicate names); the message is one line. */
export class RaceError extends Error {}

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443, 'mqtt:': 1883, 'mqtts:': 8883 };

/**
 * A clock for the race whose epoch is tied to Date.now() to a fraction of a millisecond, so that
 * latencies against publishers' millisecond timestamps mean something. Date.now() floors to whole ms:
 * the offset is the median of many (Date.now() - performance.now()) samples plus half a millisecond,
 * skipping samples that a pause (GC, first-call compilation) stretched.
 */
export function createRaceClock(): Clock & { epoch0: number } {
  const offsets: number[] = [];
  const deadline = performance.now() + 5;
  for (let i = 0; i < 400 && (offsets.length < 50 || performance.now() < deadline); i++) {
    const p1 = performance.now();
    const d = Date.now();
    const p2 = performance.now();
    if (p2 - p1 < 0.05) offsets.push(d - (p1 + p2) / 2);
    if (performance.now() > deadline + 20) break;
  }
  const origin = performance.now();
  const sorted = offsets.length > 0 ? offsets.sort((a, b) => a - b) : [Date.now() - origin];
  const epoch0 = sorted[Math.floor(sorted.length / 2)] + 0.5 + origin;
  return { epoch0, now: () => performance.now() - origin, epochAt: (t) => Math.floor(epoch0 + t) };
}

interface Track {
  entry: RaceEntry;
  session: Session;
  extract: KeyExtractor;
  keysSeen: Map<string, number>;
  arrivals: Arrival[];
  received: number;
  duplicates: number;
  unidentified: number;
  beforeStart: number;
  firstContact: number | undefined;
  endedAt: number | undefined;
  ended: { state: string; reason?: string };
  reconnects: number;
  /** Publish time (race clock) of each id this session received first, and its first receipt. */
  latencies: number[];
  proxy: FaultProxy | undefined;
  faultNote: string | undefined;
  connectionsCut: number;
  counts: WireCounts | undefined;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

/** Point a session at a fault proxy in front of its server; the Host header and TLS name stay the server's. */
async function throughProxy(options: ConnectOptions): Promise<{ options: ConnectOptions; proxy: FaultProxy }> {
  const url = new URL(options.url);
  const port = url.port ? Number(url.port) : DEFAULT_PORT[url.protocol];
  if (!port) throw new RaceError(`cannot place a fault proxy in front of ${url.protocol} URLs`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const proxy = await FaultProxy.start(port, host);
  const originalHost = url.host;
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const next: ConnectOptions = { ...options, url: url.href };
  if (options.pattern !== 'mqtt') {
    const headers = { ...(options.headers ?? {}) };
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'host')) headers.Host = originalHost;
    next.headers = headers;
  }
  if ((url.protocol === 'https:' || url.protocol === 'wss:' || url.protocol === 'mqtts:') && !/^[\d.:]+$/.test(host)) {
    next.tls = { ...(options.tls ?? {}), servername: options.tls?.servername ?? host };
  }
  return { options: next, proxy };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Run the race to the end and measure it. Session failures are results, not exceptions. */
export async function runRace(cfg: RaceConfig): Promise<RaceResult> {
  if (cfg.entries.length < 2) throw new RaceError('a race needs at least two sessions');
  const names = new Set<string>();
  for (const e of cfg.entries) {
    if (names.has(e.name)) throw new RaceError(`two sessions are named "${e.name}"; names must differ`);
    names.add(e.name);
  }
  if (!(cfg.durationMs > 0)) throw new RaceError('the duration must be a positive number of ms');
  if (cfg.fault && !(cfg.fault.atMs > 0 && cfg.fault.atMs < cfg.durationMs)) {
    throw new RaceError(`the cut must happen inside the race (0 < ${cfg.fault.atMs} < ${cfg.durationMs} ms)`);
  }
  let raceExtract: KeyExtractor;
  try {
    raceExtract = makeKeyExtractor(cfg.idField, cfg.timestampField);
  } catch (err) {
    throw new RaceError((err as Error).message);
  }
  // Sessions with fields of their own read their messages with their own extractor.
  const extractors = new Map<RaceEntry, KeyExtractor>();
  for (const e of cfg.entries) {
    if (e.idField === undefined && e.timestampField === undefined) continue;
    try {
      extractors.set(e, makeKeyExtractor(e.idField ?? cfg.idField, e.timestampField ?? cfg.timestampField));
    } catch (err) {
      throw new RaceError(`${e.name}: ${(err as Error).message}`);
    }
  }
  const settleMs = Math.max(0, Math.min(cfg.settleMs ?? 1000, cfg.durationMs / 5));
  const maxArrivals = cfg.maxArrivals ?? 20_000;
  let arrivalsTruncated = false;

  const tracks: Track[] = [];
  const meter = new WireMeter();
  try {
    // Proxies first (a cut needs them in the path), before the clock starts.
    const prepared: Array<{ entry: RaceEntry; options: ConnectOptions; proxy?: FaultProxy; note?: string }> = [];
    try {
      for (const entry of cfg.entries) {
        // The race decides when sessions end.
        const { count: _count, durationMs: _duration, ...options } = entry.options;
        if (!cfg.fault) prepared.push({ entry, options });
        else if (options.pattern === 'webhook') prepared.push({ entry, options, note: entry.onReceiverUrl ? undefined : 'the sender is outside Wirescope: a cut cannot be placed in its path' });
        else {
          const p = await throughProxy(options);
          prepared.push({ entry, options: p.options, proxy: p.proxy });
        }
      }
    } catch (err) {
      await Promise.all(prepared.map((p) => p.proxy?.close()));
      throw err instanceof RaceError ? err : new RaceError(describeError(err).message);
    }

    const clock = createRaceClock();
    const onEvent = (track: Track, e: WireEvent): void => {
      if (e.kind === 'frame') {
        if (e.meta?.control) return;
        if (e.dir === 'out') {
          track.firstContact ??= e.t;
          return;
        }
        const keys = track.extract(e as FrameEvent);
        if (keys.length === 0) {
          track.unidentified++;
          return;
        }
        for (const k of keys) {
          const pub = k.at !== undefined ? round1(k.at - clock.epoch0) : null;
          // History (published before the race began: a replay, a poll's first answer) is not part of the race.
          if (pub !== null && pub < 0) {
            track.beforeStart++;
            continue;
          }
          track.received++;
          const seen = track.keysSeen.get(k.id);
          const dup = seen !== undefined;
          if (dup) track.duplicates++;
          else {
            track.keysSeen.set(k.id, e.t);
            if (pub !== null) track.latencies.push(e.t - pub);
          }
          if (track.arrivals.length < maxArrivals) track.arrivals.push({ id: k.id, t: e.t, pub, dup });
          else arrivalsTruncated = true;
        }
      } else if (e.kind === 'state') {
        if (e.state === 'open') {
          track.firstContact ??= e.t;
          // A webhook receiver is listening: tell its sender where to POST (through a proxy when cutting).
          if (track.entry.onReceiverUrl && e.url && !track.proxy) {
            const url = e.url;
            if (cfg.fault) {
              const u = new URL(url);
              void FaultProxy.start(Number(u.port), u.hostname).then((proxy) => {
                track.proxy = proxy;
                track.entry.onReceiverUrl?.(proxy.url('http', u.pathname));
              });
            } else track.entry.onReceiverUrl(url);
          }
        } else if (e.state === 'closed' || e.state === 'failed') {
          track.endedAt = e.t;
          track.ended = e.reason !== undefined ? { state: e.state, reason: e.reason } : { state: e.state };
        }
      } else if (e.kind === 'summary') {
        track.reconnects = e.reconnects;
      }
    };

    for (const p of prepared) {
      const session = new Session(p.options, { clock, ...(cfg.loadTransport ? { loadTransport: cfg.loadTransport } : {}) });
      const track: Track = {
        entry: p.entry,
        session,
        extract: extractors.get(p.entry) ?? raceExtract,
        keysSeen: new Map(),
        arrivals: [],
        received: 0,
        duplicates: 0,
        unidentified: 0,
        beforeStart: 0,
        firstContact: undefined,
        endedAt: undefined,
        ended: { state: 'closed' },
        reconnects: 0,
        latencies: [],
        proxy: p.proxy,
        faultNote: p.note,
        connectionsCut: 0,
        counts: undefined,
      };
      session.onEvent((e) => onEvent(track, e));
      tracks.push(track);
      cfg.onSession?.(p.entry.name, session);
    }

    // Start every session in its own metering context, on the one clock.
    for (const t of tracks) meter.run(t.entry.name, () => void t.session.start());

    let cutAt: number | undefined;
    if (cfg.fault) {
      await sleep(cfg.fault.atMs - clock.now(), cfg.signal);
      if (!cfg.signal?.aborted) {
        cutAt = clock.now();
        for (const t of tracks) if (t.proxy) t.connectionsCut = t.proxy.cut();
      }
    }
    await sleep(cfg.durationMs - clock.now(), cfg.signal);
    const raceEnd = Math.min(clock.now(), cfg.durationMs);
    await Promise.all(tracks.map((t) => t.session.close(cfg.signal?.aborted ? 'race stopped' : 'race finished')));
    // Sockets close on the next turns of the loop; their final counts are read on close.
    await sleep(50);
    for (const t of tracks) t.counts = meter.counts(t.entry.name);
    return measure(tracks, { cfg, clock, raceEnd, settleMs, cutAt, arrivalsTruncated });
  } finally {
    meter.dispose();
    await Promise.all(tracks.map((t) => t.proxy?.close()));
  }
}

function measure(
  tracks: Track[],
  ctx: { cfg: RaceConfig; clock: Clock & { epoch0: number }; raceEnd: number; settleMs: number; cutAt: number | undefined; arrivalsTruncated: boolean },
): RaceResult {
  const { cfg, raceEnd, settleMs, cutAt } = ctx;
  // Every id any session received, with its event time: the publish time, or else its first receipt anywhere.
  const eventTime = new Map<string, number>();
  for (const t of tracks) {
    for (const a of t.arrivals) {
      const time = a.pub ?? a.t;
      const prev = eventTime.get(a.id);
      if (prev === undefined || (a.pub === null && time < prev)) eventTime.set(a.id, time);
    }
    // Arrivals past the cap still count as seen.
    for (const [id, firstT] of t.keysSeen) if (!eventTime.has(id)) eventTime.set(id, firstT);
  }
  const countedUntil = raceEnd - settleMs;

  const sessions: SessionResult[] = [];
  const missedIds: RaceResult['missedIds'] = [];
  for (const t of tracks) {
    const notes: Record<string, string> = {};
    const from = t.firstContact ?? null;
    const to = Math.min(t.endedAt ?? raceEnd, raceEnd);
    const windowEnd = Math.min(to, countedUntil);
    const missedList: Array<{ id: string; pub: number | null }> = [];
    let missed = 0;
    for (const [id, time] of eventTime) {
      if (t.keysSeen.has(id)) continue;
      if ((from === null ? 0 : from) <= time && time <= windowEnd) {
        missed++;
        if (missedList.length < 5000) missedList.push({ id, pub: time });
      }
    }
    if (from === null) notes.missed = 'the session never reached the server; every event of its window counts as missed';
    missedIds.push(missedList);

    const unique = t.keysSeen.size;
    const timestampField = t.entry.timestampField ?? cfg.timestampField;
    let latencyMs: SessionResult['latencyMs'] = null;
    if (!timestampField) notes.latencyMs = 'no --timestamp-field: publish times are unknown';
    else if (t.latencies.length === 0) notes.latencyMs = unique === 0 ? 'no messages received' : `no message carried a valid ${timestampField}`;
    else {
      const sorted = [...t.latencies].sort((a, b) => a - b);
      latencyMs = { p50: round1(percentile(sorted, 0.5)), p95: round1(percentile(sorted, 0.95)), max: round1(sorted[sorted.length - 1]) };
    }
    const c = t.counts;
    const bytes = c ? c.bytesIn + c.bytesOut : 0;
    const perMessage = (n: number | null, what: string): number | null => {
      if (n === null) return null;
      if (unique === 0) {
        notes[what] = 'no messages received';
        return null;
      }
      return Math.round((n / unique) * 100) / 100;
    };
    let fault: CutRecovery | undefined;
    if (cutAt !== undefined) {
      if (t.faultNote) notes.fault = t.faultNote;
      else if (t.firstContact === undefined || t.firstContact > cutAt) notes.fault = 'the cut came before the session had reached the server';
      const before = t.arrivals.filter((a) => a.t < cutAt);
      const after = t.arrivals.filter((a) => a.t >= cutAt);
      // Recovered: the first message published after the cut arrives (one already travelling when the cut came proves nothing).
      const firstAfter = after.find((a) => (eventTime.get(a.id) ?? a.t) >= cutAt);
      const beforeIds = new Set(before.map((a) => a.id));
      const lastBeforeTime = before.reduce((m, a) => Math.max(m, eventTime.get(a.id) ?? a.t), -Infinity);
      let lost: number | null = null;
      if (firstAfter) {
        const until = firstAfter.t;
        lost = 0;
        for (const [id, time] of eventTime) if (time > lastBeforeTime && time <= until && !t.keysSeen.has(id)) lost++;
      }
      fault = {
        recoveryMs: firstAfter ? round1(firstAfter.t - cutAt) : null,
        lost,
        doubled: after.filter((a) => beforeIds.has(a.id)).length,
        connectionsCut: t.connectionsCut,
      };
      if (!firstAfter) notes.recoveryMs = 'no message published after the cut arrived';
    }
    sessions.push({
      name: t.entry.name,
      pattern: t.entry.options.pattern,
      received: t.received,
      unique,
      duplicates: t.duplicates,
      missed,
      latencyMs,
      requests: c ? c.requests : null,
      connections: c ? c.connections : null,
      bytesIn: c ? c.bytesIn : null,
      bytesOut: c ? c.bytesOut : null,
      bytesPerMessage: perMessage(c ? bytes : null, 'bytesPerMessage'),
      requestsPerMessage: perMessage(c ? c.requests : null, 'requestsPerMessage'),
      reconnects: t.reconnects,
      direction: PATTERN_DIRECTION[t.entry.options.pattern],
      notes,
      ended: t.ended.state === 'closed' && /^race (finished|stopped)$/.test(t.ended.reason ?? '') ? { state: 'closed' } : t.ended,
      window: { fromMs: from === null ? null : round1(from), toMs: round1(to) },
      unidentified: t.unidentified,
      beforeStart: t.beforeStart,
      ...(t.entry.idField !== undefined && t.entry.idField !== cfg.idField ? { idField: t.entry.idField } : {}),
      ...(t.entry.timestampField !== undefined && t.entry.timestampField !== cfg.timestampField ? { timestampField: t.entry.timestampField } : {}),
      ...(fault ? { fault } : {}),
    });
  }
  const ids = [...eventTime.keys()];
  const numeric = ids.every((id) => /^-?\d{1,15}$/.test(id));
  const order = numeric ? ids.map(Number).sort((a, b) => a - b) : [...ids].sort((a, b) => (eventTime.get(a)! - eventTime.get(b)!));
  return {
    sessions,
    feed: { ids: ids.length, firstId: order.length ? order[0] : null, lastId: order.length ? order[order.length - 1] : null },
    durationMs: Math.round(raceEnd),
    startedAt: ctx.clock.epoch0,
    idField: cfg.idField,
    timestampField: cfg.timestampField ?? null,
    fault: cutAt !== undefined ? { type: 'cut', atMs: round1(cutAt) } : null,
    arrivals: tracks.map((t) => t.arrivals),
    arrivalsTruncated: ctx.arrivalsTruncated,
    missedIds,
  };
}
