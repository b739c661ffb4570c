// An SMTP conversation in a real VS Code (code-server): a profile made in the profile form (pattern smtp,
// Basic auth with the password typed into the form, so it lives in SecretStorage; a test mail's sender and
// recipient) talks to a real SMTP server (the npm smtp-server package, with STARTTLS on a throwaway
// certificate). The inspector's rows pair each command with its reply, the codes in words; the password and
// its base64 forms are nowhere on the page, nor in any file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SMTP_PASSWORD, SMTP_USER, startSmtp, type TestSmtp } from '../helpers/smtpServer';
import { filesContaining, launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let smtp: TestSmtp;

const SECRET_FORMS = [SMTP_PASSWORD, Buffer.from(`\0${SMTP_USER}\0${SMTP_PASSWORD}`).toString('base64'), Buffer.from(SMTP_PASSWORD).toString('base64')];

describe('SMTP conversation in VS Code (issue 15)', { timeout: 600_000 }, () => {
  before(async () => {
    smtp = await startSmtp();
    wb = await launchWorkbench({ name: 'conversations', profiles: () => [] });
  });
  after(async () => {
    await wb?.close();
    await smtp?.close();
  });

  test('an smtp profile from the form sends a test mail over STARTTLS with AUTH from SecretStorage; rows pair commands and replies in words; the password is nowhere', async () => {
    try {
      writeFileSync(join(wb.workspaceDir, 'smtp-ca.pem'), smtp.ca);
      await wb.palette('Wirescope: New Profile…');
      const form = await wb.webviewFrame('#f-name', 30_000);
      await form.locator('#f-name input').fill('Mail check');
      await form.click('#f-pattern');
      await form.click('#f-pattern [role="option"][value="smtp"]');
      await form.locator('#f-url input').fill(`smtp://127.0.0.1:${smtp.port}`);
      if (await form.locator('#f-scope').count()) {
        await form.click('#f-scope');
        await form.click('#f-scope [role="option"][value="workspace"]');
      }
      await form.click('#f-auth-type');
      await form.click('#f-auth-type [role="option"][value="basic"]');
      await form.locator('#f-auth-username input').fill(SMTP_USER);
      await form.locator('#f-secret-auth input').fill(SMTP_PASSWORD);
      await form.locator('#f-tls-caFile input').fill('smtp-ca.pem');
      // The descriptor's fields.
      await form.click('#f-smtp-starttls');
      await form.click('#f-smtp-starttls [role="option"][value="require"]');
      await form.locator('#f-smtp-mailFrom input').fill('e2e@wirescope.test');
      await form.locator('#f-smtp-rcpt input').fill('inbox@wirescope.test');
      await form.locator('#f-smtp-subject input').fill('From the inspector');
      await wb.screenshot('profile-form-smtp');
      await form.click('#save');
      await waitUntil('the form to say it saved', async () => /saved/i.test((await form.locator('#form-status').textContent()) ?? ''), 20_000);
      const saved = await waitUntil('the smtp profile in .vscode/wirescope.json', () => {
        const file = JSON.parse(readFileSync(wb.profilesFile, 'utf8')) as { profiles: Array<Record<string, unknown>> };
        return file.profiles.find((p) => p.name === 'Mail check');
      }, 10_000);
      assert.equal(saved.pattern, 'smtp');
      assert.deepEqual(saved.smtp, { starttls: 'require', mailFrom: 'e2e@wirescope.test', rcpt: ['inbox@wirescope.test'], subject: 'From the inspector' });
      assert.equal((saved.auth as { type?: string }).type, 'basic');

      const mails = smtp.mails.length;
      await wb.palette('Wirescope: Connect to Profile…', 'Mail check');
      const panel = await wb.panel('Mail check', 30_000);
      const rows = panel.locator('#frame-log .row');
      // QUIT's reply is the last row of a conversation that went through.
      await rows
        .filter({ hasText: /closing connection/ })
        .first()
        .waitFor({ timeout: 30_000 })
        .catch((err: Error) => {
          // Say what the server saw: a conversation it cut short without a reply leaves its reason there.
          throw new Error(`${err.message.split('\n')[0]}; the SMTP server's errors: ${smtp.errors.join('; ') || 'none'}; mails accepted: ${smtp.mails.length - mails}`);
        });
      // The log keeps the newest rows in view: read them, then scroll to the top for the start of the conversation.
      const texts = await rows.allTextContents();
      const at = (list: string[], re: RegExp) => list.findIndex((t) => re.test(t));
      const inOrder = (list: string[], res: RegExp[]) => {
        const idx = res.map((re) => at(list, re));
        return idx.every((i, k) => i >= 0 && (k === 0 || i > idx[k - 1])) ? idx : undefined;
      };
      const tail = inOrder(texts, [
        /↑.*EHLO localhost/,
        /↓.*ok \([\d.]+ ms\) · 250-mx\.wirescope\.test/,
        /↑.*AUTH PLAIN \*\*\* \(credentials hidden\)/,
        /↓.*authentication succeeded \([\d.]+ ms\) · 235/,
        /↑.*MAIL FROM:<e2e@wirescope\.test>/,
        /↑.*RCPT TO:<inbox@wirescope\.test>/,
        /↓.*start mail input.*354/,
        /↓.*ok \([\d.]+ ms\) · 250 OK: message queued/,
        /↑.*QUIT/,
        /↓.*closing connection \([\d.]+ ms\) · 221/,
      ]);
      assert.ok(tail, `commands and replies in order: ${JSON.stringify(texts)}`);
      // Each command row is followed by its reply row (the EHLO after STARTTLS, AUTH).
      assert.equal(tail[1], tail[0] + 1, 'the EHLO reply is one row, right after EHLO');
      assert.equal(tail[3], tail[2] + 1, 'the AUTH reply right after AUTH');
      // Home in the log moves to its first row, as a keyboard user would.
      await panel.locator('#frame-log').focus();
      await panel.locator('#frame-log').press('Home');
      const head = await waitUntil('the start of the conversation in view', async () => {
        const top = await rows.allTextContents();
        return inOrder(top, [/↓.*service ready · 220 mx\.wirescope\.test/, /↑.*EHLO localhost/, /↓.*ok \([\d.]+ ms\) · 250-mx/, /↑.*STARTTLS/, /↓.*service ready \([\d.]+ ms\) · 220/]) ? top : undefined;
      }, 10_000);
      assert.ok(head.some((t) => /STARTTLS/.test(t) && !/↑/.test(t)), 'the STARTTLS control row (the handshake) is there');
      const state = await waitUntil('the session to end', async () => (await wb.revealState()).sessions.find((s) => s.name === 'Mail check' && s.ended), 20_000, 300);
      assert.ok(state.stats.framesIn >= 9, `replies in: ${state.stats.framesIn}`);
      assert.equal(smtp.mails.length, mails + 1, 'the server got the mail');
      assert.deepEqual(smtp.auths.at(-1), { method: 'PLAIN', username: SMTP_USER, ok: true });
      // The password, in any form, is nowhere on the page (the whole inspector's HTML) nor in any file.
      const html = await panel.content();
      for (const s of SECRET_FORMS) assert.ok(!html.includes(s), 'no credential form on the page');
      for (const s of SECRET_FORMS) assert.deepEqual(filesContaining([wb.workspaceDir, wb.userDataDir], s), [], 'no credential form in any file');
      await wb.screenshot('inspector-smtp');
    } catch (e) {
      await wb?.screenshot('fail-smtp').catch(() => undefined);
      throw e;
    }
  });
});
