// FrameStore: the session's rows (frames and events) on disk, for random access by row id over
// millions of rows with bounded memory. The UI asks for rows by range and filter; the store
// answers from two files in a private temp directory:
//
//   rows.msgpack   the rows, msgpack-encoded one after another (msgpackr: Uint8Array as bin,
//                  bigint exact at any size via int64 and msgpackr's bigint extension)
//   offsets.u64    8 bytes per row: where the row starts in rows.msgpack (uint64 little-endian)
//
// Appends are buffered in memory and written (synchronously, in 256 KiB pieces to the page cache)
// as the buffer fills; reads of buffered rows are served from memory. Ids must increase; they
// are normally dense (0, 1, 2, ... or 1, 2, 3, ...) and a gap costs one small entry in memory.
import { closeSync, mkdtempSync, openSync, read, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from '../types';
import { compileFilter, matchRow, parseFilter, type FilterSpec, type MatchableRow } from '../../shared/filter';
import { RowFacets } from './row-facets';
import { makePackr, makeUnpackr } from './format';
import { Unpackr } from 'msgpackr';

/** A filter: a predicate, a parsed filter spec, or the panel's filter text. */
export type RowFilter = ((row: Row) => boolean) | FilterSpec | string;

export interface FrameStoreOptions {
  /** Buffered row bytes written out at once. Default 256 KiB. */
  flushBytes?: number;
}

export interface FrameStoreStats {
  rows: number;
  /** Size of rows.msgpack (buffered bytes included). */
  rowBytes: number;
  /** Row bytes held in memory (not yet written). */
  bufferedBytes: number;
}

const OFFSET_BYTES = 8;
const SCAN_BLOCK = 1024 * 1024;

export class FrameStore {
  private readonly packr = makePackr();
  private readonly unpackr = makeUnpackr();
  /** For scans: bin data as views into the read block (no copies). */
  private readonly scanUnpackr = new Unpackr({ useRecords: false, useBigIntExtension: true, int64AsType: 'bigint' });
  private readonly flushBytes: number;
  private rowsFd: number;
  private offsFd: number;
  private closed = false;
  private rowCount = 0;
  /** Rows [0, diskCount) are on disk; the rest are in `buf`. */
  private diskCount = 0;
  private diskBytes = 0;
  private buf: Buffer;
  private bufPos = 0;
  /** Start offsets (absolute) of the buffered rows. */
  private bufStarts: number[] = [];
  /** Id runs: run k covers indexes [runIndex[k], runIndex[k+1]) with ids runId[k] + (i - runIndex[k]). */
  private readonly runIndex: number[] = [];
  private readonly runId: number[] = [];
  private lastId = -Infinity;
  /** Type, conn, dir, proto/kind and tap of every row, in memory (a few bytes each). */
  private readonly facets = new RowFacets();

  private constructor(
    readonly dir: string,
    opts: FrameStoreOptions,
  ) {
    this.flushBytes = opts.flushBytes ?? 256 * 1024;
    this.buf = Buffer.allocUnsafeSlow(this.flushBytes);
    this.rowsFd = openSync(join(dir, 'rows.msgpack'), 'w+', 0o600);
    this.offsFd = openSync(join(dir, 'offsets.u64'), 'w+', 0o600);
  }

  /** A new, empty store in a fresh directory under `parent` (default: the OS temp dir). */
  static createSync(parent?: string, opts: FrameStoreOptions = {}): FrameStore {
    const dir = mkdtempSync(join(parent ?? tmpdir(), 'ipctap-rows-'));
    try {
      return new FrameStore(dir, opts);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  static async create(parent?: string, opts: FrameStoreOptions = {}): Promise<FrameStore> {
    return FrameStore.createSync(parent, opts);
  }

  /** Number of rows. */
  get count(): number {
    return this.rowCount;
  }

  get firstId(): number | undefined {
    return this.rowCount > 0 ? this.runId[0] : undefined;
  }

  get lastRowId(): number | undefined {
    return this.rowCount > 0 ? this.lastId : undefined;
  }

  /** Append a row; its id must be greater than the previous row's. Throws on misuse only. */
  append(row: Row): void {
    if (this.closed) throw new Error('FrameStore is closed');
    const id = row.id;
    if (!Number.isSafeInteger(id) || id < 0 || id <= this.lastId) {
      throw new Error(`FrameStore: row id ${id} does not follow ${this.lastId}`);
    }
    const clean: Record<string, unknown> = {};
    for (const k in row) {
      const v = (row as unknown as Record<string, unknown>)[k];
      if (v !== undefined) clean[k] = v;
    }
    const bytes = this.packr.pack(clean);
    if (this.bufPos + bytes.length > this.buf.length) {
      this.writeOut();
      if (bytes.length > this.buf.length) this.buf = Buffer.allocUnsafeSlow(bytes.length);
    }
    bytes.copy(this.buf, this.bufPos);
    this.facets.push(row);
    this.bufStarts.push(this.diskBytes + this.bufPos);
    this.bufPos += bytes.length;
    if (id !== this.lastId + 1 || this.rowCount === 0) {
      this.runIndex.push(this.rowCount);
      this.runId.push(id);
    }
    this.lastId = id;
    this.rowCount++;
    if (this.bufPos >= this.flushBytes) this.writeOut();
  }

  /** Write buffered rows to the files (they stay readable either way). */
  async flush(): Promise<void> {
    if (!this.closed) this.writeOut();
  }

  /** Is there a row with this id? */
  has(id: number): boolean {
    return this.indexOf(id) >= 0;
  }

  async get(id: number): Promise<Row | undefined> {
    const i = this.indexOf(id);
    if (i < 0) return undefined;
    return (await this.rowsAt(i, i + 1))[0];
  }

  /** Rows with ids in [start, end), in order. */
  async getRange(start: number, end: number): Promise<Row[]> {
    return this.rowsAt(this.lowerBound(start), this.lowerBound(end));
  }

  /** Rows at positions [from, to) (0-based, whatever the ids). */
  async rowsAt(from: number, to: number): Promise<Row[]> {
    this.check();
    const i0 = Math.max(0, Math.floor(from));
    const i1 = Math.min(this.rowCount, Math.floor(to));
    if (i1 <= i0) return [];
    // Buffered rows first, synchronously: an append during the disk read may write them out.
    const d1 = Math.min(i1, this.diskCount);
    const m0 = Math.max(i0, this.diskCount);
    const mem = m0 < i1 ? this.bufferedRows(m0, i1, this.unpackr) : [];
    if (i0 >= d1) return mem;
    const offs = await this.readOffsets(i0, d1);
    const bytes = await this.pread(this.rowsFd, offs[0]!, offs[offs.length - 1]! - offs[0]!);
    const out = this.unpackr.unpackMultiple(bytes) as Row[];
    for (const r of mem) out.push(r);
    return out;
  }

  /** Decode buffered rows at positions [m0, i1) (all >= diskCount). */
  private bufferedRows(m0: number, i1: number, unpackr: Unpackr): Row[] {
    const base = this.diskBytes;
    const a = this.bufStarts[m0 - this.diskCount]! - base;
    const b = i1 < this.rowCount ? this.bufStarts[i1 - this.diskCount]! - base : this.bufPos;
    return unpackr.unpackMultiple(Buffer.from(this.buf.subarray(a, b))) as Row[];
  }

  /** Rows with these ids (missing ids are skipped), in the order given. */
  async getMany(ids: ArrayLike<number>): Promise<Row[]> {
    const out: Row[] = [];
    let k = 0;
    while (k < ids.length) {
      // Read runs of consecutive positions at once.
      const first = this.indexOf(ids[k]!);
      let n = 1;
      while (first >= 0 && k + n < ids.length && this.indexOf(ids[k + n]!) === first + n && n < 4096) n++;
      if (first >= 0) for (const r of await this.rowsAt(first, first + n)) out.push(r);
      k += n;
    }
    return out;
  }

  /**
   * Ids of the rows that pass `filter`, among ids in [from, to) (default: all), in order.
   * Scans the rows file in 1 MiB blocks: memory stays bounded whatever the store's size.
   */
  async filter(filter: RowFilter, range: { from?: number; to?: number } = {}): Promise<Uint32Array> {
    this.check();
    const pred = toPredicate(filter);
    const i0 = range.from === undefined ? 0 : this.lowerBound(range.from);
    const i1 = range.to === undefined ? this.rowCount : this.lowerBound(range.to);
    // Terms on conn/dir/type/kind/proto/tap/after are decided from the in-memory facets; only
    // the rows they let through are read when the filter also searches text, methods or errors.
    if (typeof filter !== 'function' && this.facets.usable) {
      const spec = typeof filter === 'string' ? parseFilter(filter).spec : filter;
      const { facet, whole } = RowFacets.split(spec);
      if (facet) {
        const ids: number[] = [];
        for (let i = i0; i < i1; i++) {
          const id = this.idAt(i)!;
          if (this.facets.matches(facet, i, id)) ids.push(id);
        }
        if (whole) return Uint32Array.from(ids);
        // Few candidates: read just those rows. Many (scattered reads would cost more than
        // reading the file through): fall through to the sequential scan below.
        if (ids.length <= Math.max(256, (i1 - i0) >> 8)) {
          const out: number[] = [];
          for (let k = 0; k < ids.length; k += 4096) {
            for (const row of await this.getMany(ids.slice(k, k + 4096))) if (pred(row)) out.push(row.id);
          }
          return Uint32Array.from(out);
        }
      }
    }
    let out = new Uint32Array(1024);
    let n = 0;
    const take = (row: Row): void => {
      if (!pred(row)) return;
      if (n === out.length) {
        const bigger = new Uint32Array(out.length * 2);
        bigger.set(out);
        out = bigger;
      }
      out[n++] = row.id;
    };
    const d1 = Math.min(i1, this.diskCount);
    const m0 = Math.max(i0, this.diskCount);
    const mem = m0 < i1 ? this.bufferedRows(m0, i1, this.scanUnpackr) : [];
    if (i0 < d1) {
      const [start, end] = [(await this.readOffsets(i0, i0))[0]!, (await this.readOffsets(d1, d1))[0]!];
      let pos = start;
      let carry = Buffer.alloc(0);
      while (pos < end) {
        const want = Math.min(Math.max(SCAN_BLOCK, carry.length), end - pos);
        const block = await this.pread(this.rowsFd, pos, want);
        if (block.length === 0) throw new Error('FrameStore: rows file shorter than its index');
        pos += block.length;
        const data = carry.length ? Buffer.concat([carry, block]) : block;
        let used = 0;
        try {
          this.scanUnpackr.unpackMultiple(data, (row: Row, _s?: number, e?: number) => {
            take(row);
            used = e ?? used;
          });
        } catch (err) {
          if (!(err as { incomplete?: boolean }).incomplete) throw err;
        }
        carry = Buffer.from(data.subarray(used));
      }
    }
    for (const r of mem) take(r);
    return out.slice(0, n);
  }

  /** Position of the row with this id, or -1. */
  indexOf(id: number): number {
    if (this.rowCount === 0 || !(id >= this.runId[0]!) || id > this.lastId || !Number.isInteger(id)) return -1;
    const k = this.runFor(id);
    const i = this.runIndex[k]! + (id - this.runId[k]!);
    const next = k + 1 < this.runIndex.length ? this.runIndex[k + 1]! : this.rowCount;
    return i < next ? i : -1;
  }

  /** Id of the row at this position. */
  idAt(index: number): number | undefined {
    if (!(index >= 0 && index < this.rowCount)) return undefined;
    let lo = 0;
    let hi = this.runIndex.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runIndex[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.runId[lo]! + (index - this.runIndex[lo]!);
  }

  stats(): FrameStoreStats {
    return { rows: this.rowCount, rowBytes: this.diskBytes + this.bufPos, bufferedBytes: this.bufPos };
  }

  /** Close the files and delete the directory. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.rowsFd);
      closeSync(this.offsFd);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  // -------------------------------------------------------------------------------------------

  private check(): void {
    if (this.closed) throw new Error('FrameStore is closed');
  }

  /** Position of the first row whose id is >= id. */
  private lowerBound(id: number): number {
    if (this.rowCount === 0 || id <= this.runId[0]!) return 0;
    if (id > this.lastId) return this.rowCount;
    const k = this.runFor(Math.ceil(id));
    const i = this.runIndex[k]! + (Math.ceil(id) - this.runId[k]!);
    const next = k + 1 < this.runIndex.length ? this.runIndex[k + 1]! : this.rowCount;
    return Math.min(i, next);
  }

  /** The last run whose first id is <= id. */
  private runFor(id: number): number {
    let lo = 0;
    let hi = this.runId.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runId[mid]! <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private writeOut(): void {
    const n = this.bufStarts.length;
    if (n === 0) return;
    writeFully(this.rowsFd, this.buf.subarray(0, this.bufPos), this.diskBytes);
    const offs = Buffer.allocUnsafe(n * OFFSET_BYTES);
    for (let k = 0; k < n; k++) {
      const v = this.bufStarts[k]!;
      offs.writeUInt32LE(v >>> 0, k * OFFSET_BYTES);
      offs.writeUInt32LE(Math.floor(v / 0x100000000), k * OFFSET_BYTES + 4);
    }
    writeFully(this.offsFd, offs, this.diskCount * OFFSET_BYTES);
    this.diskBytes += this.bufPos;
    this.diskCount += n;
    this.bufPos = 0;
    this.bufStarts = [];
    if (this.buf.length > this.flushBytes) this.buf = Buffer.allocUnsafeSlow(this.flushBytes);
  }

  /** Start offsets of rows i..j (inclusive); j may be diskCount (= the end of the disk rows). */
  private async readOffsets(i: number, j: number): Promise<number[]> {
    // Decide before awaiting: appends meanwhile may write more rows out.
    const last = Math.min(j, this.diskCount - 1);
    const end = j >= this.diskCount ? this.diskBytes : -1;
    const out: number[] = [];
    if (i <= last) {
      const b = await this.pread(this.offsFd, i * OFFSET_BYTES, (last - i + 1) * OFFSET_BYTES);
      for (let k = 0; k < b.length; k += OFFSET_BYTES) out.push(b.readUInt32LE(k) + b.readUInt32LE(k + 4) * 0x100000000);
    }
    if (end >= 0) out.push(end);
    return out;
  }

  private pread(fd: number, position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    return new Promise((resolve, reject) => {
      let got = 0;
      const step = (): void => {
        read(fd, buf, got, length - got, position + got, (err, n) => {
          if (err) return reject(err);
          got += n;
          if (n === 0 || got === length) return resolve(buf.subarray(0, got));
          step();
        });
      };
      if (length === 0) resolve(buf);
      else step();
    });
  }
}

function writeFully(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}

function toPredicate(filter: RowFilter): (row: Row) => boolean {
  if (typeof filter === 'function') return filter;
  if (typeof filter === 'string') {
    const f = compileFilter(filter);
    return (row) => f(row as unknown as MatchableRow);
  }
  return (row) => matchRow(filter, row as unknown as MatchableRow);
}
