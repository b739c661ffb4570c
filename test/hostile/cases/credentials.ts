/**
 * Credentials in every pattern's URL form, and headers the redaction rule treats as credentials.
 * Adding a pattern: add its URL form to URL_FORMS (a refused connection must not echo the password).
 */
import { buildHar } from '../../../src/core/export/har';
import { toNdjson } from '../../../src/core/export/ndjson';
import { Session } from '../../../src/core/session';
import type { WireEvent } from '../../../src/shared/events';
import { expect, framesIn, type HostileCase } from '../harness';
import { closedPort, rawServer } from '../peers';

/** pattern -> URL form with a password, for a port where nothing listens. */
const URL_FORMS: Array<[pattern: string, form: (port: number, pw: string) => string, extra: string[], variant?: string]> = [
  ['ws', (p, pw) => `ws://user:${pw}@127.0.0.1:${p}/feed`, []],
  ['http', (p, pw) => `http://user:${pw}@127.0.0.1:${p}/`, []],
  ['sse', (p, pw) => `http://user:${pw}@127.0.0.1:${p}/sse`, ['--pattern', 'sse']],
  ['poll', (p, pw) => `http://user:${pw}@127.0.0.1:${p}/poll`, ['--pattern', 'poll', '--reconnect-attempts', '1', '--reconnect-delay', '10']],
  ['long-poll', (p, pw) => `http://user:${pw}@127.0.0.1:${p}/lp`, ['--pattern', 'long-poll']],
  ['stream', (p, pw) => `http://user:${pw}@127.0.0.1:${p}/s`, ['--pattern', 'stream']],
  ['async', (p, pw) => `http://user:${pw}@127.0.0.1:${p}/jobs`, ['--pattern', 'async', '-X', 'POST']],
  ['mqtt', (p, pw) => `mqtt://user:${pw}@127.0.0.1:${p}`, ['--subscribe', 't']],
  ['socketio', (p, pw) => `http://user:${pw}@127.0.0.1:${p}/chat`, ['--pattern', 'socketio']],
  ['redis', (p, pw) => `redis://user:${pw}@127.0.0.1:${p}`, ['--subscribe', 't']],
  ['nats', (p, pw) => `nats://user:${pw}@127.0.0.1:${p}`, ['--subscribe', 't']],
  ['grpc', (p, pw) => `grpc://user:${pw}@127.0.0.1:${p}`, ['--method', 'pkg.Svc/Do']],
  ['graphql', (p, pw) => `ws://user:${pw}@127.0.0.1:${p}/graphql`, ['--pattern', 'graphql', '-d', 'subscription { ticks { seq } }']],
  ['kafka', (p, pw) => `kafka://user:${pw}@127.0.0.1:${p},127.0.0.1:${p}`, ['--topic', 't']],
  ['amqp', (p, pw) => `amqp://user:${pw}@127.0.0.1:${p}/`, ['--bind', 'amq.topic:#']],
  ['amqp', (p, pw) => `amqps://user:${pw}@127.0.0.1:${p}/`, ['--bind', 'amq.topic:#'], 'amqps://'],
];

export const credentialCases: HostileCase[] = [];

for (const [pattern, form, extra, variant] of URL_FORMS) {
  for (const format of ['pretty', 'ndjson'] as const) {
    credentialCases.push({
      pattern,
      category: 'credentials',
      name: `URL password masked on ${format} stdout and stderr when the connection is refused${variant ? ` (${variant})` : ''}`,
      original: pattern === 'ws' ? (format === 'pretty' ? 'F3' : 'F4') : undefined,
      async run(h) {
        const pw = h.secret(`pw-${pattern}-SECRET`);
        const port = await closedPort();
        const r = await h.cli(['connect', form(port, pw), ...extra, '--format', format, '--no-reconnect']);
        expect(r.code === 1, `exit code ${r.code}, expected 1: ${r.stderr}`);
        expect(/Connection refused/.test(r.stderr), `stderr should say the connection was refused: ${r.stderr}`);
        expect(r.stdout.includes('user:***@') || !r.stdout.includes('user:'), `the URL on stdout should show the user with a masked password: ${r.stdout.slice(0, 300)}`);
      },
    });
  }
}

credentialCases.push(
  {
    pattern: 'ws',
    category: 'credentials',
    name: 'URL password masked in the stderr line (Connection refused (ws://user:***@...))',
    original: 'F5',
    async run(h) {
      const pw = h.secret('StderrSECRET');
      const port = await closedPort();
      const r = await h.cli(['connect', `ws://user:${pw}@127.0.0.1:${port}/`, '--format', 'summary']);
      expect(r.stderr.includes(`ws://user:***@127.0.0.1:${port}/`), `stderr should name the URL with the password masked: ${r.stderr}`);
    },
  },
  {
    pattern: 'http',
    category: 'credentials',
    name: 'Invalid URL message masks the password',
    original: 'F7',
    async run(h) {
      const pw = h.secret('InvalidSECRET');
      const r = await h.cli(['connect', `http://user:${pw}@127.0.0.1:99999/`]);
      expect(r.code === 2, `exit ${r.code}`);
      expect(/Invalid (URL|port)/.test(r.stderr), `stderr: ${r.stderr}`);
    },
  },
  {
    pattern: 'http',
    category: 'credentials',
    name: 'Invalid URL message masks the password (engine, bad host)',
    original: 'F7',
    async run(h) {
      const pw = h.secret('EngineInvalidSECRET');
      const events: WireEvent[] = [];
      const s = new Session({ pattern: 'http', url: `http://user:${pw}@[bad/` });
      s.onEvent((e) => events.push(e));
      await s.start();
      await s.done;
      h.checkLeaks('events', JSON.stringify(events));
      expect(events.some((e) => e.kind === 'error' && /Invalid URL/.test(e.message)), `no Invalid URL error: ${JSON.stringify(events)}`);
    },
  },
  {
    pattern: 'http',
    category: 'credentials',
    name: 'credential-like headers (X-Access-Token, Private-Token, Set-Cookie) masked on ndjson stdout',
    original: 'F8',
    async run(h) {
      const token = h.secret('AccessTOKEN-value-1');
      const priv = h.secret('PrivateTOKEN-value-2');
      const cookie = h.secret('sessionid-SETCOOKIE-3');
      const srv = await rawServer((sock) => sock.end(`HTTP/1.1 200 OK\r\nSet-Cookie: sid=${cookie}\r\nX-Access-Token: ${token}\r\nContent-Length: 2\r\n\r\nok`));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url(), '-H', `X-Access-Token: ${token}`, '-H', `Private-Token: ${priv}`, '--format', 'ndjson']);
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      expect(srv.heads[0].includes(token) && srv.heads[0].includes(priv), 'the server should still receive the headers');
      const inF = framesIn(r.events)[0];
      expect(inF?.meta?.status === 200, 'the response should be logged');
    },
  },
  {
    pattern: 'export',
    category: 'credentials',
    name: 'NDJSON and HAR exports with default options mask URL passwords',
    original: 'F6',
    async run(h) {
      const pw = h.secret('ExportSECRET');
      const port = await closedPort();
      for (const url of [`ws://user:${pw}@127.0.0.1:${port}/`, `http://user:${pw}@127.0.0.1:${port}/`]) {
        const pattern = url.startsWith('ws') ? 'ws' : 'http';
        const events: WireEvent[] = [];
        const s = new Session({ pattern, url });
        s.onEvent((e) => events.push(e));
        await s.start();
        await s.done;
        h.checkLeaks(`${pattern} NDJSON export`, toNdjson(events));
        h.checkLeaks(`${pattern} HAR export`, JSON.stringify(buildHar(events, { id: 's1', name: 'n', pattern, url })));
      }
    },
  },
);
