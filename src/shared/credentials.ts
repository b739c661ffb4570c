/**
 * What a credential is, decided in one place for every output: the CLI, the engine's events,
 * exports, disk captures, the inspector, and the redirect policy (which headers must not follow a
 * redirect to another origin). Pure functions with no Node or VS Code dependency, so the webview
 * uses the same rule.
 */

/** Header names that are credentials outright. */
const CREDENTIAL_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'set-cookie2',
  'x-api-key',
  'api-key',
  'apikey',
]);

/** Words that make a header name a credential wherever they appear in it (`X-Access-Token`, `Private-Token`, `X-Auth-Secret`...). */
const CREDENTIAL_WORDS = /token|secret|passw|api-?key|auth|session|signature|credential|csrf|xsrf|private/i;

/**
 * True for a header whose value is a credential. The rule is deliberately wide: a header that is
 * masked without need costs a click to reveal; one that is not masked leaks.
 */
export function isCredentialHeader(name: string): boolean {
  const n = name.toLowerCase();
  // The WebSocket handshake's key and accept are a nonce and its hash, not credentials.
  if (n.startsWith('sec-websocket-')) return false;
  return CREDENTIAL_NAMES.has(n) || CREDENTIAL_WORDS.test(n) || /(^|[-_])key$/.test(n);
}

const AUTH_SCHEME = /^(Basic|Bearer|Digest|Token|Negotiate|NTLM|AWS4-HMAC-SHA256)\s/i;

/** A credential value as shown in logs: the scheme stays readable (`Bearer ***`), the secret does not. */
export function maskCredentialValue(value: string): string {
  const scheme = AUTH_SCHEME.exec(value);
  return scheme ? `${scheme[1]} ***` : '***';
}

/** A copy of `headers` with every credential value masked (`Bearer abc` -> `Bearer ***`). */
export function redactHeaders<V extends string | string[] | undefined>(headers: Record<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!isCredentialHeader(name) || value === undefined || value === '') out[name] = value;
    else out[name] = (Array.isArray(value) ? value.map(maskCredentialValue) : maskCredentialValue(value)) as V;
  }
  return out;
}

/** The names (lower case) of the credential headers among `headers`. */
export function credentialHeaderNames(headers: Record<string, unknown>): string[] {
  return Object.keys(headers)
    .filter(isCredentialHeader)
    .map((k) => k.toLowerCase());
}

/** `scheme://user:password@` in any text; the password is everything up to the `@` of the authority. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):([^\s/?#@]*)@/gi;

/**
 * Hide the password of every URL in a string (`ws://user:***@host/`), whether the string is a URL,
 * an error message that quotes one, or a reason. Cheap when there is nothing to hide.
 */
export function maskUrlPasswords(text: string): string {
  if (text.indexOf('@') < 0 || text.indexOf('://') < 0) return text;
  return text.replace(URL_PASSWORD, (_m, head: string, pw: string) => (pw === '' || pw === '***' ? `${head}:${pw}@` : `${head}:***@`));
}

/** Hide the password of a URL that is going to be shown or logged. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return maskUrlPasswords(String(url));
  }
}

/** Origin of a URL as a string, or undefined when it cannot be parsed. */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The redirect policy of every HTTP-based pattern: on a hop to another origin (scheme, host or
 * port differs), credential headers are dropped, as browsers and curl do. Returns the headers for
 * the next hop and the names that were dropped (lower case), for the log.
 */
export function headersForRedirect(headers: Record<string, string>, fromUrl: string, toUrl: string): { headers: Record<string, string>; dropped: string[] } {
  const from = originOf(fromUrl);
  const to = originOf(toUrl);
  if (from !== undefined && from === to) return { headers, dropped: [] };
  const kept: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (isCredentialHeader(name)) dropped.push(name.toLowerCase());
    else kept[name] = value;
  }
  return { headers: kept, dropped };
}
