/**
 * The one module that knows which web-component library draws the controls.
 * Everything else in the webview builds controls through these factories, so moving from the
 * archived @vscode/webview-ui-toolkit to @vscode-elements/elements changes only this file.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeTextArea,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

/** Register the custom elements once per load. */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDivider(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
    vsCodeTextArea(),
    vsCodeTextField(),
  );
}

/** A control with a string value (text field, text area, dropdown). */
export interface ValueControl extends HTMLElement {
  value: string;
  disabled: boolean;
}
/** A checkbox control. */
export interface CheckControl extends HTMLElement {
  checked: boolean;
}
/** A button control. */
export interface ButtonControl extends HTMLElement {
  disabled: boolean;
}

/**
 * The library's element for a control, with the class `ws-<kind>` (`ws-button`, `ws-text-field`, `ws-dropdown`,
 * `ws-option`, `ws-panels`…): style sheets select these classes, never the library's tag names, so that the
 * library can change here alone.
 */
function make<T extends HTMLElement>(tag: string, id?: string): T {
  const el = document.createElement(tag) as T;
  if (id) el.id = id;
  if (tag.startsWith('vscode-')) el.classList.add(`ws-${tag.slice('vscode-'.length)}`);
  return el;
}

export interface ButtonOptions {
  id?: string;
  title?: string;
  appearance?: 'primary' | 'secondary' | 'icon';
  onClick?: () => void;
}
/** A push button; `label` is set as text. */
export function button(label: string, o: ButtonOptions = {}): ButtonControl {
  const el = make<ButtonControl>('vscode-button', o.id);
  el.textContent = label;
  if (o.appearance) el.setAttribute('appearance', o.appearance);
  if (o.title) {
    el.title = o.title;
    el.setAttribute('aria-label', o.title);
  }
  if (o.onClick) el.addEventListener('click', () => { if (!el.disabled) o.onClick?.(); });
  return el;
}

export interface IconButtonOptions {
  id?: string;
  /** Tooltip and accessible name; the shortcut, when given, is added to the tooltip. */
  title: string;
  shortcut?: string;
  onClick?: () => void;
}
/** A toolbar button showing one codicon (`icon` is the codicon name, e.g. `debug-disconnect`). */
export function iconButton(icon: string, o: IconButtonOptions): ButtonControl & { setIcon(icon: string, title: string): void } {
  const el = make<ButtonControl & { setIcon(icon: string, title: string): void }>('vscode-button', o.id);
  el.setAttribute('appearance', 'icon');
  el.classList.add('icon-button');
  const glyph = document.createElement('span');
  glyph.setAttribute('aria-hidden', 'true');
  el.append(glyph);
  el.setIcon = (name, title) => {
    glyph.className = `codicon codicon-${name}`;
    const tip = o.shortcut ? `${title} (${o.shortcut})` : title;
    el.title = tip;
    el.setAttribute('aria-label', title);
    if (o.shortcut) el.setAttribute('aria-keyshortcuts', o.shortcut);
  };
  el.setIcon(icon, o.title);
  if (o.onClick) el.addEventListener('click', () => { if (!el.disabled) o.onClick?.(); });
  return el;
}

export interface FieldOptions {
  id?: string;
  label?: string;
  placeholder?: string;
  value?: string;
  ariaLabel?: string;
  /** `password` masks what is typed (secrets); the value is never set from outside. */
  type?: 'text' | 'password';
  onInput?: (value: string) => void;
}
/** A single-line text field. */
export function textField(o: FieldOptions = {}): ValueControl {
  const el = make<ValueControl>('vscode-text-field', o.id);
  if (o.type === 'password') el.setAttribute('type', 'password');
  if (o.label) el.textContent = o.label;
  if (o.placeholder) el.setAttribute('placeholder', o.placeholder);
  if (o.ariaLabel) el.setAttribute('aria-label', o.ariaLabel);
  if (o.value !== undefined) el.setAttribute('value', o.value);
  if (o.onInput) el.addEventListener('input', () => o.onInput?.(el.value ?? ''));
  return el;
}

/** A multi-line text area. */
export function textArea(o: FieldOptions & { rows?: number } = {}): ValueControl {
  const el = make<ValueControl>('vscode-text-area', o.id);
  if (o.label) el.textContent = o.label;
  if (o.placeholder) el.setAttribute('placeholder', o.placeholder);
  if (o.ariaLabel) el.setAttribute('aria-label', o.ariaLabel);
  if (o.rows) el.setAttribute('rows', String(o.rows));
  el.setAttribute('resize', 'vertical');
  if (o.onInput) el.addEventListener('input', () => o.onInput?.(el.value ?? ''));
  return el;
}

export interface DropdownOptions {
  id?: string;
  ariaLabel?: string;
  options: Array<{ value: string; label: string }>;
  value?: string;
  onChange?: (value: string) => void;
}
/** A dropdown (select). */
export function dropdown(o: DropdownOptions): ValueControl & { setOptions(options: Array<{ value: string; label: string }>, value?: string): void } {
  const el = make<ValueControl>('vscode-dropdown', o.id) as ValueControl & { setOptions(options: Array<{ value: string; label: string }>, value?: string): void };
  if (o.ariaLabel) el.setAttribute('aria-label', o.ariaLabel);
  el.setOptions = (options, value) => {
    el.replaceChildren(
      ...options.map((opt) => {
        // Options carry role="option" (the ARIA role tests and scripts select by) and their value.
        const option = make<HTMLElement & { value: string }>('vscode-option');
        option.setAttribute('role', 'option');
        option.setAttribute('value', opt.value);
        option.textContent = opt.label;
        if (opt.value === value) option.setAttribute('selected', '');
        return option;
      }),
    );
    if (value !== undefined) el.value = value;
  };
  el.setOptions(o.options, o.value);
  if (o.onChange) el.addEventListener('change', () => o.onChange?.(el.value));
  return el;
}

export interface CheckboxOptions {
  id?: string;
  label: string;
  checked?: boolean;
  onChange?: (checked: boolean) => void;
}
/** A checkbox with a text label. */
export function checkbox(o: CheckboxOptions): CheckControl {
  const el = make<CheckControl>('vscode-checkbox', o.id);
  el.textContent = o.label;
  if (o.checked) el.setAttribute('checked', '');
  if (o.onChange) el.addEventListener('change', () => o.onChange?.(el.checked));
  return el;
}

/**
 * A small count/state badge. Drawn by us, not by vscode-badge: that component's template binds an
 * inline style attribute, which the inspector's CSP (no 'unsafe-inline') blocks.
 */
export function badge(text: string, id?: string): HTMLElement {
  const el = make<HTMLElement>('span', id);
  el.className = 'ws-badge';
  el.textContent = text;
  return el;
}

/** A horizontal divider. */
export function divider(): HTMLElement {
  return make<HTMLElement>('vscode-divider');
}

/**
 * A busy indicator. Drawn by us (a CSS spinner), not by vscode-progress-ring: its template carries
 * an inline style attribute, which the inspector's CSP blocks.
 */
export function progressRing(id?: string): HTMLElement {
  const el = make<HTMLElement>('span', id);
  el.className = 'ws-spinner';
  el.setAttribute('role', 'progressbar');
  el.setAttribute('aria-label', 'Loading');
  return el;
}

export interface TabSpec {
  /** Tab id without prefix: the tab gets id `tab-<id>`, its panel `view-<id>`. */
  id: string;
  label: string;
  content: HTMLElement;
}
/** Tabs with their panels; `onChange` receives the tab id (without prefix). */
export function tabs(id: string, specs: TabSpec[], onChange?: (tabId: string) => void): HTMLElement & { activeid?: string } {
  const panels = make<HTMLElement & { activeid?: string }>('vscode-panels', id);
  for (const s of specs) {
    const tab = make<HTMLElement>('vscode-panel-tab', `tab-${s.id}`);
    tab.textContent = s.label;
    panels.append(tab);
  }
  for (const s of specs) {
    const view = make<HTMLElement>('vscode-panel-view', `view-${s.id}`);
    view.append(s.content);
    panels.append(view);
  }
  panels.addEventListener('change', (e) => {
    // The event also bubbles from controls inside the panels; only the tab switch counts here.
    if (e.target !== panels) return;
    const active = panels.activeid ?? '';
    onChange?.(active.replace(/^tab-/, ''));
  });
  return panels;
}

/** Activate a tab created by {@link tabs}. */
export function selectTab(panels: HTMLElement & { activeid?: string }, tabId: string): void {
  panels.activeid = `tab-${tabId}`;
}

/** The inner native field of a text field or text area (the library draws it in its shadow root). */
function nativeField(el: ValueControl): HTMLTextAreaElement | HTMLInputElement | undefined {
  const inner = (el as ValueControl & { control?: unknown }).control;
  return inner instanceof HTMLTextAreaElement || inner instanceof HTMLInputElement ? inner : undefined;
}

/** Where the caret is in a text field or text area (the end of its text when the library does not say). */
export function caretOf(el: ValueControl): number {
  const inner = nativeField(el);
  const text = el.value ?? '';
  return inner && typeof inner.selectionStart === 'number' ? Math.min(inner.selectionStart, text.length) : text.length;
}

/** Put the caret of a text field or text area at `pos` (after setting its value). */
export function setCaret(el: ValueControl, pos: number): void {
  const inner = nativeField(el);
  if (!inner) return;
  // The library copies the value to its native field; keep them in step before moving the caret.
  if (inner.value !== el.value) inner.value = el.value;
  inner.focus();
  inner.setSelectionRange(pos, pos);
}
