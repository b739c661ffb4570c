/**
 * Wirescope's VS Code entry point. Activation stays light: it registers views and commands and
 * reads the profiles file; transports load on first connect, the demo backend on first start.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { addExpectationFromFrame } from './addExpectation';
import { CaptureProxyControl } from './captureProxyControl';
import { registerCommands } from './commands';
import { Connector } from './connectProfile';
import { DemoBackendControl } from './demoBackendControl';
import { exportLog } from './exportLog';
import { watchFailures } from './failureWatch';
import { sessionManagerBackend } from './inspectorBackend';
import { InspectorHost, INSPECTOR_VIEW_ID } from './inspectorHost';
import { reconnectAndShow, showInspectorFor } from './inspectorPlacement';
import { PayloadDocuments } from './payloadDocuments';
import { saveTemplate } from './profileCommands';
import { ProfileFormPanels } from './profileFormPanel';
import { ProfileStore } from './profileStore';
import { SecretStore } from './secrets';
import { MessageSender } from './sendMessage';
import type { HostServices } from './services';
import { SessionArchive } from './sessionArchive';
import { SessionManager } from './sessionManager';
import { readSettings } from './settings';
import { SessionStatusBar } from './statusBar';
import { registerTestHook } from './testHook';
import { ProfileTesting } from './testing';
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

  // Sessions survive a window reload in the workspace's storage (global storage without a workspace).
  const keep = vscode.workspace.getConfiguration('wirescope').get<boolean>('sessions.keepAcrossReload', true);
  const storage = context.storageUri ?? context.globalStorageUri;
  const archive = keep ? new SessionArchive({ dir: join(storage.fsPath, 'sessions'), log: (level, line) => log[level](line) }) : undefined;
  manager = new SessionManager({
    ...(archive ? { archive } : {}),
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
  const forms = new ProfileFormPanels(context.extensionUri, store, secrets, log);
  // The commands and the inspector need each other: the getter breaks the cycle.
  const holder: { inspector?: InspectorHost } = {};
  const h: HostServices = { context, log, manager: sessions, store, secrets, inspector: () => holder.inspector!, forms };
  const demo = new DemoBackendControl(h);
  const connector = new Connector(h, demo);
  const sender = new MessageSender(sessions);
  const payloads = new PayloadDocuments();
  // A session restored after a reload starts again from its profile (secrets resolved anew).
  sessions.restartHandler = (r) => connector.connect(store.find(r.profileId ?? '')?.profile ?? r.profile, { scope: r.scope ?? 'user', ...(r.profileId ? { id: r.profileId } : {}) });
  const inspector = new InspectorHost(
    context.extensionUri,
    sessionManagerBackend(sessions, {
      send: (id, data, encoding, channel, options) => sender.send(id, data, encoding, channel, options),
      exportLog: (id, format) => exportLog(h, id, format),
      copy: async (text) => {
        await vscode.env.clipboard.writeText(text);
      },
      saveTemplate: (id, name, data, encoding) => saveTemplate(h, id, name, data, encoding),
      addExpectation: (id, seq) => addExpectationFromFrame({ manager: sessions, store, log }, id, seq),
      batchIntervalMs: () => settings.batchIntervalMs,
      reconnect: (id) => reconnectAndShow(holder.inspector!, sessions, id),
      openPayload: async (id, seq) => {
        const m = sessions.get(id);
        const e = m?.log.get(seq);
        if (!m || !e) throw new Error(`Event #${seq} is no longer in the log`);
        await payloads.open(m.name, sessions.sanitize(id, e));
      },
    }),
    log,
  );
  holder.inspector = inspector;

  const profilesTree = new ProfilesTreeProvider(store);
  const sessionsTree = new SessionsTreeProvider(sessions);
  const sessionsView = vscode.window.createTreeView('wirescope.sessions', { treeDataProvider: sessionsTree, showCollapseAll: false });
  context.subscriptions.push(
    store,
    forms,
    payloads,
    new SessionStatusBar(sessions),
    demo,
    inspector,
    profilesTree,
    sessionsTree,
    sessionsView,
    vscode.window.createTreeView('wirescope.profiles', { treeDataProvider: profilesTree, showCollapseAll: true }),
    vscode.window.registerWebviewViewProvider(INSPECTOR_VIEW_ID, inspector),
    sessionsView.onDidChangeSelection((e) => {
      const picked = e.selection[0];
      if (picked) sessions.select('kind' in picked ? picked.session.id : picked.id);
    }),
    ...registerCommands(h, { connector, demo, sender, proxy: new CaptureProxyControl(h) }),
    ...registerTestHook(h, demo),
    // A failed session is said in a notification with its reason, and a way to its inspector.
    watchFailures(sessions, (m, reason) => {
      void vscode.window.showErrorMessage(`Wirescope: "${m.name}" failed: ${reason}`, 'Open Inspector').then((pick) => {
        if (pick && sessions.get(m.id)) void showInspectorFor(inspector, sessions, m);
      });
    }),
    // Profiles with expectations as tests in the Testing view (src/host/testing.ts).
    new ProfileTesting({
      store,
      manager: sessions,
      log,
      connect: (sp, prepare) => connector.connect(sp.profile, { scope: sp.scope, id: sp.id, folder: sp.folder, prepare, beside: true }),
    }),
  );
  void vscode.commands.executeCommand('setContext', 'wirescope.demoRunning', false);
  await store.reload();
  const restored = await sessions.restoreArchived().catch((err: unknown) => {
    log.warn(`sessions from before the reload could not be restored: ${String(err)}`);
    return 0;
  });
  if (restored) log.info(`restored ${restored} sessions from before the window reload`);
  log.info(`Wirescope activated in ${Date.now() - started} ms (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted'})`);
  return { version: String(context.extension.packageJSON.version ?? '') };
}

export async function deactivate(): Promise<void> {
  await manager?.dispose();
  manager = undefined;
}
