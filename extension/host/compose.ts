// The composition root: builds the services once and registers every contribution.
import * as vscode from 'vscode';
import { CaptureEditorProvider, CAPTURE_EDITOR_VIEW_TYPE } from './capture-editor';
import { CaptureTextProvider, TEXT_SCHEME } from './capture-text-provider';
import { closeSession, detachTrace, openCapture, openCaptureAsText, saveCaptureAs, showPanel, stopSession } from './commands/capture';
import { compareWith, exportPcapng } from './commands/compare';
import { EditAndSend } from './commands/edit-send';
import { CompareDocs, COMPARE_SCHEME } from './compare-docs';
import { attachToProcess, launchAndTap, tapEndpoint } from './commands/launch';
import { replayCommand } from './commands/replay';
import { sendSignalCommand } from './commands/signal';
import { watchSharedMemory } from './commands/shm';
import { EngineClient } from './engine-client';
import { engineSocketFor } from './engine-socket';
import { createPanels } from './engine-backend';
import type { Services } from './services';
import { SessionModel } from './session-model';
import { SessionsTree } from './sessions-tree';
import { createStatusBar } from './status-bar';

/** What activate() returns: used by the e2e tests and other extensions. */
export interface IpcTapApi {
  services: Services;
}

export function compose(context: vscode.ExtensionContext): IpcTapApi {
  const output = vscode.window.createOutputChannel('IPC Tap');
  const workspace = vscode.workspace.workspaceFile?.toString() ?? vscode.workspace.workspaceFolders?.map((f) => f.uri.toString()).join('\n') ?? '(no folder)';
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '');
  const engine = new EngineClient(context.asAbsolutePath('dist/server.js'), engineSocketFor(workspace, version), output);
  const model = new SessionModel(engine);
  const svc: Services = { context, engine, model, output, panels: { show: () => undefined } };
  const compareDocs = new CompareDocs();
  svc.compareDocs = compareDocs;
  const edits = new EditAndSend(svc);
  svc.edits = edits;
  const panels = createPanels(svc);
  svc.panels = panels;

  const tree = new SessionsTree(model, engine);
  const view = vscode.window.createTreeView('ipctap.sessions', { treeDataProvider: tree, showCollapseAll: true });
  view.onDidChangeSelection((e) => {
    const n = e.selection[0];
    const id = n?.type === 'session' ? n.session.id : n?.sessionId;
    model.treeSelectedId = id;
    if (id) model.setActive(id);
  });
  // The status bar follows the panel in front of the user.
  panels.onDidActivate((id) => model.setActive(id));

  // Commands get whatever VS Code passes (tree items, URIs, nothing); each checks what it got.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cmd = (id: string, fn: (...args: any[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        output.appendLine(`[host] ${id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        void vscode.window.showErrorMessage(`IPC Tap: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    });

  context.subscriptions.push(
    output,
    engine,
    model,
    tree,
    view,
    panels,
    createStatusBar(model),
    vscode.workspace.registerTextDocumentContentProvider(TEXT_SCHEME, new CaptureTextProvider(engine)),
    compareDocs,
    vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, compareDocs),
    edits,
    vscode.window.registerCustomEditorProvider(CAPTURE_EDITOR_VIEW_TYPE, new CaptureEditorProvider(svc, (p, id) => panels.adopt(p, id)), {
      webviewOptions: { retainContextWhenHidden: false },
      supportsMultipleEditorsPerDocument: false,
    }),
    cmd('ipctap.launch', (name?: string) => launchAndTap(svc, typeof name === 'string' ? name : undefined)),
    cmd('ipctap.tapEndpoint', (spec?: string) => tapEndpoint(svc, typeof spec === 'string' ? spec : undefined)),
    cmd('ipctap.attach', (pid?: number) => attachToProcess(svc, typeof pid === 'number' ? pid : undefined)),
    cmd('ipctap.watchShm', (target?: string) => watchSharedMemory(svc, typeof target === 'string' ? target : undefined)),
    cmd('ipctap.sendSignal', (arg?: unknown, signal?: string) => sendSignalCommand(svc, arg, signal)),
    cmd('ipctap.replay', (arg?: unknown) => replayCommand(svc, arg)),
    cmd('ipctap.replayConnection', (arg?: unknown) => replayCommand(svc, arg)),
    cmd('ipctap.openCapture', (uri?: vscode.Uri) => openCapture(svc, uri instanceof vscode.Uri ? uri : undefined)),
    cmd('ipctap.saveCapture', (arg?: unknown) => saveCaptureAs(svc, arg)),
    cmd('ipctap.exportPcapng', (arg?: unknown) => exportPcapng(svc, arg)),
    cmd('ipctap.compareWith', (arg?: unknown) => compareWith(svc, arg)),
    cmd('ipctap.editAndSend', (arg?: unknown) => edits.open(arg)),
    cmd('ipctap.sendEdited', (uri?: unknown) => edits.send(uri instanceof vscode.Uri ? uri : undefined)),
    cmd('ipctap.saveAndSendEdited', () => edits.saveAndSend()),
    cmd('ipctap.changeEditTarget', (uri?: unknown) => edits.changeTargetOf(uri instanceof vscode.Uri ? uri : undefined)),
    cmd('ipctap.openCaptureAsText', (arg?: unknown) => openCaptureAsText(svc, arg)),
    cmd('ipctap.stopSession', (arg?: unknown) => stopSession(svc, arg)),
    cmd('ipctap.closeSession', (arg?: unknown) => closeSession(svc, arg)),
    cmd('ipctap.detachTrace', (arg?: unknown) => detachTrace(svc, arg)),
    cmd('ipctap.showPanel', (arg?: unknown) => showPanel(svc, arg)),
    cmd('ipctap.revealInPanel', (arg?: unknown) => showPanel(svc, arg)),
    cmd('ipctap.refreshSessions', () => model.refresh()),
    cmd('ipctap.restartEngine', () => engine.restart()),
  );

  // Start the engine now (activation means the user is about to use it); sessions list follows.
  void engine.start().then(
    () => model.refresh(),
    (err: unknown) => {
      output.appendLine(`[host] the engine did not start: ${err instanceof Error ? err.message : String(err)}`);
      void vscode.window.showErrorMessage('IPC Tap: the engine process did not start; see the "IPC Tap" output.');
    },
  );
  return { services: svc };
}
