/**
 * The demo backend's GraphQL side, on its HTTP port, over one graphql-js schema of the feed:
 *
 * - `/graphql` over HTTP: queries and mutations (graphql-http's handler: POST JSON or GET);
 * - `/graphql` over WebSocket: subscriptions with the graphql-ws library (subprotocol `graphql-transport-ws`) or the
 *   legacy subscriptions-transport-ws (subprotocol `graphql-ws`), chosen by the subprotocol the client offers
 *   (graphql-transport-ws when it offers both);
 * - `/graphql/stream`: subscriptions over graphql-sse (distinct connections mode).
 *
 * Query: `latest`, `event(seq:)` (an error naming the kept seqs when absent), `events(after:, limit:)`, `items` (the
 * REST resource's items), `feed` (cursor, oldest kept, rate). Mutation: `publish(label:)` produces a feed event now,
 * which every pattern then carries. Subscription: `ticks(from:, after:)`, each feed event as it happens (first the
 * kept ones from `from`, or after `after`).
 *
 * Loaded on demand, as its own bundle (scripts/build.mjs), so that the extension and the CLI evaluate graphql and its
 * servers only when the demo runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLEnumType,
  GraphQLError,
  GraphQLFloat,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  execute,
  subscribe,
} from 'graphql';
import { createHandler as createHttpHandler } from 'graphql-http/lib/use/http';
import { createHandler as createSseHandler } from 'graphql-sse/lib/use/http';
import { useServer } from 'graphql-ws/use/ws';
import { SubscriptionServer } from 'subscriptions-transport-ws';
import { WebSocketServer } from 'ws';
import type { FeedEvent } from './feed';

/** What the GraphQL side needs from the demo feed: `Feed` from ./feed fits. */
export interface GraphqlFeedSource {
  subscribe(listener: (e: FeedEvent) => void): () => void;
  since(seq: number): FeedEvent[];
  tick(label?: string): FeedEvent;
  readonly latest?: FeedEvent;
  readonly cursor: number;
  readonly oldestKept: number;
  readonly rate: number;
}

export interface GraphqlFeedOptions {
  feed: GraphqlFeedSource;
  /** The REST resource's items (the `items` query). */
  items?: () => ReadonlyArray<Record<string, unknown>>;
  /** Keep-alive of the legacy protocol (`ka` messages), ms. Default 10000. */
  legacyKeepAliveMs?: number;
}

export interface GraphqlFeed {
  /** Answer a request for /graphql or /graphql/stream (anything else is not asked of it). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Take over a WebSocket upgrade of /graphql. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export const GRAPHQL_PATH = '/graphql';
export const GRAPHQL_SSE_PATH = '/graphql/stream';
/** The graphql-ws library's subprotocol, and the legacy subscriptions-transport-ws one. */
const TRANSPORT_WS = 'graphql-transport-ws';
const LEGACY_WS = 'graphql-ws';
/** Events queued for one subscription past which it ends with an error instead of buffering without bound. */
const MAX_QUEUED = 10_000;

function level(value: number): string {
  return value < 34 ? 'LOW' : value < 67 ? 'MID' : 'HIGH';
}

/** The feed from `from` (kept events first), as an async iterator that unsubscribes when the client stops. */
function feedEvents(feed: GraphqlFeedSource, from: number): AsyncIterableIterator<{ ticks: FeedEvent }> {
  const queue: FeedEvent[] = [];
  let lastSeq = 0;
  let done = false;
  let overflow = false;
  let wake: (() => void) | undefined;
  const push = (e: FeedEvent) => {
    if (done || e.seq <= lastSeq) return;
    lastSeq = e.seq;
    if (queue.length >= MAX_QUEUED) overflow = true;
    else queue.push(e);
    wake?.();
  };
  // Subscribed before the kept events are read, so none falls between the two; `lastSeq` drops repeats.
  const unsubscribe = feed.subscribe(push);
  if (from > 0) for (const e of feed.since(from - 1)) push(e);
  const stop = () => {
    done = true;
    unsubscribe();
    wake?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (!done && queue.length === 0 && !overflow) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      if (done) return { done: true, value: undefined };
      if (queue.length === 0 && overflow) {
        stop();
        throw new GraphQLError(`client too slow for the feed: more than ${MAX_QUEUED} events queued`);
      }
      return { done: false, value: { ticks: queue.shift()! } };
    },
    async return() {
      stop();
      return { done: true, value: undefined };
    },
    async throw(err: unknown) {
      stop();
      throw err;
    },
  };
}

/** The demo's schema over a feed (and the REST items). */
export function demoGraphqlSchema(feed: GraphqlFeedSource, items: () => ReadonlyArray<Record<string, unknown>> = () => []): GraphQLSchema {
  const Level = new GraphQLEnumType({ name: 'Level', description: 'Where the value sits: below 34, 34 to 66, 67 and above.', values: { LOW: {}, MID: {}, HIGH: {} } });
  const Event = new GraphQLObjectType<FeedEvent>({
    name: 'Event',
    description: 'One numbered event of the demo feed (the same seq every other route carries).',
    fields: {
      seq: { type: new GraphQLNonNull(GraphQLInt) },
      at: { type: new GraphQLNonNull(GraphQLFloat), description: 'Server epoch ms when the event was produced.' },
      value: { type: new GraphQLNonNull(GraphQLInt) },
      label: { type: new GraphQLNonNull(GraphQLString) },
      level: { type: new GraphQLNonNull(Level), resolve: (e) => level(e.value) },
    },
  });
  const Item = new GraphQLObjectType<Record<string, unknown>>({
    name: 'Item',
    description: 'An item of the REST resource (/items).',
    fields: {
      id: { type: new GraphQLNonNull(GraphQLInt) },
      name: { type: GraphQLString, resolve: (i) => (i.name === undefined ? null : String(i.name)) },
      createdAt: { type: GraphQLFloat },
      updatedAt: { type: GraphQLFloat },
    },
  });
  const FeedInfo = new GraphQLObjectType({
    name: 'FeedInfo',
    fields: {
      cursor: { type: new GraphQLNonNull(GraphQLInt), description: 'The latest seq (0 before the first event).' },
      oldestKept: { type: new GraphQLNonNull(GraphQLInt) },
      rate: { type: new GraphQLNonNull(GraphQLFloat), description: 'Events per second.' },
    },
  });
  const kept = () => (feed.cursor === 0 ? 'the feed has no events yet' : `the feed is at seq ${feed.cursor} and keeps ${feed.oldestKept}..${feed.cursor}`);
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        latest: { type: Event, description: 'The latest event (null before the first).', resolve: () => feed.latest ?? null },
        event: {
          type: Event,
          description: 'One event by seq; an error naming the kept seqs when the feed does not keep it.',
          args: { seq: { type: new GraphQLNonNull(GraphQLInt) } },
          resolve: (_s, a: { seq: number }) => {
            const e = a.seq > 0 ? feed.since(a.seq - 1)[0] : undefined;
            if (e?.seq === a.seq) return e;
            throw new GraphQLError(`no event ${a.seq}: ${kept()}`, { extensions: { code: 'NOT_FOUND' } });
          },
        },
        events: {
          type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Event))),
          description: 'Kept events after a seq, oldest first.',
          args: { after: { type: GraphQLInt, defaultValue: 0 }, limit: { type: GraphQLInt, defaultValue: 10 } },
          resolve: (_s, a: { after: number; limit: number }) => feed.since(Math.max(0, a.after)).slice(0, Math.max(0, Math.min(a.limit, 1000))),
        },
        items: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Item))), resolve: () => items() },
        feed: { type: new GraphQLNonNull(FeedInfo), resolve: () => ({ cursor: feed.cursor, oldestKept: feed.oldestKept, rate: feed.rate }) },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        publish: {
          type: new GraphQLNonNull(Event),
          description: 'Produce a feed event now (every pattern carries it), with this label if given.',
          args: { label: { type: GraphQLString } },
          resolve: (_s, a: { label?: string | null }) => {
            if (a.label != null && !/^[\w .-]{1,64}$/.test(a.label)) throw new GraphQLError('label: 1 to 64 letters, digits, spaces, dots, dashes or underscores');
            return feed.tick(a.label ?? undefined);
          },
        },
      },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: new GraphQLNonNull(Event),
          description: 'Each feed event as it happens; first the kept ones from `from` (a seq), or after `after` (the last seq seen, a cursor to resume from), when given.',
          args: { from: { type: GraphQLInt, defaultValue: 0 }, after: { type: GraphQLInt } },
          subscribe: (_s, a: { from: number; after?: number | null }) => feedEvents(feed, typeof a.after === 'number' ? a.after + 1 : a.from),
          resolve: (payload: { ticks: FeedEvent }) => payload.ticks,
        },
      },
    }),
  });
}

/** The subprotocol an upgrade gets: graphql-transport-ws when offered, else the legacy graphql-ws. */
export function pickGraphqlSubprotocol(offered: string | undefined): typeof TRANSPORT_WS | typeof LEGACY_WS | undefined {
  const list = (offered ?? '').split(',').map((p) => p.trim());
  return list.includes(TRANSPORT_WS) ? TRANSPORT_WS : list.includes(LEGACY_WS) ? LEGACY_WS : undefined;
}

/** Start the GraphQL side: its handlers, for the demo's HTTP server to route to. */
export function startGraphqlFeed(options: GraphqlFeedOptions): GraphqlFeed {
  const schema = demoGraphqlSchema(options.feed, options.items);
  const httpHandler = createHttpHandler({ schema });
  const sseHandler = createSseHandler({ schema });
  const maxPayload = 1024 * 1024;
  const transportWss = new WebSocketServer({ noServer: true, maxPayload, handleProtocols: () => TRANSPORT_WS });
  const legacyWss = new WebSocketServer({ noServer: true, maxPayload, handleProtocols: () => LEGACY_WS });
  const transportServer = useServer({ schema }, transportWss);
  const legacyServer = SubscriptionServer.create({ schema, execute, subscribe, keepAlive: options.legacyKeepAliveMs ?? 10_000 }, legacyWss as never);
  for (const wss of [transportWss, legacyWss]) wss.on('connection', (ws) => ws.on('error', () => ws.terminate()));

  return {
    handleRequest(req, res) {
      const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname.replace(/\/+$/, '');
      const handler = path === GRAPHQL_SSE_PATH ? sseHandler : httpHandler;
      handler(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":[{"message":"Internal error"}]}');
        else res.destroy();
      });
    },
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      const protocol = pickGraphqlSubprotocol(req.headers['sec-websocket-protocol']);
      if (!protocol) {
        const body = `GraphQL over WebSocket at ${GRAPHQL_PATH} needs the subprotocol ${TRANSPORT_WS} (graphql-ws) or ${LEGACY_WS} (subscriptions-transport-ws).\r\n`;
        socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      const wss = protocol === TRANSPORT_WS ? transportWss : legacyWss;
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    close() {
      for (const wss of [transportWss, legacyWss]) for (const c of wss.clients) c.terminate();
      legacyServer.close();
      void Promise.resolve(transportServer.dispose()).catch(() => undefined);
      transportWss.close();
    },
  };
}
