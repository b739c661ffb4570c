/**
 * How commands find their target: a session or profile passed by a tree item, a webview or
 * `executeCommand` (an object with an id, or the id itself), else the selected one, else a quick pick.
 */
import { pickSession } from './quickInputPrompts';
import type { ProfileStore, StoredProfile } from './profileStore';
import type { ManagedSession, SessionManager } from './sessionManager';

export function sessionFrom(manager: SessionManager, arg: unknown): ManagedSession | undefined {
  if (typeof arg === 'string') return manager.get(arg);
  if (arg && typeof arg === 'object' && typeof (arg as { id?: unknown }).id === 'string') return manager.get((arg as { id: string }).id);
  return undefined;
}

export async function sessionArg(manager: SessionManager, arg: unknown, title: string, fits?: (m: ManagedSession) => boolean): Promise<ManagedSession | undefined> {
  const given = sessionFrom(manager, arg);
  if (given) return given;
  return pickSession(manager.list(), manager.selected, title, fits);
}

export function storedFrom(store: ProfileStore, arg: unknown): StoredProfile | undefined {
  if (typeof arg === 'string') return store.find(arg) ?? store.all().find((p) => p.profile.name === arg);
  if (arg && typeof arg === 'object') {
    const o = arg as { sp?: StoredProfile; id?: string };
    if (o.sp) return o.sp;
    if (typeof o.id === 'string') return store.find(o.id);
  }
  return undefined;
}
