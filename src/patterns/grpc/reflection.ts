/**
 * Server reflection client: grpc.reflection.v1 first, then v1alpha (same messages, older package).
 * One bidi call: list the services, then ask for the file that defines each (or the one wanted) and
 * for every dependency not received yet; the FileDescriptorProtos become a protobufjs root. Bounded
 * in requests, files and time, so a broken or hostile server ends it with one line.
 */
import type http2 from 'node:http2';
import protobuf from 'protobufjs';
import { GrpcCall, type CallStatus } from './h2';
import { descriptorType, rootFromDescriptors, SchemaError } from './schema';
import { STATUS, statusReason } from './wire';

const REFLECTION_JSON = {
  nested: {
    ServerReflectionRequest: {
      oneofs: { message_request: { oneof: ['file_by_filename', 'file_containing_symbol', 'list_services'] } },
      fields: { host: { type: 'string', id: 1 }, file_by_filename: { type: 'string', id: 3 }, file_containing_symbol: { type: 'string', id: 4 }, list_services: { type: 'string', id: 7 } },
    },
    ServerReflectionResponse: {
      oneofs: { message_response: { oneof: ['file_descriptor_response', 'list_services_response', 'error_response'] } },
      fields: {
        valid_host: { type: 'string', id: 1 },
        file_descriptor_response: { type: 'FileDescriptorResponse', id: 4 },
        list_services_response: { type: 'ListServiceResponse', id: 6 },
        error_response: { type: 'ErrorResponse', id: 7 },
      },
    },
    FileDescriptorResponse: { fields: { file_descriptor_proto: { rule: 'repeated', type: 'bytes', id: 1 } } },
    ListServiceResponse: { fields: { service: { rule: 'repeated', type: 'ServiceResponse', id: 1 } } },
    ServiceResponse: { fields: { name: { type: 'string', id: 1 } } },
    ErrorResponse: { fields: { error_code: { type: 'int32', id: 1 }, error_message: { type: 'string', id: 2 } } },
  },
};
const reflectionRoot = protobuf.Root.fromJSON(REFLECTION_JSON);
const Req = reflectionRoot.lookupType('ServerReflectionRequest');
const Res = reflectionRoot.lookupType('ServerReflectionResponse');

interface ReflectionResponse {
  file_descriptor_response?: { file_descriptor_proto?: Uint8Array[] };
  list_services_response?: { service?: Array<{ name?: string }> };
  error_response?: { error_code?: number; error_message?: string };
}

export interface ReflectionResult {
  root: protobuf.Root;
  version: 'v1' | 'v1alpha';
  services: string[];
  files: number;
}

export interface ReflectionParams {
  session: http2.ClientHttp2Session;
  authority: string;
  secure: boolean;
  metadata: Record<string, string>;
  timeoutMs: number;
  maxMessageBytes: number;
  /** Only the service this method belongs to (a call); all services when absent (--list). */
  service?: string;
}

const MAX_REQUESTS = 2000;
/** Largest reflection answer accepted (descriptor files can be large, whatever --max-message-size says for the call). */
export const REFLECTION_MAX_BYTES = 32 * 1024 * 1024;
const MAX_FILES = 2000;

/** Not offered at all (UNIMPLEMENTED on both versions): the caller says to give --proto. */
export class NoReflection extends SchemaError {}

export async function reflect(p: ReflectionParams): Promise<ReflectionResult> {
  try {
    return await reflectWith(p, 'v1');
  } catch (err) {
    if (!(err instanceof Unimplemented)) throw err;
  }
  try {
    return await reflectWith(p, 'v1alpha');
  } catch (err) {
    if (err instanceof Unimplemented) throw new NoReflection('the server does not offer server reflection (grpc.reflection.v1 and v1alpha are UNIMPLEMENTED): give the schema with --proto FILE');
    throw err;
  }
}

class Unimplemented extends Error {}

function reflectWith(p: ReflectionParams, version: 'v1' | 'v1alpha'): Promise<ReflectionResult> {
  return new Promise((resolve, reject) => {
    const waiting: Array<(r: ReflectionResponse) => void> = [];
    let answered = 0;
    let done = false;
    const finish = (err: Error | undefined, result?: ReflectionResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!call.done) call.cancel(STATUS.CANCELLED, 'reflection finished', 'ERR_GRPC_REFLECTION');
      if (err) reject(err);
      else resolve(result as ReflectionResult);
    };
    const timer = setTimeout(() => finish(new SchemaError(`server reflection (grpc.reflection.${version}) did not finish within ${p.timeoutMs} ms`)), p.timeoutMs);
    const call = new GrpcCall(
      p.session,
      { path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`, authority: p.authority, secure: p.secure, metadata: p.metadata, maxMessageBytes: p.maxMessageBytes },
      {
        onHeaders: () => undefined,
        onMessage: (bytes) => {
          let r: ReflectionResponse;
          try {
            r = Res.toObject(Res.decode(bytes), { defaults: false }) as ReflectionResponse;
          } catch (err) {
            return finish(new SchemaError(`the server's reflection answer is not a ServerReflectionResponse: ${(err as Error).message.split('\n')[0]}`));
          }
          answered++;
          const next = waiting.shift();
          if (!next) return finish(new SchemaError('the server sent a reflection answer nobody asked for'));
          next(r);
        },
        onEnd: (s: CallStatus) => {
          if (done) return;
          if (s.code === STATUS.UNIMPLEMENTED && answered === 0) return finish(new Unimplemented());
          finish(new SchemaError(`server reflection (grpc.reflection.${version}) ended early: ${statusReason(s.code, s.message)}`));
        },
      },
    );
    let sent = 0;
    const ask = (req: Record<string, string>): Promise<ReflectionResponse> => {
      if (++sent > MAX_REQUESTS) return Promise.reject(new SchemaError(`server reflection needed more than ${MAX_REQUESTS} requests: giving up`));
      return new Promise((res) => {
        waiting.push(res);
        call.write(Req.encode(Req.fromObject(req)).finish());
      });
    };
    const files = new Map<string, Uint8Array>();
    const FileDescriptorProto = descriptorType('FileDescriptorProto');
    const take = (r: ReflectionResponse, what: string): void => {
      if (r.error_response) throw new SchemaError(`server reflection cannot give ${what}: ${statusReason(r.error_response.error_code ?? 2, r.error_response.error_message ?? '')}`);
      const list = r.file_descriptor_response?.file_descriptor_proto;
      if (!list) throw new SchemaError(`the server answered the reflection request for ${what} without file descriptors`);
      for (const bytes of list) {
        let fd: { name?: string };
        try {
          fd = FileDescriptorProto.decode(bytes) as unknown as { name?: string };
        } catch (err) {
          throw new SchemaError(`the server's reflection sent a broken FileDescriptorProto for ${what}: ${(err as Error).message.split('\n')[0]}`);
        }
        const name = fd.name || `(unnamed ${files.size})`;
        if (!files.has(name)) files.set(name, bytes);
        if (files.size > MAX_FILES) throw new SchemaError(`server reflection sent more than ${MAX_FILES} files: giving up`);
      }
    };
    void (async () => {
      const listed = await ask({ list_services: '' });
      if (listed.error_response) throw new SchemaError(`server reflection cannot list the services: ${statusReason(listed.error_response.error_code ?? 2, listed.error_response.error_message ?? '')}`);
      if (!listed.list_services_response) throw new SchemaError('the server answered the list of services with something else');
      const services = (listed.list_services_response.service ?? []).map((s) => s.name ?? '').filter((n) => n && !n.startsWith('grpc.reflection.'));
      const wanted = p.service ? [p.service] : services;
      if (p.service && !services.includes(p.service)) throw new SchemaError(`no service ${p.service} on the server (reflection lists ${services.join(', ') || 'none'})`);
      for (const s of wanted) take(await ask({ file_containing_symbol: s }), `service ${s}`);
      // Dependencies the server did not send along.
      for (;;) {
        const need = new Set<string>();
        for (const bytes of files.values()) {
          const fd = FileDescriptorProto.decode(bytes) as unknown as { dependency?: string[] };
          for (const d of fd.dependency ?? []) if (!files.has(d)) need.add(d);
        }
        if (need.size === 0) break;
        for (const d of need) take(await ask({ file_by_filename: d }), `file ${d}`);
      }
      call.end();
      return { root: rootFromDescriptors([...files.values()]), version, services, files: files.size };
    })().then(
      (r) => finish(undefined, r),
      (err: Error) => finish(err instanceof SchemaError ? err : new SchemaError(`server reflection failed: ${err.message.split('\n')[0]}`)),
    );
  });
}
