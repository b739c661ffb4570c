// Lint-style guard: the webview never parses strings as HTML and never sets executable attributes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|js|mjs)$/.test(name) ? [p] : [];
  });
}

const SINKS: Array<[RegExp, string]> = [
  [/\.innerHTML\b/, 'innerHTML'],
  [/\.outerHTML\b/, 'outerHTML'],
  [/insertAdjacentHTML/, 'insertAdjacentHTML'],
  [/document\.write/, 'document.write'],
  [/createContextualFragment/, 'createContextualFragment'],
  [/\bDOMParser\b/, 'DOMParser'],
  [/setHTMLUnsafe|parseHTMLUnsafe/, 'setHTMLUnsafe'],
  [/\bsrcdoc\b/, 'srcdoc'],
  [/\beval\s*\(/, 'eval'],
  [/new\s+Function\s*\(/, 'new Function'],
  [/setAttribute\(\s*['"`](on\w+|href|src|style|srcset|action|formaction|xlink:href)['"`]/i, 'executable attribute via setAttribute'],
  [/\.(href|src|onclick|onerror|onload)\s*=(?!=)/, 'executable property assignment'],
  [/\.cssText\s*=/, 'cssText from data'],
];

test('webview sources contain no HTML-parsing sinks or executable attributes', () => {
  const files = sources(join(root, 'webview'));
  assert.ok(files.length >= 8, `found webview sources: ${files.length}`);
  const problems: string[] = [];
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const [re, what] of SINKS) if (re.test(line)) problems.push(`${relative(root, f)}:${i + 1}: ${what}: ${line.trim()}`);
    });
  }
  assert.deepEqual(problems, []);
});

test('the guard itself catches each sink', () => {
  const samples = ['el.innerHTML = x', 'el.outerHTML = x', "el.insertAdjacentHTML('beforeend', x)", 'document.write(x)', "a.setAttribute('onclick', x)", "a.setAttribute('href', x)", 'a.href = x', 'new DOMParser()'];
  for (const s of samples) assert.ok(SINKS.some(([re]) => re.test(s)), s);
  assert.ok(!SINKS.some(([re]) => re.test('el.textContent = x')));
});
