/**
 * Notices the moment a session fails, once per session, so the extension can raise a notification
 * with its one-line reason (the Sessions view alone is easy to miss while an editor has focus).
 * No vscode import: unit-tested in plain Node.
 */
import type { Disposable } from '../core/emitter';
import type { ManagedSession, SessionManager } from './sessionManager';

/**
 * A server-influenced reason as one plain line for a notification: control characters become
 * spaces, and brackets go (notifications turn `[text](target)` into a link).
 */
export function plainLine(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const line = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/[[\]]/g, '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Call `onFailed(session, reason)` the first time each session reaches the `failed` state. */
export function watchFailures(manager: SessionManager, onFailed: (m: ManagedSession, reason: string) => void): Disposable {
  const told = new Set<string>();
  const sub = manager.onDidChangeSessions(() => {
    for (const m of manager.list()) {
      // Restored sessions failed before the reload: that was already said.
      if (m.restored || told.has(m.id) || m.session.state !== 'failed') continue;
      told.add(m.id);
      onFailed(m, plainLine(m.lastReason || 'the connection failed'));
    }
    // Forget removed sessions, so the set stays as small as the list.
    if (told.size > manager.list().length) {
      const ids = new Set(manager.list().map((m) => m.id));
      for (const id of told) if (!ids.has(id)) told.delete(id);
    }
  });
  return sub;
}
