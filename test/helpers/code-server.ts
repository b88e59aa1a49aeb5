// A real VS Code (code-server, installed once into a cache outside the repo; see E2E.md and
// scripts/code-server.mjs) driven through Debian's chromium with playwright-core, as a user would:
// command palette, quick picks, the Sessions view, the panel's webview.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import type { RunningCodeServer } from '../../scripts/code-server.mjs';

type CodeServerModule = typeof import('../../scripts/code-server.mjs');
// The .mjs module is ESM; load it with a dynamic import (this file may be compiled to CJS).
export const codeServerModule = (): Promise<CodeServerModule> => import('../../scripts/code-server.mjs');

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Workbench {
  server: RunningCodeServer;
  browser: Browser;
  page: Page;
  shots: string;
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openWorkbench(opts: { extensionsDir: string; userDataDir: string; workspace: string; shots: string; env?: Record<string, string> }): Promise<Workbench> {
  const cs = await codeServerModule();
  cs.installExtension(opts.extensionsDir);
  const port = await cs.freePort();
  const server = await cs.startCodeServer({ port, extensionsDir: opts.extensionsDir, userDataDir: opts.userDataDir, workspace: opts.workspace, env: opts.env });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(server.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The extension's contributions are registered (its view container is in the activity bar):
    // from now on the palette lists its commands.
    await page.waitForSelector('.activitybar [aria-label^="IPC Tap"]', { timeout: 60_000 });
    mkdirSync(opts.shots, { recursive: true });
    let n = 0;
    const b = browser;
    return {
      server,
      browser: b,
      page,
      shots: opts.shots,
      async shot(name: string) {
        const file = join(opts.shots, `${String(++n).padStart(2, '0')}-${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async close() {
        await b.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    throw err;
  }
}

const PALETTE_LABEL = 'Type the name of a command to run.';

/** When the focus is on a webview (VS Code gave it back after a quick input or a notification
 *  closed), wait until it has reached the webview's content: VS Code passes it on with a message
 *  to the webview, and a palette opened before that arrives is closed by it. A webview that is
 *  not shown never takes the focus in: after 5 s nothing more is coming, and F1 is safe. */
async function focusLanded(page: Page): Promise<void> {
  if (!(await page.evaluate(() => document.activeElement?.tagName === 'IFRAME'))) return;
  const landed = async () => {
    for (const f of page.frames()) {
      if (f === page.mainFrame() || f.childFrames().length > 0) continue;
      if (await f.evaluate(() => document.hasFocus()).catch(() => false)) return true;
    }
    return false;
  };
  const end = Date.now() + 5_000;
  while (!(await landed())) {
    if (Date.now() > end) return;
    await page.waitForTimeout(50);
  }
}

/** Run a command from the palette by its title (e.g. "IPC Tap: Launch and Tap…"). The workbench
 *  is ready for this once openWorkbench returned (the extension's commands are listed). */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // A quick input still open (an earlier step's) is closed first, and gone before F1: one that
  // is closing is inert and cannot be typed into.
  if (await page.evaluate(() => !!document.querySelector('.quick-input-widget')?.checkVisibility())) {
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.quick-input-widget')?.checkVisibility(), undefined, { timeout: 10_000 });
  }
  await focusLanded(page);
  await page.keyboard.press('F1');
  await page.waitForFunction(
    (label) => {
      const i = document.querySelector('.quick-input-widget input') as HTMLInputElement | null;
      return !!i && i.checkVisibility() && !i.closest('[inert]') && i.getAttribute('aria-label') === label;
    },
    PALETTE_LABEL,
    { timeout: 10_000 },
  );
  await input.fill('>' + title, { timeout: 10_000 }).catch(async (err: unknown) => {
    // Say what took the palette away (the focus moving to a webview closes it), not only that
    // it could not be typed into.
    const where = await page.evaluate(() => {
      const a = document.activeElement;
      const palette = document.querySelector('.quick-input-widget');
      return `palette ${palette?.checkVisibility() ? 'visible' : 'closed'}, focus on ${a ? `${a.tagName.toLowerCase()}.${[...a.classList].join('.')}` : 'nothing'}`;
    });
    throw new Error(`typing "${title}" into the command palette: ${where}: ${String(err)}`);
  });
  // Enter only once the filtered list has the command focused (not a recently used one).
  const row = page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  // The palette has handed over: closed, or showing the command's own question.
  await page.waitForFunction(
    (label) => document.querySelector('.quick-input-widget input')?.getAttribute('aria-label') !== label || !document.querySelector('.quick-input-widget')?.checkVisibility(),
    PALETTE_LABEL,
    { timeout: 10_000 },
  );
}

/** A quick input that is not the command palette, visible and not inert (mid-transition). */
async function waitForQuickInput(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const i = document.querySelector('.quick-input-widget input') as HTMLInputElement | null;
      return !!i && i.checkVisibility() && !i.closest('[inert]') && i.getAttribute('aria-label') !== 'Type the name of a command to run.';
    },
    undefined,
    { timeout: 15_000 },
  );
}

/** Pick the quick-pick item whose text contains `text` (typing it as a filter first). */
export async function pickQuick(page: Page, text: string, opts: { filter?: boolean } = {}): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await waitForQuickInput(page);
  if (opts.filter !== false) await input.fill(text);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

/** Answer a quick input box (type text, Enter). */
export async function answerInput(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await waitForQuickInput(page);
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** The webview frame that holds `selector` (webviews are nested iframes). */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30_000, not?: Frame[]): Promise<Frame> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (not?.includes(f)) continue;
      try {
        if ((await f.locator(selector).count()) > 0) return f;
      } catch {
        // detached frame
      }
    }
    if (Date.now() > end) throw new Error(`no webview frame with ${selector}`);
    await page.waitForTimeout(250);
  }
}

/** Wait until fn returns a truthy value. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
