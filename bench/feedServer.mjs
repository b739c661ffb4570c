// The benchmarks' feed server, run as its own process so that serving never competes with the
// client being measured for the same event loop. Listens on 127.0.0.1 only and prints one JSON
// line {"http":port,"mqtt":port} when ready; exits when its parent closes stdin.
//
// With BENCH_TLS_CERT and BENCH_TLS_KEY (PEM text of a throwaway test certificate) it also serves
// the same endpoints over https ("https":port).
//
// WebSocket and SSE feeds are pre-built byte streams written in large chunks, so the server side
// costs almost nothing and the client is what limits throughput. Endpoints:
//   GET /ws?n=N&size=S      WebSocket upgrade, then N text frames of S bytes (pre-built bytes)
//   GET /sse?n=N&size=S     text/event-stream with N events whose data is S bytes (pre-built bytes)
//   GET /ws-lib, /sse-lib   the same feeds served the ordinary way: the `ws` server's send() and
//                           res.write() per message, as a real backend does
//   GET /ws-rate?rate=R&seconds=S&size=B  WebSocket: after the client sends "go", R messages/s for S s
//   GET /slow?head=MS&chunks=K&gap=MS&size=S  headers after `head` ms, then K chunks `gap` ms apart
//   GET /sse-ping?id=X      text/event-stream held open; POST /fire?id=X&k=K writes `data: K` on it at
//                           once (answers 204): the SSE latency probe (bench/proxy.ts)
//   GET /ws-echo            WebSocket upgrade (the `ws` server): every message is sent back
//   MQTT: subscribing to bench/N/S makes the broker publish N QoS 0 messages of S bytes there.
//   TCP ("tcp" port): the client sends the line `N S`; the server writes N lines of S bytes (one socket.write
//                     per line, as a line-protocol server does, in batches that respect back-pressure), then ends.
//   Socket.IO ("socketio" port, the `socket.io` server): a client connecting with the query n=N&size=S gets N
//                     `tick` events whose one argument is a string of S bytes (socket.emit per event, in slices).
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Aedes } from 'aedes';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const cache = new Map();

/** Message i padded to exactly `size` bytes: realistic small JSON, unique per message. */
function message(i, size) {
  const head = `{"seq":${i},"price":${(i * 7919) % 100000},"pad":"`;
  const tail = '"}';
  const pad = Math.max(0, size - head.length - tail.length);
  return head + 'x'.repeat(pad) + tail;
}

function wsStream(n, size) {
  const key = `ws:${n}:${size}`;
  if (cache.has(key)) return cache.get(key);
  const parts = [];
  for (let i = 1; i <= n; i++) {
    const payload = Buffer.from(message(i, size));
    let header;
    if (payload.length < 126) header = Buffer.from([0x81, payload.length]);
    else if (payload.length < 65536) header = Buffer.from([0x81, 126, payload.length >> 8, payload.length & 255]);
    else throw new Error('bench frames are small');
    parts.push(header, payload);
  }
  const buf = Buffer.concat(parts);
  cache.set(key, buf);
  return buf;
}

function sseStream(n, size) {
  const key = `sse:${n}:${size}`;
  if (cache.has(key)) return cache.get(key);
  const parts = [];
  for (let i = 1; i <= n; i++) parts.push(`id: ${i}\ndata: ${message(i, size)}\n\n`);
  const buf = Buffer.from(parts.join(''));
  cache.set(key, buf);
  return buf;
}

/** Write a big buffer in 256 KiB chunks, respecting back-pressure. */
function blast(stream, buf, done) {
  const CHUNK = 256 * 1024;
  let off = 0;
  const next = () => {
    while (off < buf.length) {
      const end = Math.min(buf.length, off + CHUNK);
      const ok = stream.write(buf.subarray(off, end));
      off = end;
      if (!ok) {
        stream.once('drain', next);
        return;
      }
    }
    done?.();
  };
  next();
}

const intParam = (u, k, dflt, max) => {
  const v = Number(u.searchParams.get(k) ?? dflt);
  return Number.isInteger(v) && v >= 0 && v <= max ? v : dflt;
};

/** The open /sse-ping streams by id. */
const pingStreams = new Map();

function handle(req, res) {
  const u = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (u.pathname === '/sse') {
    const buf = sseStream(intParam(u, 'n', 1000, 2_000_000), intParam(u, 'size', 100, 60_000));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    blast(res, buf);
    req.on('close', () => res.destroy());
    return;
  }
  if (u.pathname === '/sse-lib') {
    const n = intParam(u, 'n', 1000, 2_000_000);
    const size = intParam(u, 'size', 100, 60_000);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 1;
    const pump = () => {
      while (i <= n && !res.destroyed) {
        const ok = res.write(`id: ${i}\ndata: ${message(i, size)}\n\n`);
        i++;
        if (!ok) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
    req.on('close', () => res.destroy());
    return;
  }
  if (u.pathname === '/sse-ping') {
    const id = u.searchParams.get('id') ?? '';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    pingStreams.set(id, res);
    req.on('close', () => {
      if (pingStreams.get(id) === res) pingStreams.delete(id);
      res.destroy();
    });
    return;
  }
  if (u.pathname === '/fire') {
    const stream = pingStreams.get(u.searchParams.get('id') ?? '');
    if (!stream) return void res.writeHead(404).end();
    stream.write(`data: ${intParam(u, 'k', 0, 1e9)}\n\n`);
    res.writeHead(204).end();
    return;
  }
  if (u.pathname === '/slow') {
    const head = intParam(u, 'head', 50, 10_000);
    const chunks = intParam(u, 'chunks', 5, 1000);
    const gap = intParam(u, 'gap', 30, 10_000);
    const size = intParam(u, 'size', 1000, 1_000_000);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      let sent = 0;
      const tick = () => {
        if (res.destroyed) return;
        res.write('c'.repeat(size));
        if (++sent >= chunks) res.end();
        else setTimeout(tick, gap);
      };
      setTimeout(tick, gap);
    }, head);
    return;
  }
  res.writeHead(404).end();
}
const server = http.createServer(handle);

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

/** Send with ws's send(), in batches: the last send of a batch calls back once flushed. */
function feedWithLibrary(ws, n, size) {
  let i = 1;
  const BATCH = 1000;
  const batch = () => {
    if (ws.readyState !== ws.OPEN) return;
    const until = Math.min(n, i + BATCH - 1);
    for (; i < until; i++) ws.send(message(i, size));
    if (i <= n) {
      ws.send(message(i, size), () => batch());
      i++;
    }
  };
  // Two batches in flight, so the socket never runs dry while the next one is queued.
  batch();
  batch();
  ws.on('error', () => ws.terminate());
}

/** A steady feed: every 10 ms, the messages due by then (so the rate holds even if a tick is late). */
function feedAtRate(ws, rate, seconds, size) {
  const total = rate * seconds;
  const start = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return clearInterval(timer);
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) {
      sent++;
      ws.send(message(sent, size));
    }
    if (sent >= total) clearInterval(timer);
  }, 10);
}

server.on('upgrade', (req, socket, head) => {
  const u = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (u.pathname === '/ws-rate') {
    const rate = intParam(u, 'rate', 1000, 1_000_000);
    const seconds = intParam(u, 'seconds', 1, 60);
    const size = intParam(u, 'size', 100, 60_000);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.once('message', () => feedAtRate(ws, rate, seconds, size));
    });
    return;
  }
  if (u.pathname === '/ws-echo') {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    return;
  }
  if (u.pathname === '/ws-lib') {
    wss.handleUpgrade(req, socket, head, (ws) => feedWithLibrary(ws, intParam(u, 'n', 1000, 5_000_000), intParam(u, 'size', 100, 60_000)));
    return;
  }
  const key = req.headers['sec-websocket-key'];
  if (u.pathname !== '/ws' || typeof key !== 'string') {
    socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  blast(socket, wsStream(intParam(u, 'n', 1000, 2_000_000), intParam(u, 'size', 100, 60_000)));
  // Whatever the client sends next is its close frame: answer with a normal closure and end.
  socket.once('data', () => {
    socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
  });
});

const broker = await Aedes.createBroker();
broker.on('subscribe', (subs, client) => {
  for (const s of subs) {
    const m = /^bench\/(\d+)\/(\d+)$/.exec(s.topic);
    if (!m || !client) continue;
    const n = Math.min(2_000_000, Number(m[1]));
    const size = Math.min(60_000, Number(m[2]));
    let i = 0;
    // Publish in slices so the broker's queues stay short and the process stays responsive.
    const slice = () => {
      const until = Math.min(n, i + 2000);
      for (; i < until; i++) broker.publish({ cmd: 'publish', topic: s.topic, payload: Buffer.from(message(i + 1, size)), qos: 0, retain: false, dup: false }, () => undefined);
      if (i < n) setImmediate(slice);
    };
    setImmediate(slice);
  }
});
const mqttServer = net.createServer(broker.handle);

const tcpServer = net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  let head = '';
  const onData = (chunk) => {
    head += chunk.toString('latin1');
    const nl = head.indexOf('\n');
    if (nl < 0) {
      if (head.length > 100) socket.destroy();
      return;
    }
    socket.off('data', onData);
    const [nRaw, sizeRaw] = head.slice(0, nl).trim().split(/\s+/);
    const n = Math.min(5_000_000, Math.max(1, Number(nRaw) || 1000));
    const size = Math.min(60_000, Math.max(20, Number(sizeRaw) || 100));
    let i = 0;
    const batch = () => {
      while (i < n) {
        i++;
        if (!socket.write(message(i, size - 1) + '\n')) return socket.once('drain', batch);
      }
      socket.end();
    };
    batch();
  };
  socket.on('data', onData);
});

const socketioHttp = http.createServer();
const socketio = new SocketIoServer(socketioHttp);
socketio.on('connection', (s) => {
  const n = Math.min(5_000_000, Math.max(1, Number(s.handshake.query.n) || 1000));
  const size = Math.min(60_000, Math.max(20, Number(s.handshake.query.size) || 100));
  let i = 0;
  const slice = () => {
    if (s.disconnected) return;
    const until = Math.min(n, i + 2000);
    for (; i < until; i++) s.emit('tick', message(i + 1, size));
    if (i < n) setImmediate(slice);
  };
  setImmediate(slice);
});

const tlsServer =
  process.env.BENCH_TLS_CERT && process.env.BENCH_TLS_KEY
    ? https.createServer({ cert: process.env.BENCH_TLS_CERT, key: process.env.BENCH_TLS_KEY }, handle)
    : undefined;
tlsServer?.on('tlsClientError', () => undefined);

const listening = (srv) => new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv.address().port)));
const ports = { http: await listening(server), mqtt: await listening(mqttServer), tcp: await listening(tcpServer), socketio: await listening(socketioHttp) };
if (tlsServer) ports.https = await listening(tlsServer);
process.stdout.write(JSON.stringify(ports) + '\n');

// The parent owns this process: when its end of stdin closes, stop.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
