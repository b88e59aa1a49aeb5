// Hostile payloads through every decoder into the real panel: markup, event handlers,
// javascript: URLs, invalid UTF-8, bidirectional controls and a 1 MiB line, carried in the
// places each protocol puts text (JSON-RPC methods and params, LSP bodies, MessagePack keys,
// HTTP/2 header values, ZMTP message parts, protobuf strings, lines) and fed as plain bytes to
// every registered decoder. The frames the decoders make are turned into the rows the engine
// server sends (toWireRow) and served to the built panel bundle in Chromium under its real HTML
// and CSP. Every row is selected so its summary, decoded tree and hex dump render: nothing runs,
// no element comes from a payload, bidi controls show as ⟨U+202E⟩, and no CSP violation or page
// error happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { pack } from 'msgpackr';
import { servePanel } from '../../helpers/panel-server';
import { listDecoders } from '../../../extension/engine/decoders/core/registry';
import type { FrameRow, Row } from '../../../extension/engine/types';
import type { Frame } from '../../../extension/engine/types';
import type { WireRow } from '../../../extension/shared/requests';
import { toWireRow } from '../../../extension/server/wire';
import { toJson } from '../../../extension/engine/util/json';
import { feed, type Segment } from '../../helpers/decoder-suite';
import { cat, h2frame, literalBlock } from '../../helpers/http2-fixtures';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '../../..');

const HOSTILE = [
  '<script>window.pwned=1</script>',
  '<img src=x onerror="window.pwned=2">',
  'javascript:window.pwned=3',
  '<svg onload="window.pwned=4"></svg>',
  '"><iframe srcdoc="<script>parent.pwned=5</script>"></iframe>',
  'admin\u202e\u2066txt.exe\u2069\u202c',
];
const H = HOSTILE.join(' ');
const INVALID_UTF8 = Uint8Array.from([0x3c, 0x62, 0x3e, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x3c, 0x2f, 0x62, 0x3e]);
const BIG_LINE = Buffer.concat([Buffer.alloc(1024 * 1024, 'A'), Buffer.from(HOSTILE[0]!), Buffer.from('\n')]);

const u8 = (s: string | Uint8Array) => (typeof s === 'string' ? Uint8Array.from(Buffer.from(s)) : s);
function u32be(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Inputs that carry the hostile strings where each protocol carries text. */
function inputs(): Segment[][] {
  const json = (o: unknown) => JSON.stringify(o);
  const rpc = json({ jsonrpc: '2.0', id: 1, method: H, params: { [HOSTILE[0]!]: H, url: HOSTILE[2] } });
  const rpcErr = json({ jsonrpc: '2.0', id: 1, error: { code: -1, message: H, data: HOSTILE } });
  const lsp = (body: string) => u8(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const zmtpGreeting = u8(Buffer.concat([Buffer.from('ff00000000000000017f0301', 'hex'), Buffer.from('NULL'.padEnd(20, '\0')), Buffer.alloc(32)]));
  const zmtpReady = (() => {
    const props = Buffer.concat([
      Buffer.from([11]),
      Buffer.from('Socket-Type'),
      u32be(4),
      Buffer.from('PUSH'),
      Buffer.from([8]),
      Buffer.from('Identity'),
      u32be(HOSTILE[1]!.length),
      Buffer.from(HOSTILE[1]!),
    ]);
    const body = Buffer.concat([Buffer.from([5]), Buffer.from('READY'), props]);
    return u8(Buffer.concat([Buffer.from([0x04, body.length]), body]));
  })();
  const zmtpPart = (body: string, more: boolean) => u8(Buffer.concat([Buffer.from([more ? 1 : 0, Buffer.byteLength(body)]), Buffer.from(body)]));
  const h2 = cat(
    u8('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    h2frame(4, 0, 0, new Uint8Array(0)),
    h2frame(
      1,
      4,
      1,
      literalBlock([
        [':method', 'POST'],
        [':path', `/${HOSTILE[0]}/Do`],
        ['content-type', 'application/grpc'],
        ['x-note', H],
      ]),
    ),
    h2frame(0, 1, 1, cat(Uint8Array.from([0]), u32be(2 + Buffer.byteLength(H)), Uint8Array.from([0x0a, Buffer.byteLength(H)]), u8(H))),
  );
  const protobuf = cat(Uint8Array.from([0x0a, Buffer.byteLength(HOSTILE[4]!)]), u8(HOSTILE[4]!));
  const mp = pack({ [HOSTILE[0]!]: H, method: HOSTILE[1], list: HOSTILE });
  const len32 = (b: Uint8Array) => cat(u32be(b.length), b);
  return [
    [['c2s', u8(HOSTILE.join('\n') + '\n')]],
    [['c2s', INVALID_UTF8]],
    [['c2s', BIG_LINE]],
    [
      ['c2s', u8(rpc + '\n')],
      ['s2c', u8(rpcErr + '\n')],
    ],
    [
      ['c2s', lsp(rpc)],
      ['s2c', lsp(rpcErr)],
    ],
    [['c2s', u8(json({ method: H, params: [{ [HOSTILE[0]!]: H }], id: 0 }) + '\n')]],
    [['c2s', cat(zmtpGreeting, zmtpReady, zmtpPart(HOSTILE[0]!, true), zmtpPart(H, false))]],
    [['c2s', h2]],
    [['c2s', protobuf]],
    [['c2s', u8(mp)]],
    [['c2s', len32(u8(mp))]],
  ];
}

/** Every decoder on every input, as the wire rows the panel gets. */
function rows(): { wire: WireRow[]; frames: number } {
  const wire: WireRow[] = [];
  let id = 0;
  let conn = 0;
  const seen = new Set<string>();
  for (const info of listDecoders()) {
    for (const input of inputs()) {
      conn++;
      let frames: Frame[];
      try {
        frames = feed(info.create({}), input, 'whole');
      } catch (e) {
        assert.fail(`${info.name} threw: ${(e as Error).message}`);
      }
      // (a 1 MiB line is a million MessagePack integers: the first frames of each input do)
      for (const f of frames.slice(0, 12)) {
        // Rows that render the same as one already there add nothing.
        const key = `${f.summary}\u0000${f.error ?? ''}\u0000${toJson(f.decoded ?? null).slice(0, 4096)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const row: FrameRow = {
          type: 'frame',
          id: ++id,
          ts: id,
          mono: id * 10,
          tap: `unix:/tmp/${HOSTILE[0]}.sock`,
          conn,
          dir: f.dir,
          proto: info.name,
          len: f.data.length,
          data: f.data,
          summary: f.summary,
          decoded: f.decoded,
          ...(f.error !== undefined ? { error: f.error } : {}),
          ...(f.ranges ? { ranges: f.ranges } : {}),
        } as FrameRow;
        wire.push(toWireRow(row as Row));
      }
    }
  }
  return { wire, frames: id };
}

const WALK = `(async () => {
  const list = document.querySelector('[data-testid="frame-list"]');
  const out = { bad: [], pwned: [], bidiRaw: [], bidiShown: false, stuck: 0 };
  for (let id = 1; id <= ROWS; id++) {
    if (id > 1) list.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    const t0 = performance.now();
    while (document.querySelector('.row.selected')?.getAttribute('data-id') !== String(id) || !document.querySelector('[data-testid="detail-header"]')) {
      if (performance.now() - t0 > 10000) { out.stuck = id; return out; }
      await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    const app = document.getElementById('app');
    for (const e of app.querySelectorAll('script, img, iframe, svg:not([data-icon]), object, embed, a[href^="javascript"]')) out.bad.push('row ' + id + ': ' + e.outerHTML.slice(0, 120));
    if (window.pwned !== undefined) out.pwned.push(id);
    const text = document.body.innerText;
    if (/[\\u202a-\\u202e\\u2066-\\u2069]/.test(text)) out.bidiRaw.push(id);
    out.bidiShown = out.bidiShown || text.includes('\u27e8U+202E\u27e9');
  }
  return out;
})()`;

test('hostile payloads through every decoder render as inert text in the real panel', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` }, async () => {
  assert.ok(existsSync(join(root, 'dist/webview.js')), 'run node build.mjs first (test/run.mjs does)');
  const { wire, frames } = rows();
  assert.ok(frames > 100, `only ${frames} frames`);
  // Each hostile string reached the panel through some decoder's decoded value or summary.
  const shown = wire.map((r) => (r.type === 'frame' ? `${r.summary} ${r.decodedJson}` : '')).join('\n');
  for (const h of HOSTILE) assert.ok(shown.includes(JSON.stringify(h).slice(1, -1)) || shown.includes(h), `no decoder showed ${h}`);

  const srv = await servePanel(`window.FAKE_ROWS = ${JSON.stringify(wire)};`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('404')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const w = window as unknown as { csp?: string[] };
        (w.csp ??= []).push(`${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    await page.goto(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`);
    await page.waitForSelector('[data-testid="frame-row"]');
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[data-testid="frame-row"]')?.getAttribute('data-id') === '1');

    // Walk every row with the keyboard (in the page, one row after another): each one's detail
    // (tree and hex) renders in turn, and the page is checked after each.
    // (The walk is page script text: what tsx compiles would carry its helpers into the page.)
    const walk = (await page.evaluate(WALK.replace('ROWS', String(frames)))) as { bad: string[]; pwned: number[]; bidiRaw: number[]; bidiShown: boolean; stuck: number };
    assert.equal(walk.stuck, 0, `row ${walk.stuck} was never selected`);
    assert.deepEqual(walk.bad, [], 'elements from a payload');
    assert.deepEqual(walk.pwned, [], 'a payload ran');
    assert.deepEqual(walk.bidiRaw, [], 'raw bidi controls on screen');
    assert.ok(walk.bidiShown, 'the bidi controls are shown as ⟨U+202E⟩');
    // The list's summaries show the markup as text.
    const summaries = (await page.locator('[data-testid="frame-row"] [data-testid="summary"]').allTextContents()).join('\n');
    assert.ok(!/[\u202a-\u202e]/.test(summaries));
    assert.deepEqual(await page.evaluate(() => (window as unknown as { csp?: string[] }).csp ?? []), []);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await new Promise((r) => srv.close(r));
  }
});
