// Hex dump layout (offset, hex, ASCII), pure: the hex view renders what these return.
// 16 bytes a line when the pane is wide enough, else 8, so the ASCII column is never cut off.
export const BYTES_PER_LINE = 16;
export const NARROW_BYTES_PER_LINE = 8;

/** Characters a dump line takes: offset, 2 spaces, hex column, 1 space, ASCII. */
export function lineChars(perLine: number): number {
  return 8 + 2 + hexColumnWidth(perLine) + 1 + perLine;
}

/** 16 bytes a line when that fits in `widthPx` (a monospace character being `charPx` wide), else 8. */
export function bytesPerLineFor(widthPx: number, charPx: number): number {
  if (!(widthPx > 0) || !(charPx > 0)) return BYTES_PER_LINE;
  return widthPx >= lineChars(BYTES_PER_LINE) * charPx ? BYTES_PER_LINE : NARROW_BYTES_PER_LINE;
}

const HEX = '0123456789abcdef';

export function hexByte(b: number): string {
  return HEX[(b >> 4) & 15]! + HEX[b & 15]!;
}

/** Printable ASCII as itself, everything else as '.', so no control or markup character survives. */
export function asciiChar(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

export function offsetText(offset: number): string {
  return offset.toString(16).padStart(8, '0');
}

/** A run of bytes within one line, highlighted or not. */
export interface HexSegment {
  /** First byte index (absolute). */
  start: number;
  end: number;
  highlighted: boolean;
  /** Inside one of the marked ranges (bytes a shared memory change touched). */
  marked: boolean;
  /** Hex text of the run, bytes separated by spaces, an extra space after the 8th byte of a line. */
  hex: string;
  ascii: string;
}

export interface HexLine {
  offset: number;
  offsetText: string;
  segments: HexSegment[];
}

/** Hex text of bytes [start, end) inside one line starting at lineStart. */
function hexRun(data: Uint8Array, lineStart: number, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    s += hexByte(data[i]!);
    if (i < end - 1) s += i - lineStart === 7 ? '  ' : ' ';
  }
  return s;
}

function asciiRun(data: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += asciiChar(data[i]!);
  return s;
}

/**
 * Lines [firstLine, firstLine + maxLines) of the dump, each split into segments by the
 * highlighted byte range [hlStart, hlEnd) (empty range: no highlight) and by the marked ranges.
 */
export function hexLines(
  data: Uint8Array,
  firstLine = 0,
  maxLines = Infinity,
  hlStart = 0,
  hlEnd = 0,
  marks: readonly { start: number; end: number }[] = [],
  perLine = BYTES_PER_LINE,
): HexLine[] {
  const out: HexLine[] = [];
  const lines = Math.ceil(data.length / perLine);
  for (let l = firstLine; l < lines && l < firstLine + maxLines; l++) {
    const ls = l * perLine;
    const le = Math.min(data.length, ls + perLine);
    const cuts = [ls, le];
    const lineMarks = marks.filter((m) => m.end > ls && m.start < le && m.end > m.start);
    for (const [a, b] of [[hlStart, hlEnd] as const, ...lineMarks.map((m) => [m.start, m.end] as const)]) {
      if (b <= a) continue;
      if (a > ls && a < le) cuts.push(a);
      if (b > ls && b < le) cuts.push(b);
    }
    cuts.sort((a, b) => a - b);
    const segments: HexSegment[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const s = cuts[i]!;
      const e = cuts[i + 1]!;
      if (e <= s) continue;
      segments.push({
        start: s,
        end: e,
        highlighted: s >= hlStart && e <= hlEnd && hlEnd > hlStart,
        marked: lineMarks.some((m) => s >= m.start && e <= m.end),
        hex: hexRun(data, ls, s, e),
        ascii: asciiRun(data, s, e),
      });
    }
    out.push({ offset: ls, offsetText: offsetText(ls), segments });
  }
  return out;
}

/** Separator between two segments of a line: the byte gap (one space, two after the 8th byte). */
export function segmentGap(lineOffset: number, nextStart: number): string {
  return nextStart - lineOffset === 8 ? '  ' : ' ';
}

/** The full hex column of a line as one string (what the view shows, segments joined). */
export function lineHexText(line: HexLine): string {
  let s = '';
  line.segments.forEach((seg, i) => {
    if (i > 0) s += segmentGap(line.offset, seg.start);
    s += seg.hex;
  });
  return s;
}

/** Width of a full line's hex column, for padding short last lines. */
export function hexColumnWidth(perLine: number): number {
  // two digits a byte, a space between bytes, one more after the 8th when there are 16
  return perLine * 3 - 1 + (perLine > 8 ? 1 : 0);
}

/** 16-byte lines' hex column width. */
export const HEX_COLUMN_WIDTH = hexColumnWidth(BYTES_PER_LINE);

export function toHexString(data: Uint8Array, sep = ' '): string {
  const parts: string[] = [];
  for (const b of data) parts.push(hexByte(b));
  return parts.join(sep);
}
