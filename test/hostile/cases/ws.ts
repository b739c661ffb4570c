/** Hostile cases for WebSocket: a raw server completes the handshake itself, then writes bad frames. */
import { createHash } from 'node:crypto';
import type net from 'node:net';
import zlib from 'node:zlib';
import { expect, framesIn, type HostileCase } from '../harness';
import { headerOf, rawServer } from '../peers';

function accept(sock: net.Socket, head: string, extraHeaders = ''): void {
  const key = headerOf(head, 'sec-websocket-key') ?? '';
  const acc = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acc}\r\n${extraHeaders}\r\n`);
}

/** An unmasked server frame. */
function frame(opcode: number, payload: Buffer, fin = true, rsv1 = false): Buffer {
  const b0 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  let head: Buffer;
  if (payload.length < 126) head = Buffer.from([b0, payload.length]);
  else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = b0;
    head[1] = 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, payload]);
}

export const wsCases: HostileCase[] = [
  {
    pattern: 'ws',
    category: 'terminal',
    name: 'handshake rejected with an OSC sequence in the reason phrase: the stderr line is escaped',
    original: 'F12',
    async run(h) {
      const srv = await rawServer((sock) => sock.end('HTTP/1.1 500 Oops\x1b]0;pwned\x07\r\nContent-Length: 0\r\n\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/', 'ws')]);
      expect(r.code === 1 && /handshake rejected: HTTP 500 Oops\\x1b\]0;pwned\\x07/.test(r.stderr), `stderr: ${JSON.stringify(r.stderr)}`);
    },
  },
  {
    pattern: 'ws',
    category: 'framing',
    name: 'a reserved opcode (0x3) gives one line and a failed or closed session',
    async run(h) {
      const srv = await rawServer((sock, head) => {
        accept(sock, head);
        sock.write(frame(0x3, Buffer.from('bad')));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/', 'ws'), '--no-reconnect', '--format', 'ndjson']);
      expect(r.events.some((e) => e.kind === 'error' && /opcode/i.test(e.message)), `no error naming the opcode: ${r.stdout.slice(0, 800)}`);
    },
  },
  {
    pattern: 'ws',
    category: 'framing',
    name: 'a continuation frame with nothing to continue gives one line',
    async run(h) {
      const srv = await rawServer((sock, head) => {
        accept(sock, head);
        sock.write(frame(0x0, Buffer.from('orphan')));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/', 'ws'), '--no-reconnect', '--format', 'ndjson']);
      expect(r.events.some((e) => e.kind === 'error'), `no error: ${r.stdout.slice(0, 800)}`);
    },
  },
  {
    pattern: 'ws',
    category: 'framing',
    name: 'invalid UTF-8 in a text frame gives one line',
    async run(h) {
      const srv = await rawServer((sock, head) => {
        accept(sock, head);
        sock.write(frame(0x1, Buffer.from([0x68, 0xff, 0xfe])));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/', 'ws'), '--no-reconnect', '--format', 'ndjson']);
      expect(r.events.some((e) => e.kind === 'error' && /UTF-8/i.test(e.message)), `no error naming UTF-8: ${r.stdout.slice(0, 800)}`);
    },
  },
  {
    pattern: 'ws',
    category: 'fault',
    name: 'RST mid-frame: reconnects after the drop',
    async run(h) {
      const srv = await rawServer((sock, head, i) => {
        accept(sock, head);
        if (i === 0) {
          sock.write(frame(0x1, Buffer.from('one')));
          const f = frame(0x1, Buffer.from('x'.repeat(1000)));
          sock.write(f.subarray(0, 300));
          setTimeout(() => sock.resetAndDestroy(), 50);
        } else sock.write(frame(0x1, Buffer.from('two')));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/', 'ws'), '--count', '2', '--reconnect-delay', '50', '--format', 'ndjson']);
      expect(r.code === 0 && framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data).join(',') === 'one,two', `stdout: ${r.stdout.slice(0, 800)} ${r.stderr}`);
      expect(r.events.some((e) => e.kind === 'reconnect'), 'a reconnect should be logged');
    },
  },
  {
    pattern: 'ws',
    category: 'fault',
    name: 'half-open link (stall): the pong timeout reconnects',
    async run(h) {
      const srv = await rawServer((sock, head, i) => {
        accept(sock, head);
        if (i === 0) sock.write(frame(0x1, Buffer.from('one')));
        else sock.write(frame(0x1, Buffer.from('two')));
        // Never answers pings.
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/', 'ws'), '--count', '2', '--ping-interval', '200', '--pong-timeout', '300', '--reconnect-delay', '50', '--format', 'ndjson']);
      expect(r.events.some((e) => e.kind === 'error' && /pong timeout/.test(e.message)), `no pong timeout: ${r.stdout.slice(0, 800)}`);
      expect(r.code === 0, `exit ${r.code}`);
    },
  },
  {
    pattern: 'ws',
    category: 'bounds',
    name: 'a permessage-deflate bomb (64 MiB of zeros in 64 KB) is one frame cut at the preview',
    timeoutMs: 30_000,
    async run(h) {
      const payload = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
      // permessage-deflate strips the trailing 00 00 ff ff of a sync flush; a final block is fine too.
      const srv = await rawServer((sock, head) => {
        accept(sock, head, 'Sec-WebSocket-Extensions: permessage-deflate\r\n');
        sock.write(frame(0x2, payload, true, true));
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url('/', 'ws'), '--count', '1', '--format', 'ndjson']);
      const grew = (process.memoryUsage().rss - before) / 1048576;
      const f = framesIn(r.events).find((x) => !x.meta?.control);
      expect(f !== undefined && f.size === 64 * 1024 * 1024 && f.truncated === true, `frame: ${JSON.stringify({ size: f?.size })} ${r.stderr}`);
      h.bounded('RSS growth (MB) for a 64 MiB inflated message', grew, 300);
    },
  },
  {
    pattern: 'ws',
    category: 'terminal',
    name: 'a close reason with escape sequences is escaped on stdout and stderr',
    async run(h) {
      const reason = Buffer.from('bye\x1b[2J\u202e');
      const srv = await rawServer((sock, head) => {
        accept(sock, head);
        const p = Buffer.alloc(2 + reason.length);
        p.writeUInt16BE(4000, 0);
        reason.copy(p, 2);
        sock.write(frame(0x8, p));
        setTimeout(() => sock.end(), 50);
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/', 'ws'), '--no-reconnect']);
      expect(r.stdout.includes('bye\\x1b[2J\\u202e'), `stdout: ${r.stdout}`);
    },
  },
];
