import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Feed, FeedEvent } from './feed';
import type { DemoUrls } from './demoBackend';
import { demoProfiles } from './demoProfiles';
import { DEMO_FEED_PROTO } from './grpcProto';

/** Settings the HTTP routes need; all times in ms. */
export interface HttpRouteOptions {
  feed: Feed;
  /** How long a job of `/jobs` runs before it is done. */
  jobMs: number;
  /** Default and cap of the long-poll hold. */
  longPollWaitMs: number;
  longPollMaxWaitMs: number;
  /** `retry:` sent to SSE clients. */
  sseRetryMs: number;
  /** Comment lines keep SSE and stream connections alive through proxies. */
  keepAliveMs: number;
  /** Every URL, for the index page; undefined while the demo is still starting its other sides (MQTT, gRPC…). */
  index: () => Record<string, string> | undefined;
  /** What the index's webhook profile puts in `hmac.secret` (a `${env:NAME}` reference), if anything. */
  webhookSecretRef?: string;
}

interface Item {
  id: number;
  createdAt: number;
  updatedAt: number;
  [field: string]: unknown;
}

interface Job {
  id: string;
  createdAt: number;
  doneAt: number;
}

const BODY_LIMIT = 1024 * 1024;
/** Bytes queued for one streaming client past which it is dropped (SSE clients resume with Last-Event-ID). */
const SLOW_CLIENT_BYTES = 8 * 1024 * 1024;
const MAX_JOBS = 1000;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message }, headers);
}

/** Read a JSON object body; resolves undefined after answering the client itself on a bad body. */
async function readJsonObject(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > BODY_LIMIT) {
      sendError(res, 413, `Body larger than ${BODY_LIMIT} bytes`);
      req.destroy();
      return undefined;
    }
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    sendError(res, 400, 'The body must be a JSON object');
  } catch {
    sendError(res, 400, 'The body is not valid JSON');
  }
  return undefined;
}

/** A non-negative integer query parameter, `undefined` when absent, NaN when malformed. */
function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
}

/** Demo HTTP routes over one feed: REST items, SSE, short and long polling, streaming, async jobs. */
export class HttpRoutes {
  private readonly items = new Map<number, Item>();
  private nextItemId = 1;
  private readonly jobs = new Map<string, Job>();
  private nextJobId = 1;
  private readonly startedAt = Date.now();
  /** Open streaming responses, ended on close(). */
  private readonly open = new Set<ServerResponse>();
  private readonly cleanups = new Set<() => void>();

  constructor(private readonly o: HttpRouteOptions) {
    const now = Date.now();
    for (const name of ['first item', 'second item']) {
      const id = this.nextItemId++;
      this.items.set(id, { id, name, createdAt: now, updatedAt: now });
    }
  }

  /** The REST resource's items (the GraphQL side's `items` query). */
  listItems(): Item[] {
    return [...this.items.values()];
  }

  /** Answer one request. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch(() => {
      if (!res.headersSent) sendError(res, 500, 'Internal error');
      else res.destroy();
    });
  }

  /** End every held or streaming response (server shutdown). */
  close(): void {
    for (const c of [...this.cleanups]) c();
    for (const r of this.open) r.destroy();
    this.open.clear();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/') return this.index(req, res, url);
    if (path === '/items' || path.startsWith('/items/')) return this.itemsRoute(req, res, path, method);
    if (path === '/jobs' || path.startsWith('/jobs/')) return this.jobsRoute(req, res, path, method);
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, `${method} is not allowed on ${path}`, { allow: 'GET' });
    switch (path) {
      case '/sse':
        return this.sse(req, res, url);
      case '/poll':
        return this.poll(req, res);
      case '/long-poll':
        return this.longPoll(req, res, url);
      case '/stream':
        return this.stream(req, res, url);
      case '/grpc/feed.proto':
        return sendText(res, DEMO_FEED_PROTO);
      default:
        return sendError(res, 404, `No route ${path}; GET / lists every route`);
    }
  }

  private index(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const urls = this.o.index();
    // Until every side listens the index would list some URLs and not others (npm start lays out its profiles from
    // the first answer): it says the demo is starting instead.
    if (!urls) return sendError(res, 503, 'The demo backend is starting; ask again in a moment', { 'retry-after': '1' });
    const wantsJson = url.searchParams.get('format') === 'json' || /application\/json/.test(req.headers.accept ?? '');
    // `profiles` is what `npm start` lays out in its workspace: one per pattern, defined once in demoProfiles.ts.
    if (wantsJson) return sendJson(res, 200, { name: 'wirescope demo backend', urls, profiles: demoProfiles(urls as unknown as DemoUrls, { webhookSecret: this.o.webhookSecretRef }) });
    const width = Math.max(...Object.keys(urls).map((k) => k.length));
    const lines = ['Wirescope demo backend: one live feed over every pattern.', ''];
    for (const [k, v] of Object.entries(urls)) lines.push(`${k.padEnd(width)}  ${v}`);
    const text = lines.join('\n') + '\n';
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async itemsRoute(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    if (path === '/items') {
      if (method === 'GET' || method === 'HEAD') return sendJson(res, 200, [...this.items.values()]);
      if (method === 'POST') {
        const body = await readJsonObject(req, res);
        if (!body) return;
        const now = Date.now();
        const id = this.nextItemId++;
        const item: Item = { ...body, id, createdAt: now, updatedAt: now };
        this.items.set(id, item);
        return sendJson(res, 201, item, { location: `/items/${id}` });
      }
      return sendError(res, 405, `${method} is not allowed on /items`, { allow: 'GET, POST' });
    }
    const m = /^\/items\/(\d{1,15})$/.exec(path);
    const item = m ? this.items.get(Number(m[1])) : undefined;
    if (!m || !item) return sendError(res, 404, `No item ${path.slice('/items/'.length)}`);
    switch (method) {
      case 'GET':
      case 'HEAD':
        return sendJson(res, 200, item);
      case 'PUT':
      case 'PATCH': {
        const body = await readJsonObject(req, res);
        if (!body) return;
        // PUT replaces the fields, PATCH merges them; the id and creation time stay.
        const base = method === 'PUT' ? {} : item;
        const next: Item = { ...base, ...body, id: item.id, createdAt: item.createdAt, updatedAt: Date.now() };
        this.items.set(item.id, next);
        return sendJson(res, 200, next);
      }
      case 'DELETE':
        this.items.delete(item.id);
        res.writeHead(204).end();
        return;
      default:
        return sendError(res, 405, `${method} is not allowed on ${path}`, { allow: 'GET, PUT, PATCH, DELETE' });
    }
  }

  /** Keep a response open until the client or the server ends it. */
  private hold(res: ServerResponse, cleanup: () => void): void {
    this.open.add(res);
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.open.delete(res);
      this.cleanups.delete(end);
      cleanup();
    };
    this.cleanups.add(end);
    res.on('close', end);
  }

  private sse(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const header = req.headers['last-event-id'];
    const raw = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('lastEventId') ?? '';
    const lastId = /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
    const limit = intParam(url, 'limit');
    if (Number.isNaN(limit)) return sendError(res, 400, 'limit must be a non-negative integer');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: ${this.o.sseRetryMs}\n\n`);
    let sent = 0;
    const write = (e: FeedEvent) => {
      res.write(`id: ${e.seq}\nevent: tick\ndata: ${JSON.stringify(e)}\n\n`);
      // `limit` lets people watch a client reconnect with Last-Event-ID.
      if (limit !== undefined && ++sent >= limit) res.end();
    };
    if (lastId !== undefined) {
      const missed = this.o.feed.since(lastId);
      if (missed.length > 0 && missed[0].seq > lastId + 1) res.write(`: history starts at ${missed[0].seq}; ${missed[0].seq - lastId - 1} events are gone\n\n`);
      for (const e of missed) {
        if (res.writableEnded) break;
        write(e);
      }
    }
    if (res.writableEnded) return;
    const unsubscribe = this.o.feed.subscribe((e) => {
      if (res.writableEnded) return;
      if (res.writableLength > SLOW_CLIENT_BYTES) res.destroy();
      else write(e);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), this.o.keepAliveMs);
    keepAlive.unref?.();
    this.hold(res, () => {
      unsubscribe();
      clearInterval(keepAlive);
    });
  }

  /** The latest state, for short polling: validators, change time in a field and a header. */
  private poll(req: IncomingMessage, res: ServerResponse): void {
    const latest = this.o.feed.latest;
    const changedAt = latest?.at ?? this.startedAt;
    const etag = `"${latest?.seq ?? 0}"`;
    const lastModified = new Date(changedAt).toUTCString();
    const headers = { etag, 'last-modified': lastModified, 'x-changed-at': String(changedAt), 'cache-control': 'no-cache' };
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    let notModified = false;
    if (inm !== undefined) notModified = inm.split(',').some((t) => t.trim() === etag || t.trim() === '*');
    else if (ims !== undefined) {
      const since = Date.parse(ims);
      // HTTP dates have whole seconds; compare at that resolution.
      notModified = !Number.isNaN(since) && Math.floor(changedAt / 1000) * 1000 <= since;
    }
    if (notModified) {
      res.writeHead(304, headers).end();
      return;
    }
    const body = latest ? { ...latest, changedAt } : { seq: 0, at: null, value: null, label: null, changedAt };
    sendJson(res, 200, body, headers);
  }

  private longPoll(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const feed = this.o.feed;
    let cursor = intParam(url, 'cursor');
    const wait = intParam(url, 'wait');
    if (Number.isNaN(cursor)) return sendError(res, 400, 'cursor must be a non-negative integer');
    if (Number.isNaN(wait)) return sendError(res, 400, 'wait must be a non-negative integer (ms)');
    // No cursor, or one from the future (a restarted demo): wait for the next event.
    if (cursor === undefined || cursor > feed.cursor) cursor = feed.cursor;
    const from = cursor;
    const respond = (): boolean => {
      const events = feed.since(from);
      if (events.length === 0) return false;
      const next = events[events.length - 1].seq;
      const body: Record<string, unknown> = { events, cursor: next };
      if (events[0].seq > from + 1) body.missed = events[0].seq - from - 1;
      sendJson(res, 200, body, { 'x-cursor': String(next) });
      return true;
    };
    if (respond()) return;
    const holdMs = Math.min(wait ?? this.o.longPollWaitMs, this.o.longPollMaxWaitMs);
    const timer = setTimeout(() => {
      res.writeHead(204, { 'x-cursor': String(from), 'cache-control': 'no-store' }).end();
    }, holdMs);
    const unsubscribe = feed.subscribe(() => {
      if (!res.headersSent) respond();
    });
    this.hold(res, () => {
      clearTimeout(timer);
      unsubscribe();
    });
  }

  private stream(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const from = intParam(url, 'from');
    const limit = intParam(url, 'limit');
    if (Number.isNaN(from)) return sendError(res, 400, 'from must be a non-negative integer');
    if (Number.isNaN(limit)) return sendError(res, 400, 'limit must be a non-negative integer');
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    let sent = 0;
    const write = (e: FeedEvent) => {
      res.write(JSON.stringify(e) + '\n');
      if (limit !== undefined && ++sent >= limit) res.end();
    };
    if (limit === 0) {
      res.end();
      return;
    }
    if (from !== undefined) {
      for (const e of this.o.feed.since(from)) {
        if (res.writableEnded) break;
        write(e);
      }
    }
    if (res.writableEnded) return;
    const unsubscribe = this.o.feed.subscribe((e) => {
      if (res.writableEnded) return;
      if (res.writableLength > SLOW_CLIENT_BYTES) res.destroy();
      else write(e);
    });
    this.hold(res, unsubscribe);
  }

  private async jobsRoute(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    if (path === '/jobs') {
      if (method !== 'POST') return sendError(res, 405, `${method} is not allowed on /jobs; POST starts a job`, { allow: 'POST' });
      const url = new URL(req.url ?? '/', 'http://demo.invalid');
      const ms = intParam(url, 'ms');
      if (Number.isNaN(ms) || (ms !== undefined && ms > 600_000)) return sendError(res, 400, 'ms must be an integer from 0 to 600000');
      // Drain any body; its content does not matter.
      for await (const _ of req) void _;
      const now = Date.now();
      const job: Job = { id: String(this.nextJobId++), createdAt: now, doneAt: now + (ms ?? this.o.jobMs) };
      this.jobs.set(job.id, job);
      if (this.jobs.size > MAX_JOBS) this.jobs.delete(this.jobs.keys().next().value as string);
      const location = `/jobs/${job.id}`;
      return sendJson(res, 202, { id: job.id, status: 'running', statusUrl: location }, { location, 'retry-after': '1' });
    }
    const job = this.jobs.get(path.slice('/jobs/'.length));
    if (!job) return sendError(res, 404, `No job ${path.slice('/jobs/'.length)}`);
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, `${method} is not allowed on ${path}`, { allow: 'GET' });
    const now = Date.now();
    if (now < job.doneAt) {
      const progress = Math.min(0.99, (now - job.createdAt) / Math.max(1, job.doneAt - job.createdAt));
      return sendJson(res, 202, { id: job.id, status: 'running', progress: Math.round(progress * 100) / 100 }, { 'retry-after': '1' });
    }
    const latest = this.o.feed.latest;
    return sendJson(res, 200, {
      id: job.id,
      status: 'done',
      result: { feedSeq: latest?.seq ?? 0, value: latest?.value ?? null, tookMs: job.doneAt - job.createdAt },
    });
  }
}
