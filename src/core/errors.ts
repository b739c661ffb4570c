/** Turns any thrown value into one clear line for people, plus a stable code. Never a stack trace. */
import { maskUrlPasswords } from '../shared/credentials';

export interface Described {
  message: string;
  code?: string;
}

const TLS_CODES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain contains a self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate could not be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate issuer is not trusted',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer with TLS (is it plain HTTP?)',
};

export function isTlsCode(code: string | undefined): boolean {
  return !!code && (code in TLS_CODES || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'));
}

function firstLine(s: string): string {
  const line = s.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}

/** Describe an error; `target` (host:port or URL) makes network messages specific. */
export function describeError(err: unknown, target?: string): Described {
  const d = describeRaw(err, target === undefined ? undefined : maskUrlPasswords(target));
  // A URL quoted in a message never shows its password.
  return d.message.includes('@') ? { ...d, message: maskUrlPasswords(d.message) } : d;
}

function describeRaw(err: unknown, target?: string): Described {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown; hostname?: unknown } | null;
  if (e && typeof e === 'object' && !e.code && e.cause) {
    // fetch-style errors wrap the socket error.
    const inner = describeRaw(e.cause, target);
    if (inner.code) return inner;
  }
  if (e && typeof e === 'object' && !e.code && Array.isArray(e.errors) && e.errors.length > 0) {
    // AggregateError from happy-eyeballs connects.
    return describeRaw(e.errors[0], target);
  }
  const code = e && typeof e === 'object' && typeof e.code === 'string' ? e.code : undefined;
  const raw = e && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(err);
  const at = target ? ` (${target})` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return { code, message: `Connection refused${at}: nothing is listening there` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return { code: 'ENOTFOUND', message: `DNS lookup failed${at}: host ${typeof e?.hostname === 'string' ? e.hostname : 'not found'}` };
    case 'ECONNRESET':
      return { code, message: `Connection reset by the server${at}` };
    case 'ECONNABORTED':
      return { code, message: `Connection aborted on this machine${at}` };
    case 'EPIPE':
      return { code, message: `Connection closed by the server while sending${at}` };
    case 'ETIMEDOUT':
      return { code, message: `Connection timed out${at}` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { code, message: `Host unreachable${at}` };
    case 'ERR_INVALID_URL':
      return { code, message: `Invalid URL: ${firstLine(raw)}` };
    case 'EADDRINUSE':
      return { code, message: `Address already in use${at}` };
    case 'EACCES':
      return { code, message: `Permission denied${at}` };
    case 'HPE_HEADER_OVERFLOW':
      return { code, message: `The server's response headers are too large${at}: over the 16 KB limit for a header block` };
    default:
      break;
  }
  if (code && code.startsWith('HPE_')) {
    // Node's HTTP parser: the bytes on the wire are not valid HTTP.
    return { code, message: `Malformed HTTP response from the server${at}: ${firstLine(raw).replace(/^Parse Error: /, '')}` };
  }
  if (code && isTlsCode(code)) {
    const why = TLS_CODES[code] ?? firstLine(raw);
    return { code, message: `TLS failure${at}: ${why} (allow insecure TLS to connect anyway)` };
  }
  return { code, message: firstLine(raw) || 'Unknown error' };
}

/** Validate a URL for a set of schemes; returns a one-line problem or undefined. */
export function checkUrl(url: string, schemes: readonly string[]): string | undefined {
  let u: URL;
  try {
    // A Kafka URL may list several bootstrap brokers (kafka://a:9092,b:9092): the first one is checked here.
    u = new URL(/^kafkas?:\/\//i.test(url) ? url.replace(/^(kafkas?:\/\/[^/?#,]*),[^/?#]*/i, '$1') : url);
  } catch {
    return `Invalid URL: "${maskUrlPasswords(url)}"`;
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!schemes.includes(scheme)) {
    return `Unsupported URL scheme "${scheme}:" here; expected ${schemes.map((s) => s + ':').join(' or ')}`;
  }
  if (!u.hostname) return `Invalid URL: "${maskUrlPasswords(url)}" has no host`;
  if (u.port && (Number(u.port) < 1 || Number(u.port) > 65535)) return `Invalid port in URL: ${u.port}`;
  return undefined;
}
