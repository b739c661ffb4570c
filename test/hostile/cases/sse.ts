/** Hostile cases for SSE. */
import { expect, framesIn, summaryOf, type HostileCase } from '../harness';
import { headerOf, rawServer } from '../peers';

const SSE_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n';

export const sseCases: HostileCase[] = [
  {
    pattern: 'sse',
    category: 'credentials',
    name: 'a cross-origin redirect drops Authorization, Cookie and X-Api-Key, and the hop says so',
    original: 'F1',
    async run(h) {
      const b = await rawServer((sock) => sock.end(SSE_HEAD + 'data: hello\n\n'));
      const a = await rawServer((sock) => sock.end(`HTTP/1.1 302 Found\r\nLocation: ${b.url('/events')}\r\nContent-Length: 0\r\n\r\n`));
      h.cleanup(() => a.close());
      h.cleanup(() => b.close());
      const r = await h.cli(['connect', a.url('/sse'), '--pattern', 'sse', '--count', '1', '--format', 'ndjson', '-H', 'Authorization: Bearer SseBEARER', '-H', 'Cookie: sid=SseCOOKIE', '-H', 'X-Api-Key: SseAPIKEY']);
      expect(b.heads.length >= 1, `B got no request: ${r.stderr}`);
      for (const k of ['authorization', 'cookie', 'x-api-key']) {
        expect(headerOf(a.heads[0], k) !== undefined, `A should get ${k}`);
        expect(headerOf(b.heads[0], k) === undefined, `B (another origin) got ${k}: ${headerOf(b.heads[0], k)}`);
      }
      const hop = r.events.find((e): e is Extract<typeof e, { kind: 'frame' }> => e.kind === 'frame' && e.dir === 'out' && Array.isArray(e.meta?.credentialsDropped));
      expect(hop !== undefined, `no out frame says which credentials were dropped: ${r.stdout.slice(0, 800)}`);
      for (const k of ['authorization', 'cookie', 'x-api-key']) expect((hop.meta!.credentialsDropped as string[]).includes(k), `credentialsDropped lacks ${k}`);
      expect(framesIn(r.events).some((f) => f.data === 'hello'), 'the event from B should be logged');
    },
  },
  {
    pattern: 'sse',
    category: 'logs',
    name: 'an event without id: is unidentified, not a duplicate of the last id',
    original: 'F19',
    async run(h) {
      const srv = await rawServer((sock) => sock.end(SSE_HEAD + 'id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--pattern', 'sse', '--count', '3', '--format', 'ndjson', '--id-field', 'sse-id', '--fail-on', 'anomaly']);
      const dup = r.events.filter((e) => e.kind === 'anomaly');
      expect(dup.length === 0, `anomalies flagged: ${JSON.stringify(dup)}`);
      const frames = framesIn(r.events).filter((f) => !f.meta?.control);
      expect(frames.length === 3 && frames[1].meta?.idInherited === true && frames[0].meta?.idInherited === undefined, `the middle event should be marked idInherited: ${JSON.stringify(frames.map((f) => f.meta))}`);
      const s = summaryOf(r.events) as unknown as { idCheck?: { unidentified: number; checked: number } };
      expect(s.idCheck?.unidentified === 1, `summary.idCheck: ${JSON.stringify(s.idCheck)}`);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
    },
  },
  {
    pattern: 'sse',
    category: 'bounds',
    name: 'retry: 99999999999999999999 is clamped, said so in the log, and gives no TimeoutOverflowWarning',
    original: 'F15',
    async run(h) {
      const srv = await rawServer((sock, _head, i) => {
        if (i === 0) sock.end(SSE_HEAD + 'retry: 99999999999999999999\nid: 1\ndata: first\n\n');
        else sock.end(SSE_HEAD + 'id: 2\ndata: second\n\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--pattern', 'sse', '--count', '2', '--format', 'ndjson', '--reconnect-max-delay', '300']);
      expect(r.warnings.length === 0, `warnings: ${r.warnings.join('; ')}`);
      const said = r.events.find((e) => (e.kind === 'error' && /retry/i.test(e.message) && /clamp/i.test(e.message)));
      expect(said !== undefined, `the log should say the retry delay was clamped: ${r.stdout.slice(0, 1000)}`);
      const rc = r.events.find((e) => e.kind === 'reconnect');
      expect(rc !== undefined && rc.delayMs >= 250, `the reconnect should wait the clamped delay: ${JSON.stringify(rc)}`);
    },
  },
  {
    pattern: 'sse',
    category: 'framing',
    name: 'a 20 MB data line: one frame cut at the preview limit, size counted',
    timeoutMs: 30_000,
    async run(h) {
      const srv = await rawServer((sock) => {
        sock.write(SSE_HEAD + 'data: ');
        sock.write('x'.repeat(20 * 1024 * 1024));
        sock.end('\n\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--pattern', 'sse', '--count', '1', '--format', 'ndjson']);
      const f = framesIn(r.events).find((x) => !x.meta?.control);
      expect(f !== undefined && f.truncated === true && f.size === 20 * 1024 * 1024, `frame: ${JSON.stringify({ size: f?.size, truncated: f?.truncated })} / ${r.stderr}`);
    },
  },
  {
    pattern: 'sse',
    category: 'fault',
    name: 'a stall mid-event: the idle timeout says so and reconnects',
    async run(h) {
      const srv = await rawServer((sock, _head, i) => {
        if (i === 0) sock.write(SSE_HEAD + 'id: 1\ndata: one\n\ndata: half-an-ev');
        else sock.end(SSE_HEAD + 'id: 2\ndata: two\n\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--pattern', 'sse', '--count', '2', '--format', 'ndjson', '--idle-timeout', '400', '--reconnect-delay', '50']);
      expect(r.events.some((e) => e.kind === 'error' && /idle timeout/.test(e.message)), 'no idle timeout error');
      expect(framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data).join(',') === 'one,two', `frames: ${r.stdout.slice(0, 600)}`);
    },
  },
  {
    pattern: 'sse',
    category: 'fault',
    name: 'server restarts (RST mid-event): reconnects with Last-Event-ID',
    async run(h) {
      const srv = await rawServer((sock, _head, i) => {
        if (i === 0) {
          sock.write(SSE_HEAD + 'id: 7\ndata: seven\n\ndata: cut');
          setTimeout(() => sock.resetAndDestroy(), 50);
        } else sock.end(SSE_HEAD + 'id: 8\ndata: eight\n\n');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--pattern', 'sse', '--count', '2', '--format', 'ndjson', '--reconnect-delay', '50']);
      expect(headerOf(srv.heads[1] ?? '', 'last-event-id') === '7', `second request: ${srv.heads[1]}`);
      expect(r.code === 0, `exit ${r.code}`);
    },
  },
  {
    pattern: 'sse',
    category: 'terminal',
    name: 'event data and type with escape sequences are escaped on stdout (pretty)',
    async run(h) {
      const srv = await rawServer((sock) => sock.end(SSE_HEAD + 'event: x\x1b[31m\ndata: \x1b]0;pwned\x07\u202e\n\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--pattern', 'sse', '--count', '1']);
      expect(r.stdout.includes('\\x1b]0;pwned\\x07'), `stdout: ${r.stdout}`);
    },
  },
  {
    pattern: 'sse',
    category: 'bounds',
    name: 'a flood of 100,000 events in one response is taken in full',
    timeoutMs: 40_000,
    async run(h) {
      const srv = await rawServer((sock) => {
        sock.write(SSE_HEAD);
        let out = '';
        for (let i = 1; i <= 100_000; i++) out += `id: ${i}\ndata: ${i}\n\n`;
        sock.end(out);
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '--pattern', 'sse', '--count', '100000', '--format', 'summary', '--id-field', 'sse-id']);
      const s = JSON.parse(r.stdout) as { frames: { in: number }; anomalies: Record<string, number> };
      expect(s.frames.in >= 100_000 && s.anomalies.duplicate === 0 && s.anomalies.gap === 0, `summary: ${r.stdout}`);
    },
  },
];
