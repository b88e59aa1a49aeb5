// The engine hosted as a language server: the composition root of the server process.
// Started by the extension host (vscode-languageclient) as a separate Node process over IPC or
// stdio; a crash here never freezes the VS Code window.
import { createConnection, ProposedFeatures, ResponseError, TextDocumentSyncKind, type Connection } from 'vscode-languageserver/node';
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

export function startServer(connection: Connection): void {
  const log = (m: string) => connection.console.log(m);
  const sessions = new SessionService({
    notify: (params) => void connection.sendNotification(P.SessionChanged.method, params),
    log,
  });
  const texts = new TextDocuments(sessions);

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
  handle(P.SessionDecodeAs, (p) => sessions.decodeAs(p.sessionId, p.tap, p.decoder));
  handle(P.DecodersList, () => listDecoders().map((d) => ({ name: d.name, description: d.description })));
  handle(P.RowsGet, (p) => sessions.rowsGet(p));
  handle(P.RowsCount, async (p) => ({ total: await sessions.rowsCount(p.sessionId, p.filter) }));
  handle(P.RowsFind, (p) => sessions.rowsFind(p));
  handle(FlowGet, (p) => sessions.flowGet(p));
  handle(StatsGet, (p) => sessions.stats(p.sessionId));
  handle(P.SignalList, () => sessions.signals());
  handle(P.SignalSend, (p) => sessions.signal(p));
  handle(P.CaptureOpen, (p) => sessions.openCapture(p.path, p.decode, p.showSecrets === true));
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

  let stopping: Promise<void> | undefined;
  const stopAll = () => (stopping ??= sessions.shutdown());
  connection.onShutdown(() => stopAll());
  connection.onExit(() => {
    void stopAll().finally(() => process.exit(0));
  });
  // The host went away without a shutdown: still restore takeovers and end our processes.
  process.on('disconnect', () => void stopAll().finally(() => process.exit(0)));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => void stopAll().finally(() => process.exit(0)));
  }
  connection.listen();
  log(`IPC Tap engine started (pid ${process.pid}, node ${process.version})`);
}

if (require.main === module) startServer(createConnection(ProposedFeatures.all));
