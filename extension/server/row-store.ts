// Rows of one session served by range and by filter, over the engine's FrameStore (rows on disk,
// bounded memory). Filtered views keep the matching row ids, built incrementally per filter text.
import { FrameStore, isFlowRow, type Row } from '../engine';
import { compileFilter } from '../shared/filter';
import { FlowIndex } from './flow-index';

export type RowPredicate = (row: Row) => boolean;
/** Filter text, or a predicate (read over every row). */
type RowFilter = string | RowPredicate;

export interface View {
  /** Ids of matching rows, ascending. */
  ids: number[];
  /** Store positions [0, scanned) have been filtered. */
  scanned: number;
  usedAt: number;
  /** A scan in progress (views are extended one scan at a time). */
  busy?: Promise<void>;
  /** Flow views: offsets and runs of chunks, position by position. */
  flow?: FlowIndex;
}

const MAX_VIEWS = 8;

export class FilteredRows {
  private readonly views = new Map<string, View>();

  constructor(readonly store: FrameStore) {}

  get count(): number {
    return this.store.count;
  }

  private async view(filter: string | undefined): Promise<View | undefined> {
    const key = (filter ?? '').trim();
    if (!key) return undefined;
    return this.viewOf(key, key);
  }

  /** The rows the Flow tab draws (arrows and marks) under the list's filter. */
  flowView(filter: string | undefined, transport: boolean): Promise<View & { flow: FlowIndex }> {
    const text = (filter ?? '').trim();
    const match = compileFilter(text);
    const pred = (row: Row): boolean => isFlowRow(row, { transport }) && match(row);
    return this.viewOf(`\u0000flow${transport ? '+transport' : ''}:${text}`, pred, true) as Promise<View & { flow: FlowIndex }>;
  }

  private async viewOf(key: string, filter: RowFilter, flow = false): Promise<View> {
    let v = this.views.get(key);
    if (!v) {
      v = { ids: [], scanned: 0, usedAt: 0, ...(flow ? { flow: new FlowIndex() } : {}) };
      if (this.views.size >= MAX_VIEWS) {
        const oldest = [...this.views.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0]!;
        this.views.delete(oldest[0]);
      }
      this.views.set(key, v);
    }
    v.usedAt = Date.now();
    while (v.busy) await v.busy;
    const total = this.store.count;
    if (v.scanned < total) {
      const view = v;
      view.busy = (async () => {
        const fromId = this.store.idAt(view.scanned)!;
        // A flow view's index takes each kept row as the scan passes it (in order, once).
        const ix = view.flow;
        const pred = ix && typeof filter === 'function' ? (row: Row): boolean => (filter(row) ? (ix.add(row), true) : false) : filter;
        const ids = await this.store.filter(pred, { from: fromId });
        for (const id of ids) view.ids.push(id);
        if (ix && ix.rawCount !== view.ids.length) throw new Error(`flow index out of step with its view (${ix.rawCount} ≠ ${view.ids.length})`);
        view.scanned = total;
      })().finally(() => (view.busy = undefined));
      await view.busy;
    }
    return v;
  }

  async countOf(filter?: string): Promise<number> {
    const v = await this.view(filter);
    return v ? v.ids.length : this.store.count;
  }

  /** Rows at positions [start, start+count) of the filtered list. */
  async get(filter: string | undefined, start: number, count: number): Promise<{ rows: Row[]; total: number }> {
    const v = await this.view(filter);
    const total = v ? v.ids.length : this.store.count;
    const s = Math.max(0, Math.min(start, total));
    const e = Math.min(total, s + Math.max(0, count));
    if (e <= s) return { rows: [], total };
    const rows = v ? await this.store.getMany(v.ids.slice(s, e)) : await this.store.rowsAt(s, e);
    return { rows, total };
  }

  /** Rows by their positions in a view (ids[raw]), in the order asked. */
  async rowsOfView(v: View, raws: readonly number[]): Promise<Row[]> {
    return this.store.getMany(raws.map((r) => v.ids[r]!));
  }

  /** Raw position in a view of the row with this id, or -1. */
  positionIn(v: View, id: number): number {
    return binarySearch(v.ids, id);
  }

  /** Position in the filtered list of the row with this id, or -1. */
  async indexOfId(filter: string | undefined, id: number): Promise<number> {
    const v = await this.view(filter);
    if (!v) return this.store.indexOf(id);
    return binarySearch(v.ids, id);
  }

  /** Next position (from `from`) whose row satisfies `match`, or -1. */
  async find(filter: string | undefined, from: number, backwards: boolean, match: RowPredicate): Promise<number> {
    const total = await this.countOf(filter);
    const batch = 512;
    let pos = Math.max(0, Math.min(from, total - 1));
    while (pos >= 0 && pos < total) {
      const s = backwards ? Math.max(0, pos - batch + 1) : pos;
      const { rows } = await this.get(filter, s, batch);
      const order = backwards ? rows.map((_, i) => rows.length - 1 - i).filter((i) => s + i <= pos) : rows.map((_, i) => i);
      for (const i of order) if (match(rows[i]!)) return s + i;
      pos = backwards ? s - 1 : s + rows.length;
      if (rows.length === 0) break;
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
