/**
 * Filter controls. The webview only collects the filter; the host applies it (SetFilter), so a
 * search over a million frames never crosses postMessage.
 */
import type { LogFilter } from '../src/shared/protocol';
import { regexProblem } from './format';
import { h } from './ui/dom';
import { checkbox, dropdown, iconButton, textField } from './ui/toolkit';

const TEXT_DEBOUNCE_MS = 200;

/** The filter bar: direction, channel, text (+regex), hide control frames, only anomalies. */
export class FilterBar {
  readonly element: HTMLElement;
  private filter: LogFilter = {};
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly message: HTMLElement;
  private readonly count: HTMLElement;
  private readonly dir;
  private readonly channel;
  private readonly text;
  private readonly regex;
  private readonly hideControl;
  private readonly anomalies;

  constructor(private readonly onChange: (filter: LogFilter) => void) {
    this.dir = dropdown({
      id: 'filter-dir',
      ariaLabel: 'Direction',
      options: [
        { value: 'both', label: 'In + out' },
        { value: 'in', label: '↓ In' },
        { value: 'out', label: '↑ Out' },
      ],
      value: 'both',
      onChange: () => this.changed(false),
    });
    this.channel = textField({ id: 'filter-channel', placeholder: 'Channel / topic', ariaLabel: 'Channel', onInput: () => this.changed(true) });
    this.text = textField({ id: 'filter-text', placeholder: 'Filter text', ariaLabel: 'Filter text', onInput: () => this.changed(true) });
    this.regex = checkbox({ id: 'filter-regex', label: '.*', onChange: () => this.changed(false) });
    this.regex.title = 'Use regular expression';
    this.regex.setAttribute('aria-label', 'Use regular expression');
    this.hideControl = checkbox({ id: 'filter-hide-control', label: 'Hide control', onChange: () => this.changed(false) });
    this.anomalies = checkbox({ id: 'filter-anomalies', label: 'Only anomalies', onChange: () => this.changed(false) });
    this.message = h('div', { id: 'filter-message', cls: 'inline-error', role: 'alert' });
    this.message.hidden = true;
    this.count = h('span', { id: 'filter-count', cls: 'filter-count', role: 'status', attrs: { 'aria-live': 'polite' } });
    this.count.hidden = true;
    // In a narrow side bar the rarer filters fold behind one button (they show while any is set).
    const extra = h('div', { id: 'filter-extra', cls: 'filter-extra' }, this.dir, this.channel, this.hideControl, this.anomalies);
    const more = iconButton('filter', {
      id: 'filter-options',
      title: 'More filters',
      onClick: () => {
        const open = !this.element.classList.contains('expanded');
        this.element.classList.toggle('expanded', open);
        more.setAttribute('aria-expanded', String(open));
      },
    });
    more.setAttribute('aria-expanded', 'false');
    more.setAttribute('aria-controls', 'filter-extra');
    this.element = h('div', { id: 'filter-bar', cls: 'filter-bar', role: 'search' }, this.text, this.count, this.regex, more, extra, this.message);
  }

  /** The filter last sent to the host. */
  get current(): LogFilter {
    return this.filter;
  }

  /** True when any filter narrows the log. */
  get active(): boolean {
    return Object.keys(this.filter).length > 0;
  }

  /** Show how many rows the active filter matches ("12 matches"); hidden without a filter. */
  setCount(total: number): void {
    const text = this.active ? `${total.toLocaleString('en-US')} ${total === 1 ? 'match' : 'matches'}` : '';
    if (this.count.textContent !== text) this.count.textContent = text;
    this.count.hidden = text === '';
    this.count.classList.toggle('none', this.active && total === 0);
  }

  focus(): void {
    this.text.focus();
  }

  /** Show a saved filter without sending it (restore after reload). */
  restore(f: LogFilter): void {
    this.filter = { ...f };
    this.dir.value = f.dirs?.length === 1 ? f.dirs[0] : 'both';
    this.channel.value = f.channel ?? '';
    this.text.value = f.text ?? '';
    this.regex.checked = f.regex === true;
    this.hideControl.checked = f.hideControl === true;
    this.anomalies.checked = f.anomaliesOnly === true;
    this.element.classList.toggle('extra-active', !!(f.dirs || f.channel || f.hideControl || f.anomaliesOnly));
  }

  private changed(debounce: boolean): void {
    clearTimeout(this.timer);
    if (debounce) this.timer = setTimeout(() => this.apply(), TEXT_DEBOUNCE_MS);
    else this.apply();
  }

  private apply(): void {
    const f: LogFilter = {};
    const dir = this.dir.value;
    if (dir === 'in' || dir === 'out') f.dirs = [dir];
    const channel = this.channel.value.trim();
    if (channel) f.channel = channel;
    const text = this.text.value;
    if (text) f.text = text;
    if (this.regex.checked) f.regex = true;
    if (this.hideControl.checked) f.hideControl = true;
    if (this.anomalies.checked) f.anomaliesOnly = true;
    const problem = f.regex && f.text ? regexProblem(f.text) : text.length > 1000 ? 'Filter text is too long (1000 characters at most)' : undefined;
    this.message.textContent = problem ?? '';
    this.message.hidden = !problem;
    this.text.classList.toggle('invalid', problem !== undefined);
    if (problem) return;
    if (JSON.stringify(f) === JSON.stringify(this.filter)) return;
    this.filter = f;
    this.element.classList.toggle('extra-active', !!(f.dirs || f.channel || f.hideControl || f.anomaliesOnly));
    this.onChange(f);
  }
}
