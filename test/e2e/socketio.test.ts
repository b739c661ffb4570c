// Issue 15's Socket.IO pattern in a real VS Code (code-server): a socketio profile reaches the library's own
// server (`socket.io`, not written by Wirescope) on a namespace behind an auth middleware; the inspector's composer,
// driven by the pattern's capabilities (an event name, JSON arguments, the ack toggle), emits an event with an
// acknowledgement, and the ack appears as an incoming row on the event with its round trip.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Server } from 'socket.io';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let io: Server;
let httpServer: http.Server;
const PROFILE = 'Socket.IO chat';

describe('Socket.IO in VS Code (issue 15)', { timeout: 600_000 }, () => {
  before(async () => {
    httpServer = http.createServer();
    io = new Server(httpServer);
    const chat = io.of('/chat');
    chat.use((socket, next) => (socket.handshake.auth?.token === 'letmein' ? next() : next(new Error('token refused'))));
    chat.on('connection', (socket) => {
      socket.emit('welcome', { room: 'chat' });
      socket.on('echo', (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (...a: unknown[]) => void) : undefined;
        ack?.({ echoed: args });
      });
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
    const port = (httpServer.address() as AddressInfo).port;
    wb = await launchWorkbench({
      name: 'socketio',
      profiles: () => [{ name: PROFILE, pattern: 'socketio', url: `http://127.0.0.1:${port}/chat`, socketio: { auth: { token: 'letmein' } } }],
    });
  });
  after(async () => {
    await wb?.close();
    await new Promise<void>((r) => {
      httpServer.closeAllConnections();
      void io.close(() => r());
    });
  });

  test('the composer emits an event with an ack; the ack row appears on the event with its round trip', async () => {
    try {
      await wb.palette('Wirescope: Connect to Profile…', PROFILE);
      const panel = await wb.panel(PROFILE, 30_000);
      const rows = panel.locator('#frame-log .row');
      // Joined: the namespace's welcome is an incoming row on its event name.
      await rows.filter({ hasText: 'welcome' }).first().waitFor({ timeout: 30_000 });
      // The composer asks for what the pattern's capabilities say: an event, JSON arguments, an ack toggle.
      await panel.locator('#composer-channel:not([hidden])').waitFor({ timeout: 10_000 });
      await panel.locator('#composer-ack:not([hidden])').waitFor({ timeout: 10_000 });
      assert.equal(await panel.locator('#composer-qos').isHidden(), true, 'no QoS for Socket.IO');
      await panel.locator('#composer-channel input').fill('echo');
      await panel.locator('#composer-input textarea').fill('[{"n":42}]');
      await panel.locator('#composer-ack').click();
      await waitUntil('the ack toggle to be on', async () => panel.locator('#composer-ack').evaluate((el) => (el as HTMLElement & { checked?: boolean }).checked === true), 5_000);
      await panel.locator('#composer-send').click();
      // The emit goes out on the event; its ack comes back as an incoming row on the same event, with the RTT.
      const ackRow = panel.locator('#frame-log .row.frame-in', { hasText: /ack [\d.]+ ms/ }).first();
      await ackRow.waitFor({ timeout: 20_000 });
      const ackText = (await ackRow.textContent()) ?? '';
      assert.match(ackText, /echo/, `the ack row is on the echo event: ${ackText}`);
      assert.match(ackText, /"echoed":\[\{"n":42\}\]/, `the ack carries the server's answer: ${ackText}`);
      const texts = await rows.allTextContents();
      const out = texts.findIndex((t) => /↑/.test(t) && /echo/.test(t) && /"n":42/.test(t));
      const ack = texts.findIndex((t) => /ack [\d.]+ ms/.test(t));
      assert.ok(out >= 0 && ack > out, `the emit row, then its ack: ${JSON.stringify(texts)}`);
      const state = await waitUntil('the host to count the emit and the ack', async () => {
        const s = (await wb.revealState()).sessions.find((x) => x.name === PROFILE && !x.ended);
        return s && s.stats.framesOut >= 1 && s.stats.framesIn >= 2 ? s : undefined;
      }, 10_000, 300);
      assert.equal(state.pattern, 'socketio');
      await wb.screenshot('inspector-socketio-ack');
    } catch (e) {
      await wb?.screenshot('fail-socketio').catch(() => undefined);
      throw e;
    }
  });
});
