import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

const Publish = Type.Object(
  {
    subject: Type.String({ description: 'Subject to publish to (no wildcards).' }),
    payload: Type.String({ description: 'The message (text).' }),
  },
  { additionalProperties: false },
);

/** `--publish subject=payload`: the first `=` splits (a payload may contain more). */
function publishArg(raw: string): { subject: string; payload: string } {
  const at = raw.indexOf('=');
  if (at <= 0) throw new Error(`needs subject=payload, got "${raw}"`);
  return { subject: raw.slice(0, at), payload: raw.slice(at + 1) };
}

export const natsPattern = definePattern({
  id: 'nats',
  label: 'NATS subjects',
  icon: 'radio-tower',
  // tls:// is also the raw TLS socket's scheme: NATS over TLS needs --pattern nats (or a profile).
  schemes: ['nats', 'tls'],
  newConnection: { key: 'subscribe', prompt: 'Subjects to subscribe to, comma-separated (wildcards * and > allowed); empty for none', value: '>' },
  infers: ['nats'],
  exampleUrl: 'nats://127.0.0.1:4222',
  capabilities: { send: true, ping: true, halfClose: false, channel: 'topic', requestReply: true, channelLabel: 'Subject', publishOptions: false },
  optionsKey: 'nats',
  options: Type.Object(
    {
      subscribe: Type.Optional(Type.Array(Type.String(), { description: 'Subjects to subscribe to once connected (and again after every reconnect); wildcards * (one token) and > (the rest).' })),
      queueGroup: Type.Optional(Type.String({ description: 'Subscribe as a member of this queue group: the server gives each message to one member only (destructive for the group\'s other members: the session says so).' })),
      publish: Type.Optional(Type.Array(Publish, { description: 'Messages to publish once connected (with the headers of -H, if any).' })),
      publishSubject: Type.Optional(Type.String({ description: "Subject for messages sent without one (the CLI's --send, the inspector's send box)." })),
      requestSubject: Type.Optional(Type.String({ description: 'Request/reply: send requests to this subject with a reply inbox, and match each reply (round-trip time, or a timeout per request). The session ends once every request is answered or timed out.' })),
      requestPayload: Type.Optional(Type.String({ description: 'Payload of each request (default {"request":N}).' })),
      requests: Type.Optional(Type.Integer({ minimum: 1, description: 'How many requests to send (default 1).' })),
      requestIntervalMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Time between requests (default 1000).' })),
      requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'How long each request waits for its reply (default 5000).' })),
      username: Type.Optional(Type.String({ description: "User name; also taken from the URL's user info (nats://user:pass@host), which is removed from every logged URL." })),
      password: Type.Optional(Type.String({ description: 'Password. Use ${secret:NAME}: never a literal password in a shared file.' })),
      token: Type.Optional(Type.String({ description: 'Authentication token (also nats://TOKEN@host). Use ${secret:NAME}.' })),
      name: Type.Optional(Type.String({ description: 'Client name the server shows in its monitoring (default wirescope).' })),
      pingIntervalMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Send a PING this often; two unanswered in a row drop the connection and reconnect (default 30000; 0 = off).' })),
      maxPayloadBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest message accepted from the server (default 67108864, 64 MiB); a larger one is a protocol error, so a broken or hostile server cannot use up memory.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'subscribe', key: 'subscribe', value: 'subject' },
    { flag: 'queue-group', key: 'queueGroup', value: 'name' },
    { flag: 'publish', key: 'publish', value: 'subject=payload', parse: publishArg },
    { flag: 'publish-subject', key: 'publishSubject', value: 'subject' },
    { flag: 'request-subject', key: 'requestSubject', value: 'subject' },
    { flag: 'request-payload', key: 'requestPayload', value: 'text' },
    { flag: 'requests', key: 'requests', value: 'n' },
    { flag: 'request-interval', key: 'requestIntervalMs', value: 'ms' },
    { flag: 'request-timeout', key: 'requestTimeoutMs', value: 'ms' },
    { flag: 'client-name', key: 'name', value: 'name' },
  ],
});
