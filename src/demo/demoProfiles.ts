import type { Profile } from '../shared/profile';
import type { DemoUrls } from './demoBackend';
import { DEMO_GRPC_SERVICE } from './grpcProto';

/**
 * One profile per pattern, pointing at a running demo backend. The one definition: the extension's
 * "Start Demo Backend", `npm start` (from the demo's index route) and the end-to-end workspace use it.
 * Each stream of feed events names its id field, so a reconnect that loses or repeats events is flagged.
 * The webhook receiver profile listens where the demo sends its webhooks, when it sends any, and checks
 * their signatures when given `webhookSecret`: the secret itself for a profile kept in memory, or a
 * `${env:NAME}` reference for one written to a file.
 */
export function demoProfiles(urls: DemoUrls, opts: { webhookSecret?: string } = {}): Profile[] {
  const profiles: Profile[] = [
    { name: 'REST items', pattern: 'http', url: urls.items, method: 'GET' },
    { name: 'WebSocket feed', pattern: 'ws', url: urls.ws, idField: '$.seq', templates: [{ name: 'hello', data: 'hello from Wirescope' }, { name: 'json', data: '{"type":"ping"}' }] },
    { name: 'SSE feed', pattern: 'sse', url: urls.sse, idField: 'sse-id' },
    { name: 'Short polling', pattern: 'poll', url: urls.poll, poll: { intervalMs: 1000 } },
    // The demo answers {events, cursor}; the next request carries that cursor.
    { name: 'Long polling', pattern: 'long-poll', url: urls.longPoll, longPoll: { cursorField: '$.cursor' } },
    { name: 'HTTP stream', pattern: 'stream', url: urls.stream, idField: '$.seq' },
    // Each feed event is a `tick` whose one argument is the event; `echo` answers an ack with its arguments.
    {
      name: 'Socket.IO feed', pattern: 'socketio', url: urls.socketio, idField: '$[0].seq', idChannel: 'tick',
      socketio: { emit: [{ event: 'echo', args: [{ hello: 'from Wirescope' }], ack: true }] },
      templates: [{ name: 'echo with ack', data: '[{"hello":"wirescope"}]', channel: 'echo' }],
    },
    { name: 'Async job', pattern: 'async', url: urls.jobs, method: 'POST', body: '{"work":"demo"}', headers: { 'Content-Type': 'application/json' } },
  ];
  if (urls.webhookTarget) {
    const target = new URL(urls.webhookTarget);
    profiles.push({
      name: 'Webhook receiver', pattern: 'webhook', url: `http://${target.host}`, idField: 'header:X-Wirescope-Seq',
      webhook: { listen: target.host, ...(opts.webhookSecret ? { hmac: { secret: opts.webhookSecret } } : {}) },
    });
  }
  // feed/ticks carries the event's seq as an MQTT 5 user property; the label and latest topics repeat events without it,
  // so the check reads feed/ticks only (idChannel).
  if (urls.mqtt) profiles.push({ name: 'MQTT feed', pattern: 'mqtt', url: urls.mqtt, idField: 'prop:seq', idChannel: 'feed/ticks', mqtt: { protocolVersion: 5, subscribe: [{ topic: 'feed/#', qos: 0 }] } });
  // GraphQL: a query over HTTP, and the feed as a subscription on each transport; each result is
  // {"data":{"ticks":{...}}}, and a reconnect re-sends the subscription, so the check flags what the drop lost.
  const ticks = 'subscription Ticks { ticks { seq at value label level } }';
  const tickId = '$.data.ticks.seq';
  profiles.push(
    {
      name: 'GraphQL query', pattern: 'graphql', url: urls.graphql, body: 'query Latest { latest { seq at value label level } feed { cursor oldestKept rate } }',
      templates: [{ name: 'event by seq', data: 'query { event(seq: 1) { seq value label } }' }, { name: 'publish', data: 'mutation { publish(label: "from-wirescope") { seq label } }' }],
    },
    { name: 'GraphQL subscription (graphql-ws)', pattern: 'graphql', url: urls.graphqlWs, body: ticks, idField: tickId, graphql: { protocol: 'graphql-transport-ws' } },
    { name: 'GraphQL subscription (legacy graphql-ws)', pattern: 'graphql', url: urls.graphqlWs, body: ticks, idField: tickId, graphql: { protocol: 'graphql-ws' } },
    { name: 'GraphQL subscription (SSE)', pattern: 'graphql', url: urls.graphqlSse, body: ticks, idField: tickId, graphql: { protocol: 'sse' } },
  );
  // gRPC (reflection on, so no .proto is needed): Watch streams the feed (seq is an int64, a string in JSON; the
  // check reads it as a number), Get asks for the latest event, and Chat keeps its sending side open for the composer.
  if (urls.grpc) {
    profiles.push(
      { name: 'gRPC Watch', pattern: 'grpc', url: urls.grpc, body: '{"count":0}', idField: '$.seq', grpc: { method: `${DEMO_GRPC_SERVICE}/Watch` } },
      { name: 'gRPC Get', pattern: 'grpc', url: urls.grpc, body: '{"seq":0}', grpc: { method: `${DEMO_GRPC_SERVICE}/Get` } },
      {
        name: 'gRPC Chat', pattern: 'grpc', url: urls.grpc, send: ['{"text":"hello from Wirescope"}'], grpc: { method: `${DEMO_GRPC_SERVICE}/Chat`, keepSending: true },
        templates: [{ name: 'text', data: '{"text":"hi"}' }],
      },
    );
  }
  return profiles;
}
