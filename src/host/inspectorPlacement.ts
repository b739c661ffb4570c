/**
 * Where a session's inspector opens: in the editor area (the default, where there is room for the
 * log and the detail) or in the side bar's compact view (`wirescope.inspector.location`).
 */
import * as vscode from 'vscode';
import type { InspectorHost } from './inspectorHost';
import type { ManagedSession, SessionManager } from './sessionManager';

export type InspectorLocation = 'editor' | 'sidebar';

export function inspectorLocation(): InspectorLocation {
  return vscode.workspace.getConfiguration('wirescope').get<string>('inspector.location', 'editor') === 'sidebar' ? 'sidebar' : 'editor';
}

/** Reconnect; a session that starts anew (it had ended, or came back from a reload) gets its inspector shown. */
export async function reconnectAndShow(inspector: InspectorHost, manager: SessionManager, id: string): Promise<void> {
  const next = await manager.reconnect(id);
  if (next.id !== id) await showInspectorFor(inspector, manager, next);
}

/** Show a session's inspector where the user wants it; the session becomes the selected one. */
export async function showInspectorFor(inspector: InspectorHost, manager: SessionManager, m: ManagedSession, how: { beside?: boolean } = {}): Promise<void> {
  manager.select(m.id);
  if (inspectorLocation() === 'sidebar') await inspector.reveal();
  else inspector.openPanel(m.id, m.name, how);
}
