/**
 * Hostile cases for the conversation patterns (smtp, imap): servers that speak the protocol badly or
 * with intent: a multi-line reply that never ends, a garbage greeting, STARTTLS answered and then plain
 * text, a server that echoes the credentials back. Each ends with one clear line and bounded memory.
 */
import net from 'node:net';
import { expect, framesIn, type HostileCase } from '../harness';

interface PlainServer {
  port: number;
  close(): Promise<void>;
}

/** A loopback TCP server on a free port that runs `onConn` per connection, with a line reader. */
async function lineServer(onConn: (socket: net.Socket, onLine: (fn: (line: string) => void) => void) => void): Promise<PlainServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    let handler: ((line: string) => void) | undefined;
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        handler?.(line);
      }
    });
    onConn(socket, (fn) => (handler = fn));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const lastState = (events: Array<{ kind: string }>) => events.filter((e) => e.kind === 'state').pop() as { state?: string; reason?: string } | undefined;

export const conversationCases: HostileCase[] = [
  {
    pattern: 'smtp',
    category: 'bounds',
    name: 'an EHLO reply that never ends (250- lines without a last line) ends at the reply bound with one line; memory stays bounded',
    timeoutMs: 40_000,
    async run(h) {
      const line = Buffer.from(`250-${'x'.repeat(1018)}\r\n`);
      const block = Buffer.concat(Array.from({ length: 256 }, () => line));
      const srv = await lineServer((sock, onLine) => {
        sock.write('220 endless.test ESMTP\r\n');
        onLine((l) => {
          if (!/^EHLO/i.test(l)) return;
          let sent = 0;
          const more = () => {
            // 200 MiB at most, in case the client never stops reading.
            while (sent < 800 && !sock.destroyed) {
              sent++;
              if (!sock.write(block)) return void sock.once('drain', more);
            }
          };
          more();
        });
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', `smtp://127.0.0.1:${srv.port}`, '--max-reply-bytes', String(16 * 1024 * 1024), '--format', 'ndjson']);
      h.bounded('RSS growth (MB) for an endless multi-line reply', (process.memoryUsage().rss - before) / 1048576, 200);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(r.stderr.trim().split('\n').length === 1 && /the reply to EHLO: a multi-line reply passed 16 MiB \(\d+ lines\) without its last line/.test(r.stderr), `one line naming the bound: ${r.stderr}`);
      expect(lastState(r.events)?.state === 'failed', 'the session failed');
    },
  },
  {
    pattern: 'smtp',
    category: 'fault',
    name: 'a multi-line reply that stops mid-way (250- and then silence) ends at the reply timeout with one line counting its lines',
    async run(h) {
      const srv = await lineServer((sock, onLine) => {
        sock.write('220 stall.test ESMTP\r\n');
        onLine((l) => {
          if (/^EHLO/i.test(l)) sock.write('250-stall.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n');
        });
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', `smtp://127.0.0.1:${srv.port}`, '--reply-timeout', '400', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(/no complete reply to EHLO within 400 ms \(3 lines of a multi-line reply, never ended\)/.test(r.stderr) && r.stderr.trim().split('\n').length === 1, `one line: ${r.stderr}`);
    },
  },
  {
    pattern: 'smtp',
    category: 'framing',
    name: 'garbage instead of a greeting (an HTTP server) ends with one line quoting it',
    async run(h) {
      const srv = await lineServer((sock) => sock.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', `smtp://127.0.0.1:${srv.port}`, '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(/the server's greeting is not an SMTP reply: "HTTP\/1\.1 400 Bad Request"/.test(r.stderr) && r.stderr.trim().split('\n').length === 1, `one line: ${r.stderr}`);
      const out = framesIn(r.events).filter((f) => f.dir === 'out');
      expect(out.length === 0, `nothing sent to a server that is not SMTP: ${JSON.stringify(out.map((f) => f.data))}`);
    },
  },
  {
    pattern: 'smtp',
    category: 'fault',
    name: 'STARTTLS answered 220 and then plain text: the TLS handshake fails with one line, and no credentials are sent',
    async run(h) {
      const password = h.secret('never-in-clear-Pa55');
      const srv = await lineServer((sock, onLine) => {
        sock.write('220 fake.test ESMTP\r\n');
        onLine((l) => {
          if (/^EHLO/i.test(l)) sock.write('250-fake.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n');
          else if (/^STARTTLS/i.test(l)) {
            sock.write('220 go ahead\r\n');
            // The client's TLS hello is answered with plain text.
            sock.once('data', () => sock.write('this is not TLS at all\r\n'));
          }
          else if (/^AUTH/i.test(l)) sock.write('535 saw your credentials\r\n');
        });
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', `smtp://127.0.0.1:${srv.port}`, '--auth-user', 'bob', '--format', 'ndjson'], { env: { WIRESCOPE_SMTP_PASSWORD: password } });
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(/STARTTLS: the TLS handshake failed/.test(r.stderr) && r.stderr.trim().split('\n').length === 1, `one line: ${r.stderr}`);
      const out = framesIn(r.events).filter((f) => f.dir === 'out').map((f) => String(f.data));
      expect(!out.some((d) => /^AUTH/.test(d)), `no AUTH after the failed upgrade: ${JSON.stringify(out)}`);
    },
  },
  {
    pattern: 'imap',
    category: 'bounds',
    name: 'a 100 MiB literal claim ({104857600}) ends the session with one line before any of it is read; memory stays bounded',
    async run(h) {
      const srv = await lineServer((sock, onLine) => {
        sock.write('* OK [CAPABILITY IMAP4rev1] liar.test ready\r\n');
        onLine((l) => {
          // The answer to CAPABILITY announces 100 MiB and then trickles a few bytes.
          if (/^A1 /.test(l)) sock.write('* CAPABILITY {104857600}\r\nIMAP4rev1');
        });
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', `imap://127.0.0.1:${srv.port}`, '--format', 'ndjson']);
      h.bounded('RSS growth (MB) for a 100 MiB literal claim', (process.memoryUsage().rss - before) / 1048576, 50);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(r.stderr.trim().split('\n').length === 1 && /the reply to CAPABILITY: the server announces a 104857600-byte literal \(100 MiB\), over the 64 MiB reply limit/.test(r.stderr), `one line: ${r.stderr}`);
      expect(r.ms < 5000, `at once, not at a timeout: ${Math.round(r.ms)} ms`);
    },
  },
  {
    pattern: 'imap',
    category: 'framing',
    name: 'garbage instead of an IMAP greeting (an SMTP server) ends with one line, nothing sent',
    async run(h) {
      const srv = await lineServer((sock) => sock.write('220 mx.test ESMTP\r\n'));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', `imap://127.0.0.1:${srv.port}`, '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(/the server's greeting is not an IMAP greeting: "220 mx\.test ESMTP"/.test(r.stderr) && r.stderr.trim().split('\n').length === 1, `one line: ${r.stderr}`);
      expect(framesIn(r.events).filter((f) => f.dir === 'out').length === 0, 'nothing sent');
    },
  },
  {
    pattern: 'imap',
    category: 'fault',
    name: 'STARTTLS answered OK and then plain text: the TLS handshake fails with one line, and LOGIN is never sent',
    async run(h) {
      const password = h.secret('imap-never-in-clear-9');
      const srv = await lineServer((sock, onLine) => {
        sock.write('* OK [CAPABILITY IMAP4rev1 STARTTLS] fake.test ready\r\n');
        onLine((l) => {
          const [tag, verb] = l.split(' ');
          if (verb === 'CAPABILITY') sock.write(`* CAPABILITY IMAP4rev1 STARTTLS\r\n${tag} OK done\r\n`);
          else if (verb === 'STARTTLS') {
            sock.write(`${tag} OK Begin TLS negotiation now.\r\n`);
            sock.once('data', () => sock.write('* BAD this is not TLS\r\n'));
          } else if (verb === 'LOGIN') sock.write(`${tag} NO saw your password\r\n`);
        });
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', `imap://127.0.0.1:${srv.port}`, '--auth-user', 'bob', '--format', 'ndjson'], { env: { WIRESCOPE_IMAP_PASSWORD: password } });
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(/STARTTLS: the TLS handshake failed/.test(r.stderr) && r.stderr.trim().split('\n').length === 1, `one line: ${r.stderr}`);
      expect(!framesIn(r.events).some((f) => f.dir === 'out' && /LOGIN/.test(String(f.data))), 'no LOGIN after the failed upgrade');
    },
  },
  {
    pattern: 'smtp',
    category: 'credentials',
    name: 'a server that echoes the AUTH PLAIN blob and the password back: every form is masked in the output',
    async run(h) {
      const password = h.secret('echo-me-Pa55word');
      h.secret(Buffer.from(`\0bob\0${password}`).toString('base64'));
      h.secret(Buffer.from(password).toString('base64'));
      const srv = await lineServer((sock, onLine) => {
        sock.write('220 echo.test ESMTP\r\n');
        onLine((l) => {
          if (/^EHLO/i.test(l)) sock.write('250-echo.test\r\n250 AUTH PLAIN LOGIN\r\n');
          else if (/^AUTH PLAIN /i.test(l)) {
            const blob = l.slice(11);
            const plain = Buffer.from(blob, 'base64').toString('utf8').split('\0')[2];
            sock.write(`535-you sent ${blob}\r\n535-which is ${plain}\r\n535 or ${Buffer.from(plain).toString('base64')}\r\n`);
          } else if (/^QUIT/i.test(l)) sock.end('221 bye\r\n');
        });
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', `smtp://127.0.0.1:${srv.port}`, '--auth-user', 'bob', '--format', 'ndjson'], { env: { WIRESCOPE_SMTP_PASSWORD: password } });
      expect(r.code === 1, `exit 1: ${r.code}`);
      const reply = framesIn(r.events).find((f) => f.dir === 'in' && String(f.data).startsWith('535'));
      expect(reply && String(reply.data).split('***').length === 4, `the echoed forms are masked: ${JSON.stringify(reply?.data)}`);
    },
  },
];
