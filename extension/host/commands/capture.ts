// Open Capture…, Save Capture As…, Export the flow as SVG, Open Capture as Text, Stop Session, Show Panel.
import * as vscode from 'vscode';
import * as P from '../../shared/requests';
import { captureTextUri } from '../capture-text-provider';
import { showEngineError } from '../engine-client';
import type { Services } from '../services';
import { pickSession, sessionIdOf } from './pick-session';

export async function openCapture(svc: Services, uriArg?: vscode.Uri): Promise<P.SessionSummary | undefined> {
  const uri =
    uriArg ?? (await vscode.window.showOpenDialog({ filters: { 'IPC Tap capture': ['ipctap'], 'All files': ['*'] }, canSelectMany: false, openLabel: 'Open Capture' }))?.[0];
  if (!uri) return undefined;
  try {
    const s = await svc.engine.request(P.CaptureOpen, { path: uri.fsPath });
    svc.model.put(s);
    await svc.panels.show(s.id);
    return s;
  } catch (err) {
    showEngineError(err, `opening ${uri.fsPath}`, svc.output);
    return undefined;
  }
}

/** A save dialog in the first workspace folder, suggesting the session's name with `ext`. */
export function askSavePath(sessionName: string, ext: string, kind: string, saveLabel: string): Thenable<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const suggested = sessionName.replace(/[^\w.-]+/g, '_').replace(/\.ipctap$/, '') + '.' + ext;
  return vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, suggested) : undefined,
    filters: { [kind]: [ext] },
    saveLabel,
  });
}

export async function saveCaptureAs(svc: Services, arg?: unknown): Promise<void> {
  const s = await pickSession(svc, { arg, placeHolder: 'Session to save' });
  if (!s) return;
  const uri = await askSavePath(s.name, 'ipctap', 'IPC Tap capture', 'Save Capture');
  if (!uri) return;
  try {
    await svc.engine.request(P.CaptureSave, { sessionId: s.id, path: uri.fsPath });
    void vscode.window.showInformationMessage(`Saved the capture of ${s.name} to ${vscode.workspace.asRelativePath(uri)}` + (s.state === 'live' ? ' (as captured so far).' : '.'));
  } catch (err) {
    showEngineError(err, 'saving the capture', svc.output);
  }
}

/** The panel's Flow tab, the part in view, as an SVG file where the user chooses. */
export async function exportFlowSvg(svc: Services, sessionId: string, svg: string): Promise<void> {
  const name = svc.model.get(sessionId)?.name ?? 'flow';
  const uri = await askSavePath(`${name} flow`, 'svg', 'SVG image', 'Export');
  if (!uri) return;
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(svg));
  void vscode.window.showInformationMessage(`Exported the flow to ${vscode.workspace.asRelativePath(uri)}.`);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The panel's Flow tab, the part in view drawn as PNG (base64 from the panel), where the user chooses. */
export async function exportFlowPng(svc: Services, sessionId: string, base64: string): Promise<void> {
  const png = Buffer.from(typeof base64 === 'string' ? base64 : '', 'base64');
  if (png.length < 33 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('the panel did not hand over a PNG image');
  const name = svc.model.get(sessionId)?.name ?? 'flow';
  const uri = await askSavePath(`${name} flow`, 'png', 'PNG image', 'Export');
  if (!uri) return;
  await vscode.workspace.fs.writeFile(uri, png);
  void vscode.window.showInformationMessage(`Exported the flow to ${vscode.workspace.asRelativePath(uri)}.`);
}

export async function openCaptureAsText(svc: Services, arg?: unknown): Promise<vscode.TextEditor | undefined> {
  let source: { sessionId?: string; path?: string; name: string } | undefined;
  if (arg instanceof vscode.Uri) source = { path: arg.fsPath, name: arg.path.split('/').pop()! };
  else {
    const s = await pickSession(svc, { arg, placeHolder: 'Session to open as text' });
    if (s) source = { sessionId: s.id, path: s.capturePath, name: s.name };
  }
  if (!source) return undefined;
  try {
    const uri = captureTextUri(source.name, source);
    const doc = await vscode.workspace.openTextDocument(uri);
    const typed = doc.languageId === 'ipctap' ? doc : await vscode.languages.setTextDocumentLanguage(doc, 'ipctap');
    return await vscode.window.showTextDocument(typed, { preview: false });
  } catch (err) {
    showEngineError(err, 'opening the capture as text', svc.output);
    return undefined;
  }
}

export async function stopSession(svc: Services, arg?: unknown): Promise<void> {
  const s = await pickSession(svc, { arg, filter: (x) => x.state === 'live' || x.state === 'starting', placeHolder: 'Session to stop' });
  if (!s) return;
  try {
    const after = await svc.engine.request(P.SessionStop, { sessionId: s.id });
    svc.model.put(after, false);
  } catch (err) {
    showEngineError(err, `stopping ${s.name}`, svc.output);
  }
}

/** Sessions view, on a trace: strace lets go of the processes (they go on running). */
export async function detachTrace(svc: Services, arg?: unknown): Promise<void> {
  const s = await pickSession(svc, { arg, filter: (x) => x.state === 'live' && x.taps.some((t) => t.kind === 'trace'), placeHolder: 'Session whose trace to detach' });
  if (!s) return;
  try {
    await svc.engine.request(P.SessionDetachTrace, { sessionId: s.id });
  } catch (err) {
    showEngineError(err, `detaching the trace of ${s.name}`, svc.output);
  }
}

export async function closeSession(svc: Services, arg?: unknown): Promise<void> {
  const id = sessionIdOf(arg) ?? (await pickSession(svc, { placeHolder: 'Session to close' }))?.id;
  if (!id) return;
  try {
    await svc.engine.request(P.SessionClose, { sessionId: id });
  } catch (err) {
    showEngineError(err, 'closing the session', svc.output);
  }
}

export async function showPanel(svc: Services, arg?: unknown): Promise<void> {
  const s = await pickSession(svc, { arg, placeHolder: 'Session to show' });
  if (!s) return;
  svc.model.setActive(s.id);
  const a = arg as { type?: string; connection?: { conn: number } } | undefined;
  // From the Sessions view: show the panel but leave the focus in the tree.
  await svc.panels.show(s.id, { ...(a?.connection ? { conn: a.connection.conn } : {}), preserveFocus: typeof a?.type === 'string' });
}
