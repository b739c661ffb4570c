import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const longPollPattern = definePattern({
  id: 'long-poll',
  label: 'Long polling',
  icon: 'watch',
  schemes: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080/long-poll',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: true, polls: true },
  optionsKey: 'longPoll',
  options: Type.Object({
  timeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Client-side hold limit per request (falls back to idleTimeoutMs); 0 = none. Default 60000.'})),
  cursorParam: Type.Optional(Type.String({'description': 'Query parameter carrying the cursor (default cursor).'})),
  cursorField: Type.Optional(Type.String({'description': 'JSON path in the answer to the next cursor ($.cursor).'})),
  cursorHeader: Type.Optional(Type.String({'description': 'Response header with the next cursor.'})),
  useEtag: Type.Optional(Type.Boolean({'description': 'Carry the ETag as If-None-Match instead of a cursor (default false).'})),
  idleTimeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Treat as dead when a request gets no answer for this long.'})),
}, { additionalProperties: false }),
});
