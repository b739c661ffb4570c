/**
 * The profile's JSON Schema, built from the common profile fields below and every pattern descriptor's
 * options: the source of schemas/wirescope.schema.json (written by `npm run build`, checked by a unit
 * test). Webview-safe.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { EXPECTATION_JSON_SCHEMA } from '../shared/expectations';
import { PATTERN_DESCRIPTORS } from './index';

/** The profile fields every pattern shares. */
export const COMMON_PROFILE_FIELDS = {
  name: Type.String({'minLength': 1, 'maxLength': 200, 'description': 'Unique name of the profile.'}),
  url: Type.String({'minLength': 1, 'description': 'Endpoint URL. May use ${env:NAME} and ${secret:NAME}. For a webhook receiver, the base URL shown to senders.'}),
  description: Type.Optional(Type.String({'description': 'A note for people.'})),
  method: Type.Optional(Type.String({'pattern': '^[A-Za-z]+$', 'description': 'HTTP method (http, async, poll).'})),
  headers: Type.Optional(Type.Record(Type.String(), Type.String(), {'description': 'Request headers. Put credentials in SecretStorage and refer to them with ${secret:NAME}.', 'propertyNames': { 'pattern': "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }})),
  body: Type.Optional(Type.String({'description': 'Request body. May use ${env:NAME} and ${secret:NAME}.'})),
  auth: Type.Optional(Type.Object({
  type: Type.Union([Type.Literal('none'), Type.Literal('basic'), Type.Literal('bearer'), Type.Literal('header')]),
  username: Type.Optional(Type.String({'description': 'basic: user name.'})),
  secret: Type.Optional(Type.String({'pattern': '^[A-Za-z0-9_.-]{1,100}$', 'description': 'NAME of the stored secret (password, token or header value). Never the value itself.'})),
  header: Type.Optional(Type.String({'description': 'header: header name, e.g. X-Api-Key.'})),
}, {'description': 'Authentication. The secret value lives in SecretStorage under the name in `secret`; you are asked for it on first use.', 'not': {'anyOf': [{'required': ['password']}, {'required': ['token']}, {'required': ['value']}]}})),
  tls: Type.Optional(Type.Object({
  caFile: Type.Optional(Type.String({'description': 'PEM file of extra CA certificates (relative to the workspace folder).'})),
  certFile: Type.Optional(Type.String({'description': 'PEM client certificate.'})),
  keyFile: Type.Optional(Type.String({'description': 'PEM client key.'})),
  insecure: Type.Optional(Type.Boolean({'description': 'Accept certificates that do not verify (self-signed, expired, wrong host).'})),
  passphraseSecret: Type.Optional(Type.String({'pattern': '^[A-Za-z0-9_.-]{1,100}$', 'description': 'NAME of the stored secret holding the key passphrase.'})),
  servername: Type.Optional(Type.String({'description': 'TLS server name (SNI).'})),
}, {'additionalProperties': false})),
  reconnect: Type.Optional(Type.Object({
  enabled: Type.Optional(Type.Boolean({'description': 'Reconnect after a drop of an established connection.'})),
  initialDelayMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'First backoff delay.'})),
  maxDelayMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Cap on any single delay.'})),
  multiplier: Type.Optional(Type.Number({'minimum': 1})),
  jitter: Type.Optional(Type.Number({'minimum': 0, 'maximum': 1})),
  maxAttempts: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Give up after this many consecutive failed attempts (0 = never).'})),
}, {'additionalProperties': false})),
  templates: Type.Optional(Type.Array(Type.Object({
  name: Type.String({'minLength': 1}),
  data: Type.String(),
  encoding: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('hex'), Type.Literal('base64')], {'default': 'text'})),
  channel: Type.Optional(Type.String({'description': 'Topic (MQTT).'})),
}), {'description': 'Saved messages for the composer.'})),
  send: Type.Optional(Type.Array(Type.String(), {'description': 'Messages sent as soon as the connection opens.'})),
  protocols: Type.Optional(Type.Array(Type.String(), {'description': 'WebSocket subprotocols.'})),
  idField: Type.Optional(Type.String({'description': 'What identifies a message for lost/duplicate detection: sse-id, a JSON path like $.seq, header:Name or prop:name.'})),
  idChannel: Type.Optional(Type.String({'minLength': 1, 'description': 'Check message identity only on this channel (a Socket.IO event name, an MQTT topic, a Redis or NATS channel; * matches any run of characters). Frames on other channels are not checked.'})),
  previewLimit: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Bytes of each payload kept in memory.'})),
  connectTimeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Give up on a connection attempt after this long.'})),
  count: Type.Optional(Type.Integer({'minimum': 1, 'description': 'End the session after this many inbound data frames (control frames do not count).'})),
  durationMs: Type.Optional(Type.Integer({'minimum': 1, 'description': 'End the session after this many ms. With expect: the upper bound of a test run (default 30000).'})),
  followRedirects: Type.Optional(Type.Boolean({'description': 'HTTP: follow redirects (each hop is still logged).'})),
  maxRedirects: Type.Optional(Type.Integer({'minimum': 0, 'description': 'HTTP: most redirects followed.'})),
};

/** The whole profiles-file JSON Schema (draft-07), as committed in schemas/wirescope.schema.json. */
export function profilesFileJsonSchema(): Record<string, unknown> {
  const options: Record<string, TSchema> = {};
  for (const d of PATTERN_DESCRIPTORS) if ('optionsKey' in d) options[d.optionsKey] = Type.Optional({ ...d.options, description: `${d.label} options (pattern ${d.id}).` });
  const profile = Type.Object(
    {
      ...COMMON_PROFILE_FIELDS,
      pattern: Type.Union(
        PATTERN_DESCRIPTORS.map((d) => Type.Literal(d.id)),
        { description: 'Communication pattern.', enumDescriptions: PATTERN_DESCRIPTORS.map((d) => d.label) },
      ),
      expect: Type.Optional(Type.Array(Type.Unsafe({ $ref: '#/definitions/expectation' }), { description: 'Checks over the session: the profile becomes a test (wirescope test, the Testing view).' })),
      ...options,
    },
    {
      defaultSnippets: PATTERN_DESCRIPTORS.map((d) => ({ label: `${d.label} profile`, body: { name: '$1', pattern: d.id, url: d.exampleUrl } })),
    },
  );
  return strip({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://wirescope.dev/schemas/wirescope.schema.json',
    title: 'Wirescope connection profiles',
    description: 'Connection profiles for Wirescope (.vscode/wirescope.json). Secrets never go here: store them with Wirescope and refer to them by name.',
    type: 'object',
    required: ['profiles'],
    properties: {
      $schema: { type: 'string' },
      version: { type: 'integer', enum: [1] },
      profiles: { type: 'array', items: { $ref: '#/definitions/profile' } },
    },
    definitions: { profile, expectation: EXPECTATION_JSON_SCHEMA },
  }) as Record<string, unknown>;
}

/** Plain JSON: drops TypeBox's symbol keys and turns `anyOf` of constants into `enum`, which editors show best. */
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const anyOf = o.anyOf as Array<Record<string, unknown>> | undefined;
  const out: Record<string, unknown> = {};
  if (anyOf && anyOf.length > 0 && anyOf.every((x) => 'const' in x)) {
    for (const [k, x] of Object.entries(o)) if (k !== 'anyOf') out[k] = strip(x);
    out.enum = anyOf.map((x) => x.const);
    return out;
  }
  for (const [k, x] of Object.entries(o)) out[k] = strip(x);
  return out;
}
