import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Feed } from './feed';

/** Bytes queued for one client past which it is dropped. */
const SLOW_CLIENT_BYTES = 8 * 1024 * 1024;

export interface WsRouteOptions {
  feed: Feed;
  /** Server pings keep idle connections alive and show up as control frames. */
  pingIntervalMs: number;
}

/** `/ws`: echoes whatever a client sends and pushes every feed event as JSON text. */
export class WsRoute {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  constructor(private readonly o: WsRouteOptions) {
    this.wss.on('connection', (ws) => this.serve(ws));
  }

  /** Take over an HTTP upgrade for `/ws`; other paths get a plain 404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname.replace(/\/+$/, '');
    socket.on('error', () => socket.destroy());
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: 31\r\n\r\nWebSocket endpoint is at /ws.\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  private serve(ws: WebSocket): void {
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === ws.OPEN) ws.send(data, { binary: isBinary });
    });
    const unsubscribe = this.o.feed.subscribe((e) => {
      if (ws.readyState !== ws.OPEN) return;
      // A client that cannot keep up would make the server buffer without bound: drop it instead.
      if (ws.bufferedAmount > SLOW_CLIENT_BYTES) ws.close(1013, 'client too slow for the feed');
      else ws.send(JSON.stringify(e));
    });
    const ping = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.ping();
    }, this.o.pingIntervalMs);
    ping.unref?.();
    ws.on('close', () => {
      unsubscribe();
      clearInterval(ping);
    });
  }
}
