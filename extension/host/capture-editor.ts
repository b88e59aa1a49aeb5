// `.ipctap` files open in the panel from the Explorer: a read-only custom editor that opens the
// capture in the engine and hands the editor's webview to the panel.
import * as vscode from 'vscode';
import * as P from '../shared/requests';
import { showEngineError } from './engine-client';
import type { Services } from './services';

export const CAPTURE_EDITOR_VIEW_TYPE = 'ipctap.captureEditor';

/** How the panel module takes over a webview it did not create (custom editor). */
export type AdoptPanel = (panel: vscode.WebviewPanel, sessionId: string) => void | Promise<void>;

export class CaptureEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly svc: Services,
    private readonly adopt: AdoptPanel,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    try {
      const s = await this.svc.engine.request(P.CaptureOpen, { path: document.uri.fsPath });
      this.svc.model.put(s);
      panel.onDidDispose(() => void this.svc.engine.request(P.SessionClose, { sessionId: s.id }).catch(() => undefined));
      await this.adopt(panel, s.id);
    } catch (err) {
      showEngineError(err, `opening ${document.uri.fsPath}`, this.svc.output);
      panel.webview.html = `<!DOCTYPE html><html><body><p>Could not open this capture: see the notification and the "IPC Tap" output.</p></body></html>`;
    }
  }
}
