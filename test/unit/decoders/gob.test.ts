import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gobDecoder } from '../../../extension/engine/decoders/gob/index';
import { formatGobTime, decodeBigInt, decodeBigRat, compareUtf8 } from '../../../extension/engine/decoders/gob/index';
import type { Frame } from '../../../extension/engine/types';
import { decoderSuite } from '../../helpers/decoder-suite';
import { assertSplitInvariant, externalDef, f64, fuzz, i, mapDef, msg, sliceDef, str, structDef, u, V } from '../../helpers/gob-util';

const decode = (...chunks: (Uint8Array | number[])[]): Frame[] => {
  const d = gobDecoder.create();
  const out: Frame[] = [];
  for (const c of chunks) out.push(...d.push('c2s', c instanceof Uint8Array ? c : Uint8Array.from(c)));
  return [...out, ...d.end('c2s')];
};
const values = (fs: Frame[]) => fs.filter((f) => !(f.decoded as { typedef?: unknown })?.typedef).map((f) => f.decoded);

test('Point{22,33} twice (the encoding/gob doc example): one typedef frame, two value frames with their bytes', () => {
  const fs = assertSplitInvariant(gobDecoder, [{ dir: 'c2s', bytes: V.point2 }]);
  assert.equal(fs.length, 3);
  assert.deepEqual(fs[0]!.decoded, {
    typedef: {
      id: 65,
      kind: 'struct',
      name: 'Point',
      fields: [
        { name: 'X', id: 2, type: 'int' },
        { name: 'Y', id: 2, type: 'int' },
      ],
    },
  });
  assert.equal(fs[0]!.summary, 'type 65 = struct Point {X int; Y int}');
  assert.deepEqual(Buffer.from(fs[0]!.data), Buffer.from(V.point2.subarray(0, 32)));
  for (const f of fs.slice(1)) {
    assert.deepEqual(f.decoded, { type: 'Point', value: { X: 22, Y: 33 } });
    assert.equal(Buffer.from(f.data).toString('hex'), '07ff82012c014200');
    assert.equal(f.error, undefined);
  }
});

test('predefined values: int 3, and the map/slice/array/-129/17.0 vector', () => {
  assert.deepEqual(values(decode(V.int3)), [{ type: 'int', value: 3 }]);
  const fs = assertSplitInvariant(gobDecoder, [{ dir: 'c2s', bytes: V.mixed }]);
  assert.deepEqual(values(fs), [
    { type: 'map[string]int', value: { a: 1 } },
    { type: '[]string', value: ['x', 'y'] },
    { type: '[2]uint', value: [1, 2] },
    { type: 'int', value: -129 },
    { type: 'float', value: 17 },
  ]);
  assert.ok(fs.every((f) => f.error === undefined));
});

test('time.Time: RFC 3339 with nanoseconds, UTC as Z and the sender zone offset kept', () => {
  assert.deepEqual(values(decode(V.timeUtc)), [{ type: 'Time', value: '2024-01-02T03:04:05.000000006Z' }]);
  assert.equal(formatGobTime(V.timeBinaryUtc), '2024-01-02T03:04:05.000000006Z');
  assert.equal(formatGobTime(V.timeBinaryPlus0130), '2024-01-02T03:04:05.000000006+01:30');
  // version 2 carries extra offset seconds; zero time; pre-1970 and negative offsets
  const t = Uint8Array.from([2, ...V.timeBinaryUtc.subarray(1, 13), 0xff, 0xc4, 30]); // -60 min + 30 s
  assert.equal(formatGobTime(t), '2024-01-02T02:04:35.000000006-00:59');
  assert.equal(formatGobTime(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])), '0001-01-01T00:00:00Z');
  assert.equal(formatGobTime(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), undefined);
});

test('interface values: new concrete type defined mid-value in the next message; nil interface; types reused', () => {
  const whole = [V.holder1, V.holder2, V.holderNil];
  const fs = assertSplitInvariant(
    gobDecoder,
    whole.map((bytes) => ({ dir: 'c2s' as const, bytes })),
  );
  assert.equal(fs.length, 4);
  assert.deepEqual(fs[1]!.decoded, {
    type: 'Holder',
    value: { Name: 'h', S: { R: 2 } },
    concrete: { '/S': 'main.Circle' },
    defines: [{ id: 66, kind: 'struct', name: 'Circle', fields: [{ name: 'R', id: 4, type: 'float' }] }],
  });
  // the value spans two count-prefixed messages: the frame carries both
  assert.equal(fs[1]!.data.length, 45 + 8);
  assert.match(fs[1]!.summary, /S: main\.Circle/);
  assert.deepEqual(fs[2]!.decoded, { type: 'Holder', value: { Name: 'h', S: { R: 2 } }, concrete: { '/S': 'main.Circle' } });
  assert.deepEqual(fs[3]!.decoded, { type: 'Holder', value: { Name: 'n', S: null } });
  assert.deepEqual(values(decode(V.mapIface)), [{ type: 'map[string]interface', value: { k: 'v' }, concrete: { '/k': 'string' } }]);
  const ht = values(decode(V.holderTime));
  assert.deepEqual((ht[0] as { value: unknown }).value, { Name: 'h', S: { R: 2 }, T: '2024-01-02T03:04:05.000000006Z' });
});

test('a value whose next message has not arrived waits, then decodes whole', () => {
  const d = gobDecoder.create();
  const cut = V.holder1.length - 8; // the last message (concrete value) is missing
  const first = d.push('c2s', V.holder1.subarray(0, cut));
  assert.equal(first.length, 1); // only the Holder typedef
  const rest = d.push('c2s', V.holder1.subarray(cut));
  assert.deepEqual((rest[0]!.decoded as { value: unknown }).value, { Name: 'h', S: { R: 2 } });
  assert.deepEqual(d.end('c2s'), []);
});

test('omitted fields come back as the receiver sees them', () => {
  // struct Z {B bool; I int; U uint; F float; S string; Bs []byte; L []int; M map[string]int;
  //           P Point(struct); T Time; C complex; A interface}
  const fs = decode(
    structDef(65, 'Z', [
      ['B', 1],
      ['I', 2],
      ['U', 3],
      ['F', 4],
      ['S', 6],
      ['Bs', 5],
      ['L', 66],
      ['M', 67],
      ['P', 68],
      ['T', 69],
      ['C', 7],
      ['A', 8],
    ]),
    sliceDef(66, 2),
    mapDef(67, 6, 2),
    structDef(68, 'Point', [['X', 2]]),
    externalDef(69, 'Time', 5),
    msg(i(65), [0]),
  );
  assert.deepEqual(values(fs), [{ type: 'Z', value: { B: false, I: 0, U: 0, F: 0, S: '', Bs: null, L: null, M: null, P: null, T: '0001-01-01T00:00:00Z', C: '(0+0i)', A: null } }]);
});

test("an omitted field whose type is defined later in the value (by an interface) gets that type's zero", () => {
  // struct S {X T; A interface}, T not defined yet; the value omits X and sends A as a T, whose
  // definition comes inside the value: X is the zero of T as the table is once S is read.
  const def = externalDef(66, 'Time', 5).slice(1);
  const rest = [...i(66), ...u(18), 0, ...u(15), ...V.timeBinaryUtc];
  const fs = decode(
    structDef(65, 'S', [
      ['X', 66],
      ['A', 8],
    ]),
    msg(i(65), [2], str('main.T'), def, u(rest.length), rest, [0]),
  );
  assert.deepEqual(values(fs), [
    {
      type: 'S',
      value: { X: '0001-01-01T00:00:00Z', A: '2024-01-02T03:04:05.000000006Z' },
      concrete: { '/A': 'main.T' },
      defines: [{ id: 66, kind: 'external', name: 'Time', encoding: 'GobEncoder' }],
    },
  ]);
});

test('integers stay exact past 2^53; floats, bytes, unicode strings, complex, empty slices', () => {
  const fs = decode(
    msg(i(3), [0], u(18446744073709551615n)),
    msg(i(2), [0], i(-9223372036854775808n)),
    msg(i(2), [0], i(9007199254740993n)),
    msg(i(2), [0], i(-9007199254740991)),
    msg(i(4), [0], f64(1e21)),
    msg(i(4), [0], f64(-1.5e-7)),
    msg(i(4), [0], f64(0.1)),
    msg(i(5), [0], u(3), [1, 2, 255]),
    msg(i(6), [0], str('héllo, 世界 🎉')),
    msg(i(7), [0], f64(1), f64(-2.5)),
    msg(i(1), [0], [1]),
    sliceDef(65, 2),
    msg(i(65), [0], u(0)),
  );
  assert.deepEqual(
    values(fs).map((d) => (d as { value: unknown }).value),
    [18446744073709551615n, -9223372036854775808n, 9007199254740993n, -9007199254740991, 1e21, -1.5e-7, 0.1, 'AQL/', 'héllo, 世界 🎉', '(1-2.5i)', true, null],
  );
});

test('maps: keys as strings sorted by UTF-8 bytes like encoding/json; int keys', () => {
  const fs = decode(
    mapDef(65, 6, 2),
    msg(i(65), [0], u(4), str('é'), i(3), str('b'), i(1), str('a'), i(2), str('z'), i(4)),
    mapDef(66, 2, 6),
    msg(i(66), [0], u(3), i(10), str('ten'), i(9), str('nine'), i(-1), str('minus')),
  );
  const [m1, m2] = values(fs) as { value: Record<string, unknown> }[];
  assert.deepEqual(Object.keys(m1!.value), ['a', 'b', 'z', 'é']);
  assert.deepEqual(m2!.value, { '10': 'ten', '9': 'nine', '-1': 'minus' });
  assert.ok(compareUtf8('\uffff', '\u{10000}') < 0); // code point order, not UTF-16 order
});

test('big.Int and big.Rat GobEncode bytes', () => {
  assert.equal(decodeBigInt(Uint8Array.from([2, 0x01, 0x00])), 256);
  assert.equal(decodeBigInt(Uint8Array.from([3, ...Buffer.from('0123456789abcdef0123', 'hex')])), -0x0123456789abcdef0123n);
  assert.equal(decodeBigRat(Uint8Array.from([3, 0, 0, 0, 1, 3, 2])), '-3/2');
  assert.equal(decodeBigRat(Uint8Array.from([2, 0, 0, 0, 1, 5])), '5');
  const fs = decode(externalDef(65, 'Int', 5), msg(i(65), [0], u(3), [2, 1, 0]));
  assert.deepEqual(values(fs), [{ type: 'Int', value: 256 }]);
  const tx = decode(externalDef(65, 'Color', 7), msg(i(65), [0], str('#ff8000')));
  assert.deepEqual(values(tx), [{ type: 'Color', value: '#ff8000' }]);
});

test('mid-stream capture: values of unseen types are flagged and later predefined values still decode', () => {
  const fs = decode(V.point2.subarray(32), V.int3);
  assert.equal(fs.length, 3);
  for (const f of fs.slice(0, 2)) {
    assert.equal(f.error, 'type 65 was defined before the capture started');
    assert.deepEqual(f.decoded, { type: 'type#65', value: null });
    assert.equal(f.data.length, 8);
  }
  assert.deepEqual(fs[2]!.decoded, { type: 'int', value: 3 });
});

test('hostile input: huge counts, absurd sizes, deep recursion, garbage then resync', () => {
  // a slice claiming 2^40 elements in a 10-byte message
  let fs = decode(sliceDef(65, 2), msg(i(65), [0], u(2 ** 40), [2, 4]));
  assert.match(fs[1]!.error!, /elements claimed/);
  // a message claiming 2^56 bytes is garbage; the next real message is found again
  fs = decode([0xf9, 1, 0, 0, 0, 0, 0, 0], V.point2);
  assert.match(fs[0]!.error!, /exceeds the .*limit/);
  assert.deepEqual(values(fs).slice(-2), [
    { type: 'Point', value: { X: 22, Y: 33 } },
    { type: 'Point', value: { X: 22, Y: 33 } },
  ]);
  // a recursive type nested 5000 deep: capped, no stack overflow
  const depth = 5000;
  const body: number[] = [];
  for (let k = 0; k < depth; k++) body.push(1);
  for (let k = 0; k < depth; k++) body.push(0);
  fs = decode(structDef(65, 'Node', [['Next', 65]]), msg(i(65), body));
  assert.match(fs[1]!.error!, /nested deeper than 1000/);
  // a recursive list 50 deep is fine
  fs = decode(
    structDef(65, 'Node', [
      ['V', 2],
      ['Next', 65],
    ]),
    msg(i(65), [1, 2, 1, 1, 4, 1, 1, 6, 0, 0, 0]),
  );
  assert.deepEqual(values(fs)[0], { type: 'Node', value: { V: 1, Next: { V: 2, Next: { V: 3, Next: null } } } });
  // options.maxFrame caps message size
  const d = gobDecoder.create({ maxFrame: 100 });
  const big = msg(i(6), [0], str('x'.repeat(200)));
  const out = [...d.push('c2s', Uint8Array.from(big)), ...d.end('c2s')];
  assert.ok(out.every((f) => f.error));
});

test('truncated stream: end() reports the partial message', () => {
  const fs = decode(V.point2.subarray(0, 38));
  assert.equal(fs.length, 2);
  assert.match(fs[1]!.error!, /stream ended inside a message \(5 of 7 bytes\)/);
});

test('sniff: gob typedef prefix yes, predefined value yes, text no, partial more', () => {
  const s = gobDecoder.sniff!;
  assert.equal(s(V.point2, 'c2s'), 'yes');
  assert.equal(s(V.point2.subarray(0, 6), 'c2s'), 'more');
  assert.equal(s(V.int3, 'c2s'), 'yes');
  assert.equal(s(new TextEncoder().encode('hello world\n'), 'c2s'), 'no');
  assert.equal(s(new TextEncoder().encode('{"jsonrpc":"2.0"}'), 'c2s'), 'no');
  // Joined mid-stream: two values of user types back to back (the Holder typedef went before).
  const mid = Uint8Array.from([...V.holder2, ...V.holderNil]);
  assert.equal(s(mid, 'c2s'), 'yes');
  assert.equal(s(V.holder2, 'c2s'), 'more');
  assert.equal(s(Uint8Array.from([...V.holder2, ...new TextEncoder().encode('hello world\n')]), 'c2s'), 'no');
  assert.equal(s(Uint8Array.from([0x05, 0xff, 0x81, 1, 2, 3]), 'c2s'), 'no'); // (an odd id: negative, a typedef's, not a value's)
});

test('seeded fuzz: random and mutated streams never throw and frames never invent bytes', () => {
  const corpus = [V.point2, V.holder1, Uint8Array.from([...V.holder1, ...V.holder2, ...V.holderNil]), V.mapIface, V.holderTime, V.mixed, V.timeUtc, V.rpcC2S, V.rpcS2C];
  const n = fuzz(gobDecoder, corpus, 1000);
  assert.ok(n > 300);
});

test('NaN and infinities (which encoding/json refuses) are shown as Go prints them', () => {
  const fs = decode(msg(i(4), [0], f64(NaN)), msg(i(4), [0], f64(-Infinity)), msg(i(7), [0], f64(Infinity), f64(NaN)));
  assert.deepEqual(
    values(fs).map((d) => (d as { value: unknown }).value),
    ['NaN', '-Inf', '(+InfNaNi)'],
  );
});

decoderSuite({
  decoder: gobDecoder,
  vectors: [
    { name: 'Point{22,33} twice', input: [['c2s', V.point2]] },
    { name: 'interface values across messages', input: [['c2s', Uint8Array.from([...V.holder1, ...V.holder2, ...V.holderNil])]] },
    {
      name: 'time, map, slice, array, ints, floats',
      input: [
        ['c2s', Uint8Array.from([...V.timeUtc, ...V.mixed])],
        ['s2c', V.holderTime],
      ],
    },
  ],
  fuzz: { iterations: 600 },
});

test('summaries are one line with no control characters, whatever the stream holds (names and values)', () => {
  // A struct type whose name and string field carry a newline, DEL, U+2028 and U+2029.
  const nasty = 'a\nb\u007fc\u2028d\u2029e\u0000f';
  const fs = decode(structDef(65, `T${nasty}`, [['S', 6]]), msg(i(65), [1, ...str(nasty), 0]));
  assert.equal(fs.length, 2);
  assert.deepEqual(fs[1]!.decoded, { type: `T${nasty}`, value: { S: nasty } }, 'the decoded value keeps the text as sent');
  for (const f of fs) assert.doesNotMatch(f.summary, /[\u0000-\u001f\u007f\u2028\u2029]/, f.summary);
  assert.match(fs[1]!.summary, /\\u2028/);
});
