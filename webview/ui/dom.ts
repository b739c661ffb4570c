/**
 * Tiny DOM builder. Text always goes in through textContent, so no string from the server can
 * ever become markup; attributes are set only by our own code with our own values.
 */

export interface Props {
  id?: string;
  cls?: string;
  role?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

/** Create an element with text and children; `text` is inserted as a text node, never parsed. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Array<Node | string | null | undefined | false>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.id) el.id = props.id;
  if (props.cls) el.className = props.cls;
  if (props.role) el.setAttribute('role', props.role);
  if (props.title !== undefined) el.title = props.title;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) el.setAttribute(k, v);
  if (props.text !== undefined) el.textContent = props.text;
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** Set text only when it changed (avoids layout work on unchanged rows). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** A two-column key/value table; keys and values are text. */
export function kvTable(id: string, rows: Array<[string, string]>, caption?: string): HTMLTableElement {
  const table = h('table', { id, cls: 'kv' });
  if (caption) table.append(h('caption', { text: caption }));
  const body = h('tbody');
  for (const [k, v] of rows) body.append(h('tr', {}, h('th', { text: k, attrs: { scope: 'row' } }), h('td', { text: v })));
  table.append(body);
  return table;
}
