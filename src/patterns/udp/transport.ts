/**
 * UDP (`udp://host:port`): a connected datagram socket. Each datagram is one frame, with the peer's
 * address in `meta.peer`; text datagrams as text, others as binary. There is no connection to lose, so
 * nothing reconnects. "Port unreachable" before the peer ever answered fails the session, as a refused
 * first connection does elsewhere; after that, errors the network reports are logged and the session stays open.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { checkUrl, describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { asText, sendBytes, type Eol } from '../tcp/payload';
import { udpPattern } from './descriptor';

export const createTransport: TransportFactory = ({ options, sink }) => new UdpTransport(options, sink);

class UdpTransport implements Transport {
  private socket: dgram.Socket | undefined;
  private readonly lc: ConnectionLifecycle;
  private readonly eol: Eol;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.eol = options.udp?.eol ?? 'none';
    this.lc = new ConnectionLifecycle(sink, { ...options.reconnect, enabled: false }, () => {
      const s = this.socket;
      this.socket = undefined;
      try {
        s?.close();
      } catch {
        // Already closed.
      }
    });
  }

  start(): void {
    const problem = checkUrl(this.options.url, udpPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const u = new URL(this.options.url);
    if (!u.port) return this.lc.fail(`Invalid URL "${this.options.url}": UDP needs a port (udp://host:port)`, 'ERR_INVALID_URL');
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port);
    const { sink } = this;
    this.lc.connecting(this.options.url);
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    this.socket = socket;
    const t0 = sink.now();
    let answered = false;
    socket.on('error', (err) => {
      const d = describeError(err, this.options.url);
      if (!this.lc.everOpened || (!answered && d.code === 'ECONNREFUSED')) return this.lc.fail(d.message, d.code);
      // Connectionless: the network's complaint (ICMP port unreachable...) is news, not the end.
      sink.error(d.message, d.code);
    });
    socket.on('message', (msg, rinfo) => {
      answered = true;
      const meta = { peer: `${rinfo.family === 'IPv6' ? `[${rinfo.address}]` : rinfo.address}:${rinfo.port}`, family: rinfo.family };
      const text = asText(msg);
      if (text !== undefined) sink.frame('in', text, { meta });
      else sink.frame('in', msg, { meta, binary: true });
    });
    socket.connect(port, host, () => {
      if (this.socket !== socket) return;
      const now = sink.now();
      sink.timing({ dns: null, connect: now - t0, tls: null, ttfb: null, download: null, total: now - t0 });
      const local = socket.address();
      this.lc.opened(this.options.url, { remote: `${host}:${port}`, localPort: local.port });
      for (const text of this.options.send ?? []) this.write(socket, sendBytes(text, this.eol));
    });
  }

  private write(socket: dgram.Socket, bytes: Uint8Array): void {
    socket.send(bytes);
    const text = asText(bytes);
    if (text !== undefined) this.sink.frame('out', text);
    else this.sink.frame('out', bytes, { binary: true });
  }

  async send(msg: OutboundMessage): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.lc.everOpened) throw new Error('The UDP socket is not ready');
    const bytes = typeof msg.data === 'string' ? (msg.binary ? new TextEncoder().encode(msg.data) : sendBytes(msg.data, this.eol)) : msg.data;
    this.write(socket, bytes);
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => this.lc.finishClose());
  }
}
