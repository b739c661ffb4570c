import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemo, type DemoBackend, type FeedEvent } from '../../../src/demo';
import type { FrameEvent, StateEvent, SummaryEvent } from '../../../src/shared/events';
import { ofKind } from '../../helpers/servers';
import { parseNdjson, runCli, startCli } from './runCli';

const dataIn = (events: ReturnType<typeof parseNdjson>): FrameEvent[] => ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control);

describe('wirescope connect over every demo pattern', () => {
  let demo: DemoBackend;
  before(async () => {
    demo = await startDemo({ port: 0, mqttPort: 0, grpcPort: false, rate: 20, jobMs: 300 });
  });
  after(async () => {
    await demo.close();
  });

  it('poll: each poll is an out/in pair, changes are detected and staleness is measured from X-Changed-At', async () => {
    const r = await runCli(['connect', demo.urls.poll, '--pattern', 'poll', '--interval', '120', '--count', '4', '--timestamp-header', 'X-Changed-At', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    const ins = dataIn(events);
    assert.equal(ins.length, 4);
    for (const f of ins) assert.equal(typeof f.meta?.changed, 'boolean');
    const summary = events[events.length - 1] as SummaryEvent & { poll: { requests: number; changes: number; staleness: { samples: number } } };
    assert.equal(summary.poll.requests, 4);
    assert.ok(summary.poll.changes >= 2, 'a 20/s feed changes between 120 ms polls');
    assert.ok(summary.poll.staleness.samples >= 1);
  });

  it('long-poll: the cursor from the body is carried, so no event is delivered twice', async () => {
    const r = await runCli(['connect', `${demo.urls.longPoll.split('?')[0]}?cursor=${demo.feed.cursor}`, '--pattern', 'long-poll', '--cursor-field', '$.cursor', '--count', '3', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const batches = dataIn(parseNdjson(r.stdout)).map((f) => (JSON.parse(f.data) as { events: FeedEvent[]; cursor: number }).events.map((e) => e.seq));
    assert.equal(batches.length, 3);
    const all = batches.flat();
    for (let i = 1; i < all.length; i++) assert.equal(all[i], all[i - 1] + 1, `consecutive: ${JSON.stringify(batches)}`);
  });

  it('stream: one frame per NDJSON line', async () => {
    const r = await runCli(['connect', demo.urls.stream, '--pattern', 'stream', '--count', '3', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const seqs = dataIn(parseNdjson(r.stdout)).map((f) => (JSON.parse(f.data) as FeedEvent).seq);
    assert.equal(seqs.length, 3);
    assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2]);
  });

  it('async: POST /jobs is followed to its 200 done answer', async () => {
    const r = await runCli(['connect', demo.urls.jobs, '--pattern', 'async', '-X', 'POST', '--timeout', '10000', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const ins = dataIn(parseNdjson(r.stdout));
    assert.equal(ins[0].meta?.status, 202);
    const last = ins[ins.length - 1];
    assert.equal(last.meta?.status, 200);
    assert.equal(last.meta?.done, true);
    assert.ok((last.meta?.latencyMs as number) >= 250);
    assert.equal((JSON.parse(last.data) as { status: string }).status, 'done');
  });

  it('mqtt: subscribes to the embedded broker and receives the feed', async () => {
    const r = await runCli(['connect', demo.urls.mqtt!, '--subscribe', 'feed/ticks:1', '--count', '2', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const ins = dataIn(parseNdjson(r.stdout));
    assert.equal(ins.length, 2);
    for (const f of ins) assert.equal(f.channel, 'feed/ticks');
    const seqs = ins.map((f) => (JSON.parse(f.data) as FeedEvent).seq);
    assert.equal(seqs[1], seqs[0] + 1);
  });

  it('mqtt: MQTT 5 requests to the demo are answered and matched by correlation data', async () => {
    const r = await runCli(['connect', demo.urls.mqtt!, '--request-topic', 'demo/request', '--request-payload', 'hello', '--requests', '2', '--request-timeout', '5000', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const events = parseNdjson(r.stdout);
    const answers = dataIn(events).filter((f) => f.channel !== undefined && !f.channel.startsWith('feed/'));
    assert.equal(answers.length, 2);
    for (const a of answers) assert.equal((JSON.parse(a.data) as { request: string }).request, 'hello');
    const summary = events[events.length - 1] as SummaryEvent & { requestResponse: { sent: number; answered: number; timedOut: number } };
    assert.deepEqual([summary.requestResponse.sent, summary.requestResponse.answered, summary.requestResponse.timedOut], [2, 2, 0]);
  });
});

describe('wirescope connect --pattern webhook fed by the demo webhook sender', () => {
  it('receives signed deliveries and checks their HMAC with the secret from the environment', async () => {
    const secret = 'shared-test-secret';
    const run = startCli(['connect', '--pattern', 'webhook', '--listen', '127.0.0.1:0', '--hmac-secret-env', 'WS_TEST_HOOK_SECRET', '--count', '2', '--format', 'ndjson'], { env: { WS_TEST_HOOK_SECRET: secret } });
    let demo: DemoBackend | undefined;
    try {
      const url = await (async () => {
        let found: string | undefined;
        await run.waitForStdout((out) => {
          const ev = out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as StateEvent)
            .find((e) => e.kind === 'state' && e.state === 'open');
          found = ev?.url;
          return found !== undefined;
        });
        return found!;
      })();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+/);
      demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0, webhookUrl: url, webhookSecret: secret });
      const sent = [demo.feed.tick(), demo.feed.tick()];
      const r = await run.result;
      assert.equal(r.code, 0, r.stderr);
      const ins = dataIn(parseNdjson(r.stdout));
      assert.equal(ins.length, 2);
      ins.forEach((f, i) => {
        assert.equal(f.meta?.method, 'POST');
        assert.equal(f.meta?.signature, 'valid');
        assert.deepEqual(JSON.parse(f.data), sent[i]);
      });
      assert.ok(!r.stdout.includes(secret), 'the secret never appears in the output');
    } finally {
      run.child.kill('SIGKILL');
      await demo?.close();
    }
  });
});
