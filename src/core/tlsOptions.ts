import type { TlsOptions } from '../shared/connectOptions';

/** Node TLS options for a profile's TLS settings. */
export function nodeTlsOptions(tls: TlsOptions | undefined): {
  rejectUnauthorized: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
  servername?: string;
} {
  const o: ReturnType<typeof nodeTlsOptions> = { rejectUnauthorized: !tls?.insecure };
  if (tls?.ca) o.ca = tls.ca;
  if (tls?.cert) o.cert = tls.cert;
  if (tls?.key) o.key = tls.key;
  if (tls?.passphrase) o.passphrase = tls.passphrase;
  if (tls?.servername) o.servername = tls.servername;
  return o;
}

/** Headers as a plain object of strings (joins repeated headers the way Node does). */
export function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
