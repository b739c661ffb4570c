/**
 * A real SMTP server for tests: the npm `smtp-server` package (not written by Wirescope) on 127.0.0.1,
 * port 0, with STARTTLS on a throwaway certificate, AUTH PLAIN/LOGIN against one user, and a recipient
 * it rejects. Mails it accepts are kept for the test to look at.
 */
import type net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { makeTestCerts } from './tlsCerts';

export interface TestSmtp {
  port: number;
  /** The certificate's PEM, to trust as `tls.ca`. */
  ca: string;
  /** Messages accepted: envelope and the raw message. */
  mails: Array<{ from: string; to: string[]; raw: string }>;
  /** The AUTH attempts seen (user names, and whether the password matched). */
  auths: Array<{ method: string; username: string; ok: boolean }>;
  /** Connections accepted so far. */
  hits(): number;
  /** The errors the server reported (a connection it closed without a reply says why here). */
  errors: string[];
  /** Reset (RST) every open connection, as a crashed server would. */
  reset(): void;
  /** Stop listening and reset what is open: every new attempt is refused. */
  goAway(): void;
  close(): Promise<void>;
}

export const SMTP_USER = 'alice';
export const SMTP_PASSWORD = 'S3cret-smtp-pa55';
export const REJECTED_RCPT = 'nobody@wirescope.test';

/** `closeInData`: the server cuts the connection as soon as the message starts arriving. */
export async function startSmtp(opts: { closeInData?: boolean; noTls?: boolean; extra?: Partial<SMTPServerOptions> } = {}): Promise<TestSmtp> {
  const certs = makeTestCerts();
  const mails: TestSmtp['mails'] = [];
  const auths: TestSmtp['auths'] = [];
  const sockets = new Set<net.Socket>();
  let hits = 0;
  const server = new SMTPServer({
    name: 'mx.wirescope.test',
    logger: false,
    ...(opts.noTls ? { disabledCommands: ['STARTTLS'] } : { key: certs.selfSigned.key, cert: certs.selfSigned.cert }),
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    // Loopback tests may authenticate before STARTTLS (the client decides whether it does).
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      const ok = auth.username === SMTP_USER && auth.password === SMTP_PASSWORD;
      auths.push({ method: auth.method, username: auth.username ?? '', ok });
      if (!ok) return cb(new Error('Invalid username or password'));
      cb(null, { user: auth.username });
    },
    onRcptTo(address, _session, cb) {
      if (address.address === REJECTED_RCPT) {
        const err = new Error('5.1.1 rejected recipient') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      if (opts.closeInData) {
        // Cut as soon as the first bytes of the message arrive: after the 354, before the final reply.
        stream.once('data', () => {
          for (const s of sockets) s.destroy();
        });
        return;
      }
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(parts).toString('utf8') });
        cb();
      });
    },
    ...opts.extra,
  });
  const errors: string[] = [];
  server.on('error', (err: Error & { code?: string }) => errors.push(`${err.code ?? 'error'}: ${err.message}`));
  server.server.on('connection', (s: net.Socket) => {
    hits++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    port,
    ca: certs.selfSigned.cert,
    mails,
    auths,
    hits: () => hits,
    errors,
    reset: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    goAway: () => {
      server.server.close();
      for (const s of sockets) s.resetAndDestroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      if (!server.server.listening) return;
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
