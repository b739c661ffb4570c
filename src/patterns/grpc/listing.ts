/**
 * Discovery: the services and methods a server (reflection) or a set of .proto files offers, each
 * method with its call kind, input and output types and a JSON template of the input, as grpcurl's
 * `describe` gives. Used by `wirescope connect --list` and by VS Code's method pickers.
 */
import type protobuf from 'protobufjs';
import { describeError } from '../../core/errors';
import type { ConnectOptions } from '../../shared/connectOptions';
import { ConnectError, openConnection } from './h2';
import { reflect, REFLECTION_MAX_BYTES } from './reflection';
import { listMethods, loadProtos, messageTemplate, qualified, SchemaError, type CallKind } from './schema';
import { grpcTarget } from './transport';
import { requestMetadata } from './wire';

export interface GrpcMethodListing {
  /** package.Service/Method */
  method: string;
  service: string;
  name: string;
  kind: CallKind;
  input: string;
  output: string;
  /** A JSON template of the input message. */
  template: Record<string, unknown>;
}

export interface GrpcListing {
  /** Where the schema came from: `reflection v1`, `reflection v1alpha` or `proto files`. */
  source: string;
  services: string[];
  methods: GrpcMethodListing[];
}

export function listingOf(root: protobuf.Root, source: string, services?: readonly string[]): GrpcListing {
  const methods = listMethods(root)
    .filter((m) => !m.name.startsWith('grpc.reflection.'))
    .filter((m) => !services || services.includes(m.name.split('/')[0]))
    .map((m) => ({ method: m.name, service: m.name.split('/')[0], name: m.name.split('/')[1], kind: m.kind, input: qualified(m.requestType), output: qualified(m.responseType), template: messageTemplate(m.requestType) }));
  return { source, services: [...new Set(methods.map((m) => m.service))], methods };
}

/** The listing for a session's options: from its .proto files, or by asking the server (reflection). Throws one-line errors. */
export async function listGrpc(options: ConnectOptions, cwd?: string): Promise<GrpcListing> {
  const o = options.grpc ?? {};
  if (o.protos?.length) return listingOf(await loadProtos(o.protos, o.importPaths ?? [], cwd), 'proto files');
  const md = requestMetadata(options.headers);
  if ('problem' in md) throw new SchemaError(md.problem);
  const target = grpcTarget(options.url);
  let conn;
  try {
    conn = await openConnection({ host: target.host, port: target.port, secure: target.secure, tls: options.tls, timeoutMs: options.connectTimeoutMs ?? 10_000, now: () => performance.now() });
  } catch (err) {
    if (err instanceof ConnectError) throw err;
    throw new SchemaError(describeError(err, options.url).message);
  }
  try {
    const r = await reflect({ session: conn.session, authority: target.authority, secure: target.secure, metadata: md.metadata, timeoutMs: options.connectTimeoutMs ?? 10_000, maxMessageBytes: REFLECTION_MAX_BYTES });
    return listingOf(r.root, `reflection ${r.version}`, r.services);
  } finally {
    conn.session.destroy();
  }
}

/** The listing as text for people: one block per service, each method with its kind, types and template. */
export function formatListing(l: GrpcListing): string {
  const out: string[] = [];
  if (l.methods.length === 0) return `no services (schema from ${l.source})\n`;
  for (const s of l.services) {
    out.push(`service ${s}  (schema from ${l.source})`);
    for (const m of l.methods.filter((x) => x.service === s)) {
      out.push(`  ${m.method}  ${m.kind}  ${m.input} -> ${m.output}`);
      const t = JSON.stringify(m.template, null, 2).split('\n');
      out.push(...t.map((line) => `      ${line}`));
    }
    out.push('');
  }
  return out.join('\n');
}
