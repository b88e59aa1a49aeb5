// Rows of one session, served by range and by filter.
// TODO(lead): replace MemoryRowStore with engine/capture/frame-store.ts FrameStore once it lands
// (bounded memory); the server only relies on the RowStore interface below.
import type { Row } from '../engine/types';
import { compileFilter } from '../protocol/filter';

export type RowPredicate = (row: Row) => boolean;

export interface RowStore {
  append(row: Row): void;
  readonly count: number;
  /** Rows at indices [start, end) in append order. */
  getRange(start: number, end: number): Row[];
}

export class MemoryRowStore implements RowStore {
  private readonly rows: Row[] = [];
  append(row: Row): void {
    this.rows.push(row);
  }
  get count(): number {
    return this.rows.length;
  }
  getRange(start: number, end: number): Row[] {
    return this.rows.slice(Math.max(0, start), Math.max(0, end));
  }
}

interface View {
  pred: RowPredicate;
  /** Store indices of matching rows, ascending. */
  indices: number[];
  scanned: number;
  usedAt: number;
}

const MAX_VIEWS = 8;
const SCAN_BATCH = 4096;

/** Filtered views over a store: index lists built incrementally and cached per filter text. */
export class FilteredRows {
  private readonly views = new Map<string, View>();

  constructor(readonly store: RowStore) {}

  private view(filter: string): View | undefined {
    const key = filter.trim();
    if (!key) return undefined;
    let v = this.views.get(key);
    if (!v) {
      const pred: RowPredicate = compileFilter(key);
      v = { pred, indices: [], scanned: 0, usedAt: 0 };
      if (this.views.size >= MAX_VIEWS) {
        const oldest = [...this.views.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0]!;
        this.views.delete(oldest[0]);
      }
      this.views.set(key, v);
    }
    v.usedAt = Date.now();
    const total = this.store.count;
    while (v.scanned < total) {
      const end = Math.min(total, v.scanned + SCAN_BATCH);
      const rows = this.store.getRange(v.scanned, end);
      for (let i = 0; i < rows.length; i++) if (v.pred(rows[i]!)) v.indices.push(v.scanned + i);
      v.scanned = end;
    }
    return v;
  }

  count(filter?: string): number {
    const v = filter ? this.view(filter) : undefined;
    return v ? v.indices.length : this.store.count;
  }

  /** Rows at positions [start, start+count) of the filtered list. */
  get(filter: string | undefined, start: number, count: number): { rows: Row[]; total: number } {
    const v = filter ? this.view(filter) : undefined;
    if (!v) {
      const total = this.store.count;
      const s = Math.max(0, Math.min(start, total));
      return { rows: this.store.getRange(s, Math.min(total, s + Math.max(0, count))), total };
    }
    const total = v.indices.length;
    const s = Math.max(0, Math.min(start, total));
    const picked = v.indices.slice(s, Math.min(total, s + Math.max(0, count)));
    const rows: Row[] = [];
    for (const i of picked) rows.push(...this.store.getRange(i, i + 1));
    return { rows, total };
  }

  /** Position in the filtered list of the row with this id, or -1. */
  indexOfId(filter: string | undefined, id: number): number {
    const idx = this.storeIndexOfId(id);
    if (idx < 0) return -1;
    const v = filter ? this.view(filter) : undefined;
    if (!v) return idx;
    return binarySearch(v.indices, idx);
  }

  /** Next position (from `from`) whose row satisfies `match`, or -1. */
  find(filter: string | undefined, from: number, backwards: boolean, match: RowPredicate): number {
    const total = this.count(filter);
    const step = backwards ? -1 : 1;
    for (let pos = Math.max(0, Math.min(from, total - 1)); pos >= 0 && pos < total; pos += step) {
      const r = this.get(filter, pos, 1).rows[0];
      if (r && match(r)) return pos;
    }
    return -1;
  }

  private storeIndexOfId(id: number): number {
    // Ids are consecutive from 1 in append order; verify and fall back to a search.
    const guess = id - 1;
    const at = this.store.getRange(guess, guess + 1)[0];
    if (at?.id === id) return guess;
    let lo = 0;
    let hi = this.store.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.store.getRange(mid, mid + 1)[0]!;
      if (r.id === id) return mid;
      if (r.id < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

function binarySearch(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] === x) return mid;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
