/**
 * `wirescope.test.revealState`: what the UI shows, as data, for end-to-end tests. Registered only when
 * VS Code runs the extension in Test or Development mode, or when the end-to-end harness (which runs it
 * as an installed extension in code-server) sets WIRESCOPE_TEST_STATE_FILE; a user's install never has it.
 */
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { proxyUrlOf } from './captureProxyControl';
import type { DemoBackendControl } from './demoBackendControl';
import type { HostServices } from './services';

export const TEST_HOOK_COMMAND = 'wirescope.test.revealState';

/** Whether the test hook may be registered in this extension host. */
export function testHookEnabled(mode: vscode.ExtensionMode, env: NodeJS.ProcessEnv = process.env): boolean {
  return mode !== vscode.ExtensionMode.Production || !!env.WIRESCOPE_TEST_STATE_FILE;
}

/** The state: returned to executeCommand callers and written to $WIRESCOPE_TEST_STATE_FILE when set. */
async function revealState(h: HostServices, demo: DemoBackendControl): Promise<unknown> {
  const state = {
    sessions: h.manager.list().map((m) => ({
      ...h.manager.info(m), stats: m.log.stats(), size: m.log.size, capturePath: m.capturePath,
      // A capture proxy: where it listens and its live connections (the Sessions tree's rows under it).
      ...(m.pattern === 'proxy' ? { proxy: { url: proxyUrlOf(m) ?? null, connections: m.session.ended ? [] : (m.session.proxy?.connections() ?? []) } } : {}),
    })),
    selected: h.manager.selected,
    profiles: h.store.all().map((p) => ({ id: p.id, name: p.profile.name, pattern: p.profile.pattern, scope: p.scope, valid: p.valid, problems: p.problems })),
    profileFiles: h.store.fileStates().map((f) => ({ path: f.uri.fsPath, exists: f.exists, syntaxError: f.syntaxError, problems: f.problems.length })),
    demo: demo.urls ?? null,
    inspector: h.inspector().describe(),
    profileForms: h.forms.describe(),
    trusted: vscode.workspace.isTrusted,
  };
  const file = process.env.WIRESCOPE_TEST_STATE_FILE;
  if (file) await writeFile(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  h.log.info(`test state: ${JSON.stringify(state)}`);
  return state;
}

/** Register the test hook when {@link testHookEnabled}; otherwise nothing. */
export function registerTestHook(h: HostServices, demo: DemoBackendControl): vscode.Disposable[] {
  if (!testHookEnabled(h.context.extensionMode)) return [];
  return [vscode.commands.registerCommand(TEST_HOOK_COMMAND, () => revealState(h, demo))];
}
