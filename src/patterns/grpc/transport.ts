/**
 * gRPC (`grpc://` h2c, `grpcs://` TLS): one session is one HTTP/2 connection and one call of any of the
 * four kinds, on Wirescope's own gRPC-over-HTTP/2 client (./h2.ts) with protobufjs for the messages.
 *
 * - The schema comes from `--proto` files (./schema.ts) or from server reflection (./reflection.ts,
 *   v1 then v1alpha), said in a control frame.
 * - Every request message is an out frame and every response message an in frame: `data` is the
 *   message in the canonical proto3 JSON mapping, `size` its encoded protobuf size, `meta` the method,
 *   the message type and the HTTP/2 stream id.
 * - Response headers and trailers are control frames (metadata in `meta.headers` / `meta.trailers`;
 *   `-bin` values as base64, as sent).
 * - The call's status ends the session: OK closes it with code 0; any other status fails it with
 *   `code` = the status number and `reason` = `NAME: message`. The summary has
 *   `grpc: {status, statusName, message, trailers}`.
 * - A call cannot be resumed, so a dropped connection ends the session (UNAVAILABLE), never a reconnect.
 */
import type protobuf from 'protobufjs';
import { checkUrl, describeError } from '../../core/errors';
import { ConnectionLifecycle } from '../../core/lifecycle';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { grpcPattern } from './descriptor';
import { messageToJsonText } from './json';
import { settingsWords } from '../../core/h2Connection';
import { ConnectError, GrpcCall, openConnection, rstName, type CallStatus, type GrpcConnection } from './h2';
import { reflect, REFLECTION_MAX_BYTES } from './reflection';
import { findMethod, fromJson, listMethods, loadProtos, qualified, SchemaError, toJson, type MethodInfo } from './schema';
import { requestMetadata, STATUS, statusName, statusReason } from './wire';

export const createTransport: TransportFactory = ({ options, sink }) => new GrpcTransport(options, sink);

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Where a session connects, from its URL. */
export function grpcTarget(url: string): { host: string; port: number; secure: boolean; authority: string } {
  const u = new URL(url);
  const secure = u.protocol === 'grpcs:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  return { host, port, secure, authority: `${u.hostname}:${port}` };
}

/** No --method: one line naming what there is to call. */
function noMethod(root: protobuf.Root): SchemaError {
  const names = listMethods(root).map((m) => m.name).filter((n) => !n.startsWith('grpc.reflection.'));
  return new SchemaError(`no method to call: give --method package.Service/Method${names.length ? ` (there ${names.length === 1 ? 'is' : 'are'} ${names.slice(0, 8).join(', ')}${names.length > 8 ? ` and ${names.length - 8} more` : ''})` : ''}`);
}

class GrpcTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private readonly o: NonNullable<ConnectOptions['grpc']>;
  private conn: GrpcConnection | undefined;
  private call: GrpcCall | undefined;
  private method: MethodInfo | undefined;
  private metadata: Record<string, string> = {};
  private callStart = 0;
  private firstMessageAt: number | undefined;
  private received = 0;
  private sentMessages = 0;
  private paused = false;
  private readonly connecting = new AbortController();

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.o = options.grpc ?? {};
    this.lc = new ConnectionLifecycle(sink, { ...options.reconnect, enabled: false }, () => this.teardown());
  }

  start(): void {
    void this.run().catch((err: unknown) => {
      if (this.lc.ended) return;
      if (err instanceof SchemaError || err instanceof ConnectError) return this.lc.fail(err.message, err instanceof ConnectError ? err.code : 'ERR_GRPC_SCHEMA');
      const d = describeError(err, this.options.url);
      this.lc.fail(d.message, d.code);
    });
  }

  private async run(): Promise<void> {
    const problem = checkUrl(this.options.url, grpcPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const md = requestMetadata(this.options.headers);
    if ('problem' in md) return this.lc.fail(md.problem, 'ERR_INVALID_OPTIONS');
    this.metadata = md.metadata;
    const target = grpcTarget(this.options.url);
    // A schema from files is compiled before connecting: a bad file is one line and no connection.
    const fileRoot = this.o.protos?.length ? await loadProtos(this.o.protos, this.o.importPaths ?? []) : undefined;
    if (fileRoot && !this.o.method) throw noMethod(fileRoot);
    let method = fileRoot && this.o.method ? findMethod(fileRoot, this.o.method) : undefined;
    const messages = method ? this.requestMessages(method) : undefined;
    if (this.lc.stopped) return;

    this.lc.connecting(this.options.url);
    const conn = await openConnection({ host: target.host, port: target.port, secure: target.secure, tls: this.options.tls, timeoutMs: this.options.connectTimeoutMs ?? 10_000, now: () => this.sink.now(), signal: this.connecting.signal });
    if (this.lc.stopped) {
      conn.session.destroy();
      return this.lc.finishClose();
    }
    this.conn = conn;
    // The HTTP/2 connection as it happens: the server's SETTINGS (and any change to them), its PINGs.
    this.sink.frame('in', `SETTINGS from the server: ${settingsWords(conn.settings)}`, { control: true, meta: { packet: 'SETTINGS', settings: conn.settings } });
    conn.session.on('remoteSettings', (settings) => {
      if (this.conn !== conn || this.lc.ended) return;
      this.sink.frame('in', `SETTINGS changed by the server: ${settingsWords(settings)}`, { control: true, meta: { packet: 'SETTINGS', settings } });
    });
    conn.session.on('ping', (payload: Buffer) => {
      if (this.conn !== conn || this.lc.ended) return;
      this.sink.frame('in', `PING from the server (answered with its PING ACK)`, { control: true, meta: { packet: 'PING', payload: payload.toString('hex') } });
    });
    conn.session.on('goaway', (code, _last, data) => {
      this.sink.frame('in', `GOAWAY (${code === 0 ? 'NO_ERROR' : `error ${code}`})${data?.length ? `: ${data.toString('utf8').slice(0, 200)}` : ''}`, { control: true, meta: { packet: 'GOAWAY', errorCode: code } });
    });
    conn.session.on('error', () => undefined);
    conn.session.on('close', () => {
      if (this.lc.ended) return;
      if (this.lc.closing) return this.lc.finishClose();
      if (!this.call || this.call.done) this.lc.fail('the server closed the HTTP/2 connection', 'ERR_GRPC_DROPPED');
    });
    this.sink.timing({ dns: conn.timing.dns, connect: conn.timing.connect, tls: conn.timing.tls, ttfb: null, download: null, total: conn.timing.total }, { phase: 'connection', protocol: 'h2' });
    const meta: Record<string, unknown> = { http2: { settings: conn.settings } };
    if (conn.tls) meta.tls = conn.tls;
    this.lc.opened(this.options.url, meta);

    if (!method) {
      // Without a method the session still connects: the error then names what the server offers.
      const service = this.o.method?.split('/')[0];
      const r = await reflect({ session: conn.session, authority: target.authority, secure: target.secure, metadata: this.metadata, timeoutMs: this.options.connectTimeoutMs ?? 10_000, maxMessageBytes: REFLECTION_MAX_BYTES, service });
      if (this.lc.stopped) return;
      this.sink.frame('in', `schema from server reflection (grpc.reflection.${r.version}): ${r.files} file${r.files === 1 ? '' : 's'} for ${service ?? r.services.join(', ')}`, { control: true, meta: { packet: 'REFLECTION', version: r.version, files: r.files, services: r.services } });
      if (!this.o.method) throw noMethod(r.root);
      method = findMethod(r.root, this.o.method);
    }
    this.method = method;
    this.startCall(method, messages ?? this.requestMessages(method), target);
  }

  /** The request messages of the call, checked and encoded before anything is sent. */
  private requestMessages(m: MethodInfo): Array<{ json: unknown; bytes: Uint8Array }> {
    const texts: Array<{ text: string; from: string }> = [];
    const clientStreams = m.kind === 'client-streaming' || m.kind === 'bidi';
    if (this.options.body !== undefined) texts.push({ text: this.options.body, from: '-d' });
    if (this.options.send?.length) {
      if (!clientStreams) throw new SchemaError(`${m.name} is a ${m.kind} call: it takes one request from -d JSON, not --send`);
      this.options.send.forEach((s, i) => texts.push({ text: s, from: `--send #${i + 1}` }));
    }
    if (texts.length === 0 && !clientStreams) texts.push({ text: '{}', from: '-d' });
    return texts.map(({ text, from }) => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new SchemaError(`${from} is not JSON: ${(err as Error).message}`);
      }
      const msg = fromJson(m.requestType, json);
      return { json: toJson(m.requestType, msg), bytes: m.requestType.encode(msg).finish() };
    });
  }

  private startCall(m: MethodInfo, messages: Array<{ json: unknown; bytes: Uint8Array }>, target: { secure: boolean; authority: string }): void {
    const conn = this.conn;
    if (!conn) return;
    this.callStart = this.sink.now();
    const requestType = qualified(m.requestType);
    const responseType = qualified(m.responseType);
    const call = new GrpcCall(
      conn.session,
      { path: m.path, authority: target.authority, secure: target.secure, metadata: this.metadata, deadlineMs: this.o.deadlineMs, maxMessageBytes: this.o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES },
      {
        onHeaders: (headers, info) => {
          const names = Object.keys(headers);
          this.sink.frame('in', `response headers (stream ${info.streamId})${names.length ? `: ${names.join(', ')}` : ''}${info.trailersOnly ? ', trailers-only' : ''}`, { control: true, meta: { packet: 'HEADERS', method: m.name, streamId: info.streamId, headers } });
        },
        onMessage: (bytes) => this.onMessage(m, responseType, bytes),
        onReset: (code, local) => {
          const streamId = this.call?.streamId;
          const name = rstName(code);
          if (local) this.sink.frame('out', `RST_STREAM ${name} on stream ${streamId ?? '?'}: the call is cancelled from this side`, { control: true, meta: { packet: 'RST_STREAM', errorCode: code, errorName: name, streamId } });
          else this.sink.frame('in', `RST_STREAM ${name} from the server on stream ${streamId ?? '?'}`, { control: true, meta: { packet: 'RST_STREAM', errorCode: code, errorName: name, streamId } });
        },
        onEnd: (s) => this.onEnd(m, s),
      },
    );
    this.call = call;
    if (this.paused) call.pause();
    const streamId = () => call.streamId;
    this.sink.frame('out', `${m.kind} call ${m.name}${this.o.deadlineMs ? `, deadline ${this.o.deadlineMs} ms` : ''}`, { control: true, meta: { packet: 'CALL', method: m.name, kind: m.kind, requestType, responseType, ...(Object.keys(this.metadata).length ? { headers: this.metadata } : {}) } });
    for (const msg of messages) this.writeMessage(m, requestType, msg.json, msg.bytes, streamId());
    const clientStreams = m.kind === 'client-streaming' || m.kind === 'bidi';
    if (!clientStreams || !this.o.keepSending) this.halfClose();
  }

  private writeMessage(m: MethodInfo, requestType: string, json: unknown, bytes: Uint8Array, streamId: number | undefined): void {
    this.call?.write(bytes);
    this.sentMessages++;
    this.sink.frame('out', JSON.stringify(json), { encodedSize: bytes.byteLength, meta: { method: m.name, type: requestType, ...(streamId !== undefined ? { streamId } : {}) } });
  }

  private onMessage(m: MethodInfo, responseType: string, bytes: Buffer): void {
    const streamId = this.call?.streamId;
    if (this.firstMessageAt === undefined) this.firstMessageAt = this.sink.now();
    this.received++;
    let json: string;
    try {
      json = messageToJsonText(m.responseType, m.responseType.decode(bytes));
    } catch (err) {
      // Bytes that are not a message of the declared type: shown as they came, the call goes on.
      this.sink.frame('in', bytes, { binary: true, meta: { method: m.name, type: responseType, streamId, decodeError: `not a ${responseType}: ${(err as Error).message.split('\n')[0]}` } });
      return;
    }
    this.sink.frame('in', json, { encodedSize: bytes.byteLength, meta: { method: m.name, type: responseType, streamId } });
  }

  private onEnd(m: MethodInfo, s: CallStatus): void {
    const now = this.sink.now();
    const streamId = this.call?.streamId;
    const trailerNames = Object.keys(s.trailers);
    if (!s.local) this.sink.frame('in', `trailers: ${statusReason(s.code, s.message)}${trailerNames.length ? ` (${trailerNames.join(', ')})` : ''}`, { control: true, meta: { packet: 'TRAILERS', method: m.name, streamId, grpcStatus: s.code, statusName: statusName(s.code), message: s.message, trailers: s.trailers } });
    this.sink.timing(
      { dns: null, connect: null, tls: null, ttfb: this.firstMessageAt !== undefined ? this.firstMessageAt - this.callStart : null, download: this.firstMessageAt !== undefined ? now - this.firstMessageAt : null, total: now - this.callStart },
      { phase: 'call', method: m.name, streamId, messagesIn: this.received, messagesOut: this.sentMessages },
    );
    this.sink.summarize({ grpc: { method: m.name, kind: m.kind, status: s.code, statusName: statusName(s.code), message: s.message, trailers: s.trailers, streamId, messages: { in: this.received, out: this.sentMessages } } });
    if (this.lc.closing) {
      this.closeConnection();
      return;
    }
    const reason = statusReason(s.code, s.message);
    if (s.code === STATUS.OK) {
      this.lc.end('closed', reason, 0);
      return;
    }
    this.lc.fail(reason, s.errorCode ?? `GRPC_${statusName(s.code)}`, false, s.code);
  }

  private closeConnection(): void {
    const conn = this.conn;
    if (!conn || conn.session.closed || conn.session.destroyed) return this.lc.finishClose();
    conn.session.close(() => this.lc.finishClose());
    const t = setTimeout(() => conn.session.destroy(), 2000);
    t.unref?.();
  }

  private teardown(): void {
    const conn = this.conn;
    if (!conn) return;
    if (!conn.session.closed) conn.session.close();
    const t = setTimeout(() => conn.session.destroy(), 1000);
    t.unref?.();
  }

  /** End the sending side (the client has no more messages). */
  halfClose(): void {
    const call = this.call;
    if (!call || call.done || call.sendingEnded) return;
    call.end();
    this.sink.frame('out', 'end of the request stream (half-close)', { control: true, meta: { packet: 'END_STREAM', method: this.method?.name, streamId: call.streamId } });
  }

  async send(msg: OutboundMessage): Promise<void> {
    const m = this.method;
    const call = this.call;
    if (!m || !call || call.done) throw new Error('No call in progress');
    if (m.kind !== 'client-streaming' && m.kind !== 'bidi') throw new Error(`${m.name} is a ${m.kind} call: it takes no more messages`);
    if (call.sendingEnded) throw new Error('The sending side is closed (half-close)');
    const text = typeof msg.data === 'string' ? msg.data : Buffer.from(msg.data).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`Not JSON: ${(err as Error).message}`, { cause: err });
    }
    const message = fromJson(m.requestType, json);
    this.writeMessage(m, qualified(m.requestType), toJson(m.requestType, message), m.requestType.encode(message).finish(), call.streamId);
  }

  pause(): void {
    this.paused = true;
    this.call?.pause();
  }

  resume(): void {
    this.paused = false;
    this.call?.resume();
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      this.connecting.abort();
      const call = this.call;
      if (call && !call.done) {
        // The user ends the call: RST_STREAM CANCEL, then the connection's GOAWAY.
        call.cancel(STATUS.CANCELLED, reason ?? 'closed by user', 'ERR_GRPC_CANCELLED');
        return;
      }
      if (!this.conn) return this.lc.finishClose();
      this.closeConnection();
    });
  }
}
