/**
 * Hosts the inspector webview: the sidebar view and per-session editor panels ("Open in Editor").
 * Both load the same bundle with a strict CSP and a fresh nonce, may load only from dist/webview,
 * and are disposable viewports (no retainContextWhenHidden): the host keeps the log.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { InspectorEndpoint, type InspectorBackend, type WebviewLike } from './inspectorEndpoint';
import { renderInspectorHtml } from './webviewHtml';

export const INSPECTOR_VIEW_ID = 'wirescope.inspector';
const PANEL_TYPE = 'wirescope.inspectorPanel';

function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

function htmlFor(webview: vscode.Webview, extensionUri: vscode.Uri, view: 'sidebar' | 'panel', log: vscode.LogOutputChannel, sessionId?: string): string {
  const root = webviewRoot(extensionUri);
  try {
    return renderHtml(webview, root, view, sessionId);
  } catch (err) {
    // A document that cannot be built safely is not built: show why, as text, with no script at all.
    const message = describeError(err).message;
    log.error(`inspector: cannot render the webview (cspSource ${JSON.stringify(webview.cspSource)}): ${message}`);
    const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>Wirescope could not open the inspector: ${text}</p></body></html>`;
  }
}

function renderHtml(webview: vscode.Webview, root: vscode.Uri, view: 'sidebar' | 'panel', sessionId?: string): string {
  return renderInspectorHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'inspector.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'inspector.css')).toString(),
    nonce: randomBytes(16).toString('base64'),
    view,
    ...(sessionId ? { sessionId } : {}),
  });
}

function adapt(webview: vscode.Webview, isVisible: () => boolean): WebviewLike {
  return {
    postMessage: (m) => webview.postMessage(m),
    onDidReceiveMessage: (l) => webview.onDidReceiveMessage(l),
    get visible() {
      return isVisible();
    },
  };
}

export class InspectorHost implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private viewEndpoint: InspectorEndpoint | undefined;
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; endpoint: InspectorEndpoint }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly backend: InspectorBackend,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, enableCommandUris: false, localResourceRoots: [webviewRoot(this.extensionUri)] };
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.viewEndpoint?.dispose();
    this.view = view;
    view.webview.options = this.webviewOptions();
    const endpoint = new InspectorEndpoint(adapt(view.webview, () => view.visible), this.backend, {
      view: 'sidebar',
      log: (level, line) => this.log[level](line),
    });
    this.viewEndpoint = endpoint;
    view.webview.html = htmlFor(view.webview, this.extensionUri, 'sidebar', this.log);
    view.onDidChangeVisibility(() => endpoint.visibilityChanged());
    view.onDidDispose(() => {
      endpoint.dispose();
      if (this.view === view) {
        this.view = undefined;
        this.viewEndpoint = undefined;
      }
    });
  }

  /** Reveal the sidebar inspector. */
  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${INSPECTOR_VIEW_ID}.focus`);
  }

  /** Open (or reveal) an editor panel bound to one session; `beside` opens it next to the active editor
   *  and leaves the focus where it is. */
  openPanel(sessionId: string, title: string, how: { beside?: boolean } = {}): void {
    const column = how.beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const open = this.panels.get(sessionId);
    if (open) {
      open.panel.reveal(undefined, !!how.beside);
      return;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_TYPE, `Wirescope: ${title}`, { viewColumn: column, preserveFocus: !!how.beside }, { ...this.webviewOptions(), retainContextWhenHidden: false });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'wirescope.svg');
    const endpoint = new InspectorEndpoint(adapt(panel.webview, () => panel.visible), this.backend, {
      view: 'panel',
      sessionId,
      log: (level, line) => this.log[level](line),
    });
    panel.webview.html = htmlFor(panel.webview, this.extensionUri, 'panel', this.log, sessionId);
    panel.onDidChangeViewState(() => endpoint.visibilityChanged());
    panel.onDidDispose(() => {
      endpoint.dispose();
      this.panels.delete(sessionId);
    });
    this.panels.set(sessionId, { panel, endpoint });
  }

  /** Panel titles follow renamed or ended sessions. */
  closePanel(sessionId: string): void {
    this.panels.get(sessionId)?.panel.dispose();
  }

  /** For tests: how many inspectors are open and visible. */
  describe(): { sidebarVisible: boolean; panels: string[] } {
    return { sidebarVisible: !!this.view?.visible, panels: [...this.panels.keys()] };
  }

  dispose(): void {
    this.viewEndpoint?.dispose();
    for (const { panel } of [...this.panels.values()]) panel.dispose();
  }
}
