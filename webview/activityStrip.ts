/**
 * The session header's live activity strip, drawn in SVG from the host's aggregates (GetActivity,
 * about once a second; never per event): messages/s and bytes/s in and out as sparklines, the
 * connection state over time as bands with reconnect, anomaly and error markers, and for request
 * patterns the latency p50/p95 with a small distribution, on canvases (no DOM per point). Clicking a
 * moment or a marker asks the owner to jump the log there. Colours are theme variables read at each
 * draw; every text is set as text.
 */
import type { ActivitySnapshot, BandState } from '../src/shared/activity';
import { formatMs, formatRate, formatSize } from './format';
import { h, setText } from './ui/dom';

const BAND_H = 6;
const MARK_H = 7;

/** Points of a sparkline over `values` scaled to `max`: [x, y] pairs in a width x height box. */
export function sparkPoints(values: number[], max: number, width: number, height: number): Array<[number, number]> {
  if (values.length === 0) return [];
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v: number) => height - 1 - (max > 0 ? (v / max) * (height - 2) : 0);
  const pts: Array<[number, number]> = values.map((v, i) => [i * step, y(v)]);
  if (values.length === 1) pts.push([width, y(values[0])]);
  return pts;
}

const BAND_LABEL: Record<BandState, string> = { connecting: 'connecting', connected: 'connected', reconnecting: 'reconnecting', down: 'down' };

/**
 * Per-second rates over a trailing second: with buckets shorter than a second, a feed of a few
 * messages a second would otherwise draw as a comb of 0s and peaks.
 */
export function perSecond(values: number[], bucketMs: number): number[] {
  const n = Math.max(1, Math.round(1000 / Math.max(1, bucketMs)));
  if (n === 1) return values;
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= n) sum -= values[i - n];
    out.push(sum / Math.min(n, i + 1));
  }
  return out;
}

/** A theme colour by its VS Code variable name (without `--vscode-`), with fallbacks. */
function themeColor(...names: string[]): string {
  const style = getComputedStyle(document.body);
  for (const n of names) {
    const v = style.getPropertyValue(`--vscode-${n}`).trim();
    if (v) return v;
  }
  return style.color || '#888';
}

/** A canvas sized to its box at the device pixel ratio; returns its 2D context in CSS pixels. */
function prepare(c: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } | undefined {
  const w = Math.max(1, Math.round(c.clientWidth));
  const h = Math.max(1, Math.round(c.clientHeight));
  const ratio = window.devicePixelRatio || 1;
  if (c.width !== Math.round(w * ratio) || c.height !== Math.round(h * ratio)) {
    c.width = Math.round(w * ratio);
    c.height = Math.round(h * ratio);
  }
  const ctx = c.getContext('2d');
  if (!ctx) return undefined;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

interface Spark {
  canvas: HTMLCanvasElement;
  label: HTMLElement;
  what: string;
  fmt: (v: number) => string;
  inV: number[];
  outV: number[];
}

/** The strip (#activity-strip): canvases drawn from the host's aggregates. */
export class ActivityStrip {
  readonly element: HTMLElement;
  private readonly msgs: Spark;
  private readonly bytes: Spark;
  private readonly bands: HTMLCanvasElement;
  private readonly latency: HTMLElement;
  private readonly latencyText: HTMLElement;
  private readonly histo: HTMLCanvasElement;
  private snap: ActivitySnapshot | null = null;
  private requestPattern = false;
  private span = 1;

  constructor(private readonly jump: (seq: number) => void) {
    this.msgs = this.spark('activity-msgs', 'msgs', (v) => `${formatRate(v)}/s`, 'Messages per second in (area) and out (line); click to jump to that moment');
    this.bytes = this.spark('activity-bytes', 'bytes', (v) => `${formatSize(v)}/s`, 'Bytes per second in (area) and out (line); click to jump to that moment');
    this.bands = h('canvas', { id: 'activity-bands', cls: 'strip-bands', role: 'img', attrs: { 'aria-label': 'Connection state over time' } });
    this.bands.addEventListener('click', (e) => this.clickBands(e));
    this.bands.addEventListener('mousemove', (e) => this.hoverBands(e));
    this.latencyText = h('span', { id: 'activity-latency-text', cls: 'strip-label' });
    this.histo = h('canvas', { id: 'activity-histogram', cls: 'strip-histo', role: 'img', attrs: { 'aria-label': 'Latency distribution' } });
    this.latency = h('div', { id: 'activity-latency', cls: 'strip-latency' }, this.latencyText, this.histo);
    this.latency.hidden = true;
    this.element = h('div', { id: 'activity-strip', cls: 'activity-strip', role: 'group', attrs: { 'aria-label': 'Activity' } },
      h('div', { cls: 'strip-charts' }, this.box(this.msgs), this.box(this.bytes), this.latency),
      this.bands,
    );
    this.element.hidden = true;
    // A resized header redraws at the new width.
    new ResizeObserver(() => this.draw()).observe(this.element);
  }

  private spark(id: string, what: string, fmt: (v: number) => string, title: string): Spark {
    const canvas = h('canvas', { id, cls: 'strip-spark', role: 'img', title, attrs: { 'aria-label': title } });
    const sp: Spark = { canvas, label: h('span', { cls: 'strip-label' }), what, fmt, inV: [], outV: [] };
    canvas.addEventListener('click', (e) => this.clickAt(e, canvas));
    canvas.addEventListener('mousemove', (e) => {
      const s = this.snap;
      if (!s) return;
      const b = this.bucketAt(e, canvas);
      if (b >= 0) canvas.title = `${formatMs(b * s.bucketMs)}: ↓ ${fmt(sp.inV[b] ?? 0)} ↑ ${fmt(sp.outV[b] ?? 0)} (click to jump there)`;
    });
    return sp;
  }

  private box(p: Spark): HTMLElement {
    return h('div', { id: `${p.canvas.id}-box`, cls: 'strip-box' }, p.label, p.canvas);
  }

  private timeAt(e: MouseEvent, el: Element): number {
    const r = el.getBoundingClientRect();
    const frac = r.width > 0 ? Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)) : 0;
    return frac * this.span;
  }

  private bucketAt(e: MouseEvent, el: Element): number {
    const s = this.snap;
    if (!s || s.firstSeq.length === 0) return -1;
    return Math.min(s.firstSeq.length - 1, Math.floor(this.timeAt(e, el) / s.bucketMs));
  }

  /** Jump to the first event of the clicked moment (the nearest bucket with events). */
  private clickAt(e: MouseEvent, el: Element): void {
    const s = this.snap;
    let b = this.bucketAt(e, el);
    if (!s || b < 0) return;
    let seq = 0;
    for (let i = b; i < s.firstSeq.length && !seq; i++) seq = s.firstSeq[i];
    for (; b >= 0 && !seq; b--) seq = s.firstSeq[b];
    if (seq) this.jump(seq);
  }

  /** The marker within 4 px of the pointer, else the band under it. */
  private hitBands(e: MouseEvent): { seq: number; text: string } | undefined {
    const s = this.snap;
    if (!s) return undefined;
    const r = this.bands.getBoundingClientRect();
    const t = this.timeAt(e, this.bands);
    const px = (r.width > 0 ? this.span / r.width : 0) * 4;
    let best: { seq: number; text: string; d: number } | undefined;
    for (const m of s.markers) {
      const d = Math.abs(m.t - t);
      if (d <= px && (!best || d < best.d)) best = { seq: m.seq, text: `${m.kind} at ${formatMs(m.t)} (#${m.seq})`, d };
    }
    if (best) return best;
    const band = s.bands.find((b) => t >= b.from && t <= Math.max(b.to, b.from + px));
    return band ? { seq: band.seq, text: `${BAND_LABEL[band.state]} from ${formatMs(band.from)}` } : undefined;
  }

  private clickBands(e: MouseEvent): void {
    const hit = this.hitBands(e);
    if (hit) this.jump(hit.seq);
    else this.clickAt(e, this.bands);
  }

  private hoverBands(e: MouseEvent): void {
    const hit = this.hitBands(e);
    this.bands.title = hit ? `${hit.text} (click to jump there)` : 'Connection state over time';
  }

  /** Hide the strip (no session). */
  clear(): void {
    this.snap = null;
    this.element.hidden = true;
  }

  /** Draw a snapshot; `requestPattern` shows the latency part. */
  update(s: ActivitySnapshot | null, requestPattern: boolean): void {
    this.snap = s;
    this.requestPattern = requestPattern;
    this.element.hidden = s === null;
    if (!s) return;
    this.span = Math.max(s.durationMs, s.bucketMs);
    this.msgs.inV = perSecond(s.msgsIn, s.bucketMs);
    this.msgs.outV = perSecond(s.msgsOut, s.bucketMs);
    this.bytes.inV = perSecond(s.bytesIn, s.bucketMs);
    this.bytes.outV = perSecond(s.bytesOut, s.bucketMs);
    // What is drawn, as data: for assistive tools and tests (a canvas has no DOM to read).
    this.bands.dataset.bands = s.bands.map((b) => b.state).join(',');
    this.bands.dataset.markers = s.markers.map((m) => m.kind).join(',');
    this.bands.setAttribute('aria-label', `Connection state over time: ${s.bands.map((b) => BAND_LABEL[b.state]).join(', ') || 'none'}; ${s.markers.length} markers`);
    const lat = s.latency;
    this.latency.hidden = !requestPattern || !lat;
    if (requestPattern && lat) {
      setText(this.latencyText, `latency p50 ${formatMs(lat.p50)} · p95 ${formatMs(lat.p95)} (${lat.count})`);
      this.histo.dataset.bins = lat.histogram.map((b) => b.count).join(',');
      this.histo.title = lat.histogram.map((b) => `≤ ${formatMs(b.upTo)}: ${b.count}`).join('\n');
    }
    this.draw();
  }

  private draw(): void {
    const s = this.snap;
    if (!s || this.element.hidden) return;
    const blue = themeColor('charts-blue', 'foreground');
    const green = themeColor('charts-green', 'foreground');
    for (const sp of [this.msgs, this.bytes]) this.drawSpark(sp, s, blue, green);
    this.drawBands(s);
    if (this.requestPattern && s.latency) this.drawHisto(s.latency.histogram);
  }

  private drawSpark(sp: Spark, s: ActivitySnapshot, blue: string, green: string): void {
    // The newest complete bucket is the "now" figure (the last one is still filling).
    const k = Math.max(0, sp.inV.length - 2);
    setText(sp.label, `${sp.what} ↓ ${sp.fmt(sp.inV[k] ?? 0)} ↑ ${sp.fmt(sp.outV[k] ?? 0)}`);
    sp.canvas.dataset.points = String(sp.inV.length);
    const c = prepare(sp.canvas);
    if (!c || sp.canvas.offsetParent === null) return;
    const { ctx, w, h: height } = c;
    const width = Math.min(w, (w * sp.inV.length * s.bucketMs) / this.span);
    const max = Math.max(1, ...sp.inV, ...sp.outV);
    const inPts = sparkPoints(sp.inV, max, width, height);
    if (inPts.length) {
      ctx.beginPath();
      ctx.moveTo(0, height);
      for (const [x, y] of inPts) ctx.lineTo(x, y);
      ctx.lineTo(inPts[inPts.length - 1][0], height);
      ctx.closePath();
      ctx.globalAlpha = 0.35;
      ctx.fillStyle = blue;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.beginPath();
      inPts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.strokeStyle = blue;
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    const outPts = sparkPoints(sp.outV, max, width, height);
    if (outPts.some(([, y]) => y < height - 1.5)) {
      ctx.beginPath();
      outPts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.strokeStyle = green;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
  }

  private drawBands(s: ActivitySnapshot): void {
    const c = prepare(this.bands);
    if (!c) return;
    const { ctx, w } = c;
    const colors: Record<BandState, string> = {
      connected: themeColor('testing-iconPassed', 'charts-green'),
      connecting: themeColor('descriptionForeground'),
      reconnecting: themeColor('editorWarning-foreground', 'charts-yellow'),
      down: themeColor('testing-iconFailed', 'errorForeground'),
    };
    const x = (t: number) => Math.max(0, Math.min(w, (t / this.span) * w));
    for (const b of s.bands) {
      const x0 = x(b.from);
      const x1 = Math.max(x0 + 1.5, x(b.to));
      ctx.globalAlpha = b.state === 'connecting' ? 0.5 : 1;
      ctx.fillStyle = colors[b.state];
      ctx.fillRect(x0, MARK_H, x1 - x0, BAND_H);
    }
    ctx.globalAlpha = 1;
    const markColor = { reconnect: colors.reconnecting, anomaly: themeColor('charts-orange', 'editorWarning-foreground'), error: themeColor('errorForeground') };
    for (const m of s.markers) {
      const mx = x(m.t);
      ctx.beginPath();
      ctx.moveTo(mx - 3.5, 0);
      ctx.lineTo(mx + 3.5, 0);
      ctx.lineTo(mx, MARK_H - 1);
      ctx.closePath();
      ctx.fillStyle = markColor[m.kind];
      ctx.fill();
    }
  }

  private drawHisto(bins: Array<{ upTo: number; count: number }>): void {
    const c = prepare(this.histo);
    if (!c) return;
    const { ctx, w, h: height } = c;
    const max = Math.max(1, ...bins.map((b) => b.count));
    const bw = w / bins.length;
    ctx.fillStyle = themeColor('charts-purple', 'charts-blue');
    bins.forEach((b, i) => {
      const bh = (b.count / max) * (height - 1);
      ctx.fillRect(i * bw + 0.5, height - bh, Math.max(1, bw - 1), bh);
    });
  }
}

