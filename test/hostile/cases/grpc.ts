/**
 * Hostile cases for the grpc pattern: node:http2 servers that answer with what a gRPC server never should
 * (another content-type, a message claiming 4 GiB, a stream reset mid-message, garbage reflection answers,
 * escape sequences in grpc-message), servers that are not HTTP/2 at all, and TLS that does not fit.
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import type { WireEvent } from '../../../src/shared/events';
import { makeTestCerts } from '../../helpers/tlsCerts';
import { expect, framesIn, type HostileCase } from '../harness';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'grpc');
const PROTO = ['--proto', join(FIXTURES, 'feed.proto'), '--import-path', join(FIXTURES, 'protos')];
const FEED = 'wirescope.feed.v1.Feed';

const errorsOf = (events: WireEvent[]): string[] => events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.message : ''));

interface H2Server {
  url: string;
  close(): Promise<void>;
}

/** An h2c server whose every stream goes to `onStream`. */
async function h2Server(onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<H2Server> {
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    onStream(stream, headers);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `grpc://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A length-prefixed gRPC message. */
function frame(bytes: Buffer, claimed = bytes.length): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(claimed, 1);
  return Buffer.concat([h, bytes]);
}

export const grpcCases: HostileCase[] = [
  {
    pattern: 'grpc',
    category: 'framing',
    name: 'an HTTP/2 server that answers with an HTML page: one line "not a gRPC response", exit 1',
    async run(h) {
      const srv = await h2Server((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'text/html' });
        stream.end('<html><body>hello</body></html>');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...PROTO, '--method', `${FEED}/Get`, '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && errors[0] === 'UNKNOWN: not a gRPC response: content-type "text/html"', `one line: ${JSON.stringify(errors)}`);
      const notFound = await h.cli(['connect', srv.url, '--method', `${FEED}/Get`]);
      expect(notFound.code === 1 && /^wirescope: server reflection \(grpc\.reflection\.v1\) ended early: UNKNOWN: not a gRPC response/.test(notFound.stderr.trim()), `reflection against it is one line: ${notFound.stderr}`);
    },
  },
  {
    pattern: 'grpc',
    category: 'framing',
    name: 'an HTTP/2 server that answers 404 text/plain: UNIMPLEMENTED as the spec maps it, in one line',
    async run(h) {
      const srv = await h2Server((stream) => {
        stream.respond({ ':status': 404, 'content-type': 'text/plain' });
        stream.end('no such route');
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...PROTO, '--method', `${FEED}/Get`]);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(r.stderr.trim() === 'wirescope: UNIMPLEMENTED: not a gRPC response: HTTP status 404 (text/plain)', `one line: ${r.stderr}`);
    },
  },
  {
    pattern: 'grpc',
    category: 'fault',
    name: 'an HTTP/1.1 server: one line saying it does not speak HTTP/2, no retry',
    async run(h) {
      const server = http.createServer((_req, res) => res.end('hello'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const r = await h.cli(['connect', `grpc://127.0.0.1:${port}`, ...PROTO, '--method', `${FEED}/Get`, '--timeout', '3000', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && /does not speak HTTP\/2 with prior knowledge \(h2c; an HTTP\/1\.1 server\?\)/.test(errors[0]), `one line: ${JSON.stringify(errors)}`);
      expect(!r.events.some((e) => e.kind === 'reconnect'), 'no retry');
    },
  },
  {
    pattern: 'grpc',
    category: 'bounds',
    name: 'a message that claims 4 GiB, followed by 80 MiB of bytes: RESOURCE_EXHAUSTED at the claim, memory bounded',
    timeoutMs: 40_000,
    async run(h) {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      const srv = await h2Server((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        stream.write(frame(Buffer.alloc(0), 0xffffffff));
        let left = 80;
        const more = () => {
          while (left > 0 && !stream.destroyed && !stream.closed) {
            left--;
            if (!stream.write(chunk)) return void stream.once('drain', more);
          }
        };
        more();
      });
      h.cleanup(() => srv.close());
      const before = process.memoryUsage().rss;
      const r = await h.cli(['connect', srv.url, ...PROTO, '--method', `${FEED}/Watch`, '--format', 'ndjson']);
      h.bounded('RSS growth (MB) for a 4 GiB message claim', (process.memoryUsage().rss - before) / 1048576, 100);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && errors[0] === 'RESOURCE_EXHAUSTED: the server sent a message of 4294967295 bytes, over the limit of 4194304 bytes (--max-message-size)', `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'grpc',
    category: 'fault',
    name: 'a stream that ends in the middle of a message, without trailers: the whole messages before it are shown, then one line saying so',
    async run(h) {
      const srv = await h2Server((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        // Tick {seq: 1, note: "a"} then half of another message.
        stream.write(frame(Buffer.from([0x08, 0x01, 0x1a, 0x01, 0x61])));
        stream.write(frame(Buffer.from([0x08, 0x02]), 10));
        setTimeout(() => stream.end(), 50);
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...PROTO, '--method', `${FEED}/Watch`, '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === '{"seq":"1","note":"a"}', `the whole message only: ${JSON.stringify(data)}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && errors[0] === 'INTERNAL: the server ended the stream in the middle of a message (2 bytes of it read), without a status', `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'grpc',
    category: 'fault',
    name: 'a server that PINGs, sends a message, then resets the stream (RST_STREAM INTERNAL_ERROR): PING and RST_STREAM are control frames, the message is kept, one line',
    async run(h) {
      const srv = await h2Server((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        stream.session?.ping(Buffer.from('wirescop'), () => undefined);
        // ChatMessage {text: "a"}. A bidi call the client keeps open: Node sends the reset as RST_STREAM only then.
        stream.write(frame(Buffer.from([0x0a, 0x01, 0x61])));
        setTimeout(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), 50);
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...PROTO, '--method', `${FEED}/Chat`, '--send', '{"text":"hi"}', '--keep-sending', '--format', 'ndjson']);
      expect(r.code === 1, `exit 1: ${r.code}`);
      const controls = framesIn(r.events).filter((f) => f.meta?.control === true);
      const ping = controls.find((f) => f.meta?.packet === 'PING');
      expect(ping !== undefined && ping.meta?.payload === Buffer.from('wirescop').toString('hex'), `the PING with its payload: ${JSON.stringify(controls.map((f) => f.data))}`);
      const rst = controls.find((f) => f.meta?.packet === 'RST_STREAM');
      expect(rst !== undefined && /^RST_STREAM INTERNAL_ERROR from the server on stream 1$/.test(rst.data), `the reset: ${JSON.stringify(rst?.data)}`);
      const data = framesIn(r.events).filter((f) => !f.meta?.control).map((f) => f.data);
      expect(data.length === 1 && data[0] === '{"text":"a"}', `the message before the reset: ${JSON.stringify(data)}`);
      const errors = errorsOf(r.events);
      expect(errors.length === 1 && errors[0] === 'INTERNAL: the server reset the stream (RST_STREAM INTERNAL_ERROR)', `one line: ${JSON.stringify(errors)}`);
    },
  },
  {
    pattern: 'grpc',
    category: 'terminal',
    name: 'escape sequences and line breaks in grpc-message and in metadata never reach the terminal raw',
    async run(h) {
      const srv = await h2Server((stream) => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-evil': 'a\u001b]0;pwned\u0007b' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '13', 'grpc-message': encodeURIComponent('boom\u001b[31m red\r\nsecond line') }));
        stream.end();
      });
      h.cleanup(() => srv.close());
      const r = await h.cli(['connect', srv.url, ...PROTO, '--method', `${FEED}/Get`]);
      expect(r.code === 1, `exit 1: ${r.code}`);
      expect(r.stderr.trim() === 'wirescope: INTERNAL: boom[31m red second line', `one line, control characters out: ${JSON.stringify(r.stderr)}`);
    },
  },
  {
    pattern: 'grpc',
    category: 'framing',
    name: 'garbage reflection answers (bytes that are no ServerReflectionResponse, broken FileDescriptorProtos): one line each',
    async run(h) {
      let mode: 'garbage' | 'broken-file' | 'endless' = 'garbage';
      const srv = await h2Server((stream, headers) => {
        if (!String(headers[':path']).includes('ServerReflectionInfo')) {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
          return;
        }
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        if (mode === 'garbage') stream.write(frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])));
        else if (mode === 'broken-file') {
          // list_services_response: one service; then file_descriptor_response with a broken file.
          stream.write(frame(Buffer.from([0x32, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x53])));
          stream.write(frame(Buffer.from([0x22, 0x04, 0x0a, 0x02, 0x0a, 0xff])));
        } else {
          // One service S, then a flood of list answers: to the question about S's file and beyond.
          stream.write(frame(Buffer.from([0x32, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x53])));
          for (let i = 0; i < 50; i++) stream.write(frame(Buffer.from([0x32, 0x00])));
        }
      });
      h.cleanup(() => srv.close());
      const garbage = await h.cli(['connect', srv.url, '--list']);
      expect(garbage.code === 1 && /^wirescope: the server's reflection answer is not a ServerReflectionResponse: /.test(garbage.stderr) && garbage.stderr.trim().split('\n').length === 1, `garbage: one line (exit ${garbage.code}): ${garbage.stderr}`);
      mode = 'broken-file';
      const broken = await h.cli(['connect', srv.url, '--method', 'S/M']);
      expect(broken.code === 1 && /^wirescope: the server's reflection sent a broken FileDescriptorProto for service S: /.test(broken.stderr), `broken file: one line (exit ${broken.code}): ${broken.stderr}`);
      mode = 'endless';
      const endless = await h.cli(['connect', srv.url, '--list']);
      expect(endless.code === 1 && /^wirescope: (the server answered the reflection request for service S without file descriptors|the server sent a reflection answer nobody asked for)$/.test(endless.stderr.trim()), `endless: one line (exit ${endless.code}): ${endless.stderr}`);
    },
  },
  {
    pattern: 'grpc',
    category: 'fault',
    name: 'TLS that does not fit: an untrusted certificate, and a TLS server without ALPN h2 (an HTTPS/1.1 site): one line each',
    async run(h) {
      const certs = makeTestCerts();
      const h2tls = http2.createSecureServer({ cert: certs.selfSigned.cert, key: certs.selfSigned.key });
      h2tls.on('stream', (stream) => stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' }, { endStream: true }));
      await new Promise<void>((r) => h2tls.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => h2tls.close(() => r())));
      const h2port = (h2tls.address() as net.AddressInfo).port;
      const server = https.createServer({ cert: certs.selfSigned.cert, key: certs.selfSigned.key }, (_req, res) => res.end('hello'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      h.cleanup(() => new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }));
      const port = (server.address() as net.AddressInfo).port;
      const untrusted = await h.cli(['connect', `grpcs://127.0.0.1:${h2port}`, ...PROTO, '--method', `${FEED}/Get`]);
      expect(untrusted.code === 1 && /^wirescope: TLS failure \(grpcs:\/\/127\.0\.0\.1:\d+\): the server certificate is self-signed/.test(untrusted.stderr), `one line: ${untrusted.stderr}`);
      const noAlpn = await h.cli(['connect', `grpcs://127.0.0.1:${port}`, ...PROTO, '--method', `${FEED}/Get`, '--insecure']);
      expect(noAlpn.code === 1 && /^wirescope: the server at 127\.0\.0\.1:\d+ did not agree to HTTP\/2 over TLS \(it refused ALPN h2\): it is not a gRPC server$/.test(noAlpn.stderr.trim()), `one line: ${noAlpn.stderr}`);
    },
  },
];
