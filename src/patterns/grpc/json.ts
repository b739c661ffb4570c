/**
 * Messages to the canonical proto3 JSON mapping, fast: one converter compiled per message type (the field
 * list, JSON names, presence rules and value writers worked out once), with the same rules as protobufjs'
 * ProtoJSON (`protobufjs/ext/protojson`), which still writes the well-known types (Timestamp, Duration,
 * wrappers, Struct, Any, FieldMask...) and any type with extensions or enum JSON-name options. The unit tests
 * compare both on every kind of field. A streaming call converts every message, so this is the capture's
 * largest cost per message after decoding.
 */
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';

type Writer = (v: unknown, depth: number) => unknown;
type Converter = (message: Record<string, unknown>, depth?: number) => unknown;

const MAX_DEPTH = 100;
const LONG_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const converters = new WeakMap<protobuf.Type, Converter>();
interface FieldSpec {
  field: protobuf.Field;
  name: string;
  key: string;
  write: Writer;
  map: boolean;
  longKey: boolean;
  unsignedKey: boolean;
  repeated: boolean;
  skipDefault: ((v: unknown) => boolean) | undefined;
}
/** The field plans of the types compiled here (not the ProtoJSON fallbacks). */
const compiledSpecs = new WeakMap<protobuf.Type, FieldSpec[]>();
const util = protobuf.util as unknown as { base64: { encode(b: Uint8Array, start: number, end: number): string }; longFromKey(key: string, unsigned?: boolean): { toString(): string } };

function protojsonConverter(type: protobuf.Type): Converter {
  return (m) => protojson.toJson(type, m);
}

function usesEnumJsonNames(e: protobuf.Enum): boolean {
  const opts = (e as unknown as { valuesOptions?: Record<string, Record<string, unknown>> }).valuesOptions;
  return !!opts && Object.values(opts).some((o) => o && '(pb.enumvalue.json).string' in o);
}

/**
 * A 64-bit integer as its decimal text. protobufjs decodes them to long.js `Long`s, whose own toString divides
 * digit group by digit group; a value within 2^53 (every counter and id in practice) is exact as a double, so it
 * is written from its two halves at once.
 */
export function longText(v: unknown): string {
  if (v == null) return '0';
  if (typeof v === 'object') {
    const l = v as { high?: unknown; low?: unknown; unsigned?: unknown };
    if (typeof l.high === 'number' && typeof l.low === 'number') {
      const high = l.unsigned === true ? l.high >>> 0 : l.high;
      if (high >= -0x200000 && high < 0x200000) return String(high * 4294967296 + (l.low >>> 0));
    }
  }
  return String(v);
}

function scalarWriter(type: string): Writer {
  if (LONG_TYPES.has(type)) return longText;
  if (type === 'float' || type === 'double') return (v) => (typeof v === 'number' && !isFinite(v) ? String(v) : v);
  if (type === 'bytes') return (v) => (v == null ? '' : util.base64.encode(v as Uint8Array, 0, (v as Uint8Array).length));
  return (v) => v;
}

function isZero(v: unknown): boolean {
  if (v == null) return true;
  if (typeof v === 'number') return v === 0;
  const l = v as { isZero?: () => boolean; low?: number; high?: number };
  if (typeof l.isZero === 'function') return l.isZero();
  return Number(v) === 0;
}

function num(v: unknown): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  const l = v as { toNumber?: () => number; high?: unknown; low?: unknown; unsigned?: unknown };
  if (typeof l.high === 'number' && typeof l.low === 'number' && l.unsigned !== true && l.high >= -0x200000 && l.high < 0x200000) return l.high * 4294967296 + (l.low >>> 0);
  return typeof l.toNumber === 'function' ? l.toNumber() : Number(v);
}

/** 0, 3, 6 or 9 digits of nanoseconds, as the mapping writes them. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`;
  if (nanos % 1000 === 0) return `.${String(nanos / 1000).padStart(6, '0')}`;
  return `.${String(nanos).padStart(9, '0')}`;
}

const MIN_TIMESTAMP = -62135596800; // 0001-01-01T00:00:00Z
const MAX_TIMESTAMP = 253402300799; // 9999-12-31T23:59:59Z
const MAX_DURATION = 315576000000;

/**
 * Timestamp and Duration, the well-known types of a stream's every message, written here; anything out of
 * range or inconsistent goes to ProtoJSON, which refuses it in its own words.
 */
function fastWellKnown(type: protobuf.Type): Converter | undefined {
  const slow = protojsonConverter(type);
  if (type.fullName === '.google.protobuf.Timestamp') {
    // A stream's messages mostly fall in the same second: its date and time text is made once.
    let lastSeconds = Number.NaN;
    let lastText = '';
    return (m) => {
      const seconds = num(m.seconds);
      const nanos = num(m.nanos);
      if (!Number.isInteger(seconds) || seconds < MIN_TIMESTAMP || seconds > MAX_TIMESTAMP || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) return slow(m);
      if (seconds !== lastSeconds) {
        lastSeconds = seconds;
        lastText = new Date(seconds * 1000).toISOString().slice(0, 19);
      }
      return `${lastText}${fraction(nanos)}Z`;
    };
  }
  if (type.fullName === '.google.protobuf.Duration') {
    return (m) => {
      const seconds = num(m.seconds);
      const nanos = num(m.nanos);
      if (!Number.isInteger(seconds) || Math.abs(seconds) > MAX_DURATION || !Number.isInteger(nanos) || Math.abs(nanos) > 999_999_999 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return slow(m);
      const negative = seconds < 0 || nanos < 0;
      return `${negative ? '-' : ''}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
    };
  }
  return undefined;
}

/** The converter of a message type (compiled on first use, cached per type). */
export function jsonConverter(type: protobuf.Type): Converter {
  const cached = converters.get(type);
  if (cached) return cached;
  if (type.fullName.startsWith('.google.protobuf.') || Object.keys(type.extensions ?? {}).length > 0) {
    const c = fastWellKnown(type) ?? protojsonConverter(type);
    converters.set(type, c);
    return c;
  }
  // Registered before the fields are worked out, so that a recursive type finds itself.
  let compiled: Converter | undefined;
  const self: Converter = (m, depth = 0) => (compiled as Converter)(m, depth);
  converters.set(type, self);
  let fallback = false;
  const specs: FieldSpec[] = type.fieldsArray.map((raw) => {
    const f = raw.resolve();
    if ((f as unknown as { declaringField?: unknown }).declaringField || f.name.startsWith('.')) fallback = true;
    const rt = f.resolvedType;
    let write: Writer;
    let implicitDefault: ((v: unknown) => boolean) | undefined;
    if (rt instanceof protobuf.Type) {
      const sub = jsonConverter(rt);
      write = (v, depth) => sub(v as Record<string, unknown>, depth + 1);
    } else if (rt instanceof protobuf.Enum) {
      if (usesEnumJsonNames(rt)) fallback = true;
      if (rt.fullName === '.google.protobuf.NullValue') write = () => null;
      else {
        const names = rt.valuesById;
        write = (v) => names[v as number] ?? v;
      }
      implicitDefault = (v) => v === 0;
    } else {
      write = scalarWriter(f.type);
      implicitDefault = f.type === 'bool' ? (v) => v === false : f.type === 'string' ? (v) => v === '' : f.type === 'bytes' ? (v) => v == null || (v as Uint8Array).length === 0 : isZero;
    }
    // hasPresence is the oneof (or true) when set: any truthy value means explicit presence.
    const hasPresence = !!(f as unknown as { hasPresence?: unknown }).hasPresence;
    const map = f instanceof protobuf.MapField ? f : undefined;
    const longKey = map ? LONG_TYPES.has(map.keyType) : false;
    const unsignedKey = map ? map.keyType === 'uint64' || map.keyType === 'fixed64' : false;
    return { field: f, name: f.name, key: (f as unknown as { jsonName: string }).jsonName, write, map: !!map, longKey, unsignedKey, repeated: f.repeated && !map, skipDefault: !hasPresence && !f.repeated && !map && implicitDefault ? implicitDefault : undefined };
  });
  if (fallback) {
    const c = protojsonConverter(type);
    converters.set(type, c);
    compiled = c;
    return c;
  }
  compiledSpecs.set(type, specs);
  compiled = (m, depth = 0) => {
    if (depth > MAX_DEPTH) throw new Error('messages nested too deep');
    const out: Record<string, unknown> = {};
    for (const s of specs) {
      const v = m[s.name];
      if (v == null) continue;
      if (s.map) {
        const keys = Object.keys(v as object);
        if (keys.length === 0) continue;
        const mo: Record<string, unknown> = {};
        for (const k of keys) {
          const outKey = s.longKey ? util.longFromKey(k, s.unsignedKey).toString() : k;
          if (outKey === '__proto__') Object.defineProperty(mo, outKey, { value: s.write((v as Record<string, unknown>)[k], depth), enumerable: true, writable: true, configurable: true });
          else mo[outKey] = s.write((v as Record<string, unknown>)[k], depth);
        }
        out[s.key] = mo;
      } else if (s.repeated) {
        const list = v as unknown[];
        if (list.length === 0) continue;
        const arr = new Array<unknown>(list.length);
        for (let j = 0; j < list.length; j++) arr[j] = s.write(list[j], depth);
        out[s.key] = arr;
      } else {
        if (!Object.prototype.hasOwnProperty.call(m, s.name) || (s.skipDefault && s.skipDefault(v))) continue;
        out[s.key] = s.write(v, depth);
      }
    }
    return out;
  };
  return self;
}

/** A decoded message in the canonical proto3 JSON mapping. */
export function messageToJson(type: protobuf.Type, message: protobuf.Message): unknown {
  return jsonConverter(type)(message as unknown as Record<string, unknown>);
}

type TextConverter = (message: Record<string, unknown>, depth?: number) => string;
const textConverters = new WeakMap<protobuf.Type, TextConverter>();

/**
 * The same mapping written straight to JSON text (what a frame's `data` holds): no intermediate object and no
 * JSON.stringify pass over it. Equal to JSON.stringify(messageToJson(...)) (the unit tests compare them).
 */
export function jsonTextConverter(type: protobuf.Type): TextConverter {
  const cached = textConverters.get(type);
  if (cached) return cached;
  const objectConverter = jsonConverter(type);
  // Well-known types and fallbacks: their JSON value, stringified.
  if (type.fullName.startsWith('.google.protobuf.') || converters.get(type) !== objectConverter || !compiledSpecs.has(type)) {
    const c: TextConverter = (m, depth = 0) => JSON.stringify(objectConverter(m, depth));
    textConverters.set(type, c);
    return c;
  }
  // Registered before the fields are worked out, so that a recursive type finds itself.
  const self: TextConverter = (m, depth = 0) => compiled(m, depth);
  textConverters.set(type, self);
  const specs = (compiledSpecs.get(type) ?? []).map((s) => {
    const rt = s.field.resolvedType;
    const sub = rt instanceof protobuf.Type ? jsonTextConverter(rt) : undefined;
    // A 64-bit integer's text is digits and a sign: quoted as it is, without a JSON.stringify pass.
    const writeText = sub
      ? (v: unknown, depth: number) => sub(v as Record<string, unknown>, depth + 1)
      : s.write === longText
        ? (v: unknown) => `"${longText(v)}"`
        : (v: unknown, depth: number) => JSON.stringify(s.write(v, depth)) ?? 'null';
    return { ...s, keyText: JSON.stringify(s.key), writeText };
  });
  const compiled: TextConverter = (m, depth = 0) => {
    if (depth > MAX_DEPTH) throw new Error('messages nested too deep');
    let out = '';
    for (const s of specs) {
      const v = m[s.name];
      if (v == null) continue;
      let text: string;
      if (s.map) {
        const keys = Object.keys(v as object);
        if (keys.length === 0) continue;
        text = '';
        for (const k of keys) {
          const outKey = s.longKey ? util.longFromKey(k, s.unsignedKey).toString() : k;
          text += `${text ? ',' : ''}${JSON.stringify(outKey)}:${s.writeText((v as Record<string, unknown>)[k], depth)}`;
        }
        text = `{${text}}`;
      } else if (s.repeated) {
        const list = v as unknown[];
        if (list.length === 0) continue;
        text = '[';
        for (let j = 0; j < list.length; j++) text += `${j ? ',' : ''}${s.writeText(list[j], depth)}`;
        text += ']';
      } else {
        if (!Object.prototype.hasOwnProperty.call(m, s.name) || (s.skipDefault && s.skipDefault(v))) continue;
        text = s.writeText(v, depth);
      }
      out += `${out ? ',' : ''}${s.keyText}:${text}`;
    }
    return `{${out}}`;
  };
  return self;
}

/** A decoded message as canonical proto3 JSON text. */
export function messageToJsonText(type: protobuf.Type, message: protobuf.Message): string {
  return jsonTextConverter(type)(message as unknown as Record<string, unknown>);
}
