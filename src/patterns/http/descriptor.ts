import { definePattern } from '../descriptor';

export const httpPattern = definePattern({
  id: 'http',
  label: 'HTTP request-response',
  icon: 'globe',
  schemes: ['http', 'https'],
  infers: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080/items',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: true },
});
