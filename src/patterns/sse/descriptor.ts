import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const ssePattern = definePattern({
  id: 'sse',
  label: 'Server-sent events',
  icon: 'radio-tower',
  schemes: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080/sse',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'event', requestReply: false },
  optionsKey: 'sse',
  options: Type.Object({
  idleTimeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Nothing received (not even a comment) for this long, or no response headers within it: drop and reconnect (0 = never, the default).'})),
  lastEventId: Type.Optional(Type.String({'description': 'Sent as Last-Event-ID until the stream has given an id of its own.'})),
}, { additionalProperties: false }),
});
