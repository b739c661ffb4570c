/**
 * Detail pane for the selected event: full payload (JSON pretty-printed when it parses, binary as
 * a hex dump plus base64), headers with secrets masked until revealed, and meta.
 */
import { isCredentialHeader } from '../src/shared/credentials';
import type { WireEvent } from '../src/shared/events';
import { base64ToBytes, formatMs, formatSize, hexDump, prettyJson, reveal } from './format';
import { JsonTree } from './jsonTree';
import { h, kvTable, setText } from './ui/dom';
import { button, iconButton } from './ui/toolkit';

/** Header names whose values are credentials: masked in the UI until the user reveals them. */
const MASK = '••••••••';

function display(v: unknown): string {
  if (typeof v === 'string') return reveal(v, true);
  try {
    return reveal(JSON.stringify(v) ?? String(v), true);
  } catch {
    return String(v);
  }
}

/** Headers from meta: an object of name -> value(s), or an array of [name, value] pairs. */
export function headerPairs(headers: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (Array.isArray(headers)) {
    for (const p of headers) if (Array.isArray(p) && p.length >= 2) out.push([String(p[0]), Array.isArray(p[1]) ? p[1].map(String).join(', ') : String(p[1])]);
  } else if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) out.push([k, Array.isArray(v) ? v.map(String).join(', ') : String(v)]);
  }
  return out;
}

/** The detail pane (#detail). */
export class DetailPane {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private event: WireEvent | null = null;
  private revealSecrets = false;

  constructor(
    private readonly copy: (text: string) => void,
    /** "Add Expectation from Frame" for an inbound data frame (the host says so when the session has no workspace profile). */
    private readonly addExpectation?: (seq: number) => void,
    private readonly openInEditor?: (seq: number) => void,
    private readonly proxy?: { can(): boolean; fault(conn: string, fault: 'cut' | 'stall' | 'resume'): void },
  ) {
    this.body = h('div', { cls: 'detail-body' });
    this.element = h('section', { id: 'detail', cls: 'detail', attrs: { 'aria-label': 'Event detail', tabindex: '-1' } }, this.body);
    this.show(null);
  }

  /** The event shown, or null. */
  get shown(): WireEvent | null {
    return this.event;
  }

  /** Show an event (or the placeholder); all strings go in as text. */
  show(e: WireEvent | null, loading = false): void {
    this.event = e;
    this.revealSecrets = false;
    this.render(loading);
  }

  private render(loading: boolean): void {
    const e = this.event;
    if (!e) {
      this.body.replaceChildren(h('p', { id: 'detail-empty', cls: 'muted', text: loading ? 'Loading…' : 'Select a row to see its detail (Enter or click).' }));
      return;
    }
    const parts: Node[] = [];
    const title = `#${e.seq} ${e.kind}${e.kind === 'frame' ? ` ${e.dir === 'in' ? '↓ in' : '↑ out'}` : ''}`;
    parts.push(h('h3', { id: 'detail-title', text: title }));
    const facts: Array<[string, string]> = [
      ['t', formatMs(e.t)],
      ['time', new Date(e.ts).toISOString()],
    ];
    if (e.kind === 'frame') {
      if (e.channel !== undefined) facts.push(['channel', reveal(e.channel)]);
      facts.push(['size', `${formatSize(e.size)} (${e.size} bytes)${e.truncated ? ', truncated' : ''}`]);
      facts.push(['encoding', e.encoding]);
    } else {
      for (const [k, v] of Object.entries(e)) {
        if (['seq', 't', 'ts', 'kind', 'meta'].includes(k)) continue;
        facts.push([k, display(v)]);
      }
    }
    parts.push(kvTable('detail-facts', facts));
    const conn = (e as { meta?: Record<string, unknown> }).meta?.conn;
    if (typeof conn === 'string' && this.proxy?.can()) {
      const proxy = this.proxy;
      parts.push(
        h('div', { cls: 'detail-actions' },
          button('Cut this connection', { id: 'detail-cut', appearance: 'secondary', onClick: () => proxy.fault(conn, 'cut') }),
          button('Stall', { id: 'detail-stall', appearance: 'secondary', onClick: () => proxy.fault(conn, 'stall') }),
          button('Resume', { id: 'detail-resume', appearance: 'secondary', onClick: () => proxy.fault(conn, 'resume') }),
        ),
      );
    }
    if (e.kind === 'frame') parts.push(...this.payload(e.data, e.encoding, e.seq, e.truncated === true));
    if (e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true && this.addExpectation) {
      const add = this.addExpectation;
      const seq = e.seq;
      parts.push(
        h(
          'div',
          { cls: 'detail-head' },
          button('Add Expectation from Frame', { id: 'detail-add-expectation', appearance: 'secondary', onClick: () => add(seq) }),
        ),
      );
    }
    const meta = (e as { meta?: Record<string, unknown> }).meta;
    if (meta && typeof meta === 'object') {
      const headers = headerPairs(meta.headers);
      if (headers.length) parts.push(this.headersTable(headers));
      const rest = Object.entries(meta).filter(([k]) => k !== 'headers');
      if (rest.length) parts.push(h('h4', { text: 'Meta' }), kvTable('detail-meta', rest.map(([k, v]) => [reveal(k), display(v)])));
    }
    this.body.replaceChildren(...parts);
  }

  private payload(data: string, encoding: 'utf8' | 'base64', seq: number, truncated: boolean): Node[] {
    const out: Node[] = [];
    const copyBtn = iconButton('copy', { id: 'detail-copy', title: 'Copy payload', onClick: () => this.copy(data) });
    const openBtn = iconButton('go-to-file', {
      id: 'detail-open-editor',
      title: truncated ? 'Open the kept payload in an editor tab (the log kept its first part)' : 'Open the whole payload in an editor tab',
      onClick: () => this.openInEditor?.(seq),
    });
    openBtn.hidden = !this.openInEditor;
    const tools = (...extra: HTMLElement[]) => h('div', { cls: 'detail-tools' }, ...extra, copyBtn, openBtn);
    if (encoding === 'base64') {
      const bytes = base64ToBytes(data) ?? new Uint8Array();
      out.push(h('div', { cls: 'detail-head' }, h('h4', { text: 'Payload (binary)' }), tools()));
      out.push(h('pre', { id: 'detail-hex', cls: 'payload hex', text: hexDump(bytes).join('\n') }));
      out.push(h('h4', { text: 'Base64' }), h('pre', { id: 'detail-base64', cls: 'payload wrap', text: data }));
      return out;
    }
    const pretty = prettyJson(data);
    if (pretty === null) {
      out.push(h('div', { cls: 'detail-head' }, h('h4', { text: 'Payload' }), tools()));
      out.push(h('pre', { id: 'detail-payload', cls: 'payload wrap', text: reveal(data, true) }));
      return out;
    }
    // JSON: pretty-printed, coloured and foldable (a tree), with copy of the selected value and path.
    const pathText = h('code', { id: 'detail-json-path', cls: 'json-path', title: 'Path of the selected node' });
    const tree = new JsonTree(JSON.parse(data.trim()), (path) => setText(pathText, reveal(path)));
    tree.element.id = 'detail-payload';
    tree.element.classList.add('payload', 'json');
    const copyValue = iconButton('symbol-value', { id: 'detail-copy-value', title: 'Copy the selected value', onClick: () => this.copy(tree.selectedText()) });
    const copyPath = iconButton('symbol-field', { id: 'detail-copy-path', title: 'Copy the selected path', onClick: () => this.copy(tree.selected.path) });
    out.push(h('div', { cls: 'detail-head' }, h('h4', { text: 'Payload (JSON)' }), pathText, tools(copyPath, copyValue)), tree.element);
    return out;
  }

  private headersTable(headers: Array<[string, string]>): Node {
    const hasSecret = headers.some(([k]) => isCredentialHeader(k));
    const rows = headers.map(([k, v]): [string, string] => [reveal(k), isCredentialHeader(k) && !this.revealSecrets ? MASK : reveal(v, true)]);
    const head = h('div', { cls: 'detail-head' }, h('h4', { text: 'Headers' }));
    if (hasSecret) {
      head.append(
        button(this.revealSecrets ? 'Hide secrets' : 'Reveal secrets', {
          id: 'detail-reveal',
          appearance: 'secondary',
          onClick: () => {
            this.revealSecrets = !this.revealSecrets;
            this.render(false);
          },
        }),
      );
    }
    return h('div', {}, head, kvTable('detail-headers', rows));
  }
}
