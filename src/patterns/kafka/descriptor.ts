import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

const Produce = Type.Object(
  {
    topic: Type.String({ description: 'Topic to produce to.' }),
    key: Type.Optional(Type.String({ description: 'Record key (the partitioner hashes it: records of one key go to one partition).' })),
    value: Type.String({ description: 'Record value (text).' }),
  },
  { additionalProperties: false },
);

/** `--produce topic:key=value` or `topic=value` (no key): the first `=` ends the key, the first `:` before it ends the topic. */
export function produceArg(raw: string): { topic: string; key?: string; value: string } {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new Error(`needs topic:key=value or topic=value, got "${raw}"`);
  const head = raw.slice(0, eq);
  const value = raw.slice(eq + 1);
  const colon = head.indexOf(':');
  const topic = colon < 0 ? head : head.slice(0, colon);
  if (!topic) throw new Error(`needs a topic before ":" in "${raw}"`);
  return colon < 0 ? { topic, value } : { topic, key: head.slice(colon + 1), value };
}

export const kafkaPattern = definePattern({
  id: 'kafka',
  label: 'Kafka topics',
  icon: 'layers',
  schemes: ['kafka', 'kafkas'],
  infers: ['kafka', 'kafkas'],
  exampleUrl: 'kafka://127.0.0.1:9092',
  capabilities: { send: true, ping: false, halfClose: false, channel: 'topic', requestReply: false, channelLabel: 'Topic', publishOptions: false },
  optionsKey: 'kafka',
  options: Type.Object(
    {
      topic: Type.Optional(Type.Array(Type.String(), { description: 'Topics to consume. Without group every partition is read directly (no consumer group, nothing committed): watching takes nothing from the topic\'s own consumers.' })),
      from: Type.Optional(Type.String({ description: 'Where reading starts in each partition: latest (new records only, the default), beginning, an offset (e.g. 42, in every partition) or an ISO time (the first record at or after it, e.g. 2026-11-30T10:00:00Z). After a reconnect reading resumes after the last record seen.' })),
      group: Type.Optional(Type.String({ description: "Consume as a member of this consumer group: the group's partitions are shared with its other members (a rebalance), so they miss what this session reads. Offsets are committed only with commit." })),
      commit: Type.Optional(Type.Boolean({ description: 'With group: commit the offsets of the records shown (destructive: the group counts them as processed). Off by default.' })),
      produce: Type.Optional(Type.Array(Produce, { description: 'Records to produce once connected (with the headers of -H, if any); each is an out frame with the partition and offset the broker acknowledged.' })),
      produceTopic: Type.Optional(Type.String({ description: "Topic for records sent without one (the CLI's --send, the inspector's send box)." })),
      username: Type.Optional(Type.String({ description: "SASL user name; also taken from the URL's user info (kafka://user:pass@host:9092), which is removed from every logged URL." })),
      password: Type.Optional(Type.String({ description: 'SASL password. Use ${secret:NAME}: never a literal password in a shared file.' })),
      mechanism: Type.Optional(Type.Union([Type.Literal('plain'), Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')], { description: 'SASL mechanism when a user name is given (default plain; use kafkas:// so that a plain password is not sent in clear text).' })),
      clientId: Type.Optional(Type.String({ description: 'Client id the brokers log and quota by (default wirescope).' })),
      maxBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'Most bytes one fetch asks a broker for (default 10485760, 10 MiB); any broker response announcing more than four times this (at least 64 MiB) is refused, so a broken or hostile server cannot use up memory.' })),
      maxWaitMs: Type.Optional(Type.Integer({ minimum: 0, description: 'How long a broker holds a fetch open when no record is there (default 1000).' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'topic', key: 'topic', value: 'name' },
    { flag: 'from', key: 'from', value: 'beginning|latest|offset|ISO time' },
    { flag: 'group', key: 'group', value: 'name' },
    { flag: 'commit', key: 'commit' },
    { flag: 'produce', key: 'produce', value: 'topic:key=value', parse: produceArg },
    { flag: 'produce-topic', key: 'produceTopic', value: 'topic' },
    { flag: 'sasl-mechanism', key: 'mechanism', value: 'plain|scram-sha-256|scram-sha-512' },
    { flag: 'client-id', key: 'clientId', value: 'id' },
    { flag: 'max-bytes', key: 'maxBytes', value: 'bytes' },
    { flag: 'max-wait', key: 'maxWaitMs', value: 'ms' },
  ],
});
