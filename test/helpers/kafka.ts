/**
 * A real Kafka protocol peer for tests: librdkafka's mock cluster, run by Debian's `kcat` in its own
 * process group (test/helpers/daemon.ts), which prints its `bootstrap.servers`. kcat is also the client
 * Wirescope did not write: it produces records for Wirescope to read and reads back what Wirescope produced.
 *
 * What the mock cluster (librdkafka 2.0) cannot do, and the tests therefore do not try: refuse to create a
 * topic (it creates any topic a Metadata v2 request names, four partitions), SASL, TLS, and coming back on
 * the same port after a stop (a new cluster gets a new port). Set WIRESCOPE_KAFKA_BOOTSTRAP=host:port to run
 * the same tests against a real broker instead.
 */
import { spawn } from 'node:child_process';
import { startDaemon, type Daemon } from './daemon';

export const KCAT_BIN = process.env.KCAT_BIN ?? '/usr/bin/kcat';

export interface KafkaCluster {
  /** host:port of the bootstrap broker. */
  bootstrap: string;
  port: number;
  url: string;
  /** A real broker given by WIRESCOPE_KAFKA_BOOTSTRAP (not stoppable here). */
  external: boolean;
  log(): string;
  /** Cut every client connection to the broker except kcat's own (see cutClients); how many were cut. */
  cut(): Promise<number>;
  stop(): Promise<void>;
}

export async function startKafka(): Promise<KafkaCluster> {
  const ext = process.env.WIRESCOPE_KAFKA_BOOTSTRAP;
  if (ext) {
    const port = Number(ext.split(':').pop());
    return { bootstrap: ext, port, url: `kafka://${ext}`, external: true, log: () => '', cut: () => Promise.reject(new Error('cannot cut the connections of an external broker')), stop: async () => undefined };
  }
  // -C on a topic keeps kcat (and so the cluster) running; debug=mock makes it print the bootstrap list.
  const d: Daemon = await startDaemon({
    name: 'kcat mock cluster',
    bin: KCAT_BIN,
    args: ['-b', 'x', '-C', '-t', '__wirescope_keepalive', '-X', 'test.mock.num.brokers=1', '-X', 'debug=mock', '-q'],
    ready: { output: /bootstrap\.servers=(127\.0\.0\.1:(\d+))/ },
    readyTimeoutMs: 15_000,
  });
  const bootstrap = d.match?.[1] ?? '';
  const port = Number(d.match?.[2]);
  // kcat's own connections (bootstrap, then the broker's): settled shortly after the ready line.
  let own = new Set<number>();
  for (let i = 0; i < 50 && own.size < 1; i++) {
    await new Promise((r) => setTimeout(r, 50));
    own = await clientPorts(port);
  }
  await new Promise((r) => setTimeout(r, 200));
  own = new Set([...own, ...(await clientPorts(port))]);
  return { bootstrap, port, url: `kafka://${bootstrap}`, external: false, log: () => d.log(), cut: () => cutClients(port, own), stop: () => d.stop() };
}

function run(args: string[], input: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 16_384) err += b.toString('utf8');
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(new Error(`kcat ${args.join(' ')} did not finish within ${timeoutMs} ms: ${err.trim().slice(-500)}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${err.trim().slice(-500)}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** Produce keyed records with kcat (`key:value` per line; a record without key when key is undefined). */
export async function kcatProduce(bootstrap: string, topic: string, records: Array<{ key?: string; value: string; partition?: number; headers?: Record<string, string | string[]> }>, o: { compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd' } = {}): Promise<void> {
  // kcat takes one set of -H headers per run: group the records by their headers and partition.
  const groups = new Map<string, typeof records>();
  for (const r of records) {
    const k = JSON.stringify([r.headers ?? {}, r.partition ?? -1, r.key === undefined]);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  for (const [k, list] of groups) {
    const [headers, partition, keyless] = JSON.parse(k) as [Record<string, string | string[]>, number, boolean];
    const args = ['-P', '-b', bootstrap, '-t', topic, '-q'];
    if (o.compression) args.push('-z', o.compression);
    if (!keyless) args.push('-K', '\t');
    if (partition >= 0) args.push('-p', String(partition));
    for (const [hk, hv] of Object.entries(headers)) for (const v of Array.isArray(hv) ? hv : [hv]) args.push('-H', `${hk}=${v}`);
    const input = list.map((r) => (keyless ? r.value : `${r.key}\t${r.value}`)).join('\n') + '\n';
    await run(args, input, 15_000);
  }
}

export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: string;
}

/** Read a whole topic with kcat (from the beginning to the end of every partition). */
export async function kcatConsume(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  const out = await run(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%t\\t%p\\t%o\\t%k\\t%s\\t%h\\n'], undefined, 15_000);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [t, p, o, k, s, h] = l.split('\t');
      return { topic: t, partition: Number(p), offset: Number(o), key: k, value: s, headers: h ?? '' };
    });
}

/** The topics' partitions as kcat sees them (kcat -L). */
export async function kcatList(bootstrap: string, topic: string): Promise<string> {
  return run(['-L', '-b', bootstrap, '-t', topic], undefined, 15_000);
}


function ss(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ss', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`ss ${args.join(' ')} exited with ${code}: ${err.trim()}`));
    });
  });
}

/** Local ports of the loopback TCP connections open to a port now (the connections of clients, not the server's side). */
export async function clientPorts(port: number): Promise<Set<number>> {
  const out = await ss(['-tnH', 'state', 'established', `( dport = :${port} )`]);
  const ports = new Set<number>();
  for (const line of out.split('\n')) {
    const local = line.trim().split(/\s+/)[2];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) ports.add(Number(m[1]));
  }
  return ports;
}

/**
 * Cut the client connections to a broker (the kernel destroys the sockets: `ss -K`, root), sparing `keep`
 * (kcat's own connection, which holds the mock cluster up: kcat exits when it loses every broker). This is
 * how the tests make a broker drop its clients while it stays up: the mock cluster cannot restart on its port.
 */
export async function cutClients(port: number, keep: ReadonlySet<number>): Promise<number> {
  let n = 0;
  for (const lp of await clientPorts(port)) {
    if (keep.has(lp)) continue;
    await ss(['-K', '-tn', `( dport = :${port} and sport = :${lp} )`]);
    n++;
  }
  return n;
}
