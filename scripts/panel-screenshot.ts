// Makes docs/media/panel.png, the README's picture of the panel: the sample capture from
// examples/ opened in a real VS Code (code-server + Chromium), a reply selected so the detail
// pane shows its decoded tree and, in the hex dump, the bytes of the selected field.
//   npm run build && node --import tsx scripts/panel-screenshot.ts
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { examplesDir } from '../test/helpers/examples';
import { openWorkbench, pickQuick, runCommand, waitFor, webviewFrame, type Workbench } from '../test/helpers/code-server';

const out = resolve(__dirname, '../../docs/media/panel.png');

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'ipctap-shot-'));
  const workspace = join(scratch, 'workspace');
  let wb: Workbench | undefined;
  try {
    cpSync(examplesDir, workspace, { recursive: true, filter: (src) => !src.includes(`${examplesDir}/bin`) });
    wb = await openWorkbench({
      extensionsDir: join(scratch, 'extensions'),
      userDataDir: join(scratch, 'user-data'),
      workspace,
      shots: join(scratch, 'shots'),
      env: { IPCTAP_STATE_DIR: join(scratch, 'state') },
    });
    const page = wb.page;
    await runCommand(page, 'Go to File');
    await pickQuick(page, 'sample-netrpc.ipctap');
    const f = await webviewFrame(page, '[data-testid="frame-list"]');
    const reply = f.locator('[data-testid="frame-row"]', { hasText: /Arith\.Multiply #\d+ \d/ }).first();
    await waitFor('the rows of the sample capture', async () => (await reply.count()) > 0, 30_000);
    await reply.click();
    await f.locator('[data-testid="hex-view"]').first().waitFor({ timeout: 15_000 });
    // Select the reply's value: its bytes light up in the hex dump.
    await f
      .locator('[data-testid="tree-item"]', { hasText: /^\s*reply/ })
      .first()
      .click();
    await page.waitForTimeout(500); // let the detail pane finish painting
    mkdirSync(resolve(out, '..'), { recursive: true });
    await page.screenshot({ path: out });
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    await wb?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
