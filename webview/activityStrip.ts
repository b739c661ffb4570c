/**
 * The session header's live activity strip, drawn in SVG from the host's aggregates (GetActivity,
 * about once a second; never per event): messages/s and bytes/s in and out as sparklines, the
 * connection state over time as bands with reconnect, anomaly and error markers, and for request
 * patterns the latency p50/p95 with a small distribution. Clicking a moment asks the owner to jump
 * the log there. Colours are theme variables; every text is set as text.
 */
import type { ActivitySnapshot, BandState } from '../src/shared/activity';
import { formatMs, formatRate, formatSize } from './format';
import { h, setText } from './ui/dom';

const SVG = 'http://www.w3.org/2000/svg';
const W = 600;
const SPARK_H = 28;
const BAND_H = 6;
const MARK_H = 7;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, cls?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (cls) el.setAttribute('class', cls);
  return el;
}

/** Points of a sparkline over `values`, scaled to `max`, as an SVG path (area when `close`). */
export function sparkPath(values: number[], max: number, width: number, height: number, close: boolean): string {
  if (values.length === 0) return '';
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v: number) => (height - 1 - (max > 0 ? (v / max) * (height - 2) : 0)).toFixed(1);
  let d = `M0 ${y(values[0])}`;
  for (let i = 1; i < values.length; i++) d += ` L${(i * step).toFixed(1)} ${y(values[i])}`;
  if (values.length === 1) d += ` L${width} ${y(values[0])}`;
  if (close) d += ` L${width} ${height} L0 ${height} Z`;
  return d;
}

const BAND_LABEL: Record<BandState, string> = { connecting: 'connecting', connected: 'connected', reconnecting: 'reconnecting', down: 'down' };

export class ActivityStrip {
  readonly element: HTMLElement;
  private readonly msgs: { svg: SVGSVGElement; areaIn: SVGPathElement; lineOut: SVGPathElement; label: HTMLElement };
  private readonly bytes: { svg: SVGSVGElement; areaIn: SVGPathElement; lineOut: SVGPathElement; label: HTMLElement };
  private readonly bandsSvg: SVGSVGElement;
  private readonly latency: HTMLElement;
  private readonly latencyText: HTMLElement;
  private readonly histo: SVGSVGElement;
  private snap: ActivitySnapshot | null = null;

  constructor(private readonly jump: (seq: number) => void) {
    this.msgs = this.spark('activity-msgs', 'Messages per second, in (area) and out (line); click to jump to that moment');
    this.bytes = this.spark('activity-bytes', 'Bytes per second, in (area) and out (line); click to jump to that moment');
    this.bandsSvg = svg('svg', { viewBox: `0 0 ${W} ${BAND_H + MARK_H}`, preserveAspectRatio: 'none', id: 'activity-bands', role: 'img' }, 'strip-bands');
    this.bandsSvg.setAttribute('aria-label', 'Connection state over time');
    this.bandsSvg.addEventListener('click', (e) => this.clickAt(e, this.bandsSvg));
    this.latencyText = h('span', { id: 'activity-latency-text', cls: 'strip-label' });
    this.histo = svg('svg', { viewBox: '0 0 60 20', preserveAspectRatio: 'none', id: 'activity-histogram', role: 'img' }, 'strip-histo');
    this.histo.setAttribute('aria-label', 'Latency distribution');
    this.latency = h('div', { id: 'activity-latency', cls: 'strip-latency' }, this.latencyText);
    this.latency.append(this.histo);
    this.latency.hidden = true;
    const axis = h('div', { cls: 'strip-bands-wrap' });
    axis.append(this.bandsSvg);
    this.element = h('div', { id: 'activity-strip', cls: 'activity-strip', role: 'group', attrs: { 'aria-label': 'Activity' } },
      h('div', { cls: 'strip-charts' }, this.box(this.msgs), this.box(this.bytes), this.latency),
      axis,
    );
    this.element.hidden = true;
  }

  private spark(id: string, title: string): { svg: SVGSVGElement; areaIn: SVGPathElement; lineOut: SVGPathElement; label: HTMLElement } {
    const s = svg('svg', { viewBox: `0 0 ${W} ${SPARK_H}`, preserveAspectRatio: 'none', id, role: 'img' }, 'strip-spark');
    s.setAttribute('aria-label', title);
    const t = svg('title');
    t.textContent = title;
    const areaIn = svg('path', {}, 'spark-in');
    const lineOut = svg('path', {}, 'spark-out');
    s.append(t, areaIn, lineOut);
    s.addEventListener('click', (e) => this.clickAt(e, s));
    return { svg: s, areaIn, lineOut, label: h('span', { cls: 'strip-label' }) };
  }

  private box(p: { svg: SVGSVGElement; label: HTMLElement }): HTMLElement {
    const wrap = h('div', { id: `${p.svg.id}-box`, cls: 'strip-box' }, p.label);
    wrap.append(p.svg);
    return wrap;
  }

  /** The seq of the first event at the clicked moment, from the bucket under the pointer. */
  private clickAt(e: MouseEvent, el: Element): void {
    const s = this.snap;
    if (!s || s.firstSeq.length === 0) return;
    // A marker carries its own seq.
    const marker = (e.target as Element).closest?.('[data-seq]');
    if (marker) {
      this.jump(Number(marker.getAttribute('data-seq')));
      return;
    }
    const r = el.getBoundingClientRect();
    const frac = r.width > 0 ? Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)) : 0;
    const t = frac * Math.max(s.durationMs, 1);
    let b = Math.min(s.firstSeq.length - 1, Math.floor(t / s.bucketMs));
    // The nearest bucket at or after the moment that has events, else the nearest before.
    let seq = 0;
    for (let i = b; i < s.firstSeq.length && !seq; i++) seq = s.firstSeq[i];
    for (b = Math.min(b, s.firstSeq.length - 1); b >= 0 && !seq; b--) seq = s.firstSeq[b];
    if (seq) this.jump(seq);
  }

  /** Hide the strip (no session). */
  clear(): void {
    this.snap = null;
    this.element.hidden = true;
  }

  /** Draw a snapshot; `requestPattern` shows the latency part. */
  update(s: ActivitySnapshot | null, requestPattern: boolean): void {
    this.snap = s;
    this.element.hidden = s === null;
    if (!s) return;
    // The time axis: the snapshot's buckets span [0, used * bucketMs]; scale to the session's duration.
    const span = Math.max(s.durationMs, s.bucketMs);
    const used = s.msgsIn.length;
    const width = Math.min(W, (W * used * s.bucketMs) / span);
    this.drawSpark(this.msgs, s.msgsIn, s.msgsOut, width, (v) => `${formatRate(v)}/s`, 'msgs');
    this.drawSpark(this.bytes, s.bytesIn, s.bytesOut, width, (v) => `${formatSize(v)}/s`, 'bytes');
    this.drawBands(s, span);
    const lat = s.latency;
    this.latency.hidden = !requestPattern || !lat;
    if (requestPattern && lat) {
      setText(this.latencyText, `latency p50 ${formatMs(lat.p50)} · p95 ${formatMs(lat.p95)} (${lat.count})`);
      const max = Math.max(1, ...lat.histogram.map((b) => b.count));
      const bw = 60 / lat.histogram.length;
      this.histo.replaceChildren(...lat.histogram.map((b, i) => {
        const hgt = (b.count / max) * 19;
        const rect = svg('rect', { x: (i * bw + 0.5).toFixed(1), y: (20 - hgt).toFixed(1), width: (bw - 1).toFixed(1), height: hgt.toFixed(1) }, 'histo-bar');
        const t = svg('title');
        t.textContent = `≤ ${formatMs(b.upTo)}: ${b.count}`;
        rect.append(t);
        return rect;
      }));
    }
  }

  private drawSpark(p: { areaIn: SVGPathElement; lineOut: SVGPathElement; label: HTMLElement }, inV: number[], outV: number[], width: number, fmt: (v: number) => string, what: string): void {
    const max = Math.max(1, ...inV, ...outV);
    p.areaIn.setAttribute('d', sparkPath(inV, max, width, SPARK_H, true));
    p.lineOut.setAttribute('d', sparkPath(outV, max, width, SPARK_H, false));
    // The newest complete bucket is the "now" figure (the last one is still filling).
    const k = Math.max(0, inV.length - 2);
    setText(p.label, `${what} ↓ ${fmt(inV[k] ?? 0)} ↑ ${fmt(outV[k] ?? 0)}`);
  }

  private drawBands(s: ActivitySnapshot, span: number): void {
    const x = (t: number) => Math.max(0, Math.min(W, (t / span) * W));
    const parts: SVGElement[] = [];
    for (const b of s.bands) {
      const x0 = x(b.from);
      const x1 = Math.max(x0 + 1, x(b.to));
      const rect = svg('rect', { x: x0.toFixed(1), y: MARK_H, width: (x1 - x0).toFixed(1), height: BAND_H, 'data-seq': b.seq }, `band band-${b.state}`);
      const t = svg('title');
      t.textContent = `${BAND_LABEL[b.state]} from ${formatMs(b.from)}`;
      rect.append(t);
      parts.push(rect);
    }
    for (const m of s.markers) {
      const mx = x(m.t);
      const tri = svg('path', { d: `M${(mx - 3).toFixed(1)} 0 L${(mx + 3).toFixed(1)} 0 L${mx.toFixed(1)} ${MARK_H - 1} Z`, 'data-seq': m.seq }, `marker marker-${m.kind}`);
      const t = svg('title');
      t.textContent = `${m.kind} at ${formatMs(m.t)} (#${m.seq})`;
      tri.append(t);
      parts.push(tri);
    }
    this.bandsSvg.replaceChildren(...parts);
  }
}
