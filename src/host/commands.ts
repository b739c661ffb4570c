/**
 * The command table: every `wirescope.*` command id and the module that does its job. Each command
 * catches its errors and shows them as one line; nothing here throws at VS Code.
 */
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { Cancelled } from './cancelled';
import { comparePatternsCommand } from './compare/comparePanel';
import { registerProxyCommands, type CaptureProxyControl } from './captureProxyControl';
import { sessionArg, sessionFrom, storedFrom } from './commandArgs';
import type { Connector } from './connectProfile';
import { importCurl } from './curlImportCommand';
import type { DemoBackendControl } from './demoBackendControl';
import { reconnectAndShow } from './inspectorPlacement';
import { exportLog, openPastCapture } from './exportLog';
import { deleteProfile, editProfile, saveSessionAsProfile } from './profileCommands';
import type { MessageSender } from './sendMessage';
import type { HostServices } from './services';

export interface CommandParts {
  connector: Connector;
  proxy: CaptureProxyControl;
  demo: DemoBackendControl;
  sender: MessageSender;
}

export function registerCommands(h: HostServices, { connector, demo, sender, proxy }: CommandParts): vscode.Disposable[] {
  const { manager, store } = h;
  const cmd = (id: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof Cancelled) return undefined;
        const message = describeError(err).message;
        h.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Wirescope: ${message}`);
        return undefined;
      }
    });
  return [
    cmd('wirescope.newConnection', () => connector.newConnection()),
    cmd('wirescope.connectProfile', (arg) => connector.connectProfileCommand(arg)),
    cmd('wirescope.disconnect', async (arg) => {
      const m = await sessionArg(manager, arg, 'Disconnect', (s) => !s.session.ended);
      if (m) await manager.disconnect(m.id);
    }),
    cmd('wirescope.reconnect', async (arg) => {
      const m = await sessionArg(manager, arg, 'Reconnect');
      if (m) await reconnectAndShow(h.inspector(), manager, m.id);
    }),
    cmd('wirescope.clearEndedSessions', () => {
      const n = manager.removeEnded();
      h.log.info(`cleared ${n} ended sessions`);
    }),
    cmd('wirescope.sendMessage', (arg) => sender.sendMessageCommand(arg)),
    cmd('wirescope.sendPing', async (arg) => {
      const m = await sessionArg(manager, arg, 'Send Ping', (s) => !s.session.ended && s.session.canPing);
      if (m) manager.ping(m.id);
    }),
    cmd('wirescope.clearLog', async (arg) => {
      const m = await sessionArg(manager, arg, 'Clear Log');
      if (m) manager.clear(m.id);
    }),
    cmd('wirescope.exportLog', async (arg, format) => {
      const m = await sessionArg(manager, arg, 'Export Log');
      if (m) await exportLog(h, m.id, format === 'har' || format === 'ndjson' ? format : undefined);
    }),
    cmd('wirescope.openInspector', async (arg) => {
      const m = sessionFrom(manager, arg);
      if (m) manager.select(m.id);
      await h.inspector().reveal();
    }),
    cmd('wirescope.openInEditor', async (arg) => {
      const m = await sessionArg(manager, arg, 'Open in Editor');
      if (m) h.inspector().openPanel(m.id, m.name);
    }),
    cmd('wirescope.saveSessionAsProfile', (arg) => saveSessionAsProfile(h, arg)),
    cmd('wirescope.importCurl', () => importCurl(h, connector)),
    cmd('wirescope.openPastCapture', () => openPastCapture(h)),
    cmd('wirescope.openProfilesFile', (arg) => store.openFile(storedFrom(store, arg)?.folder)),
    cmd('wirescope.editProfile', (arg) => editProfile(h, arg)),
    // A click on a profile: the newest live session started from it, in the inspector; else the profile's form.
    cmd('wirescope.openProfile', async (arg) => {
      const sp = storedFrom(store, arg);
      if (!sp) return;
      const live = manager.list().filter((m) => m.profileId === sp.id && !m.session.ended).pop();
      if (live) {
        manager.select(live.id);
        await h.inspector().reveal();
      } else await editProfile(h, { sp });
    }),
    cmd('wirescope.newProfile', () => h.forms.show()),
    cmd('wirescope.deleteProfile', (arg) => deleteProfile(h, arg)),
    cmd('wirescope.comparePatterns', (arg) => comparePatternsCommand(h, arg)),
    cmd('wirescope.startDemo', () => demo.start()),
    cmd('wirescope.stopDemo', () => demo.stop()),
    ...registerProxyCommands(h, proxy, cmd),
    cmd('wirescope.removeSession', async (arg) => {
      const m = await sessionArg(manager, arg, 'Remove Session');
      if (m) await manager.remove(m.id);
    }),
  ];
}
