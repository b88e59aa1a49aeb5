// Export as pcapng… and Compare with…: a session's capture (or a file) written for Wireshark, or
// compared message by message with another session or capture file, side by side (the report
// as text on request).
import * as vscode from 'vscode';
import * as P from '../../shared/requests';
import type { Services } from '../services';
import { showEngineError } from '../engine-client';
import { pickSession } from './pick-session';
import { askSavePath } from './capture';
import { pick } from '../ask';

export async function exportPcapng(svc: Services, arg?: unknown): Promise<void> {
  const s = await pickSession(svc, { arg, placeHolder: 'Session to export as pcapng' });
  if (!s) return;
  const uri = await askSavePath(s.name, 'pcapng', 'pcapng (Wireshark)', 'Export');
  if (!uri) return;
  try {
    const r = await svc.engine.request(P.CaptureExport, { sessionId: s.id, out: uri.fsPath });
    const ports = r.ports
      .slice(0, 4)
      .map((p) => `conn ${p.conn} → tcp.port == ${p.serverPort}`)
      .join(', ');
    void vscode.window.showInformationMessage(
      `Exported ${s.name}: ${r.connections} connection${r.connections === 1 ? '' : 's'} as TCP on 127.0.0.1, ${r.packets} packets (${ports}${r.ports.length > 4 ? ', …' : ''}). In Wireshark, "Decode As" a port to pick a dissector.`,
    );
  } catch (err) {
    showEngineError(err, 'exporting as pcapng', svc.output);
  }
}

export async function compareWith(svc: Services, arg?: unknown): Promise<void> {
  const a = await pickSession(svc, { arg, placeHolder: 'Session to compare' });
  if (!a) return;
  const others = svc.model.list().filter((s) => s.id !== a.id);
  const file = { label: '$(file) Choose a capture file…', id: undefined as string | undefined };
  const other = await pick([...others.map((s) => ({ label: s.name, description: s.state, id: s.id as string | undefined })), file], {
    placeHolder: `Compare ${a.name} with…`,
  });
  if (!other) return;
  let b: P.CaptureRef = { sessionId: other.id };
  let bName = other.label;
  if (other === file) {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Captures: ['ipctap', 'pcapng', 'pcap'] }, openLabel: 'Compare' });
    if (!uris?.[0]) return;
    b = { path: uris[0].fsPath };
    bName = vscode.workspace.asRelativePath(uris[0]);
  }
  try {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `IPC Tap: comparing ${a.name} with ${bName}…` }, () =>
      svc.engine.request(P.CaptureDiff, { a: { sessionId: a.id }, b }),
    );
    // Side by side: both conversations aligned, differences highlighted by the diff editor.
    await svc.compareDocs?.show({ name: `A ${a.name}`, text: r.sides.a }, { name: `B ${bName}`, text: r.sides.b }, `${a.name} ↔ ${bName}`);
    const c = r.counts;
    void vscode.window
      .showInformationMessage(
        r.different
          ? `${a.name} and ${bName} differ: ${c.changed} changed, ${c.onlyA} only in A, ${c.onlyB} only in B (${c.same} the same).`
          : `${a.name} and ${bName}: the same ${c.same} messages.`,
        'Show Report',
      )
      .then(async (pick) => {
        if (!pick) return;
        const doc = await vscode.workspace.openTextDocument({ content: `A: ${a.name}\nB: ${bName}\n\n${r.text}\n`, language: 'plaintext' });
        await vscode.window.showTextDocument(doc, { preview: false });
      });
  } catch (err) {
    showEngineError(err, 'comparing', svc.output);
  }
}
