/**
 * Hostile cases for Socket.IO (issue 15's `socketio` pattern): servers that are not Socket.IO, a real
 * Socket.IO v2 server (Engine.IO 3, the npm `socket.io` 2.x package), a server that never answers the
 * namespace CONNECT, a huge event, a refused port, and event names built to attack the terminal.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { Server } from 'socket.io';
import { expect, framesIn, type HostileCase } from '../harness';

interface Peer {
  url: string;
  close(): Promise<void>;
}

/** An HTTP server on a free loopback port. */
async function httpPeer(handler: http.RequestListener): Promise<Peer> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The library's own server (v4) on a free port. */
async function socketIoPeer(setup: (io: Server) => void): Promise<Peer> {
  const server = http.createServer();
  const io = new Server(server);
  setup(io);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        void io.close(() => r());
      }),
  };
}

/**
 * A Socket.IO server in a child process (so that the RSS measured is the client's alone); `code` is the
 * body of `io.on('connection', (s) => { ... })`. The child prints its port, and is killed at cleanup.
 */
async function childSocketIo(module: 'socket.io' | 'socket.io-v2', code: string): Promise<Peer> {
  const script = `
    const http = require('http');
    const srv = http.createServer();
    const io = require(${JSON.stringify(module)})(srv, { maxHttpBufferSize: 1e9 });
    io.on('connection', (s) => { ${code} });
    srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
    child.once('exit', (c) => reject(new Error(`the server exited (${c})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      child.kill('SIGKILL');
    },
  };
}

const lastState = (events: ReturnType<typeof framesIn> | Parameters<typeof framesIn>[0]) => [...events].reverse().find((e) => e.kind === 'state');
const errorsOf = (events: Parameters<typeof framesIn>[0]) => events.filter((e) => e.kind === 'error');

export const socketioCases: HostileCase[] = [
  {
    pattern: 'socketio',
    category: 'framing',
    name: 'a server that answers the Engine.IO handshake with garbage: one line saying it is not Socket.IO, what it answered, exit 1',
    async run(h) {
      const srv = await httpPeer((_req, res) => res.end('hello \x1b[31mgarbage\x1b[0m, not engine.io'));
      h.cleanup(() => srv.close());
      for (const transport of ['auto', 'websocket']) {
        const r = await h.cli(['connect', srv.url, '--pattern', 'socketio', '--transport', transport, '--format', 'ndjson']);
        expect(r.code === 1, `exit ${r.code}`);
        const errs = errorsOf(r.events);
        expect(errs.length === 1, `one error: ${JSON.stringify(errs)}`);
        const e = errs[0];
        expect(e.kind === 'error' && e.message === 'not a Socket.IO server: the Engine.IO handshake at /socket.io/ answered "hello .[31mgarbage.[0m, not engine.io"', `${transport}: ${JSON.stringify(e)}`);
        expect(r.stderr.trim().split('\n').length === 1, `one line on stderr: ${r.stderr}`);
      }
    },
  },
  {
    pattern: 'socketio',
    category: 'framing',
    name: 'a real Socket.IO v2 server (Engine.IO 3): one clear line that the server speaks v2, over polling and over WebSocket',
    async run(h) {
      const srv = await childSocketIo('socket.io-v2', "s.emit('welcome', 'v2')");
      h.cleanup(() => srv.close());
      for (const transport of ['auto', 'websocket']) {
        const r = await h.cli(['connect', srv.url, '--pattern', 'socketio', '--transport', transport, '--format', 'ndjson']);
        expect(r.code === 1, `exit ${r.code}`);
        const errs = errorsOf(r.events);
        expect(errs.length === 1 && errs[0].kind === 'error' && /^the server speaks Socket\.IO v2 \(Engine\.IO 3\), which a Socket\.IO v3\/v4 client cannot talk to/.test(errs[0].message) && errs[0].code === 'ERR_SOCKETIO_V2', `${transport}: ${JSON.stringify(errs)}`);
        expect(lastState(r.events)?.kind === 'state', 'a terminal state');
      }
    },
  },
  {
    pattern: 'socketio',
    category: 'fault',
    name: 'a server that opens the engine and never answers the namespace CONNECT: one line after the connect timeout',
    async run(h) {
      // The namespace middleware never calls next(): the CONNECT stays unanswered.
      const srv = await socketIoPeer((io) => io.of('/stuck').use(() => undefined));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', `${srv.url}/stuck`, '--pattern', 'socketio', '--timeout', '800', '--format', 'ndjson']);
      expect(r.code === 1, `exit ${r.code}`);
      const errs = errorsOf(r.events);
      expect(errs.length === 1 && errs[0].kind === 'error' && errs[0].message === 'the server opened the Engine.IO session but did not answer the CONNECT to namespace /stuck within 800 ms', JSON.stringify(errs));
      expect(framesIn(r.events).some((f) => f.meta?.packet === 'open'), 'the Engine.IO open was logged before');
      expect(r.ms < 5000, `ended in time: ${Math.round(r.ms)} ms`);
    },
  },
  {
    pattern: 'socketio',
    category: 'bounds',
    name: 'a 100 MiB event over WebSocket is refused at the 64 MiB message bound: one line, memory stays bounded',
    timeoutMs: 40_000,
    async run(h) {
      const srv = await childSocketIo('socket.io', "s.emit('huge', 'x'.repeat(100 * 1024 * 1024))");
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, '--pattern', 'socketio', '--transport', 'websocket', '--no-reconnect', '--format', 'ndjson']);
      h.bounded('RSS growth (MB) for a 100 MiB event', (process.memoryUsage().rss - before) / 1048576, 120);
      expect(!framesIn(r.events).some((f) => f.channel === 'huge'), 'the huge event was not taken');
      const end = lastState(r.events);
      expect(end?.kind === 'state' && end.state === 'closed' && end.reason === 'disconnected: connection lost: a message from the server is over the 64 MiB limit', `ended with the cause: ${JSON.stringify(end)}`);
      expect(r.stderr.trim().split('\n').length <= 1, `at most one line on stderr: ${r.stderr}`);
    },
  },
  {
    pattern: 'socketio',
    category: 'bounds',
    name: 'a 20 MiB event under the bound is taken whole, and only the preview is kept',
    timeoutMs: 40_000,
    async run(h) {
      const srv = await childSocketIo('socket.io', "s.emit('big', 'y'.repeat(20 * 1024 * 1024))");
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, '--pattern', 'socketio', '--transport', 'websocket', '--count', '1', '--format', 'ndjson']);
      h.bounded('RSS growth (MB) for a 20 MiB event', (process.memoryUsage().rss - before) / 1048576, 250);
      const big = framesIn(r.events).find((f) => f.channel === 'big');
      expect(big !== undefined && big.size === 20 * 1024 * 1024 + 4 && big.truncated === true && big.data.length < 100_000, `one frame, counted whole, preview kept: ${JSON.stringify({ size: big?.size, len: big?.data.length })}`);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
    },
  },
  {
    pattern: 'socketio',
    category: 'fault',
    name: 'a refused connection: one line naming it, no retry, exit 1',
    async run(h) {
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const r = await h.cli(['connect', `http://127.0.0.1:${port}/`, '--pattern', 'socketio', '--format', 'ndjson']);
      expect(r.code === 1, `exit ${r.code}`);
      const errs = errorsOf(r.events);
      expect(errs.length === 1 && errs[0].kind === 'error' && /^Connection refused \(http:\/\/127\.0\.0\.1:\d+\/\): nothing is listening there$/.test(errs[0].message), JSON.stringify(errs));
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry of a first connection');
      expect(r.stderr.trim().split('\n').length === 1, r.stderr);
    },
  },
  {
    pattern: 'socketio',
    category: 'terminal',
    name: 'escape sequences and bidi controls in event names and arguments never reach the terminal raw',
    async run(h) {
      const srv = await socketIoPeer((io) => io.on('connection', (s) => s.emit('\x1b]0;pwned\x07evil\u202e', 'arg \x1b[2J\u2066x')));
      h.cleanup(() => srv.close());
      // The harness fails the case on any raw control character on stdout or stderr.
      const r = await h.cli(['connect', srv.url, '--pattern', 'socketio', '--count', '1', '--format', 'pretty']);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      expect(/pwned/.test(r.stdout), `the event is shown, escaped: ${JSON.stringify(r.stdout.slice(0, 800))}`);
    },
  },
];
