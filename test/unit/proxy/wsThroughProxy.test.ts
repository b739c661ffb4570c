/**
 * WebSocket through the capture proxy with the `ws` library's client and server (neither written
 * by Wirescope): frames both ways byte for byte, binary, fragmented, compressed, ping/pong, close
 * codes; faults on one live connection; sequence checks per proxied stream; a clean stop.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import type { AnomalyEvent, FrameEvent, SummaryEvent } from '../../../src/shared/events';
import { curl, frames, startProxy, until } from '../../helpers/captureProxy';
import { checkInvariants, httpServer, wsServer, type WsTestServer } from '../../helpers/servers';

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === 'close-me') {
        ws.close(4001, 'asked to close');
        return;
      }
      ws.send(data, { binary: isBinary });
    });
  });
}

async function openClient(url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, opts);
  await once(ws, 'open');
  return ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

describe('capture proxy: WebSocket with the ws library', () => {
  let server: WsTestServer;

  before(async () => {
    server = await wsServer(echo);
  });
  after(async () => {
    await server?.close();
  });

  it('text and binary frames pass both ways unchanged and every frame is logged in its direction', async () => {
    const p = await startProxy(server.url.replace('ws:', 'http:'));
    const ws = await openClient(`${p.url.replace('http:', 'ws:')}/ws`, { perMessageDeflate: false });
    const bin = randomBytes(200_000);
    const small = Buffer.from([0, 1, 2, 255, 254]);
    const replies: Array<{ data: Buffer; isBinary: boolean }> = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => replies.push({ data, isBinary }));
    ws.send('hello proxy');
    ws.send(bin);
    ws.send(small);
    await until(() => replies.length === 3);
    assert.equal(replies[0].data.toString(), 'hello proxy');
    assert.equal(replies[0].isBinary, false);
    assert.ok(replies[1].isBinary);
    assert.ok(replies[1].data.equals(bin), 'a 200 kB binary frame comes back byte for byte');
    assert.ok(replies[2].data.equals(small));
    // ping/pong: the ws server answers pings itself.
    ws.ping('are-you-there');
    await once(ws, 'pong');
    ws.close(1000, 'done here');
    await once(ws, 'close');
    await until(() => p.events.some((e) => e.kind === 'timing' && e.meta?.connectionClosed === true));
    const data = frames(p.events, (f) => f.meta?.control !== true);
    const out = data.filter((f) => f.dir === 'out');
    const inn = data.filter((f) => f.dir === 'in');
    assert.deepEqual(out.map((f) => f.size), [11, 200_000, 5]);
    assert.deepEqual(inn.map((f) => f.size), [11, 200_000, 5]);
    assert.equal(out[0].data, 'hello proxy');
    assert.equal(out[2].encoding, 'base64');
    assert.equal(Buffer.from(out[2].data, 'base64').toString('hex'), small.toString('hex'));
    assert.equal(Buffer.from(inn[1].data, 'base64').length, 64 * 1024, 'the preview is bounded');
    assert.equal(inn[1].truncated, true);
    const ping = frames(p.events, (f) => f.meta?.opcode === 9)[0];
    const pong = frames(p.events, (f) => f.meta?.opcode === 10)[0];
    assert.equal(ping.dir, 'out');
    assert.equal(ping.data, 'are-you-there');
    assert.equal(pong.dir, 'in');
    const closes = frames(p.events, (f) => f.meta?.opcode === 8);
    assert.deepEqual(closes.map((f) => [f.dir, f.meta?.code, f.data]), [['out', 1000, 'done here'], ['in', 1000, 'done here']]);
    const up = frames(p.events, (f) => f.meta?.upgrade === 'websocket')[0];
    assert.equal(up.dir, 'out');
    const sw = frames(p.events, (f) => f.meta?.status === 101)[0];
    assert.equal(sw.dir, 'in');
    assert.ok(p.events.some((e) => e.kind === 'timing' && e.meta?.handshake === true));
    await p.close();
    checkInvariants(p.events);
  });

  it('a server close code and reason are logged; fragmented messages are one frame', async () => {
    const p = await startProxy(server.url.replace('ws:', 'http:'));
    const ws = await openClient(`${p.url.replace('http:', 'ws:')}/ws`, { perMessageDeflate: false });
    // Fragmented: three frames of one message, sent through the library's fin option.
    ws.send('part1-', { fin: false });
    ws.send('part2-', { fin: false });
    ws.send('part3', { fin: true });
    const m = await nextMessage(ws);
    assert.equal(m.data.toString(), 'part1-part2-part3');
    ws.send('close-me');
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    assert.equal(code, 4001);
    assert.equal(reason.toString(), 'asked to close');
    await until(() => frames(p.events, (f) => f.meta?.opcode === 8).length === 2);
    const frag = frames(p.events, (f) => f.dir === 'out' && f.data === 'part1-part2-part3')[0];
    assert.equal(frag.meta?.fragments, 3);
    const serverClose = frames(p.events, (f) => f.meta?.opcode === 8 && f.dir === 'in')[0];
    assert.equal(serverClose.meta?.code, 4001);
    assert.equal(serverClose.data, 'asked to close');
    await p.close();
  });

  it('permessage-deflate messages pass compressed and are logged inflated', async () => {
    const z = await wsServer(echo, { perMessageDeflate: { threshold: 0 } });
    const p = await startProxy(z.url.replace('ws:', 'http:'));
    const ws = await openClient(`${p.url.replace('http:', 'ws:')}/ws`, { perMessageDeflate: { threshold: 0 } });
    const text = 'compress me '.repeat(500);
    for (let i = 0; i < 3; i++) {
      ws.send(`${i}:${text}`);
      const r = await nextMessage(ws);
      assert.equal(r.data.toString(), `${i}:${text}`);
    }
    ws.close();
    await once(ws, 'close');
    const logged = frames(p.events, (f) => f.meta?.compressed === true && f.meta?.control !== true);
    assert.equal(logged.length, 6, 'three messages each way');
    for (const f of logged) {
      assert.match(f.data, /^\d:compress me compress me/);
      assert.equal(f.size, text.length + 2);
      assert.equal(f.meta?.decoded, undefined);
    }
    await p.close();
    await z.close();
  });

  it('cut on one live connection drops both sides of that connection only', async () => {
    const p = await startProxy(server.url.replace('ws:', 'http:'));
    const a = await openClient(`${p.url.replace('http:', 'ws:')}/a`);
    const b = await openClient(`${p.url.replace('http:', 'ws:')}/b`);
    const conns = p.session.proxy!.connections();
    assert.equal(conns.length, 2);
    const connA = conns.find((c) => c.label === 'GET /a')!;
    assert.equal(connA.kind, 'websocket');
    const closedA = once(a, 'close');
    assert.equal(p.session.proxy!.inject(connA.id, { type: 'cut' }), 1);
    const [code] = (await closedA) as [number];
    assert.equal(code, 1006, 'the client sees an abnormal closure');
    b.send('still here');
    assert.equal((await nextMessage(b)).data.toString(), 'still here');
    const fault = p.events.find((e) => e.kind === 'error' && e.code === 'FAULT_INJECTED');
    assert.ok(fault && fault.kind === 'error' && fault.message.includes(connA.id));
    b.close();
    await p.close();
  });

  it('stall holds a live connection silent until resume; slow throttles towards the client', async () => {
    const p = await startProxy(server.url.replace('ws:', 'http:'));
    const ws = await openClient(`${p.url.replace('http:', 'ws:')}/ws`, { perMessageDeflate: false });
    const id = p.session.proxy!.connections()[0].id;
    p.session.proxy!.inject(id, { type: 'stall' });
    assert.equal(p.session.proxy!.connections()[0].fault, 'stall');
    let got: string | undefined;
    ws.once('message', (d: Buffer) => (got = d.toString()));
    ws.send('held');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(got, undefined, 'nothing passes while stalled');
    p.session.proxy!.inject(id, { type: 'resume' });
    await until(() => got === 'held', 5000, 'held message after resume');
    p.session.proxy!.inject(id, { type: 'slow', bytesPerSecond: 20_000 });
    const big = randomBytes(30_000);
    const t0 = Date.now();
    ws.send(big);
    const r = await nextMessage(ws);
    const took = Date.now() - t0;
    assert.ok(r.data.equals(big));
    assert.ok(took >= 1000, `30 kB at 20 kB/s took ${took} ms`);
    p.session.proxy!.inject(id, { type: 'resume' });
    ws.close();
    await p.close();
  });

  it('half-close towards the client ends the client side while the backend side stays up', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    });
    const p = await startProxy(srv.url);
    let got = '';
    const run = curl(['-N', `${p.url}/sse`], { onData: (d) => (got += d.toString()) });
    await until(() => got.includes('data: 1'));
    const id = p.session.proxy!.connections()[0].id;
    p.session.proxy!.inject(id, { type: 'half-close', side: 'client' });
    const r = await run;
    // curl sees the stream end without its chunked terminator.
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /transfer closed|18|end of response/i);
    await p.close();
    await srv.close();
  });

  it('the sequence check applies per proxied stream and accounts a client reconnect', async () => {
    let connection = 0;
    const seqServer = await wsServer((wss) => {
      wss.on('connection', (ws) => {
        connection++;
        // First connection: 1, 2, 4 (a gap). Second: replays 4, then 5.
        const ids = connection === 1 ? [1, 2, 4] : [4, 5];
        for (const n of ids) ws.send(JSON.stringify({ seq: n }));
      });
    });
    const p = await startProxy(seqServer.url.replace('ws:', 'http:'), {}, { idField: '$.seq' });
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(`${p.url.replace('http:', 'ws:')}/feed`);
      let n = 0;
      ws.on('message', () => n++);
      await until(() => n === (i === 0 ? 3 : 2), 5000, `messages on connection ${i + 1}`);
      ws.close();
      await once(ws, 'close');
      await until(() => p.events.filter((e) => e.kind === 'timing' && e.meta?.connectionClosed).length === i + 1);
    }
    await p.close();
    const anomalies = p.events.filter((e): e is AnomalyEvent => e.kind === 'anomaly');
    assert.deepEqual(anomalies.map((a) => [a.type, a.key]), [['gap', 4], ['duplicate', 4]]);
    assert.equal(anomalies[0].meta?.stream, 'GET /feed');
    assert.equal(anomalies[1].meta?.afterReconnect, true);
    assert.match(String(anomalies[0].meta?.conn), /^c\d+$/);
    const summary = p.events.at(-1) as SummaryEvent;
    assert.deepEqual(summary.anomalies, { duplicate: 1, gap: 1, 'out-of-order': 0 });
    await seqServer.close();
  });

  it('stopping the proxy closes a WebSocket cleanly with 1001 to both sides', async () => {
    let serverSaw: number | undefined;
    const s = await wsServer((wss) => wss.on('connection', (ws) => ws.on('close', (code) => (serverSaw = code))));
    const p = await startProxy(s.url.replace('ws:', 'http:'));
    const ws = await openClient(`${p.url.replace('http:', 'ws:')}/ws`);
    const closed = once(ws, 'close');
    await p.close();
    const [code] = (await closed) as [number];
    assert.equal(code, 1001);
    await until(() => serverSaw !== undefined, 3000, 'server close');
    assert.equal(serverSaw, 1001);
    checkInvariants(p.events);
    await s.close();
  });
});

describe('capture proxy: non-WebSocket upgrade passes through raw', () => {
  let srv: http.Server;
  let port = 0;
  before(async () => {
    srv = http.createServer();
    srv.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: custom\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    port = (srv.address() as import('node:net').AddressInfo).port;
  });
  after(() => {
    srv.closeAllConnections();
    srv.close();
  });

  it('bytes after a custom upgrade are relayed unchanged and not decoded as frames', async () => {
    const p = await startProxy(`http://127.0.0.1:${port}`);
    const net = await import('node:net');
    const sock = net.connect(p.port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write('GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: custom\r\nConnection: Upgrade\r\n\r\n');
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    await until(() => got.includes('\r\n\r\n'));
    sock.write(Buffer.from('\x81\x05hello', 'latin1'));
    await until(() => got.includes('echo:'));
    assert.ok(got.endsWith('echo:\x81\x05hello'), JSON.stringify(got));
    sock.destroy();
    await p.close();
    assert.equal(frames(p.events, (f: FrameEvent) => f.data === 'hello').length, 0);
  });
});
