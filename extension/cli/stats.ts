// `--stats`: decode everything, print one summary table instead of every frame — per connection:
// its tap, the protocols seen, frames and bytes each way, decode errors, request/response pairs
// and their median latency. Used by `run`/`proxy`/`attach` (printed when the session stops) and
// by `read` (printed at the end of the file).
import { formatLatency, BUCKETS_US, type MethodSummary, maxOf, type EventRow, type Row } from '../engine';

interface ConnStats {
  conn: number;
  tap: string;
  protos: Set<string>;
  frames: Record<string, number>;
  bytes: Record<string, number>;
  errors: number;
  latencies: number[];
  peers: NonNullable<EventRow['peers']>;
}

/** Latencies kept per connection for the median (older ones are thinned out beyond this). */
const MAX_LATENCIES = 4096;

export class StatsCollector {
  private readonly conns = new Map<number, ConnStats>();
  private events = 0;

  add(row: Row): void {
    if (row.type === 'event') {
      this.events++;
      if (row.conn === undefined) return;
      const c = this.conn(row.conn, row.tap);
      // Each side's pids may come in an event of its own (a 'note' after the 'open').
      if (row.peers?.client?.length) c.peers.client = row.peers.client;
      if (row.peers?.server?.length) c.peers.server = row.peers.server;
      return;
    }
    const c = this.conn(row.conn, row.tap);
    c.protos.add(row.proto);
    c.frames[row.dir] = (c.frames[row.dir] ?? 0) + 1;
    c.bytes[row.dir] = (c.bytes[row.dir] ?? 0) + row.len;
    if (row.error !== undefined) c.errors++;
    const lat = row.pair?.latencyUs;
    if (lat !== undefined) {
      if (c.latencies.length >= MAX_LATENCIES) c.latencies = c.latencies.filter((_, i) => i % 2 === 0);
      c.latencies.push(lat);
    }
  }

  /** The table as text (a line saying so when nothing was seen). */
  format(): string {
    if (this.conns.size === 0) return `no connections (${this.events} events)`;
    const head = ['conn', 'tap', 'proto', 'frames →/←', 'bytes →/←', 'errors', 'pairs', 'median', 'peers'];
    const rows: string[][] = [head];
    const total = { frames: 0, bytes: 0, errors: 0 };
    for (const c of [...this.conns.values()].sort((a, b) => a.conn - b.conn)) {
      const [fo, fi] = sides(c.frames);
      const [bo, bi] = sides(c.bytes);
      total.frames += fo + fi;
      total.bytes += bo + bi;
      total.errors += c.errors;
      const lat = [...c.latencies].sort((a, b) => a - b);
      rows.push([
        String(c.conn),
        c.tap,
        [...c.protos].join(',') || '-',
        `${fo}/${fi}`,
        `${bo}/${bi}`,
        String(c.errors),
        String(c.latencies.length),
        lat.length ? formatLatency(lat[lat.length >> 1]!) : '-',
        [c.peers.client ? `client ${c.peers.client.join(',')}` : '', c.peers.server ? `server ${c.peers.server.join(',')}` : ''].filter(Boolean).join(' ') || '-',
      ]);
    }
    const widths = head.map((_, i) =>
      maxOf(
        rows.map((r) => r[i]!.length),
        0,
      ),
    );
    const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
    lines.push(
      `${this.conns.size} connection${this.conns.size === 1 ? '' : 's'}, ${total.frames} frames, ${total.bytes} bytes, ${total.errors} decode error${total.errors === 1 ? '' : 's'}, ${this.events} events`,
    );
    return lines.join('\n');
  }

  private conn(conn: number, tap: string | undefined): ConnStats {
    let c = this.conns.get(conn);
    if (!c) {
      c = { conn, tap: tap ?? '?', protos: new Set(), frames: {}, bytes: {}, errors: 0, latencies: [], peers: {} };
      this.conns.set(conn, c);
    }
    return c;
  }
}

/** [outgoing, incoming]: c2s/s2c, or stdin against stdout+stderr for a process's streams. */
function sides(m: Record<string, number>): [number, number] {
  return [(m.c2s ?? 0) + (m.stdin ?? 0), (m.s2c ?? 0) + (m.stdout ?? 0) + (m.stderr ?? 0)];
}

const BARS = '▁▂▃▄▅▆▇█';

/** `--stats --by method`: one line per method with its latency histogram drawn as bars over
 *  the same buckets for every method (so they can be compared), and the buckets' range below. */
export function formatMethodStats(methods: MethodSummary[]): string {
  if (methods.length === 0) return 'no request/response pairs (methods are counted for net/rpc, JSON-RPC/LSP/DAP and gRPC)';
  let lo = BUCKETS_US.length;
  let hi = -1;
  for (const m of methods) {
    m.histogram.forEach((n, i) => {
      if (n > 0) {
        lo = Math.min(lo, i);
        hi = Math.max(hi, i);
      }
    });
  }
  const lat = (us: number | null) => (us === null ? '-' : formatLatency(us));
  const head = ['method', 'calls', 'errors', 'p50', 'p90', 'p99', 'max', 'latency histogram'];
  const rows: string[][] = [head];
  for (const m of methods) {
    let top = 0;
    for (let i = lo; i <= hi; i++) top = Math.max(top, m.histogram[i]!);
    let bars = '';
    for (let i = lo; i <= hi && hi >= 0; i++) {
      const n = m.histogram[i]!;
      bars += n === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((n / top) * (BARS.length - 1)))];
    }
    const errors = m.errors ? String(m.errors) : '0';
    rows.push([
      m.method,
      String(m.calls) + (m.unanswered ? ` (+${m.unanswered} unanswered)` : ''),
      errors,
      lat(m.p50Us),
      lat(m.p90Us),
      lat(m.p99Us),
      lat(m.maxUs),
      bars ? `|${bars}|` : '-',
    ]);
  }
  const widths = head.map((_, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), 0));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  if (hi >= 0) {
    const bound = (i: number) =>
      i === 0 ? `≤${formatLatency(BUCKETS_US[0]!)}` : Number.isFinite(BUCKETS_US[i]!) ? `≤${formatLatency(BUCKETS_US[i]!)}` : `>${formatLatency(BUCKETS_US[i - 1]!)}`;
    const indent = widths.slice(0, -1).reduce((n, w) => n + w + 2, 0);
    lines.push(`${' '.repeat(indent)} ${bound(lo)} … ${bound(hi)} (buckets of 1-2-5 per decade)`);
  }
  return lines.join('\n');
}
