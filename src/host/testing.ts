/**
 * The Testing view: every workspace profile with an `expect` list is a test, grouped by profiles file.
 * A run connects each profile the way "Connect to Profile" does (trust, secrets, substitution), with
 * the expectation evaluator of src/core watching the session (the same code as `wirescope test`), and
 * reports pass/fail with the messages at the profile's line. The session stays in the inspector, its
 * failing events marked.
 */
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { testOptions, watchSession, type ProfileTestResult } from '../core/profileTest';
import type { ConnectPreparer } from './connectProfile';
import type { ProfileStore, StoredProfile } from './profileStore';
import type { ManagedSession, SessionManager } from './sessionManager';

export const TEST_CONTROLLER_ID = 'wirescope';

/** What the testing view needs from the rest of the extension. */
export interface TestingDeps {
  store: ProfileStore;
  manager: SessionManager;
  log: vscode.LogOutputChannel;
  /** Connector.connect: resolve and start a session (undefined when the user cancelled). */
  connect(sp: StoredProfile, prepare: ConnectPreparer): Promise<ManagedSession | undefined>;
}

/** A test item's range: the profile's line in its file. */
function lineRange(line: number | undefined): vscode.Range | undefined {
  return line === undefined ? undefined : new vscode.Range(line - 1, 0, line - 1, 0);
}

export class ProfileTesting implements vscode.Disposable {
  private readonly ctrl: vscode.TestController;
  private readonly disposables: vscode.Disposable[] = [];
  /** Test item id -> the stored profile it stands for (refreshed with the store). */
  private readonly byItem = new Map<string, StoredProfile>();

  constructor(private readonly deps: TestingDeps) {
    this.ctrl = vscode.tests.createTestController(TEST_CONTROLLER_ID, 'Wirescope');
    this.ctrl.refreshHandler = async () => {
      await deps.store.reload();
    };
    this.ctrl.createRunProfile('Run', vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token), true);
    const changes = deps.store.onDidChange(() => this.refresh());
    this.disposables.push(this.ctrl, { dispose: () => changes.dispose() });
    this.refresh();
  }

  /** Rebuild the items from the store: one per profiles file, one child per profile with expectations. */
  refresh(): void {
    this.byItem.clear();
    const files = new Map<string, { uri: vscode.Uri; folder?: vscode.WorkspaceFolder; profiles: StoredProfile[] }>();
    for (const sp of this.deps.store.all()) {
      if (sp.scope !== 'workspace' || !sp.fileUri || !Array.isArray(sp.profile.expect) || sp.profile.expect.length === 0) continue;
      const key = sp.fileUri.toString();
      const f = files.get(key) ?? { uri: sp.fileUri, folder: sp.folder, profiles: [] };
      f.profiles.push(sp);
      files.set(key, f);
    }
    const roots: vscode.TestItem[] = [];
    for (const [key, f] of files) {
      const label = f.folder && (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? `${f.folder.name}: .vscode/wirescope.json` : '.vscode/wirescope.json';
      const root = this.ctrl.createTestItem(key, label, f.uri);
      for (const sp of f.profiles) {
        const id = `${key}#${sp.profile.name}`;
        const item = this.ctrl.createTestItem(id, sp.profile.name, f.uri);
        item.range = lineRange(sp.line);
        item.description = `${sp.profile.pattern} · ${sp.profile.expect!.length} expectation${sp.profile.expect!.length === 1 ? '' : 's'}`;
        if (!sp.valid) item.error = sp.problems.join('\n');
        root.children.add(item);
        this.byItem.set(id, sp);
      }
      roots.push(root);
    }
    this.ctrl.items.replace(roots);
  }

  /** The profile items a request covers: the included ones (a file item means its profiles), minus the excluded. */
  private collect(request: vscode.TestRunRequest): vscode.TestItem[] {
    const out: vscode.TestItem[] = [];
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const add = (item: vscode.TestItem) => {
      if (excluded.has(item.id)) return;
      if (this.byItem.has(item.id)) out.push(item);
      else item.children.forEach(add);
    };
    if (request.include) request.include.forEach(add);
    else this.ctrl.items.forEach(add);
    return out;
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const items = this.collect(request);
    const run = this.ctrl.createTestRun(request, 'Wirescope', true);
    for (const item of items) run.enqueued(item);
    try {
      // Concurrently, as `wirescope test` does: each profile has its own session.
      await Promise.all(items.map((item) => this.runOne(item, run, token)));
    } finally {
      run.end();
    }
  }

  private async runOne(item: vscode.TestItem, run: vscode.TestRun, token: vscode.CancellationToken): Promise<void> {
    const sp = this.byItem.get(item.id);
    if (!sp) return;
    if (token.isCancellationRequested) return run.skipped(item);
    run.started(item);
    const location = item.uri ? new vscode.Location(item.uri, item.range ?? new vscode.Range(0, 0, 0, 0)) : undefined;
    const errored = (message: string) => {
      const m = new vscode.TestMessage(message);
      if (location) m.location = location;
      run.errored(item, m);
    };
    if (!sp.valid) return errored(`Profile "${sp.profile.name}" has problems: ${sp.problems.join('; ')}`);
    let result: Promise<ProfileTestResult> | undefined;
    let managed: ManagedSession | undefined;
    try {
      managed = await this.deps.connect(sp, (options, secretValues) => ({
        options: testOptions(options, sp.profile),
        beforeStart: (session) => {
          result = watchSession(session, sp.profile, secretValues);
        },
      }));
    } catch (err) {
      return errored(describeError(err).message);
    }
    if (!managed || !result) return run.skipped(item);
    const session = managed;
    const stop = token.onCancellationRequested(() => void session.session.close('test run cancelled'));
    let r: ProfileTestResult;
    try {
      r = await result;
    } finally {
      stop.dispose();
    }
    run.appendOutput(`${r.status === 'passed' ? '✓' : '✗'} ${r.name} (${r.durationMs} ms)\r\n`, undefined, item);
    for (const e of r.expectations) run.appendOutput(`    ${e.status === 'passed' ? '✓' : '✗'} ${e.label}: ${e.message}\r\n`, undefined, item);
    const failedSeqs = [...new Set(r.expectations.filter((e) => e.status === 'failed').flatMap((e) => e.seqs))].sort((a, b) => a - b);
    session.marked = { seqs: failedSeqs, note: r.expectations.filter((e) => e.status === 'failed').map((e) => `${e.label}: ${e.message}`).join('\n') };
    this.deps.manager.notifyChanged();
    this.deps.log.info(`test "${r.name}" ${r.status} in ${r.durationMs} ms${failedSeqs.length ? ` (events ${failedSeqs.map((s) => `#${s}`).join(', ')})` : ''}`);
    if (r.status === 'passed') return run.passed(item, r.durationMs);
    const messages = r.expectations
      .filter((e) => e.status === 'failed')
      .map((e) => {
        const events = r.involved.filter((ev) => e.seqs.includes(ev.seq)).map((ev) => `#${ev.seq} ${ev.text}`);
        const m = new vscode.TestMessage([`${e.label}: ${e.message}`, ...events].join('\n'));
        if (location) m.location = location;
        return m;
      });
    if (messages.length === 0) errored(`session ${r.sessionState}${r.reason ? `: ${r.reason}` : ''}`);
    else run.failed(item, messages, r.durationMs);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
