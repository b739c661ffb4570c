/**
 * Hostile cases for the amqp pattern: a plain socket server that speaks just enough AMQP 0-9-1 to get a
 * watching session going (Start, Tune, OpenOk, channels, the private queue, its binding and consumer), then
 * misbehaves; and servers that are not AMQP at all.
 */
import http from 'node:http';
import net from 'node:net';
import type { WireEvent } from '../../../src/shared/events';
import { AmqpReader } from '../../../src/patterns/amqp/protocol';
import { expect, framesIn, type HostileCase } from '../harness';

function frame(type: number, ch: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(payload.length + 8);
  f[0] = type;
  f.writeUInt16BE(ch, 1);
  f.writeUInt32BE(payload.length, 3);
  payload.copy(f, 7);
  f[f.length - 1] = 0xce;
  return f;
}
const u16 = (v: number) => Buffer.from([v >> 8, v & 255]);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const u64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
};
const sstr = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const lstr = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
const method = (ch: number, cls: number, m: number, ...args: Buffer[]) => frame(1, ch, Buffer.concat([u16(cls), u16(m), ...args]));

/** A delivery on channel 1: Deliver, a content header claiming `size` bytes, then `body` (possibly shorter). */
export function deliver(routingKey: string, body: Buffer, size: bigint = BigInt(body.length), tag = 1): Buffer {
  const d = method(1, 60, 60, sstr('ctag'), u64(BigInt(tag)), Buffer.from([0]), sstr('amq.topic'), sstr(routingKey));
  const h = frame(2, 1, Buffer.concat([u16(60), u16(0), u64(size), u16(0)]));
  const parts = [d, h];
  for (let at = 0; at < body.length; at += 131064) parts.push(frame(3, 1, body.subarray(at, Math.min(body.length, at + 131064))));
  return Buffer.concat(parts);
}

interface FakeBroker {
  url: string;
  close(): Promise<void>;
}

/** Answers the handshake and the set-up; once the consumer is on, `afterConsume` gets the socket (and the connection's index). */
async function fakeBroker(afterConsume: (socket: net.Socket, index: number) => void): Promise<FakeBroker> {
  const sockets = new Set<net.Socket>();
  let n = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = n++;
    const reader = new AmqpReader();
    let header = false;
    let pending = Buffer.alloc(0);
    socket.on('data', (d) => {
      if (!header) {
        pending = Buffer.concat([pending, d]);
        if (pending.length < 8) return;
        header = true;
        d = pending.subarray(8);
        socket.write(method(0, 10, 10, Buffer.from([0, 9]), u32(0), lstr('PLAIN'), lstr('en_US')));
        if (d.length === 0) return;
      }
      try {
        reader.push(d, (ev) => {
          if (ev.type !== 'method' || ev.method.name !== 'other') {
            if (ev.type === 'method' && ev.method.name === 'connection.close') socket.write(method(0, 10, 51));
            return;
          }
          const { classId, methodId } = ev.method;
          const ch = ev.channel;
          const key = `${classId}.${methodId}`;
          if (key === '10.11') socket.write(method(0, 10, 30, u16(2047), u32(131072), u16(0)));
          else if (key === '10.40') socket.write(method(0, 10, 41, sstr('')));
          else if (key === '20.10') socket.write(method(ch, 20, 11, lstr('')));
          else if (key === '85.10') socket.write(method(ch, 85, 11));
          else if (key === '50.10') socket.write(method(ch, 50, 11, sstr('amq.gen-fake'), u32(0), u32(0)));
          else if (key === '50.20') socket.write(method(ch, 50, 21));
          else if (key === '60.20') {
            socket.write(method(ch, 60, 21, sstr('ctag')));
            setTimeout(() => afterConsume(socket, index), 20);
          }
        });
      } catch {
        socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `amqp://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const errorsOf = (events: WireEvent[]): string[] => events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));
const WATCH = ['--bind', 'amq.topic:#', '--format', 'ndjson'];

export const amqpCases: HostileCase[] = [
  {
    pattern: 'amqp',
    category: 'framing',
    name: 'a frame of an unknown type after a good delivery is one error line quoting it, and the session ends',
    async run(h) {
      const srv = await fakeBroker((sock) => sock.write(Buffer.concat([deliver('news', Buffer.from('ok')), Buffer.from('BOGUS stuff here\r\n')])));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...WATCH, '--no-reconnect']);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === 'ok', `the good message before it is shown: ${JSON.stringify(data)}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^malformed stream: frame type 66 is not an AMQP 0-9-1 frame \(BOGUS stuff here/.test(errors[0]), `one error quoting the bytes: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'amqp',
    category: 'bounds',
    name: 'a delivery whose content header claims 1 TiB, followed by 80 MiB of body frames: refused at the claim, memory stays bounded',
    timeoutMs: 40_000,
    async run(h) {
      const chunk = frame(3, 1, Buffer.alloc(131064, 0x61));
      const srv = await fakeBroker((sock) => {
        sock.write(deliver('news', Buffer.alloc(0), 1099511627776n));
        let left = 640;
        const more = () => {
          while (left > 0 && !sock.destroyed) {
            left--;
            if (!sock.write(chunk)) return void sock.once('drain', more);
          }
        };
        more();
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, ...WATCH, '--no-reconnect']);
      h.bounded('RSS growth (MB) for a 1 TiB body claim', (process.memoryUsage().rss - before) / 1048576, 100);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^malformed stream: a message of 1099511627776 bytes is over the 64 MiB limit/.test(errors[0]), `one error naming the claim: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'amqp',
    category: 'bounds',
    name: 'a frame that claims 4 GiB after tuning: refused at its header (over the negotiated frame size)',
    async run(h) {
      const srv = await fakeBroker((sock) => sock.write(Buffer.from([3, 0, 1, 0xff, 0xff, 0xff, 0xff])));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...WATCH, '--no-reconnect']);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^malformed stream: a frame of 4294967295 bytes is over the frame size of 131072$/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'amqp',
    category: 'fault',
    name: 'a broker that closes in the middle of a message: one line saying so, then a reconnect, re-declare and re-bind that work',
    async run(h) {
      const srv = await fakeBroker((sock, i) => {
        if (i === 0) {
          const d = deliver('news', Buffer.from('hello world'));
          sock.write(d.subarray(0, d.length - 6));
          setTimeout(() => sock.destroy(), 30);
        } else sock.write(deliver('news', Buffer.from('works')));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...WATCH, '--count', '1', '--reconnect-delay', '50']);
      const rc = r.events.filter((e) => e.kind === 'reconnect');
      expect(rc.length >= 1 && rc[0].kind === 'reconnect' && /^the broker closed the connection in the middle of a frame \(\d+ bytes of it read\)$/.test(rc[0].cause), `the cause in one line: ${JSON.stringify(rc)}`);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === 'works', `the half message is not shown or glued: ${JSON.stringify(data)}`);
      expect(r.events.some((e) => e.kind === 'frame' && e.meta?.packet === 'RESUBSCRIBE'), 're-declare and re-bind visible');
    },
  },
  {
    pattern: 'amqp',
    category: 'framing',
    name: 'an HTTP server (it answers the protocol header with 400): one line "not an AMQP 0-9-1 server", no retry',
    async run(h) {
      const server = http.createServer((_req, res) => res.end('hello'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `amqp://127.0.0.1:${port}/`, ...WATCH]);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^not an AMQP 0-9-1 server: it answered with "HTTP\/1\.1 400 Bad Request/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
    },
  },
  {
    pattern: 'amqp',
    category: 'fault',
    name: 'a silent server (accepts, never answers the protocol header): one line after --timeout saying no Connection.Start came',
    async run(h) {
      const sockets = new Set<net.Socket>();
      const server = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `amqp://127.0.0.1:${port}/`, ...WATCH, '--timeout', '500']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^no Connection\.Start from 127\.0\.0\.1:\d+ within 500 ms: an AMQP 0-9-1 broker answers the protocol header at once/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'amqp',
    category: 'fault',
    name: 'amqps:// to a plain AMQP port: one TLS line, no retry',
    async run(h) {
      const srv = await fakeBroker(() => undefined);
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url.replace(/^amqp:/, 'amqps:'), ...WATCH]);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /TLS|SSL|ssl|tls|secure/.test(errors[0]), `one TLS line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
    },
  },
  {
    pattern: 'amqp',
    category: 'bounds',
    name: 'a 5 MiB message (40 body frames) is one frame: size whole, data cut at the preview limit and marked truncated',
    async run(h) {
      const big = Buffer.alloc(5 * 1024 * 1024, 0x78);
      const srv = await fakeBroker((sock) => sock.write(deliver('news', big)));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...WATCH, '--count', '1']);
      const data = framesIn(r.events).filter((f) => !f.meta?.control);
      expect(data.length === 1 && data[0].size === big.length && data[0].truncated === true, `one truncated frame: ${JSON.stringify(data.map((f) => [f.size, f.truncated]))}`);
    },
  },
];
