// An IMAP conversation in a real VS Code (code-server) against Debian's dovecot-imapd (not written by
// Wirescope), started on a free port with a temp config: a profile made in the profile form (pattern imap,
// Basic auth with the password typed into the form, so it lives in SecretStorage; STARTTLS required with the
// server's throwaway certificate as CA; SELECT, a FETCH and keep-open from the descriptor's fields) logs in,
// reads two messages' subjects, and stays open for a command typed in the composer, which gets the next tag.
// The password is nowhere on the page nor in any file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IMAP_PASSWORD, IMAP_USER, startDovecot, type Dovecot } from '../helpers/dovecot';
import { filesContaining, launchWorkbench, waitUntil, type Workbench } from './harness';

let wb: Workbench;
let dv: Dovecot;

const MESSAGES = [
  'From: billing@wirescope.test\r\nTo: alice@wirescope.test\r\nSubject: Invoice 42\r\n\r\nplease pay\r\n',
  'From: bob@wirescope.test\r\nTo: alice@wirescope.test\r\nSubject: Lunch on Friday\r\n\r\nnoon?\r\n',
];

describe('IMAP conversation in VS Code (issue 15)', { timeout: 600_000 }, () => {
  before(async () => {
    dv = await startDovecot(MESSAGES);
    wb = await launchWorkbench({ name: 'imap', profiles: () => [] });
  });
  after(async () => {
    await wb?.close();
    await dv?.stop();
  });

  test('an imap profile from the form logs in over STARTTLS with the password from SecretStorage, fetches, and takes a command from the composer with the next tag', async () => {
    try {
      writeFileSync(join(wb.workspaceDir, 'imap-ca.pem'), dv.ca);
      await wb.palette('Wirescope: New Profile…');
      const form = await wb.webviewFrame('#f-name', 30_000);
      await form.locator('#f-name input').fill('Mailbox');
      await form.click('#f-pattern');
      await form.click('#f-pattern [role="option"][value="imap"]');
      await form.locator('#f-url input').fill(dv.url);
      if (await form.locator('#f-scope').count()) {
        await form.click('#f-scope');
        await form.click('#f-scope [role="option"][value="workspace"]');
      }
      await form.click('#f-auth-type');
      await form.click('#f-auth-type [role="option"][value="basic"]');
      await form.locator('#f-auth-username input').fill(IMAP_USER);
      await form.locator('#f-secret-auth input').fill(IMAP_PASSWORD);
      await form.locator('#f-tls-caFile input').fill('imap-ca.pem');
      // The descriptor's fields.
      await form.click('#f-imap-starttls');
      await form.click('#f-imap-starttls [role="option"][value="require"]');
      await form.locator('#f-imap-select input').fill('INBOX');
      await form.locator('#f-imap-fetch input').fill('1:2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
      await form.locator('#f-imap-keepOpen').click();
      await wb.screenshot('profile-form-imap');
      await form.click('#save');
      await waitUntil('the form to say it saved', async () => /saved/i.test((await form.locator('#form-status').textContent()) ?? ''), 20_000);
      const saved = await waitUntil('the imap profile in .vscode/wirescope.json', () => {
        const file = JSON.parse(readFileSync(wb.profilesFile, 'utf8')) as { profiles: Array<Record<string, unknown>> };
        return file.profiles.find((p) => p.name === 'Mailbox');
      }, 10_000);
      assert.equal(saved.pattern, 'imap');
      assert.deepEqual(saved.imap, { starttls: 'require', select: 'INBOX', fetch: '1:2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])', keepOpen: true });
      assert.equal((saved.auth as { type?: string }).type, 'basic');

      await wb.palette('Wirescope: Connect to Profile…', 'Mailbox');
      const panel = await wb.panel('Mailbox', 30_000);
      const rows = panel.locator('#frame-log .row');
      // The FETCH reply is the last row of the script; both subjects are in it (read as literals).
      const fetched = rows.filter({ hasText: /A\d+ OK .*Fetch completed/ }).first();
      await fetched.waitFor({ timeout: 30_000 });
      const texts = await rows.allTextContents();
      // Each step after the one before: a command row, then its reply row (in words, with its round trip).
      let from = -1;
      for (const re of [/↑.*A\d+ STARTTLS/, /↓.*completed \([\d.]+ ms\).*Begin TLS/, /↑.*LOGIN "alice" \*\*\* \(password hidden\)/, /↓.*completed \([\d.]+ ms\)/, /↑.*SELECT "INBOX"/, /↓.*opened read-write.*2 EXISTS/, /↑.*FETCH 1:2/, /↓.*completed \([\d.]+ ms\).*Invoice 42/]) {
        const i = texts.findIndex((t, k) => k > from && re.test(t));
        assert.ok(i === from + 1 || (i > from && re.source.startsWith('↑')), `${re} right after row ${from} in ${JSON.stringify(texts)}`);
        from = i;
      }
      // The FETCH reply row's detail holds both subjects.
      await fetched.click();
      await waitUntil('the FETCH reply in the detail pane', async () => {
        const detail = (await panel.locator('#detail').textContent()) ?? '';
        return /Invoice 42/.test(detail) && /Lunch on Friday/.test(detail);
      }, 10_000);
      assert.equal((await wb.revealState()).sessions.find((s) => s.name === 'Mailbox')?.ended, false, 'keep-open: the session stays open after the script');

      // A command typed in the composer gets the next tag, and its reply pairs with it.
      await panel.waitForSelector('#composer:not([hidden])', { timeout: 20_000 });
      await panel.locator('#composer-input textarea').fill('SEARCH SUBJECT "Lunch"');
      await panel.click('#composer-send');
      await rows.filter({ hasText: /↑.*A\d+ SEARCH SUBJECT "Lunch"/ }).first().waitFor({ timeout: 20_000 });
      const search = rows.filter({ hasText: /↓.*\* SEARCH 2/ }).first();
      await search.waitFor({ timeout: 20_000 });
      assert.match((await search.textContent()) ?? '', /completed \([\d.]+ ms\)/, 'the reply in words with its round trip');

      // The password, in any form, is nowhere on the page (the whole inspector's HTML) nor in any file.
      const forms = [IMAP_PASSWORD, Buffer.from(IMAP_PASSWORD).toString('base64')];
      const html = await panel.content();
      for (const s of forms) assert.ok(!html.includes(s), 'no credential form on the page');
      for (const s of forms) assert.deepEqual(filesContaining([wb.workspaceDir, wb.userDataDir], s), [], 'no credential form in any file');
      await wb.screenshot('inspector-imap');
    } catch (e) {
      await wb?.screenshot('fail-imap').catch(() => undefined);
      throw e;
    }
  });
});
