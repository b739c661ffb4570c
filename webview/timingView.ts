/**
 * Timing tab: a waterfall of dns/connect/tls/ttfb/download per timing event, and live rates
 * (msgs/s, bytes/s, inter-arrival) from the stats of each DidAppend.
 */
import type { TimingEvent, WireEvent } from '../src/shared/events';
import type { LogStats } from '../src/shared/protocol';
import { formatMs, formatRate, formatSize, reveal } from './format';
import { h, kvTable } from './ui/dom';

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'download'] as const;
/** Waterfall rows shown; older timing events are summarized by count. */
const MAX_WATERFALL_ROWS = 200;

/** The Timing tab content (#timing). */
export class TimingView {
  readonly element: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly waterfall: HTMLElement;

  constructor() {
    this.stats = h('div', { id: 'timing-stats', cls: 'stats-grid', attrs: { 'aria-live': 'off' } });
    this.waterfall = h('div', { id: 'timing-waterfall', cls: 'waterfall', role: 'list', attrs: { 'aria-label': 'Request timing waterfall' } });
    const legend = h('div', { cls: 'legend', attrs: { 'aria-hidden': 'true' } }, ...PHASES.map((p) => h('span', { cls: `legend-item phase-${p}`, text: p })));
    this.element = h('div', { id: 'timing', cls: 'tab-content' }, h('h4', { text: 'Live' }), this.stats, h('h4', { text: 'Waterfall' }), legend, this.waterfall);
    this.setStats(null);
    this.setEvents([]);
  }

  /** Update the live figures. */
  setStats(s: LogStats | null): void {
    const rows: Array<[string, string]> = s
      ? [
          ['msgs/s', formatRate(s.msgsPerSec)],
          ['bytes/s', `${formatSize(Math.round(s.bytesPerSec))}/s`],
          ['inter-arrival', formatMs(s.interArrivalMs)],
          ['frames in / out', `${s.framesIn} / ${s.framesOut}`],
          ['bytes in / out', `${formatSize(s.bytesIn)} / ${formatSize(s.bytesOut)}`],
          ['reconnects', String(s.reconnects)],
          ['anomalies', String(s.anomalies)],
          ['events kept / dropped', `${s.events} / ${s.dropped}`],
        ]
      : [['msgs/s', '–'], ['bytes/s', '–'], ['inter-arrival', '–']];
    // Rewriting eight cells is cheap; the rows are ours, not the log's.
    this.stats.replaceChildren(kvTable('timing-stats-table', rows));
  }

  /** Draw the waterfall from the timing events of the timeline. */
  setEvents(events: WireEvent[]): void {
    const timings = events.filter((e): e is TimingEvent => e.kind === 'timing');
    if (timings.length === 0) {
      this.waterfall.replaceChildren(h('p', { id: 'timing-empty', cls: 'muted', text: 'No request or handshake timings yet.' }));
      return;
    }
    const shown = timings.slice(-MAX_WATERFALL_ROWS);
    const scale = Math.max(...shown.map((e) => e.phases.total), 0.001);
    const rows: Node[] = [];
    if (timings.length > shown.length) rows.push(h('p', { cls: 'muted', text: `${timings.length - shown.length} older timings not shown` }));
    for (const e of shown) {
      const bar = h('div', { cls: 'wf-bar' });
      let offset = 0;
      const numbers: string[] = [];
      for (const p of PHASES) {
        const v = e.phases[p];
        if (v === null || !(v >= 0)) continue;
        const seg = h('span', { cls: `wf-seg phase-${p}`, title: `${p} ${formatMs(v)}` });
        seg.style.left = `${(offset / scale) * 100}%`;
        seg.style.width = `${Math.max((v / scale) * 100, 0.3)}%`;
        bar.append(seg);
        offset += v;
        numbers.push(`${p} ${formatMs(v)}`);
      }
      const label = typeof e.meta?.url === 'string' ? `#${e.seq} ${reveal(e.meta.url)}` : `#${e.seq} @ ${formatMs(e.t)}`;
      rows.push(
        h('div', { cls: 'wf-row', role: 'listitem', attrs: { 'data-seq': String(e.seq) } },
          h('div', { cls: 'wf-label', text: label }),
          bar,
          h('div', { cls: 'wf-numbers', text: `${numbers.join(' · ')} · total ${formatMs(e.phases.total)}` }),
        ),
      );
    }
    this.waterfall.replaceChildren(...rows);
  }
}
