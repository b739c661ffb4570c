/**
 * A backend whose behaviour is known, for the pattern race's accuracy tests. Wirescope's demo is not
 * used: this is plain node:http plus the `ws` library's own server. One feed ticks at `rate`/s; each
 * event is `{seq, at}` with `at` = the publish time (Date.now()).
 * - GET /poll: only the latest event (a short-poll "latest value" endpoint), 204 before the first;
 * - GET /long-poll?cursor=N: every event after N, answered as soon as one exists (`{events, cursor}`);
 * - GET /sse: every event, each sent `sseDelayMs` after it was published;
 * - /ws: every event, sent at publish time;
 * - /ws-nested: the same, shaped as a GraphQL result with proto3 JSON values (the way gRPC writes an int64 and a
 *   Timestamp): `{"data":{"ticks":{"seq":"12","at":"2026-01-01T00:00:00.123Z"}}}`.
 * The server counts the requests it receives per route, and WebSocket upgrades.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SessionResult } from '../../src/shared/compare';

export interface KnownEvent {
  seq: number;
  at: number;
}

export interface RaceBackend {
  url: string;
  wsUrl: string;
  /** Requests received per route (`/poll`, `/long-poll`, `/sse`; `/ws` and `/ws-nested` count upgrades). */
  requests: Record<string, number>;
  published(): KnownEvent[];
  close(): Promise<void>;
}

export async function startRaceBackend(opts: { rate: number; sseDelayMs: number }): Promise<RaceBackend> {
  const events: KnownEvent[] = [];
  const listeners = new Set<(e: KnownEvent) => void>();
  const requests: Record<string, number> = { '/poll': 0, '/long-poll': 0, '/sse': 0, '/ws': 0, '/ws-nested': 0 };
  const timers = new Set<NodeJS.Timeout>();
  const responses = new Set<ServerResponse>();
  const ticker = setInterval(() => {
    const e = { seq: events.length + 1, at: Date.now() };
    events.push(e);
    for (const l of listeners) l(e);
  }, Math.round(1000 / opts.rate));

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname in requests) requests[url.pathname]++;
    if (url.pathname === '/poll') {
      const latest = events[events.length - 1];
      // Before the first publish there is no latest value: nothing to show, not a made-up event.
      if (!latest) {
        res.writeHead(204);
        return res.end();
      }
      return json(res, 200, latest);
    }
    if (url.pathname === '/long-poll') {
      const cursor = Number(url.searchParams.get('cursor') ?? String(events.length));
      const answer = (): boolean => {
        const pending = events.filter((e) => e.seq > cursor);
        if (pending.length === 0) return false;
        json(res, 200, { events: pending, cursor: pending[pending.length - 1].seq });
        return true;
      };
      if (answer()) return;
      const l = () => {
        if (answer()) listeners.delete(l);
      };
      listeners.add(l);
      res.on('close', () => listeners.delete(l));
      return;
    }
    if (url.pathname === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': hello\n\n');
      responses.add(res);
      const l = (e: KnownEvent) => {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.writableEnded) res.write(`id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
        }, opts.sseDelayMs);
        timers.add(t);
      };
      listeners.add(l);
      res.on('close', () => {
        listeners.delete(l);
        responses.delete(res);
      });
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const nested = new URL(req.url ?? '/', 'http://x').pathname === '/ws-nested';
    requests[nested ? '/ws-nested' : '/ws']++;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const l = (e: KnownEvent) => ws.send(JSON.stringify(nested ? { data: { ticks: { seq: String(e.seq), at: new Date(e.at).toISOString() } } } : e));
      listeners.add(l);
      ws.on('close', () => listeners.delete(l));
      ws.on('error', () => undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    requests,
    published: () => [...events],
    close: async () => {
      clearInterval(ticker);
      for (const t of timers) clearTimeout(t);
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const r of responses) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** One session's result in a race, by name; fails the test if the race has none of that name. */
export function byName(sessions: SessionResult[], name: string): SessionResult {
  const s = sessions.find((x) => x.name === name);
  assert.ok(s, `no session ${name}`);
  return s;
}
