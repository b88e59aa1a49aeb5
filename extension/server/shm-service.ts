// Watch Shared Memory…: what there is to watch (engine/shm/list.ts does the /proc work).
import { formatSize, listSharedMemory, type Attachment } from '../engine';
import type { ShmChoice } from '../shared/requests';

function who(list: Attachment[]): string {
  const pids = [...new Map(list.map((a) => [a.pid, a])).values()];
  return pids.length ? `mapped by ${pids.map((a) => `${a.name} (${a.pid})`).join(', ')}` : 'no process has it mapped';
}

export async function listShmChoices(): Promise<ShmChoice[]> {
  const l = await listSharedMemory();
  const out: ShmChoice[] = [];
  for (const s of l.sysv)
    out.push({
      kind: 'sysv',
      target: s.key !== '0x00000000' ? s.key : String(s.shmid),
      label: `System V ${s.key} (id ${s.shmid}) · ${formatSize(s.size)} · ${s.owner}`,
      size: s.size,
      detail: who(s.attached),
    });
  for (const p of l.posix) out.push({ kind: 'posix', target: p.path, label: `${p.path} · ${formatSize(p.size)} · ${p.owner}`, size: p.size, detail: who(p.attached) });
  for (const m of l.mappings) {
    // A file is read directly; anonymous or deleted memory only through a process that maps it.
    if (!m.deleted) out.push({ kind: 'mapping', target: m.path, label: `${m.path} (mmap'd file)`, detail: who(m.attached) });
    else
      for (const a of m.attached)
        out.push({
          kind: 'mapping',
          target: `${a.pid}:${a.address}`,
          label: `${m.path} in ${a.name} (${a.pid}) at ${a.address}`,
          detail: `${a.perms}, through /proc/${a.pid}/mem`,
        });
  }
  return out;
}
