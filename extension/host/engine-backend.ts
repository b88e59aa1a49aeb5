// The panel's backend: every request the panel's webview makes (extension/shared/webview.ts),
// answered by forwarding to the engine server. The panel module (host/panel*.ts) calls this
// and knows nothing about the language client.
import * as vscode from 'vscode';
import * as P from '../shared/requests';
import type { PanelMethod, PanelParams, PanelResult } from '../shared/webview';
import { confirmSignal } from './commands/signal';
import { exportFlowSvg, saveCaptureAs } from './commands/capture';
import { FlowGet, StatsGet } from '../shared/views';
import { showReplayFailure, showReplayResult } from './commands/replay';
import { PanelManager, type PanelBackend } from './panel';
import type { Services } from './services';

export class EngineBackend implements PanelBackend {
  constructor(private readonly svc: Services) {}

  /** Answer one panel request for a session. Errors carry the message to show. */
  async request<M extends PanelMethod>(sessionId: string, method: M, params: PanelParams<M>): Promise<PanelResult<M>> {
    const e = this.svc.engine;
    const p = params as Record<string, unknown>;
    let r: unknown;
    switch (method) {
      case 'rows/get':
        r = await e.request(P.RowsGet, { sessionId, start: p.start as number, count: p.count as number, filter: p.filter as string });
        break;
      case 'rows/find':
        r = { index: (await e.request(P.RowsFind, { sessionId, id: p.id as number, filter: p.filter as string })).index };
        break;
      case 'session/get':
        r = await e.request(P.SessionGet, { sessionId });
        break;
      case 'signal/send': {
        const signal = p.signal as string;
        const proc = this.svc.model.get(sessionId)?.processes.find((x) => x.pid === p.pid);
        const title = proc ? `${proc.name} (${proc.pid})` : `pid ${String(p.pid)}`;
        // The panel asks for SIGKILL confirmation itself; confirm again only if it did not say so.
        if (signal === 'SIGKILL' && p.confirmed !== true && !(await confirmSignal(signal, title))) {
          r = { outcome: 'cancelled' };
          break;
        }
        r = await e.request(P.SignalSend, { sessionId, pid: p.pid as number, signal });
        break;
      }
      case 'session/decodeAs':
        r = await e.request(P.SessionDecodeAs, { sessionId, tap: p.tap as string | undefined, decoder: p.decoder as string });
        break;
      case 'capture/save':
        await saveCaptureAs(this.svc, sessionId);
        r = null;
        break;
      case 'replay/start': {
        const fromId = typeof p.fromId === 'number' ? p.fromId : undefined;
        try {
          const result = await e.request(P.ReplayStart, { sessionId, conn: p.conn as number, fromId });
          void showReplayResult(this.svc, result);
          r = result;
        } catch (err) {
          // Said as an error notification with the ways on; the panel shows nothing more.
          void showReplayFailure(this.svc, err, { sessionId, conn: p.conn as number });
          r = null;
        }
        break;
      }
      case 'edit/open':
        await this.svc.edits?.open({ sessionId, id: p.id as number });
        r = null;
        break;
      case 'flow/get':
        r = await e.request(FlowGet, {
          sessionId,
          start: p.start as number,
          count: p.count as number,
          filter: p.filter as string,
          transport: p.transport === true,
          ...(typeof p.findId === 'number' ? { findId: p.findId } : {}),
        });
        break;
      case 'stats/get':
        r = await e.request(StatsGet, { sessionId });
        break;
      case 'flow/exportSvg':
        await exportFlowSvg(this.svc, sessionId, p.svg as string);
        r = null;
        break;
      case 'clipboard/write':
        await vscode.env.clipboard.writeText(p.text as string);
        r = null;
        break;
      default:
        throw new Error(`unknown panel request ${String(method)}`);
    }
    return r as PanelResult<M>;
  }

  decoders(): Promise<P.DecoderDescription[]> {
    return this.svc.engine.request(P.DecodersList, {});
  }

  session(sessionId: string): Promise<P.SessionDetail> {
    return this.svc.engine.request(P.SessionGet, { sessionId });
  }

  /** Live notices for one session (throttled by the engine). */
  onChanged(sessionId: string, listener: (p: P.SessionChangedParams) => void): vscode.Disposable {
    return this.svc.engine.onSessionChanged((p) => {
      if (p.sessionId === sessionId) listener(p);
    });
  }

  /** After an engine restart: the new id of a reloaded session (undefined if it was not reloaded). */
  onRestarted(listener: (map: Map<string, string>) => void): vscode.Disposable {
    return this.svc.engine.onRestarted(listener);
  }

  /** Reopen a capture (a restored panel whose session is gone). */
  async reopen(capturePath: string): Promise<P.SessionSummary> {
    const s = await this.svc.engine.request(P.CaptureOpen, { path: capturePath });
    this.svc.model.put(s, false);
    return s;
  }
}

export interface Panels extends vscode.Disposable {
  show(sessionId: string, opts?: { rowId?: number; conn?: number; preserveFocus?: boolean }): Promise<void>;
  adopt(panel: vscode.WebviewPanel, sessionId: string): Promise<void>;
}

/** The panels (host/panel.ts) over this backend. */
export function createPanels(svc: Services): PanelManager {
  return new PanelManager(svc.context, new EngineBackend(svc));
}
