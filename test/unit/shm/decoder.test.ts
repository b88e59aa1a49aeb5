import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { encodeChange, encodeHeader, encodeSnapshot, type ShmHeader } from '../../../extension/engine/shm/record';
import type { Frame } from '../../../extension/engine/types';
import { feed, frameProblem, mutate, normalize, prng, randomBytes, type Segment } from '../../helpers/decoder-suite';

const header = (over: Partial<ShmHeader> = {}): ShmHeader => ({
  shm: 1,
  target: 'shm:0x00001234',
  source: '/proc/1/mem at 0x7f00',
  size: 4096,
  region: { offset: 64, length: 32 },
  interval: 50,
  ...over,
});

/** A 32-byte struct: u32 counter, pad[4], u64 ts, char[16] name. */
function struct(n: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(n, 0);
  b.writeBigUInt64LE(BigInt(n) * 1000n, 8);
  b.write(`step-${n}`, 16);
  return b;
}

function changeOf(seq: number, base: number, a: Buffer, b: Buffer) {
  const ranges = [];
  for (let i = 0; i < a.length;) {
    if (a[i] === b[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < a.length && a[j] !== b[j]) j++;
    ranges.push({ offset: base + i, old: a.subarray(i, j), new: b.subarray(i, j) });
    i = j;
  }
  return encodeChange(seq, 0, 1, ranges);
}

const dec = () => resolveDecoder('shm').create();
const LAYOUT = 'u32 counter, pad[4], u64 ts, char[16] name';

function stream(h: ShmHeader): Segment[] {
  return [['s2c', Buffer.concat([encodeHeader(h), encodeSnapshot(0, 64, struct(1)), changeOf(1, 64, struct(1), struct(2)), changeOf(2, 64, struct(2), struct(300))])]];
}

test('shm decoder: header, snapshot, then one frame per change with offsets, old and new bytes', () => {
  const frames = feed(dec(), stream(header()), 'whole');
  assert.equal(frames.length, 4);
  for (const f of frames) assert.equal(frameProblem(f), null);
  assert.match(frames[0]!.summary, /^watching shm:0x00001234: 32 B at 0x40 of 4096 B, every 50 ms/);
  assert.equal(frames[1]!.data.length, 32);
  const c = frames[2]!.decoded as { kind: string; seq: number; changes: { offset: number; length: number; old: string; new: string }[] };
  assert.equal(c.kind, 'change');
  assert.equal(c.seq, 1);
  // counter 1→2 (offset 64), ts 1000→2000 (offsets 72-73), name "step-1"→"step-2" (offset 85)
  assert.deepEqual(
    c.changes.map((x) => [x.offset, x.length, x.old, x.new]),
    [
      [64, 1, '01', '02'],
      [72, 2, 'e803', 'd007'],
      [85, 1, '31', '32'],
    ],
  );
  // The frame's bytes are the area after the change; each change's range points at its bytes.
  assert.deepEqual(Buffer.from(frames[2]!.data), struct(2));
  assert.deepEqual(frames[2]!.ranges, [
    { path: '/changes/0', start: 0, end: 1 },
    { path: '/changes/1', start: 8, end: 10 },
    { path: '/changes/2', start: 21, end: 22 },
  ]);
});

test('shm decoder: a struct layout gives named values with their ranges, and the summary says what changed', () => {
  const frames = feed(dec(), stream(header({ layout: LAYOUT })), 'whole');
  assert.equal(frames[1]!.summary, 'snapshot of 32 B at 0x40: counter=1 ts=1000 name="step-1"');
  const last = frames[3]!;
  assert.deepEqual((last.decoded as { fields: unknown }).fields, { counter: 300, ts: 300000n, name: 'step-300' });
  assert.match(last.summary, /^counter 2→300, ts 2000→300000, name "step-2"→"step-300" — /);
  const r = Object.fromEntries((last.ranges ?? []).map((x) => [x.path, [x.start, x.end]]));
  assert.deepEqual(r['/fields/counter'], [0, 4]);
  assert.deepEqual(r['/fields/ts'], [8, 16]);
  assert.deepEqual(r['/fields/name'], [16, 32]);
});

test('shm decoder: the same frames whole, byte by byte and at random splits', () => {
  const input = stream(header({ layout: LAYOUT }));
  const whole = normalize(feed(dec(), input, 'whole'));
  assert.deepEqual(normalize(feed(dec(), input, 'bytes')), whole);
  for (let s = 1; s <= 20; s++) assert.deepEqual(normalize(feed(dec(), input, prng(s))), whole);
});

test('shm decoder: another decoder over the region (len32le+msgpack)', () => {
  const packr = new Packr({ useRecords: false });
  const msg = (v: unknown) => {
    const body = packr.pack(v);
    const b = Buffer.alloc(4 + body.length);
    b.writeUInt32LE(body.length, 0);
    body.copy(b, 4);
    return b;
  };
  const before = Buffer.alloc(32);
  msg({ n: 1 }).copy(before);
  const after = Buffer.alloc(32);
  msg({ n: 2 }).copy(after);
  const h = header({ region: { offset: 0, length: 32 }, decode: 'len32le+msgpack' });
  const frames = feed(dec(), [['s2c', Buffer.concat([encodeHeader(h), encodeSnapshot(0, 0, before), changeOf(1, 0, before, after)])]], 'whole');
  const d = frames[2]!.decoded as { decoded: unknown[] };
  // One message; the zeros after it are unused space.
  assert.deepEqual(d.decoded, [{ n: 2 }]);
  assert.match(frames[2]!.summary, /\{"n":2\}/);
  const len = msg({ n: 2 }).length;
  assert.ok((frames[2]!.ranges ?? []).some((r) => r.path === '/decoded/0' && r.start === 0 && r.end === len));
});

test('shm decoder: an area too large to keep gives the changed bytes one after another', () => {
  const h = header({ region: { offset: 0, length: 8 * 1024 * 1024 }, size: 8 * 1024 * 1024 });
  const ranges = [
    { offset: 10, old: Buffer.from([0, 0]), new: Buffer.from([1, 2]) },
    { offset: 5_000_000, old: Buffer.from([0]), new: Buffer.from([9]) },
  ];
  const frames = feed(dec(), [['s2c', Buffer.concat([encodeHeader(h), encodeChange(1, 0, 2, ranges)])]], 'whole');
  const f = frames[1]!;
  assert.deepEqual([...f.data], [1, 2, 9]);
  assert.deepEqual(f.ranges, [
    { path: '/changes/0', start: 0, end: 2 },
    { path: '/changes/1', start: 2, end: 3 },
  ]);
  assert.match(f.summary, /2 changes, 3 B at 0xa\+2, 0x4c4b40\+1 \(part 1 of 2\)/);
});

test('shm decoder: a bad layout in the header is an error frame, later records still decode', () => {
  const frames = feed(dec(), [['s2c', Buffer.concat([encodeHeader(header({ layout: 'u99 x' })), encodeSnapshot(0, 64, struct(1))])]], 'whole');
  assert.match(frames[0]!.error ?? '', /unknown type "u99"/);
  assert.equal(frames[1]!.error, undefined);
});

test('shm decoder: random and mutated input never throws and yields well-formed frames (seeded)', () => {
  const rng = prng(1414);
  const good = Buffer.from(stream(header({ layout: LAYOUT }))[0]![1]);
  for (let i = 0; i < 400; i++) {
    const input = i % 2 ? randomBytes(rng, 512) : mutate(rng, good, 1024);
    let frames: Frame[] = [];
    assert.doesNotThrow(() => (frames = feed(dec(), [['s2c', input]], rng)));
    for (const f of frames) assert.equal(frameProblem(f), null);
  }
});

test('shm decoder: auto picks it for a watch, and says no at once to other bytes', () => {
  const info = resolveDecoder('shm');
  const rec = encodeHeader(header());
  assert.equal(info.sniff!(rec.subarray(0, 3), 's2c'), 'more');
  assert.equal(info.sniff!(rec, 's2c'), 'yes');
  assert.equal(info.sniff!(Buffer.from('ok\n'), 's2c'), 'no');
  assert.equal(info.sniff!(Buffer.from([0x10, 0, 0, 0, 0x53]), 's2c'), 'no');
  const auto = feed(resolveDecoder('auto').create(), stream(header({ layout: LAYOUT })), 'whole');
  assert.deepEqual(
    auto.map((f) => f.proto),
    ['shm', 'shm', 'shm', 'shm'],
  );
});
