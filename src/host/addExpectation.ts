/**
 * "Add Expectation from Frame" (inspector detail pane): append a `receive` expectation that the chosen
 * inbound frame meets to its session's workspace profile. For JSON frames the user picks the values
 * to expect (paths and values); other frames are matched by their text. The file is edited in place
 * (src/core/profiles.ts appendExpectationInText), keeping its layout and comments.
 */
import * as vscode from 'vscode';
import { expectationFromFrame, frameText, jsonLeaves } from '../core/expectations';
import type { FrameEvent } from '../shared/events';
import type { ProfileStore } from './profileStore';
import type { SessionManager } from './sessionManager';

export interface AddExpectationDeps {
  manager: SessionManager;
  store: ProfileStore;
  log: vscode.LogOutputChannel;
}

export async function addExpectationFromFrame(deps: AddExpectationDeps, sessionId: string, seq: number): Promise<void> {
  const m = deps.manager.get(sessionId);
  if (!m) throw new Error('That session no longer exists');
  const raw = m.log.get(seq);
  if (!raw || raw.kind !== 'frame' || raw.dir !== 'in' || raw.meta?.control === true) throw new Error(`Event #${seq} is not an inbound data frame`);
  // What is written to the file is what the inspector shows: secret values stay out of it.
  const e = deps.manager.sanitize(sessionId, raw) as FrameEvent;
  const sp = m.profileId ? deps.store.find(m.profileId) : undefined;
  if (!sp || sp.scope !== 'workspace' || !sp.fileUri) {
    void vscode.window.showWarningMessage(`Wirescope: "${m.name}" is not a profile of .vscode/wirescope.json; save the session as a workspace profile first, then add expectations to it.`);
    return;
  }
  let paths: string[] = [];
  let root: unknown;
  try {
    root = JSON.parse(frameText(e));
  } catch {
    root = undefined;
  }
  if (root !== null && typeof root === 'object') {
    const leaves = jsonLeaves(root);
    const picked = await vscode.window.showQuickPick(
      leaves.map((l) => ({ label: l.path, description: JSON.stringify(l.value)?.slice(0, 120) ?? 'null', picked: false })),
      {
        title: `Add Expectation from Frame #${seq}: the JSON values to expect`,
        placeHolder: 'Pick the paths whose values a frame must have (none: match the whole text)',
        canPickMany: true,
        matchOnDescription: true,
      },
    );
    if (!picked) return;
    paths = picked.map((p) => p.label);
  }
  const expectation = expectationFromFrame(e, paths);
  await deps.store.appendExpectation(sp, expectation);
  deps.log.info(`added an expectation from frame #${seq} to profile "${sp.profile.name}"`);
  void vscode.window.showInformationMessage(`Wirescope: added ${JSON.stringify(expectation)} to profile "${sp.profile.name}".`);
}
