import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const asyncPattern = definePattern({
  id: 'async',
  label: 'Async request-response (202)',
  icon: 'clock',
  schemes: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080/jobs',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: true },
  optionsKey: 'async',
  options: Type.Object({
  timeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Overall limit.'})),
  pollIntervalMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Poll interval without Retry-After.'})),
  statusField: Type.Optional(Type.String({'description': 'JSON path of the status field.'})),
  doneValues: Type.Optional(Type.Array(Type.String())),
  callback: Type.Optional(Type.Boolean({'description': 'Wait for a callback on a webhook receiver instead of polling.'})),
  operationUrlField: Type.Optional(Type.String({'description': 'JSON path to the operation URL when there is no Location header.'})),
}, { additionalProperties: false }),
});
