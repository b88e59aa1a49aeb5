// How the CLI prints rows: JSON Lines (the stable interface for scripts) or readable text.
import { formatLatency, toJson, type EventRow, type FrameRow, type Row } from '../engine';

/** One JSON Lines object for a row (docs/json-lines.md). */
export function rowToJsonLine(row: Row): string {
  if (row.type === 'event') {
    const { type, id, ts, kind, mono: _mono, ...rest } = row;
    return toJson({ type, id, ts, kind, ...rest });
  }
  const out: Record<string, unknown> = {
    type: 'frame',
    id: row.id,
    ts: row.ts,
    tap: row.tap,
    conn: row.conn,
    dir: row.dir,
    proto: row.proto,
    len: row.len,
    data: Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength).toString('base64'),
    summary: row.summary,
    decoded: row.decoded ?? null,
  };
  if (row.error !== undefined) out.error = row.error;
  if (row.pair) out.pair = row.pair;
  return toJson(out);
}

const ARROWS: Record<string, string> = { c2s: '→', s2c: '←', stdin: '→ in', stdout: '← out', stderr: '← err' };

export class TextFormatter {
  private t0: number | undefined;

  constructor(private readonly opts: { color?: boolean; maxSummary?: number } = {}) {}

  format(row: Row): string {
    if (this.t0 === undefined) this.t0 = row.mono;
    const rel = ((row.mono - this.t0) / 1e6).toFixed(6).padStart(11);
    const id = String(row.id).padStart(6);
    return row.type === 'frame' ? this.frame(id, rel, row) : this.event(id, rel, row);
  }

  private frame(id: string, rel: string, row: FrameRow): string {
    const max = this.opts.maxSummary ?? 160;
    let summary = row.summary.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '.').replace(/\n/g, '⏎');
    if (summary.length > max) summary = summary.slice(0, max - 1) + '…';
    const err = row.error ? ` [${row.error}]` : '';
    if (row.pair?.latencyUs !== undefined) summary += ` (${formatLatency(row.pair.latencyUs)})`;
    const line = `${id} ${rel}  #${row.conn} ${(ARROWS[row.dir] ?? row.dir).padEnd(5)} ${row.proto.padEnd(8)} ${String(row.len).padStart(6)}  ${summary}${err}`;
    return this.opts.color && row.error ? `\x1b[31m${line}\x1b[0m` : line;
  }

  private event(id: string, rel: string, ev: EventRow): string {
    const line = `${id} ${rel}  ── ${describeEvent(ev)}`;
    return this.opts.color ? `\x1b[2m${line}\x1b[0m` : line;
  }
}

export function describeEvent(ev: Omit<EventRow, 'type' | 'id'>): string {
  const conn = ev.conn !== undefined ? `#${ev.conn} ` : '';
  switch (ev.kind) {
    case 'spawn':
      return `spawn pid ${ev.pid}: ${(ev.command ?? []).join(' ')}`;
    case 'exit':
      return `exit pid ${ev.pid}: ${ev.signal ? `killed by ${ev.signal}${ev.bySignal ? ' (sent by ipctap)' : ''}` : `code ${ev.code}`}`;
    case 'signal-sent':
      return `signal ${ev.signal} sent to ${ev.group ? 'process group ' : 'pid '}${ev.pid}`;
    case 'stopped':
      return `pid ${ev.pid} stopped`;
    case 'continued':
      return `pid ${ev.pid} continued`;
    case 'open': {
      const peers = ev.peers ? peerText(ev.peers) : '';
      return `${conn}open on ${ev.tap}${ev.from ? ` from ${ev.from}` : ''}${ev.to ? ` to ${ev.to}` : ''}${peers}`;
    }
    case 'close':
      return `${conn}closed${ev.reason ? ` (${ev.reason})` : ''}${ev.message ? `: ${ev.message}` : ''}`;
    case 'half-close':
      return `${conn}${ev.dir} finished sending (half-close)`;
    case 'tap-ready':
      return `tap ${ev.tap} ready${ev.address ? ` at ${ev.address}` : ''}${ev.message ? ` — ${ev.message}` : ''}`;
    case 'tap-stopped':
      return `tap ${ev.tap} stopped`;
    case 'restored':
      return `restored ${ev.path}${ev.from ? ` (from ${ev.from})` : ''}`;
    case 'capture-dropped':
      return `capture fell behind: ${ev.bytes} bytes not written to the capture file`;
    case 'gap':
      return `${conn}${ev.dir ? `${ev.dir} ` : ''}gap: ${ev.message ?? `${ev.bytes} bytes missing`}`;
    case 'signal-received':
      return `pid ${ev.pid} received ${ev.signal}${ev.senderPid !== undefined ? ` from pid ${ev.senderPid}${ev.senderCommand ? ` (${ev.senderCommand})` : ''}` : ''}`;
    case 'error':
      return `${conn}error: ${ev.message ?? ''}`;
    case 'note':
      return `${conn}note: ${ev.message ?? ''}`;
    default:
      return `${ev.kind}${ev.message ? `: ${ev.message}` : ''}`;
  }
}

function peerText(p: NonNullable<EventRow['peers']>): string {
  const parts: string[] = [];
  if (p.client?.length) parts.push(`client pid ${p.client.join(',')}`);
  if (p.server?.length) parts.push(`server pid ${p.server.join(',')}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
