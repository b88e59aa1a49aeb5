// The panel's entry point (bundled by build.mjs to dist/webview.js, loaded with a CSP nonce).
import type { HostToWebview } from '../../extension/shared/webview';
import { App } from './app';
import { registerComponents } from './components/register';
import { HostLink, type VsCodeApi } from './host';

declare function acquireVsCodeApi(): VsCodeApi;

registerComponents();
const host = new HostLink(acquireVsCodeApi());
const root = document.getElementById('app');
if (root) {
  const app = new App(document, root, host);
  window.addEventListener('message', (ev: MessageEvent) => {
    const msg = ev.data as HostToWebview | undefined;
    if (msg && typeof msg === 'object' && typeof msg.type === 'string') app.handle(msg);
  });
  host.post({ type: 'ready' });
}
