/**
 * Saved profiles on the command line: `wirescope connect --profile NAME`, `wirescope profiles`.
 * The file is parsed, validated and resolved by the same code as in the editor (src/core/profiles.ts);
 * only where secrets come from differs (WIRESCOPE_SECRET_<NAME> instead of SecretStorage).
 */
import { environmentResolver, fileProblem, loadProfilesFile, problemLine, profileProblemLine, ProfilesFileError, type LoadedProfiles } from '../core/profileFile';
import { ProfileResolveError, resolveProfile, type ParsedProfileEntry, type ResolvedProfile } from '../core/profiles';
import { ProfileUsageError, UsageError, tokenize, type FlagSpec } from './args';
import { EXIT, type CliIo } from './runConnect';
import { escapePreview } from './format';

/** Read the profiles file for a command; every problem with the file itself is a UsageError (exit 2). */
export function loadProfilesForCli(file: string | undefined, io: CliIo): LoadedProfiles {
  try {
    return loadProfilesFile(file, io.cwd ?? process.cwd());
  } catch (err) {
    if (err instanceof ProfilesFileError) throw new ProfileUsageError(err.message);
    throw err;
  }
}

/** The entry named `name`, usable; UsageError (exit 2) when the file or the profile has problems. */
export function usableProfile(loaded: LoadedProfiles, name: string): ParsedProfileEntry {
  const broken = fileProblem(loaded);
  if (broken) throw new ProfileUsageError(broken);
  const entry = loaded.profiles.find((p) => p.profile.name === name);
  if (!entry) {
    const names = loaded.profiles.map((p) => `"${p.profile.name}"`);
    throw new ProfileUsageError(`no profile named "${name}" in ${loaded.path}${names.length ? ` (it has ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''})` : ' (it has none)'}`);
  }
  const problem = profileProblemLine(entry, loaded.path);
  if (problem) throw new ProfileUsageError(problem);
  return entry;
}

/** Resolve a profile for the command line: substitution from the environment; a missing variable or secret is a UsageError. */
export async function resolveForCli(loaded: LoadedProfiles, entry: ParsedProfileEntry, io: CliIo): Promise<ResolvedProfile> {
  try {
    return await resolveProfile(entry.profile, environmentResolver(io.env, loaded.baseDir, entry.profile.name));
  } catch (err) {
    if (err instanceof ProfileResolveError) throw new ProfileUsageError(err.message);
    throw err;
  }
}

// ---------------------------------------------------------------- wirescope profiles

export interface ProfilesCommand {
  profilesFile?: string;
  format: 'pretty' | 'json';
  help: boolean;
}

export const PROFILES_FLAGS: readonly FlagSpec<ProfilesCommand>[] = [
  { name: 'profiles', value: 'FILE', group: 'Profiles', help: 'Profiles file (default: .vscode/wirescope.json in this folder or the nearest one above).', apply: (c, v) => (c.profilesFile = v) },
  { name: 'format', value: 'pretty|json', group: 'Profiles', help: 'pretty (for people, the default) or json (one object: file, profiles with their problems).', apply: (c, v) => {
    if (v !== 'pretty' && v !== 'json') throw new UsageError(`--format must be pretty or json; got "${v}"`);
    c.format = v;
  } },
  { name: 'help', short: 'h', group: 'Profiles', help: 'Show this help.', apply: (c) => (c.help = true) },
];

export function parseProfilesArgs(argv: readonly string[]): ProfilesCommand {
  const { flags, positionals } = tokenize(argv, PROFILES_FLAGS);
  const c: ProfilesCommand = { format: 'pretty', help: false };
  for (const f of flags) f.spec.apply(c, f.value, { env: {}, readFile: () => '' });
  if (!c.help && positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  return c;
}

/** Print the profiles of a file with their problems; exit 0 when every profile is usable, 2 otherwise. */
export function runProfiles(cmd: ProfilesCommand, io: CliIo): number {
  const loaded = loadProfilesForCli(cmd.profilesFile, io);
  const hasErrors = loaded.problems.some((p) => p.severity === 'error');
  if (cmd.format === 'json') {
    const out = {
      file: loaded.path,
      ok: !hasErrors,
      problems: loaded.problems.filter((p) => !(p.path && p.path[0] === 'profiles' && typeof p.path[1] === 'number')).map(jsonProblem),
      profiles: loaded.profiles.map((e) => ({
        name: e.profile.name,
        pattern: e.profile.pattern,
        url: e.profile.url,
        line: lineOf(loaded, e),
        valid: e.valid,
        expectations: Array.isArray(e.profile.expect) ? e.profile.expect.length : 0,
        problems: e.problems.map(jsonProblem),
      })),
    };
    io.write(JSON.stringify(out) + '\n');
    return hasErrors ? EXIT.usage : EXIT.ok;
  }
  const text = (s: unknown) => escapePreview(String(s ?? ''), 200);
  const lines: string[] = [];
  const n = loaded.profiles.length;
  lines.push(`${text(loaded.path)}: ${n} profile${n === 1 ? '' : 's'}`);
  const broken = fileProblem(loaded);
  if (broken) lines.push(`  ✖ ${text(broken)}`);
  const width = Math.min(40, Math.max(4, ...loaded.profiles.map((e) => text(e.profile.name).length)));
  for (const e of loaded.profiles) {
    const expectations = Array.isArray(e.profile.expect) ? e.profile.expect.length : 0;
    const mark = e.valid ? ' ' : '✖';
    lines.push(`${mark} ${text(e.profile.name).padEnd(width)}  ${text(e.profile.pattern).padEnd(9)}  ${text(e.profile.url)}${expectations ? `  (${expectations} expectation${expectations === 1 ? '' : 's'})` : ''}`);
    for (const p of e.problems) lines.push(`    ${p.severity === 'error' ? 'error  ' : 'warning'} ${text(problemLine(p))}`);
  }
  io.write(lines.join('\n') + '\n');
  if (hasErrors) io.error(`${loaded.problems.filter((p) => p.severity === 'error').length} problem(s) in ${loaded.path}`);
  return hasErrors ? EXIT.usage : EXIT.ok;
}

function jsonProblem(p: { message: string; severity: string; line: number; column: number; path?: Array<string | number> }) {
  return { severity: p.severity, message: p.message, line: p.line, column: p.column, ...(p.path ? { path: p.path } : {}) };
}

/** 1-based line of a profile's object in the file. */
export function lineOf(loaded: LoadedProfiles, entry: ParsedProfileEntry): number | undefined {
  return loaded.profileLines[entry.index];
}
