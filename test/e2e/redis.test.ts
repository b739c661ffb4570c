// The redis pattern in a real VS Code (code-server) against a real Debian redis-server: a profile subscribed to
// a channel shows a message published by redis-cli (a client Wirescope did not write) in the inspector, and a
// message sent from the inspector's composer (its Channel field comes from the descriptor's capabilities)
// reaches another redis-cli that subscribed to the same channel.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { REDIS_CLI_BIN, startRedis, type RedisServer } from '../helpers/redis';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let redis: RedisServer;
let peer: ChildProcess | undefined;

describe('Redis pub/sub in VS Code (issue 14)', { timeout: 600_000 }, () => {
  before(async () => {
    redis = await startRedis();
    wb = await launchWorkbench({
      name: 'redis',
      profiles: () => [{ name: 'Redis news', pattern: 'redis', url: redis.url, redis: { subscribe: ['news'] } }],
    });
  });
  after(async () => {
    if (peer?.pid && peer.exitCode === null) peer.kill('SIGTERM');
    await wb?.close();
    await redis?.stop();
  });

  test('a message published by redis-cli appears in the inspector; a publish from the composer reaches another subscriber', async () => {
    try {
      await wb.palette('Wirescope: Connect to Profile…', 'Redis news');
      const panel = await wb.panel('Redis news', 30_000);
      const rows = panel.locator('#frame-log .row');
      // The server's confirmation is a row of its own: only then can a publish reach the session.
      await rows.filter({ hasText: /subscribed to channel news/ }).first().waitFor({ timeout: 30_000 });

      const receivers = await redis.cli('PUBLISH', 'news', 'hello from redis-cli');
      assert.match(receivers, /^1/, 'the session is the one subscriber');
      const fromCli = rows.filter({ hasText: /hello from redis-cli/ }).first();
      await fromCli.waitFor({ timeout: 20_000 });
      assert.match((await fromCli.textContent()) ?? '', /↓/, 'an incoming row');
      assert.match((await fromCli.textContent()) ?? '', /news/, 'its channel is shown');

      // Another client listens on the channel: redis-cli in subscribe mode prints each message it gets.
      let heard = '';
      peer = spawn(REDIS_CLI_BIN, ['-h', '127.0.0.1', '-p', String(redis.port), 'SUBSCRIBE', 'news'], { stdio: ['ignore', 'pipe', 'ignore'] });
      peer.stdout!.setEncoding('utf8').on('data', (d: string) => (heard += d));
      await waitUntil('redis-cli to subscribe', () => /subscribe\s+news\s+1/.test(heard.replace(/\n/g, ' ')), 10_000, 50);

      // The composer: the descriptor says the field is a Channel, with no QoS or retain.
      await panel.waitForSelector('#composer:not([hidden])', { timeout: 20_000 });
      await panel.waitForSelector('#composer-channel[placeholder="Channel"]:not([hidden])');
      assert.equal(await panel.isHidden('#composer-qos'), true, 'no QoS for Redis');
      await panel.locator('#composer-channel input').fill('news');
      await panel.locator('#composer-input textarea').fill('hello from the composer');
      await panel.click('#composer-send');

      await waitUntil('the other subscriber to get the composer\'s message', () => heard.includes('hello from the composer'), 20_000, 50);
      // Both ways in the inspector: the PUBLISH going out, and the session's own subscription bringing it back.
      await waitUntil('the composer message out and in', async () => {
        const texts = await rows.filter({ hasText: /hello from the composer/ }).allTextContents();
        return texts.some((t) => /↑/.test(t)) && texts.some((t) => /↓/.test(t));
      }, 20_000);
      const state = await waitUntil('the session in the revealed state', async () => (await wb.revealState()).sessions.find((s) => s.name === 'Redis news' && s.stats.framesOut >= 1), 20_000, 300);
      assert.equal(state.ended, false, 'the session stays open');
      await wb.screenshot('inspector-redis');
    } catch (e) {
      await wb?.screenshot('fail-redis').catch(() => undefined);
      throw e;
    }
  });

  test('New Connection from the palette: a redis:// URL is Redis by its scheme, asks for channels, and receives what redis-cli publishes', async () => {
    const { page } = wb;
    try {
      await wb.palette('Wirescope: New Connection…');
      const input = page.locator('.quick-input-widget input');
      await page.locator('.quick-input-widget .quick-input-title', { hasText: /New Connection \(1\/3\) — URL/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(redis.url);
      await input.press('Enter');
      await page.locator('.quick-input-widget .quick-input-title', { hasText: /New Connection \(2\/3\) — pattern/ }).first().waitFor({ state: 'visible', timeout: 20_000 });
      const first = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first();
      await first.waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(((await first.locator('.label-name').first().textContent()) ?? '').trim(), 'Redis pub/sub and streams');
      assert.match((await first.locator('.label-description').first().textContent()) ?? '', /inferred from the redis: scheme/);
      await first.click();
      // Step 3 comes from the descriptor: the channels to subscribe to.
      await page.locator('.quick-input-widget .quick-input-title', { hasText: /New Connection \(3\/3\) — Redis/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await page.locator('.quick-input-widget', { hasText: /Channels to SUBSCRIBE to/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('alerts, audit');
      await input.press('Enter');
      const session = await waitUntil('the new Redis session', async () => (await wb.revealState()).sessions.find((x) => x.pattern === 'redis' && x.name !== 'Redis news'), 30_000, 300);
      const panel = await wb.panel(session.name, 30_000);
      const rows = panel.locator('#frame-log .row');
      await rows.filter({ hasText: /subscribed to channel audit/ }).first().waitFor({ timeout: 30_000 });
      assert.match(await redis.cli('PUBLISH', 'alerts', 'disk at 91%'), /^1/, 'the new session is the one subscriber of alerts');
      await rows.filter({ hasText: /disk at 91%/ }).first().waitFor({ timeout: 20_000 });
      await wb.screenshot('new-connection-redis');
    } catch (e) {
      await wb?.screenshot('fail-new-connection-redis').catch(() => undefined);
      throw e;
    }
  });
});
