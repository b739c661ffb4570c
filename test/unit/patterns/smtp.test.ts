// The smtp pattern against a real SMTP server (the npm smtp-server package, not written by Wirescope) on
// 127.0.0.1:0 with STARTTLS on a throwaway certificate: a full mail with STARTTLS and AUTH from the CLI and
// from a profile, AUTH LOGIN, a rejected recipient, a failed auth, a server that closes mid-DATA, and
// --send lines. The password and its base64 forms appear in no output.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameEvent, StateEvent, TimingEvent, WireEvent } from '../../../src/shared/events';
import { ofKind, runSession } from '../../helpers/servers';
import { REJECTED_RCPT, SMTP_PASSWORD, SMTP_USER, startSmtp, type TestSmtp } from '../../helpers/smtpServer';
import { assertOneLineError, parseNdjson, runCli } from '../cli/runCli';

/** Every form of the credentials that must never be shown. */
const SECRET_FORMS = [
  SMTP_PASSWORD,
  Buffer.from(`\0${SMTP_USER}\0${SMTP_PASSWORD}`).toString('base64'),
  Buffer.from(SMTP_USER).toString('base64'),
  Buffer.from(SMTP_PASSWORD).toString('base64'),
];

function assertNoSecret(text: string, where: string): void {
  for (const s of SECRET_FORMS) assert.ok(!text.includes(s), `${where} contains a credential form (${s.length} chars)`);
}

const frames = (es: WireEvent[]) => ofKind(es, 'frame') as FrameEvent[];
const data = (es: WireEvent[], dir: 'in' | 'out') => frames(es).filter((f) => f.dir === dir && !f.meta?.control);

describe('smtp against smtp-server with STARTTLS', () => {
  let smtp: TestSmtp;
  let dir: string;
  let caFile: string;
  before(async () => {
    smtp = await startSmtp();
    dir = mkdtempSync(join(tmpdir(), 'wirescope-smtp-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, smtp.ca);
  });
  after(async () => {
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CLI: a full mail with STARTTLS and AUTH PLAIN; each command paired with its reply, codes in words, the handshake timed, the certificate shown, no secret in the output', async () => {
    const before = smtp.mails.length;
    const r = await runCli(
      ['connect', `smtp://127.0.0.1:${smtp.port}`, '--cacert', caFile, '--auth-user', SMTP_USER, '--mail-from', 'a@wirescope.test', '--rcpt', 'b@wirescope.test', '--rcpt', 'c@wirescope.test', '--subject', 'Hello from the test', '--body', 'line one\n.line with a dot', '--format', 'ndjson'],
      { env: { WIRESCOPE_SMTP_PASSWORD: SMTP_PASSWORD }, timeoutMs: 30_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret(r.stdout + r.stderr, 'CLI output');
    const events = parseNdjson(r.stdout);
    const out = data(events, 'out').map((f) => f.data);
    assert.deepEqual(
      out.map((l) => l.split('\r\n')[0]),
      ['EHLO localhost', 'STARTTLS', 'EHLO localhost', 'AUTH PLAIN *** (credentials hidden)', 'MAIL FROM:<a@wirescope.test>', 'RCPT TO:<b@wirescope.test>', 'RCPT TO:<c@wirescope.test>', 'DATA', 'From: <a@wirescope.test>', 'QUIT'],
    );
    const replies = data(events, 'in');
    assert.equal(replies.length, 1 + out.length, 'the greeting, then one reply per command');
    assert.equal(replies[0].meta?.greeting, true);
    // Multi-line EHLO replies are one frame, and each reply names the command it answers.
    const ehlo = replies[1];
    assert.equal(ehlo.meta?.command, 'EHLO localhost');
    assert.match(ehlo.data as string, /^250-mx\.wirescope\.test[^]*\r\n250 STARTTLS$/);
    assert.ok((ehlo.meta?.lines as number) >= 3, 'the EHLO reply has its lines grouped');
    for (const f of replies.slice(1)) assert.equal(typeof f.meta?.rttMs, 'number', `each exchange has its time: ${f.data}`);
    const words = replies.map((f) => f.meta?.words);
    assert.deepEqual(words.slice(0, 5), ['service ready', 'ok', 'service ready', 'ok', 'authentication succeeded']);
    assert.equal(replies.at(-2)!.meta?.command, 'DATA (message), ' + String(replies.at(-2)!.meta?.command).split(', ')[1]);
    assert.equal(replies.at(-1)!.meta?.words, 'closing connection');
    // STARTTLS: a timing event of the handshake, and the certificate in a control frame.
    const tlsTiming = (ofKind(events, 'timing') as TimingEvent[]).find((t) => t.meta?.starttls === true);
    assert.ok(tlsTiming && typeof tlsTiming.phases.tls === 'number', 'the STARTTLS handshake is timed');
    const ctl = frames(events).find((f) => f.meta?.packet === 'STARTTLS');
    const cert = (ctl?.meta?.tls as { certificate?: Record<string, string> } | undefined)?.certificate;
    assert.ok(cert, 'the certificate is shown');
    assert.equal(cert.subject, 'CN=selfsigned');
    assert.equal(cert.issuer, 'CN=selfsigned');
    assert.ok(cert.validFrom && cert.validTo && /^[0-9A-F:]{95}$/.test(cert.fingerprint256), JSON.stringify(cert));
    const states = ofKind(events, 'state') as StateEvent[];
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'open', 'closed']);
    // The server got the mail, dot-stuffing undone by it.
    assert.equal(smtp.mails.length, before + 1);
    const mail = smtp.mails.at(-1)!;
    assert.deepEqual(mail.to, ['b@wirescope.test', 'c@wirescope.test']);
    assert.match(mail.raw, /^Subject: Hello from the test\r$/m);
    assert.match(mail.raw, /\r\nline one\r\n\.line with a dot\r\n$/);
    assert.deepEqual(smtp.auths.at(-1), { method: 'PLAIN', username: SMTP_USER, ok: true });
  });

  it('AUTH LOGIN: the two base64 lines are shown hidden; pretty output says the codes in words', async () => {
    const events = await runSession({ pattern: 'smtp', url: `smtp://127.0.0.1:${smtp.port}`, tls: { ca: smtp.ca }, smtp: { username: SMTP_USER, password: SMTP_PASSWORD, authMechanism: 'login' } });
    assertNoSecret(JSON.stringify(events), 'events');
    const out = data(events, 'out').map((f) => f.data);
    assert.deepEqual(out.slice(3, 6), ['AUTH LOGIN\r\n', '*** (user name, hidden)\r\n', '*** (password, hidden)\r\n']);
    const replies = data(events, 'in').map((f) => [f.meta?.code, f.meta?.words]);
    assert.deepEqual(replies.slice(4, 7), [
      [334, 'authentication challenge: send the next credential line'],
      [334, 'authentication challenge: send the next credential line'],
      [235, 'authentication succeeded'],
    ]);
    assert.equal((ofKind(events, 'state') as StateEvent[]).at(-1)!.state, 'closed');
    assert.deepEqual(smtp.auths.at(-1), { method: 'LOGIN', username: SMTP_USER, ok: true });
  });

  it('a rejected recipient stops the conversation with one line: exit 1, the reply in words', async () => {
    const r = await runCli(['connect', `smtp://127.0.0.1:${smtp.port}`, '--cacert', caFile, '--mail-from', 'a@wirescope.test', '--rcpt', REJECTED_RCPT, '--rcpt', 'b@wirescope.test', '--format', 'ndjson'], { timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    const line = assertOneLineError(r.stderr);
    assert.match(line, /RCPT TO:<nobody@wirescope\.test> failed: 550 5\.1\.1 rejected recipient \(mailbox unavailable; bad destination mailbox address\)/);
    const out = data(parseNdjson(r.stdout), 'out').map((f) => (f.data as string).trim());
    assert.ok(!out.includes('RCPT TO:<b@wirescope.test>') && !out.includes('DATA'), `nothing is sent after the failing reply: ${out.join(' | ')}`);
  });

  it('a failed auth: exit 1 with 535 in words, and the wrong password shown nowhere', async () => {
    const wrong = 'wrong-Pa55word';
    const r = await runCli(['connect', `smtp://${SMTP_USER}:${wrong}@127.0.0.1:${smtp.port}`, '--cacert', caFile, '--format', 'ndjson'], { timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    const line = assertOneLineError(r.stderr);
    assert.match(line, /AUTH PLAIN failed: 535 .*\(authentication credentials invalid/);
    for (const s of [wrong, Buffer.from(`\0${SMTP_USER}\0${wrong}`).toString('base64')]) assert.ok(!(r.stdout + r.stderr).includes(s), 'no credential form in the output');
    assert.deepEqual(smtp.auths.at(-1), { method: 'PLAIN', username: SMTP_USER, ok: false });
  });

  it('--send lines: DATA then the message lines up to "." get one reply', async () => {
    const events = await runSession({
      pattern: 'smtp',
      url: `smtp://127.0.0.1:${smtp.port}`,
      smtp: { starttls: 'off' },
      send: ['MAIL FROM:<x@wirescope.test>', 'RCPT TO:<y@wirescope.test>', 'DATA', 'Subject: by hand', '', 'hi', '.', 'NOOP'],
    });
    const out = data(events, 'out').map((f) => (f.data as string).split('\r\n')[0]);
    assert.deepEqual(out, ['EHLO localhost', 'MAIL FROM:<x@wirescope.test>', 'RCPT TO:<y@wirescope.test>', 'DATA', 'Subject: by hand', 'NOOP', 'QUIT']);
    assert.equal(smtp.mails.at(-1)!.raw, 'Subject: by hand\r\n\r\nhi\r\n');
    assert.equal((ofKind(events, 'state') as StateEvent[]).at(-1)!.state, 'closed');
  });

  it('from a profile (connect --profile and test): auth from a secret, STARTTLS, a full mail; the secret appears in no output', async () => {
    const file = join(dir, 'wirescope.json');
    writeFileSync(
      file,
      JSON.stringify({
        profiles: [
          {
            name: 'mail',
            pattern: 'smtp',
            url: `smtp://127.0.0.1:${smtp.port}`,
            auth: { type: 'basic', username: SMTP_USER, secret: 'smtp.pw' },
            tls: { caFile },
            smtp: { starttls: 'require', mailFrom: 'p@wirescope.test', rcpt: ['q@wirescope.test'], subject: 'profile mail' },
            expect: [{ receive: { match: '^235 ' } }, { receive: { match: '^250 .*queued' } }],
          },
        ],
      }),
    );
    const env = { WIRESCOPE_SECRET_SMTP_PW: SMTP_PASSWORD };
    const n = smtp.mails.length;
    const r = await runCli(['connect', '--profile', 'mail', '--profiles', file, '--format', 'ndjson'], { env, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret(r.stdout + r.stderr, 'connect --profile output');
    assert.equal(smtp.mails.length, n + 1);
    assert.match(smtp.mails.at(-1)!.raw, /Subject: profile mail/);
    assert.ok(data(parseNdjson(r.stdout), 'in').some((f) => f.meta?.words === 'authentication succeeded'));
    const t = await runCli(['test', '--profiles', file, 'mail'], { env, timeoutMs: 30_000 });
    assertNoSecret(t.stdout + t.stderr, 'wirescope test output');
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.equal(smtp.mails.length, n + 2);
  });
});

describe('smtp: a server that closes mid-DATA', () => {
  it('fails with one line naming the message that waited for its reply', async () => {
    const smtp = await startSmtp({ closeInData: true, noTls: true });
    try {
      const r = await runCli(['connect', `smtp://127.0.0.1:${smtp.port}`, '--mail-from', 'a@wirescope.test', '--rcpt', 'b@wirescope.test', '--format', 'ndjson'], { timeoutMs: 30_000 });
      assert.equal(r.code, 1, r.stderr);
      const line = assertOneLineError(r.stderr);
      assert.match(line, /the server closed the connection while DATA \(message\) waited for its reply/);
      const states = (ofKind(parseNdjson(r.stdout), 'state') as StateEvent[]).map((s) => s.state);
      assert.deepEqual(states, ['connecting', 'open', 'failed']);
    } finally {
      await smtp.close();
    }
  });
});
