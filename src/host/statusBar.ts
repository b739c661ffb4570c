/**
 * The status bar item (live sessions by state) and the context keys that gate commands in the palette
 * (`wirescope.hasSessions`, `hasLiveSession`, `hasSendableSession`, `hasPingableSession`).
 */
import * as vscode from 'vscode';
import type { SessionManager } from './sessionManager';

export class SessionStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly sub: { dispose(): void };

  constructor(private readonly manager: SessionManager) {
    this.item = vscode.window.createStatusBarItem('wirescope.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Wirescope sessions';
    this.item.command = 'wirescope.openInspector';
    this.sub = manager.onDidChangeSessions(() => this.update());
    this.update();
  }

  private update(): void {
    const all = this.manager.list();
    const live = all.filter((m) => !m.session.ended);
    void vscode.commands.executeCommand('setContext', 'wirescope.hasSessions', all.length > 0);
    void vscode.commands.executeCommand('setContext', 'wirescope.hasLiveSession', live.length > 0);
    void vscode.commands.executeCommand('setContext', 'wirescope.hasEndedSession', live.length < all.length);
    void vscode.commands.executeCommand('setContext', 'wirescope.hasSendableSession', live.some((m) => m.session.canSend));
    void vscode.commands.executeCommand('setContext', 'wirescope.hasPingableSession', live.some((m) => m.session.canPing));
    if (all.length === 0) {
      this.item.hide();
      return;
    }
    const byState = new Map<string, number>();
    for (const m of live) byState.set(m.session.state, (byState.get(m.session.state) ?? 0) + 1);
    const reconnecting = byState.get('reconnecting') ?? 0;
    const icon = reconnecting ? '$(sync~spin)' : live.length ? '$(pulse)' : '$(debug-disconnect)';
    this.item.text = `${icon} Wirescope ${live.length ? [...byState].map(([s, n]) => `${n} ${s}`).join(', ') : 'idle'}`;
    const tip = new vscode.MarkdownString(undefined, false);
    tip.appendText(all.slice(-10).reverse().map((m) => `${m.name} — ${m.pattern} — ${m.session.state}`).join('\n'));
    this.item.tooltip = tip;
    this.item.accessibilityInformation = { label: `Wirescope: ${live.length} live sessions` };
    this.item.backgroundColor = reconnecting ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
