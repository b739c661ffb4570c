import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

/**
 * How subscriptions travel: the two WebSocket subprotocols, graphql-sse in distinct connections mode (`sse`) or in
 * single connection mode (`sse-single`), or `auto` (the server's pick; distinct graphql-sse for http URLs).
 */
export const GRAPHQL_PROTOCOLS = ['auto', 'graphql-transport-ws', 'graphql-ws', 'sse', 'sse-single'] as const;
export type GraphqlProtocol = (typeof GRAPHQL_PROTOCOLS)[number];

/** `JSON object` (the CLI's `--variables` and `--init-payload`). */
export function parseJsonObject(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`needs a JSON object, like '{"id":"1"}'; got "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}"`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('needs a JSON object, like \'{"id":"1"}\'');
  return value as Record<string, unknown>;
}

export const graphqlPattern = definePattern({
  id: 'graphql',
  label: 'GraphQL',
  icon: 'graph',
  // Queries and mutations over http(s); subscriptions over ws(s) (graphql-transport-ws, graphql-ws) or http(s) (graphql-sse).
  schemes: ['http', 'https', 'ws', 'wss'],
  exampleUrl: 'ws://127.0.0.1:4000/graphql',
  // The composer runs another operation (a query, or a subscription on the live connection).
  capabilities: { send: true, ping: false, halfClose: false, channel: 'none', requestReply: true, payloadEncodings: false, sendArgs: 'text', sendPlaceholder: 'A GraphQL operation, like subscription { ticks { seq } } (Ctrl+Enter runs it on this connection)' },
  optionsKey: 'graphql',
  options: Type.Object(
    {
      documents: Type.Optional(Type.Array(Type.String(), { description: 'The GraphQL documents to run (queries, mutations, subscriptions); several run side by side, subscriptions multiplexed on one WebSocket. Default: the request body.' })),
      variables: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Variables of the operations, as a JSON object.' })),
      operationName: Type.Optional(Type.String({ description: 'Which operation of a document with several to run.' })),
      httpMethod: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('GET')], { description: 'How queries go over HTTP: POST with a JSON body (the default) or GET with the query in the URL (mutations need POST).' })),
      protocol: Type.Optional(Type.Union(GRAPHQL_PROTOCOLS.map((p) => Type.Literal(p)), { description: 'The subscription protocol: auto offers both WebSocket subprotocols and speaks the one the server picks (graphql-sse for http URLs); graphql-transport-ws is the graphql-ws library\'s; graphql-ws is the legacy subscriptions-transport-ws; sse is graphql-sse in distinct connections mode (one request per operation); sse-single is graphql-sse in single connection mode (a PUT reserves a stream, every operation is POSTed with its token and its results come on that one stream).' })),
      initPayload: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The connection_init payload (a JSON object, usually auth); use ${secret:NAME} for tokens in a profile, --init-payload-env NAME on the command line. Its values are never logged.' })),
      ackTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'How long the WebSocket protocols wait for connection_ack, and graphql-sse single connection mode for its event stream after the reservation, before one line ends the attempt (default 10000).' })),
      resumeVariable: Type.Optional(Type.String({ minLength: 1, description: 'After a reconnect, each subscription is sent again with this variable set to the resumeField value of its last result, so it resumes after what it already got instead of starting over (the subscription takes it as a cursor, like after: in ticks(after: $after)). Needs resumeField.' })),
      resumeField: Type.Optional(Type.String({ minLength: 1, description: 'JSON path in each subscription result to the value resumeVariable carries after a reconnect, like $.data.ticks.seq. Needs resumeVariable.' })),
      maxMessageBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest message or response body accepted (default 16777216, 16 MiB); a larger one ends the connection with one line.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'variables', key: 'variables', value: 'JSON', parse: parseJsonObject },
    { flag: 'operation-name', key: 'operationName', value: 'name' },
    { flag: 'graphql-method', key: 'httpMethod', value: 'POST|GET' },
    { flag: 'graphql-protocol', key: 'protocol', value: 'protocol' },
    { flag: 'init-payload', key: 'initPayload', value: 'JSON', parse: parseJsonObject },
    { flag: 'ack-timeout', key: 'ackTimeoutMs', value: 'ms' },
    { flag: 'resume-variable', key: 'resumeVariable', value: 'name' },
    { flag: 'resume-field', key: 'resumeField', value: '$.path' },
    { flag: 'max-message-size', key: 'maxMessageBytes', value: 'bytes' },
  ],
});
