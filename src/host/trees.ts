/** The Profiles tree (grouped by pattern) and the Sessions tree (state icons). */
import * as vscode from 'vscode';
import { descriptorOf } from '../patterns';
import { PATTERN_LABELS, PATTERNS, type PatternId } from '../shared/connectOptions';
import type { SessionState } from '../shared/events';
import type { ProfileStore, StoredProfile } from './profileStore';
import { isProxyConn, proxyConnChildren, proxyConnItem, proxyConnTooltip, type ProxyConnNode } from './proxyTree';
import type { ManagedSession, SessionManager } from './sessionManager';

type ProfileNode =
  | { kind: 'fileError'; uri: vscode.Uri; message: string }
  | { kind: 'group'; pattern: PatternId; items: StoredProfile[] }
  | { kind: 'profile'; sp: StoredProfile };

const SCOPE_LABEL: Record<StoredProfile['scope'], string> = { workspace: 'workspace (.vscode/wirescope.json)', user: 'user profile', demo: 'demo backend' };

export class ProfilesTreeProvider implements vscode.TreeDataProvider<ProfileNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ProfileNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: { dispose(): void };

  constructor(private readonly store: ProfileStore) {
    this.sub = store.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: ProfileNode): ProfileNode[] {
    if (node?.kind === 'group') return node.items.map((sp) => ({ kind: 'profile', sp }));
    if (node) return [];
    const out: ProfileNode[] = [];
    for (const f of this.store.fileStates()) if (f.syntaxError) out.push({ kind: 'fileError', uri: f.uri, message: f.syntaxError });
    const all = this.store.all();
    for (const pattern of PATTERNS) {
      const items = all.filter((sp) => sp.profile.pattern === pattern);
      if (items.length) out.push({ kind: 'group', pattern, items });
    }
    // Profiles whose pattern is not valid still show, so that their problem can be seen.
    const odd = all.filter((sp) => !(PATTERNS as readonly string[]).includes(sp.profile.pattern));
    for (const sp of odd) out.push({ kind: 'profile', sp });
    return out;
  }

  getTreeItem(node: ProfileNode): vscode.TreeItem {
    if (node.kind === 'fileError') {
      const item = new vscode.TreeItem('Profiles file has a problem', vscode.TreeItemCollapsibleState.None);
      item.id = `fileError:${node.uri.toString()}`;
      item.description = node.message;
      item.tooltip = `${node.message}\nFix the file to load its profiles. Click to open it.`;
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.contextValue = 'profilesFileError';
      item.command = { command: 'vscode.open', title: 'Open', arguments: [node.uri] };
      return item;
    }
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(PATTERN_LABELS[node.pattern], vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.pattern}`;
      item.description = `${node.items.length}`;
      item.contextValue = 'patternGroup';
      return item;
    }
    const { sp } = node;
    const item = new vscode.TreeItem(sp.profile.name || '(unnamed)', vscode.TreeItemCollapsibleState.None);
    item.id = sp.id;
    item.description = typeof sp.profile.url === 'string' ? sp.profile.url : '';
    const tip = new vscode.MarkdownString(undefined, false);
    tip.appendText(`${sp.profile.name} — ${PATTERN_LABELS[sp.profile.pattern] ?? sp.profile.pattern}\n${sp.profile.url}\n${SCOPE_LABEL[sp.scope]}`);
    if (sp.problems.length) tip.appendText(`\n\nProblems:\n${sp.problems.join('\n')}`);
    item.tooltip = tip;
    // An unknown pattern makes the profile invalid, so the lookup only runs for known patterns.
    item.iconPath = sp.valid ? new vscode.ThemeIcon(descriptorOf(sp.profile.pattern)?.icon ?? 'symbol-misc') : new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    item.contextValue = `profile.${sp.scope}${sp.valid ? '' : '.invalid'}`;
    // A single click opens it: its running session's inspector, else its form.
    item.command = { command: 'wirescope.openProfile', title: 'Open Profile', arguments: [{ id: sp.id }] };
    item.accessibilityInformation = { label: `Profile ${sp.profile.name}, ${sp.profile.pattern}, ${sp.profile.url}${sp.valid ? '' : ', has problems'}` };
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

/** The state icon of a session, as shown in trees and quick picks. */
export function stateIcon(state: SessionState | 'idle'): vscode.ThemeIcon {
  switch (state) {
    case 'connecting':
      return new vscode.ThemeIcon('loading~spin');
    case 'open':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'reconnecting':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('testing.iconQueued'));
    case 'closing':
      return new vscode.ThemeIcon('loading~spin');
    case 'closed':
      return new vscode.ThemeIcon('debug-disconnect');
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    default:
      return new vscode.ThemeIcon('circle-outline');
  }
}

/** The live counters of a session row: `↓in ↑out`, plus `⟳n` once it has reconnected. */
export function sessionCounters(stats: { framesIn: number; framesOut: number; reconnects: number }): string {
  return `↓${stats.framesIn} ↑${stats.framesOut}${stats.reconnects ? ` ⟳${stats.reconnects}` : ''}`;
}

/**
 * Counter refreshes are coalesced to at most this often. A fast feed must not redraw the tree per
 * frame, and each redraw of a row rebuilds its inline buttons: a click that spans a redraw is lost
 * (the press lands on the old button, the release on the new one). Once a second keeps the counters
 * live while a click on Disconnect of a busy session lands nearly always.
 */
const COUNTER_REFRESH_MS = 1000;

/** A Sessions tree row: a session, or (under a capture proxy) one of its live connections. */
export type SessionNode = ManagedSession | ProxyConnNode;

export class SessionsTreeProvider implements vscode.TreeDataProvider<SessionNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<SessionNode | SessionNode[] | undefined>();
  /** Proxy sessions whose connection changes are followed. */
  private readonly followed = new WeakSet<ManagedSession>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subs: Array<{ dispose(): void }>;
  /** Sessions with new events since the last counter refresh. */
  private readonly dirty = new Set<string>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly manager: SessionManager) {
    this.subs = [
      manager.onDidChangeSessions(() => {
        this.dirty.clear();
        this.emitter.fire(undefined);
      }),
      // A capture proxy's row is redrawn only when its connections change (below), not per recorded
      // frame: redrawing a row redraws its children, and the Cut button of a connection row must stay
      // put under the pointer while the connection carries traffic.
      manager.onDidAppend((id) => {
        if (manager.get(id)?.pattern !== 'proxy') this.countersChanged(id);
      }),
    ];
  }

  private countersChanged(id: string): void {
    this.dirty.add(id);
    // One timer at a time, armed only while something changed: idle sessions cost nothing.
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      const items = [...this.dirty].map((d) => this.manager.get(d)).filter((m): m is ManagedSession => !!m);
      this.dirty.clear();
      if (items.length) this.emitter.fire(items);
    }, COUNTER_REFRESH_MS);
  }

  getChildren(node?: SessionNode): SessionNode[] {
    if (!node) return [...this.manager.list()].reverse();
    if (isProxyConn(node) || node.pattern !== 'proxy') return [];
    const proxy = node.session.proxy;
    if (proxy && !this.followed.has(node)) {
      this.followed.add(node);
      this.subs.push(proxy.onDidChangeConnections(() => this.countersChanged(node.id)));
    }
    return proxyConnChildren(node);
  }

  getParent(): undefined {
    return undefined;
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    if (isProxyConn(node)) return proxyConnItem(node);
    const m = node;
    const state = m.session.state;
    const item = new vscode.TreeItem(m.name, m.pattern === 'proxy' && !m.session.ended ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = m.id;
    const stats = m.log.stats();
    // A proxy's row counts its live connections (redrawn when they change); its frame counters are in
    // the tooltip, read when the pointer rests on the row (resolveTreeItem).
    const conns = m.pattern === 'proxy' && !m.session.ended ? m.session.proxy?.connections().length : undefined;
    item.description = `${m.pattern} · ${state} · ${conns !== undefined ? `${conns} connection${conns === 1 ? '' : 's'}` : sessionCounters(stats)}`;
    item.iconPath = stateIcon(state);
    const live = !m.session.ended;
    item.contextValue = `session.${live ? 'live' : 'ended'}${live && m.session.canSend ? '.send' : ''}${live && m.session.canPing ? '.ping' : ''}${m.pattern === 'proxy' ? '.proxy' : ''}`;
    item.command = { command: 'wirescope.openInspector', title: 'Show in Inspector', arguments: [m] };
    item.accessibilityInformation = { label: `Session ${m.name}, ${m.pattern}, ${state}, ${stats.framesIn} frames in, ${stats.framesOut} out, ${stats.reconnects} reconnects` };
    return item;
  }

  /** Tooltips are written when the pointer rests on a row, so their counters are current then. */
  resolveTreeItem(item: vscode.TreeItem, node: SessionNode): vscode.TreeItem {
    if (isProxyConn(node)) {
      const now = node.session.session.proxy?.connections().find((c) => c.id === node.info.id);
      item.tooltip = proxyConnTooltip(now ?? node.info, !now);
      return item;
    }
    const m = node;
    const stats = m.log.stats();
    item.tooltip = `${m.name}\n${m.url}\nstate: ${m.session.state}\nstarted: ${new Date(m.startedAt).toLocaleTimeString()}\nframes in/out: ${stats.framesIn}/${stats.framesOut}, reconnects: ${stats.reconnects}${m.captureNote ? `\n${m.captureNote}` : ''}`;
    return item;
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const sub of this.subs) sub.dispose();
    this.emitter.dispose();
  }
}
