// Issue 10's proof pattern in a real VS Code (code-server): a raw TCP profile made in the profile form
// (its tcp fields come from the descriptor alone) holds a conversation with a real SMTP server (the npm
// smtp-server package, not written by Wirescope); the inspector shows the greeting, the EHLO answers and
// the 221 as incoming lines, and the sent commands as outgoing ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let smtp: SMTPServer;
let port = 0;

describe('raw TCP in VS Code (issue 10)', { timeout: 600_000 }, () => {
  before(async () => {
    smtp = new SMTPServer({ name: 'mx.wirescope.test', authOptional: true, disabledCommands: ['STARTTLS'], logger: false });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    port = (smtp.server.address() as AddressInfo).port;
    wb = await launchWorkbench({ name: 'raw-sockets', profiles: () => [] });
  });
  after(async () => {
    await wb?.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  test('a tcp profile made in the form talks SMTP; the inspector shows each line both ways', async () => {
    try {
      await wb.palette('Wirescope: New Profile…');
      const form = await wb.webviewFrame('#f-name', 30_000);
      await form.locator('#f-name input').fill('SMTP conversation');
      await form.click('#f-pattern');
      await form.click('#f-pattern [role="option"][value="tcp"]');
      await form.locator('#f-url input').fill(`tcp://127.0.0.1:${port}`);
      if (await form.locator('#f-scope').count()) {
        await form.click('#f-scope');
        await form.click('#f-scope [role="option"][value="workspace"]');
      }
      // The descriptor's fields: split (a select of its schema's values) and the messages to send.
      await form.click('#f-tcp-split');
      await form.click('#f-tcp-split [role="option"][value="lines"]');
      await form.locator('#f-send textarea').fill('EHLO wirescope.test\nQUIT');
      await wb.screenshot('profile-form-tcp');
      await form.click('#save');
      await waitUntil('the form to say it saved', async () => /saved/i.test((await form.locator('#form-status').textContent()) ?? ''), 20_000);
      const saved = await waitUntil('the tcp profile in .vscode/wirescope.json', () => {
        const file = JSON.parse(readFileSync(wb.profilesFile, 'utf8')) as { profiles: Array<Record<string, unknown>> };
        return file.profiles.find((p) => p.name === 'SMTP conversation');
      }, 10_000);
      assert.equal(saved.pattern, 'tcp');
      assert.deepEqual(saved.tcp, { split: 'lines' });
      assert.deepEqual(saved.send, ['EHLO wirescope.test', 'QUIT']);

      await wb.palette('Wirescope: Connect to Profile…', 'SMTP conversation');
      const panel = await wb.panel('SMTP conversation', 30_000);
      const rows = panel.locator('#frame-log .row');
      // The server speaks first; the commands wait for its greeting; QUIT ends with 221 and the server's FIN.
      // (Its CR shows as a visible escape: control characters are never written raw.)
      await rows.filter({ hasText: /221 / }).first().waitFor({ timeout: 30_000 });
      const texts = await rows.allTextContents();
      const at = (re: RegExp) => texts.findIndex((t) => re.test(t));
      const greeting = at(/220 mx\.wirescope\.test/);
      const ehlo = at(/EHLO wirescope\.test/);
      const firstOk = at(/250[- ]/);
      const quit = at(/QUIT/);
      const bye = at(/221 /);
      // The commands go out together once the greeting came (the server announces PIPELINING), the answers follow.
      assert.ok(greeting >= 0 && ehlo > greeting && quit > ehlo && firstOk > ehlo && bye > firstOk && bye > quit, `in order: ${JSON.stringify(texts)}`);
      assert.match(texts[ehlo], /↑/, 'EHLO is an outgoing row');
      assert.match(texts[greeting], /↓/, 'the greeting is an incoming row');
      assert.ok(texts.filter((t) => /250[- ]/.test(t)).length >= 2, 'each 250 line of the EHLO answer is a row of its own');
      const state = await waitUntil('the session to end', async () => (await wb.revealState()).sessions.find((s) => s.name === 'SMTP conversation' && s.ended), 20_000, 300);
      assert.ok(state.stats.framesIn >= 4, `lines in: ${state.stats.framesIn}`);
      await wb.screenshot('inspector-tcp-smtp');
    } catch (e) {
      await wb?.screenshot('fail-raw-tcp').catch(() => undefined);
      throw e;
    }
  });
});
