/**
 * Hostile cases for the graphql pattern: WebSocket servers that accept a GraphQL subprotocol and then answer
 * garbage, never acknowledge connection_init, or send a 50 MiB message; HTTP servers that answer a query with
 * something that is not a GraphQL result; graphql-sse streams with malformed events or an event that never
 * ends; single connection mode with a reservation answered by an HTML page or a stream never opened; and escape
 * sequences in error messages.
 */
import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WireEvent } from '../../../src/shared/events';
import { expect, framesIn, type HostileCase } from '../harness';

const errorsOf = (events: WireEvent[]): string[] => events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));

/** A WebSocket server that picks graphql-transport-ws (or the first offered) and hands each connection to `onConnection`. */
async function wsPeer(onConnection: (ws: WebSocket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : [...protocols][0] ?? false) });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    onConnection(ws);
  });
  const port = (wss.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

/** A node:http server on 127.0.0.1 port 0. */
async function httpPeer(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const SUB = ['--pattern', 'graphql', '-d', 'subscription { ticks { seq } }'];

export const graphqlCases: HostileCase[] = [
  {
    pattern: 'graphql',
    category: 'framing',
    name: 'a WebSocket server that answers connection_init with garbage (not JSON, JSON without a type, binary): each shown as an invalid control frame, one line when no ack comes',
    async run(h) {
      const srv = await wsPeer((ws) => {
        ws.on('message', () => {
          ws.send('<html>hello</html>');
          ws.send('{"no":"type"}');
          ws.send(Buffer.from([0xff, 0x00, 0x01]), { binary: true });
        });
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...SUB, '--ack-timeout', '800', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const invalid = framesIn(r.events).filter((f) => typeof f.meta?.invalid === 'string');
      expect(invalid.length === 3, `three invalid control frames: ${invalid.length}`);
      expect(r.stderr.trim() === 'wirescope: no connection_ack within 800 ms (the server sent 3 messages that are not graphql-transport-ws messages, first: "<html>hello</html>")', `one line: ${r.stderr}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'a first connection that never acks is not retried');
    },
  },
  {
    pattern: 'graphql',
    category: 'fault',
    name: 'a WebSocket server that never acknowledges connection_init: one line after the ack timeout, no hang',
    async run(h) {
      const srv = await wsPeer(() => undefined);
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...SUB, '--ack-timeout', '500']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(r.stderr.trim() === 'wirescope: no connection_ack within 500 ms', `one line: ${r.stderr}`);
    },
  },
  {
    pattern: 'graphql',
    category: 'bounds',
    name: 'a 50 MiB message after the ack: refused at the frame header (16 MiB limit), one line, memory bounded, no reconnect loop',
    timeoutMs: 40_000,
    async run(h) {
      const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
      const srv = await wsPeer((ws) => {
        ws.on('message', (data) => {
          const msg = JSON.parse(String(data)) as { type: string; id?: string };
          if (msg.type === 'connection_init') ws.send('{"type":"connection_ack"}');
          if (msg.type === 'subscribe') ws.send(big);
        });
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, ...SUB, '--format', 'ndjson']);
      h.bounded('RSS growth (MB) for a 50 MiB GraphQL message', (process.memoryUsage().rss - before) / 1048576, 100);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && errors[0] === 'a message larger than 16777216 bytes (--max-message-size)', `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no reconnect to be sent the same message again');
    },
  },
  {
    pattern: 'graphql',
    category: 'framing',
    name: 'an HTTP server that answers a query with an HTML 502, an empty 200 and JSON that is no result: each flagged, one line, exit 1',
    async run(h) {
      let mode: 'html' | 'empty' | 'json' = 'html';
      const srv = await httpPeer((_req, res) => {
        if (mode === 'html') res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad gateway</body></html>');
        else if (mode === 'empty') res.writeHead(200, { 'content-type': 'application/json' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2,3]');
      });
      h.cleanup(() => srv.close());
      const html = await h.cli(['connect', srv.url, '--pattern', 'graphql', '-d', '{ hello }', '--format', 'ndjson']);
      expect(html.code === 1, `exit 1: ${html.code}`);
      expect(html.stderr.trim() === 'wirescope: GraphQL errors: 1: HTTP 502: the response is not a GraphQL result (text/html: <html><body>Bad gateway</body></html>)', `one line: ${html.stderr}`);
      mode = 'empty';
      const empty = await h.cli(['connect', srv.url, '--pattern', 'graphql', '-d', '{ hello }']);
      expect(empty.code === 1 && empty.stderr.trim() === 'wirescope: GraphQL errors: 1: HTTP 200: the response is not a GraphQL result (application/json, empty)', `one line: ${empty.stderr}`);
      mode = 'json';
      const json = await h.cli(['connect', srv.url, '--pattern', 'graphql', '-d', '{ hello }']);
      expect(json.code === 1 && json.stderr.trim() === 'wirescope: GraphQL errors: 1: HTTP 200: the response is not a GraphQL result (application/json: [1,2,3])', `one line: ${json.stderr}`);
    },
  },
  {
    pattern: 'graphql',
    category: 'framing',
    name: 'a graphql-sse stream with malformed events (a next that is not JSON, an unknown event) that ends without complete: shown, then one line',
    async run(h) {
      const srv = await httpPeer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: next\ndata: {"data":{"ticks":{"seq":1}}}\n\n');
        res.write('event: next\ndata: not json at all\n\n');
        res.write('event: weird\ndata: x\n\n');
        res.write(': a comment\nretry: abc\nid\n\n');
        setTimeout(() => res.end(), 50);
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...SUB, '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const data = framesIn(r.events).filter((f) => !f.meta?.control);
      expect(data.length === 2 && data[0].data === '{"data":{"ticks":{"seq":1}}}' && Array.isArray(data[1].meta?.errors), `the result, then the flagged one: ${JSON.stringify(data.map((d) => d.data))}`);
      expect(framesIn(r.events).some((f) => f.meta?.control === true && f.meta.invalid === true && /unexpected event "weird"/.test(f.data)), 'the unknown event is said');
      expect(r.stderr.trim() === 'wirescope: 1: the graphql-sse stream ended without complete (after 2 results)', `one line: ${r.stderr}`);
    },
  },
  {
    pattern: 'graphql',
    category: 'framing',
    name: 'graphql-sse single connection mode: a reservation (PUT) answered with an HTML page instead of a token: one line, nothing subscribed',
    async run(h) {
      const methods: string[] = [];
      const srv = await httpPeer((req, res) => {
        methods.push(req.method ?? '');
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1>\u001b[2J</body></html>');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...SUB, '--graphql-protocol', 'sse-single']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const lines = r.stderr.trim().split('\n');
      expect(lines.length === 1 && /^wirescope: the event stream reservation \(PUT\) did not answer a token: HTTP 200, text\/html: <!DOCTYPE html>/.test(lines[0]), `one line: ${r.stderr}`);
      expect(!r.stderr.includes('\u001b'), 'the escape sequence is not passed to the terminal');
      expect(methods.join(',') === 'PUT', `only the reservation was asked: ${methods.join(',')}`);
    },
  },
  {
    pattern: 'graphql',
    category: 'fault',
    name: 'graphql-sse single connection mode: a server that reserves a stream and never answers its GET: one line after --ack-timeout',
    async run(h) {
      const srv = await httpPeer((req, res) => {
        if (req.method === 'PUT') {
          res.writeHead(201, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('8f0a2b');
        }
        // The GET with the token is never answered.
      });
      h.cleanup(() => srv.close());
      const started = Date.now();
      const r = await h.cli(['connect', srv.url, ...SUB, '--graphql-protocol', 'sse-single', '--ack-timeout', '500']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(r.stderr.trim() === 'wirescope: no event stream within 500 ms after the reservation (--ack-timeout)', `one line: ${r.stderr}`);
      expect(Date.now() - started < 15_000, 'bounded in time');
      expect(!r.stdout.includes('8f0a2b') && !r.stderr.includes('8f0a2b'), 'the token is not shown');
    },
  },
  {
    pattern: 'graphql',
    category: 'bounds',
    name: 'a graphql-sse event that never ends (40 MiB without a line break, limit 1 MiB): one line, memory bounded',
    timeoutMs: 40_000,
    async run(h) {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      const srv = await httpPeer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: next\ndata: ');
        let left = 40;
        const more = () => {
          while (left > 0 && !res.destroyed) {
            left--;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
        };
        more();
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, ...SUB, '--max-message-size', '1048576']);
      h.bounded('RSS growth (MB) for an endless graphql-sse event', (process.memoryUsage().rss - before) / 1048576, 100);
      expect(r.code === 1 && r.stderr.trim() === 'wirescope: 1: a graphql-sse event larger than 1048576 bytes (--max-message-size)', `one line (exit ${r.code}): ${r.stderr}`);
    },
  },
  {
    pattern: 'graphql',
    category: 'terminal',
    name: 'escape sequences in error messages, paths and operation data never reach the terminal raw',
    async run(h) {
      const srv = await httpPeer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { x: 'a\u001b[2Jb' }, errors: [{ message: 'boom\u001b]0;pwned\u0007\r\nsecond line', path: ['x\u001b[31m', 0] }] }));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--pattern', 'graphql', '-d', 'query Q { x }']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(r.stderr.trim() === 'wirescope: GraphQL errors: Q: boom\\x1b]0;pwned\\x07\\r\\nsecond line (at x\\x1b[31m.0)', `one line, escaped: ${JSON.stringify(r.stderr)}`);
    },
  },
];
