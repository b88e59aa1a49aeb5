import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedFields, decodeLayout, parseLayout } from '../../../extension/engine/shm/layout';
import { UserError } from '../../../extension/engine/util/errors';

test('layout: fields are packed in order with their offsets and sizes', () => {
  const l = parseLayout('u32 counter, u64 ts, char[16] name');
  assert.deepEqual(
    l.fields.map((f) => [f.name, f.offset, f.size]),
    [
      ['counter', 0, 4],
      ['ts', 4, 8],
      ['name', 12, 16],
    ],
  );
  assert.equal(l.size, 28);
  const p = parseLayout('u8 a; pad[3]; i16be b, f64[2] xy\n bytes[4] raw');
  assert.deepEqual(
    p.fields.map((f) => [f.name, f.kind, f.offset, f.size, f.bigEndian, f.count]),
    [
      ['a', 'scalar', 0, 1, false, undefined],
      ['', 'pad', 1, 3, false, 3],
      ['b', 'scalar', 4, 2, true, undefined],
      ['xy', 'scalar', 6, 16, false, 2],
      ['raw', 'bytes', 22, 4, false, 4],
    ],
  );
});

test('layout: values decoded little-endian by default, 64-bit exact, with the byte range of each', () => {
  const b = Buffer.alloc(40);
  b.writeUInt32LE(0xdeadbeef, 0);
  b.writeBigUInt64LE(0xffff_ffff_ffff_fff1n, 4);
  b.write('hello', 12);
  b.writeInt16BE(-2, 28);
  b.writeFloatLE(1.5, 30);
  b.writeUInt16LE(7, 34);
  b.writeUInt16LE(9, 36);
  const l = parseLayout('u32 counter, u64 ts, char[16] name, i16be neg, f32 f, u16[2] pair, bytes[2] tail');
  const { values, ranges, missing } = decodeLayout(l, b);
  assert.deepEqual(values, { counter: 0xdeadbeef, ts: 0xffff_ffff_ffff_fff1n, name: 'hello', neg: -2, f: 1.5, pair: [7, 9], tail: '0000' });
  assert.deepEqual(missing, []);
  const r = Object.fromEntries(ranges.map((x) => [x.path, [x.start, x.end]]));
  assert.deepEqual(r['/fields/counter'], [0, 4]);
  assert.deepEqual(r['/fields/ts'], [4, 12]);
  assert.deepEqual(r['/fields/name'], [12, 28]);
  assert.deepEqual(r['/fields/pair/1'], [36, 38]);
  // Shifted ranges (the region inside the frame) and fields past the end of the bytes.
  const short = decodeLayout(l, b.subarray(0, 14), 100);
  assert.deepEqual(Object.keys(short.values), ['counter', 'ts']);
  assert.deepEqual(short.missing, ['name', 'neg', 'f', 'pair', 'tail']);
  assert.deepEqual(short.ranges[1], { path: '/fields/ts', start: 104, end: 112 });
});

test('layout: NaN and infinities are strings (JSON has neither)', () => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(NaN, 0);
  assert.deepEqual(decodeLayout(parseLayout('f64 x'), b).values, { x: 'NaN' });
});

test('layout: bad syntax is a usage error naming the field', () => {
  const cases: [string, RegExp][] = [
    ['', /--layout is empty/],
    ['u33 x', /"u33 x": unknown type "u33"/],
    ['u32', /"u32": the field needs a name/],
    ['char name', /char needs a size, e\.g\. char\[16\]/],
    ['u32 a, u8 a', /"a" is named twice/],
    ['pad[2] x', /pad\[N\] takes no name/],
    ['u32 a b', /expected TYPE NAME/],
    ['u8[0] z', /the count must be/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseLayout(text),
      (e: unknown) => e instanceof UserError && e.exitCode === 1 && re.test(e.message),
      text,
    );
  }
});

test('layout: changedFields lists what differs', () => {
  assert.deepEqual(changedFields({ a: 1, b: 'x', c: 5n }, { a: 2, b: 'x', c: 6n }), ['a 1→2', 'c 5→6']);
});
