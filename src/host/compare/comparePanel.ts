/**
 * "Compare Patterns…": pick saved profiles (or the demo), race them on one clock, and show the
 * report in its own editor panel (strict CSP, one nonce'd script, text only). The race's sessions
 * are adopted by the session manager, so each one's inspector is one click away.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { runRace, type RaceEntry } from '../../core/compare/race';
import { checkKeyFields } from '../../core/compare/messageKeys';
import { describeError } from '../../core/errors';
import { resolveProfile, type ProfileResolver } from '../../core/profiles';
import { toJsonReport, type RaceResult } from '../../shared/compare';
import { formatRaceCsv, formatRaceMarkdown } from '../../shared/compareFormat';
import { CompareToHostMessages, parseCompareMessage, RaceFailed, RaceResultReady, RaceRunning, type CompareExportFormat } from '../../shared/compareProtocol';
import { defineHandlers, flatMessage, type NotificationType, type ParamsOf } from '../../shared/typedProtocol';
import type { StoredProfile } from '../profileStore';
import type { HostServices } from '../services';
import { renderCompareHtml } from './compareHtml';

const PANEL_TYPE = 'wirescope.compare';

/** The machine, for the report ("2 cores, 24 GB, ..."). */
export function describeMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.replace(/\s+/g, ' ').trim();
  return `${cpus.length} cores${model ? ` (${model})` : ''}, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

type CompareDeps = HostServices;

interface Plan {
  title: string;
  entries: RaceEntry[];
  idField: string;
  timestampField?: string;
  durationMs: number;
  secretValues: Map<string, string[]>;
  cleanup?: () => Promise<void>;
}

const DEMO_PICK = 'Demo backend: every pattern';

/** The command: ask, race, report. Resolves when the report is shown (or the user cancelled). */
export async function comparePatternsCommand(deps: CompareDeps, arg?: unknown): Promise<void> {
  const plan = arg === 'demo' ? await demoPlan(10_000) : await askPlan(deps);
  if (!plan) return;
  const panel = new ComparePanel(deps, plan.title);
  try {
    await panel.run(plan);
  } finally {
    await plan.cleanup?.();
  }
}

async function demoPlan(durationMs: number): Promise<Plan> {
  const { startDemoRace } = await import('../../demo/demoRace');
  const race = await startDemoRace();
  return { title: 'Pattern race: demo', entries: race.entries, idField: race.idField, timestampField: race.timestampField, durationMs, secretValues: new Map(), cleanup: race.close };
}

async function askPlan(deps: CompareDeps): Promise<Plan | undefined> {
  const profiles = deps.store.all().filter((p) => p.valid && p.scope !== 'demo');
  const items: Array<vscode.QuickPickItem & { sp?: StoredProfile; demo?: boolean }> = [
    { label: DEMO_PICK, description: 'short poll, long poll, SSE, WebSocket, gRPC, GraphQL, MQTT, webhook on 127.0.0.1', demo: true },
    ...profiles.map((sp) => ({ label: sp.profile.name, description: `${sp.profile.pattern} · ${sp.profile.url}`, detail: sp.scope === 'workspace' ? 'workspace' : 'user', sp })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Wirescope: Compare Patterns',
    placeHolder: 'Pick two or more profiles that carry the same feed, or the demo',
    canPickMany: true,
  });
  if (!picked || picked.length === 0) return undefined;
  if (picked.some((p) => p.demo)) {
    if (picked.length > 1) void vscode.window.showInformationMessage('Wirescope: the demo races on its own; the other picks were left out.');
    const d = await askDuration();
    return d === undefined ? undefined : demoPlan(d);
  }
  if (picked.length < 2) {
    void vscode.window.showWarningMessage('Wirescope: pick at least two profiles to race.');
    return undefined;
  }
  // A profile that names its own idField (what its sequence check reads) is read with it; the others with the one asked here.
  const ownId = (sp: StoredProfile) => (sp.profile.idField?.trim() ? sp.profile.idField : undefined);
  const without = picked.filter((p) => ownId(p.sp!) === undefined).map((p) => p.sp!.profile.name);
  let idField = picked.map((p) => ownId(p.sp!)).find((f) => f !== undefined);
  if (without.length > 0) {
    const asked = await vscode.window.showInputBox({
      title: 'Wirescope: Compare Patterns — message id',
      prompt: `How to match messages across sessions: $.seq, sse-id, header:Name or prop:name${without.length < picked.length ? ` (for ${without.join(', ')}; the others use their own idField)` : ''}`,
      value: idField ?? '$.seq',
      validateInput: (v) => checkKeyFields(v, undefined),
    });
    if (!asked) return undefined;
    idField = asked;
  }
  if (idField === undefined) return undefined;
  const raceId = idField;
  const timestampField = await vscode.window.showInputBox({
    title: 'Wirescope: Compare Patterns — publish time',
    prompt: 'JSON path to each message\'s publish time (epoch ms or ISO), for latency; empty for none',
    value: '$.at',
    validateInput: (v) => (v.trim() === '' ? undefined : checkKeyFields(undefined, v)),
  });
  if (timestampField === undefined) return undefined;
  const durationMs = await askDuration();
  if (durationMs === undefined) return undefined;
  const entries: RaceEntry[] = [];
  const secretValues = new Map<string, string[]>();
  for (const p of picked) {
    const sp = p.sp!;
    const resolved = await resolveFor(deps, sp);
    if (!resolved) return undefined;
    const own = resolved.options.idField?.trim() ? resolved.options.idField : undefined;
    entries.push({ name: sp.profile.name, options: resolved.options, ...(own !== undefined ? { idField: own } : {}) });
    secretValues.set(sp.profile.name, resolved.secretValues);
  }
  return { title: `Pattern race: ${entries.map((e) => e.name).join(', ')}`, entries, idField: raceId, timestampField: timestampField.trim() || undefined, durationMs, secretValues };
}

async function askDuration(): Promise<number | undefined> {
  const raw = await vscode.window.showInputBox({
    title: 'Wirescope: Compare Patterns — duration',
    prompt: 'How long every session runs, in ms',
    value: '10000',
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1000 && Number(v) <= 3_600_000 ? undefined : 'A whole number of ms from 1000 to 3600000'),
  });
  return raw === undefined ? undefined : Number(raw);
}

/** Resolve a stored profile like Connect does: trust, secrets from SecretStorage, env, TLS files. */
async function resolveFor(deps: CompareDeps, sp: StoredProfile) {
  let secrets: 'attach' | 'omit' = 'attach';
  if (sp.scope === 'workspace' && !vscode.workspace.isTrusted) {
    const go = await vscode.window.showWarningMessage(`This workspace is not trusted. Race "${sp.profile.name}" (${sp.profile.url}) from its .vscode/wirescope.json anyway?`, { modal: true, detail: 'Stored secrets will not be attached to it.' }, 'Race Without Secrets');
    if (go !== 'Race Without Secrets') return undefined;
    secrets = 'omit';
  }
  const baseDir = sp.folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
  let cancelled = false;
  const resolver: ProfileResolver = {
    env: (name) => process.env[name],
    secret: async (name) => {
      const v = await deps.secrets.getOrAsk(name, `profile "${sp.profile.name}"`);
      if (v === undefined) cancelled = true;
      return v;
    },
    readFile: (path) => readFile(isAbsolute(path) ? path : join(baseDir, path), 'utf8'),
    resolvePath: (path) => (isAbsolute(path) ? path : join(baseDir, path)),
  };
  try {
    return await resolveProfile(sp.profile, resolver, { secrets });
  } catch (err) {
    if (cancelled) return undefined;
    throw err;
  }
}

/** One report panel: shows progress, then the result; answers exports and inspector requests. */
class ComparePanel {
  private readonly panel: vscode.WebviewPanel;
  private ready: Promise<void>;
  private result: RaceResult | undefined;
  private readonly sessionIds = new Map<string, string>();
  private readonly stop = new AbortController();
  private readonly machine = describeMachine();

  constructor(
    private readonly deps: CompareDeps,
    title: string,
  ) {
    const root = vscode.Uri.joinPath(deps.context.extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel(PANEL_TYPE, title, vscode.ViewColumn.Active, { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] });
    const w = this.panel.webview;
    let markReady!: () => void;
    this.ready = new Promise((r) => (markReady = r));
    // One handler per page message, typed by its descriptor (a missing one fails to compile).
    const handlers = defineHandlers(CompareToHostMessages, {
      ReportReady: () => {
        markReady();
        // A reloaded page asks again: give it what there is.
        if (this.result) this.post(RaceResultReady, { result: this.result, machine: this.machine, inspectable: [...this.sessionIds.keys()] });
      },
      ExportReport: ({ format }) => this.export(format),
      OpenInspector: async ({ name }) => {
        const id = this.sessionIds.get(name);
        if (id) await vscode.commands.executeCommand('wirescope.openInEditor', id);
      },
    });
    w.onDidReceiveMessage(async (raw) => {
      const m = parseCompareMessage(raw);
      if (typeof m === 'string') {
        deps.log.warn(`pattern race: ignored a message from the report: ${m}`);
        return;
      }
      try {
        await handlers.get(m.method)!.run(m.params);
      } catch (err) {
        void vscode.window.showErrorMessage(`Wirescope: ${describeError(err).message}`);
      }
    });
    this.panel.onDidDispose(() => this.stop.abort());
    w.html = renderCompareHtml({
      cspSource: w.cspSource,
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(root, 'compare.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(root, 'compare.css')).toString(),
      nonce: randomBytes(18).toString('base64'),
    });
  }

  private post<N extends NotificationType<unknown>>(n: N, params: ParamsOf<N>): void {
    void this.panel.webview.postMessage(flatMessage(n, params));
  }

  async run(plan: Plan): Promise<void> {
    await Promise.race([this.ready, new Promise((r) => setTimeout(r, 5000))]);
    this.post(RaceRunning, { names: plan.entries.map((e) => e.name), durationMs: plan.durationMs, machine: this.machine });
    try {
      this.result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Wirescope: racing ${plan.entries.length} sessions for ${(plan.durationMs / 1000).toFixed(1)} s`, cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => this.stop.abort());
          return runRace({
            entries: plan.entries,
            durationMs: plan.durationMs,
            idField: plan.idField,
            timestampField: plan.timestampField,
            signal: this.stop.signal,
            onSession: (name, session) => {
              const entry = plan.entries.find((e) => e.name === name)!;
              const m = this.deps.manager.adopt({ options: session.options, name, profile: { name, pattern: entry.options.pattern, url: entry.options.url }, secretValues: plan.secretValues.get(name) ?? [] }, session);
              this.sessionIds.set(name, m.id);
            },
          });
        },
      );
      this.deps.log.info(`pattern race: ${this.result.sessions.map((s) => `${s.name} p50 ${s.latencyMs?.p50 ?? '-'} ms, missed ${s.missed}`).join('; ')}`);
      this.post(RaceResultReady, { result: this.result, machine: this.machine, inspectable: [...this.sessionIds.keys()] });
    } catch (err) {
      const message = describeError(err).message;
      this.post(RaceFailed, { message: `The race could not run: ${message}` });
      throw err;
    }
  }

  private async export(format: CompareExportFormat): Promise<void> {
    const r = this.result;
    if (!r) return;
    const ext = format === 'markdown' ? 'md' : format;
    const stamp = new Date(r.startedAt).toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const target = await vscode.window.showSaveDialog({
      title: `Export the pattern race as ${format === 'markdown' ? 'Markdown' : format.toUpperCase()}`,
      defaultUri: vscode.Uri.joinPath(folder, `pattern-race-${stamp}.${ext}`),
      filters: format === 'markdown' ? { Markdown: ['md'] } : format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
    });
    if (!target) return;
    const text =
      format === 'markdown'
        ? `${formatRaceMarkdown(r)}\nMeasured on ${this.machine}.\n`
        : format === 'csv'
          ? formatRaceCsv(r)
          : JSON.stringify({ ...toJsonReport(r), machine: this.machine }, null, 2) + '\n';
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    void vscode.window.showInformationMessage(`Wirescope: exported the race to ${vscode.workspace.asRelativePath(target)}.`);
  }
}
