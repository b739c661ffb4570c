/**
 * Protocol conversations on a line-framed socket (SMTP, IMAP): the readers that group a multi-line reply
 * into one unit (SMTP `250-…`/`250 …`; IMAP untagged `* …` lines up to the tagged completion, with
 * literals `{n}` read as n bytes, not lines), reply codes in words, and the conversation itself: one
 * connection (plain, implicit TLS, or upgraded in place by STARTTLS) where each command (an out frame) is
 * paired with its reply (one in frame) and the exchange's round trip. Memory stays bounded: a reply keeps
 * at most `keepBytes` of text, counts the rest, and a reply (or a literal claim) over `maxReplyBytes`
 * ends the session with one line. Pure Node: no vscode.
 */
import net from 'node:net';
import tls from 'node:tls';
import { checkUrl, describeError } from './errors';
import { ConnectionLifecycle } from './lifecycle';
import { nodeTlsOptions } from './tlsOptions';
import type { OutboundMessage, Transport, TransportSink } from './transport';
import type { ConnectOptions } from '../shared/connectOptions';

/** A reply unit as a reader produced it: one SMTP reply, or one IMAP response line (its literals inlined). */
export interface ReplyUnit {
  /** The text kept (lines joined by CRLF), at most `keepBytes` of it. */
  text: string;
  /** Bytes the reply had on the wire (all of it, kept or not). */
  size: number;
  /** Lines of the reply (SMTP), or 1 plus the literals' lines (IMAP). */
  lines: number;
  /** Some of the text was not kept (over `keepBytes`). */
  truncated: boolean;
  /** SMTP: the reply code (undefined: the line is not an SMTP reply). */
  code?: number;
  /** IMAP: `*` (untagged), `+` (continuation) or the tag. */
  tag?: string;
  /** IMAP: OK, NO, BAD, PREAUTH or BYE, when the response is a status response. */
  status?: string;
  /** IMAP: the response code in brackets (`AUTHENTICATIONFAILED`, `READ-WRITE`...). */
  respCode?: string;
  /** The reader could not read this as a reply of its protocol: why. */
  malformed?: string;
}

/** Bounds of a reader. */
export interface ReaderLimits {
  /** Text kept of one reply (the rest is counted). Default 1 MiB. */
  keepBytes?: number;
  /** A reply (or a literal claim) larger than this ends the session with one line. Default 64 MiB. */
  maxReplyBytes?: number;
}

/** A reply that passed `maxReplyBytes`, or a literal that claims more: the session ends with this message. */
export class ReplyTooLargeError extends Error {}

const MiB = 1024 * 1024;

/** Bytes kept of a reply, joined once when the reply is complete. */
class Kept {
  parts: Buffer[] = [];
  kept = 0;
  size = 0;
  truncated = false;
  constructor(private readonly keep: number) {}
  add(b: Buffer): void {
    this.size += b.length;
    const room = this.keep - this.kept;
    if (room <= 0) {
      if (b.length) this.truncated = true;
      return;
    }
    const part = b.length <= room ? b : b.subarray(0, room);
    if (part.length < b.length) this.truncated = true;
    this.parts.push(Buffer.from(part));
    this.kept += part.length;
  }
  text(): string {
    return Buffer.concat(this.parts, this.kept).toString('utf8');
  }
}

/** Cuts bytes into lines (CRLF or LF), bounded: a line longer than `max` throws ReplyTooLargeError. */
class Lines {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  constructor(private readonly max: number) {}
  /** Next complete line (without its terminator) from `buf` at `at`; returns it and the next offset, or undefined (rest kept). */
  next(buf: Buffer, at: number): { line: Buffer; next: number } | undefined {
    const nl = buf.indexOf(10, at);
    if (nl < 0) {
      const rest = buf.subarray(at);
      if (this.pendingLen + rest.length > this.max) throw new ReplyTooLargeError(`a reply line passed ${mib(this.max)} without a line end`);
      if (rest.length) {
        this.pending.push(Buffer.from(rest));
        this.pendingLen += rest.length;
      }
      return undefined;
    }
    let line = this.pending.length ? Buffer.concat([...this.pending, buf.subarray(at, nl)]) : buf.subarray(at, nl);
    this.pending = [];
    this.pendingLen = 0;
    if (line.length && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    return { line, next: nl + 1 };
  }
  get buffered(): number {
    return this.pendingLen;
  }
}

function mib(n: number): string {
  return n >= MiB ? `${Math.round((n / MiB) * 10) / 10} MiB` : `${n} bytes`;
}

/** A protocol's reader: bytes in, reply units out. */
export interface ReplyReader {
  push(chunk: Buffer): ReplyUnit[];
}

/**
 * SMTP replies (RFC 5321 §4.2): `250-first` … `250 last` is one reply. A line that is not `NNN` followed
 * by space, dash or its end is a malformed reply of its own.
 */
export class SmtpReplyReader implements ReplyReader {
  private readonly lines: Lines;
  private cur: Kept | undefined;
  private curLines = 0;
  private readonly keep: number;
  private readonly max: number;

  constructor(limits: ReaderLimits = {}) {
    this.keep = limits.keepBytes ?? MiB;
    this.max = limits.maxReplyBytes ?? 64 * MiB;
    this.lines = new Lines(this.max);
  }

  push(chunk: Buffer): ReplyUnit[] {
    const out: ReplyUnit[] = [];
    let at = 0;
    for (;;) {
      const got = this.lines.next(chunk, at);
      if (!got) break;
      at = got.next;
      const line = got.line;
      const m = /^(\d{3})([ -]|$)/.exec(line.subarray(0, 4).toString('latin1'));
      if (!m) {
        // Not an SMTP reply line: whatever was collected ends here, and this line is reported as it is.
        const bad = new Kept(this.keep);
        bad.add(line);
        out.push({ text: bad.text(), size: line.length, lines: 1, truncated: bad.truncated, malformed: 'not an SMTP reply line (NNN text)' });
        this.cur = undefined;
        this.curLines = 0;
        continue;
      }
      const cur = (this.cur ??= new Kept(this.keep));
      if (this.curLines > 0) cur.add(CRLF);
      cur.add(line);
      this.curLines++;
      if (cur.size > this.max) throw new ReplyTooLargeError(`a multi-line reply passed ${mib(this.max)} (${this.curLines} lines) without its last line`);
      if (m[2] === '-') continue;
      out.push({ text: cur.text(), size: cur.size, lines: this.curLines, truncated: cur.truncated, code: Number(m[1]) });
      this.cur = undefined;
      this.curLines = 0;
    }
    return out;
  }

  /** Lines of a reply that has not ended yet (0 when none). */
  get openLines(): number {
    return this.curLines;
  }
}

const CRLF = Buffer.from('\r\n');

/**
 * IMAP responses (RFC 9051 §2.2.2, §4.3): each response line, with literals `{n}` (and `{n+}`) read as
 * exactly n bytes whatever they hold, then the line continues. A literal claim over `maxReplyBytes` ends
 * the session before any of it is read.
 */
export class ImapResponseReader implements ReplyReader {
  private readonly lines: Lines;
  private cur: Kept | undefined;
  private curLines = 0;
  /** Bytes of the current literal still to read. */
  private literal = 0;
  private readonly keep: number;
  private readonly max: number;

  constructor(limits: ReaderLimits = {}) {
    this.keep = limits.keepBytes ?? MiB;
    this.max = limits.maxReplyBytes ?? 64 * MiB;
    this.lines = new Lines(this.max);
  }

  push(chunk: Buffer): ReplyUnit[] {
    const out: ReplyUnit[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.literal > 0) {
        const n = Math.min(this.literal, chunk.length - at);
        this.cur!.add(chunk.subarray(at, at + n));
        for (let i = at; i < at + n; i++) if (chunk[i] === 10) this.curLines++;
        this.literal -= n;
        at += n;
        continue;
      }
      const got = this.lines.next(chunk, at);
      if (!got) break;
      at = got.next;
      const cur = (this.cur ??= new Kept(this.keep));
      cur.add(got.line);
      this.curLines++;
      const lit = /\{(\d{1,20})\+?\}$/.exec(got.line.subarray(Math.max(0, got.line.length - 24)).toString('latin1'));
      if (lit) {
        const n = Number(lit[1]);
        if (n + cur.size > this.max) throw new ReplyTooLargeError(`the server announces a ${n}-byte literal (${mib(n)}), over the ${mib(this.max)} reply limit`);
        cur.add(CRLF);
        this.literal = n;
        continue;
      }
      if (cur.size > this.max) throw new ReplyTooLargeError(`a response passed ${mib(this.max)} without ending`);
      out.push(parseImap(cur.text(), cur.size, this.curLines, cur.truncated));
      this.cur = undefined;
      this.curLines = 0;
    }
    return out;
  }
}

function parseImap(text: string, size: number, lines: number, truncated: boolean): ReplyUnit {
  const m = /^(\*|\+|[^\s(){%*"\\\]]+)(?: |$)/.exec(text);
  if (!m) return { text, size, lines, truncated, malformed: 'not an IMAP response (tag, * or + first)' };
  const tag = m[1];
  const u: ReplyUnit = { text, size, lines, truncated, tag };
  const st = /^\S+ (OK|NO|BAD|PREAUTH|BYE)(?: |$)(?:\[([^\]\s]+)[^\]]*\])?/i.exec(text);
  if (st) {
    u.status = st[1].toUpperCase();
    if (st[2]) u.respCode = st[2].toUpperCase();
  } else if (tag !== '*' && tag !== '+') {
    u.malformed = 'a tagged response without OK, NO or BAD';
  }
  return u;
}

// ---------- in words ----------

const SMTP_CODES: Record<number, string> = {
  211: 'system status',
  214: 'help message',
  220: 'service ready',
  221: 'closing connection',
  235: 'authentication succeeded',
  250: 'ok',
  251: 'user not local; will forward',
  252: 'cannot verify the user, will try delivery',
  334: 'authentication challenge: send the next credential line',
  354: 'start mail input; end with <CRLF>.<CRLF>',
  421: 'service not available, closing connection',
  432: 'a password transition is needed',
  450: 'mailbox unavailable (busy or blocked), try again later',
  451: 'local error in processing, try again later',
  452: 'insufficient system storage',
  454: 'temporary authentication failure',
  455: 'server unable to accommodate parameters',
  500: 'syntax error, command unrecognized',
  501: 'syntax error in parameters or arguments',
  502: 'command not implemented',
  503: 'bad sequence of commands',
  504: 'command parameter not implemented',
  521: 'the server does not accept mail',
  530: 'authentication required',
  534: 'authentication mechanism is too weak',
  535: 'authentication credentials invalid',
  538: 'encryption required for this authentication mechanism',
  550: 'mailbox unavailable',
  551: 'user not local',
  552: 'exceeded storage allocation',
  553: 'mailbox name not allowed',
  554: 'transaction failed',
  555: 'MAIL FROM/RCPT TO parameters not recognized or not implemented',
};

const SMTP_CLASSES: Record<string, string> = { '2': 'success', '3': 'intermediate: the server waits for more', '4': 'temporary failure', '5': 'permanent failure' };

/** Enhanced status codes (RFC 3463), the subject.detail part. */
const ENHANCED: Record<string, string> = {
  '1.0': 'other address status',
  '1.1': 'bad destination mailbox address',
  '1.2': 'bad destination system address',
  '1.3': 'bad destination mailbox address syntax',
  '1.6': 'destination mailbox has moved',
  '1.7': 'bad sender mailbox address syntax',
  '1.8': 'bad sender system address',
  '2.0': 'other mailbox status',
  '2.1': 'mailbox disabled, not accepting messages',
  '2.2': 'mailbox full',
  '2.3': 'message length exceeds administrative limit',
  '3.4': 'message too big for system',
  '4.2': 'bad connection',
  '5.1': 'invalid command',
  '5.2': 'syntax error',
  '5.3': 'too many recipients',
  '7.0': 'other security status',
  '7.1': 'delivery not authorized, message refused',
  '7.8': 'authentication credentials invalid',
  '7.9': 'authentication mechanism is too weak',
  '7.11': 'encryption required',
};

/** An SMTP reply code in words: `550` -> "mailbox unavailable"; an enhanced code in the text adds its meaning. */
export function smtpCodeWords(code: number | undefined, text = ''): string {
  if (code === undefined) return 'not an SMTP reply';
  const base = SMTP_CODES[code] ?? SMTP_CLASSES[String(code)[0]] ?? 'unknown reply code';
  const enh = /^\d{3}[ -]([245])\.(\d{1,3}\.\d{1,3})\b/.exec(text);
  const more = enh ? ENHANCED[enh[2]] : undefined;
  return more && more !== base ? `${base}; ${more}` : base;
}

const IMAP_STATUS: Record<string, string> = {
  OK: 'completed',
  NO: 'refused: the command failed',
  BAD: 'protocol error: the command or its arguments were not understood',
  PREAUTH: 'already authenticated',
  BYE: 'the server is closing the connection',
};

const IMAP_CODES: Record<string, string> = {
  ALERT: 'alert for the user',
  AUTHENTICATIONFAILED: 'wrong user name or password',
  AUTHORIZATIONFAILED: 'not allowed to use that identity',
  EXPIRED: 'the credentials have expired',
  PRIVACYREQUIRED: 'needs an encrypted connection',
  CONTACTADMIN: 'contact the administrator',
  NOPERM: 'no permission',
  INUSE: 'in use by another session',
  NONEXISTENT: 'no such mailbox or message',
  TRYCREATE: 'the mailbox does not exist (create it first)',
  UNAVAILABLE: 'temporarily unavailable',
  SERVERBUG: 'server bug',
  CANNOT: 'the operation can never succeed',
  LIMIT: 'a server limit was reached',
  OVERQUOTA: 'over quota',
  'READ-WRITE': 'opened read-write',
  'READ-ONLY': 'opened read-only',
  CAPABILITY: 'capabilities listed',
  UIDVALIDITY: 'UID validity',
  UIDNEXT: 'next UID',
  PERMANENTFLAGS: 'flags that can be stored',
  CLIENTBUG: 'the client did something odd',
};

/** An IMAP status (and response code) in words: `NO [AUTHENTICATIONFAILED]` -> "refused: the command failed (wrong user name or password)". */
export function imapStatusWords(status: string | undefined, respCode?: string): string {
  const base = status ? (IMAP_STATUS[status] ?? status) : 'data';
  const code = respCode ? IMAP_CODES[respCode] : undefined;
  return code ? `${base} (${code})` : base;
}

// ---------- the conversation ----------

/** One exchange's outcome, as the script sees it. */
export interface Reply {
  /** The final unit (SMTP: the reply; IMAP: the tagged completion, or the greeting). */
  final: ReplyUnit;
  /** Every unit of the exchange (IMAP untagged data first). */
  units: ReplyUnit[];
  /** ms from the command's write to the final unit (undefined for the greeting). */
  rttMs?: number;
}

/** A command as the script gives it. */
export interface Command {
  /** The line on the wire, without its CRLF. */
  line: string;
  /** What the log shows of it (credentials replaced); default the line. */
  shown?: string;
  /** The verb (EHLO, RCPT, LOGIN...), for meta. */
  verb: string;
  /** IMAP: the tag the completion carries. */
  tag?: string;
  /** More bytes sent after the line without being a command of their own (SMTP's message body); shown as its own out frame. */
  raw?: boolean;
}

/** What a protocol supplies to the conversation. */
export interface ConversationProtocol {
  /** `SMTP`, `IMAP`: used in messages. */
  name: string;
  /** Lower-case schemes with implicit TLS (`smtps`). */
  implicitTlsSchemes: readonly string[];
  /** All schemes accepted. */
  schemes: readonly string[];
  /** Port when the URL has none, by scheme. */
  defaultPort(scheme: string): number;
  reader(limits: ReaderLimits): ReplyReader;
  /** The unit completes the exchange of `cmd` (IMAP: the tagged line with cmd's tag; SMTP: any reply). */
  completes(unit: ReplyUnit, cmd: Command | undefined): boolean;
  /** The meta of the in frame of an exchange: code or status in words. */
  describe(reply: Reply): Record<string, unknown>;
  /** The reply is a success for the script. */
  ok(unit: ReplyUnit): boolean;
  /**
   * The script: runs once the connection is open; throws ConversationStop to end the session with a line.
   * Resolves `keep-open` to leave the connection open for typed commands (no goodbye).
   */
  run(c: Conversation): Promise<void | 'keep-open'>;
  /** The unit announces that the server closes the connection (SMTP 421 or 221, IMAP BYE). */
  isGoodbye(unit: ReplyUnit): boolean;
  /** What that goodbye is, for the line said when a server closes without one. */
  goodbyeWords: string;
  /** A composer/`send()` line as a command (IMAP adds a tag). */
  userCommand(c: Conversation, text: string): Command;
}

/** Ends the session: `failed` with this one line (or `closed` when `ok`). */
export class ConversationStop extends Error {
  constructor(
    message: string,
    readonly code = 'ERR_CONVERSATION',
    readonly ok = false,
  ) {
    super(message);
  }
}

interface Pending {
  cmd: Command | undefined;
  sentAt: number;
  units: ReplyUnit[];
  resolve(r: Reply): void;
  reject(e: Error): void;
  timer?: NodeJS.Timeout;
}

/** Common options of conversation patterns (a subset of each pattern's options schema). */
export interface ConversationOptions {
  replyTimeoutMs?: number;
  maxReplyBytes?: number;
  username?: string;
  password?: string;
}

/**
 * The connection of a conversation pattern: connect (plain or implicit TLS), read replies through the
 * protocol's reader, run the protocol's script, upgrade in place on STARTTLS, end once.
 */
export class Conversation implements Transport {
  private socket: net.Socket | undefined;
  private readonly lc: ConnectionLifecycle;
  private reader: ReplyReader;
  private pending: Pending | undefined;
  private queued: ReplyUnit[] = [];
  private failure: { message: string; code: string } | undefined;
  /** The goodbye (QUIT, LOGOUT) went out: a close from now on is the expected end. */
  private saidGoodbye = false;
  /** The server announced that it closes (SMTP 421/221, IMAP BYE). */
  private peerSaidGoodbye = false;
  private tagN = 0;
  /** A STARTTLS handshake is under way: its errors belong to startTls(). */
  private handshaking = false;
  private readonly hidden: string[] = [];
  readonly host: string = '';
  readonly port: number = 0;
  readonly secureFromStart: boolean = false;
  /** The connection is TLS now (implicit, or after STARTTLS). */
  tlsActive = false;
  /** Where the URL's user info went (decoded); options win over it. */
  readonly username: string | undefined;
  readonly password: string | undefined;
  private readonly limits: ReaderLimits;
  private readonly replyTimeoutMs: number;

  constructor(
    readonly options: ConnectOptions,
    readonly sink: TransportSink,
    readonly protocol: ConversationProtocol,
    readonly patternOptions: ConversationOptions,
  ) {
    this.lc = new ConnectionLifecycle(sink, { ...options.reconnect, enabled: false }, () => {
      const s = this.socket;
      this.socket = undefined;
      s?.destroy();
    });
    this.limits = { maxReplyBytes: patternOptions.maxReplyBytes ?? 64 * MiB, keepBytes: Math.max(64 * 1024, Math.min(MiB, sink.previewLimit)) };
    this.reader = protocol.reader(this.limits);
    this.replyTimeoutMs = patternOptions.replyTimeoutMs ?? 30_000;
    try {
      const u = new URL(options.url.trim());
      const scheme = u.protocol.replace(/:$/, '').toLowerCase();
      this.host = u.hostname.replace(/^\[|\]$/g, '');
      this.port = u.port ? Number(u.port) : protocol.defaultPort(scheme);
      this.secureFromStart = protocol.implicitTlsSchemes.includes(scheme);
      this.username = patternOptions.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
      this.password = patternOptions.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
    } catch {
      this.username = patternOptions.username;
      this.password = patternOptions.password;
    }
  }

  start(): void {
    const problem = checkUrl(this.options.url.trim(), this.protocol.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    this.connect();
  }

  /** A loopback peer (credentials may go in clear text there). */
  get loopback(): boolean {
    return this.host === 'localhost' || this.host === '::1' || /^127\./.test(this.host);
  }

  /** The next IMAP tag: A1, A2… */
  nextTag(): string {
    return `A${++this.tagN}`;
  }

  private connect(): void {
    const { options, sink } = this;
    this.lc.connecting(options.url);
    const t0 = sink.now();
    let lookupAt: number | undefined;
    let connectAt: number | undefined;
    const host = this.host;
    const socket = this.secureFromStart
      ? tls.connect({ host, port: this.port, ...nodeTlsOptions(options.tls), ...(net.isIP(host) ? {} : { servername: options.tls?.servername ?? host }) })
      : net.connect({ host, port: this.port });
    this.socket = socket;
    const connectTimeout = options.connectTimeoutMs ?? 10_000;
    socket.setTimeout(connectTimeout);
    socket.once('lookup', () => (lookupAt = sink.now()));
    socket.once('connect', () => {
      connectAt = sink.now();
      if (!this.secureFromStart) onOpen();
    });
    if (this.secureFromStart) socket.once('secureConnect', () => onOpen());
    const onOpen = () => {
      if (this.socket !== socket) return;
      socket.setTimeout(0);
      const now = sink.now();
      const dnsEnd = lookupAt ?? t0;
      const connectEnd = connectAt ?? now;
      sink.timing({ dns: lookupAt !== undefined ? dnsEnd - t0 : null, connect: connectEnd - dnsEnd, tls: this.secureFromStart ? now - connectEnd : null, ttfb: null, download: null, total: now - t0 });
      const meta: Record<string, unknown> = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, localPort: socket.localPort };
      if (socket instanceof tls.TLSSocket) {
        this.tlsActive = true;
        meta.tls = tlsSummary(socket);
      }
      this.lc.opened(options.url, meta);
      void this.runScript();
    };
    this.wire(socket);
    socket.on('timeout', () => this.abort(`connection timed out after ${connectTimeout} ms`, 'ETIMEDOUT'));
  }

  /** Read, error and close handling of the current socket (the plain one, then the TLS one after STARTTLS). */
  private wire(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      if (this.failure || this.lc.closing || this.socket !== socket || this.handshaking) return;
      const d = describeError(err, `${this.host}:${this.port}`);
      this.abort(d.message, d.code ?? 'ERR_SOCKET');
    });
    socket.on('close', () => {
      if (this.socket !== socket || this.handshaking) return;
      this.socket = undefined;
      const p = this.pending;
      this.pending = undefined;
      if (p) {
        clearTimeout(p.timer);
        p.reject(new ConversationStop(this.failure?.message ?? `the server closed the connection while ${p.cmd ? `${p.cmd.verb} waited for its reply` : 'the greeting was awaited'}`, this.failure?.code ?? 'ERR_CLOSED'));
      }
      if (this.lc.closing) return this.lc.finishClose();
      if (this.failure) return this.lc.end('failed', this.failure.message);
      // After our goodbye (QUIT, LOGOUT) or the server's (421, BYE), a close is the expected end.
      if (!p && (this.saidGoodbye || this.peerSaidGoodbye)) return this.lc.end('closed', 'closed by server');
      if (!this.lc.everOpened) {
        this.lc.dropped('connection closed before it opened');
        return;
      }
      // The script notices the close through its pending command; a close between commands ends here.
      if (!p) {
        this.failure = { message: `the server closed the connection without a goodbye (${this.protocol.goodbyeWords})`, code: 'ERR_CLOSED' };
        this.sink.error(this.failure.message, this.failure.code);
        this.lc.end('failed', this.failure.message);
      }
    });
  }

  /** Fail the session with one line (reported once) and drop the socket. */
  private abort(message: string, code: string): void {
    if (this.failure || this.lc.stopped) return;
    this.failure = { message, code };
    this.sink.error(message, code);
    const s = this.socket;
    if (s) s.destroy();
    else this.lc.end('failed', message);
  }

  private onData(chunk: Buffer): void {
    let units: ReplyUnit[];
    try {
      units = this.reader.push(chunk);
    } catch (err) {
      if (err instanceof ReplyTooLargeError) {
        const what = this.pending?.cmd ? ` to ${this.pending.cmd.verb}` : '';
        return this.abort(`hostile or broken server: the reply${what}: ${err.message}; stopped reading`, 'ERR_REPLY_TOO_LARGE');
      }
      throw err;
    }
    for (const u of units) this.onUnit(u);
  }

  /** Values never to be shown (a password and its encoded forms): replaced by *** wherever a reply echoes them. */
  hide(...values: string[]): void {
    for (const v of values) if (v.length >= 3 && !this.hidden.includes(v)) this.hidden.push(v);
    // Longest first, so that a value containing another is replaced whole.
    this.hidden.sort((a, b) => b.length - a.length);
  }

  private onUnit(u: ReplyUnit): void {
    for (const h of this.hidden) if (u.text.includes(h)) u.text = u.text.split(h).join('***');
    if (this.protocol.isGoodbye(u)) this.peerSaidGoodbye = true;
    const p = this.pending;
    if (!p) {
      // Nothing asked: an unsolicited line (IMAP untagged data, a 421 before closing); shown as it is.
      this.queued.push(u);
      if (this.queued.length > 64) this.queued.shift();
      this.sink.frame('in', u.text, { size: u.size, meta: { unsolicited: true, ...this.protocol.describe({ final: u, units: [u] }) } });
      return;
    }
    p.units.push(u);
    if (u.malformed || this.protocol.completes(u, p.cmd)) {
      this.pending = undefined;
      clearTimeout(p.timer);
      const reply: Reply = { final: u, units: p.units, ...(p.cmd ? { rttMs: round(this.sink.now() - p.sentAt) } : {}) };
      const text = p.units.map((x) => x.text).join('\r\n');
      const size = p.units.reduce((n, x) => n + x.size, 0);
      this.sink.frame('in', text, {
        size: Math.max(size, Buffer.byteLength(text)),
        meta: {
          ...(p.cmd ? { command: commandLabel(p.cmd), verb: p.cmd.verb } : { greeting: true }),
          ...this.protocol.describe(reply),
          ...(reply.rttMs !== undefined ? { rttMs: reply.rttMs } : {}),
          lines: p.units.reduce((n, x) => n + x.lines, 0),
          ...(p.units.some((x) => x.truncated) ? { truncated: true, keptBytes: this.limits.keepBytes } : {}),
        },
      });
      p.resolve(reply);
    }
  }

  /** Wait for the greeting (the first reply the server sends unasked). */
  greeting(): Promise<Reply> {
    const first = this.queued.shift();
    if (first) return Promise.resolve({ final: first, units: [first] });
    return this.expect(undefined, this.sink.now());
  }

  private expect(cmd: Command | undefined, sentAt: number): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const p: Pending = { cmd, sentAt, units: [], resolve, reject };
      p.timer = setTimeout(() => {
        if (this.pending !== p) return;
        this.pending = undefined;
        const open = (this.reader as { openLines?: number }).openLines;
        reject(new ConversationStop(`no ${open ? 'complete ' : ''}reply ${cmd ? `to ${cmd.verb}` : '(greeting)'} within ${this.replyTimeoutMs} ms${open ? ` (${open} lines of a multi-line reply, never ended)` : ''}`, 'ETIMEDOUT'));
      }, this.replyTimeoutMs);
      p.timer.unref?.();
      this.pending = p;
    });
  }

  /** Send a command and wait for its reply (the in frame is logged when it completes). */
  command(cmd: Command): Promise<Reply> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new ConversationStop(this.failure?.message ?? 'the connection is closed', this.failure?.code ?? 'ERR_CLOSED'));
    if (this.pending) return Promise.reject(new ConversationStop(`${cmd.verb} was sent while ${this.pending.cmd?.verb ?? 'the greeting'} still waits for its reply`, 'ERR_BUSY'));
    const sentAt = this.sink.now();
    const waiting = this.expect(cmd, sentAt);
    socket.write(cmd.line + (cmd.raw ? '' : '\r\n'));
    // What is logged is what went out, credentials replaced (the CRLF included, as the tcp pattern shows it).
    this.sink.frame('out', (cmd.shown ?? cmd.line) + (cmd.raw ? '' : '\r\n'), { meta: { verb: cmd.verb, ...(cmd.tag ? { tag: cmd.tag } : {}) } });
    return waiting;
  }

  /**
   * Upgrade the connection in place (after the server's go-ahead to STARTTLS): the TLS handshake's time
   * goes in a timing event, and the certificate in a control frame.
   */
  async startTls(): Promise<void> {
    const plain = this.socket;
    if (!plain) throw new ConversationStop('the connection closed before STARTTLS', 'ERR_CLOSED');
    const t0 = this.sink.now();
    const host = this.host;
    plain.removeAllListeners('data');
    // The TLS socket takes over; the plain one's close no longer ends the session by itself.
    const secure = tls.connect({ socket: plain, ...nodeTlsOptions(this.options.tls), ...(net.isIP(host) ? {} : { servername: this.options.tls?.servername ?? host }) });
    this.socket = secure;
    this.reader = this.protocol.reader(this.limits);
    this.handshaking = true;
    this.wire(secure);
    const timeout = this.options.connectTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ConversationStop(`STARTTLS: no TLS handshake within ${timeout} ms`, 'ETIMEDOUT')), timeout);
      timer.unref?.();
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      secure.once('error', (err) => {
        clearTimeout(timer);
        const d = describeError(err, `${this.host}:${this.port}`);
        reject(new ConversationStop(`STARTTLS: the TLS handshake failed: ${d.message}`, d.code ?? 'ERR_TLS'));
      });
      secure.once('close', () => {
        clearTimeout(timer);
        reject(new ConversationStop('STARTTLS: the server closed the connection during the TLS handshake', 'ERR_TLS'));
      });
    }).finally(() => (this.handshaking = false));
    this.tlsActive = true;
    const ms = this.sink.now() - t0;
    this.sink.timing({ dns: null, connect: null, tls: ms, ttfb: null, download: null, total: ms }, { starttls: true });
    this.sink.frame('in', '', { control: true, meta: { packet: 'STARTTLS', handshakeMs: round(ms), tls: tlsSummary(secure) } });
  }

  private async runScript(): Promise<void> {
    try {
      const after = await this.protocol.run(this);
      // Typed commands follow (the composer) until the user closes, or the server does (with its goodbye: closed; without: failed).
      if (after === 'keep-open') return;
      // The script ended with its goodbye (QUIT, LOGOUT): the server closes; if it does not, we do.
      const s = this.socket;
      if (s && !s.destroyed) {
        s.end();
        const t = setTimeout(() => s.destroy(), 2000);
        t.unref?.();
      } else if (!s && !this.lc.stopped) {
        this.lc.end('closed', 'closed by server');
      }
    } catch (err) {
      if (this.lc.closing || this.lc.stopped) return;
      const stop = err instanceof ConversationStop ? err : new ConversationStop(describeError(err).message, 'ERR_CONVERSATION');
      if (stop.ok) {
        this.saidGoodbye = true;
        this.socket?.destroy();
        return;
      }
      if (!this.failure) {
        this.failure = { message: stop.message, code: stop.code };
        this.sink.error(stop.message, stop.code);
      }
      // The lifecycle's cleanup destroys the socket; its close then finds nothing left to do.
      this.lc.end('failed', this.failure.message);
    }
  }

  /** Stop the script at a reply that is not a success: one line with the reply in words. */
  check(reply: Reply, what: string): Reply {
    if (this.protocol.ok(reply.final)) return reply;
    const d = this.protocol.describe(reply);
    const first = reply.final.text.split(/\r?\n/, 1)[0];
    throw new ConversationStop(`${what} failed: ${first.length > 200 ? `${first.slice(0, 200)}…` : first} (${String(d.words)})`, 'ERR_REPLY');
  }

  /** Say goodbye (QUIT, LOGOUT) without letting a slow answer hold the session. */
  async goodbye(cmd: Command): Promise<void> {
    this.saidGoodbye = true;
    try {
      await this.command(cmd);
    } catch (err) {
      // The server hung up at once after its goodbye, or did not answer it: the conversation is over anyway.
      if (!(err instanceof ConversationStop)) throw err;
    }
  }

  async send(msg: OutboundMessage): Promise<void> {
    if (!this.socket || this.socket.destroyed || !this.lc.everOpened) throw new Error('The connection is not open');
    const text = typeof msg.data === 'string' ? msg.data : Buffer.from(msg.data).toString('utf8');
    const line = text.replace(/\r?\n$/, '');
    if (/[\r\n]/.test(line)) throw new Error('One command per message: the text has a line break');
    const cmd = this.protocol.userCommand(this, line);
    await this.command(cmd).catch((err: unknown) => {
      if (err instanceof ConversationStop) throw new Error(err.message);
      throw err;
    });
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      const p = this.pending;
      this.pending = undefined;
      if (p) clearTimeout(p.timer);
      const socket = this.socket;
      if (!socket) return this.lc.finishClose();
      socket.end();
      const t = setTimeout(() => socket.destroy(), 1000);
      t.unref?.();
    });
  }
}

/** The command an in frame answers, in one short line (a message body is named by its size). */
function commandLabel(cmd: Command): string {
  const shown = cmd.shown ?? cmd.line;
  if (cmd.raw) return `${cmd.verb}, ${Buffer.byteLength(cmd.line)} bytes`;
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** What the log shows of a TLS connection: protocol, cipher, and the certificate (subject, issuer, validity, fingerprint). */
export function tlsSummary(socket: tls.TLSSocket): Record<string, unknown> {
  const cert = socket.getPeerCertificate();
  const name = (x: unknown) =>
    x && typeof x === 'object' ? Object.entries(x as Record<string, unknown>).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ') : undefined;
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name,
    authorized: socket.authorized,
    ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
    ...(cert && Object.keys(cert).length
      ? {
          certificate: {
            subject: name(cert.subject),
            issuer: name(cert.issuer),
            validFrom: cert.valid_from,
            validTo: cert.valid_to,
            ...(cert.subjectaltname ? { subjectAltName: cert.subjectaltname } : {}),
            fingerprint256: cert.fingerprint256,
          },
        }
      : {}),
  };
}
