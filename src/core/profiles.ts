/**
 * Profiles on disk and at connect time, in pure Node so that it is testable without VS Code:
 * parse `.vscode/wirescope.json` (JSON with comments) with positioned problems, turn a profile into
 * ConnectOptions with `${env:NAME}` / `${secret:NAME}` substitution, and edit the file text in place
 * so that saving from the UI keeps the user's own fields, comments and formatting.
 */
import {
  applyEdits,
  findNodeAtLocation,
  modify,
  parse,
  parseTree,
  printParseErrorCode,
  type FormattingOptions,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser/lib/esm/main.js';
// The ESM build on purpose: the package's UMD main hides its requires from bundlers.
import type { ConnectOptions, TlsOptions } from '../shared/connectOptions';
import { descriptorOf } from '../patterns';
import {
  PATTERN_OPTION_KEY,
  envRefsIn,
  formatPath,
  validateProfile,
  validateProfilesFile,
  type Profile,
  type ProfileProblem,
} from '../shared/profile';

/** A problem with its place in the file text (line and column are 1-based). */
export interface LocatedProblem {
  message: string;
  severity: 'error' | 'warning';
  offset: number;
  length: number;
  line: number;
  column: number;
  path?: Array<string | number>;
}

export interface ParsedProfileEntry {
  profile: Profile;
  /** Index in the file's `profiles` list. */
  index: number;
  /** Errors make the profile unusable; warnings do not. */
  valid: boolean;
  problems: LocatedProblem[];
}

export interface ParsedProfiles {
  /** False when the text is not well-formed JSON(C); `profiles` is then empty. */
  syntaxOk: boolean;
  profiles: ParsedProfileEntry[];
  /** Every problem in the file, syntax and validation. */
  problems: LocatedProblem[];
}

const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true };

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'Invalid symbol',
  InvalidNumberFormat: 'Invalid number',
  PropertyNameExpected: 'A property name in double quotes was expected',
  ValueExpected: 'A value was expected',
  ColonExpected: 'A colon was expected',
  CommaExpected: 'A comma was expected',
  CloseBraceExpected: 'A closing brace "}" was expected',
  CloseBracketExpected: 'A closing bracket "]" was expected',
  EndOfFileExpected: 'Text after the end of the JSON value',
  InvalidCommentToken: 'Invalid comment',
  UnexpectedEndOfComment: 'Unterminated comment',
  UnexpectedEndOfString: 'Unterminated string',
  UnexpectedEndOfNumber: 'Unterminated number',
  InvalidUnicode: 'Invalid unicode escape',
  InvalidEscapeCharacter: 'Invalid escape character',
  InvalidCharacter: 'Invalid character',
};

/** 1-based line and column of an offset. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

function locate(text: string, tree: JsonNode | undefined, p: ProfileProblem): LocatedProblem {
  // Point at the deepest node that exists on the path (a missing field points at its object).
  let node: JsonNode | undefined;
  for (let n = p.path.length; n >= 0 && !node; n--) node = tree ? findNodeAtLocation(tree, p.path.slice(0, n)) : undefined;
  // For a property, point at its key rather than the whole value.
  const target = node?.parent?.type === 'property' && node.parent.children?.[1] === node && p.path.length > 0 ? node.parent.children[0] : node;
  const offset = target?.offset ?? 0;
  const length = target?.length ?? 1;
  const { line, column } = positionAt(text, offset);
  return { message: `${formatPath(p.path)}: ${p.message}`, severity: p.severity, offset, length, line, column, path: p.path };
}

/** Parse the profiles file text. Never throws; every problem comes back with its position. */
export function parseProfilesText(text: string): ParsedProfiles {
  const errors: ParseError[] = [];
  const doc: unknown = parse(text, errors, PARSE_OPTIONS);
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      const { line, column } = positionAt(text, e.offset);
      const code = printParseErrorCode(e.error);
      return {
        message: `${SYNTAX_MESSAGES[code] ?? code} at line ${line}, column ${column}`,
        severity: 'error' as const,
        offset: e.offset,
        length: Math.max(1, e.length),
        line,
        column,
      };
    });
    return { syntaxOk: false, profiles: [], problems };
  }
  if (doc === undefined) return { syntaxOk: true, profiles: [], problems: [] };
  const tree = parseTree(text, [], PARSE_OPTIONS);
  const problems = validateProfilesFile(doc).map((p) => locate(text, tree, p));
  const list = (doc as { profiles?: unknown }).profiles;
  const profiles: ParsedProfileEntry[] = [];
  if (Array.isArray(list)) {
    list.forEach((raw, index) => {
      if (!raw || typeof raw !== 'object') return;
      const own = problems.filter((p) => p.path && p.path[0] === 'profiles' && p.path[1] === index);
      profiles.push({ profile: raw as Profile, index, valid: !own.some((p) => p.severity === 'error'), problems: own });
    });
  }
  return { syntaxOk: true, profiles, problems };
}

// ---------------------------------------------------------------- substitution

/** Where `${env:…}`, `${secret:…}` and TLS files come from. The host supplies SecretStorage and prompts. */
export interface ProfileResolver {
  env(name: string): string | undefined;
  /** Resolve a secret by name; undefined when it is not stored (and the user gave none). */
  secret(name: string): Promise<string | undefined>;
  /** Read a TLS file (relative paths are the resolver's business). */
  readFile(path: string): Promise<string>;
  /** A file or folder path of the profile made absolute (gRPC .proto files and import paths); as given when absent. */
  resolvePath?(path: string): string;
}

export interface ResolveOptions {
  /** `omit`: stored secrets are never attached (untrusted workspace); references become empty. */
  secrets?: 'attach' | 'omit';
}

export interface ResolvedProfile {
  options: ConnectOptions;
  /** Every secret value that went into `options`: exports and logs redact these. */
  secretValues: string[];
  /** Secret names that were left out because of `secrets: 'omit'`. */
  omittedSecrets: string[];
}

/** A profile that cannot be turned into a connection; the message is one line for people. */
export class ProfileResolveError extends Error {
  override readonly name = 'ProfileResolveError';
}

const REF = /\$\{(env|secret):([^}]*)\}/g;

/**
 * Turn a profile into ConnectOptions: substitute references, apply auth as headers (or MQTT
 * credentials), read TLS files. Throws ProfileResolveError with one clear line when a variable or
 * secret is missing. The profile itself is not modified, so secrets never flow back into it.
 */
export async function resolveProfile(profile: Profile, resolver: ProfileResolver, opts: ResolveOptions = {}): Promise<ResolvedProfile> {
  const problems = validateProfile(profile).filter((p) => p.severity === 'error');
  if (problems.length > 0) throw new ProfileResolveError(`Profile "${profile.name}": ${formatPath(problems[0].path)}: ${problems[0].message}`);
  const attach = opts.secrets !== 'omit';
  const secretValues: string[] = [];
  const omitted = new Set<string>();
  const cache = new Map<string, string>();

  const getSecret = async (name: string, where: string): Promise<string> => {
    if (!attach) {
      omitted.add(name);
      return '';
    }
    let v = cache.get(name);
    if (v === undefined) {
      v = await resolver.secret(name);
      if (v === undefined) throw new ProfileResolveError(`Secret "${name}" (used by ${where} of profile "${profile.name}") is not stored`);
      cache.set(name, v);
      if (v) secretValues.push(v);
    }
    return v;
  };

  const sub = async (s: string, where: string): Promise<string> => {
    if (!s.includes('${')) return s;
    let out = '';
    let last = 0;
    for (const m of s.matchAll(REF)) {
      out += s.slice(last, m.index);
      last = (m.index ?? 0) + m[0].length;
      if (m[1] === 'env') {
        const v = resolver.env(m[2]);
        if (v === undefined) throw new ProfileResolveError(`Environment variable ${m[2]} (used by ${where} of profile "${profile.name}") is not set`);
        out += v;
      } else {
        out += await getSecret(m[2], where);
      }
    }
    return out + s.slice(last);
  };

  const subDeep = async (v: unknown, where: string): Promise<unknown> => {
    if (typeof v === 'string') return sub(v, where);
    if (Array.isArray(v)) return Promise.all(v.map((x) => subDeep(x, where)));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = await subDeep(x, `${where}.${k}`);
      return out;
    }
    return v;
  };

  const options: ConnectOptions = { pattern: profile.pattern, url: await sub(profile.url.trim(), 'url') };
  if (profile.method) options.method = profile.method.toUpperCase();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(profile.headers ?? {})) headers[k] = await sub(v, `headers.${k}`);
  if (profile.body !== undefined) options.body = await sub(profile.body, 'body');
  if (profile.send) options.send = (await subDeep(profile.send, 'send')) as string[];
  if (profile.protocols) options.protocols = [...profile.protocols];
  if (profile.reconnect) options.reconnect = { ...profile.reconnect };
  for (const k of ['previewLimit', 'connectTimeoutMs', 'followRedirects', 'maxRedirects', 'idField', 'idChannel', 'count', 'durationMs'] as const) {
    if (profile[k] !== undefined) (options as unknown as Record<string, unknown>)[k] = profile[k];
  }
  for (const key of Object.values(PATTERN_OPTION_KEY)) {
    const v = profile[key];
    if (v !== undefined) (options as unknown as Record<string, unknown>)[key] = await subDeep(v, key);
  }

  const auth = profile.auth;
  if (auth && auth.type !== 'none') {
    const value = await getSecret(authSecretName(profile), 'auth');
    const skip = !attach;
    if (!skip) {
      if (auth.type === 'basic') {
        const user = await sub(auth.username ?? '', 'auth.username');
        // Patterns whose options take a user name and a password (MQTT, SMTP, IMAP) get them there; the
        // others as an HTTP Basic header.
        const key = PATTERN_OPTION_KEY[profile.pattern as keyof typeof PATTERN_OPTION_KEY] as string | undefined;
        const props = (descriptorOf(profile.pattern) as { options?: { properties?: Record<string, unknown> } } | undefined)?.options?.properties;
        if (key && props && 'username' in props && 'password' in props) {
          const o = options as unknown as Record<string, Record<string, unknown> | undefined>;
          o[key] = { ...(o[key] ?? {}), username: user, password: value };
        } else {
          headers['Authorization'] = 'Basic ' + Buffer.from(`${user}:${value}`, 'utf8').toString('base64');
          // The encoded form is what travels in headers and logs, so redact it too.
          secretValues.push(headers['Authorization'].slice(6));
        }
      } else if (auth.type === 'bearer') {
        headers['Authorization'] = `Bearer ${value}`;
      } else if (auth.type === 'header' && auth.header) {
        headers[auth.header] = value;
      }
    }
  }
  if (Object.keys(headers).length > 0) options.headers = headers;

  const tls = profile.tls;
  if (tls) {
    const t: TlsOptions = {};
    if (tls.insecure) t.insecure = true;
    if (tls.servername) t.servername = tls.servername;
    const read = async (path: string, what: string): Promise<string> => {
      try {
        return await resolver.readFile(await sub(path, `tls.${what}`));
      } catch (err) {
        const code = (err as { code?: string }).code;
        throw new ProfileResolveError(`Cannot read the TLS ${what} "${path}" of profile "${profile.name}"${code === 'ENOENT' ? ': no such file' : ''}`);
      }
    };
    if (tls.caFile) t.ca = await read(tls.caFile, 'caFile');
    if (tls.certFile) t.cert = await read(tls.certFile, 'certFile');
    if (tls.keyFile) t.key = await read(tls.keyFile, 'keyFile');
    if (tls.passphraseSecret) {
      const pass = await getSecret(tls.passphraseSecret, 'tls.passphraseSecret');
      if (pass) t.passphrase = pass;
    }
    if (Object.keys(t).length > 0) options.tls = t;
  }
  // gRPC schema files are read where the profile lives (the workspace folder), not where the process runs.
  if (options.grpc && resolver.resolvePath) {
    const at = resolver.resolvePath.bind(resolver);
    options.grpc = { ...options.grpc, ...(options.grpc.protos ? { protos: options.grpc.protos.map(at) } : {}), ...(options.grpc.importPaths ? { importPaths: options.grpc.importPaths.map(at) } : {}) };
  }
  return { options, secretValues: [...new Set(secretValues)], omittedSecrets: [...omitted] };
}

/** The SecretStorage name of a profile's auth secret: `auth.secret`, or one derived from the profile name. */
export function authSecretName(profile: Profile): string {
  if (profile.auth?.secret) return profile.auth.secret;
  const base = profile.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'profile';
  return `${base}.${profile.auth?.type ?? 'auth'}`;
}

/** Environment variables a profile refers to that are not set (for a warning before connecting). */
export function missingEnvVars(profile: Profile, env: (name: string) => string | undefined): string[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') for (const n of envRefsIn(v)) if (env(n) === undefined) names.add(n);
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(profile);
  return [...names];
}

// ---------------------------------------------------------------- editing the file text

/** Indentation and line ending as the file already uses them. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  if (m && m[1].startsWith('\t')) return { insertSpaces: false, tabSize: 4, eol };
  return { insertSpaces: true, tabSize: m ? Math.min(8, m[1].length) : 2, eol };
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A fresh profiles file holding the given profiles. No `$schema` key: the extension associates its
 * bundled schema with the file, and a URL here would make VS Code try to download it.
 */
export function newProfilesFileText(profiles: Profile[] = []): string {
  return JSON.stringify({ profiles }, null, 2) + '\n';
}

export interface UpsertOptions {
  /** The profile's name before a rename. */
  previousName?: string;
  /** Fields to remove from the stored profile (only these: other hand-written fields stay). */
  removeKeys?: string[];
}

/** One text edit (offset and length in the original text). */
interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

function lineIndent(text: string, offset: number): string {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n') start--;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

function spansLines(text: string, node: JsonNode): boolean {
  return text.slice(node.offset, node.offset + node.length).includes('\n');
}

/**
 * A value as JSON text for a place in the file: spread over lines with the file's indentation when
 * the surrounding object is, on one line (`{ "a": 1 }`) when it is written on one line.
 */
function renderValue(value: unknown, indent: string, multiline: boolean, fmt: FormattingOptions): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Array.isArray(value) ? value.map((v) => [undefined, v] as const) : Object.entries(value).filter(([, v]) => v !== undefined);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const item = ([k, v]: readonly [string | undefined, unknown], inner: string, ml: boolean) => (k === undefined ? '' : JSON.stringify(k) + ': ') + renderValue(v, inner, ml, fmt);
  if (!multiline) return Array.isArray(value) ? `[${entries.map((e) => item(e, '', false)).join(', ')}]` : `{ ${entries.map((e) => item(e, '', false)).join(', ')} }`;
  const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize ?? 2) : '\t';
  const inner = indent + unit;
  const eol = fmt.eol ?? '\n';
  return open + eol + entries.map((e) => inner + item(e, inner, true)).join(',' + eol) + eol + indent + close;
}

/** Edit that sets `key` of an object node: replaces the value in place, or adds the property after the last one. */
function setPropertyEdit(text: string, obj: JsonNode, key: string, value: unknown, fmt: FormattingOptions): TextEdit {
  const ml = spansLines(text, obj);
  const prop = obj.children?.find((c) => c.children?.[0]?.value === key);
  if (prop?.children?.[1]) {
    const v = prop.children[1];
    return { offset: v.offset, length: v.length, content: renderValue(value, lineIndent(text, prop.offset), ml, fmt) };
  }
  const last = obj.children?.at(-1);
  const eol = fmt.eol ?? '\n';
  if (!last) {
    const indent = lineIndent(text, obj.offset);
    const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize ?? 2) : '\t';
    const body = `${JSON.stringify(key)}: ${renderValue(value, indent + unit, true, fmt)}`;
    return { offset: obj.offset + 1, length: obj.length - 2, content: eol + indent + unit + body + eol + indent };
  }
  const end = last.offset + last.length;
  if (!ml) return { offset: end, length: 0, content: `, ${JSON.stringify(key)}: ${renderValue(value, '', false, fmt)}` };
  const indent = lineIndent(text, last.offset);
  return { offset: end, length: 0, content: `,${eol}${indent}${JSON.stringify(key)}: ${renderValue(value, indent, true, fmt)}` };
}

function applyOne(text: string, e: TextEdit): string {
  return text.slice(0, e.offset) + e.content + text.slice(e.offset + e.length);
}

/**
 * Insert or update a profile by name in the file text with minimal edits: only fields whose value
 * changed are rewritten, in the layout around them (a one-line profile stays on one line); comments,
 * unknown fields and other profiles stay exactly as they were.
 * Throws ProfileResolveError when the text is not well-formed (never overwrite what cannot be read).
 */
export function upsertProfileInText(text: string, profile: Profile, opts: UpsertOptions = {}): string {
  if (!text.trim()) return newProfilesFileText([profile]);
  const errors: ParseError[] = [];
  const doc = parse(text, errors, PARSE_OPTIONS) as { profiles?: unknown } | undefined;
  if (errors.length > 0) {
    const { line, column } = positionAt(text, errors[0].offset);
    throw new ProfileResolveError(`The profiles file is not valid JSON (line ${line}, column ${column}); fix it before saving`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ProfileResolveError('The profiles file does not hold an object; fix it before saving');
  const fmt = detectFormatting(text);
  const tree = () => parseTree(text, [], PARSE_OPTIONS)!;
  if (!Array.isArray(doc.profiles)) return applyOne(text, setPropertyEdit(text, tree(), 'profiles', [profile], fmt));
  const lookFor = opts.previousName ?? profile.name;
  const index = doc.profiles.findIndex((p) => !!p && typeof p === 'object' && (p as { name?: unknown }).name === lookFor);
  const list = findNodeAtLocation(tree(), ['profiles'])!;
  if (index < 0) {
    const last = list.children?.at(-1);
    if (!last) return applyEdits(text, modify(text, ['profiles', 0], profile, { formattingOptions: fmt, isArrayInsertion: true }));
    const end = last.offset + last.length;
    if (!spansLines(text, list)) return applyOne(text, { offset: end, length: 0, content: ', ' + renderValue(profile, '', false, fmt) });
    const indent = lineIndent(text, last.offset);
    // A new profile is spread over lines unless its neighbours are one-liners.
    const ml = spansLines(text, last);
    return applyOne(text, { offset: end, length: 0, content: `,${fmt.eol ?? '\n'}${indent}${renderValue(profile, indent, ml, fmt)}` });
  }
  const existing = doc.profiles[index] as Record<string, unknown>;
  let out = text;
  for (const [key, value] of Object.entries(profile)) {
    if (value === undefined || deepEqual(existing[key], value)) continue;
    const obj = findNodeAtLocation(parseTree(out, [], PARSE_OPTIONS)!, ['profiles', index])!;
    out = applyOne(out, setPropertyEdit(out, obj, key, value, fmt));
  }
  for (const key of opts.removeKeys ?? []) {
    if (key in existing) out = applyEdits(out, modify(out, ['profiles', index, key], undefined, {}));
  }
  return out;
}

/** Remove a profile by name; the text is returned unchanged when there is none of that name. */
export function removeProfileFromText(text: string, name: string): string {
  const errors: ParseError[] = [];
  const doc = parse(text, errors, PARSE_OPTIONS) as { profiles?: unknown } | undefined;
  if (errors.length > 0) throw new ProfileResolveError('The profiles file is not valid JSON; fix it before deleting');
  if (!doc || !Array.isArray(doc.profiles)) return text;
  const index = doc.profiles.findIndex((p) => !!p && typeof p === 'object' && (p as { name?: unknown }).name === name);
  if (index < 0) return text;
  return applyEdits(text, modify(text, ['profiles', index], undefined, { formattingOptions: detectFormatting(text) }));
}

/** Offset of a profile's object in the text (to reveal it in an editor). */
export function profileOffset(text: string, name: string): number | undefined {
  const tree = parseTree(text, [], PARSE_OPTIONS);
  const list = tree ? findNodeAtLocation(tree, ['profiles']) : undefined;
  for (const item of list?.children ?? []) {
    const n = findNodeAtLocation(item, ['name']);
    if (n?.value === name) return item.offset;
  }
  return undefined;
}

/** 1-based line of each profile object in the file, by index in the `profiles` list (for editors and test reports). */
export function profileLines(text: string): number[] {
  const tree = parseTree(text, [], PARSE_OPTIONS);
  const list = tree ? findNodeAtLocation(tree, ['profiles']) : undefined;
  return (list?.children ?? []).map((item) => positionAt(text, item.offset).line);
}

/**
 * Append an expectation to a profile's `expect` list in the file text, keeping everything else as it
 * is (comments, layout, other profiles); the list is created when the profile has none.
 * Throws ProfileResolveError when the text is not well-formed or has no profile of that name.
 */
export function appendExpectationInText(text: string, profileName: string, expectation: unknown): string {
  const errors: ParseError[] = [];
  const doc = parse(text, errors, PARSE_OPTIONS) as { profiles?: unknown } | undefined;
  if (errors.length > 0) throw new ProfileResolveError('The profiles file is not valid JSON; fix it before adding an expectation');
  const list = doc && Array.isArray(doc.profiles) ? doc.profiles : [];
  const index = list.findIndex((p) => !!p && typeof p === 'object' && (p as { name?: unknown }).name === profileName);
  if (index < 0) throw new ProfileResolveError(`No profile named "${profileName}" in the profiles file`);
  const fmt = detectFormatting(text);
  const existing = (list[index] as { expect?: unknown }).expect;
  const tree = parseTree(text, [], PARSE_OPTIONS)!;
  if (!Array.isArray(existing)) {
    const obj = findNodeAtLocation(tree, ['profiles', index])!;
    return applyOne(text, setPropertyEdit(text, obj, 'expect', [expectation], fmt));
  }
  const arr = findNodeAtLocation(tree, ['profiles', index, 'expect'])!;
  const last = arr.children?.at(-1);
  if (!last) return applyEdits(text, modify(text, ['profiles', index, 'expect', 0], expectation, { formattingOptions: fmt, isArrayInsertion: true }));
  const end = last.offset + last.length;
  if (!spansLines(text, arr)) return applyOne(text, { offset: end, length: 0, content: ', ' + renderValue(expectation, '', false, fmt) });
  const indent = lineIndent(text, last.offset);
  const item = renderValue(expectation, indent, spansLines(text, last), fmt);
  // A line comment after the last item stays with that item: the new one goes on the next line.
  const lineEnd = text.indexOf('\n', end);
  const rest = text.slice(end, lineEnd < 0 ? text.length : lineEnd);
  if (lineEnd >= 0 && /^\s*\/\//.test(rest)) {
    const cut = text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
    return text.slice(0, end) + ',' + text.slice(end, cut) + `${fmt.eol ?? '\n'}${indent}${item}` + text.slice(cut);
  }
  return applyOne(text, { offset: end, length: 0, content: `,${fmt.eol ?? '\n'}${indent}${item}` });
}
