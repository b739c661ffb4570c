/**
 * The live connections of a capture proxy session, as children of its row in the Sessions tree:
 * one row per client connection (`c3 · GET /sse · websocket`), with the context value that offers
 * "Cut This Connection" (and stall/resume) on it.
 */
import * as vscode from 'vscode';
import type { ProxyConnectionInfo } from '../core/proxy/captureProxy';
import type { ManagedSession } from './sessionManager';

export interface ProxyConnNode {
  kind: 'proxyConn';
  session: ManagedSession;
  info: ProxyConnectionInfo;
}

export function isProxyConn(n: unknown): n is ProxyConnNode {
  return !!n && typeof n === 'object' && (n as { kind?: unknown }).kind === 'proxyConn';
}

/** The live connections of a running proxy session (none once it ended). */
export function proxyConnChildren(m: ManagedSession): ProxyConnNode[] {
  const proxy = m.session.proxy;
  if (!proxy || m.session.ended) return [];
  return proxy.connections().map((info) => ({ kind: 'proxyConn', session: m, info }));
}

const KIND_ICON: Record<ProxyConnectionInfo['kind'], string> = { http: 'globe', websocket: 'plug', upgrade: 'arrow-swap', tunnel: 'lock' };

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

/**
 * A connection row. Its description holds only what changes with the connection itself (kind,
 * client, fault): the row is redrawn when connections change, not as bytes flow, so its Cut button
 * stays under the pointer. The byte counts are in the tooltip, read when the pointer rests on it.
 */
export function proxyConnItem(n: ProxyConnNode): vscode.TreeItem {
  const c = n.info;
  const item = new vscode.TreeItem(`${c.id} · ${c.label || 'connected'}`, vscode.TreeItemCollapsibleState.None);
  item.id = `${n.session.id}/${c.id}`;
  item.description = `${c.kind} · ${c.client}${c.fault ? ` · ${c.fault}ed` : ''}`;
  item.iconPath = new vscode.ThemeIcon(KIND_ICON[c.kind]);
  item.contextValue = `proxyConnection${c.fault ? '.faulted' : ''}`;
  item.accessibilityInformation = { label: `Proxied connection ${c.id} from ${c.client}, ${c.kind}, ${c.label}` };
  return item;
}

/** The tooltip of a connection row, with its byte counts as of now (or as last seen, once closed). */
export function proxyConnTooltip(c: ProxyConnectionInfo, closed: boolean): string {
  return `Connection ${c.id} from ${c.client}${closed ? ' (closed)' : ''}\n${c.kind}, ${c.exchanges} exchange${c.exchanges === 1 ? '' : 's'}\nopened ${new Date(c.openedAt).toLocaleTimeString()}\nclient -> backend ${bytes(c.bytes.out)} (${c.bytes.out} bytes), backend -> client ${bytes(c.bytes.in)} (${c.bytes.in} bytes)${c.fault ? `\nfault: ${c.fault}` : ''}`;
}
