/**
 * WebSocket bad input from a real server: invalid UTF-8 in a text frame, a 50 MB message, a flood
 * of 200k small frames, and broken JSON where a JSON-path id field is expected.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULT_PREVIEW_LIMIT } from '../../../src/shared/connectOptions';
import type { WireEvent } from '../../../src/shared/events';
import { ofKind, runSession, wsServer } from '../../helpers/servers';
import { handledSession, reportBadInputs } from './tally';

const dataIn = (events: WireEvent[]) => ofKind(events, 'frame').filter((f) => f.dir === 'in' && !f.meta?.control);

describe('WebSocket bad input', () => {
  after(() => reportBadInputs('ws'));

  it('invalid UTF-8 in a text frame: one-line error naming it, the connection ends, no crash', async () => {
    const srv = await wsServer((wss) =>
      wss.on('connection', (ws) => {
        ws.send('fine');
        // `ws` does not validate what it sends: a text frame with bytes that are not UTF-8.
        ws.send(Buffer.from([0x61, 0xff, 0xfe, 0x62]), { binary: false });
      }),
    );
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, reconnect: { enabled: false } });
      const s = handledSession(events);
      assert.deepEqual(dataIn(events).map((f) => f.data), ['fine']);
      const err = ofKind(events, 'error')[0];
      assert.ok(err, 'an error event');
      assert.match(err.message, /UTF-8/i);
      assert.notEqual(s.state, undefined);
    } finally {
      await srv.close();
    }
  });

  it('a 50 MB message: size counted in full, data cut at the preview limit, memory stays sane', async () => {
    const size = 50 * 1024 * 1024;
    const srv = await wsServer((wss) => wss.on('connection', (ws) => ws.send(Buffer.alloc(size, 'm'), { binary: false })));
    try {
      const before = process.memoryUsage().rss;
      const events = await runSession({ pattern: 'ws', url: srv.url, count: 1 });
      handledSession(events);
      const [f] = dataIn(events);
      assert.equal(f.size, size);
      assert.equal(f.truncated, true);
      assert.equal(f.data.length, DEFAULT_PREVIEW_LIMIT);
      assert.equal(events.at(-1)?.kind === 'summary' && (events.at(-1) as { bytes: { in: number } }).bytes.in >= size, true);
      // The server's copy, the socket buffers and the message itself: a few times 50 MB at most.
      const grownMb = (process.memoryUsage().rss - before) / (1024 * 1024);
      assert.ok(grownMb < 600, `rss grew by ${Math.round(grownMb)} MB`);
    } finally {
      await srv.close();
    }
  });

  it('a flood of 200,000 small frames: every one counted, in order', async () => {
    const total = 200_000;
    const srv = await wsServer((wss) =>
      wss.on('connection', (ws) => {
        let i = 0;
        // In slices, so the server does not build one giant buffer first.
        const pump = () => {
          for (let n = 0; n < 5000 && i < total; n++) ws.send(String(++i));
          if (i < total) setImmediate(pump);
        };
        pump();
      }),
    );
    try {
      let last = 0;
      let count = 0;
      let ordered = true;
      const all = await runSession({ pattern: 'ws', url: srv.url, count: total }, undefined, 60_000);
      for (const e of all) {
        if (e.kind === 'frame' && e.dir === 'in' && !e.meta?.control) {
          const n = Number(e.data);
          if (n !== last + 1) ordered = false;
          last = n;
          count++;
        }
      }
      handledSession(all);
      assert.equal(count, total);
      assert.equal(last, total);
      assert.ok(ordered, 'frames arrive in order, none lost');
    } finally {
      await srv.close();
    }
  });

  it('broken JSON where a JSON-path id is expected: one error per burst, counted, checking goes on', async () => {
    const msgs = ['{"seq":1}', '{"seq":2', 'oops', '{"seq":', '{"seq":3}', '<html>', '{"seq":4}'];
    const srv = await wsServer((wss) => wss.on('connection', (ws) => msgs.forEach((m) => ws.send(m))));
    try {
      const events = await runSession({ pattern: 'ws', url: srv.url, idField: '$.seq', count: msgs.length });
      const s = handledSession(events);
      const errs = ofKind(events, 'error').filter((e) => e.code === 'ERR_ID_NOT_JSON');
      assert.equal(errs.length, 2, 'two bursts of broken frames, two errors');
      // seq 2 only ever came broken, so it is missing: the one gap.
      assert.deepEqual(s.anomalies, { duplicate: 0, gap: 1, 'out-of-order': 0 });
      assert.deepEqual(ofKind(events, 'anomaly')[0].meta, { range: [2, 2], missing: 1 });
      assert.deepEqual(s.idCheck, { field: '$.seq', checked: 3, unidentified: 4, notJson: 4, window: 10_000 });
    } finally {
      await srv.close();
    }
  });
});
