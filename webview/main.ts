/**
 * Inspector webview entry: wires the header, filters, virtualized log, detail/timing/timeline
 * tabs and composer to the host through the typed protocol. Everything it shows comes from the
 * host on Ready; only a little UI state (session, filter, scroll, tab) lives in vscode.setState.
 */
import type { WireEvent } from '../src/shared/events';
import {
  ClearLog,
  AddExpectation,
  CopyText,
  DidAppend,
  DidChangeSessions,
  DidNotify,
  DidReset,
  Disconnect,
  ExportLog,
  GetEvent,
  GetRows,
  GetActivity,
  GetGraphqlFields,
  GetTimeline,
  LocateSeq,
  OpenPayload,
  Ping,
  HalfClose,
  Ready,
  ProxyFault,
  Reconnect,
  SaveTemplate,
  SelectSession,
  Send,
  SetFilter,
  type LogFilter,
  type LogStats,
  type SessionInfo,
} from '../src/shared/protocol';
import { ActivityStrip } from './activityStrip';
import { Composer } from './composer';
import { TIME_MODES, type TimeMode } from './format';
import { SHORTCUTS } from './sessionHeader';
import { Splitter } from './splitter';
import { DetailPane } from './detailPane';
import { FilterBar } from './filterBar';
import { FrameLog } from './frameLog';
import { RpcClient, type VsCodeApi } from './rpc';
import { SessionHeader } from './sessionHeader';
import { TimelineView } from './timelineView';
import { TimingView } from './timingView';
import { h } from './ui/dom';
import { registerToolkit, selectTab, tabs } from './ui/toolkit';

/** UI state kept across webview reloads (never payloads or secrets). */
interface SavedState {
  selected?: string;
  filter?: LogFilter;
  firstIndex?: number;
  pinned?: boolean;
  tab?: string;
  timeMode?: TimeMode;
  /** The log's share of the split, percent. */
  split?: number;
  /** Channel column width, ch. */
  chanWidth?: number;
}

const TIMELINE_REFRESH_MS = 500;
/** How often the activity strip asks the host for fresh aggregates (one request, not one per event). */
const ACTIVITY_REFRESH_MS = 1000;
/** Patterns whose strip shows request latency. */
const REQUEST_PATTERNS = new Set(['http', 'poll', 'long-poll', 'async']);
const NOTICE_MS = 8000;

class Inspector {
  private readonly rpc: RpcClient;
  private readonly view: 'sidebar' | 'panel';
  private readonly fixedSessionId: string | undefined;
  private sessions: SessionInfo[] = [];
  private current: SessionInfo | undefined;
  private filterId = -1;
  private filterToken = 0;
  /** False while the newest SetFilter has no answer yet. */
  private filterSettled = true;
  private detailToken = 0;
  private tab = 'detail';
  private timeMode: TimeMode = 'relative';
  private readonly splitter: Splitter;
  private readonly strip: ActivityStrip;
  private activityTimer: ReturnType<typeof setTimeout> | undefined;
  private activityBusy = false;
  private lastStats = { reconnects: -1, anomalies: -1 };
  private lastDropped = -1;
  private timelineTimer: ReturnType<typeof setTimeout> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private saved: SavedState;
  private firstIndex = 0;

  private readonly header: SessionHeader;
  private readonly filters: FilterBar;
  private readonly log: FrameLog;
  private readonly detail: DetailPane;
  private readonly timing: TimingView;
  private readonly timeline: TimelineView;
  private readonly composer: Composer;
  private readonly tabsEl: HTMLElement & { activeid?: string };
  private readonly notice: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly main: HTMLElement;

  constructor(private readonly api: VsCodeApi) {
    this.rpc = new RpcClient(api);
    this.view = document.body.dataset.view === 'panel' ? 'panel' : 'sidebar';
    this.fixedSessionId = document.body.dataset.sessionId || undefined;
    this.saved = (api.getState() as SavedState | undefined) ?? {};
    this.timeMode = TIME_MODES.includes(this.saved.timeMode as TimeMode) ? this.saved.timeMode! : 'relative';

    this.header = new SessionHeader({
      select: (id) => this.selectSession(id, true),
      disconnect: () => this.current && this.rpc.command(Disconnect, { sessionId: this.current.id }),
      reconnect: () => this.current && this.rpc.command(Reconnect, { sessionId: this.current.id }),
      exportLog: (format) => this.current && this.rpc.command(ExportLog, { sessionId: this.current.id, format }),
      clear: () => this.current && this.rpc.command(ClearLog, { sessionId: this.current.id }),
      copy: (text) => this.rpc.command(CopyText, { text }),
      togglePinned: () => this.log.setPinned(!this.log.isPinned),
      toggleTimeMode: () => {
        this.timeMode = TIME_MODES[(TIME_MODES.indexOf(this.timeMode) + 1) % TIME_MODES.length];
        this.log.setTimeMode(this.timeMode);
        this.header.setTimeMode(this.timeMode);
        this.saveState();
      },
      fitChannel: () => this.log.fitChannelWidth(),
    });
    this.strip = new ActivityStrip((seq) => void this.jumpToSeq(seq));
    this.header.stripSlot.append(this.strip.element);
    this.filters = new FilterBar((f) => {
      this.saveState();
      void this.applyFilter(f);
    });
    this.log = new FrameLog(async (filterId, start, count) => {
      const s = this.current;
      const r = await this.rpc.request(GetRows, { sessionId: s?.id ?? '', filterId, start, count });
      // Rows loaded for display also carry the pattern facts the header shows (poll stats).
      if (s && s.id === this.current?.id) this.header.observe(r.rows);
      return r;
    }, {
      onOpen: (seq) => void this.openEvent(seq),
      onPinnedChange: (pinned) => {
        this.header.setPinned(pinned);
        this.saveState();
      },
      onScroll: (first) => {
        if (first !== this.firstIndex) {
          this.firstIndex = first;
          this.saveState();
        }
      },
      onStaleFilter: () => this.resyncFilter(),
      onChannelWidth: () => this.saveState(),
    });
    this.detail = new DetailPane(
      (text) => this.rpc.command(CopyText, { text }),
      (seq) => this.current && this.rpc.command(AddExpectation, { sessionId: this.current.id, seq }),
      (seq) => this.current && this.rpc.command(OpenPayload, { sessionId: this.current.id, seq }),
      {
        // "Cut this connection": only for a running capture proxy's events that name a connection.
        can: () => !!this.current && this.current.pattern === 'proxy' && !this.current.ended,
        fault: (conn, fault) => this.current && this.rpc.command(ProxyFault, { sessionId: this.current.id, conn, fault }),
      },
    );
    this.timing = new TimingView();
    this.timeline = new TimelineView();
    this.composer = new Composer({
      send: async (data, encoding, channel, options) => {
        if (!this.current) return;
        await this.rpc.request(Send, { sessionId: this.current.id, data, encoding, ...(channel ? { channel } : {}), ...(options ? { options } : {}) });
      },
      ping: () => this.current && this.rpc.command(Ping, { sessionId: this.current.id }),
      halfClose: () => this.current && this.rpc.command(HalfClose, { sessionId: this.current.id }),
      saveTemplate: (name, data, encoding) => this.current && this.rpc.command(SaveTemplate, { sessionId: this.current.id, name, data, encoding }),
      graphqlFields: (sessionId) => this.rpc.request(GetGraphqlFields, { sessionId }),
    });
    this.tabsEl = tabs(
      'inspector-tabs',
      [
        { id: 'detail', label: 'Detail', content: this.detail.element },
        { id: 'timing', label: 'Timing', content: this.timing.element },
        { id: 'timeline', label: 'Reconnects', content: this.timeline.element },
      ],
      (id) => {
        this.tab = id;
        this.saveState();
        if (id === 'timeline' || id === 'timing') void this.refreshTimeline();
      },
    );
    this.notice = h('div', { id: 'notice', cls: 'notice', role: 'status' });
    this.notice.hidden = true;
    this.empty = h('div', { id: 'empty-state', cls: 'empty-state' },
      h('h2', { text: 'No session selected' }),
      h('p', { text: 'Start a connection with "Wirescope: New Connection…" or pick a session in the Sessions view. Its frames, timings and reconnects show up here.' }),
    );
    const split = h('div', { cls: 'split' });
    this.splitter = new Splitter(split, () => this.saveState());
    // The divider sits between the two visually (CSS order) but after them in the DOM, so Tab goes
    // from the log to the detail tabs, then to the divider.
    split.append(this.log.element, h('div', { cls: 'lower' }, this.tabsEl), this.splitter.element);
    this.main = h('main', { id: 'inspector', cls: 'inspector' },
      this.header.element,
      this.filters.element,
      split,
      this.composer.element,
    );
    if (typeof this.saved.split === 'number') this.splitter.set(this.saved.split, false);
    if (typeof this.saved.chanWidth === 'number') this.log.setChannelWidth(this.saved.chanWidth, false);
    document.addEventListener('keydown', (e) => this.onShortcut(e));
    this.main.hidden = true;
    document.getElementById('app')!.replaceChildren(this.notice, this.empty, this.main);
    this.header.setTimeMode(this.timeMode);
    this.log.setTimeMode(this.timeMode);

    this.rpc.on(DidAppend, (p) => this.onAppend(p.sessionId, p.filterId, p.total, p.stats, p.tail));
    this.rpc.on(DidChangeSessions, (p) => this.onSessions(p.sessions, p.selected));
    this.rpc.on(DidReset, (p) => {
      if (p.sessionId !== this.current?.id) return;
      this.scheduleActivity(0);
      this.detail.show(null);
      this.header.resetSessionFigures();
      void this.applyFilter(this.filters.current);
      void this.refreshTimeline();
    });
    this.rpc.on(DidNotify, (p) => this.showNotice(p.level, p.message));
  }

  async start(): Promise<void> {
    try {
      const r = await this.rpc.request(Ready, {});
      const wanted = this.fixedSessionId ?? this.saved.selected ?? r.selected;
      this.sessions = r.sessions;
      const restore = this.saved;
      const pick = this.sessions.find((s) => s.id === wanted) ?? this.sessions.find((s) => s.id === r.selected) ?? (this.fixedSessionId ? undefined : this.sessions[0]);
      if (restore.filter) this.filters.restore(restore.filter);
      if (restore.tab && restore.tab !== 'detail') {
        this.tab = restore.tab;
        selectTab(this.tabsEl, restore.tab);
      }
      this.selectSession(pick?.id, pick?.id !== r.selected, restore.pinned === false ? restore.firstIndex : undefined);
    } catch (err) {
      this.showNotice('error', `Could not load the inspector: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private onSessions(sessions: SessionInfo[], selected: string | undefined): void {
    this.sessions = sessions;
    const target = this.fixedSessionId ?? (this.view === 'sidebar' && selected ? selected : this.current?.id);
    const next = sessions.find((s) => s.id === target) ?? (this.fixedSessionId ? undefined : sessions.find((s) => s.id === this.current?.id) ?? sessions[0]);
    if (next?.id !== this.current?.id) this.selectSession(next?.id, false);
    else this.showSession(next);
  }

  private showSession(s: SessionInfo | undefined): void {
    const changed = s?.id !== this.current?.id;
    this.current = s;
    if (changed) this.strip.clear();
    this.scheduleActivity(changed ? 0 : ACTIVITY_REFRESH_MS);
    this.empty.hidden = s !== undefined;
    this.main.hidden = s === undefined;
    this.header.setPattern(s?.pattern);
    this.header.setSessions(this.sessions, s, this.view);
    this.composer.setSession(s);
    this.log.setMarked(s?.marked?.seqs ?? [], s?.marked?.note ?? '');
  }

  private selectSession(id: string | undefined, tellHost: boolean, firstIndex?: number): void {
    const s = this.sessions.find((x) => x.id === id);
    const changed = s?.id !== this.current?.id;
    this.showSession(s);
    if (!s) {
      this.saveState();
      return;
    }
    if (tellHost && this.view === 'sidebar') this.rpc.command(SelectSession, { sessionId: s.id });
    if (changed || firstIndex !== undefined) {
      this.detail.show(null);
      this.header.resetSessionFigures();
      this.timing.setStats(null);
      this.lastStats = { reconnects: -1, anomalies: -1 };
      this.lastDropped = -1;
      void this.applyFilter(this.filters.current, firstIndex);
      void this.refreshTimeline();
    }
    this.saveState();
  }

  private async applyFilter(filter: LogFilter, firstIndex?: number): Promise<void> {
    const s = this.current;
    if (!s) return;
    const token = ++this.filterToken;
    this.filterSettled = false;
    const shown = this.detail.shown;
    const keepSeq = shown && firstIndex === undefined ? shown.seq : undefined;
    this.log.setHighlight(filter.text, filter.regex === true);
    try {
      const r = await this.rpc.request(SetFilter, keepSeq !== undefined ? { sessionId: s.id, filter, keepSeq } : { sessionId: s.id, filter });
      if (token !== this.filterToken || s.id !== this.current?.id) return;
      this.filterId = r.filterId;
      this.log.reset(r.filterId, r.total, firstIndex);
      this.filters.setCount(r.total);
      // The detail pane never shows an event the filter hides.
      if (keepSeq !== undefined && r.keepIndex === -1 && this.detail.shown?.seq === keepSeq) {
        this.detail.show(null);
        this.log.select(-1);
      }
    } catch (err) {
      if (token === this.filterToken) this.showNotice('error', `Filter failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (token === this.filterToken) this.filterSettled = true;
    }
  }

  /**
   * The host's view of the current session is not the one the log shows (its appends or rows
   * carry another filterId) and no SetFilter is on its way to fix that: set the filter again so
   * the log converges instead of dropping every later append.
   */
  private resyncFilter(): void {
    if (!this.current || !this.filterSettled) return;
    void this.applyFilter(this.filters.current);
  }

  private onAppend(sessionId: string, filterId: number, total: number, stats: LogStats, tail: WireEvent[]): void {
    if (sessionId !== this.current?.id) return;
    // Once the host's cap drops old events, row positions slide; the log must refetch.
    const shifted = this.lastDropped >= 0 && stats.dropped !== this.lastDropped;
    this.lastDropped = stats.dropped;
    if (filterId === this.filterId) {
      this.log.append(filterId, total, tail, shifted);
      this.filters.setCount(total);
    } else this.resyncFilter();
    this.timing.setStats(stats);
    this.header.observe(tail);
    if (stats.reconnects !== this.lastStats.reconnects || stats.anomalies !== this.lastStats.anomalies) {
      this.lastStats = { reconnects: stats.reconnects, anomalies: stats.anomalies };
      this.scheduleTimeline();
    } else if (tail.some((e) => e.kind !== 'frame')) this.scheduleTimeline();
  }

  /** Ask for the strip's aggregates now (`delay` 0) or on the next tick; live sessions keep ticking. */
  private scheduleActivity(delay: number): void {
    if (this.activityTimer !== undefined) {
      if (delay > 0) return;
      clearTimeout(this.activityTimer);
    }
    this.activityTimer = setTimeout(() => {
      this.activityTimer = undefined;
      void this.refreshActivity();
    }, delay);
  }

  private async refreshActivity(): Promise<void> {
    const s = this.current;
    if (!s || this.activityBusy) return;
    this.activityBusy = true;
    try {
      const r = await this.rpc.request(GetActivity, { sessionId: s.id });
      if (s.id === this.current?.id) this.strip.update(r.activity, REQUEST_PATTERNS.has(s.pattern));
    } catch {
      // The strip is a picture of the log; the log itself is unaffected.
    } finally {
      this.activityBusy = false;
    }
    // Ended sessions do not change: one picture is enough until the list changes again.
    if (this.current && !this.current.ended && document.visibilityState !== 'hidden') this.scheduleActivity(ACTIVITY_REFRESH_MS);
  }

  /** The strip was clicked: show the first row at or after that event in the log. */
  private async jumpToSeq(seq: number): Promise<void> {
    const s = this.current;
    if (!s || this.filterId < 0) return;
    try {
      const r = await this.rpc.request(LocateSeq, { sessionId: s.id, filterId: this.filterId, seq });
      if (r.filterId === this.filterId && r.index >= 0) {
        this.log.jumpTo(r.index);
        this.log.focus();
      } else if (r.index < 0) this.showNotice('info', 'The filter hides that moment: no row at or after it matches.');
    } catch (err) {
      this.showNotice('error', `Could not jump there: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private scheduleTimeline(): void {
    if (this.timelineTimer !== undefined) return;
    this.timelineTimer = setTimeout(() => {
      this.timelineTimer = undefined;
      void this.refreshTimeline();
    }, TIMELINE_REFRESH_MS);
  }

  private async refreshTimeline(): Promise<void> {
    const s = this.current;
    if (!s) return;
    try {
      const r = await this.rpc.request(GetTimeline, { sessionId: s.id });
      if (s.id !== this.current?.id) return;
      this.timeline.setEvents(r.events);
      this.timing.setEvents(r.events);
      this.header.observe(r.events);
    } catch {
      // A timeline is a convenience; the log itself still shows every event.
    }
  }

  private async openEvent(seq: number): Promise<void> {
    const s = this.current;
    if (!s) return;
    const token = ++this.detailToken;
    if (this.tab !== 'detail') {
      this.tab = 'detail';
      selectTab(this.tabsEl, 'detail');
    }
    this.detail.show(null, true);
    try {
      const r = await this.rpc.request(GetEvent, { sessionId: s.id, seq });
      if (token !== this.detailToken) return;
      this.detail.show(r.event);
    } catch (err) {
      if (token === this.detailToken) this.showNotice('error', `Could not load event #${seq}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Toolbar shortcuts: single keys while the focus is not in a text field or the composer. */
  private onShortcut(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey || !this.current || this.main.hidden) return;
    const path = e.composedPath() as HTMLElement[];
    if (path.some((el) => el instanceof HTMLElement && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable || /^VSCODE-(TEXT-FIELD|TEXT-AREA|DROPDOWN)$/.test(el.tagName)))) return;
    const key = e.key.length === 1 ? e.key.toUpperCase() : e.key;
    const s = this.current;
    switch (key) {
      case SHORTCUTS.disconnect: if (!s.ended) this.rpc.command(Disconnect, { sessionId: s.id }); break;
      case SHORTCUTS.reconnect: if (s.canReconnect) this.rpc.command(Reconnect, { sessionId: s.id }); break;
      case SHORTCUTS.pause: this.log.setPinned(!this.log.isPinned); break;
      case SHORTCUTS.time: document.getElementById('btn-time-mode')?.click(); break;
      case SHORTCUTS.clear: this.rpc.command(ClearLog, { sessionId: s.id }); break;
      case SHORTCUTS.export: this.rpc.command(ExportLog, { sessionId: s.id, format: 'ndjson' }); break;
      case SHORTCUTS.filter: this.filters.focus(); break;
      default: return;
    }
    e.preventDefault();
  }

  private showNotice(level: 'info' | 'warning' | 'error', message: string): void {
    this.notice.textContent = message;
    this.notice.dataset.level = level;
    this.notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice.hidden = true), NOTICE_MS);
  }

  private saveState(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      const state: SavedState = {
        selected: this.current?.id,
        filter: this.filters.current,
        firstIndex: this.firstIndex,
        pinned: this.log.isPinned,
        tab: this.tab,
        timeMode: this.timeMode,
        split: this.splitter.value,
        chanWidth: this.log.channelWidth,
      };
      this.api.setState(state);
    }, 250);
  }
}

registerToolkit();
const inspector = new Inspector(acquireVsCodeApi());
void inspector.start();
