/** What the command modules share: the stores, the session manager, the views and the extension's log. */
import type * as vscode from 'vscode';
import type { InspectorHost } from './inspectorHost';
import type { ProfileFormPanels } from './profileFormPanel';
import type { ProfileStore } from './profileStore';
import type { SecretStore } from './secrets';
import type { SessionManager } from './sessionManager';

export interface HostServices {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  manager: SessionManager;
  store: ProfileStore;
  secrets: SecretStore;
  /** The inspector is created after the services; the getter breaks the cycle. */
  inspector: () => InspectorHost;
  forms: ProfileFormPanels;
}
