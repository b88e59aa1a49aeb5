// The panel's backend: every request the panel's webview makes (extension/shared/webview.ts),
// answered by forwarding to the engine server. The panel module (host/panel*.ts) calls this
// and knows nothing about the language client.
import * as vscode from 'vscode';
import * as P from '../shared/requests';
import type { PanelMethod, PanelParams, PanelResult } from '../shared/webview';
import { confirmSignal } from './commands/signal';
import { exportFlowPng, exportFlowSvg, saveCaptureAs } from './commands/capture';
import { FlowGet, StatsGet } from '../shared/views';
import { showReplayFailure, showReplayResult } from './commands/replay';
import { PanelManager, type PanelBackend } from './panel';
import type { Services } from './services';

/** One handler per panel request: a new request in PanelRequestMap needs its entry here. */
type PanelHandlers = { [M in PanelMethod]: (sessionId: string, p: PanelParams<M>) => Promise<PanelResult<M>> };

export class EngineBackend implements PanelBackend {
  private readonly handlers: PanelHandlers;

  constructor(private readonly svc: Services) {
    const e = svc.engine;
    this.handlers = {
      'rows/get': (sessionId, p) => e.request(P.RowsGet, { sessionId, start: p.start, count: p.count, filter: p.filter }),
      'rows/find': async (sessionId, p) => ({ index: (await e.request(P.RowsFind, { sessionId, id: p.id, filter: p.filter })).index }),
      'session/get': (sessionId) => e.request(P.SessionGet, { sessionId }),
      'signal/send': async (sessionId, p) => {
        const proc = svc.model.get(sessionId)?.processes.find((x) => x.pid === p.pid);
        const title = proc ? `${proc.name} (${proc.pid})` : `pid ${String(p.pid)}`;
        // The panel asks for SIGKILL confirmation itself; confirm again only if it did not say so.
        if (p.signal === 'SIGKILL' && p.confirmed !== true && !(await confirmSignal(p.signal, title))) {
          return { outcome: 'cancelled' };
        }
        return e.request(P.SignalSend, { sessionId, pid: p.pid, signal: p.signal });
      },
      'session/decodeAs': (sessionId, p) =>
        e.request(P.SessionDecodeAs, { sessionId, tap: p.tap, decoder: p.decoder, ...(typeof p.protoType === 'string' ? { protoType: p.protoType } : {}) }),
      'capture/save': async (sessionId) => {
        await saveCaptureAs(svc, sessionId);
        return null;
      },
      'replay/start': async (sessionId, p) => {
        try {
          const result = await e.request(P.ReplayStart, { sessionId, conn: p.conn, fromId: p.fromId });
          void showReplayResult(svc, result);
          return result;
        } catch (err) {
          // Said as an error notification with the ways on; the panel shows nothing more.
          void showReplayFailure(svc, err, { sessionId, conn: p.conn });
          return null;
        }
      },
      'edit/open': async (sessionId, p) => {
        await svc.edits?.open({ sessionId, id: p.id });
        return null;
      },
      'flow/get': (sessionId, p) =>
        e.request(FlowGet, {
          sessionId,
          start: p.start,
          count: p.count,
          filter: p.filter,
          transport: p.transport === true,
          ...(typeof p.findId === 'number' ? { findId: p.findId } : {}),
          axis: p.axis === 'time' ? 'time' : 'compressed',
          group: p.group === true,
          ...(Array.isArray(p.expanded) ? { expanded: p.expanded.filter((x) => typeof x === 'number').slice(0, 10_000) } : {}),
          ...(typeof p.indexStep === 'number' && p.indexStep >= 1 ? { indexStep: p.indexStep } : {}),
        }),
      'stats/get': (sessionId) => e.request(StatsGet, { sessionId }),
      'flow/exportSvg': async (sessionId, p) => {
        await exportFlowSvg(svc, sessionId, p.svg);
        return null;
      },
      'flow/exportPng': async (sessionId, p) => {
        await exportFlowPng(svc, sessionId, p.png);
        return null;
      },
      'clipboard/write': async (_sessionId, p) => {
        await vscode.env.clipboard.writeText(p.text);
        return null;
      },
    };
  }

  /** Answer one panel request for a session. Errors carry the message to show. */
  request<M extends PanelMethod>(sessionId: string, method: M, params: PanelParams<M>): Promise<PanelResult<M>> {
    const handler = Object.hasOwn(this.handlers, method) ? (this.handlers[method] as PanelHandlers[M] | undefined) : undefined;
    if (!handler) return Promise.reject(new Error(`unknown panel request ${String(method)}`));
    return handler(sessionId, params);
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

/** The panels (host/panel.ts) over this backend. */
export function createPanels(svc: Services): PanelManager {
  return new PanelManager(svc.context, new EngineBackend(svc));
}
