/** Real servers on 127.0.0.1, port 0, for tests. Everything started here is closed by the returned close(). */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WireEvent } from '../../src/shared/events';
import { Session } from '../../src/core/session';
import type { ConnectOptions } from '../../src/shared/connectOptions';

export async function listen(server: NetServer | http.Server, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

export interface HttpTestServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function httpServer(handler: http.RequestListener): Promise<HttpTestServer> {
  const server = http.createServer(handler);
  const port = await listen(server);
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface WsTestServer {
  wss: WebSocketServer;
  http: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function wsServer(setup: (wss: WebSocketServer) => void, opts: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<WsTestServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ ...opts, server });
  setup(wss);
  const port = await listen(server);
  return {
    wss,
    http: server,
    port,
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Run a session to its end (bounded by `timeoutMs`) and return every event. */
export async function runSession(
  options: ConnectOptions,
  during?: (s: Session, events: WireEvent[]) => void | Promise<void>,
  timeoutMs = 15_000,
): Promise<WireEvent[]> {
  const s = new Session(options);
  const events: WireEvent[] = [];
  s.onEvent((e) => events.push(e));
  await s.start();
  const guard = setTimeout(() => void s.close('test timeout'), timeoutMs);
  try {
    if (during) await during(s, events);
    await s.done;
  } finally {
    clearTimeout(guard);
  }
  return events;
}

/** Wait until `pred` holds for the events so far (polls, bounded). */
export async function waitFor(events: WireEvent[], pred: (es: WireEvent[]) => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred(events)) {
    if (Date.now() > until) throw new Error(`timed out waiting; last events: ${JSON.stringify(events.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function ofKind<K extends WireEvent['kind']>(events: WireEvent[], kind: K): Extract<WireEvent, { kind: K }>[] {
  return events.filter((e) => e.kind === kind) as Extract<WireEvent, { kind: K }>[];
}

/** Assert the contract's invariants that hold for every session. */
export function checkInvariants(events: WireEvent[]): void {
  if (events.length === 0) throw new Error('no events');
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.seq !== i + 1) throw new Error(`seq ${e.seq} at index ${i}`);
    if (i > 0 && e.t < events[i - 1].t) throw new Error(`t went backwards at seq ${e.seq}`);
    if (typeof e.ts !== 'number' || e.ts < 1.6e12) throw new Error(`bad ts at seq ${e.seq}`);
  }
  const last = events[events.length - 1];
  if (last.kind !== 'summary') throw new Error(`last event is ${last.kind}, not summary`);
  const prev = events[events.length - 2];
  if (!prev || prev.kind !== 'state' || (prev.state !== 'closed' && prev.state !== 'failed')) {
    throw new Error('summary is not preceded by a terminal state');
  }
}
