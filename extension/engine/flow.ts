// The flow of a session as a sequence diagram: one lifeline per process (named by command and
// pid, from spawn events and the peers found for each connection), or per endpoint whose process
// is unknown; one arrow per frame from its sender's lifeline to its receiver's, in time order;
// marks for signals, exits and connection ends. Front ends draw it (the CLI as text or SVG, the
// panel's Flow tab by range through the engine server).
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

const IPCTAP = 'ep:ipctap';

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

/**
 * The run a raw chunk belongs to ("conn:dir"), or undefined for any other row. A chunk is a frame
 * of the `raw` decoder: bytes as one read returned them, with no message boundaries (the `lines`
 * and length-prefixed decoders' frames are messages, not chunks). Consecutive chunks of one
 * connection and direction draw as one arrow when the Flow tab groups chunks.
 */
export function chunkKey(row: Row): string | undefined {
  return row.type === 'frame' && row.proto === 'raw' ? `${row.conn}:${row.dir}` : undefined;
}

/** Whether a row is drawn in the flow (as an arrow or a mark), decided from the row alone. */
export function isFlowRow(row: Row, opts: { transport?: boolean } = {}): boolean {
  if (row.type === 'frame') return !!opts.transport || !isTransportFrame(row);
  switch (row.kind) {
    case 'signal-sent':
    case 'signal-received':
    case 'exit':
      return row.pid !== undefined;
    case 'close':
      return row.conn !== undefined && !!row.reason && row.reason !== 'eof' && row.reason !== 'stopped';
    case 'error':
      return row.conn !== undefined;
    default:
      return false;
  }
}

interface ConnInfo {
  stdio: boolean;
  from?: string;
  to?: string;
  tap?: string;
  client?: number[];
  server?: number[];
  sides?: { client: string; server: string };
}

/**
 * What the flow knows of a session's processes and connections, fed row by row (`see`), and the
 * flow item each row draws as (`item`). The CLI feeds a whole capture; the engine server feeds
 * every row as it arrives and asks for items by range.
 */
export class FlowContext {
  private readonly lines = new Map<string, Lifeline>();
  private readonly names = new Map<number, string>();
  private readonly conns = new Map<number, ConnInfo>();

  private line(id: string, label: string): string {
    if (!this.lines.has(id)) this.lines.set(id, { id, label });
    return id;
  }

  private proc(pid: number): string {
    return this.line(`pid:${pid}`, `${this.names.get(pid) ?? 'pid'} ${pid}`);
  }

  private side(pids: number[] | undefined, fallback: string): string {
    return pids && pids.length ? this.proc(pids[0]!) : this.line(`ep:${fallback}`, fallback);
  }

  private resolve(conn: number, c: ConnInfo): void {
    if (!c.sides && !c.tap && !c.stdio) return; // not opened yet
    c.sides = {
      client: c.stdio ? this.line(IPCTAP, 'ipctap (terminal)') : this.side(c.client, c.from ?? `client of ${c.tap}`),
      server: this.side(c.server, c.to ?? String(c.tap)),
    };
    this.conns.set(conn, c);
  }

  /** Learn the pids at each end of a connection (an 'open' or a later 'note'). */
  notePeers(row: Row): void {
    if (row.type !== 'event' || row.conn === undefined || !row.peers || (row.kind !== 'open' && row.kind !== 'note')) return;
    const c = this.conns.get(row.conn) ?? { stdio: false };
    if (row.peers.client?.length) c.client = row.peers.client;
    if (row.peers.server?.length) c.server = row.peers.server;
    this.conns.set(row.conn, c);
    if (c.sides) this.resolve(row.conn, c);
  }

  /** Take a row in order: events name processes, open connections, end lifelines. */
  see(row: Row): void {
    if (row.type !== 'event') return;
    this.notePeers(row);
    if (row.kind === 'spawn' && row.pid !== undefined) {
      this.names.set(row.pid, (row.command?.[0] ?? 'pid').split('/').pop()!);
      const l = this.lines.get(`pid:${row.pid}`);
      if (l) l.label = `${this.names.get(row.pid)} ${row.pid}`;
      else this.proc(row.pid);
    } else if (row.kind === 'open' && row.conn !== undefined) {
      const c = this.conns.get(row.conn) ?? { stdio: false };
      c.stdio = row.tap?.startsWith('stdio') ?? false;
      c.from = row.from;
      c.to = row.to;
      c.tap = row.tap ?? c.tap ?? '?';
      this.resolve(row.conn, c);
    } else if (row.kind === 'signal-sent' && row.pid !== undefined) {
      this.proc(row.pid);
      this.line(IPCTAP, 'ipctap (terminal)');
    } else if (row.kind === 'signal-received' && row.pid !== undefined) {
      if (row.senderPid !== undefined && !this.names.has(row.senderPid) && row.senderCommand) this.names.set(row.senderPid, row.senderCommand);
      if (row.senderPid !== undefined) this.proc(row.senderPid);
      this.proc(row.pid);
    } else if (row.kind === 'exit' && row.pid !== undefined) {
      this.lines.get(this.proc(row.pid))!.end = row.signal ? String(row.signal) : `exit ${row.code ?? '?'}`;
    }
  }

  /** The item a row draws as (after `see` took it and the rows before it), or undefined. */
  item(row: Row): FlowItem | undefined {
    if (row.type === 'event') {
      if (row.kind === 'signal-sent' && row.pid !== undefined) {
        return {
          kind: 'mark',
          id: row.id,
          ts: row.ts,
          at: this.proc(row.pid),
          from: this.line(IPCTAP, 'ipctap (terminal)'),
          label: `${row.signal ?? 'signal'}${row.group ? ' (group)' : ''}`,
        };
      }
      if (row.kind === 'signal-received' && row.pid !== undefined) {
        const from = row.senderPid !== undefined ? this.proc(row.senderPid) : undefined;
        return { kind: 'mark', id: row.id, ts: row.ts, at: this.proc(row.pid), ...(from !== undefined ? { from } : {}), label: `${row.signal ?? 'signal'} received` };
      }
      if (row.kind === 'exit' && row.pid !== undefined) {
        return { kind: 'mark', id: row.id, ts: row.ts, at: this.proc(row.pid), label: row.signal ? String(row.signal) : `exit ${row.code ?? '?'}` };
      }
      const c = row.conn !== undefined ? this.conns.get(row.conn)?.sides : undefined;
      if (!c) return undefined;
      if (row.kind === 'close' && row.reason && row.reason !== 'eof' && row.reason !== 'stopped')
        return { kind: 'mark', id: row.id, ts: row.ts, at: c.server, label: `#${row.conn} ${row.reason}` };
      if (row.kind === 'error') return { kind: 'mark', id: row.id, ts: row.ts, at: c.server, label: `error: ${row.message ?? ''}`.slice(0, 80) };
      return undefined;
    }
    const c = this.conns.get(row.conn)?.sides ?? { client: this.line(`ep:client of ${row.tap}`, `client of ${row.tap}`), server: this.line(`ep:${row.tap}`, row.tap) };
    const out = row.dir === 'c2s' || row.dir === 'stdin';
    return {
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
    };
  }

  /** The lifelines drawn, in the order they appeared: every process, and the endpoints some
   *  connection (or item) still ends at. */
  lifelines(used?: ReadonlySet<string>): Lifeline[] {
    const live = new Set<string>(used ?? []);
    for (const c of this.conns.values()) if (c.sides) live.add(c.sides.client).add(c.sides.server);
    return [...this.lines.values()].filter((l) => l.id.startsWith('pid:') || live.has(l.id));
  }
}

export function buildFlow(rows: readonly Row[], opts: FlowOptions = {}): Flow {
  const max = opts.maxItems ?? Infinity;
  const ctx = new FlowContext();
  const items: FlowItem[] = [];
  const used = new Set<string>();
  let truncated = 0;
  let hidden = 0;
  // Peers may be found after a connection opened (a note): each connection's pids, first.
  for (const row of rows) ctx.notePeers(row);
  for (const row of rows) {
    ctx.see(row);
    if (row.type === 'frame' && !opts.transport && isTransportFrame(row)) {
      hidden++;
      continue;
    }
    if (!isFlowRow(row, { transport: true })) continue;
    const it = ctx.item(row);
    if (!it) continue;
    if (it.kind === 'arrow') used.add(it.from).add(it.to);
    else {
      used.add(it.at);
      if (it.from) used.add(it.from);
    }
    if (items.length >= max) truncated++;
    else items.push(it);
  }
  return { lifelines: ctx.lifelines(used), items, truncated, hidden };
}
