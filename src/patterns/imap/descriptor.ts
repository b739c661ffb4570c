import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';
import { StartTls } from '../smtp/descriptor';

export const imapPattern = definePattern({
  id: 'imap',
  label: 'IMAP conversation',
  icon: 'inbox',
  schemes: ['imap', 'imaps'],
  infers: ['imap', 'imaps'],
  exampleUrl: 'imap://127.0.0.1:143',
  capabilities: { send: true, ping: false, halfClose: false, channel: 'none', requestReply: true },
  optionsKey: 'imap',
  options: Type.Object(
    {
      starttls: Type.Optional(StartTls),
      username: Type.Optional(Type.String({ description: 'LOGIN user name. Default: the URL\'s user info.' })),
      password: Type.Optional(
        Type.String({ description: 'LOGIN password. Use ${secret:NAME}: never a literal password in a shared file. The CLI reads it from WIRESCOPE_IMAP_PASSWORD or --password-env. It is never logged.' }),
      ),
      select: Type.Optional(Type.String({ minLength: 1, description: 'Mailbox to SELECT after LOGIN (and the send lines), e.g. INBOX. The conversation runs CAPABILITY, STARTTLS, CAPABILITY, LOGIN, SELECT, FETCH and LOGOUT, each waiting for its tagged reply.' })),
      fetch: Type.Optional(Type.String({ minLength: 1, description: "FETCH after SELECT (INBOX when select is not given): a sequence set and items, e.g. '1:3 (FLAGS BODY[HEADER])'." })),
      keepOpen: Type.Optional(Type.Boolean({ description: 'After the script, keep the connection open for commands typed in the composer (each gets the next tag) instead of ending with LOGOUT.' })),
      replyTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'How long a command waits for its tagged reply before one line ends the session (default 30000).' })),
      maxReplyBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'A response (or a literal it announces) larger than this ends the session with one line (default 67108864, 64 MiB); the first 1 MiB of a reply is kept, the rest counted.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'starttls', key: 'starttls', value: 'auto|require|off' },
    { flag: 'auth-user', key: 'username', value: 'name' },
    { flag: 'select', key: 'select', value: 'mailbox' },
    { flag: 'fetch', key: 'fetch', value: "'1:3 (FLAGS BODY[HEADER])'" },
    { flag: 'keep-open', key: 'keepOpen' },
    { flag: 'reply-timeout', key: 'replyTimeoutMs', value: 'ms' },
    { flag: 'max-reply-bytes', key: 'maxReplyBytes', value: 'bytes' },
  ],
});
