import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SummaryEvent } from '../../../src/shared/events';
import { ofKind } from '../../helpers/servers';
import { assertOneLineError, parseNdjson, runCli, startCli } from './runCli';

describe('wirescope demo', () => {
  it('prints every URL and a command that works as printed, and stops cleanly on SIGINT', async () => {
    const demo = startCli(['demo', '--port', '0', '--mqtt-port', '0', '--grpc-port', '0', '--rate', '0.2/s']);
    try {
      await demo.waitForStdout((out) => out.includes('Ctrl+C stops the demo.'));
      assert.equal(demo.child.exitCode, null, 'still running');
      const lines = demo.stdout().split('\n');
      for (const label of ['REST resource', 'server-sent events', 'WebSocket', 'short polling', 'long polling', 'HTTP streaming', 'async jobs', 'MQTT broker', 'gRPC (wirescope.demo.Feed)', 'gRPC service (.proto)', 'GraphQL queries', 'GraphQL subscriptions (ws)', 'GraphQL subscriptions (SSE)']) {
        assert.ok(lines.some((l) => l.includes(label)), label);
      }
      assert.ok(lines.every((l) => !/0\.0\.0\.0/.test(l)), 'bound to loopback, not every interface');
      const tryLine = lines[lines.indexOf('Try:') + 1].trim();
      const m = /^wirescope (connect ws:\/\/127\.0\.0\.1:\d+\/ws --send hi --count 1 --format ndjson)$/.exec(tryLine);
      assert.ok(m, `try line: ${tryLine}`);

      const r = await runCli(m[1].split(' '));
      assert.equal(r.code, 0, r.stderr);
      const events = parseNdjson(r.stdout);
      assert.deepEqual(
        events.map((e) => e.seq),
        events.map((_, i) => i + 1),
      );
      const data = ofKind(events, 'frame').filter((f) => !f.meta?.control);
      assert.deepEqual(
        data.map((f) => [f.dir, f.data]),
        [
          ['out', 'hi'],
          ['in', 'hi'],
        ],
      );
      assert.equal((events[events.length - 1] as SummaryEvent).kind, 'summary');

      demo.child.kill('SIGINT');
      const done = await demo.result;
      assert.equal(done.code, 0);
      assert.match(done.stdout, /Stopping the demo \(SIGINT\)/);
      assert.equal(done.stderr, '');
    } finally {
      demo.child.kill('SIGKILL');
    }
  });

  it('exits 2 with one line for bad demo arguments', async () => {
    const r = await runCli(['demo', '--rate', 'fast']);
    assert.equal(r.code, 2);
    assert.match(assertOneLineError(r.stderr), /--rate needs events per second/);
  });
});
