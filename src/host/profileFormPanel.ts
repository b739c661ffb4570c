/**
 * Editor-area panels with the profile form: one per profile being edited (and one for a new one).
 * The host owns saving: it validates what the page posts, stores typed secrets in SecretStorage,
 * references them by name in the profile, and writes through the ProfileStore. Secret values are
 * never sent to the page, logged or written to a file.
 */
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { secretRefsIn, validateProfile, type Profile, type ProfileProblem } from '../shared/profile';
import {
  FORM_SECRET_KEYS,
  FormToHostMessages,
  FormWasSaved,
  GraphqlFieldsListed,
  GrpcMethodsListed,
  InitForm,
  parseFormMessage,
  ShowError,
  ShowProblems,
  type FormScope,
  type FormSecretKey,
} from '../shared/profileFormProtocol';
import { defineHandlers, flatMessage, type NotificationType, type ParamsOf } from '../shared/typedProtocol';
import { applyFormSave, formSecretNames, formSecretsInUse, profileForForm } from './profileFormSecrets';
import { renderProfileFormHtml } from './profileFormHtml';
import type { ProfileStore, StoredProfile } from './profileStore';
import type { SecretStore } from './secrets';

const PANEL_TYPE = 'wirescope.profileForm';

/** Post a host -> page message of the form protocol. */
type Notify = <N extends NotificationType<unknown>>(n: N, params: ParamsOf<N>) => void;

/** What a form edits: a stored profile, or a new one (optionally prefilled). */
export interface ProfileFormTarget {
  sp?: StoredProfile;
  draft?: Profile;
}

interface OpenForm {
  panel: vscode.WebviewPanel;
  /** The stored profile this form writes to; undefined until a new profile is first saved. */
  sp: StoredProfile | undefined;
}

export class ProfileFormPanels implements vscode.Disposable {
  private readonly open = new Map<string, OpenForm>();
  private newCount = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ProfileStore,
    private readonly secrets: SecretStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private hasFolder(): boolean {
    return !!vscode.workspace.workspaceFolders?.length;
  }

  /** Open (or reveal) the form for a profile, or a new form. */
  show(target: ProfileFormTarget = {}): void {
    // Demo profiles are generated: editing one makes a new profile from it.
    const sp = target.sp && target.sp.scope !== 'demo' ? target.sp : undefined;
    const key = sp ? sp.id : `new:${++this.newCount}`;
    const existing = this.open.get(key);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const title = sp ? `Profile: ${sp.profile.name}` : 'New Wirescope Profile';
    const panel = vscode.window.createWebviewPanel(PANEL_TYPE, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [root],
      // The form holds unsaved edits: keep it when its tab is in the background.
      retainContextWhenHidden: true,
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'wirescope.svg');
    const form: OpenForm = { panel, sp };
    this.open.set(key, form);
    try {
      panel.webview.html = renderProfileFormHtml({
        cspSource: panel.webview.cspSource,
        scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'profileForm.js')).toString(),
        styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'profileForm.css')).toString(),
        nonce: randomBytes(16).toString('base64'),
      });
    } catch (err) {
      const text = describeError(err).message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>Wirescope could not open the profile form: ${text}</p></body></html>`;
    }
    const draft: Profile = sp?.profile ?? target.draft ?? { name: '', pattern: 'http', url: '' };
    const post: Notify = (n, params) => void panel.webview.postMessage(flatMessage(n, params));
    // One handler per page message, typed by its descriptor (a missing one fails to compile).
    const handlers = defineHandlers(FormToHostMessages, {
      PageReady: async () => post(InitForm, await this.initParams(form, draft)),
      SaveProfile: ({ profile, scope, secrets }) => this.save(form, profile, scope, secrets ?? {}, post),
      CloseForm: () => panel.dispose(),
      ListGrpcMethods: ({ profile }) => this.listGrpcMethods(form, profile, post),
      ListGraphqlFields: ({ profile }) => this.listGraphqlFields(profile, post),
    });
    const sub = panel.webview.onDidReceiveMessage(async (raw: unknown) => {
      const m = parseFormMessage(raw);
      if (typeof m === 'string') {
        this.log.warn(`profile form: ignored a message: ${m}`);
        return;
      }
      const { type, ...params } = m;
      try {
        await handlers.get(type)!.run(params);
      } catch (err) {
        const message = describeError(err).message;
        this.log.error(`profile form: ${message}`);
        post(ShowError, { message });
      }
    });
    panel.onDidDispose(() => {
      sub.dispose();
      for (const [k, v] of this.open) if (v === form) this.open.delete(k);
    });
  }

  private scopeOf(form: OpenForm): FormScope {
    if (form.sp?.scope === 'workspace' || form.sp?.scope === 'user') return form.sp.scope;
    return this.hasFolder() ? 'workspace' : 'user';
  }

  private takenNames(scope: FormScope, own: string | undefined): string[] {
    return this.store
      .all()
      .filter((p) => p.scope === scope && p.profile.name !== own)
      .map((p) => p.profile.name);
  }

  /** Which form secrets have a value: a stored secret for references, or a literal the host keeps. */
  private async secretsStored(profile: Profile): Promise<Partial<Record<FormSecretKey, boolean>>> {
    const inUse = formSecretsInUse(profile);
    const names = formSecretNames(profile);
    const out: Partial<Record<FormSecretKey, boolean>> = {};
    for (const key of FORM_SECRET_KEYS) {
      if (!inUse[key]) continue;
      const literal = key === 'mqttPassword' ? profile.mqtt?.password : key === 'hmacSecret' ? profile.webhook?.hmac?.secret : undefined;
      out[key] = literal !== undefined && secretRefsIn(literal).length === 0 ? true : (await this.secrets.get(names[key])) !== undefined;
    }
    return out;
  }

  private async initParams(form: OpenForm, draft: Profile): Promise<ParamsOf<typeof InitForm>> {
    const scope = this.scopeOf(form);
    const profile = form.sp?.profile ?? draft;
    return {
      profile: profileForForm(profile),
      isNew: !form.sp,
      scope,
      scopes: form.sp ? [scope] : this.hasFolder() ? ['workspace', 'user'] : ['user'],
      secretsStored: await this.secretsStored(profile),
      takenNames: this.takenNames(scope, form.sp?.profile.name),
    };
  }

  private async save(form: OpenForm, posted: Profile, requestedScope: FormScope, typed: Partial<Record<FormSecretKey, string>>, post: Notify): Promise<void> {
    // An existing profile stays where it is; a new one goes where the page asked.
    const scope = form.sp ? this.scopeOf(form) : requestedScope;
    if (scope === 'workspace' && !this.hasFolder()) throw new Error('Open a folder to save workspace profiles, or save it as a user profile');
    const original = form.sp?.profile;
    const result = applyFormSave(original, posted, typed);
    const problems: ProfileProblem[] = validateProfile(result.profile).filter((p) => p.severity === 'error');
    if (this.takenNames(scope, original?.name).includes(result.profile.name)) {
      problems.push({ path: ['name'], message: `Another profile is already named "${result.profile.name}"`, severity: 'error' });
    }
    if (problems.length > 0) {
      post(ShowProblems, { problems });
      return;
    }
    // Secrets first: a profile that refers to a secret is only written once the secret is stored.
    for (const s of result.secrets) await this.secrets.store(s.name, s.value);
    if (scope === 'workspace') {
      await this.store.saveWorkspaceProfile(result.profile, { ...(original ? { previousName: original.name } : {}), removeKeys: result.removeKeys }, form.sp?.folder);
    } else {
      await this.store.saveUserProfile(result.profile, original?.name);
    }
    this.log.info(`profile form: saved "${result.profile.name}" (${scope})${result.secrets.length ? `, stored secrets ${result.secrets.map((s) => s.name).join(', ')}` : ''}`);
    form.sp = this.store.all().find((p) => p.scope === scope && p.profile.name === result.profile.name) ?? form.sp;
    form.panel.title = `Profile: ${result.profile.name}`;
    post(FormWasSaved, { name: result.profile.name, scope, secretsStored: await this.secretsStored(result.profile) });
  }

  /**
   * The gRPC methods of the profile as edited: its URL, literal headers (no secrets are resolved for a listing)
   * and TLS choice; .proto files and import paths relative to the profile's folder.
   */
  private async listGrpcMethods(form: OpenForm, profile: Profile, post: Notify): Promise<void> {
    const folder = form.sp?.folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? homedir();
    const at = (p: string) => (isAbsolute(p) ? p : join(folder, p));
    const headers = Object.fromEntries(Object.entries(profile.headers ?? {}).filter(([, v]) => !v.includes('${')));
    const g = profile.grpc ?? {};
    try {
      const { listGrpc } = await import('../patterns/grpc/listing');
      const l = await listGrpc({
        pattern: 'grpc',
        url: profile.url,
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(profile.tls?.insecure ? { tls: { insecure: true } } : {}),
        grpc: { ...(g.protos?.length ? { protos: g.protos.map(at) } : {}), ...(g.importPaths?.length ? { importPaths: g.importPaths.map(at) } : {}) },
      });
      post(GrpcMethodsListed, { methods: l.methods.map((m) => ({ method: m.method, kind: m.kind, input: m.input, output: m.output, template: m.template })), source: l.source });
    } catch (err) {
      post(GrpcMethodsListed, { methods: [], error: describeError(err, profile.url).message });
    }
  }

  /**
   * The GraphQL fields of the profile as edited, from an introspection: its URL, literal headers, TLS choice,
   * subscription protocol and a connection_init payload without secret references (none are resolved here).
   */
  private async listGraphqlFields(profile: Profile, post: Notify): Promise<void> {
    const literal = (v: string) => !v.includes('${');
    const headers = Object.fromEntries(Object.entries(profile.headers ?? {}).filter(([, v]) => literal(v)));
    const g = profile.graphql ?? {};
    const initPayload = g.initPayload && literal(JSON.stringify(g.initPayload)) ? g.initPayload : undefined;
    try {
      const { graphqlCompletions } = await import('../patterns/graphql/completions');
      const fields = await graphqlCompletions({
        pattern: 'graphql',
        url: profile.url,
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(profile.tls?.insecure ? { tls: { insecure: true } } : {}),
        graphql: { ...(g.protocol ? { protocol: g.protocol } : {}), ...(initPayload ? { initPayload } : {}) },
      });
      post(GraphqlFieldsListed, { fields });
    } catch (err) {
      post(GraphqlFieldsListed, { fields: [], error: describeError(err, profile.url).message });
    }
  }

  /** For tests: the titles of the open forms. */
  describe(): string[] {
    return [...this.open.values()].map((f) => f.panel.title);
  }

  dispose(): void {
    for (const { panel } of [...this.open.values()]) panel.dispose();
  }
}
