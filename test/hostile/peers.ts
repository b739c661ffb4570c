/**
 * Hostile peers: servers on 127.0.0.1:0 that write exactly the bytes a case needs (a raw TCP
 * server that reads one request head), plus a port nothing listens on. Each records what it received.
 */
import net from 'node:net';

export interface RawServer {
  port: number;
  url(path?: string, scheme?: string): string;
  /** Request heads received, in order (text up to the blank line). */
  heads: string[];
  close(): Promise<void>;
}

/**
 * A TCP server that waits for each connection's request head, then hands the socket to `onRequest`.
 * Sockets are destroyed on close, so a case that stalls its peer cannot keep the test alive.
 */
export async function rawServer(onRequest: (socket: net.Socket, head: string, index: number) => void): Promise<RawServer> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = buf.slice(0, end);
      heads.push(head);
      onRequest(socket, head, heads.length - 1);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    heads,
    url: (path = '/', scheme = 'http') => `${scheme}://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The header of a request head, by name (any case), or undefined. */
export function headerOf(head: string, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === n) return line.slice(i + 1).trim();
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
