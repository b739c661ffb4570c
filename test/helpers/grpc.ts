/**
 * In-process gRPC servers for the tests: @grpc/grpc-js (the library's own server, not Wirescope's code)
 * serving test/fixtures/grpc/feed.proto, with @grpc/reflection, on 127.0.0.1 and a port chosen at run time.
 *
 * Feed's methods, one per call kind: Get (unary; id 404 is NOT_FOUND, id 500 fails with INTERNAL and a
 * -bin trailer, id 7 waits 2 s), Watch (server-streaming: count ticks interval_ms apart, then fail_with),
 * Upload (client-streaming: a summary of the items sent), Chat (bidi: each message echoed with a seq), Ping.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { join } from 'node:path';

export const GRPC_FIXTURES = join(__dirname, '..', 'fixtures', 'grpc');
export const FEED_PROTO = join(GRPC_FIXTURES, 'feed.proto');
export const IMPORT_PATH = join(GRPC_FIXTURES, 'protos');

export interface GrpcTestServer {
  server: grpc.Server;
  port: number;
  url: string;
  /** Metadata of the calls received, in order. */
  calls: Array<{ method: string; metadata: Record<string, unknown> }>;
  /** Calls whose client went away (cancelled). */
  cancelled: string[];
  stop(): Promise<void>;
}

export interface GrpcServerOptions {
  /** Serve reflection: both versions (default), only the older v1alpha, or none. */
  reflection?: 'both' | 'v1alpha' | 'none';
  tls?: { cert: string; key: string };
  /** grpc-js server options (keepalive pings and the like). */
  serverOptions?: grpc.ServerOptions;
}

export function loadFeedDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(FEED_PROTO, { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: [IMPORT_PATH] });
}

type Obj = Record<string, unknown>;

/** The item Get returns for an id: every field the JSON mapping has a rule for. */
export function sampleItem(id: string): Obj {
  return {
    id,
    name: `item ${id}`,
    big_count: '18446744073709551615',
    delta: '-42',
    checksum: '1234567890123',
    blob: Buffer.from([0, 1, 2, 250, 255]),
    kind: 'KIND_TOOL',
    tags: ['a', 'b'],
    counters: { views: '9007199254740993' },
    sizes: { 3: { width: 1.5, height: 2 } },
    cents: '1999',
    dimensions: { width: 10, height: 20 },
    extra: { type_url: 'type.googleapis.com/wirescope.common.Dimensions', value: Buffer.from([0x09, 0, 0, 0, 0, 0, 0, 0x08, 0x40]) },
    created_at: { seconds: '1700000000', nanos: 500_000_000 },
    ttl: { seconds: '90', nanos: 0 },
    stock: { value: '7' },
    note: { value: 'fragile' },
    attributes: { fields: { color: { stringValue: 'red' }, sizes: { listValue: { values: [{ numberValue: 1 }, { nullValue: 'NULL_VALUE' }] } } } },
    mask: { paths: ['name', 'created_at'] },
    kinds: ['KIND_BOOK', 'KIND_TOOL'],
    ratio: 0.5,
    labels_by_id: { '-5': 'negative key', '9007199254740993': 'big key' },
    maybe: 0,
  };
}

function metaObj(md: grpc.Metadata): Record<string, unknown> {
  return md.toJSON() as Record<string, unknown>;
}

export async function startGrpcServer(opts: GrpcServerOptions = {}): Promise<GrpcTestServer> {
  const def = loadFeedDefinition();
  const pkg = grpc.loadPackageDefinition(def) as unknown as { wirescope: { feed: { v1: { Feed: { service: grpc.ServiceDefinition } } } } };
  const server = new grpc.Server(opts.serverOptions);
  const calls: GrpcTestServer['calls'] = [];
  const cancelled: string[] = [];
  const record = (method: string, md: grpc.Metadata) => calls.push({ method, metadata: metaObj(md) });
  const headersFor = (md: grpc.Metadata) => {
    const h = new grpc.Metadata();
    h.set('x-served-by', 'grpc-js-test');
    h.set('x-trace-bin', Buffer.from([1, 2, 3, 254]));
    const echo = md.get('x-echo')[0];
    if (echo !== undefined) h.set('x-echo', String(echo));
    return h;
  };
  server.addService(pkg.wirescope.feed.v1.Feed.service, {
    Get: (call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) => {
      record('Get', call.metadata);
      call.sendMetadata(headersFor(call.metadata));
      const id = String(call.request.id ?? '0');
      if (id === '404') return cb({ code: grpc.status.NOT_FOUND, details: 'no item 404' });
      if (id === '500') {
        const t = new grpc.Metadata();
        t.set('x-debug-bin', Buffer.from('broken\u0000state'));
        return cb({ code: grpc.status.INTERNAL, details: 'database on fire', metadata: t });
      }
      const reply = () => {
        const t = new grpc.Metadata();
        t.set('x-checksum', 'abc123');
        cb(null, sampleItem(id), t);
      };
      if (id === '7') {
        const timer = setTimeout(reply, 2000);
        call.on('cancelled', () => {
          clearTimeout(timer);
          cancelled.push('Get');
        });
      } else reply();
    },
    Watch: (call: grpc.ServerWritableStream<Obj, Obj>) => {
      record('Watch', call.metadata);
      call.sendMetadata(headersFor(call.metadata));
      const count = Number(call.request.count ?? 0);
      const interval = Number(call.request.interval_ms ?? 0);
      const failWith = Number(call.request.fail_with ?? 0);
      let seq = 0;
      let stopped = false;
      call.on('cancelled', () => {
        stopped = true;
        cancelled.push('Watch');
      });
      const end = () => {
        if (failWith) call.emit('error', { code: failWith, details: `stopped after ${count} ticks` });
        else call.end();
      };
      const tick = () => {
        if (stopped) return;
        if (seq >= count) return end();
        seq++;
        const ok = call.write({ seq: String(seq), at: { seconds: String(1700000000 + seq), nanos: 0 }, note: `tick ${seq}` });
        if (interval > 0) setTimeout(tick, interval);
        else if (ok) setImmediate(tick);
        else call.once('drain', tick);
      };
      tick();
    },
    Upload: (call: grpc.ServerReadableStream<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) => {
      record('Upload', call.metadata);
      let items = 0;
      let bytes = 0;
      const names: string[] = [];
      call.on('data', (item: Obj) => {
        items++;
        bytes += (item.blob as Buffer | undefined)?.length ?? 0;
        names.push(String(item.name ?? ''));
      });
      call.on('end', () => cb(null, { items, total_bytes: String(bytes), names }));
    },
    Chat: (call: grpc.ServerDuplexStream<Obj, Obj>) => {
      record('Chat', call.metadata);
      let seq = 0;
      call.on('data', (m: Obj) => call.write({ text: `echo: ${String(m.text ?? '')}`, seq: String(++seq) }));
      call.on('end', () => call.end());
    },
    Ping: (call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) => {
      record('Ping', call.metadata);
      cb(null, {});
    },
  });
  const reflection = opts.reflection ?? 'both';
  if (reflection !== 'none') {
    const svc = new ReflectionService(def);
    svc.addToServer({
      addService: (d: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) => {
        const path = Object.values(d)[0]?.path ?? '';
        if (reflection === 'both' || path.includes('v1alpha')) server.addService(d, impl);
      },
    } as Pick<grpc.Server, 'addService'>);
  }
  const creds = opts.tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(opts.tls.cert), private_key: Buffer.from(opts.tls.key) }], false) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    server,
    port,
    url: `${opts.tls ? 'grpcs' : 'grpc'}://127.0.0.1:${port}`,
    calls,
    cancelled,
    stop: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}
