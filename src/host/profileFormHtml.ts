/**
 * The profile form webview's HTML document: the inspector's strict CSP (one nonce'd script, styles
 * only from the extension), pure so that the headless-Chromium tests serve exactly this.
 */
import { inspectorCsp } from './webviewHtml';

/** Inputs for {@link renderProfileFormHtml}; URIs are already converted with `webview.asWebviewUri`. */
export interface ProfileFormHtmlOptions {
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  /** Per-load random value (base64 or hex). */
  nonce: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Render the form document. Throws on a nonce or cspSource that could break out of the policy. */
export function renderProfileFormHtml(o: ProfileFormHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('nonce must be at least 16 base64/hex characters');
  if (/[;"\r\n,]/.test(o.cspSource) || o.cspSource.split(/\s+/).some((t) => t.includes("'") && t !== "'self'")) {
    throw new Error('cspSource contains characters not allowed in a CSP');
  }
  const csp = inspectorCsp(o.cspSource.trim(), o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(o.styleUri)}">
<title>Wirescope Profile</title>
</head>
<body>
<main id="app" aria-label="Wirescope profile form"></main>
<script nonce="${esc(o.nonce)}" src="${esc(o.scriptUri)}"></script>
</body>
</html>
`;
}
