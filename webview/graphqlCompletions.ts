/**
 * GraphQL field completions under a text area (the composer of a live GraphQL session, the profile form's
 * documents): as the document is typed, the server's root fields for the operation type show as a list, each
 * with its arguments and return type; ↓/↑ move, Enter or Tab (or a click) puts the pick in: a whole document
 * skeleton, or the field's selection inside a selection set. What the server sent is shown as text only.
 * Ctrl+Enter is left to the text area's owner (it sends). Without fields (introspection off) the list never
 * shows and the text area is a plain text area.
 */
import { applyCompletion, completionContext, matchingCompletions, type CompletionContext, type GraphqlCompletion } from '../src/shared/graphqlCompletion';
import { h } from './ui/dom';
import { caretOf, setCaret, type ValueControl } from './ui/toolkit';

/** Most entries drawn at once (a schema can have hundreds of root fields; typing narrows them). */
const MAX_SHOWN = 50;

/** The part of the text one document occupies (the profile form keeps several, split by `---` lines). */
export type Segmenter = (text: string, caret: number) => { start: number; end: number };

export class GraphqlCompletionList {
  /** The list (hidden when nothing fits). */
  readonly element: HTMLElement;
  private fields: GraphqlCompletion[] = [];
  private shown: GraphqlCompletion[] = [];
  private active = 0;
  private ctx: CompletionContext | undefined;
  private seg = { start: 0, end: 0 };
  private enabled = false;

  constructor(
    private readonly input: ValueControl,
    private readonly id: string,
    private readonly onPick?: (c: GraphqlCompletion) => void,
    private readonly segment?: Segmenter,
  ) {
    this.element = h('div', { id, cls: 'gql-completions', role: 'listbox', attrs: { 'aria-label': 'GraphQL fields' } });
    this.element.hidden = true;
    input.addEventListener('input', () => this.update());
    input.addEventListener('keydown', (e: KeyboardEvent) => this.onKey(e));
    // A click elsewhere (or tabbing away) closes the list; a click on it is handled before the blur.
    input.addEventListener('focusout', () => setTimeout(() => { if (!this.element.matches(':hover')) this.hide(); }, 150));
  }

  /** The fields to offer (empty: none, the text area stays plain). */
  setFields(fields: GraphqlCompletion[]): void {
    this.fields = fields;
    this.enabled = fields.length > 0;
    if (!this.enabled) this.hide();
  }

  get visible(): boolean {
    return !this.element.hidden;
  }

  hide(): void {
    this.element.hidden = true;
    this.shown = [];
    this.input.removeAttribute('aria-activedescendant');
  }

  /** Recompute the list for the text before the caret (called as the user types). */
  update(): void {
    if (!this.enabled) return;
    const text = this.input.value ?? '';
    const caret = caretOf(this.input);
    this.seg = this.segment ? this.segment(text, caret) : { start: 0, end: text.length };
    const doc = text.slice(this.seg.start, this.seg.end);
    const at = caret - this.seg.start;
    const ctx = completionContext(doc, at);
    if (!ctx || !this.wanted(doc, ctx)) return this.hide();
    const shown = matchingCompletions(this.fields, ctx);
    if (shown.length === 0) return this.hide();
    this.ctx = ctx;
    this.shown = shown.slice(0, MAX_SHOWN);
    this.active = 0;
    this.render();
  }

  /**
   * With nothing of a name typed yet, the list shows only where a field is plainly next: after an operation
   * keyword or a `{`. An empty document waits for the first letter (Enter there is a new line, not a pick).
   */
  private wanted(doc: string, ctx: CompletionContext): boolean {
    if (ctx.prefix !== '') return true;
    if (ctx.mode === 'header') return true;
    if (ctx.mode === 'document') return false;
    return /\{\s*$/.test(doc.slice(0, ctx.from));
  }

  private render(): void {
    this.element.replaceChildren(
      ...this.shown.map((c, i) => {
        const option = h(
          'div',
          { id: `${this.id}-${i}`, cls: i === this.active ? 'gql-completion active' : 'gql-completion', role: 'option', attrs: { 'aria-selected': String(i === this.active), 'data-name': c.name, 'data-root': c.root } },
          h('span', { cls: 'gql-completion-name', text: c.name }),
          h('span', { cls: 'gql-completion-detail', text: c.detail }),
          h('span', { cls: 'gql-completion-root muted', text: c.root }),
        );
        // Keep the focus in the text area; the click picks.
        option.addEventListener('mousedown', (e) => e.preventDefault());
        option.addEventListener('click', () => this.pick(i));
        return option;
      }),
    );
    this.element.hidden = false;
    this.input.setAttribute('aria-activedescendant', `${this.id}-${this.active}`);
  }

  private move(by: number): void {
    if (this.shown.length === 0) return;
    this.active = (this.active + by + this.shown.length) % this.shown.length;
    this.render();
    this.element.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.visible) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      this.move(e.key === 'ArrowDown' ? 1 : -1);
    } else if ((e.key === 'Enter' && !e.ctrlKey && !e.metaKey && !e.shiftKey && !e.altKey) || (e.key === 'Tab' && !e.shiftKey)) {
      e.preventDefault();
      e.stopImmediatePropagation();
      this.pick(this.active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.hide();
    }
  }

  /** Put the completion at `index` in. */
  pick(index: number): void {
    const c = this.shown[index];
    const ctx = this.ctx;
    if (!c || !ctx) return;
    const text = this.input.value ?? '';
    const doc = text.slice(this.seg.start, this.seg.end);
    const r = applyCompletion(doc, ctx, c);
    this.input.value = text.slice(0, this.seg.start) + r.text + text.slice(this.seg.end);
    this.hide();
    setCaret(this.input, this.seg.start + r.caret);
    this.onPick?.(c);
  }
}
