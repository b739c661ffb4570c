/**
 * A real IMAP server for tests: Debian's `dovecot-imapd` (not written by Wirescope), started on a free
 * loopback port with a generated config in a temp dir: one user from a passwd-file, a temp Maildir with the
 * messages given, STARTTLS with a throwaway certificate. It runs in its own process group, and stop()
 * signals that group (never a process by name) and removes the temp dir.
 */
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/core/freePort';
import { makeTestCerts } from './tlsCerts';
import { startDaemon } from './daemon';

export const DOVECOT_BIN = process.env.DOVECOT_BIN ?? '/usr/sbin/dovecot';
export const IMAP_USER = 'alice';
export const IMAP_PASSWORD = 'Imap-S3cret-pa55';

export interface Dovecot {
  port: number;
  url: string;
  /** The certificate's PEM, to trust as `tls.ca`. */
  ca: string;
  /** The server's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** The uid/gid mail is stored as: dovecot's own user when the tests run as root (Dovecot refuses uid 0 for mail), else ours. */
function mailOwner(): { uid: number; gid: number; user: string } {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, user: me.username };
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('dovecot:'));
  if (!line) throw new Error('no "dovecot" user in /etc/passwd (apt-get install dovecot-imapd)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), user: 'dovecot' };
}

/** Start Dovecot with `messages` (raw RFC 5322 texts) in the user's INBOX. */
export async function startDovecot(messages: string[]): Promise<Dovecot> {
  if (!existsSync(DOVECOT_BIN)) throw new Error(`Dovecot is not installed at ${DOVECOT_BIN} (apt-get install dovecot-imapd)`);
  const dir = mkdtempSync(join(tmpdir(), 'wsdv-'));
  chmodSync(dir, 0o755);
  const certs = makeTestCerts();
  writeFileSync(join(dir, 'cert.pem'), certs.selfSigned.cert);
  writeFileSync(join(dir, 'key.pem'), certs.selfSigned.key, { mode: 0o600 });
  writeFileSync(join(dir, 'passwd'), `${IMAP_USER}:{PLAIN}${IMAP_PASSWORD}::::::\n`, { mode: 0o644 });
  const owner = mailOwner();
  const maildir = join(dir, 'mail', IMAP_USER, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  messages.forEach((m, i) => writeFileSync(join(maildir, 'cur', `${1_700_000_000 + i}.M${i}P1.wirescope:2,${i === 0 ? 'S' : ''}`), m));
  const own = (p: string) => {
    chownSync(p, owner.uid, owner.gid);
    for (const e of readdirSync(p, { withFileTypes: true })) (e.isDirectory() ? own : (x: string) => chownSync(x, owner.uid, owner.gid))(join(p, e.name));
  };
  own(join(dir, 'mail'));
  for (const sub of ['run', 'state']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
auth_mechanisms = plain
disable_plaintext_auth = no
mail_location = maildir:${dir}/mail/%u/Maildir
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${owner.uid} gid=${owner.gid} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
  writeFileSync(join(dir, 'dovecot.conf'), conf);
  const logFile = join(dir, 'dovecot.log');
  let daemon;
  try {
    daemon = await startDaemon({
      name: 'Dovecot',
      bin: DOVECOT_BIN,
      args: ['-F', '-c', join(dir, 'dovecot.conf')],
      ready: { port },
      readyTimeoutMs: 15_000,
      extraLog: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const d = daemon;
  const stop = async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { port, url: `imap://127.0.0.1:${port}`, ca: certs.selfSigned.cert, log: () => d.log().slice(-2000), stop };
}
