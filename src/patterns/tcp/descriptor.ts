import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

/** What `send` (and the composer) appends to each text message. */
export const Eol = Type.Union([Type.Literal('crlf'), Type.Literal('lf'), Type.Literal('none')], {
  description: 'What each sent text message ends with: crlf (\\r\\n), lf (\\n) or none. Default: crlf with split lines, none otherwise.',
});

export const tcpPattern = definePattern({
  id: 'tcp',
  label: 'Raw TCP / TLS socket',
  icon: 'terminal',
  schemes: ['tcp', 'tls'],
  infers: ['tcp', 'tls'],
  exampleUrl: 'tcp://127.0.0.1:7',
  capabilities: { send: true, ping: false, halfClose: true, channel: 'none', requestReply: false },
  optionsKey: 'tcp',
  options: Type.Object(
    {
      split: Type.Optional(
        Type.Union([Type.Literal('lines'), Type.Literal('length'), Type.Literal('chunks')], {
          description: 'How received bytes become frames: lines (CRLF or LF), length (a length prefix, see lengthBytes and lengthEndian) or chunks (one frame per read). Default chunks.',
        }),
      ),
      eol: Type.Optional(Eol),
      lengthBytes: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(4)], { description: 'split length: width of the length prefix in bytes (default 4).' })),
      lengthEndian: Type.Optional(Type.Union([Type.Literal('be'), Type.Literal('le')], { description: 'split length: byte order of the prefix, be (network order, the default) or le.' })),
      greetingWaitMs: Type.Optional(
        Type.Integer({
          minimum: 0,
          description: 'Start-up messages (send) go out when the peer first speaks (servers that speak first, like SMTP, refuse early talkers), or after this many ms of silence from it. 0 sends at once. Default 500.',
        }),
      ),
      halfClose: Type.Optional(Type.Boolean({ description: 'End our half of the connection once the start-up messages are sent, and keep reading until the peer closes.' })),
      alpn: Type.Optional(Type.Array(Type.String(), { description: 'tls: ALPN protocols to offer, in order of preference.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'split', key: 'split', value: 'lines|length|chunks' },
    { flag: 'eol', key: 'eol', value: 'crlf|lf|none' },
    { flag: 'length-bytes', key: 'lengthBytes', value: '1|2|4' },
    { flag: 'length-endian', key: 'lengthEndian', value: 'be|le' },
    { flag: 'greeting-wait', key: 'greetingWaitMs', value: 'ms' },
    { flag: 'half-close', key: 'halfClose' },
    { flag: 'alpn', key: 'alpn', value: 'protocol' },
  ],
});
