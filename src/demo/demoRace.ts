/**
 * The demo's pattern race: one demo backend, and one session per pattern on its feed
 * (short poll, long poll, SSE, WebSocket, MQTT, webhook). `wirescope compare --demo` and the
 * extension's "Compare Patterns…" run it.
 */
import type { RaceEntry } from '../core/compare/race';
import { startDemo, type DemoBackend } from './demoBackend';
import { WebhookSender } from './webhookSender';

export interface DemoRace {
  demo: DemoBackend;
  entries: RaceEntry[];
  /** The id and publish-time fields of the demo feed. */
  idField: string;
  timestampField: string;
  /** Stop the webhook sender and the backend. */
  close(): Promise<void>;
}

export interface DemoRaceOptions {
  /** Feed events per second (default 5). */
  rate?: number;
  /** Short-poll interval (default 1000 ms). */
  pollIntervalMs?: number;
}

/** Start the demo backend on loopback (free ports) and describe one session per pattern. */
export async function startDemoRace(opts: DemoRaceOptions = {}): Promise<DemoRace> {
  const demo = await startDemo({ host: '127.0.0.1', port: 0, mqttPort: 0, grpcPort: false, rate: opts.rate ?? 5, wsPingIntervalMs: 15_000 });
  const senders: WebhookSender[] = [];
  const base = new URL(demo.urls.index);
  const entries: RaceEntry[] = [
    { name: 'short poll', options: { pattern: 'poll', url: demo.urls.poll, poll: { intervalMs: opts.pollIntervalMs ?? 1000 } } },
    // From the current cursor: no history replayed, and nothing published while the first request travels is lost.
    { name: 'long poll', options: { pattern: 'long-poll', url: `${base.origin}/long-poll?cursor=${demo.feed.cursor}`, longPoll: { cursorField: '$.cursor' } } },
    { name: 'SSE', options: { pattern: 'sse', url: demo.urls.sse } },
    { name: 'WebSocket', options: { pattern: 'ws', url: demo.urls.ws } },
  ];
  if (demo.urls.mqtt) {
    entries.push({ name: 'MQTT', options: { pattern: 'mqtt', url: demo.urls.mqtt, mqtt: { subscribe: [{ topic: 'feed/ticks', qos: 0 }] } } });
  }
  entries.push({
    name: 'webhook',
    options: { pattern: 'webhook', url: 'http://127.0.0.1:0/', webhook: { listen: '127.0.0.1:0' } },
    onReceiverUrl: (url) => {
      senders.push(new WebhookSender({ feed: demo.feed, url, secret: 'wirescope-demo-race' }));
    },
  });
  return {
    demo,
    entries,
    idField: '$.seq',
    timestampField: '$.at',
    close: async () => {
      for (const s of senders) s.stop();
      await demo.close();
    },
  };
}
