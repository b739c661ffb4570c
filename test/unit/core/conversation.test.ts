// The conversation readers on their own: SMTP multi-line replies grouped, IMAP responses with literals read
// as bytes (whatever they hold, however the reads cut them), codes in words, and the bounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImapResponseReader, ReplyTooLargeError, SmtpReplyReader, imapStatusWords, smtpCodeWords, type ReplyUnit } from '../../../src/core/conversation';

/** Feed `text` to a reader in every pair of cuts at `step` intervals; every cut must give the same units. */
function everyCut(make: () => { push(b: Buffer): ReplyUnit[] }, bytes: Buffer, step = 1): ReplyUnit[] {
  const whole = make().push(bytes);
  for (let i = 0; i <= bytes.length; i += step) {
    const r = make();
    const got = [...r.push(bytes.subarray(0, i)), ...r.push(bytes.subarray(i))];
    assert.deepEqual(got, whole, `cut at ${i}`);
  }
  return whole;
}

describe('SMTP replies', () => {
  it('groups 250- lines up to the 250 line into one reply, at any cut', () => {
    const units = everyCut(() => new SmtpReplyReader(), Buffer.from('220 hi\r\n250-mx.test\r\n250-PIPELINING\n250 STARTTLS\r\n354 go\r\n'));
    assert.deepEqual(
      units.map((u) => [u.code, u.lines, u.text]),
      [
        [220, 1, '220 hi'],
        [250, 3, '250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS'],
        [354, 1, '354 go'],
      ],
    );
  });

  it('a line that is not NNN text is a malformed reply of its own', () => {
    const [u] = new SmtpReplyReader().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'));
    assert.equal(u.code, undefined);
    assert.match(u.malformed ?? '', /not an SMTP reply/);
  });

  it('keeps keepBytes of a reply, counts the rest, and throws past maxReplyBytes', () => {
    const r = new SmtpReplyReader({ keepBytes: 10, maxReplyBytes: 1000 });
    const [u] = r.push(Buffer.from(`250-${'a'.repeat(50)}\r\n250 end\r\n`));
    assert.equal(u.text, '250-aaaaaa');
    assert.equal(u.truncated, true);
    assert.equal(u.size, 54 + 2 + 7);
    assert.throws(() => new SmtpReplyReader({ maxReplyBytes: 1000 }).push(Buffer.from(`250-${'a'.repeat(600)}\r\n`.repeat(3))), ReplyTooLargeError);
    assert.throws(() => new SmtpReplyReader({ maxReplyBytes: 1000 }).push(Buffer.alloc(2000, 0x61)), /without a line end/);
  });

  it('codes in words, enhanced status codes too', () => {
    assert.equal(smtpCodeWords(550, '550 5.1.1 rejected recipient'), 'mailbox unavailable; bad destination mailbox address');
    assert.equal(smtpCodeWords(535, '535 5.7.8 nope'), 'authentication credentials invalid');
    assert.equal(smtpCodeWords(250), 'ok');
    assert.equal(smtpCodeWords(299), 'success');
    assert.equal(smtpCodeWords(599), 'permanent failure');
  });
});

describe('IMAP responses', () => {
  it('reads a literal as n bytes (a CRLF, a brace and a tagged-looking line inside it are data), at every cut', () => {
    const body = 'Subject: x\r\nA1 OK not really\r\n{5}\r\n';
    const wire = Buffer.from(`* 1 FETCH (BODY[] {${Buffer.byteLength(body)}}\r\n${body})\r\nA1 OK done\r\n`);
    const units = everyCut(() => new ImapResponseReader(), wire);
    assert.equal(units.length, 2);
    assert.equal(units[0].tag, '*');
    assert.equal(units[0].text, `* 1 FETCH (BODY[] {${Buffer.byteLength(body)}}\r\n${body})`);
    assert.deepEqual([units[1].tag, units[1].status], ['A1', 'OK']);
  });

  it('status, response code and words', () => {
    const [u] = new ImapResponseReader().push(Buffer.from('A3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n'));
    assert.deepEqual([u.tag, u.status, u.respCode], ['A3', 'NO', 'AUTHENTICATIONFAILED']);
    assert.equal(imapStatusWords(u.status, u.respCode), 'refused: the command failed (wrong user name or password)');
    assert.equal(imapStatusWords('BAD'), 'protocol error: the command or its arguments were not understood');
  });

  it('a literal claim over the bound throws before any of it is read', () => {
    assert.throws(() => new ImapResponseReader({ maxReplyBytes: 1024 * 1024 }).push(Buffer.from('* 1 FETCH (BODY[] {104857600}\r\n')), /104857600-byte literal \(100 MiB\), over the 1 MiB reply limit/);
  });

  it('binary bytes in a literal are counted exactly', () => {
    const lit = Buffer.from([0, 1, 2, 13, 10, 255]);
    const [u] = new ImapResponseReader().push(Buffer.concat([Buffer.from('* 1 FETCH (BINARY[] ~{6}\r\n'), lit, Buffer.from(')\r\n')]));
    assert.equal(u.size, 26 + 6 + 1);
  });
});
