import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const wsPattern = definePattern({
  id: 'ws',
  label: 'WebSocket',
  icon: 'plug',
  schemes: ['ws', 'wss'],
  infers: ['ws', 'wss'],
  exampleUrl: 'ws://127.0.0.1:8080/ws',
  capabilities: { send: true, ping: true, halfClose: false, channel: 'none', requestReply: false },
  optionsKey: 'ws',
  options: Type.Object({
  pingIntervalMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Send a ping this often (0 = never).'})),
  pongTimeoutMs: Type.Optional(Type.Integer({'minimum': 0, 'description': 'Treat the connection as dead without a pong within this time.'})),
}, { additionalProperties: false }),
});
