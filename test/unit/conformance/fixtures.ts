/**
 * The per-pattern table of the conformance suite: for every registered pattern, a real server on
 * 127.0.0.1 (port 0, or a real Mosquitto broker for MQTT), the session options that reach it, and how
 * the shared rows apply. Where a pattern does not fit a row, the table says so with a reason and names
 * the behaviour that is asserted instead; no row is skipped.
 */
import http from 'node:http';
import dgram from 'node:dgram';
import net from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectOptions, PatternId } from '../../../src/shared/connectOptions';
import type { StateEvent, WireEvent } from '../../../src/shared/events';
import { listen } from '../../helpers/servers';
import { startMosquitto } from '../../helpers/mosquitto';
import { startRedis } from '../../helpers/redis';
import { startSmtp } from '../../helpers/smtpServer';
import { startNats } from '../../helpers/nats';
import { rabbitPrefix, sharedRabbit } from '../../helpers/rabbitmq';
import { startDovecot } from '../../helpers/dovecot';
import { startGrpcServer } from '../../helpers/grpc';
import { startGraphqlServers } from '../../helpers/graphql';
import { kcatProduce, startKafka } from '../../helpers/kafka';
import { FaultProxy } from '../../../src/core/faultProxy';

/** Fast, deterministic backoff so that reconnect rows finish in milliseconds. */
const QUICK_RECONNECT = { initialDelayMs: 30, maxDelayMs: 200, jitter: 0, maxAttempts: 20 } as const;

/** A server started for one row, and the session options that reach it. */
export interface LiveServer {
  /** A session that opens, receives data and stays open until it is closed. */
  options: ConnectOptions;
  /** For the `count: 1` row, when it needs other options (default: `options`). */
  countOptions?: ConnectOptions;
  /**
   * Runs once the session is open: makes inbound data arrive where the server needs a nudge (the
   * webhook receiver needs a caller), or waits until the server holds the request (plain HTTP).
   */
  provoke(open: StateEvent): Promise<void>;
  /** The server side cuts the session's connection (or its next exchange; see the fixture's recovery). */
  drop(): Promise<void>;
  /** Requests or connections the server has seen (to check that nothing goes out after close). */
  hits(): number;
  /** The server goes away for good: it stops listening and cuts what is open, so every new attempt is refused. */
  goAway(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How the shared connection lifecycle (src/core/lifecycle.ts) applies to a pattern: the rows
 * "gives up after maxAttempts" and "user-requested reconnect".
 */
export type Lifecycle =
  /** A connection that reconnects: reconnect events up to maxAttempts, then the one give-up; a user reconnect drops and reopens it. */
  | { kind: 'reconnects' }
  /** Short polling: failed polls count towards maxAttempts and end in the same give-up, without reconnect events; nothing to reconnect. */
  | { kind: 'polls'; reason: string }
  /** No connection to re-establish: nothing is retried, and a reconnect request is refused with one line. */
  | { kind: 'none'; reason: string };

/** What a server drop does to a session of this pattern. */
export type Recovery =
  /** Long-lived connection: a `reconnect` event, then `open` again. */
  | { kind: 'reconnect' }
  /** Short polling has no connection to re-establish: the failed poll is an error, the next poll answers. */
  | { kind: 'next-poll'; reason: string }
  /** A single exchange (or one operation): a drop fails the session with one line, and nothing retries. */
  | { kind: 'fails'; reason: string }
  /** No outbound connection: a caller that hangs up mid-request leaves the receiver open for the next one. */
  | { kind: 'stays-open'; reason: string };

export interface Fixture {
  pattern: PatternId;
  start(): Promise<LiveServer>;
  /** The session is established and has exchanged data (when it is safe to close or drop). */
  established(events: WireEvent[]): boolean;
  /** The events after a reopen show the new connection working (default: `established`). */
  reestablished?(events: WireEvent[]): boolean;
  recovery: Recovery;
  lifecycle: Lifecycle;
  /**
   * Where a session that finds nothing to talk to fails: a closed port, or (webhook, which listens
   * instead of connecting) a port that is already taken.
   */
  noServer: { kind: 'closed-port'; url(port: number): string; /** Options a connectionless pattern needs to notice the closed port (a first datagram). */ with?: Partial<ConnectOptions> } | { kind: 'port-in-use'; reason: string };
  /** No handshake (UDP): "closed while still connecting" becomes "closed right after start". */
  connectionless?: { reason: string };
  /** Invalid target: a bad URL, or (webhook, which ignores the URL) a bad listen address. */
  invalidTarget: { kind: 'url'; urls: string[] } | { kind: 'listen'; reason: string; listens: string[] };
}

const hasInData = (events: WireEvent[]) => events.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true);

/** A node http server that remembers its sockets, counts requests, and can cut the next exchange. */
async function trackedHttp(handler: http.RequestListener): Promise<{
  url: string;
  hits(): number;
  destroyAll(): void;
  dropNext(): void;
  goAway(): Promise<void>;
  close(): Promise<void>;
}> {
  let hits = 0;
  let dropNext = false;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    hits++;
    if (dropNext) {
      dropNext = false;
      req.socket.destroy();
      return;
    }
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    destroyAll: () => {
      for (const s of sockets) s.destroy();
    },
    dropNext: () => {
      dropNext = true;
    },
    goAway: async () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** POST `body` on a fresh connection (no pooled socket is left behind) and read the reply. */
export function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** A caller that announces a body, sends part of it, and hangs up. */
function hangUpMidRequest(url: string): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) }, () => {
      sock.write(`POST /hook HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npartial`);
      setTimeout(() => sock.destroy(), 20);
    });
    sock.once('close', () => resolve());
    sock.once('error', () => undefined);
  });
}

const noop = async () => undefined;

/** Poll `pred` every 5 ms for at most 5 s. */
async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const httpUrl = (port: number) => `http://127.0.0.1:${port}/`;
const INVALID_HTTP_URLS = ['not a url', 'http://'];

/** A TCP echo server (with a greeting line) that can reset its connections, as a crashed peer would. */
async function tcpEcho(): Promise<LiveServer> {
  let hits = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    hits++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write('hello\r\n');
    s.on('data', (d) => s.write(d));
  });
  const port = await listen(server);
  const reset = () => {
    for (const s of sockets) s.resetAndDestroy();
  };
  return {
    options: { pattern: 'tcp', url: `tcp://127.0.0.1:${port}`, reconnect: QUICK_RECONNECT, tcp: { split: 'lines' } },
    provoke: noop,
    // A reset (RST) is a lost connection; a FIN from the server would be its goodbye and end the session.
    drop: async () => reset(),
    hits: () => hits,
    goAway: async () => {
      server.close();
      reset();
    },
    close: async () => {
      reset();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The library's own Socket.IO server (`socket.io`): a welcome event on each connection and an echo. It can
 * reset its TCP connections (a crashed peer), and counts them (nothing may connect after close).
 */
async function socketIoEcho(): Promise<LiveServer> {
  let hits = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer();
  server.on('connection', (s) => {
    hits++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const io = new SocketIoServer(server);
  io.on('connection', (s) => {
    s.emit('welcome', { id: s.id });
    s.on('echo', (...args: unknown[]) => s.emit('echo', ...args));
  });
  const port = await listen(server);
  const reset = () => {
    for (const s of sockets) s.resetAndDestroy();
  };
  return {
    options: { pattern: 'socketio', url: `http://127.0.0.1:${port}/`, reconnect: QUICK_RECONNECT, socketio: { transport: 'websocket' } },
    provoke: noop,
    drop: async () => reset(),
    hits: () => hits,
    goAway: async () => {
      server.close();
      reset();
    },
    close: async () => {
      reset();
      await new Promise<void>((r) => io.close(() => r()));
    },
  };
}

/** A UDP echo server; it can go away and come back on the same port, and can send first (to the session's local port). */
async function udpEcho(): Promise<LiveServer> {
  let hits = 0;
  let sock: dgram.Socket;
  let port = 0;
  const bind = async () => {
    sock = dgram.createSocket('udp4');
    sock.on('message', (m, r) => {
      hits++;
      sock.send(m, r.port, r.address);
    });
    await new Promise<void>((r) => sock.bind(port, '127.0.0.1', () => r()));
    port = sock.address().port;
  };
  const unbind = () => new Promise<void>((r) => sock.close(() => r()));
  await bind();
  return {
    options: { pattern: 'udp', url: `udp://127.0.0.1:${port}`, send: ['hello'] },
    provoke: async (open) => {
      const local = Number(open.meta?.localPort);
      await new Promise<void>((r) => sock.send('nudge', local, '127.0.0.1', () => r()));
    },
    drop: async () => {
      await unbind();
      await bind();
    },
    hits: () => hits,
    goAway: unbind,
    close: unbind,
  };
}

export const FIXTURES: Fixture[] = [
  {
    pattern: 'http',
    async start() {
      const srv = await trackedHttp((req, res) => {
        // `/hold` accepts the request and never answers, so the session stays open until closed.
        if (req.url === '/hold') return;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      });
      return {
        options: { pattern: 'http', url: `${srv.url}/hold` },
        countOptions: { pattern: 'http', url: `${srv.url}/answer` },
        // The out frame is logged as the request leaves; the server has it a moment later.
        provoke: () => until(() => srv.hits() > 0, 'the server received the held request'),
        drop: async () => srv.destroyAll(),
        hits: srv.hits,
        goAway: srv.goAway,
        close: srv.close,
      };
    },
    // A held request has sent its out frame and is waiting for an answer.
    established: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'out'),
    recovery: { kind: 'fails', reason: 'one request, one response: a cut exchange is the answer, and is not retried' },
    lifecycle: { kind: 'none', reason: 'one request, one response: there is no connection to re-establish; a new request is a new session' },
    noServer: { kind: 'closed-port', url: httpUrl },
    invalidTarget: { kind: 'url', urls: INVALID_HTTP_URLS },
  },
  {
    pattern: 'ws',
    async start() {
      let connections = 0;
      const server = http.createServer((_req, res) => res.writeHead(404).end());
      const wss = new WebSocketServer({ server });
      const clients = new Set<WebSocket>();
      wss.on('connection', (sock) => {
        connections++;
        clients.add(sock);
        sock.once('close', () => clients.delete(sock));
        sock.on('message', (m, isBinary) => sock.send(m, { binary: isBinary }));
        sock.send('hello');
      });
      const port = await listen(server);
      return {
        options: { pattern: 'ws', url: `ws://127.0.0.1:${port}/`, reconnect: QUICK_RECONNECT },
        provoke: noop,
        drop: async () => {
          for (const c of clients) c.terminate();
        },
        hits: () => connections,
        goAway: async () => {
          server.close();
          for (const c of clients) c.terminate();
        },
        close: async () => {
          for (const c of wss.clients) c.terminate();
          wss.close();
          server.closeAllConnections();
          await new Promise<void>((r) => server.close(() => r()));
        },
      };
    },
    established: hasInData,
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `ws://127.0.0.1:${port}/` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'ws://'] },
  },
  {
    pattern: 'sse',
    async start() {
      let n = 0;
      const srv = await trackedHttp((_req, res) => {
        n++;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        // retry: keeps the library's reconnect quick, and is what the reconnect event reports.
        res.write(`retry: 40\nid: ${n}\ndata: hello ${n}\n\n`);
      });
      return {
        options: { pattern: 'sse', url: `${srv.url}/events`, reconnect: QUICK_RECONNECT },
        provoke: noop,
        drop: async () => srv.destroyAll(),
        hits: srv.hits,
        goAway: srv.goAway,
        close: srv.close,
      };
    },
    established: hasInData,
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: httpUrl },
    invalidTarget: { kind: 'url', urls: INVALID_HTTP_URLS },
  },
  {
    pattern: 'poll',
    async start() {
      let version = 0;
      const srv = await trackedHttp((_req, res) => {
        version++;
        res.writeHead(200, { 'content-type': 'application/json', etag: `"v${version}"` }).end(JSON.stringify({ version }));
      });
      return {
        options: { pattern: 'poll', url: `${srv.url}/resource`, poll: { intervalMs: 25 }, reconnect: QUICK_RECONNECT },
        provoke: noop,
        drop: async () => srv.dropNext(),
        hits: srv.hits,
        goAway: srv.goAway,
        close: srv.close,
      };
    },
    established: hasInData,
    recovery: {
      kind: 'next-poll',
      reason: 'short polling holds no connection: a failed poll is logged as an error and the next poll is the recovery',
    },
    lifecycle: { kind: 'polls', reason: 'every poll is a fresh request: failed polls count towards maxAttempts, and there is no connection to drop on request' },
    noServer: { kind: 'closed-port', url: httpUrl },
    invalidTarget: { kind: 'url', urls: INVALID_HTTP_URLS },
  },
  {
    pattern: 'long-poll',
    async start() {
      let cursor = 0;
      const srv = await trackedHttp((_req, res) => {
        // Hold each request briefly, as a long-poll server does until data arrives.
        const timer = setTimeout(() => {
          cursor++;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cursor: String(cursor), items: [cursor] }));
        }, 20);
        res.once('close', () => clearTimeout(timer));
      });
      return {
        options: { pattern: 'long-poll', url: `${srv.url}/updates`, longPoll: { cursorField: '$.cursor' }, reconnect: QUICK_RECONNECT },
        provoke: noop,
        drop: async () => {
          // Cut the request being held now, and the next one too if it was between requests.
          srv.dropNext();
          srv.destroyAll();
        },
        hits: srv.hits,
        goAway: srv.goAway,
        close: srv.close,
      };
    },
    established: hasInData,
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: httpUrl },
    invalidTarget: { kind: 'url', urls: INVALID_HTTP_URLS },
  },
  {
    pattern: 'stream',
    async start() {
      let n = 0;
      const srv = await trackedHttp((_req, res) => {
        n++;
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(`{"n":${n}}\n`); // then held open
      });
      return {
        options: { pattern: 'stream', url: `${srv.url}/stream`, reconnect: QUICK_RECONNECT },
        provoke: noop,
        drop: async () => srv.destroyAll(),
        hits: srv.hits,
        goAway: srv.goAway,
        close: srv.close,
      };
    },
    established: hasInData,
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: httpUrl },
    invalidTarget: { kind: 'url', urls: INVALID_HTTP_URLS },
  },
  {
    pattern: 'mqtt',
    async start() {
      const broker = await startMosquitto();
      const options: ConnectOptions = {
        pattern: 'mqtt',
        url: broker.url,
        reconnect: QUICK_RECONNECT,
        mqtt: {
          subscribe: [{ topic: 'conformance/#', qos: 1 }],
          // Published once connected; the broker sends it back through the subscription.
          publish: [{ topic: 'conformance/hello', payload: 'hello', qos: 1 }],
        },
      };
      return {
        options,
        provoke: noop,
        drop: () => broker.restart(),
        hits: () => 0,
        goAway: () => broker.halt(),
        close: () => broker.stop(),
      };
    },
    established: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.channel === 'conformance/hello'),
    // The hello is published once; on a new connection the broker's SUBACK shows the subscription restored.
    reestablished: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.packet === 'suback'),
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `mqtt://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'mqtt://'] },
  },
  {
    pattern: 'webhook',
    async start() {
      let calls = 0;
      let receiverUrl = '';
      return {
        // The URL is not used: the receiver binds where `webhook.listen` says (loopback, any free port).
        options: { pattern: 'webhook', url: '', webhook: { listen: '127.0.0.1:0', reply: { status: 202, body: 'ok' } } },
        provoke: async (open) => {
          receiverUrl = open.url ?? '';
          calls++;
          await post(receiverUrl, `{"event":${calls}}`);
        },
        drop: async () => {
          calls++;
          await hangUpMidRequest(receiverUrl);
        },
        hits: () => calls,
        // Nothing to go away: the receiver is the server. The give-up row hangs up callers instead.
        goAway: noop,
        close: noop,
      };
    },
    established: hasInData,
    recovery: { kind: 'stays-open', reason: 'the receiver makes no outbound connection; callers come and go on their own' },
    lifecycle: { kind: 'none', reason: 'the receiver listens instead of connecting: callers come and go, and nothing is ever retried' },
    noServer: { kind: 'port-in-use', reason: 'the receiver listens instead of connecting: its "nothing there" is a port it cannot have' },
    invalidTarget: {
      kind: 'listen',
      reason: 'the receiver ignores the session URL; its target is the listen address',
      listens: ['127.0.0.1:99999', 'localhost:port', '::1:80'],
    },
  },
  {
    pattern: 'async',
    async start() {
      const srv = await trackedHttp((req, res) => {
        if (req.method === 'POST') {
          res.writeHead(202, { location: '/operations/1', 'content-type': 'application/json' }).end('{"status":"accepted"}');
          return;
        }
        // The operation never finishes, so the session polls until it is closed.
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"running"}');
      });
      return {
        options: { pattern: 'async', url: `${srv.url}/jobs`, async: { pollIntervalMs: 25 } },
        provoke: noop,
        drop: async () => srv.dropNext(),
        hits: srv.hits,
        goAway: srv.goAway,
        close: srv.close,
      };
    },
    established: hasInData,
    recovery: { kind: 'fails', reason: 'one operation: a status poll whose connection is cut fails it with one line, and nothing retries' },
    lifecycle: { kind: 'none', reason: 'one operation: a cut status poll fails it, and a new operation is a new session' },
    noServer: { kind: 'closed-port', url: httpUrl },
    invalidTarget: { kind: 'url', urls: INVALID_HTTP_URLS },
  },
  {
    pattern: 'tcp',
    start: tcpEcho,
    established: hasInData,
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `tcp://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'tcp://127.0.0.1'] },
  },
  {
    pattern: 'imap',
    start: async () => {
      // A real IMAP server (Debian's dovecot) behind a fault proxy that can cut its connections; the
      // conversation stays open after CAPABILITY (keepOpen), as for typed commands.
      const dv = await startDovecot(['Subject: one\r\n\r\nhi\r\n']);
      const proxy = await FaultProxy.start(dv.port);
      return {
        options: { pattern: 'imap', url: proxy.url('imap'), imap: { starttls: 'off', keepOpen: true } },
        provoke: noop,
        drop: async () => void proxy.cut(),
        hits: () => proxy.accepted,
        goAway: async () => {
          await proxy.close();
        },
        close: async () => {
          await proxy.close();
          await dv.stop();
        },
      };
    },
    // The greeting and the CAPABILITY reply.
    established: (es) => es.filter((e) => e.kind === 'frame' && e.dir === 'in').length >= 2,
    recovery: { kind: 'fails', reason: 'a conversation is a script of tagged commands and replies: a connection cut without a BYE fails it with one line, and a new conversation is a new session' },
    lifecycle: { kind: 'none', reason: 'a conversation is not resumed on a new connection (its login and selected mailbox are gone); nothing retries' },
    noServer: { kind: 'closed-port', url: (port) => `imap://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'imap://'] },
  },
  {
    pattern: 'smtp',
    start: async () => {
      // A real SMTP server (smtp-server); the conversation stays open after EHLO (keepOpen), as for typed commands.
      const srv = await startSmtp({ noTls: true });
      return {
        options: { pattern: 'smtp', url: `smtp://127.0.0.1:${srv.port}`, smtp: { keepOpen: true } },
        provoke: noop,
        drop: async () => srv.reset(),
        hits: srv.hits,
        goAway: async () => srv.goAway(),
        close: srv.close,
      };
    },
    // The greeting and the EHLO reply.
    established: (es) => es.filter((e) => e.kind === 'frame' && e.dir === 'in').length >= 2,
    recovery: { kind: 'fails', reason: 'a conversation is a script of commands and replies: a cut connection fails it with one line, and a new conversation is a new session' },
    lifecycle: { kind: 'none', reason: 'a conversation is not resumed on a new connection (its transaction state is gone); nothing retries' },
    noServer: { kind: 'closed-port', url: (port) => `smtp://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'smtp://'] },
  },
  {
    pattern: 'socketio',
    start: socketIoEcho,
    // Every connection (and every reconnection) joins the namespace and gets its welcome event.
    established: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.channel === 'welcome'),
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `http://127.0.0.1:${port}/` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'http://'] },
  },
  {
    pattern: 'udp',
    start: udpEcho,
    established: hasInData,
    recovery: { kind: 'stays-open', reason: 'UDP has no connection: a peer that goes away and comes back is reached again by the same socket' },
    lifecycle: { kind: 'none', reason: 'UDP has no connection to re-establish; the socket stays as it is' },
    noServer: { kind: 'closed-port', url: (port) => `udp://127.0.0.1:${port}`, with: { send: ['anyone there?'] } },
    connectionless: { reason: 'a UDP socket opens at once: there is no handshake to be waiting for' },
    invalidTarget: { kind: 'url', urls: ['not a url', 'udp://127.0.0.1'] },
  },
  {
    pattern: 'redis',
    // A real redis-server per row (it starts in milliseconds): rows halt and restart it, so they cannot share one.
    async start() {
      const redis = await startRedis();
      // A stream entry that is there before the session: read from 0, it is the first data to arrive.
      await redis.cli('XADD', 'conformance-stream', '*', 'n', '1');
      return {
        options: { pattern: 'redis', url: redis.url, reconnect: QUICK_RECONNECT, redis: { subscribe: ['conformance'], stream: ['conformance-stream'], from: '0', blockMs: 1000 } },
        provoke: noop,
        drop: () => redis.restart(),
        hits: () => 0,
        goAway: () => redis.halt(),
        close: () => redis.stop(),
      };
    },
    established: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.channel === 'conformance-stream' && e.meta?.control !== true),
    // After a reconnect the server confirms the subscription again (the stream read resumes after the entry already seen).
    reestablished: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.packet === 'SUBSCRIBE'),
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `redis://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'redis://', 'redis://127.0.0.1/notadb'] },
  },
  {
    pattern: 'nats',
    // A real nats-server per row (it starts in milliseconds): rows halt and restart it, so they cannot share one.
    async start() {
      const nats = await startNats();
      return {
        // Subscribed to its own start-up publish: the message comes back through the server.
        options: { pattern: 'nats', url: nats.url, reconnect: QUICK_RECONNECT, nats: { subscribe: ['conformance.>'], publish: [{ subject: 'conformance.hello', payload: 'hello' }] } },
        provoke: noop,
        drop: () => nats.restart(),
        hits: () => 0,
        goAway: () => nats.halt(),
        close: () => nats.stop(),
      };
    },
    established: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.channel === 'conformance.hello' && e.meta?.control !== true),
    // The hello is published once; on a new connection the server's PONG confirms the subscription again.
    reestablished: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.packet === 'SUB'),
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `nats://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'nats://'] },
  },
  {
    pattern: 'grpc',
    async start() {
      // @grpc/grpc-js's own server with reflection; a long server-streaming call keeps the session open.
      const srv = await startGrpcServer();
      let down = false;
      const shutdown = async () => {
        if (down) return;
        down = true;
        srv.server.forceShutdown();
      };
      return {
        options: { pattern: 'grpc', url: srv.url, body: '{"count":100000,"intervalMs":20}', grpc: { method: 'wirescope.feed.v1.Feed/Watch' } },
        provoke: noop,
        // forceShutdown cuts every connection (and stops listening: a call cannot be resumed anyway).
        drop: shutdown,
        hits: () => srv.calls.length,
        goAway: shutdown,
        close: async () => {
          await shutdown();
          await srv.stop();
        },
      };
    },
    established: hasInData,
    recovery: { kind: 'fails', reason: 'one call: a connection lost mid-call ends it with UNAVAILABLE in one line, and a call cannot be resumed' },
    lifecycle: { kind: 'none', reason: 'one call: there is no connection to re-establish; a new call is a new session' },
    noServer: { kind: 'closed-port', url: (port) => `grpc://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'grpc://', 'grpc://127.0.0.1:99999'] },
  },
  {
    pattern: 'graphql',
    async start() {
      // The graphql-ws library's own server (useServer on a ws WebSocketServer): a long subscription keeps the session open.
      const srv = await startGraphqlServers();
      let down = false;
      const shutdown = async () => {
        if (down) return;
        down = true;
        await srv.close();
      };
      return {
        options: { pattern: 'graphql', url: srv.wsUrl, reconnect: QUICK_RECONNECT, graphql: { documents: ['subscription Conformance { ticks(intervalMs: 20) { seq } }'] } },
        provoke: noop,
        drop: async () => srv.dropClients(),
        hits: () => srv.connections(),
        goAway: shutdown,
        close: shutdown,
      };
    },
    established: hasInData,
    // After a reconnect the subscription is sent again and results flow on it.
    reestablished: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'out' && e.meta?.resubscribe === true) && hasInData(es),
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `ws://127.0.0.1:${port}/graphql` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'ws://', 'ws://127.0.0.1:99999/graphql'] },
  },
  {
    pattern: 'kafka',
    // librdkafka's mock cluster (kcat) per row. It cannot come back on its port, so a drop cuts the client
    // connections (ss -K) while the broker stays up; goAway stops the cluster.
    async start() {
      const k = await startKafka();
      const topic = `conformance-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      await kcatProduce(k.bootstrap, topic, [{ key: 'k1', value: 'hello' }]);
      return {
        options: { pattern: 'kafka', url: k.url, reconnect: QUICK_RECONNECT, kafka: { topic: [topic], from: 'beginning', maxWaitMs: 200 } },
        provoke: noop,
        drop: async () => {
          await k.cut();
        },
        hits: () => 0,
        goAway: () => k.stop(),
        close: () => k.stop(),
      };
    },
    established: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true && e.meta?.key === 'k1'),
    // After a reconnect the partitions are assigned again (reading resumes after the last offset seen).
    reestablished: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.packet === 'ASSIGN'),
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `kafka://127.0.0.1:${port}` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'kafka://', 'kafka://a:99999'] },
  },
  {
    pattern: 'amqp',
    start: async () => {
      // The one RabbitMQ node of this test process (it takes seconds to start), behind a fault proxy per row
      // that cuts its connections or stops listening; the session watches amq.topic through its private queue
      // and publishes a hello there, which comes back through the broker.
      const rabbit = await sharedRabbit();
      const proxy = await FaultProxy.start(rabbit.port);
      const p = rabbitPrefix('conf');
      return {
        options: { pattern: 'amqp', url: proxy.url('amqp', '/'), reconnect: QUICK_RECONNECT, amqp: { bind: [{ exchange: 'amq.topic', routingKey: `${p}.#` }], publish: [{ exchange: 'amq.topic', routingKey: `${p}.hello`, payload: 'hello' }] } },
        provoke: noop,
        drop: async () => void proxy.cut(),
        hits: () => proxy.accepted,
        goAway: () => proxy.close(),
        close: () => proxy.close(),
      };
    },
    established: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.control !== true && e.data === 'hello'),
    // The hello is published once; on a new connection the private queue is declared and bound again.
    reestablished: (es) => es.some((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.packet === 'queue.bind-ok'),
    recovery: { kind: 'reconnect' },
    lifecycle: { kind: 'reconnects' },
    noServer: { kind: 'closed-port', url: (port) => `amqp://127.0.0.1:${port}/` },
    invalidTarget: { kind: 'url', urls: ['not a url', 'amqp://', 'amqp://127.0.0.1:5672/%zz'] },
  },
];
