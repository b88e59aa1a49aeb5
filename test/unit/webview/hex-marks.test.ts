import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexLines, lineHexText } from '../../../webview/src/detail/hex-layout';
import { renderHex } from '../../../webview/src/detail/hex-view';
import { changedRanges } from '../../../webview/src/detail/field-ranges';
import { elements, shimDocument } from '../../helpers/dom-shim';

const data = new Uint8Array(40).map((_, i) => i);

test('marked ranges (changed bytes) split lines without changing the text; the selected field still highlights', () => {
  const marks = [
    { start: 0, end: 2 },
    { start: 14, end: 18 },
  ];
  const lines = hexLines(data, 0, Infinity, 1, 4, marks);
  assert.deepEqual(lines.map(lineHexText), hexLines(data).map(lineHexText));
  assert.deepEqual(
    lines[0]!.segments.map((s) => [s.start, s.end, s.highlighted, s.marked]),
    [
      [0, 1, false, true],
      [1, 2, true, true],
      [2, 4, true, false],
      [4, 14, false, false],
      [14, 16, false, true],
    ],
  );
  assert.deepEqual(
    lines[1]!.segments.map((s) => [s.start, s.end, s.marked]),
    [
      [16, 18, true],
      [18, 32, false],
    ],
  );
});

test('changedRanges picks the /changes/N ranges; the hex view marks their bytes', () => {
  const ranges = [
    { path: '/changes/0', start: 0, end: 2 },
    { path: '/fields/counter', start: 0, end: 4 },
    { path: '/changes/1', start: 21, end: 22 },
    { path: '/changes/1/x', start: 21, end: 22 },
  ];
  const marks = changedRanges(ranges);
  assert.deepEqual(
    marks.map((r) => r.path),
    ['/changes/0', '/changes/1'],
  );
  const box = renderHex(shimDocument(), data, { maxLines: 100, marks });
  const marked = elements(box).filter((e) => e.getAttribute('class') === 'chg' && e.getAttribute('data-start') !== null);
  assert.deepEqual(
    marked.map((e) => [e.getAttribute('data-start'), e.getAttribute('data-end')]),
    [
      ['0', '2'],
      ['21', '22'],
    ],
  );
});
