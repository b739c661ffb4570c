/**
 * MQTT 5 clients in front of aedes, which speaks MQTT 3.1.1 only. Demo-only, and built on public APIs:
 * `mqtt-packet`'s parser and generate, aedes' `handle(stream)`, `publish()` and `authorizeForward` hook.
 *
 * Every accepted connection is sniffed: its CONNECT is parsed, and a 3.1.1 (or 3.1) client is handed to
 * aedes untouched. An MQTT 5 client gets a bridge: its packets reach aedes re-encoded as 3.1.1 through an
 * in-memory stream, and what aedes writes back is re-encoded as MQTT 5 (CONNACK return codes become reason
 * codes, UNSUBACK gains its reason codes). Properties cannot travel through 3.1.1 bytes, so:
 * - a PUBLISH with properties from an MQTT 5 client goes to `broker.publish()` (aedes keeps a packet's
 *   properties when it routes it), and the bridge answers its PUBACK, or PUBREC then PUBCOMP, itself;
 * - a PUBLISH that aedes forwards to an MQTT 5 client passes `authorizeForward` first: the bridge notes its
 *   properties there and puts them back on the matching PUBLISH (same topic and payload) it then writes.
 * What aedes itself does not implement stays unimplemented for such clients: no topic aliases, no
 * subscription identifiers, no session expiry, no reason strings, no enhanced authentication.
 */
import { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';

/** 3.1.1 CONNACK return code -> MQTT 5 reason code (sections 3.2.2.3 of both specs). */
const CONNACK_V5: Record<number, number> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87, 6: 0x8d };
/** Forwarded PUBLISHes whose properties wait for their bytes; bounded in case a write never happens. */
const MAX_PENDING = 1024;
/** Bytes of a first packet read before deciding; a CONNECT is far smaller. */
const MAX_SNIFF_BYTES = 256 * 1024;

type AnyPacket = Record<string, unknown> & { cmd: string };

/** What the bridge needs from aedes. */
export interface BridgeBroker {
  handle(stream: Duplex): unknown;
  publish(packet: never, done: (err?: Error | null) => void): void;
}

/** Connections bridged for MQTT 5, by the stream aedes sees (its `client.conn`). */
const bridges = new WeakMap<object, Mqtt5Bridge>();

/**
 * aedes `authorizeForward` hook: remembers the properties of each PUBLISH forwarded to a bridged client,
 * and forwards everything (it authorizes nothing away).
 */
export function noteForward<P>(client: { conn?: unknown } | null | undefined, packet: P): P {
  const conn = client?.conn;
  if (conn && typeof conn === 'object') bridges.get(conn)?.expect(packet as unknown as AnyPacket);
  return packet;
}

/** Hand `socket` to aedes, bridging it first if its CONNECT is MQTT 5. */
export function acceptConnection(broker: BridgeBroker, socket: Duplex): void {
  const parser = mqttPacket.parser();
  const seen: Buffer[] = [];
  let size = 0;
  let decided = false;
  const decide = (packet: AnyPacket | undefined, err?: Error) => {
    if (decided) return;
    decided = true;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onEnd);
    parser.removeAllListeners();
    if (err) {
      socket.destroy();
      return;
    }
    socket.pause();
    const bytes = Buffer.concat(seen, size);
    if (packet && packet.cmd === 'connect' && packet.protocolVersion === 5) {
      new Mqtt5Bridge(broker, socket, bytes);
      return;
    }
    // Not MQTT 5 (or not a CONNECT, which aedes refuses with its own words): aedes reads it from the start.
    socket.unshift(bytes);
    broker.handle(socket);
  };
  const onData = (chunk: Buffer) => {
    seen.push(chunk);
    size += chunk.length;
    parser.parse(chunk);
    if (!decided && size > MAX_SNIFF_BYTES) decide(undefined, new Error('no CONNECT'));
  };
  const onEnd = () => decide(undefined, new Error('closed'));
  parser.once('packet', (p) => decide(p as unknown as AnyPacket));
  parser.once('error', (e: Error) => decide(undefined, e));
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('error', onEnd);
}

class Mqtt5Bridge {
  /** The 3.1.1 side that aedes reads and writes. */
  private readonly inner: Duplex;
  private readonly fromClient = mqttPacket.parser({ protocolVersion: 5 });
  private readonly fromBroker = mqttPacket.parser({ protocolVersion: 4 });
  private readonly pending: Array<{ topic: string; payload: Buffer; properties: Record<string, unknown> | undefined }> = [];
  /** QoS 2 message ids the bridge answered itself (their PUBREL must not reach aedes). */
  private readonly ownQos2 = new Set<number>();
  /** UNSUBSCRIBE message id -> number of filters, for the UNSUBACK's reason codes. */
  private readonly unsubscribes = new Map<number, number>();
  private closed = false;
  /** The client sent DISCONNECT: nothing more goes to it, and the connection ends (MQTT 5 section 3.14.4). */
  private clientLeft = false;

  constructor(
    private readonly broker: BridgeBroker,
    private readonly socket: Duplex,
    first: Buffer,
  ) {
    const toClient = (chunk: Buffer, done: (err?: Error | null) => void) => {
      this.fromBroker.parse(chunk);
      done();
    };
    this.inner = new Duplex({
      read: () => socket.resume(),
      write: (chunk: Buffer, _enc, done) => toClient(chunk, done),
      final: (done) => {
        socket.end();
        done();
      },
      destroy: (err, done) => {
        this.close();
        done(err);
      },
    });
    bridges.set(this.inner, this);
    this.fromClient.on('packet', (p) => this.onClientPacket(p as unknown as AnyPacket));
    this.fromClient.on('error', () => this.close());
    this.fromBroker.on('packet', (p) => this.onBrokerPacket(p as unknown as AnyPacket));
    this.fromBroker.on('error', () => this.close());
    socket.on('data', (chunk: Buffer) => this.fromClient.parse(chunk));
    socket.once('end', () => this.inner.push(null));
    socket.once('close', () => this.close());
    socket.on('error', () => this.close());
    broker.handle(this.inner);
    this.fromClient.parse(first);
    socket.resume();
  }

  /** authorizeForward saw a PUBLISH for this client: keep its properties for the bytes that follow. */
  expect(packet: AnyPacket): void {
    const payload = toBuffer(packet.payload);
    this.pending.push({ topic: String(packet.topic), payload, properties: packet.properties as Record<string, unknown> | undefined });
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  private toBroker(packet: AnyPacket): void {
    if (this.closed) return;
    this.inner.push(mqttPacket.generate(packet as never, { protocolVersion: 4 }));
  }

  private toClient(packet: AnyPacket): void {
    if (this.closed || this.clientLeft) return;
    this.socket.write(mqttPacket.generate(packet as never, { protocolVersion: 5 }));
  }

  private onClientPacket(p: AnyPacket): void {
    switch (p.cmd) {
      case 'connect': {
        const { properties: _props, ...rest } = p;
        const will = p.will as AnyPacket | undefined;
        const v4: AnyPacket = { ...rest, protocolId: 'MQTT', protocolVersion: 4 };
        if (will) {
          const { properties: _willProps, ...w } = will;
          v4.will = w;
        }
        return this.toBroker(v4);
      }
      case 'publish': {
        const props = p.properties as Record<string, unknown> | undefined;
        if (!props || Object.keys(props).length === 0) return this.toBroker(stripProperties(p));
        // Properties survive only in aedes' packet objects: publish through its API and acknowledge here.
        const packet = { cmd: 'publish', topic: p.topic, payload: toBuffer(p.payload), qos: p.qos ?? 0, retain: !!p.retain, dup: false, properties: props };
        this.broker.publish(packet as never, () => undefined);
        const messageId = p.messageId as number | undefined;
        if (p.qos === 1 && messageId !== undefined) this.toClient({ cmd: 'puback', messageId, reasonCode: 0 });
        if (p.qos === 2 && messageId !== undefined) {
          this.ownQos2.add(messageId);
          this.toClient({ cmd: 'pubrec', messageId, reasonCode: 0 });
        }
        return;
      }
      case 'pubrel': {
        const messageId = p.messageId as number;
        if (this.ownQos2.delete(messageId)) return this.toClient({ cmd: 'pubcomp', messageId, reasonCode: 0 });
        return this.toBroker(stripProperties(p));
      }
      case 'subscribe': {
        const subscriptions = ((p.subscriptions as AnyPacket[]) ?? []).map((s) => ({ topic: s.topic, qos: s.qos }));
        return this.toBroker({ cmd: 'subscribe', messageId: p.messageId, subscriptions });
      }
      case 'unsubscribe':
        this.unsubscribes.set(p.messageId as number, ((p.unsubscriptions as unknown[]) ?? []).length);
        return this.toBroker(stripProperties(p));
      case 'auth':
        // Enhanced authentication is not something aedes does.
        return this.close();
      case 'disconnect':
        // The client is leaving: aedes hears it (no will), and what aedes still has queued for it is not sent.
        this.clientLeft = true;
        this.toBroker(stripProperties(p));
        this.socket.end();
        return;
      default:
        return this.toBroker(stripProperties(p));
    }
  }

  private onBrokerPacket(p: AnyPacket): void {
    switch (p.cmd) {
      case 'connack':
        return this.toClient({ cmd: 'connack', sessionPresent: !!p.sessionPresent, reasonCode: CONNACK_V5[(p.returnCode as number) ?? 0] ?? 0x80 });
      case 'publish': {
        const out: AnyPacket = { ...p };
        const props = this.takeProperties(String(p.topic), toBuffer(p.payload));
        if (props) {
          // Aliases and subscription ids belong to the publisher's connection, not to this one.
          const { topicAlias: _alias, subscriptionIdentifier: _subId, ...rest } = props;
          if (Object.keys(rest).length > 0) out.properties = rest;
        }
        return this.toClient(out);
      }
      case 'unsuback': {
        const count = this.unsubscribes.get(p.messageId as number) ?? 1;
        this.unsubscribes.delete(p.messageId as number);
        return this.toClient({ cmd: 'unsuback', messageId: p.messageId, granted: new Array<number>(count).fill(0) });
      }
      default:
        return this.toClient(p);
    }
  }

  private takeProperties(topic: string, payload: Buffer): Record<string, unknown> | undefined {
    const i = this.pending.findIndex((e) => e.topic === topic && e.payload.equals(payload));
    if (i < 0) return undefined;
    const [entry] = this.pending.splice(i, 1);
    return entry.properties;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.socket.destroy();
    this.inner.destroy();
  }
}

function stripProperties(p: AnyPacket): AnyPacket {
  const { properties: _props, reasonCode: _code, ...rest } = p;
  return rest as AnyPacket;
}

function toBuffer(payload: unknown): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(payload === undefined || payload === null ? '' : String(payload), 'utf8');
}
