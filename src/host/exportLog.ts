/** Export a session's log (NDJSON or HAR, redacted) and reopen a past capture or export as an ended session. */
import { createWriteStream } from 'node:fs';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { buildHar } from '../core/export/har';
import { ndjsonLines } from '../core/export/ndjson';
import type { HostServices } from './services';
import { readSettings } from './settings';

export async function exportLog(h: HostServices, id: string, format?: 'ndjson' | 'har'): Promise<void> {
  const m = h.manager.get(id);
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
  const redaction = h.manager.redaction(id);
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
    const har = buildHar(m.log, { id: m.id, name: m.name, pattern: m.pattern, url: opts.url, method: opts.method, headers: opts.headers, body: opts.body }, { ...redaction, creatorVersion: String(h.context.extension.packageJSON.version ?? '0.0.0') });
    count = har.log.entries.length;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(har, null, 2)));
  }
  const what = fmt === 'har' ? `${count} HAR entries` : `${count} events`;
  const dropped = m.log.dropped ? ` (${m.log.dropped} older events were dropped from memory by the cap)` : '';
  h.log.info(`exported ${what} of session ${m.id} to ${target.fsPath}${dropped}`);
  void vscode.window.showInformationMessage(`Wirescope: exported ${what} to ${vscode.workspace.asRelativePath(target)}${dropped}.`);
}

/** Reopen a disk capture (or an NDJSON export) as an ended session. */
export async function openPastCapture(h: HostServices): Promise<void> {
  const captures = readSettings(h.context).capture.dir;
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
  const m = await h.manager.openPastCapture(file.fsPath);
  // Exports have no capture records, so the "cut short" note only means something for captures.
  const isCapture = !!captures && file.fsPath.startsWith(captures);
  if (isCapture && m.captureNote) void vscode.window.showWarningMessage(`Wirescope: ${m.captureNote}`);
  if (!isCapture) m.captureNote = undefined;
  await h.inspector().reveal();
}
