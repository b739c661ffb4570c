import { Type } from '@sinclair/typebox';
import { definePattern } from '../descriptor';

/** `--method package.Service/Method` (a leading slash, as in an HTTP/2 :path, is accepted). */
export function parseGrpcMethod(raw: string): string {
  const m = /^\/?([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)[/.]([A-Za-z_]\w*)$/.exec(raw.trim());
  if (!m) throw new Error(`needs package.Service/Method, got "${raw}"`);
  return `${m[1]}/${m[2]}`;
}

export const grpcPattern = definePattern({
  id: 'grpc',
  label: 'gRPC',
  icon: 'symbol-method',
  // grpc:// is cleartext HTTP/2 (h2c, prior knowledge); grpcs:// is HTTP/2 over TLS (ALPN h2).
  schemes: ['grpc', 'grpcs'],
  infers: ['grpc', 'grpcs'],
  exampleUrl: 'grpc://127.0.0.1:50051',
  // Client-streaming and bidi calls take more messages from the composer and can end the sending side.
  capabilities: { send: true, ping: false, halfClose: true, channel: 'none', requestReply: true, payloadEncodings: false, sendArgs: 'json', sendPlaceholder: 'Request message as JSON, like {"text": "hi"} (Ctrl+Enter to send; End sending half-closes the call)' },
  optionsKey: 'grpc',
  options: Type.Object(
    {
      method: Type.Optional(Type.String({ description: 'The method to call, as package.Service/Method.' })),
      protos: Type.Optional(Type.Array(Type.String(), { description: 'The .proto files that describe the service (instead of server reflection); relative paths from the working folder.' })),
      importPaths: Type.Optional(Type.Array(Type.String(), { description: "Folders imports are looked up in, in order, as protoc's -I does (default: the working folder)." })),
      deadlineMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Deadline of the call: sent as grpc-timeout, and the call ends with DEADLINE_EXCEEDED when it passes.' })),
      keepSending: Type.Optional(Type.Boolean({ description: 'Client-streaming and bidi calls: keep the sending side open after the start-up messages, for messages from the composer (default: end it once they are sent).' })),
      maxMessageBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest response message accepted (default 4194304, 4 MiB, as gRPC libraries do); a larger one ends the call with RESOURCE_EXHAUSTED.' })),
    },
    { additionalProperties: false },
  ),
  flags: [
    { flag: 'method', key: 'method', value: 'pkg.Service/Method', parse: parseGrpcMethod },
    { flag: 'proto', key: 'protos', value: 'FILE' },
    { flag: 'import-path', key: 'importPaths', value: 'DIR' },
    { flag: 'deadline', key: 'deadlineMs', value: 'ms' },
    { flag: 'keep-sending', key: 'keepSending' },
    { flag: 'max-message-size', key: 'maxMessageBytes', value: 'bytes' },
  ],
});
