// The profile form in headless Chromium: the real bundle and the real HTML (nonce, CSP) from a
// loopback server on port 0; the page talks to a recording stand-in for VS Code's webview API, and
// the test plays the host with the host's own pure functions (profileForForm, applyFormSave).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PATTERNS, type ProfilePatternId } from '../../src/shared/connectOptions';
import type { Profile } from '../../src/shared/profile';
import type { FormInit, FormSave } from '../../src/shared/profileFormProtocol';
import { applyFormSave, profileForForm } from '../../src/host/profileFormSecrets';
import { renderProfileFormHtml } from '../../src/host/profileFormHtml';
import { FIELDS } from '../../webview/profileForm/formFields';
import { graphqlCompletions } from '../../src/patterns/graphql/completions';
import { startGraphqlServers } from '../helpers/graphql';
import { buildBundle, pickOption, postToPage, settledValue } from './harness';

const dist = join(import.meta.dirname, '..', '..', 'dist', 'webview');
const resultsDir = join(import.meta.dirname, '..', '..', 'test-results');

interface FormPage {
  page: Page;
  cspViolations: string[];
  consoleErrors: string[];
  close(): Promise<void>;
}

let server: Server;
let browser: Browser;
let origin = '';

async function openForm(init: Partial<FormInit> & { profile: Profile }): Promise<FormPage> {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  const consoleErrors: string[] = [];
  await page.exposeFunction('__reportCsp', (s: string) => cspViolations.push(s));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => window.__reportCsp(e.violatedDirective + ' ' + e.blockedURI));
      window.__posted = [];
      window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))), getState: () => undefined, setState: () => {} });`,
  });
  await page.goto(`${origin}/`);
  await waitPosted(page, 'ready');
  const message: FormInit = { type: 'init', isNew: false, scope: 'workspace', scopes: ['workspace'], secretsStored: {}, takenNames: [], ...init, profile: profileForForm(init.profile) };
  await postToPage(page, message);
  await page.waitForSelector('#f-name');
  return { page, cspViolations, consoleErrors, close: () => context.close() };
}

async function posted(page: Page): Promise<Array<{ type: string } & Record<string, unknown>>> {
  return page.evaluate(() => (window as unknown as { __posted: Array<{ type: string } & Record<string, unknown>> }).__posted);
}

async function waitPosted(page: Page, type: string, count = 1, timeoutMs = 5000): Promise<Array<{ type: string } & Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  let got: Array<{ type: string } & Record<string, unknown>> = [];
  while (Date.now() < deadline) {
    got = (await posted(page)).filter((m) => m.type === type);
    if (got.length >= count) return got;
    await page.waitForTimeout(25);
  }
  assert.fail(`the page did not post ${count} "${type}" message(s); got ${JSON.stringify(got)}`);
}

async function pick(page: Page, id: string, value: string): Promise<void> {
  await pickOption(page, id, value);
}

async function fill(page: Page, id: string, value: string): Promise<void> {
  await page.locator(`#${id} input, #${id} textarea`).first().fill(value);
}

/** Which field paths (data-path) are visible right now. */
async function visiblePaths(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-path]')].filter((el) => (el as HTMLElement).checkVisibility()).map((el) => el.getAttribute('data-path')!),
  );
}

function assertClean(p: FormPage): void {
  assert.deepEqual(p.cspViolations, [], 'CSP violations');
  assert.deepEqual(p.consoleErrors, [], 'console errors');
}

const URLS: Record<ProfilePatternId, string> = {
  http: 'http://127.0.0.1:9/x', ws: 'ws://127.0.0.1:9/ws', sse: 'http://127.0.0.1:9/sse', poll: 'http://127.0.0.1:9/poll',
  'long-poll': 'http://127.0.0.1:9/lp', stream: 'http://127.0.0.1:9/stream', mqtt: 'mqtt://127.0.0.1:1883', webhook: 'http://127.0.0.1:0', async: 'http://127.0.0.1:9/jobs',
  tcp: 'tcp://127.0.0.1:9', udp: 'udp://127.0.0.1:9', socketio: 'http://127.0.0.1:9/chat', redis: 'redis://127.0.0.1:9',
  smtp: 'smtp://127.0.0.1:9', nats: 'nats://127.0.0.1:9', amqp: 'amqp://127.0.0.1:9',
  imap: 'imap://127.0.0.1:9',
  grpc: 'grpc://127.0.0.1:9',
  graphql: 'ws://127.0.0.1:9/graphql',
  kafka: 'kafka://127.0.0.1:9',
};

describe('profile form in Chromium', () => {
  before(async () => {
    buildBundle();
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (url.pathname === '/profileForm.js') return send('text/javascript', readFileSync(join(dist, 'profileForm.js')));
      if (url.pathname === '/profileForm.css') return send('text/css', readFileSync(join(dist, 'profileForm.css')));
      if (url.pathname === '/') {
        return send(
          'text/html; charset=utf-8',
          renderProfileFormHtml({ cspSource: origin, scriptUri: `${origin}/profileForm.js`, styleUri: `${origin}/profileForm.css`, nonce: randomBytes(16).toString('base64') }),
        );
      }
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: process.env.WIRESCOPE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  test("each pattern shows its own options and none of the other patterns'", async () => {
    const p = await openForm({ profile: { name: 'p', pattern: 'http', url: URLS.http } });
    try {
      for (const pattern of PATTERNS) {
        await pick(p.page, 'f-pattern', pattern);
        await fill(p.page, 'f-url', URLS[pattern]);
        const shown = new Set(await visiblePaths(p.page));
        for (const f of FIELDS) {
          if (!f.patterns || f.authTypes) continue;
          assert.equal(shown.has(f.path), f.patterns.includes(pattern), `${pattern}: field ${f.path} ${f.patterns.includes(pattern) ? 'should' : 'should not'} show`);
        }
        assert.ok(shown.has('url') && shown.has('name') && shown.has('headers') && shown.has('tls.caFile'), `${pattern}: the common fields show`);
        assert.equal(shown.has('mqtt.subscribe'), pattern === 'mqtt');
        assert.equal(await p.page.locator('#err-url').isVisible(), false, `${pattern}: ${URLS[pattern]} is a valid URL`);
      }
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('gRPC: List methods asks the host; a picked method fills the method and the request from its template', async () => {
    const p = await openForm({ profile: { name: 'feed', pattern: 'grpc', url: 'grpc://127.0.0.1:50051', grpc: { protos: ['feed.proto'] } } });
    try {
      const { page } = p;
      assert.equal(await page.locator('#grpc-method-pick').isVisible(), false, 'no pick before a listing');
      await page.click('#grpc-list-methods');
      const [asked] = await waitPosted(page, 'listGrpcMethods');
      assert.equal((asked.profile as Profile).url, 'grpc://127.0.0.1:50051');
      assert.deepEqual((asked.profile as Profile).grpc, { protos: ['feed.proto'] }, 'the profile as edited goes to the host');
      // A failure is one line under the button.
      await postToPage(page, { type: 'grpcMethods', methods: [], error: 'Connection refused (grpc://127.0.0.1:50051): nothing is listening there' });
      await page.locator('#grpc-methods-status', { hasText: /^Connection refused/ }).waitFor({ timeout: 5000 });
      const methods = [
        { method: 'pkg.Feed/Get', kind: 'unary', input: 'pkg.GetRequest', output: 'pkg.Item', template: { id: '0' } },
        { method: 'pkg.Feed/Chat', kind: 'bidi', input: 'pkg.ChatMessage', output: 'pkg.ChatMessage', template: { text: '', seq: '0' } },
      ];
      await postToPage(page, { type: 'grpcMethods', methods, source: 'reflection v1' });
      await page.locator('#grpc-methods-status', { hasText: '2 methods, schema from reflection v1' }).waitFor({ timeout: 5000 });
      await pick(page, 'grpc-method-pick', '0');
      assert.equal(await settledValue(page.locator('#f-grpc-method input'), 'pkg.Feed/Get'), 'pkg.Feed/Get');
      assert.equal(await settledValue(page.locator('#f-body textarea'), '{"id":"0"}'), '{"id":"0"}');
      await pick(page, 'grpc-method-pick', '1');
      assert.equal(await settledValue(page.locator('#f-grpc-method input'), 'pkg.Feed/Chat'), 'pkg.Feed/Chat');
      assert.equal(await settledValue(page.locator('#f-send textarea'), '{"text":"","seq":"0"}'), '{"text":"","seq":"0"}', 'a stream\'s first message');
      // The checkbox renders its new state on its next update: wait for it (the assertion below still decides).
      await page
        .waitForFunction(() => {
          const el = document.querySelector('#f-grpc-keepSending') as (HTMLElement & { checked?: boolean }) | null;
          return el?.getAttribute('aria-checked') === 'true' || el?.checked === true;
        }, undefined, { timeout: 5000 })
        .catch(() => undefined);
      assert.equal(await page.locator('#f-grpc-keepSending').getAttribute('aria-checked').catch(() => null) ?? String(await page.locator('#f-grpc-keepSending').evaluate((el) => (el as HTMLInputElement).checked)), 'true');
      await page.click('#save');
      const [saved] = await waitPosted(page, 'save');
      const profile = saved.profile as Profile;
      assert.deepEqual(profile.grpc, { protos: ['feed.proto'], method: 'pkg.Feed/Chat', keepSending: true });
      assert.deepEqual(profile.send, ['{"text":"","seq":"0"}']);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('GraphQL: List fields asks the host; a picked field adds its document; typing in Documents offers the fields', async () => {
    // The fields the host would answer with: a real introspection of graphql-http's handler (test/helpers/graphql.ts).
    const gsrv = await startGraphqlServers();
    const fields = await graphqlCompletions({ pattern: 'graphql', url: gsrv.httpUrl }).finally(() => gsrv.close());
    const p = await openForm({ profile: { name: 'ticks', pattern: 'graphql', url: 'ws://127.0.0.1:4000/graphql', graphql: { documents: ['query { hello(name: "a, b") }'] } } });
    try {
      const { page } = p;
      const docs = page.locator('#f-graphql-documents textarea');
      assert.equal(await docs.inputValue(), 'query { hello(name: "a, b") }', 'a document with a comma stays one document');
      assert.equal(await page.locator('#graphql-field-pick').isVisible(), false, 'no pick before a listing');
      await page.click('#graphql-list-fields');
      const [asked] = await waitPosted(page, 'listGraphqlFields');
      assert.equal((asked.profile as Profile).url, 'ws://127.0.0.1:4000/graphql');
      // Introspection off: one line, the documents stay plain text (typing offers nothing).
      await postToPage(page, { type: 'graphqlFields', fields: [], error: 'introspection failed: GraphQL introspection has been disabled' });
      await page.locator('#graphql-fields-status', { hasText: /^No fields: introspection failed: GraphQL introspection has been disabled\. Type the documents as text\.$/ }).waitFor({ timeout: 5000 });
      await docs.fill('subscription { ti');
      await page.waitForTimeout(100);
      assert.equal(await page.locator('#graphql-doc-completions').isVisible(), false);

      await postToPage(page, { type: 'graphqlFields', fields });
      await page.locator('#graphql-fields-status', { hasText: '3 query, 1 mutation, 4 subscription fields' }).waitFor({ timeout: 5000 });
      await docs.fill('query { hello(name: "a, b") }');
      const ticks = fields.findIndex((f) => f.root === 'subscription' && f.name === 'ticks');
      await pick(page, 'graphql-field-pick', String(ticks));
      assert.equal(await settledValue(docs, 'query { hello(name: "a, b") }\n---\nsubscription { ticks { seq at } }'), 'query { hello(name: "a, b") }\n---\nsubscription { ticks { seq at } }');
      // Typing a third document: the mutation fields show with their arguments; Enter puts the pick in.
      await docs.press('End');
      await docs.pressSequentially('\n---\nmutation ');
      const list = page.locator('#graphql-doc-completions');
      await list.waitFor({ state: 'visible', timeout: 5000 });
      assert.deepEqual(await list.locator('[role="option"]').allTextContents(), ['addadd(a: Int!, b: Int!): Intmutation']);
      await docs.press('Enter');
      assert.equal(await settledValue(docs, 'query { hello(name: "a, b") }\n---\nsubscription { ticks { seq at } }\n---\nmutation { add(a: 0, b: 0) }'), 'query { hello(name: "a, b") }\n---\nsubscription { ticks { seq at } }\n---\nmutation { add(a: 0, b: 0) }');
      assert.equal(await list.isVisible(), false);
      await page.click('#save');
      const [saved] = await waitPosted(page, 'save');
      assert.deepEqual((saved.profile as Profile).graphql?.documents, ['query { hello(name: "a, b") }', 'subscription { ticks { seq at } }', 'mutation { add(a: 0, b: 0) }']);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('switching the pattern and the auth type swaps the fields', async () => {
    const p = await openForm({ profile: { name: 'feed', pattern: 'poll', url: URLS.poll, poll: { intervalMs: 1500, change: 'etag' } } });
    try {
      const { page } = p;
      assert.equal(await page.locator('#f-poll-intervalMs input').inputValue(), '1500');
      assert.ok(await page.locator('#f-poll-intervalMs').isVisible());
      assert.equal(await page.locator('#f-mqtt-clientId').isVisible(), false);
      await pick(page, 'f-pattern', 'mqtt');
      assert.equal(await page.locator('#f-poll-intervalMs').isVisible(), false);
      assert.ok(await page.locator('#f-mqtt-clientId').isVisible());
      assert.ok(await page.locator('#f-secret-mqttPassword').isVisible());
      assert.equal(await page.locator('section[data-section="Short polling"]').isVisible(), false, 'an empty section hides');
      // Auth: each type shows its own fields.
      assert.equal(await page.locator('#f-auth-username').isVisible(), false);
      await pick(page, 'f-auth-type', 'basic');
      assert.ok(await page.locator('#f-auth-username').isVisible());
      assert.ok(await page.locator('#f-secret-auth').isVisible());
      assert.equal(await page.locator('#f-auth-header').isVisible(), false);
      await pick(page, 'f-auth-type', 'header');
      assert.ok(await page.locator('#f-auth-header').isVisible());
      assert.equal(await page.locator('#f-auth-username').isVisible(), false);
      // Allow insecure shows its warning only while checked.
      assert.equal(await page.locator('#tls-insecure-warning').isVisible(), false);
      await page.click('#f-tls-insecure');
      assert.ok(await page.locator('#tls-insecure-warning').isVisible());
      mkdirSync(resultsDir, { recursive: true });
      const shot = join(resultsDir, 'profile-form-mqtt.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 5000);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('an invalid URL shows an inline message as you type, and saving is refused', async () => {
    const p = await openForm({ profile: { name: 'socket', pattern: 'ws', url: URLS.ws } });
    try {
      const { page } = p;
      assert.equal(await page.locator('#err-url').isVisible(), false);
      await fill(page, 'f-url', 'http://127.0.0.1:9/ws');
      await page.waitForSelector('#err-url:not([hidden])');
      assert.match(await page.locator('#err-url').innerText(), /ws: or wss:/);
      await fill(page, 'f-url', 'not a url');
      assert.match(await page.locator('#err-url').innerText(), /Invalid URL/);
      await page.click('#save');
      await page.waitForFunction(() => /Fix the marked fields/.test(document.getElementById('form-status')?.textContent ?? ''));
      assert.equal((await posted(page)).filter((m) => m.type === 'save').length, 0, 'nothing is posted while the URL is invalid');
      await fill(page, 'f-url', 'wss://example.test/socket');
      assert.equal(await page.locator('#err-url').isVisible(), false);
      // A number field with text is marked next to the field.
      await fill(page, 'f-ws-pingIntervalMs', 'soon');
      await page.click('#save');
      await page.waitForSelector('#err-ws-pingIntervalMs:not([hidden])');
      assert.match(await page.locator('#err-ws-pingIntervalMs').innerText(), /whole number/);
      assert.equal((await posted(page)).filter((m) => m.type === 'save').length, 0);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('saving posts the edited profile, keeps unknown fields, and the secret never comes back to the page', async () => {
    const stored: Profile = {
      name: 'Orders feed',
      pattern: 'poll',
      url: URLS.poll,
      headers: { Accept: 'application/json' },
      poll: { intervalMs: 1000 },
      previewLimit: 2048,
      auth: { type: 'bearer', secret: 'orders.token' },
    };
    const p = await openForm({ profile: stored, secretsStored: { auth: true } });
    try {
      const { page } = p;
      assert.match((await page.locator('#f-secret-auth').getAttribute('placeholder')) ?? '', /Stored/);
      await fill(page, 'f-name', 'Orders feed v2');
      await fill(page, 'f-poll-intervalMs', '2500');
      await pick(page, 'f-poll-change', 'hash');
      await fill(page, 'f-poll-timestampField', '$.changedAt');
      await page.click('#add-headers');
      await page.locator('#rows-headers .row-edit').nth(1).locator('.cell-name input').fill('X-Trace');
      await page.locator('#rows-headers .row-edit').nth(1).locator('.cell-value input').fill('on');
      await fill(page, 'f-idField', '$.seq');
      await fill(page, 'f-reconnect-maxAttempts', '3');
      await fill(page, 'f-secret-auth', 'tok-SECRET-123');
      await page.click('#save');
      const [save] = (await waitPosted(page, 'save')) as unknown as FormSave[];
      assert.deepEqual(save.profile, {
        name: 'Orders feed v2',
        pattern: 'poll',
        url: URLS.poll,
        headers: { Accept: 'application/json', 'X-Trace': 'on' },
        poll: { intervalMs: 2500, change: 'hash', timestampField: '$.changedAt' },
        previewLimit: 2048,
        auth: { type: 'bearer', secret: 'orders.token' },
        idField: '$.seq',
        reconnect: { maxAttempts: 3 },
      });
      assert.equal(save.scope, 'workspace');
      assert.deepEqual(save.secrets, { auth: 'tok-SECRET-123' });
      // The host turns it into the stored profile and the secret to store, by name.
      const result = applyFormSave(stored, save.profile, save.secrets);
      assert.deepEqual(result.secrets, [{ key: 'auth', name: 'orders.token', value: 'tok-SECRET-123' }]);
      assert.ok(!JSON.stringify(result.profile).includes('tok-SECRET-123'), 'the saved profile holds no secret value');
      await postToPage(page, { type: 'saved', name: 'Orders feed v2', scope: 'workspace', secretsStored: { auth: true } });
      await page.waitForFunction(() => /Saved/.test(document.getElementById('form-status')?.textContent ?? ''));
      // The toolkit text field copies its value into its inner input on its next update, not synchronously.
      await page
        .waitForFunction(() => (document.querySelector('#f-secret-auth')?.shadowRoot?.querySelector('input') ?? document.querySelector('#f-secret-auth input'))?.value === '', undefined, { timeout: 5000 })
        .catch(() => undefined);
      assert.equal(await page.locator('#f-secret-auth input').inputValue(), '', 'the password field is cleared after saving');
      // Every value of every control, shadow roots included (a loop: the page cannot see named helpers).
      const everything = await page.evaluate(() => {
        const texts: string[] = [document.documentElement.outerHTML];
        const roots: Array<Document | ShadowRoot> = [document];
        while (roots.length) {
          for (const el of roots.pop()!.querySelectorAll('*')) {
            if ('value' in el) texts.push(String((el as HTMLInputElement).value));
            if (el.shadowRoot) roots.push(el.shadowRoot);
          }
        }
        return texts.join('\n');
      });
      assert.ok(!everything.includes('tok-SECRET-123'), 'no trace of the secret in the page after saving');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('secret values in a stored profile are not sent to the page; saving without retyping keeps the references', async () => {
    const stored: Profile = {
      name: 'Broker',
      pattern: 'mqtt',
      url: URLS.mqtt,
      mqtt: { username: 'dev', password: 'literal-PW-9', subscribe: [{ topic: 'feed/#', qos: 1 }] },
    };
    const p = await openForm({ profile: stored, secretsStored: { mqttPassword: true } });
    try {
      const { page } = p;
      const html = await page.evaluate(() => document.documentElement.outerHTML);
      assert.ok(!html.includes('literal-PW-9'));
      assert.equal(await page.locator('#rows-mqtt-subscribe .row-edit').count(), 1);
      assert.equal(await page.locator('#rows-mqtt-subscribe .cell-topic input').inputValue(), 'feed/#');
      await page.click('#save');
      const [save] = (await waitPosted(page, 'save')) as unknown as FormSave[];
      assert.ok(!JSON.stringify(save).includes('literal-PW-9'));
      assert.deepEqual(save.profile.mqtt, { username: 'dev', subscribe: [{ topic: 'feed/#', qos: 1 }] });
      assert.deepEqual(save.secrets, {});
      const result = applyFormSave(stored, save.profile, save.secrets);
      assert.equal(result.profile.mqtt?.password, 'literal-PW-9', 'the host keeps what the page never saw');
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('a new profile picks its scope; host problems show next to their fields', async () => {
    const p = await openForm({ profile: { name: '', pattern: 'http', url: '' }, isNew: true, scopes: ['workspace', 'user'], takenNames: ['Taken'] });
    try {
      const { page } = p;
      assert.equal(await page.locator('#form-title').innerText(), 'New profile');
      assert.equal(await page.locator('#f-secret-auth input').getAttribute('type'), 'password');
      await page.click('#save');
      await page.waitForSelector('#err-name:not([hidden])');
      assert.match(await page.locator('#err-url').innerText(), /Enter a URL/);
      await fill(page, 'f-name', 'Taken');
      assert.match(await page.locator('#err-name').innerText(), /already named "Taken"/);
      await fill(page, 'f-name', 'Status');
      await fill(page, 'f-url', 'https://status.test/health');
      await pick(page, 'f-scope', 'user');
      await page.click('#save');
      const [save] = (await waitPosted(page, 'save')) as unknown as FormSave[];
      assert.equal(save.scope, 'user');
      assert.deepEqual(save.profile, { name: 'Status', pattern: 'http', url: 'https://status.test/health' });
      await postToPage(page, {
        type: 'problems',
        problems: [
          { path: ['headers', 'Bad Name'], message: 'Invalid header name "Bad Name"', severity: 'error' },
          { path: ['mystery'], message: 'Something else is wrong', severity: 'error' },
        ],
      });
      await page.waitForSelector('#err-headers:not([hidden])');
      assert.equal(await page.locator('#err-headers').innerText(), 'Invalid header name "Bad Name"');
      assert.equal(await page.locator('#form-problems li').innerText(), 'Something else is wrong');
      assert.match(await page.locator('#form-status').innerText(), /not saved/);
      assertClean(p);
    } finally {
      await p.close();
    }
  });

  test('markup in profile values stays inert text', async () => {
    const xss = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    const p = await openForm({
      profile: {
        name: xss,
        pattern: 'webhook',
        url: 'http://127.0.0.1:0',
        description: xss,
        headers: { 'X-Evil': xss },
        webhook: { reply: { status: 200, body: xss } },
        templates: [{ name: xss, data: xss }],
      },
      takenNames: [xss + '2'],
    });
    try {
      const { page } = p;
      await page.waitForTimeout(100);
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
      assert.equal(await page.evaluate(() => document.querySelectorAll('img, script:not([src])').length), 0);
      assert.equal(await page.locator('#form-title').innerText(), `Edit profile: ${xss}`);
      assert.equal(await page.locator('#f-name input').inputValue(), xss);
      assert.equal(await page.locator('#f-description input').inputValue(), xss);
      assert.equal(await page.locator('#f-webhook-reply-body textarea').inputValue(), xss);
      assert.equal(await page.locator('#rows-headers .cell-value input').inputValue(), xss);
      // A taken name is shown inline, as text.
      await fill(page, 'f-name', xss + '2');
      await page.waitForSelector('#err-name:not([hidden])');
      assert.ok((await page.locator('#err-name').innerText()).includes(xss + '2'));
      // A host error message is text too.
      await postToPage(page, { type: 'error', message: xss });
      await page.waitForFunction((s) => document.getElementById('form-status')?.textContent === s, xss);
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
      assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
      assertClean(p);
    } finally {
      await p.close();
    }
  });
});
