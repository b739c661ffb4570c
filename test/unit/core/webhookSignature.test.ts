// Webhook signature schemes recognised by their headers: each scheme's valid, invalid (tampered body),
// missing and (where signed) stale-timestamp cases, sent by undici's fetch to a real receiver on 127.0.0.1.
// Expected signatures are computed here from each provider's documented recipe with node:crypto, not with
// Wirescope's own signer; two published test vectors (GitHub's docs, the Standard Webhooks spec) pin them.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { WebhookSignatureOptions } from '../../../src/shared/connectOptions';
import type { FrameEvent, StateEvent } from '../../../src/shared/events';
import { signAs } from '../../../src/core/webhookSignature';
import { checkInvariants, ofKind, runSession, waitFor } from '../../helpers/servers';

type Req = { body: string; headers: Record<string, string> };

/** Run a receiver with these signature options, POST each request to it, and return the in frames' meta. */
async function check(hmac: WebhookSignatureOptions, reqs: Req[]): Promise<Array<Record<string, unknown>>> {
  const events = await runSession({ pattern: 'webhook', url: '', count: reqs.length, webhook: { hmac } }, async (_s, ev) => {
    await waitFor(ev, (es) => es.some((e) => e.kind === 'state' && e.state === 'open'));
    const url = (ofKind(ev, 'state').find((s) => s.state === 'open') as StateEvent).url!;
    for (const r of reqs) {
      const res = await fetch(url + 'hook', { method: 'POST', body: r.body, headers: { 'content-type': 'application/json', ...r.headers } });
      await res.text();
    }
  });
  checkInvariants(events);
  return ofKind(events, 'frame').filter((f: FrameEvent) => f.dir === 'in').map((f) => f.meta ?? {});
}

const hmacOf = (alg: string, key: string | Buffer, ...parts: string[]) => {
  const m = createHmac(alg, key);
  for (const p of parts) m.update(p);
  return m.digest();
};
const now = () => Math.floor(Date.now() / 1000);
const brief = (m: Record<string, unknown>) => [m.signature, m.signatureScheme];

describe('webhook signatures recognised by header (no scheme configured)', () => {
  const secret = 'whsec-like test secret ✓';
  const body = JSON.stringify({ event: 'order.paid', amount: 4200, note: 'ünïcode' });
  const tampered = body.replace('4200', '4201');

  it('GitHub: X-Hub-Signature-256 sha256=<hex> over the body (and the docs\' test vector)', async () => {
    const sig = `sha256=${hmacOf('sha256', secret, body).toString('hex')}`;
    const metas = await check({ secret }, [
      { body, headers: { 'X-Hub-Signature-256': sig } },
      { body: tampered, headers: { 'X-Hub-Signature-256': sig } },
      { body, headers: { 'X-Hub-Signature-256': 'sha1=abcdef' } },
      { body, headers: {} },
    ]);
    assert.deepEqual(metas.map(brief), [['valid', 'github'], ['invalid', 'github'], ['invalid', 'github'], ['missing', undefined]]);
    assert.equal(metas[0].signatureHeader, 'X-Hub-Signature-256');
    assert.match(String(metas[1].signatureReason), /does not match/);
    assert.match(String(metas[3].signatureReason), /no signature header/);
    // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
    const vector = await check({ secret: "It's a Secret to Everybody" }, [
      { body: 'Hello, World!', headers: { 'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' } },
    ]);
    assert.deepEqual(vector.map(brief), [['valid', 'github']]);
  });

  it('Stripe: Stripe-Signature t=…,v1=… over `t.body`, with a timestamp tolerance', async () => {
    const sign = (ts: number, b: string) => `t=${ts},v1=${hmacOf('sha256', secret, `${ts}.`, b).toString('hex')}`;
    const t = now();
    const metas = await check({ secret }, [
      { body, headers: { 'Stripe-Signature': sign(t, body) } },
      // A rolled secret: two v1 values, the second one matches.
      { body, headers: { 'Stripe-Signature': `t=${t},v1=${'00'.repeat(32)},${sign(t, body).split(',')[1]}` } },
      { body: tampered, headers: { 'Stripe-Signature': sign(t, body) } },
      { body, headers: { 'Stripe-Signature': `t=${t}` } },
      { body, headers: { 'Stripe-Signature': sign(t - 900, body) } },
    ]);
    assert.deepEqual(metas.map(brief), [['valid', 'stripe'], ['valid', 'stripe'], ['invalid', 'stripe'], ['missing', 'stripe'], ['invalid', 'stripe']]);
    assert.match(String(metas[4].signatureReason), /stale timestamp: 9\d\d s old \(tolerance 300 s\)/);
    // The tolerance is configurable; 0 turns the age check off.
    const relaxed = await check({ secret, toleranceSec: 0 }, [{ body, headers: { 'Stripe-Signature': sign(t - 900, body) } }]);
    assert.deepEqual(relaxed.map(brief), [['valid', 'stripe']]);
  });

  it('Slack: X-Slack-Signature v0=<hex> over `v0:ts:body`, with X-Slack-Request-Timestamp', async () => {
    const sign = (ts: number, b: string) => `v0=${hmacOf('sha256', secret, `v0:${ts}:`, b).toString('hex')}`;
    const t = now();
    const metas = await check({ secret }, [
      { body, headers: { 'X-Slack-Request-Timestamp': String(t), 'X-Slack-Signature': sign(t, body) } },
      { body: tampered, headers: { 'X-Slack-Request-Timestamp': String(t), 'X-Slack-Signature': sign(t, body) } },
      // The timestamp is part of what is signed: a replayed signature with a fresh timestamp fails.
      { body, headers: { 'X-Slack-Request-Timestamp': String(t + 1), 'X-Slack-Signature': sign(t, body) } },
      { body, headers: { 'X-Slack-Signature': sign(t, body) } },
      { body, headers: { 'X-Slack-Request-Timestamp': String(t - 600), 'X-Slack-Signature': sign(t - 600, body) } },
    ]);
    assert.deepEqual(metas.map(brief), [['valid', 'slack'], ['invalid', 'slack'], ['invalid', 'slack'], ['missing', 'slack'], ['invalid', 'slack']]);
    assert.match(String(metas[3].signatureReason), /no X-Slack-Request-Timestamp timestamp/);
    assert.match(String(metas[4].signatureReason), /stale timestamp: 6\d\d s old/);
  });

  it('Shopify: X-Shopify-Hmac-Sha256 base64 over the body', async () => {
    const sig = hmacOf('sha256', secret, body).toString('base64');
    const metas = await check({ secret }, [
      { body, headers: { 'X-Shopify-Hmac-Sha256': sig } },
      { body: tampered, headers: { 'X-Shopify-Hmac-Sha256': sig } },
      // The same digest in hex is not what Shopify sends.
      { body, headers: { 'X-Shopify-Hmac-Sha256': hmacOf('sha256', secret, body).toString('hex') } },
    ]);
    assert.deepEqual(metas.map(brief), [['valid', 'shopify'], ['invalid', 'shopify'], ['invalid', 'shopify']]);
    const named = await check({ secret, scheme: 'shopify' }, [{ body, headers: { 'X-Hub-Signature-256': 'sha256=00' } }]);
    assert.deepEqual(named.map(brief), [['missing', 'shopify']], 'a named scheme checks only its own header');
  });

  it('Standard Webhooks / Svix: webhook-id, webhook-timestamp, webhook-signature v1,<base64> (and the spec\'s test vector)', async () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const whsec = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sign = (id: string, ts: number, b: string) => `v1,${hmacOf('sha256', key, `${id}.${ts}.`, b).toString('base64')}`;
    const t = now();
    const metas = await check({ secret: whsec }, [
      { body, headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(t), 'webhook-signature': sign('msg_1', t, body) } },
      // Several signatures, space-separated (key rotation): one match is enough.
      { body, headers: { 'webhook-id': 'msg_2', 'webhook-timestamp': String(t), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${sign('msg_2', t, body)}` } },
      { body: tampered, headers: { 'webhook-id': 'msg_3', 'webhook-timestamp': String(t), 'webhook-signature': sign('msg_3', t, body) } },
      { body, headers: { 'webhook-timestamp': String(t), 'webhook-signature': sign('msg_4', t, body) } },
      { body, headers: { 'webhook-id': 'msg_5', 'webhook-timestamp': String(t - 3600), 'webhook-signature': sign('msg_5', t - 3600, body) } },
      // Svix's own header names.
      { body, headers: { 'svix-id': 'msg_6', 'svix-timestamp': String(t), 'svix-signature': sign('msg_6', t, body) } },
    ]);
    assert.deepEqual(metas.map(brief), [
      ['valid', 'standard-webhooks'], ['valid', 'standard-webhooks'], ['invalid', 'standard-webhooks'],
      ['missing', 'standard-webhooks'], ['invalid', 'standard-webhooks'], ['valid', 'standard-webhooks'],
    ]);
    assert.match(String(metas[4].signatureReason), /stale timestamp: 36\d\d s old/);
    assert.equal(metas[5].signatureHeader, 'svix-signature');
    // The Standard Webhooks specification's example (its timestamp is years old: no tolerance here).
    const vector = await check({ secret: whsec, toleranceSec: 0 }, [{
      body: '{"test": 2432232314}',
      headers: { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
    }]);
    assert.deepEqual(vector.map(brief), [['valid', 'standard-webhooks']]);
  });

  it('a custom header, algorithm and encoding stay configurable, and the frame names the scheme checked', async () => {
    const sig512 = hmacOf('sha512', secret, body).toString('base64');
    const metas = await check({ secret, header: 'X-Acme-Sig', algorithm: 'sha512', encoding: 'base64' }, [
      { body, headers: { 'X-Acme-Sig': sig512 } },
      { body, headers: { 'X-Acme-Sig': hmacOf('sha512', secret, body).toString('hex') } },
      // A GitHub signature is not looked at when a custom header is configured.
      { body, headers: { 'X-Hub-Signature-256': `sha256=${hmacOf('sha256', secret, body).toString('hex')}` } },
    ]);
    assert.deepEqual(metas.map(brief), [['valid', 'custom'], ['invalid', 'custom'], ['missing', 'custom']]);
    assert.equal(metas[0].signatureHeader, 'X-Acme-Sig');
    assert.match(String(metas[2].signatureReason), /no X-Acme-Sig header/);
  });

  it('the scheme is picked from the headers: Wirescope\'s own signer produces each one the receiver accepts', async () => {
    const schemes = ['github', 'stripe', 'slack', 'shopify', 'standard-webhooks'] as const;
    const metas = await check({ secret }, schemes.map((s) => ({ body, headers: signAs(s, body, secret) })));
    assert.deepEqual(metas.map(brief), schemes.map((s) => ['valid', s]));
  });
});
