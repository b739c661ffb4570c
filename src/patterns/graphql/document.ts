/**
 * The operations of a GraphQL document, found by a small scanner (no graphql-js at run time): the
 * top-level definitions with their kind and name, skipping strings, block strings, comments and
 * selection sets. Enough to pick the operation to run and to know whether it is a subscription; the
 * server does the real parsing and validation.
 */
export type OperationType = 'query' | 'mutation' | 'subscription';

export interface OperationInfo {
  type: OperationType;
  name?: string;
}

export class DocumentError extends Error {}

/** Top-level operation definitions of `doc`, in order (fragments left out). */
export function operationsOf(doc: string): OperationInfo[] {
  const ops: OperationInfo[] = [];
  let depth = 0;
  let i = 0;
  const n = doc.length;
  // After a keyword at depth 0: waiting for the definition's name or its selection set.
  let pending: { type: OperationType | 'fragment'; named: boolean } | undefined;
  while (i < n) {
    const c = doc[i];
    if (c === '#') {
      while (i < n && doc[i] !== '\n' && doc[i] !== '\r') i++;
      continue;
    }
    if (c === '"') {
      if (doc.startsWith('"""', i)) {
        const end = doc.indexOf('"""', i + 3);
        i = end < 0 ? n : end + 3;
        // An escaped \""" inside a block string is rare enough; the server says what is wrong.
        continue;
      }
      i++;
      while (i < n && doc[i] !== '"' && doc[i] !== '\n') i += doc[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '{' || c === '(' || c === '[') {
      if (depth === 0 && c === '{') {
        if (!pending) ops.push({ type: 'query' });
        pending = undefined;
      }
      depth++;
      i++;
      continue;
    }
    if (c === '}' || c === ')' || c === ']') {
      depth = Math.max(0, depth - 1);
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w]/.test(doc[j])) j++;
      const word = doc.slice(i, j);
      if (depth === 0) {
        if (!pending && (word === 'query' || word === 'mutation' || word === 'subscription')) {
          pending = { type: word, named: false };
          ops.push({ type: word });
        } else if (!pending && word === 'fragment') {
          pending = { type: 'fragment', named: false };
        } else if (pending && !pending.named && pending.type !== 'fragment') {
          pending.named = true;
          ops[ops.length - 1].name = word;
        } else if (pending) pending.named = true;
      }
      i = j;
      continue;
    }
    i++;
  }
  return ops;
}

/** The one operation a document runs (by `operationName` when it has several). Throws DocumentError. */
export function pickOperation(doc: string, operationName: string | undefined): OperationInfo {
  const ops = operationsOf(doc);
  if (ops.length === 0) throw new DocumentError(`not a GraphQL operation: "${doc.trim().slice(0, 60)}${doc.trim().length > 60 ? '…' : ''}" (like: query { field } or subscription { field })`);
  if (operationName !== undefined) {
    const hit = ops.find((o) => o.name === operationName);
    if (hit) return hit;
    if (ops.length > 1) throw new DocumentError(`no operation named ${operationName} in the document (it has ${ops.map((o) => o.name ?? 'an anonymous one').join(', ')})`);
  }
  if (ops.length > 1) throw new DocumentError(`the document has ${ops.length} operations (${ops.map((o) => o.name ?? 'anonymous').join(', ')}): name one with --operation-name`);
  return ops[0];
}

/** A result's `errors` as messages and paths, for `meta.errors`; undefined when there are none. */
export function resultErrors(result: unknown): Array<{ message: string; path?: Array<string | number> }> | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const errors = (result as { errors?: unknown }).errors;
  if (errors === undefined || errors === null) return undefined;
  return errorList(errors);
}

/** Any error value (a list of GraphQL errors, one error, a string) as messages and paths. */
export function errorList(errors: unknown): Array<{ message: string; path?: Array<string | number> }> {
  const list = Array.isArray(errors) ? errors : [errors];
  return list.map((e) => {
    if (typeof e === 'string') return { message: e };
    const o = (e ?? {}) as { message?: unknown; path?: unknown };
    const out: { message: string; path?: Array<string | number> } = { message: typeof o.message === 'string' ? o.message : JSON.stringify(e) ?? String(e) };
    if (Array.isArray(o.path)) out.path = o.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
    return out;
  });
}

/** `message (at a.b.0)`, the one line of an error. */
export function errorLine(e: { message: string; path?: Array<string | number> }): string {
  return `${e.message}${e.path?.length ? ` (at ${e.path.join('.')})` : ''}`;
}
