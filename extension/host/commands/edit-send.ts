// Edit and Send…: a client frame's decoded value (or its bytes as hex) opens as a file in a
// private temporary folder; saving it (not an auto-save), the "Send" code lens on its first line
// or "IPC Tap: Send Edited Message" sends the edited message to the captured endpoint after the
// connection's setup, and the new answers open beside the original ones. The file and its
// folder are removed when the editor closes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import * as P from '../../shared/requests';
import { showEngineError } from '../engine-client';
import { editSendOutcome } from '../edit-send-outcome';
import type { Services } from '../services';
import { ask } from '../ask';

interface EditFile {
  sessionId: string;
  id: number;
  dir: string;
  /** The captured endpoint (or the one the user typed instead). */
  target?: string;
  typed: boolean;
  encodable: boolean;
}

const LOOPBACK = /^tcp:(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1):/;

function frameOf(arg: unknown): { sessionId: string; id: number } | undefined {
  const a = arg as { sessionId?: unknown; id?: unknown; rowId?: unknown } | undefined;
  const id = typeof a?.id === 'number' ? a.id : typeof a?.rowId === 'number' ? a.rowId : undefined;
  return typeof a?.sessionId === 'string' && id !== undefined ? { sessionId: a.sessionId, id } : undefined;
}

/** The files Edit and Send… writes: frame-ID.json or frame-ID.hex in an ipctap-edit-* folder. */
const EDIT_FILES: vscode.DocumentFilter = { scheme: 'file', pattern: '**/ipctap-edit-*/frame-*.{json,hex}' };

export class EditAndSend implements vscode.Disposable, vscode.CodeLensProvider {
  private readonly files = new Map<string, EditFile>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private sending = false;
  /** Files whose pending save is an auto-save (sent only on a save the user asked for). */
  private readonly autoSaving = new Set<string>();
  /** Saved by saveAndSend(), which sends itself. */
  private readonly savingToSend = new Set<string>();

  constructor(private readonly svc: Services) {
    this.subs.push(
      vscode.workspace.onWillSaveTextDocument((e) => {
        const path = e.document.uri.fsPath;
        if (!this.files.has(path)) return;
        if (e.reason === vscode.TextDocumentSaveReason.Manual) this.autoSaving.delete(path);
        else this.autoSaving.add(path);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => {
        const path = d.uri.fsPath;
        if (this.files.has(path) && !this.autoSaving.has(path) && !this.savingToSend.has(path)) void this.send(d);
        this.autoSaving.delete(path);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri.fsPath)),
      vscode.languages.registerCodeLensProvider(EDIT_FILES, this),
      this.lensesChanged,
    );
  }

  /** "Send" (with where to) and "Change Target…" on the first line of an edited message. */
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const f = this.files.get(doc.uri.fsPath);
    if (!f) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    return [
      new vscode.CodeLens(top, {
        title: `$(send) Send${f.target ? ` to ${f.target}` : '…'}`,
        tooltip: `Send the edited #${f.id} after the connection's setup (as saving does)`,
        command: 'ipctap.sendEdited',
        arguments: [doc.uri],
      }),
      new vscode.CodeLens(top, { title: 'Change Target…', command: 'ipctap.changeEditTarget', arguments: [doc.uri] }),
    ];
  }

  private context(): void {
    void vscode.commands.executeCommand('setContext', 'ipctap.editFiles', [...this.files.keys()]);
    this.lensesChanged.fire();
  }

  private forget(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    this.files.delete(path);
    rmSync(f.dir, { recursive: true, force: true });
    this.context();
  }

  /** Open a client frame for editing (from the panel, or a row argument). */
  async open(arg?: unknown): Promise<void> {
    const frame = frameOf(arg);
    if (!frame) {
      void vscode.window.showInformationMessage('Select a client frame in the IPC Tap panel and choose "Edit and Send…" in its details.');
      return;
    }
    let prep: P.EditPrepareResult;
    try {
      prep = await this.svc.engine.request(P.EditPrepare, frame);
    } catch (err) {
      showEngineError(err, 'opening the frame for editing', this.svc.output);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ipctap-edit-'));
    const path = join(dir, prep.encodable ? `frame-${frame.id}.json` : `frame-${frame.id}.hex`);
    writeFileSync(path, prep.text, { mode: 0o600 });
    this.files.set(path, { ...frame, dir, target: prep.target, typed: false, encodable: prep.encodable });
    this.context();
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
    await vscode.window.showTextDocument(doc, { preview: false });
    const where = prep.target ? ` to ${prep.target}` : '';
    void vscode.window
      .showInformationMessage(
        `Edit #${frame.id} (${prep.proto}${prep.encodable ? '' : ', as hex bytes'}), then save to send it${where} after the connection's setup.`,
        'Change Target…',
      )
      .then((pick) => (pick ? this.changeTarget(path) : undefined));
  }

  /** "Change Target…" for the edited message at `uri` (default: the active editor's). */
  async changeTargetOf(uri?: vscode.Uri): Promise<void> {
    const path = (uri ?? vscode.window.activeTextEditor?.document.uri)?.fsPath;
    if (path && this.files.has(path)) await this.changeTarget(path);
  }

  /** Ask for another endpoint; one that differs from the captured endpoint is confirmed. */
  private async changeTarget(path: string): Promise<boolean> {
    const f = this.files.get(path);
    if (!f) return false;
    const typed = await ask({
      title: `Send the edited #${f.id} to`,
      prompt: 'unix:PATH, tcp:HOST:PORT, fifo:PATH, or exec:["PROGRAM","ARG",…] (a fresh process, written on its stdin)',
      value: f.target ?? '',
      validateInput: (v) => (/^(unix|tcp|fifo):.+|^exec:\[.*\]$/.test(v.trim()) ? undefined : 'expected unix:PATH, tcp:HOST:PORT, fifo:PATH or exec:["PROGRAM","ARG",…]'),
    });
    if (!typed) return false;
    const t = typed.trim();
    if (f.target && t !== f.target) {
      const ok = await vscode.window.showWarningMessage(`Send the edited message to ${t} instead of the captured endpoint ${f.target}?`, { modal: true }, 'Send There');
      if (ok !== 'Send There') return false;
    }
    f.target = t;
    f.typed = true;
    this.lensesChanged.fire();
    return true;
  }

  /**
   * Ctrl+S (Cmd+S) in an edited message's editor: saved and sent, whatever auto-save did
   * meanwhile. (A document auto-saved a moment before is clean: VS Code does not save it again,
   * so saving alone would send nothing; VS Code for the Web auto-saves after a second by default.)
   */
  async saveAndSend(): Promise<P.EditSendResult | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !this.files.has(doc.uri.fsPath)) return undefined;
    const path = doc.uri.fsPath;
    this.savingToSend.add(path);
    try {
      if (doc.isDirty) await doc.save();
    } finally {
      this.savingToSend.delete(path);
    }
    return this.send(doc);
  }

  /** Send the edited message of `doc` (a document or its URI, from the code lens or the editor
   *  title; default: the active editor's). */
  async send(which?: vscode.TextDocument | vscode.Uri): Promise<P.EditSendResult | undefined> {
    const doc =
      which instanceof vscode.Uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === which.toString()) : (which ?? vscode.window.activeTextEditor?.document);
    const f = doc ? this.files.get(doc.uri.fsPath) : undefined;
    if (!doc || !f) {
      void vscode.window.showInformationMessage('No edited message in front: choose "Edit and Send…" on a client frame in the IPC Tap panel first.');
      return undefined;
    }
    if (this.sending) return undefined;
    // Nothing goes to an endpoint that is not known, or not this machine, unless typed.
    if (!f.target || (!f.typed && f.target.startsWith('tcp:') && !LOOPBACK.test(f.target))) {
      if (!(await this.changeTarget(doc.uri.fsPath))) return undefined;
    }
    const text = doc.getText();
    this.sending = true;
    try {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `IPC Tap: sending the edited #${f.id} to ${f.target}…` }, () =>
        this.svc.engine.request(P.EditSend, { sessionId: f.sessionId, id: f.id, target: f.target!, ...(f.encodable ? { value: text } : { hex: text }) }),
      );
      await this.svc.compareDocs?.show(
        { name: `answers to #${f.id} (captured)`, text: r.sides.a },
        { name: `answers to #${f.id} (edited)`, text: r.sides.b },
        `#${f.id}: captured ↔ edited answers`,
      );
      const said = editSendOutcome(f.id, r);
      void (said.warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage)(said.text, 'Show in Panel').then((pick) =>
        pick ? this.svc.panels.show(r.sessionId, { conn: r.conn }) : undefined,
      );
      return r;
    } catch (err) {
      showEngineError(err, 'sending the edited message', this.svc.output);
      return undefined;
    } finally {
      this.sending = false;
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    for (const f of this.files.values()) rmSync(f.dir, { recursive: true, force: true });
    this.files.clear();
  }
}
