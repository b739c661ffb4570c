/**
 * The virtualized frame log: fixed row height, a small pool of row elements for the visible
 * window only, rows fetched from the host by index range (GetRows) into a bounded cache.
 * Appends never re-render the list: they update the total, cache the tail and, when pinned,
 * move the window to the bottom on the next animation frame.
 */
import type { WireEvent } from '../src/shared/events';
import { formatTime, rowText, TIME_MODE_HEADERS, TIME_MODE_LABELS, type TimeMode } from './format';
import { h, setText } from './ui/dom';

/** Fixed row height in CSS pixels; must match `.row` in inspector.css. */
export const ROW_HEIGHT = 22;
const OVERSCAN = 20;
const MAX_FETCH = 500;
// Coalesces a scroll burst into one GetRows without delaying a single jump by more than a frame.
const FETCH_DEBOUNCE_MS = 16;
/** Rows kept in memory; beyond this the rows farthest from the viewport are dropped. */
export const MAX_CACHED_ROWS = 3000;
// Browsers cap element heights (~33M px in Chromium); past this the scrollbar maps proportionally.
const MAX_SCROLL_PX = 8_000_000;
// A hidden or throttled page runs no animation frames; a timer renders then, so rows never wait on one.
const RENDER_FALLBACK_MS = 100;
// A failed row fetch (host busy, view replaced, request timed out) is asked again, a few times.
const FETCH_RETRY_MS = 250;
const MAX_FETCH_RETRIES = 5;

export type RowFetcher = (filterId: number, start: number, count: number) => Promise<{ filterId: number; total: number; start: number; rows: WireEvent[] }>;

interface PooledRow {
  el: HTMLElement;
  time: HTMLElement;
  dir: HTMLElement;
  chan: HTMLElement;
  size: HTMLElement;
  preview: HTMLElement;
  /** What the row currently shows: seq, time mode, highlight and width; '' for a placeholder. */
  key: string;
}

export interface FrameLogEvents {
  /** The user opened a row (click or Enter). */
  onOpen(seq: number): void;
  /** Autoscroll was paused or resumed (by scrolling or the button). */
  onPinnedChange(pinned: boolean): void;
  /** Scroll position changed (for vscode.setState). */
  onScroll(firstIndex: number): void;
  /**
   * The host answered a row fetch from another filter view than the one this log shows, and no
   * newer reset is coming: the owner should set the filter again (SetFilter) and reset the log.
   */
  onStaleFilter?(filterId: number): void;
  /** The channel column was resized (width in ch), to be remembered. */
  onChannelWidth?(ch: number): void;
}

/** Channel column width bounds, in ch. */
const CHAN_MIN = 4;
const CHAN_MAX = 60;
const CHAN_DEFAULT = 13;
/** Most matches marked in one row's preview. */
const MAX_MARKS = 20;

/** The virtualized list. Owns #frame-log. */
export class FrameLog {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly emptyNote: HTMLElement;
  private readonly pool: PooledRow[] = [];
  private readonly cache = new Map<number, WireEvent>();
  private total = 0;
  private filterId = -1;
  private pinned = true;
  private timeMode: TimeMode = 'relative';
  private highlight: RegExp | undefined;
  private highlightKey = '';
  private chanWidth = CHAN_DEFAULT;
  private readonly timeHeader: HTMLElement;
  private readonly chanHandle: HTMLElement;
  private selectedSeq = -1;
  private cursorIndex = -1;
  private renderQueued = false;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private fetchRetries = 0;
  private fetchTimer: ReturnType<typeof setTimeout> | undefined;
  private fetching = false;
  private fetchAgain = false;
  private firstIndex = 0;
  private lastIndex = -1;
  /** Where our own code last put the scroll position; a scroll event elsewhere is the user's. */
  private expectedScrollTop = -1;

  constructor(
    private readonly fetchRows: RowFetcher,
    private readonly events: FrameLogEvents,
  ) {
    this.spacer = h('div', { cls: 'log-spacer' });
    this.emptyNote = h('div', { id: 'frame-log-empty', cls: 'log-empty', text: 'No events yet.' });
    this.scroller = h('div', {
      id: 'frame-log',
      cls: 'log-scroller',
      role: 'listbox',
      attrs: { tabindex: '0', 'aria-label': 'Frame log', 'aria-rowcount': '0' },
    }, this.spacer);
    this.timeHeader = h('span', { cls: 'c-time', text: TIME_MODE_HEADERS.relative, title: TIME_MODE_LABELS.relative });
    // The channel column's right edge can be dragged (or moved with the arrow keys; double-click fits it).
    this.chanHandle = h('span', {
      id: 'chan-resize',
      cls: 'col-resize',
      role: 'separator',
      title: 'Drag to resize the channel column; double-click to fit its content (keyboard: [ and ] in the log)',
      attrs: { tabindex: '-1', 'aria-orientation': 'vertical', 'aria-label': 'Channel column width', 'aria-valuemin': String(CHAN_MIN), 'aria-valuemax': String(CHAN_MAX) },
    });
    const header = h('div', { cls: 'log-header' },
      this.timeHeader,
      h('span', { cls: 'c-dir', text: '' }),
      h('span', { cls: 'c-chan' }, h('span', { cls: 'c-chan-label', text: 'Kind / channel' }), this.chanHandle),
      h('span', { cls: 'c-size', text: 'Size' }),
      h('span', { cls: 'c-prev', text: 'Preview' }),
    );
    this.element = h('div', { id: 'frame-log-wrap', cls: 'log-wrap' }, header, this.scroller, this.emptyNote);
    this.setChannelWidth(CHAN_DEFAULT, false);
    this.wireChannelResize();
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.row');
      if (!row || !row.dataset.seq) return;
      this.cursorIndex = Number(row.dataset.index);
      this.open(Number(row.dataset.seq));
    });
    new ResizeObserver(() => this.scheduleRender()).observe(this.scroller);
  }

  /** Start over for a new filter view: drop cached rows and show `total` rows. */
  reset(filterId: number, total: number, firstIndex?: number): void {
    this.filterId = filterId;
    this.cache.clear();
    this.total = total;
    this.cursorIndex = -1;
    this.fetchRetries = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (firstIndex !== undefined && firstIndex + this.visibleCount() < total) {
      this.pinned = false;
      this.events.onPinnedChange(false);
      this.layout();
      this.scrollToIndex(firstIndex);
    } else this.layout();
    this.scheduleRender();
  }

  /**
   * New rows arrived: `tail` are the newest rows of the filtered view ending at `total`.
   * `shifted` says the host dropped old events (its cap), so row positions moved and every
   * cached row but the fresh tail may now sit at the wrong index.
   */
  append(filterId: number, total: number, tail: WireEvent[], shifted = false): void {
    if (filterId !== this.filterId) return;
    if (shifted) this.cache.clear();
    if (total !== this.total) {
      this.total = total;
      this.layout();
    }
    const start = total - tail.length;
    for (let i = 0; i < tail.length; i++) if (start + i >= 0) this.cache.set(start + i, tail[i]);
    this.scheduleRender();
  }

  /** Pause or resume autoscroll. */
  setPinned(pinned: boolean): void {
    if (this.pinned === pinned) return;
    this.pinned = pinned;
    this.events.onPinnedChange(pinned);
    this.scheduleRender();
  }

  get isPinned(): boolean {
    return this.pinned;
  }

  get rowTotal(): number {
    return this.total;
  }

  /** Rows currently cached (bounded by MAX_CACHED_ROWS plus one fetch). */
  get cachedRows(): number {
    return this.cache.size;
  }

  setTimeMode(mode: TimeMode): void {
    this.timeMode = mode;
    setText(this.timeHeader, TIME_MODE_HEADERS[mode]);
    this.timeHeader.title = TIME_MODE_LABELS[mode];
    this.scheduleRender();
  }

  /**
   * Mark what the text filter matched in each preview. The host does the filtering; this only
   * draws <mark> around the matches in the rows on screen (text nodes, never markup).
   */
  setHighlight(text: string | undefined, regex: boolean): void {
    let re: RegExp | undefined;
    if (text) {
      try {
        re = new RegExp(regex ? text : text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
      } catch {
        re = undefined;
      }
    }
    this.highlight = re;
    this.highlightKey = re ? `${re.source}/${regex}` : '';
    this.scheduleRender();
  }

  /** Channel column width in ch (bounded); `notify` tells the owner so it is remembered. */
  setChannelWidth(ch: number, notify = true): void {
    const w = Math.max(CHAN_MIN, Math.min(CHAN_MAX, Math.round(ch)));
    this.chanWidth = w;
    // A CSSOM custom property, not a style attribute: allowed under the inspector's CSP.
    this.element.style.setProperty('--chan-width', `${w}ch`);
    this.chanHandle.setAttribute('aria-valuenow', String(w));
    if (notify) this.events.onChannelWidth?.(w);
    this.scheduleRender();
  }

  get channelWidth(): number {
    return this.chanWidth;
  }

  /** Width that fits the channel texts of the rows in memory. */
  fitChannelWidth(): void {
    let longest = 'Kind / channel'.length - 4;
    for (const e of this.cache.values()) {
      const c = rowText(e, CHAN_MAX).channel.length;
      if (c > longest) longest = c;
    }
    this.setChannelWidth(longest + 1);
  }

  private wireChannelResize(): void {
    let startX = 0;
    let startW = 0;
    let chPx = 7;
    const move = (e: PointerEvent): void => {
      this.setChannelWidth(startW + (e.clientX - startX) / chPx);
    };
    const up = (e: PointerEvent): void => {
      this.chanHandle.releasePointerCapture(e.pointerId);
      this.chanHandle.removeEventListener('pointermove', move);
      this.chanHandle.removeEventListener('pointerup', up);
      this.element.classList.remove('resizing');
    };
    this.chanHandle.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      startX = e.clientX;
      startW = this.chanWidth;
      const chan = this.chanHandle.parentElement!;
      chPx = Math.max(1, chan.getBoundingClientRect().width / this.chanWidth);
      this.chanHandle.setPointerCapture(e.pointerId);
      this.chanHandle.addEventListener('pointermove', move);
      this.chanHandle.addEventListener('pointerup', up);
      this.element.classList.add('resizing');
    });
    this.chanHandle.addEventListener('dblclick', () => this.fitChannelWidth());
    this.chanHandle.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        this.setChannelWidth(this.chanWidth + (e.key === 'ArrowRight' ? 2 : -2));
        e.preventDefault();
      } else if (e.key === 'Enter') {
        this.fitChannelWidth();
        e.preventDefault();
      }
    });
  }

  /** Show row `index` of the filtered view (autoscroll pauses) and put the keyboard cursor on it. */
  jumpTo(index: number): void {
    if (index < 0 || index >= this.total) return;
    this.setPinned(false);
    this.cursorIndex = index;
    this.scrollToIndex(Math.max(0, index - 2));
    this.scheduleRender();
  }

  /** Events to show marked (a test run's failing expectations point at them), and why. */
  setMarked(seqs: readonly number[], note: string): void {
    const same = seqs.length === this.marked.size && seqs.every((s) => this.marked.has(s)) && note === this.markNote;
    if (same) return;
    this.marked = new Set(seqs);
    this.markNote = note;
    for (const row of this.pool) row.key = '';
    this.scheduleRender();
  }

  private marked = new Set<number>();
  private markNote = '';

  /** Mark a row as selected by seq (detail pane). */
  select(seq: number): void {
    this.selectedSeq = seq;
    this.scheduleRender();
  }

  focus(): void {
    this.scroller.focus();
  }

  // ---------- geometry ----------
  private visibleCount(): number {
    return Math.max(1, Math.ceil((this.scroller.clientHeight || 400) / ROW_HEIGHT));
  }

  private contentHeight(): number {
    return Math.min(this.total * ROW_HEIGHT, MAX_SCROLL_PX);
  }

  private layout(): void {
    this.spacer.style.height = `${this.contentHeight()}px`;
    this.scroller.setAttribute('aria-rowcount', String(this.total));
    this.emptyNote.hidden = this.total > 0;
  }

  /** Fractional index of the row at the top of the viewport. */
  private position(): number {
    const maxScroll = this.contentHeight() - this.scroller.clientHeight;
    if (this.total * ROW_HEIGHT <= MAX_SCROLL_PX || maxScroll <= 0) return this.scroller.scrollTop / ROW_HEIGHT;
    const maxPos = Math.max(0, this.total - this.scroller.clientHeight / ROW_HEIGHT);
    return (Math.min(this.scroller.scrollTop, maxScroll) / maxScroll) * maxPos;
  }

  private scrollToIndex(index: number): void {
    const maxScroll = Math.max(0, this.contentHeight() - this.scroller.clientHeight);
    let top: number;
    if (this.total * ROW_HEIGHT <= MAX_SCROLL_PX) top = index * ROW_HEIGHT;
    else {
      const maxPos = Math.max(1, this.total - this.scroller.clientHeight / ROW_HEIGHT);
      top = (index / maxPos) * maxScroll;
    }
    this.setScrollTop(Math.max(0, Math.min(maxScroll, top)));
  }

  private setScrollTop(top: number): void {
    if (Math.abs(this.scroller.scrollTop - top) < 0.5) return;
    this.scroller.scrollTop = top;
    this.expectedScrollTop = this.scroller.scrollTop;
  }

  private onScroll(): void {
    if (Math.abs(this.scroller.scrollTop - this.expectedScrollTop) >= 1) {
      // The user moved: rows they now look at are worth asking for again.
      if (this.retryTimer === undefined) this.fetchRetries = 0;
      const atBottom = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - ROW_HEIGHT / 2;
      if (atBottom !== this.pinned) this.setPinned(atBottom);
    }
    this.scheduleRender();
  }

  // ---------- rendering ----------
  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    const run = (): void => {
      // Whichever of the frame and the timer comes first renders; the other finds nothing queued.
      if (!this.renderQueued) return;
      this.renderQueued = false;
      clearTimeout(this.renderTimer);
      this.renderTimer = undefined;
      this.render();
    };
    requestAnimationFrame(run);
    this.renderTimer = setTimeout(run, RENDER_FALLBACK_MS);
  }

  private render(): void {
    if (this.pinned && this.total > 0) this.setScrollTop(this.scroller.scrollHeight - this.scroller.clientHeight);
    const pos = this.position();
    const view = this.visibleCount();
    const first = Math.max(0, Math.floor(pos));
    const last = Math.min(this.total - 1, first + view);
    this.firstIndex = first;
    this.lastIndex = last;
    const needed = Math.max(0, last - first + 1);
    while (this.pool.length < needed) this.pool.push(this.makeRow());
    const offset = this.scroller.scrollTop - (pos - first) * ROW_HEIGHT;
    for (let k = 0; k < this.pool.length; k++) {
      const row = this.pool[k];
      const index = first + k;
      if (k >= needed) {
        if (!row.el.hidden) row.el.hidden = true;
        continue;
      }
      row.el.hidden = false;
      row.el.style.transform = `translateY(${offset + k * ROW_HEIGHT}px)`;
      row.el.dataset.index = String(index);
      // Screen readers learn the list size from each option of a virtualized listbox.
      row.el.setAttribute('aria-setsize', String(this.total));
      this.fill(row, index, this.cache.get(index));
    }
    const active = this.pool.find((r) => !r.el.hidden && Number(r.el.dataset.index) === this.cursorIndex);
    if (active) this.scroller.setAttribute('aria-activedescendant', active.el.id);
    else this.scroller.removeAttribute('aria-activedescendant');
    this.events.onScroll(first);
    this.evict();
    // While a failed fetch waits to be asked again (or the retries are spent), a render from a
    // resize or a style change must not ask on its own: the retry schedule decides.
    if (this.missing(first, last) && this.retryTimer === undefined && this.fetchRetries < MAX_FETCH_RETRIES) this.scheduleFetch();
  }

  private makeRow(): PooledRow {
    const time = h('span', { cls: 'c-time' });
    const dir = h('span', { cls: 'c-dir', attrs: { 'aria-hidden': 'true' } });
    const chan = h('span', { cls: 'c-chan' });
    const size = h('span', { cls: 'c-size' });
    const preview = h('span', { cls: 'c-prev' });
    const el = h('div', { cls: 'row', role: 'option', attrs: { 'aria-selected': 'false' } }, time, dir, chan, size, preview);
    el.id = `row-slot-${this.pool.length}`;
    this.spacer.append(el);
    return { el, time, dir, chan, size, preview, key: '' };
  }

  private fill(row: PooledRow, index: number, e: WireEvent | undefined): void {
    const cursor = index === this.cursorIndex;
    row.el.classList.toggle('cursor', cursor);
    if (!e) {
      if (row.key !== '') {
        row.key = '';
        row.el.className = 'row loading';
        delete row.el.dataset.seq;
        for (const c of [row.time, row.dir, row.chan, row.size]) setText(c, '');
        setText(row.preview, '…');
        row.el.setAttribute('aria-selected', 'false');
      }
      row.el.setAttribute('aria-posinset', String(index + 1));
      return;
    }
    const selected = e.seq === this.selectedSeq;
    row.el.setAttribute('aria-selected', selected ? 'true' : 'false');
    row.el.classList.toggle('selected', selected);
    const marked = this.marked.has(e.seq);
    const prev = this.timeMode !== 'delta' ? undefined : index === 0 ? null : this.cache.get(index - 1);
    const key = `${e.seq}:${this.timeMode}:${prev === undefined ? '' : prev === null ? 0 : prev.seq}:${this.highlightKey}:${this.chanWidth}:${marked ? 'm' : ''}`;
    if (row.key === key) return;
    row.key = key;
    const t = rowText(e, Math.max(CHAN_MIN, this.chanWidth - 1));
    row.el.className = `row ${t.cls}${selected ? ' selected' : ''}${cursor ? ' cursor' : ''}${marked ? ' marked' : ''}`;
    row.el.dataset.seq = String(e.seq);
    row.el.dataset.kind = e.kind;
    row.el.setAttribute('aria-posinset', String(index + 1));
    setText(row.time, formatTime(e, this.timeMode, prev));
    setText(row.dir, t.dir);
    setText(row.chan, t.channel);
    setText(row.size, t.size);
    this.fillPreview(row.preview, t.preview);
    // The full line as a tooltip helps with narrow sidebars; it is plain text.
    row.el.title = `${marked ? `✗ failing expectation: ${this.markNote}\n` : ''}${t.channel} ${t.preview}`.slice(0, 800);
  }

  /** The preview text, with the filter's matches in <mark> elements (built from text nodes). */
  private fillPreview(el: HTMLElement, text: string): void {
    const re = this.highlight;
    if (!re) {
      if (el.childElementCount > 0) el.textContent = text;
      else setText(el, text);
      return;
    }
    re.lastIndex = 0;
    const parts: Node[] = [];
    let from = 0;
    let marks = 0;
    for (let m = re.exec(text); m && marks < MAX_MARKS; m = re.exec(text)) {
      if (m[0] === '') {
        re.lastIndex++;
        continue;
      }
      if (m.index > from) parts.push(document.createTextNode(text.slice(from, m.index)));
      const mark = document.createElement('mark');
      mark.textContent = m[0];
      parts.push(mark);
      from = m.index + m[0].length;
      marks++;
    }
    if (marks === 0) {
      el.textContent = text;
      return;
    }
    if (from < text.length) parts.push(document.createTextNode(text.slice(from)));
    el.replaceChildren(...parts);
  }

  private missing(first: number, last: number): boolean {
    for (let i = first; i <= last; i++) if (!this.cache.has(i)) return true;
    return false;
  }

  private evict(): void {
    if (this.cache.size <= MAX_CACHED_ROWS) return;
    const keepFrom = this.firstIndex - MAX_CACHED_ROWS / 3;
    const keepTo = this.lastIndex + MAX_CACHED_ROWS / 3;
    for (const k of this.cache.keys()) if (k < keepFrom || k > keepTo) this.cache.delete(k);
  }

  // ---------- fetching ----------
  private scheduleFetch(): void {
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    if (this.fetchTimer !== undefined) return;
    this.fetchTimer = setTimeout(() => {
      this.fetchTimer = undefined;
      void this.fetch();
    }, FETCH_DEBOUNCE_MS);
  }

  private async fetch(): Promise<void> {
    const from = Math.max(0, this.firstIndex - OVERSCAN);
    const to = Math.min(this.total - 1, this.lastIndex + OVERSCAN);
    let start = -1;
    let end = -1;
    for (let i = from; i <= to; i++) {
      if (this.cache.has(i)) continue;
      if (start < 0) start = i;
      end = i;
    }
    if (start < 0) return;
    const filterId = this.filterId;
    this.fetching = true;
    try {
      const res = await this.fetchRows(filterId, start, Math.min(MAX_FETCH, end - start + 1));
      if (res.filterId !== this.filterId) {
        // If our filter changed meanwhile, its reset renders and fetches again. If not, the host
        // holds another view than ours and nothing here would ever ask again: tell the owner.
        if (filterId === this.filterId) this.events.onStaleFilter?.(filterId);
        return;
      }
      this.fetchRetries = 0;
      for (let i = 0; i < res.rows.length; i++) this.cache.set(res.start + i, res.rows[i]);
      if (res.total > this.total) {
        this.total = res.total;
        this.layout();
      }
      this.scheduleRender();
    } catch {
      // The host may be busy or have dropped the view (session closed, reload). A live log that is
      // not scrolled would otherwise show placeholders forever, so ask again a bounded number of times.
      if (filterId === this.filterId && this.fetchRetries < MAX_FETCH_RETRIES && this.retryTimer === undefined) {
        this.fetchRetries++;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.scheduleRender();
        }, FETCH_RETRY_MS * this.fetchRetries);
      }
    } finally {
      this.fetching = false;
      if (this.fetchAgain) {
        this.fetchAgain = false;
        this.scheduleFetch();
      }
    }
  }

  // ---------- keyboard ----------
  private onKey(e: KeyboardEvent): void {
    if (this.total === 0) return;
    const view = this.visibleCount();
    let next = this.cursorIndex < 0 ? this.firstIndex : this.cursorIndex;
    switch (e.key) {
      case 'ArrowDown': next += this.cursorIndex < 0 ? 0 : 1; break;
      case 'ArrowUp': next -= this.cursorIndex < 0 ? 0 : 1; break;
      case 'PageDown': next += view - 1; break;
      case 'PageUp': next -= view - 1; break;
      case 'Home': next = 0; break;
      case 'End': next = this.total - 1; break;
      case '[':
      case ']':
        this.setChannelWidth(this.chanWidth + (e.key === ']' ? 2 : -2));
        e.preventDefault();
        return;
      case 'Enter':
      case ' ': {
        const ev = this.cache.get(next);
        if (ev) this.open(ev.seq);
        e.preventDefault();
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    next = Math.max(0, Math.min(this.total - 1, next));
    this.cursorIndex = next;
    if (next < this.total - 1 && this.pinned) this.setPinned(false);
    if (next < this.firstIndex + 1) this.scrollToIndex(next);
    else if (next > this.firstIndex + view - 2) this.scrollToIndex(next - view + 2);
    this.scheduleRender();
  }

  private open(seq: number): void {
    this.select(seq);
    this.events.onOpen(seq);
  }
}
