import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConnectArgs } from '../../../src/cli/args';
import { EXIT, runConnect, type CliIo } from '../../../src/cli/runConnect';
import type { SessionObserver } from '../../../src/core/session';
import { startDemo, type DemoBackend } from '../../../src/demo';
import type { WireEvent } from '../../../src/shared/events';

function captureIo(): CliIo & { out: string; errors: string[] } {
  const io = {
    out: '',
    errors: [] as string[],
    write: (t: string) => void (io.out += t),
    error: (l: string) => void io.errors.push(l),
    isTTY: false,
    env: {},
    onInterrupt: () => () => undefined,
  };
  return io;
}

/**
 * Stands in for the sequence checker: every inbound data frame after the first is reported as a
 * gap, and the summary carries the counts, the way the checker reports them.
 */
function gapEveryFrame(): SessionObserver {
  let frames = 0;
  let gaps = 0;
  return {
    onEvent(e: WireEvent, session) {
      if (e.kind === 'frame' && e.dir === 'in' && !e.meta?.control && ++frames > 1) {
        gaps++;
        session.emitExtra({ kind: 'anomaly', type: 'gap', key: frames, expected: frames - 1, got: frames });
      }
    },
    summary: () => ({ anomalies: { duplicate: 0, gap: gaps, 'out-of-order': 0 } }),
  };
}

describe('runConnect', () => {
  let demo: DemoBackend;
  before(async () => {
    demo = await startDemo({ port: 0, mqttPort: false, grpcPort: false, rate: 0 });
  });
  after(async () => {
    await demo.close();
  });

  it('--fail-on anomaly exits 3 with one line when the summary counts anomalies, and 0 without the flag', async () => {
    const argv = [demo.urls.ws, '--send', 'a', '--send', 'b', '--count', '2', '--format', 'ndjson'];
    const strict = captureIo();
    assert.equal(await runConnect(parseConnectArgs([...argv, '--fail-on', 'anomaly']), strict, [gapEveryFrame()]), EXIT.anomaly);
    assert.deepEqual(strict.errors, ['1 sequence anomaly (1 gap, 0 duplicate, 0 out-of-order)']);
    assert.ok(strict.out.includes('"kind":"anomaly"'), 'the anomaly event is printed');

    const lenient = captureIo();
    assert.equal(await runConnect(parseConnectArgs(argv), lenient, [gapEveryFrame()]), EXIT.ok);
    assert.deepEqual(lenient.errors, []);

    const clean = captureIo();
    assert.equal(await runConnect(parseConnectArgs([demo.urls.ws, '--send', 'a', '--count', '1', '--fail-on', 'anomaly']), clean, [gapEveryFrame()]), EXIT.ok, 'one frame, no anomaly');
  });
});
