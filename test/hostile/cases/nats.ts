/**
 * Hostile cases for the nats pattern: a plain socket server that speaks just enough of NATS to get a
 * session going (INFO, PONG to every PING), then misbehaves; and servers that are not NATS at all.
 */
import http from 'node:http';
import net from 'node:net';
import type { WireEvent } from '../../../src/shared/events';
import { expect, framesIn, type HostileCase } from '../harness';

interface FakeNats {
  url: string;
  close(): Promise<void>;
}

/** INFO first, PONG to each PING; once the client has subscribed, `afterSub` gets the socket (and the connection's index). */
async function fakeNats(afterSub: (socket: net.Socket, index: number) => void): Promise<FakeNats> {
  const sockets = new Set<net.Socket>();
  let n = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const index = n++;
    socket.write('INFO {"server_id":"fake","version":"2.9.0","headers":true,"max_payload":1048576}\r\n');
    let seen = '';
    let subbed = false;
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      let pongs = 0;
      seen = seen.replace(/PING\r\n/g, () => {
        pongs++;
        return '';
      });
      for (let i = 0; i < pongs; i++) socket.write('PONG\r\n');
      if (!subbed && /SUB \S+ \d+\r\n/.test(seen)) {
        subbed = true;
        setTimeout(() => afterSub(socket, index), 20);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `nats://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const errorsOf = (events: WireEvent[]): string[] => events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));

export const natsCases: HostileCase[] = [
  {
    pattern: 'nats',
    category: 'framing',
    name: 'an unknown operation after the subscription is one error line quoting it, and the session ends',
    async run(h) {
      const srv = await fakeNats((sock) => sock.write('MSG news 2 2\r\nok\r\nBOGUS stuff\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--no-reconnect']);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === 'ok', `the good message before it is shown: ${JSON.stringify(data)}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^not a NATS operation: the server sent "BOGUS stuff\\r\\n"/.test(errors[0]), `one error quoting the bytes: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'nats',
    category: 'bounds',
    name: 'a message that claims 1 TiB, followed by 80 MiB of bytes: refused at the claim, memory stays bounded',
    timeoutMs: 40_000,
    async run(h) {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      const srv = await fakeNats((sock) => {
        sock.write('MSG news 2 1099511627776\r\n');
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
      h.bounded('RSS growth (MB) for a 1 TiB message claim', (process.memoryUsage().rss - before) / 1048576, 100);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^malformed stream: a message of 1099511627776 bytes is over the 64 MiB limit/.test(errors[0]), `one error naming the claim: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'nats',
    category: 'fault',
    name: 'a server that closes in the middle of a message: one line saying so, then a reconnect and re-subscribe that work',
    async run(h) {
      const srv = await fakeNats((sock, i) => {
        if (i === 0) {
          sock.write('MSG news 2 10\r\nhel');
          setTimeout(() => sock.destroy(), 30);
        } else sock.write('MSG news 2 5\r\nworks\r\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--count', '1', '--reconnect-delay', '50']);
      const rc = r.events.filter((e) => e.kind === 'reconnect');
      expect(rc.length >= 1 && rc[0].kind === 'reconnect' && /^the server closed the connection in the middle of an operation \(\d+ bytes of it read\)$/.test(rc[0].cause), `the cause in one line: ${JSON.stringify(rc)}`);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === 'works', `the half message is not shown or glued: ${JSON.stringify(data)}`);
      expect(r.events.some((e) => e.kind === 'frame' && e.meta?.packet === 'RESUBSCRIBE'), 're-subscribe visible');
    },
  },
  {
    pattern: 'nats',
    category: 'framing',
    name: 'a server that speaks another protocol first (an SMTP greeting): one line "not a NATS server", no retry',
    async run(h) {
      const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.write('220 mx.example ESMTP ready\r\n');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => server.close(() => r())));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `nats://127.0.0.1:${port}`, '--subscribe', 'news', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^not a NATS server: it answered with "220 mx\.example ESMTP ready/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
    },
  },
  {
    pattern: 'nats',
    category: 'fault',
    name: 'an HTTP server (it waits for a request, NATS speaks first): one line after --timeout saying no INFO came',
    async run(h) {
      const server = http.createServer((_req, res) => res.end('hello'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `nats://127.0.0.1:${port}`, '--subscribe', 'news', '--timeout', '500', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^no INFO from 127\.0\.0\.1:\d+ within 500 ms: a NATS server speaks first/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'nats',
    category: 'bounds',
    name: 'a 5 MiB message is one frame: size whole, data cut at the preview limit and marked truncated',
    async run(h) {
      const big = 'x'.repeat(5 * 1024 * 1024);
      const srv = await fakeNats((sock) => sock.write(`MSG news 2 ${big.length}\r\n${big}\r\n`));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--subscribe', 'news', '--format', 'ndjson', '--count', '1']);
      const data = framesIn(r.events).filter((f) => !f.meta?.control);
      expect(data.length === 1 && data[0].size === big.length && data[0].truncated === true, `one truncated frame: ${JSON.stringify(data.map((f) => [f.size, f.truncated]))}`);
    },
  },
];
