/**
 * Received Socket.IO events are logged with their argument text as the server wrote it (wireArgs.ts):
 * the packet shapes it cuts, the ones it leaves to the serialising path, and a real server's events.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Server } from 'socket.io';
import { eventArgsText } from '../../../src/patterns/socketio/wireArgs';
import type { FrameEvent } from '../../../src/shared/events';
import { checkInvariants, ofKind, runSession } from '../../helpers/servers';

describe('socketio: event arguments as sent', () => {
  it('cuts the argument array out of EVENT packets of every shape', () => {
    const cases: [string, string | undefined][] = [
      ['2["tick",{"seq":1}]', '[{"seq":1}]'],
      ['2["tick"]', '[]'],
      ['2["tick",1,"two",[3]]', '[1,"two",[3]]'],
      ['2/chat,["msg","hi"]', '["hi"]'],
      ['2/chat,17["msg","hi"]', '["hi"]'],
      ['212["ask",{"q":1}]', '[{"q":1}]'],
      ['2[ "spaced" , {"a": 1} ]', '[{"a": 1} ]'],
      ['2["a\\"b",1]', '[1]'],
      ['2["a\\\\",1]', '[1]'],
      ['2["x,y]",1]', '[1]'],
      ['2[12345678901234567890,1]', undefined],
      ['5-["bin",{"_placeholder":true,"num":0}]', undefined],
      ['2', undefined],
      ['2["unterminated', undefined],
    ];
    for (const [raw, want] of cases) {
      assert.equal(eventArgsText(raw), want, raw);
      if (want !== undefined) assert.doesNotThrow(() => JSON.parse(want), raw);
    }
  });

  it("a real server's events: the text as sent (a 64-bit integer keeps its digits), acks requested, binary still serialised", async () => {
    const httpServer = http.createServer();
    const io = new Server(httpServer);
    io.on('connection', (s) => {
      // socket.io serialises with JSON.stringify; a raw packet is the way to send a number a JS number cannot hold.
      s.conn.send('2["big",{"id":12345678901234567890}]');
      s.emit('plain', { a: [1, 2] }, 'x');
      s.emit('empty');
      s.emit('ask', 7, () => undefined);
      s.emit('blob', Buffer.from([1, 2]));
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
    const port = (httpServer.address() as AddressInfo).port;
    try {
      const events = await runSession({ pattern: 'socketio', url: `http://127.0.0.1:${port}/`, count: 5, socketio: { transport: 'websocket' } });
      checkInvariants(events);
      const got = (ofKind(events, 'frame') as FrameEvent[]).filter((f) => f.dir === 'in' && !f.meta?.control);
      assert.deepEqual(
        got.map((f) => [f.channel, f.encoding === 'base64' ? `binary ${f.data}` : f.data, f.meta?.ackRequested ?? false]),
        [
          ['big', '[{"id":12345678901234567890}]', false],
          ['plain', '[{"a":[1,2]},"x"]', false],
          ['empty', '[]', false],
          ['ask', '[7]', true],
          ['blob', 'binary AQI=', false],
        ],
      );
      assert.equal(got[0].size, Buffer.byteLength('[{"id":12345678901234567890}]'));
    } finally {
      io.disconnectSockets(true);
      await new Promise<void>((r) => void io.close(() => r()));
    }
  });
});
