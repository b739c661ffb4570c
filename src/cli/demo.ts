import { describeError } from '../core/errors';
import { startDemo, type DemoUrls } from '../demo';
import type { DemoCommand } from './args';
import { EXIT, type CliIo } from './runConnect';

const LABELS: Record<keyof DemoUrls, string> = {
  index: 'index (every URL)',
  items: 'REST resource',
  sse: 'server-sent events',
  ws: 'WebSocket',
  poll: 'short polling',
  longPoll: 'long polling',
  stream: 'HTTP streaming (NDJSON)',
  jobs: 'async jobs (POST -> 202)',
  socketio: 'Socket.IO (socketio)',
  graphql: 'GraphQL queries (graphql)',
  graphqlWs: 'GraphQL subscriptions (ws)',
  graphqlSse: 'GraphQL subscriptions (SSE)',
  mqtt: 'MQTT broker (feed/#)',
  grpc: 'gRPC (wirescope.demo.Feed)',
  grpcProto: 'gRPC service (.proto)',
  webhookTarget: 'webhooks sent to',
};

/** The URL column starts after the longest label. */
const LABEL_WIDTH = Math.max(...Object.values(LABELS).map((l) => l.length));

/** Run `wirescope demo` until Ctrl+C / SIGTERM; resolves with the exit code. */
export async function runDemo(cmd: DemoCommand, io: CliIo): Promise<number> {
  let demo;
  try {
    demo = await startDemo({
      host: cmd.host,
      port: cmd.port,
      mqttPort: cmd.mqttPort,
      grpcPort: cmd.grpcPort,
      rate: cmd.rate,
      webhookUrl: cmd.webhookUrl,
      webhookSecret: cmd.webhookSecret,
      ...(cmd.webhookSecretEnv ? { webhookSecretEnv: cmd.webhookSecretEnv } : {}),
      onLog: (line) => io.write(`  ${line}\n`),
    });
  } catch (err) {
    // Listen errors say which address failed: the HTTP port or the MQTT port.
    const e = err as { address?: unknown; port?: unknown };
    const target = typeof e?.port === 'number' ? `${typeof e.address === 'string' ? e.address : cmd.host}:${e.port}` : `${cmd.host}:${cmd.port}`;
    const d = describeError(err, target);
    const onOwnPort = typeof e?.port === 'number' && e.port !== cmd.port;
    const flag = onOwnPort && e.port === cmd.mqttPort ? '--mqtt-port' : onOwnPort && e.port === cmd.grpcPort ? '--grpc-port' : '--port';
    io.error(d.code === 'EADDRINUSE' ? `${d.message}; choose another with ${flag} (0 picks a free one)` : d.message);
    return EXIT.failed;
  }
  const urls = demo.urls;
  const lines = [`Wirescope demo backend: one live feed at ${cmd.rate} event${cmd.rate === 1 ? '' : 's'}/s over every pattern.`, ''];
  for (const key of Object.keys(LABELS) as (keyof DemoUrls)[]) {
    const url = urls[key];
    if (url !== undefined) lines.push(`  ${LABELS[key].padEnd(LABEL_WIDTH)} ${url}`);
  }
  // The secret is shown once so the user can configure the receiver; it is never written anywhere else.
  if (demo.webhookSecret !== undefined && cmd.webhookSecret === undefined) lines.push(`  ${'webhook HMAC secret'.padEnd(LABEL_WIDTH)} ${demo.webhookSecret}`);
  lines.push('', 'Try:', `  wirescope connect ${urls.ws} --send hi --count 1 --format ndjson`);
  lines.push(`  wirescope connect ${urls.graphqlWs} --pattern graphql -d 'subscription { ticks { seq value } }' --count 3`);
  if (urls.grpc) lines.push(`  wirescope connect ${urls.grpc} --method wirescope.demo.Feed/Watch -d '{"count":5}'`);
  lines.push('', 'Ctrl+C stops the demo.', '');
  io.write(lines.join('\n'));
  const signal = await new Promise<string>((resolve) => {
    const remove = io.onInterrupt((s) => {
      remove();
      resolve(s);
    });
  });
  io.write(`\nStopping the demo (${signal})...\n`);
  await demo.close();
  return EXIT.ok;
}
