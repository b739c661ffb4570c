// @vscode/webview-ui-toolkit sits behind webview/ui/toolkit.ts alone: no other file imports it, no style
// sheet selects its tag names (they use the ws-* classes toolkit.ts gives each control), and no test or
// webview script names its tags (tests pick options by role="option"). Changing the library is one module.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const TOOLKIT = 'webview/ui/toolkit.ts';
const TAG = /(^|[^-\w(])vscode-(button|checkbox|divider|dropdown|option|panels|panel-tab|panel-view|text-area|text-field|badge|data-grid|data-grid-row|data-grid-cell|link|progress-ring|radio|radio-group|tag)\b/;

function files(dir: string, exts: RegExp, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, exts, out);
    else if (exts.test(name)) out.push(p);
  }
  return out;
}

describe('the webview toolkit is behind one module', () => {
  const sources = [...files(join(root, 'webview'), /\.(ts|css|js|html)$/), ...files(join(root, 'src'), /\.ts$/), ...files(join(root, 'test'), /\.(ts|js|mjs)$/)]
    .map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') }))
    .filter((f) => f.path !== TOOLKIT && f.path !== 'test/webview/toolkitIsolation.test.ts');

  it('only webview/ui/toolkit.ts imports @vscode/webview-ui-toolkit', () => {
    // Product code only: the lint rule's own test (test/unit/lint) writes such an import as its fixture.
    const importers = sources.filter((f) => !f.path.startsWith('test/') && /from ['"]@vscode\/webview-ui-toolkit['"]|require\(['"]@vscode\/webview-ui-toolkit['"]\)/.test(f.text)).map((f) => f.path);
    assert.deepEqual(importers, []);
    assert.match(readFileSync(join(root, TOOLKIT), 'utf8'), /from '@vscode\/webview-ui-toolkit'/);
  });

  it('no style sheet, script or test names the toolkit\'s tags', () => {
    const hits: string[] = [];
    for (const f of sources) {
      f.text.split('\n').forEach((line, i) => {
        // CSS custom properties (--vscode-button-background) are the theme's, not the toolkit's.
        const stripped = line.replace(/--vscode-[\w-]+/g, '');
        if (TAG.test(stripped)) hits.push(`${f.path}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(hits, []);
  });
});
