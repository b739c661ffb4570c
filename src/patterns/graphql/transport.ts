/**
 * GraphQL: queries and mutations over HTTP, subscriptions over WebSocket (graphql-transport-ws, the
 * graphql-ws library's protocol, or the legacy subscriptions-transport-ws protocol, subprotocol
 * `graphql-ws`) or over HTTP with graphql-sse (distinct connections mode, or single connection mode with
 * `sse-single`: a reserved stream that carries every operation). Wirescope's own protocol
 * client on `ws` and the core HTTP client, so that every protocol message is a frame of the session.
 *
 * - A query over HTTP is an `out` frame (the request) and an `in` frame (the result JSON), with the
 *   HTTP timing of `http`.
 * - Over WebSocket, connection_init/ack, ping/pong, `ka`, complete, stop and error are control frames
 *   in words; each result is an `in` frame whose data is the result JSON and whose channel is the
 *   operation name (or its id).
 * - A result with `errors`, and an operation the server ends with an error, carry `meta.errors`
 *   (messages and paths).
 * - Several documents run side by side, multiplexed on one WebSocket. `--count` (or closing) sends
 *   complete (stop) for each running operation before closing.
 * - A dropped WebSocket reconnects through the shared lifecycle; after the new connection_ack the
 *   running subscriptions are sent again, said in a control frame. A dropped graphql-sse stream does the
 *   same: the streams of the running operations count as one connection, all sent again after the delay.
 */
import WebSocket from 'ws';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { checkUrl, describeError } from '../../core/errors';
import { HttpClientError, httpRequest, redactHeaders, redactUrl, type HttpResponse } from '../../core/httpClient';
import { ConnectionLifecycle } from '../../core/lifecycle';
import { RequestTiming } from '../../core/netTiming';
import { SseParser } from '../../core/sseParser';
import { getAtPath, parseJsonPath, type JsonPathStep } from '../../core/jsonPath';
import { nodeTlsOptions } from '../../core/tlsOptions';
import type { OutboundMessage, Transport, TransportFactory, TransportSink } from '../../core/transport';
import type { ConnectOptions } from '../../shared/connectOptions';
import { graphqlPattern, type GraphqlProtocol } from './descriptor';
import { DocumentError, errorLine, errorList, pickOperation, resultErrors, type OperationType } from './document';

export const createTransport: TransportFactory = ({ options, sink }) => new GraphqlTransport(options, sink);

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;
const RESPONSE_TIMEOUT_MS = 30_000;
/** graphql-sse single connection mode: the header that carries the reservation token. */
const TOKEN_HEADER = 'x-graphql-event-stream-token';
/** A reservation answer longer than this is not a token. */
const MAX_TOKEN_BYTES = 1024;

/** Headers as shown: credentials masked, and the event stream token too (it is a key to the stream). */
function redactSingle(headers: Record<string, string>): Record<string, string> {
  const out = redactHeaders(headers);
  for (const k of Object.keys(out)) if (k.toLowerCase() === TOKEN_HEADER) out[k] = '[token]';
  return out;
}

/** One operation of the session. */
interface Operation {
  id: string;
  query: string;
  type: OperationType;
  name?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** The server completed it, it failed, or we stopped it. */
  done: boolean;
  results: number;
  /** graphql-sse: the request of its stream, aborted to stop it. */
  abort?: AbortController;
  /** It runs over a graphql-sse event stream (a subscription, or any operation with protocol sse). */
  sse?: boolean;
  /** resumeField's value in its last result: what resumeVariable carries when it is sent again after a reconnect. */
  resumeValue?: string | number;
  /** A result without resumeField was said once. */
  resumeMissSaid?: boolean;
}

type WsProtocol = 'graphql-transport-ws' | 'graphql-ws';

/** The operation's label on frames: its name, or its id. */
function label(op: Operation): string {
  return op.name ?? op.id;
}

function payloadOf(op: Operation): Record<string, unknown> {
  return { query: op.query, ...(op.variables ? { variables: op.variables } : {}), ...(op.operationName ? { operationName: op.operationName } : {}) };
}

/** The connection_init payload as logged: its keys, never its values. */
function maskedPayload(p: Record<string, unknown> | undefined): string {
  if (!p) return '';
  const keys = Object.keys(p);
  return keys.length ? ` with payload (${keys.join(', ')})` : ' with an empty payload';
}

class GraphqlTransport implements Transport {
  private readonly lc: ConnectionLifecycle;
  private readonly o: NonNullable<ConnectOptions['graphql']>;
  private readonly ops: Operation[] = [];
  private nextId = 1;
  private ws: WebSocket | undefined;
  private wsProtocol: WsProtocol | undefined;
  private acked = false;
  private ackTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private mode: 'ws' | 'http' = 'http';
  /** Why the current socket is being dropped by us (ack timeout, a message too large). */
  private dropCause: { message: string; code: string } | undefined;
  /** resumeField, parsed. */
  private resumePath: JsonPathStep[] | undefined;
  /** Messages on the current socket that were not protocol messages. */
  private invalid = 0;
  private firstInvalid = '';
  private readonly httpAbort = new AbortController();
  private opened = false;
  private lastStatus: number | undefined;
  private errorsSeen = 0;
  /** auto: the one subprotocol offered after the server refused the one it picked from both. */
  private only: WsProtocol | undefined;
  /** graphql-sse single connection mode: the reservation's token, the stream's abort, whether the stream is open. */
  private singleToken: string | undefined;
  private singleAbort: AbortController | undefined;
  private singleLive = false;
  private singleClosing = false;
  /**
   * graphql-sse (distinct connections): the streams that run together count as one connection. A drop of one
   * starts a new generation: the others of the old one are stopped and every running operation is sent again.
   */
  private sseGen = 0;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {
    this.o = options.graphql ?? {};
    this.lc = new ConnectionLifecycle(sink, options.reconnect, () => this.teardown());
  }

  private get maxBytes(): number {
    return this.o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  start(): void {
    const problem = checkUrl(this.options.url, graphqlPattern.schemes);
    if (problem) return this.lc.fail(problem, 'ERR_INVALID_URL');
    const scheme = new URL(this.options.url).protocol.replace(':', '');
    this.mode = scheme === 'ws' || scheme === 'wss' ? 'ws' : 'http';
    const protocol: GraphqlProtocol = this.o.protocol ?? 'auto';
    if (this.mode === 'ws' && (protocol === 'sse' || protocol === 'sse-single')) return this.lc.fail(`--graphql-protocol sse runs over http(s), not ${scheme}: use http${scheme === 'wss' ? 's' : ''}://${this.options.url.slice(scheme.length + 3)}`, 'ERR_INVALID_OPTIONS');
    if (this.mode === 'http' && (protocol === 'graphql-ws' || protocol === 'graphql-transport-ws')) return this.lc.fail(`--graphql-protocol ${protocol} runs over a WebSocket: use ws${scheme === 'https' ? 's' : ''}://${this.options.url.slice(scheme.length + 3)}`, 'ERR_INVALID_OPTIONS');
    if (!this.o.resumeVariable !== !this.o.resumeField) return this.lc.fail(`--resume-variable and --resume-field go together: the variable to set after a reconnect, and where its value is in each result (like --resume-variable after --resume-field '$.data.ticks.seq')`, 'ERR_INVALID_OPTIONS');
    if (this.o.resumeField) {
      try {
        this.resumePath = parseJsonPath(this.o.resumeField);
      } catch (err) {
        return this.lc.fail(`--resume-field: ${describeError(err).message}`, 'ERR_INVALID_OPTIONS');
      }
    }
    const docs = [...(this.o.documents?.length ? this.o.documents : this.options.body !== undefined ? [this.options.body] : []), ...(this.options.send ?? [])];
    // Over a WebSocket a session may start with no operation: the connection is acknowledged and operations come from the composer.
    if (docs.length === 0 && this.mode === 'http') return this.lc.fail('no operation to run: give the document with -d \'{ field }\' or --query FILE', 'ERR_INVALID_OPTIONS');
    try {
      for (const d of docs) this.ops.push(this.operation(d));
    } catch (err) {
      if (err instanceof DocumentError) return this.lc.fail(err.message, 'ERR_GRAPHQL_DOCUMENT');
      throw err;
    }
    if (this.mode === 'ws') this.connect();
    else this.runHttp();
  }

  private operation(doc: string): Operation {
    const info = pickOperation(doc, this.o.operationName);
    const op: Operation = { id: String(this.nextId++), query: doc, type: info.type, done: false, results: 0 };
    if (info.name) op.name = info.name;
    if (this.o.variables) op.variables = this.o.variables;
    if (this.o.operationName && info.name === this.o.operationName) op.operationName = info.name;
    return op;
  }

  // ---------- HTTP: queries, mutations, graphql-sse ----------

  private runHttp(): void {
    this.sink.state('connecting', { url: redactUrl(this.options.url) });
    if (this.o.protocol === 'sse-single') {
      for (const op of this.ops) op.sse = true;
      return void this.runSingle();
    }
    for (const op of this.ops) void this.runHttpOperation(op);
  }

  // ---------- graphql-sse, single connection mode ----------

  /** Headers of the single-connection requests: the session's, the reservation token, and `accept`. */
  private singleHeaders(token: string | undefined, accept: string, json = false): Record<string, string> {
    return { accept, ...(this.options.headers ?? {}), ...(token !== undefined ? { [TOKEN_HEADER]: token } : {}), ...(json ? { 'content-type': 'application/json; charset=utf-8' } : {}) };
  }

  /** One request of single connection mode; its out frame is said by the caller. */
  private singleRequest(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal, responseTimeoutMs?: number): Promise<HttpResponse> {
    return httpRequest({
      url,
      method,
      headers,
      body,
      tls: this.options.tls,
      connectTimeoutMs: this.options.connectTimeoutMs,
      responseTimeoutMs: responseTimeoutMs ?? this.options.responseTimeoutMs ?? RESPONSE_TIMEOUT_MS,
      signal,
      now: this.sink.now,
    });
  }

  /**
   * Single connection mode: PUT reserves an event stream (the answer is its token), GET with the token opens it,
   * each operation is a POST with the token and `extensions.operationId` (answered 202, its results come on the
   * stream as `{id, payload}`), and DELETE `?operationId=` stops one. The stream is the connection: when it drops,
   * the lifecycle reconnects with a new reservation and every running operation is POSTed again.
   */
  private async runSingle(reconnected = false): Promise<void> {
    const { options, sink } = this;
    const gen = this.sseGen;
    const abort = new AbortController();
    this.singleAbort = abort;
    const onStop = () => abort.abort();
    this.httpAbort.signal.addEventListener('abort', onStop, { once: true });
    const url = options.url;
    let res: HttpResponse;
    let stage: 'reserve' | 'stream' = 'reserve';
    try {
      // The reservation.
      sink.frame('out', 'PUT: reserve an event stream (single connection mode)', { control: true, meta: { type: 'reserve', method: 'PUT', url: redactUrl(url), protocol: 'graphql-sse' } });
      const put = await this.singleRequest('PUT', url, this.singleHeaders(undefined, 'text/plain'), undefined, abort.signal);
      const read = await put.readBody(MAX_TOKEN_BYTES);
      const text = read.preview.toString('utf8');
      const ct = ctype(put);
      if (put.status < 200 || put.status >= 300) throw new HttpClientError(`the event stream reservation (PUT) was refused: HTTP ${put.status}${put.statusText ? ` ${put.statusText}` : ''}${text.trim() ? `: ${oneLine(text, 80)}` : ''}`, 'ERR_GRAPHQL_SSE_RESERVATION');
      const token = text.trim();
      if (read.truncated || !/^text\/plain$/i.test(ct) || !/^[\x21-\x7e]{1,256}$/.test(token)) {
        throw new HttpClientError(`the event stream reservation (PUT) did not answer a token: HTTP ${put.status}, ${ct}${text.trim() ? `: ${oneLine(text, 60)}` : ', empty'}`, 'ERR_GRAPHQL_SSE_RESERVATION');
      }
      this.singleToken = token;
      // The token is a key to the stream: said by its length, never shown.
      sink.frame('in', `reserved an event stream (HTTP ${put.status}, a ${token.length}-character token)`, { control: true, meta: { type: 'reserved', status: put.status, protocol: 'graphql-sse' } });
      // The stream; its response is the acceptance of the token.
      const wait = this.o.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
      stage = 'stream';
      res = await this.singleRequest('GET', url, this.singleHeaders(token, 'text/event-stream'), undefined, abort.signal, wait);
      if (res.status !== 200 || !/text\/event-stream/i.test(res.headers['content-type'] ?? '')) {
        const body = await res.readBody(1024).then((b) => b.preview.toString('utf8'), () => '');
        throw new HttpClientError(`the event stream (GET with the token) was refused: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}, ${ctype(res)}${body.trim() ? `: ${oneLine(body, 80)}` : ''}`, 'ERR_GRAPHQL_SSE_STREAM');
      }
    } catch (err) {
      this.httpAbort.signal.removeEventListener('abort', onStop);
      if (gen !== this.sseGen || this.lc.stopped) return this.singleStopped();
      let d: { message: string; code?: string } = err instanceof HttpClientError ? { message: err.message, code: err.code } : describeError(err, url);
      if (stage === 'stream' && (d.code === 'ERR_TTFB_TIMEOUT' || /^No response within/.test(d.message))) {
        d = { message: `no event stream within ${this.o.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS} ms after the reservation (--ack-timeout)`, code: 'ERR_GRAPHQL_NO_ACK' };
      }
      return this.singleDropped(gen, d);
    }
    sink.timing(res.phases(), { status: res.status, stream: true, protocol: 'graphql-sse' });
    sink.frame('in', `event stream open (HTTP ${res.status}, single connection mode)`, { control: true, meta: { packet: 'stream', status: res.status, headers: redactSingle(res.headers), protocol: 'graphql-sse' } });
    this.opened = true;
    this.lc.opened(redactUrl(url), { protocol: 'graphql-sse', mode: 'single' });
    const running = this.ops.filter((o) => !o.done);
    if (reconnected && running.length) this.announceResubscribe(running, 'graphql-sse');
    this.singleLive = true;
    for (const op of running) void this.postSingle(op, reconnected);
    try {
      await this.readSingle(res);
      if (gen === this.sseGen && !this.lc.stopped && this.ops.some((o) => !o.done)) throw new HttpClientError('the event stream ended with operations running', 'ERR_GRAPHQL_SSE_DROPPED');
    } catch (err) {
      this.singleLive = false;
      if (gen !== this.sseGen || this.lc.stopped || this.ops.every((o) => o.done)) return this.singleStopped();
      const d = err instanceof HttpClientError ? { message: err.message, code: err.code } : describeError(err, url);
      if (d.code === 'ERR_GRAPHQL_TOO_LARGE') {
        this.lc.fail(d.message, d.code);
        this.httpAbort.abort();
        return;
      }
      return this.singleDropped(gen, d);
    } finally {
      this.singleLive = false;
      this.httpAbort.signal.removeEventListener('abort', onStop);
    }
    this.singleStopped();
  }

  /** The single stream is over for good (every operation done, or the session closing). */
  private singleStopped(): void {
    if (this.lc.ended) return;
    if (this.lc.closing) {
      if (!this.singleClosing) this.lc.finishClose();
      return;
    }
    this.httpFinished();
  }

  private singleDropped(gen: number, d: { message: string; code?: string }): void {
    if (gen !== this.sseGen || this.lc.stopped) return;
    this.sseGen++;
    this.singleAbort?.abort();
    this.singleToken = undefined;
    const plan = this.lc.dropped(d.message, d.code ? { errorCode: d.code } : {});
    if (!plan.retry) {
      this.httpAbort.abort();
      return;
    }
    void this.lc.wait(plan.delayMs).then((go) => {
      if (!go) return;
      if (this.ops.every((o) => o.done)) return this.httpFinished();
      this.lc.connecting(redactUrl(this.options.url));
      void this.runSingle(true);
    });
  }

  /** The results and completes of the single stream: `next` `{id, payload}`, `complete` `{id}`. */
  private async readSingle(res: HttpResponse): Promise<void> {
    const { sink } = this;
    let pending = 0;
    let allDone = false;
    const parser = new SseParser({
      event: (e) => {
        pending = 0;
        if (allDone) return;
        let msg: { id?: unknown; payload?: unknown } | undefined;
        try {
          const v: unknown = JSON.parse(e.data);
          if (v && typeof v === 'object' && !Array.isArray(v)) msg = v as typeof msg;
        } catch {
          msg = undefined;
        }
        const id = msg && (typeof msg.id === 'string' || typeof msg.id === 'number') ? String(msg.id) : undefined;
        const op = id !== undefined ? this.ops.find((o) => o.id === id) : undefined;
        if ((e.type === 'next' || e.type === 'complete') && !op) {
          sink.frame('in', `${e.type} for ${id === undefined ? 'no operation id' : `an unknown operation "${oneLine(id, 40)}"`} on the graphql-sse stream: ${oneLine(e.data)}`, { control: true, meta: { type: e.type, protocol: 'graphql-sse', invalid: true } });
          return;
        }
        if (e.type === 'next' && op && msg) {
          if (op.done) return;
          this.result(op, JSON.stringify(msg.payload ?? null), { protocol: 'graphql-sse' }, { value: msg.payload });
        } else if (e.type === 'complete' && op) {
          if (op.done) return;
          op.done = true;
          sink.frame('in', `complete ${label(op)} (by the server)`, { control: true, channel: label(op), meta: { type: 'complete', id: op.id, protocol: 'graphql-sse' } });
          if (this.ops.every((o) => o.done)) allDone = true;
        } else {
          sink.frame('in', `unexpected event "${oneLine(e.type, 40)}" on the graphql-sse stream: ${oneLine(e.data)}`, { control: true, meta: { type: e.type, protocol: 'graphql-sse', invalid: true } });
        }
      },
    });
    for await (const chunk of res) {
      pending += chunk.length;
      parser.push(chunk);
      if (allDone) break;
      if (pending > this.maxBytes) throw new HttpClientError(`a graphql-sse event larger than ${this.maxBytes} bytes (--max-message-size)`, 'ERR_GRAPHQL_TOO_LARGE');
    }
    res.destroy();
  }

  /** POST one operation with the token; the answer is 202 (its results come on the stream) or a GraphQL error. */
  private async postSingle(op: Operation, resubscribe = false): Promise<void> {
    const { options, sink } = this;
    const token = this.singleToken;
    const gen = this.sseGen;
    if (token === undefined) return;
    const body = JSON.stringify({ ...payloadOf(op), extensions: { operationId: op.id } });
    const headers = this.singleHeaders(token, 'application/json', true);
    sink.frame('out', body, { channel: label(op), meta: { method: 'POST', url: redactUrl(options.url), headers: redactSingle(headers), id: op.id, operation: op.name, operationType: op.type, protocol: 'graphql-sse', mode: 'single', ...(resubscribe ? { resubscribe: true } : {}) } });
    let res: HttpResponse;
    try {
      res = await this.singleRequest('POST', options.url, headers, body, this.singleAbort?.signal ?? this.httpAbort.signal);
    } catch (err) {
      // The stream's own drop says what happened; a POST that fails on a live stream is this operation's error.
      if (gen !== this.sseGen || this.lc.stopped || !this.singleLive) return;
      const d = err instanceof HttpClientError ? err.message : describeError(err, options.url).message;
      return this.singleOpFailed(op, [{ message: `the operation was not accepted: ${d}` }]);
    }
    if (res.status === 202 || res.status === 204 || res.status === 200) {
      res.message.resume();
      sink.frame('in', `accepted ${label(op)} (HTTP ${res.status})`, { control: true, channel: label(op), meta: { type: 'accepted', id: op.id, status: res.status, protocol: 'graphql-sse' } });
      return;
    }
    // Refused (a validation error, an operation id in use): the answer is shown as this operation's result.
    await this.readResult(op, res).catch(() => undefined);
    op.done = true;
    if (this.ops.every((o) => o.done)) this.singleAbort?.abort();
  }

  private singleOpFailed(op: Operation, errors: Array<{ message: string }>): void {
    this.errorsSeen++;
    op.done = true;
    op.results++;
    this.sink.frame('in', errors.map(errorLine).join('; '), { control: true, channel: label(op), meta: { type: 'error', id: op.id, errors, protocol: 'graphql-sse' } });
    if (this.ops.every((o) => o.done)) this.singleAbort?.abort();
  }

  /** Stop the running operations of single connection mode: DELETE ?operationId= with the token, each at most 2 s. */
  private async stopSingle(): Promise<void> {
    const token = this.singleToken;
    const running = this.ops.filter((o) => !o.done);
    for (const o of running) o.done = true;
    if (token === undefined || !this.singleLive) return;
    await Promise.allSettled(
      running.map(async (op) => {
        const u = new URL(this.options.url);
        u.searchParams.set('operationId', op.id);
        this.sink.frame('out', `stop ${label(op)} (DELETE operationId=${op.id})`, { control: true, channel: label(op), meta: { type: 'stop', id: op.id, method: 'DELETE', protocol: 'graphql-sse' } });
        const ac = new AbortController();
        const t = setTimeout(() => ac.abort(), 2000);
        try {
          const r = await this.singleRequest('DELETE', u.toString(), this.singleHeaders(token, '*/*'), undefined, ac.signal, 2000);
          r.message.resume();
        } finally {
          clearTimeout(t);
        }
      }),
    );
  }

  private httpFinished(): void {
    if (this.lc.ended) return;
    if (this.ops.every((o) => o.done)) {
      const results = this.ops.reduce((n, o) => n + o.results, 0);
      const reason = this.ops.length === 1 && this.lastStatus !== undefined ? `HTTP ${this.lastStatus}` : `${this.ops.length} operation${this.ops.length === 1 ? '' : 's'} done, ${results} result${results === 1 ? '' : 's'}`;
      if (this.lc.closing) return this.lc.finishClose();
      this.lc.end('closed', this.errorsSeen ? `${reason}, with errors` : reason, this.ops.length === 1 ? this.lastStatus : undefined);
    }
  }

  private async runHttpOperation(op: Operation, resubscribe = false): Promise<void> {
    const { options, sink } = this;
    const sse = op.type === 'subscription' || this.o.protocol === 'sse';
    op.sse = sse;
    const gen = this.sseGen;
    const get = !sse && this.o.httpMethod === 'GET';
    const headers: Record<string, string> = { accept: sse ? 'text/event-stream' : 'application/graphql-response+json, application/json;q=0.9', ...(options.headers ?? {}) };
    let url = options.url;
    let body: string | undefined;
    if (get) {
      const u = new URL(url);
      u.searchParams.set('query', op.query);
      if (op.variables) u.searchParams.set('variables', JSON.stringify(op.variables));
      if (op.operationName) u.searchParams.set('operationName', op.operationName);
      url = u.toString();
    } else {
      body = JSON.stringify(payloadOf(op));
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    const abort = new AbortController();
    op.abort = abort;
    const onStop = () => abort.abort();
    this.httpAbort.signal.addEventListener('abort', onStop, { once: true });
    let res: HttpResponse;
    try {
      res = await httpRequest({
        url,
        method: get ? 'GET' : 'POST',
        headers,
        body,
        tls: options.tls,
        connectTimeoutMs: options.connectTimeoutMs,
        responseTimeoutMs: options.responseTimeoutMs ?? RESPONSE_TIMEOUT_MS,
        signal: abort.signal,
        now: sink.now,
        onRequest: (sent) => {
          sink.frame('out', get ? op.query : (body ?? ''), { channel: label(op), meta: { method: sent.method, url: redactUrl(sent.url), headers: redactHeaders(sent.headers), id: op.id, operation: op.name, operationType: op.type, ...(sse ? { protocol: 'graphql-sse' } : {}), ...(resubscribe ? { resubscribe: true } : {}) } });
        },
        onConnected: () => {
          if (gen !== this.sseGen) return;
          if (!this.opened || this.lc.down) {
            this.opened = true;
            this.lc.opened(redactUrl(options.url), { protocol: sse ? 'graphql-sse' : 'http' });
          }
        },
      });
    } catch (err) {
      this.httpAbort.signal.removeEventListener('abort', onStop);
      // A stream of a connection set that already dropped: it is being sent again.
      if (sse && gen !== this.sseGen && !this.lc.stopped) return;
      if (this.lc.ended || this.lc.closing) {
        op.done = true;
        return this.httpFinished();
      }
      const d = err instanceof HttpClientError ? { message: err.message, code: err.code } : describeError(err, options.url);
      if (sse) return this.sseDropped(gen, d);
      op.done = true;
      this.lc.fail(d.message, d.code);
      this.httpAbort.abort();
      return;
    }
    this.lastStatus = res.status;
    const contentType = res.headers['content-type'] ?? '';
    try {
      if (sse && res.status < 300 && /text\/event-stream/i.test(contentType)) await this.readSse(op, res);
      else if (sse && res.status >= 500 && this.lc.down) {
        // A server on its way back (502, 503): one more failed attempt of the reconnection, not an answer.
        res.destroy();
        throw new HttpClientError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} while reconnecting the graphql-sse stream`, 'ERR_GRAPHQL_SSE_UNAVAILABLE');
      } else await this.readResult(op, res);
    } catch (err) {
      if (sse && gen !== this.sseGen && !this.lc.stopped) return;
      if (!this.lc.ended && !this.lc.closing && !op.done) {
        const d = err instanceof HttpClientError ? { message: err.message, code: err.code } : describeError(err, options.url);
        // A stream that drops (the server went away, the socket was cut) reconnects. One the server ended cleanly
        // without complete broke the protocol, and one too large would be again: those end the session.
        if (sse && d.code !== 'ERR_GRAPHQL_TOO_LARGE' && d.code !== 'ERR_GRAPHQL_STREAM_ENDED') return this.sseDropped(gen, d, label(op));
        op.done = true;
        this.lc.fail(`${label(op)}: ${d.message}`, d.code);
        this.httpAbort.abort();
        return;
      }
    } finally {
      this.httpAbort.signal.removeEventListener('abort', onStop);
    }
    op.done = true;
    this.httpFinished();
  }

  /**
   * A graphql-sse stream (distinct connections) dropped: through the shared lifecycle (a first connection fails at
   * once; later ones back off and reconnect), the other streams of the set are stopped, and after the delay every
   * running operation is sent again, said in a control frame.
   */
  private sseDropped(gen: number, d: { message: string; code?: string }, which?: string): void {
    if (gen !== this.sseGen || this.lc.stopped) return;
    this.sseGen++;
    for (const o of this.ops) if (o.sse && !o.done) o.abort?.abort();
    const cause = which && this.lc.everOpened ? `${which}: ${d.message}` : d.message;
    const plan = this.lc.dropped(cause, d.code ? { errorCode: d.code } : {});
    if (!plan.retry) {
      this.httpAbort.abort();
      return;
    }
    void this.lc.wait(plan.delayMs).then((go) => {
      if (!go) return;
      const running = this.ops.filter((o) => o.sse && !o.done);
      if (running.length === 0) return this.httpFinished();
      this.lc.connecting(redactUrl(this.options.url));
      this.announceResubscribe(running, 'graphql-sse');
      for (const o of running) void this.runHttpOperation(o, true);
    });
  }

  /** A plain HTTP response: one result (or a response that is not one, flagged). */
  private async readResult(op: Operation, res: HttpResponse): Promise<void> {
    const read = await res.readBody(this.maxBytes);
    this.sink.timing(res.phases(), { status: res.status, operation: op.name });
    const meta: Record<string, unknown> = { status: res.status, statusText: res.statusText, headers: res.headers, id: op.id, operation: op.name, operationType: op.type };
    const text = read.preview.toString('utf8');
    let errors: ReturnType<typeof errorList> | undefined;
    if (read.truncated) {
      errors = [{ message: `the response is larger than ${this.maxBytes} bytes (${read.size} bytes; --max-message-size)` }];
    } else {
      let parsed: unknown;
      let json = true;
      try {
        parsed = JSON.parse(text);
      } catch {
        json = false;
      }
      if (!json || !parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        errors = [{ message: `HTTP ${res.status}: the response is not a GraphQL result (${ctype(res)}${text.trim() ? `: ${oneLine(text)}` : ', empty'})` }];
      } else {
        errors = resultErrors(parsed);
        if (!errors && !('data' in parsed)) errors = [{ message: `HTTP ${res.status}: the response has neither data nor errors` }];
      }
    }
    if (errors) {
      meta.errors = errors;
      this.errorsSeen++;
    }
    op.results++;
    this.sink.frame('in', read.preview, { size: read.size, channel: label(op), meta });
  }

  /** graphql-sse (distinct connections): `next` events are results, `complete` ends the operation. */
  private async readSse(op: Operation, res: HttpResponse): Promise<void> {
    const { sink } = this;
    sink.timing(res.phases(), { status: res.status, operation: op.name, stream: true });
    sink.frame('in', `event stream open (HTTP ${res.status}) for ${label(op)}`, { control: true, channel: label(op), meta: { packet: 'stream', status: res.status, headers: res.headers, id: op.id, protocol: 'graphql-sse' } });
    let completed = false;
    // Bytes since the last whole event: a stream that never ends an event cannot grow without bound.
    let pending = 0;
    const parser = new SseParser({
      event: (e) => {
        pending = 0;
        if (completed) return;
        if (e.type === 'next') {
          this.result(op, e.data, { protocol: 'graphql-sse' });
        } else if (e.type === 'complete') {
          completed = true;
          sink.frame('in', `complete ${label(op)} (by the server)`, { control: true, channel: label(op), meta: { type: 'complete', id: op.id, protocol: 'graphql-sse' } });
        } else {
          sink.frame('in', `unexpected event "${oneLine(e.type, 40)}" on the graphql-sse stream: ${oneLine(e.data)}`, { control: true, channel: label(op), meta: { type: e.type, id: op.id, protocol: 'graphql-sse', invalid: true } });
        }
      },
    });
    for await (const chunk of res) {
      pending += chunk.length;
      parser.push(chunk);
      if (completed) break;
      if (pending > this.maxBytes) throw new HttpClientError(`a graphql-sse event larger than ${this.maxBytes} bytes (--max-message-size)`, 'ERR_GRAPHQL_TOO_LARGE');
    }
    if (completed) {
      res.destroy();
      return;
    }
    if (this.lc.closing || this.lc.ended || op.done) return;
    throw new HttpClientError(`the graphql-sse stream ended without complete (after ${op.results} result${op.results === 1 ? '' : 's'})`, 'ERR_GRAPHQL_STREAM_ENDED');
  }

  // ---------- Results ----------

  /**
   * After a reconnect, before the running operations are sent again: with resumeVariable, each subscription that
   * had a result takes resumeField's value from its last one as that variable, so it resumes after it (one that had
   * none starts where it started). One control line says what is re-sent, and from where.
   */
  private announceResubscribe(running: Operation[], protocol?: string): void {
    const variable = this.o.resumeVariable;
    const resumed: Record<string, string | number> = {};
    for (const op of running) {
      if (!variable || op.type !== 'subscription' || op.resumeValue === undefined) continue;
      op.variables = { ...(op.variables ?? {}), [variable]: op.resumeValue };
      resumed[label(op)] = op.resumeValue;
    }
    const what = running.map((o) => (label(o) in resumed ? `${label(o)} with ${variable} = ${JSON.stringify(resumed[label(o)])}` : label(o))).join(', ');
    this.sink.frame('out', `re-subscribing ${running.length} operation${running.length === 1 ? '' : 's'} after the reconnect: ${what}`, {
      control: true,
      meta: { type: 'resubscribe', operations: running.map(label), ...(variable && Object.keys(resumed).length ? { resumed: { variable, values: resumed } } : {}), ...(protocol ? { protocol } : {}) },
    });
  }

  /** resumeField's value in a subscription's result, kept for a reconnect; a result without it is said once. */
  private keepResumeValue(op: Operation, parsed: unknown): void {
    if (!this.resumePath || op.type !== 'subscription') return;
    const v = getAtPath(parsed, this.resumePath);
    if (typeof v === 'number' || typeof v === 'string') {
      op.resumeValue = v;
      return;
    }
    if (op.resumeMissSaid) return;
    op.resumeMissSaid = true;
    this.sink.frame('in', `--resume-field ${this.o.resumeField} is not a string or number in this result of ${label(op)}: after a reconnect it resumes from the last value found${op.resumeValue === undefined ? ' (none yet: from where it started)' : ''}`, {
      control: true,
      channel: label(op),
      meta: { type: 'resume-field-missing', id: op.id, resumeField: this.o.resumeField },
    });
  }

  /** One result: an `in` frame, flagged when it has errors. */
  private result(op: Operation, json: string, meta: Record<string, unknown>, parsedAlready?: { value: unknown }): void {
    // Once the session is closing (--count reached, the user closed) the operations are being stopped: later results are not shown.
    if (this.lc.stopped) return;
    let parsed: unknown = parsedAlready?.value;
    let ok = true;
    if (!parsedAlready) {
      try {
        parsed = JSON.parse(json);
      } catch {
        ok = false;
      }
    }
    const m: Record<string, unknown> = { ...meta, id: op.id, operation: op.name, operationType: op.type };
    const errors = ok ? resultErrors(parsed) : [{ message: `the result is not JSON: ${oneLine(json)}` }];
    if (errors) {
      m.errors = errors;
      this.errorsSeen++;
    }
    op.results++;
    this.sink.frame('in', json, { channel: label(op), meta: m });
    if (ok) this.keepResumeValue(op, parsed);
  }

  // ---------- WebSocket: graphql-transport-ws and graphql-ws ----------

  private subprotocols(): WsProtocol[] {
    if (this.only) return [this.only];
    const p = this.o.protocol ?? 'auto';
    return p === 'auto' || p === 'sse' || p === 'sse-single' ? ['graphql-transport-ws', 'graphql-ws'] : [p];
  }

  private connect(fallback = false): void {
    const { options, sink } = this;
    if (!fallback) this.lc.connecting(redactUrl(options.url));
    this.wsProtocol = undefined;
    this.acked = false;
    this.invalid = 0;
    this.firstInvalid = '';
    this.dropCause = undefined;
    const timing = new RequestTiming(sink.now);
    let handshake: IncomingMessage | undefined;
    let failure: { message: string; code?: string } | undefined;
    let ws: WebSocket;
    try {
      ws = new WebSocket(options.url, this.subprotocols(), {
        headers: options.headers,
        handshakeTimeout: options.connectTimeoutMs ?? 10_000,
        followRedirects: false,
        maxPayload: this.maxBytes,
        ...nodeTlsOptions(options.tls),
        finishRequest: (req: ClientRequest) => {
          timing.attach(req);
          req.end();
        },
      });
    } catch (err) {
      const d = describeError(err, options.url);
      return this.lc.fail(d.message, d.code);
    }
    this.ws = ws;
    ws.on('upgrade', (res) => {
      timing.markFirstByte();
      handshake = res;
    });
    ws.on('unexpected-response', (req, res) => {
      timing.markFirstByte();
      timing.markEnd();
      sink.timing(timing.phases(), { handshake: true, status: res.statusCode });
      failure = { message: `WebSocket handshake rejected: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim(), code: 'ERR_WS_HANDSHAKE' };
      sink.error(failure.message, failure.code);
      res.resume();
      req.destroy();
      ws.terminate();
    });
    ws.on('open', () => {
      timing.markEnd();
      sink.timing(timing.phases(), { handshake: true, status: handshake?.statusCode ?? 101 });
      const picked = ws.protocol;
      let proto: WsProtocol;
      if (picked === 'graphql-transport-ws' || picked === 'graphql-ws') proto = picked;
      else {
        proto = this.subprotocols()[0];
        sink.frame('in', `the server picked no subprotocol${picked ? ` ("${picked}")` : ''}: speaking ${proto}`, { control: true, meta: { type: 'subprotocol', protocol: proto, picked: picked || null } });
      }
      this.wsProtocol = proto;
      if (this.paused) ws.pause();
      const init: Record<string, unknown> = { type: 'connection_init' };
      if (this.o.initPayload) init.payload = this.o.initPayload;
      this.sendJson(ws, init);
      sink.frame('out', `connection_init${maskedPayload(this.o.initPayload)} (${proto})`, { control: true, meta: { type: 'connection_init', protocol: proto, ...(this.o.initPayload ? { payloadKeys: Object.keys(this.o.initPayload) } : {}) } });
      const wait = this.o.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
      this.ackTimer = setTimeout(() => {
        this.dropCause = {
          message: `no connection_ack within ${wait} ms${this.invalid ? ` (the server sent ${this.invalid} message${this.invalid === 1 ? '' : 's'} that ${this.invalid === 1 ? 'is' : 'are'} not ${proto} messages, first: ${this.firstInvalid})` : ''}`,
          code: 'ERR_GRAPHQL_NO_ACK',
        };
        ws.terminate();
      }, wait);
    });
    ws.on('message', (data: Buffer, isBinary) => this.onMessage(ws, data, isBinary));
    ws.on('error', (err) => {
      if (failure || this.lc.closing) return;
      if (/max payload/i.test(err.message)) {
        // ws closes with 1009; the close handler reports it as the cause.
        this.dropCause = { message: `a message larger than ${this.maxBytes} bytes (--max-message-size)`, code: 'ERR_GRAPHQL_TOO_LARGE' };
        return;
      }
      failure = describeError(err, options.url);
      sink.error(failure.message, failure.code);
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.ws !== ws) return;
      clearTimeout(this.ackTimer);
      this.ws = undefined;
      const reason = reasonBuf.toString('utf8');
      if (code !== 1006) sink.frame('in', reasonBuf, { control: true, meta: { opcode: 8, code, reason } });
      if (this.lc.closing) return this.lc.end('closed', this.lc.closeReason ?? 'closed by user', code);
      // auto: a server that picks the first subprotocol offered and then refuses it (1002, or graphql-ws's
      // 4406) gets the other one alone, once, before anything is said to have failed.
      const refused = this.wsProtocol;
      if (!this.acked && (code === 1002 || code === 4406) && (this.o.protocol ?? 'auto') === 'auto' && !this.only && refused) {
        this.only = refused === 'graphql-transport-ws' ? 'graphql-ws' : 'graphql-transport-ws';
        sink.frame('in', `the server refused ${refused} (close ${code}): trying ${this.only} alone`, { control: true, meta: { type: 'subprotocol', refused, code, protocol: this.only } });
        return this.connect(true);
      }
      if (this.ops.length > 0 && this.ops.every((o) => o.done) && this.acked && !this.dropCause) {
        return this.lc.end('closed', this.errorsSeen ? 'all operations complete, with errors' : 'all operations complete', code === 1006 ? undefined : code);
      }
      const forced = this.dropCause;
      this.dropCause = undefined;
      const initRejected = !this.acked && !forced && !failure && code !== 1006;
      const cause = forced?.message ?? failure?.message ?? (code === 1006 ? 'connection lost (1006, no close frame)' : `${initRejected ? 'connection_init rejected: ' : ''}closed by server: ${code}${reason ? ' ' + reason : ''}`);
      const errorCode = forced?.code ?? failure?.code ?? (initRejected ? 'ERR_GRAPHQL_INIT_REJECTED' : undefined);
      // A message over the limit would come again on a new connection: it ends the session, as gRPC's RESOURCE_EXHAUSTED does.
      if (forced?.code === 'ERR_GRAPHQL_TOO_LARGE') return this.lc.fail(forced.message, forced.code, false, code === 1006 ? undefined : code);
      if (forced && this.acked) sink.error(forced.message, forced.code);
      const closeCode = code === 1006 ? undefined : code;
      const plan = this.lc.dropped(cause, { reported: failure !== undefined || (forced !== undefined && this.acked), errorCode, closeCode, meta: closeCode !== undefined ? { code: closeCode } : undefined });
      if (plan.retry) void this.lc.wait(plan.delayMs).then((go) => go && this.connect());
    });
  }

  private sendJson(ws: WebSocket, msg: Record<string, unknown>): void {
    ws.send(JSON.stringify(msg));
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    const { sink } = this;
    const proto = this.wsProtocol ?? 'graphql-transport-ws';
    let msg: { type?: unknown; id?: unknown; payload?: unknown } | undefined;
    let text = '';
    if (!isBinary) {
      try {
        text = data.toString('utf8');
        const v: unknown = JSON.parse(text);
        if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string') msg = v as typeof msg;
      } catch {
        msg = undefined;
      }
    }
    if (!msg) {
      this.invalid++;
      const shown = isBinary ? `${data.length} binary bytes` : `"${oneLine(data.toString('utf8'), 60)}"`;
      if (this.invalid === 1) this.firstInvalid = shown;
      sink.frame('in', data, { control: true, ...(isBinary ? { binary: true } : {}), meta: { invalid: `not a ${proto} message`, protocol: proto } });
      if (this.invalid === 1) sink.error(`the server sent a message that is not a ${proto} message: ${shown}`, 'ERR_GRAPHQL_PROTOCOL');
      return;
    }
    const type = msg.type as string;
    const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? String(msg.id) : undefined;
    const op = id !== undefined ? this.ops.find((o) => o.id === id) : undefined;
    const control = (text: string, extra: Record<string, unknown> = {}) => sink.frame('in', text, { control: true, ...(op ? { channel: label(op) } : {}), meta: { type, protocol: proto, ...(id !== undefined ? { id } : {}), ...extra } });
    switch (type) {
      case 'connection_ack': {
        clearTimeout(this.ackTimer);
        control('connection_ack', msg.payload !== undefined && msg.payload !== null ? { payload: msg.payload } : {});
        if (this.acked) return;
        this.acked = true;
        const reconnected = this.lc.down;
        this.lc.opened(redactUrl(this.options.url), { protocol: proto, status: 101 });
        const running = this.ops.filter((o) => !o.done);
        if (reconnected && running.length) this.announceResubscribe(running);
        for (const o of running) this.subscribe(ws, o, reconnected);
        if (this.paused) ws.pause();
        return;
      }
      case 'connection_error':
        control(`connection_error: ${errorLine(errorList(msg.payload ?? 'connection refused')[0])}`, { errors: errorList(msg.payload ?? 'connection refused') });
        this.dropCause = { message: `connection_init rejected: ${errorLine(errorList(msg.payload ?? 'connection refused')[0])}`, code: 'ERR_GRAPHQL_INIT_REJECTED' };
        ws.terminate();
        return;
      case 'ka':
        control('keep-alive (ka)');
        return;
      case 'ping':
        control('ping', msg.payload !== undefined ? { payload: msg.payload } : {});
        if (proto === 'graphql-transport-ws' && ws.readyState === WebSocket.OPEN) {
          this.sendJson(ws, { type: 'pong' });
          sink.frame('out', 'pong', { control: true, meta: { type: 'pong', protocol: proto } });
        }
        return;
      case 'pong':
        control('pong');
        return;
      case 'next':
      case 'data': {
        if (!op) {
          control(`${type} for an unknown operation id ${id ?? '(none)'}`, { invalid: 'unknown id' });
          return;
        }
        this.result(op, payloadText(text, msg), { type, protocol: proto }, { value: msg.payload });
        return;
      }
      case 'error': {
        const errors = errorList(msg.payload ?? 'error');
        this.errorsSeen++;
        control(`error${op ? ` in ${label(op)}` : ''}: ${errors.map(errorLine).join('; ')}`, { errors });
        if (op) {
          op.done = true;
          this.maybeAllDone(ws);
        }
        return;
      }
      case 'complete': {
        control(`complete ${op ? label(op) : (id ?? '')} (by the server)`);
        if (op) {
          op.done = true;
          this.maybeAllDone(ws);
        }
        return;
      }
      default:
        control(`unknown ${proto} message type "${oneLine(type, 40)}"`, { invalid: 'unknown type' });
    }
  }

  private subscribe(ws: WebSocket, op: Operation, again = false): void {
    const proto = this.wsProtocol ?? 'graphql-transport-ws';
    const type = proto === 'graphql-transport-ws' ? 'subscribe' : 'start';
    this.sendJson(ws, { id: op.id, type, payload: payloadOf(op) });
    this.sink.frame('out', JSON.stringify(payloadOf(op)), { channel: label(op), meta: { type, protocol: proto, id: op.id, operation: op.name, operationType: op.type, ...(again ? { resubscribe: true } : {}) } });
  }

  /** The server ended every operation: say goodbye and close. */
  private maybeAllDone(ws: WebSocket): void {
    if (!this.ops.every((o) => o.done) || this.lc.closing) return;
    if (this.wsProtocol === 'graphql-ws' && ws.readyState === WebSocket.OPEN) {
      this.sendJson(ws, { type: 'connection_terminate' });
      this.sink.frame('out', 'connection_terminate', { control: true, meta: { type: 'connection_terminate', protocol: 'graphql-ws' } });
    }
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'all operations complete');
    const t = setTimeout(() => ws.terminate(), 2000);
    t.unref?.();
  }

  /** Stop the running operations (complete / stop) on an open socket. */
  private stopAll(ws: WebSocket): void {
    const proto = this.wsProtocol ?? 'graphql-transport-ws';
    for (const op of this.ops) {
      if (op.done) continue;
      op.done = true;
      const type = proto === 'graphql-transport-ws' ? 'complete' : 'stop';
      this.sendJson(ws, { id: op.id, type });
      this.sink.frame('out', `${type} ${label(op)}`, { control: true, channel: label(op), meta: { type, protocol: proto, id: op.id } });
    }
    if (proto === 'graphql-ws') {
      this.sendJson(ws, { type: 'connection_terminate' });
      this.sink.frame('out', 'connection_terminate', { control: true, meta: { type: 'connection_terminate', protocol: proto } });
    }
  }

  // ---------- Transport ----------

  async send(msg: OutboundMessage): Promise<void> {
    const text = typeof msg.data === 'string' ? msg.data : Buffer.from(msg.data).toString('utf8');
    let op: Operation;
    try {
      op = this.operation(text);
    } catch (err) {
      throw new Error((err as Error).message, { cause: err });
    }
    if (this.mode === 'ws') {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN || !this.acked) throw new Error('The GraphQL WebSocket is not open (no connection_ack yet)');
      this.ops.push(op);
      this.subscribe(ws, op);
      return;
    }
    if (this.lc.stopped) throw new Error('The session has ended');
    this.ops.push(op);
    if (this.o.protocol === 'sse-single') {
      op.sse = true;
      // On a live stream it is POSTed now; otherwise it goes with the running ones after the reconnect.
      if (this.singleLive) void this.postSingle(op);
      return;
    }
    void this.runHttpOperation(op);
  }

  pause(): void {
    this.paused = true;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.resume();
  }

  reconnect(): void {
    if (this.mode === 'ws') this.lc.requestReconnect(() => this.ws?.terminate());
    else if (this.o.protocol === 'sse-single') this.lc.requestReconnect(() => this.singleAbort?.abort());
    else if (this.ops.some((o) => o.sse && !o.done)) this.lc.requestReconnect(() => this.ops.forEach((o) => o.sse && !o.done && o.abort?.abort()));
  }

  private teardown(): void {
    clearTimeout(this.ackTimer);
    this.httpAbort.abort();
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }

  close(reason?: string): Promise<void> {
    return this.lc.close(reason, () => {
      if (this.mode === 'http' && this.o.protocol === 'sse-single') {
        this.singleClosing = true;
        void this.stopSingle().finally(() => {
          this.singleClosing = false;
          this.httpAbort.abort();
          this.singleAbort?.abort();
          if (!this.lc.ended) this.lc.finishClose();
        });
        return;
      }
      if (this.mode === 'http') {
        for (const op of this.ops) {
          if (!op.done && op.type === 'subscription') this.sink.frame('out', `stop ${label(op)} (closing its event stream)`, { control: true, channel: label(op), meta: { type: 'stop', id: op.id, protocol: 'graphql-sse' } });
        }
        this.httpAbort.abort();
        if (this.ops.every((o) => o.done)) return this.lc.finishClose();
        // Otherwise each aborted operation finishes and the last one reports the close (a backstop in case one hangs).
        const t = setTimeout(() => this.lc.finishClose(), 2000);
        t.unref?.();
        return;
      }
      const ws = this.ws;
      if (!ws) return this.lc.finishClose();
      if (ws.readyState === WebSocket.OPEN) {
        if (this.acked) this.stopAll(ws);
        const why = (reason ?? '').slice(0, 120);
        ws.close(1000, why);
        const t = setTimeout(() => ws.terminate(), 2000);
        t.unref?.();
      } else ws.terminate();
    });
  }
}

/**
 * The result's JSON as the server wrote it, without serialising it again: graphql-ws and subscriptions-transport-ws
 * both write `{"id":…,"type":…,"payload":…}` with the payload last, so it is the text between `,"payload":` and the
 * final brace. Anything else (other key orders, spaces) is written from the parsed value.
 */
export function payloadText(message: string, parsed: { payload?: unknown }): string {
  const at = message.indexOf(',"payload":');
  let lastKey: string | undefined;
  for (const k in parsed) lastKey = k;
  if (at > 0 && lastKey === 'payload' && message.charCodeAt(message.length - 1) === 125 /* } */ && message.startsWith('{"') && message.indexOf('"payload"') === at + 1) {
    const head = message.slice(0, at);
    // The part before the payload holds only the id and the type: no nested value that could hide another key.
    if (!head.includes('{', 1) && !head.includes('[')) return message.slice(at + 11, -1);
  }
  return JSON.stringify(parsed.payload ?? null);
}

function oneLine(text: string, max = 120): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function ctype(res: HttpResponse): string {
  return res.headers['content-type'] ? res.headers['content-type'].split(';')[0] : 'no Content-Type';
}

