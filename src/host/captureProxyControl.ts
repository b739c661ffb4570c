/**
 * "Start Capture Proxy…": asks for the target (a URL, or a saved profile's origin), starts a proxy
 * session through the SessionManager (so the inspector, exports, caps and disk capture treat it as
 * any session), shows the proxy URL with a copy button, and breaks one live connection on request
 * ("Cut this connection" from the Sessions tree or the inspector).
 */
import * as vscode from 'vscode';
import { checkUrl } from '../core/errors';
import type { ProxyFault } from '../core/proxy/captureProxy';
import type { Profile } from '../shared/profile';
import type { WireEvent } from '../shared/events';
import type { HostServices } from './services';
import { sessionArg } from './commandArgs';
import { showInspectorFor } from './inspectorPlacement';
import { isProxyConn } from './proxyTree';
import type { ManagedSession } from './sessionManager';

/** The origin a profile's URL points at, as an http(s) proxy target (ws -> http, wss -> https). */
export function targetOfProfile(p: Profile): string | undefined {
  try {
    const u = new URL(p.url);
    const scheme = u.protocol === 'ws:' ? 'http:' : u.protocol === 'wss:' ? 'https:' : u.protocol;
    if (scheme !== 'http:' && scheme !== 'https:') return undefined;
    return `${scheme}//${u.host}`;
  } catch {
    return undefined;
  }
}

/** Where a Cut/Stall request points: a session and one of its connections. */
export interface ProxyConnectionRef {
  sessionId: string;
  conn: string;
}

export class CaptureProxyControl {
  constructor(private readonly h: HostServices) {}

  /** Ask for the target, start the proxy, reveal the inspector and show the URL. */
  async start(arg?: unknown): Promise<ManagedSession | undefined> {
    let target = typeof arg === 'string' ? arg : undefined;
    let insecure = false;
    if (!target) {
      const picks: Array<vscode.QuickPickItem & { target?: string; insecure?: boolean }> = [
        { label: '$(link) Enter a target URL…', description: 'http://127.0.0.1:3000', alwaysShow: true },
      ];
      for (const sp of this.h.store.all()) {
        const t = targetOfProfile(sp.profile);
        if (t) picks.push({ label: sp.profile.name, description: t, detail: `${sp.profile.pattern} profile`, target: t, insecure: sp.profile.tls?.insecure === true });
      }
      const picked = picks.length === 1 ? picks[0] : await vscode.window.showQuickPick(picks, { title: 'Wirescope: Start Capture Proxy', placeHolder: 'The backend your app talks to (a URL, or the origin of a profile)', matchOnDescription: true });
      if (!picked) return undefined;
      target = picked.target;
      insecure = picked.insecure === true;
      if (!target) {
        target = await vscode.window.showInputBox({
          title: 'Wirescope: Start Capture Proxy',
          prompt: 'Target backend URL: the proxy listens on 127.0.0.1 and forwards everything there',
          value: 'http://127.0.0.1:3000',
          validateInput: (v) => checkUrl(v.trim(), ['http', 'https']),
          ignoreFocusOut: true,
        });
        if (!target) return undefined;
        target = target.trim();
      }
    }
    const problem = checkUrl(target, ['http', 'https']);
    if (problem) throw new Error(problem);
    const name = `Capture proxy → ${new URL(target).host}`;
    const profile: Profile = { name, pattern: 'proxy', url: target };
    const m = await this.h.manager.start({
      options: { pattern: 'proxy', url: target, proxy: {}, ...(insecure ? { tls: { insecure: true } } : {}) },
      name,
      profile,
    });
    const opened = await waitForOpen(m);
    await showInspectorFor(this.h.inspector(), this.h.manager, m);
    if (opened?.url) {
      const url = opened.url;
      void vscode.window.showInformationMessage(`Wirescope: capture proxy for ${new URL(target).host} listening at ${url} — point your app or browser there.`, 'Copy URL', 'Open in Browser').then(async (pick) => {
        if (pick === 'Copy URL') await vscode.env.clipboard.writeText(url);
        else if (pick === 'Open in Browser') await vscode.env.openExternal(vscode.Uri.parse(url));
      });
    }
    return m;
  }

  /** Copy a proxy session's URL. */
  async copyUrl(m: ManagedSession): Promise<void> {
    const url = proxyUrlOf(m);
    if (!url) throw new Error('This proxy is not listening');
    await vscode.env.clipboard.writeText(url);
    void vscode.window.showInformationMessage(`Wirescope: copied ${url}`);
  }

  /** Inject a fault on one live connection of a proxy session. */
  inject(ref: ProxyConnectionRef, fault: ProxyFault): void {
    const m = this.h.manager.get(ref.sessionId);
    const proxy = m?.session.proxy;
    if (!m || !proxy || m.session.ended) throw new Error('That capture proxy is not running');
    const n = proxy.inject(ref.conn, fault);
    if (n === 0) throw new Error(`Connection ${ref.conn} is already closed`);
    this.h.log.info(`capture proxy ${m.id}: ${fault.type} on ${ref.conn}`);
  }
}

/** The URL a proxy session listens at (from its open state), when it opened. */
export function proxyUrlOf(m: ManagedSession): string | undefined {
  const open = m.log.timeline().find((e) => e.kind === 'state' && e.state === 'open');
  return open && open.kind === 'state' ? open.url : undefined;
}

/** The session's open state (or undefined when it failed first), bounded in time. */
function waitForOpen(m: ManagedSession): Promise<Extract<WireEvent, { kind: 'state' }> | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (e: Extract<WireEvent, { kind: 'state' }> | undefined) => {
      if (done) return;
      done = true;
      sub.dispose();
      clearTimeout(timer);
      resolve(e);
    };
    const sub = m.session.onEvent((e) => {
      if (e.kind === 'state' && e.state === 'open') finish(e);
      else if (e.kind === 'summary') finish(undefined);
    });
    const timer = setTimeout(() => finish(undefined), 15_000);
    if (m.session.state === 'open' || m.session.ended) {
      // Opened before we subscribed: read it from the log.
      const found = m.log.timeline().find((e) => e.kind === 'state' && e.state === 'open');
      finish(found && found.kind === 'state' ? found : undefined);
    }
  });
}

/**
 * The capture proxy's commands: start, copy its URL, and faults on one connection (from a
 * connection row of the Sessions tree, or `{ sessionId, conn }` from the inspector).
 */
export function registerProxyCommands(h: HostServices, proxy: CaptureProxyControl, cmd: (id: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable): vscode.Disposable[] {
  const ref = (arg: unknown): ProxyConnectionRef => {
    if (isProxyConn(arg)) return { sessionId: arg.session.id, conn: arg.info.id };
    const a = arg as Partial<ProxyConnectionRef> | undefined;
    if (a && typeof a.sessionId === 'string' && typeof a.conn === 'string') return { sessionId: a.sessionId, conn: a.conn };
    throw new Error('Pick a connection of a running capture proxy in the Sessions view');
  };
  return [
    cmd('wirescope.startCaptureProxy', (arg) => proxy.start(arg)),
    cmd('wirescope.copyProxyUrl', async (arg) => {
      const m = await sessionArg(h.manager, arg, 'Copy Proxy URL', (s) => s.pattern === 'proxy' && !s.session.ended);
      if (m) await proxy.copyUrl(m);
    }),
    cmd('wirescope.proxyCutConnection', (arg) => proxy.inject(ref(arg), { type: 'cut' })),
    cmd('wirescope.proxyStallConnection', (arg) => proxy.inject(ref(arg), { type: 'stall' })),
    cmd('wirescope.proxyResumeConnection', (arg) => proxy.inject(ref(arg), { type: 'resume' })),
  ];
}
