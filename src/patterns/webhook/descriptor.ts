import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

/** Signature schemes recognised by their headers, and `custom` for a configured header. */
export const SIGNATURE_SCHEMES = ['github', 'stripe', 'slack', 'shopify', 'standard-webhooks', 'custom'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

export const webhookPattern = definePattern({
  id: 'webhook',
  label: 'Webhook receiver',
  icon: 'inbox',
  schemes: ['http'],
  exampleUrl: 'http://127.0.0.1:0',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: true, listens: true },
  optionsKey: 'webhook',
  options: Type.Object({
  listen: Type.Optional(Type.String({'description': 'Where to listen: host:port, :port, port or [v6]:port (default 127.0.0.1:0, loopback on a free port). Another address than loopback exposes the receiver to the network.'})),
  reply: Type.Optional(Type.Object({
    status: Type.Optional(Type.Integer({'minimum': 100, 'maximum': 599, 'description': 'HTTP status of every reply (default 200).'})),
    body: Type.Optional(Type.String({'description': 'Body of every reply (default empty).'})),
    delayMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Delay before replying.'})),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), {'description': 'Headers of every reply.'})),
  }, {'description': 'What the receiver answers to each call.'})),
  hmac: Type.Optional(
    Type.Object(
      {
        secret: Type.String({ description: 'Use ${secret:NAME}.' }),
        scheme: Type.Optional(
          Type.Union([Type.Literal('auto'), ...SIGNATURE_SCHEMES.map((x) => Type.Literal(x))], {
            description: 'auto (the default without header): recognise GitHub, Stripe, Slack, Shopify and Standard Webhooks/Svix by their headers. A named scheme checks only that one. custom (the default with header): the configured header, algorithm, prefix and encoding over the body.',
          }),
        ),
        header: Type.Optional(Type.String({ description: 'Custom scheme: the header holding the signature.' })),
        algorithm: Type.Optional(Type.Union([Type.Literal('sha256'), Type.Literal('sha1'), Type.Literal('sha512')], { description: 'Custom scheme: the HMAC algorithm (default sha256).' })),
        prefix: Type.Optional(Type.String({ description: 'Custom scheme: a prefix before the digest, e.g. sha256= (accepted with or without).' })),
        encoding: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('base64'), Type.Literal('auto')], { description: "Custom scheme: the digest's encoding; auto (default) accepts hex or base64." })),
        toleranceSec: Type.Optional(Type.Integer({ minimum: 0, description: 'Stripe, Slack, Standard Webhooks: how far the signed timestamp may be from now (default 300 s; 0 = no limit).' })),
      },
      { description: 'HMAC signature check: with only a secret, the scheme is recognised by the request headers.' },
    ),
  ),
}, { additionalProperties: false }),
});
