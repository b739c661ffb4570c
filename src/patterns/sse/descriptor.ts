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
  idleTimeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Reconnect when nothing arrives for this long (0 = never).'})),
  lastEventId: Type.Optional(Type.String({'description': 'Last-Event-ID sent on the first request.'})),
}, { additionalProperties: false }),
});
