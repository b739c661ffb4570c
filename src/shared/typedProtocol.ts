/**
 * The machinery every host <-> webview protocol is built from (the inspector's, the profile form's
 * and the pattern race report's): message descriptors that carry their parameter and result types
 * and their validators, validation derived from them, and handler maps whose parameters and
 * results are inferred from the same descriptors.
 *
 *   const GetRows = req<{ sessionId: string; start: number }, { rows: WireEvent[] }>('log/getRows', { sessionId: str(100), start: int() });
 *
 * - The webview sends with the descriptor (`rpc.request(GetRows, {...})`): params and result are typed.
 * - The host validates with the descriptor's schema: one validator per parameter, and the compiler
 *   checks that every parameter has one, of the right type (`str()` cannot check a number).
 * - The host answers through {@link defineHandlers}: one handler per descriptor of the set, each
 *   typed by its descriptor; a missing handler, an unknown one or a wrong result type fails to compile.
 *
 * Shared zone: no Node, no vscode, no engine imports.
 */

// ---------- field validators ----------
/**
 * A validator of one parameter. It returns a problem phrase ("must be a string") or undefined.
 * `T` is the type it admits; it is a phantom (never set) so that the compiler can check that a
 * schema's validators fit the parameter types.
 */
export interface Field<T> {
  (value: unknown): string | undefined;
  readonly _type?: { readonly t: T };
}

const field = <T>(check: (value: unknown) => string | undefined): Field<T> => check as Field<T>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A string of at most `max` characters. */
export const str = (max = 10_000_000): Field<string> => field((v) => (typeof v === 'string' && v.length <= max ? undefined : 'must be a string'));
/** A non-empty string of at most `max` characters. */
export const nonEmptyStr = (max = 10_000_000): Field<string> =>
  field((v) => (typeof v === 'string' && v.length > 0 && v.length <= max ? undefined : `must be a string of 1 to ${max} characters`));
/** An integer in [min, max]. */
export const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Field<number> =>
  field((v) => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `must be an integer in [${min}, ${max}]`));
/** One of a fixed list of strings. */
export const oneOf = <const V extends readonly string[]>(values: V): Field<V[number]> =>
  field((v) => ((values as readonly unknown[]).includes(v) ? undefined : `must be one of ${values.join(', ')}`));
/** A plain object (not null, not an array). */
export const record = (): Field<Record<string, unknown>> => field((v) => (isPlainObject(v) ? undefined : 'must be an object'));
/** A plain object that `check` accepts (it returns a problem or undefined). */
export const objectOf = <T>(check: (v: Record<string, unknown>) => string | undefined): Field<T> =>
  field((v) => (isPlainObject(v) ? check(v) : 'must be an object'));
/** Absent (undefined) or what `f` accepts. */
export const opt = <T>(f: Field<T>): Field<T | undefined> => field((v) => (v === undefined ? undefined : f(v)));

/**
 * One validator per parameter: every key of P, optional ones included, must have one, and each must
 * admit that parameter's type. Unknown keys in incoming params are not read by any handler.
 */
export type ParamSchema<P> = { readonly [K in keyof Required<P>]: Field<P[K]> };

// ---------- descriptors ----------
/** A request: the sender waits for a result. */
export interface RequestType<P, R> {
  readonly kind: 'req';
  readonly method: string;
  readonly params: ParamSchema<P>;
  /** Phantom fields carry the types; never set at run time. */
  readonly _params?: P;
  readonly _result?: R;
}
/** A fire-and-forget command. */
export interface CommandType<P> {
  readonly kind: 'cmd';
  readonly method: string;
  readonly params: ParamSchema<P>;
  readonly _params?: P;
}
/** A notification from the host: the host is trusted, so it carries no validators. */
export interface NotificationType<P> {
  readonly kind: 'note';
  readonly method: string;
  readonly _params?: P;
}

export const req = <P, R>(method: string, params: ParamSchema<P>): RequestType<P, R> => ({ kind: 'req', method, params });
export const cmd = <P>(method: string, params: ParamSchema<P>): CommandType<P> => ({ kind: 'cmd', method, params });
export const note = <P>(method: string): NotificationType<P> => ({ kind: 'note', method });

export type ParamsOf<T> = T extends { _params?: infer P } ? P : never;
export type ResultOf<T> = T extends RequestType<unknown, infer R> ? R : never;

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` here only widens descriptor sets; handlers are typed per descriptor. */
/** A descriptor the host must handle. */
export type Incoming = RequestType<any, any> | CommandType<any>;
/** The messages one side accepts, by name (the names only key the handler object). */
export type MessageSet = Readonly<Record<string, Incoming>>;

/** The handler a descriptor needs: a request's returns its result, a command's returns nothing. */
export type HandlerFor<D> =
  D extends RequestType<infer P, infer R> ? (params: P) => R | Promise<R> : D extends CommandType<infer P> ? (params: P) => void | Promise<void> : never;
/** One handler for every descriptor of a set, keyed like the set. */
export type Handlers<S extends MessageSet> = { readonly [K in keyof S]: HandlerFor<S[K]> };

/** The notifications one side receives from the host, by name. */
export type NoteSet = Readonly<Record<string, NotificationType<any>>>;
/** One handler for every notification of a set, typed by its descriptor. */
export type NoteHandlers<S extends NoteSet> = { readonly [K in keyof S]: (params: ParamsOf<S[K]>) => void };
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A handler bound to its descriptor, looked up by method once a message has been validated. */
export interface BoundHandler {
  readonly descriptor: Incoming;
  /** Params must have passed {@link checkParams} against `descriptor`. */
  run(params: Record<string, unknown>): unknown;
}

/**
 * The host side of a protocol: a map from method to its handler. The compiler requires a handler for
 * every descriptor of `set` and types each from its descriptor; at run time a set whose methods
 * repeat, or a handler object that does not match the set, throws.
 */
export function defineHandlers<S extends MessageSet>(set: S, handlers: Handlers<S>): ReadonlyMap<string, BoundHandler> {
  const map = new Map<string, BoundHandler>();
  for (const [name, descriptor] of Object.entries(set)) {
    const fn = (handlers as Record<string, ((p: Record<string, unknown>) => unknown) | undefined>)[name];
    if (typeof fn !== 'function') throw new Error(`no handler for ${descriptor.method}`);
    if (map.has(descriptor.method)) throw new Error(`method ${descriptor.method} is described twice`);
    map.set(descriptor.method, { descriptor, run: (p) => fn(p) });
  }
  for (const name of Object.keys(handlers)) if (!(name in set)) throw new Error(`handler ${name} has no descriptor`);
  return map;
}

/** Index a set by method (throws when two descriptors share one). */
export function byMethod(set: MessageSet): ReadonlyMap<string, Incoming> {
  const map = new Map<string, Incoming>();
  for (const d of Object.values(set)) {
    if (map.has(d.method)) throw new Error(`method ${d.method} is described twice`);
    map.set(d.method, d);
  }
  return map;
}

/** Check params against a descriptor's schema: the first problem as `<param> <problem>`, or undefined. */
export function checkParams(descriptor: Incoming, params: Record<string, unknown>): string | undefined {
  for (const [key, check] of Object.entries(descriptor.params as Record<string, Field<unknown>>)) {
    const problem = check(params[key]);
    if (problem) return `${key} ${problem}`;
  }
  return undefined;
}

/**
 * Parse a flat message ({type: method, ...params}, the shape of the profile form's and the race
 * report's messages) against a set's descriptors: the method and params, or a one-line reason.
 */
export function parseFlatMessage(index: ReadonlyMap<string, Incoming>, raw: unknown, what: string): { method: string; params: Record<string, unknown> } | string {
  if (!isPlainObject(raw) || typeof raw.type !== 'string') return `not a ${what} message`;
  const descriptor = index.get(raw.type);
  if (!descriptor) return `unknown ${what} message "${clip(raw.type, 40)}"`;
  const params: Record<string, unknown> = { ...raw };
  delete params.type;
  const problem = checkParams(descriptor, params);
  return problem ? `${descriptor.method}: ${problem}` : { method: descriptor.method, params };
}

/**
 * The page side of a flat protocol: a function that takes a host message ({type: method, ...params})
 * and calls the handler of its notification, typed by the descriptor. The compiler requires a handler
 * for every notification of `set`; anything else the page receives is ignored (the host is trusted,
 * but a stray message must not break the page).
 */
export function flatNoteDispatcher<S extends NoteSet>(set: S, handlers: NoteHandlers<S>): (raw: unknown) => void {
  const map = new Map<string, (params: never) => void>();
  for (const [name, d] of Object.entries(set)) {
    const fn = handlers[name as keyof S] as ((params: never) => void) | undefined;
    if (typeof fn !== 'function') throw new Error(`no handler for ${d.method}`);
    map.set(d.method, fn);
  }
  return (raw) => {
    if (!isPlainObject(raw) || typeof raw.type !== 'string') return;
    const handler = map.get(raw.type);
    if (!handler) return;
    const params: Record<string, unknown> = { ...raw };
    delete params.type;
    handler(params as never);
  };
}

/** The flat wire form of a message: {type: method, ...params}. */
export function flatMessage<D extends { method: string; _params?: unknown }>(descriptor: D, params: ParamsOf<D>): { type: string } & ParamsOf<D> {
  return { type: descriptor.method, ...(params as object) } as { type: string } & ParamsOf<D>;
}

/** A string cut to a length fit for a one-line reason. */
export const clip = (s: string, max = 60): string => (s.length > max ? `${s.slice(0, max)}…` : s).replace(/[\r\n]+/g, ' ');
