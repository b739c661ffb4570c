/**
 * Where profiles live: workspace profiles in each folder's `.vscode/wirescope.json` (shared in git),
 * user profiles in globalState, and the demo backend's profiles while it runs. The file is watched;
 * a malformed file becomes diagnostics with positions and a warning, never an exception.
 */
import * as vscode from 'vscode';
import {
  appendExpectationInText,
  newProfilesFileText,
  parseProfilesText,
  profileLines,
  profileOffset,
  removeProfileFromText,
  upsertProfileInText,
  type LocatedProblem,
  type UpsertOptions,
} from '../core/profiles';
import { Emitter } from '../core/emitter';
import { validateProfile, type Profile } from '../shared/profile';

export const PROFILES_FILE = '.vscode/wirescope.json';
const USER_KEY = 'wirescope.userProfiles';

export type StoredScope = 'workspace' | 'user' | 'demo';

export interface StoredProfile {
  /** Stable id: `workspace:<folder>:<name>`, `user:<name>` or `demo:<name>`. */
  id: string;
  scope: StoredScope;
  profile: Profile;
  valid: boolean;
  /** One line each. */
  problems: string[];
  folder?: vscode.WorkspaceFolder;
  fileUri?: vscode.Uri;
  /** 1-based line of the profile's object in its file (workspace profiles). */
  line?: number;
}

/** The state of one folder's profiles file. */
export interface ProfilesFileState {
  folder: vscode.WorkspaceFolder;
  uri: vscode.Uri;
  exists: boolean;
  /** First syntax problem, one line with position, when the file is not well-formed. */
  syntaxError?: string;
  problems: LocatedProblem[];
}

export class ProfileStore implements vscode.Disposable {
  private workspaceProfiles: StoredProfile[] = [];
  private demoProfiles: StoredProfile[] = [];
  private files: ProfilesFileState[] = [];
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('wirescope');
  private readonly changed = new Emitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Syntax errors already announced, so that each save of a broken file does not pop up again. */
  private readonly announced = new Set<string>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${PROFILES_FILE}`);
    const reload = () => void this.reload();
    this.disposables.push(
      watcher,
      watcher.onDidChange(reload),
      watcher.onDidCreate(reload),
      watcher.onDidDelete(reload),
      vscode.workspace.onDidChangeWorkspaceFolders(reload),
      this.diagnostics,
    );
  }

  /** Read every folder's profiles file again. Never throws. */
  async reload(): Promise<void> {
    const files: ProfilesFileState[] = [];
    const profiles: StoredProfile[] = [];
    this.diagnostics.clear();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const uri = vscode.Uri.joinPath(folder.uri, PROFILES_FILE);
      let text: string | undefined;
      try {
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      } catch {
        files.push({ folder, uri, exists: false, problems: [] });
        continue;
      }
      const parsed = parseProfilesText(text);
      const state: ProfilesFileState = { folder, uri, exists: true, problems: parsed.problems };
      if (!parsed.syntaxOk) {
        state.syntaxError = `${PROFILES_FILE}: ${parsed.problems[0]?.message ?? 'not valid JSON'}`;
        const key = `${uri.toString()}|${state.syntaxError}`;
        this.log.warn(state.syntaxError);
        if (!this.announced.has(key)) {
          this.announced.add(key);
          void vscode.window.showWarningMessage(`Wirescope: ${state.syntaxError}. Its profiles are not loaded until it is fixed.`, 'Open File').then((pick) => {
            if (pick) void vscode.window.showTextDocument(uri);
          });
        }
      }
      this.diagnostics.set(
        uri,
        parsed.problems.map((p) => {
          const doc = new vscode.Position(p.line - 1, p.column - 1);
          const d = new vscode.Diagnostic(new vscode.Range(doc, doc.translate(0, Math.max(1, Math.min(p.length, 200)))), p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
          d.source = 'Wirescope';
          return d;
        }),
      );
      const lines = parsed.syntaxOk ? profileLines(text) : [];
      for (const entry of parsed.profiles) {
        const name = typeof entry.profile.name === 'string' ? entry.profile.name : `#${entry.index + 1}`;
        profiles.push({
          id: `workspace:${folder.index}:${name}`,
          scope: 'workspace',
          profile: entry.profile,
          valid: entry.valid,
          problems: entry.problems.filter((p) => p.severity === 'error').map((p) => `${p.message} (line ${p.line})`),
          folder,
          fileUri: uri,
          line: lines[entry.index],
        });
      }
      files.push(state);
    }
    this.files = files;
    this.workspaceProfiles = profiles;
    this.changed.fire();
  }

  fileStates(): ProfilesFileState[] {
    return this.files;
  }

  userProfiles(): StoredProfile[] {
    const list = this.context.globalState.get<Profile[]>(USER_KEY, []);
    return list.map((profile) => {
      const problems = validateProfile(profile).filter((p) => p.severity === 'error');
      return { id: `user:${profile.name}`, scope: 'user' as const, profile, valid: problems.length === 0, problems: problems.map((p) => p.message) };
    });
  }

  /** Every profile: workspace, then user, then demo. */
  all(): StoredProfile[] {
    return [...this.workspaceProfiles, ...this.userProfiles(), ...this.demoProfiles];
  }

  find(id: string): StoredProfile | undefined {
    return this.all().find((p) => p.id === id);
  }

  /** Profiles of the running demo backend (not persisted). */
  setDemoProfiles(profiles: Profile[]): void {
    this.demoProfiles = profiles.map((profile) => ({ id: `demo:${profile.name}`, scope: 'demo', profile, valid: true, problems: [] }));
    this.changed.fire();
  }

  /** The profiles file of a folder (the first one by default). */
  fileUri(folder?: vscode.WorkspaceFolder): vscode.Uri | undefined {
    const f = folder ?? vscode.workspace.workspaceFolders?.[0];
    return f ? vscode.Uri.joinPath(f.uri, PROFILES_FILE) : undefined;
  }

  /**
   * Insert or update a workspace profile. The file text is edited in place (comments, formatting and
   * hand-written fields stay); an open editor of the file gets the edit too, and the file is saved.
   */
  async saveWorkspaceProfile(profile: Profile, opts: UpsertOptions = {}, folder?: vscode.WorkspaceFolder): Promise<vscode.Uri> {
    const uri = this.fileUri(folder);
    if (!uri) throw new Error('Open a folder to save workspace profiles, or save it as a user profile');
    await this.editFile(uri, (text) => upsertProfileInText(text, profile, opts));
    await this.reload();
    return uri;
  }

  /** Append an expectation to a workspace profile's `expect` list, editing the file in place. */
  async appendExpectation(sp: StoredProfile, expectation: unknown): Promise<void> {
    if (!sp.fileUri) throw new Error('Only profiles of .vscode/wirescope.json can get expectations from the inspector');
    await this.editFile(sp.fileUri, (text) => appendExpectationInText(text, sp.profile.name, expectation));
    await this.reload();
  }

  async deleteWorkspaceProfile(sp: StoredProfile): Promise<void> {
    if (!sp.fileUri) return;
    await this.editFile(sp.fileUri, (text) => removeProfileFromText(text, sp.profile.name));
    await this.reload();
  }

  private async editFile(uri: vscode.Uri, change: (text: string) => string): Promise<void> {
    let exists = true;
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      exists = false;
    }
    if (!exists) {
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(change('')));
      return;
    }
    // Through the document, so that an open editor stays in step and undo works.
    const doc = await vscode.workspace.openTextDocument(uri);
    const before = doc.getText();
    const after = change(before);
    if (after === before) return;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(before.length)), after);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${PROFILES_FILE}`);
    await doc.save();
  }

  async saveUserProfile(profile: Profile, previousName?: string): Promise<void> {
    const list = [...this.context.globalState.get<Profile[]>(USER_KEY, [])];
    const at = list.findIndex((p) => p.name === (previousName ?? profile.name));
    if (at >= 0) list[at] = profile;
    else list.push(profile);
    // A rename onto an existing name replaces that one.
    const deduped = list.filter((p, i) => p.name !== profile.name || i === (at >= 0 ? at : list.length - 1));
    await this.context.globalState.update(USER_KEY, deduped);
    this.changed.fire();
  }

  async deleteUserProfile(name: string): Promise<void> {
    const list = this.context.globalState.get<Profile[]>(USER_KEY, []).filter((p) => p.name !== name);
    await this.context.globalState.update(USER_KEY, list);
    this.changed.fire();
  }

  /** Open the profiles file (creating it with an empty list) and reveal a profile in it. */
  async openFile(folder?: vscode.WorkspaceFolder, revealName?: string): Promise<void> {
    const uri = this.fileUri(folder);
    if (!uri) {
      void vscode.window.showWarningMessage('Wirescope: open a folder first; workspace profiles live in its .vscode/wirescope.json');
      return;
    }
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(newProfilesFileText([])));
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    if (revealName) {
      const at = profileOffset(doc.getText(), revealName);
      if (at !== undefined) {
        const pos = doc.positionAt(at);
        editor.selection = new vscode.Selection(pos, pos);
        editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}
