/**
 * A small JSON path subset for picking one value out of a response: `$.a.b[0]`, `$['odd key'].c`,
 * `a.b` (the leading `$` is optional). No wildcards or filters: options name one field.
 */

/** One step of a path: an object key or an array index. */
export type JsonPathStep = string | number;

/** Parse a path into steps; throws an Error with a one-line message when the path is malformed. */
export function parseJsonPath(path: string): JsonPathStep[] {
  const src = path.trim();
  if (src === '') throw new Error('Empty JSON path');
  let i = 0;
  if (src[0] === '$') i = 1;
  const steps: JsonPathStep[] = [];
  const fail = (why: string): never => {
    throw new Error(`Invalid JSON path "${path}": ${why} at position ${i}`);
  };
  // A bare first key (`a.b`) reads like `$.a.b`.
  if (i === 0 && src[0] !== '[') {
    i = readKey(src, 0, steps, fail);
  }
  while (i < src.length) {
    const c = src[i];
    if (c === '.') {
      i = readKey(src, i + 1, steps, fail);
    } else if (c === '[') {
      i++;
      const q = src[i];
      if (q === "'" || q === '"') {
        let key = '';
        i++;
        while (i < src.length && src[i] !== q) {
          if (src[i] === '\\' && i + 1 < src.length) i++;
          key += src[i];
          i++;
        }
        if (src[i] !== q) fail('unterminated quoted key');
        i++;
        steps.push(key);
      } else {
        const m = /^-?\d+/.exec(src.slice(i));
        if (!m) fail('expected an index or a quoted key');
        steps.push(Number(m![0]));
        i += m![0].length;
      }
      if (src[i] !== ']') fail('expected "]"');
      i++;
    } else {
      fail(`unexpected "${c}"`);
    }
  }
  return steps;
}

function readKey(src: string, from: number, steps: JsonPathStep[], fail: (why: string) => never): number {
  let i = from;
  while (i < src.length && src[i] !== '.' && src[i] !== '[') i++;
  if (i === from) fail('empty key');
  steps.push(src.slice(from, i));
  return i;
}

/** The value at `steps` inside `root`, or undefined when any step is missing. Negative indexes count from the end. */
export function getAtPath(root: unknown, steps: readonly JsonPathStep[]): unknown {
  let cur: unknown = root;
  for (const step of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step < 0 ? cur.length + step : step];
    } else {
      if (Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, step)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}

/** Parse `path` and read it from `root` in one go. */
export function getJsonPath(root: unknown, path: string): unknown {
  return getAtPath(root, parseJsonPath(path));
}

/** Parse a JSON text and read `path` from it; undefined when the text is not JSON or the path is absent. */
export function readJsonPath(text: string, path: string | readonly JsonPathStep[]): unknown {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  return getAtPath(root, typeof path === 'string' ? parseJsonPath(path) : path);
}

/** A scalar found at a path as text (for cursors, URLs, status values); undefined for objects, arrays and null. */
export function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
