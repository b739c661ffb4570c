/** Import from curl: parse a pasted command line into a profile, credentials into SecretStorage, then save (and connect). */
import * as vscode from 'vscode';
import { renameCurlImport } from '../core/curlImport';
import type { Connector } from './connectProfile';
import { saveProfile } from './profileCommands';
import { curlInputFlow, profileNameFlow, scopeFlow } from './quickInputPrompts';
import type { HostServices } from './services';

export async function importCurl(h: HostServices, connector: Connector): Promise<void> {
  const imported = await curlInputFlow();
  if (!imported) return;
  const scope = await scopeFlow(!!vscode.workspace.workspaceFolders?.length);
  if (!scope) return;
  const taken = (n: string) => h.store.all().some((p) => p.scope === scope && p.profile.name === n);
  const name = await profileNameFlow('Wirescope: name the imported profile', imported.profile.name, taken);
  if (!name) return;
  // Secret names follow the profile's final name (`<name>.token`, `<name>.password`…).
  const { profile, secrets } = renameCurlImport(imported, name);
  for (const s of secrets) await h.secrets.store(s.name, s.value);
  await saveProfile(h, profile, scope);
  const notes = imported.warnings.length ? ` Notes: ${imported.warnings.join('; ')}` : '';
  const pick = await vscode.window.showInformationMessage(`Wirescope: imported "${name}" (${profile.pattern}).${imported.secrets.length ? ' Credentials went to the secret store.' : ''}${notes}`, 'Connect');
  if (pick === 'Connect') await connector.connect(profile, { scope });
}
