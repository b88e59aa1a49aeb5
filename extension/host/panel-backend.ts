// What the panel needs from the rest of the extension host. EngineBackend (engine-backend.ts)
// implements it by forwarding to the engine server; the panel knows nothing about the client.
import type * as vscode from 'vscode';
import type { DecoderDescription, SessionChangedParams, SessionDetail, SessionSummary } from '../shared/requests';
import type { PanelMethod, PanelParams, PanelResult } from '../shared/webview';

export interface PanelBackend {
  /**
   * Answer one webview request (extension/shared/webview.ts PanelRequestMap) for a session.
   * Reject with an Error whose message the panel shows as is.
   */
  request<M extends PanelMethod>(sessionId: string, method: M, params: PanelParams<M>): Promise<PanelResult<M>>;
  decoders(): Promise<DecoderDescription[]>;
  /** Snapshot: processes, taps, connections, counters. Rejects when the session is unknown. */
  session(sessionId: string): Promise<SessionDetail>;
  /** Live notices for one session (already throttled by the engine; the panel coalesces more). */
  onChanged(sessionId: string, listener: (p: SessionChangedParams) => void): vscode.Disposable;
  /** After an engine restart: old session id → new id, for sessions it reloaded. */
  onRestarted?(listener: (map: Map<string, string>) => void): vscode.Disposable;
  /** Reopen a capture file (a panel restored after a reload whose session is gone). */
  reopen?(capturePath: string): Promise<SessionSummary>;
}
