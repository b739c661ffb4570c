import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import type { SignatureScheme, WebhookSignatureOptions } from '../shared/connectOptions';
export type { SignatureScheme } from '../shared/connectOptions';

/** HMAC verdict for one request. */
export type SignatureVerdict = 'valid' | 'invalid' | 'missing';

export { SIGNATURE_SCHEMES } from '../shared/connectOptions';
import { SIGNATURE_SCHEMES } from '../shared/connectOptions';

/** How signatures are checked (`webhook.hmac`); only the secret is required. */
export type SignatureOptions = WebhookSignatureOptions;

export const DEFAULT_TOLERANCE_SEC = 300;

/** The verdict for one request and what it was checked against. */
export interface SignatureResult {
  verdict: SignatureVerdict;
  /** The scheme checked; absent when no known signature header was there. */
  scheme?: SignatureScheme;
  /** The header the signature was read from. */
  header?: string;
  /** Why a signature is invalid or missing, in a few words (`stale timestamp: 912 s old`). */
  reason?: string;
}

/**
 * A signature check over one request body, chosen from the request's headers before the body
 * arrives: feed it the body's chunks with `update`, then call `result()` once.
 */
export interface SignatureCheck {
  update(chunk: Buffer): void;
  result(): SignatureResult;
}

type Headers = Record<string, string | undefined>;

interface Plan {
  scheme: SignatureScheme;
  header: string;
  algorithm: 'sha256' | 'sha1' | 'sha512';
  /** Signed bytes that come before the body. */
  prefix?: string;
  /** The HMAC key. */
  key: Buffer | string;
  /** The candidate signatures received, already decoded; empty when none could be read. */
  received: Buffer[];
  /** Set when the request cannot be valid whatever the body (stale or missing timestamp). */
  early?: { verdict: SignatureVerdict; reason: string };
}

const lower = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

function decodeHex(s: string): Buffer | undefined {
  return /^[0-9a-f]+$/i.test(s) && s.length % 2 === 0 ? Buffer.from(s, 'hex') : undefined;
}
function decodeBase64(s: string): Buffer | undefined {
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) ? Buffer.from(s, 'base64') : undefined;
}

/** A Unix timestamp (seconds) header checked against the tolerance; an early verdict when it fails. */
function timestampProblem(ts: string | undefined, toleranceSec: number, nowMs: number, what: string): Plan['early'] {
  if (ts === undefined) return { verdict: 'missing', reason: `no ${what} timestamp` };
  if (!/^\d{1,12}$/.test(ts)) return { verdict: 'invalid', reason: `${what} timestamp "${ts.slice(0, 40)}" is not a number of seconds` };
  const ageSec = Math.round(nowMs / 1000 - Number(ts));
  if (toleranceSec > 0 && Math.abs(ageSec) > toleranceSec) {
    return { verdict: 'invalid', reason: ageSec > 0 ? `stale timestamp: ${ageSec} s old (tolerance ${toleranceSec} s)` : `timestamp ${-ageSec} s in the future (tolerance ${toleranceSec} s)` };
  }
  return undefined;
}

/** The Standard Webhooks key: `whsec_<base64>` is decoded, any other secret is used as its bytes. */
function standardKey(secret: string): Buffer | string {
  if (secret.startsWith('whsec_')) {
    const b = decodeBase64(secret.slice('whsec_'.length));
    if (b && b.length > 0) return b;
  }
  return secret;
}

/** Each scheme: whether a request carries it, and how to check it. */
const DETECTORS: Array<{ scheme: Exclude<SignatureScheme, 'custom'>; present: (h: Headers) => boolean; plan: (h: Headers, o: SignatureOptions, nowMs: number) => Plan }> = [
  {
    // Stripe-Signature: t=1492774577,v1=5257a869…,v0=… over `${t}.${body}`, hex SHA-256.
    scheme: 'stripe',
    present: (h) => lower(h, 'stripe-signature') !== undefined,
    plan: (h, o, now) => {
      const raw = lower(h, 'stripe-signature')!;
      const parts = raw.split(',').map((p) => p.trim().split('=')).filter((kv) => kv.length === 2);
      const t = parts.find(([k]) => k === 't')?.[1];
      const received = parts.filter(([k]) => k === 'v1').map(([, v]) => decodeHex(v)).filter((b): b is Buffer => !!b);
      const early = timestampProblem(t, o.toleranceSec ?? DEFAULT_TOLERANCE_SEC, now, 'Stripe') ?? (received.length === 0 ? { verdict: 'missing' as const, reason: 'no v1 signature in Stripe-Signature' } : undefined);
      return { scheme: 'stripe', header: 'Stripe-Signature', algorithm: 'sha256', prefix: `${t ?? ''}.`, key: o.secret, received, early };
    },
  },
  {
    // X-Slack-Signature: v0=<hex> over `v0:${X-Slack-Request-Timestamp}:${body}`.
    scheme: 'slack',
    present: (h) => lower(h, 'x-slack-signature') !== undefined,
    plan: (h, o, now) => {
      const raw = lower(h, 'x-slack-signature')!;
      const ts = lower(h, 'x-slack-request-timestamp');
      const sig = raw.startsWith('v0=') ? decodeHex(raw.slice(3)) : undefined;
      const early = timestampProblem(ts, o.toleranceSec ?? DEFAULT_TOLERANCE_SEC, now, 'X-Slack-Request-Timestamp') ?? (sig ? undefined : { verdict: 'invalid' as const, reason: 'X-Slack-Signature is not v0=<hex>' });
      return { scheme: 'slack', header: 'X-Slack-Signature', algorithm: 'sha256', prefix: `v0:${ts ?? ''}:`, key: o.secret, received: sig ? [sig] : [], early };
    },
  },
  {
    // Standard Webhooks (and Svix): webhook-signature: "v1,<base64> v1,<base64>" over `${id}.${timestamp}.${body}`.
    scheme: 'standard-webhooks',
    present: (h) => lower(h, 'webhook-signature') !== undefined || lower(h, 'svix-signature') !== undefined,
    plan: (h, o, now) => {
      const svix = lower(h, 'webhook-signature') === undefined;
      const name = (n: string) => (svix ? `svix-${n}` : `webhook-${n}`);
      const raw = lower(h, name('signature'))!;
      const id = lower(h, name('id'));
      const ts = lower(h, name('timestamp'));
      const received = raw.split(/\s+/).map((p) => p.split(',')).filter(([v, s]) => v === 'v1' && s).map(([, s]) => decodeBase64(s)).filter((b): b is Buffer => !!b);
      const early = (id === undefined ? { verdict: 'missing' as const, reason: `no ${name('id')} header` } : undefined)
        ?? timestampProblem(ts, o.toleranceSec ?? DEFAULT_TOLERANCE_SEC, now, name('timestamp'))
        ?? (received.length === 0 ? { verdict: 'invalid' as const, reason: `no v1,<base64> signature in ${name('signature')}` } : undefined);
      const header = svix ? 'svix-signature' : 'webhook-signature';
      return { scheme: 'standard-webhooks', header, algorithm: 'sha256', prefix: `${id ?? ''}.${ts ?? ''}.`, key: standardKey(o.secret), received, early };
    },
  },
  {
    // GitHub: X-Hub-Signature-256: sha256=<hex> (and the legacy X-Hub-Signature: sha1=<hex>).
    scheme: 'github',
    present: (h) => lower(h, 'x-hub-signature-256') !== undefined || lower(h, 'x-hub-signature') !== undefined,
    plan: (h, o) => {
      const sha256 = lower(h, 'x-hub-signature-256');
      const raw = sha256 ?? lower(h, 'x-hub-signature')!;
      const want = sha256 !== undefined ? 'sha256=' : 'sha1=';
      const sig = raw.toLowerCase().startsWith(want) ? decodeHex(raw.slice(want.length)) : undefined;
      return {
        scheme: 'github', header: sha256 !== undefined ? 'X-Hub-Signature-256' : 'X-Hub-Signature', algorithm: sha256 !== undefined ? 'sha256' : 'sha1', key: o.secret,
        received: sig ? [sig] : [], early: sig ? undefined : { verdict: 'invalid', reason: `the signature is not ${want}<hex>` },
      };
    },
  },
  {
    // Shopify: X-Shopify-Hmac-Sha256: <base64 SHA-256 of the body>.
    scheme: 'shopify',
    present: (h) => lower(h, 'x-shopify-hmac-sha256') !== undefined,
    plan: (h, o) => {
      const sig = decodeBase64(lower(h, 'x-shopify-hmac-sha256')!);
      return { scheme: 'shopify', header: 'X-Shopify-Hmac-Sha256', algorithm: 'sha256', key: o.secret, received: sig ? [sig] : [], early: sig ? undefined : { verdict: 'invalid', reason: 'the signature is not base64' } };
    },
  },
];

/** The configured header, algorithm, prefix and encoding. */
function customPlan(h: Headers, o: SignatureOptions): Plan | { missing: string } {
  const header = o.header ?? 'X-Signature-256';
  const algorithm = o.algorithm ?? 'sha256';
  const raw = lower(h, header);
  if (raw === undefined) return { missing: header };
  let sig = raw;
  for (const p of [o.prefix, `${algorithm}=`]) {
    if (p && sig.toLowerCase().startsWith(p.toLowerCase())) {
      sig = sig.slice(p.length);
      break;
    }
  }
  const enc = o.encoding ?? 'auto';
  const received = [enc !== 'base64' ? decodeHex(sig) : undefined, enc !== 'hex' ? decodeBase64(sig) : undefined].filter((b): b is Buffer => !!b);
  return { scheme: 'custom', header, algorithm, key: o.secret, received, early: received.length ? undefined : { verdict: 'invalid', reason: `the signature is not ${enc === 'auto' ? 'hex or base64' : enc}` } };
}

/** Throws an Error with one line when the options cannot work. */
export function validateSignatureOptions(o: SignatureOptions): void {
  if (!o.secret) throw new Error('The HMAC check needs a secret');
  if (o.algorithm !== undefined && !['sha256', 'sha1', 'sha512'].includes(o.algorithm)) throw new Error(`Unsupported HMAC algorithm "${String(o.algorithm)}": use sha256, sha1 or sha512`);
  if (o.encoding !== undefined && !['hex', 'base64', 'auto'].includes(o.encoding)) throw new Error(`Unsupported signature encoding "${String(o.encoding)}": use hex, base64 or auto`);
  if (o.scheme !== undefined && o.scheme !== 'auto' && !SIGNATURE_SCHEMES.includes(o.scheme)) throw new Error(`Unknown signature scheme "${String(o.scheme)}": use auto, ${SIGNATURE_SCHEMES.join(', ')}`);
  if (o.toleranceSec !== undefined && (!Number.isFinite(o.toleranceSec) || o.toleranceSec < 0)) throw new Error('The signature timestamp tolerance must be 0 or more seconds');
}

/**
 * Start checking one request from its (lower-cased) headers. With no configured header the scheme is
 * recognised from the headers: Stripe, Slack, Standard Webhooks/Svix, GitHub, Shopify, then the
 * `X-Signature-256: sha256=<hex>` that Wirescope's demo and many homegrown senders use.
 */
export function startSignatureCheck(headers: Headers, o: SignatureOptions, nowMs = Date.now()): SignatureCheck {
  const scheme = o.scheme ?? (o.header ? 'custom' : 'auto');
  let plan: Plan | undefined;
  let missingReason: string;
  if (scheme === 'custom') {
    const p = customPlan(headers, o);
    if ('missing' in p) missingReason = `no ${p.missing} header`;
    else plan = p;
  } else {
    const candidates = scheme === 'auto' ? DETECTORS : DETECTORS.filter((d) => d.scheme === scheme);
    const found = candidates.find((d) => d.present(headers));
    if (found) plan = found.plan(headers, o, nowMs);
    else if (scheme === 'auto') {
      const p = customPlan(headers, { ...o, header: 'X-Signature-256' });
      if (!('missing' in p)) plan = p;
    }
    missingReason = scheme === 'auto' ? 'no signature header of a known scheme' : `no ${scheme} signature header`;
  }
  if (!plan) {
    const reason = missingReason!;
    return { update: () => undefined, result: () => ({ verdict: 'missing', ...(scheme !== 'auto' ? { scheme } : {}), reason }) };
  }
  const p = plan;
  const mac: Hmac | undefined = p.early ? undefined : createHmac(p.algorithm, p.key);
  if (mac && p.prefix !== undefined) mac.update(p.prefix);
  return {
    update: (chunk) => mac?.update(chunk),
    result: () => {
      const base = { scheme: p.scheme, header: p.header };
      if (p.early) return { ...base, ...p.early };
      const expected = mac!.digest();
      const ok = p.received.some((r) => r.length === expected.length && timingSafeEqual(r, expected));
      return ok ? { ...base, verdict: 'valid' } : { ...base, verdict: 'invalid', reason: 'the signature does not match the body' };
    },
  };
}

/** Sign a body as a scheme's sender does; the headers to send. For tests and the demo sender. */
export function signAs(scheme: Exclude<SignatureScheme, 'custom'>, body: string | Buffer, secret: string, opts: { timestampSec?: number; id?: string } = {}): Record<string, string> {
  const ts = String(opts.timestampSec ?? Math.floor(Date.now() / 1000));
  const hmac = (key: Buffer | string, alg: string, ...parts: Array<string | Buffer>) => {
    const m = createHmac(alg, key);
    for (const part of parts) m.update(part);
    return m.digest();
  };
  switch (scheme) {
    case 'github':
      return { 'X-Hub-Signature-256': `sha256=${hmac(secret, 'sha256', body).toString('hex')}` };
    case 'stripe':
      return { 'Stripe-Signature': `t=${ts},v1=${hmac(secret, 'sha256', `${ts}.`, body).toString('hex')}` };
    case 'slack':
      return { 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': `v0=${hmac(secret, 'sha256', `v0:${ts}:`, body).toString('hex')}` };
    case 'shopify':
      return { 'X-Shopify-Hmac-Sha256': hmac(secret, 'sha256', body).toString('base64') };
    case 'standard-webhooks': {
      const id = opts.id ?? `msg_${ts}`;
      return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${hmac(standardKey(secret), 'sha256', `${id}.${ts}.`, body).toString('base64')}` };
    }
  }
}
