/**
 * Field completions for GraphQL documents: the root fields of an introspection result (query, mutation,
 * subscription), each with its arguments and return type as one line of text, and a document skeleton that
 * runs as it is: the operation keyword, the field with its required arguments (typed placeholders), and the
 * scalar subfields of the return type, like `subscription { ticks { seq at } }`. The extension host runs the
 * introspection (listing.ts) and hands these to the composer and the profile form. No vscode here.
 */
import type { ConnectOptions } from '../../shared/connectOptions';
import type { GraphqlCompletion } from '../../shared/graphqlCompletion';
import { fieldsOf, introspect } from './listing';

export type { GraphqlCompletion } from '../../shared/graphqlCompletion';

interface TypeRef {
  kind: string;
  name?: string | null;
  ofType?: TypeRef | null;
}
interface IntrospectedArg {
  name: string;
  type: TypeRef;
  defaultValue?: string | null;
}
interface IntrospectedField {
  name: string;
  args?: IntrospectedArg[] | null;
  type: TypeRef;
}
interface IntrospectedType {
  kind: string;
  name: string;
  fields?: IntrospectedField[] | null;
  enumValues?: Array<{ name: string }> | null;
}

/** The named type under NON_NULL and LIST wrappers. */
function named(t: TypeRef | null | undefined): TypeRef | undefined {
  let x = t ?? undefined;
  while (x && (x.kind === 'NON_NULL' || x.kind === 'LIST')) x = x.ofType ?? undefined;
  return x;
}

/** An argument the field cannot run without: non-null and without a default. */
function required(a: IntrospectedArg): boolean {
  return a.type?.kind === 'NON_NULL' && (a.defaultValue === undefined || a.defaultValue === null);
}

/** A literal of the argument's type to fill in: 0, "", false, the first enum value, [] or {}. */
function placeholder(t: TypeRef, types: ReadonlyMap<string, IntrospectedType>): string {
  const inner = t.kind === 'NON_NULL' ? t.ofType : t;
  if (inner?.kind === 'LIST') return '[]';
  const n = named(t);
  if (!n?.name) return 'null';
  if (n.kind === 'ENUM') return types.get(n.name)?.enumValues?.[0]?.name ?? 'null';
  if (n.kind === 'INPUT_OBJECT') return '{}';
  if (n.name === 'Int' || n.name === 'Float') return '0';
  if (n.name === 'Boolean') return 'false';
  return '""';
}

/** `{ seq at }` for an object type (its scalar and enum fields that need no arguments), `{ __typename }` when it has none. */
function selectionOf(t: TypeRef, types: ReadonlyMap<string, IntrospectedType>): string {
  const n = named(t);
  if (!n || n.kind === 'SCALAR' || n.kind === 'ENUM') return '';
  const def = n.name ? types.get(n.name) : undefined;
  const leaves = (def?.fields ?? [])
    .filter((f) => !f.name.startsWith('__') && !(f.args ?? []).some(required))
    .filter((f) => {
      const k = named(f.type)?.kind;
      return k === 'SCALAR' || k === 'ENUM';
    })
    .map((f) => f.name);
  return ` { ${leaves.length ? leaves.join(' ') : '__typename'} }`;
}

/** The completions of an introspection result. Throws an Error with one line when it is not one. */
export function completionsOf(result: unknown): GraphqlCompletion[] {
  // fieldsOf checks the shape and says in one line what is wrong (errors, no __schema).
  const fields = fieldsOf(result);
  const schema = (result as { data: { __schema: { types?: IntrospectedType[] | null; queryType?: { name: string } | null; mutationType?: { name: string } | null; subscriptionType?: { name: string } | null } } }).data.__schema;
  const types = new Map<string, IntrospectedType>();
  for (const t of schema.types ?? []) if (t && typeof t.name === 'string') types.set(t.name, t);
  const rootName = { query: schema.queryType?.name, mutation: schema.mutationType?.name, subscription: schema.subscriptionType?.name };
  return fields.map((f) => {
    const raw = types.get(rootName[f.root] ?? '')?.fields?.find((x) => x.name === f.name);
    const args = raw?.args ?? [];
    const req = args.filter(required);
    const call = req.length ? `(${req.map((a) => `${a.name}: ${placeholder(a.type, types)}`).join(', ')})` : '';
    const selection = `${f.name}${call}${raw ? selectionOf(raw.type, types) : ''}`;
    const detail = `${f.name}${f.args.length ? `(${f.args.map((a) => `${a.name}: ${a.type}${a.defaultValue !== undefined ? ` = ${a.defaultValue}` : ''}`).join(', ')})` : ''}: ${f.type}`;
    return { root: f.root, name: f.name, detail, type: f.type, selection, document: `${f.root} { ${selection} }` };
  });
}

/** How long one introspection may take before it ends with one line. */
export const INTROSPECTION_TIMEOUT_MS = 15_000;

/**
 * The options of an introspection for a session: its endpoint, headers, TLS and connection_init payload, and
 * nothing that acts (no messages to send, no capture file, no reconnect, no count).
 */
export function introspectionOptions(o: ConnectOptions): ConnectOptions {
  const g = o.graphql;
  return {
    pattern: 'graphql',
    url: o.url,
    ...(o.headers ? { headers: o.headers } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.connectTimeoutMs ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
    ...(o.followRedirects !== undefined ? { followRedirects: o.followRedirects } : {}),
    graphql: {
      ...(g?.initPayload ? { initPayload: g.initPayload } : {}),
      ...(g?.protocol ? { protocol: g.protocol } : {}),
      ...(g?.ackTimeoutMs ? { ackTimeoutMs: g.ackTimeoutMs } : {}),
      ...(g?.maxMessageBytes ? { maxMessageBytes: g.maxMessageBytes } : {}),
    },
  };
}

/**
 * Introspect the endpoint of `options` and return its completions. Throws an Error with one line.
 *
 * For a ws(s):// endpoint the query goes first over HTTP to the same host and path (most servers serve both
 * there: no WebSocket handshake, no connection_init, and no second socket next to the session's), then over
 * the WebSocket protocol when HTTP gives no schema.
 */
export async function graphqlCompletions(options: ConnectOptions, limits: { timeoutMs?: number } = {}): Promise<GraphqlCompletion[]> {
  const o = introspectionOptions(options);
  const timeoutMs = limits.timeoutMs ?? INTROSPECTION_TIMEOUT_MS;
  if (/^wss?:/i.test(o.url)) {
    const overHttp = o.url.replace(/^ws/i, 'http');
    try {
      const { protocol: _ws, ...g } = o.graphql ?? {};
      return completionsOf(await introspect({ ...o, url: overHttp, responseTimeoutMs: Math.min(timeoutMs, 5000), graphql: g }, { timeoutMs }));
    } catch {
      // Not served over HTTP there (or not a schema): the WebSocket protocol says what is wrong.
    }
  }
  return completionsOf(await introspect(o, { timeoutMs }));
}
