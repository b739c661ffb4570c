/** The pattern-race report's HTML document: the shared strict CSP, one stylesheet, one nonce'd script. Pure, for the headless tests. */
import { renderWebviewDocument, type WebviewDocumentOptions } from '../webviewHtml';

export function renderCompareHtml(o: WebviewDocumentOptions): string {
  return renderWebviewDocument(o, { title: 'Wirescope Pattern Race', bodyAttrs: '', app: '<main id="app" aria-label="Wirescope pattern race"></main>' });
}
