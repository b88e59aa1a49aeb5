// The Flow tab's geometry, pure so it is unit-tested without a browser: where each lifeline's
// column sits, and how each item (an arrow between two columns, a message to itself, a mark)
// is drawn in its row. Rows have a fixed height; which rows are drawn is the list's arithmetic
// (list/scroll-math.ts).
import type { FlowLifeline, FlowWireItem } from '../../../extension/shared/views';

export const FLOW_ROW_HEIGHT = 26;
/** The time gutter at the left. */
export const GUTTER = 84;
export const COL_MIN = 150;
export const COL_MAX = 260;
/** Gaps between consecutive items at least this long are marked as folded (µs). */
export const FOLD_GAP_US = 1_000_000;
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
  | { kind: 'mark'; at: number; from?: number; labelLeft: number; labelWidth: number; text: string; signal: boolean };

/** The colour class of a connection: the list's connection column uses the same. */
export function connClass(conn: number): string {
  return `conn-${((conn % CONN_COLOURS) + CONN_COLOURS) % CONN_COLOURS}`;
}

/** How an item is drawn. Items whose lifeline is not (yet) known are undefined. */
export function shapeOf(item: FlowWireItem, cols: Columns): Shape | undefined {
  const room = cols.colWidth - 12;
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
