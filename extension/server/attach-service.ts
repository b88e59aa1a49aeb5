// Attach to Process…: processes with IPC endpoints, and one process's endpoints with the tap spec
// that takes each over (engine/process/attach.ts does the /proc work).
import { listEndpoints, listProcessesWithEndpoints, type Endpoint } from '../engine';
import type { AttachEndpoint, AttachProcess } from '../shared/requests';

export async function listAttachable(): Promise<AttachProcess[]> {
  const { processes } = await listProcessesWithEndpoints();
  return processes.map((p) => ({ pid: p.pid, name: p.name, command: [p.command], endpoints: p.endpoints }));
}

export function endpointLabel(e: Endpoint): string {
  const where = e.local ?? e.remote ?? e.target;
  const bits = [e.state, e.kind, where].filter(Boolean);
  if (e.stdio) bits.unshift(e.stdio);
  return bits.join(' ');
}

export async function listAttachEndpoints(pid: number): Promise<AttachEndpoint[]> {
  const list = await listEndpoints(pid);
  return list
    .filter((e) => e.kind !== 'file' && e.kind !== 'tty')
    .map((e) => ({
      kind: e.kind,
      label: endpointLabel(e),
      listening: e.state === 'listening' || e.state === 'listen',
      tapSpec: e.tapSpec,
      detail: [e.peers?.length ? `peers: ${e.peers.map((p) => `${p.name} (${p.pid})`).join(', ')}` : '', e.note ?? ''].filter(Boolean).join(' · ') || undefined,
    }));
}
