/**
 * Real GraphQL servers for tests, none written by Wirescope: graphql-http's handler (queries and
 * mutations over HTTP), graphql-sse's handler (subscriptions over SSE, distinct connections), the
 * graphql-ws library's useServer on a `ws` WebSocketServer (graphql-transport-ws) and the legacy
 * subscriptions-transport-ws SubscriptionServer (subprotocol graphql-ws), all on node:http on
 * 127.0.0.1 with ports chosen at run time, over one graphql-js schema.
 *
 * Paths: /graphql (HTTP: graphql-http; WebSocket: graphql-ws), /graphql/stream (graphql-sse),
 * /auth (graphql-ws that accepts connection_init only with {"token":"s3cret"}), /closed (graphql-http over HTTP
 * and graphql-ws over WebSocket, both with introspection disabled by graphql-js's NoSchemaIntrospectionCustomRule,
 * as production servers often are), and the legacy server on
 * its own port at /graphql.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, NoSchemaIntrospectionCustomRule, execute, specifiedRules, subscribe, validate } from 'graphql';
import { createHandler as createHttpHandler } from 'graphql-http/lib/use/http';
import { createHandler as createSseHandler } from 'graphql-sse/lib/use/http';
import { WebSocketServer, type WebSocket } from 'ws';

export const AUTH_TOKEN = 's3cret';

const Tick = new GraphQLObjectType({
  name: 'Tick',
  fields: { seq: { type: new GraphQLNonNull(GraphQLInt) }, at: { type: GraphQLString } },
});

const Item = new GraphQLObjectType({
  name: 'Item',
  fields: { id: { type: new GraphQLNonNull(GraphQLString) }, name: { type: GraphQLString }, tags: { type: new GraphQLList(GraphQLString) } },
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `count` ticks, `intervalMs` apart (0: as fast as the consumer takes them), then the subscription completes. */
async function* ticks(count: number, intervalMs: number): AsyncGenerator<{ ticks: { seq: number } }> {
  for (let seq = 1; seq <= count; seq++) {
    if (intervalMs > 0) await sleep(intervalMs);
    yield { ticks: { seq } };
  }
}

export const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, args: { name: { type: GraphQLString } }, resolve: (_s, a: { name?: string }) => `hello ${a.name ?? 'world'}` },
      item: { type: Item, args: { id: { type: new GraphQLNonNull(GraphQLString) } }, resolve: (_s, a: { id: string }) => (a.id === '404' ? null : { id: a.id, name: `item ${a.id}`, tags: ['a', 'b'] }) },
      boom: { type: GraphQLString, resolve: () => { throw new Error('the boom field always fails'); } },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: { add: { type: GraphQLInt, args: { a: { type: new GraphQLNonNull(GraphQLInt) }, b: { type: new GraphQLNonNull(GraphQLInt) } }, resolve: (_s, x: { a: number; b: number }) => x.a + x.b } },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      ticks: {
        type: new GraphQLNonNull(Tick),
        args: { count: { type: GraphQLInt, defaultValue: 1_000_000 }, intervalMs: { type: GraphQLInt, defaultValue: 20 } },
        subscribe: (_s, a: { count: number; intervalMs: number }) => ticks(a.count, a.intervalMs),
      },
      failing: {
        type: Tick,
        args: { after: { type: GraphQLInt, defaultValue: 1 } },
        subscribe: async function* (_s, a: { after: number }) {
          for (let seq = 1; seq <= a.after; seq++) yield { failing: { seq } };
          throw new GraphQLError('the feed broke');
        },
      },
      resumable: {
        // Ticks after a cursor: `after` is the last seq the client got (what --resume-variable carries after a reconnect).
        type: new GraphQLNonNull(Tick),
        args: { after: { type: GraphQLInt, defaultValue: 0 }, intervalMs: { type: GraphQLInt, defaultValue: 10 } },
        subscribe: async function* (_s, a: { after: number; intervalMs: number }) {
          for (let seq = a.after + 1; seq <= 1_000_000; seq++) {
            await sleep(a.intervalMs);
            yield { resumable: { seq } };
          }
        },
      },
      partial: {
        // Each result has data and an error: a field error in a subscription result.
        type: Tick,
        subscribe: async function* () {
          for (let seq = 1; seq <= 3; seq++) yield { partial: { seq: seq === 2 ? null : seq } };
        },
      },
    },
  }),
});

export interface GraphqlServers {
  /** http://127.0.0.1:PORT/graphql */
  httpUrl: string;
  /** http://127.0.0.1:PORT/graphql/stream */
  sseUrl: string;
  /** ws://127.0.0.1:PORT/graphql (graphql-transport-ws) */
  wsUrl: string;
  /** ws://127.0.0.1:PORT/auth (graphql-transport-ws, connection_init needs the token) */
  authUrl: string;
  /** ws://127.0.0.1:PORT/closed (graphql-transport-ws; introspection disabled, over HTTP at the same path too) */
  closedUrl: string;
  /** ws://127.0.0.1:PORT2/graphql (legacy subscriptions-transport-ws, subprotocol graphql-ws) */
  legacyUrl: string;
  /** connection_init payloads the servers received. */
  inits: unknown[];
  /** Subscribe messages the graphql-ws server received (ids), in order. */
  subscribes: string[];
  /** WebSocket connections accepted so far (every path). */
  connections(): number;
  /** Drop every WebSocket client (no close frame). */
  dropClients(): void;
  /** graphql-sse requests (POST at /graphql/stream) received so far. */
  sseRequests(): number;
  /** Cut the sockets of every open graphql-sse stream (no end of the response: a network drop). */
  dropStreams(): void;
  close(): Promise<void>;
}

export async function startGraphqlServers(): Promise<GraphqlServers> {
  const { useServer } = await import('graphql-ws/use/ws');
  const { SubscriptionServer } = await import('subscriptions-transport-ws');
  const inits: unknown[] = [];
  const subscribes: string[] = [];
  const httpHandler = createHttpHandler({ schema });
  const sseHandler = createSseHandler({ schema });
  const closedHttpHandler = createHttpHandler({ schema, validationRules: [...specifiedRules, NoSchemaIntrospectionCustomRule] });
  let sseRequests = 0;
  const sseSockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/graphql/stream') {
      sseRequests++;
      const sock = req.socket;
      sseSockets.add(sock);
      res.on('close', () => sseSockets.delete(sock));
      // The handler's promise rejects when it writes to a stream whose client has gone (EPIPE): the server's affair.
      return void sseHandler(req, res).catch(() => undefined);
    }
    if (path === '/closed') return void closedHttpHandler(req, res);
    if (path === '/graphql') return void httpHandler(req, res);
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  const authWss = new WebSocketServer({ noServer: true });
  const closedWss = new WebSocketServer({ noServer: true });
  useServer({ schema, validate: (sch, doc) => validate(sch, doc, [...specifiedRules, NoSchemaIntrospectionCustomRule]) }, closedWss);
  useServer(
    {
      schema,
      onConnect: (ctx) => {
        inits.push(ctx.connectionParams ?? null);
      },
      onSubscribe: (_ctx, id) => {
        subscribes.push(id);
      },
    },
    wss,
  );
  useServer({ schema, onConnect: (ctx) => (ctx.connectionParams as { token?: string } | undefined)?.token === AUTH_TOKEN }, authWss);
  let connections = 0;
  server.on('upgrade', (req, socket, head) => {
    connections++;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const target = path === '/graphql' ? wss : path === '/auth' ? authWss : path === '/closed' ? closedWss : undefined;
    if (!target) return void socket.destroy();
    target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const legacyHttp = http.createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => legacyHttp.listen(0, '127.0.0.1', r));
  const legacyPort = (legacyHttp.address() as AddressInfo).port;
  const legacy = SubscriptionServer.create(
    {
      schema,
      execute,
      subscribe,
      onConnect: (params: unknown) => {
        inits.push(params ?? null);
        if ((params as { reject?: boolean } | undefined)?.reject) throw new Error('not allowed here');
        return true;
      },
    },
    { server: legacyHttp, path: '/graphql' },
  );

  const allClients = (): WebSocket[] => [...wss.clients, ...authWss.clients, ...closedWss.clients, ...(legacy.server.clients as Set<WebSocket>)];
  return {
    httpUrl: `http://127.0.0.1:${port}/graphql`,
    sseUrl: `http://127.0.0.1:${port}/graphql/stream`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    authUrl: `ws://127.0.0.1:${port}/auth`,
    closedUrl: `ws://127.0.0.1:${port}/closed`,
    legacyUrl: `ws://127.0.0.1:${legacyPort}/graphql`,
    inits,
    subscribes,
    connections: () => connections,
    dropClients: () => {
      for (const c of allClients()) c.terminate();
    },
    sseRequests: () => sseRequests,
    dropStreams: () => {
      for (const sock of sseSockets) sock.destroy();
      sseSockets.clear();
    },
    close: async () => {
      for (const c of allClients()) c.terminate();
      legacy.close();
      wss.close();
      authWss.close();
      closedWss.close();
      server.closeAllConnections();
      legacyHttp.closeAllConnections();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => legacyHttp.close(r))]);
    },
  };
}
