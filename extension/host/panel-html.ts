// The panel's HTML: strict CSP (nothing but our nonce'd script and our stylesheet), no data in it.
// No 'vscode' import so it is unit-tested in Node.
import { randomBytes } from 'node:crypto';

export interface PanelHtmlParts {
  /** webview.cspSource */
  cspSource: string;
  /** webview.asWebviewUri(dist/webview.js) and (dist/webview.css), as strings. */
  scriptUri: string;
  styleUri: string;
  nonce?: string;
  title?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    // The nonce lets the control library's one feature probe (a <style> element it tags with the
    // csp-nonce meta below) through; inline style attributes and other <style> stay blocked.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function panelHtml(p: PanelHtmlParts): string {
  const nonce = p.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(p.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${attr(nonce)}">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>${attr(p.title ?? 'IPC Tap')}</title>
</head>
<body>
<div id="app" data-testid="ipctap-panel"></div>
<script nonce="${attr(nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>`;
}
