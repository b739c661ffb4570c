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
  } finally {
    await h.stop();
  }
}
