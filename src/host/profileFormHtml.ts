/**
 * The profile form webview's HTML document: the inspector's strict CSP (one nonce'd script, styles
 * only from the extension), pure so that the headless-Chromium tests serve exactly this.
 */
import { renderWebviewDocument, type WebviewDocumentOptions } from './webviewHtml';

/** Inputs for {@link renderProfileFormHtml}; URIs are already converted with `webview.asWebviewUri`. */
export type ProfileFormHtmlOptions = WebviewDocumentOptions;

/** Render the form document. Throws on a nonce or cspSource that could break out of the policy. */
export function renderProfileFormHtml(o: ProfileFormHtmlOptions): string {
  return renderWebviewDocument(o, { title: 'Wirescope Profile', bodyAttrs: '', app: '<main id="app" aria-label="Wirescope profile form"></main>' });
}
