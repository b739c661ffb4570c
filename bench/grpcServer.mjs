// The gRPC bench server, run as its own process (serving never competes with the client being measured):
// @grpc/grpc-js serving test/fixtures/grpc/feed.proto on 127.0.0.1 and a free port; prints one JSON line
// {"grpc":port} when ready and exits when its parent closes stdin.
//   Watch {count: N}: N Tick messages (seq, a timestamp and a note of about 80 bytes: about 100 B on the
//   wire each), written with call.write per message as a real backend does, pausing when write() asks to
//   (back-pressure), then OK.
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const root = join(import.meta.dirname, '..', 'test', 'fixtures', 'grpc');
const def = protoLoader.loadSync(join(root, 'feed.proto'), { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: [join(root, 'protos')] });
const pkg = grpc.loadPackageDefinition(def);
const note = 'n'.repeat(80);
const server = new grpc.Server();
const unimplemented = (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in the bench' });
server.addService(pkg.wirescope.feed.v1.Feed.service, {
  Watch: (call) => {
    const n = Number(call.request.count ?? 0);
    let seq = 0;
    let stopped = false;
    call.on('cancelled', () => (stopped = true));
    const more = () => {
      while (!stopped && seq < n) {
        seq++;
        const ok = call.write({ seq: String(seq), at: { seconds: '1700000000', nanos: seq }, note });
        if (!ok) return void call.once('drain', more);
      }
      if (!stopped) call.end();
    };
    more();
  },
  Get: unimplemented,
  Upload: unimplemented,
  Chat: (call) => call.end(),
  Ping: (_call, cb) => cb(null, {}),
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`grpc bench server: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ grpc: port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => {
  server.forceShutdown();
  process.exit(0);
});
