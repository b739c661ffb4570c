/** Hostile cases for the http (request-response) pattern: a raw server writes exactly the bytes of each case. */
import zlib from 'node:zlib';
import { expect, framesIn, summaryOf, type HostileCase } from '../harness';
import { headerOf, rawServer, sleep } from '../peers';

const CREDENTIAL_HEADERS: Array<[string, string]> = [
  ['Authorization', 'Bearer RedirBEARER-1'],
  ['Cookie', 'sid=RedirCOOKIE-2'],
  ['X-Api-Key', 'RedirAPIKEY-3'],
  ['X-Access-Token', 'RedirACCESS-4'],
];

export const httpCases: HostileCase[] = [
  {
    pattern: 'http',
    category: 'credentials',
    name: 'a cross-origin redirect drops Authorization, Cookie, X-Api-Key and X-Access-Token, and the hop says so',
    original: 'F2',
    async run(h) {
      const b = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
      const a = await rawServer((sock) => sock.end(`HTTP/1.1 302 Found\r\nLocation: ${b.url('/landing')}\r\nContent-Length: 0\r\n\r\n`));
      h.cleanup(() => a.close());
      h.cleanup(() => b.close());
      const args = ['connect', a.url('/start'), '--format', 'ndjson'];
      for (const [k, v] of CREDENTIAL_HEADERS) args.push('-H', `${k}: ${v}`);
      const r = await h.cli(args);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      // Other test files run at the same time: only the requests of this case count.
      const atA = a.heads.filter((x) => x.startsWith('GET /start '));
      const atB = b.heads.filter((x) => x.startsWith('GET /landing '));
      expect(atA.length >= 1 && atB.length >= 1, `A and B should each get the request, got ${atA.length} and ${atB.length}`);
      for (const [k] of CREDENTIAL_HEADERS) {
        for (const head of atA) expect(headerOf(head, k) !== undefined, `A (same origin) should get ${k}`);
        for (const head of atB) expect(headerOf(head, k) === undefined, `B (another origin) got ${k}: ${headerOf(head, k)}`);
      }
      const hop = r.events.find((e): e is Extract<typeof e, { kind: 'frame' }> => e.kind === 'frame' && e.dir === 'out' && e.meta?.hop === 1);
      const dropped = (hop?.meta?.credentialsDropped as string[] | undefined) ?? [];
      for (const [k] of CREDENTIAL_HEADERS) expect(dropped.includes(k.toLowerCase()), `the hop's out frame should list ${k} in meta.credentialsDropped: ${JSON.stringify(hop?.meta)}`);
    },
  },
  {
    pattern: 'http',
    category: 'credentials',
    name: 'a same-origin redirect keeps the credentials',
    async run(h) {
      const a = await rawServer((sock, head) => {
        if (head.startsWith('GET /start')) sock.end('HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n');
        else sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
      h.cleanup(() => a.close());
      const r = await h.cli(['connect', a.url('/start'), '-H', 'Authorization: Bearer SameOrigin', '--format', 'ndjson']);
      expect(r.code === 0, `exit ${r.code}`);
      expect(headerOf(a.heads[1], 'authorization') === 'Bearer SameOrigin', 'the second hop on the same origin keeps Authorization');
    },
  },
  {
    pattern: 'http',
    category: 'logs',
    name: 'Content-Length 100 then FIN after 10 bytes: status, headers, partial body and "body ended after 10 of 100 bytes"',
    original: 'F16',
    async run(h) {
      const srv = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson']);
      const f = framesIn(r.events)[0];
      expect(f !== undefined, `no response frame logged: ${r.stdout}`);
      expect(f.meta?.status === 200 && (f.meta?.headers as Record<string, string>)['content-length'] === '100', `status/headers missing: ${JSON.stringify(f.meta)}`);
      expect(f.data === '0123456789' && f.size === 10, `partial body should be logged: ${JSON.stringify(f)}`);
      expect(r.events.some((e) => e.kind === 'timing'), 'timing should be logged');
      expect(/body ended after 10 of 100 bytes/.test(r.stderr), `stderr should give the real cause: ${r.stderr}`);
      expect(summaryOf(r.events).frames.in === 1, 'frames.in should be 1');
    },
  },
  {
    pattern: 'http',
    category: 'logs',
    name: 'a garbage chunk size: status, headers, partial body and "malformed chunked encoding"',
    original: 'F17',
    async run(h) {
      const srv = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZZ\r\nxxxx\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson']);
      const f = framesIn(r.events)[0];
      expect(f !== undefined && f.meta?.status === 200, `no response frame with its status: ${r.stdout}`);
      expect(f.data === 'hello', `partial body should be logged: ${JSON.stringify(f)}`);
      expect(/malformed chunked encoding/.test(r.stderr), `stderr should give the real cause: ${r.stderr}`);
    },
  },
  {
    pattern: 'http',
    category: 'logs',
    name: 'RST mid-body: the status and the partial body are logged, the cause is a reset',
    async run(h) {
      const srv = await rawServer((sock) => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabcdef');
        setTimeout(() => sock.resetAndDestroy(), 50);
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson']);
      const f = framesIn(r.events)[0];
      expect(f !== undefined && f.meta?.status === 200 && f.data === 'abcdef', `partial response not logged: ${r.stdout}`);
      expect(/reset/i.test(r.stderr) && /6 of 1000 bytes/.test(r.stderr), `stderr: ${r.stderr}`);
    },
  },
  {
    pattern: 'http',
    category: 'logs',
    name: '--duration ends a response mid-body: the partial response is logged (frames.in is not 0)',
    original: 'F18',
    async run(h) {
      const srv = await rawServer((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nfirst-part'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson', '--duration', '600']);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      const f = framesIn(r.events)[0];
      expect(f !== undefined && f.meta?.status === 200 && f.data === 'first-part', `partial response not logged: ${r.stdout.slice(0, 600)}`);
      expect(summaryOf(r.events).frames.in === 1, `frames.in: ${JSON.stringify(summaryOf(r.events).frames)}`);
    },
  },
  {
    pattern: 'http',
    category: 'logs',
    name: '1001 response header fields: all logged, or the cut marked',
    original: 'F20',
    async run(h) {
      let head = 'HTTP/1.1 200 OK\r\n';
      for (let i = 0; i < 1000; i++) head += `X-H${i}: ${i}\r\n`;
      head += 'Content-Length: 2\r\n\r\nok';
      const srv = await rawServer((sock) => sock.end(head));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson']);
      const f = framesIn(r.events)[0];
      const headers = (f?.meta?.headers ?? {}) as Record<string, string>;
      const n = Object.keys(headers).length;
      expect(n === 1001 || f?.meta?.headersCut !== undefined, `logged ${n} of 1001 header fields without marking the cut`);
      expect(headers['content-length'] === '2', 'Content-Length should be logged');
    },
  },
  {
    pattern: 'http',
    category: 'bounds',
    name: 'a body at 1 byte per 300 ms stops at --total-timeout with one line',
    original: 'F14',
    async run(h) {
      const srv = await rawServer((sock) => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
        const t = setInterval(() => sock.write('x'), 300);
        sock.on('close', () => clearInterval(t));
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson', '--total-timeout', '1500']);
      expect(r.code === 1, `exit ${r.code}: ${r.stderr}`);
      expect(/total timeout/i.test(r.stderr), `stderr: ${r.stderr}`);
      expect(r.ms < 6000, `took ${r.ms} ms`);
      const f = framesIn(r.events)[0];
      expect(f !== undefined && f.size > 0, 'the partial body should be logged');
    },
  },
  {
    pattern: 'http',
    category: 'bounds',
    name: 'a body that stalls stops at --idle-timeout with one line',
    original: 'F14',
    async run(h) {
      const srv = await rawServer((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson', '--idle-timeout', '500']);
      expect(r.code === 1, `exit ${r.code}: ${r.stderr}`);
      expect(/idle timeout/i.test(r.stderr), `stderr: ${r.stderr}`);
      expect(r.ms < 5000, `took ${r.ms} ms`);
    },
  },
  {
    pattern: 'http',
    category: 'terminal',
    name: 'a reason phrase with an OSC sequence is escaped in pretty output',
    async run(h) {
      const srv = await rawServer((sock) => sock.end('HTTP/1.1 500 Oops\x1b]0;pwned\x07\r\nContent-Length: 0\r\n\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url()]);
      expect(r.stdout.includes('Oops\\x1b]0;pwned\\x07'), `the reason should be shown escaped: ${r.stdout}`);
    },
  },
  {
    pattern: 'http',
    category: 'framing',
    name: 'a status line that is not HTTP gives one line',
    async run(h) {
      const srv = await rawServer((sock) => sock.end('HTTP/1.1 abc nonsense\r\n\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url()]);
      expect(r.code === 1 && /Malformed HTTP response/.test(r.stderr), `exit ${r.code}: ${r.stderr}`);
    },
  },
  {
    pattern: 'http',
    category: 'framing',
    name: 'a header block over 16 KB gives one line',
    async run(h) {
      const srv = await rawServer((sock) => sock.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url()]);
      expect(r.code === 1 && /too large/.test(r.stderr), `exit ${r.code}: ${r.stderr}`);
    },
  },
  {
    pattern: 'http',
    category: 'bounds',
    name: 'a gzip bomb (1 GiB of zeros) is not expanded beyond the decode cap',
    timeoutMs: 30_000,
    async run(h) {
      const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
      const srv = await rawServer((sock) => {
        sock.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`);
        sock.end(bomb);
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson']);
      const grew = (process.memoryUsage().rss - before) / 1048576;
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      h.bounded('RSS growth (MB) decoding a gzip bomb', grew, 200);
      const f = framesIn(r.events)[0];
      expect(f !== undefined && f.size <= 64 * 1024 * 1024, `frame size ${f?.size}`);
    },
  },
  {
    pattern: 'http',
    category: 'fault',
    name: 'accepts and never answers: the response timeout ends it with one line',
    async run(h) {
      const srv = await rawServer(() => undefined);
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--timeout', '500']);
      expect(r.code === 1 && /No response within 500 ms/.test(r.stderr), `exit ${r.code}: ${r.stderr}`);
    },
  },
  {
    pattern: 'http',
    category: 'fault',
    name: 'half-close after the headers with no Content-Length: the body read to the end',
    async run(h) {
      const srv = await rawServer(async (sock) => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil-');
        await sleep(50);
        sock.end('the-end');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--format', 'ndjson']);
      expect(r.code === 0 && framesIn(r.events)[0]?.data === 'until-the-end', `exit ${r.code}: ${r.stdout}`);
    },
  },
];
