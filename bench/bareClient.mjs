// A bare-client process for the CLI benchmark: reads N messages with the plain library and prints
// one summary line, as `wirescope connect --format summary` does.
// usage: node bench/bareClient.mjs ws|sse|mqtt <url> <n> [topic]
const [kind, url, nArg, topic] = process.argv.slice(2);
const n = Number(nArg);
if (!['ws', 'sse', 'mqtt'].includes(kind) || !url || !Number.isInteger(n) || n <= 0) {
  console.error('usage: bareClient.mjs ws|sse|mqtt <url> <n> [topic]');
  process.exit(2);
}
const guard = setTimeout(() => {
  console.error(`timed out after ${got} of ${n}`);
  process.exit(1);
}, 60_000);
let got = 0;
let bytes = 0;
const finish = () => {
  clearTimeout(guard);
  console.log(JSON.stringify({ kind: 'summary', frames: { in: got }, bytes: { in: bytes } }));
};

if (kind === 'ws') {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(url);
  ws.on('message', (data) => {
    bytes += data.length;
    if (++got === n) ws.close(1000);
  });
  ws.on('close', finish);
  ws.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
  });
} else if (kind === 'sse') {
  const { EventSource } = await import('eventsource');
  const es = new EventSource(url);
  es.onmessage = (e) => {
    bytes += Buffer.byteLength(e.data);
    if (++got === n) {
      es.close();
      finish();
    }
  };
  es.onerror = () => {
    if (es.readyState === es.CLOSED) {
      console.error('eventsource failed');
      process.exit(1);
    }
  };
} else {
  const mqtt = await import('mqtt');
  const client = mqtt.connect(url, { reconnectPeriod: 0 });
  client.on('connect', () => client.subscribe(topic, { qos: 0 }));
  client.on('message', (_t, payload) => {
    bytes += payload.length;
    if (++got === n) client.end(false, {}, finish);
  });
  client.on('error', (err) => {
    console.error(err.message);
    process.exit(1);
  });
}
