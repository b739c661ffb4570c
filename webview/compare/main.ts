/**
 * The pattern-race report: the measured table, a latency distribution per session (CDF), bytes and
 * requests per message as bars, and a timeline of arrivals (missed and late visible), with exports
 * and each session's inspector one click away. Everything is built with DOM and SVG nodes and
 * `textContent`: server data is never parsed as HTML.
 */
import type { RaceResult, SessionResult } from '../../src/shared/compare';
import { messageRate, raceColumns, raceHeadline, raceNotes } from '../../src/shared/compareFormat';
import { ExportReport, HostToCompareMessages, OpenInspector, ReportReady } from '../../src/shared/compareProtocol';
import { flatMessage, flatNoteDispatcher, type CommandType, type ParamsOf } from '../../src/shared/typedProtocol';

interface VsCodeApi {
  postMessage(msg: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
/** Post a page -> host message, typed by its descriptor (src/shared/compareProtocol.ts). */
const post = <D extends CommandType<unknown>>(d: D, params: ParamsOf<D>) => vscode.postMessage(flatMessage(d, params));
const SVG = 'http://www.w3.org/2000/svg';
/** One color per session, distinguishable on dark and light themes. */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

function svg(tag: string, attrs: Record<string, string | number> = {}, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function swatch(color: string): SVGElement {
  const s = svg('svg', { width: 12, height: 12, class: 'swatch-svg', 'aria-hidden': 'true' });
  s.append(svg('rect', { x: 0, y: 1, width: 10, height: 10, rx: 2, fill: color }));
  return s;
}

const app = document.getElementById('app')!;

function show(...nodes: Node[]): void {
  app.replaceChildren(...nodes);
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Columns shown in the wire table below the main one (the main table keeps the essay's headings readable). */
const WIRE_COLUMNS = new Set(['requests', 'conns', 'bytes in', 'bytes out', 'recv']);

function table(r: RaceResult, inspectable: Set<string>, which: 'main' | 'wire'): HTMLElement {
  const all = raceColumns(r);
  const cols = all.filter((c, k) => k === 0 || (which === 'wire' ? WIRE_COLUMNS.has(c.title) : !WIRE_COLUMNS.has(c.title)));
  const groups: Array<{ name: string; span: number }> = [];
  for (const c of cols) {
    const last = groups[groups.length - 1];
    if (last && last.name === c.group && c.group !== '') last.span++;
    else groups.push({ name: c.group, span: 1 });
  }
  const main = which === 'main';
  const groupRow = el('tr', {}, ...groups.map((g) => el('th', { colspan: String(g.span), class: 'group' }, g.name)), ...(main ? [el('th', {}, '')] : []));
  const headRow = el('tr', {}, ...cols.map((c) => el('th', { class: c.right ? 'num' : '', scope: 'col' }, c.title || c.group)), ...(main ? [el('th', { scope: 'col' }, 'inspector')] : []));
  const body = el('tbody');
  r.sessions.forEach((s, i) => {
    const cells = cols.map((c, k) => {
      const td = el('td', { class: c.right ? 'num' : '' }, c.value(s));
      if (k === 0) td.prepend(swatch(PALETTE[i % PALETTE.length]));
      return td;
    });
    if (main) {
      const open = el('button', { class: 'link', type: 'button', title: `Open the inspector of ${s.name}` }, 'open');
      open.addEventListener('click', () => post(OpenInspector, { name: s.name }));
      if (!inspectable.has(s.name)) open.setAttribute('disabled', '');
      cells.push(el('td', {}, open));
    }
    body.append(el('tr', { 'data-session': s.name }, ...cells));
  });
  const t = el('table', { class: main ? 'race' : 'race wire', 'aria-label': main ? 'Pattern race results' : 'Requests, connections and bytes on the wire' }, el('thead', {}, groupRow, headRow), body);
  return el('div', { class: 'table-wrap' }, t);
}

function legend(r: RaceResult): HTMLElement {
  return el('div', { class: 'legend' }, ...r.sessions.map((s, i) => el('span', {}, swatch(PALETTE[i % PALETTE.length]), s.name)));
}

/** Latency CDF: for each session, the share of its messages delivered within x ms. */
function latencyCdf(r: RaceResult): HTMLElement {
  const W = 460;
  const H = 240;
  const L = 44;
  const B = 30;
  const series = r.sessions.map((s, i) => {
    const lat = r.arrivals[i].filter((a) => !a.dup && a.pub !== null).map((a) => a.t - (a.pub as number)).sort((a, b) => a - b);
    return { s, i, lat };
  });
  const all = series.flatMap((x) => x.lat);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Latency distribution per session' });
  if (all.length === 0) {
    root.append(svg('text', { x: 10, y: 20 }, 'No latencies: the race had no --timestamp-field, or no messages.'));
    return el('figure', { class: 'chart', id: 'latency-cdf' }, root);
  }
  // Log scale from 0.1 ms: loopback pushes and second-long polls fit on one axis.
  const lo = 0.1;
  const hi = niceMax(Math.max(...all, 1));
  const x = (v: number) => L + ((Math.log10(Math.max(lo, v)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - L - 10);
  const y = (f: number) => H - B - f * (H - B - 10);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    root.append(svg('line', { x1: x(d), x2: x(d), y1: 10, y2: H - B, class: 'grid' }));
    root.append(svg('text', { x: x(d), y: H - B + 14, 'text-anchor': d * 10 > hi * 1.0001 ? 'end' : 'middle' }, d < 1 ? d.toFixed(1) : String(Math.round(d))));
  }
  for (const f of [0, 0.5, 0.95, 1]) {
    root.append(svg('line', { x1: L, x2: W - 10, y1: y(f), y2: y(f), class: 'grid' }));
    if (f !== 1) root.append(svg('text', { x: L - 4, y: y(f) + 4, 'text-anchor': 'end' }, `${Math.round(f * 100)}%`));
  }
  root.append(svg('text', { x: (L + W) / 2, y: H - 4, 'text-anchor': 'middle' }, 'latency, ms (log scale)'));
  for (const { i, lat, s } of series) {
    if (lat.length === 0) continue;
    let d = `M ${x(lat[0]).toFixed(1)} ${y(0).toFixed(1)}`;
    lat.forEach((v, k) => {
      d += ` L ${x(v).toFixed(1)} ${y(k / lat.length).toFixed(1)} L ${x(v).toFixed(1)} ${y((k + 1) / lat.length).toFixed(1)}`;
    });
    const path = svg('path', { d, fill: 'none', stroke: PALETTE[i % PALETTE.length], 'stroke-width': 2, 'data-session': s.name });
    path.append(svg('title', {}, `${s.name}: p50 ${s.latencyMs?.p50 ?? '—'} ms, p95 ${s.latencyMs?.p95 ?? '—'} ms`));
    root.append(path);
  }
  return el('figure', { class: 'chart', id: 'latency-cdf' }, root, legend(r), el('figcaption', { class: 'muted' }, 'Share of each session\'s messages delivered within a latency (publish to receipt).'));
}

/** Horizontal bars of one per-message number. */
function bars(r: RaceResult, id: string, title: string, value: (s: SessionResult) => number | null, unit: string): HTMLElement {
  const rowH = 22;
  const L = 110;
  const W = 460;
  const H = r.sessions.length * rowH + 26;
  const vals = r.sessions.map(value);
  const max = niceMax(Math.max(0, ...vals.map((v) => v ?? 0)));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': title });
  r.sessions.forEach((s, i) => {
    const v = vals[i];
    const yy = i * rowH + 4;
    root.append(svg('text', { x: L - 6, y: yy + 13, 'text-anchor': 'end' }, s.name.length > 16 ? s.name.slice(0, 15) + '…' : s.name));
    if (v === null) {
      root.append(svg('text', { x: L + 4, y: yy + 13, class: 'muted' }, 'not measured'));
      return;
    }
    const w = Math.max(1, (v / max) * (W - L - 70));
    const rect = svg('rect', { x: L, y: yy, width: w.toFixed(1), height: rowH - 6, fill: PALETTE[i % PALETTE.length], 'data-session': s.name });
    rect.append(svg('title', {}, `${s.name}: ${v} ${unit}`));
    root.append(rect, svg('text', { x: L + w + 4, y: yy + 13 }, `${v < 10 ? v.toFixed(2) : Math.round(v)} ${unit}`));
  });
  root.append(svg('line', { x1: L, x2: L, y1: 0, y2: H - 22, class: 'axis' }));
  return el('figure', { class: 'chart', id }, el('div', {}, title), root);
}

/** One row per session: a tick per arrival (late ones taller), a red ring per missed event, the cut. */
function timeline(r: RaceResult): HTMLElement {
  const rowH = 26;
  const L = 110;
  const W = 960;
  const H = r.sessions.length * rowH + 30;
  const span = Math.max(1, r.durationMs);
  const x = (t: number) => L + (Math.min(Math.max(t, 0), span) / span) * (W - L - 10);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Arrivals per session over the race' });
  for (let s = 0; s <= span / 1000; s += Math.max(1, Math.round(span / 10000))) {
    root.append(svg('line', { x1: x(s * 1000), x2: x(s * 1000), y1: 0, y2: H - 24, class: 'grid' }));
    root.append(svg('text', { x: x(s * 1000), y: H - 10, 'text-anchor': 'middle' }, `${s}s`));
  }
  r.sessions.forEach((s, i) => {
    const y0 = i * rowH + 4;
    const color = PALETTE[i % PALETTE.length];
    root.append(svg('text', { x: L - 6, y: y0 + 14, 'text-anchor': 'end' }, s.name.length > 16 ? s.name.slice(0, 15) + '…' : s.name));
    const late = s.latencyMs ? s.latencyMs.p95 : Infinity;
    const g = svg('g', { 'data-session': s.name, class: 'arrivals' });
    for (const a of r.arrivals[i]) {
      const isLate = a.pub !== null && a.t - a.pub > late && late > 0;
      const tick = svg('line', { x1: x(a.t).toFixed(1), x2: x(a.t).toFixed(1), y1: isLate ? y0 : y0 + 5, y2: y0 + 20, stroke: color, 'stroke-width': a.dup ? 1 : 1.5, 'stroke-dasharray': a.dup ? '2 2' : '' });
      tick.append(svg('title', {}, `#${a.id} at ${(a.t / 1000).toFixed(3)} s${a.pub !== null ? `, ${(a.t - a.pub).toFixed(1)} ms after publish` : ''}${a.dup ? ' (again)' : ''}${isLate ? ' (late: over p95)' : ''}`));
      g.append(tick);
    }
    const missed = svg('g', { class: 'missed-marks' });
    for (const m of r.missedIds[i] ?? []) {
      if (m.pub === null) continue;
      const c = svg('circle', { cx: x(m.pub).toFixed(1), cy: y0 + 12, r: 3, class: 'missed' });
      c.append(svg('title', {}, `#${m.id} missed (published at ${(m.pub / 1000).toFixed(3)} s)`));
      missed.append(c);
    }
    root.append(g, missed);
  });
  if (r.fault) root.append(svg('line', { x1: x(r.fault.atMs), x2: x(r.fault.atMs), y1: 0, y2: H - 24, class: 'cut' }));
  const legend = el('div', { class: 'legend muted' }, 'Ticks: arrivals (taller: later than the session\'s p95; dashed: a repeat). Red rings: events other sessions received that this one missed, at their publish time.', r.fault ? ' Dashed line: the cut.' : '');
  return el('figure', { class: 'chart wide', id: 'timeline' }, root, legend);
}

function render(r: RaceResult, machine: string, inspectable: string[]): void {
  const toolbar = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Export' });
  for (const [format, label] of [['markdown', 'Export Markdown'], ['csv', 'Export CSV'], ['json', 'Export JSON']] as const) {
    const b = el('button', { type: 'button', class: 'secondary', 'data-export': format }, label);
    b.addEventListener('click', () => post(ExportReport, { format }));
    toolbar.append(b);
  }
  const notes = raceNotes(r);
  const rates = r.sessions.map((s) => messageRate(s));
  show(
    el(
      'div',
      { class: 'report' },
      el('h1', {}, 'Pattern race'),
      el('div', { class: 'muted', id: 'headline' }, raceHeadline(r)),
      el('div', { class: 'muted' }, `Measured on ${machine}; started ${new Date(r.startedAt).toISOString()}.`),
      toolbar,
      table(r, new Set(inspectable), 'main'),
      notes.length ? el('ul', { class: 'notes muted' }, ...notes.map((n) => el('li', {}, n))) : el('div'),
      el('h2', {}, 'Latency distribution'),
      latencyCdf(r),
      el('h2', {}, 'Cost per message'),
      el('div', { class: 'charts' }, bars(r, 'bytes-per-message', 'Bytes on the wire per message', (s) => s.bytesPerMessage, 'B'), bars(r, 'requests-per-message', 'HTTP requests per message', (s) => s.requestsPerMessage, 'req')),
      el('h2', {}, 'Arrivals'),
      timeline(r),
      el('h2', {}, 'On the wire'),
      table(r, new Set(inspectable), 'wire'),
      el('div', { class: 'muted' }, `Rates (messages/s): ${r.sessions.map((s, i) => `${s.name} ${rates[i] === null ? '—' : rates[i]!.toFixed(1)}`).join(', ')}${r.arrivalsTruncated ? '. The charts show the first 20,000 arrivals per session.' : ''}`),
    ),
  );
}

const onHostMessage = flatNoteDispatcher(HostToCompareMessages, {
  RaceRunning: ({ names, durationMs, machine }) =>
    show(el('div', { class: 'report' }, el('h1', {}, 'Pattern race'), el('div', { class: 'status', role: 'status' }, `Racing ${names.join(', ')} for ${(durationMs / 1000).toFixed(1)} s on ${machine}…`))),
  RaceResultReady: ({ result, machine, inspectable }) => render(result, machine, inspectable),
  RaceFailed: ({ message }) => show(el('div', { class: 'report' }, el('h1', {}, 'Pattern race'), el('div', { class: 'status', role: 'alert' }, message))),
});
window.addEventListener('message', (ev: MessageEvent) => onHostMessage(ev.data));

post(ReportReady, {});
