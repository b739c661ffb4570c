/**
 * SMTP as a conversation (`smtp://host[:25]`, `smtps://host[:465]`, submission on 587): each command is an
 * out frame and its reply one in frame (multi-line replies grouped), with the code in words and the round
 * trip. STARTTLS upgrades in place; AUTH PLAIN/LOGIN from a secret, never logged (nor its base64 forms);
 * `--send` lines, or the "send a test mail" template. The first failing reply ends the session with one line.
 */
import { Conversation, ConversationStop, SmtpReplyReader, smtpCodeWords, type Command, type ConversationProtocol, type Reply } from '../../core/conversation';
import type { TransportFactory } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';

type SmtpOptions = NonNullable<ConnectOptions['smtp']>;

export const createTransport: TransportFactory = ({ options, sink }) => {
  const o = options.smtp ?? {};
  return new Conversation(options, sink, smtpProtocol(options, o), o);
};

const cmd = (line: string, shown?: string): Command => ({ line, verb: /^\S+/.exec(line)?.[0]?.toUpperCase() ?? line, ...(shown !== undefined ? { shown } : {}) });

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The EHLO extensions (upper-case keyword -> its parameters). */
function extensions(reply: Reply): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of reply.final.text.split('\r\n').slice(1)) {
    const m = /^\d{3}[ -](\S+)\s*(.*)$/.exec(line);
    if (m) out.set(m[1].toUpperCase(), m[2]);
  }
  return out;
}

/** The message of the test mail: headers, a blank line, the body; lines end in CRLF and a leading dot is doubled. */
export function testMessage(o: SmtpOptions, now = new Date()): string {
  const headers = [
    `From: <${o.mailFrom}>`,
    `To: ${(o.rcpt ?? []).map((r) => `<${r}>`).join(', ')}`,
    `Subject: ${(o.subject ?? 'Wirescope test mail').replace(/[\r\n]+/g, ' ')}`,
    `Date: ${now.toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${now.getTime().toString(36)}.${Math.random().toString(36).slice(2, 10)}@wirescope.invalid>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
  ];
  const body = (o.body ?? 'This is a test mail sent by Wirescope.').replace(/\r?\n/g, '\r\n');
  return [...headers, '', body]
    .join('\r\n')
    .split('\r\n')
    .map((l) => (l.startsWith('.') ? `.${l}` : l))
    .join('\r\n');
}

function smtpProtocol(options: ConnectOptions, o: SmtpOptions): ConversationProtocol {
  const ok = (code: number | undefined) => code !== undefined && code >= 200 && code < 400;
  return {
    name: 'SMTP',
    schemes: ['smtp', 'smtps'],
    implicitTlsSchemes: ['smtps'],
    defaultPort: (scheme) => (scheme === 'smtps' ? 465 : 25),
    reader: (limits) => new SmtpReplyReader(limits),
    completes: () => true,
    isGoodbye: (u) => u.code === 421 || u.code === 221,
    goodbyeWords: 'no 221 or 421 reply',
    ok: (u) => !u.malformed && ok(u.code),
    describe: (r) => ({ code: r.final.code, words: r.final.malformed ? `not an SMTP reply (${r.final.malformed})` : smtpCodeWords(r.final.code, r.final.text) }),
    userCommand: (_c, text) => cmd(text),
    async run(c) {
      const greeting = await c.greeting();
      if (greeting.final.malformed) throw new ConversationStop(`the server's greeting is not an SMTP reply: ${JSON.stringify(greeting.final.text.slice(0, 80))}`, 'ERR_NOT_SMTP');
      c.check(greeting, 'the greeting');
      const name = o.ehlo ?? 'localhost';
      const hello = async (): Promise<Map<string, string>> => {
        const r = await c.command(cmd(`EHLO ${name}`));
        if (ok(r.final.code)) return extensions(r);
        // A server without ESMTP: HELO, and no extensions.
        c.check(await c.command(cmd(`HELO ${name}`)), 'HELO');
        return new Map();
      };
      let ext = await hello();
      const policy = o.starttls ?? 'auto';
      if (!c.tlsActive && policy !== 'off') {
        if (ext.has('STARTTLS')) {
          c.check(await c.command(cmd('STARTTLS')), 'STARTTLS');
          await c.startTls();
          ext = await hello();
        } else if (policy === 'require') {
          throw new ConversationStop('the server does not offer STARTTLS (--starttls require); nothing was sent in clear text after EHLO', 'ERR_NO_STARTTLS');
        }
      }
      if (c.username !== undefined) {
        const user = c.username;
        const pass = c.password;
        if (pass === undefined) throw new ConversationStop('AUTH needs a password: set smtp.password (${secret:NAME}) in the profile, or WIRESCOPE_SMTP_PASSWORD / --password-env on the command line', 'ERR_NO_PASSWORD');
        if (!c.tlsActive && !c.loopback) throw new ConversationStop(`refusing to send credentials in clear text to ${c.host}: the connection is not encrypted (use smtps:// or a server that offers STARTTLS)`, 'ERR_CLEARTEXT_AUTH');
        c.hide(pass, b64(pass), b64(`\0${user}\0${pass}`), b64(user));
        const offered = (ext.get('AUTH') ?? '').toUpperCase().split(/\s+/);
        const mech = o.authMechanism ?? (offered.includes('PLAIN') || !offered.includes('LOGIN') ? 'plain' : 'login');
        if (mech === 'plain') {
          c.check(await c.command(cmd(`AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`, 'AUTH PLAIN *** (credentials hidden)')), 'AUTH PLAIN');
        } else {
          const first = c.check(await c.command(cmd('AUTH LOGIN')), 'AUTH LOGIN');
          if (first.final.code !== 334) throw new ConversationStop(`AUTH LOGIN: expected 334, got ${first.final.text.split('\r\n')[0]}`, 'ERR_REPLY');
          const second = c.check(await c.command({ line: b64(user), shown: '*** (user name, hidden)', verb: 'AUTH LOGIN user' }), 'AUTH LOGIN (user name)');
          if (second.final.code !== 334) throw new ConversationStop(`AUTH LOGIN: expected 334 after the user name, got ${second.final.text.split('\r\n')[0]}`, 'ERR_REPLY');
          c.check(await c.command({ line: b64(pass), shown: '*** (password, hidden)', verb: 'AUTH LOGIN password' }), 'AUTH LOGIN (password)');
        }
      }
      // --send lines, in order; after a 354 the lines up to "." are the message and get no reply of their own.
      let inData = false;
      let body: string[] = [];
      for (const line of options.send ?? []) {
        if (inData) {
          if (line === '.') {
            inData = false;
            c.check(await c.command({ line: `${body.join('\r\n')}${body.length ? '\r\n' : ''}.\r\n`, shown: `${body.join('\r\n')}${body.length ? '\r\n' : ''}.`, verb: 'DATA (message)', raw: true }), 'the message (after DATA)');
            body = [];
          } else body.push(line.startsWith('.') ? `.${line}` : line);
          continue;
        }
        const r = c.check(await c.command(cmd(line)), line.split(' ', 1)[0].toUpperCase());
        if (r.final.code === 354) inData = true;
      }
      if (inData) throw new ConversationStop('the --send lines after DATA need a last line "." to end the message', 'ERR_SCRIPT');
      if (o.mailFrom !== undefined || o.rcpt?.length) {
        if (o.mailFrom === undefined || !o.rcpt?.length) throw new ConversationStop('a test mail needs both a sender (mailFrom, --mail-from) and at least one recipient (rcpt, --rcpt)', 'ERR_SCRIPT');
        c.check(await c.command(cmd(`MAIL FROM:<${o.mailFrom}>`)), `MAIL FROM:<${o.mailFrom}>`);
        for (const r of o.rcpt) c.check(await c.command(cmd(`RCPT TO:<${r}>`)), `RCPT TO:<${r}>`);
        c.check(await c.command(cmd('DATA')), 'DATA');
        const msg = testMessage(o);
        c.check(await c.command({ line: `${msg}\r\n.\r\n`, shown: `${msg}\r\n.`, verb: 'DATA (message)', raw: true }), 'the message (after DATA)');
      }
      if (o.keepOpen) return 'keep-open';
      await c.goodbye(cmd('QUIT'));
    },
  };
}
