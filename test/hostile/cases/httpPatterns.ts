/** Hostile cases for the request-driven HTTP patterns: stream, long-poll, poll, async. */
import { expect, framesIn, type HostileCase } from '../harness';
import { rawServer } from '../peers';

const OSC_500 = 'HTTP/1.1 500 Oops\x1b]0;pwned\x07\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

export const httpPatternCases: HostileCase[] = [
  ...(
    [
      ['stream', ['--pattern', 'stream', '--no-reconnect'], 'F9'],
      ['long-poll', ['--pattern', 'long-poll'], 'F10'],
      ['async', ['--pattern', 'async', '-X', 'POST'], 'F11'],
    ] as const
  ).map(
    ([pattern, args, original]): HostileCase => ({
      pattern,
      category: 'terminal',
      name: 'a reason phrase with an OSC sequence is escaped in the stderr failure line',
      original,
      async run(h) {
        const srv = await rawServer((sock) => sock.end(OSC_500));
        h.cleanup(() => srv.close());
        const r = await h.cli(['connect', srv.url('/x'), ...args, '--reconnect-attempts', '1', '--reconnect-delay', '10']);
        expect(r.code === 1, `exit ${r.code}: ${r.stderr}`);
        expect(r.stderr.includes('Oops\\x1b]0;pwned\\x07'), `the reason should be on stderr, escaped: ${JSON.stringify(r.stderr)}`);
      },
    }),
  ),
  {
    pattern: 'stream',
    category: 'fault',
    name: 'RST mid-line: the cut is named, and the stream reconnects',
    async run(h) {
      const srv = await rawServer((sock, _head, i) => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n');
        if (i === 0) {
          sock.write('c\r\n{"seq":1}\n{"s\r\n');
          setTimeout(() => sock.resetAndDestroy(), 50);
        } else sock.end('a\r\n{"seq":2}\n\r\n0\r\n\r\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/s'), '--pattern', 'stream', '--count', '2', '--reconnect-delay', '20', '--format', 'ndjson']);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      expect(framesIn(r.events).some((f) => f.meta?.partial === true), 'the cut line should be logged as partial');
    },
  },
  {
    pattern: 'stream',
    category: 'framing',
    name: 'a garbage chunk size mid-stream: one line naming malformed chunked encoding',
    async run(h) {
      const srv = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\na\r\n{"seq":1}\n\r\nQQ\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/s'), '--pattern', 'stream', '--no-reconnect', '--format', 'ndjson']);
      expect(framesIn(r.events).some((f) => f.data === '{"seq":1}'), 'the first line should be logged');
      expect(r.events.some((e) => e.kind === 'error' && /malformed chunked encoding/.test(e.message)), `errors: ${r.stdout.slice(0, 800)}`);
    },
  },
  {
    pattern: 'stream',
    category: 'bounds',
    name: 'an 8 MB line without a newline is one frame cut at the preview limit',
    timeoutMs: 30_000,
    async run(h) {
      const srv = await rawServer((sock) => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n');
        sock.end('y'.repeat(8 * 1024 * 1024) + '\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/s'), '--pattern', 'stream', '--count', '1', '--format', 'ndjson']);
      const f = framesIn(r.events)[0];
      expect(f !== undefined && f.size === 8 * 1024 * 1024 && f.truncated === true, `frame: ${JSON.stringify({ size: f?.size, t: f?.truncated })}`);
    },
  },
  {
    pattern: 'long-poll',
    category: 'fault',
    name: 'slow-loris answer (headers one byte at a time) still ends at the hold limit',
    async run(h) {
      const srv = await rawServer((sock) => {
        const bytes = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n');
        let i = 0;
        const t = setInterval(() => {
          if (i < bytes.length) sock.write(bytes.subarray(i, ++i));
        }, 100);
        sock.on('close', () => clearInterval(t));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/lp'), '--pattern', 'long-poll', '--timeout', '800', '--duration', '2000', '--format', 'ndjson']);
      expect(r.ms < 8000, `took ${r.ms} ms`);
      expect(r.events.some((e) => e.kind === 'reconnect' && /client timeout/.test(e.cause)), `no client timeout: ${r.stdout.slice(0, 800)}`);
    },
  },
  {
    pattern: 'poll',
    category: 'framing',
    name: 'a body that is not what Content-Length says (shorter): the poll logs the partial body and the cause',
    async run(h) {
      const srv = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 50\r\n\r\nshort'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url('/p'), '--pattern', 'poll', '--interval', '100', '--duration', '500', '--format', 'ndjson']);
      expect(r.events.some((e) => e.kind === 'error' && /body ended after 5 of 50 bytes/.test(e.message)), `errors: ${r.stdout.slice(0, 800)}`);
    },
  },
];
