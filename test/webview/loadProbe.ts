// The inspector under load, through the real protocol: a fake host feeds a synthetic session at a
// given rate in batches (like the extension host), and the probe records main-thread long tasks,
// webview heap, DOM size, and how fast a scroll to any point of a huge log shows its rows.
// Tests call it briefly and check correctness only; run this file directly for the full
// measurement (issue 7, §3): node --import tsx test/webview/loadProbe.ts [rate] [seconds] [rows]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, session } from './harness';

export interface UiLoadResult {
  rate: number;
  seconds: number;
  batchMs: number;
  /** Rows the host appended, and the total the webview's list reports. */
  fedRows: number;
  shownTotal: number;
  /** The long-task observer saw a deliberate 80 ms task (so zero long tasks is a real zero). */
  observerWorks: boolean;
  longTasks: number;
  longestTaskMs: number;
  /** JS heap after GC, before and after the feed, MB. */
  heapBeforeMb: number;
  heapAfterMb: number;
  domRows: number;
  domNodes: number;
  scroll: { rows: number; probes: number; found: number; medianMs: number; maxMs: number };
}

// Plain JavaScript, evaluated in the page as a string: the test runner's transpiler would add
// helpers to a serialized TypeScript function that do not exist in the page.
const SCROLL_PROBE = `async function (total, count) {
  const scroller = document.getElementById('frame-log');
  const out = [];
  for (let k = 0; k < count; k++) {
    const fraction = ((k * 7919) % count) / count + 0.5 / count;
    const start = performance.now();
    scroller.scrollTop = fraction * (scroller.scrollHeight - scroller.clientHeight);
    const target = Math.floor(fraction * total);
    // Poll on animation frames until a row near the target has data; give up after 2 s.
    const found = await new Promise((resolve) => {
      const check = () => {
        const seqs = [...scroller.querySelectorAll('.row[data-seq]:not([hidden])')].map((r) => Number(r.dataset.seq));
        if (seqs.some((s) => Math.abs(s - target) < 200)) return resolve(true);
        if (performance.now() - start > 2000) return resolve(false);
        requestAnimationFrame(check);
      };
      check();
    });
    out.push(found ? performance.now() - start : -1);
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}`;

interface HostApi {
  __host: { feed(s: string, r: number, sec: number, b: number): Promise<number>; grow(s: string, n: number): void; syntheticCount(s: string): number; requests(m: string): unknown[] };
  __longTasks: number[];
}

/** Feed the inspector and measure; see the file comment. */
export async function measureUiUnderLoad(h: Harness, o: { rate: number; seconds: number; batchMs?: number; scrollRows: number; probes?: number }): Promise<UiLoadResult> {
  const batchMs = o.batchMs ?? 20;
  const p = await h.open({ sessions: [session('load', { name: 'Load' })], synthetic: { load: 0 } }, { height: 900 });
  try {
    const { page } = p;
    await page.waitForFunction(() => (window as unknown as HostApi).__host.requests('log/setFilter').length > 0);
    await page.waitForTimeout(100);
    await page.evaluate(() => {
      const w = window as unknown as HostApi;
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: false });
    });
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const u = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      return u.usedSize / 1024 / 1024;
    };
    const heapBeforeMb = await heap();
    const fedRows = await page.evaluate(([r, s, b]) => (window as unknown as HostApi).__host.feed('load', r, s, b), [o.rate, o.seconds, batchMs] as const);
    await page.waitForFunction((n) => document.getElementById('frame-log')?.getAttribute('aria-rowcount') === String(n), fedRows, { timeout: 10_000 });
    await page.waitForTimeout(200);
    const heapAfterMb = await heap();
    const tasks = await page.evaluate(() => (window as unknown as HostApi).__longTasks.slice());
    // Self-check: a deliberate 80 ms task must be seen, or the long-task figure means nothing.
    // (Run from a page timer: a task started by the test driver is not attributed to the page.)
    await page.evaluate(`setTimeout(() => { const end = performance.now() + 80; while (performance.now() < end); }, 0)`);
    await page.waitForTimeout(300);
    const observerWorks = await page.evaluate((n) => (window as unknown as HostApi).__longTasks.length > n, tasks.length);
    const dom = await page.evaluate(() => ({ rows: document.querySelectorAll('#frame-log .row').length, nodes: document.getElementsByTagName('*').length }));
    const shownTotal = Number(await page.getAttribute('#frame-log', 'aria-rowcount'));

    // Grow to a huge log, then jump around it.
    await page.evaluate((n) => {
      const host = (window as unknown as HostApi).__host;
      host.grow('load', n - host.syntheticCount('load'));
    }, o.scrollRows);
    await page.waitForFunction((n) => document.getElementById('frame-log')?.getAttribute('aria-rowcount') === String(n), o.scrollRows);
    const probes = o.probes ?? 20;
    const times = (await page.evaluate(`(${SCROLL_PROBE})(${o.scrollRows}, ${probes})`)) as number[];
    const ok = times.filter((t) => t >= 0).sort((a, b) => a - b);
    await p.close();
    return {
      rate: o.rate,
      seconds: o.seconds,
      batchMs,
      fedRows,
      shownTotal,
      observerWorks,
      longTasks: tasks.length,
      longestTaskMs: tasks.length ? Math.max(...tasks) : 0,
      heapBeforeMb: Math.round(heapBeforeMb * 10) / 10,
      heapAfterMb: Math.round(heapAfterMb * 10) / 10,
      domRows: dom.rows,
      domNodes: dom.nodes,
      scroll: {
        rows: o.scrollRows,
        probes,
        found: ok.length,
        medianMs: ok.length ? Math.round(ok[Math.floor(ok.length / 2)]) : -1,
        maxMs: ok.length ? Math.round(ok[ok.length - 1]) : -1,
      },
    };
  } catch (err) {
    await p.close();
    throw err;
  }
}

async function main(): Promise<void> {
  const [rate = 50_000, seconds = 10, rows = 1_000_000] = process.argv.slice(2).map(Number);
  const h = await Harness.start();
  try {
    const r = await measureUiUnderLoad(h, { rate, seconds, scrollRows: rows });
    console.log(JSON.stringify(r, null, 2));
    const dir = join(import.meta.dirname, '..', '..', 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'webview-load.json'), JSON.stringify(r, null, 2) + '\n');
  } finally {
    await h.stop();
  }
}

if (process.argv[1]?.endsWith('loadProbe.ts')) void main();
