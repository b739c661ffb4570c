/**
 * Hostile cases for the redis pattern: a plain socket server that speaks just enough RESP to get a
 * session going (PONG, subscribe confirmations), then misbehaves; and servers that are not Redis at all.
 */
import http from 'node:http';
import net from 'node:net';
import type { WireEvent } from '../../../src/shared/events';
import { expect, framesIn, type HostileCase } from '../harness';

interface FakeRedis {
  url: string;
  close(): Promise<void>;
}

/**
 * A loopback server on a free port that answers PING with +PONG and SUBSCRIBE with its confirmation,
 * then calls `afterSubscribe` with the socket (each connection, with its index).
 */
async function fakeRedis(afterSubscribe: (socket: net.Socket, index: number) => void): Promise<FakeRedis> {
  const sockets = new Set<net.Socket>();
  let n = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = n++;
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      while (seen.includes('PING\r\n')) {
        seen = seen.replace('PING\r\n', '');
        socket.write('+PONG\r\n');
      }
      const sub = /SUBSCRIBE\r\n\$(\d+)\r\n([^\r]*)\r\n/.exec(seen);
      if (sub) {
        seen = '';
        socket.write(`*3\r\n$9\r\nsubscribe\r\n$${sub[2].length}\r\n${sub[2]}\r\n:1\r\n`);
        afterSubscribe(socket, index);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const errorsOf = (events: WireEvent[]): string[] => events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));

export const redisCases: HostileCase[] = [
  {
    pattern: 'redis',
    category: 'framing',
    name: 'malformed RESP after the subscription (a reply of unknown type) is one error line, and the session ends',
    async run(h) {
      const srv = await fakeRedis((sock) => sock.write('*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nok\r\n?what is this\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--no-reconnect']);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === 'ok', `the good message before it is shown: ${JSON.stringify(data)}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^not a RESP reply: the server sent "\?what is this\\r\\n"/.test(errors[0]), `one error quoting the bytes: ${JSON.stringify(errors)}`);
      const end = r.events.filter((e) => e.kind === 'state').pop();
      expect(end?.kind === 'state' && end.state === 'closed' && /not a RESP reply/.test(end.reason ?? ''), `ended with the cause: ${JSON.stringify(end)}`);
    },
  },
  {
    pattern: 'redis',
    category: 'bounds',
    name: 'a bulk string that claims 1 TiB, followed by 80 MiB of bytes: refused at the claim, memory stays bounded',
    timeoutMs: 40_000,
    async run(h) {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      const srv = await fakeRedis((sock) => {
        sock.write('*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1099511627776\r\n');
        let left = 80;
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
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--no-reconnect']);
      h.bounded('RSS growth (MB) for a 1 TiB bulk string claim', (process.memoryUsage().rss - before) / 1048576, 100);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^malformed reply: a bulk string of 1099511627776 bytes is over the 64 MiB limit/.test(errors[0]), `one error naming the claim: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'redis',
    category: 'bounds',
    name: 'a bulk string within the limit that never ends: nothing half-read is shown, memory stays bounded, --duration still ends the session',
    timeoutMs: 40_000,
    async run(h) {
      // Claims 60 MiB (under the default 64 MiB), sends 20 MiB of it and stalls; --duration ends the session.
      const chunk = Buffer.alloc(1024 * 1024, 0x62);
      const srv = await fakeRedis((sock) => {
        sock.write(`*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$${60 * 1024 * 1024}\r\n`);
        for (let i = 0; i < 20; i++) sock.write(chunk);
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--duration', '1500']);
      h.bounded('RSS growth (MB) for a stalled 60 MiB reply', (process.memoryUsage().rss - before) / 1048576, 150);
      expect(r.code === 0, `ends on --duration: exit ${r.code} ${r.stderr}`);
      expect(framesIn(r.events).filter((f) => !f.meta?.control).length === 0, 'no partial message is shown as a message');
    },
  },
  {
    pattern: 'redis',
    category: 'bounds',
    name: 'a 5 MiB message is one frame: size whole, data cut at the preview limit and marked truncated',
    async run(h) {
      const big = 'x'.repeat(5 * 1024 * 1024);
      const srv = await fakeRedis((sock) => sock.write(`*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$${big.length}\r\n${big}\r\n`));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--count', '1']);
      const data = framesIn(r.events).filter((f) => !f.meta?.control);
      expect(data.length === 1 && data[0].size === big.length && data[0].truncated === true && data[0].data.length < big.length, `one truncated frame: ${JSON.stringify(data.map((f) => [f.size, f.truncated, f.data.length]))}`);
    },
  },
  {
    pattern: 'redis',
    category: 'fault',
    name: 'a server that closes in the middle of a reply: one line saying so, then a reconnect and re-subscribe that work',
    async run(h) {
      const srv = await fakeRedis((sock, i) => {
        if (i < 2) {
          // The first session's connections (cmd, sub): the sub connection is cut mid-message.
          sock.write('*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$10\r\nhel');
          setTimeout(() => sock.destroy(), 30);
        } else sock.write('*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nworks\r\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--count', '1', '--reconnect-delay', '50']);
      const rc = r.events.filter((e) => e.kind === 'reconnect');
      expect(rc.length >= 1 && rc[0].kind === 'reconnect' && /^the server closed the connection in the middle of a reply \(\d+ bytes of it read\)$/.test(rc[0].cause), `the cause in one line: ${JSON.stringify(rc)}`);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === 'works', `the half message is not shown or glued: ${JSON.stringify(data)}`);
      expect(framesIn(r.events).some((f) => f.meta?.packet === 'SUBSCRIBE') && r.events.some((e) => e.kind === 'frame' && e.meta?.packet === 'RESUBSCRIBE'), 're-subscribe visible');
    },
  },
  {
    pattern: 'redis',
    category: 'framing',
    name: 'an HTTP server on the port: one line "not a Redis server", no retry',
    async run(h) {
      const server = http.createServer((_req, res) => res.end('hello'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `redis://127.0.0.1:${port}`, '--subscribe', 'news', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^not a Redis server: it answered with "HTTP\/1\.1 400 Bad Request/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
      expect(r.stderr.trim().split('\n').length === 1, `one stderr line: ${r.stderr}`);
    },
  },
  {
    pattern: 'redis',
    category: 'fault',
    name: 'a server that accepts and never answers PING: one timeout line after --timeout',
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
      const r = await h.cli(['connect', `redis://127.0.0.1:${port}`, '--subscribe', 'news', '--timeout', '500', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /no answer from 127\.0\.0\.1:\d+ within 500 ms/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'redis',
    category: 'credentials',
    name: 'a URL password is never printed, even in the error of a refused AUTH',
    async run(h) {
      const pw = h.secret('hunter2-redis-pw');
      const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.on('data', () => s.write(`-WRONGPASS invalid username-password pair (you sent redis://:${pw}@x)\r\n`));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => server.close(() => r())));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `redis://:${pw}@127.0.0.1:${port}`, '--subscribe', 'news', '--format', 'pretty']);
      expect(r.code === 1 && /authentication failed: WRONGPASS/.test(r.stderr), `one line: ${r.stderr}`);
    },
  },
];
