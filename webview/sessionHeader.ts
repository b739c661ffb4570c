/**
 * Session header: session picker (sidebar), name, pattern, URL, state badge, actions, and the
 * pattern-specific line (webhook receiver URL with copy, poll figures).
 */
import { PATTERN_LABELS } from '../src/shared/connectOptions';
import type { FrameEvent, WireEvent } from '../src/shared/events';
import type { SessionInfo } from '../src/shared/protocol';
import { formatMs, reveal } from './format';
import { h, setText } from './ui/dom';
import { badge, button, dropdown } from './ui/toolkit';

export interface HeaderActions {
  select(sessionId: string): void;
  disconnect(): void;
  reconnect(): void;
  exportLog(format: 'ndjson' | 'har'): void;
  clear(): void;
  copy(text: string): void;
  togglePinned(): void;
  toggleTimeMode(): void;
}

/** Poll figures gathered from frame meta (status, changed/unchanged answers, held time). */
interface PollFigures {
  requests: number;
  lastStatus?: string;
  unchanged: number;
  lastHeldMs?: number;
  /** The short-poll transport's running `meta.stats` from the newest in frame. */
  stats?: { requests?: unknown; changes?: unknown; requestsPerChange?: unknown; staleness?: { avgMs?: unknown; maxMs?: unknown } };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The header (#session-header). */
export class SessionHeader {
  readonly element: HTMLElement;
  private readonly picker;
  private readonly name: HTMLElement;
  private readonly pattern: HTMLElement;
  private readonly url: HTMLElement;
  private readonly state: HTMLElement;
  private readonly extra: HTMLElement;
  private readonly receiver: HTMLElement;
  private readonly receiverUrl: HTMLElement;
  private readonly pollLine: HTMLElement;
  private readonly disconnectBtn;
  private readonly reconnectBtn;
  private readonly pinBtn;
  private readonly timeBtn;
  private poll: PollFigures = { requests: 0, unchanged: 0 };
  private lastPollSeq = 0;
  private pickerSignature = '';

  constructor(private readonly actions: HeaderActions) {
    this.picker = dropdown({ id: 'session-select', ariaLabel: 'Session', options: [], onChange: (v) => v && this.actions.select(v) });
    this.name = h('span', { id: 'session-name', cls: 'session-name' });
    this.pattern = h('span', { id: 'session-pattern', cls: 'session-pattern' });
    this.state = badge('', 'session-state');
    this.url = h('div', { id: 'session-url', cls: 'session-url' });
    this.disconnectBtn = button('Disconnect', { id: 'btn-disconnect', appearance: 'secondary', onClick: () => this.actions.disconnect() });
    this.reconnectBtn = button('Reconnect', { id: 'btn-reconnect', appearance: 'secondary', onClick: () => this.actions.reconnect() });
    const ndjson = button('Export NDJSON', { id: 'btn-export-ndjson', appearance: 'secondary', onClick: () => this.actions.exportLog('ndjson') });
    const har = button('Export HAR', { id: 'btn-export-har', appearance: 'secondary', onClick: () => this.actions.exportLog('har') });
    const clear = button('Clear', { id: 'btn-clear', appearance: 'secondary', onClick: () => this.actions.clear() });
    this.pinBtn = button('Pause', { id: 'btn-autoscroll', appearance: 'secondary', title: 'Pause autoscroll', onClick: () => this.actions.togglePinned() });
    this.timeBtn = button('t ms', { id: 'btn-time-mode', appearance: 'secondary', title: 'Switch time column between session ms and wall clock', onClick: () => this.actions.toggleTimeMode() });
    this.receiverUrl = h('code', { id: 'webhook-url', cls: 'webhook-url' });
    this.receiver = h('div', { id: 'webhook-receiver', cls: 'extra-line' }, h('span', { text: 'Receiver URL: ' }), this.receiverUrl,
      button('Copy', { id: 'webhook-copy', appearance: 'secondary', onClick: () => this.actions.copy(this.receiverUrl.textContent ?? '') }));
    this.receiver.hidden = true;
    this.pollLine = h('div', { id: 'poll-stats', cls: 'extra-line muted' });
    this.pollLine.hidden = true;
    this.extra = h('div', { cls: 'extra' }, this.receiver, this.pollLine);
    this.element = h('header', { id: 'session-header', cls: 'session-header' },
      h('div', { cls: 'header-row' }, this.picker, this.name, this.pattern, this.state),
      this.url,
      h('div', { cls: 'header-row actions', role: 'toolbar', attrs: { 'aria-label': 'Session actions' } },
        this.disconnectBtn, this.reconnectBtn, ndjson, har, clear, this.pinBtn, this.timeBtn),
      this.extra,
    );
  }

  /** Show the session list and the selected session. */
  setSessions(sessions: SessionInfo[], selected: SessionInfo | undefined, view: 'sidebar' | 'panel'): void {
    this.picker.hidden = view === 'panel' || sessions.length < 2;
    const options = sessions.map((s) => ({ value: s.id, label: `${reveal(s.name)} (${s.state})` }));
    // Rebuild only on a real change: a rebuild would close the list under the user's pointer.
    const signature = JSON.stringify([options, selected?.id]);
    if (signature !== this.pickerSignature) {
      this.pickerSignature = signature;
      this.picker.setOptions(options, selected?.id);
    }
    if (!selected) return;
    setText(this.name, reveal(selected.name));
    setText(this.pattern, PATTERN_LABELS[selected.pattern] ?? selected.pattern);
    setText(this.url, reveal(selected.url));
    setText(this.state, selected.state);
    this.state.dataset.state = selected.state;
    this.disconnectBtn.disabled = selected.ended;
    this.reconnectBtn.disabled = !selected.canReconnect;
    if (selected.pattern !== 'webhook') this.receiver.hidden = true;
    this.pollLine.hidden = !(selected.pattern === 'poll' || selected.pattern === 'long-poll');
  }

  setPinned(pinned: boolean): void {
    setText(this.pinBtn, pinned ? 'Pause' : 'Resume');
    this.pinBtn.title = pinned ? 'Pause autoscroll' : 'Resume autoscroll (jump to newest)';
    this.pinBtn.setAttribute('aria-pressed', pinned ? 'false' : 'true');
  }

  setTimeMode(mode: 'relative' | 'clock'): void {
    setText(this.timeBtn, mode === 'relative' ? 't ms' : 'clock');
  }

  /** Forget per-session figures (session switch or clear). */
  resetSessionFigures(): void {
    this.poll = { requests: 0, unchanged: 0 };
    this.lastPollSeq = 0;
    this.receiver.hidden = true;
    this.updatePollLine();
  }

  /** Look at new events for pattern-specific facts (receiver URL, poll answers). */
  observe(events: WireEvent[]): void {
    for (const e of events) {
      if (e.kind === 'state' && e.state === 'open' && e.url && this.element.dataset.pattern === 'webhook') {
        setText(this.receiverUrl, reveal(e.url));
        this.receiver.hidden = false;
      }
      if (e.kind === 'frame' && e.dir === 'in' && e.seq > this.lastPollSeq && (this.element.dataset.pattern === 'poll' || this.element.dataset.pattern === 'long-poll')) {
        this.lastPollSeq = e.seq;
        this.countPoll(e);
      }
    }
    this.updatePollLine();
  }

  setPattern(pattern: string | undefined): void {
    if (pattern) this.element.dataset.pattern = pattern;
    else delete this.element.dataset.pattern;
  }

  private countPoll(e: FrameEvent): void {
    const m = e.meta ?? {};
    this.poll.requests++;
    if (m.status !== undefined) this.poll.lastStatus = String(m.status);
    if (m.status === 304 || m.changed === false || m.empty === true || m.timeout === true) this.poll.unchanged++;
    if (num(m.heldMs) !== undefined) this.poll.lastHeldMs = num(m.heldMs);
    if (m.stats && typeof m.stats === 'object') this.poll.stats = m.stats as PollFigures['stats'];
  }

  private updatePollLine(): void {
    const p = this.poll;
    const parts: string[] = [];
    const st = p.stats;
    if (st && num(st.requests) !== undefined) {
      parts.push(`polls ${num(st.requests)}`, `changes ${num(st.changes) ?? 0}`);
      if (num(st.requestsPerChange) !== undefined) parts.push(`polls/change ${num(st.requestsPerChange)!.toFixed(1)}`);
      const avg = num(st.staleness?.avgMs);
      const max = num(st.staleness?.maxMs);
      if (avg !== undefined) parts.push(`staleness avg ${formatMs(avg)}${max !== undefined ? ` max ${formatMs(max)}` : ''}`);
    } else {
      parts.push(`answers seen ${p.requests}`, `unchanged/empty ${p.unchanged}`);
      if (p.lastHeldMs !== undefined) parts.push(`last held ${formatMs(p.lastHeldMs)}`);
    }
    if (p.lastStatus) parts.push(`last status ${reveal(p.lastStatus)}`);
    setText(this.pollLine, parts.join(' · '));
  }
}
