/**
 * The profile form webview: one profile, every field of the profile model, the pattern's own
 * options shown only for the chosen pattern. Values from the file go in through .value and
 * textContent only. Secrets are typed into password fields and posted once to the host, which
 * stores them in SecretStorage; the host never sends them back.
 */
import { PATTERN_LABELS, PATTERNS, type PatternId } from '../../src/shared/connectOptions';
import { checkProfileUrl, validateProfile, type AuthType, type Profile, type ProfileProblem } from '../../src/shared/profile';
import type { GraphqlCompletion } from '../../src/shared/graphqlCompletion';
import { CloseForm, HostToFormMessages, ListGraphqlFields, ListGrpcMethods, PageReady, SaveProfile, type FormGrpcMethod, type FormScope, type FormSecretKey, type InitForm } from '../../src/shared/profileFormProtocol';
import { GraphqlCompletionList } from '../graphqlCompletions';
import { flatMessage, flatNoteDispatcher, type CommandType, type ParamsOf } from '../../src/shared/typedProtocol';
import { h } from '../ui/dom';
import { button, checkbox, dropdown, registerToolkit, textArea, textField, type CheckControl, type ValueControl } from '../ui/toolkit';
import { DOCUMENT_SEPARATOR, FIELDS, PATTERN_SECTION, ROWS, documentAt, fieldForProblem, isShown, profileToValues, valuesToProfile, type FieldSpec, type FormValues, type Row, type RowsSpec } from './formFields';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
/** Post a page -> host message, typed by its descriptor (src/shared/profileFormProtocol.ts). */
const post = <D extends CommandType<unknown>>(d: D, params: ParamsOf<D>) => api.postMessage(flatMessage(d, params));

/** `poll.intervalMs` -> `poll-intervalMs`: ids stay CSS-selector friendly. */
const idOf = (path: string) => path.replace(/\./g, '-');

interface FieldControl {
  spec: FieldSpec;
  wrap: HTMLElement;
  control: ValueControl | CheckControl;
  error: HTMLElement;
}

interface RowsControl {
  spec: RowsSpec;
  wrap: HTMLElement;
  list: HTMLElement;
  rows: Array<{ el: HTMLElement; cells: Record<string, ValueControl | CheckControl> }>;
  error: HTMLElement;
}

class ProfileForm {
  private base: Partial<Profile> = {};
  private scope: FormScope = 'user';
  private isNew = true;
  private takenNames = new Set<string>();
  private secretsStored: Partial<Record<FormSecretKey, boolean>> = {};
  private readonly fields = new Map<string, FieldControl>();
  private readonly rowEditors = new Map<string, RowsControl>();
  private readonly sections = new Map<string, HTMLElement>();
  private nameField!: ValueControl;
  private patternField!: ValueControl;
  private urlField!: ValueControl;
  private scopeField: ValueControl | undefined;
  private readonly errors = new Map<string, HTMLElement>();
  private readonly title = h('h1', { id: 'form-title' });
  private readonly status = h('div', { id: 'form-status', role: 'status', cls: 'form-status' });
  private readonly problems = h('ul', { id: 'form-problems', cls: 'form-problems', attrs: { 'aria-live': 'polite' } });
  private readonly insecureWarning = h('div', { id: 'tls-insecure-warning', cls: 'field-warning', text: 'Certificates are not verified: anyone on the network path can read and change this traffic. Use only for local testing.' });

  constructor(private readonly root: HTMLElement) {}

  init(m: ParamsOf<typeof InitForm>): void {
    this.base = m.profile;
    this.scope = m.scope;
    this.isNew = m.isNew;
    this.takenNames = new Set(m.takenNames);
    this.secretsStored = m.secretsStored;
    this.render(m.scopes);
    this.load(profileToValues(m.profile));
    this.updateVisibility();
    this.checkUrl();
  }

  // ---------------------------------------------------------------- building

  private render(scopes: FormScope[]): void {
    this.fields.clear();
    this.rowEditors.clear();
    this.sections.clear();
    this.errors.clear();
    this.title.textContent = this.isNew ? 'New profile' : `Edit profile: ${this.base.name ?? ''}`;
    // Fixed order: the chosen pattern's own options come right after the general fields.
    for (const name of ['General', ...Object.values(PATTERN_SECTION), 'Headers', 'Authentication', 'TLS', 'Reconnect', 'Messages']) this.section(name);
    const general = this.section('General');
    this.nameField = textField({ id: 'f-name', label: 'Name', onInput: () => this.checkName() });
    this.patternField = dropdown({
      id: 'f-pattern',
      ariaLabel: 'Pattern',
      options: PATTERNS.map((p) => ({ value: p, label: PATTERN_LABELS[p] })),
      onChange: () => {
        this.updateVisibility();
        this.checkUrl();
      },
    });
    this.urlField = textField({ id: 'f-url', label: 'URL', placeholder: 'https://host/path, ws://…, mqtt://…', onInput: () => this.checkUrl() });
    general.append(
      this.labelled('name', this.nameField),
      this.labelled('pattern', this.patternField, 'Pattern'),
      this.labelled('url', this.urlField),
    );
    if (scopes.length > 1) {
      this.scopeField = dropdown({
        id: 'f-scope',
        ariaLabel: 'Save to',
        options: scopes.map((s) => ({ value: s, label: s === 'workspace' ? 'Workspace (.vscode/wirescope.json, shared)' : 'User profiles (this machine)' })),
        value: this.scope,
      });
      general.append(this.labelled('scope', this.scopeField, 'Save to'));
    } else {
      this.scopeField = undefined;
      general.append(h('div', { id: 'f-scope-fixed', cls: 'muted', text: `Saved to ${this.scope === 'workspace' ? '.vscode/wirescope.json' : 'your user profiles'}` }));
    }
    for (const spec of FIELDS) this.addField(spec);
    for (const spec of ROWS) this.addRows(spec);
    this.addGrpcMethodPicker();
    this.addGraphqlFieldPicker();
    const actions = h(
      'div',
      { cls: 'form-actions' },
      button('Save', { id: 'save', appearance: 'primary', onClick: () => this.save() }),
      button('Close', { id: 'cancel', appearance: 'secondary', onClick: () => post(CloseForm, {}) }),
      this.status,
    );
    this.root.replaceChildren(this.title, this.problems, ...this.sections.values(), actions);
  }

  private section(name: string): HTMLElement {
    let s = this.sections.get(name);
    if (!s) {
      s = h('section', { cls: 'form-section', attrs: { 'data-section': name, 'aria-label': name } }, h('h2', { text: name }));
      this.sections.set(name, s);
    }
    return s;
  }

  /** A field with its label and the line for its problem. */
  private labelled(path: string, control: HTMLElement, label?: string, hint?: string): HTMLElement {
    const error = h('div', { id: `err-${idOf(path)}`, cls: 'field-error', role: 'alert' });
    error.hidden = true;
    this.errors.set(path, error);
    const wrap = h('div', { cls: 'field', attrs: { 'data-path': path } });
    if (label) wrap.append(h('label', { cls: 'field-label', text: label, attrs: { for: control.id } }));
    wrap.append(control);
    if (hint) wrap.append(h('div', { cls: 'field-hint muted', text: hint }));
    wrap.append(error);
    return wrap;
  }

  private addField(spec: FieldSpec): void {
    const id = spec.kind === 'secret' ? `f-secret-${spec.path}` : `f-${idOf(spec.path)}`;
    let control: ValueControl | CheckControl;
    let label: string | undefined;
    switch (spec.kind) {
      case 'bool':
        control = checkbox({ id, label: spec.label, onChange: () => this.updateVisibility() });
        break;
      case 'select':
        control = dropdown({
          id,
          ariaLabel: spec.label,
          // Selects other than the auth type start at "(default)", so saving does not pin a default.
          options: [...(spec.path === 'auth.type' ? [] : [{ value: '', label: '(default)' }]), ...(spec.options ?? [])],
          onChange: () => this.updateVisibility(),
        });
        label = spec.label;
        break;
      case 'textarea':
      case 'documents':
      case 'lines':
      case 'json':
        control = textArea({ id, label: spec.label, rows: 3, placeholder: spec.placeholder });
        break;
      case 'secret':
        control = textField({ id, label: spec.label, type: 'password' });
        control.setAttribute('autocomplete', 'off');
        break;
      default:
        control = textField({ id, label: spec.label, placeholder: spec.placeholder });
    }
    const wrap = this.labelled(spec.path, control, label, spec.hint);
    if (spec.path === 'tls.insecure') wrap.append(this.insecureWarning);
    this.section(spec.section).append(wrap);
    this.fields.set(spec.path, { spec, wrap, control, error: this.errors.get(spec.path)! });
  }

  private grpcMethods: FormGrpcMethod[] = [];
  private grpcPick: ReturnType<typeof dropdown> | undefined;
  private grpcStatus: HTMLElement | undefined;

  /**
   * gRPC: List methods asks the host (server reflection, or the profile's .proto files); picking one fills the
   * method and the request with the input's JSON template (Body, or the first message to send of a stream).
   */
  private addGrpcMethodPicker(): void {
    const section = PATTERN_SECTION.grpc;
    if (!section) return;
    this.grpcStatus = h('div', { id: 'grpc-methods-status', cls: 'field-hint muted', role: 'status' });
    this.grpcPick = dropdown({ id: 'grpc-method-pick', ariaLabel: 'Method from the server', options: [], onChange: (v) => this.useGrpcMethod(v) });
    this.grpcPick.hidden = true;
    const list = button('List methods', {
      id: 'grpc-list-methods',
      appearance: 'secondary',
      onClick: () => {
        const { profile } = valuesToProfile(this.read(), this.base);
        if (this.grpcStatus) this.grpcStatus.textContent = `Asking ${profile.url || 'the server'} for its methods…`;
        post(ListGrpcMethods, { profile });
      },
    });
    const field = this.fields.get('grpc.method');
    const wrap = h('div', { cls: 'field', attrs: { 'data-path': 'grpc.methodPick' } }, list, this.grpcPick, this.grpcStatus);
    if (field) field.wrap.after(wrap);
    else this.section(section).append(wrap);
  }

  private showGrpcMethods(m: { methods: FormGrpcMethod[]; source?: string; error?: string }): void {
    this.grpcMethods = m.methods;
    if (!this.grpcPick || !this.grpcStatus) return;
    if (m.error !== undefined || m.methods.length === 0) {
      this.grpcPick.hidden = true;
      this.grpcStatus.textContent = m.error ?? `No methods (schema from ${m.source ?? 'the server'})`;
      return;
    }
    this.grpcPick.setOptions([{ value: '', label: 'Pick a method…' }, ...m.methods.map((x, i) => ({ value: String(i), label: `${x.method} (${x.kind})` }))], '');
    this.grpcPick.hidden = false;
    this.grpcStatus.textContent = `${m.methods.length} method${m.methods.length === 1 ? '' : 's'}, schema from ${m.source ?? 'the server'}`;
  }

  private useGrpcMethod(value: string): void {
    const m = value === '' ? undefined : this.grpcMethods[Number(value)];
    if (!m) return;
    const set = (path: string, v: string) => {
      const f = this.fields.get(path);
      if (f && 'value' in f.control) f.control.value = v;
    };
    set('grpc.method', m.method);
    const template = JSON.stringify(m.template);
    if (m.kind === 'client-streaming' || m.kind === 'bidi') {
      set('send', template);
      const keep = this.fields.get('grpc.keepSending');
      if (keep && 'checked' in keep.control) keep.control.checked = true;
    } else set('body', template);
    if (this.grpcStatus) this.grpcStatus.textContent = `${m.method}: ${m.kind}, ${m.input} → ${m.output}`;
    this.updateVisibility();
  }

  private graphqlFields: GraphqlCompletion[] = [];
  private graphqlPick: ReturnType<typeof dropdown> | undefined;
  private graphqlStatus: HTMLElement | undefined;
  private graphqlTyping: GraphqlCompletionList | undefined;

  /**
   * GraphQL: List fields asks the host to introspect the server of the profile as edited. Picking a field adds its
   * document skeleton to the documents; typing in the documents offers the same fields as completions.
   */
  private addGraphqlFieldPicker(): void {
    const field = this.fields.get('graphql.documents');
    if (!field || !('value' in field.control)) return;
    const docs = field.control;
    this.graphqlStatus = h('div', { id: 'graphql-fields-status', cls: 'field-hint muted', role: 'status' });
    this.graphqlPick = dropdown({ id: 'graphql-field-pick', ariaLabel: 'Field from the server', options: [], onChange: (v) => this.useGraphqlField(v) });
    this.graphqlPick.hidden = true;
    const list = button('List fields', {
      id: 'graphql-list-fields',
      appearance: 'secondary',
      onClick: () => {
        const { profile } = valuesToProfile(this.read(), this.base);
        if (this.graphqlStatus) this.graphqlStatus.textContent = `Asking ${profile.url || 'the server'} for its fields (introspection)…`;
        post(ListGraphqlFields, { profile });
      },
    });
    this.graphqlTyping = new GraphqlCompletionList(docs, 'graphql-doc-completions', undefined, documentAt);
    docs.after(this.graphqlTyping.element);
    const wrap = h('div', { cls: 'field', attrs: { 'data-path': 'graphql.fieldPick' } }, list, this.graphqlPick, this.graphqlStatus);
    field.wrap.after(wrap);
  }

  private showGraphqlFields(m: { fields: GraphqlCompletion[]; error?: string }): void {
    this.graphqlFields = m.fields;
    this.graphqlTyping?.setFields(m.fields);
    if (!this.graphqlPick || !this.graphqlStatus) return;
    if (m.error !== undefined || m.fields.length === 0) {
      this.graphqlPick.hidden = true;
      this.graphqlStatus.textContent = m.error !== undefined ? `No fields: ${m.error}. Type the documents as text.` : 'No fields: the schema has no root fields.';
      return;
    }
    this.graphqlPick.setOptions([{ value: '', label: 'Add a field…' }, ...m.fields.map((f, i) => ({ value: String(i), label: `${f.root} ${f.detail}` }))], '');
    this.graphqlPick.hidden = false;
    const count = (root: string) => m.fields.filter((f) => f.root === root).length;
    this.graphqlStatus.textContent = `${count('query')} query, ${count('mutation')} mutation, ${count('subscription')} subscription fields; typing in Documents offers them too`;
  }

  private useGraphqlField(value: string): void {
    const f = value === '' ? undefined : this.graphqlFields[Number(value)];
    const field = this.fields.get('graphql.documents');
    if (!f || !field || !('value' in field.control)) return;
    const now = (field.control.value ?? '').replace(/\s+$/, '');
    field.control.value = now ? `${now}\n${DOCUMENT_SEPARATOR}\n${f.document}` : f.document;
    if (this.graphqlStatus) this.graphqlStatus.textContent = `Added ${f.root} ${f.detail}`;
  }

  private addRows(spec: RowsSpec): void {
    const list = h('div', { id: `rows-${idOf(spec.path)}`, cls: 'rows', role: 'list', attrs: { 'aria-label': spec.label } });
    const error = h('div', { id: `err-${idOf(spec.path)}`, cls: 'field-error', role: 'alert' });
    error.hidden = true;
    this.errors.set(spec.path, error);
    const wrap = h('div', { cls: 'field rows-field', attrs: { 'data-path': spec.path } }, h('div', { cls: 'field-label', text: spec.label }), list);
    const editor: RowsControl = { spec, wrap, list, rows: [], error };
    wrap.append(button(`Add ${spec.label.toLowerCase().replace(/s$/, '')}`, { id: `add-${idOf(spec.path)}`, appearance: 'secondary', onClick: () => this.addRow(editor, {}) }), error);
    this.section(spec.section).append(wrap);
    this.rowEditors.set(spec.path, editor);
  }

  private addRow(editor: RowsControl, values: Row): void {
    const cells: Record<string, ValueControl | CheckControl> = {};
    const el = h('div', { cls: 'row-edit', role: 'listitem' });
    for (const c of editor.spec.columns) {
      let cell: ValueControl | CheckControl;
      if (c.kind === 'bool') {
        cell = checkbox({ label: c.label });
        (cell as CheckControl).checked = values[c.key] === true;
      } else if (c.kind === 'select') {
        const options = (c.options ?? []).map((o) => ({ value: o, label: `${c.label} ${o}` }));
        cell = dropdown({ ariaLabel: c.label, options, value: typeof values[c.key] === 'string' && values[c.key] !== '' ? String(values[c.key]) : c.options?.[0] });
      } else {
        cell = textField({ ariaLabel: c.label, placeholder: c.label });
        (cell as ValueControl).value = String(values[c.key] ?? '');
      }
      cell.classList.add(`cell-${c.key}`);
      cells[c.key] = cell;
      el.append(cell);
    }
    const entry = { el, cells };
    el.append(
      button('Remove', {
        appearance: 'secondary',
        title: `Remove this ${editor.spec.label.toLowerCase()} row`,
        onClick: () => {
          el.remove();
          editor.rows = editor.rows.filter((r) => r !== entry);
        },
      }),
    );
    editor.rows.push(entry);
    editor.list.append(el);
  }

  // ---------------------------------------------------------------- values

  private load(v: FormValues): void {
    this.nameField.value = v.name;
    this.patternField.value = v.pattern;
    this.urlField.value = v.url;
    for (const [path, f] of this.fields) {
      const value = v.fields[path];
      if (f.spec.kind === 'bool') (f.control as CheckControl).checked = value === true;
      else (f.control as ValueControl).value = typeof value === 'string' ? value : '';
    }
    for (const [path, editor] of this.rowEditors) {
      editor.list.replaceChildren();
      editor.rows = [];
      for (const row of v.rows[path] ?? []) this.addRow(editor, row);
    }
    this.showSecretState();
  }

  private read(): FormValues {
    const fields: Record<string, string | boolean> = {};
    for (const [path, f] of this.fields) {
      if (f.spec.kind === 'secret') continue;
      fields[path] = f.spec.kind === 'bool' ? (f.control as CheckControl).checked : ((f.control as ValueControl).value ?? '');
    }
    const rows: Record<string, Row[]> = {};
    for (const [path, editor] of this.rowEditors) {
      rows[path] = editor.rows.map(({ cells }) => {
        const row: Row = {};
        for (const c of editor.spec.columns) row[c.key] = c.kind === 'bool' ? (cells[c.key] as CheckControl).checked : ((cells[c.key] as ValueControl).value ?? '');
        return row;
      });
    }
    return { name: this.nameField.value ?? '', pattern: this.pattern(), url: this.urlField.value ?? '', fields, rows };
  }

  private pattern(): PatternId {
    const p = this.patternField.value as PatternId;
    return (PATTERNS as readonly string[]).includes(p) ? p : 'http';
  }

  private authType(): AuthType {
    return ((this.fields.get('auth.type')?.control as ValueControl | undefined)?.value as AuthType) || 'none';
  }

  private secrets(): Partial<Record<FormSecretKey, string>> {
    const out: Partial<Record<FormSecretKey, string>> = {};
    const pattern = this.pattern();
    const auth = this.authType();
    for (const f of this.fields.values()) {
      if (f.spec.kind !== 'secret' || !isShown(f.spec, pattern, auth)) continue;
      const v = (f.control as ValueControl).value;
      if (v) out[f.spec.path as FormSecretKey] = v;
    }
    return out;
  }

  /** Secret fields say whether a value is stored; they never hold one from the host. */
  private showSecretState(): void {
    for (const f of this.fields.values()) {
      if (f.spec.kind !== 'secret') continue;
      const stored = !!this.secretsStored[f.spec.path as FormSecretKey];
      f.control.setAttribute('placeholder', stored ? 'Stored in the secret store; type to replace' : 'Not stored; type to store it (or you are asked on connect)');
      (f.control as ValueControl).value = '';
    }
  }

  // ---------------------------------------------------------------- visibility and checks

  private updateVisibility(): void {
    const pattern = this.pattern();
    const auth = this.authType();
    for (const f of this.fields.values()) f.wrap.hidden = !isShown(f.spec, pattern, auth);
    for (const r of this.rowEditors.values()) r.wrap.hidden = !isShown(r.spec, pattern, auth);
    for (const s of this.sections.values()) {
      const fields = [...s.querySelectorAll(':scope > .field')] as HTMLElement[];
      s.hidden = fields.length > 0 && fields.every((el) => el.hidden);
    }
    const insecure = this.fields.get('tls.insecure')?.control as CheckControl | undefined;
    this.insecureWarning.hidden = !insecure?.checked;
  }

  private setError(path: string, message: string | undefined): void {
    const el = this.errors.get(path);
    if (!el) return;
    el.textContent = message ?? '';
    el.hidden = !message;
  }

  private checkUrl(): boolean {
    const url = (this.urlField.value ?? '').trim();
    const problem = url ? checkProfileUrl(url, this.pattern()) : 'Enter a URL';
    this.setError('url', problem);
    this.urlField.toggleAttribute('data-invalid', !!problem);
    return !problem;
  }

  private checkName(): boolean {
    const name = (this.nameField.value ?? '').trim();
    const problem = !name ? 'Enter a name' : this.takenNames.has(name) ? `Another profile is already named "${name}"` : undefined;
    this.setError('name', problem);
    return !problem;
  }

  // ---------------------------------------------------------------- saving

  private showProblems(problems: ProfileProblem[], fieldErrors: Record<string, string> = {}): number {
    for (const path of this.errors.keys()) if (path !== 'url' && path !== 'name') this.setError(path, undefined);
    const general: string[] = [];
    const byField = new Map<string, string>(Object.entries(fieldErrors));
    for (const p of problems) {
      if (p.severity !== 'error') continue;
      const field = fieldForProblem(p.path);
      if (field && this.errors.has(field) && !byField.has(field)) byField.set(field, p.message);
      else if (!field || !this.errors.has(field)) general.push(p.message);
    }
    for (const [field, message] of byField) this.setError(field, message);
    this.problems.replaceChildren(...general.map((m) => h('li', { text: m })));
    return byField.size + general.length;
  }

  private save(): void {
    const { profile, fieldErrors } = valuesToProfile(this.read(), this.base);
    const count = this.showProblems(validateProfile(profile), fieldErrors);
    // The as-you-type messages of name and URL win over the generic validation wording.
    const nameOk = this.checkName();
    const urlOk = this.checkUrl();
    if (!nameOk || !urlOk || count > 0) {
      this.status.textContent = 'Fix the marked fields to save.';
      return;
    }
    this.status.textContent = 'Saving…';
    post(SaveProfile, { profile, scope: (this.scopeField?.value as FormScope | undefined) ?? this.scope, secrets: this.secrets() });
    this.pending = profile;
  }

  private pending: Profile | undefined;

  /** The page's handlers of the host's messages, one per descriptor of HostToFormMessages. */
  readonly handle = flatNoteDispatcher(HostToFormMessages, {
    InitForm: (m) => this.init(m),
    FormWasSaved: (m) => {
      if (this.pending) this.base = this.pending;
      this.pending = undefined;
      this.isNew = false;
      this.scope = m.scope;
      this.takenNames.delete(m.name);
      this.secretsStored = m.secretsStored;
      this.title.textContent = `Edit profile: ${m.name}`;
      this.status.textContent = `Saved "${m.name}".`;
      this.showSecretState();
    },
    ShowProblems: (m) => {
      this.showProblems(m.problems);
      this.status.textContent = 'The profile was not saved: fix the marked fields.';
    },
    ShowError: (m) => {
      this.status.textContent = m.message;
    },
    GrpcMethodsListed: (m) => this.showGrpcMethods(m),
    GraphqlFieldsListed: (m) => this.showGraphqlFields(m),
  });
}

registerToolkit();
const root = document.getElementById('app') ?? document.body;
root.classList.add('profile-form');
const form = new ProfileForm(root);
window.addEventListener('message', (e: MessageEvent) => form.handle(e.data));
post(PageReady, {});
