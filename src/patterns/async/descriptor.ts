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
  timeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Overall limit for the operation (default 300000).'})),
  pollIntervalMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Wait between status polls when the server sends no Retry-After (default 1000).'})),
  statusField: Type.Optional(Type.String({'description': "JSON path of the operation's state in status answers; set, it replaces the recognised shapes (status, state, Google's done)."})),
  doneValues: Type.Optional(Type.Array(Type.String(), { description: 'Terminal values of the status field (case-insensitive). Default: done, succeeded, success, failed, completed, complete, error, cancelled, canceled, finished, aborted, expired, rejected.' })),
  callback: Type.Optional(Type.Boolean({'description': 'Wait for a callback on a webhook receiver (the webhook options) instead of polling (default false).'})),
  operationUrlField: Type.Optional(Type.String({'description': 'JSON path to the operation URL when there is no Location header.'})),
}, { additionalProperties: false }),
});
