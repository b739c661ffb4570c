/**
 * Timing accuracy: the phases the engine measures for one HTTP exchange against what
 * `curl -w` reports for the same loopback endpoint, which injects known delays
 * (headers after 50 ms, then 5 chunks 30 ms apart). Runs alternate, medians are compared.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from '../src/core/session';
import type { TimingPhases, WireEvent } from '../src/shared/events';
import { median, sleep, type BenchContext } from './lib';

const CURL = '/usr/bin/curl';
const HEAD_DELAY_MS = 50;
const CHUNKS = 5;
const CHUNK_GAP_MS = 30;

/** Phase durations in ms; null where the phase did not happen. */
interface Phases {
  connect: number;
  tls: number | null;
  ttfb: number;
  download: number;
  total: number;
}

function curlOnce(url: string, caFile: string | undefined): Promise<Phases> {
  const args = ['-s', '-o', '/dev/null', '--max-time', '10', '-w', '%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}'];
  if (caFile) args.push('--cacert', caFile);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(CURL, args, { timeout: 15_000 }, (err, stdout) => {
      if (err) return reject(new Error(`curl failed: ${err.message.split('\n', 1)[0]}`));
      const [lookup, connect, appconnect, starttransfer, total] = stdout.trim().split(/\s+/).map((s) => Number(s) * 1000);
      // curl's figures are cumulative from the start; the engine's are per phase.
      const connected = caFile ? appconnect : connect;
      resolve({
        connect: connect - lookup,
        tls: caFile ? appconnect - connect : null,
        ttfb: starttransfer - connected,
        download: total - starttransfer,
        total,
      });
    });
  });
}

async function engineOnce(url: string, ca: string | undefined): Promise<Phases> {
  const session = new Session({ pattern: 'http', url, tls: ca ? { ca } : undefined, connectTimeoutMs: 10_000 });
  const timings: TimingPhases[] = [];
  let error: string | undefined;
  session.onEvent((e: WireEvent) => {
    if (e.kind === 'timing') timings.push(e.phases);
    if (e.kind === 'error') error = e.message;
  });
  await session.start();
  await session.done;
  const p = timings[0];
  if (!p) throw new Error(`the engine reported no timing${error ? `: ${error}` : ''}`);
  if (p.connect === null || p.ttfb === null || p.download === null) throw new Error('the engine timing lacks a phase');
  return { connect: p.connect, tls: p.tls, ttfb: p.ttfb, download: p.download, total: p.total };
}

export async function benchTiming(ctx: BenchContext): Promise<void> {
  if (!existsSync(CURL)) {
    ctx.log(`  ${CURL} not found; skipped`);
    return;
  }
  const reps = ctx.quick ? 3 : 9;
  const query = `/slow?head=${HEAD_DELAY_MS}&chunks=${CHUNKS}&gap=${CHUNK_GAP_MS}&size=1000`;
  const dir = mkdtempSync(join(tmpdir(), 'wirescope-bench-'));
  try {
    const targets: Array<{ name: string; url: string; ca?: string; caFile?: string }> = [{ name: 'http', url: `http://127.0.0.1:${ctx.feed.httpPort}${query}` }];
    if (ctx.feed.httpsPort && ctx.tlsCert) {
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, ctx.tlsCert);
      targets.push({ name: 'https', url: `https://127.0.0.1:${ctx.feed.httpsPort}${query}`, ca: ctx.tlsCert, caFile });
    }
    for (const t of targets) {
      ctx.log(`  ${t.name}: engine vs curl, ${reps} runs each (headers after ${HEAD_DELAY_MS} ms, ${CHUNKS} chunks ${CHUNK_GAP_MS} ms apart) ...`);
      await curlOnce(t.url, t.caFile);
      await engineOnce(t.url, t.ca);
      const ours: Phases[] = [];
      const curl: Phases[] = [];
      for (let i = 0; i < reps; i++) {
        if (i % 2 === 0) {
          curl.push(await curlOnce(t.url, t.caFile));
          ours.push(await engineOnce(t.url, t.ca));
        } else {
          ours.push(await engineOnce(t.url, t.ca));
          curl.push(await curlOnce(t.url, t.caFile));
        }
        await sleep(20);
      }
      const phases: Array<keyof Phases> = t.name === 'https' ? ['connect', 'tls', 'ttfb', 'download', 'total'] : ['connect', 'ttfb', 'download', 'total'];
      for (const phase of phases) {
        // Each run's server delays wobble with machine load, and back-to-back runs wobble
        // together: compare the median of the per-pair differences, not two medians.
        const diffs = ours.map((p, i) => (p[phase] ?? 0) - (curl[i][phase] ?? 0));
        const o = median(ours.map((p) => p[phase] ?? 0));
        const c = median(curl.map((p) => p[phase] ?? 0));
        const diff = median(diffs);
        const allowed = 1 + 0.05 * c;
        ctx.add({
          id: `timing.${t.name}.${phase}`,
          what: `Timing ${t.name} ${phase} vs curl (median diff ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} ms)`,
          value: Math.round(o * 100) / 100,
          unit: 'ms',
          baseline: Math.round(c * 100) / 100,
          target: `abs diff <= ${allowed.toFixed(2)} ms`,
          met: Math.abs(diff) <= allowed,
          runs: { ours: ours.map((p) => Math.round((p[phase] ?? 0) * 100) / 100), bare: curl.map((p) => Math.round((p[phase] ?? 0) * 100) / 100) },
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
