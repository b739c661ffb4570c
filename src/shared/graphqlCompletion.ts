/**
 * GraphQL field completions as the composer and the profile form offer them: the model the host builds from
 * an introspection (src/patterns/graphql/completions.ts), and where in a document being typed a completion
 * applies and what picking one does to the text. Plain text functions, so they are unit-tested in Node.
 *
 * Shared zone: no Node, no vscode, no engine imports.
 */
export type GraphqlRoot = 'query' | 'mutation' | 'subscription';

/** One root field of the server's schema. */
export interface GraphqlCompletion {
  root: GraphqlRoot;
  name: string;
  /** The field with its arguments and return type: `ticks(count: Int = 1000): Tick!`. */
  detail: string;
  /** The return type: `Tick!`. */
  type: string;
  /** The field as a selection that runs: required arguments with placeholders, scalar subfields: `ticks { seq at }`. */
  selection: string;
  /** A whole document: `subscription { ticks { seq at } }`. */
  document: string;
}

/** Where the caret is in a document, for completions. */
export interface CompletionContext {
  /**
   * `document`: nothing but (the start of) a field name is typed: picking puts in a whole document;
   * `header`: after an operation keyword, before its selection set: picking puts in the operation from the keyword on;
   * `field`: in the root selection set of an operation: picking puts in the field's selection.
   */
  mode: 'document' | 'header' | 'field';
  /** The operation type whose fields apply (every root's in `document` mode). */
  root?: GraphqlRoot;
  /** The word typed so far. */
  prefix: string;
  /** The text from `from` to `to` is replaced by the pick. */
  from: number;
  to: number;
}

const KEYWORDS: readonly GraphqlRoot[] = ['query', 'mutation', 'subscription'];

/** Depth of `{` at the end of `text` and the operation keyword of the definition the end is in. */
function scan(text: string): { depth: number; root: GraphqlRoot | undefined; started: boolean } {
  let depth = 0;
  let root: GraphqlRoot | undefined;
  // Whether the current top-level definition has begun (a keyword, or an anonymous `{`).
  let started = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        i = end < 0 ? n : end + 3;
        continue;
      }
      i++;
      while (i < n && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '{') {
      if (depth === 0 && !started) {
        root = 'query';
        started = true;
      }
      depth++;
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      // The definition ends with its selection set.
      if (depth === 0) started = false;
    } else if (depth === 0 && /[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /\w/.test(text[j])) j++;
      const word = text.slice(i, j);
      if (!started && (KEYWORDS as readonly string[]).includes(word)) {
        root = word as GraphqlRoot;
        started = true;
      }
      i = j;
      continue;
    }
    i++;
  }
  return { depth, root, started };
}

/** Where completions apply at `caret` in `text`, or undefined (inside arguments, a subselection, a string…). */
export function completionContext(text: string, caret: number): CompletionContext | undefined {
  const before = text.slice(0, Math.max(0, Math.min(caret, text.length)));
  const word = /[A-Za-z_]\w*$/.exec(before);
  const prefix = word ? word[0] : '';
  const from = before.length - prefix.length;
  // The caret must not be in the middle of a word.
  let to = before.length;
  while (to < text.length && /\w/.test(text[to])) to++;
  const head = before.slice(0, from);
  const s = scan(head);
  if (s.depth === 1 && s.started) {
    // In the root selection set: right after `{` or after a complete field (not inside an argument list).
    if (/[(:$@"!=.[]\s*$/.test(head) || /\(\s*[^)]*$/.test(head.slice(head.lastIndexOf('{')))) return undefined;
    return { mode: 'field', root: s.root, prefix, from, to };
  }
  if (s.depth !== 0) return undefined;
  // At the start: a field name, or an operation keyword being typed.
  const lineStart = head.replace(/\s+$/, '');
  if (!s.started) {
    // One document at a time: a whole operation goes in only where nothing else is written yet.
    if (lineStart !== '') return undefined;
    return { mode: 'document', prefix, from, to };
  }
  // After a keyword: `subscription ` or `subscription ti` (a field name typed where the name would go).
  const kw = /\b(query|mutation|subscription)\s*$/.exec(head);
  if (!kw) return undefined;
  return { mode: 'header', root: kw[1] as GraphqlRoot, prefix, from: from - kw[0].length, to };
}

/** The completions that fit a context, best first: names that start with the prefix, then names that contain it. */
export function matchingCompletions(all: readonly GraphqlCompletion[], ctx: CompletionContext): GraphqlCompletion[] {
  const p = ctx.prefix.toLowerCase();
  const fits = all.filter((c) => !ctx.root || c.root === ctx.root);
  // In `document` mode the word may be an operation keyword being typed: `sub` offers the subscription fields.
  const byKeyword = ctx.mode === 'document' && p ? fits.filter((c) => c.root.startsWith(p)) : [];
  const starts = fits.filter((c) => c.name.toLowerCase().startsWith(p));
  const contains = p ? fits.filter((c) => !c.name.toLowerCase().startsWith(p) && c.name.toLowerCase().includes(p)) : [];
  const out: GraphqlCompletion[] = [];
  for (const c of [...starts, ...byKeyword, ...contains]) if (!out.includes(c)) out.push(c);
  return out;
}

/** The text after picking `c` in `ctx`, and where the caret goes (the end of what was put in). */
export function applyCompletion(text: string, ctx: CompletionContext, c: GraphqlCompletion): { text: string; caret: number } {
  const insert = ctx.mode === 'field' ? c.selection : c.document;
  let out = text.slice(0, ctx.from) + insert + text.slice(ctx.to);
  const caret = ctx.from + insert.length;
  if (ctx.mode === 'field') {
    // Close the selection sets left open, so the document runs as it is.
    const open = scan(out).depth;
    if (open > 0) out = out.replace(/\s*$/, '') + ' }'.repeat(open);
  }
  return { text: out, caret };
}
