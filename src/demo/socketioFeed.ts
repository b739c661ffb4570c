/**
 * The demo backend's Socket.IO side (the `socket.io` server, on the demo's HTTP port at /socket.io/): the
 * feed as `tick` events on the main namespace, a `welcome` on each connection, and `echo`, which answers
 * an acknowledgement request with its arguments (or emits them back without one). Loaded on demand, as
 * its own bundle, so that the extension and the CLI evaluate socket.io only when the demo runs.
 */
import type http from 'node:http';
import { Server } from 'socket.io';
import type { FeedEvent } from './feed';

export interface SocketIoFeedSource {
  subscribe(listener: (e: FeedEvent) => void): () => void;
  readonly latest?: FeedEvent;
}

export interface SocketIoFeed {
  /** The Engine.IO path. */
  path: string;
  close(): Promise<void>;
}

/** Attach Socket.IO to the demo's HTTP server; other requests and upgrades keep going to their routes. */
export function startSocketIoFeed(server: http.Server, feed: SocketIoFeedSource): SocketIoFeed {
  // destroyUpgrade: false leaves the demo's /ws upgrades to their own route.
  const io = new Server(server, { path: '/socket.io/', serveClient: false, destroyUpgrade: false, cors: { origin: false } });
  io.on('connection', (socket) => {
    socket.emit('welcome', { server: 'wirescope demo', namespace: socket.nsp.name, latestSeq: feed.latest?.seq ?? 0 });
    socket.on('echo', (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (...a: unknown[]) => void) : undefined;
      if (ack) ack(...args);
      else socket.emit('echo', ...args);
    });
    const unsubscribe = feed.subscribe((e) => socket.emit('tick', e));
    socket.on('disconnect', unsubscribe);
  });
  return {
    path: '/socket.io/',
    close: () => new Promise<void>((r) => void io.close(() => r())),
  };
}
