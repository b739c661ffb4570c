/**
 * AMQP 0-9-1, both directions, for Wirescope's AMQP pattern: an incremental frame reader that assembles
 * deliveries (method + content header + body frames), the field-table codec, and encoders of the
 * methods a client sends. No connection handling: the transport sees every method as it arrives and owns
 * the connection, so channel closes, consumer cancels and connection.blocked are shown, not hidden.
 *
 * Only the methods Wirescope uses are decoded; any other method is returned by its class and method ids.
 * Memory is bounded against a hostile server: a frame larger than the negotiated frame size (before
 * Connection.Tune: `maxFrameBytes`, 1 MiB) or a message body over `maxMessageBytes` (64 MiB) is a protocol
 * error, and bytes that do not start an AMQP frame are an error quoting them (an HTTP server answers
 * "HTTP/1.1 400 ...", an AMQP 1.0 broker "AMQP\x00\x01\x00\x00").
 */
import { quoteBytes } from '../../core/resp';

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

const FRAME_METHOD = 1;
const FRAME_HEADER = 2;
const FRAME_BODY = 3;
const FRAME_HEARTBEAT = 8;
const FRAME_END = 0xce;

export class AmqpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmqpProtocolError';
  }
}

/** A field-table value as Wirescope reads it (64-bit integers as numbers when safe, else strings). */
export type FieldValue = string | number | boolean | null | Buffer | FieldValue[] | { [k: string]: FieldValue };
export type FieldTable = { [k: string]: FieldValue };

/** Basic content properties, in their field order. */
export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

export type AmqpMethod =
  | { name: 'connection.start'; versionMajor: number; versionMinor: number; serverProperties: FieldTable; mechanisms: string; locales: string }
  | { name: 'connection.tune'; channelMax: number; frameMax: number; heartbeat: number }
  | { name: 'connection.open-ok' }
  | { name: 'connection.close'; replyCode: number; replyText: string; classId: number; methodId: number }
  | { name: 'connection.close-ok' }
  | { name: 'connection.blocked'; reason: string }
  | { name: 'connection.unblocked' }
  | { name: 'channel.open-ok' }
  | { name: 'channel.flow'; active: boolean }
  | { name: 'channel.close'; replyCode: number; replyText: string; classId: number; methodId: number }
  | { name: 'channel.close-ok' }
  | { name: 'queue.declare-ok'; queue: string; messageCount: number; consumerCount: number }
  | { name: 'queue.bind-ok' }
  | { name: 'basic.qos-ok' }
  | { name: 'basic.consume-ok'; consumerTag: string }
  | { name: 'basic.cancel'; consumerTag: string }
  | { name: 'basic.cancel-ok'; consumerTag: string }
  | { name: 'basic.ack'; deliveryTag: number; multiple: boolean }
  | { name: 'basic.nack'; deliveryTag: number; multiple: boolean; requeue: boolean }
  | { name: 'confirm.select-ok' }
  | { name: 'other'; classId: number; methodId: number };

/** A whole message: Basic.Deliver or Basic.Return with its properties and body. */
export interface AmqpContent {
  kind: 'deliver' | 'return';
  consumerTag?: string;
  deliveryTag?: number;
  redelivered?: boolean;
  replyCode?: number;
  replyText?: string;
  exchange: string;
  routingKey: string;
  properties: BasicProperties;
  body: Buffer;
}

export type AmqpEvent = { type: 'method'; channel: number; method: AmqpMethod } | { type: 'content'; channel: number; content: AmqpContent } | { type: 'heartbeat' };

/** The reply codes of AMQP 0-9-1, in words (what a channel or connection close says). */
export const REPLY_CODES: Record<number, string> = {
  200: 'REPLY_SUCCESS',
  311: 'CONTENT_TOO_LARGE',
  312: 'NO_ROUTE',
  313: 'NO_CONSUMERS',
  320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED',
  404: 'NOT_FOUND',
  405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR',
  502: 'SYNTAX_ERROR',
  503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR',
  505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR',
  530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED',
  541: 'INTERNAL_ERROR',
};

/** "404 NOT_FOUND - no exchange 'x' in vhost '/'" (RabbitMQ's text already starts with the code's name). */
export function describeClose(code: number, text: string): string {
  const name = REPLY_CODES[code];
  if (!text) return name ? `${code} ${name}` : String(code);
  return name && !text.startsWith(name) ? `${code} ${name} - ${text}` : `${code} ${text}`;
}

// ---------- reading ----------

class Reader {
  pos: number;
  private bitByte = 0;
  private bitPos = 8;
  constructor(
    readonly b: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  need(n: number): void {
    if (this.pos + n > this.end) throw new AmqpProtocolError('malformed stream: a method frame ends in the middle of its fields');
  }
  private resetBits(): void {
    this.bitPos = 8;
  }
  octet(): number {
    this.resetBits();
    this.need(1);
    return this.b[this.pos++];
  }
  short(): number {
    this.resetBits();
    this.need(2);
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  long(): number {
    this.resetBits();
    this.need(4);
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  longlong(): number {
    this.resetBits();
    this.need(8);
    const v = this.b.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.MAX_SAFE_INTEGER;
  }
  bit(): boolean {
    if (this.bitPos > 7) {
      this.need(1);
      this.bitByte = this.b[this.pos++];
      this.bitPos = 0;
    }
    return ((this.bitByte >> this.bitPos++) & 1) === 1;
  }
  shortstr(): string {
    const n = this.octet();
    this.need(n);
    const s = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  longstrBytes(): Buffer {
    const n = this.long();
    this.need(n);
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  longstr(): string {
    return this.longstrBytes().toString('utf8');
  }
  table(depth = 0): FieldTable {
    const bytes = this.longstrBytes();
    return readTable(bytes, depth);
  }
}

function readTable(b: Buffer, depth: number): FieldTable {
  if (depth > 16) throw new AmqpProtocolError('malformed stream: field tables nested more than 16 deep');
  const r = new Reader(b, 0, b.length);
  const out: FieldTable = {};
  while (r.pos < b.length) {
    const k = r.shortstr();
    out[k] = readValue(r, depth);
  }
  return out;
}

function readValue(r: Reader, depth: number): FieldValue {
  const t = String.fromCharCode(r.octet());
  const b = r.b;
  const take = (n: number): number => {
    if (r.pos + n > r.end) throw new AmqpProtocolError('malformed stream: a field table ends in the middle of a value');
    const at = r.pos;
    r.pos += n;
    return at;
  };
  switch (t) {
    case 't':
      return b[take(1)] !== 0;
    case 'b':
      return b.readInt8(take(1));
    case 'B':
      return b.readUInt8(take(1));
    case 's':
      return b.readInt16BE(take(2));
    case 'u':
      return b.readUInt16BE(take(2));
    case 'I':
      return b.readInt32BE(take(4));
    case 'i':
      return b.readUInt32BE(take(4));
    case 'l':
    case 'L': {
      const v = t === 'l' ? b.readBigInt64BE(take(8)) : b.readBigUInt64BE(take(8));
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
    }
    case 'f':
      return b.readFloatBE(take(4));
    case 'd':
      return b.readDoubleBE(take(8));
    case 'D': {
      const scale = b[take(1)];
      const v = b.readInt32BE(take(4));
      return v / 10 ** scale;
    }
    case 'S':
      return r.longstr();
    case 'x':
      return Buffer.from(r.longstrBytes());
    case 'A': {
      const bytes = r.longstrBytes();
      if (depth > 16) throw new AmqpProtocolError('malformed stream: field arrays nested more than 16 deep');
      const rr = new Reader(bytes, 0, bytes.length);
      const arr: FieldValue[] = [];
      while (rr.pos < bytes.length) arr.push(readValue(rr, depth + 1));
      return arr;
    }
    case 'T': {
      const v = b.readBigUInt64BE(take(8));
      return Number(v);
    }
    case 'F':
      return r.table(depth + 1);
    case 'V':
      return null;
    default:
      throw new AmqpProtocolError(`malformed stream: unknown field type "${quoteBytes(Buffer.from(t, 'latin1'))}" in a field table`);
  }
}

function readMethod(r: Reader): AmqpMethod {
  const classId = r.short();
  const methodId = r.short();
  const key = classId * 1000 + methodId;
  switch (key) {
    case 10010: {
      const versionMajor = r.octet();
      const versionMinor = r.octet();
      const serverProperties = r.table();
      return { name: 'connection.start', versionMajor, versionMinor, serverProperties, mechanisms: r.longstr(), locales: r.longstr() };
    }
    case 10030:
      return { name: 'connection.tune', channelMax: r.short(), frameMax: r.long(), heartbeat: r.short() };
    case 10041:
      return { name: 'connection.open-ok' };
    case 10050:
    case 20040: {
      const replyCode = r.short();
      const replyText = r.shortstr();
      const c = r.short();
      const m = r.short();
      return { name: key === 10050 ? 'connection.close' : 'channel.close', replyCode, replyText, classId: c, methodId: m };
    }
    case 10051:
      return { name: 'connection.close-ok' };
    case 10060:
      return { name: 'connection.blocked', reason: r.pos < r.end ? r.shortstr() : '' };
    case 10061:
      return { name: 'connection.unblocked' };
    case 20011:
      return { name: 'channel.open-ok' };
    case 20020:
      return { name: 'channel.flow', active: r.bit() };
    case 20041:
      return { name: 'channel.close-ok' };
    case 50011:
      return { name: 'queue.declare-ok', queue: r.shortstr(), messageCount: r.long(), consumerCount: r.long() };
    case 50021:
      return { name: 'queue.bind-ok' };
    case 60011:
      return { name: 'basic.qos-ok' };
    case 60021:
      return { name: 'basic.consume-ok', consumerTag: r.shortstr() };
    case 60030:
      return { name: 'basic.cancel', consumerTag: r.shortstr() };
    case 60031:
      return { name: 'basic.cancel-ok', consumerTag: r.shortstr() };
    case 60080:
      return { name: 'basic.ack', deliveryTag: r.longlong(), multiple: r.bit() };
    case 60120: {
      const deliveryTag = r.longlong();
      return { name: 'basic.nack', deliveryTag, multiple: r.bit(), requeue: r.bit() };
    }
    case 85011:
      return { name: 'confirm.select-ok' };
    default:
      return { name: 'other', classId, methodId };
  }
}

function readProperties(r: Reader): BasicProperties {
  const flags = r.short();
  const p: BasicProperties = {};
  const has = (bit: number) => (flags & (1 << bit)) !== 0;
  if (has(15)) p.contentType = r.shortstr();
  if (has(14)) p.contentEncoding = r.shortstr();
  if (has(13)) p.headers = r.table();
  if (has(12)) p.deliveryMode = r.octet();
  if (has(11)) p.priority = r.octet();
  if (has(10)) p.correlationId = r.shortstr();
  if (has(9)) p.replyTo = r.shortstr();
  if (has(8)) p.expiration = r.shortstr();
  if (has(7)) p.messageId = r.shortstr();
  if (has(6)) p.timestamp = r.longlong();
  if (has(5)) p.type = r.shortstr();
  if (has(4)) p.userId = r.shortstr();
  if (has(3)) p.appId = r.shortstr();
  if (has(2)) p.clusterId = r.shortstr();
  return p;
}

export interface AmqpReaderOptions {
  /** Largest message body accepted (default 64 MiB). */
  maxMessageBytes?: number;
  /** Largest frame accepted before Connection.Tune sets it (default 1 MiB). */
  maxFrameBytes?: number;
}

interface Assembling {
  channel: number;
  content: AmqpContent;
  size: number;
  parts: Buffer[];
  got: number;
  headerSeen: boolean;
}

export class AmqpReader {
  private readonly maxMessage: number;
  /** Largest frame payload accepted: the negotiated frame size once tuned. */
  frameMax: number;
  private pending: Buffer | undefined;
  /** Content being assembled, per channel. */
  private readonly assembling = new Map<number, Assembling>();
  /** Frames read so far. */
  frames = 0;

  constructor(opts: AmqpReaderOptions = {}) {
    this.maxMessage = opts.maxMessageBytes ?? 64 * 1024 * 1024;
    this.frameMax = opts.maxFrameBytes ?? 1024 * 1024;
  }

  /** Part of a frame or message has been read and the rest is still due. */
  get midFrame(): boolean {
    return (this.pending?.length ?? 0) > 0 || this.assembling.size > 0;
  }

  get buffered(): number {
    let n = this.pending?.length ?? 0;
    for (const a of this.assembling.values()) n += a.got;
    return n;
  }

  /** Feed bytes; calls `on` for each method, whole message and heartbeat. Throws AmqpProtocolError. */
  push(chunk: Buffer, on: (e: AmqpEvent) => void): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let pos = 0;
    const n = buf.length;
    while (n - pos >= 7) {
      const type = buf[pos];
      if (type !== FRAME_METHOD && type !== FRAME_HEADER && type !== FRAME_BODY && type !== FRAME_HEARTBEAT) {
        if (this.frames === 0) {
          if (buf.subarray(pos, pos + 4).toString('latin1') === 'AMQP') {
            throw new AmqpProtocolError(`not an AMQP 0-9-1 server: it answered with the protocol header ${quoteBytes(buf.subarray(pos, pos + 8))} (a broker that speaks ${buf[pos + 4] === 0 && buf[pos + 5] === 1 ? 'AMQP 1.0' : 'another AMQP version'})`);
          }
          // A TLS record (an alert or a handshake, version 3.x): the port speaks TLS.
          if ((type === 0x15 || type === 0x16) && buf[pos + 1] === 3) throw new AmqpProtocolError(`not an AMQP 0-9-1 server in plain text: it answered with a TLS record ("${quoteBytes(buf.subarray(pos, pos + 16))}"), so this port speaks TLS: use amqps://`);
          throw new AmqpProtocolError(`not an AMQP 0-9-1 server: it answered with "${quoteBytes(buf.subarray(pos, pos + 60), 60)}"`);
        }
        throw new AmqpProtocolError(`malformed stream: frame type ${type} is not an AMQP 0-9-1 frame (${quoteBytes(buf.subarray(pos, pos + 16))})`);
      }
      const channel = buf.readUInt16BE(pos + 1);
      const size = buf.readUInt32BE(pos + 3);
      if (size > this.frameMax) {
        if (this.frames === 0) throw new AmqpProtocolError(`not an AMQP 0-9-1 server: its first frame claims ${size} bytes (${quoteBytes(buf.subarray(pos, pos + 40))})`);
        throw new AmqpProtocolError(`malformed stream: a frame of ${size} bytes is over the frame size of ${this.frameMax}`);
      }
      if (n - pos < size + 8) break;
      if (buf[pos + 7 + size] !== FRAME_END) throw new AmqpProtocolError(`malformed stream: a frame does not end with 0xCE (${quoteBytes(buf.subarray(pos, pos + 16))})`);
      const start = pos + 7;
      const end = start + size;
      pos = end + 1;
      this.frames++;
      this.frame(type, channel, buf, start, end, on);
    }
    if (pos < n) this.pending = Buffer.from(buf.subarray(pos));
  }

  private frame(type: number, channel: number, buf: Buffer, start: number, end: number, on: (e: AmqpEvent) => void): void {
    if (type === FRAME_HEARTBEAT) return on({ type: 'heartbeat' });
    const a = this.assembling.get(channel);
    if (type === FRAME_METHOD) {
      if (a) throw new AmqpProtocolError(`malformed stream: a method frame on channel ${channel} in the middle of a message`);
      const r = new Reader(buf, start, end);
      const classId = buf.readUInt16BE(start);
      const methodId = end - start >= 4 ? buf.readUInt16BE(start + 2) : -1;
      if (end - start < 4) throw new AmqpProtocolError('malformed stream: a method frame shorter than its ids');
      if (classId === 60 && (methodId === 60 || methodId === 50)) {
        r.short();
        r.short();
        const content: AmqpContent =
          methodId === 60
            ? { kind: 'deliver', consumerTag: r.shortstr(), deliveryTag: r.longlong(), redelivered: r.bit(), exchange: r.shortstr(), routingKey: r.shortstr(), properties: {}, body: Buffer.alloc(0) }
            : { kind: 'return', replyCode: r.short(), replyText: r.shortstr(), exchange: r.shortstr(), routingKey: r.shortstr(), properties: {}, body: Buffer.alloc(0) };
        this.assembling.set(channel, { channel, content, size: 0, parts: [], got: 0, headerSeen: false });
        return;
      }
      return on({ type: 'method', channel, method: readMethod(r) });
    }
    if (!a) throw new AmqpProtocolError(`malformed stream: a ${type === FRAME_HEADER ? 'content header' : 'body'} frame on channel ${channel} without a delivery`);
    if (type === FRAME_HEADER) {
      if (a.headerSeen) throw new AmqpProtocolError('malformed stream: two content headers for one message');
      const r = new Reader(buf, start, end);
      r.short(); // class
      r.short(); // weight
      r.need(8);
      const size = buf.readBigUInt64BE(r.pos);
      r.pos += 8;
      if (size > BigInt(this.maxMessage)) throw new AmqpProtocolError(`malformed stream: a message of ${size} bytes is over the ${this.maxMessage % 1048576 === 0 ? `${this.maxMessage / 1048576} MiB` : `${this.maxMessage} bytes`} limit`);
      a.size = Number(size);
      a.content.properties = readProperties(r);
      a.headerSeen = true;
      if (a.size === 0) return this.finish(a, on);
      return;
    }
    if (!a.headerSeen) throw new AmqpProtocolError('malformed stream: a body frame before its content header');
    const len = end - start;
    if (a.got + len > a.size) throw new AmqpProtocolError(`malformed stream: body frames carry more than the ${a.size} bytes the content header announced`);
    // Bodies are copied: the read buffer is reused.
    a.parts.push(a.parts.length === 0 && len === a.size ? buf.subarray(start, end) : Buffer.from(buf.subarray(start, end)));
    a.got += len;
    if (a.got === a.size) this.finish(a, on);
  }

  private finish(a: Assembling, on: (e: AmqpEvent) => void): void {
    this.assembling.delete(a.channel);
    a.content.body = a.parts.length === 1 ? a.parts[0] : Buffer.concat(a.parts, a.got);
    on({ type: 'content', channel: a.channel, content: a.content });
  }
}

// ---------- writing ----------

class Writer {
  private buf: Buffer;
  pos = 0;
  private bitAt = -1;
  private bitPos = 8;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }
  private endBits(): void {
    this.bitPos = 8;
  }
  octet(v: number): this {
    this.endBits();
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  short(v: number): this {
    this.endBits();
    this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  long(v: number): this {
    this.endBits();
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  longlong(v: number | bigint): this {
    this.endBits();
    this.room(8);
    this.buf.writeBigUInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }
  bit(v: boolean): this {
    if (this.bitPos > 7) {
      this.room(1);
      this.bitAt = this.pos;
      this.buf[this.pos++] = 0;
      this.bitPos = 0;
    }
    if (v) this.buf[this.bitAt] |= 1 << this.bitPos;
    this.bitPos++;
    return this;
  }
  shortstr(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new Error(`"${s.slice(0, 40)}…" is longer than 255 bytes, the most an AMQP short string holds`);
    this.octet(b.length);
    this.bytes(b);
    return this;
  }
  longstr(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    this.long(b.length);
    this.bytes(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.endBits();
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  table(t: FieldTable | undefined): this {
    const inner = new Writer();
    for (const [k, v] of Object.entries(t ?? {})) {
      inner.shortstr(k);
      inner.value(v);
    }
    return this.longstr(inner.done());
  }
  value(v: FieldValue): void {
    if (v === null || v === undefined) this.octet(0x56);
    else if (typeof v === 'boolean') this.octet(0x74).octet(v ? 1 : 0);
    else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
        this.octet(0x49);
        this.room(4);
        this.buf.writeInt32BE(v, this.pos);
        this.pos += 4;
      } else if (Number.isSafeInteger(v)) {
        this.octet(0x6c);
        this.room(8);
        this.buf.writeBigInt64BE(BigInt(v), this.pos);
        this.pos += 8;
      } else {
        this.octet(0x64);
        this.room(8);
        this.buf.writeDoubleBE(v, this.pos);
        this.pos += 8;
      }
    } else if (typeof v === 'string') this.octet(0x53).longstr(v);
    else if (Buffer.isBuffer(v)) this.octet(0x78).longstr(v);
    else if (Array.isArray(v)) {
      const inner = new Writer();
      for (const x of v) inner.value(x);
      this.octet(0x41).longstr(inner.done());
    } else this.octet(0x46).table(v);
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(payload.length + 8);
  f[0] = type;
  f.writeUInt16BE(channel, 1);
  f.writeUInt32BE(payload.length, 3);
  payload.copy(f, 7);
  f[payload.length + 7] = FRAME_END;
  return f;
}

function method(channel: number, classId: number, methodId: number, args?: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.short(classId).short(methodId);
  args?.(w);
  return frame(FRAME_METHOD, channel, w.done());
}

export const HEARTBEAT_FRAME = Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END]);

export const encode = {
  startOk: (clientProperties: FieldTable, mechanism: string, response: Buffer, locale = 'en_US') =>
    method(0, 10, 11, (w) => w.table(clientProperties).shortstr(mechanism).longstr(response).shortstr(locale)),
  tuneOk: (channelMax: number, frameMax: number, heartbeat: number) => method(0, 10, 31, (w) => w.short(channelMax).long(frameMax).short(heartbeat)),
  open: (vhost: string) => method(0, 10, 40, (w) => w.shortstr(vhost).shortstr('').bit(false)),
  connectionClose: (code: number, text: string) => method(0, 10, 50, (w) => w.short(code).shortstr(text).short(0).short(0)),
  connectionCloseOk: () => method(0, 10, 51),
  channelOpen: (ch: number) => method(ch, 20, 10, (w) => w.shortstr('')),
  channelClose: (ch: number, code: number, text: string) => method(ch, 20, 40, (w) => w.short(code).shortstr(text).short(0).short(0)),
  channelCloseOk: (ch: number) => method(ch, 20, 41),
  flowOk: (ch: number, active: boolean) => method(ch, 20, 21, (w) => w.bit(active)),
  queueDeclare: (ch: number, queue: string, o: { passive?: boolean; durable?: boolean; exclusive?: boolean; autoDelete?: boolean; arguments?: FieldTable }) =>
    method(ch, 50, 10, (w) => w.short(0).shortstr(queue).bit(!!o.passive).bit(!!o.durable).bit(!!o.exclusive).bit(!!o.autoDelete).bit(false).table(o.arguments)),
  queueBind: (ch: number, queue: string, exchange: string, routingKey: string, args?: FieldTable) =>
    method(ch, 50, 20, (w) => w.short(0).shortstr(queue).shortstr(exchange).shortstr(routingKey).bit(false).table(args)),
  qos: (ch: number, prefetchCount: number) => method(ch, 60, 10, (w) => w.long(0).short(prefetchCount).bit(false)),
  consume: (ch: number, queue: string, consumerTag: string, noAck: boolean, exclusive = false) =>
    method(ch, 60, 20, (w) => w.short(0).shortstr(queue).shortstr(consumerTag).bit(false).bit(noAck).bit(exclusive).bit(false).table({})),
  cancel: (ch: number, consumerTag: string) => method(ch, 60, 30, (w) => w.shortstr(consumerTag).bit(false)),
  ack: (ch: number, deliveryTag: number, multiple = false) => method(ch, 60, 80, (w) => w.longlong(deliveryTag).bit(multiple)),
  nack: (ch: number, deliveryTag: number, requeue: boolean, multiple = false) => method(ch, 60, 120, (w) => w.longlong(deliveryTag).bit(multiple).bit(requeue)),
  confirmSelect: (ch: number) => method(ch, 85, 10, (w) => w.bit(false)),
  /** Basic.Publish with its content header and body frames (split at the frame size). */
  publish(ch: number, exchange: string, routingKey: string, body: Buffer, props: BasicProperties, frameMax: number, mandatory = false): Buffer {
    const m = method(ch, 60, 40, (w) => w.short(0).shortstr(exchange).shortstr(routingKey).bit(mandatory).bit(false));
    const w = new Writer();
    w.short(60).short(0).longlong(body.length);
    let flags = 0;
    const fields: Array<(w: Writer) => void> = [];
    const add = (bit: number, f: (w: Writer) => void) => {
      flags |= 1 << bit;
      fields.push(f);
    };
    if (props.contentType !== undefined) add(15, (x) => x.shortstr(props.contentType!));
    if (props.contentEncoding !== undefined) add(14, (x) => x.shortstr(props.contentEncoding!));
    if (props.headers !== undefined) add(13, (x) => x.table(props.headers));
    if (props.deliveryMode !== undefined) add(12, (x) => x.octet(props.deliveryMode!));
    if (props.priority !== undefined) add(11, (x) => x.octet(props.priority!));
    if (props.correlationId !== undefined) add(10, (x) => x.shortstr(props.correlationId!));
    if (props.replyTo !== undefined) add(9, (x) => x.shortstr(props.replyTo!));
    if (props.expiration !== undefined) add(8, (x) => x.shortstr(props.expiration!));
    if (props.messageId !== undefined) add(7, (x) => x.shortstr(props.messageId!));
    if (props.timestamp !== undefined) add(6, (x) => x.longlong(props.timestamp!));
    if (props.type !== undefined) add(5, (x) => x.shortstr(props.type!));
    if (props.userId !== undefined) add(4, (x) => x.shortstr(props.userId!));
    if (props.appId !== undefined) add(3, (x) => x.shortstr(props.appId!));
    w.short(flags);
    for (const f of fields) f(w);
    const parts = [m, frame(FRAME_HEADER, ch, w.done())];
    const maxBody = Math.max(1, frameMax - 8);
    for (let at = 0; at < body.length; at += maxBody) parts.push(frame(FRAME_BODY, ch, body.subarray(at, Math.min(body.length, at + maxBody))));
    return Buffer.concat(parts);
  },
};

/** The x-death header of a dead-lettered message, in words, newest first (undefined when there is none). */
export function describeXDeath(headers: FieldTable | undefined): string | undefined {
  const xd = headers?.['x-death'];
  if (!Array.isArray(xd) || xd.length === 0) return undefined;
  const parts: string[] = [];
  for (const d of xd) {
    if (!d || typeof d !== 'object' || Array.isArray(d) || Buffer.isBuffer(d)) continue;
    const e = d as FieldTable;
    const reason = String(e.reason ?? 'unknown reason');
    const why = reason === 'rejected' ? 'rejected (nack or reject without requeue)' : reason === 'expired' ? 'expired (its TTL ran out)' : reason === 'maxlen' ? 'dropped by the queue length limit' : reason === 'delivery_limit' ? 'over the delivery limit' : reason;
    const count = typeof e.count === 'number' ? e.count : 1;
    const keys = Array.isArray(e['routing-keys']) ? (e['routing-keys'] as FieldValue[]).map(String).join(', ') : '';
    const when = typeof e.time === 'number' ? ` at ${new Date(e.time * 1000).toISOString()}` : '';
    parts.push(`from queue ${String(e.queue ?? '?')} ${why} ${count} time${count === 1 ? '' : 's'}${e.exchange !== undefined ? `, published to exchange ${e.exchange === '' ? '(default)' : String(e.exchange)}` : ''}${keys ? ` with routing key ${keys}` : ''}${when}`);
  }
  return parts.length ? `dead-lettered ${parts.join('; before that ')}` : undefined;
}
