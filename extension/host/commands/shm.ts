// Watch Shared Memory…: pick a segment, a /dev/shm file or a shared mapping, optionally a region
// and a struct layout, and open a session panel whose rows are the changes.
import * as vscode from 'vscode';
import * as P from '../../shared/requests';
import { showEngineError } from '../engine-client';
import type { Services } from '../services';
import { startSession } from './launch';
import { ask, pick } from '../ask';

const ICONS: Record<P.ShmChoice['kind'], string> = { sysv: '$(server)', posix: '$(file-binary)', mapping: '$(references)' };

export async function watchSharedMemory(svc: Services, target?: string): Promise<void> {
  let chosen = target;
  try {
    if (!chosen) {
      const list = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'IPC Tap: listing shared memory' }, () => svc.engine.request(P.ShmList, {}));
      const items: (vscode.QuickPickItem & { target: string })[] = list.map((c) => ({ label: `${ICONS[c.kind]} ${c.label}`, detail: c.detail, target: c.target }));
      items.push({ label: '$(edit) Type a key, id, file or PID:ADDR…', target: '' });
      const picked = await pick(items, { placeHolder: 'Shared memory to watch (changes between two snapshots are merged)', matchOnDetail: true });
      if (!picked) return;
      chosen = picked.target;
      if (!chosen) {
        chosen = await ask({
          title: 'IPC Tap: Watch Shared Memory',
          prompt: 'System V key (0x…) or id, /dev/shm/NAME or a file, or PID:ADDR',
          validateInput: (v) => (v.trim() ? undefined : 'Type what to watch'),
        });
        if (!chosen?.trim()) return;
      }
    }
    const region = await ask({
      title: 'IPC Tap: Watch Shared Memory (region, optional)',
      prompt: 'Watch only OFF:LEN bytes (decimal or 0x hex); empty for all of it',
      placeHolder: '0:64',
      validateInput: (v) => (!v.trim() || /^\s*(0x[0-9a-f]+|\d+)\s*(:\s*(0x[0-9a-f]+|\d+))?\s*$/i.test(v) ? undefined : 'Expected OFF:LEN, e.g. 0:64 or 0x40:0x100'),
    });
    if (region === undefined) return;
    const layout = await ask({
      title: 'IPC Tap: Watch Shared Memory (struct layout, optional)',
      prompt: 'Typed fields, packed in order: u8…u64, i8…i64, f32, f64 (suffix be), char[N], bytes[N], pad[N]',
      placeHolder: 'u32 counter, u64 ts, char[16] name',
    });
    if (layout === undefined) return;
    await startSession(svc, { name: `shm ${chosen.trim()}`, shm: { target: chosen.trim(), region: region.trim() || undefined, layout: layout.trim() || undefined } });
  } catch (err) {
    showEngineError(err, 'watching shared memory', svc.output);
  }
}
