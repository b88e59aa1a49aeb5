// The virtualized list's arithmetic, pure so it is unit-tested without a browser.
// Rows have a fixed height. When total * rowHeight would exceed what a browser can lay out
// (Chromium stops near 33.5 M px, Firefox near 17.9 M px), the scrollable content is capped at
// maxHeight and scroll positions are scaled linearly onto the real row positions.

/** Content height cap: well under every browser's maximum element height. */
export const MAX_CONTENT_HEIGHT = 8_000_000;

export interface Viewport {
  total: number;
  rowHeight: number;
  viewportHeight: number;
  maxHeight?: number;
}

export interface Layout {
  /** Height of the scrollable content element (px). */
  contentHeight: number;
  /** First row to render (inclusive) and last (exclusive). */
  first: number;
  end: number;
  /** y of row `first` in content coordinates: row i sits at rowsTop + (i - first) * rowHeight. */
  rowsTop: number;
  /** Whether positions are scaled (content capped). */
  scaled: boolean;
}

export function contentHeight(v: Viewport): number {
  return Math.min(Math.max(0, v.total) * v.rowHeight, v.maxHeight ?? MAX_CONTENT_HEIGHT);
}

/** Largest useful scrollTop. */
export function maxScrollTop(v: Viewport): number {
  return Math.max(0, contentHeight(v) - v.viewportHeight);
}

function realRange(v: Viewport): number {
  return Math.max(0, v.total * v.rowHeight - v.viewportHeight);
}

/** scrollTop (content px) → position in the unscaled list (real px). */
export function toReal(v: Viewport, scrollTop: number): number {
  const cr = maxScrollTop(v);
  const rr = realRange(v);
  const s = Math.min(Math.max(0, scrollTop), cr);
  if (cr === rr) return s;
  return cr > 0 ? (s * rr) / cr : 0;
}

/** Real px → scrollTop. */
export function toScroll(v: Viewport, real: number): number {
  const cr = maxScrollTop(v);
  const rr = realRange(v);
  const r = Math.min(Math.max(0, real), rr);
  if (cr === rr) return r;
  return rr > 0 ? (r * cr) / rr : 0;
}

/** Which rows to render for a scroll position, and where. `overscan` rows extra on each side. */
export function layout(v: Viewport, scrollTop: number, overscan = 4): Layout {
  const ch = contentHeight(v);
  const scaled = ch < v.total * v.rowHeight;
  if (v.total <= 0 || v.rowHeight <= 0) return { contentHeight: ch, first: 0, end: 0, rowsTop: 0, scaled };
  const s = Math.min(Math.max(0, scrollTop), maxScrollTop(v));
  const real = toReal(v, s);
  let first = Math.min(Math.floor(real / v.rowHeight), v.total - 1);
  const offset = real - first * v.rowHeight;
  const visible = Math.ceil((v.viewportHeight + offset) / v.rowHeight);
  const end = Math.min(v.total, first + visible + overscan);
  const before = Math.min(first, overscan);
  first -= before;
  return { contentHeight: ch, first, end, rowsTop: s - offset - before * v.rowHeight, scaled };
}

/** Index of the row at the top of the viewport (for saving the scroll position). */
export function topIndex(v: Viewport, scrollTop: number): number {
  if (v.total <= 0) return 0;
  return Math.min(v.total - 1, Math.floor(toReal(v, scrollTop) / v.rowHeight));
}

/** scrollTop that puts row `index` at the top (or, with 'bottom', at the bottom) of the viewport. */
export function scrollTopFor(v: Viewport, index: number, align: 'top' | 'bottom' = 'top'): number {
  const i = Math.min(Math.max(0, index), Math.max(0, v.total - 1));
  const real = align === 'top' ? i * v.rowHeight : (i + 1) * v.rowHeight - v.viewportHeight;
  return toScroll(v, real);
}

/** The scrollTop that makes row `index` fully visible, or undefined when it already is. */
export function ensureVisible(v: Viewport, scrollTop: number, index: number): number | undefined {
  const real = toReal(v, scrollTop);
  const top = index * v.rowHeight;
  const bottom = top + v.rowHeight;
  // Scaled scroll positions land on whole pixels; allow that much slack.
  const slack = maxScrollTop(v) > 0 ? Math.ceil(realRange(v) / maxScrollTop(v)) : 1;
  if (top < real - 0.5) return scrollTopFor(v, index, 'top');
  if (bottom > real + v.viewportHeight + slack) return scrollTopFor(v, index, 'bottom');
  return undefined;
}

/** Whether the viewport shows the last row (within `slackRows`). */
export function isAtEnd(v: Viewport, scrollTop: number, slackRows = 1): boolean {
  const real = toReal(v, scrollTop);
  return real + v.viewportHeight >= v.total * v.rowHeight - slackRows * v.rowHeight - 0.5;
}

/** New selection index for a navigation key, or undefined for keys the list does not handle. */
export function navigate(key: string, current: number, total: number, pageRows: number): number | undefined {
  if (total <= 0) return undefined;
  const last = total - 1;
  const cur = current < 0 ? -1 : Math.min(current, last);
  switch (key) {
    case 'ArrowDown':
      return Math.min(last, cur + 1);
    case 'ArrowUp':
      return cur < 0 ? last : Math.max(0, cur - 1);
    case 'PageDown':
      return Math.min(last, Math.max(0, cur) + Math.max(1, pageRows - 1));
    case 'PageUp':
      return Math.max(0, (cur < 0 ? last : cur) - Math.max(1, pageRows - 1));
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return undefined;
  }
}
