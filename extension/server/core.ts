// The engine's shared core: the sessions and documents one engine process holds, and the
// requests every connected client may make of them (one set of handlers per connection).
import { ResponseError, TextDocumentSyncKind, type Connection } from 'vscode-languageserver/node';
import { listDecoders, UserError } from '../engine';
import * as P from '../shared/requests';
import { FlowGet, StatsGet } from '../shared/views';
import { documentSymbols, definition, foldingRanges, hover } from './language-features';
import { listAttachable, listAttachEndpoints } from './attach-service';
import { listShmChoices } from './shm-service';
import { startReplay } from './replay-service';
import { compareCaptures, exportCapture } from './compare-service';
import { prepareEdit, sendEdit } from './edit-service';
import { SessionService } from './session-service';
import { TextDocuments } from './text-documents';

/** The sessions and documents one engine process holds, shared by every connected client. */
export interface EngineCore {
  sessions: SessionService;
  texts: TextDocuments;
  /** Connected clients: notices and log lines go to each. */
  connections: Set<Connection>;
  log(message: string): void;
}

/** `onNotice` runs after every session/changed notice (the socket server watches for idleness). */
export function createCore(opts: { logLine?: (message: string) => void; onNotice?: () => void } = {}): EngineCore {
  const connections = new Set<Connection>();
  // A window that just went away must not take the engine with it: sends to it may throw or fail.
  const log = (m: string) => {
    opts.logLine?.(m);
    for (const c of connections) {
      try {
        c.console.log(m);
      } catch {
        // its connection closed
      }
    }
  };
  const sessions = new SessionService({
    notify: (params) => {
      for (const c of connections) {
        try {
          c.sendNotification(P.SessionChanged.method, params).catch(() => undefined);
        } catch {
          // its connection closed
        }
      }
      opts.onNotice?.();
    },
    log,
  });
  return { sessions, texts: new TextDocuments(sessions), connections, log };
}

/** Answer one client's requests from the shared core. `exit` ends the engine (engine/exit). */
export function serveConnection(core: EngineCore, connection: Connection, exit: () => Promise<void>): void {
  const { sessions, texts } = core;
  function handle<Params, Result>(def: P.RequestDef<Params, Result>, fn: (p: Params) => Result | Promise<Result>): void {
    connection.onRequest(def.method, async (params: Params) => {
      try {
        return await fn(params);
      } catch (err) {
        if (err instanceof UserError) throw new ResponseError(P.USER_ERROR_CODE, err.message);
        const e = err instanceof Error ? err : new Error(String(err));
        connection.console.error(`${def.method} failed: ${e.stack ?? e.message}`);
        throw new ResponseError(-32603, e.message);
      }
    });
  }
  handle(P.SessionStart, (p) => sessions.start(p));
  handle(P.SessionStop, (p) => sessions.stop(p.sessionId));
  handle(P.SessionDetachTrace, (p) => sessions.detachTrace(p.sessionId));
  handle(P.SessionClose, (p) => sessions.close(p.sessionId));
  handle(P.SessionList, () => sessions.list());
  handle(P.SessionGet, (p) => sessions.detail(p.sessionId));
  handle(P.SessionAddTap, (p) => sessions.addTap(p.sessionId, p.tap));
  handle(P.SessionDecodeAs, (p) => sessions.decodeAs(p.sessionId, p.tap, p.decoder, p.protoType));
  handle(P.DecodersList, () => listDecoders().map((d) => ({ name: d.name, description: d.description })));
  handle(P.RowsGet, (p) => sessions.rowsGet(p));
  handle(P.RowsCount, async (p) => ({ total: await sessions.rowsCount(p.sessionId, p.filter) }));
  handle(P.RowsFind, (p) => sessions.rowsFind(p));
  handle(FlowGet, (p) => sessions.flowGet(p));
  handle(StatsGet, (p) => sessions.stats(p.sessionId));
  handle(P.SignalList, () => sessions.signals());
  handle(P.SignalSend, (p) => sessions.signal(p));
  handle(P.CaptureOpen, (p) => sessions.openCapture(p.path, { decode: p.decode, decodeByTap: p.decodeByTap }, p));
  handle(P.CaptureSave, (p) => sessions.saveCapture(p.sessionId, p.path));
  handle(P.CaptureText, async (p) => ({ text: (await texts.render(p)).text }));
  handle(P.ReplayStart, (p) => startReplay(sessions, p));
  handle(P.AttachList, () => listAttachable());
  handle(P.AttachEndpoints, (p) => listAttachEndpoints(p.pid));
  handle(P.ShmList, () => listShmChoices());
  handle(P.CaptureExport, (p) => exportCapture(sessions, p));
  handle(P.CaptureDiff, (p) => compareCaptures(sessions, p));
  handle(P.EditPrepare, (p) => prepareEdit(sessions, p));
  handle(P.EditSend, (p) => sendEdit(sessions, p));
  handle(P.EngineExit, async () => {
    await exit();
    return { pid: process.pid };
  });

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.None },
      documentSymbolProvider: true,
      hoverProvider: true,
      foldingRangeProvider: true,
      definitionProvider: true,
    },
    serverInfo: { name: 'ipctap-engine' },
  }));
  connection.onDidCloseTextDocument((e) => texts.forget(e.textDocument.uri));
  connection.onDocumentSymbol(async (p) => {
    const m = await texts.model(p.textDocument.uri);
    return m ? documentSymbols(m) : [];
  });
  connection.onHover(async (p) => {
    const m = await texts.model(p.textDocument.uri);
    return m ? hover(m, p.position) : null;
  });
  connection.onFoldingRanges(async (p) => {
    const m = await texts.model(p.textDocument.uri);
    return m ? foldingRanges(m) : [];
  });
  connection.onDefinition(async (p) => {
    const m = await texts.model(p.textDocument.uri);
    return m ? definition(m, p.textDocument.uri, p.position) : null;
  });
}
