/**
 * The inspector end to end: a WebSocket feed at a fixed rate -> the engine session -> the host's
 * SessionManager and SessionLog -> the InspectorEndpoint (validation, batching) -> the real webview
 * bundle in headless Chromium. Only VS Code is replaced, by a bridge between the page and this
 * process. Measures the page's long tasks and heap, whether it keeps up, and the host's event loop.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import type { Disposable } from '../src/core/emitter';
import { InspectorEndpoint, type InspectorBackend, type WebviewLike } from '../src/host/inspectorEndpoint';
import { sessionManagerBackend } from '../src/host/inspectorBackend';
import { SessionManager } from '../src/host/sessionManager';
import { postToPage, type Harness } from '../test/webview/harness';
import { sleep } from './lib';

export interface RealHostUiResult {
  rate: number;
  seconds: number;
  /** Frames the session recorded, and the row count the page shows at the end. */
  recorded: number;
  shown: number;
  /** From the last frame recorded to the page showing it. */
  catchUpMs: number;
  longTasks: number;
  longestTaskMs: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  /** Host -> page messages over the feed. */
  posts: number;
  /** Activity snapshots the page asked for and got (the header's activity strip redraws from each). */
  activitySnapshots: number;
  /** The host process's event-loop delay during the feed. */
  hostLoopP99Ms: number;
  hostLoopMaxMs: number;
}

/** The page at the other end of the bridge, standing in for VS Code's webview. */
class BridgedWebview implements WebviewLike {
  visible = true;
  page: Page | undefined;
  posted = 0;
  private listener: ((m: unknown) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  postMessage(m: unknown): Promise<boolean> {
    this.posted++;
    const page = this.page;
    const p = this.chain.then(() => (page ? postToPage(page, m) : false));
    this.chain = p;
    return p;
  }
  onDidReceiveMessage(l: (m: unknown) => void): Disposable {
    this.listener = l;
    return { dispose: () => (this.listener = undefined) };
  }
  fromPage(m: unknown): void {
    this.listener?.(m);
  }
}

function backendOf(manager: SessionManager, counts: { activity: number }): InspectorBackend {
  const ignore = () => undefined;
  const backend = sessionManagerBackend(manager, { exportLog: ignore, copy: ignore, saveTemplate: ignore, batchIntervalMs: () => 30 });
  const activity = backend.activity;
  // Count the snapshots served: proof that the page drew its activity strip during the run.
  if (activity) backend.activity = (id) => {
    const snap = activity(id);
    if (snap) counts.activity++;
    return snap;
  };
  return backend;
}

interface PageProbe {
  __benchLongTasks: number[];
}

export async function measureRealHostUi(h: Harness, feedPort: number, rate: number, seconds: number): Promise<RealHostUiResult> {
  const manager = new SessionManager();
  const webview = new BridgedWebview();
  const counts = { activity: 0 };
  const endpoint = new InspectorEndpoint(webview, backendOf(manager, counts), { view: 'sidebar' });
  const url = `ws://127.0.0.1:${feedPort}/ws-rate?rate=${rate}&seconds=${seconds}&size=100`;
  const managed = await manager.start({ options: { pattern: 'ws', url }, name: 'load', profile: { name: 'load', pattern: 'ws', url } });
  const p = await h.openBridged(
    (msg) => webview.fromPage(msg),
    (page) => (webview.page = page),
    { height: 900 },
  );
  const loop = monitorEventLoopDelay({ resolution: 5 });
  try {
    const { page } = p;
    await page.waitForFunction(() => document.querySelector('#session-state')?.textContent === 'open', undefined, { timeout: 10_000 });
    await page.evaluate(() => {
      const w = window as unknown as PageProbe;
      w.__benchLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__benchLongTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: false });
    });
    const cdp = await page.context().newCDPSession(page);
    const heapMb = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const u = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      return Math.round((u.usedSize / 1024 / 1024) * 10) / 10;
    };
    const heapBeforeMb = await heapMb();
    const postsBefore = webview.posted;
    const expected = rate * seconds;
    const framesIn = () => managed.log.stats().framesIn;
    const baseIn = framesIn();
    loop.enable();
    await manager.send(managed.id, 'go', 'text');
    const until = performance.now() + (seconds + 20) * 1000;
    while (framesIn() - baseIn < expected && performance.now() < until) await sleep(50);
    loop.disable();
    const recordedAt = performance.now();
    const recorded = framesIn() - baseIn;
    // The page has caught up when its list counts every event the host's view holds.
    const total = () => Number(managed.log.size);
    let shown = 0;
    while (performance.now() - recordedAt < 10_000) {
      shown = Number(await page.getAttribute('#frame-log', 'aria-rowcount'));
      if (shown >= total()) break;
      await sleep(20);
    }
    const catchUpMs = Math.round(performance.now() - recordedAt);
    const posts = webview.posted - postsBefore;
    await sleep(300);
    const heapAfterMb = await heapMb();
    const tasks = await page.evaluate(() => (window as unknown as PageProbe).__benchLongTasks.slice());
    return {
      rate,
      seconds,
      recorded,
      shown,
      catchUpMs,
      longTasks: tasks.length,
      longestTaskMs: tasks.length ? Math.round(Math.max(...tasks)) : 0,
      heapBeforeMb,
      heapAfterMb,
      posts,
      activitySnapshots: counts.activity,
      hostLoopP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
      hostLoopMaxMs: Math.round(loop.max / 1e5) / 10,
    };
  } finally {
    loop.disable();
    await p.close();
    endpoint.dispose();
    await manager.dispose();
  }
}
