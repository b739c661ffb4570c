/**
 * The options tables of the docs, rendered from the pattern descriptors' schemas: each pattern page
 * (docs/patterns/<page>.md) carries its table between two marker comments, rewritten by `npm run schema`
 * (`npm run build` runs it) and checked by a unit test, so the docs say what the code accepts.
 */
import type { TSchema } from '@sinclair/typebox';
import { ALL_PATTERN_DESCRIPTORS } from './index';

interface JsonSchemaLike {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchemaLike[];
  items?: JsonSchemaLike;
  properties?: Record<string, JsonSchemaLike>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  additionalProperties?: unknown;
  patternProperties?: Record<string, JsonSchemaLike>;
}

/** A schema as one short type: `lines \| length`, `integer ≥ 0`, `array of strings`, `object`. */
export function typeText(s: JsonSchemaLike): string {
  if (s.anyOf && s.anyOf.every((x) => x.const !== undefined)) return s.anyOf.map((x) => `\`${String(x.const)}\``).join(', ');
  if (s.anyOf) return s.anyOf.map(typeText).join(' or ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  switch (s.type) {
    case 'integer':
    case 'number': {
      const range = s.minimum !== undefined && s.maximum !== undefined ? ` ${s.minimum}–${s.maximum}` : s.minimum !== undefined ? ` ≥ ${s.minimum}` : '';
      return `${s.type}${range}`;
    }
    case 'array': {
      const item = s.items ? typeText(s.items) : 'values';
      return s.items?.type === 'object' ? 'array of objects' : `array of ${item}${/s$|,/.test(item) ? '' : 's'}`;
    }
    case 'object':
      if (!s.patternProperties) return 'object';
      // A record: of strings (headers, query parameters, MQTT user properties) or of any JSON value (an auth payload).
      return Object.values(s.patternProperties).some((v) => v.type === undefined && v.anyOf === undefined) ? 'JSON object' : 'map of strings';
    default:
      return s.type ?? 'value';
  }
}

/** Escape a cell's text for a Markdown table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
}

export interface OptionRow {
  path: string;
  type: string;
  flag: string;
  description: string;
}

/** `wirescope connect` flags by the option path they set (`mqtt.subscribe` -> `--subscribe topic[:qos]`). */
export type FlagsByPath = ReadonlyMap<string, readonly string[]>;

/**
 * Every option of a pattern, nested objects flattened to dotted paths (`mqtt.request.topic`, array items as
 * `mqtt.subscribe[].qos`), in schema order, with the CLI flags that set each.
 */
export function optionRows(id: string, flags: FlagsByPath = new Map()): OptionRow[] {
  const d = ALL_PATTERN_DESCRIPTORS.find((x) => x.id === id) as { optionsKey?: string; options?: TSchema } | undefined;
  if (!d?.options || !d.optionsKey) return [];
  const rows: OptionRow[] = [];
  const walk = (props: Record<string, JsonSchemaLike>, prefix: string, depth: number) => {
    for (const [key, s] of Object.entries(props)) {
      const path = `${prefix}${key}`;
      rows.push({ path, type: typeText(s), flag: (flags.get(path) ?? []).map((f) => `\`${f}\``).join(', '), description: s.description ?? '' });
      const nested = s.type === 'object' ? s.properties : s.type === 'array' && s.items?.type === 'object' ? s.items.properties : undefined;
      if (nested && depth < 2) walk(nested, `${path}${s.type === 'array' ? '[]' : ''}.`, depth + 1);
    }
  };
  walk((d.options as JsonSchemaLike).properties ?? {}, `${d.optionsKey}.`, 0);
  return rows;
}

/** The Markdown table of a pattern's options. */
export function optionsTable(id: string, flags: FlagsByPath = new Map()): string {
  const rows = optionRows(id, flags);
  const lines = ['| option | type | CLI flag | what it does |', '|---|---|---|---|'];
  for (const r of rows) lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${cell(r.flag)} | ${cell(r.description)} |`);
  return lines.join('\n');
}

export const beginMarker = (id: string) => `<!-- options:${id} begin: generated from src/patterns/${id}/descriptor.ts by npm run schema; edit the descriptor, not this table -->`;
export const endMarker = (id: string) => `<!-- options:${id} end -->`;

/** A page with every options table between its markers rewritten (a begin marker without its end is an error). */
export function renderOptionTables(page: string, flags: FlagsByPath = new Map()): { text: string; ids: string[] } {
  let text = page;
  const ids: string[] = [];
  for (const d of ALL_PATTERN_DESCRIPTORS) {
    const begin = beginMarker(d.id);
    const b = text.indexOf(begin);
    if (b < 0) continue;
    const e = text.indexOf(endMarker(d.id), b);
    if (e < 0) throw new Error(`the options table of ${d.id} has no end marker`);
    text = `${text.slice(0, b + begin.length)}\n${optionsTable(d.id, flags)}\n${text.slice(e)}`;
    ids.push(d.id);
  }
  return { text, ids };
}
