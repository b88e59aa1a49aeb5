// What the Flow tab needs beyond the ids of the rows it draws, kept for a flow view as its rows are
// scanned (in order, once each): the time offset of every row on the proportional axis, and the
// runs of raw chunks that the "group chunks" option draws as one arrow. Positions asked for by
// range map onto these without reading the rows again, so a 1,000,000-row flow stays by range.
import { FLOW_FOLD_GAP_US } from '../shared/views';
import { chunkKey, type Row } from '../engine';

type Typed = Float64Array | Uint32Array | Uint8Array;

/** A growable typed array: a plain array of 1,000,000 numbers costs several times as much. */
class Grow<T extends Typed> {
  n = 0;
  constructor(
    public a: T,
    private readonly make: (n: number) => T,
  ) {}
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = this.make(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
}

const f64 = () => new Grow(new Float64Array(1024), (n) => new Float64Array(n));
const u32 = () => new Grow(new Uint32Array(1024), (n) => new Uint32Array(n));

/** One entry of the grouped flow: a run of chunks (count ≥ 2) or a single row (count 1). */
export interface FlowEntry {
  /** Raw position (in the view's ids) of its first row. */
  raw: number;
  count: number;
  bytes: number;
  /** A run of raw chunks (even of one, which draws as a plain arrow). */
  chunks: boolean;
}

/** A position of the flow as drawn: a row, or a group's own item, or a chunk inside a group. */
export type FlowSlot = { raw: number; group?: undefined } | { raw: number; group: { entry: number; expanded: boolean } };

export class FlowIndex {
  /** Offset (µs, gaps folded) of each raw position. */
  private readonly offs = f64();
  private lastTs: number | undefined;
  /** Raw position of each entry's first row, its row count and bytes, and whether it is a run
   *  of chunks (1) or a single other row (0). */
  private readonly heads = u32();
  private readonly counts = u32();
  private readonly bytes = f64();
  private readonly chunky = new Grow(new Uint8Array(1024), (n) => new Uint8Array(n));
  private lastKey: string | undefined;

  /** Take the next row of the view (rows come in order, each once). */
  add(row: Row): void {
    const off = this.lastTs === undefined ? 0 : this.offs.a[this.offs.n - 1]! + Math.min(FLOW_FOLD_GAP_US, Math.max(0, row.ts - this.lastTs));
    this.offs.push(off);
    this.lastTs = row.ts;
    const key = chunkKey(row);
    const e = this.heads.n - 1;
    if (key !== undefined && key === this.lastKey && e >= 0) {
      this.counts.a[e]!++;
      this.bytes.a[e]! += row.type === 'frame' ? row.len : 0;
    } else {
      this.heads.push(this.offs.n - 1);
      this.counts.push(1);
      this.bytes.push(row.type === 'frame' ? row.len : 0);
      this.chunky.push(key !== undefined ? 1 : 0);
    }
    this.lastKey = key;
  }

  get rawCount(): number {
    return this.offs.n;
  }

  get entryCount(): number {
    return this.heads.n;
  }

  /** Offset (µs) of a raw position. */
  off(raw: number): number {
    return raw >= 0 && raw < this.offs.n ? this.offs.a[raw]! : 0;
  }

  entry(e: number): FlowEntry {
    return { raw: this.heads.a[e]!, count: this.counts.a[e]!, bytes: this.bytes.a[e]!, chunks: this.chunky.a[e] === 1 };
  }

  /** The entry holding a raw position. */
  entryOf(raw: number): number {
    let lo = 0;
    let hi = this.heads.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.heads.a[mid]! <= raw) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private isGroup(e: number): boolean {
    return this.chunky.a[e] === 1 && this.counts.a[e]! >= 2;
  }

  /**
   * The grouped flow's layout under a set of expanded groups (given by raw position of their
   * first row): a collapsed group is one position, an expanded one its own item and then each
   * chunk (1 + count positions), any other row one position.
   */
  grouped(expandedRaw: Iterable<number>): GroupedFlow {
    const exp: number[] = [];
    for (const r of expandedRaw) {
      if (r < 0 || r >= this.offs.n) continue;
      const e = this.entryOf(r);
      if (this.heads.a[e] === r && this.isGroup(e)) exp.push(e);
    }
    exp.sort((a, b) => a - b);
    return new GroupedFlow(this, [...new Set(exp)]);
  }

  isGroupEntry(e: number): boolean {
    return this.isGroup(e);
  }
}

export class GroupedFlow {
  /** Flat position of each expanded entry's own item. */
  private readonly starts: number[] = [];
  readonly total: number;

  constructor(
    private readonly ix: FlowIndex,
    private readonly expanded: number[],
  ) {
    let shift = 0;
    for (const e of expanded) {
      this.starts.push(e + shift);
      shift += ix.entry(e).count;
    }
    this.total = ix.entryCount + shift;
  }

  /** What flat position `f` shows. */
  slot(f: number): FlowSlot {
    let shift = 0;
    for (let k = 0; k < this.expanded.length; k++) {
      const start = this.starts[k]!;
      const e = this.expanded[k]!;
      const n = this.ix.entry(e).count;
      if (f < start) break;
      if (f === start) return { raw: this.ix.entry(e).raw, group: { entry: e, expanded: true } };
      if (f <= start + n) return { raw: this.ix.entry(e).raw + (f - start - 1) };
      shift += n;
    }
    const e = f - shift;
    const en = this.ix.entry(e);
    return this.ix.isGroupEntry(e) ? { raw: en.raw, group: { entry: e, expanded: false } } : { raw: en.raw };
  }

  /** Flat position showing a raw position (a collapsed group's own item for its chunks). */
  flatOf(raw: number): number {
    const e = this.ix.entryOf(raw);
    let shift = 0;
    for (let k = 0; k < this.expanded.length; k++) {
      const x = this.expanded[k]!;
      if (x > e) break;
      if (x === e) return this.starts[k]! + 1 + (raw - this.ix.entry(e).raw);
      shift += this.ix.entry(x).count;
    }
    return e + shift;
  }
}
