import type { FrameEvent, WireEvent } from '../shared/events';
import type { LogFilter, LogStats } from '../shared/protocol';
import { compileFilter, type CompiledFilter } from './logFilter';

/** Caps of one session's in-memory log. */
export interface SessionLogOptions {
  /** Most events kept; older ones are dropped (and counted). Default 1,000,000. */
  maxEvents?: number;
  /** Most (estimated) bytes kept; older events are dropped (and counted). Default 256 MiB. */
  maxBytes?: number;
  /** Most events kept in the timeline (state, reconnect, timing, error, anomaly). Default 20,000. */
  maxTimeline?: number;
}

export const DEFAULT_MAX_EVENTS = 1_000_000;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_TIMELINE = 20_000;

/** A filtered, live window onto a SessionLog: row numbers are positions among the matching events. */
export interface LogView {
  readonly filterId: number;
  readonly filter: LogFilter;
  /** Matching events currently retained. */
  readonly total: number;
  /**
   * Matching events ever seen by this view (retained or since evicted); only grows. With a full ring
   * `total` stays flat while events keep arriving: `matched` tells how many are new, and
   * `matched - total` how many have scrolled out at the top.
   */
  readonly matched: number;
  /** Matching events [start, start+count), oldest first; fewer at the end. */
  rows(start: number, count: number): WireEvent[];
  /** Position of the event `seq` in this view, or -1 when it does not match or is gone. */
  indexOf(seq: number): number;
  /**
   * Position of the first event of this view whose seq is >= `seq` (the row to jump to for a
   * moment in time), or -1 when there is none.
   */
  indexAtOrAfter(seq: number): number;
  /** Stop updating this view. */
  dispose(): void;
}

// Per-slot flag bits.
const F_FRAME = 1;
const F_OUT = 2;
const F_BASE64 = 4;
const F_TRUNCATED = 8;
const F_CONTROL = 16;
/** The payload preview lives in the byte arena, not in `payloads`. */
const F_ARENA = 32;

/**
 * Previews up to this many UTF-16 units are copied into the byte arena as UTF-8: 100 bytes of
 * text then cost 100 bytes off the JS heap instead of a heap string plus a pointer, and the
 * garbage collector never has to trace or move them. Longer previews stay as strings.
 */
const ARENA_MAX_CHARS = 2048;
/** Arena block size; a block is released once every frame in it has been evicted. */
const BLOCK_BYTES = 256 * 1024;

/** Estimated bytes of one slot beyond its payload: the typed columns, array slots and object headers. */
const FRAME_OVERHEAD = 72;
const META_ESTIMATE = 128;
const OTHER_EVENT_ESTIMATE = 320;
/** Channels (topics, event types) are shared strings up to this many distinct values. */
const MAX_INTERNED_CHANNELS = 4096;
/** Rate buckets: 100 ms each, 10 of them make the one-second window. */
const BUCKET_MS = 100;
const BUCKETS = 16;
const WINDOW_BUCKETS = 10;

const TIMELINE_KINDS = new Set<WireEvent['kind']>(['state', 'reconnect', 'timing', 'error', 'anomaly']);

/**
 * One session's event log, owned by the host. A ring capped by event count and by estimated bytes:
 * the oldest events are dropped first and counted in `dropped`.
 *
 * Frames are stored in columns (typed arrays for seq/t/ts/size/flags and the preview's place in a
 * UTF-8 byte arena, plus channel and meta references) and become event objects only when read, so a
 * million small frames cost little more than their payload bytes and almost nothing on the JS heap.
 * Other events are kept as they came. The events that tell the connection story are also kept in a
 * separate bounded timeline that a frame flood cannot evict.
 *
 * Row positions in views count from the oldest retained event; `LogView.matched` gives a count that
 * keeps growing when eviction holds `total` flat.
 */
export class SessionLog implements Iterable<WireEvent> {
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly maxTimeline: number;

  /**
   * Fixed-size chunks of columns: event number `abs` (appends since creation) lives in chunk
   * floor(abs / CHUNK) at offset abs % CHUNK. Growing adds a chunk (no copying); evicting a
   * whole chunk's events releases it.
   */
  private chunks: Chunk[] = [];
  /** Chunk number of chunks[0]. */
  private firstChunk = 0;
  /** One released chunk kept for reuse, so a capped log in steady state allocates nothing. */
  private spare: Chunk | undefined;
  /** Absolute index of the oldest retained event. */
  private base = 0;
  private count = 0;
  private estimatedBytes = 0;
  private droppedCount = 0;
  private last = 0;
  /** False once an event arrived with a seq not above the previous one: lookups then scan. */
  private monotonic = true;
  private readonly internedChannels = new Map<string, string>();
  /** The channel interned last and its shared copy. */
  private lastChannel: string | undefined;
  private lastInterned = '';

  /** The byte arena: blocks[k] is block number firstBlock + k; blockEnds[k] is one past its last event. */
  private blocks: Buffer[] = [];
  private blockEnds: number[] = [];
  /** blockAscii[k]: every preview in blocks[k] is ASCII, so its bytes read back as latin1 unchanged. */
  private blockAscii: boolean[] = [];
  private firstBlock = 0;
  private blockOffset = 0;
  private spareBlock: Buffer | undefined;

  private timelineEvents: WireEvent[] = [];
  private timelineDroppedCount = 0;

  private framesIn = 0;
  private framesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private reconnects = 0;
  private anomalies = 0;
  private lastInT: number | undefined;
  private prevInT: number | undefined;
  private readonly bucketIds = new Float64Array(BUCKETS).fill(-1);
  private readonly bucketMsgs = new Float64Array(BUCKETS);
  private readonly bucketBytes = new Float64Array(BUCKETS);
  private lastBucketTs = Number.NaN;
  private lastBucket = 0;

  private readonly views = new Set<FilteredView>();
  private nextFilterId = 1;

  constructor(options: SessionLogOptions = {}) {
    this.maxEvents = Math.max(1, Math.floor(options.maxEvents ?? DEFAULT_MAX_EVENTS));
    this.maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.maxTimeline = Math.max(1, Math.floor(options.maxTimeline ?? DEFAULT_MAX_TIMELINE));
  }

  /** Events retained in memory. */
  get size(): number {
    return this.count;
  }

  /** Older events evicted by the caps since creation or the last clear(). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Seq of the last appended event (0 before any). */
  get lastSeq(): number {
    return this.last;
  }

  /** Estimated bytes the retained events take. */
  get bytes(): number {
    return this.estimatedBytes;
  }

  /** Bytes held by the payload arena (whole blocks, including unused tails). */
  get arenaBytes(): number {
    return this.blocks.length * BLOCK_BYTES;
  }

  /** Timeline events dropped by its own cap. */
  get timelineDropped(): number {
    return this.timelineDroppedCount;
  }

  /** Record one event. Evicts the oldest events when a cap is exceeded. */
  append(e: WireEvent): void {
    if (this.count >= this.maxEvents) this.evictOldest();
    const abs = this.base + this.count;
    const chunkNo = Math.floor(abs / CHUNK);
    let c = this.chunks[chunkNo - this.firstChunk];
    if (c === undefined) c = this.addChunk(chunkNo);
    const i = abs - chunkNo * CHUNK;
    if (e.seq <= this.last) this.monotonic = false;
    this.last = e.seq;
    c.seqs[i] = e.seq;
    c.times[i] = e.t;
    c.epochs[i] = e.ts;
    let cost: number;
    if (e.kind === 'frame') {
      // Events can also come from disk or other code: never let a malformed one throw here.
      const data = typeof e.data === 'string' ? e.data : String(e.data ?? '');
      const meta = e.meta;
      let channel = e.channel;
      if (channel !== undefined) channel = this.intern(channel);
      let f = F_FRAME;
      if (e.dir === 'out') f |= F_OUT;
      if (e.encoding === 'base64') f |= F_BASE64;
      if (e.truncated) f |= F_TRUNCATED;
      if (meta !== undefined && meta.control === true) f |= F_CONTROL;
      c.sizes[i] = e.size;
      c.channels[i] = channel;
      c.metas[i] = meta;
      if (data.length <= ARENA_MAX_CHARS) {
        f |= F_ARENA;
        c.payloads[i] = undefined;
        cost = frameCost(this.arenaWrite(c, i, data, abs), channel, meta);
      } else {
        // A truncated preview may be a slice that pins its whole parent string in memory: copy it.
        c.payloads[i] = e.truncated ? Buffer.from(data, 'utf8').toString('utf8') : data;
        cost = frameCost(data.length, channel, meta);
      }
      c.flags[i] = f;
      this.countFrame(e);
    } else {
      c.flags[i] = 0;
      c.sizes[i] = 0;
      c.payloads[i] = e;
      c.channels[i] = undefined;
      c.metas[i] = undefined;
      cost = OTHER_EVENT_ESTIMATE;
      if (e.kind === 'reconnect') this.reconnects++;
      else if (e.kind === 'anomaly') this.anomalies++;
      if (TIMELINE_KINDS.has(e.kind)) this.pushTimeline(e);
    }
    this.count++;
    this.estimatedBytes += cost;
    while (this.estimatedBytes > this.maxBytes && this.count > 1) this.evictOldest();
    if (this.views.size > 0) for (const v of this.views) v.consider(abs);
  }

  /** The event with this seq, if retained. */
  get(seq: number): WireEvent | undefined {
    const k = this.indexOfSeq(seq);
    return k < 0 ? undefined : this.materialize(this.base + k);
  }

  /**
   * Retained events with fromSeq <= seq <= toSeq (default: to the newest), oldest first,
   * at most `limit` of them.
   */
  range(fromSeq: number, toSeq = Number.POSITIVE_INFINITY, limit = Number.POSITIVE_INFINITY): WireEvent[] {
    const out: WireEvent[] = [];
    if (this.count === 0 || toSeq < fromSeq) return out;
    const start = this.monotonic ? this.lowerBound(fromSeq) : 0;
    for (let k = start; k < this.count && out.length < limit; k++) {
      const seq = this.seqAt(this.base + k);
      if (seq > toSeq) {
        if (this.monotonic) break;
        continue;
      }
      if (seq >= fromSeq) out.push(this.materialize(this.base + k));
    }
    return out;
  }

  /** Live figures: counts since creation or clear(), rates over the last second before `now` (epoch ms). */
  stats(now = Date.now()): LogStats {
    const nowBucket = Math.floor(now / BUCKET_MS);
    let msgs = 0;
    let bytes = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const id = this.bucketIds[i];
      if (id > nowBucket - WINDOW_BUCKETS && id <= nowBucket) {
        msgs += this.bucketMsgs[i];
        bytes += this.bucketBytes[i];
      }
    }
    return {
      events: this.count,
      dropped: this.droppedCount,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      reconnects: this.reconnects,
      anomalies: this.anomalies,
      msgsPerSec: msgs,
      bytesPerSec: bytes,
      interArrivalMs:
        this.lastInT !== undefined && this.prevInT !== undefined ? Math.round((this.lastInT - this.prevInT) * 1000) / 1000 : null,
    };
  }

  /**
   * A filtered view that stays current as events are appended and evicted.
   * Throws an Error with a one-line message when the filter's regex is invalid.
   */
  createView(filter: LogFilter): LogView {
    const compiled = compileFilter(filter);
    const view = new FilteredView(this, this.nextFilterId++, compiled);
    this.views.add(view);
    return view;
  }

  /** State, reconnect, timing, error and anomaly events, oldest first (bounded separately from frames). */
  timeline(): WireEvent[] {
    return this.timelineEvents.slice();
  }

  /** Forget every event, count and rate; views stay registered and become empty. `lastSeq` is kept. */
  clear(): void {
    this.base += this.count;
    this.count = 0;
    this.chunks = [];
    this.spare = undefined;
    this.firstBlock += this.blocks.length;
    this.blocks = [];
    this.blockEnds = [];
    this.blockAscii = [];
    this.blockOffset = 0;
    this.spareBlock = undefined;
    this.firstChunk = Math.floor(this.base / CHUNK);
    this.estimatedBytes = 0;
    this.droppedCount = 0;
    this.monotonic = true;
    this.internedChannels.clear();
    this.lastChannel = undefined;
    this.timelineEvents = [];
    this.timelineDroppedCount = 0;
    this.framesIn = this.framesOut = this.bytesIn = this.bytesOut = 0;
    this.reconnects = this.anomalies = 0;
    this.lastInT = this.prevInT = undefined;
    this.bucketIds.fill(-1);
    this.lastBucketTs = Number.NaN;
    this.bucketMsgs.fill(0);
    this.bucketBytes.fill(0);
    for (const v of this.views) v.reset();
  }

  *[Symbol.iterator](): Iterator<WireEvent> {
    for (let k = 0; k < this.count; k++) yield this.materialize(this.base + k);
  }

  // ---------- internals shared with views ----------

  /** @internal Absolute index of the oldest retained event. */
  get baseIndex(): number {
    return this.base;
  }

  /** @internal Absolute index one past the newest event. */
  get endIndex(): number {
    return this.base + this.count;
  }

  /** @internal Absolute index of `seq`, or -1. */
  absOfSeq(seq: number): number {
    const k = this.indexOfSeq(seq);
    return k < 0 ? -1 : this.base + k;
  }

  /** @internal Absolute index of the first retained event with a seq >= `seq` (endIndex if none). */
  absAtOrAfter(seq: number): number {
    if (this.count === 0) return this.base;
    if (this.monotonic) return this.base + this.lowerBound(seq);
    for (let k = 0; k < this.count; k++) if (this.seqAt(this.base + k) >= seq) return this.base + k;
    return this.base + this.count;
  }

  /** @internal Does retained event `abs` pass the compiled filter? Frames are tested from columns. */
  matchesAt(abs: number, f: CompiledFilter): boolean {
    const chunkNo = Math.floor(abs / CHUNK);
    const c = this.chunks[chunkNo - this.firstChunk];
    const i = abs - chunkNo * CHUNK;
    const flags = c.flags[i];
    if (flags & F_FRAME) {
      const data = f.needsData ? this.dataOf(c, i, flags) : '';
      return f.matchesFrame((flags & F_OUT) !== 0, (flags & F_CONTROL) !== 0, data, c.channels[i], c.metas[i]);
    }
    return f.matches(c.payloads[i] as WireEvent);
  }

  /**
   * @internal Absolute indices in [from, to) that pass `f`, appended to `into`. Walks chunk by chunk
   * so the inner loop stays on one chunk's columns.
   */
  scanInto(from: number, to: number, f: CompiledFilter, into: (abs: number) => void): void {
    const needsData = f.needsData;
    // A text scan reads each ASCII block once as a one-byte string and slices previews out of it,
    // instead of decoding every preview on its own.
    let cachedBlockNo = -1;
    let cachedText = '';
    const dataFor = (c: Chunk, i: number, fl: number): string => {
      if (!(fl & F_ARENA)) return c.payloads[i] as string;
      const blockNo = c.blockNos[i];
      const k = blockNo - this.firstBlock;
      if (!this.blockAscii[k]) return this.dataOf(c, i, fl);
      const off = c.offsets[i];
      const end = off + c.lengths[i];
      if (blockNo !== cachedBlockNo || end > cachedText.length) {
        cachedBlockNo = blockNo;
        cachedText = this.blocks[k].toString('latin1', 0, k === this.blocks.length - 1 ? this.blockOffset : BLOCK_BYTES);
      }
      return cachedText.slice(off, end);
    };
    let abs = from;
    while (abs < to) {
      const chunkNo = Math.floor(abs / CHUNK);
      const c = this.chunks[chunkNo - this.firstChunk];
      const chunkStart = chunkNo * CHUNK;
      const stop = Math.min(to, chunkStart + CHUNK);
      const { flags, payloads, channels, metas } = c;
      for (let i = abs - chunkStart, a = abs; a < stop; i++, a++) {
        const fl = flags[i];
        const ok =
          fl & F_FRAME
            ? f.matchesFrame((fl & F_OUT) !== 0, (fl & F_CONTROL) !== 0, needsData ? dataFor(c, i, fl) : '', channels[i], metas[i])
            : f.matches(payloads[i] as WireEvent);
        if (ok) into(a);
      }
      abs = stop;
    }
  }

  /** @internal Retained event `abs` as an object of the contract. */
  materialize(abs: number): WireEvent {
    const chunkNo = Math.floor(abs / CHUNK);
    const c = this.chunks[chunkNo - this.firstChunk];
    const i = abs - chunkNo * CHUNK;
    const flags = c.flags[i];
    if (!(flags & F_FRAME)) return c.payloads[i] as WireEvent;
    const e: FrameEvent = {
      seq: c.seqs[i],
      t: c.times[i],
      ts: c.epochs[i],
      kind: 'frame',
      dir: flags & F_OUT ? 'out' : 'in',
      size: c.sizes[i],
      encoding: flags & F_BASE64 ? 'base64' : 'utf8',
      data: this.dataOf(c, i, flags),
    };
    if (flags & F_TRUNCATED) e.truncated = true;
    const channel = c.channels[i];
    if (channel !== undefined) e.channel = channel;
    const meta = c.metas[i];
    if (meta !== undefined) e.meta = meta;
    return e;
  }

  /** @internal */
  removeView(v: FilteredView): void {
    this.views.delete(v);
  }

  // ---------- private ----------

  /** A frame's preview text. */
  private dataOf(c: Chunk, i: number, flags: number): string {
    if (!(flags & F_ARENA)) return c.payloads[i] as string;
    const block = this.blocks[c.blockNos[i] - this.firstBlock];
    const off = c.offsets[i];
    return block.toString('utf8', off, off + c.lengths[i]);
  }

  /** Copy a preview into the arena as UTF-8; returns its byte length. */
  private arenaWrite(c: Chunk, i: number, data: string, abs: number): number {
    let last = this.blocks.length - 1;
    // Three bytes per UTF-16 unit is the most UTF-8 can need, so the write always fits.
    if (last < 0 || this.blockOffset + data.length * 3 > BLOCK_BYTES) {
      this.blocks.push(this.spareBlock ?? Buffer.allocUnsafeSlow(BLOCK_BYTES));
      this.spareBlock = undefined;
      this.blockEnds.push(abs);
      this.blockAscii.push(true);
      this.blockOffset = 0;
      last++;
    }
    const n = utf8Write(this.blocks[last], data, this.blockOffset);
    c.blockNos[i] = this.firstBlock + last;
    c.offsets[i] = this.blockOffset;
    c.lengths[i] = n;
    this.blockOffset += n;
    this.blockEnds[last] = abs + 1;
    // UTF-8 takes one byte per character exactly when every character is ASCII.
    if (n !== data.length) this.blockAscii[last] = false;
    return n;
  }

  private seqAt(abs: number): number {
    const chunkNo = Math.floor(abs / CHUNK);
    return this.chunks[chunkNo - this.firstChunk].seqs[abs - chunkNo * CHUNK];
  }

  private addChunk(chunkNo: number): Chunk {
    if (this.chunks.length === 0) this.firstChunk = chunkNo;
    const c = this.spare ?? new Chunk();
    this.spare = undefined;
    this.chunks.push(c);
    return c;
  }

  private intern(channel: string): string {
    // A feed mostly repeats one channel (SSE's "message", one MQTT topic): skip the map for it.
    if (channel === this.lastChannel) return this.lastInterned;
    const known = this.internedChannels.get(channel);
    if (known !== undefined) {
      this.lastChannel = channel;
      this.lastInterned = known;
      return known;
    }
    if (this.internedChannels.size < MAX_INTERNED_CHANNELS) this.internedChannels.set(channel, channel);
    return channel;
  }

  private countFrame(e: FrameEvent): void {
    if (e.dir === 'in') {
      this.framesIn++;
      this.bytesIn += e.size;
      this.prevInT = this.lastInT;
      this.lastInT = e.t;
    } else {
      this.framesOut++;
      this.bytesOut += e.size;
    }
    // Frames of one burst share ts: find their rate bucket once.
    let i = this.lastBucket;
    if (e.ts !== this.lastBucketTs) {
      const id = Math.floor(e.ts / BUCKET_MS);
      i = id % BUCKETS;
      if (this.bucketIds[i] !== id) {
        this.bucketIds[i] = id;
        this.bucketMsgs[i] = 0;
        this.bucketBytes[i] = 0;
      }
      this.lastBucketTs = e.ts;
      this.lastBucket = i;
    }
    this.bucketMsgs[i]++;
    this.bucketBytes[i] += e.size;
  }

  private pushTimeline(e: WireEvent): void {
    this.timelineEvents.push(e);
    if (this.timelineEvents.length > this.maxTimeline) {
      // Drop a tenth at once so a stream of timeline events costs amortised O(1).
      const n = Math.max(1, Math.floor(this.maxTimeline / 10));
      this.timelineEvents.splice(0, n);
      this.timelineDroppedCount += n;
    }
  }

  private evictOldest(): void {
    const abs = this.base;
    const chunkNo = Math.floor(abs / CHUNK);
    const c = this.chunks[chunkNo - this.firstChunk];
    const i = abs - chunkNo * CHUNK;
    const flags = c.flags[i];
    this.estimatedBytes -=
      flags & F_FRAME
        ? frameCost(flags & F_ARENA ? c.lengths[i] : (c.payloads[i] as string).length, c.channels[i], c.metas[i])
        : OTHER_EVENT_ESTIMATE;
    // Release references so evicted payloads can be collected.
    c.payloads[i] = undefined;
    c.channels[i] = undefined;
    c.metas[i] = undefined;
    this.base++;
    this.count--;
    this.droppedCount++;
    if (i === CHUNK - 1) {
      this.chunks.shift();
      this.firstChunk++;
      this.spare = c;
    }
    // Release arena blocks whose frames are all gone (the block being written stays).
    while (this.blocks.length > 1 && this.blockEnds[0] <= this.base) {
      this.spareBlock = this.blocks.shift();
      this.blockEnds.shift();
      this.blockAscii.shift();
      this.firstBlock++;
    }
  }

  /** Position (0 = oldest retained) of `seq`, or -1. */
  private indexOfSeq(seq: number): number {
    if (this.count === 0) return -1;
    if (!this.monotonic) {
      for (let k = this.count - 1; k >= 0; k--) if (this.seqAt(this.base + k) === seq) return k;
      return -1;
    }
    // Sessions number events without gaps, so the direct guess almost always hits.
    const guess = seq - this.seqAt(this.base);
    if (guess >= 0 && guess < this.count && this.seqAt(this.base + guess) === seq) return guess;
    const k = this.lowerBound(seq);
    return k < this.count && this.seqAt(this.base + k) === seq ? k : -1;
  }

  /** First position whose seq is >= `seq` (monotonic logs only). */
  private lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqAt(this.base + mid) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Events per chunk: small enough that a short session costs little, big enough to amortise. */
const CHUNK = 4096;

/** One chunk of columns. */
class Chunk {
  readonly seqs = new Float64Array(CHUNK);
  readonly times = new Float64Array(CHUNK);
  readonly epochs = new Float64Array(CHUNK);
  readonly sizes = new Float64Array(CHUNK);
  readonly flags = new Uint8Array(CHUNK);
  /** Arena location of each preview (frames with F_ARENA). */
  readonly blockNos = new Uint32Array(CHUNK);
  readonly offsets = new Uint32Array(CHUNK);
  readonly lengths = new Uint32Array(CHUNK);
  /** Frame: the payload preview string. Other kinds: the event object itself. */
  readonly payloads: unknown[] = new Array<unknown>(CHUNK).fill(undefined);
  readonly channels: Array<string | undefined> = new Array<string | undefined>(CHUNK).fill(undefined);
  readonly metas: Array<Record<string, unknown> | undefined> = new Array<Record<string, unknown> | undefined>(CHUNK).fill(undefined);
}

type Utf8Write = (this: Buffer, s: string, offset: number, length?: number) => number;
const nativeUtf8Write = (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write;

/**
 * Buffer#write without its argument handling, which costs more than the copy for small strings.
 * Node's Buffers carry utf8Write; fall back to write() where they do not.
 */
const utf8Write: (buf: Buffer, s: string, offset: number) => number =
  typeof nativeUtf8Write === 'function'
    ? (buf, s, offset) => nativeUtf8Write.call(buf, s, offset, buf.length - offset)
    : (buf, s, offset) => buf.write(s, offset, 'utf8');

function frameCost(dataLength: number, channel: string | undefined, meta: Record<string, unknown> | undefined): number {
  return FRAME_OVERHEAD + dataLength + (channel !== undefined ? channel.length : 0) + (meta !== undefined ? META_ESTIMATE : 0);
}

/** A view: the absolute indices of matching events, pruned lazily as the ring evicts. */
class FilteredView implements LogView {
  private matches = new Float64Array(256);
  private start = 0;
  private end = 0;
  private disposed = false;
  /** Matches pushed since creation (for filtered views); all-pass views count from `createdAt`. */
  private pushed = 0;
  private readonly createdAt: number;

  constructor(
    private readonly log: SessionLog,
    readonly filterId: number,
    private readonly compiled: CompiledFilter,
  ) {
    this.createdAt = log.baseIndex;
    if (!compiled.matchesAll) this.scan(log.baseIndex, log.endIndex);
  }

  get matched(): number {
    if (this.disposed) return this.pushed;
    return this.compiled.matchesAll ? this.log.endIndex - this.createdAt : this.pushed;
  }

  get filter(): LogFilter {
    return this.compiled.filter;
  }

  get total(): number {
    if (this.disposed) return 0;
    if (this.compiled.matchesAll) return this.log.endIndex - this.log.baseIndex;
    this.prune();
    return this.end - this.start;
  }

  rows(start: number, count: number): WireEvent[] {
    const out: WireEvent[] = [];
    if (!Number.isFinite(start) || !Number.isFinite(count) || count <= 0 || start < 0) return out;
    const log = this.log;
    if (this.compiled.matchesAll) {
      const n = log.endIndex - log.baseIndex;
      for (let i = start; i < n && out.length < count; i++) out.push(log.materialize(log.baseIndex + i));
      return out;
    }
    this.prune();
    for (let i = this.start + start; i < this.end && out.length < count; i++) out.push(log.materialize(this.matches[i]));
    return out;
  }

  indexOf(seq: number): number {
    if (this.disposed) return -1;
    const abs = this.log.absOfSeq(seq);
    if (abs < 0) return -1;
    if (this.compiled.matchesAll) return abs - this.log.baseIndex;
    this.prune();
    const i = this.lowerBoundAbs(abs);
    return i < this.end && this.matches[i] === abs ? i - this.start : -1;
  }

  indexAtOrAfter(seq: number): number {
    if (this.disposed) return -1;
    const abs = this.log.absAtOrAfter(seq);
    if (this.compiled.matchesAll) return abs < this.log.endIndex ? abs - this.log.baseIndex : -1;
    this.prune();
    const i = this.lowerBoundAbs(abs);
    return i < this.end ? i - this.start : -1;
  }

  private lowerBoundAbs(abs: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.matches[mid] < abs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  dispose(): void {
    if (this.disposed) return;
    this.pushed = this.matched;
    this.disposed = true;
    this.matches = new Float64Array(0);
    this.start = this.end = 0;
    this.log.removeView(this);
  }

  /** @internal Called by the log for each appended event. */
  consider(abs: number): void {
    if (this.compiled.matchesAll) return;
    if (this.log.matchesAt(abs, this.compiled)) this.push(abs);
  }

  /** @internal The log was cleared. */
  reset(): void {
    this.start = this.end = 0;
  }

  private scan(from: number, to: number): void {
    this.log.scanInto(from, to, this.compiled, (abs) => this.push(abs));
  }

  private push(abs: number): void {
    if (this.end === this.matches.length) {
      this.prune();
      if (this.start > 0 && this.start >= this.matches.length / 2) {
        // Mostly evicted: slide down instead of growing.
        this.matches.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else {
        const bigger = new Float64Array(this.matches.length * 2);
        bigger.set(this.matches.subarray(this.start, this.end));
        this.end -= this.start;
        this.start = 0;
        this.matches = bigger;
      }
    }
    this.matches[this.end++] = abs;
    this.pushed++;
  }

  /** Skip matches the ring has evicted (they are sorted, so binary search from the start). */
  private prune(): void {
    const base = this.log.baseIndex;
    if (this.start >= this.end || this.matches[this.start] >= base) return;
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.matches[mid] < base) lo = mid + 1;
      else hi = mid;
    }
    this.start = lo;
  }
}
