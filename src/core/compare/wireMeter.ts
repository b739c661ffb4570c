/**
 * Wire-level accounting per session, measured at the socket: every TCP connection a session opens
 * (or accepts, for a webhook receiver) is counted with the bytes its TCP handle read and wrote, so
 * HTTP headers, WebSocket and MQTT framing and TLS records are all included. Payload sizes are not used.
 *
 * How sockets are attributed without touching the transports: a session is started inside
 * `meter.run(name, fn)`, an AsyncLocalStorage context that follows everything the session does
 * (timers, promises, socket callbacks, reconnects). An async_hooks `init` hook sees every TCP handle
 * (`TCPWRAP`) created in that context; its byte counters are the kernel-side counts (for TLS, the
 * handle below the TLS layer, so ciphertext and handshake records). The counters are read on every
 * callback of the handle and when its owning socket closes (after that Node frees the handle).
 * HTTP requests are counted from the `http.client.request.start` / `http.server.request.start`
 * diagnostics channels in the same context (a client request once it has been sent in full), and from
 * the channel of Wirescope's own clients (`STREAM_REQUEST_SENT_CHANNEL`: the stream client that sse uses, and every
 * HTTP/2 stream, gRPC calls included).
 */
import { AsyncLocalStorage, createHook, type AsyncHook } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import { STREAM_REQUEST_SENT_CHANNEL } from '../streamClient';

/** What one session put on the wire so far. */
export interface WireCounts {
  bytesIn: number;
  bytesOut: number;
  /** TCP connections opened or accepted (each connect attempt counts). */
  connections: number;
  /** HTTP requests made (client) or received (webhook receiver), WebSocket upgrades and HTTP/2 streams (each gRPC call) included. */
  requests: number;
}

interface Handle {
  counts: Account;
  /** The TCP handle: bytesRead/bytesWritten are read from it while it lives. */
  res: { bytesRead?: unknown; bytesWritten?: unknown } | undefined;
  read: number;
  written: number;
}

class Account {
  readonly handles: Handle[] = [];
  requests = 0;

  totals(): WireCounts {
    let bytesIn = 0;
    let bytesOut = 0;
    for (const h of this.handles) {
      refresh(h);
      bytesIn += h.read;
      bytesOut += h.written;
    }
    return { bytesIn, bytesOut, connections: this.handles.length, requests: this.requests };
  }
}

function refresh(h: Handle): void {
  const res = h.res;
  if (!res) return;
  // The counters only grow; once Node has freed the handle they read 0, so keep the largest seen.
  const r = res.bytesRead;
  const w = res.bytesWritten;
  if (typeof r === 'number' && r > h.read) h.read = r;
  if (typeof w === 'number' && w > h.written) h.written = w;
}

const als = new AsyncLocalStorage<Account>();
const byAsyncId = new Map<number, Handle>();
let users = 0;
let hook: AsyncHook | undefined;
let ownerSymbol: symbol | undefined;

function ownerOf(res: object): { prependListener?: (ev: string, fn: () => void) => void } | undefined {
  if (!ownerSymbol && Object.getOwnPropertySymbols(res).length === 0) return undefined;
  if (!ownerSymbol) ownerSymbol = Object.getOwnPropertySymbols(res).find((s) => s.description === 'owner_symbol');
  return ownerSymbol ? (res as Record<symbol, { prependListener?: (ev: string, fn: () => void) => void }>)[ownerSymbol] : undefined;
}

/** Count one TCP handle under `account`; its final counts are read when its owning socket closes. */
function track(account: Account, asyncId: number, res: Handle['res'] & object): void {
  if (byAsyncId.has(asyncId)) return;
  const h: Handle = { counts: account, res, read: 0, written: 0 };
  account.handles.push(h);
  byAsyncId.set(asyncId, h);
  // The owning socket is attached right after the handle is made: read the final counts on its
  // close (the last moment they are valid).
  const watch = (): void => {
    const owner = ownerOf(res);
    // A TLS socket reads through its TLS handle, whose callbacks (not the TCP handle's) reach JS: refresh on those too.
    const tlsHandle = (owner as { _handle?: { getAsyncId?: () => number } } | undefined)?._handle;
    if (tlsHandle && tlsHandle !== res && typeof tlsHandle.getAsyncId === 'function') byAsyncId.set(tlsHandle.getAsyncId(), h);
    if (owner && typeof owner.prependListener === 'function') {
      owner.prependListener('close', () => {
        refresh(h);
        h.res = undefined;
        byAsyncId.delete(asyncId);
      });
    }
  };
  if (ownerOf(res)) watch();
  else process.nextTick(watch);
}

/**
 * A connection accepted by a server the session started (a webhook receiver): its handle is made
 * outside the session's context, but the server's connection callback runs inside it.
 */
const onServerSocket = (message: unknown): void => {
  const account = als.getStore();
  const socket = (message as { socket?: { _handle?: (object & { getAsyncId?: () => number }) | null } }).socket;
  const handle = socket?._handle;
  if (!account || !handle || typeof handle.getAsyncId !== 'function') return;
  track(account, handle.getAsyncId(), handle as Handle['res'] & object);
};

/** A request counts once it has been handed to the socket in full (one aborted before connecting never reached the server). */
const onClientRequest = (message: unknown): void => {
  const a = als.getStore();
  const req = (message as { request?: { once?: (ev: string, fn: () => void) => void } }).request;
  if (a && typeof req?.once === 'function') req.once('finish', () => a.requests++);
};
const onStreamRequest = (): void => {
  const a = als.getStore();
  if (a) a.requests++;
};
const onServerRequest = (): void => {
  const a = als.getStore();
  if (a) a.requests++;
};

function enable(): void {
  if (users++ > 0) return;
  hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (type !== 'TCPWRAP') return;
      const account = als.getStore();
      if (account) track(account, asyncId, resource as Handle['res'] & object);
    },
    before(asyncId) {
      const h = byAsyncId.get(asyncId);
      if (h) refresh(h);
    },
    destroy(asyncId) {
      const h = byAsyncId.get(asyncId);
      if (!h) return;
      h.res = undefined;
      byAsyncId.delete(asyncId);
    },
  });
  hook.enable();
  dc.subscribe('http.client.request.start', onClientRequest);
  dc.subscribe('http.server.request.start', onServerRequest);
  dc.subscribe(STREAM_REQUEST_SENT_CHANNEL, onStreamRequest);
  dc.subscribe('net.server.socket', onServerSocket);
}

function disable(): void {
  if (--users > 0) return;
  hook?.disable();
  hook = undefined;
  dc.unsubscribe('http.client.request.start', onClientRequest);
  dc.unsubscribe('http.server.request.start', onServerRequest);
  dc.unsubscribe(STREAM_REQUEST_SENT_CHANNEL, onStreamRequest);
  dc.unsubscribe('net.server.socket', onServerSocket);
  byAsyncId.clear();
}

/** One account per session; `run` starts the session inside it. Call `dispose()` when the race is over. */
export class WireMeter {
  private readonly accounts = new Map<string, Account>();
  private disposed = false;

  constructor() {
    enable();
  }

  /** Run `fn` (a session's start) so that everything it opens is counted under `name`. */
  run<T>(name: string, fn: () => T): T {
    let a = this.accounts.get(name);
    if (!a) {
      a = new Account();
      this.accounts.set(name, a);
    }
    return als.run(a, fn);
  }

  /** Counts so far (final once the session's sockets have closed). */
  counts(name: string): WireCounts {
    return this.accounts.get(name)?.totals() ?? { bytesIn: 0, bytesOut: 0, connections: 0, requests: 0 };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Freeze the counts: later reads return what was seen.
    for (const a of this.accounts.values()) for (const h of a.handles) {
      refresh(h);
      h.res = undefined;
    }
    disable();
  }
}
