// The inspector's HTML: strict CSP, one nonce'd script, no inline code.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { EMPTY_STYLE_HASH, renderInspectorHtml } from '../../src/host/webviewHtml';

const nonce = randomBytes(16).toString('base64');
const base = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/x/dist/webview/inspector.js', styleUri: 'https://file+.vscode-resource.vscode-cdn.net/x/dist/webview/inspector.css', nonce };

function csp(html: string): Map<string, string> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, 'CSP meta present');
  return new Map(m[1].split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(' ')[0], d.slice(d.indexOf(' ') + 1)] as [string, string]));
}

test('the CSP starts from default-src none and allows scripts only by nonce', () => {
  const html = renderInspectorHtml({ ...base, view: 'sidebar' });
  const p = csp(html);
  assert.equal(p.get('default-src'), "'none'");
  assert.equal(p.get('script-src'), `'nonce-${nonce}'`);
  assert.equal(p.get('style-src'), `${base.cspSource} '${EMPTY_STYLE_HASH}'`);
  assert.equal(p.get('font-src'), base.cspSource);
  assert.equal(p.get('img-src'), `${base.cspSource} data:`);
  assert.equal(p.get('connect-src'), "'none'");
  assert.ok(!html.includes('unsafe-inline') && !html.includes('unsafe-eval'));
  // The hash is the sha256 of the empty string: it allows only an empty <style>.
  assert.equal(EMPTY_STYLE_HASH, `sha256-${createHash('sha256').update('').digest('base64')}`);
});

test('exactly one script, carrying the nonce, and no inline handlers or inline styles', () => {
  const html = renderInspectorHtml({ ...base, view: 'panel', sessionId: 's1' });
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  assert.ok(scripts[0].includes(`nonce="${nonce}"`) && scripts[0].includes(`src="${base.scriptUri}"`));
  assert.match(html, /<script [^>]*><\/script>/, 'the script tag has no inline code');
  assert.ok(!/\son\w+=/i.test(html), 'inline event handler');
  assert.ok(!/<style/i.test(html) && !/\sstyle=/i.test(html));
  assert.match(html, /<body data-view="panel" data-session-id="s1">/);
  assert.match(html, new RegExp(`<link rel="stylesheet" href="${base.styleUri.replace(/[.+]/g, '\\$&')}">`));
});

test('attribute values are escaped and bad nonces or sources are refused', () => {
  const html = renderInspectorHtml({ ...base, view: 'sidebar', sessionId: '"><script>alert(1)</script>' });
  assert.ok(!html.includes('<script>alert(1)'));
  assert.match(html, /data-session-id="&#34;&#62;&#60;script&#62;/);
  assert.throws(() => renderInspectorHtml({ ...base, view: 'sidebar', nonce: '123' }), /nonce/);
  assert.throws(() => renderInspectorHtml({ ...base, view: 'sidebar', nonce: `${nonce}' 'unsafe-inline` }), /nonce/);
  assert.throws(() => renderInspectorHtml({ ...base, view: 'sidebar', cspSource: "https://x; script-src 'unsafe-inline'" }), /cspSource/);
  assert.throws(() => renderInspectorHtml({ ...base, view: 'sidebar', cspSource: "https://x 'unsafe-inline'" }), /cspSource/);
  // code-server's webviews give "'self' https://*.vscode-cdn.net", which is a valid source list.
  const cs = renderInspectorHtml({ ...base, view: 'sidebar', cspSource: "'self' https://*.vscode-cdn.net" });
  assert.equal(csp(cs).get('style-src'), `'self' https://*.vscode-cdn.net '${EMPTY_STYLE_HASH}'`);
  // Two renders get the nonce they are given (the host draws a fresh one per load).
  const other = randomBytes(16).toString('base64');
  assert.ok(renderInspectorHtml({ ...base, nonce: other, view: 'sidebar' }).includes(`'nonce-${other}'`));
});
