import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const httpPattern = definePattern({
  id: 'http',
  label: 'HTTP request-response',
  icon: 'globe',
  schemes: ['http', 'https'],
  infers: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080/items',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: true },
  optionsKey: 'http',
  options: Type.Object(
    {
      http2: Type.Optional(Type.Boolean({ description: 'Speak HTTP/2: ALPN h2 over https, prior knowledge (h2c) over http. The connection\'s SETTINGS, PINGs and resets are shown, and each request is a stream with its id. Redirects are followed as over HTTP/1.1: a new stream on the same connection, or a new connection for another origin.' })),
      repeat: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'With http2: send the request this many times, as streams of the one connection (default 1).' })),
      parallel: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'With http2: how many of the repeated requests are in flight at once (default 1), so that multiplexing shows in the timing: one connect, many streams.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'http2', key: 'http2' },
    { flag: 'repeat', key: 'repeat', value: 'N' },
    { flag: 'parallel', key: 'parallel', value: 'M' },
  ],
});
