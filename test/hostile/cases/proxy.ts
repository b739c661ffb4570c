/**
 * Hostile backends behind the capture proxy (`wirescope proxy`, run in-process by the harness): a raw
 * server writes exactly the bytes of each case, and clients Wirescope did not write (curl, the `ws`
 * library) go through the proxy. In every case the hostile exchange is said in one clear error line
 * naming its connection, the proxy keeps serving another connection afterwards, and what a peer can
 * make it hold stays bounded.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import { curl } from '../../helpers/captureProxy';
import { expect, type CliOutcome, type HostileCase, type HostileContext } from '../harness';
import { closedPort, headerOf, rawServer, sleep, type RawServer } from '../peers';

type ErrorEvent = Extract<CliOutcome['events'][number], { kind: 'error' }>;

/** A backend whose `/good` answers normally; every other path is the case's. */
async function backend(hostile: (sock: net.Socket, head: string) => void): Promise<RawServer> {
  return rawServer((sock, head) => {
    if (head.startsWith('GET /good ')) sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
    else hostile(sock, head);
  });
}

async function listening(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the proxy did not listen on ${port} within ${ms} ms`);
    await sleep(50);
  }
}

/**
 * Run `wirescope proxy --target <backend>` in-process, drive clients through it, then interrupt it.
 * Returns the CLI's outcome; `drive` gets the proxy's base URL.
 */
async function throughProxy(h: HostileContext, srv: RawServer, drive: (base: string) => Promise<void>): Promise<CliOutcome> {
  const port = await closedPort();
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  const run = h.cli(['proxy', '--target', srv.url(), '--listen', `127.0.0.1:${port}`, '--format', 'ndjson'], { interruptWhen: done });
  let failure: unknown;
  try {
    await listening(port, 10_000);
    await drive(`http://127.0.0.1:${port}`);
  } catch (e) {
    failure = e;
  } finally {
    finished();
  }
  const r = await run;
  if (failure) throw failure;
  expect(r.code === 0, `the proxy should end cleanly on the interrupt, exit ${r.code}: ${r.stderr}`);
  return r;
}

/** The proxy still serves a plain request on a new connection. */
async function stillServes(base: string): Promise<void> {
  const good = await curl([`${base}/good`], { timeoutMs: 10_000 });
  expect(good.code === 0 && good.stdout.toString() === 'ok', `a plain request after the hostile one should pass: exit ${good.code}, ${JSON.stringify(good.stdout.toString())} ${good.stderr}`);
}

/** The error events about the connection whose request line was `label` (e.g. `GET /bad`). */
function errorsOf(r: CliOutcome, path: string): ErrorEvent[] {
  const out = r.events.find((e) => e.kind === 'frame' && e.dir === 'out' && e.meta?.path === path);
  const conn = out?.kind === 'frame' ? out.meta?.conn : undefined;
  expect(typeof conn === 'string', `the request to ${path} should be logged with its connection: ${r.stdout.slice(0, 600)}`);
  return r.events.filter((e): e is ErrorEvent => e.kind === 'error' && e.message.startsWith(`${conn as string} `));
}

function oneLine(errors: ErrorEvent[], pattern: RegExp, what: string): void {
  expect(errors.length === 1, `${what}: exactly one error line for that connection, got ${errors.length}: ${JSON.stringify(errors.map((e) => e.message))}`);
  expect(pattern.test(errors[0].message), `${what}: the line should say ${pattern}: ${errors[0].message}`);
  expect(!errors[0].message.includes('\n'), 'one line');
}

export const proxyCases: HostileCase[] = [
  {
    pattern: 'proxy',
    category: 'framing',
    name: 'a malformed chunked body from the backend: the client sees the cut, one line with the real cause, the next request passes',
    async run(h) {
      const srv = await backend((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZZ\r\nxxxx\r\n'));
      h.cleanup(() => srv.close());
      const r = await throughProxy(h, srv, async (base) => {
        const bad = await curl([`${base}/bad`], { timeoutMs: 10_000 });
        expect(bad.code !== 0, `curl should see the body cut, exit ${bad.code}`);
        expect(bad.stdout.toString() === 'hello', `the valid chunk before the garbage passes: ${JSON.stringify(bad.stdout.toString())}`);
        await stillServes(base);
      });
      oneLine(errorsOf(r, '/bad'), /malformed chunked|invalid chunk|chunk size/i, 'malformed chunked body');
      const resp = r.events.find((e) => e.kind === 'frame' && e.dir === 'in' && e.meta?.status === 200 && e.data === 'hello');
      expect(resp !== undefined, 'the response is logged with the part that came');
    },
  },
  {
    pattern: 'proxy',
    category: 'framing',
    name: 'an invalid WebSocket frame (reserved opcode 0x3): passed unchanged to the ws client, one ERR_WS_FRAMING line, the next request passes',
    async run(h) {
      const srv = await backend((sock, head) => {
        const key = headerOf(head, 'sec-websocket-key') ?? '';
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        sock.write(Buffer.concat([Buffer.from([0x83, 3]), Buffer.from('bad')]));
      });
      h.cleanup(() => srv.close());
      const r = await throughProxy(h, srv, async (base) => {
        const ws = new WebSocket(`${base.replace('http:', 'ws:')}/ws`, { perMessageDeflate: false });
        const outcome = await new Promise<{ error?: string; code?: number }>((resolve) => {
          const t = setTimeout(() => resolve({}), 10_000);
          ws.on('error', (e) => {
            clearTimeout(t);
            resolve({ error: e.message });
          });
          ws.on('close', (code) => {
            clearTimeout(t);
            resolve({ code });
          });
        });
        ws.terminate();
        // The proxy does not judge: the bytes reached the client, whose own parser refused them.
        expect(/opcode/i.test(outcome.error ?? ''), `the ws client should see the reserved opcode itself: ${JSON.stringify(outcome)}`);
        await stillServes(base);
      });
      oneLine(errorsOf(r, '/ws'), /WebSocket backend -> client: .*opcode/i, 'reserved opcode');
      const errs = errorsOf(r, '/ws');
      expect(errs[0].code === 'ERR_WS_FRAMING', `code ERR_WS_FRAMING: ${errs[0].code}`);
    },
  },
  {
    pattern: 'proxy',
    category: 'bounds',
    name: 'a response head that never ends (header lines without end): the client gets a 502, one line, the proxy reads a bounded amount',
    timeoutMs: 30_000,
    async run(h) {
      let written = 0;
      const line = `X-Pad: ${'a'.repeat(1000)}\r\n`;
      const srv = await backend((sock) => {
        sock.write('HTTP/1.1 200 OK\r\n');
        let open = true;
        sock.on('close', () => (open = false));
        // Up to 64 MiB of header lines, as fast as the proxy takes them (bounded, so a case cannot run away).
        const pump = () => {
          while (open && written < 64 * 1024 * 1024) {
            written += line.length;
            if (!sock.write(line)) {
              sock.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      h.cleanup(() => srv.close());
      const r = await throughProxy(h, srv, async (base) => {
        const bad = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/endless`], { timeoutMs: 15_000 });
        expect(bad.stdout.toString() === '502', `the client should get 502 Bad Gateway, got ${JSON.stringify(bad.stdout.toString())} (exit ${bad.code})`);
        await stillServes(base);
      });
      oneLine(errorsOf(r, '/endless'), /header/i, 'endless response head');
      // What the backend got written before the proxy gave up: the parser's limit plus socket buffers.
      h.bounded('bytes of response head the backend could write', written, 8 * 1024 * 1024);
    },
  },
  {
    pattern: 'proxy',
    category: 'fault',
    name: 'a backend that resets an SSE stream mid-way: the event before passes live and is logged, one line, the next request passes',
    async run(h) {
      const srv = await backend((sock) => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
        const event = 'id: 1\ndata: one\n\n';
        sock.write(`${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`);
        setTimeout(() => sock.resetAndDestroy(), 150);
      });
      h.cleanup(() => srv.close());
      const r = await throughProxy(h, srv, async (base) => {
        const sse = await curl(['-N', `${base}/sse`], { timeoutMs: 10_000 });
        expect(sse.code !== 0, `curl should see the stream cut, exit ${sse.code}`);
        expect(sse.stdout.toString() === 'id: 1\ndata: one\n\n', `the event before the reset passes: ${JSON.stringify(sse.stdout.toString())}`);
        await stillServes(base);
      });
      oneLine(errorsOf(r, '/sse'), /backend closed the connection before the response ended/, 'reset mid-stream');
      expect(r.events.some((e) => e.kind === 'frame' && e.dir === 'in' && e.data === 'one' && e.meta?.id === '1'), 'the event before the reset is logged');
    },
  },
  {
    pattern: 'proxy',
    category: 'framing',
    name: 'a backend that answers with something that is not HTTP: the client gets a 502, one line, the next request passes',
    async run(h) {
      const srv = await backend((sock) => sock.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
      h.cleanup(() => srv.close());
      const r = await throughProxy(h, srv, async (base) => {
        const bad = await curl(['-s', '-w', '\n%{http_code}', `${base}/notHttp`], { timeoutMs: 10_000 });
        const text = bad.stdout.toString();
        expect(text.endsWith('\n502'), `the client should get 502 Bad Gateway: ${JSON.stringify(text)}`);
        expect(/^wirescope proxy: .+\n\n502$/.test(text), `with a one-line text body: ${JSON.stringify(text)}`);
        await stillServes(base);
      });
      oneLine(errorsOf(r, '/notHttp'), /./, 'not HTTP');
    },
  },
];
