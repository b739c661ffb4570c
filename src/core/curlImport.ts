/**
 * Import a profile from a curl command line, as copied from browser DevTools, docs or a shell history.
 * Credentials never stay in the profile: `-u user:pass` and `Authorization: Bearer …` become auth
 * with the secret value handed back separately, for the host to put in SecretStorage.
 */
import { inferPattern, type PatternId } from '../shared/connectOptions';
import type { Profile } from '../shared/profile';

export interface CurlImport {
  profile: Profile;
  /** Secret values to store under these names (never written into the profile). */
  secrets: Array<{ name: string; value: string }>;
  /** Options that were ignored or could not be represented, one line each. */
  warnings: string[];
}

/** A curl command line that cannot be imported; the message is one line. */
export class CurlImportError extends Error {
  override readonly name = 'CurlImportError';
}

/**
 * Split a shell command line into words: single quotes, double quotes with backslash escapes,
 * `$'…'` ANSI-C quotes, backslash escapes, and line continuations (`\` + newline, and `^` for cmd.exe).
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === '\\' && (line[i + 1] === '\n' || (line[i + 1] === '\r' && line[i + 2] === '\n'))) {
      i += line[i + 1] === '\r' ? 3 : 2;
      continue;
    }
    if (c === '^' && (line[i + 1] === '\n' || line[i + 1] === '\r') && !inWord) {
      i += line[i + 1] === '\r' ? 3 : 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new CurlImportError('Unterminated single quote in the curl command');
      cur += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '$' && line[i + 1] === "'") {
      i += 2;
      while (i < n && line[i] !== "'") {
        if (line[i] === '\\' && i + 1 < n) {
          const e = line[i + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
            cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
          } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(line.slice(i + 2, i + 6))) {
            cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 6), 16));
            i += 6;
          } else {
            cur += map[e] ?? e;
            i += 2;
          }
        } else cur += line[i++];
      }
      if (i >= n) throw new CurlImportError("Unterminated $'…' quote in the curl command");
      i++;
    } else if (c === '"') {
      i++;
      while (i < n && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < n && '"\\$`\n'.includes(line[i + 1])) {
          if (line[i + 1] !== '\n') cur += line[i + 1];
          i += 2;
        } else cur += line[i++];
      }
      if (i >= n) throw new CurlImportError('Unterminated double quote in the curl command');
      i++;
    } else if (c === '\\' && i + 1 < n) {
      cur += line[i + 1];
      i += 2;
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Options that take a value, by every spelling. */
const WITH_VALUE = new Set([
  '-X', '--request', '-H', '--header', '-d', '--data', '--data-raw', '--data-binary', '--data-ascii', '--data-urlencode',
  '-u', '--user', '--url', '-A', '--user-agent', '-b', '--cookie', '-e', '--referer', '--cacert', '--cert', '--key',
  '--pass', '-m', '--max-time', '--connect-timeout', '-o', '--output', '-w', '--write-out', '--max-redirs', '-x', '--proxy',
  '-F', '--form', '--json', '-c', '--cookie-jar', '--resolve', '--oauth2-bearer', '--retry', '-E',
]);
/** Flags that change nothing for a profile. */
const IGNORED_FLAGS = new Set([
  '--compressed', '-s', '--silent', '-S', '--show-error', '-v', '--verbose', '-i', '--include', '-N', '--no-buffer',
  '-f', '--fail', '--http1.1', '--http2', '-#', '--progress-bar', '-g', '--globoff', '--tr-encoding', '-sS', '-Ss', '-sSL', '-sL',
]);
const IGNORED_WITH_VALUE = new Set(['-o', '--output', '-w', '--write-out', '-c', '--cookie-jar', '--retry', '--resolve']);

function nameFromUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/\/+$/, '');
    return `${u.hostname}${u.port ? ':' + u.port : ''}${path}` || url;
  } catch {
    return url.slice(0, 60);
  }
}

function secretBase(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'curl';
}

/**
 * The import under another profile name, its secret names following: `<name as a file-safe stem>.<what>`
 * (`orders-api.token`, `orders-api.password`, `orders-api.x-api-key`), the same name always giving the same
 * secret names. References in auth and headers are renamed with them.
 */
export function renameCurlImport(imported: CurlImport, name: string): CurlImport {
  const oldBase = secretBase(imported.profile.name);
  const newBase = secretBase(name);
  const rename = (n: string) => (n.startsWith(`${oldBase}.`) ? newBase + n.slice(oldBase.length) : n);
  const profile: Profile = JSON.parse(JSON.stringify(imported.profile)) as Profile;
  profile.name = name;
  if (profile.auth && 'secret' in profile.auth && typeof profile.auth.secret === 'string') profile.auth.secret = rename(profile.auth.secret);
  if (profile.headers) {
    for (const [k, v] of Object.entries(profile.headers)) {
      const ref = /^\$\{secret:([^}]+)\}$/.exec(v);
      if (ref) profile.headers[k] = `\${secret:${rename(ref[1])}}`;
    }
  }
  return { profile, secrets: imported.secrets.map((s) => ({ name: rename(s.name), value: s.value })), warnings: [...imported.warnings] };
}

/**
 * Parse a curl command line into a profile. Handles quotes, -X, -H, -d/--data/--data-raw/--data-binary
 * (repeated data joined with `&`), -u user:pass (basic auth, password to a secret), -k/--insecure,
 * --url, ws:// and wss:// URLs, -L, -I, -G, and ignores output-only flags such as --compressed.
 */
export function parseCurl(commandLine: string, opts: { name?: string } = {}): CurlImport {
  // A multi-line command pasted into a one-line input box arrives with its line breaks turned into
  // spaces, leaving each continuation backslash alone between spaces: drop those.
  const flattened = commandLine.trim().replace(/(^|[ \t])\\[ \t]+(?=\S)/g, '$1');
  const words = shellWords(flattened);
  if (words[0] === '$') words.shift();
  if (!words.length || !/(^|[\\/])curl(\.exe)?$/i.test(words[0])) throw new CurlImportError('Not a curl command: it must start with "curl"');
  const warnings: string[] = [];
  const headers: Array<[string, string]> = [];
  const data: string[] = [];
  let method: string | undefined;
  let url: string | undefined;
  let user: string | undefined;
  let insecure = false;
  let follow = false;
  let head = false;
  let getWithData = false;
  let caFile: string | undefined;
  let certFile: string | undefined;
  let keyFile: string | undefined;
  let connectTimeoutMs: number | undefined;
  let bearer: string | undefined;
  /** A credential header other than Bearer, kept out of the profile like a password. */
  let credentialHeader: [string, string] | undefined;

  for (let i = 1; i < words.length; i++) {
    let w = words[i];
    let value: string | undefined;
    // --opt=value and -Xvalue spellings.
    if (w.startsWith('--') && w.includes('=')) {
      const eq = w.indexOf('=');
      const opt = w.slice(0, eq);
      if (WITH_VALUE.has(opt)) {
        value = w.slice(eq + 1);
        w = opt;
      }
    } else if (/^-[A-Za-z]/.test(w) && w.length > 2 && WITH_VALUE.has(w.slice(0, 2))) {
      value = w.slice(2);
      w = w.slice(0, 2);
    }
    const takeValue = (): string => {
      if (value !== undefined) return value;
      if (i + 1 >= words.length) throw new CurlImportError(`The curl option ${w} needs a value`);
      return words[++i];
    };
    if (!w.startsWith('-') || w === '-') {
      if (url === undefined) url = w;
      else warnings.push(`Extra URL ignored: ${w}`);
      continue;
    }
    switch (w) {
      case '-X':
      case '--request':
        method = takeValue().toUpperCase();
        break;
      case '-H':
      case '--header': {
        const h = takeValue();
        const colon = h.indexOf(':');
        if (colon <= 0) {
          warnings.push(`Header without a value ignored: ${h}`);
          break;
        }
        const name = h.slice(0, colon).trim();
        const val = h.slice(colon + 1).trim();
        const m = /^bearer\s+(.+)$/i.exec(val);
        if (name.toLowerCase() === 'authorization' && m) bearer = m[1];
        else if (/^(authorization|x-api-key|api-key)$/i.test(name) && !credentialHeader) credentialHeader = [name, val];
        else headers.push([name, val]);
        break;
      }
      case '-d':
      case '--data':
      case '--data-raw':
      case '--data-binary':
      case '--data-ascii':
      case '--data-urlencode': {
        const d = takeValue();
        if (d.startsWith('@') && w !== '--data-raw') warnings.push(`Body from file ${d.slice(1)} not imported; paste the content into "body"`);
        else data.push(w === '-d' || w === '--data' || w === '--data-ascii' ? d.replace(/[\r\n]/g, '') : d);
        break;
      }
      case '--json':
        data.push(takeValue());
        headers.push(['Content-Type', 'application/json'], ['Accept', 'application/json']);
        break;
      case '-F':
      case '--form':
        warnings.push(`Multipart form field ignored: ${takeValue()}`);
        break;
      case '-u':
      case '--user':
        user = takeValue();
        break;
      case '--oauth2-bearer':
        bearer = takeValue();
        break;
      case '--url':
        url = takeValue();
        break;
      case '-A':
      case '--user-agent':
        headers.push(['User-Agent', takeValue()]);
        break;
      case '-b':
      case '--cookie': {
        const c = takeValue();
        if (c.includes('=')) headers.push(['Cookie', c]);
        else warnings.push(`Cookie file ${c} not imported`);
        break;
      }
      case '-e':
      case '--referer':
        headers.push(['Referer', takeValue()]);
        break;
      case '-k':
      case '--insecure':
        insecure = true;
        break;
      case '-L':
      case '--location':
        follow = true;
        break;
      case '-I':
      case '--head':
        head = true;
        break;
      case '-G':
      case '--get':
        getWithData = true;
        break;
      case '--cacert':
        caFile = takeValue();
        break;
      case '-E':
      case '--cert':
        certFile = takeValue();
        break;
      case '--key':
        keyFile = takeValue();
        break;
      case '--connect-timeout': {
        const s = Number(takeValue());
        if (Number.isFinite(s) && s > 0) connectTimeoutMs = Math.round(s * 1000);
        break;
      }
      case '--max-redirs':
      case '-m':
      case '--max-time':
      case '-x':
      case '--proxy':
      case '--pass':
        warnings.push(`Option ${w} ignored`);
        takeValue();
        break;
      default:
        if (IGNORED_WITH_VALUE.has(w)) takeValue();
        else if (!IGNORED_FLAGS.has(w) && !/^-[sSLvikfN#]+$/.test(w)) warnings.push(`Unknown curl option ${w} ignored`);
        else if (/^-[sSLvikfN#]+$/.test(w)) {
          // Combined short flags such as -sSLk.
          if (w.includes('k')) insecure = true;
          if (w.includes('L')) follow = true;
        }
    }
  }
  if (!url) throw new CurlImportError('The curl command has no URL');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = 'http://' + url;
  try {
    new URL(url);
  } catch {
    throw new CurlImportError(`Invalid URL in the curl command: ${url}`);
  }

  let body = data.length ? data.join('&') : undefined;
  if (getWithData && body !== undefined) {
    url += (url.includes('?') ? '&' : '?') + body;
    body = undefined;
  }
  if (!method) method = head ? 'HEAD' : body !== undefined ? 'POST' : 'GET';
  const accept = headers.find(([k]) => k.toLowerCase() === 'accept')?.[1] ?? '';
  let pattern: PatternId = inferPattern(url) ?? 'http';
  if (pattern === 'http' && /text\/event-stream/i.test(accept)) pattern = 'sse';
  if (pattern === 'http' && /application\/(x-ndjson|jsonl|x-jsonlines)/i.test(accept)) pattern = 'stream';
  if (body !== undefined && !headers.some(([k]) => k.toLowerCase() === 'content-type') && pattern === 'http' && !getWithData) {
    headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  }

  const name = opts.name ?? nameFromUrl(url);
  const profile: Profile = { name, pattern, url };
  if (pattern === 'http' || method !== 'GET') profile.method = method;
  if (headers.length) profile.headers = Object.fromEntries(headers);
  if (body !== undefined) profile.body = body;
  const secrets: CurlImport['secrets'] = [];
  if (user !== undefined) {
    const colon = user.indexOf(':');
    const username = colon < 0 ? user : user.slice(0, colon);
    const secretName = `${secretBase(name)}.password`;
    profile.auth = { type: 'basic', username, secret: secretName };
    if (colon >= 0) secrets.push({ name: secretName, value: user.slice(colon + 1) });
    else warnings.push('No password in -u: you will be asked for it when connecting');
  } else if (bearer !== undefined) {
    const secretName = `${secretBase(name)}.token`;
    profile.auth = { type: 'bearer', secret: secretName };
    secrets.push({ name: secretName, value: bearer });
  } else if (credentialHeader) {
    const secretName = `${secretBase(name)}.${credentialHeader[0].toLowerCase()}`;
    profile.auth = { type: 'header', header: credentialHeader[0], secret: secretName };
    secrets.push({ name: secretName, value: credentialHeader[1] });
  }
  if (profile.auth && credentialHeader && profile.auth.type !== 'header') {
    // Only one auth per profile: a second credential header stays a header, behind a secret reference.
    const secretName = `${secretBase(name)}.${credentialHeader[0].toLowerCase()}`;
    profile.headers = { ...(profile.headers ?? {}), [credentialHeader[0]]: `\${secret:${secretName}}` };
    secrets.push({ name: secretName, value: credentialHeader[1] });
  }
  if (insecure || caFile || certFile || keyFile) {
    profile.tls = {};
    if (insecure) profile.tls.insecure = true;
    if (caFile) profile.tls.caFile = caFile;
    if (certFile) profile.tls.certFile = certFile;
    if (keyFile) profile.tls.keyFile = keyFile;
  }
  if (follow && pattern === 'http') profile.followRedirects = true;
  if (connectTimeoutMs) profile.connectTimeoutMs = connectTimeoutMs;
  return { profile, secrets, warnings };
}
