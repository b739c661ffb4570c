/**
 * A collapsible, syntax-coloured JSON tree for the detail pane, laid out as pretty-printed JSON text
 * (its text is the JSON; folding hides lines, like an editor's folding) (role=tree, keyboard like VS Code's
 * trees: ↑ ↓ move, → expands or enters, ← collapses or goes to the parent, Home/End). Children are
 * built when a node is first expanded, and long arrays/objects show their first items only, so a
 * big payload costs little. Every key and value goes in as text; nothing is parsed as markup.
 */
import { reveal } from './format';
import { h } from './ui/dom';

/** Children shown per object or array before a "… n more" line. */
export const MAX_CHILDREN = 200;
/** Levels expanded when the tree is first shown. */
const OPEN_DEPTH = 3;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSONPath of a child: `$.a.b`, `$.items[0]`, `$["odd key"]`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** The text to copy for a value: JSON for objects and arrays, the plain value otherwise. */
export function copyText(v: Json): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v, null, 2);
}

interface NodeInfo {
  value: Json;
  path: string;
  item: HTMLElement;
  children?: HTMLElement;
  close?: HTMLElement;
  closeNl?: HTMLElement;
  built: boolean;
  depth: number;
  last: boolean;
}

export class JsonTree {
  readonly element: HTMLElement;
  private readonly nodes = new WeakMap<HTMLElement, NodeInfo>();
  private active: HTMLElement | undefined;

  constructor(
    value: unknown,
    private readonly onSelect: (path: string, value: unknown) => void,
  ) {
    this.element = h('div', { cls: 'json-tree', role: 'tree', attrs: { 'aria-label': 'Payload as a JSON tree' } });
    const root = this.node(value as Json, '$', null, 1, 0, true);
    this.element.append(root);
    // The text ends with the closing bracket, as JSON.stringify does: no trailing newline.
    const nls = this.element.querySelectorAll('.jt-nl');
    nls[nls.length - 1]?.remove();
    this.setActive(root, false);
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.jt-row');
      if (!row) return;
      const item = row.parentElement as HTMLElement;
      if ((e.target as HTMLElement).closest('.jt-toggle')) this.toggle(item);
      this.setActive(item, true);
    });
  }

  /** Path and value of the selected node. */
  get selected(): { path: string; value: unknown } {
    const info = this.active ? this.nodes.get(this.active) : undefined;
    return info ? { path: info.path, value: info.value } : { path: '$', value: null };
  }

  /** The selected value as text to copy. */
  selectedText(): string {
    return copyText(this.selected.value as Json);
  }

  /**
   * One node as lines of pretty JSON text (the tree's text is JSON.stringify(value, null, 2) for
   * what is built): the opening line with key and bracket, its children, and the closing line.
   */
  private node(value: Json, path: string, key: string | number | null, level: number, depth: number, last: boolean): HTMLElement {
    const container = value !== null && typeof value === 'object';
    const item = h('div', { cls: 'jt-item', role: 'treeitem', attrs: { 'aria-level': String(level), tabindex: '-1' } });
    const indent = '  '.repeat(depth);
    const comma = last ? '' : ',';
    const row = h('div', { cls: 'jt-row' }, h('span', { cls: container ? 'jt-toggle codicon codicon-chevron-right' : 'jt-toggle', attrs: { 'aria-hidden': 'true' } }), indent);
    if (typeof key === 'string') row.append(h('span', { cls: 'jt-key', text: reveal(JSON.stringify(key)) }), h('span', { cls: 'jt-colon', text: ': ' }));
    const info: NodeInfo = { value, path, item, built: false, depth, last };
    if (container) {
      const isArray = Array.isArray(value);
      const n = isArray ? value.length : Object.keys(value).length;
      const open = isArray ? '[' : '{';
      const close = isArray ? ']' : '}';
      if (n === 0) {
        row.append(h('span', { cls: 'jt-punct', text: `${open}${close}` }), comma);
        item.append(row, h('span', { cls: 'jt-nl', text: '\n' }));
        this.nodes.set(item, info);
        row.firstElementChild!.className = 'jt-toggle';
        return item;
      }
      row.append(h('span', { cls: 'jt-punct', text: open }));
      // Collapsed, the line shows "{ 3 keys }," from CSS (not text, so the text stays the JSON).
      row.dataset.summary = ` ${isArray ? `${n} ${n === 1 ? 'item' : 'items'}` : `${n} ${n === 1 ? 'key' : 'keys'}`} ${close}${comma}`;
      item.setAttribute('aria-expanded', 'false');
      item.append(row, h('span', { cls: 'jt-nl', text: '\n' }));
      info.close = h('div', { cls: 'jt-close' }, h('span', { cls: 'jt-toggle', attrs: { 'aria-hidden': 'true' } }), indent, h('span', { cls: 'jt-punct', text: close }), comma);
      info.closeNl = h('span', { cls: 'jt-nl', text: '\n' });
      info.close.hidden = true;
      item.append(info.close, info.closeNl);
    } else {
      row.append(this.leaf(value), comma);
      item.append(row, h('span', { cls: 'jt-nl', text: '\n' }));
    }
    this.nodes.set(item, info);
    if (container && depth < OPEN_DEPTH) this.expand(item);
    return item;
  }

  private leaf(v: Json): HTMLElement {
    if (v === null) return h('span', { cls: 'jt-null', text: 'null' });
    if (typeof v === 'string') return h('span', { cls: 'jt-string', text: reveal(JSON.stringify(v)) });
    if (typeof v === 'number') return h('span', { cls: 'jt-number', text: String(v) });
    return h('span', { cls: 'jt-boolean', text: String(v) });
  }

  private build(info: NodeInfo): void {
    if (info.built) return;
    info.built = true;
    const group = h('div', { cls: 'jt-children', role: 'group' });
    const v = info.value as Json[] | Record<string, Json>;
    const level = Number(info.item.getAttribute('aria-level')) + 1;
    const entries: Array<[string | number, Json]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    const shown = entries.slice(0, MAX_CHILDREN);
    shown.forEach(([k, child], i) => group.append(this.node(child, childPath(info.path, k), k, level, info.depth + 1, i === entries.length - 1)));
    if (entries.length > MAX_CHILDREN) {
      group.append(h('div', { cls: 'jt-more muted', text: `${'  '.repeat(info.depth + 1)}… ${entries.length - MAX_CHILDREN} more (Open in Editor shows the whole payload)` }), h('span', { cls: 'jt-nl', text: '\n' }));
    }
    info.children = group;
    info.item.insertBefore(group, info.close ?? null);
  }

  private expand(item: HTMLElement): void {
    const info = this.nodes.get(item);
    if (!info || item.getAttribute('aria-expanded') === null) return;
    this.build(info);
    if (info.children) info.children.hidden = false;
    if (info.close) info.close.hidden = false;
    item.setAttribute('aria-expanded', 'true');
    item.querySelector(':scope > .jt-row > .jt-toggle')?.classList.replace('codicon-chevron-right', 'codicon-chevron-down');
  }

  private collapse(item: HTMLElement): void {
    const info = this.nodes.get(item);
    if (!info || item.getAttribute('aria-expanded') !== 'true') return;
    if (info.children) info.children.hidden = true;
    if (info.close) info.close.hidden = true;
    item.setAttribute('aria-expanded', 'false');
    item.querySelector(':scope > .jt-row > .jt-toggle')?.classList.replace('codicon-chevron-down', 'codicon-chevron-right');
  }

  private toggle(item: HTMLElement): void {
    if (item.getAttribute('aria-expanded') === 'true') this.collapse(item);
    else this.expand(item);
  }

  private setActive(item: HTMLElement, focus: boolean): void {
    if (this.active) {
      this.active.setAttribute('tabindex', '-1');
      this.active.classList.remove('jt-selected');
      this.active.setAttribute('aria-selected', 'false');
    }
    this.active = item;
    item.setAttribute('tabindex', '0');
    item.classList.add('jt-selected');
    item.setAttribute('aria-selected', 'true');
    if (focus) item.focus();
    const info = this.nodes.get(item);
    if (info) this.onSelect(info.path, info.value);
  }

  /** Tree items in screen order (those not inside a collapsed node). */
  private visibleItems(): HTMLElement[] {
    return [...this.element.querySelectorAll<HTMLElement>('.jt-item')].filter((el) => !el.closest('.jt-children[hidden]'));
  }

  private onKey(e: KeyboardEvent): void {
    const cur = this.active;
    if (!cur) return;
    const items = this.visibleItems();
    const at = items.indexOf(cur);
    let next: HTMLElement | undefined;
    switch (e.key) {
      case 'ArrowDown': next = items[at + 1]; break;
      case 'ArrowUp': next = items[at - 1]; break;
      case 'Home': next = items[0]; break;
      case 'End': next = items[items.length - 1]; break;
      case 'ArrowRight':
        if (cur.getAttribute('aria-expanded') === 'false') this.expand(cur);
        else if (cur.getAttribute('aria-expanded') === 'true') next = cur.querySelector<HTMLElement>(':scope > .jt-children > .jt-item') ?? undefined;
        break;
      case 'ArrowLeft':
        if (cur.getAttribute('aria-expanded') === 'true') this.collapse(cur);
        else next = cur.parentElement?.closest<HTMLElement>('.jt-item') ?? undefined;
        break;
      case 'Enter':
      case ' ':
        this.toggle(cur);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
    if (next) this.setActive(next, true);
  }
}
