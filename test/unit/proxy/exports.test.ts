/**
 * Exports of proxied traffic: the NDJSON export round-trips every event, and the HAR pairs each
 * exchange by its id even when connections interleave, with WebSocket messages in
 * `_webSocketMessages`, SSE events in `_eventSourceMessages`, and credentials masked.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { buildHar } from '../../../src/core/export/har';
import { parseNdjson, toNdjson } from '../../../src/core/export/ndjson';
import { curl, startProxy, until } from '../../helpers/captureProxy';
import { httpServer } from '../../helpers/servers';

describe('capture proxy exports', () => {
  it('HAR has one entry per exchange with WebSocket and SSE messages; NDJSON keeps every event', async () => {
    let releaseSse: (() => void) | undefined;
    const srv = await httpServer((req, res) => {
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // A retry-only and an id-only block: logged, but not messages a browser dispatches.
        res.write('id: 7\nevent: tick\ndata: {"n":7}\n\nretry: 1500\n\nid: 7b\n\n');
        releaseSse = () => res.end('id: 8\ndata: {"n":8}\n\n');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ got: Buffer.concat(chunks).toString() }));
      });
    });
    const wss = new WebSocketServer({ server: srv.server });
    wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
    const p = await startProxy(srv.url);
    // Interleave: an SSE stream stays open while a WebSocket and a POST come and go.
    let sseText = '';
    const sse = curl(['-N', `${p.url}/sse`], { onData: (d) => (sseText += d.toString()) });
    await until(() => sseText.includes('{"n":7}'));
    const ws = new WebSocket(`${p.url.replace('http:', 'ws:')}/ws`);
    await once(ws, 'open');
    ws.send('ws-out-1');
    await once(ws, 'message');
    ws.send(Buffer.from([1, 2, 3]));
    await once(ws, 'message');
    const post = await curl(['-X', 'POST', '-d', 'posted-body', '-H', 'Authorization: Bearer har-secret-xyz', `${p.url}/items`]);
    assert.equal(post.stdout.toString(), '{"got":"posted-body"}');
    releaseSse!();
    await sse;
    ws.close();
    await once(ws, 'close');
    await until(() => p.events.filter((e) => e.kind === 'timing' && e.meta?.connectionClosed).length === 1);
    await p.close();

    const har = buildHar(p.events, { id: 'x', name: 'proxy', pattern: 'proxy', url: srv.url });
    const entries = har.log.entries;
    assert.equal(entries.length, 3);
    const sseEntry = entries.find((e) => e.request.url.endsWith('/sse'))!;
    assert.equal(sseEntry._resourceType, 'eventsource');
    assert.deepEqual(sseEntry._eventSourceMessages!.map((m) => [m.eventName, m.eventId, m.data]), [['tick', '7', '{"n":7}'], ['message', '8', '{"n":8}']]);
    assert.equal(sseEntry.response.status, 200);
    const sseFrames = p.events.filter((e): e is Extract<typeof e, { kind: 'frame' }> => e.kind === 'frame' && e.meta?.stream === 'sse' && !e.meta?.control);
    assert.deepEqual(
      sseFrames.map((e) => [e.kind === 'frame' ? e.data : '', e.meta?.id, e.meta?.retry, e.meta?.dispatched]),
      [['{"n":7}', '7', undefined, undefined], ['', undefined, 1500, false], ['', '7b', undefined, false], ['{"n":8}', '8', undefined, undefined]],
      'the NDJSON log keeps the blocks without data, marked as not dispatched',
    );
    const wsEntry = entries.find((e) => e._resourceType === 'websocket')!;
    assert.equal(wsEntry.response.status, 101);
    assert.deepEqual(wsEntry._webSocketMessages!.map((m) => [m.type, m.opcode, m.data]), [
      ['send', 1, 'ws-out-1'],
      ['receive', 1, 'ws-out-1'],
      ['send', 2, 'AQID'],
      ['receive', 2, 'AQID'],
    ]);
    const postEntry = entries.find((e) => e.request.method === 'POST')!;
    assert.equal(postEntry.response.status, 201);
    assert.equal(postEntry.request.postData?.text, 'posted-body');
    assert.equal(postEntry.response.content.text, '{"got":"posted-body"}');
    assert.ok(postEntry.timings.wait >= 0 && postEntry.time > 0);
    assert.ok(!JSON.stringify(har).includes('har-secret-xyz'), 'credentials masked in the HAR');

    const back = parseNdjson(toNdjson(p.events));
    assert.equal(back.length, p.events.length);
    assert.ok(!toNdjson(p.events).includes('har-secret-xyz'));
    wss.close();
    await srv.close();
  });
});
