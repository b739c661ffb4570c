// The zone rules are enforced by `npm run lint` (scripts/eslint-zones.mjs). These tests plant
// violations in probe files inside the zones and run ESLint with the repository's own config on them:
// each must fail with the zone message, and allowed imports at the same depths must pass. The probes are
// handed to ESLint as text under their path (lintText with filePath), so the config applies exactly as to
// a file on disk, and no file is left in the tree for a concurrent lint or typecheck to trip over.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: ROOT });

/** Lint `source` as a new file in `dir` (repo-relative) with the repo's config; the zone messages. */
async function lintPlanted(dir: string, source: string): Promise<string[]> {
  const filePath = path.join(ROOT, dir, `zone-probe-${randomBytes(4).toString('hex')}.ts`);
  const [result] = await eslint.lintText(source, { filePath, warnIgnored: true });
  assert.ok(!result.messages.some((m) => /ignored/i.test(m.message)), `the probe at ${dir} is linted, not ignored`);
  return result.messages.filter((m) => m.ruleId === 'zones/boundaries').map((m) => m.message);
}

describe('zone rules: a planted violation fails the lint', () => {
  it('webview/profileForm/ importing src/core or src/host (two levels of ../)', async () => {
    const messages = await lintPlanted(
      'webview/profileForm',
      [
        "import { Session } from '../../src/core/session';",
        "export * from '../../src/host/profileStore';",
        "export const load = () => import('../../src/core/registry');",
        'export { Session };',
      ].join('\n'),
    );
    assert.equal(messages.length, 3, messages.join('\n'));
    assert.match(messages[0], /must not import src\/core\/ .*the webview is DOM-only/);
    assert.match(messages[1], /must not import src\/host\//);
    assert.match(messages[2], /must not import src\/core\//);
  });

  it('src/core importing src/host, from the top and from transports/', async () => {
    const top = await lintPlanted('src/core', "import { SessionManager } from '../host/sessionManager';\nexport { SessionManager };\n");
    assert.equal(top.length, 1, top.join('\n'));
    assert.match(top[0], /must not import src\/host\/ .*src\/core is the pure Node engine/);
    const nested = await lintPlanted('src/core/transports', "import type { ManagedSession } from '../../host/sessionManager';\nexport type X = ManagedSession;\n");
    assert.equal(nested.length, 1, nested.join('\n'));
    assert.match(nested[0], /must not import src\/host\//);
  });

  it('src/core importing vscode; src/shared and webview importing Node or engine code', async () => {
    const core = await lintPlanted('src/core', "import * as vscode from 'vscode';\nexport const v = vscode;\n");
    assert.equal(core.length, 1);
    assert.match(core[0], /must not import "vscode"/);
    const shared = await lintPlanted('src/shared', "import fs from 'fs';\nimport { Buffer } from 'node:buffer';\nimport WebSocket from 'ws';\nimport { x } from '../core/errors';\nexport { fs, Buffer, WebSocket, x };\n");
    assert.equal(shared.length, 4, shared.join('\n'));
    const webview = await lintPlanted('webview/ui', "import http from 'node:http';\nexport { http };\n");
    assert.equal(webview.length, 1);
    assert.match(webview[0], /Node module "node:http"/);
  });

  it('the UI toolkit only through webview/ui/toolkit.ts', async () => {
    const messages = await lintPlanted('webview', "import { provideVSCodeDesignSystem } from '@vscode/webview-ui-toolkit';\nexport { provideVSCodeDesignSystem };\n");
    assert.equal(messages.length, 1);
    assert.match(messages[0], /only through webview\/ui\/toolkit\.ts/);
  });

  it('allowed imports at the same depths pass', async () => {
    assert.deepEqual(await lintPlanted('webview/profileForm', "import type { ConnectOptions } from '../../src/shared/connectOptions';\nimport { h } from '../ui/dom';\nexport type X = ConnectOptions;\nexport { h };\n"), []);
    assert.deepEqual(await lintPlanted('src/core/transports', "import type { ConnectOptions } from '../../shared/connectOptions';\nimport { describeError } from '../errors';\nimport WebSocket from 'ws';\nexport type X = ConnectOptions;\nexport { describeError, WebSocket };\n"), []);
    assert.deepEqual(await lintPlanted('src/host', "import * as vscode from 'vscode';\nimport { Session } from '../core/session';\nexport { vscode, Session };\n"), []);
  });
});
