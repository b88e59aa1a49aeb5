// The built panel bundle (dist/webview.js + dist/webview.css) in Debian's Chromium, under the
// panel's real HTML and CSP, with a stand-in host (fake-host.js) serving 1,000,000 rows.
// Checks what a user would: rows show and scroll, hostile payloads stay text, jump to end,
// following the tail, signals with SIGKILL confirmation, filter hints, Follow Connection,
// state restored after a reload, Decode As… with a protobuf message type, and no CSP violation
// or page error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { servePanel } from '../../helpers/panel-server';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '../../..');
const ROWS = '[data-testid="frame-row"], [data-testid="event-row"]';

const lastId = (page: Page) => page.locator(ROWS).last().getAttribute('data-id');

test('panel bundle in Chromium: 1,000,000 rows, untrusted payloads as text, signals, follow, restore', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` }, async () => {
  assert.ok(existsSync(join(root, 'dist/webview.js')), 'run node build.mjs first (test/run.mjs does)');
  const srv = await servePanel();
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
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const w = window as unknown as { csp?: string[] };
        (w.csp ??= []).push(`${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    await page.goto(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`);
    await page.waitForSelector('[data-testid="frame-row"]');

    // A live session opens at its end; only a screenful of rows is in the DOM.
    await page.waitForFunction(() => document.querySelector('[data-testid="row-count"]')?.textContent === '1,000,000');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length > 0 && [...document.querySelectorAll(sel)].pop()!.getAttribute('data-id') === '1000000', ROWS);
    const inDom = await page.locator(ROWS).count();
    assert.ok(inDom > 10 && inDom < 80, `rows in the DOM: ${inDom}`);

    // Home, then the row whose summary, tap and decoded value are hostile markup.
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('Home');
    await page.locator('[data-testid="frame-row"][data-id="7"]').click();
    const summary = await page.locator('[data-testid="frame-row"][data-id="7"] [data-testid="summary"]').textContent();
    assert.equal(summary, '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">');
    assert.match((await page.getByTestId('detail-pane').textContent()) ?? '', /<img src=x onerror=/);
    assert.equal(await page.locator('img, script:not([src])').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);

    // A request: its reply is highlighted and linked with the latency.
    await page.locator('[data-testid="frame-row"][data-id="9"]').click();
    // (The click resolves before the panel has re-rendered: until then the pair shown is row 7's.)
    await page
      .locator('.row.paired[data-id="10"]')
      .waitFor({ timeout: 5000 })
      .catch(() => undefined);
    assert.equal(await page.locator('.row.paired').getAttribute('data-id'), '10');
    assert.equal(await page.getByTestId('pair-link').textContent(), 'request answered by #10 after 1.23 ms');
    // A tree field with a byte range highlights its bytes; 64-bit integers are exact.
    await page.locator('[data-testid="tree-item"][data-path="/method"] .key').click();
    assert.deepEqual(await page.locator('[data-testid="hex-view"] .h-ascii .hl').allTextContents(), ['Arith', '.Multiply"']);
    assert.equal(await page.locator('[data-testid="tree-item"][data-path="/big"] .value').textContent(), '18446744073709551615');

    // Keyboard: End selects the last row.
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.querySelector('.row.selected')?.getAttribute('data-id') === '1000000');

    // Jump to end, then new rows are followed; after scrolling up they are not.
    await page.keyboard.press('Home');
    await page.getByTestId('jump-to-end').click();
    await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].pop()?.getAttribute('data-id') === '1000000', ROWS);
    await page.evaluate(() => (window as unknown as { grow(n: number): void }).grow(25));
    await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].pop()?.getAttribute('data-id') === '1000025', ROWS);
    assert.equal(await page.getByTestId('row-count').textContent(), '1,000,025');
    await page.evaluate(() => {
      const sc = document.querySelector('[data-testid="frame-list"]')!;
      sc.scrollTop -= 2000;
    });
    await page.waitForTimeout(150);
    const before = await lastId(page);
    await page.evaluate(() => (window as unknown as { grow(n: number): void }).grow(10));
    await page.waitForFunction(() => document.querySelector('[data-testid="row-count"]')?.textContent === '1,000,035');
    await page.waitForTimeout(200);
    assert.equal(await lastId(page), before, 'the rows in view stay put while the user looks elsewhere');

    // Signals: SIGTERM at once, SIGKILL after confirmation.
    await page.locator('[data-testid="signal-SIGTERM"][data-pid="4242"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="signal-outcome"][data-pid="4242"]')?.textContent === 'SIGTERM: exited with code 0');
    await page.locator('[data-testid="signal-SIGKILL"][data-pid="4242"]').click();
    await page.getByTestId('signal-confirm').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="signal-outcome"][data-pid="4242"]')?.textContent?.startsWith('SIGKILL'));
    const sent = await page.evaluate(() => (window as unknown as { sent: unknown[] }).sent);
    assert.deepEqual(sent, [
      { pid: 4242, signal: 'SIGTERM' },
      { pid: 4242, signal: 'SIGKILL', confirmed: true },
    ]);
    assert.equal(await page.locator('[data-testid="signal-SIGTERM"][data-pid="4243"]').getAttribute('disabled'), '', 'exited process: buttons disabled');

    // Filter: the engine gets the text; bad terms get a hint.
    await page.getByTestId('filter').fill('conn:2 dir:up');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /of 1,000,035/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
    assert.match((await page.getByTestId('filter-error').textContent()) ?? '', /dir: is one of c2s, s2c/);
    assert.ok((await page.evaluate(() => (window as unknown as { filters: string[] }).filters)).includes('conn:2 dir:up'));
    await page.getByTestId('filter').fill('');
    await page.keyboard.press('Enter');

    // Follow Connection, then a reload restores it and the selection.
    await page.waitForFunction(() => document.querySelector('[data-testid="row-count"]')?.textContent === '1,000,035');
    await page.getByTestId('frame-list').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelector('.row.selected')?.getAttribute('data-id') === '2');
    await page.getByTestId('follow-connection').click();
    await page.waitForFunction(() => /^Connection 3:/.test(document.querySelector('[data-testid="follow-banner"]')?.textContent ?? ''));
    await page.waitForTimeout(400); // state is saved shortly after changes
    await page.reload();
    await page.waitForSelector('[data-testid="frame-row"]');
    await page.waitForFunction(() => /^Connection 3:/.test(document.querySelector('[data-testid="follow-banner"]')?.textContent ?? ''));
    assert.equal(await page.locator('[data-testid="frame-row"][aria-selected="true"]').first().getAttribute('data-id'), '2');

    // Decode As… protobuf: the message types of the session's .proto files, its current one chosen.
    const decodeAs = async (decoder: RegExp, type?: string) => {
      await page.getByTestId('decode-as').click();
      await page.getByTestId('decode-as-decoder').click();
      await page.locator('[data-testid="decode-as-decoder"] vscode-option', { hasText: decoder }).click();
      if (type) {
        await page.getByTestId('decode-as-type').click();
        await page.locator('[data-testid="decode-as-type"] vscode-option', { hasText: type }).click();
      }
    };
    await decodeAs(/^protobuf/);
    assert.deepEqual(await page.locator('[data-testid="decode-as-type"] vscode-option').allTextContents(), ['schema-less (field numbers)', 'demo.Note', 'demo.Num']);
    await page.getByTestId('decode-as-apply').click();
    await decodeAs(/^protobuf/, 'demo.Note');
    await page.getByTestId('decode-as-apply').click();
    await decodeAs(/^protobuf/, 'schema-less');
    await page.getByTestId('decode-as-apply').click();
    await decodeAs(/^lines/);
    assert.equal(await page.getByTestId('decode-as-type-box').isHidden(), true, 'no type for other decoders');
    await page.getByTestId('decode-as-apply').click();
    // The type chosen last is the one offered next.
    await decodeAs(/^protobuf/, 'demo.Note');
    await page.getByTestId('decode-as-apply').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="notice"]')?.textContent?.includes('as protobuf (demo.Note) for the connections opened from now on'));
    await decodeAs(/^protobuf/);
    await page.getByTestId('decode-as-apply').click();
    await page.waitForFunction(() => (window as unknown as { decodedAs: unknown[] }).decodedAs.length === 6);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { decodedAs: unknown[] }).decodedAs), [
      { decoder: 'protobuf', tap: 'unix:/tmp/app.sock', protoType: 'demo.Num' },
      { decoder: 'protobuf', tap: 'unix:/tmp/app.sock', protoType: 'demo.Note' },
      { decoder: 'protobuf', tap: 'unix:/tmp/app.sock', protoType: '' },
      { decoder: 'lines', tap: 'unix:/tmp/app.sock' },
      { decoder: 'protobuf', tap: 'unix:/tmp/app.sock', protoType: 'demo.Note' },
      { decoder: 'protobuf', tap: 'unix:/tmp/app.sock', protoType: 'demo.Note' },
    ]);

    assert.deepEqual(await page.evaluate(() => (window as unknown as { csp?: string[] }).csp ?? []), []);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await new Promise((r) => srv.close(r));
  }
});
