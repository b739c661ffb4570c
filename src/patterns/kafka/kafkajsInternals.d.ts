// The parts of kafkajs 2.2.4 (pinned) that the Fetch decoder (./fetchDecode.ts) uses: its request encoder, its
// error types and codecs, and its legacy message-set decoder. They are not in kafkajs's public typings.
declare module 'kafkajs/src/protocol/requests/fetch' {
  const fetch: { versions: string[]; protocol(o: { version: number }): (params: object) => { request: unknown; response: { decode(raw: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> }; requestTimeout?: number } };
  export default fetch;
}
declare module 'kafkajs/src/protocol/error' {
  export function failure(code: number): boolean;
  export function createErrorFromCode(code: number): Error;
}
declare module 'kafkajs/src/errors' {
  export class KafkaJSOffsetOutOfRange extends Error {
    constructor(e: Error, o: { topic: string; partition: number });
  }
}
declare module 'kafkajs/src/protocol/decoder' {
  export default class Decoder {
    constructor(b: Buffer);
  }
}
declare module 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages' {
  const decodeMessages: (d: unknown) => Promise<Array<{ offset: string; timestamp?: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer | Buffer[]>; isControlRecord?: boolean }>>;
  export default decodeMessages;
}
