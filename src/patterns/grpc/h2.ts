/**
 * gRPC calls on Node's own HTTP/2 client (node:http2): Wirescope opens the socket itself, so the
 * connect and TLS phases are timed and every call's HTTP/2 stream id is known; messages are read
 * as they arrive, with the response body paused when the session's consumer falls behind (HTTP/2
 * flow control then holds the server back).
 */
import http2 from 'node:http2';
export { ConnectError, openConnection, rstName, type ConnectionTiming, type ConnectParams, type H2Connection as GrpcConnection } from '../../core/h2Connection';
import { requestStream, rstName } from '../../core/h2Connection';
import { decodeGrpcMessage, decompress, encodeMessage, MessageReader, MessageTooLarge, metadataOf, grpcTimeout, STATUS, statusFromHttp } from './wire';

export interface CallStatus {
  code: number;
  message: string;
  /** Trailer metadata (for a trailers-only response, the metadata of its one header block). */
  trailers: Record<string, string>;
  /** The status was decided here (deadline, a message too large, a broken response), not sent by the server. */
  local?: boolean;
  /** Error code for the error event of a local status. */
  errorCode?: string;
}

export interface CallEvents {
  /** The response headers (HTTP status 200, content-type application/grpc), with the stream id. */
  onHeaders(metadata: Record<string, string>, info: { streamId: number; trailersOnly: boolean }): void;
  onMessage(bytes: Buffer): void;
  /** Exactly once. */
  onEnd(status: CallStatus): void;
  /** The stream was reset (RST_STREAM): by the server, or by this side (`local`, a cancel). */
  onReset?(code: number, local: boolean): void;
}

export interface CallParams {
  path: string;
  authority: string;
  secure: boolean;
  metadata: Record<string, string>;
  deadlineMs?: number;
  maxMessageBytes: number;
}

/** One call: an HTTP/2 stream carrying length-prefixed messages each way, ending with the status in trailers. */
export class GrpcCall {
  private readonly req: http2.ClientHttp2Stream;
  private ended = false;
  private deadline: NodeJS.Timeout | undefined;
  private encoding: string | undefined;
  private gotHeaders = false;
  private httpStatus: number | undefined;
  private headerMeta: Record<string, string> = {};
  private sendingClosed = false;
  /** The server's END_STREAM arrived (with or without trailers). */
  private endStream = false;

  constructor(session: http2.ClientHttp2Session, p: CallParams, private readonly ev: CallEvents) {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':scheme': p.secure ? 'https' : 'http',
      ':path': p.path,
      ':authority': p.authority,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'wirescope-grpc',
      'grpc-accept-encoding': 'identity,gzip,deflate',
      ...p.metadata,
    };
    if (p.deadlineMs !== undefined) headers['grpc-timeout'] = grpcTimeout(p.deadlineMs);
    const reader = new MessageReader(p.maxMessageBytes);
    this.req = requestStream(session, headers, { endStream: false });
    if (p.deadlineMs !== undefined) {
      this.deadline = setTimeout(() => this.cancel(STATUS.DEADLINE_EXCEEDED, `deadline of ${p.deadlineMs} ms exceeded`, 'ERR_GRPC_DEADLINE'), p.deadlineMs);
    }
    this.req.on('response', (h, flags) => {
      this.gotHeaders = true;
      this.httpStatus = Number(h[':status']);
      const ct = String(h['content-type'] ?? '');
      const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      const trailersOnly = endStream || h['grpc-status'] !== undefined;
      if (this.httpStatus !== 200 || !/^application\/grpc/i.test(ct)) {
        if (h['grpc-status'] !== undefined && this.httpStatus === 200) return this.statusFrom(h);
        // Not a gRPC answer: an HTTP/2 server (or proxy) that does not serve this path as gRPC.
        const code = h['grpc-status'] !== undefined ? Number(h['grpc-status']) : this.httpStatus !== 200 ? statusFromHttp(this.httpStatus) : STATUS.UNKNOWN;
        const what = this.httpStatus !== 200 ? `HTTP status ${this.httpStatus}` : `content-type "${ct || '(none)'}"`;
        return this.finish({ code, message: `not a gRPC response: ${what}${ct && this.httpStatus !== 200 ? ` (${ct})` : ''}`, trailers: metadataOf(h), local: true, errorCode: 'ERR_GRPC_NOT_GRPC' }, true);
      }
      this.encoding = typeof h['grpc-encoding'] === 'string' ? h['grpc-encoding'] : undefined;
      this.headerMeta = metadataOf(h);
      this.ev.onHeaders(this.headerMeta, { streamId: this.req.id ?? 0, trailersOnly });
      if (trailersOnly) this.statusFrom(h);
    });
    this.req.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      try {
        reader.push(chunk, (bytes, compressed) => {
          if (this.ended) return;
          this.ev.onMessage(compressed ? decompress(bytes, this.encoding, p.maxMessageBytes) : bytes);
        });
      } catch (err) {
        if (err instanceof MessageTooLarge) this.cancel(STATUS.RESOURCE_EXHAUSTED, err.message, 'ERR_GRPC_MESSAGE_TOO_LARGE');
        else this.cancel(STATUS.INTERNAL, (err as Error).message, 'ERR_GRPC_PROTOCOL');
      }
    });
    this.req.on('trailers', (t) => this.statusFrom(t));
    this.req.on('end', () => (this.endStream = true));
    const resetByServer = (rst: number): void => {
      const mid = reader.pending > 0 ? ` in the middle of a message (${reader.pending} bytes of it read)` : '';
      this.ev.onReset?.(rst, false);
      if (rst === http2.constants.NGHTTP2_REFUSED_STREAM) return this.finish({ code: STATUS.UNAVAILABLE, message: 'the server refused the stream (REFUSED_STREAM)', trailers: {}, local: true, errorCode: 'ERR_GRPC_STREAM' });
      this.finish({ code: rst === http2.constants.NGHTTP2_CANCEL ? STATUS.CANCELLED : STATUS.INTERNAL, message: `the server reset the stream (RST_STREAM ${rstName(rst)})${mid}`, trailers: {}, local: true, errorCode: 'ERR_GRPC_STREAM' });
    };
    this.req.on('error', (err) => {
      if (this.ended) return;
      // A reset with an error code arrives as a stream error first: it is the server's RST_STREAM all the same.
      const rst = this.req.rstCode;
      if ((err as NodeJS.ErrnoException).code === 'ERR_HTTP2_STREAM_ERROR' && rst !== undefined && rst !== http2.constants.NGHTTP2_NO_ERROR) return resetByServer(rst);
      this.finish({ code: STATUS.UNAVAILABLE, message: `the stream failed: ${err.message}`, trailers: {}, local: true, errorCode: (err as NodeJS.ErrnoException).code ?? 'ERR_GRPC_STREAM' }, true);
    });
    this.req.on('close', () => {
      if (this.ended) return;
      const rst = this.req.rstCode;
      const mid = reader.pending > 0 ? ` in the middle of a message (${reader.pending} bytes of it read)` : '';
      // node:http2 closes the streams of a connection that dropped with CANCEL, though no RST_STREAM came: that is the drop.
      const dropped = rst === http2.constants.NGHTTP2_CANCEL && (session.closed || session.destroyed);
      if (rst !== undefined && rst !== http2.constants.NGHTTP2_NO_ERROR && !dropped) return resetByServer(rst);
      if (this.gotHeaders && this.httpStatus !== 200) return;
      if (this.endStream && !dropped) {
        // The server ended its side cleanly but sent no trailers: no status.
        if (mid) return this.finish({ code: STATUS.INTERNAL, message: `the server ended the stream${mid}, without a status`, trailers: {}, local: true, errorCode: 'ERR_GRPC_PROTOCOL' });
        return this.finish({ code: STATUS.UNKNOWN, message: 'the server ended the stream without a status (no grpc-status trailer)', trailers: {}, local: true, errorCode: 'ERR_GRPC_NO_STATUS' });
      }
      this.finish({ code: STATUS.UNAVAILABLE, message: this.gotHeaders ? `the connection closed before the call's status (no trailers)${mid}` : 'the connection closed before the server answered', trailers: {}, local: true, errorCode: 'ERR_GRPC_DROPPED' });
    });
  }

  get streamId(): number | undefined {
    return this.req.id;
  }

  get done(): boolean {
    return this.ended;
  }

  get sendingEnded(): boolean {
    return this.sendingClosed;
  }

  /** Send one message (already encoded). Returns false when the stream's buffer is full. */
  write(bytes: Uint8Array): boolean {
    if (this.sendingClosed || this.ended) throw new Error(this.ended ? 'the call has ended' : 'the sending side is closed (half-close)');
    return this.req.write(encodeMessage(bytes));
  }

  /** Half-close: the client has no more messages. */
  end(): void {
    if (this.sendingClosed || this.ended) return;
    this.sendingClosed = true;
    this.req.end();
  }

  pause(): void {
    this.req.pause();
  }

  resume(): void {
    this.req.resume();
  }

  /** End the call from this side (RST_STREAM CANCEL) with a local status. */
  cancel(code: number, message: string, errorCode: string): void {
    if (this.ended) return;
    this.finish({ code, message, trailers: {}, local: true, errorCode }, true);
  }

  private statusFrom(h: http2.IncomingHttpHeaders): void {
    if (this.ended) return;
    const raw = h['grpc-status'];
    if (raw === undefined) {
      return this.finish({ code: STATUS.UNKNOWN, message: 'the server ended the call without a grpc-status', trailers: metadataOf(h), local: true, errorCode: 'ERR_GRPC_NO_STATUS' });
    }
    const code = Number(raw);
    this.finish({ code: Number.isInteger(code) && code >= 0 ? code : STATUS.UNKNOWN, message: decodeGrpcMessage(typeof h['grpc-message'] === 'string' ? h['grpc-message'] : undefined), trailers: metadataOf(h) });
  }

  private finish(s: CallStatus, reset = false): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.deadline);
    // The reset is told before the status, which may end the session.
    if (reset && !this.req.closed) {
      this.req.close(http2.constants.NGHTTP2_CANCEL);
      this.ev.onReset?.(http2.constants.NGHTTP2_CANCEL, true);
    }
    this.ev.onEnd(s);
  }
}

