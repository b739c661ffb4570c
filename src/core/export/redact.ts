/**
 * Masking and redaction for everything that leaves the engine (exports, disk captures, the UI):
 * authorization-like headers are masked unless the user asked to reveal them, and the values of
 * secrets used by the session are replaced wherever they occur, revealed or not.
 */
import { isCredentialHeader } from '../../shared/credentials';
import type { WireEvent } from '../../shared/events';

export const MASK = '••••';
const REDACTED = '[secret]';

/** True for headers that carry credentials: the one rule in shared/credentials, used by every output. */
export const isSensitiveHeader = isCredentialHeader;

export interface RedactOptions {
  /** Show authorization-like headers as they are (the `wirescope.revealAuthHeaders` setting). */
  revealAuthHeaders?: boolean;
  /** Secret values resolved for the session; replaced everywhere, always. */
  secrets?: readonly string[];
}

/** Replace every occurrence of every secret value in a string. */
export function redactText(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) {
    // Very short values would blank out ordinary text; 3 characters is the floor for a real secret.
    if (secret.length < 3) continue;
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Mask sensitive headers of one header object (a copy). */
export function maskHeaders(headers: Record<string, unknown>, reveal = false): Record<string, unknown> {
  if (reveal) return headers;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = isSensitiveHeader(k) && v !== '' ? MASK : v;
  return out;
}

function isHeaderKey(k: string): boolean {
  return k === 'headers' || /headers$/i.test(k);
}

function scrub(v: unknown, opts: RedactOptions, key: string | undefined, depth: number): unknown {
  if (typeof v === 'string') return opts.secrets?.length ? redactText(v, opts.secrets) : v;
  if (depth > 20 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => scrub(x, opts, undefined, depth + 1));
  let obj = v as Record<string, unknown>;
  if (key !== undefined && isHeaderKey(key)) obj = maskHeaders(obj, opts.revealAuthHeaders);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(obj)) out[k] = scrub(x, opts, k, depth + 1);
  return out;
}

/** Does this event carry anything that masking or redaction would change? Cheap pre-check for hot paths. */
function needsWork(e: WireEvent, opts: RedactOptions): boolean {
  if (opts.secrets && opts.secrets.some((s) => s.length >= 3)) return true;
  if (opts.revealAuthHeaders) return false;
  const meta = (e as { meta?: Record<string, unknown> }).meta;
  if (!meta) return false;
  for (const k of Object.keys(meta)) if (isHeaderKey(k)) return true;
  return false;
}

/**
 * A copy of an event safe to show or export: headers under any `headers`/`…Headers` key in `meta`
 * masked, secret values replaced in every string (base64 payloads are decoded, redacted, re-encoded).
 * Returns the same object when nothing needs changing.
 */
export function sanitizeEvent<E extends WireEvent>(e: E, opts: RedactOptions): E {
  if (!needsWork(e, opts)) return e;
  const out = scrub(e, opts, undefined, 0) as E;
  if (out.kind === 'frame' && out.encoding === 'base64' && opts.secrets?.length) {
    const raw = Buffer.from(out.data, 'base64');
    const text = raw.toString('latin1');
    let changed = false;
    let red = text;
    for (const s of opts.secrets) {
      if (s.length < 3) continue;
      const sl = Buffer.from(s, 'utf8').toString('latin1');
      if (red.includes(sl)) {
        red = red.split(sl).join(REDACTED);
        changed = true;
      }
    }
    if (changed) (out as { data: string }).data = Buffer.from(red, 'latin1').toString('base64');
  }
  return out;
}
