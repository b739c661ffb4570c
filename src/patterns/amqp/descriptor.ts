import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

const Bind = Type.Object(
  {
    exchange: Type.String({ description: 'Exchange to bind the private queue to (amq.topic, a fanout exchange...).' }),
    routingKey: Type.String({ description: 'Binding key: a topic pattern (orders.#, *.eu) for a topic exchange, the exact key for a direct one, ignored by a fanout.' }),
  },
  { additionalProperties: false },
);

const Publish = Type.Object(
  {
    exchange: Type.String({ description: 'Exchange to publish to ("" is the default exchange, which routes by queue name).' }),
    routingKey: Type.String({ description: 'Routing key.' }),
    payload: Type.String({ description: 'The message body (text).' }),
  },
  { additionalProperties: false },
);

/** `--bind exchange:routingKey`: the first `:` splits (a topic binding key may hold more). */
function bindArg(raw: string): { exchange: string; routingKey: string } {
  const at = raw.indexOf(':');
  if (at <= 0) throw new Error(`needs exchange:routingKey (amq.topic:orders.#), got "${raw}"`);
  return { exchange: raw.slice(0, at), routingKey: raw.slice(at + 1) };
}

/**
 * `exchange/routingKey`: the first `/` splits; without one the whole text is a routing key on the
 * default exchange (`/q` is the same). Webview-safe: the composer's channel field is read the same way.
 */
export function splitTarget(raw: string): { exchange: string; routingKey: string } {
  const at = raw.indexOf('/');
  if (at < 0) return { exchange: '', routingKey: raw };
  return { exchange: raw.slice(0, at), routingKey: raw.slice(at + 1) };
}

/** `--publish 'exchange/routingKey=payload'`: the first `=` ends the target (a payload may contain more). */
function publishArg(raw: string): { exchange: string; routingKey: string; payload: string } {
  const eq = raw.indexOf('=');
  if (eq < 0 || raw.slice(0, eq).indexOf('/') < 0) throw new Error(`needs exchange/routingKey=payload (amq.topic/orders.new={"id":1}, or /queue=text for the default exchange), got "${raw}"`);
  return { ...splitTarget(raw.slice(0, eq)), payload: raw.slice(eq + 1) };
}

/** `--property k=v`: one message header. */
function propertyArg(raw: string): Record<string, string> {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new Error(`needs name=value, got "${raw}"`);
  return { [raw.slice(0, eq).trim()]: raw.slice(eq + 1) };
}

export const amqpPattern = definePattern({
  id: 'amqp',
  label: 'AMQP 0-9-1 (RabbitMQ)',
  icon: 'inbox',
  schemes: ['amqp', 'amqps'],
  infers: ['amqp', 'amqps'],
  exampleUrl: 'amqp://guest@127.0.0.1:5672/',
  capabilities: { send: true, ping: false, halfClose: false, channel: 'topic', requestReply: true, channelLabel: 'Exchange/routing key', publishOptions: false, settle: true },
  optionsKey: 'amqp',
  options: Type.Object(
    {
      bind: Type.Optional(Type.Array(Bind, { description: 'Watch: bind a private queue (exclusive, auto-delete, named by the broker) to these exchanges with these keys. It takes nothing from anyone: each bound message is copied to it. Re-declared and re-bound after every reconnect.' })),
      queue: Type.Optional(Type.String({ description: "Consume this existing queue instead (DESTRUCTIVE: its messages are shared with the queue's other consumers and, acknowledged, leave the queue; the session says so)." })),
      ack: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('manual'), Type.Literal('none')], { description: 'With queue: auto acknowledges each message once shown; manual (the default) leaves them unacknowledged until you ack, nack or requeue them from the composer (unsettled ones go back to the queue when the session ends, marked redelivered); none consumes without acknowledgements (the broker forgets each message as it sends it).' })),
      prefetch: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'Most unacknowledged messages the broker sends ahead (basic.qos; default 100 with ack auto or manual; 0 = no limit).' })),
      publish: Type.Optional(Type.Array(Publish, { description: 'Messages to publish once connected, with the properties below. Unroutable ones come back (mandatory flag) and are shown as returned.' })),
      publishTo: Type.Optional(Type.String({ description: "exchange/routingKey for messages sent without one (the CLI's --send, the inspector's send box)." })),
      contentType: Type.Optional(Type.String({ description: 'content_type property of published messages and requests.' })),
      messageId: Type.Optional(Type.String({ description: 'message_id property of published messages (with several, each gets -1, -2...).' })),
      correlationId: Type.Optional(Type.String({ description: 'correlation_id property of published messages.' })),
      replyTo: Type.Optional(Type.String({ description: 'reply_to property of published messages (requests use the private queue).' })),
      expiration: Type.Optional(Type.String({ description: 'expiration property (per-message TTL in ms, as text) of published messages.' })),
      persistent: Type.Optional(Type.Boolean({ description: 'Publish with delivery_mode 2 (persistent).' })),
      headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Headers (application properties) of published messages and requests.' })),
      requestTo: Type.Optional(Type.String({ description: 'Request/reply: publish requests to this exchange/routingKey with reply_to = the private queue and a unique correlation_id, and match each reply (round-trip time, or a timeout per request). The session ends once every request is answered or timed out.' })),
      requestPayload: Type.Optional(Type.String({ description: 'Body of each request (default {"request":N}).' })),
      requests: Type.Optional(Type.Integer({ minimum: 1, description: 'How many requests to send (default 1).' })),
      requestIntervalMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Time between requests (default 1000).' })),
      requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'How long each request waits for its reply (default 5000).' })),
      username: Type.Optional(Type.String({ description: "User name (default guest); also taken from the URL's user info (amqp://user:pass@host), which is removed from every logged URL." })),
      password: Type.Optional(Type.String({ description: 'Password. Use ${secret:NAME}: never a literal password in a shared file.' })),
      vhost: Type.Optional(Type.String({ description: 'Virtual host (default: the URL path, amqp://host/%2F is "/", the default).' })),
      heartbeatSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: "Heartbeat interval offered to the broker (default 30; 0 = off): a broker silent for two intervals is dropped and reconnected." })),
      maxMessageBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest message body accepted (default 67108864, 64 MiB); a larger one is a protocol error, so a broken or hostile server cannot use up memory.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'bind', key: 'bind', value: 'exchange:routingKey', parse: bindArg },
    { flag: 'queue', key: 'queue', value: 'name' },
    { flag: 'ack', key: 'ack', value: 'auto|manual|none' },
    { flag: 'prefetch', key: 'prefetch', value: 'n' },
    { flag: 'publish', key: 'publish', value: 'exchange/routingKey=payload', parse: publishArg },
    { flag: 'publish-to', key: 'publishTo', value: 'exchange/routingKey' },
    { flag: 'content-type', key: 'contentType', value: 'type' },
    { flag: 'message-id', key: 'messageId', value: 'id' },
    { flag: 'correlation-id', key: 'correlationId', value: 'id' },
    { flag: 'reply-to', key: 'replyTo', value: 'queue' },
    { flag: 'expiration', key: 'expiration', value: 'ms' },
    { flag: 'persistent', key: 'persistent' },
    { flag: 'property', key: 'headers', value: 'name=value', parse: propertyArg, merge: true },
    { flag: 'request-to', key: 'requestTo', value: 'exchange/routingKey' },
    { flag: 'request-payload', key: 'requestPayload', value: 'text' },
    { flag: 'requests', key: 'requests', value: 'n' },
    { flag: 'request-interval', key: 'requestIntervalMs', value: 'ms' },
    { flag: 'request-timeout', key: 'requestTimeoutMs', value: 'ms' },
    { flag: 'vhost', key: 'vhost', value: 'name' },
    { flag: 'heartbeat', key: 'heartbeatSec', value: 'seconds' },
  ],
});
