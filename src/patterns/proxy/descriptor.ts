import { definePattern } from '../descriptor';

/**
 * The capture proxy (`wirescope proxy`, "Start Capture Proxy..."): a session that listens and decodes the
 * traffic of the user's own app. It is not a profile pattern (`profile: false`): profiles, the profile form,
 * the JSON Schema and `wirescope connect` do not offer it. Its options stay `ConnectOptions.proxy`
 * (src/shared/connectOptions.ts) and its transport stays src/core/transports/proxyTransport.ts.
 */
export const proxyPattern = definePattern({
  id: 'proxy',
  label: 'Capture proxy',
  icon: 'arrow-swap',
  schemes: ['http', 'https'],
  exampleUrl: 'http://127.0.0.1:8080',
  capabilities: { send: false, ping: false, halfClose: false, channel: 'none', requestReply: true, listens: true },
  profile: false,
});
