/**
 * The extension's commands and the glue between stores, sessions, views and the demo backend.
 * Every command catches its errors and shows them as one line; nothing here throws at VS Code.
 */
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { buildHar } from '../core/export/har';
import { ndjsonLines } from '../core/export/ndjson';
import { ProfileResolveError, resolveProfile, type ProfileResolver } from '../core/profiles';
import type { PatternId } from '../shared/connect';
import type { Profile } from '../shared/profile';
import type { PayloadInputEncoding } from '../shared/protocol';
import { curlInputFlow, newConnectionFlow, pickSession, profileNameFlow, scopeFlow, sendMessageFlow } from './flows';
import type { InspectorBackend } from './inspectorEndpoint';
import type { InspectorHost } from './inspectorHost';
import { ProfileFormPanels } from './profileFormPanel';
import type { ProfileStore, StoredProfile } from './profileStore';
import type { SecretStore } from './secrets';
import type { ManagedSession, ManagerSettings, SessionManager } from './sessionManager';

/** Thrown when the user cancels a prompt midway; ends a command quietly. */
class Cancelled extends Error {}

interface DemoState {
  close(): Promise<void>;
  urls: Record<string, string | undefined>;
  profiles: Profile[];
}

/** Read the extension's settings. */
export function readSettings(context: vscode.ExtensionContext): ManagerSettings & { batchIntervalMs: number; demoPort: number } {
  const c = vscode.workspace.getConfiguration('wirescope');
  return {
    maxEvents: c.get<number>('log.maxEvents', 1_000_000),
    maxBytes: c.get<number>('log.maxBytes', 256 * 1024 * 1024),
    previewLimit: c.get<number>('log.previewLimit', 64 * 1024),
    revealAuthHeaders: c.get<boolean>('revealAuthHeaders', false),
    capture: {
      enabled: c.get<boolean>('capture.enabled', false),
      maxBytes: c.get<number>('capture.maxBytes', 512 * 1024 * 1024),
      dir: join(context.globalStorageUri.fsPath, 'captures'),
    },
    batchIntervalMs: c.get<number>('inspector.batchIntervalMs', 33),
    demoPort: c.get<number>('demo.port', 0),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class Controller implements vscode.Disposable {
  private demo: DemoState | undefined;
  private demoStarting: Promise<void> | undefined;
  private lastTopic: string | undefined;
  private readonly status: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[] = [];
  private readonly forms: ProfileFormPanels;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly manager: SessionManager,
    private readonly store: ProfileStore,
    private readonly secrets: SecretStore,
    private readonly inspector: () => InspectorHost,
  ) {
    this.status = vscode.window.createStatusBarItem('wirescope.status', vscode.StatusBarAlignment.Left, 50);
    this.status.name = 'Wirescope sessions';
    this.status.command = 'wirescope.openInspector';
    const m = manager.onDidChangeSessions(() => this.updateStatus());
    this.forms = new ProfileFormPanels(context.extensionUri, store, secrets, log);
    this.subs.push(this.status, { dispose: () => m.dispose() }, this.forms);
    this.updateStatus();
  }

  // ------------------------------------------------------------ status and context keys

  private updateStatus(): void {
    const all = this.manager.list();
    const live = all.filter((m) => !m.session.ended);
    void vscode.commands.executeCommand('setContext', 'wirescope.hasSessions', all.length > 0);
    void vscode.commands.executeCommand('setContext', 'wirescope.hasLiveSession', live.length > 0);
    void vscode.commands.executeCommand('setContext', 'wirescope.hasSendableSession', live.some((m) => m.session.canSend));
    void vscode.commands.executeCommand('setContext', 'wirescope.hasPingableSession', live.some((m) => m.session.canPing));
    if (all.length === 0) {
      this.status.hide();
      return;
    }
    const byState = new Map<string, number>();
    for (const m of live) byState.set(m.session.state, (byState.get(m.session.state) ?? 0) + 1);
    const reconnecting = byState.get('reconnecting') ?? 0;
    const icon = reconnecting ? '$(sync~spin)' : live.length ? '$(pulse)' : '$(debug-disconnect)';
    this.status.text = `${icon} Wirescope ${live.length ? [...byState].map(([s, n]) => `${n} ${s}`).join(', ') : 'idle'}`;
    const tip = new vscode.MarkdownString(undefined, false);
    tip.appendText(all.slice(-10).reverse().map((m) => `${m.name} — ${m.pattern} — ${m.session.state}`).join('\n'));
    this.status.tooltip = tip;
    this.status.accessibilityInformation = { label: `Wirescope: ${live.length} live sessions` };
    this.status.backgroundColor = reconnecting ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.status.show();
  }

  // ------------------------------------------------------------ registration

  register(): vscode.Disposable[] {
    const cmd = (id: string, fn: (...args: unknown[]) => unknown) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          if (err instanceof Cancelled) return undefined;
          const message = describeError(err).message;
          this.log.error(`${id}: ${message}`);
          void vscode.window.showErrorMessage(`Wirescope: ${message}`);
          return undefined;
        }
      });
    return [
      cmd('wirescope.newConnection', () => this.newConnection()),
      cmd('wirescope.connectProfile', (arg) => this.connectProfileCommand(arg)),
      cmd('wirescope.disconnect', async (arg) => {
        const m = await this.sessionArg(arg, 'Disconnect', (s) => !s.session.ended);
        if (m) await this.manager.disconnect(m.id);
      }),
      cmd('wirescope.reconnect', async (arg) => {
        const m = await this.sessionArg(arg, 'Reconnect');
        if (m) await this.manager.reconnect(m.id);
      }),
      cmd('wirescope.sendMessage', (arg) => this.sendMessage(arg)),
      cmd('wirescope.sendPing', async (arg) => {
        const m = await this.sessionArg(arg, 'Send Ping', (s) => !s.session.ended && s.session.canPing);
        if (m) this.manager.ping(m.id);
      }),
      cmd('wirescope.clearLog', async (arg) => {
        const m = await this.sessionArg(arg, 'Clear Log');
        if (m) this.manager.clear(m.id);
      }),
      cmd('wirescope.exportLog', async (arg, format) => {
        const m = await this.sessionArg(arg, 'Export Log');
        if (m) await this.exportLog(m.id, format === 'har' || format === 'ndjson' ? format : undefined);
      }),
      cmd('wirescope.openInspector', async (arg) => {
        const m = this.sessionFrom(arg);
        if (m) this.manager.select(m.id);
        await this.inspector().reveal();
      }),
      cmd('wirescope.openInEditor', async (arg) => {
        const m = await this.sessionArg(arg, 'Open in Editor');
        if (m) this.inspector().openPanel(m.id, m.name);
      }),
      cmd('wirescope.saveSessionAsProfile', (arg) => this.saveSessionAsProfile(arg)),
      cmd('wirescope.importCurl', () => this.importCurl()),
      cmd('wirescope.openPastCapture', () => this.openLogFile()),
      cmd('wirescope.openProfilesFile', (arg) => this.store.openFile(this.storedFrom(arg)?.folder)),
      cmd('wirescope.editProfile', (arg) => this.editProfile(arg)),
      cmd('wirescope.newProfile', () => this.forms.show()),
      cmd('wirescope.deleteProfile', (arg) => this.deleteProfile(arg)),
      cmd('wirescope.startDemo', () => this.startDemo()),
      cmd('wirescope.stopDemo', () => this.stopDemo()),
      cmd('wirescope.removeSession', async (arg) => {
        const m = await this.sessionArg(arg, 'Remove Session');
        if (m) await this.manager.remove(m.id);
      }),
      cmd('wirescope.test.revealState', () => this.revealState()),
    ];
  }

  // ------------------------------------------------------------ argument helpers

  private sessionFrom(arg: unknown): ManagedSession | undefined {
    if (typeof arg === 'string') return this.manager.get(arg);
    if (arg && typeof arg === 'object' && typeof (arg as { id?: unknown }).id === 'string') return this.manager.get((arg as { id: string }).id);
    return undefined;
  }

  private async sessionArg(arg: unknown, title: string, fits?: (m: ManagedSession) => boolean): Promise<ManagedSession | undefined> {
    const given = this.sessionFrom(arg);
    if (given) return given;
    return pickSession(this.manager.list(), this.manager.selected, title, fits);
  }

  private storedFrom(arg: unknown): StoredProfile | undefined {
    if (typeof arg === 'string') return this.store.find(arg) ?? this.store.all().find((p) => p.profile.name === arg);
    if (arg && typeof arg === 'object') {
      const o = arg as { sp?: StoredProfile; id?: string };
      if (o.sp) return o.sp;
      if (typeof o.id === 'string') return this.store.find(o.id);
    }
    return undefined;
  }

  // ------------------------------------------------------------ connecting

  private async newConnection(): Promise<void> {
    const defaults: Partial<Record<PatternId, string>> = {};
    if (this.demo) for (const p of this.demo.profiles) defaults[p.pattern] = p.url;
    const profile = await newConnectionFlow(defaults);
    if (!profile) return;
    await this.connect(profile, { scope: 'user', adHoc: true });
  }

  private async connectProfileCommand(arg: unknown): Promise<void> {
    let sp = this.storedFrom(arg);
    if (!sp) {
      const all = this.store.all();
      if (all.length === 0) {
        const pick = await vscode.window.showInformationMessage('Wirescope: no profiles yet.', 'New Connection', 'Start Demo Backend', 'Open Profiles File');
        if (pick === 'New Connection') await this.newConnection();
        else if (pick === 'Start Demo Backend') await this.startDemo();
        else if (pick === 'Open Profiles File') await this.store.openFile();
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
      if (pick) await this.store.openFile(sp.folder, sp.profile.name);
      return;
    }
    await this.connect(sp.profile, { scope: sp.scope, id: sp.id, folder: sp.folder });
  }

  /** Resolve a profile (trust, secrets, env, TLS files) and start a session. */
  async connect(profile: Profile, ctx: { scope: StoredProfile['scope']; id?: string; folder?: vscode.WorkspaceFolder; adHoc?: boolean }): Promise<ManagedSession | undefined> {
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
        const v = await this.secrets.getOrAsk(name, `profile "${profile.name}"`);
        if (v === undefined) throw new Cancelled();
        return v;
      },
      readFile: (path) => readFile(isAbsolute(path) ? path : join(baseDir, path), 'utf8'),
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
    const m = await this.manager.start({
      options: resolved.options,
      name: profile.name,
      profile,
      ...(ctx.id ? { profileId: ctx.id } : {}),
      ...(ctx.scope !== 'demo' ? { scope: ctx.scope } : {}),
      secretValues: resolved.secretValues,
    });
    await this.inspector().reveal();
    return m;
  }

  // ------------------------------------------------------------ sending

  private async sendMessage(arg: unknown): Promise<void> {
    const m = await this.sessionArg(arg, 'Send Message', (s) => !s.session.ended && s.session.canSend);
    if (!m) return;
    const msg = await sendMessageFlow(m, this.lastTopic);
    if (!msg) return;
    if (msg.channel) this.lastTopic = msg.channel;
    await this.manager.send(m.id, msg.data, msg.encoding, msg.channel);
  }

  // ------------------------------------------------------------ profiles

  private async saveProfile(profile: Profile, scope: 'workspace' | 'user', previousName?: string, folder?: vscode.WorkspaceFolder): Promise<void> {
    if (scope === 'workspace') {
      const uri = await this.store.saveWorkspaceProfile(profile, previousName ? { previousName } : {}, folder);
      this.log.info(`saved profile "${profile.name}" to ${uri.fsPath}`);
    } else {
      await this.store.saveUserProfile(profile, previousName);
      this.log.info(`saved user profile "${profile.name}"`);
    }
  }

  private async saveSessionAsProfile(arg: unknown): Promise<void> {
    const m = await this.sessionArg(arg, 'Save Session as Profile');
    if (!m) return;
    const scope = await scopeFlow(!!vscode.workspace.workspaceFolders?.length);
    if (!scope) return;
    const taken = (n: string) => this.store.all().some((p) => p.scope === scope && p.profile.name === n);
    const name = await profileNameFlow('Wirescope: Save Session as Profile', m.name, taken);
    if (!name) return;
    // The unresolved profile: references stay references, secret values are never written.
    const profile: Profile = { ...m.profile, name };
    await this.saveProfile(profile, scope);
    void vscode.window.showInformationMessage(`Wirescope: saved "${name}" ${scope === 'workspace' ? 'to .vscode/wirescope.json' : 'to your user profiles'}.`);
  }

  private async importCurl(): Promise<void> {
    const imported = await curlInputFlow();
    if (!imported) return;
    const scope = await scopeFlow(!!vscode.workspace.workspaceFolders?.length);
    if (!scope) return;
    const taken = (n: string) => this.store.all().some((p) => p.scope === scope && p.profile.name === n);
    const name = await profileNameFlow('Wirescope: name the imported profile', imported.profile.name, taken);
    if (!name) return;
    const profile: Profile = { ...imported.profile, name };
    for (const s of imported.secrets) {
      // Secret names follow the profile's final name.
      const renamed = s.name.replace(/^[^.]*(?=\.)/, name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'curl');
      await this.secrets.store(renamed, s.value);
      if (profile.auth?.secret === s.name) profile.auth = { ...profile.auth, secret: renamed };
      if (profile.headers) for (const [k, v] of Object.entries(profile.headers)) if (v === `\${secret:${s.name}}`) profile.headers[k] = `\${secret:${renamed}}`;
    }
    await this.saveProfile(profile, scope);
    const notes = imported.warnings.length ? ` Notes: ${imported.warnings.join('; ')}` : '';
    const pick = await vscode.window.showInformationMessage(`Wirescope: imported "${name}" (${profile.pattern}).${imported.secrets.length ? ' Credentials went to the secret store.' : ''}${notes}`, 'Connect');
    if (pick === 'Connect') await this.connect(profile, { scope });
  }

  /** The profile form in an editor tab; a demo profile opens as a new profile prefilled from it. */
  private async editProfile(arg: unknown): Promise<void> {
    const sp = this.storedFrom(arg);
    if (!sp) return this.store.openFile();
    this.forms.show(sp.scope === 'demo' ? { draft: { ...sp.profile, name: `${sp.profile.name} (copy)` } } : { sp });
  }

  private async deleteProfile(arg: unknown): Promise<void> {
    const sp = this.storedFrom(arg);
    if (!sp || sp.scope === 'demo') return;
    const where = sp.scope === 'workspace' ? '.vscode/wirescope.json' : 'your user profiles';
    const ok = await vscode.window.showWarningMessage(`Delete the profile "${sp.profile.name}" from ${where}?`, { modal: true }, 'Delete');
    if (ok !== 'Delete') return;
    if (sp.scope === 'workspace') await this.store.deleteWorkspaceProfile(sp);
    else await this.store.deleteUserProfile(sp.profile.name);
  }

  // ------------------------------------------------------------ export

  async exportLog(id: string, format?: 'ndjson' | 'har'): Promise<void> {
    const m = this.manager.get(id);
    if (!m) throw new Error('That session no longer exists');
    let fmt = format;
    if (!fmt) {
      const picked = await vscode.window.showQuickPick(
        [
          { label: 'NDJSON', description: 'every event of the Wirescope event contract, one per line', fmt: 'ndjson' as const },
          { label: 'HAR 1.2', description: 'HTTP Archive; opens in Chrome DevTools (WebSocket messages included)', fmt: 'har' as const },
        ],
        { title: `Wirescope: Export Log of ${m.name}` },
      );
      if (!picked) return;
      fmt = picked.fmt;
    }
    const stamp = new Date(m.startedAt).toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
    const base = `${m.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'session'}-${stamp}.${fmt}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const target = await vscode.window.showSaveDialog({
      title: `Export ${m.name} as ${fmt === 'har' ? 'HAR' : 'NDJSON'}`,
      defaultUri: vscode.Uri.joinPath(folder, base),
      filters: fmt === 'har' ? { HAR: ['har', 'json'] } : { NDJSON: ['ndjson', 'jsonl', 'json'] },
    });
    if (!target) return;
    const redaction = this.manager.redaction(id);
    let count = 0;
    if (fmt === 'ndjson') {
      if (target.scheme === 'file') {
        await new Promise<void>((resolve, reject) => {
          const out = createWriteStream(target.fsPath, { mode: 0o600 });
          out.on('error', reject);
          out.on('finish', () => resolve());
          for (const line of ndjsonLines(m.log, redaction)) {
            out.write(line);
            count++;
          }
          out.end();
        });
      } else {
        let text = '';
        for (const line of ndjsonLines(m.log, redaction)) {
          text += line;
          count++;
        }
        await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
      }
    } else {
      const opts = m.session.options;
      const har = buildHar(m.log, { id: m.id, name: m.name, pattern: m.pattern, url: opts.url, method: opts.method, headers: opts.headers, body: opts.body }, { ...redaction, creatorVersion: String(this.context.extension.packageJSON.version ?? '0.0.0') });
      count = har.log.entries.length;
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(har, null, 2)));
    }
    const what = fmt === 'har' ? `${count} HAR entries` : `${count} events`;
    const dropped = m.log.dropped ? ` (${m.log.dropped} older events were dropped from memory by the cap)` : '';
    this.log.info(`exported ${what} of session ${m.id} to ${target.fsPath}${dropped}`);
    void vscode.window.showInformationMessage(`Wirescope: exported ${what} to ${vscode.workspace.asRelativePath(target)}${dropped}.`);
  }

  /** Reopen a disk capture (or an NDJSON export) as an ended session. */
  private async openLogFile(): Promise<void> {
    const captures = readSettings(this.context).capture.dir;
    let defaultUri = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (captures) {
      try {
        await vscode.workspace.fs.stat(vscode.Uri.file(captures));
        defaultUri = vscode.Uri.file(captures);
      } catch {
        // No captures yet: start from the workspace.
      }
    }
    const picked = await vscode.window.showOpenDialog({ title: 'Wirescope: Open Past Capture', canSelectMany: false, filters: { 'Wirescope log (NDJSON)': ['ndjson', 'jsonl', 'json'] }, ...(defaultUri ? { defaultUri } : {}) });
    const file = picked?.[0];
    if (!file) return;
    if (file.scheme !== 'file') throw new Error('Only files on this machine can be opened');
    const m = await this.manager.openPastCapture(file.fsPath);
    // Exports have no capture records, so the "cut short" note only means something for captures.
    const isCapture = !!captures && file.fsPath.startsWith(captures);
    if (isCapture && m.captureNote) void vscode.window.showWarningMessage(`Wirescope: ${m.captureNote}`);
    if (!isCapture) m.captureNote = undefined;
    await this.inspector().reveal();
  }

  // ------------------------------------------------------------ demo backend

  private async startDemo(): Promise<void> {
    if (this.demo) {
      void vscode.window.showInformationMessage(`Wirescope: the demo backend is running at ${this.demo.urls.index}`);
      return;
    }
    if (this.demoStarting) return this.demoStarting;
    this.demoStarting = (async () => {
      const settings = readSettings(this.context);
      const webhookPort = await freePort();
      const { startDemo } = await import('../demo');
      const backend = await startDemo({
        host: '127.0.0.1',
        port: settings.demoPort,
        mqttPort: 0,
        rate: 2,
        webhookUrl: `http://127.0.0.1:${webhookPort}/hook`,
        onLog: (line) => this.log.debug(`demo: ${line}`),
      });
      const u = backend.urls;
      const profiles: Profile[] = [
        { name: 'Demo REST items', pattern: 'http', url: u.items, method: 'GET' },
        { name: 'Demo WebSocket', pattern: 'ws', url: u.ws, templates: [{ name: 'hello', data: 'hello from Wirescope' }, { name: 'json', data: '{"type":"ping"}' }] },
        { name: 'Demo SSE', pattern: 'sse', url: u.sse, idField: 'sse-id' },
        { name: 'Demo short polling', pattern: 'poll', url: u.poll, poll: { intervalMs: 1000 } },
        { name: 'Demo long polling', pattern: 'long-poll', url: u.longPoll, longPoll: { cursorField: '$.cursor' } },
        { name: 'Demo HTTP stream', pattern: 'stream', url: u.stream },
        { name: 'Demo async job', pattern: 'async', url: u.jobs, method: 'POST', body: '{"work":"demo"}', headers: { 'Content-Type': 'application/json' } },
        { name: 'Demo webhook receiver', pattern: 'webhook', url: `http://127.0.0.1:${webhookPort}`, webhook: { listen: `127.0.0.1:${webhookPort}` } },
      ];
      if (u.mqtt) profiles.push({ name: 'Demo MQTT', pattern: 'mqtt', url: u.mqtt, mqtt: { protocolVersion: 5, subscribe: [{ topic: 'feed/#', qos: 0 }] } });
      this.demo = { close: () => backend.close(), urls: { ...u }, profiles };
      this.store.setDemoProfiles(profiles);
      void vscode.commands.executeCommand('setContext', 'wirescope.demoRunning', true);
      this.log.info(`demo backend started: ${Object.entries(u).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      void vscode.window.showInformationMessage(`Wirescope: demo backend running at ${u.index} — its profiles are in the Profiles view.`);
    })();
    try {
      await this.demoStarting;
    } finally {
      this.demoStarting = undefined;
    }
  }

  private async stopDemo(): Promise<void> {
    const d = this.demo;
    if (!d) return;
    this.demo = undefined;
    this.store.setDemoProfiles([]);
    void vscode.commands.executeCommand('setContext', 'wirescope.demoRunning', false);
    await d.close();
    this.log.info('demo backend stopped');
  }

  // ------------------------------------------------------------ tests

  /**
   * State for end-to-end tests (hidden from the palette; bind a key to it): what the UI shows, as data.
   * Returned to callers of executeCommand, and written to $WIRESCOPE_TEST_STATE_FILE when that is set.
   */
  private async revealState(): Promise<unknown> {
    const state = {
      sessions: this.manager.list().map((m) => ({ ...this.manager.info(m), stats: m.log.stats(), size: m.log.size, capturePath: m.capturePath })),
      selected: this.manager.selected,
      profiles: this.store.all().map((p) => ({ id: p.id, name: p.profile.name, pattern: p.profile.pattern, scope: p.scope, valid: p.valid, problems: p.problems })),
      profileFiles: this.store.fileStates().map((f) => ({ path: f.uri.fsPath, exists: f.exists, syntaxError: f.syntaxError, problems: f.problems.length })),
      demo: this.demo ? this.demo.urls : null,
      inspector: this.inspector().describe(),
      profileForms: this.forms.describe(),
      trusted: vscode.workspace.isTrusted,
    };
    const file = process.env.WIRESCOPE_TEST_STATE_FILE;
    if (file) await writeFile(file, JSON.stringify(state, null, 2), { mode: 0o600 });
    this.log.info(`test state: ${JSON.stringify(state)}`);
    return state;
  }

  // ------------------------------------------------------------ the inspector's backend

  inspectorBackend(settings: () => { batchIntervalMs: number }): InspectorBackend {
    const mgr = this.manager;
    return {
      sessions: () => mgr.infos(),
      selected: () => mgr.selected,
      log: (id) => mgr.get(id)?.log,
      sanitize: (id, e) => mgr.sanitize(id, e),
      onDidChangeSessions: mgr.onDidChangeSessions,
      onDidAppend: mgr.onDidAppend,
      onDidReset: mgr.onDidReset,
      send: async (id, data, encoding, channel, options) => {
        const m = mgr.get(id);
        let topic = channel;
        if (m?.pattern === 'mqtt' && !topic) topic = this.lastTopic ?? m.profile.mqtt?.publish?.[0]?.topic;
        if (m?.pattern === 'mqtt' && !topic) throw new Error('Enter a topic to publish to');
        if (topic) this.lastTopic = topic;
        await mgr.send(id, data, encoding, topic, options);
      },
      ping: (id) => mgr.ping(id),
      disconnect: (id) => mgr.disconnect(id),
      reconnect: (id) => mgr.reconnect(id),
      clear: (id) => mgr.clear(id),
      exportLog: (id, format) => this.exportLog(id, format),
      select: (id) => mgr.select(id),
      copy: async (text) => {
        await vscode.env.clipboard.writeText(text);
      },
      saveTemplate: (id, name, data, encoding) => this.saveTemplate(id, name, data, encoding),
      batchIntervalMs: () => settings().batchIntervalMs,
    };
  }

  private async saveTemplate(id: string, name: string, data: string, encoding: PayloadInputEncoding): Promise<void> {
    const m = this.manager.get(id);
    if (!m) throw new Error('That session no longer exists');
    const templates = [...(m.profile.templates ?? []).filter((t) => t.name !== name), { name, data, ...(encoding !== 'text' ? { encoding } : {}) }];
    // The session keeps its profile object; templates show in the composer at once.
    (m.profile as Profile).templates = templates;
    this.manager.notifyChanged();
    const sp = m.profileId ? this.store.find(m.profileId) : undefined;
    if (sp?.scope === 'workspace') await this.store.saveWorkspaceProfile({ ...sp.profile, templates }, {}, sp.folder);
    else if (sp?.scope === 'user') await this.store.saveUserProfile({ ...sp.profile, templates });
    else {
      void vscode.window.showInformationMessage(`Wirescope: template "${name}" kept for this session; save the session as a profile to keep it.`);
      return;
    }
    void vscode.window.showInformationMessage(`Wirescope: saved template "${name}" to profile "${sp.profile.name}".`);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    void this.stopDemo();
  }
}
