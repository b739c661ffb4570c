/**
 * `wirescope compare`: the pattern race. Saved profiles (`--profiles FILE NAME NAME ...`) or the
 * demo (`--demo`) run side by side on one clock for `--duration` ms, and the measured table is
 * printed (table, json or markdown). See docs/compare.md.
 */
import { RaceError, runRace, type RaceEntry } from '../core/compare/race';
import { checkKeyFields } from '../core/compare/messageKeys';
import { describeError } from '../core/errors';
import { toJsonReport, type RaceResult } from '../shared/compare';
import { formatRaceMarkdown, formatRaceTable } from '../shared/compareFormat';
import { defaultArgsEnvironment, flagHelp, tokenize, UsageError, type ArgsEnvironment, type FlagSpec } from './args';
import { EXIT, type CliIo } from './runConnect';
import { loadProfilesForCli, resolveForCli, usableProfile } from './profiles';

export const COMPARE_FORMATS = ['table', 'json', 'markdown'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export interface CompareCommand {
  demo: boolean;
  /** `--profiles FILE`; undefined = the default file. */
  profilesFile?: string;
  names: string[];
  durationMs: number;
  idField?: string;
  timestampField?: string;
  format: CompareFormat;
  fault?: { type: 'cut'; atMs: number };
  /** Demo feed rate. */
  rate: number;
  help: boolean;
}

function positiveInt(flag: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--${flag} needs a whole number of ms, got "${raw}"`);
  const n = Number(raw);
  if (n < 1 || n > max) throw new UsageError(`--${flag} must be from 1 to ${max}, got ${raw}`);
  return n;
}

export const COMPARE_FLAGS: readonly FlagSpec<CompareCommand>[] = [
  { name: 'profiles', value: 'FILE', group: 'Sessions', help: 'Race these saved profiles (names follow); default file .vscode/wirescope.json from here up.', apply: (c, v) => (c.profilesFile = v) },
  { name: 'demo', group: 'Sessions', help: 'Race short poll, long poll, SSE, WebSocket, gRPC, GraphQL, MQTT and webhook on the built-in demo backend (started on 127.0.0.1).', apply: (c) => (c.demo = true) },
  { name: 'rate', value: 'n/s', group: 'Sessions', help: 'Demo feed events per second (default 5).', apply: (c, v) => {
    const n = Number(v.replace(/\/s$/, ''));
    if (!Number.isFinite(n) || n <= 0 || n > 1000) throw new UsageError(`--rate needs events per second from 0.1 to 1000, got "${v}"`);
    c.rate = n;
  } },
  { name: 'duration', value: 'ms', group: 'Race', help: 'How long every session runs (default 10000).', apply: (c, v) => (c.durationMs = positiveInt('duration', v, 3_600_000)) },
  { name: 'id-field', value: 'field', group: 'Race', help: 'Message identity, as for connect: $.seq, sse-id, header:Name, prop:name (demo: $.seq); a profile with its own idField is read with that.', apply: (c, v) => (c.idField = v) },
  { name: 'timestamp-field', value: '$.path', group: 'Race', help: 'Publish time in each message, epoch ms or ISO (demo: $.at); latency needs it.', apply: (c, v) => (c.timestampField = v) },
  { name: 'fault', value: 'cut@ms', group: 'Race', help: 'Drop every session\'s connection at the same moment (through a fault proxy) and measure the recovery.', apply: (c, v) => {
    const m = /^cut@(\d+)$/.exec(v.trim());
    if (!m) throw new UsageError(`--fault takes cut@<ms>, like cut@3000; got "${v}"`);
    c.fault = { type: 'cut', atMs: Number(m[1]) };
  } },
  { name: 'format', short: 'f', value: 'table|json|markdown', group: 'Output', help: 'table (default, for people), json (for programs) or markdown.', apply: (c, v) => {
    if (!(COMPARE_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format must be one of ${COMPARE_FORMATS.join(', ')}, got "${v}"`);
    c.format = v as CompareFormat;
  } },
  { name: 'help', short: 'h', group: 'Output', help: 'Show this help.', apply: (c) => (c.help = true) },
];

export const COMPARE_HELP = `Usage: wirescope compare --profiles FILE NAME NAME ... [options]
       wirescope compare NAME NAME ... [options]        (profiles from .vscode/wirescope.json)
       wirescope compare --demo [options]

Races one feed over several patterns on one clock and measures each: messages received, missed
and doubled, latency from publish time, HTTP requests, TCP connections and bytes on the wire
(headers, framing and TLS included), reconnects. See docs/compare.md for each number.

${flagHelp(COMPARE_FLAGS)}Example:
  wirescope compare --profiles p.json ws sse 'long poll' --duration 8000 --id-field '$.seq' --timestamp-field '$.at' --format json

Exit codes: 0 the race ran (sessions that failed are reported in the table), 1 it could not run, 2 bad arguments.
`;

/** Parse `wirescope compare` arguments. Throws UsageError. */
export function parseCompareArgs(argv: readonly string[], env: ArgsEnvironment = defaultArgsEnvironment): CompareCommand {
  const { flags, positionals } = tokenize(argv, COMPARE_FLAGS);
  const c: CompareCommand = { demo: false, names: [], durationMs: 10_000, format: 'table', rate: 5, help: false };
  for (const f of flags) f.spec.apply(c, f.value, env);
  if (c.help) return c;
  c.names = positionals;
  if (c.demo) {
    if (c.profilesFile !== undefined || c.names.length > 0) throw new UsageError('--demo races the demo backend; give it no profiles');
    c.idField ??= '$.seq';
    c.timestampField ??= '$.at';
  } else {
    if (flags.some((f) => f.spec.name === 'rate')) throw new UsageError('--rate applies to --demo');
    if (c.names.length < 2) throw new UsageError(`name at least two profiles to race${c.names.length === 1 ? ` (got only ${JSON.stringify(c.names[0])})` : ''}, or use --demo`);
    if (new Set(c.names).size !== c.names.length) throw new UsageError('a profile is named twice');
    // Without --id-field every profile must name its own idField: checked once they are loaded (runCompare).
  }
  const problem = checkKeyFields(c.idField, c.timestampField);
  if (problem) throw new UsageError(problem);
  if (c.fault && c.fault.atMs >= c.durationMs) throw new UsageError(`--fault cut@${c.fault.atMs} must be inside the race (--duration ${c.durationMs})`);
  return c;
}

/** Run the race and print it; resolves with the exit code. */
export async function runCompare(cmd: CompareCommand, io: CliIo): Promise<number> {
  let entries: RaceEntry[];
  const secrets: string[] = [];
  let cleanup: (() => Promise<void>) | undefined;
  if (cmd.demo) {
    const { startDemoRace } = await import('../demo/demoRace');
    try {
      const race = await startDemoRace({ rate: cmd.rate });
      entries = race.entries;
      cleanup = race.close;
    } catch (err) {
      io.error(`cannot start the demo backend: ${describeError(err).message}`);
      return EXIT.failed;
    }
  } else {
    // The same loading, validation and substitution as `wirescope connect --profile` (secrets from WIRESCOPE_SECRET_<NAME>).
    const loaded = loadProfilesForCli(cmd.profilesFile, io);
    entries = [];
    for (const name of cmd.names) {
      const resolved = await resolveForCli(loaded, usableProfile(loaded, name), io);
      secrets.push(...resolved.secretValues.filter((v) => v.length >= 3));
      // A profile that names its own idField (what its sequence check reads) is read with it; the others with --id-field.
      const own = resolved.options.idField?.trim() ? resolved.options.idField : undefined;
      entries.push({ name, options: resolved.options, ...(own !== undefined ? { idField: own } : {}) });
    }
    const without = entries.filter((e) => e.idField === undefined).map((e) => JSON.stringify(e.name));
    if (!cmd.idField && without.length > 0) {
      throw new UsageError(`--id-field is needed to match messages across sessions (e.g. --id-field '$.seq'): ${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} no idField of ${without.length === 1 ? 'its' : 'their'} own`);
    }
  }
  const idField = cmd.idField ?? entries.find((e) => e.idField !== undefined)!.idField!;
  const stop = new AbortController();
  const remove = io.onInterrupt(() => stop.abort());
  if (cmd.format === 'table' && io.isTTY) {
    io.error(`racing ${entries.length} sessions for ${(cmd.durationMs / 1000).toFixed(1)} s (Ctrl+C ends early)...`);
  }
  try {
    const result = await runRace({
      entries,
      durationMs: cmd.durationMs,
      idField,
      timestampField: cmd.timestampField,
      fault: cmd.fault,
      signal: stop.signal,
    });
    redactResult(result, secrets);
    if (cmd.format === 'json') io.write(JSON.stringify(toJsonReport(result), null, 2) + '\n');
    else if (cmd.format === 'markdown') io.write(formatRaceMarkdown(result));
    else io.write(formatRaceTable(result));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof RaceError) {
      io.error(err.message);
      return EXIT.usage;
    }
    io.error(describeError(err).message);
    return EXIT.failed;
  } finally {
    remove();
    await cleanup?.();
  }
}

/** Secret values never reach the output: a failure reason or note that quotes one shows [secret]. */
function redactResult(r: RaceResult, secrets: string[]): void {
  if (secrets.length === 0) return;
  const clean = (s: string) => secrets.reduce((out, v) => out.split(v).join('[secret]'), s);
  for (const s of r.sessions) {
    if (s.ended.reason) s.ended.reason = clean(s.ended.reason);
    for (const k of Object.keys(s.notes)) s.notes[k] = clean(s.notes[k]);
  }
}
