// What commands and views get from the composition root (no global singletons).
import type * as vscode from 'vscode';
import type { CompareDocs } from './compare-docs';
import type { EngineClient } from './engine-client';
import type { SessionModel } from './session-model';

/** Opens the panel for a session (implemented over the webview engineer's panel module). */
export interface PanelOpener {
  show(sessionId: string, opts?: { rowId?: number; conn?: number; preserveFocus?: boolean }): Promise<void> | void;
  /** The session of the panel in front of the user, if a panel is the active editor. */
  activeSessionId?(): string | undefined;
}

export interface Services {
  context: vscode.ExtensionContext;
  engine: EngineClient;
  model: SessionModel;
  output: vscode.OutputChannel;
  panels: PanelOpener;
  /** Side-by-side views over virtual documents. */
  compareDocs?: CompareDocs;
  /** Edit and Send… (opened from the panel's detail pane). */
  edits?: { open(arg?: unknown): Promise<void> };
}
