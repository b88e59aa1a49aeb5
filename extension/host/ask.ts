// The questions commands ask (quick picks and input boxes). Every one stays open when the focus
// leaves it: when the command palette closes, VS Code gives the focus back to the editor that had
// it, and a webview editor (the panel) takes it asynchronously, some tens of milliseconds later on
// a busy machine. A question that closed on focus-out would then vanish as it appeared. Escape
// still closes it.
import * as vscode from 'vscode';

export function pick<T extends vscode.QuickPickItem>(
  items: readonly T[] | Thenable<readonly T[]>,
  options: Omit<vscode.QuickPickOptions, 'ignoreFocusOut' | 'canPickMany'> = {},
): Thenable<T | undefined> {
  return vscode.window.showQuickPick(items, { ...options, ignoreFocusOut: true });
}

export function ask(options: Omit<vscode.InputBoxOptions, 'ignoreFocusOut'> = {}): Thenable<string | undefined> {
  return vscode.window.showInputBox({ ...options, ignoreFocusOut: true });
}

export function pickMany<T extends vscode.QuickPickItem>(
  items: readonly T[] | Thenable<readonly T[]>,
  options: Omit<vscode.QuickPickOptions, 'ignoreFocusOut' | 'canPickMany'> = {},
): Thenable<readonly T[] | undefined> {
  return vscode.window.showQuickPick(items, { ...options, canPickMany: true, ignoreFocusOut: true });
}
