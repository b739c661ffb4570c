import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

/** How a conversation pattern treats STARTTLS on a plain connection. */
export const StartTls = Type.Union([Type.Literal('auto'), Type.Literal('require'), Type.Literal('off')], {
  description:
    'STARTTLS on a plain connection: auto upgrades in place when the server offers it (the default), require stops with one line when it does not, off stays in clear text. Implicit TLS (smtps://, imaps://) needs none.',
});

export const smtpPattern = definePattern({
  id: 'smtp',
  label: 'SMTP conversation',
  icon: 'mail',
  schemes: ['smtp', 'smtps'],
  infers: ['smtp', 'smtps'],
  exampleUrl: 'smtp://127.0.0.1:25',
  capabilities: { send: true, ping: false, halfClose: false, channel: 'none', requestReply: true },
  optionsKey: 'smtp',
  options: Type.Object(
    {
      starttls: Type.Optional(StartTls),
      ehlo: Type.Optional(Type.String({ minLength: 1, description: 'The name sent with EHLO (default localhost).' })),
      username: Type.Optional(Type.String({ description: 'AUTH user name (AUTH PLAIN, or AUTH LOGIN when PLAIN is not offered). Default: the URL\'s user info.' })),
      password: Type.Optional(
        Type.String({ description: 'AUTH password. Use ${secret:NAME}: never a literal password in a shared file. The CLI reads it from WIRESCOPE_SMTP_PASSWORD or --password-env. Neither it nor its base64 forms are ever logged.' }),
      ),
      authMechanism: Type.Optional(Type.Union([Type.Literal('plain'), Type.Literal('login')], { description: 'AUTH mechanism: plain or login (default: PLAIN when the server offers it, else LOGIN).' })),
      mailFrom: Type.Optional(Type.String({ description: 'Send a test mail: the sender (MAIL FROM). With rcpt, the conversation runs EHLO, STARTTLS, EHLO, AUTH, MAIL FROM, RCPT TO, DATA and QUIT, each waiting for its reply.' })),
      rcpt: Type.Optional(Type.Array(Type.String(), { description: 'Send a test mail: the recipients (RCPT TO), in order.' })),
      subject: Type.Optional(Type.String({ description: 'Send a test mail: the Subject header (default "Wirescope test mail").' })),
      body: Type.Optional(Type.String({ description: 'Send a test mail: the body text (default one line saying it is a test).' })),
      keepOpen: Type.Optional(Type.Boolean({ description: 'After the script, keep the connection open for commands typed in the composer (Send Message…) instead of ending with QUIT; the session ends when you close it or the server does.' })),
      replyTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'How long a command waits for its complete reply before one line ends the session (default 30000).' })),
      maxReplyBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'A reply larger than this ends the session with one line (default 67108864, 64 MiB); the first 1 MiB of a reply is kept, the rest counted.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'starttls', key: 'starttls', value: 'auto|require|off' },
    { flag: 'ehlo', key: 'ehlo', value: 'name' },
    { flag: 'auth-user', key: 'username', value: 'name' },
    { flag: 'auth-mechanism', key: 'authMechanism', value: 'plain|login' },
    { flag: 'mail-from', key: 'mailFrom', value: 'address' },
    { flag: 'rcpt', key: 'rcpt', value: 'address' },
    { flag: 'subject', key: 'subject', value: 'text' },
    { flag: 'body', key: 'body', value: 'text' },
    { flag: 'keep-open', key: 'keepOpen' },
    { flag: 'reply-timeout', key: 'replyTimeoutMs', value: 'ms' },
    { flag: 'max-reply-bytes', key: 'maxReplyBytes', value: 'bytes' },
  ],
});
