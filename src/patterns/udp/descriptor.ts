import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

export const udpPattern = definePattern({
  id: 'udp',
  label: 'UDP datagrams',
  icon: 'send',
  schemes: ['udp'],
  infers: ['udp'],
  exampleUrl: 'udp://127.0.0.1:9',
  capabilities: { send: true, ping: false, halfClose: false, channel: 'none', requestReply: false },
  optionsKey: 'udp',
  options: Type.Object(
    {
      eol: Type.Optional(
        Type.Union([Type.Literal('crlf'), Type.Literal('lf'), Type.Literal('none')], { description: 'What each sent text datagram ends with: crlf, lf or none (the default).' }),
      ),
    },
    { additionalProperties: false },
  ),
  flags: [{ flag: 'eol', key: 'eol', value: 'crlf|lf|none' }],
});
