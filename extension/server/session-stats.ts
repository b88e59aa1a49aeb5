// The Statistics tab's numbers for one session, kept up to date row by row as rows arrive:
// per RPC method (the engine's MethodStats) and per connection (frames, bytes, decode errors
// each way). Bounded memory: a few counters per connection and MethodStats' bounded samples.
import { BUCKETS_US, MethodStats, type Row } from '../engine';
import type { ConnStatsWire, StatsGetResult } from '../shared/views';

export class SessionStats {
  private readonly methods = new MethodStats();
  private readonly conns = new Map<number, ConnStatsWire & { protoSet: Set<string> }>();

  add(row: Row): void {
    if (row.type !== 'frame') return;
    this.methods.add(row);
    let c = this.conns.get(row.conn);
    if (!c) {
      c = { conn: row.conn, tap: row.tap, protos: [], protoSet: new Set(), framesOut: 0, bytesOut: 0, framesIn: 0, bytesIn: 0, decodeErrors: 0 };
      this.conns.set(row.conn, c);
    }
    c.protoSet.add(row.proto);
    if (row.dir === 'c2s' || row.dir === 'stdin') {
      c.framesOut++;
      c.bytesOut += row.len;
    } else {
      c.framesIn++;
      c.bytesIn += row.len;
    }
    if (row.error !== undefined) c.decodeErrors++;
  }

  result(): StatsGetResult {
    return {
      methods: this.methods.summaries(),
      bucketsUs: BUCKETS_US.map((b) => (Number.isFinite(b) ? b : null)),
      conns: [...this.conns.values()].sort((a, b) => a.conn - b.conn).map(({ protoSet, ...c }) => ({ ...c, protos: [...protoSet] })),
    };
  }
}
