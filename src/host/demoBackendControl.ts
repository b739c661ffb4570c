/**
 * Start and stop the demo backend inside the extension host. The demo module (and its broker) loads on
 * first start; its profiles come from the one definition in src/demo/demoProfiles.ts. A demo that runs
 * outside (started by `npm start`, which names it in $WIRESCOPE_DEMO_URL) is used instead of a second one:
 * its URLs prefill New Connection, and Start Demo Backend points at it.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { freePort } from '../core/freePort';
import type { Profile } from '../shared/profile';
import type { HostServices } from './services';
import { readSettings } from './settings';

interface RunningDemo {
  close(): Promise<void>;
  urls: Record<string, string | undefined>;
  profiles: Profile[];
}

export class DemoBackendControl implements vscode.Disposable {
  private demo: RunningDemo | undefined;
  private starting: Promise<void> | undefined;

  constructor(private readonly h: HostServices) {}

  /** The running demo's URLs, or undefined. */
  get urls(): Record<string, string | undefined> | undefined {
    return this.demo?.urls;
  }

  /** The running demo's profiles (none when it is not running). */
  get profiles(): readonly Profile[] {
    return this.demo?.profiles ?? [];
  }

  /** The profiles of the demo in use: this window's, else the one `npm start` runs (asked at its index route). */
  async currentProfiles(): Promise<readonly Profile[]> {
    if (this.demo) return this.demo.profiles;
    return (await this.external())?.profiles ?? [];
  }

  /** The demo `npm start` runs, when $WIRESCOPE_DEMO_URL names one that answers. */
  private async external(): Promise<{ index: string; profiles: Profile[] } | undefined> {
    const index = process.env.WIRESCOPE_DEMO_URL;
    if (!index || !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\//.test(index)) return undefined;
    try {
      const res = await fetch(index, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(2000) });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { profiles?: unknown };
      return { index, profiles: Array.isArray(body.profiles) ? (body.profiles as Profile[]) : [] };
    } catch {
      return undefined;
    }
  }

  async start(): Promise<void> {
    if (this.demo) {
      void vscode.window.showInformationMessage(`Wirescope: the demo backend is running at ${this.demo.urls.index}`);
      return;
    }
    const outside = await this.external();
    if (outside) {
      // npm start's demo: its profiles are already in the workspace's .vscode/wirescope.json; no second set.
      this.h.log.info(`demo backend already running at ${outside.index} (npm start); not starting another`);
      void vscode.window.showInformationMessage(`Wirescope: the demo backend started by npm start is running at ${outside.index}; its profiles are in this workspace's Profiles.`);
      return;
    }
    if (this.starting) return this.starting;
    this.starting = (async () => {
      const settings = readSettings(this.h.context);
      const webhookPort = await freePort();
      const { startDemo, demoProfiles } = await import('../demo');
      // The webhook profile checks the demo sender's signatures; both live in this process only.
      const webhookSecret = randomBytes(16).toString('hex');
      const backend = await startDemo({
        host: '127.0.0.1',
        port: settings.demoPort,
        mqttPort: 0,
        grpcPort: 0,
        rate: 2,
        webhookUrl: `http://127.0.0.1:${webhookPort}/hook`,
        webhookSecret,
        onLog: (line) => this.h.log.debug(`demo: ${line}`),
      });
      const u = backend.urls;
      const profiles = demoProfiles(u, { webhookSecret });
      this.demo = { close: () => backend.close(), urls: { ...u }, profiles };
      this.h.store.setDemoProfiles(profiles);
      void vscode.commands.executeCommand('setContext', 'wirescope.demoRunning', true);
      this.h.log.info(`demo backend started: ${Object.entries(u).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      void vscode.window.showInformationMessage(`Wirescope: demo backend running at ${u.index} — its profiles are in the Profiles view.`);
    })();
    try {
      await this.starting;
    } finally {
      this.starting = undefined;
    }
  }

  async stop(): Promise<void> {
    const d = this.demo;
    if (!d) return;
    this.demo = undefined;
    this.h.store.setDemoProfiles([]);
    void vscode.commands.executeCommand('setContext', 'wirescope.demoRunning', false);
    await d.close();
    this.h.log.info('demo backend stopped');
  }

  dispose(): void {
    void this.stop();
  }
}
