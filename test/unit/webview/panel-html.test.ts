import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, makeNonce, panelHtml } from '../../../extension/host/panel-html';

test('panel HTML: strict CSP, nonce script from dist only, no inline code or styles', () => {
  const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/dist/webview.css?a=1&b="2"', nonce: 'abc123' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
  assert.ok(csp);
  assert.match(csp, /^default-src 'none'; /);
  assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
  assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net 'nonce-abc123'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.match(html, /<script nonce="abc123" src="https:\/\/x\/dist\/webview\.js"><\/script>/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.doesNotMatch(html, /style="|<style|\son[a-z]+=/i);
  assert.match(html, /href="https:\/\/x\/dist\/webview\.css\?a=1&amp;b=&quot;2&quot;"/);
  assert.equal(contentSecurityPolicy('S', 'N').split('; ')[0], "default-src 'none'");
});

test('nonces are fresh and long enough', () => {
  const a = makeNonce();
  assert.match(a, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(a, makeNonce());
});
