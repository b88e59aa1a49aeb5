// The Flow tab's geometry, pure so it is unit-tested without a browser: where each lifeline's
// column sits, how each item (an arrow between two columns, a message to itself, a mark, a group
// of chunks) is drawn in its row, and where each row sits on the time axis (FlowAxis).
import { groupText } from '../../../extension/shared/flow-svg';
import { FLOW_FOLD_GAP_US, type FlowLifeline, type FlowWireItem } from '../../../extension/shared/views';
import { MAX_CONTENT_HEIGHT } from '../list/scroll-math';

export const FLOW_ROW_HEIGHT = 26;
/** The time gutter at the left. */
export const GUTTER = 84;
export const COL_MIN = 150;
export const COL_MAX = 260;
/** Gaps between consecutive items at least this long are folded and marked (µs). */
export const FOLD_GAP_US = FLOW_FOLD_GAP_US;
/** The proportional axis: space added between two rows per second of time between them. */
export const PX_PER_SECOND = 250;
export const CONN_COLOURS = 8;

export interface Columns {
  /** Centre x of each lifeline, by id. */
  x: Map<string, number>;
  colWidth: number;
  /** Width of the drawing (gutter and every column). */
  width: number;
}

/** Columns as wide as the view allows (within COL_MIN..COL_MAX), in the lifelines' order. */
export function columns(lifelines: readonly FlowLifeline[], viewWidth: number): Columns {
  const n = Math.max(1, lifelines.length);
  const colWidth = Math.max(COL_MIN, Math.min(COL_MAX, Math.floor((viewWidth - GUTTER) / n)));
  const x = new Map<string, number>();
  lifelines.forEach((l, i) => x.set(l.id, GUTTER + i * colWidth + colWidth / 2));
  return { x, colWidth, width: GUTTER + n * colWidth };
}

export type Shape =
  | { kind: 'arrow'; left: number; width: number; dir: 'right' | 'left'; labelLeft: number; labelWidth: number; text: string; latency?: string; colour: string; error: boolean }
  | { kind: 'self'; left: number; labelLeft: number; labelWidth: number; text: string; latency?: string; colour: string; error: boolean }
  | { kind: 'mark'; at: number; from?: number; labelLeft: number; labelWidth: number; text: string; signal: boolean }
  | { kind: 'group'; left: number; width: number; dir: 'right' | 'left'; labelLeft: number; labelWidth: number; text: string; colour: string; expanded: boolean };

/** The colour class of a connection: the list's connection column uses the same. */
export function connClass(conn: number): string {
  return `conn-${((conn % CONN_COLOURS) + CONN_COLOURS) % CONN_COLOURS}`;
}

/** How an item is drawn. Items whose lifeline is not (yet) known are undefined. */
export function shapeOf(item: FlowWireItem, cols: Columns): Shape | undefined {
  const room = cols.colWidth - 12;
  if (item.kind === 'group') {
    const a = cols.x.get(item.from);
    const b = cols.x.get(item.to);
    if (a === undefined || b === undefined) return undefined;
    const left = Math.min(a, b);
    const width = Math.max(16, Math.abs(b - a));
    const text = `${item.expanded ? '▾' : '▸'} #${item.id}… ${groupText(item.count, item.bytes)}`;
    return {
      kind: 'group',
      left,
      width,
      dir: b >= a ? 'right' : 'left',
      labelLeft: left + 6,
      labelWidth: Math.max(room, width - 12),
      text,
      colour: connClass(item.conn),
      expanded: item.expanded,
    };
  }
  if (item.kind === 'arrow') {
    const a = cols.x.get(item.from);
    const b = cols.x.get(item.to);
    if (a === undefined || b === undefined) return undefined;
    const text = `#${item.id} ${item.label}`;
    const colour = item.error ? 'error' : connClass(item.conn);
    if (a === b) return { kind: 'self', left: a, labelLeft: a + 22, labelWidth: room, text, latency: item.latency, colour, error: item.error };
    const left = Math.min(a, b);
    const width = Math.abs(b - a);
    return {
      kind: 'arrow',
      left,
      width,
      dir: b > a ? 'right' : 'left',
      labelLeft: left + 6,
      labelWidth: Math.max(room, width - 12),
      text,
      latency: item.latency,
      colour,
      error: item.error,
    };
  }
  const at = cols.x.get(item.at);
  if (at === undefined) return undefined;
  const from = item.from !== undefined ? cols.x.get(item.from) : undefined;
  const signal = /^SIG|signal/.test(item.label);
  return { kind: 'mark', at, ...(from !== undefined ? { from } : {}), labelLeft: at + 10, labelWidth: room, text: `#${item.id} ${item.label}`, signal };
}

/** Time of an item from the session's start: "+1.234567 s". */
export function timeText(ts: number, t0: number): string {
  return `+${((ts - t0) / 1e6).toFixed(6)}`;
}

/** The fold mark between two consecutive items when the gap between them is long ("⋯ 2.5 s"). */
export function foldText(prevTs: number | undefined, ts: number): string | undefined {
  if (prevTs === undefined) return undefined;
  const gap = ts - prevTs;
  if (gap < FOLD_GAP_US) return undefined;
  return gap >= 60e6 ? `⋯ ${(gap / 60e6).toFixed(1)} min` : `⋯ ${(gap / 1e6).toFixed(1)} s`;
}

/**
 * Where the flow's rows sit, top to bottom. Compressed: one row height per row. Proportional
 * (`time`): a row height per row plus PX_PER_SECOND for each second since the flow's first item,
 * every gap between consecutive items capped at FOLD_GAP_US (the item's `off`). The engine sends
 * `off` with each item and, for the rows not loaded yet, `index` (off at every `step`-th
 * position), between which positions are estimated; rows are placed exactly once loaded.
 * Content taller than a browser lays out is capped and scroll positions scaled, as in the list.
 */
export class FlowAxis {
  total = 0;
  time = false;
  /** off (µs) of the last position. */
  offEnd = 0;
  index: readonly number[] = [];
  step = 1;

  constructor(readonly rowHeight = FLOW_ROW_HEIGHT) {}

  px(offUs: number): number {
    return this.time ? (offUs * PX_PER_SECOND) / 1e6 : 0;
  }

  /** off of position f: known (a loaded item) or estimated from the index. */
  offOf(f: number, known?: (f: number) => number | undefined): number {
    if (!this.time || f <= 0) return 0;
    const k = known?.(f);
    if (k !== undefined) return k;
    const p = Math.floor(f / this.step);
    const a = this.index[p] ?? this.offEnd;
    const nextF = Math.min((p + 1) * this.step, this.total - 1);
    const b = this.index[p + 1] ?? this.offEnd;
    const span = nextF - p * this.step;
    return span > 0 ? a + ((b - a) * (f - p * this.step)) / span : a;
  }

  /** y of row f's top in the unscaled flow. */
  realY(f: number, known?: (f: number) => number | undefined): number {
    return f * this.rowHeight + this.px(this.offOf(f, known));
  }

  realHeight(): number {
    return this.total * this.rowHeight + this.px(this.offEnd);
  }

  /** The row at unscaled y (the last row whose top is at or above y). */
  positionAt(y: number, known?: (f: number) => number | undefined): number {
    if (this.total <= 0) return 0;
    if (!this.time) return Math.max(0, Math.min(this.total - 1, Math.floor(y / this.rowHeight)));
    // The index's page first, then the row inside it.
    let lo = 0;
    let hi = Math.max(0, Math.min(this.index.length, Math.ceil(this.total / this.step)) - 1);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (mid * this.step * this.rowHeight + this.px(this.index[mid] ?? this.offEnd) <= y) lo = mid;
      else hi = mid - 1;
    }
    let a = lo * this.step;
    let b = Math.min(this.total - 1, (lo + 1) * this.step);
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if (this.realY(mid, known) <= y) a = mid;
      else b = mid - 1;
    }
    return Math.max(0, Math.min(this.total - 1, a));
  }

  contentHeight(): number {
    return Math.min(this.realHeight(), MAX_CONTENT_HEIGHT);
  }

  /** scrollTop → unscaled y of the viewport's top. */
  toReal(scrollTop: number, viewHeight: number): number {
    const cr = Math.max(0, this.contentHeight() - viewHeight);
    const rr = Math.max(0, this.realHeight() - viewHeight);
    const s = Math.min(Math.max(0, scrollTop), cr);
    return cr === rr ? s : cr > 0 ? (s * rr) / cr : 0;
  }

  /** Unscaled y → scrollTop. */
  toScroll(real: number, viewHeight: number): number {
    const cr = Math.max(0, this.contentHeight() - viewHeight);
    const rr = Math.max(0, this.realHeight() - viewHeight);
    const r = Math.min(Math.max(0, real), rr);
    return cr === rr ? r : rr > 0 ? (r * cr) / rr : 0;
  }
}
