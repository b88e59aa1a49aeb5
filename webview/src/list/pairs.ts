// Which row is the selected row's request or reply, from what is loaded. Pure.
import type { WireRow } from '../../../extension/shared/webview';

export interface PairInfo {
  id: number;
  /** What the other row is. */
  role: 'request' | 'response';
  latencyUs?: number;
}

export function findPair(row: WireRow | undefined, loaded: Iterable<WireRow>): PairInfo | undefined {
  if (!row || row.type !== 'frame' || !row.pair) return undefined;
  if (row.pair.role === 'response') {
    return row.pair.request !== undefined ? { id: row.pair.request, role: 'request', latencyUs: row.pair.latencyUs } : undefined;
  }
  let best: WireRow | undefined;
  for (const r of loaded) {
    if (r.type === 'frame' && r.pair?.role === 'response' && r.pair.request === row.id && (!best || r.id < best.id)) best = r;
  }
  if (!best || best.type !== 'frame') return undefined;
  return { id: best.id, role: 'response', latencyUs: best.pair?.latencyUs };
}

/** Processes a frame's connection involves, for "Send signal to this peer". */
export function peerChoices(
  row: WireRow | undefined,
  conns: readonly { conn: number; peers?: { client?: number[]; server?: number[] } }[],
  processes: readonly { pid: number; name: string; state: string }[],
): { pid: number; label: string }[] {
  if (!row || row.type !== 'frame') return [];
  const out: { pid: number; label: string }[] = [];
  const seen = new Set<number>();
  const add = (pid: number, label: string) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    out.push({ pid, label });
  };
  const c = conns.find((x) => x.conn === row.conn);
  const name = (pid: number) => processes.find((p) => p.pid === pid)?.name;
  // The sender of this frame first.
  const senderIsClient = row.dir === 'c2s' || row.dir === 'stdin';
  const client = c?.peers?.client ?? [];
  const server = c?.peers?.server ?? [];
  for (const pid of senderIsClient ? client : server) add(pid, `${senderIsClient ? 'client' : 'server'} ${name(pid) ?? ''} pid ${pid}`.replace(/\s+/g, ' '));
  for (const pid of senderIsClient ? server : client) add(pid, `${senderIsClient ? 'server' : 'client'} ${name(pid) ?? ''} pid ${pid}`.replace(/\s+/g, ' '));
  for (const p of processes) if (p.state !== 'exited') add(p.pid, `${p.name} pid ${p.pid}`);
  return out;
}
