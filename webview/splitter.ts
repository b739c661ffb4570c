/**
 * The divider between the frame log and the detail tabs: drag it, or focus it and use ↑ ↓
 * (PageUp/PageDown for bigger steps, Home/End for the limits). The share of the log is a CSS
 * custom property on the split (set through CSSOM, which the CSP allows), remembered by the owner.
 */
import { h } from './ui/dom';

export const SPLIT_MIN = 15;
export const SPLIT_MAX = 85;
export const SPLIT_DEFAULT = 60;

export class Splitter {
  readonly element: HTMLElement;
  private share = SPLIT_DEFAULT;

  constructor(
    private readonly container: HTMLElement,
    private readonly onChange: (share: number) => void,
  ) {
    this.element = h('div', {
      id: 'split-divider',
      cls: 'split-divider',
      role: 'separator',
      title: 'Drag to resize the log and the detail (or focus and use the arrow keys)',
      attrs: {
        tabindex: '0',
        'aria-orientation': 'horizontal',
        'aria-label': 'Resize log and detail',
        'aria-valuemin': String(SPLIT_MIN),
        'aria-valuemax': String(SPLIT_MAX),
        'aria-controls': 'frame-log-wrap',
      },
    });
    this.set(SPLIT_DEFAULT, false);
    let dragging = false;
    this.element.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      dragging = true;
      this.element.setPointerCapture(e.pointerId);
      this.container.classList.add('resizing');
    });
    this.element.addEventListener('pointermove', (e) => {
      if (!dragging) return;
      const r = this.container.getBoundingClientRect();
      if (r.height > 0) this.set(((e.clientY - r.top) / r.height) * 100, false);
    });
    const end = (e: PointerEvent): void => {
      if (!dragging) return;
      dragging = false;
      this.element.releasePointerCapture(e.pointerId);
      this.container.classList.remove('resizing');
      this.onChange(this.share);
    };
    this.element.addEventListener('pointerup', end);
    this.element.addEventListener('pointercancel', end);
    this.element.addEventListener('dblclick', () => this.set(SPLIT_DEFAULT));
    this.element.addEventListener('keydown', (e) => {
      const step = e.key === 'PageUp' || e.key === 'PageDown' ? 15 : 5;
      let next: number | undefined;
      if (e.key === 'ArrowUp' || e.key === 'PageUp') next = this.share - step;
      else if (e.key === 'ArrowDown' || e.key === 'PageDown') next = this.share + step;
      else if (e.key === 'Home') next = SPLIT_MIN;
      else if (e.key === 'End') next = SPLIT_MAX;
      if (next === undefined) return;
      e.preventDefault();
      this.set(next);
    });
  }

  get value(): number {
    return this.share;
  }

  /** Set the log's share of the height in percent (bounded). */
  set(share: number, notify = true): void {
    this.share = Math.round(Math.max(SPLIT_MIN, Math.min(SPLIT_MAX, share)));
    this.container.style.setProperty('--log-share', String(this.share));
    this.element.setAttribute('aria-valuenow', String(this.share));
    this.element.setAttribute('aria-valuetext', `log ${this.share}%`);
    if (notify) this.onChange(this.share);
  }
}
