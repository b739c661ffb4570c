/** Profile commands: save a session as a profile, edit (the form), delete, and save a composer template. */
import * as vscode from 'vscode';
import { PATTERNS } from '../shared/connectOptions';
import type { Profile } from '../shared/profile';
import type { PayloadInputEncoding } from '../shared/protocol';
import { sessionArg, storedFrom } from './commandArgs';
import { profileNameFlow, scopeFlow } from './quickInputPrompts';
import type { HostServices } from './services';

/** Write a profile to the workspace file or the user profiles, replacing `previousName` when given. */
export async function saveProfile(h: HostServices, profile: Profile, scope: 'workspace' | 'user', previousName?: string, folder?: vscode.WorkspaceFolder): Promise<void> {
  if (scope === 'workspace') {
    const uri = await h.store.saveWorkspaceProfile(profile, previousName ? { previousName } : {}, folder);
    h.log.info(`saved profile "${profile.name}" to ${uri.fsPath}`);
  } else {
    await h.store.saveUserProfile(profile, previousName);
    h.log.info(`saved user profile "${profile.name}"`);
  }
}

export async function saveSessionAsProfile(h: HostServices, arg: unknown): Promise<void> {
  const m = await sessionArg(h.manager, arg, 'Save Session as Profile');
  if (!m) return;
  // A capture proxy is not a profile pattern: a profile of it would not load.
  if (!(PATTERNS as readonly string[]).includes(m.pattern)) throw new Error(`"${m.name}" is a capture proxy, which is not saved as a profile: start it again with Start Capture Proxy… (a profile's origin can be its target)`);
  const scope = await scopeFlow(!!vscode.workspace.workspaceFolders?.length);
  if (!scope) return;
  const taken = (n: string) => h.store.all().some((p) => p.scope === scope && p.profile.name === n);
  const name = await profileNameFlow('Wirescope: Save Session as Profile', m.name, taken);
  if (!name) return;
  // The unresolved profile: references stay references, secret values are never written.
  const profile: Profile = { ...m.profile, name };
  await saveProfile(h, profile, scope);
  void vscode.window.showInformationMessage(`Wirescope: saved "${name}" ${scope === 'workspace' ? 'to .vscode/wirescope.json' : 'to your user profiles'}.`);
}

/** The profile form in an editor tab; a demo profile opens as a new profile prefilled from it. */
export async function editProfile(h: HostServices, arg: unknown): Promise<void> {
  const sp = storedFrom(h.store, arg);
  if (!sp) return h.store.openFile();
  h.forms.show(sp.scope === 'demo' ? { draft: { ...sp.profile, name: `${sp.profile.name} (copy)` } } : { sp });
}

export async function deleteProfile(h: HostServices, arg: unknown): Promise<void> {
  const sp = storedFrom(h.store, arg);
  if (!sp || sp.scope === 'demo') return;
  const where = sp.scope === 'workspace' ? '.vscode/wirescope.json' : 'your user profiles';
  const ok = await vscode.window.showWarningMessage(`Delete the profile "${sp.profile.name}" from ${where}?`, { modal: true }, 'Delete');
  if (ok !== 'Delete') return;
  if (sp.scope === 'workspace') await h.store.deleteWorkspaceProfile(sp);
  else await h.store.deleteUserProfile(sp.profile.name);
}

/** A composer template saved into the session's profile (kept for the session only when it has no stored profile). */
export async function saveTemplate(h: HostServices, id: string, name: string, data: string, encoding: PayloadInputEncoding): Promise<void> {
  const m = h.manager.get(id);
  if (!m) throw new Error('That session no longer exists');
  const templates = [...(m.profile.templates ?? []).filter((t) => t.name !== name), { name, data, ...(encoding !== 'text' ? { encoding } : {}) }];
  // The session keeps its profile object; templates show in the composer at once.
  (m.profile as Profile).templates = templates;
  h.manager.notifyChanged();
  const sp = m.profileId ? h.store.find(m.profileId) : undefined;
  if (sp?.scope === 'workspace') await h.store.saveWorkspaceProfile({ ...sp.profile, templates }, {}, sp.folder);
  else if (sp?.scope === 'user') await h.store.saveUserProfile({ ...sp.profile, templates });
  else {
    void vscode.window.showInformationMessage(`Wirescope: template "${name}" kept for this session; save the session as a profile to keep it.`);
    return;
  }
  void vscode.window.showInformationMessage(`Wirescope: saved template "${name}" to profile "${sp.profile.name}".`);
}
