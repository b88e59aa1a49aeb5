// "Open Capture as Text": a read-only document (scheme ipctap-text, language ipctap) whose text
// the engine renders; the engine also answers outline, hover, folding and definition for it.
import * as vscode from 'vscode';
import * as P from '../shared/requests';
import type { EngineClient } from './engine-client';

export const TEXT_SCHEME = 'ipctap-text';

export class CaptureTextProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly engine: EngineClient) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const r = await this.engine.request(P.CaptureText, {
      uri: uri.toString(),
      sessionId: q.get('session') ?? undefined,
      path: q.get('path') ?? undefined,
    });
    return r.text;
  }
}

/** The URI of a session's (or capture file's) text document. */
export function captureTextUri(name: string, source: { sessionId?: string; path?: string }): vscode.Uri {
  const q = new URLSearchParams();
  if (source.sessionId) q.set('session', source.sessionId);
  if (source.path) q.set('path', source.path);
  // The tab shows the path's last segment: the session's name, marked as the text view.
  const safe = name.replace(/[\\/?#]+/g, '_').replace(/\.ipctap$/, '');
  return vscode.Uri.from({ scheme: TEXT_SCHEME, path: `/${safe} (text)`, query: q.toString() });
}
