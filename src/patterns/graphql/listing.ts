/**
 * `--list` for GraphQL: an introspection query, run as any operation of the pattern (over HTTP, or over
 * the WebSocket protocols for ws:// URLs), and the query, mutation and subscription fields with their
 * arguments and return types.
 */
import { Session } from '../../core/session';
import type { ConnectOptions } from '../../shared/connectOptions';
import type { FrameEvent, WireEvent } from '../../shared/events';
import { errorLine, errorList } from './document';
import { DEFAULT_MAX_MESSAGE_BYTES } from './transport';

export const INTROSPECTION_QUERY = `query WirescopeIntrospection {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { kind name fields(includeDeprecated: true) { name args { name defaultValue type { ...TypeRef } } type { ...TypeRef } } enumValues(includeDeprecated: false) { name } }
  }
}
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }`;

export interface GraphqlField {
  root: 'query' | 'mutation' | 'subscription';
  name: string;
  args: Array<{ name: string; type: string; defaultValue?: string }>;
  type: string;
}

interface TypeRef {
  kind: string;
  name?: string | null;
  ofType?: TypeRef | null;
}

/** `[Item!]!` from an introspected type reference. */
export function typeName(t: TypeRef | null | undefined): string {
  if (!t) return '?';
  if (t.kind === 'NON_NULL') return `${typeName(t.ofType)}!`;
  if (t.kind === 'LIST') return `[${typeName(t.ofType)}]`;
  return t.name ?? '?';
}

/** The root fields of an introspection result. Throws an Error with one line when it is not one. */
export function fieldsOf(result: unknown): GraphqlField[] {
  const r = result as { data?: { __schema?: { queryType?: { name: string } | null; mutationType?: { name: string } | null; subscriptionType?: { name: string } | null; types?: Array<{ name: string; fields?: Array<{ name: string; args?: Array<{ name: string; type: TypeRef; defaultValue?: string | null }>; type: TypeRef }> | null }> } }; errors?: unknown };
  const schema = r?.data?.__schema;
  if (!schema) {
    const errors = r?.errors ? errorList(r.errors) : [];
    throw new Error(errors.length ? `introspection failed: ${errors.map(errorLine).join('; ')}` : 'introspection failed: the result has no __schema');
  }
  const out: GraphqlField[] = [];
  const roots: Array<[GraphqlField['root'], string | undefined]> = [
    ['query', schema.queryType?.name],
    ['mutation', schema.mutationType?.name],
    ['subscription', schema.subscriptionType?.name],
  ];
  for (const [root, name] of roots) {
    if (!name) continue;
    const t = schema.types?.find((x) => x.name === name);
    for (const f of t?.fields ?? []) {
      out.push({ root, name: f.name, args: (f.args ?? []).map((a) => ({ name: a.name, type: typeName(a.type), ...(a.defaultValue != null ? { defaultValue: a.defaultValue } : {}) })), type: typeName(f.type) });
    }
  }
  return out;
}

/** Run the introspection query against the session's endpoint. Throws an Error with one line. */
export async function listGraphql(options: ConnectOptions): Promise<GraphqlField[]> {
  return fieldsOf(await introspect(options));
}

/**
 * The introspection result (parsed JSON, not yet checked) of the session's endpoint, over the transport its URL
 * and options pick. Throws an Error with one line when there is no result.
 */
export async function introspect(options: ConnectOptions, limits: { timeoutMs?: number } = {}): Promise<unknown> {
  const g = options.graphql;
  const overHttp = /^https?:/i.test(options.url);
  // Over http(s) the query goes as a plain POST first; a graphql-sse endpoint (which may answer a plain POST with
  // an error, as graphql-sse's handler does: "Stream not found") is asked over its own protocol next, and the other
  // way round for a profile that speaks graphql-sse.
  const sseFirst = g?.protocol === 'sse' || g?.protocol === 'sse-single';
  const tries: Array<'http' | 'sse' | undefined> = overHttp ? (sseFirst ? ['sse', 'http'] : ['http', 'sse']) : [undefined];
  let first: Error | undefined;
  for (const via of tries) {
    try {
      const result = await introspectOnce(options, via, limits);
      // An answer that is not an introspection result (errors only) counts as a failure of this way of asking.
      fieldsOf(result);
      return result;
    } catch (err) {
      first ??= err as Error;
    }
  }
  throw first ?? new Error('no introspection result');
}

async function introspectOnce(options: ConnectOptions, via: 'http' | 'sse' | undefined, limits: { timeoutMs?: number }): Promise<unknown> {
  const { graphql: g, count: _count, durationMs: _duration, ...rest } = options;
  const protocol = via === 'sse' ? 'sse' : via === 'http' ? undefined : g?.protocol && g.protocol !== 'sse' && g.protocol !== 'sse-single' ? g.protocol : undefined;
  const s = new Session({
    ...rest,
    ...(limits.timeoutMs ? { durationMs: limits.timeoutMs } : {}),
    pattern: 'graphql',
    previewLimit: g?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    reconnect: { enabled: false },
    graphql: { ...(g?.initPayload ? { initPayload: g.initPayload } : {}), ...(protocol ? { protocol } : {}), ...(g?.ackTimeoutMs ? { ackTimeoutMs: g.ackTimeoutMs } : {}), ...(g?.maxMessageBytes ? { maxMessageBytes: g.maxMessageBytes } : {}), documents: [INTROSPECTION_QUERY] },
  });
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  const summary = await s.done;
  const result = events.find((e): e is FrameEvent => e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true);
  if (!result) {
    // The WebSocket protocols answer a refused operation (a validation error, say) with an error message.
    const refused = events.find((e): e is FrameEvent => e.kind === 'frame' && e.dir === 'in' && Array.isArray(e.meta?.errors));
    if (refused) throw new Error(`introspection failed: ${errorList(refused.meta!.errors).map(errorLine).join('; ')}`);
    const err = events.find((e) => e.kind === 'error') as { message?: string } | undefined;
    throw new Error(err?.message ?? `no introspection result (the session ${summary.state ?? 'closed'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.data);
  } catch {
    throw new Error(`introspection failed: the response is not JSON: ${result.data.slice(0, 80).replace(/\s+/g, ' ')}`);
  }
  return parsed;
}

/** The fields as text, grouped by root type: `subscription  ticks(count: Int = 1000): Tick!`. */
export function formatFields(fields: readonly GraphqlField[]): string {
  if (fields.length === 0) return 'no fields\n';
  const lines: string[] = [];
  for (const root of ['query', 'mutation', 'subscription'] as const) {
    const mine = fields.filter((f) => f.root === root);
    if (mine.length === 0) continue;
    lines.push(`${root}:`);
    for (const f of mine) lines.push(`  ${f.name}${f.args.length ? `(${f.args.map((a) => `${a.name}: ${a.type}${a.defaultValue !== undefined ? ` = ${a.defaultValue}` : ''}`).join(', ')})` : ''}: ${f.type}`);
  }
  return `${lines.join('\n')}\n`;
}
