/**
 * UI under load (issue 7, target 3): the real webview bundle in headless Chromium, fed through the
 * real protocol by the webview tests' fake host at 50k frames/s for 10 s; long tasks, heap, and
 * time to show rows after jumping to random points of 1M rows. Uses test/webview/loadProbe.ts.
 */
import { existsSync } from 'node:fs';
import type { BenchContext } from './lib';

const CHROMIUM = '/usr/bin/chromium';

export async function benchUi(ctx: BenchContext): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    ctx.log(`  ${CHROMIUM} not found; skipped`);
    return;
  }
  const { Harness } = await import('../test/webview/harness');
  const { measureUiUnderLoad } = await import('../test/webview/loadProbe');
  const seconds = ctx.quick ? 3 : 10;
  ctx.log(`  feeding the inspector 50k frames/s for ${seconds} s, then jumping around 1M rows ...`);
  const h = await Harness.start();
  try {
    const r = await measureUiUnderLoad(h, { rate: 50_000, seconds, scrollRows: 1_000_000, probes: ctx.quick ? 8 : 20 });
    if (!r.observerWorks) ctx.log('  warning: the long-task observer did not see a deliberate 80 ms task; the long-task figure is not trustworthy');
    ctx.add({
      id: 'ui.longestTask',
      what: `UI longest main-thread task at 50k frames/s for ${seconds} s (${r.longTasks} long tasks)`,
      value: Math.round(r.longestTaskMs),
      unit: 'ms',
      target: 'no task > 50 ms',
      met: r.observerWorks && r.longestTaskMs <= 50,
      note: `fed ${r.fedRows} rows, list shows ${r.shownTotal}; DOM rows ${r.domRows}, nodes ${r.domNodes}`,
    });
    const growth = Math.round((r.heapAfterMb - r.heapBeforeMb) * 10) / 10;
    ctx.add({
      id: 'ui.heapGrowth',
      what: `UI JS heap growth over the feed (${r.heapBeforeMb} -> ${r.heapAfterMb} MB)`,
      value: growth,
      unit: 'MB',
      target: 'flat (< 5 MB)',
      met: growth < 5,
    });
    ctx.add({
      id: 'ui.scroll',
      what: `UI rows shown after a jump in 1M rows (median; ${r.scroll.found}/${r.scroll.probes} found)`,
      value: r.scroll.medianMs,
      unit: 'ms',
      target: '< 100 ms (max too)',
      met: r.scroll.found === r.scroll.probes && r.scroll.maxMs < 100,
      note: `max ${r.scroll.maxMs} ms`,
    });
    // The same load end to end through the real host (engine session, SessionLog, InspectorEndpoint).
    const { measureRealHostUi } = await import('./uiHost');
    ctx.log(`  end to end: a WebSocket feed at 50k msg/s for ${seconds} s through the real host into the page ...`);
    const e2e = await measureRealHostUi(h, ctx.feed.httpPort, 50_000, seconds);
    const keptUp = e2e.recorded >= 50_000 * seconds && e2e.shown >= e2e.recorded;
    ctx.add({
      id: 'ui.host.longestTask',
      what: `UI via the real host: longest page task (${e2e.longTasks} long tasks)`,
      value: e2e.longestTaskMs,
      unit: 'ms',
      target: 'no task > 50 ms',
      met: e2e.longestTaskMs <= 50,
      note: `recorded ${e2e.recorded} frames, page shows ${e2e.shown} rows ${e2e.catchUpMs} ms after the last one; ${e2e.posts} host->page posts; ${e2e.activitySnapshots} activity snapshots drawn by the strip; host event-loop delay p99 ${e2e.hostLoopP99Ms} ms, max ${e2e.hostLoopMaxMs} ms; page heap ${e2e.heapBeforeMb} -> ${e2e.heapAfterMb} MB`,
    });
    ctx.add({
      id: 'ui.host.keepsUp',
      what: 'UI via the real host: page shows every recorded frame (catch-up after the feed)',
      value: e2e.catchUpMs,
      unit: 'ms',
      target: 'all shown',
      met: keptUp,
    });
    ctx.add({
      id: 'ui.host.heapGrowth',
      what: `UI via the real host: page heap growth (${e2e.heapBeforeMb} -> ${e2e.heapAfterMb} MB)`,
      value: Math.round((e2e.heapAfterMb - e2e.heapBeforeMb) * 10) / 10,
      unit: 'MB',
      target: 'flat (< 5 MB)',
      met: e2e.heapAfterMb - e2e.heapBeforeMb < 5,
    });
  } finally {
    await h.stop();
  }
}
