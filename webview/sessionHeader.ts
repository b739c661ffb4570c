/**
 * Session header: session picker (sidebar), name, pattern, URL, state badge, actions, and the
 * pattern-specific line (webhook receiver URL with copy, poll figures).
 */
import { PATTERN_LABELS } from '../src/shared/connectOptions';
import type { FrameEvent, WireEvent } from '../src/shared/events';
import type { SessionInfo } from '../src/shared/protocol';
import { formatMs, reveal, TIME_MODE_LABELS, type TimeMode } from './format';
import { h, setText } from './ui/dom';
import { popupMenu } from './ui/menu';
import { badge, button, dropdown, iconButton } from './ui/toolkit';

export interface HeaderActions {
  select(sessionId: string): void;
  disconnect(): void;
  reconnect(): void;
  exportLog(format: 'ndjson' | 'har'): void;
  clear(): void;
  copy(text: string): void;
  togglePinned(): void;
  toggleTimeMode(): void;
  fitChannel(): void;
}

/** Keyboard shortcuts of the toolbar (when focus is not in a text field). */
export const SHORTCUTS = { disconnect: 'D', reconnect: 'R', pause: 'P', time: 'T', clear: 'K', export: 'E', filter: '/' } as const;

/** The badge text: what a person would call the session's state. */
export function stateLabel(s: SessionInfo): string {
  if (!s.ended) return s.state;
  if (s.outcome === 'failed') return 'failed';
  if (s.outcome === 'dropped') return 'disconnected';
  // A request that got its answer, or a job that finished, is done rather than "closed".
  if (s.pattern === 'http' || s.pattern === 'async') return 'completed';
  return s.state === 'failed' ? 'failed' : 'closed';
}

/** Success / failure / in progress, for colours. */
export function stateTone(s: SessionInfo): 'live' | 'busy' | 'ok' | 'failed' | 'warn' {
  if (!s.ended) return s.state === 'open' ? 'live' : s.state === 'reconnecting' ? 'warn' : 'busy';
  if (s.outcome === 'failed' || s.state === 'failed') return 'failed';
  if (s.outcome === 'dropped') return 'warn';
  return 'ok';
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
  /** What a session does to the system it watches, when that is more than watching (`open`'s `meta.destructive`). */
  private readonly modeLine: HTMLElement;
  /** gRPC: the call (kind and method) and, once it ended, its status. */
  private readonly callLine: HTMLElement;
  private call: { text: string; status?: string; ok?: boolean } | undefined;
  /** GraphQL: each operation by id, in the order they started (the call line lists them). */
  private operations = new Map<string, { label: string; type?: string; errors: boolean; state: 'running' | 'complete' | 'stopped'; lastSeq: number }>();
  private readonly disconnectBtn;
  private readonly reconnectBtn;
  private readonly pinBtn;
  private readonly timeBtn;
  private readonly reasonLine: HTMLElement;
  /** Slot under the facts for the activity strip. */
  readonly stripSlot: HTMLElement;
  private poll: PollFigures = { requests: 0, unchanged: 0 };
  private lastPollSeq = 0;
  private pickerSignature = '';

  constructor(private readonly actions: HeaderActions) {
    this.picker = dropdown({ id: 'session-select', ariaLabel: 'Session', options: [], onChange: (v) => v && this.actions.select(v) });
    this.name = h('span', { id: 'session-name', cls: 'session-name' });
    this.pattern = h('span', { id: 'session-pattern', cls: 'session-pattern' });
    this.state = badge('', 'session-state');
    this.url = h('div', { id: 'session-url', cls: 'session-url' });
    this.disconnectBtn = iconButton('debug-disconnect', { id: 'btn-disconnect', title: 'Disconnect', shortcut: SHORTCUTS.disconnect, onClick: () => this.actions.disconnect() });
    this.reconnectBtn = iconButton('debug-restart', { id: 'btn-reconnect', title: 'Reconnect', shortcut: SHORTCUTS.reconnect, onClick: () => this.actions.reconnect() });
    const ndjson = iconButton('save', { id: 'btn-export-ndjson', title: 'Export log as NDJSON', shortcut: SHORTCUTS.export, onClick: () => this.actions.exportLog('ndjson') });
    const clear = iconButton('clear-all', { id: 'btn-clear', title: 'Clear log', shortcut: SHORTCUTS.clear, onClick: () => this.actions.clear() });
    this.pinBtn = iconButton('debug-pause', { id: 'btn-autoscroll', title: 'Pause autoscroll', shortcut: SHORTCUTS.pause, onClick: () => this.actions.togglePinned() });
    this.timeBtn = iconButton('watch', { id: 'btn-time-mode', title: 'Time column', shortcut: SHORTCUTS.time, onClick: () => this.actions.toggleTimeMode() });
    const more = iconButton('ellipsis', { id: 'btn-more', title: 'More actions' });
    const menu = popupMenu(more, [
      { id: 'btn-export-har', label: 'Export as HAR…', icon: 'json', run: () => this.actions.exportLog('har') },
      { id: 'menu-export-ndjson', label: 'Export as NDJSON…', icon: 'save', shortcut: SHORTCUTS.export, run: () => this.actions.exportLog('ndjson') },
      { id: 'menu-copy-url', label: 'Copy URL', icon: 'copy', run: () => this.actions.copy(this.url.textContent ?? '') },
      { id: 'menu-fit-channel', label: 'Fit channel column', icon: 'arrow-both', run: () => this.actions.fitChannel() },
    ], 'More actions');
    this.reasonLine = h('div', { id: 'session-reason', cls: 'session-reason' });
    this.reasonLine.hidden = true;
    this.stripSlot = h('div', { cls: 'strip-slot' });
    this.receiverUrl = h('code', { id: 'webhook-url', cls: 'webhook-url' });
    this.receiver = h('div', { id: 'webhook-receiver', cls: 'extra-line' }, h('span', { text: 'Receiver URL: ' }), this.receiverUrl,
      button('Copy', { id: 'webhook-copy', appearance: 'secondary', onClick: () => this.actions.copy(this.receiverUrl.textContent ?? '') }));
    this.receiver.hidden = true;
    this.pollLine = h('div', { id: 'poll-stats', cls: 'extra-line muted' });
    this.pollLine.hidden = true;
    this.modeLine = h('div', { id: 'session-mode', cls: 'extra-line', attrs: { 'data-tone': 'warn' } });
    this.modeLine.hidden = true;
    this.callLine = h('div', { id: 'grpc-call', cls: 'extra-line' });
    this.callLine.hidden = true;
    this.extra = h('div', { cls: 'extra' }, this.modeLine, this.callLine, this.receiver, this.pollLine);
    const group = (label: string, ...items: HTMLElement[]): HTMLElement => h('div', { cls: 'tool-group', role: 'group', attrs: { 'aria-label': label } }, ...items);
    const toolbar = h('div', { cls: 'toolbar', role: 'toolbar', attrs: { 'aria-label': 'Session actions' } },
      group('Connection', this.disconnectBtn, this.reconnectBtn),
      group('Log', this.pinBtn, this.timeBtn, clear),
      group('Export', ndjson, h('span', { cls: 'menu-anchor' }, more, menu)),
    );
    this.element = h('header', { id: 'session-header', cls: 'session-header' },
      h('div', { cls: 'header-row' },
        h('div', { cls: 'header-title' }, this.picker, this.state, this.name, this.pattern),
        toolbar),
      this.url,
      this.reasonLine,
      this.extra,
      this.stripSlot,
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
    this.url.title = reveal(selected.url);
    setText(this.state, stateLabel(selected));
    this.state.dataset.state = selected.state;
    this.state.dataset.tone = stateTone(selected);
    this.element.dataset.tone = stateTone(selected);
    // Why it ended (or why it is reconnecting), in one line; a restored session says so.
    const why = selected.restored
      ? `Restored after a window reload${selected.reason ? ` · ${selected.reason}` : ''}. Reconnect starts it again.`
      : selected.ended || selected.state === 'reconnecting' ? selected.reason ?? '' : '';
    setText(this.reasonLine, reveal(why));
    this.reasonLine.hidden = why === '';
    this.reasonLine.dataset.tone = stateTone(selected);
    this.disconnectBtn.disabled = selected.ended;
    this.reconnectBtn.disabled = !selected.canReconnect;
    if (selected.pattern !== 'webhook') this.receiver.hidden = true;
    this.pollLine.hidden = !(selected.pattern === 'poll' || selected.pattern === 'long-poll');
  }

  setPinned(pinned: boolean): void {
    this.pinBtn.setIcon(pinned ? 'debug-pause' : 'debug-continue', pinned ? 'Pause autoscroll' : 'Resume autoscroll (jump to newest)');
    this.pinBtn.setAttribute('aria-pressed', pinned ? 'false' : 'true');
    this.pinBtn.dataset.state = pinned ? 'pinned' : 'paused';
  }

  setTimeMode(mode: TimeMode): void {
    const next: Record<TimeMode, TimeMode> = { relative: 'clock', clock: 'delta', delta: 'relative' };
    this.timeBtn.setIcon(mode === 'clock' ? 'clock' : mode === 'delta' ? 'diff' : 'watch', `Time column: ${TIME_MODE_LABELS[mode]} (switch to ${TIME_MODE_LABELS[next[mode]].toLowerCase()})`);
    this.timeBtn.dataset.mode = mode;
  }

  /** Forget per-session figures (session switch or clear). */
  resetSessionFigures(): void {
    this.poll = { requests: 0, unchanged: 0 };
    this.lastPollSeq = 0;
    this.receiver.hidden = true;
    this.modeLine.hidden = true;
    this.call = undefined;
    this.operations.clear();
    this.updateCallLine();
    this.updatePollLine();
  }

  /** Look at new events for pattern-specific facts (receiver URL, poll answers). */
  observe(events: WireEvent[]): void {
    for (const e of events) {
      // Any pattern whose session changes what it watches (a consumer group's reads, acknowledgements) says so here.
      if (e.kind === 'state' && e.state === 'open' && e.meta?.destructive === true && typeof e.meta.mode === 'string') {
        setText(this.modeLine, reveal(e.meta.mode));
        this.modeLine.hidden = false;
      }
      if (e.kind === 'state' && e.state === 'open' && e.url && this.element.dataset.pattern === 'webhook') {
        setText(this.receiverUrl, reveal(e.url));
        this.receiver.hidden = false;
      }
      // A gRPC call: its kind and method once it starts, its status once the trailers (or a local status) end it.
      if (e.kind === 'frame' && e.meta?.packet === 'CALL' && typeof e.meta.method === 'string') this.call = { text: `${typeof e.meta.kind === 'string' ? e.meta.kind : 'call'} ${e.meta.method}` };
      if (e.kind === 'frame' && e.meta?.packet === 'TRAILERS' && this.call && typeof e.meta.statusName === 'string') {
        this.call.status = `${e.meta.statusName}${typeof e.meta.message === 'string' && e.meta.message && e.meta.message !== e.meta.statusName ? `: ${e.meta.message}` : ''}`;
        this.call.ok = e.meta.grpcStatus === 0;
      }
      if (e.kind === 'state' && (e.state === 'failed' || e.state === 'closed') && this.call && this.call.status === undefined && typeof e.code === 'number' && this.element.dataset.pattern === 'grpc') {
        this.call.status = e.reason ?? `status ${e.code}`;
        this.call.ok = e.code === 0;
      }
      if (e.kind === 'frame' && this.element.dataset.pattern === 'graphql') this.observeOperation(e);
      if (e.kind === 'frame' && e.dir === 'in' && e.seq > this.lastPollSeq && (this.element.dataset.pattern === 'poll' || this.element.dataset.pattern === 'long-poll')) {
        this.lastPollSeq = e.seq;
        this.countPoll(e);
      }
    }
    this.updateCallLine();
    this.updatePollLine();
  }

  /**
   * GraphQL: each operation (by its id) with its type, whether a result or its end carried errors, and whether it is
   * running, complete (by the server) or stopped (by us). Only facts that do not depend on how often or in what order
   * events are observed (rows load again when the filter changes), so nothing is counted here.
   */
  private observeOperation(e: FrameEvent): void {
    const m = e.meta ?? {};
    const id = typeof m.id === 'string' ? m.id : undefined;
    if (id === undefined || e.channel === undefined) return;
    let op = this.operations.get(id);
    if (!op) {
      op = { label: e.channel, errors: false, state: 'running', lastSeq: 0 };
      this.operations.set(id, op);
    }
    if (typeof m.operationType === 'string') op.type = m.operationType;
    if (Array.isArray(m.errors) && m.errors.length > 0) op.errors = true;
    // The latest word on the operation decides its state (a re-subscribe after a reconnect makes it run again).
    if (e.seq < op.lastSeq) return;
    op.lastSeq = e.seq;
    if (m.control !== true && e.dir === 'out') op.state = 'running';
    else if (m.control !== true && e.dir === 'in' && typeof m.status === 'number' && op.type !== 'subscription') op.state = 'complete';
    else if (m.type === 'complete' || m.type === 'error') op.state = e.dir === 'in' ? 'complete' : 'stopped';
    else if (m.type === 'stop') op.state = 'stopped';
  }

  private updateCallLine(): void {
    if (this.operations.size > 0) {
      const ops = [...this.operations.values()];
      const shown = ops.slice(-4).map((o) => `${o.label} (${[o.type, o.errors ? 'errors' : '', o.state === 'running' ? '' : o.state].filter(Boolean).join(', ') || 'running'})`);
      this.callLine.hidden = false;
      setText(this.callLine, reveal(`${ops.length > 4 ? `${ops.length} operations, the last 4: ` : ''}${shown.join(' · ')}`));
      this.callLine.dataset.tone = ops.some((o) => o.errors) ? 'failed' : ops.some((o) => o.state === 'running') ? 'busy' : 'ok';
      return;
    }
    const c = this.call;
    this.callLine.hidden = !c;
    if (!c) return;
    setText(this.callLine, reveal(`${c.text}${c.status !== undefined ? ` · ${c.status}` : ' · in progress'}`));
    this.callLine.dataset.tone = c.ok === undefined ? 'busy' : c.ok ? 'ok' : 'failed';
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
