/**
 * Where a gRPC call's types come from, and what can be said about them: .proto files compiled with
 * protobufjs (imports resolved against the import paths in order, as protoc's -I does; the well-known
 * types are built in), or the FileDescriptorProtos of server reflection (protobufjs/ext/descriptor).
 * Then: a method's call kind and types, the list of services and a JSON template of a message.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor';
import protojson from 'protobufjs/ext/protojson.js';

export type CallKind = 'unary' | 'server-streaming' | 'client-streaming' | 'bidi';

export interface MethodInfo {
  /** package.Service/Method */
  name: string;
  /** /package.Service/Method, the HTTP/2 :path. */
  path: string;
  kind: CallKind;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
}

/** A schema problem the user can fix: one line. */
export class SchemaError extends Error {}

const WKT = /^google\/protobuf\/[a-z_]+\.proto$/;

/**
 * Compile .proto files. `files` are read from the working folder (or, when not there, from an import
 * path); each import is looked up in `importPaths` in order (default: the working folder), and
 * google/protobuf/*.proto are the built-in well-known types. A file reached twice by different routes is one file.
 */
export async function loadProtos(files: readonly string[], importPaths: readonly string[] = [], cwd = process.cwd()): Promise<protobuf.Root> {
  if (files.length === 0) throw new SchemaError('no .proto file given');
  const dirs = (importPaths.length ? importPaths : ['.']).map((d) => path.resolve(cwd, d));
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new SchemaError(`--import-path ${path.relative(cwd, d) || '.'}: no such folder`);
  }
  const missing: string[] = [];
  const root = new protobuf.Root();
  root.resolvePath = (origin: string, target: string): string => {
    if (WKT.test(target)) return target;
    if (!origin) {
      const direct = path.resolve(cwd, target);
      if (existsSync(direct)) return direct;
      for (const d of dirs) if (existsSync(path.join(d, target))) return path.join(d, target);
      missing.push(`${target}: no such file`);
      return direct;
    }
    for (const d of dirs) {
      const p = path.join(d, target);
      if (existsSync(p)) return p;
    }
    missing.push(`import "${target}" (in ${path.basename(origin)}) is not in any import path (${dirs.map((d) => path.relative(cwd, d) || '.').join(', ')}): add --import-path DIR`);
    return path.join(dirs[0], target);
  };
  try {
    await root.load([...files], { keepCase: true });
  } catch (err) {
    if (missing.length) throw new SchemaError(missing[0]);
    throw new SchemaError(`cannot compile ${files.join(', ')}: ${oneLine((err as Error).message)}`);
  }
  if (missing.length) throw new SchemaError(missing[0]);
  return resolved(root);
}

function oneLine(s: string): string {
  return s.split(/\r?\n/, 1)[0].slice(0, 300);
}

function resolved(root: protobuf.Root): protobuf.Root {
  try {
    root.resolveAll();
  } catch (err) {
    throw new SchemaError(`the schema does not resolve: ${oneLine((err as Error).message)}`);
  }
  return root;
}

/** A root from serialized FileDescriptorProtos (server reflection), names kept as declared. */
export function rootFromDescriptors(files: readonly Uint8Array[]): protobuf.Root {
  let root: protobuf.Root;
  try {
    const set = descriptorType('FileDescriptorSet').create({ file: files.map((b) => descriptorType('FileDescriptorProto').decode(b)) });
    root = protobuf.Root.fromDescriptor(set as never, { keepCase: true });
  } catch (err) {
    throw new SchemaError(`the server's reflection descriptors do not make a schema: ${oneLine((err as Error).message)}`);
  }
  return resolved(root);
}

/** google.protobuf.FileDescriptorProto and friends, as bundled with protobufjs. */
export function descriptorType(name: string): protobuf.Type {
  return (descriptorExt as unknown as protobuf.Namespace).lookupType(name);
}

/** Every service of a root, fully qualified (no leading dot). */
export function servicesOf(root: protobuf.Root): protobuf.Service[] {
  const out: protobuf.Service[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Service) out.push(o);
      else if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) walk(o);
    }
  };
  walk(root);
  return out;
}

export function qualified(o: protobuf.ReflectionObject): string {
  return o.fullName.replace(/^\./, '');
}

function kindOf(m: protobuf.Method): CallKind {
  if (m.requestStream && m.responseStream) return 'bidi';
  if (m.requestStream) return 'client-streaming';
  if (m.responseStream) return 'server-streaming';
  return 'unary';
}

function infoOf(service: protobuf.Service, m: protobuf.Method): MethodInfo {
  m.resolve();
  const name = `${qualified(service)}/${m.name}`;
  return { name, path: `/${name}`, kind: kindOf(m), requestType: m.resolvedRequestType as protobuf.Type, responseType: m.resolvedResponseType as protobuf.Type };
}

/** The method `package.Service/Method`; a one-line error naming what there is when it is not found. */
export function findMethod(root: protobuf.Root, method: string): MethodInfo {
  const [serviceName, methodName] = method.split('/');
  const services = servicesOf(root);
  const service = services.find((s) => qualified(s) === serviceName);
  if (!service) {
    const names = services.map(qualified);
    throw new SchemaError(`no service ${serviceName} in the schema${names.length ? ` (there ${names.length === 1 ? 'is' : 'are'} ${names.slice(0, 10).join(', ')})` : ' (it has no services)'}`);
  }
  const m = service.methods[methodName];
  if (!m) throw new SchemaError(`service ${serviceName} has no method ${methodName} (it has ${Object.keys(service.methods).join(', ') || 'none'})`);
  return infoOf(service, m);
}

/** Every method of every service. */
export function listMethods(root: protobuf.Root): MethodInfo[] {
  return servicesOf(root).flatMap((s) => Object.values(s.methods).map((m) => infoOf(s, m)));
}

const WKT_SAMPLES: Record<string, unknown> = {
  '.google.protobuf.Timestamp': '1970-01-01T00:00:00Z',
  '.google.protobuf.Duration': '0s',
  '.google.protobuf.FieldMask': '',
  '.google.protobuf.Struct': {},
  '.google.protobuf.Value': null,
  '.google.protobuf.ListValue': [],
  '.google.protobuf.Empty': {},
  '.google.protobuf.Any': { '@type': 'type.googleapis.com/google.protobuf.Empty' },
  '.google.protobuf.DoubleValue': 0,
  '.google.protobuf.FloatValue': 0,
  '.google.protobuf.Int64Value': '0',
  '.google.protobuf.UInt64Value': '0',
  '.google.protobuf.Int32Value': 0,
  '.google.protobuf.UInt32Value': 0,
  '.google.protobuf.BoolValue': false,
  '.google.protobuf.StringValue': '',
  '.google.protobuf.BytesValue': '',
};

function scalarSample(type: string): unknown {
  switch (type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return '0';
    default:
      return 0;
  }
}

/** The JSON name of a field (proto3 JSON: lowerCamelCase unless json_name says otherwise). */
export function jsonName(f: protobuf.Field): string {
  const declared = (f.options as Record<string, unknown> | undefined)?.json_name;
  if (typeof declared === 'string') return declared;
  return f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * A JSON template of a message: every field with a sample value (the first member of each oneof only),
 * enums by their first name, 64-bit integers as strings, well-known types in their JSON form; a
 * recursive type stops at `{}` after a few levels.
 */
export function messageTemplate(type: protobuf.Type, depth = 0, seen: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth > 4 || seen.includes(type.fullName)) return out;
  const inner = [...seen, type.fullName];
  const oneofTaken = new Set<string>();
  for (const f of type.fieldsArray) {
    f.resolve();
    const oneof = f.partOf && !f.partOf.name.startsWith('_') ? f.partOf.name : undefined;
    if (oneof) {
      if (oneofTaken.has(oneof)) continue;
      oneofTaken.add(oneof);
    }
    const value = (): unknown => {
      const rt = f.resolvedType;
      if (rt instanceof protobuf.Enum) return Object.keys(rt.values)[0] ?? 0;
      if (rt instanceof protobuf.Type) return rt.fullName in WKT_SAMPLES ? WKT_SAMPLES[rt.fullName] : messageTemplate(rt, depth + 1, inner);
      return scalarSample(f.type);
    };
    if (f instanceof protobuf.MapField) out[jsonName(f)] = { [f.keyType === 'string' ? 'key' : f.keyType === 'bool' ? 'true' : '0']: value() };
    else if (f.repeated) out[jsonName(f)] = [value()];
    else out[jsonName(f)] = value();
  }
  return out;
}

/** Message from proto3 JSON (both field name forms accepted); one-line SchemaError when it does not fit. */
export function fromJson(type: protobuf.Type, json: unknown): protobuf.Message {
  try {
    return protojson.fromJson(type, json);
  } catch (err) {
    throw new SchemaError(`not a valid ${qualified(type)} message: ${oneLine((err as Error).message)}`);
  }
}

/** A message in the canonical proto3 JSON mapping (int64 as a string, bytes as base64, enums by name). */
export function toJson(type: protobuf.Type, message: protobuf.Message): unknown {
  return protojson.toJson(type, message);
}
