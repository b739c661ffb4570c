/**
 * A payload opened whole in an editor tab: a read-only virtual document (`wirescope-payload:`)
 * with the language its content calls for (JSON pretty-printed, XML, HTML, or plain text; binary
 * as a hex dump). The text is the event as the inspector may show it (secrets redacted).
 */
import * as vscode from 'vscode';
import type { WireEvent } from '../shared/events';

export const PAYLOAD_SCHEME = 'wirescope-payload';

/** Text and language for a frame's payload. */
export function payloadDocument(e: WireEvent): { text: string; language: string } {
  if (e.kind !== 'frame') return { text: JSON.stringify(e, null, 2), language: 'json' };
  if (e.encoding === 'base64') {
    const bytes = Buffer.from(e.data, 'base64');
    const lines: string[] = [];
    for (let off = 0; off < bytes.length; off += 16) {
      const chunk = bytes.subarray(off, off + 16);
      const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
    }
    return { text: lines.join('\n'), language: 'plaintext' };
  }
  const text = e.data;
  const type = String(headerValue(e.meta?.headers, 'content-type') ?? '').toLowerCase();
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[') || /json/.test(type)) {
    try {
      return { text: JSON.stringify(JSON.parse(t), null, 2), language: 'json' };
    } catch {
      // Not whole JSON (a truncated preview): show it as it is.
    }
  }
  if (/html/.test(type) || /^<!doctype html|^<html/i.test(t)) return { text, language: 'html' };
  if (/xml/.test(type) || t.startsWith('<?xml')) return { text, language: 'xml' };
  return { text, language: 'plaintext' };
}

function headerValue(headers: unknown, name: string): unknown {
  if (!headers || typeof headers !== 'object') return undefined;
  if (Array.isArray(headers)) return headers.find((p) => Array.isArray(p) && String(p[0]).toLowerCase() === name)?.[1];
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Serves the payload documents; one text per URI, dropped when its document closes. */
export class PayloadDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly subs: vscode.Disposable[] = [];
  private counter = 0;

  constructor() {
    this.subs.push(
      vscode.workspace.registerTextDocumentContentProvider(PAYLOAD_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === PAYLOAD_SCHEME) this.texts.delete(d.uri.toString());
      }),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '(this payload is no longer available)';
  }

  /** Open a payload of `sessionName`'s event in a read-only editor tab. */
  async open(sessionName: string, e: WireEvent): Promise<void> {
    const { text, language } = payloadDocument(e);
    const ext = language === 'json' ? 'json' : language === 'html' ? 'html' : language === 'xml' ? 'xml' : 'txt';
    const safe = sessionName.replace(/[^A-Za-z0-9 _.-]+/g, '-').slice(0, 60) || 'session';
    const uri = vscode.Uri.from({ scheme: PAYLOAD_SCHEME, path: `/${safe} #${e.seq}.${ext}`, query: String(++this.counter) });
    this.texts.set(uri.toString(), text);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, language);
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.texts.clear();
  }
}
