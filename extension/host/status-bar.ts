// The status bar item: the active session's live counts; click to show the panel.
import { plural } from '../shared/plural';
import * as vscode from 'vscode';
import type { SessionModel } from './session-model';

export function createStatusBar(model: SessionModel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('ipctap.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'IPC Tap';
  item.command = 'ipctap.showPanel';
  const update = () => {
    const s = model.active;
    if (!s) {
      item.hide();
      return;
    }
    const running = s.processes.filter((p) => p.state !== 'exited').length;
    const icon = s.state === 'live' ? '$(pulse)' : s.state === 'starting' ? '$(loading~spin)' : '$(file-binary)';
    item.text =
      `${icon} ${s.name}: ${plural(s.frames, 'frame')} · ${plural(s.connections, 'connection')}` +
      (s.processes.length ? ` · ${running}/${plural(s.processes.length, 'process', 'processes')}` : '');
    item.tooltip = `IPC Tap session "${s.name}" (${s.state})\n${plural(s.rows, 'row')}, ${plural(s.frames, 'frame')}, ${plural(s.connections, 'connection')}\n${s.capturePath ?? ''}\nClick to show the panel`;
    item.show();
  };
  const sub = model.onDidChange(update);
  update();
  return vscode.Disposable.from(item, sub);
}
