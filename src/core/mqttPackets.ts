/**
 * MQTT packets as log material: reason codes in words, and packet fields as JSON-safe `meta`.
 * Pure functions over mqtt-packet's packet objects, so that the transport stays about connection flow.
 */
import { isUtf8 } from 'node:buffer';
import type { MqttPublish } from '../shared/connectOptions';

/** MQTT 3.1.1 CONNACK return codes (section 3.2.2.3). */
const CONNACK_V4: Record<number, string> = {
  0: 'Connection accepted',
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad user name or password',
  5: 'Not authorized',
};

/** MQTT 5 reason codes (section 2.4); 0 reads differently per packet, see reasonText(). */
const REASON_V5: Record<number, string> = {
  0x00: 'Success',
  0x01: 'Granted QoS 1',
  0x02: 'Granted QoS 2',
  0x04: 'Disconnect with Will Message',
  0x10: 'No matching subscribers',
  0x11: 'No subscription existed',
  0x18: 'Continue authentication',
  0x19: 'Re-authenticate',
  0x80: 'Unspecified error',
  0x81: 'Malformed Packet',
  0x82: 'Protocol Error',
  0x83: 'Implementation specific error',
  0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid',
  0x86: 'Bad User Name or Password',
  0x87: 'Not authorized',
  0x88: 'Server unavailable',
  0x89: 'Server busy',
  0x8a: 'Banned',
  0x8b: 'Server shutting down',
  0x8c: 'Bad authentication method',
  0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over',
  0x8f: 'Topic Filter invalid',
  0x90: 'Topic Name invalid',
  0x91: 'Packet Identifier in use',
  0x92: 'Packet Identifier not found',
  0x93: 'Receive Maximum exceeded',
  0x94: 'Topic Alias invalid',
  0x95: 'Packet too large',
  0x96: 'Message rate too high',
  0x97: 'Quota exceeded',
  0x98: 'Administrative action',
  0x99: 'Payload format invalid',
  0x9a: 'Retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'Use another server',
  0x9d: 'Server moved',
  0x9e: 'Shared Subscriptions not supported',
  0x9f: 'Connection rate exceeded',
  0xa0: 'Maximum connect time',
  0xa1: 'Subscription Identifiers not supported',
  0xa2: 'Wildcard Subscriptions not supported',
};

/** A reason or return code in words, for the packet it came in. */
export function reasonText(cmd: string, code: number, protocolVersion: number): string {
  if (cmd === 'connack' && protocolVersion !== 5) return CONNACK_V4[code] ?? `Unknown return code ${code}`;
  if (code === 0) {
    if (cmd === 'disconnect') return 'Normal disconnection';
    if (cmd === 'suback') return 'Granted QoS 0';
  }
  if (cmd === 'suback' && protocolVersion !== 5) {
    // 3.1.1 SUBACK: 0-2 granted QoS, 0x80 failure.
    return code === 0x80 ? 'Failure' : (REASON_V5[code] ?? `Unknown code ${code}`);
  }
  return REASON_V5[code] ?? `Unknown reason code ${code}`;
}

/** True when a CONNACK code means the broker refused the connection. */
export function isRefusal(code: number | undefined): boolean {
  return code !== undefined && code > 0;
}

/** Text when the bytes are valid UTF-8, else base64: JSON-safe either way. */
export function bytesAsText(b: Buffer | Uint8Array | string): { text: string; encoding: 'utf8' | 'base64' } {
  if (typeof b === 'string') return { text: b, encoding: 'utf8' };
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return isUtf8(buf) ? { text: buf.toString('utf8'), encoding: 'utf8' } : { text: buf.toString('base64'), encoding: 'base64' };
}

/**
 * MQTT 5 properties as plain JSON: Buffers (correlation data, authentication data) become text,
 * or base64 with a `<name>Encoding: 'base64'` marker beside them.
 */
export function jsonSafeProperties(props: object | undefined): Record<string, unknown> | undefined {
  if (!props) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
      const { text, encoding } = bytesAsText(v);
      out[k] = text;
      if (encoding === 'base64') out[`${k}Encoding`] = 'base64';
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      // mqtt-packet builds user properties on null-prototype objects; give consumers plain ones.
      out[k] = { ...(v as Record<string, unknown>) };
    } else {
      out[k] = v;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The correlation data of a packet as the text used to match responses. */
export function correlationKey(props: { correlationData?: Buffer | Uint8Array | string } | undefined): string | undefined {
  const c = props?.correlationData;
  if (c === undefined) return undefined;
  return bytesAsText(c).text;
}

/** A publish payload from its text form. */
export function payloadBytes(p: Pick<MqttPublish, 'payload' | 'encoding'>): Buffer {
  switch (p.encoding) {
    case 'hex':
      return Buffer.from(p.payload, 'hex');
    case 'base64':
      return Buffer.from(p.payload, 'base64');
    default:
      return Buffer.from(p.payload ?? '', 'utf8');
  }
}

/** MQTT 5 publish properties from the option shape (correlation data as text). */
export function publishProperties(p: MqttPublish['properties']): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const out: Record<string, unknown> = {};
  if (p.userProperties && Object.keys(p.userProperties).length > 0) out.userProperties = p.userProperties;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = Buffer.from(p.correlationData, 'utf8');
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Loose view of any mqtt-packet packet: only the fields the log reads. */
export interface AnyPacket {
  cmd: string;
  messageId?: number;
  [field: string]: unknown;
}

/**
 * `meta` for a control packet (everything but PUBLISH). Never includes a password: CONNECT shows
 * only whether one was set. `subscribedTopics` gives SUBACK's granted codes their topics.
 */
export function controlMeta(packet: AnyPacket, protocolVersion: number, subscribedTopics?: string[]): Record<string, unknown> {
  const meta: Record<string, unknown> = { packet: packet.cmd };
  if (packet.messageId !== undefined) meta.messageId = packet.messageId;
  const props = jsonSafeProperties(packet.properties as object | undefined);
  switch (packet.cmd) {
    case 'connect': {
      meta.protocolVersion = packet.protocolVersion;
      meta.clientId = packet.clientId;
      meta.clean = packet.clean;
      meta.keepalive = packet.keepalive;
      if (packet.username !== undefined) meta.username = packet.username;
      if (packet.password !== undefined) meta.passwordSet = true;
      const will = packet.will as { topic: string; qos?: number; retain?: boolean; payload?: Buffer | string } | undefined;
      if (will) {
        meta.will = { topic: will.topic, qos: will.qos ?? 0, retain: !!will.retain, size: will.payload ? Buffer.byteLength(will.payload) : 0 };
      }
      break;
    }
    case 'connack': {
      const code = (protocolVersion === 5 ? packet.reasonCode : packet.returnCode) as number | undefined;
      meta.sessionPresent = !!packet.sessionPresent;
      meta.reasonCode = code ?? 0;
      meta.reason = reasonText('connack', code ?? 0, protocolVersion);
      break;
    }
    case 'subscribe': {
      const subs = (packet.subscriptions as Array<{ topic: string; qos: number; nl?: boolean; rap?: boolean; rh?: number }>) ?? [];
      meta.subscriptions = subs.map((s) => {
        const o: Record<string, unknown> = { topic: s.topic, qos: s.qos };
        if (protocolVersion === 5) {
          if (s.nl) o.noLocal = true;
          if (s.rap) o.retainAsPublished = true;
          if (s.rh) o.retainHandling = s.rh;
        }
        return o;
      });
      break;
    }
    case 'suback': {
      const granted = (packet.granted as number[]) ?? [];
      meta.granted = granted.map((code, i) => {
        const g: Record<string, unknown> = { topic: subscribedTopics?.[i], reasonCode: code, reason: reasonText('suback', code, protocolVersion) };
        if (code <= 2) g.qos = code;
        return g;
      });
      break;
    }
    case 'unsubscribe':
      meta.topics = packet.unsubscriptions;
      break;
    case 'unsuback':
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'disconnect':
    case 'auth': {
      const code = packet.reasonCode as number | undefined;
      if (code !== undefined) {
        meta.reasonCode = code;
        meta.reason = reasonText(packet.cmd, code, protocolVersion);
      }
      if (packet.cmd === 'unsuback' && Array.isArray(packet.granted)) meta.reasonCodes = packet.granted;
      break;
    }
    default:
      break;
  }
  if (props) meta.properties = props;
  return meta;
}

/** `meta` for a PUBLISH packet (the topic goes in the frame's `channel`). */
export function publishMeta(packet: AnyPacket): Record<string, unknown> {
  const qos = (packet.qos as number | undefined) ?? 0;
  const meta: Record<string, unknown> = { packet: 'publish', qos, retain: !!packet.retain };
  if (qos > 0 && packet.messageId !== undefined) meta.messageId = packet.messageId;
  if (packet.dup) meta.dup = true;
  const props = jsonSafeProperties(packet.properties as object | undefined);
  if (props) meta.properties = props;
  return meta;
}

/** Why a subscription topic filter is invalid (MQTT 4.7.1), or undefined when it is fine. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'an empty topic filter';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return `"${filter}": # must be a whole last level`;
    if (level.includes('+') && level !== '+') return `"${filter}": + must be a whole level`;
  }
  return undefined;
}

/** Why a topic name to publish to is invalid, or undefined when it is fine. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'an empty topic';
  if (/[+#]/.test(topic)) return `"${topic}": wildcards are for subscriptions, not for publishing`;
  return undefined;
}
