/** Hostile cases for the webhook receiver: raw request targets and slow callers. */
import net from 'node:net';
import { expect, framesIn, type HostileCase } from '../harness';
import { closedPort, sleep } from '../peers';

/** Send raw bytes to the receiver once it listens; resolves with what it answered. */
async function sendRaw(port: number, bytes: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        let got = '';
        s.on('connect', () => s.write(Buffer.from(bytes, 'latin1')));
        s.on('data', (d) => {
          got += d.toString('latin1');
          if (got.includes('\r\n\r\n')) s.end();
        });
        s.on('close', () => resolve(got));
        s.on('error', reject);
      });
    } catch {
      await sleep(50);
    }
  }
  throw new Error('the receiver never listened');
}

export const webhookCases: HostileCase[] = [
  {
    pattern: 'webhook',
    category: 'logs',
    name: 'the raw request target is logged as received (//etc/passwd, /a/../b)',
    original: 'F21',
    async run(h) {
      const port = await closedPort();
      const running = h.cli(['connect', '--pattern', 'webhook', '--listen', `127.0.0.1:${port}`, '--count', '2', '--format', 'ndjson']);
      await sendRaw(port, 'POST //etc/passwd HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na');
      await sendRaw(port, 'POST /a/../b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb');
      const r = await running;
      const metas = framesIn(r.events).map((f) => f.meta ?? {});
      expect(metas[0]?.path === '//etc/passwd' && metas[1]?.path === '/a/../b' && metas[1]?.target === '/a/../b?q=1', `logged: ${JSON.stringify(metas.map((m) => [m.path, m.target]))}`);
    },
  },
  {
    pattern: 'webhook',
    category: 'terminal',
    name: 'a request target and header with escape sequences are escaped on stdout',
    async run(h) {
      const port = await closedPort();
      const running = h.cli(['connect', '--pattern', 'webhook', '--listen', `127.0.0.1:${port}`, '--count', '1']);
      // A header value may carry obs-text bytes (0x80-0xFF): 0x9b is the 8-bit CSI.
      await sendRaw(port, 'POST /x%1b]0;pwned%07 HTTP/1.1\r\nHost: x\r\nX-Evil: a\x9b31mred\r\nContent-Length: 6\r\n\r\n\x1b]0;t\x07');
      const r = await running;
      expect(r.code === 0, `exit ${r.code}: ${r.stderr}`);
      expect(r.stdout.includes('\\x1b]0;t\\x07'), `the body should be shown escaped: ${r.stdout}`);
    },
  },
  {
    pattern: 'webhook',
    category: 'fault',
    name: 'a slow-loris caller does not block another caller',
    async run(h) {
      const port = await closedPort();
      const running = h.cli(['connect', '--pattern', 'webhook', '--listen', `127.0.0.1:${port}`, '--count', '1', '--format', 'ndjson']);
      await sleep(300);
      const loris = net.connect(port, '127.0.0.1');
      loris.on('error', () => undefined);
      h.cleanup(() => loris.destroy());
      loris.write('POST /slow HTTP/1.1\r\nHost: x\r\n');
      await sendRaw(port, 'POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok');
      const r = await running;
      expect(framesIn(r.events)[0]?.meta?.path === '/fast', `logged: ${r.stdout.slice(0, 600)}`);
    },
  },
];
