// The Statistics tab's numbers for one session, kept up to date row by row as rows arrive:
// per RPC method (the engine's MethodStats) and per connection (frames, bytes, decode errors
// each way). Bounded memory: a few counters per connection and MethodStats' bounded samples.
import { BUCKETS_US, MethodStats, type Row } from '../engine';
import { THROUGHPUT_BUCKETS, type ConnStatsWire, type StatsGetResult, type ThroughputWire } from '../shared/views';

/** The first step of a throughput chart (µs); it doubles as needed. */
export const THROUGHPUT_STEP_US = 100_000;

/** Add `bytes` at time `ts` (µs) to a throughput series, doubling its step (merging pairs of
 *  steps) until the time fits in THROUGHPUT_BUCKETS steps. A time before t0 counts in step 0. */
export function addThroughput(t: ThroughputWire, ts: number, bytes: number, out: boolean): void {
  let i = Math.max(0, Math.floor((ts - t.t0) / t.stepUs));
  while (i >= THROUGHPUT_BUCKETS) {
    for (const a of [t.out, t.in]) {
      for (let k = 0; k < a.length; k += 2) a[k / 2] = a[k]! + (a[k + 1] ?? 0);
      a.length = Math.ceil(a.length / 2);
    }
    t.stepUs *= 2;
    i = Math.floor((ts - t.t0) / t.stepUs);
  }
  while (t.out.length <= i) t.out.push(0);
  while (t.in.length <= i) t.in.push(0);
  (out ? t.out : t.in)[i]! += bytes;
}

export class SessionStats {
  private readonly methods = new MethodStats();
  private readonly conns = new Map<number, ConnStatsWire & { protoSet: Set<string> }>();

  add(row: Row): void {
    if (row.type !== 'frame') return;
    this.methods.add(row);
    let c = this.conns.get(row.conn);
    if (!c) {
      c = {
        conn: row.conn,
        tap: row.tap,
        protos: [],
        protoSet: new Set(),
        framesOut: 0,
        bytesOut: 0,
        framesIn: 0,
        bytesIn: 0,
        decodeErrors: 0,
        throughput: { t0: row.ts, stepUs: THROUGHPUT_STEP_US, out: [], in: [] },
      };
      this.conns.set(row.conn, c);
    }
    c.protoSet.add(row.proto);
    const out = row.dir === 'c2s' || row.dir === 'stdin';
    addThroughput(c.throughput, row.ts, row.len, out);
    if (out) {
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
      conns: [...this.conns.values()]
        .sort((a, b) => a.conn - b.conn)
        .map(({ protoSet, throughput, ...c }) => ({ ...c, protos: [...protoSet], throughput: { ...throughput, out: [...throughput.out], in: [...throughput.in] } })),
    };
  }
}
