import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const pollPattern = definePattern({
  id: 'poll',
  label: 'Short polling',
  icon: 'sync',
  schemes: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080/poll',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: true, polls: true },
  optionsKey: 'poll',
  options: Type.Object({
  intervalMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Time from the start of one poll to the start of the next; a slow answer is followed at once (default 1000).'})),
  change: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('etag'), Type.Literal('last-modified'), Type.Literal('hash')], { description: 'How a change is detected: auto (ETag, then Last-Modified, then a body hash; the default), etag, last-modified or hash.' })),
  timestampField: Type.Optional(Type.String({'description': "JSON path ($.changedAt) to the server's change time (epoch ms, epoch s, ISO or HTTP date), for staleness."})),
  timestampHeader: Type.Optional(Type.String({'description': "Header with the server's change time, for staleness."})),
}, { additionalProperties: false }),
});
