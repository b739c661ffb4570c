/**
 * IMAP as a conversation (`imap://host[:143]`, `imaps://host[:993]`): each command gets a generated tag
 * (A1, A2…) and is an out frame; its untagged responses up to the tagged completion are one in frame,
 * literals `{n}` read as n bytes. OK/NO/BAD and the response codes in words, each exchange's round trip.
 * STARTTLS upgrades in place; LOGIN from a secret, never logged. `--send` lines, or the template
 * CAPABILITY → STARTTLS → LOGIN → SELECT → FETCH → LOGOUT. The first NO or BAD ends the session with one line.
 */
import { Conversation, ConversationStop, ImapResponseReader, imapStatusWords, type Command, type ConversationProtocol, type Reply } from '../../core/conversation';
import type { TransportFactory } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';

type ImapOptions = NonNullable<ConnectOptions['imap']>;

export const createTransport: TransportFactory = ({ options, sink }) => {
  const o = options.imap ?? {};
  return new Conversation(options, sink, imapProtocol(options, o), o);
};

/** An IMAP quoted string (RFC 9051 §4.3): backslash and double quote escaped. */
export function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The capabilities a reply lists (`* CAPABILITY …` or a `[CAPABILITY …]` response code), upper case. */
function capabilities(reply: Reply): Set<string> {
  const out = new Set<string>();
  for (const u of reply.units) {
    const m = /^\* CAPABILITY (.*)$/im.exec(u.text) ?? /\[CAPABILITY ([^\]]*)\]/i.exec(u.text);
    if (m) for (const c of m[1].trim().split(/\s+/)) out.add(c.toUpperCase());
  }
  return out;
}

function imapProtocol(options: ConnectOptions, o: ImapOptions): ConversationProtocol {
  const tagged = (c: Conversation, text: string, shown?: string): Command => {
    const tag = c.nextTag();
    const verb = /^\S+/.exec(text)?.[0]?.toUpperCase() ?? text;
    return { line: `${tag} ${text}`, tag, verb, ...(shown !== undefined ? { shown: `${tag} ${shown}` } : {}) };
  };
  return {
    name: 'IMAP',
    schemes: ['imap', 'imaps'],
    implicitTlsSchemes: ['imaps'],
    defaultPort: (scheme) => (scheme === 'imaps' ? 993 : 143),
    reader: (limits) => new ImapResponseReader(limits),
    // The greeting is the first response; a command's exchange ends at its tagged line (or a continuation request).
    isGoodbye: (u) => u.status === 'BYE',
    goodbyeWords: 'no BYE response',
    completes: (u, cmd) => !cmd || u.tag === cmd.tag || u.tag === '+',
    ok: (u) => !u.malformed && (u.status === 'OK' || u.status === 'PREAUTH'),
    describe: (r) => ({
      ...(r.final.status ? { status: r.final.status } : {}),
      ...(r.final.respCode ? { responseCode: r.final.respCode } : {}),
      words: r.final.malformed ? `not an IMAP response (${r.final.malformed})` : r.final.tag === '+' ? 'continuation: the server waits for more' : imapStatusWords(r.final.status, r.final.respCode),
      ...(r.units.length > 1 ? { untagged: r.units.length - 1 } : {}),
    }),
    userCommand: (c, text) => tagged(c, text),
    async run(c) {
      const greeting = await c.greeting();
      const g = greeting.final;
      if (g.malformed || g.tag !== '*' || !g.status) throw new ConversationStop(`the server's greeting is not an IMAP greeting: ${JSON.stringify(g.text.slice(0, 80))}`, 'ERR_NOT_IMAP');
      if (g.status === 'BYE') throw new ConversationStop(`the server refused the connection: ${g.text.slice(0, 200)}`, 'ERR_REPLY');
      const authenticated = g.status === 'PREAUTH';
      const ask = async (text: string, what: string, shown?: string) => c.check(await c.command(tagged(c, text, shown)), what);
      let caps = capabilities(await ask('CAPABILITY', 'CAPABILITY'));
      const policy = o.starttls ?? 'auto';
      if (!c.tlsActive && policy !== 'off' && !authenticated) {
        if (caps.has('STARTTLS')) {
          await ask('STARTTLS', 'STARTTLS');
          await c.startTls();
          caps = capabilities(await ask('CAPABILITY', 'CAPABILITY'));
        } else if (policy === 'require') {
          throw new ConversationStop('the server does not offer STARTTLS (--starttls require); nothing was sent in clear text after CAPABILITY', 'ERR_NO_STARTTLS');
        }
      }
      if (c.username !== undefined && !authenticated) {
        const user = c.username;
        const pass = c.password;
        if (pass === undefined) throw new ConversationStop('LOGIN needs a password: set imap.password (${secret:NAME}) in the profile, or WIRESCOPE_IMAP_PASSWORD / --password-env on the command line', 'ERR_NO_PASSWORD');
        if (!c.tlsActive && !c.loopback) throw new ConversationStop(`refusing to send credentials in clear text to ${c.host}: the connection is not encrypted (use imaps:// or a server that offers STARTTLS)`, 'ERR_CLEARTEXT_AUTH');
        if (caps.has('LOGINDISABLED')) throw new ConversationStop('the server refuses LOGIN on this connection (LOGINDISABLED): it wants TLS first (imaps:// or --starttls)', 'ERR_LOGINDISABLED');
        c.hide(pass, quoted(pass));
        await ask(`LOGIN ${quoted(user)} ${quoted(pass)}`, 'LOGIN', `LOGIN ${quoted(user)} *** (password hidden)`);
      }
      for (const line of options.send ?? []) await ask(line, line.split(' ', 1)[0].toUpperCase());
      if (o.select !== undefined || o.fetch !== undefined) {
        const box = o.select ?? 'INBOX';
        await ask(`SELECT ${quoted(box)}`, `SELECT ${box}`);
        if (o.fetch !== undefined) await ask(`FETCH ${o.fetch}`, `FETCH ${o.fetch}`);
      }
      if (o.keepOpen) return 'keep-open';
      await c.goodbye(tagged(c, 'LOGOUT'));
    },
  };
}
