import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDemo } from '../../../src/demo';
import type { SummaryEvent } from '../../../src/shared/events';
import { ofKind, wsServer } from '../../helpers/servers';
import { assertOneLineError, parseNdjson, runCli } from './runCli';

describe('wirescope connect --id-field / --fail-on anomaly', () => {
  it('exits 3 with one line when a message is missing, and 0 without --fail-on', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (s) => {
        for (const seq of [1, 2, 4]) s.send(JSON.stringify({ seq }));
      }),
    );
    try {
      const args = ['connect', srv.url, '--id-field', '$.seq', '--count', '3', '--format', 'ndjson'];
      const strict = await runCli([...args, '--fail-on', 'anomaly']);
      assert.equal(strict.code, 3);
      assert.match(assertOneLineError(strict.stderr), /1 sequence anomaly \(1 gap/);
      const events = parseNdjson(strict.stdout);
      const gap = ofKind(events, 'anomaly');
      assert.equal(gap.length, 1);
      assert.equal(gap[0].type, 'gap');
      assert.deepEqual((events[events.length - 1] as SummaryEvent).anomalies, { duplicate: 0, gap: 1, 'out-of-order': 0 });

      const lenient = await runCli(args);
      assert.equal(lenient.code, 0, lenient.stderr);
    } finally {
      await srv.close();
    }
  });

  it('exits 0 for the demo feed over SSE checked by sse-id', async () => {
    const demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 50 });
    try {
      const r = await runCli(['connect', demo.urls.sse, '--pattern', 'sse', '--id-field', 'sse-id', '--fail-on', 'anomaly', '--count', '10', '--format', 'summary']);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as SummaryEvent;
      assert.deepEqual(s.anomalies, { duplicate: 0, gap: 0, 'out-of-order': 0 });
    } finally {
      await demo.close();
    }
  });

  it('refuses an unusable --id-field with exit 2', async () => {
    const r = await runCli(['connect', 'ws://127.0.0.1:1/', '--id-field', 'seq']);
    assert.equal(r.code, 2);
    assert.match(assertOneLineError(r.stderr), /Invalid id field "seq"/);
  });
});
