// The imap pattern against a real IMAP server: Debian's dovecot-imapd (not written by Wirescope), started
// on a free port with a temp config, a temp Maildir holding two messages and STARTTLS on a throwaway
// certificate. LOGIN + SELECT + FETCH from the CLI and from a profile, and a failed login; the password
// appears in no output.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameEvent, StateEvent, TimingEvent, WireEvent } from '../../../src/shared/events';
import { IMAP_PASSWORD, IMAP_USER, startDovecot, type Dovecot } from '../../helpers/dovecot';
import { ofKind } from '../../helpers/servers';
import { assertOneLineError, parseNdjson, runCli } from '../cli/runCli';

const frames = (es: WireEvent[]) => ofKind(es, 'frame') as FrameEvent[];
const data = (es: WireEvent[], dir: 'in' | 'out') => frames(es).filter((f) => f.dir === dir && !f.meta?.control);

const MESSAGES = [
  'From: a@wirescope.test\r\nTo: alice@wirescope.test\r\nSubject: first {5} literal-looking\r\n\r\nhello one\r\n',
  'From: b@wirescope.test\r\nTo: alice@wirescope.test\r\nSubject: second\r\n\r\nhello two\r\n',
];

describe('imap against dovecot with STARTTLS', () => {
  let dv: Dovecot;
  let dir: string;
  let caFile: string;
  before(async () => {
    dv = await startDovecot(MESSAGES);
    dir = mkdtempSync(join(tmpdir(), 'wirescope-imap-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, dv.ca);
  });
  after(async () => {
    await dv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CLI: CAPABILITY, STARTTLS, LOGIN, SELECT, FETCH, LOGOUT with generated tags; untagged data and literals grouped with their tagged reply; no secret in the output', async () => {
    const r = await runCli(['connect', dv.url, '--cacert', caFile, '--auth-user', IMAP_USER, '--select', 'INBOX', '--fetch', '1:2 (FLAGS BODY[HEADER])', '--format', 'ndjson'], {
      env: { WIRESCOPE_IMAP_PASSWORD: IMAP_PASSWORD },
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0, r.stderr + dv.log());
    assert.ok(!(r.stdout + r.stderr).includes(IMAP_PASSWORD), 'the password is in no output');
    const events = parseNdjson(r.stdout);
    const out = data(events, 'out').map((f) => (f.data as string).trimEnd());
    assert.deepEqual(out, ['A1 CAPABILITY', 'A2 STARTTLS', 'A3 CAPABILITY', `A4 LOGIN "${IMAP_USER}" *** (password hidden)`, 'A5 SELECT "INBOX"', 'A6 FETCH 1:2 (FLAGS BODY[HEADER])', 'A7 LOGOUT']);
    const replies = data(events, 'in');
    assert.equal(replies.length, 1 + out.length, 'the greeting, then one in frame per command');
    assert.match(replies[0].data as string, /^\* OK .*Dovecot/);
    const byVerb = (v: string) => replies.find((f) => f.meta?.verb === v)!;
    assert.equal(byVerb('LOGIN').meta?.status, 'OK');
    const select = byVerb('SELECT');
    assert.match(select.data as string, /\* 2 EXISTS\r\n[^]*\r\nA5 OK \[READ-WRITE\]/);
    assert.equal(select.meta?.words, 'completed (opened read-write)');
    assert.ok((select.meta?.untagged as number) >= 3);
    const fetch = byVerb('FETCH');
    // Both messages' headers, read as literals: the "{5}" in a subject is data, not a literal.
    assert.match(fetch.data as string, /^\* 1 FETCH \([^]*BODY\[HEADER\] \{\d+\}\r\nFrom: a@wirescope\.test\r\n[^]*Subject: first \{5\} literal-looking\r\n\r\n\)\r\n\* 2 FETCH [^]*Subject: second\r\n\r\n\)\r\nA6 OK /);
    assert.equal(fetch.meta?.untagged, 2);
    for (const f of replies.slice(1)) assert.equal(typeof f.meta?.rttMs, 'number');
    assert.match(byVerb('LOGOUT').data as string, /^\* BYE /);
    assert.ok((ofKind(events, 'timing') as TimingEvent[]).some((t) => t.meta?.starttls === true && typeof t.phases.tls === 'number'), 'the STARTTLS handshake is timed');
    const cert = frames(events).find((f) => f.meta?.packet === 'STARTTLS')?.meta?.tls as { certificate?: { subject?: string; fingerprint256?: string } } | undefined;
    assert.equal(cert?.certificate?.subject, 'CN=selfsigned');
    assert.deepEqual((ofKind(events, 'state') as StateEvent[]).map((s) => s.state), ['connecting', 'open', 'closed']);
  });

  it('a failed login: exit 1, one line with NO [AUTHENTICATIONFAILED] in words, the wrong password nowhere', async () => {
    const wrong = 'Wrong-imap-pw-9';
    const r = await runCli(['connect', dv.url, '--cacert', caFile, '--auth-user', IMAP_USER, '--select', 'INBOX', '--format', 'ndjson'], { env: { WIRESCOPE_IMAP_PASSWORD: wrong }, timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    const line = assertOneLineError(r.stderr);
    assert.match(line, /LOGIN failed: A4 NO \[AUTHENTICATIONFAILED\] .*\(refused: the command failed \(wrong user name or password\)\)/);
    assert.ok(!(r.stdout + r.stderr).includes(wrong));
    assert.ok(!data(parseNdjson(r.stdout), 'out').some((f) => /SELECT/.test(f.data as string)), 'nothing after the failing reply');
  });

  it('from a profile (connect --profile and test): LOGIN from a secret, SELECT, FETCH; the secret appears in no output', async () => {
    const file = join(dir, 'wirescope.json');
    writeFileSync(
      file,
      JSON.stringify({
        profiles: [
          {
            name: 'inbox',
            pattern: 'imap',
            url: dv.url,
            tls: { caFile },
            imap: { starttls: 'require', username: IMAP_USER, password: '${secret:imap.pw}', select: 'INBOX', fetch: '2 (BODY[HEADER.FIELDS (SUBJECT)])' },
            expect: [{ receive: { match: 'Subject: second' } }],
          },
        ],
      }),
    );
    const env = { WIRESCOPE_SECRET_IMAP_PW: IMAP_PASSWORD };
    const r = await runCli(['connect', '--profile', 'inbox', '--profiles', file, '--format', 'ndjson'], { env, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(IMAP_PASSWORD));
    assert.ok(data(parseNdjson(r.stdout), 'in').some((f) => f.meta?.verb === 'FETCH' && /Subject: second/.test(f.data as string)));
    const t = await runCli(['test', '--profiles', file, 'inbox'], { env, timeoutMs: 30_000 });
    assert.ok(!(t.stdout + t.stderr).includes(IMAP_PASSWORD));
    assert.equal(t.code, 0, t.stdout + t.stderr);
  });
});
