/**
 * A TCP proxy on 127.0.0.1:0 in front of a real server: fault tests use it, and the pattern race
 * (`wirescope compare --fault cut@ms`) puts one in front of each session to drop every connection at once. Between the engine and
 * the server it can, at run time:
 * - cut: destroy both sides of every open connection (a crash, a dropped NAT entry);
 * - stall: stop forwarding in both directions while keeping the sockets open (a half-open
 *   connection: nothing arrives and nothing fails), until resume();
 * - slow: forward at most N bytes per second towards the client;
 * - halfClose: send FIN to the client (or the server) while the other direction stays up;
 * - refuse: accept new connections and destroy them at once.
 * Every fault is counted in `injected`; close() ends every socket and the listener.
 */
import net from 'node:net';
import { once } from 'node:events';

export type ProxyMode = 'pass' | 'stall' | 'slow';

/** One direction of one proxied connection: a queue drained by the current mode's budget. */
class Pipe {
  private queue: Buffer[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly proxy: FaultProxy,
    /** Towards the client: the direction `slow` throttles. */
    private readonly downstream: boolean,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    if (this.downstream) this.proxy.bytesFromServer += chunk.length;
    else this.proxy.bytesToServer += chunk.length;
    if (this.proxy.mode === 'pass' && this.queued === 0) {
      this.forward(chunk);
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    // Bounded: past 4 MiB held, stop reading (TCP backpressure does the rest).
    if (this.queued > 4 * 1024 * 1024) this.from.pause();
    this.pump();
  }

  private forward(chunk: Buffer): void {
    if (this.to.destroyed || this.to.writableEnded) return;
    if (!this.to.write(chunk)) {
      this.from.pause();
      this.to.once('drain', () => this.from.resume());
    }
  }

  /** Drain what the mode allows now, and come back in 50 ms for the rest. */
  pump(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.timer = undefined;
      const mode = this.proxy.mode;
      if (mode === 'stall' || this.queued === 0) {
        if (mode === 'stall' && this.queued > 0) this.timer = setTimeout(tick, 50);
        return;
      }
      let budget = mode === 'slow' && this.downstream ? Math.max(1, Math.floor(this.proxy.bytesPerSecond / 20)) : Infinity;
      while (budget > 0 && this.queue.length > 0) {
        const head = this.queue[0];
        const n = Math.min(head.length, budget);
        this.forward(head.subarray(0, n));
        budget -= n;
        this.queued -= n;
        if (n === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(n);
      }
      if (this.queued < 1024 * 1024 && this.from.isPaused() && this.proxy.mode !== 'stall') this.from.resume();
      if (this.queued > 0) this.timer = setTimeout(tick, 50);
    };
    this.timer = setTimeout(tick, this.proxy.mode === 'pass' ? 0 : 50);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.queued = 0;
  }
}

interface Link {
  client: net.Socket;
  server: net.Socket;
  pipes: Pipe[];
}

export class FaultProxy {
  mode: ProxyMode = 'pass';
  bytesPerSecond = 0;
  /** Faults injected so far (cut, stall, slow, halfClose, refuse). */
  injected = 0;
  /** Connections accepted so far. */
  accepted = 0;
  /** Bytes the server sent towards clients. */
  bytesFromServer = 0;
  /** Bytes clients sent towards the server. */
  bytesToServer = 0;
  private refusing = false;
  private readonly links = new Set<Link>();
  private readonly server: net.Server;
  port = 0;

  private constructor(private targetPort: number, private readonly targetHost: string) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Start a proxy in front of `targetPort` on loopback. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const p = new FaultProxy(targetPort, targetHost);
    p.server.listen(0, '127.0.0.1');
    await once(p.server, 'listening');
    p.port = (p.server.address() as net.AddressInfo).port;
    return p;
  }

  /** `scheme://127.0.0.1:<proxy port><path>`. */
  url(scheme: string, path = ''): string {
    return `${scheme}://127.0.0.1:${this.port}${path}`;
  }

  /** Connections open right now. */
  get open(): number {
    return this.links.size;
  }

  /** Point new connections at another port (a server restarted elsewhere). */
  retarget(port: number): void {
    this.targetPort = port;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    client.setNoDelay(true);
    if (this.refusing) {
      client.destroy();
      return;
    }
    const server = net.connect({ port: this.targetPort, host: this.targetHost });
    server.setNoDelay(true);
    const link: Link = { client, server, pipes: [] };
    link.pipes.push(new Pipe(client, server, this, false), new Pipe(server, client, this, true));
    this.links.add(link);
    if (this.mode === 'stall') {
      // A stalled proxy still accepts: the client's connect succeeds and then hears nothing.
      for (const p of link.pipes) p.pump();
    }
    const drop = (): void => {
      if (!this.links.delete(link)) return;
      for (const p of link.pipes) p.stop();
      client.destroy();
      server.destroy();
    };
    // Half-closes pass through: an end from one side ends the write side towards the other.
    client.on('end', () => server.end());
    server.on('end', () => client.end());
    client.on('close', drop);
    server.on('close', drop);
    client.on('error', drop);
    server.on('error', drop);
  }

  /** Destroy both sides of every open connection. Returns how many were cut. */
  cut(): number {
    this.injected++;
    const n = this.links.size;
    for (const l of [...this.links]) {
      l.client.destroy();
      l.server.destroy();
    }
    return n;
  }

  /** Stop forwarding in both directions; sockets stay open. */
  stall(): void {
    this.injected++;
    this.mode = 'stall';
  }

  /** Forward at most `bytesPerSecond` towards the client. */
  slow(bytesPerSecond: number): void {
    this.injected++;
    this.bytesPerSecond = bytesPerSecond;
    this.mode = 'slow';
  }

  /** Back to plain forwarding; held bytes go out first. */
  resume(): void {
    this.mode = 'pass';
    this.refusing = false;
    for (const l of this.links) for (const p of l.pipes) p.pump();
  }

  /** Send FIN towards the client (default) or the server on every open connection; the other direction stays up. */
  halfClose(side: 'client' | 'server' = 'client'): void {
    this.injected++;
    for (const l of this.links) (side === 'client' ? l.client : l.server).end();
  }

  /** Accept and destroy new connections until resume(). */
  refuse(): void {
    this.injected++;
    this.refusing = true;
  }

  async close(): Promise<void> {
    for (const l of [...this.links]) {
      l.client.destroy();
      l.server.destroy();
    }
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
