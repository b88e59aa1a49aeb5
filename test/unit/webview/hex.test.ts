import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiChar, HEX_COLUMN_WIDTH, hexLines, lineHexText, toHexString } from '../../../webview/src/detail/hex-layout';
import { childPointer, fieldAt, highlightFor } from '../../../webview/src/detail/field-ranges';

const data = new Uint8Array([...Buffer.from('Hello, <script>!'), 0x00, 0x0a, 0xff, 0x7f]);

test('lines: offset, 16 bytes of hex with a gap after 8, ASCII with dots for the rest', () => {
  const lines = hexLines(data);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.offsetText, '00000000');
  assert.equal(lines[1]!.offsetText, '00000010');
  assert.equal(lineHexText(lines[0]!), '48 65 6c 6c 6f 2c 20 3c  73 63 72 69 70 74 3e 21');
  assert.equal(lineHexText(lines[0]!).length, HEX_COLUMN_WIDTH);
  assert.equal(lines[0]!.segments.map((s) => s.ascii).join(''), 'Hello, <script>!');
  assert.equal(lineHexText(lines[1]!), '00 0a ff 7f');
  assert.equal(lines[1]!.segments.map((s) => s.ascii).join(''), '....');
  assert.equal(asciiChar(0x20), ' ');
  assert.equal(asciiChar(0x7e), '~');
  assert.equal(asciiChar(0x7f), '.');
  assert.equal(hexLines(new Uint8Array(0)).length, 0);
  assert.equal(
    hexLines(new Uint8Array(100), 2, 3)
      .map((l) => l.offset)
      .join(),
    '32,48,64',
  );
});

test('highlight splits lines into segments without changing the layout', () => {
  const lines = hexLines(data, 0, Infinity, 7, 18);
  const l0 = lines[0]!;
  assert.deepEqual(
    l0.segments.map((s) => [s.start, s.end, s.highlighted]),
    [
      [0, 7, false],
      [7, 16, true],
    ],
  );
  assert.equal(l0.segments[1]!.hex, '3c  73 63 72 69 70 74 3e 21');
  assert.equal(l0.segments[1]!.ascii, '<script>!');
  assert.deepEqual(
    lines[1]!.segments.map((s) => [s.start, s.end, s.highlighted]),
    [
      [16, 18, true],
      [18, 20, false],
    ],
  );
  // every highlight range gives the same text as no highlight
  const big = new Uint8Array(70).map((_, i) => (i * 37) & 255);
  const plain = hexLines(big).map(lineHexText);
  for (let s = 0; s < 70; s += 3) {
    for (let e = s; e <= 70; e += 5) {
      const hl = hexLines(big, 0, Infinity, s, e);
      assert.deepEqual(hl.map(lineHexText), plain, `range ${s}-${e}`);
      const marked = hl.flatMap((l) => l.segments.filter((g) => g.highlighted).map((g) => [g.start, g.end]));
      const covered = marked.reduce((n, [a, b]) => n + b! - a!, 0);
      assert.equal(covered, Math.max(0, e - s), `bytes highlighted for ${s}-${e}`);
    }
  }
});

test('field ranges: own range, else children span, else nearest ancestor', () => {
  const ranges = [
    { path: '/header/Seq', start: 4, end: 6 },
    { path: '/header/ServiceMethod', start: 8, end: 20 },
    { path: '/body', start: 20, end: 40 },
  ];
  assert.deepEqual(highlightFor(ranges, '/header/Seq'), { start: 4, end: 6 });
  assert.deepEqual(highlightFor(ranges, '/header'), { start: 4, end: 20 });
  assert.deepEqual(highlightFor(ranges, '/body/A'), { start: 20, end: 40 });
  assert.equal(highlightFor(ranges, '/other'), undefined);
  assert.equal(highlightFor(undefined, '/x'), undefined);
  assert.deepEqual(highlightFor(ranges, ''), { start: 4, end: 40 });
  assert.equal(fieldAt(ranges, 5)?.path, '/header/Seq');
  assert.equal(fieldAt([...ranges, { path: '/header', start: 0, end: 20 }], 9)?.path, '/header/ServiceMethod');
  assert.equal(fieldAt(ranges, 100), undefined);
  assert.equal(childPointer('/a', 'b/c~d'), '/a/b~1c~0d');
});

test('copy as hex', () => {
  assert.equal(toHexString(new Uint8Array([0, 15, 255])), '00 0f ff');
});

test('the dump fits or wraps by 8: 16 bytes a line only when the whole line fits', async () => {
  const { bytesPerLineFor, lineChars, hexColumnWidth } = await import('../../../webview/src/detail/hex-layout');
  assert.equal(lineChars(16), 8 + 2 + 48 + 1 + 16);
  assert.equal(lineChars(8), 8 + 2 + 23 + 1 + 8);
  assert.equal(bytesPerLineFor(75 * 7, 7), 16);
  assert.equal(bytesPerLineFor(75 * 7 - 1, 7), 8);
  assert.equal(bytesPerLineFor(0, 7), 16, 'not measurable: the default');
  const data = Uint8Array.from({ length: 20 }, (_, i) => 0x41 + i);
  const lines = hexLines(data, 0, Infinity, 0, 0, [], 8);
  assert.deepEqual(
    lines.map((l) => l.offset),
    [0, 8, 16],
  );
  assert.equal(lineHexText(lines[0]!).length, hexColumnWidth(8));
  assert.equal(lineHexText(lines[0]!), '41 42 43 44 45 46 47 48');
  assert.equal(lines[1]!.segments.map((s) => s.ascii).join(''), 'IJKLMNOP');
});
