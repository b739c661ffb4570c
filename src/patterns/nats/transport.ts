/**
 * NATS (`nats://`, and `tls://` with `--pattern nats`), on Wirescope's own protocol client (./protocol.ts):
 * every operation is seen as it arrives, and there is no hidden reconnection or buffering, so the shared
 * connection lifecycle (src/core/lifecycle.ts) reconnects and re-subscribes in plain sight.
 *
 * - Messages (MSG and HMSG) are in frames with channel = the subject; `meta` carries the subscription id,
 *   the reply subject, the headers (and a status such as 503 "no responders").
 * - Publishes (start-up, composer, `--send`) are out frames; `-H` headers go out with HPUB.
 * - Subscriptions are confirmed by the PONG that answers the PING sent after them: each is then a
 *   control frame in words; after a reconnect the re-subscribe is visible the same way.
 * - Request/reply: each request is published with a reply inbox; each reply is matched, with its
 *   round-trip time (a timing event), or a timeout (an error event); `summary.requestResponse`.
 * - A queue group shares messages among its members: joining one is not only watching, and the
 *   session's first control frame and the open state's `meta.destructive` say so.
 */
import { randomBytes } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import net from 'node:net';
import tls from 'node:tls';
import { checkUrl, describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import { nodeTlsOptions } from '../../core/tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { natsPattern } from './descriptor';
import { checkSubject, encodePub, NatsParser, NatsProtocolError, parseHeaders, type NatsOp } from './protocol';

export const createTransport: TransportFactory = ({ options, sink }) => new NatsTransport(options, sink);

/** A failure that ends the session whatever the reconnect policy says (bad credentials, a bad subject). */
class Fatal extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const REPLY_SID = 1;

interface PendingRequest {
  n: number;
  sentAt: number;
  timer?: NodeJS.Timeout;
  settled: boolean;
}

class NatsTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private readonly secure: boolean;
  private readonly o: NonNullable<ConnectOptions['nats']>;
  private socket: net.Socket | undefined;
  private generation = 0;
  private host = '';
  private port = 4222;
  private user: string | undefined;
  private pass: string | undefined;
  private token: string | undefined;
  private openedBefore = false;
  private published = false;
  /** PONGs awaited, in order: each resolves what its PING was for. */
  private pongs: Array<() => void> = [];
  private pingTimer: NodeJS.Timeout | undefined;
  private outstandingPings = 0;
  private readonly inbox = `_INBOX.${randomBytes(8).toString('hex')}`;
  private readonly requests = new Map<string, PendingRequest>();
  private reqSent = 0;
  private reqAnswered = 0;
  private reqTimedOut = 0;
  private readonly rtts: number[] = [];
  private reqTimer: NodeJS.Timeout | undefined;
  private reqStarted = false;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.secure = /^tls:/i.test(options.url.trim());
    this.o = options.nats ?? {};
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.teardown());
  }

  private mode(): { text: string; destructive: boolean } {
    const parts: string[] = [];
    const subs = this.o.subscribe ?? [];
    if (subs.length) parts.push(`SUB ${subs.join(' ')}${this.o.queueGroup ? ` in queue group ${this.o.queueGroup}` : ''}`);
    if (this.o.publish?.length) parts.push(`PUB ${this.o.publish.length} message${this.o.publish.length === 1 ? '' : 's'}`);
    if (this.o.requestSubject) parts.push(`${this.o.requests ?? 1} request${(this.o.requests ?? 1) === 1 ? '' : 's'} to ${this.o.requestSubject}`);
    const destructive = !!this.o.queueGroup && subs.length > 0;
    if (destructive) parts.unshift(`DESTRUCTIVE: joins queue group ${this.o.queueGroup}: each message on ${subs.join(', ')} goes to one member of the group, so messages shown here do not reach the group's other members`);
    else if (subs.length) parts.push('watching only: a plain subscription takes nothing from other subscribers');
    return { text: parts.join('; ') || 'connection only (PING; send to publish)', destructive };
  }

  start(): void {
    const problem = checkUrl(this.options.url, natsPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const u = new URL(this.options.url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = u.port ? Number(u.port) : 4222;
    const urlUser = u.username ? decodeURIComponent(u.username) : undefined;
    const urlPass = u.password ? decodeURIComponent(u.password) : undefined;
    this.user = this.o.username ?? (urlPass !== undefined ? urlUser : undefined);
    this.pass = this.o.password ?? urlPass;
    // nats://TOKEN@host: user info without a password is a token.
    this.token = this.o.token ?? (urlUser !== undefined && urlPass === undefined ? urlUser : undefined);
    for (const s of this.o.subscribe ?? []) {
      const bad = checkSubject(s, true);
      if (bad) return this.lc.fail(`cannot subscribe: ${bad}`, 'ERR_INVALID_OPTIONS');
    }
    for (const p of this.o.publish ?? []) {
      const bad = checkSubject(p.subject, false);
      if (bad) return this.lc.fail(`cannot publish: ${bad}`, 'ERR_INVALID_OPTIONS');
    }
    if (this.o.requestSubject) {
      const bad = checkSubject(this.o.requestSubject, false);
      if (bad) return this.lc.fail(`cannot send requests: ${bad}`, 'ERR_INVALID_OPTIONS');
    }
    this.connect();
  }

  private connect(): void {
    const gen = ++this.generation;
    this.lc.connecting(this.options.url);
    if (gen === 1) {
      const m = this.mode();
      this.sink.frame('out', m.text, { control: true, meta: { packet: 'MODE', destructive: m.destructive } });
    }
    const t0 = this.sink.now();
    let connectAt: number | undefined;
    let lookupAt: number | undefined;
    const parser = new NatsParser({ maxPayloadBytes: this.o.maxPayloadBytes });
    const raw = net.connect({ host: this.host, port: this.port });
    raw.setNoDelay(true);
    let sock: net.Socket = raw;
    this.socket = raw;
    let info: Record<string, unknown> | undefined;
    let ready = false;
    let failure: Error | undefined;
    let tlsAt: number | undefined;
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const timer = setTimeout(
      () => this.drop(gen, new Error(info ? `no answer from ${this.host}:${this.port} to CONNECT within ${timeoutMs} ms` : `no INFO from ${this.host}:${this.port} within ${timeoutMs} ms: a NATS server speaks first (is this one?)`), 'ETIMEDOUT'),
      timeoutMs,
    );
    timer.unref?.();
    raw.once('lookup', () => (lookupAt = this.sink.now()));
    raw.once('connect', () => (connectAt = this.sink.now()));

    const onOp = (op: NatsOp) => {
      if (gen !== this.generation) return;
      switch (op.op) {
        case 'INFO': {
          if (info) {
            // Later INFOs announce cluster changes: shown, nothing else to do.
            this.sink.frame('in', `server INFO update${Array.isArray(op.info.connect_urls) ? `: ${op.info.connect_urls.length} cluster URLs` : ''}`, { control: true, meta: { packet: 'INFO', info: op.info } });
            return;
          }
          info = op.info;
          if (this.secure && !(sock instanceof tls.TLSSocket)) {
            // NATS speaks TLS after its INFO: upgrade this socket.
            const t = tls.connect({ socket: raw, ...nodeTlsOptions(this.options.tls), ...(net.isIP(this.host) ? {} : { servername: this.options.tls?.servername ?? this.host }) });
            sock = t;
            this.socket = t;
            raw.removeListener('data', onData);
            t.on('data', onData);
            t.on('error', onError);
            t.once('secureConnect', () => {
              tlsAt = this.sink.now();
              handshake();
            });
            return;
          }
          if (!this.secure && info.tls_required === true) {
            failure = new Fatal(`the server requires TLS: use tls://${this.host}:${this.port} with --pattern nats`, 'ERR_TLS_REQUIRED');
            return void this.drop(gen, failure);
          }
          handshake();
          return;
        }
        case 'PING':
          sock.write('PONG\r\n');
          return;
        case 'PONG': {
          this.outstandingPings = 0;
          this.pongs.shift()?.();
          return;
        }
        case 'OK':
          return;
        case 'ERR': {
          const m = op.message;
          if (/authorization violation|authentication/i.test(m)) {
            failure = new Fatal(`authentication failed: ${m}`, 'ERR_AUTH');
            return void this.drop(gen, failure);
          }
          // Permission and subject errors leave the connection up; the server closes it after fatal ones.
          failure = new Error(`server error: ${m}`);
          this.sink.frame('in', m, { control: true, meta: { packet: '-ERR' } });
          if (/permissions violation/i.test(m)) failure = undefined;
          return;
        }
        case 'MSG':
          return this.onMessage(op);
      }
    };
    const onData = (chunk: Buffer) => {
      try {
        parser.push(chunk, onOp);
      } catch (err) {
        let e = err as Error;
        if (parser.ops === 0 && /^not a NATS operation: the server sent /.test(e.message)) e = new NatsProtocolError(`not a NATS server: it answered with "${e.message.replace(/^not a NATS operation: the server sent "|"$/g, '')}"`);
        failure = e;
        this.sink.error(e.message, 'ERR_PROTOCOL');
        this.drop(gen, e, 'ERR_PROTOCOL', true);
      }
    };
    const onError = (err: Error) => {
      if (gen !== this.generation) return;
      this.drop(gen, failure ?? err);
    };
    const handshake = () => {
      const connect: Record<string, unknown> = { verbose: false, pedantic: false, lang: 'node-wirescope', version: '0', protocol: 1, headers: true, no_responders: true, name: this.o.name ?? 'wirescope' };
      if (this.user !== undefined) connect.user = this.user;
      if (this.pass !== undefined) connect.pass = this.pass;
      if (this.token !== undefined) connect.auth_token = this.token;
      if (info?.auth_required === true && this.user === undefined && this.token === undefined && this.pass === undefined) {
        failure = new Fatal('the server requires credentials: give them in the URL (nats://user:PASSWORD@host or nats://TOKEN@host), a profile\'s nats.password / nats.token, or --password-env NAME', 'ERR_AUTH');
        return void this.drop(gen, failure);
      }
      sock.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
      this.pongs = [
        () => {
          if (gen !== this.generation) return;
          clearTimeout(timer);
          ready = true;
          this.onOpen(gen, sock, info ?? {}, { t0, lookupAt, connectAt, tlsAt });
        },
      ];
    };
    raw.on('data', onData);
    raw.on('error', onError);
    const onClose = () => {
      clearTimeout(timer);
      if (gen !== this.generation) return;
      if (this.lc.closing) {
        this.socket = undefined;
        return this.lc.finishClose();
      }
      const why = failure ?? new Error(parser.midOp ? `the server closed the connection in the middle of an operation (${parser.buffered} bytes of it read)` : ready ? 'the server closed the connection' : 'the server closed the connection before the handshake finished');
      this.drop(gen, why);
    };
    raw.on('close', onClose);
  }

  private onOpen(gen: number, sock: net.Socket, info: Record<string, unknown>, t: { t0: number; lookupAt?: number; connectAt?: number; tlsAt?: number }): void {
    const now = this.sink.now();
    const dnsEnd = t.lookupAt ?? t.t0;
    const connectEnd = t.connectAt ?? now;
    this.sink.timing({ dns: t.lookupAt !== undefined ? dnsEnd - t.t0 : null, connect: connectEnd - dnsEnd, tls: t.tlsAt !== undefined ? t.tlsAt - connectEnd : null, ttfb: null, download: null, total: now - t.t0 });
    const m = this.mode();
    const meta: Record<string, unknown> = { server: { name: info.server_name, id: info.server_id, version: info.version, maxPayload: info.max_payload, headers: info.headers, jetstream: info.jetstream }, destructive: m.destructive, mode: m.text };
    if (sock instanceof tls.TLSSocket) meta.tls = { protocol: sock.getProtocol(), cipher: sock.getCipher()?.name, authorized: sock.authorized };
    this.lc.opened(this.options.url, meta);
    const again = this.openedBefore;
    this.openedBefore = true;
    // Subscriptions (sids from 2; 1 is the request inbox), then a PING whose PONG confirms them.
    const subs = this.o.subscribe ?? [];
    let out = '';
    if (this.o.requestSubject) out += `SUB ${this.inbox}.* ${REPLY_SID}\r\n`;
    subs.forEach((s, i) => (out += `SUB ${s}${this.o.queueGroup ? ` ${this.o.queueGroup}` : ''} ${i + 2}\r\n`));
    if (again && subs.length) this.sink.frame('out', `re-subscribing after the reconnect: ${subs.join(', ')}`, { control: true, meta: { packet: 'RESUBSCRIBE' } });
    if (out) {
      sock.write(out + 'PING\r\n');
      this.pongs.push(() => {
        if (gen !== this.generation) return;
        subs.forEach((s, i) => this.sink.frame('in', `subscribed to ${s}${this.o.queueGroup ? ` in queue group ${this.o.queueGroup}` : ''} (sid ${i + 2}, confirmed by the server's PONG)`, { control: true, channel: s, meta: { packet: 'SUB', sid: i + 2, ...(this.o.queueGroup ? { queueGroup: this.o.queueGroup } : {}) } }));
        this.afterSubscribed(gen, sock);
      });
    } else this.afterSubscribed(gen, sock);
    this.startPings(gen, sock);
  }

  private afterSubscribed(gen: number, sock: net.Socket): void {
    if (!this.published) {
      this.published = true;
      for (const p of this.o.publish ?? []) this.write(sock, p.subject, Buffer.from(p.payload, 'utf8'));
    }
    if (this.o.requestSubject && !this.reqStarted) {
      this.reqStarted = true;
      this.publishStats();
      this.sendRequest(gen);
    }
  }

  private write(sock: net.Socket, subject: string, payload: Buffer, replyTo?: string, meta: Record<string, unknown> = {}, binary = false): void {
    const headers = this.options.headers;
    sock.write(encodePub(subject, payload, replyTo, headers));
    const m: Record<string, unknown> = { ...meta };
    if (replyTo) m.replyTo = replyTo;
    if (headers && Object.keys(headers).length) m.headers = headers;
    this.sink.frame('out', payload, { channel: subject, ...(binary ? { binary: true } : {}), ...(Object.keys(m).length ? { meta: m } : {}) });
  }

  private onMessage(op: Extract<NatsOp, { op: 'MSG' }>): void {
    const meta: Record<string, unknown> = { sid: op.sid };
    if (op.replyTo !== undefined) meta.replyTo = op.replyTo;
    if (op.headers) {
      const h = parseHeaders(op.headers);
      meta.headers = h.headers;
      if (h.status !== undefined) meta.status = h.status;
      if (h.description) meta.statusDescription = h.description;
    }
    if (op.sid === REPLY_SID && op.subject.startsWith(`${this.inbox}.`)) return this.onReply(op, meta);
    this.sink.frame('in', op.payload, isUtf8(op.payload) ? { channel: op.subject, meta } : { channel: op.subject, meta, binary: true });
  }

  // ---------- request/reply ----------

  private sendRequest(gen: number): void {
    const sock = this.socket;
    const count = this.o.requests ?? 1;
    if (!sock || gen !== this.generation || this.lc.stopped || this.reqSent >= count) return;
    const n = ++this.reqSent;
    const token = String(n);
    const p: PendingRequest = { n, sentAt: this.sink.now(), settled: false };
    this.requests.set(token, p);
    const timeoutMs = this.o.requestTimeoutMs ?? 5000;
    p.timer = setTimeout(() => this.expire(p, timeoutMs), timeoutMs);
    this.write(sock, this.o.requestSubject ?? '', Buffer.from(this.o.requestPayload ?? JSON.stringify({ request: n }), 'utf8'), `${this.inbox}.${token}`, { request: n });
    this.publishStats();
    if (this.reqSent < count) {
      this.reqTimer = setTimeout(() => this.sendRequest(this.generation), this.o.requestIntervalMs ?? 1000);
      this.reqTimer.unref?.();
    }
  }

  private onReply(op: Extract<NatsOp, { op: 'MSG' }>, meta: Record<string, unknown>): void {
    const token = op.subject.slice(this.inbox.length + 1);
    const p = this.requests.get(token);
    const binary = !isUtf8(op.payload);
    if (!p) {
      this.sink.frame('in', op.payload, { channel: op.subject, meta, ...(binary ? { binary: true } : {}) });
      return;
    }
    const rttMs = Math.round((this.sink.now() - p.sentAt) * 1000) / 1000;
    meta.request = p.n;
    meta.rttMs = rttMs;
    if (meta.status === 503) {
      // No responders: the server answers at once with an empty 503 message.
      if (!p.settled) {
        p.settled = true;
        clearTimeout(p.timer);
        this.reqTimedOut++;
        this.sink.error(`request ${p.n} to ${this.o.requestSubject}: no responders (nobody subscribes to it)`, 'ERR_NATS_NO_RESPONDERS');
      }
      this.sink.frame('in', 'no responders (503)', { control: true, channel: op.subject, meta });
      this.publishStats();
      return this.checkSettled();
    }
    if (p.settled) meta.late = true;
    this.sink.frame('in', op.payload, { channel: op.subject, meta, ...(binary ? { binary: true } : {}) });
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    this.reqAnswered++;
    this.rtts.push(rttMs);
    this.sink.timing({ dns: null, connect: null, tls: null, ttfb: rttMs, download: null, total: rttMs }, { request: p.n, rttMs });
    this.publishStats();
    this.checkSettled();
  }

  private expire(p: PendingRequest, timeoutMs: number): void {
    if (p.settled || this.lc.stopped) return;
    p.settled = true;
    this.reqTimedOut++;
    this.sink.error(`request ${p.n} to ${this.o.requestSubject} timed out after ${timeoutMs} ms`, 'ERR_NATS_REQUEST_TIMEOUT');
    this.sink.timing({ dns: null, connect: null, tls: null, ttfb: null, download: null, total: timeoutMs }, { request: p.n, timedOut: true, timeoutMs });
    this.publishStats();
    this.checkSettled();
  }

  private checkSettled(): void {
    const count = this.o.requests ?? 1;
    if (this.reqSent >= count && this.reqAnswered + this.reqTimedOut >= count) void this.close('all requests answered or timed out');
  }

  private publishStats(): void {
    const rtt = this.rtts.length
      ? { min: Math.min(...this.rtts), avg: Math.round((this.rtts.reduce((a, b) => a + b, 0) / this.rtts.length) * 1000) / 1000, max: Math.max(...this.rtts) }
      : null;
    this.sink.summarize({ requestResponse: { sent: this.reqSent, answered: this.reqAnswered, timedOut: this.reqTimedOut, rtt } });
  }

  // ---------- liveness, drops, close ----------

  private startPings(gen: number, sock: net.Socket): void {
    clearInterval(this.pingTimer);
    const every = this.o.pingIntervalMs ?? 30_000;
    if (every <= 0) return;
    this.outstandingPings = 0;
    this.pingTimer = setInterval(() => {
      if (gen !== this.generation) return clearInterval(this.pingTimer);
      if (this.outstandingPings >= 2) {
        clearInterval(this.pingTimer);
        return this.drop(gen, new Error(`no PONG for ${2 * every} ms: the connection is dead`));
      }
      this.outstandingPings++;
      this.pongs.push(() => undefined);
      sock.write('PING\r\n');
    }, every);
    this.pingTimer.unref?.();
  }

  private drop(gen: number, err: Error, code?: string, reported = false): void {
    if (gen !== this.generation || this.lc.closing) return;
    this.generation++;
    this.teardown();
    if (err instanceof Fatal) return this.lc.fail(err.message, err.code);
    const d = err instanceof NatsProtocolError ? { message: err.message, code: code ?? 'ERR_PROTOCOL' } : describeError(err, this.options.url);
    const plan = this.lc.dropped(d.message, { errorCode: code ?? d.code, reported });
    if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => go && this.connect());
  }

  private teardown(): void {
    clearInterval(this.pingTimer);
    this.pongs = [];
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }

  async send(msg: OutboundMessage): Promise<void> {
    const sock = this.socket;
    if (!sock || sock.destroyed || !this.lc.everOpened || this.lc.down) throw new Error('Not connected to the NATS server');
    const subject = msg.channel ?? this.o.publishSubject;
    if (!subject) throw new Error('Enter a subject to publish to');
    const bad = checkSubject(subject, false);
    if (bad) throw new Error(`Cannot publish: ${bad}`);
    const payload = typeof msg.data === 'string' ? Buffer.from(msg.data, 'utf8') : Buffer.from(msg.data);
    this.write(sock, subject, payload, undefined, {}, msg.binary === true && typeof msg.data !== 'string');
  }

  ping(): void {
    const sock = this.socket;
    if (!sock || sock.destroyed || !this.lc.everOpened) return;
    const t0 = this.sink.now();
    this.sink.frame('out', 'PING', { control: true, meta: { packet: 'PING' } });
    this.pongs.push(() => this.sink.frame('in', 'PONG', { control: true, meta: { packet: 'PONG', rttMs: Math.round((this.sink.now() - t0) * 100) / 100 } }));
    sock.write('PING\r\n');
  }

  reconnect(): void {
    this.lc.requestReconnect(() => this.drop(this.generation, new Error('reconnect requested by user')));
  }

  close(reason?: string): Promise<void> {
    clearTimeout(this.reqTimer);
    for (const p of this.requests.values()) clearTimeout(p.timer);
    return this.lc.close(reason, () => {
      clearInterval(this.pingTimer);
      const sock = this.socket;
      if (!sock || sock.destroyed || !this.lc.everOpened || this.lc.down) {
        this.generation++;
        this.teardown();
        return this.lc.finishClose();
      }
      // Unsubscribing is shown, then the connection ends (NATS has no goodbye of its own).
      const subs = this.o.subscribe ?? [];
      if (subs.length) {
        sock.write(subs.map((_s, i) => `UNSUB ${i + 2}\r\n`).join(''));
        this.sink.frame('out', `unsubscribed from ${subs.join(', ')}`, { control: true, meta: { packet: 'UNSUB' } });
      }
      sock.end();
      const t = setTimeout(() => sock.destroy(), 2000);
      t.unref?.();
    });
  }
}
