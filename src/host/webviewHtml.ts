/**
 * The inspector webview's HTML document. Pure (no vscode import) so the headless-Chromium tests
 * serve exactly what the extension serves, CSP included.
 */

/** Inputs for {@link renderInspectorHtml}; URIs are already converted with `webview.asWebviewUri`. */
export interface InspectorHtmlOptions extends WebviewDocumentOptions {
  /** The sidebar view shows a session picker; an editor panel is bound to one session. */
  view: 'sidebar' | 'panel';
  sessionId?: string;
}

/** Escape text for a double-quoted HTML attribute value (or element text). */
export function escapeAttr(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** CSP hash source of the empty string (sha256, base64). */
export const EMPTY_STYLE_HASH = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

/** Build the Content-Security-Policy for the inspector. */
export function inspectorCsp(cspSource: string, nonce: string): string {
  // The toolkit's components (FAST) style themselves through constructable stylesheets and CSSOM,
  // which CSP does not gate, so no 'unsafe-inline' is needed. FAST probes :focus-visible support by
  // appending an EMPTY <style> element; the hash of the empty string allows exactly that and nothing
  // with content.
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} '${EMPTY_STYLE_HASH}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
}

/** What every Wirescope webview document has: its CSP inputs, one stylesheet and one script. */
export interface WebviewDocumentOptions {
  /** `webview.cspSource`: the origin the webview may load its own resources from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  /** Per-load random value (base64 or hex) from `crypto`; never a timestamp. */
  nonce: string;
}

/**
 * Render a webview document: strict CSP, one stylesheet, one nonce'd script, no inline handlers.
 * `bodyAttrs` and `app` are trusted markup from the caller; every value in them must be escaped with {@link escapeAttr}.
 * Throws on a nonce or cspSource that could break out of the policy.
 */
export function renderWebviewDocument(o: WebviewDocumentOptions, page: { title: string; bodyAttrs: string; app: string }): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('nonce must be at least 16 base64/hex characters');
  // code-server's cspSource is "'self' https://*.vscode-cdn.net": the 'self' keyword is allowed, other quotes are not.
  if (/[;"\r\n,]/.test(o.cspSource) || o.cspSource.split(/\s+/).some((t) => t.includes("'") && t !== "'self'")) {
    throw new Error('cspSource contains characters not allowed in a CSP');
  }
  const csp = inspectorCsp(o.cspSource.trim(), o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>${escapeAttr(page.title)}</title>
</head>
<body${page.bodyAttrs}>
${page.app}
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

/** Render the inspector document (see {@link renderWebviewDocument}). */
export function renderInspectorHtml(o: InspectorHtmlOptions): string {
  const session = o.sessionId === undefined ? '' : ` data-session-id="${escapeAttr(o.sessionId)}"`;
  return renderWebviewDocument(o, {
    title: 'Wirescope Inspector',
    bodyAttrs: ` data-view="${o.view === 'panel' ? 'panel' : 'sidebar'}"${session}`,
    app: '<div id="app" role="application" aria-label="Wirescope inspector"></div>',
  });
}
