// Every question a command asks goes through extension/host/ask.ts, which keeps it open when the
// focus moves (a webview taking the focus back after the palette closed would otherwise close it
// as it appears). A direct vscode.window.showQuickPick/showInputBox elsewhere fails this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '../../..');
const hostDir = join(root, 'extension/host');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('quick picks and input boxes are asked through ask.ts, which keeps them open on focus-out', () => {
  const direct: string[] = [];
  for (const file of sources(hostDir)) {
    if (file.endsWith('/ask.ts')) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\b(showQuickPick|showInputBox|createQuickPick|createInputBox)\s*[(<]/.test(line)) direct.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(direct, []);
  const ask = readFileSync(join(hostDir, 'ask.ts'), 'utf8');
  assert.equal((ask.match(/ignoreFocusOut: true/g) ?? []).length, (ask.match(/vscode\.window\.show(QuickPick|InputBox)\(/g) ?? []).length);
});
