/**
 * A real IMAP server for tests: Debian's `dovecot-imapd` (not written by Wirescope), started on a free
 * loopback port with a generated config in a temp dir: one user from a passwd-file, a temp Maildir with the
 * messages given, STARTTLS with a throwaway certificate. It runs in its own process group, and stop()
 * signals that group (never a process by name) and removes the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/core/freePort';
import { makeTestCerts } from './tlsCerts';

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

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
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
  let output = '';
  // Its own process group (detached): stop() signals the group.
  const child: ChildProcess = spawn(DOVECOT_BIN, ['-F', '-c', join(dir, 'dovecot.conf')], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  const gone = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const log = () => {
    const file = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
    return `${output}${file}`.slice(-2000);
  };
  const stop = async () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 3000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      const l = log();
      await stop();
      throw new Error(`Dovecot did not start on port ${port}: ${l}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, url: `imap://127.0.0.1:${port}`, ca: certs.selfSigned.cert, log, stop };
}
