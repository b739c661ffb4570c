/**
 * `wirescope test [--profiles FILE] [NAME...]`: run saved profiles with `expect` as tests, several at
 * once, and report them for people and CI. Exit 0 when every profile passed, 1 when any failed,
 * 2 when the file or a selected profile is bad (nothing is run then).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { profileProblemLine } from '../core/profileFile';
import { runProfileTest, type ProfileTestResult } from '../core/profileTest';
import { describeError } from '../core/errors';
import type { ResolvedProfile, ParsedProfileEntry } from '../core/profiles';
import { ProfileUsageError, UsageError, tokenize, type FlagSpec } from './args';
import { EXIT, type CliIo } from './runConnect';
import { escapePreview, shouldColor } from './format';
import { fileProblem } from '../core/profileFile';
import { loadProfilesForCli, resolveForCli } from './profiles';
import { prettyResult, prettyTotals, renderReport, REPORTERS, type ReporterId, type TestRun } from './reporters';

export interface TestCommand {
  profilesFile?: string;
  names: string[];
  reporters: Array<{ id: ReporterId; output?: string }>;
  concurrency: number;
  help: boolean;
}

export const TEST_FLAGS: readonly FlagSpec<TestCommand>[] = [
  { name: 'profiles', value: 'FILE', group: 'Test', help: 'Profiles file (default: .vscode/wirescope.json in this folder or the nearest one above).', apply: (c, v) => (c.profilesFile = v) },
  { name: 'reporter', value: REPORTERS.join('|'), repeat: true, group: 'Test', help: 'Report format; repeat for several (default pretty). Each may be followed by its own --output.', apply: (c, v) => {
    if (!(REPORTERS as readonly string[]).includes(v)) throw new UsageError(`--reporter must be one of ${REPORTERS.join(', ')}; got "${v}"`);
    c.reporters.push({ id: v as ReporterId });
  } },
  { name: 'output', value: 'FILE', repeat: true, group: 'Test', help: 'Write the report of the --reporter just before it to FILE instead of stdout.', apply: (c, v) => {
    const last = c.reporters.at(-1);
    if (!last) throw new UsageError('--output comes after the --reporter it is for (--reporter junit --output report.xml)');
    if (last.output !== undefined) throw new UsageError(`--reporter ${last.id} has two --output files`);
    if (!v) throw new UsageError('--output needs a file name');
    last.output = v;
  } },
  { name: 'concurrency', value: 'n', group: 'Test', help: 'Profiles run at the same time (default 4).', apply: (c, v) => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 64) throw new UsageError(`--concurrency must be a whole number from 1 to 64, got "${v}"`);
    c.concurrency = Number(v);
  } },
  { name: 'help', short: 'h', group: 'Test', help: 'Show this help.', apply: (c) => (c.help = true) },
];

export function parseTestArgs(argv: readonly string[]): TestCommand {
  const { flags, positionals } = tokenize(argv, TEST_FLAGS);
  const c: TestCommand = { names: positionals, reporters: [], concurrency: 4, help: false };
  for (const f of flags) f.spec.apply(c, f.value, { env: {}, readFile: () => '' });
  if (c.reporters.length === 0) c.reporters.push({ id: 'pretty' });
  const toStdout = c.reporters.filter((r) => r.output === undefined);
  if (toStdout.length > 1) throw new UsageError(`only one reporter can write to stdout; give --output FILE to ${toStdout.slice(1).map((r) => r.id).join(', ')}`);
  return c;
}

/** Run up to `limit` tasks at once, results in input order. */
async function pool<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function runTest(cmd: TestCommand, io: CliIo): Promise<number> {
  const loaded = loadProfilesForCli(cmd.profilesFile, io);
  const broken = fileProblem(loaded);
  if (broken) throw new ProfileUsageError(broken);

  let selected: ParsedProfileEntry[];
  if (cmd.names.length > 0) {
    const missing = cmd.names.filter((n) => !loaded.profiles.some((p) => p.profile.name === n));
    if (missing.length) throw new ProfileUsageError(`no profile named ${missing.map((n) => `"${n}"`).join(', ')} in ${loaded.path}`);
    selected = cmd.names.map((n) => loaded.profiles.find((p) => p.profile.name === n)!);
    const without = selected.filter((e) => !e.profile.expect?.length);
    if (without.length) throw new ProfileUsageError(`${without.map((e) => `"${e.profile.name}"`).join(', ')} in ${loaded.path} ha${without.length === 1 ? 's' : 've'} no "expect" list: nothing to test`);
  } else {
    selected = loaded.profiles.filter((e) => Array.isArray(e.profile.expect) && e.profile.expect.length > 0);
    // A profile whose expect list is itself broken is still a test, a bad one.
    const badExpect = loaded.profiles.filter((e) => e.profile.expect !== undefined && !selected.includes(e) && !e.valid);
    selected.push(...badExpect);
    if (selected.length === 0) throw new ProfileUsageError(`no profile in ${loaded.path} has an "expect" list: nothing to test`);
  }
  const problems = selected.map((e) => profileProblemLine(e, loaded.path)).filter((p): p is string => p !== undefined);
  // Every bad profile at once, so one CI run shows them all.
  if (problems.length) throw new ProfileUsageError(problems.join(' | '));
  const resolved = new Map<ParsedProfileEntry, ResolvedProfile>();
  for (const e of selected) resolved.set(e, await resolveForCli(loaded, e, io));

  const color = shouldColor(io.isTTY, io.env);
  const pretty = cmd.reporters.find((r) => r.id === 'pretty' && r.output === undefined);
  const startedAt = Date.now();
  let stop = false;
  const removeInterrupt = io.onInterrupt(() => (stop = true));
  let results: Array<ProfileTestResult & { line?: number }>;
  try {
    results = await pool(selected, cmd.concurrency, async (e) => {
      const r = resolved.get(e)!;
      const result: ProfileTestResult = stop
        ? { name: e.profile.name, status: 'failed', expectations: [], durationMs: 0, sessionState: 'closed', reason: 'interrupted before it ran', involved: [] }
        : await runProfileTest(e.profile, r.options, r.secretValues);
      if (pretty) io.write(prettyResult(result, color));
      return { ...result, line: loaded.profileLines[e.index] };
    });
  } finally {
    removeInterrupt();
  }
  const run: TestRun = { file: loaded.path, startedAt, durationMs: Date.now() - startedAt, results };
  for (const rep of cmd.reporters) {
    if (rep === pretty) {
      io.write(prettyTotals(run));
      continue;
    }
    const text = renderReport(rep.id, run, false);
    if (rep.output === undefined) io.write(text);
    else {
      const path = resolve(io.cwd ?? process.cwd(), rep.output);
      try {
        writeFileSync(path, text);
      } catch (err) {
        io.error(`cannot write the ${rep.id} report to ${path}: ${describeError(err).message}`);
        return EXIT.usage;
      }
    }
  }
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length) {
    io.error(`${failed.length} of ${results.length} profile${results.length === 1 ? '' : 's'} failed: ${escapePreview(failed.map((r) => r.name).join(', '), 300)}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
