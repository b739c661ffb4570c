import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const streamPattern = definePattern({
  id: 'stream',
  label: 'HTTP streaming',
  icon: 'pulse',
  schemes: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080/stream',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: false },
  optionsKey: 'stream',
  options: Type.Object({
  idleTimeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Nothing received for this long: drop and reconnect (cause idle timeout: ...). Default off.'})),
  split: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('lines'), Type.Literal('chunks')], { description: 'auto (the default): one frame per line for application/x-ndjson, application/ndjson, application/jsonl, application/x-jsonlines and application/json-seq, per chunk otherwise; lines; chunks.' })),
}, { additionalProperties: false }),
});
