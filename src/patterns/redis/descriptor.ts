import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

const Publish = Type.Object(
  {
    channel: Type.String({ description: 'Channel to publish to.' }),
    message: Type.String({ description: 'The message (text).' }),
  },
  { additionalProperties: false },
);

/** `--publish channel=message`: the first `=` splits (a message may contain more). */
function publishArg(raw: string): { channel: string; message: string } {
  const at = raw.indexOf('=');
  if (at <= 0) throw new Error(`needs channel=message, got "${raw}"`);
  return { channel: raw.slice(0, at), message: raw.slice(at + 1) };
}

export const redisPattern = definePattern({
  id: 'redis',
  label: 'Redis pub/sub and streams',
  newConnection: { key: 'subscribe', prompt: 'Channels to SUBSCRIBE to, comma-separated (patterns and streams are in the profile form); empty for none', value: 'feed' },
  icon: 'database',
  schemes: ['redis', 'rediss'],
  infers: ['redis', 'rediss'],
  exampleUrl: 'redis://127.0.0.1:6379',
  capabilities: { send: true, ping: true, halfClose: false, channel: 'topic', requestReply: false, channelLabel: 'Channel', publishOptions: false },
  optionsKey: 'redis',
  options: Type.Object(
    {
      subscribe: Type.Optional(Type.Array(Type.String(), { description: 'Channels to SUBSCRIBE to once connected (and again after every reconnect).' })),
      psubscribe: Type.Optional(Type.Array(Type.String(), { description: 'Channel patterns to PSUBSCRIBE to (glob-style: news.*, h?llo); each message carries the pattern that matched in meta.pattern.' })),
      publish: Type.Optional(Type.Array(Publish, { description: 'Messages to PUBLISH once connected; each is an out frame whose meta.receivers is the count from the reply.' })),
      publishChannel: Type.Optional(Type.String({ description: "Channel for messages sent without one (the CLI's --send, the inspector's send box)." })),
      stream: Type.Optional(Type.Array(Type.String(), { description: 'Stream keys to read: XREAD (read-only) or, with group, XREADGROUP. Each entry is an in frame: data is its only field\'s value, or its fields as a JSON object; meta.id is its entry id.' })),
      from: Type.Optional(Type.String({ description: 'Where stream reading starts: $ (new entries only, the default without a group), 0 (the whole stream) or an entry id; with group: > (entries never delivered to the group, the default) or an id (this consumer\'s pending entries from there: redeliveries). After a reconnect reading resumes after the last entry seen.' })),
      group: Type.Optional(Type.String({ description: 'Read the streams with XREADGROUP as this consumer group. Entries read this way become pending for the group until acknowledged.' })),
      consumer: Type.Optional(Type.String({ description: 'Consumer name in the group (default wirescope-<8 hex>).' })),
      ack: Type.Optional(Type.Boolean({ description: 'With group: XACK each entry once shown (destructive: the group counts it as processed). Off by default: watching never acknowledges.' })),
      createGroup: Type.Optional(Type.Boolean({ description: 'With group: create the group (XGROUP CREATE ... MKSTREAM, from $) when it does not exist. Off by default: watching never creates groups.' })),
      count: Type.Optional(Type.Integer({ minimum: 1, description: 'Most entries per XREAD/XREADGROUP reply (default 100).' })),
      blockMs: Type.Optional(Type.Integer({ minimum: 0, description: 'How long each XREAD/XREADGROUP waits for new entries before asking again (default 5000; 0 waits forever).' })),
      username: Type.Optional(Type.String({ description: "ACL user name (Redis 6+); also taken from the URL's user info (redis://user:pass@host), which is removed from every logged URL." })),
      password: Type.Optional(Type.String({ description: 'Password for AUTH. Use ${secret:NAME}: never a literal password in a shared file.' })),
      db: Type.Optional(Type.Integer({ minimum: 0, description: 'Database number to SELECT (also the URL path, redis://host/2). Pub/sub channels are not per database.' })),
      maxBulkBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest reply string accepted from the server (default 67108864, 64 MiB); a larger one is a protocol error, so a broken or hostile server cannot use up memory.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'subscribe', key: 'subscribe', value: 'channel' },
    { flag: 'psubscribe', key: 'psubscribe', value: 'pattern' },
    { flag: 'publish', key: 'publish', value: 'channel=message', parse: publishArg },
    { flag: 'publish-channel', key: 'publishChannel', value: 'channel' },
    { flag: 'stream', key: 'stream', value: 'key' },
    { flag: 'from', key: 'from', value: '$|0|id|>' },
    { flag: 'group', key: 'group', value: 'name' },
    { flag: 'consumer', key: 'consumer', value: 'name' },
    { flag: 'ack', key: 'ack' },
    { flag: 'create-group', key: 'createGroup' },
    { flag: 'batch', key: 'count', value: 'n' },
    { flag: 'block', key: 'blockMs', value: 'ms' },
    { flag: 'db', key: 'db', value: 'n' },
  ],
});
