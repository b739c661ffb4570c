/**
 * The demo backend's gRPC side: `wirescope.demo.Feed` (./grpcProto.ts) on @grpc/grpc-js, its own port, with
 * server reflection (grpc.reflection.v1 and v1alpha, answered by @grpc/reflection).
 *
 * - Watch (server-streaming): the feed's events as they happen, optionally first the kept ones from `from`,
 *   ending after `count`;
 * - Get (unary): one event by seq (0: the latest); NOT_FOUND, naming what the feed keeps, when absent;
 * - Chat (bidi): each message echoed with a per-call seq, the server time and the feed's latest seq.
 *
 * Loaded on demand, as its own bundle (scripts/build.mjs), so that the extension and the CLI evaluate grpc-js
 * only when the demo runs. Every .proto is text in ./grpcProto.ts: @grpc/reflection's own addToServer reads its
 * .proto files from beside its sources, which a bundle does not have, so the reflection services are defined
 * here and hand each request to its implementation.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionV1Implementation } from '@grpc/reflection/build/src/implementations/reflection-v1';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor';
import type { FeedEvent } from './feed';
import { DEMO_FEED_PROTO, DEMO_GRPC_SERVICE, DEMO_PROTO_FILE, reflectionProto } from './grpcProto';

/** What the gRPC side needs from the demo feed: `Feed` from ./feed fits. */
export interface GrpcFeedSource {
  subscribe(listener: (e: FeedEvent) => void): () => void;
  since(seq: number): FeedEvent[];
  readonly latest?: FeedEvent;
  readonly cursor: number;
  readonly oldestKept: number;
}

export interface GrpcFeedOptions {
  host?: string;
  /** 0 picks a free one. */
  port?: number;
  feed: GrpcFeedSource;
}

export interface GrpcFeed {
  /** grpc://host:port */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Bytes queued for one Watch past which the call ends (RESOURCE_EXHAUSTED) instead of buffering without bound. */
const SLOW_CLIENT_BYTES = 8 * 1024 * 1024;
const TIMESTAMP_FILE = 'google/protobuf/timestamp.proto';

type Obj = Record<string, unknown>;
type FileDescriptor = { name?: string; package?: string; dependency?: string[] };
const FileDescriptorProto = (descriptorExt as unknown as { FileDescriptorProto: { decode(b: Uint8Array): FileDescriptor; encode(m: FileDescriptor): { finish(): Uint8Array } } }).FileDescriptorProto;

/**
 * The demo's package definition from the .proto text. proto-loader names the files of a definition made from
 * JSON after their packages (wirescope_demo.proto) and leaves out their imports, so the descriptors reflection
 * serves are renamed to the real paths and the demo's file declares its import of timestamp.proto, as protoc's
 * would: a client that resolves a file's dependencies by name then finds them.
 */
export function demoFeedDefinition(): protoLoader.PackageDefinition {
  const root = protobuf.Root.fromJSON(protobuf.common.get(TIMESTAMP_FILE) as protobuf.INamespace);
  protobuf.parse(DEMO_FEED_PROTO, root, { keepCase: true });
  const def = protoLoader.fromJSON(root.toJSON(), { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true });
  const rename = (f: FileDescriptor): FileDescriptor =>
    f.package === 'google.protobuf' ? { ...f, name: TIMESTAMP_FILE } : f.package === 'wirescope.demo' ? { ...f, name: DEMO_PROTO_FILE, dependency: [TIMESTAMP_FILE] } : f;
  for (const entry of Object.values(def)) {
    const e = entry as { fileDescriptorProtos?: Buffer[] };
    if (e.fileDescriptorProtos) e.fileDescriptorProtos = e.fileDescriptorProtos.map((b) => Buffer.from(FileDescriptorProto.encode(rename(FileDescriptorProto.decode(b))).finish()));
  }
  return def;
}

/** The reflection service definition of one version, from its .proto text (camelCase fields, as @grpc/reflection expects). */
function reflectionDefinition(version: 'v1' | 'v1alpha'): grpc.ServiceDefinition {
  const root = protobuf.parse(reflectionProto(version)).root;
  // The options @grpc/reflection loads its own copy with.
  const def = protoLoader.fromJSON(root.toJSON(), { longs: String, enums: String, bytes: Array, defaults: true, oneofs: true });
  return def[`grpc.reflection.${version}.ServerReflection`] as grpc.ServiceDefinition;
}

function level(value: number): string {
  return value < 34 ? 'LEVEL_LOW' : value < 67 ? 'LEVEL_MID' : 'LEVEL_HIGH';
}

function timestamp(ms: number): Obj {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/** A feed event as a `wirescope.demo.Event`. */
export function eventMessage(e: FeedEvent): Obj {
  return { seq: String(e.seq), at: timestamp(e.at), value: e.value, label: e.label, level: level(e.value), tags: { parity: e.seq % 2 === 0 ? 'even' : 'odd', source: 'wirescope-demo' } };
}

function asInt(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function serviceImpl(feed: GrpcFeedSource): grpc.UntypedServiceImplementation {
  return {
    Watch: (call: grpc.ServerWritableStream<Obj, Obj>) => {
      const count = asInt(call.request.count);
      const from = asInt(call.request.from);
      let sent = 0;
      let lastSeq = 0;
      let done = false;
      const finish = (status?: { code: grpc.status; details: string }) => {
        if (done) return;
        done = true;
        unsubscribe();
        if (status) call.emit('error', status);
        else call.end();
      };
      const send = (e: FeedEvent) => {
        if (done || e.seq <= lastSeq) return;
        if (call.writableLength > SLOW_CLIENT_BYTES) return finish({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'client too slow for the feed' });
        lastSeq = e.seq;
        call.write(eventMessage(e));
        if (count > 0 && ++sent >= count) finish();
      };
      // Subscribed before the kept events are sent, so none falls between the two; `lastSeq` drops repeats.
      const unsubscribe = feed.subscribe(send);
      call.on('cancelled', () => finish());
      if (from > 0) for (const e of feed.since(from - 1)) send(e);
    },
    Get: (call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) => {
      // An int64 arrives as a string; one past 2^53 (or below 1) is no seq the feed has.
      const raw = String(call.request.seq ?? '0');
      const seq = raw === '0' ? feed.cursor : Number(raw);
      const e = Number.isSafeInteger(seq) && seq > 0 ? feed.since(seq - 1)[0] : undefined;
      if (e && e.seq === seq) return cb(null, eventMessage(e));
      const kept = feed.cursor === 0 ? 'the feed has no events yet' : `the feed is at seq ${feed.cursor} and keeps ${feed.oldestKept}..${feed.cursor}`;
      cb({ code: grpc.status.NOT_FOUND, details: `no event ${raw === '0' ? '(latest)' : raw}: ${kept}` });
    },
    Chat: (call: grpc.ServerDuplexStream<Obj, Obj>) => {
      let seq = 0;
      call.on('data', (m: Obj) => {
        call.write({ text: `echo: ${String(m.text ?? '')}`, seq: String(++seq), at: timestamp(Date.now()), feed_seq: String(feed.cursor) });
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  };
}

/** Start the demo's gRPC server; binds 127.0.0.1 unless told otherwise. */
export async function startGrpcFeed(options: GrpcFeedOptions): Promise<GrpcFeed> {
  // grpc-js logs to stderr on its own (a failed bind, a dropped client); the demo says what matters itself.
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  const host = options.host ?? '127.0.0.1';
  const def = demoFeedDefinition();
  const server = new grpc.Server();
  server.addService(def[DEMO_GRPC_SERVICE] as grpc.ServiceDefinition, serviceImpl(options.feed));
  const reflection = new ReflectionV1Implementation(def);
  for (const version of ['v1', 'v1alpha'] as const) {
    server.addService(reflectionDefinition(version), {
      ServerReflectionInfo: (stream: grpc.ServerDuplexStream<Obj, unknown>) => {
        stream.on('end', () => stream.end());
        stream.on('error', () => undefined);
        stream.on('data', (m: Obj) => stream.write(reflection.handleServerReflectionRequest(m as never)));
      },
    });
  }
  const address = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 50051}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => {
      if (!err) return resolve(p);
      // A listen error of the same shape as node's, so the CLI can say which port to change.
      const busy = /EADDRINUSE|address already in use/i.test(err.message);
      reject(Object.assign(new Error(busy ? `listen EADDRINUSE: address already in use ${address}` : err.message), busy ? { code: 'EADDRINUSE', address: host, port: options.port } : {}));
    }),
  );
  let closing: Promise<void> | undefined;
  return {
    url: `grpc://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        // Watch calls stream until cancelled: cut them rather than wait.
        server.forceShutdown();
        resolve();
      })),
  };
}
