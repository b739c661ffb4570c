/** The activity strip's data, as the host computes it (src/core/activity.ts) and the webview draws it. */

/** Connection state over time. */
export type BandState = 'connecting' | 'connected' | 'reconnecting' | 'down';

export interface ActivitySnapshot {
  /** Session time (ms) the strip spans: [0, durationMs]. */
  durationMs: number;
  bucketMs: number;
  /** Per bucket, oldest first: frames in/out, bytes in/out, and the first event seq in it (0: none). */
  msgsIn: number[];
  msgsOut: number[];
  bytesIn: number[];
  bytesOut: number[];
  firstSeq: number[];
  bands: Array<{ from: number; to: number; state: BandState; seq: number }>;
  markers: Array<{ t: number; seq: number; kind: 'reconnect' | 'anomaly' | 'error' }>;
  /** Request latencies (ms), for request patterns. */
  latency?: { count: number; p50: number; p95: number; max: number; histogram: Array<{ upTo: number; count: number }> };
}
