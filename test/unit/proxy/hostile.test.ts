/**
 * Hostile peers through the capture proxy: a backend that stalls in the middle of a WebSocket
 * message, an oversized frame, broken framing, an SSE line with no end, and credentials that must
 * not reach the log. Forwarding stays byte-exact and memory stays bounded in every case.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { curl, frames, startProxy, until } from '../../helpers/captureProxy';
import { httpServer, listen } from '../../helpers/servers';

/** A raw "WebSocket" backend: answers the handshake, then runs `script` on the socket. */
async function rawWsBackend(script: (socket: net.Socket) => void): Promise<{ url: string; close(): void }> {
  const srv = http.createServer();
  const upgraded = new Set<net.Socket>();
  srv.on('upgrade', (req, socket: net.Socket) => {
    upgraded.add(socket);
    socket.on('error', () => undefined);
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    script(socket);
  });
  const port = await listen(srv);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      // Upgraded sockets no longer belong to the server: end them here.
      for (const s of upgraded) s.destroy();
      srv.closeAllConnections();
      srv.close();
    },
  };
}

function frameHead(opcode: number, len: number): Buffer {
  if (len < 126) return Buffer.from([0x80 | opcode, len]);
  if (len < 65536) {
    const b = Buffer.from([0x80 | opcode, 126, 0, 0]);
    b.writeUInt16BE(len, 2);
    return b;
  }
  const b = Buffer.alloc(10);
  b[0] = 0x80 | opcode;
  b[1] = 127;
  b.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
  b.writeUInt32BE(len >>> 0, 6);
  return b;
}

describe('capture proxy: hostile peers', () => {
  it('a backend that stalls mid-message: the bytes so far pass at once, the message is logged when it completes', async () => {
    let finish: (() => void) | undefined;
    const payload = Buffer.from('a message that arrives in two halves');
    const be = await rawWsBackend((socket) => {
      const whole = Buffer.concat([frameHead(1, payload.length), payload]);
      socket.write(whole.subarray(0, 10));
      finish = () => socket.write(whole.subarray(10));
    });
    const p = await startProxy(be.url);
    // A raw client, to see the half-frame arrive through the proxy before the rest exists.
    const sock = net.connect(p.port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    let got = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    await until(() => got.includes('\r\n\r\n') && got.length - (got.indexOf('\r\n\r\n') + 4) === 10, 5000, 'the first half of the frame at the client');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(frames(p.events, (f) => f.dir === 'in' && f.meta?.control !== true).length, 0, 'no message logged while it is incomplete');
    finish!();
    await until(() => frames(p.events, (f) => f.dir === 'in' && f.meta?.control !== true).length === 1);
    const body = got.subarray(got.indexOf('\r\n\r\n') + 4);
    await until(() => got.length - (got.indexOf('\r\n\r\n') + 4) === payload.length + 2);
    assert.ok(got.subarray(got.indexOf('\r\n\r\n') + 4 + 2).equals(payload), `client got ${body.length} bytes`);
    assert.equal(frames(p.events, (f) => f.dir === 'in' && f.meta?.control !== true)[0].data, payload.toString());
    sock.destroy();
    await p.close();
    be.close();
  });

  it('an oversized 24 MiB frame passes whole while the log keeps a bounded preview', async () => {
    const big = randomBytes(24 * 1024 * 1024);
    const be = await rawWsBackend((socket) => {
      socket.write(frameHead(2, big.length));
      socket.write(big);
    });
    const p = await startProxy(be.url, {}, { previewLimit: 1024 });
    const ws = new WebSocket(`${p.url.replace('http:', 'ws:')}/ws`, { maxPayload: 64 * 1024 * 1024 });
    const [data] = (await once(ws, 'message')) as [Buffer];
    assert.ok(data.equals(big), 'the whole frame reaches the client unchanged');
    await until(() => frames(p.events, (f) => f.dir === 'in' && f.size === big.length).length === 1);
    const f = frames(p.events, (x) => x.dir === 'in' && x.size === big.length)[0];
    assert.equal(Buffer.from(f.data, 'base64').length, 1024);
    assert.ok(Buffer.from(f.data, 'base64').equals(big.subarray(0, 1024)));
    assert.equal(f.truncated, true);
    ws.terminate();
    await p.close();
    be.close();
  });

  it('broken framing is reported once and the bytes still pass unchanged', async () => {
    const junk = Buffer.from([0x8f, 0x03, 1, 2, 3, 0x81, 0x02, 0x68, 0x69]);
    const be = await rawWsBackend((socket) => socket.write(junk));
    const p = await startProxy(be.url);
    const sock = net.connect(p.port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    let got = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    await until(() => got.includes('\r\n\r\n') && got.subarray(got.indexOf('\r\n\r\n') + 4).length === junk.length);
    assert.ok(got.subarray(got.indexOf('\r\n\r\n') + 4).equals(junk));
    await until(() => p.events.some((e) => e.kind === 'error' && e.code === 'ERR_WS_FRAMING'));
    const errs = p.events.filter((e) => e.kind === 'error' && e.code === 'ERR_WS_FRAMING');
    assert.equal(errs.length, 1);
    assert.ok(errs[0].kind === 'error' && /opcode 15/.test(errs[0].message) && !errs[0].message.includes('\n'));
    sock.destroy();
    await p.close();
    be.close();
  });

  it('an SSE line with no end is forwarded live and logged only up to a bound', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const t = setInterval(() => {
        res.write(n === 0 ? 'data: ' + chunk : chunk);
        if (++n === 40) {
          clearInterval(t);
          res.end('\n\n');
        }
      }, 1);
    });
    const p = await startProxy(srv.url, {}, { previewLimit: 4096 });
    const r = await curl(['-N', `${p.url}/sse`]);
    assert.equal(r.stdout.length, 'data: '.length + 40 * chunk.length + 2);
    await until(() => frames(p.events, (f) => f.meta?.stream === 'sse' && f.meta?.control !== true).length === 1);
    const f = frames(p.events, (x) => x.meta?.stream === 'sse' && x.meta?.control !== true)[0];
    assert.ok(f.data.length <= 1024 * 1024, `kept ${f.data.length} chars`);
    assert.equal(f.size >= 40 * chunk.length - 1, true);
    await p.close();
    await srv.close();
  });

  it('credentials in request headers and Set-Cookie never reach the log', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'set-cookie': 'session=topsecretcookie; HttpOnly', 'content-type': 'text/plain' });
      res.end('ok');
    });
    const p = await startProxy(srv.url);
    await curl(['-H', 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==', '-H', 'Cookie: sid=cookievalue987', '-H', 'X-Api-Key: apikey55555', `${p.url}/x`]);
    await until(() => frames(p.events, (f) => f.dir === 'in').length === 1);
    await p.close();
    await srv.close();
    const text = JSON.stringify(p.events);
    for (const secret of ['dXNlcjpwYXNzd29yZDEyMw', 'cookievalue987', 'apikey55555', 'topsecretcookie']) assert.ok(!text.includes(secret), `${secret} leaked`);
    assert.ok(text.includes('Basic ***'));
  });
});
