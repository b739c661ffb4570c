/**
 * Wirescope's VS Code entry point. Activation stays light: it registers views and commands and
 * reads the profiles file; transports load on first connect, the demo backend on first start.
 */
import * as vscode from 'vscode';
import { Controller, readSettings } from './controller';
import { InspectorHost, INSPECTOR_VIEW_ID } from './inspectorHost';
import { ProfileStore } from './profileStore';
import { SecretStore } from './secrets';
import { SessionManager } from './sessionManager';
import { ProfilesTreeProvider, SessionsTreeProvider } from './trees';

let manager: SessionManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<{ version: string }> {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Wirescope', { log: true });
  context.subscriptions.push(log);
  let settings = readSettings(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('wirescope')) settings = readSettings(context);
    }),
  );

  manager = new SessionManager({
    settings: () => settings,
    log: (level, line) => log[level](line),
    notify: (level, message) => {
      const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(`Wirescope: ${message}`);
    },
  });
  const sessions = manager;
  context.subscriptions.push({ dispose: () => void sessions.dispose() });

  const store = new ProfileStore(context, log);
  const secrets = new SecretStore(context.secrets);
  // The controller and the inspector need each other: the getter breaks the cycle.
  const holder: { inspector?: InspectorHost } = {};
  const controller = new Controller(context, log, sessions, store, secrets, () => holder.inspector!);
  const inspector = new InspectorHost(context.extensionUri, controller.inspectorBackend(() => settings), log);
  holder.inspector = inspector;

  const profilesTree = new ProfilesTreeProvider(store);
  const sessionsTree = new SessionsTreeProvider(sessions);
  const sessionsView = vscode.window.createTreeView('wirescope.sessions', { treeDataProvider: sessionsTree, showCollapseAll: false });
  context.subscriptions.push(
    store,
    controller,
    inspector,
    profilesTree,
    sessionsTree,
    sessionsView,
    vscode.window.createTreeView('wirescope.profiles', { treeDataProvider: profilesTree, showCollapseAll: true }),
    vscode.window.registerWebviewViewProvider(INSPECTOR_VIEW_ID, inspector),
    sessionsView.onDidChangeSelection((e) => {
      const picked = e.selection[0];
      if (picked) sessions.select(picked.id);
    }),
    ...controller.register(),
  );
  void vscode.commands.executeCommand('setContext', 'wirescope.demoRunning', false);
  await store.reload();
  log.info(`Wirescope activated in ${Date.now() - started} ms (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted'})`);
  return { version: String(context.extension.packageJSON.version ?? '') };
}

export async function deactivate(): Promise<void> {
  await manager?.dispose();
  manager = undefined;
}
