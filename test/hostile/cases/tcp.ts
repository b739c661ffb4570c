/** Hostile cases for raw TCP (issue 10's `tcp` pattern): a plain socket server that misbehaves. */
import net from 'node:net';
import { expect, framesIn, type HostileCase } from '../harness';

interface PlainServer {
  url: string;
  close(): Promise<void>;
}

/** A loopback TCP server on a free port; `onConn` gets each connection and its index. */
async function plainServer(onConn: (socket: net.Socket, index: number) => void): Promise<PlainServer> {
  const sockets = new Set<net.Socket>();
  let n = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConn(socket, n++);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export const tcpCases: HostileCase[] = [
  {
    pattern: 'tcp',
    category: 'bounds',
    name: 'a 40 MiB line without a newline is cut at the 16 MiB frame bound: memory stays bounded',
    timeoutMs: 40_000,
    async run(h) {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      const srv = await plainServer((sock) => {
        let left = 40;
        const more = () => {
          while (left > 0) {
            left--;
            if (!sock.write(chunk)) return void sock.once('drain', more);
          }
          sock.end();
        };
        more();
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, '--split', 'lines', '--format', 'ndjson', '--no-reconnect']);
      const grew = (process.memoryUsage().rss - before) / 1048576;
      h.bounded('RSS growth (MB) for a 40 MiB line', grew, 250);
      const frames = framesIn(r.events).filter((f) => !f.meta?.control);
      const total = frames.reduce((a, f) => a + f.size, 0);
      expect(total === 40 * 1024 * 1024, `every byte counted once: ${total}`);
      expect(frames.some((f) => f.meta?.eol === 'cut') && frames.every((f) => f.size <= 16 * 1024 * 1024), `frames cut at 16 MiB: ${JSON.stringify(frames.map((f) => [f.size, f.meta?.eol]))}`);
    },
  },
  {
    pattern: 'tcp',
    category: 'framing',
    name: 'a length prefix of 4 GiB - 1 ends the session with one error line (malformed stream), nothing allocated for it',
    async run(h) {
      const srv = await plainServer((sock) => sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x61, 0x62])));
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, '--split', 'length', '--format', 'ndjson', '--no-reconnect']);
      h.bounded('RSS growth (MB) for a 4 GiB length prefix', (process.memoryUsage().rss - before) / 1048576, 100);
      // With --no-reconnect the drop ends the session (closed, as for every pattern), the cause said once.
      const errors = r.events.filter((e) => e.kind === 'error');
      expect(errors.length === 1 && /malformed stream: length prefix 4294967295 exceeds/.test(errors[0].kind === 'error' ? errors[0].message : ''), `one error naming the length: ${r.stdout.slice(0, 800)}`);
      const end = r.events.filter((e) => e.kind === 'state').pop();
      expect(end?.kind === 'state' && (end.state === 'closed' || end.state === 'failed') && /malformed stream/.test(end.reason ?? ''), `ended with the cause: ${JSON.stringify(end)}`);
    },
  },
  {
    pattern: 'tcp',
    category: 'terminal',
    name: 'escape sequences, bidi controls and a BEL in received lines never reach the terminal raw',
    async run(h) {
      const srv = await plainServer((sock) => sock.end('220 \x1b]0;pwned\x07 hi\r\n250 \u202eevil\u202c ok\x1b[2J\r\n'));
      h.cleanup(() => srv.close());
      // The pretty format writes frames to the terminal; the harness fails the case on any raw control character.
      const r = await h.cli(['connect', srv.url, '--split', 'lines', '--format', 'pretty', '--no-reconnect']);
      // Lines with control characters are binary frames: the terminal shows their bytes as hex.
      expect(/1b 5d 30 3b 70 77 6e 65 64 07/.test(r.stdout) && /e2 80 ae/.test(r.stdout), `the bytes are shown as hex: ${JSON.stringify(r.stdout.slice(0, 600))}`);
    },
  },
  {
    pattern: 'tcp',
    category: 'fault',
    name: 'a reset mid-line is a drop with one line, then a reconnect gets the next greeting',
    async run(h) {
      const srv = await plainServer((sock, i) => {
        if (i === 0) {
          sock.write('220 first\r\n250 half a li');
          setTimeout(() => sock.resetAndDestroy(), 50);
        } else sock.end('220 second\r\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--split', 'lines', '--format', 'ndjson', '--count', '2', '--reconnect-delay', '50']);
      expect(r.events.some((e) => e.kind === 'reconnect'), `a reconnect: ${r.stdout.slice(0, 800)}`);
      const lines = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(lines[0] === '220 first' && lines.includes('220 second'), `lines: ${JSON.stringify(lines)}`);
      expect(!lines.some((l) => typeof l === 'string' && l.startsWith('250 half') && l.includes('220')), 'the half line is not glued to the next connection');
    },
  },
  {
    pattern: 'tcp',
    category: 'bounds',
    name: 'a flood of 200,000 one-line writes is taken in full and in order',
    timeoutMs: 40_000,
    async run(h) {
      const srv = await plainServer((sock) => {
        let out = '';
        for (let i = 1; i <= 200_000; i++) out += `{"seq":${i}}\n`;
        sock.end(out);
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--split', 'lines', '--format', 'summary', '--id-field', '$.seq', '--count', '200000']);
      const s = JSON.parse(r.stdout) as { frames: { in: number }; anomalies: Record<string, number>; idCheck: { checked: number } };
      // frames.in also counts the server's FIN (a control frame); the id check counts the data lines.
      expect(s.idCheck.checked === 200_000 && s.frames.in >= 200_000 && s.anomalies.gap === 0 && s.anomalies.duplicate === 0 && s.anomalies['out-of-order'] === 0, `summary: ${r.stdout}`);
    },
  },
  {
    pattern: 'tcp',
    category: 'fault',
    name: 'a server that accepts and never speaks: the start-up send goes out after the greeting wait, and the session ends on --duration',
    async run(h) {
      const got: string[] = [];
      const srv = await plainServer((sock) => sock.on('data', (d) => got.push(d.toString('latin1'))));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--split', 'lines', '--send', 'HELLO', '--greeting-wait', '200', '--duration', '1200', '--format', 'ndjson']);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      expect(got.join('') === 'HELLO\r\n', `the server got ${JSON.stringify(got.join(''))}`);
      const out = r.events.find((e) => e.kind === 'frame' && e.dir === 'out');
      expect(out !== undefined && out.t >= 150, `sent after the greeting wait: ${JSON.stringify(out)}`);
    },
  },
];
