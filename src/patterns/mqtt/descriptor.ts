import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

const Qos = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { description: 'Quality of service: 0 at most once, 1 at least once, 2 exactly once.' });

const MqttMessage = Type.Object({
  topic: Type.String({ description: 'Topic to publish to.' }),
  payload: Type.String({ description: 'Payload.' }),
  encoding: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('hex'), Type.Literal('base64')], { default: 'text', description: 'Encoding of `payload`.' })),
  qos: Type.Optional(Qos),
  retain: Type.Optional(Type.Boolean({ description: 'Retain the message.' })),
  properties: Type.Optional(
    Type.Object(
      {
        userProperties: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]), { description: 'MQTT 5 user properties.' })),
        contentType: Type.Optional(Type.String({ description: 'MQTT 5 content type.' })),
        messageExpiryInterval: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds the broker keeps the message for subscribers.' })),
        responseTopic: Type.Optional(Type.String({ description: 'MQTT 5 response topic.' })),
        correlationData: Type.Optional(Type.String({ description: 'Correlation data as text.' })),
      },
      { description: 'MQTT 5 properties.', additionalProperties: false },
    ),
  ),
}, { additionalProperties: false });

export const mqttPattern = definePattern({
  id: 'mqtt',
  label: 'MQTT publish/subscribe',
  icon: 'broadcast',
  schemes: ['mqtt', 'mqtts', 'ws', 'wss', 'tcp', 'ssl'],
  infers: ['mqtt', 'mqtts'],
  exampleUrl: 'mqtt://127.0.0.1:1883',
  capabilities: { send: true, ping: true, halfClose: false, channel: 'topic', requestReply: true },
  optionsKey: 'mqtt',
  options: Type.Object(
    {
      protocolVersion: Type.Optional(Type.Union([Type.Literal(4), Type.Literal(5)], { description: '4 is MQTT 3.1.1, 5 is MQTT 5 (default).' })),
      clientId: Type.Optional(Type.String({ description: 'Client identifier (default wirescope-<8 hex>).' })),
      clean: Type.Optional(Type.Boolean({ description: 'Clean session (3.1.1) / clean start (5); default true.' })),
      keepaliveSec: Type.Optional(Type.Integer({ minimum: 0, description: 'Keepalive in seconds (default 60); a broker that stops answering PINGREQ is dropped and reconnected.' })),
      username: Type.Optional(Type.String({ description: "User name; also taken from the URL's user info, which is then removed from every logged URL." })),
      password: Type.Optional(Type.String({ description: 'Use ${secret:NAME}: never a literal password in a shared file.' })),
      will: Type.Optional({ ...MqttMessage, description: 'Last will: published by the broker when the connection is lost without a DISCONNECT.' }),
      subscribe: Type.Optional(
        Type.Array(Type.Object({ topic: Type.String({ description: 'Topic filter; wildcards + and # allowed.' }), qos: Type.Optional(Qos) }, { additionalProperties: false }), { description: 'Subscriptions made once connected.' }),
      ),
      publish: Type.Optional(Type.Array(MqttMessage, { description: 'Published once connected.' })),
      publishTopic: Type.Optional(Type.String({ description: "Topic for messages sent without one (the CLI's --send, the inspector's send box)." })),
      sessionExpirySec: Type.Optional(Type.Integer({ minimum: 0, description: 'MQTT 5 session expiry; with clean: false it defaults to 3600 so that the session can resume.' })),
      request: Type.Optional(
        Type.Object(
          {
            topic: Type.String({ description: 'Topic the requests go to.' }),
            responseTopic: Type.Optional(Type.String({ description: 'Topic the answers come back on (default: one made from the client id).' })),
            payload: Type.Optional(Type.String({ description: 'Payload of each request.' })),
            timeoutMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Per-request timeout.' })),
            count: Type.Optional(Type.Integer({ minimum: 0, description: 'How many requests.' })),
            intervalMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Time between requests.' })),
            qos: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { description: 'QoS of the requests and of the response subscription (default 1).' })),
            keepOpen: Type.Optional(Type.Boolean({ description: 'Keep the session open once every request is answered or timed out (default: end it).' })),
          },
          { description: 'MQTT 5 request/response: requests with a response topic and correlation data, answers matched to them.', additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
});
