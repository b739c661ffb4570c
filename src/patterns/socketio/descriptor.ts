import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

/** One event emitted once the namespace is joined. */
const Emit = Type.Object(
  {
    event: Type.String({ minLength: 1, description: 'Event name.' }),
    args: Type.Optional(Type.Array(Type.Unknown(), { description: 'Arguments, as JSON values (default none).' })),
    ack: Type.Optional(Type.Boolean({ description: 'Ask for an acknowledgement (default: the `ack` option).' })),
  },
  { additionalProperties: false },
);

/**
 * `event=JSON` (the CLI's `--emit`): a JSON array is the argument list, any other JSON value is the one
 * argument, and a bare `event` emits no arguments. Throws an Error with a one-line message.
 */
export function parseEmit(raw: string): { event: string; args: unknown[] } {
  const eq = raw.indexOf('=');
  const event = (eq < 0 ? raw : raw.slice(0, eq)).trim();
  if (!event) throw new Error(`needs event=JSON, like 'chat={"text":"hi"}'; got "${raw}"`);
  if (eq < 0) return { event, args: [] };
  const json = raw.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`the arguments of "${event}" are not JSON: ${json.length > 60 ? `${json.slice(0, 60)}…` : json}`);
  }
  return { event, args: Array.isArray(value) ? value : [value] };
}

/** `JSON object` (the CLI's `--auth`). */
export function parseAuth(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`needs a JSON object, like '{"token":"abc"}'; got "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}"`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('needs a JSON object, like \'{"token":"abc"}\'');
  return value as Record<string, unknown>;
}

/** `name=value` (the CLI's `--query`). */
export function parseQuery(raw: string): Record<string, string> {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new Error(`needs name=value, got "${raw}"`);
  return { [raw.slice(0, eq)]: raw.slice(eq + 1) };
}

export const socketioPattern = definePattern({
  id: 'socketio',
  label: 'Socket.IO',
  icon: 'radio-tower',
  schemes: ['http', 'https', 'ws', 'wss'],
  exampleUrl: 'http://127.0.0.1:3000/',
  // `ack`: a send can ask for an acknowledgement; the channel (event name) is what a send needs, and
  // its data are JSON arguments.
  capabilities: { send: true, ping: false, halfClose: false, channel: 'event', requestReply: false, ack: true, sendArgs: 'json' },
  optionsKey: 'socketio',
  options: Type.Object(
    {
      path: Type.Optional(Type.String({ description: 'Engine.IO path on the server (default /socket.io/). The namespace is the URL path: http://host:3000/chat joins /chat.' })),
      auth: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The handshake's auth payload (a JSON object) sent with the namespace CONNECT; use ${secret:NAME} for tokens in a profile, --auth-env NAME on the command line. Its values are never logged." })),
      query: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Query parameters added to the Engine.IO requests.' })),
      transport: Type.Optional(
        Type.Union([Type.Literal('auto'), Type.Literal('websocket'), Type.Literal('polling')], {
          description: 'auto: HTTP long polling first, then the upgrade to WebSocket (the default, as browsers do); websocket: WebSocket only; polling: long polling only.',
        }),
      ),
      emit: Type.Optional(Type.Array(Emit, { description: 'Events emitted once the namespace is joined (again after each reconnect).' })),
      ack: Type.Optional(Type.Boolean({ description: 'Ask for an acknowledgement of every emitted event; the ack is logged as an in frame on the event with meta.ack and its round trip.' })),
      ackTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'How long an emitted event waits for its acknowledgement before one line says it timed out (default 10000).' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'path', key: 'path', value: '/socket.io/' },
    { flag: 'auth', key: 'auth', value: 'JSON', parse: parseAuth },
    { flag: 'query', key: 'query', value: 'name=value', parse: parseQuery, merge: true },
    { flag: 'transport', key: 'transport', value: 'auto|websocket|polling' },
    { flag: 'emit', key: 'emit', value: 'event=JSON', parse: parseEmit },
    { flag: 'ack', key: 'ack' },
    { flag: 'ack-timeout', key: 'ackTimeoutMs', value: 'ms' },
  ],
});
