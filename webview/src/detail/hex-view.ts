// Hex dump view: offset, hex and ASCII columns; the selected field's bytes highlighted.
import { el, type Doc } from '../dom';
import { BYTES_PER_LINE, hexColumnWidth, hexLines, lineHexText, segmentGap } from './hex-layout';

export const HEX_PAGE_LINES = 4096;

export function renderHex(
  doc: Doc,
  data: Uint8Array,
  opts: { maxLines: number; highlight?: { start: number; end: number }; marks?: readonly { start: number; end: number }[]; perLine?: number },
): HTMLElement {
  const hl = opts.highlight;
  const perLine = opts.perLine ?? BYTES_PER_LINE;
  const lines = hexLines(data, 0, opts.maxLines, hl?.start ?? 0, hl?.end ?? 0, opts.marks, perLine);
  const box = el(doc, 'div', { class: 'hex', 'data-testid': 'hex-view', 'data-per-line': perLine, role: 'document', 'aria-label': 'hex dump' });
  for (const line of lines) {
    const hexCol = el(doc, 'span', { class: 'h-hex' });
    const asciiCol = el(doc, 'span', { class: 'h-ascii' });
    line.segments.forEach((seg, i) => {
      if (i > 0) hexCol.appendChild(doc.createTextNode(segmentGap(line.offset, seg.start)));
      const cls = [seg.highlighted ? 'hl' : '', seg.marked ? 'chg' : ''].filter(Boolean).join(' ') || undefined;
      hexCol.appendChild(el(doc, 'span', { class: cls, 'data-start': seg.start, 'data-end': seg.end }, seg.hex));
      asciiCol.appendChild(el(doc, 'span', { class: cls }, seg.ascii));
    });
    const pad = hexColumnWidth(perLine) - lineHexText(line).length;
    if (pad > 0) hexCol.appendChild(doc.createTextNode(' '.repeat(pad)));
    box.appendChild(el(doc, 'div', { class: 'h-line', 'data-offset': line.offset }, el(doc, 'span', { class: 'h-off' }, line.offsetText), '  ', hexCol, ' ', asciiCol));
  }
  if (data.length === 0) box.appendChild(el(doc, 'div', { class: 'h-empty' }, '(no bytes)'));
  return box;
}
