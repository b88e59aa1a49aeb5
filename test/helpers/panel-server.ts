// The built panel bundle (dist/webview.js, dist/webview.css) served over loopback under the
// panel's real HTML and CSP, with the stand-in host (children/fake-host.js) loaded first and,
// when given, a script of the test's own before it (e.g. `window.FAKE_ROWS = …`).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { panelHtml } from '../../extension/host/panel-html';

const root = join(import.meta.dirname, '..', '..');

export function servePanel(testScript?: string): Promise<http.Server> {
  const files: Record<string, [string, string]> = {
    '/dist/webview.js': [join(root, 'dist/webview.js'), 'text/javascript'],
    '/dist/webview.css': [join(root, 'dist/webview.css'), 'text/css'],
    '/fake-host.js': [join(root, 'test', 'helpers', 'children', 'fake-host.js'), 'text/javascript'],
  };
  const srv = http.createServer((req, res) => {
    const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/') {
      const nonce = 'n' + Math.random().toString(36).slice(2);
      const scripts = [...(testScript !== undefined ? ['/test.js'] : []), '/fake-host.js'].map((s) => `<script nonce="${nonce}" src="${origin}${s}"></script>`).join('');
      const html = panelHtml({ cspSource: origin, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css`, nonce }).replace(
        '<div id="app"',
        `${scripts}<div id="app"`,
      );
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      return;
    }
    if (path === '/test.js' && testScript !== undefined) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(testScript);
      return;
    }
    const f = files[path];
    if (f) res.writeHead(200, { 'content-type': f[1] }).end(readFileSync(f[0]));
    else res.writeHead(404).end();
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}
