// What `attach PID` says about memory it cannot tap: shared memory the process maps (watchable
// with `shm watch`) and a linked libzmq, whose inproc:// transport never leaves the process.
import { readFileSync } from 'node:fs';
import { isSharedMapping, parseMaps, sysvKeyOfPath } from './list';

export function memoryNotes(pid: number): string[] {
  let maps;
  try {
    maps = parseMaps(readFileSync(`/proc/${pid}/maps`, 'latin1'));
  } catch {
    return [];
  }
  const notes: string[] = [];
  const shared = new Map<string, string>();
  for (const e of maps) {
    if (!isSharedMapping(e) || e.perms[1] !== 'w') continue;
    const key = sysvKeyOfPath(e.path);
    const what = key ? `System V segment ${key} (id ${e.inode})` : e.path.startsWith('/dev/shm/') ? e.path : `${e.path || '[anonymous]'} at 0x${e.start.toString(16)}`;
    const watch = key ? `shm watch ${e.inode}` : e.path.startsWith('/') && !e.path.endsWith(' (deleted)') ? `shm watch ${e.path}` : `shm watch ${pid}:0x${e.start.toString(16)}`;
    if (!shared.has(what)) shared.set(what, watch);
  }
  for (const [what, watch] of shared) notes.push(`shared memory: ${what} — see its changes with 'ipctap ${watch}'`);
  if (maps.some((e) => /\/libzmq\.so/.test(e.path)))
    notes.push('links libzmq: ZeroMQ inproc:// endpoints are memory inside this process and no tap can see them; ipc:// (a Unix socket) and tcp:// can be tapped');
  return notes;
}
