/**
 * Profiles outside the editor: find `.vscode/wirescope.json` from a folder up, read and parse it
 * (the same parser and validation the extension uses), and resolve `${secret:NAME}` from the
 * environment (`WIRESCOPE_SECRET_<NAME>`), since the CLI has no SecretStorage. Pure Node, no vscode.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { describeError } from './errors';
import { parseProfilesText, profileLines, ProfileResolveError, type LocatedProblem, type ParsedProfileEntry, type ParsedProfiles, type ProfileResolver } from './profiles';

/** Where a workspace keeps its profiles, relative to the workspace folder. */
export const PROFILES_FILE = join('.vscode', 'wirescope.json');

/** A profiles file read from disk. */
export interface LoadedProfiles extends ParsedProfiles {
  /** Absolute path of the file. */
  path: string;
  text: string;
  /** The folder relative TLS file paths are read from: the workspace folder (parent of `.vscode`), else the file's folder. */
  baseDir: string;
  /** 1-based line of each profile object, by index in the file's list. */
  profileLines: number[];
}

/** The problem with reading a profiles file, as one line; exit code 2 on the CLI. */
export class ProfilesFileError extends Error {
  override readonly name = 'ProfilesFileError';
}

/** The first `.vscode/wirescope.json` in `startDir` or one of its parents. */
export function findProfilesFile(startDir: string, exists: (p: string) => boolean = existsSync): string | undefined {
  let dir = resolve(startDir);
  for (let i = 0; i < 100; i++) {
    const candidate = join(dir, PROFILES_FILE);
    if (exists(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** The workspace folder of a profiles file: the parent of its `.vscode` folder, else its own folder. */
export function profilesBaseDir(file: string): string {
  const dir = dirname(file);
  return basename(dir) === '.vscode' ? dirname(dir) : dir;
}

/**
 * Read and parse a profiles file: `file` as given (relative to `cwd`), or the one found from `cwd` up.
 * Throws ProfilesFileError (one line) when there is none or it cannot be read; syntax and validation
 * problems come back in the result, located.
 */
export function loadProfilesFile(file: string | undefined, cwd: string): LoadedProfiles {
  let path: string;
  if (file !== undefined) {
    path = isAbsolute(file) ? file : resolve(cwd, file);
  } else {
    const found = findProfilesFile(cwd);
    if (!found) throw new ProfilesFileError(`no ${PROFILES_FILE} in ${cwd} or any folder above it; give --profiles FILE`);
    path = found;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ProfilesFileError(`cannot read profiles file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : describeError(err).message}`);
  }
  const parsed = parseProfilesText(text);
  return { ...parsed, path, text, baseDir: profilesBaseDir(path), profileLines: parsed.syntaxOk ? profileLines(text) : [] };
}

/** One problem as `profiles[1].url (line 9, column 14): Invalid URL ...`. */
export function problemLine(p: LocatedProblem): string {
  // Validation messages start with their JSON path; syntax messages carry their own position.
  const colon = p.path ? p.message.indexOf(': ') : -1;
  if (colon < 0) return p.message;
  return `${p.message.slice(0, colon)} (line ${p.line}, column ${p.column})${p.message.slice(colon)}`;
}

/** The file-level problems (syntax, shape) that make every profile unusable, as one line; undefined when there are none. */
export function fileProblem(loaded: LoadedProfiles): string | undefined {
  if (!loaded.syntaxOk) return `${loaded.path} is not valid JSON: ${loaded.problems.map((p) => p.message).join('; ')}`;
  const top = loaded.problems.filter((p) => p.severity === 'error' && !(p.path && p.path[0] === 'profiles' && typeof p.path[1] === 'number'));
  if (top.length > 0) return `${loaded.path}: ${top.map(problemLine).join('; ')}`;
  return undefined;
}

/** The errors of one profile as one line; undefined when it is usable. */
export function profileProblemLine(entry: ParsedProfileEntry, file: string): string | undefined {
  const errors = entry.problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return undefined;
  return `profile "${entry.profile.name}" in ${file} has ${errors.length === 1 ? 'a problem' : `${errors.length} problems`}: ${errors.map(problemLine).join('; ')}`;
}

/** The environment variable that holds secret `name` on the command line: `WIRESCOPE_SECRET_` + the name upper-cased, non-alphanumerics as `_`. */
export function secretEnvName(name: string): string {
  return `WIRESCOPE_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The resolver of the command line: `${env:NAME}` from the environment, `${secret:NAME}` (and auth
 * and passphrase secrets) from `WIRESCOPE_SECRET_<NAME>`, TLS files relative to `baseDir`.
 * A missing secret is a one-line ProfileResolveError naming the variable to set.
 */
export function environmentResolver(env: Record<string, string | undefined>, baseDir: string, profileName: string): ProfileResolver {
  return {
    env: (name) => env[name],
    secret: async (name) => {
      const variable = secretEnvName(name);
      const v = env[variable];
      if (v === undefined || v === '') throw new ProfileResolveError(`secret "${name}" of profile "${profileName}" is not set: set environment variable ${variable}`);
      return v;
    },
    readFile: (path) => readFile(isAbsolute(path) ? path : join(baseDir, path), 'utf8'),
    resolvePath: (path) => (isAbsolute(path) ? path : join(baseDir, path)),
  };
}
