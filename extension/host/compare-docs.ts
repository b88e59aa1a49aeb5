// Read-only virtual documents for side-by-side views (scheme ipctap-compare): two texts shown in
// VS Code's diff editor, which aligns them and highlights what differs.
import * as vscode from 'vscode';

export const COMPARE_SCHEME = 'ipctap-compare';

export class CompareDocs implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private next = 1;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly closing: vscode.Disposable;

  constructor() {
    // A closed document's text is dropped.
    this.closing = vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.uri.scheme === COMPARE_SCHEME) this.texts.delete(d.uri.toString());
    });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  private uri(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/${this.next++}/${name.replace(/[/\\]/g, '_')}` });
    this.texts.set(uri.toString(), text);
    return uri;
  }

  /** Open `a` and `b` side by side. */
  async show(a: { name: string; text: string }, b: { name: string; text: string }, title: string): Promise<void> {
    await vscode.commands.executeCommand('vscode.diff', this.uri(a.name, a.text), this.uri(b.name, b.text), title, { preview: false });
  }

  dispose(): void {
    this.closing.dispose();
    this.changed.dispose();
    this.texts.clear();
  }
}
