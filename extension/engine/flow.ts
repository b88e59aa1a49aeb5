// The flow of a session as a sequence diagram: one lifeline per process (named by command and
// pid, from spawn events and the peers found for each connection), or per endpoint whose process
// is unknown; one arrow per frame from its sender's lifeline to its receiver's, in time order;
// marks for signals, exits and connection ends. Front ends draw it (the CLI as text or SVG).
import { isErrorResponse } from './method-stats';
import { formatLatency } from './rows';
import type { Row } from './types';

export interface Lifeline {
  id: string;
  label: string;
  /** Set when the process exited: "exit 0", "SIGTERM". */
  end?: string;
}

export type FlowItem =
  | { kind: 'arrow'; id: number; ts: number; from: string; to: string; label: string; conn: number; proto: string; error: boolean; latency?: string }
  | { kind: 'mark'; id: number; ts: number; at: string; label: string; from?: string };

export interface FlowOptions {
  /** Keep transport frames (HTTP/2 SETTINGS/WINDOW_UPDATE/PING, ZMTP greetings and commands,
   *  gob type definitions); hidden by default. */
  transport?: boolean;
  /** Stop after this many items (the rest is counted in `truncated`). */
  maxItems?: number;
}

export interface Flow {
  lifelines: Lifeline[];
  items: FlowItem[];
  /** Items left out past maxItems. */
  truncated: number;
  /** Transport frames left out. */
  hidden: number;
}

/** Frames that carry the protocol's own housekeeping rather than the application's messages. */
export function isTransportFrame(row: Extract<Row, { type: 'frame' }>): boolean {
  const d = row.decoded as Record<string, unknown> | null | undefined;
  const kind = d && typeof d === 'object' && !Array.isArray(d) ? d.kind : undefined;
  if (kind === 'typedef' || kind === 'greeting' || kind === 'command' || kind === 'preface') return true;
  if (row.proto.endsWith('http2') || row.proto.endsWith('grpc')) {
    const type = d && typeof d === 'object' ? (d as { type?: unknown }).type : undefined;
    if (type === 'SETTINGS' || type === 'WINDOW_UPDATE' || type === 'PING' || type === 'PRIORITY') return true;
  }
  return false;
}

export function buildFlow(rows: readonly Row[], opts: FlowOptions = {}): Flow {
  const max = opts.maxItems ?? Infinity;
  const lifelines = new Map<string, Lifeline>();
  const names = new Map<number, string>(); // pid → command name
  const conns = new Map<number, { client: string; server: string }>();
  const items: FlowItem[] = [];
  let truncated = 0;
  let hidden = 0;
  const line = (id: string, label: string): string => {
    if (!lifelines.has(id)) lifelines.set(id, { id, label });
    return id;
  };
  const proc = (pid: number): string => line(`pid:${pid}`, `${names.get(pid) ?? 'pid'} ${pid}`);
  const push = (it: FlowItem): void => {
    if (items.length >= max) truncated++;
    else items.push(it);
  };
  const side = (pids: number[] | undefined, fallback: string): string => (pids && pids.length ? proc(pids[0]!) : line(`ep:${fallback}`, fallback));
  // Peers may be found after a connection opened (a note): each connection's pids, first.
  const peers = new Map<number, { client?: number[]; server?: number[] }>();
  for (const row of rows) {
    if (row.type !== 'event' || row.conn === undefined || !row.peers || (row.kind !== 'open' && row.kind !== 'note')) continue;
    const p = peers.get(row.conn) ?? {};
    if (row.peers.client?.length) p.client = row.peers.client;
    if (row.peers.server?.length) p.server = row.peers.server;
    peers.set(row.conn, p);
  }
  for (const row of rows) {
    if (row.type === 'event') {
      if (row.kind === 'spawn' && row.pid !== undefined) {
        names.set(row.pid, (row.command?.[0] ?? 'pid').split('/').pop()!);
        const l = lifelines.get(`pid:${row.pid}`);
        if (l) l.label = `${names.get(row.pid)} ${row.pid}`;
        else proc(row.pid);
      } else if (row.kind === 'open' && row.conn !== undefined) {
        const stdio = row.tap?.startsWith('stdio') ?? false;
        const p = peers.get(row.conn);
        conns.set(row.conn, {
          client: stdio ? line('ep:ipctap', 'ipctap (terminal)') : side(p?.client, row.from ?? `client of ${row.tap}`),
          server: side(p?.server, row.to ?? String(row.tap)),
        });
      } else if (row.kind === 'signal-sent' && row.pid !== undefined) {
        push({
          kind: 'mark',
          id: row.id,
          ts: row.ts,
          at: proc(row.pid),
          from: line('ep:ipctap', 'ipctap (terminal)'),
          label: `${row.signal ?? 'signal'}${row.group ? ' (group)' : ''}`,
        });
      } else if (row.kind === 'exit' && row.pid !== undefined) {
        const at = proc(row.pid);
        const end = row.signal ? String(row.signal) : `exit ${row.code ?? '?'}`;
        lifelines.get(at)!.end = end;
        push({ kind: 'mark', id: row.id, ts: row.ts, at, label: end });
      } else if ((row.kind === 'close' || row.kind === 'half-close') && row.conn !== undefined) {
        const c = conns.get(row.conn);
        if (c && row.kind === 'close' && row.reason && row.reason !== 'eof' && row.reason !== 'stopped')
          push({ kind: 'mark', id: row.id, ts: row.ts, at: c.server, label: `#${row.conn} ${row.reason}` });
      } else if (row.kind === 'error') {
        const c = row.conn !== undefined ? conns.get(row.conn) : undefined;
        if (c) push({ kind: 'mark', id: row.id, ts: row.ts, at: c.server, label: `error: ${row.message ?? ''}`.slice(0, 80) });
      }
      continue;
    }
    if (!opts.transport && isTransportFrame(row)) {
      hidden++;
      continue;
    }
    const c = conns.get(row.conn) ?? { client: line(`ep:client of ${row.tap}`, `client of ${row.tap}`), server: line(`ep:${row.tap}`, row.tap) };
    const out = row.dir === 'c2s' || row.dir === 'stdin';
    push({
      kind: 'arrow',
      id: row.id,
      ts: row.ts,
      from: out ? c.client : c.server,
      to: out ? c.server : c.client,
      label: row.summary.replace(/^[→←]\s*/, ''),
      conn: row.conn,
      proto: row.proto,
      error: row.error !== undefined || (row.pair?.role === 'response' && isErrorResponse(row.decoded)),
      latency: row.pair?.latencyUs !== undefined ? formatLatency(row.pair.latencyUs) : undefined,
    });
  }
  return { lifelines: [...lifelines.values()], items, truncated, hidden };
}
