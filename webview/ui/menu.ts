/**
 * A small popup menu for a toolbar's rarer actions (the "…" button), drawn like VS Code's context
 * menus from theme variables. Keyboard: Enter/Space/↓ opens, ↑ ↓ Home End move, Enter runs,
 * Escape or Tab closes. Labels are text.
 */
import { h } from './dom';

export interface MenuItem {
  id: string;
  label: string;
  /** A codicon name shown before the label. */
  icon?: string;
  shortcut?: string;
  run(): void;
  /** Greyed out and skipped when it returns true. */
  disabled?(): boolean;
}

/** Attach a popup menu to `trigger`; returns the menu element (append it next to the trigger). */
export function popupMenu(trigger: HTMLElement, items: MenuItem[], label: string): HTMLElement {
  const rows = items.map((it) => {
    const row = h('div', { id: it.id, cls: 'menu-item', role: 'menuitem', attrs: { tabindex: '-1' } },
      h('span', { cls: `codicon codicon-${it.icon ?? 'blank'}`, attrs: { 'aria-hidden': 'true' } }),
      h('span', { cls: 'menu-label', text: it.label }),
      h('span', { cls: 'menu-key', text: it.shortcut ?? '' }),
    );
    if (it.shortcut) row.setAttribute('aria-keyshortcuts', it.shortcut);
    row.addEventListener('click', (e) => {
      e.stopPropagation();
      if (row.getAttribute('aria-disabled') === 'true') return;
      close(true);
      it.run();
    });
    return row;
  });
  const menu = h('div', { cls: 'menu', role: 'menu', attrs: { 'aria-label': label } }, ...rows);
  menu.hidden = true;
  trigger.setAttribute('aria-haspopup', 'menu');
  trigger.setAttribute('aria-expanded', 'false');

  const enabled = (): HTMLElement[] => rows.filter((r) => r.getAttribute('aria-disabled') !== 'true');
  const focusAt = (i: number): void => {
    const list = enabled();
    if (list.length) list[(i + list.length) % list.length].focus();
  };
  const onDocDown = (e: Event): void => {
    if (!menu.contains(e.target as Node) && !trigger.contains(e.target as Node)) close(false);
  };
  function open(): void {
    items.forEach((it, i) => rows[i].setAttribute('aria-disabled', it.disabled?.() ? 'true' : 'false'));
    menu.hidden = false;
    trigger.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', onDocDown, true);
    focusAt(0);
  }
  function close(refocus: boolean): void {
    if (menu.hidden) return;
    menu.hidden = true;
    trigger.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onDocDown, true);
    if (refocus) trigger.focus();
  }
  trigger.addEventListener('click', () => (menu.hidden ? open() : close(true)));
  trigger.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      open();
    }
  });
  menu.addEventListener('keydown', (e) => {
    const list = enabled();
    const at = list.indexOf(document.activeElement as HTMLElement);
    switch (e.key) {
      case 'ArrowDown': focusAt(at + 1); break;
      case 'ArrowUp': focusAt(at - 1); break;
      case 'Home': focusAt(0); break;
      case 'End': focusAt(list.length - 1); break;
      case 'Enter':
      case ' ':
        (document.activeElement as HTMLElement | null)?.click();
        break;
      case 'Escape': close(true); break;
      case 'Tab': close(false); return;
      default: return;
    }
    e.preventDefault();
    e.stopPropagation();
  });
  return menu;
}
