// Captured bytes and decoded strings are untrusted: every render function must insert them as
// text. Rendered with a DOM shim that has no HTML parser and throws on innerHTML & co.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { WireEventRow, WireFrameRow } from '../../../extension/shared/webview';
import { renderDetail, type DetailModel } from '../../../webview/src/detail/pane';
import { el } from '../../../webview/src/dom';
import { parseJsonTree } from '../../../webview/src/detail/lossless-json';
import { renderProcessStrip } from '../../../webview/src/processes';
import { renderConversationRow, renderListRow } from '../../../webview/src/list/row-view';
import { byTestId, elements, shimDocument, ShimElement } from '../../helpers/dom-shim';

const SCRIPT = '<script>globalThis.pwned = 1</script>';
const IMG = '<img src=x onerror="globalThis.pwned=2">';
const payload = Buffer.from(`${SCRIPT}${IMG}\u0000\u0001`);
const decoded = { [IMG]: SCRIPT, list: [IMG, { '</div><svg onload=alert(1)>': 1 }] };

const frame: WireFrameRow = {
  type: 'frame',
  id: 7,
  ts: 1,
  mono: 1500,
  tap: `unix:/tmp/${IMG}`,
  conn: 3,
  dir: 's2c',
  proto: '<b>lines</b>',
  len: payload.length,
  data: payload.toString('base64'),
  summary: SCRIPT + IMG,
  decodedJson: JSON.stringify(decoded),
  error: `bad ${IMG}`,
  ranges: [{ path: '/list/0', start: 0, end: 8 }],
  pair: { key: 'k', role: 'response', request: 5, latencyUs: 1200 },
};
const event: WireEventRow = { type: 'event', id: 8, ts: 1, mono: 2000, kind: 'error', message: SCRIPT, tap: IMG };

const ALLOWED_TAGS = new Set(['div', 'span', 'input', 'vscode-button', 'vscode-dropdown', 'vscode-option', 'vscode-divider']);
const ALLOWED_ATTR = /^(class|role|title|tabindex|type|value|selected|appearance|disabled|placeholder|spellcheck|data-[-a-z]+|aria-[-a-z]+)$/;

function assertInert(root: unknown): void {
  for (const e of elements(root)) {
    assert.ok(ALLOWED_TAGS.has(e.tagName), `unexpected element <${e.tagName}>`);
    for (const name of e.attributes.keys()) assert.match(name, ALLOWED_ATTR, `unexpected attribute ${name} on <${e.tagName}>`);
  }
}

test('list and conversation rows show markup in captured data as text', () => {
  const doc = shimDocument();
  for (const render of [renderListRow, renderConversationRow]) {
    const r = render(doc, 0, frame, { selectedId: 7 }) as unknown as ShimElement;
    assertInert(r);
    assert.equal(r.getAttribute('data-testid'), 'frame-row');
    assert.equal(r.getAttribute('data-id'), '7');
    const summary = byTestId(r, 'summary')[0]!;
    assert.ok(summary.textContent.includes(SCRIPT + IMG), summary.textContent);
    const e = render(doc, 1, event, {}) as unknown as ShimElement;
    assertInert(e);
    assert.equal(e.getAttribute('data-testid'), 'event-row');
    assert.ok(byTestId(e, 'summary')[0]!.textContent.includes(SCRIPT));
  }
  // the table row's other cells
  const r = renderListRow(doc, 0, frame, {}) as unknown as ShimElement;
  assert.ok(r.textContent.includes('<b>lines</b>'));
  assert.equal(
    elements(r)
      .find((x) => x.classList.contains('c-conn'))!
      .getAttribute('title'),
    frame.tap,
  );
});

test('detail pane: tree keys and values, hex ASCII and header are text', () => {
  const doc = shimDocument();
  const tree = parseJsonTree(frame.decodedJson);
  const m: DetailModel = {
    row: frame,
    tree,
    bytes: new Uint8Array(payload),
    expanded: new Set(['', '/list', '/list/1']),
    selectedPath: '/list/0',
    hexMaxLines: 100,
    pair: { id: 5, role: 'request', latencyUs: 1200 },
    peers: [{ pid: 12, label: `server ${IMG} pid 12` }],
    live: true,
  };
  const noop = () => undefined;
  const pane = renderDetail(doc, m, {
    toggle: noop,
    selectPath: noop,
    moreHex: noop,
    editAndSend: noop,
    goToRow: noop,
    replay: noop,
    copyHex: noop,
    copyBase64: noop,
    copyJson: noop,
    followConnection: noop,
    signalPeer: noop,
  }) as unknown as ShimElement;
  assertInert(pane);
  const text = pane.textContent;
  assert.ok(text.includes(SCRIPT), 'tree value shown as text');
  assert.ok(text.includes(JSON.stringify(SCRIPT)), 'string values are shown quoted');
  assert.ok(text.includes(IMG), 'tree key shown as text');
  assert.ok(text.includes('</div><svg onload=alert(1)>'));
  assert.ok(byTestId(pane, 'detail-error')[0]!.textContent.includes(IMG));
  // hex view: ASCII column shows the bytes as printable characters, control bytes as dots
  const hex = byTestId(pane, 'hex-view')[0]!;
  assert.ok(hex.textContent.includes('<script>globalThis.pwned = 1</script>'.slice(0, 16)));
  assert.ok(hex.textContent.includes('3c 73 63 72 69 70 74 3e'));
  // the selected field's bytes are highlighted
  const hl = elements(hex).filter((e) => e.getAttribute('class') === 'hl');
  assert.equal(hl.map((e) => e.textContent).join('|'), '3c 73 63 72 69 70 74 3e|<script>');
  assert.equal(pane.getAttribute('data-testid'), 'detail-pane');
});

test('event detail and process strip keep untrusted names as text', () => {
  const doc = shimDocument();
  const { type: _t, ...fields } = event;
  const pane = renderDetail(
    doc,
    { row: event, tree: parseJsonTree(JSON.stringify(fields)), expanded: new Set(['']), hexMaxLines: 10, peers: [], live: false },
    {
      toggle() {},
      selectPath() {},
      moreHex() {},
      editAndSend() {},
      goToRow() {},
      replay() {},
      copyHex() {},
      copyBase64() {},
      copyJson() {},
      followConnection() {},
      signalPeer() {},
    },
  );
  assertInert(pane);
  assert.ok(pane.textContent!.includes(SCRIPT));
  const strip = renderProcessStrip(
    doc,
    [{ pid: 99, name: IMG, command: [SCRIPT], state: 'running' }],
    { outcomes: new Map([[99, `SIGTERM: ${SCRIPT}`]]) },
    { signal() {}, confirm() {}, cancel() {} },
  );
  assertInert(strip);
  assert.ok(strip.textContent!.includes(IMG));
  assert.ok(strip.textContent!.includes(`SIGTERM: ${SCRIPT}`));
});

test('the shim refuses HTML sinks, so a switch to innerHTML fails these tests', () => {
  const doc = shimDocument();
  const d = doc.createElement('div');
  assert.throws(() => {
    d.innerHTML = SCRIPT;
  }, /forbidden/);
  assert.throws(() => d.insertAdjacentHTML('beforeend', SCRIPT), /forbidden/);
});

test('el() refuses event-handler, style and URL attributes', () => {
  const doc = shimDocument();
  assert.throws(() => el(doc, 'div', { onclick: 'x' }), /not allowed/);
  assert.throws(() => el(doc, 'div', { ONERROR: 'x' }), /not allowed/);
  assert.throws(() => el(doc, 'div', { style: 'color:red' }), /not allowed/);
  assert.throws(() => el(doc, 'div', { href: 'javascript:alert(1)' }), /not allowed/);
  const ok = el(doc, 'div', { title: IMG }, SCRIPT) as unknown as ShimElement;
  assert.equal(ok.getAttribute('title'), IMG);
  assert.equal(ok.childNodes.length, 1);
  assert.equal(ok.childNodes[0]!.nodeType, 3);
});

test('no webview source uses an HTML-parsing sink', () => {
  const root = join(import.meta.dirname, '../../../webview/src');
  const sinks = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|\.srcdoc|new Function|eval\()/;
  const files: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(n)) files.push(p);
    }
  };
  walk(root);
  assert.ok(files.length > 10, 'found the webview sources');
  for (const f of files) {
    const m = sinks.exec(readFileSync(f, 'utf8'));
    assert.equal(m, null, `${f} uses ${m?.[0]}`);
  }
});
