/** Test helpers for the capture proxy: a proxy session on 127.0.0.1:0 and a curl runner. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Session } from '../../src/core/session';
import type { ConnectOptions, ProxyOptions } from '../../src/shared/connectOptions';
import type { FrameEvent, WireEvent } from '../../src/shared/events';

export interface ProxyUnderTest {
  session: Session;
  events: WireEvent[];
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start a capture proxy session and wait for its `open` event. */
export async function startProxy(target: string | undefined, proxy: ProxyOptions = {}, extra: Partial<ConnectOptions> = {}): Promise<ProxyUnderTest> {
  const session = new Session({ pattern: 'proxy', url: target ?? '', proxy, ...extra });
  const events: WireEvent[] = [];
  session.onEvent((e) => events.push(e));
  await session.start();
  const until = Date.now() + 10_000;
  while (!events.some((e) => e.kind === 'state' && (e.state === 'open' || e.state === 'failed'))) {
    if (Date.now() > until) throw new Error('proxy did not open');
    await new Promise((r) => setTimeout(r, 5));
  }
  const open = events.find((e) => e.kind === 'state' && e.state === 'open');
  if (!open || open.kind !== 'state' || !open.url) throw new Error(`proxy failed: ${JSON.stringify(events)}`);
  const url = open.url.replace(/\/$/, '');
  return {
    session,
    events,
    url,
    port: Number(new URL(url).port),
    close: async () => {
      await session.close('test done');
    },
  };
}

export interface CurlResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Run curl (bounded in time); stdout is collected as bytes. `onData` sees stdout as it arrives. */
export function curl(args: string[], opts: { timeoutMs?: number; onData?: (chunk: Buffer) => void } = {}): Promise<CurlResult> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-sS', '--noproxy', '*', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      opts.onData?.(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

/** curl through a forward proxy (`-x`), without the --noproxy override. */
export function curlVia(proxyUrl: string, args: string[], timeoutMs = 30_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-sS', '-x', proxyUrl, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function frames(events: WireEvent[], pred: (f: FrameEvent) => boolean = () => true): FrameEvent[] {
  return events.filter((e): e is FrameEvent => e.kind === 'frame' && pred(e));
}

export async function until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
