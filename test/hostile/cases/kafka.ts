/**
 * Hostile cases for the kafka pattern: a plain socket server that speaks just enough of the Kafka protocol
 * (ApiVersions, Metadata v0, SASL handshake and authenticate) to get kafkajs going, then misbehaves; and
 * servers that are not Kafka at all. (The mock cluster of the unit tests cannot refuse a topic or a password.)
 */
import http from 'node:http';
import net from 'node:net';
import type { WireEvent } from '../../../src/shared/events';
import { expect, type HostileCase } from '../harness';

const errorsOf = (events: WireEvent[]): string[] => events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));

const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const str = (s: string | null) => (s === null ? int16(-1) : Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]));
const array = (items: Buffer[]) => Buffer.concat([int32(items.length), ...items]);

interface Request {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  body: Buffer;
}

/** What the fake broker answers to a request: a response body, `undefined` to stay silent, or a raw write. */
type Behaviour = (req: Request, socket: net.Socket, port: number) => Buffer | undefined | 'handled';

/** ApiVersions (keys it supports: ApiVersions 0-2, Metadata 0, SaslHandshake 0-1, SaslAuthenticate 0). */
function apiVersions(): Buffer {
  const apis = [
    [18, 0, 2],
    [3, 0, 0],
    [17, 0, 1],
    [36, 0, 0],
  ].map(([k, min, max]) => Buffer.concat([int16(k), int16(min), int16(max)]));
  return Buffer.concat([int16(0), array(apis), int32(0)]);
}

/** Topic names of a Metadata v0 request. */
function metadataTopics(body: Buffer): string[] {
  const n = body.readInt32BE(0);
  const out: string[] = [];
  let at = 4;
  for (let i = 0; i < n; i++) {
    const len = body.readInt16BE(at);
    out.push(body.subarray(at + 2, at + 2 + len).toString());
    at += 2 + len;
  }
  return out;
}

/** Metadata v0: this one broker, and each topic with `topicError` (0: one partition led by it). */
function metadata(port: number, topics: string[], topicError: number): Buffer {
  const brokers = array([Buffer.concat([int32(0), str('127.0.0.1'), int32(port)])]);
  const parts = () => (topicError === 0 ? array([Buffer.concat([int16(0), int32(0), int32(0), array([int32(0)]), array([int32(0)])])]) : array([]));
  const meta = array(topics.map((t) => Buffer.concat([int16(topicError), str(t), parts()])));
  return Buffer.concat([brokers, meta]);
}

const int64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};
/** A zigzag varint, as record batches carry lengths and deltas. */
const varint = (n: number) => {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
};

/** ApiVersions that also offer ListOffsets v1 and Fetch v4, so kafkajs gets as far as reading records. */
function apiVersionsWithFetch(): Buffer {
  const apis = [
    [18, 0, 2],
    [3, 0, 0],
    [2, 0, 1],
    [1, 4, 4],
  ].map(([k, min, max]) => Buffer.concat([int16(k), int16(min), int16(max)]));
  return Buffer.concat([int16(0), array(apis), int32(0)]);
}

/** A record batch (magic 2) at offset 0 with `count` records, `attributes` (low bits: the codec) and these record bytes. */
function recordBatch(recordBytes: Buffer, count: number, attributes = 0): Buffer {
  const body = Buffer.concat([int32(0), Buffer.from([2]), int32(0), int16(attributes), int32(count - 1), int64(Date.now()), int64(Date.now()), int64(-1), int16(-1), int32(-1), int32(count), recordBytes]);
  return Buffer.concat([int64(0), int32(body.length), body]);
}

/** A fake broker for topic `t` (one partition) that answers the first Fetch with `records` as partition 0's record set. */
function fetchBroker(records: Buffer): Behaviour {
  let fetches = 0;
  return (req, _s, port) => {
    if (req.apiKey === 18) return apiVersionsWithFetch();
    if (req.apiKey === 3) return metadata(port, metadataTopics(req.body), 0);
    if (req.apiKey === 2) return array([Buffer.concat([str('t'), array([Buffer.concat([int32(0), int16(0), int64(-1), int64(0)])])])]);
    if (req.apiKey === 1) {
      fetches++;
      const set = fetches === 1 ? records : Buffer.alloc(0);
      return Buffer.concat([int32(0), array([Buffer.concat([str('t'), array([Buffer.concat([int32(0), int16(0), int64(1), int64(1), int32(-1), int32(set.length), set])])])])]);
    }
    return undefined;
  };
}

async function fakeKafka(behave: Behaviour): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let port = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0);
        const frame = buf.subarray(4, 4 + size);
        buf = buf.subarray(4 + size);
        const clientIdLen = frame.readInt16BE(8);
        const req: Request = { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4), body: frame.subarray(10 + Math.max(0, clientIdLen)) };
        const body = behave(req, socket, port);
        if (body === undefined || body === 'handled') continue;
        const payload = Buffer.concat([int32(req.correlationId), body]);
        socket.write(Buffer.concat([int32(payload.length), payload]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `kafka://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export const kafkaCases: HostileCase[] = [
  {
    pattern: 'kafka',
    category: 'fault',
    name: 'a broker that does not know the topic (and does not create it): one line naming it, exit 1, no retry',
    async run(h) {
      const srv = await fakeKafka((req, _s, port) => (req.apiKey === 18 ? apiVersions() : req.apiKey === 3 ? metadata(port, metadataTopics(req.body), req.body.readInt32BE(0) === 0 ? 0 : 3) : undefined));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--topic', 'nosuch', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code} ${r.stderr}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^unknown topic "nosuch": the broker has no such topic/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
    },
  },
  {
    pattern: 'kafka',
    category: 'credentials',
    name: 'bad SASL/PLAIN credentials (password from --password-env): one line "authentication failed", no retry, the password nowhere',
    async run(h) {
      const pw = h.secret('kafka-pw-SECRET');
      let sawPassword = false;
      const srv = await fakeKafka((req) => {
        if (req.apiKey === 18) return apiVersions();
        if (req.apiKey === 17) return Buffer.concat([int16(0), array([str('PLAIN')])]);
        if (req.apiKey === 36) {
          sawPassword ||= req.body.includes(Buffer.from(pw));
          return Buffer.concat([int16(58), str('Authentication failed: Invalid username or password'), int32(0)]);
        }
        return undefined;
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--topic', 't', '--username', 'alice', '--password-env', 'KAFKA_PW', '--format', 'ndjson'], { env: { KAFKA_PW: pw } });
      expect(sawPassword, 'the password reached the broker in the SASL exchange');
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^authentication failed: SASL PLAIN authentication failed: .*Invalid username or password/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(r.events.some((e) => e.kind === 'error' && e.code === 'ERR_AUTH'), 'code ERR_AUTH');
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
    },
  },
  {
    pattern: 'kafka',
    category: 'framing',
    name: 'an HTTP server on the port: one line "not a Kafka broker" quoting its answer, no retry',
    async run(h) {
      // A plain socket answers like an HTTP server does to bytes that are not HTTP.
      const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => server.close(() => r())));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `kafka://127.0.0.1:${port}`, '--topic', 't', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^not a Kafka broker at 127\.0\.0\.1:\d+: it answered with "HTTP\/1\.1 400 Bad Request"$/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
    },
  },
  {
    pattern: 'kafka',
    category: 'fault',
    name: 'a real HTTP server (node:http answers Kafka bytes with 400): the same one line',
    async run(h) {
      const server = http.createServer((_req, res) => res.end('hello'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `kafka://127.0.0.1:${port}`, '--topic', 't', '--timeout', '2000', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^not a Kafka broker at 127\.0\.0\.1:\d+: it answered with "HTTP\/1\.1 400 Bad Request"$/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'kafka',
    category: 'fault',
    name: 'a server that accepts and says nothing: one line after --timeout asking whether it is a Kafka broker',
    timeoutMs: 30_000,
    async run(h) {
      const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.resume();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `kafka://127.0.0.1:${port}`, '--topic', 't', '--timeout', '500', '--max-wait', '100', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^no answer from the broker in time \(Request ApiVersions\(key: 18, version: \d\) timed out\): is this a Kafka broker\?$/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'kafka',
    category: 'bounds',
    name: 'a Metadata response that claims 2 GiB, followed by 80 MiB: refused at the claim, memory stays bounded',
    timeoutMs: 40_000,
    async run(h) {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      const srv = await fakeKafka((req, socket) => {
        if (req.apiKey === 18) return apiVersions();
        socket.write(Buffer.concat([int32(0x7fffffff), int32(req.correlationId)]));
        let left = 80;
        const more = () => {
          while (left > 0 && !socket.destroyed) {
            left--;
            if (!socket.write(chunk)) return void socket.once('drain', more);
          }
        };
        more();
        return 'handled';
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, '--topic', 't', '--format', 'ndjson']);
      h.bounded('RSS growth (MB) for a 2 GiB response claim', (process.memoryUsage().rss - before) / 1048576, 100);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^the broker at 127\.0\.0\.1:\d+ announced a 2147483647-byte response, over the 67108864-byte limit/.test(errors[0]), `one error naming the claim: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'kafka',
    category: 'fault',
    name: 'a broker that closes in the middle of the Metadata response: one line, no stack',
    async run(h) {
      const srv = await fakeKafka((req, socket) => {
        if (req.apiKey === 18) return apiVersions();
        socket.write(Buffer.concat([int32(100), int32(req.correlationId), int32(1)]));
        setTimeout(() => socket.destroy(), 20);
        return 'handled';
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--topic', 't', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /closed the connection|Connection reset/.test(errors[0]) && !errors[0].includes('\n'), `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'kafka',
    category: 'framing',
    name: 'a Fetch response whose record claims more bytes than its batch holds: one line "malformed Fetch response", no retry',
    async run(h) {
      const srv = await fakeKafka(fetchBroker(recordBatch(Buffer.concat([varint(200), Buffer.from('short')]), 1)));
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, '--topic', 't', '--from', 'beginning', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code} ${r.stderr}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /^malformed Fetch response: a record needs 200 bytes at byte \d+, the response has 5 left$/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry: the same bytes would come again');
    },
  },
  {
    pattern: 'kafka',
    category: 'bounds',
    name: 'a snappy batch whose header claims 4 GiB, and an LZ4 batch of one 300 MiB match: each refused at 256 MiB, one line',
    timeoutMs: 40_000,
    async run(h) {
      // Snappy: the uncompressed length (a varint) says 2^32 bytes.
      const snappyBomb = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x61]);
      // LZ4 frame: one block holding a literal "a" and then a match of 300 MiB against it (lengths in 255 steps).
      const matchLen = 300 << 20;
      const extra = matchLen - 4 - 15;
      const lenBytes = Buffer.concat([Buffer.alloc(Math.floor(extra / 255), 255), Buffer.from([extra % 255])]);
      const block = Buffer.concat([Buffer.from([0x1f, 0x61]), Buffer.from([1, 0]), lenBytes, Buffer.from([0x10, 0x61])]);
      const blockSize = Buffer.alloc(4);
      blockSize.writeUInt32LE(block.length);
      const lz4Bomb = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]), blockSize, block, Buffer.alloc(4)]);
      for (const [codec, bomb] of [
        [2, snappyBomb],
        [3, lz4Bomb],
      ] as const) {
        const srv = await fakeKafka(fetchBroker(recordBatch(bomb, 1, codec)));
        h.cleanup(() => srv.close());
        const r = await h.cli(['connect', srv.url, '--topic', 't', '--from', 'beginning', '--format', 'ndjson']);
        expect(r.code === 1, `exit 1: ${r.code} ${r.stderr}`);
        const errors = errorsOf(r.events);
        const name = codec === 2 ? 'snappy' : 'lz4';
        expect(errors.length === 1 && new RegExp(`^the ${name} record batch at offset 0 cannot be read: it expands past 256 MiB$`).test(errors[0]), `${name}: one line: ${JSON.stringify(errors)}`);
        expect(!r.events.some((e) => e.kind === 'reconnect'), `${name}: no retry`);
      }
    },
  },
];
