/**
 * Connecting: New Connection (prompts), Connect to Profile (pick one), and the path both take —
 * workspace trust, secrets, `${env:}`/`${secret:}` substitution, TLS files — into a started session.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { ProfileResolveError, resolveProfile, type ProfileResolver } from '../core/profiles';
import type { Session } from '../core/session';
import type { ConnectOptions, PatternId } from '../shared/connectOptions';
import type { Profile } from '../shared/profile';
import { Cancelled } from './cancelled';
import { storedFrom } from './commandArgs';
import type { DemoBackendControl } from './demoBackendControl';
import { showInspectorFor } from './inspectorPlacement';
import type { StoredProfile } from './profileStore';
import { newConnectionFlow } from './quickInputPrompts';
import type { HostServices } from './services';
import type { ManagedSession } from './sessionManager';

/** Where a profile comes from, which decides trust and where relative TLS file paths start. */
export interface ConnectContext {
  scope: StoredProfile['scope'];
  id?: string;
  folder?: vscode.WorkspaceFolder;
  adHoc?: boolean;
  /** Adjust the resolved options and observe the session before it starts (Testing view runs). */
  prepare?: ConnectPreparer;
  /** Open the inspector beside the active editor and keep the focus there (Testing view runs, so that the
   *  failure shown at the profile's line stays in sight next to the session's log). */
  beside?: boolean;
}

/** Lets a caller of connect() adjust the resolved options and observe the session before it starts. */
export type ConnectPreparer = (options: ConnectOptions, secretValues: string[]) => { options: ConnectOptions; beforeStart?: (session: Session) => void };

export class Connector {
  constructor(
    private readonly h: HostServices,
    private readonly demo: DemoBackendControl,
  ) {}

  /** New Connection: a pattern, a URL and a few pattern-specific answers; the demo's URLs are the defaults when it runs. */
  async newConnection(): Promise<void> {
    const defaults: Partial<Record<PatternId, string>> = {};
    for (const p of await this.demo.currentProfiles()) defaults[p.pattern] ??= p.url;
    const profile = await newConnectionFlow(defaults);
    if (!profile) return;
    await this.connect(profile, { scope: 'user', adHoc: true });
  }

  /** Connect to Profile: the given profile, else a quick pick of all of them. */
  async connectProfileCommand(arg: unknown): Promise<void> {
    const { store } = this.h;
    let sp = storedFrom(store, arg);
    if (!sp) {
      const all = store.all();
      if (all.length === 0) {
        const pick = await vscode.window.showInformationMessage('Wirescope: no profiles yet.', 'New Connection', 'Start Demo Backend', 'Open Profiles File');
        if (pick === 'New Connection') await this.newConnection();
        else if (pick === 'Start Demo Backend') await this.demo.start();
        else if (pick === 'Open Profiles File') await store.openFile();
        return;
      }
      const picked = await vscode.window.showQuickPick(
        all.map((p) => ({
          label: p.profile.name,
          description: `${p.profile.pattern} · ${p.profile.url}`,
          detail: `${p.scope === 'workspace' ? 'workspace' : p.scope === 'user' ? 'user' : 'demo backend'}${p.valid ? '' : ' · has problems: ' + p.problems[0]}`,
          p,
        })),
        { title: 'Wirescope: Connect to Profile', placeHolder: 'Pick a profile', matchOnDescription: true },
      );
      if (!picked) return;
      sp = picked.p;
    }
    if (!sp.valid) {
      const pick = await vscode.window.showErrorMessage(`Wirescope: profile "${sp.profile.name}" has a problem: ${sp.problems[0] ?? 'invalid'}`, ...(sp.fileUri ? ['Open File'] : []));
      if (pick) await store.openFile(sp.folder, sp.profile.name);
      return;
    }
    await this.connect(sp.profile, { scope: sp.scope, id: sp.id, folder: sp.folder });
  }

  /** Resolve a profile (trust, secrets, env, TLS files) and start a session. */
  async connect(profile: Profile, ctx: ConnectContext): Promise<ManagedSession | undefined> {
    const fromWorkspace = ctx.scope === 'workspace';
    let secretsMode: 'attach' | 'omit' = 'attach';
    if (fromWorkspace && !vscode.workspace.isTrusted) {
      const go = await vscode.window.showWarningMessage(
        `This workspace is not trusted. Connect to "${profile.name}" (${profile.url}) from its .vscode/wirescope.json anyway?`,
        { modal: true, detail: 'The profile comes from the workspace, which you have not trusted. Stored secrets will not be attached to it.' },
        'Connect Without Secrets',
      );
      if (go !== 'Connect Without Secrets') return undefined;
      secretsMode = 'omit';
    }
    const baseDir = ctx.folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? homedir();
    const resolver: ProfileResolver = {
      env: (name) => process.env[name],
      secret: async (name) => {
        const v = await this.h.secrets.getOrAsk(name, `profile "${profile.name}"`);
        if (v === undefined) throw new Cancelled();
        return v;
      },
      readFile: (path) => readFile(isAbsolute(path) ? path : join(baseDir, path), 'utf8'),
      resolvePath: (path) => (isAbsolute(path) ? path : join(baseDir, path)),
    };
    let resolved;
    try {
      resolved = await resolveProfile(profile, resolver, { secrets: secretsMode });
    } catch (err) {
      if (err instanceof Cancelled) return undefined;
      if (err instanceof ProfileResolveError) throw new Error(err.message, { cause: err });
      throw err;
    }
    if (resolved.omittedSecrets.length) {
      void vscode.window.showWarningMessage(`Wirescope: untrusted workspace: secrets ${resolved.omittedSecrets.join(', ')} were not attached to "${profile.name}".`);
    }
    const prepared = ctx.prepare?.(resolved.options, resolved.secretValues);
    const m = await this.h.manager.start({
      options: prepared?.options ?? resolved.options,
      ...(prepared?.beforeStart ? { beforeStart: prepared.beforeStart } : {}),
      name: profile.name,
      profile,
      ...(ctx.id ? { profileId: ctx.id } : {}),
      ...(ctx.scope !== 'demo' ? { scope: ctx.scope } : {}),
      secretValues: resolved.secretValues,
    });
    await showInspectorFor(this.h.inspector(), this.h.manager, m, ctx.beside ? { beside: true } : {});
    return m;
  }
}
