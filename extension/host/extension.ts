// Extension entry point: everything is built in compose().
import type * as vscode from 'vscode';
import { compose, type IpcTapApi } from './compose';

export function activate(context: vscode.ExtensionContext): IpcTapApi {
  return compose(context);
}

export function deactivate(): void {
  // Disposables registered in compose() stop the engine client: this window leaves the engine;
  // live sessions go on capturing (a reloaded window connects again).
}
