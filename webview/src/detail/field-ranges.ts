// Mapping between decoded fields (JSON pointers in the detail tree) and byte ranges of the frame.
export interface ByteRange {
  path: string;
  start: number;
  end: number;
}

/** Child pointer: RFC 6901 escaping (~ → ~0, / → ~1). */
export function childPointer(parent: string, key: string | number): string {
  return `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function isUnder(path: string, parent: string): boolean {
  return parent === '' ? path.startsWith('/') : path.startsWith(parent + '/');
}

/**
 * Bytes to highlight for the field at `path`: its own range; else the span of its descendants'
 * ranges; else the nearest ancestor's range. Undefined when nothing applies.
 */
export function highlightFor(ranges: readonly ByteRange[] | undefined, path: string | undefined): { start: number; end: number } | undefined {
  if (!ranges?.length || path === undefined) return undefined;
  const own = ranges.find((r) => r.path === path);
  if (own) return { start: own.start, end: own.end };
  const kids = ranges.filter((r) => isUnder(r.path, path));
  if (kids.length) {
    let start = Infinity;
    let end = -Infinity;
    for (const r of kids) {
      if (r.start < start) start = r.start;
      if (r.end > end) end = r.end;
    }
    return { start, end };
  }
  let best: ByteRange | undefined;
  for (const r of ranges) if (isUnder(path, r.path) && (!best || r.path.length > best.path.length)) best = r;
  return best ? { start: best.start, end: best.end } : undefined;
}

/** The most specific field whose bytes contain `offset` (clicking a byte selects its field). */
export function fieldAt(ranges: readonly ByteRange[] | undefined, offset: number): ByteRange | undefined {
  let best: ByteRange | undefined;
  for (const r of ranges ?? []) {
    if (offset < r.start || offset >= r.end) continue;
    if (!best || r.end - r.start < best.end - best.start || (r.end - r.start === best.end - best.start && r.path.length > best.path.length)) best = r;
  }
  return best;
}

/** Bytes a frame marks as changed: its ranges at /changes/N (shared memory watches put each
 *  changed range there), shown marked in the hex view whatever field is selected. */
export function changedRanges(ranges: readonly ByteRange[] | undefined): ByteRange[] {
  return (ranges ?? []).filter((r) => /^\/changes\/\d+$/.test(r.path));
}
