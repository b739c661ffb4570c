/**
 * The demo's pattern race: one demo backend, and one session per pattern on its feed (short poll, long
 * poll, SSE, WebSocket, gRPC server streaming, a GraphQL subscription over graphql-ws, MQTT, webhook).
 * `wirescope compare --demo` and the extension's "Compare Patterns…" run it.
 *
 * Every pattern carries the same event as `{seq, at, ...}` at the root (`idField` `$.seq`, `timestampField`
 * `$.at`), except GraphQL, whose results nest it under `data.ticks`: its entry reads its own fields. gRPC's
 * JSON writes the int64 seq as a string ("12") and the Timestamp as RFC 3339 text; both read as the same
 * id and publish time as the others' (src/core/compare/messageKeys.ts).
 */
import type { RaceEntry } from '../core/compare/race';
import { startDemo, type DemoBackend } from './demoBackend';
import { DEMO_GRPC_SERVICE } from './grpcProto';
import { WebhookSender } from './webhookSender';

export interface DemoRace {
  demo: DemoBackend;
  entries: RaceEntry[];
  /** The id and publish-time fields of the demo feed (entries that read their own carry `idField` / `timestampField`). */
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
  const demo = await startDemo({ host: '127.0.0.1', port: 0, mqttPort: 0, grpcPort: 0, rate: opts.rate ?? 5, wsPingIntervalMs: 15_000 });
  // Until its first event the demo's /poll answers a placeholder, {"seq":0,"at":null}, which the race would take for
  // an event that everyone else missed: the feed starts with one now, and the short poll's first answer is that event.
  if (!demo.feed.latest) demo.feed.tick();
  const senders: WebhookSender[] = [];
  const base = new URL(demo.urls.index);
  const entries: RaceEntry[] = [
    { name: 'short poll', options: { pattern: 'poll', url: demo.urls.poll, poll: { intervalMs: opts.pollIntervalMs ?? 1000 } } },
    // From the current cursor: no history replayed, and nothing published while the first request travels is lost.
    { name: 'long poll', options: { pattern: 'long-poll', url: `${base.origin}/long-poll?cursor=${demo.feed.cursor}`, longPoll: { cursorField: '$.cursor' } } },
    { name: 'SSE', options: { pattern: 'sse', url: demo.urls.sse } },
    { name: 'WebSocket', options: { pattern: 'ws', url: demo.urls.ws } },
  ];
  // gRPC and GraphQL subscribe a round trip or two after connecting (reflection; connection_init/ack): like the
  // long poll, both start from the current cursor (`from`, the first seq to send), so nothing published meanwhile is lost.
  const from = demo.feed.cursor + 1;
  // Watch until cancelled (count 0); the schema comes from the server's reflection.
  if (demo.urls.grpc) {
    entries.push({ name: 'gRPC', options: { pattern: 'grpc', url: demo.urls.grpc, body: `{"count":0,"from":${from}}`, grpc: { method: `${DEMO_GRPC_SERVICE}/Watch` } } });
  }
  // The event's fields the other patterns carry, so that bytes per message compare like with like.
  entries.push({
    name: 'GraphQL',
    // After a reconnect it resumes after the last seq it got (resumeVariable), as the SSE session does with Last-Event-ID.
    options: {
      pattern: 'graphql',
      url: demo.urls.graphqlWs,
      body: 'subscription Ticks($after: Int) { ticks(after: $after) { seq at value label } }',
      graphql: { protocol: 'graphql-transport-ws', variables: { after: from - 1 }, resumeVariable: 'after', resumeField: '$.data.ticks.seq' },
    },
    idField: '$.data.ticks.seq',
    timestampField: '$.data.ticks.at',
  });
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
