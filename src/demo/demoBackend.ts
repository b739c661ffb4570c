import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Feed, type FeedEvent } from './feed';
import type { GraphqlFeed } from './graphqlFeed';
import { HttpRoutes } from './httpRoutes';
import { WebhookSender } from './webhookSender';
import { WsRoute } from './wsRoute';

/** How to run the demo backend. Every field is optional. */
export interface DemoOptions {
  /** Interface to bind; 127.0.0.1 unless asked otherwise, so the demo is not reachable from the network. */
  host?: string;
  /** HTTP and WebSocket port (0 picks a free one). Default 8080. */
  port?: number;
  /** Embedded MQTT broker port (0 picks a free one); `false` skips MQTT. Default 1883. */
  mqttPort?: number | false;
  /** gRPC port of `wirescope.demo.Feed`, with server reflection (0 picks a free one); `false` skips gRPC. Default 50051. */
  grpcPort?: number | false;
  /** Feed events per second (fractions allowed; 0 pauses the feed). Default 1. */
  rate?: number;
  /** Feed events kept for resuming. Default 1000. */
  historySize?: number;
  /** Where the webhook sender POSTs each feed event. */
  webhookUrl?: string;
  /** HMAC secret of the webhook sender; a random one is made when absent. */
  webhookSecret?: string;
  /**
   * The environment variable the secret was read from: the index route's webhook profile then checks
   * signatures with `${env:NAME}` (the secret itself is never served).
   */
  webhookSecretEnv?: string;
  /** How long a `/jobs` job runs. Default 2000. */
  jobMs?: number;
  /** Default long-poll hold. Default 25000. */
  longPollWaitMs?: number;
  /** Ping interval on `/ws`. Default 15000. */
  wsPingIntervalMs?: number;
  /** `retry:` for SSE clients. Default 2000. */
  sseRetryMs?: number;
  /** Lines worth showing to a person (webhook deliveries and failures). */
  onLog?: (line: string) => void;
}

/** Every URL the demo serves. */
export interface DemoUrls {
  index: string;
  items: string;
  sse: string;
  ws: string;
  poll: string;
  longPoll: string;
  stream: string;
  jobs: string;
  /** Socket.IO (main namespace; engine path /socket.io/), on the HTTP port. */
  socketio: string;
  /** The embedded broker, when it runs. */
  mqtt?: string;
  /** The gRPC server (`wirescope.demo.Feed`, reflection on), when it runs: grpc://host:port. */
  grpc?: string;
  /** The gRPC service's .proto text (for `--proto`), on the HTTP port, when gRPC runs. */
  grpcProto?: string;
  /** GraphQL queries and mutations (graphql-http: POST JSON or GET), on the HTTP port. */
  graphql: string;
  /** GraphQL subscriptions over WebSocket, same path: subprotocol graphql-transport-ws (graphql-ws) or graphql-ws (legacy). */
  graphqlWs: string;
  /** GraphQL subscriptions over graphql-sse. */
  graphqlSse: string;
  /** Where webhooks are sent, when a URL was given. */
  webhookTarget?: string;
}

/** A running demo backend. */
export interface DemoBackend {
  urls: DemoUrls;
  /** The live feed every route serves (tests can `tick()` it). */
  feed: Feed;
  /** The webhook sender's HMAC secret, when a webhook URL was given. */
  webhookSecret?: string;
  /** Stop every server and timer. Safe to call twice. */
  close(): Promise<void>;
}

/** A started side of the demo on its own port (MQTT, gRPC). */
interface PortSide {
  url: string;
  close(): Promise<void>;
}

/**
 * The embedded MQTT broker (src/demo/mqttBroker.ts: aedes, publishing the feed on feed/# and
 * answering MQTT 5 requests), loaded lazily so that HTTP-only users never evaluate aedes.
 */
async function startMqttSide(feed: Feed, host: string, port: number): Promise<PortSide> {
  const { startMqttBroker } = await import('./mqttBroker');
  const broker = await startMqttBroker({ host, port, feed });
  return { url: broker.url, close: () => broker.close() };
}

/**
 * The feed over gRPC (src/demo/grpcFeed.ts: @grpc/grpc-js with reflection, on its own port), loaded lazily
 * for the same reason as the broker.
 */
async function startGrpcSide(feed: Feed, host: string, port: number): Promise<PortSide> {
  const { startGrpcFeed } = await import('./grpcFeed');
  return startGrpcFeed({ host, port, feed });
}

const SOCKETIO_PATH = '/socket.io/';

/**
 * GraphQL on the HTTP port (src/demo/graphqlFeed.ts: graphql-http, graphql-ws, subscriptions-transport-ws and
 * graphql-sse over graphql-js), loaded lazily for the same reason as the broker.
 */
async function startGraphqlSide(feed: Feed, routes: HttpRoutes): Promise<GraphqlFeed> {
  const { startGraphqlFeed } = await import('./graphqlFeed');
  return startGraphqlFeed({ feed, items: () => routes.listItems() });
}

/** /graphql and /graphql/stream (and their subpaths' trailing slashes) are the GraphQL side's. */
function isGraphqlPath(url: string | undefined): boolean {
  const path = new URL(url ?? '/', 'http://demo.invalid').pathname.replace(/\/+$/, '');
  return path === '/graphql' || path === '/graphql/stream';
}

/** The feed over Socket.IO (src/demo/socketioFeed.ts), loaded lazily for the same reason as the broker. */
async function startSocketIoSide(server: http.Server, feed: Feed): Promise<{ close(): Promise<void> }> {
  const { startSocketIoFeed } = await import('./socketioFeed');
  return startSocketIoFeed(server, feed);
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Start the demo backend: one live feed served over every pattern. */
export async function startDemo(opts: DemoOptions = {}): Promise<DemoBackend> {
  const host = opts.host ?? '127.0.0.1';
  const feed = new Feed({ rate: opts.rate ?? 1, historySize: opts.historySize ?? 1000 });
  // Filled once the port is known; the index page reads it per request, once every side has started (ready).
  const urls = {} as DemoUrls;
  let ready = false;
  const routes = new HttpRoutes({
    feed,
    jobMs: opts.jobMs ?? 2000,
    longPollWaitMs: opts.longPollWaitMs ?? 25_000,
    longPollMaxWaitMs: Math.max(opts.longPollWaitMs ?? 25_000, 120_000),
    sseRetryMs: opts.sseRetryMs ?? 2000,
    keepAliveMs: 15_000,
    index: () => (ready ? (Object.fromEntries(Object.entries(urls).filter(([, v]) => v !== undefined)) as Record<string, string>) : undefined),
    ...(opts.webhookSecretEnv ? { webhookSecretRef: `\${env:${opts.webhookSecretEnv}}` } : {}),
  });
  const wsRoute = new WsRoute({ feed, pingIntervalMs: opts.wsPingIntervalMs ?? 15_000 });
  let graphql: GraphqlFeed | undefined;
  const server = http.createServer((req, res) => {
    if (!isGraphqlPath(req.url)) return routes.handle(req, res);
    if (graphql) return graphql.handleRequest(req, res);
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"GraphQL is starting"}');
  });
  // Socket.IO answers its own path (requests and upgrades) once attached below; /graphql upgrades are the GraphQL
  // side's (by subprotocol); every other upgrade is the ws route's.
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').startsWith(SOCKETIO_PATH)) return;
    if (graphql && isGraphqlPath(req.url)) graphql.handleUpgrade(req, socket, head);
    else wsRoute.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://${hostForUrl(host)}:${port}`;
  Object.assign(urls, {
    index: `${base}/`,
    items: `${base}/items`,
    sse: `${base}/sse`,
    ws: `ws://${hostForUrl(host)}:${port}/ws`,
    poll: `${base}/poll`,
    longPoll: `${base}/long-poll?cursor=0`,
    stream: `${base}/stream`,
    jobs: `${base}/jobs`,
    socketio: `${base}/`,
    graphql: `${base}/graphql`,
    graphqlWs: `ws://${hostForUrl(host)}:${port}/graphql`,
    graphqlSse: `${base}/graphql/stream`,
  } satisfies DemoUrls);

  let mqtt: PortSide | undefined;
  let grpc: PortSide | undefined;
  let socketio: { close(): Promise<void> } | undefined;
  let sender: WebhookSender | undefined;
  let webhookSecret: string | undefined;
  const stopHttp = async () => {
    routes.close();
    wsRoute.close();
    graphql?.close();
    // Socket.IO's close() closes the HTTP server too and waits for it, so the connections are cut in the same
    // turn: awaited first, a held SSE, stream or long-poll client would keep close() waiting for ever.
    const socketioClosed = socketio?.close();
    server.closeAllConnections();
    await Promise.all([socketioClosed, new Promise<void>((r) => server.close(() => r()))]);
  };
  try {
    socketio = await startSocketIoSide(server, feed);
    graphql = await startGraphqlSide(feed, routes);
    if (opts.mqttPort !== false) mqtt = await startMqttSide(feed, host, opts.mqttPort ?? 1883);
    if (mqtt) urls.mqtt = mqtt.url;
    if (opts.grpcPort !== false) grpc = await startGrpcSide(feed, host, opts.grpcPort ?? 50051);
    if (grpc) Object.assign(urls, { grpc: grpc.url, grpcProto: `${base}/grpc/feed.proto` });
    if (opts.webhookUrl) {
      webhookSecret = opts.webhookSecret ?? randomBytes(16).toString('hex');
      sender = new WebhookSender({
        feed,
        url: opts.webhookUrl,
        secret: webhookSecret,
        onResult: (r) => opts.onLog?.(r.error ? `webhook #${r.seq} failed: ${r.error}` : `webhook #${r.seq} -> HTTP ${r.status}`),
      });
      urls.webhookTarget = opts.webhookUrl;
    }
  } catch (err) {
    await Promise.all([mqtt?.close(), grpc?.close()]);
    await stopHttp();
    throw err;
  }
  feed.start();
  ready = true;

  let closing: Promise<void> | undefined;
  return {
    urls,
    feed,
    webhookSecret,
    close: () =>
      (closing ??= (async () => {
        sender?.stop();
        feed.stop();
        await Promise.all([stopHttp(), mqtt?.close(), grpc?.close()]);
      })()),
  };
}

export type { FeedEvent };
