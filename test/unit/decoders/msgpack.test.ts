import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { decoderSuite, bytesOf, feed, fromHex } from '../../helpers/decoder-suite';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { isoTime } from '../../../extension/engine/decoders/msgpack/read';

// msgpackr as an independent encoder for the vectors
const packr = new Packr({ useRecords: false, variableMapSize: true });
const pack = (v: unknown) => Uint8Array.from(packr.pack(v));
const dec = (opts?: Record<string, unknown>) => resolveDecoder('msgpack').create(opts);
const decode = (b: Uint8Array) => feed(dec(), [['c2s', b]], 'whole');

const NESTED = { name: 'ünï✓', list: [1, -1, 255, -129, 65536, 1.5, true, null], inner: { deep: [[[]]] } };

decoderSuite({
  decoder: 'msgpack',
  vectors: [
    {
      name: 'several values',
      input: [
        ['c2s', bytesOf(pack(1), pack('hi'), pack(NESTED), pack([1, 2, 3]))],
        ['s2c', pack({ ok: true })],
      ],
    },
    {
      name: 'big ints, bin, ext, timestamp',
      input: [['c2s', bytesOf(fromHex('cf ffffffffffffffff d3 8000000000000000 c4 03 010203 c7 02 05 aabb d6 ff 00000001 d7 ff 00000004 00000002'))]],
    },
    { name: 'a 70000-byte string', input: [['c2s', pack('x'.repeat(70000))]] },
  ],
});

test('msgpack: scalars, strings and nested values', () => {
  const frames = decode(bytesOf(pack(NESTED), pack(-32), pack(0.25), pack(new Array(20).fill('é'))));
  assert.deepEqual(
    frames.map((f) => f.decoded),
    [NESTED, -32, 0.25, new Array(20).fill('é')],
  );
  assert.ok(frames.every((f) => f.error === undefined));
  assert.equal(frames[1].summary, '-32');
});

test('msgpack: 64-bit integers are exact; small ones in 64-bit encodings are plain numbers', () => {
  const frames = decode(fromHex('cf ffffffffffffffff  d3 8000000000000000  cf 0000000000000005  d3 ffffffffffffffff  cf 0020000000000001'));
  assert.deepEqual(
    frames.map((f) => f.decoded),
    [18446744073709551615n, -9223372036854775808n, 5, -1, 9007199254740993n],
  );
});

test('msgpack: maps with non-string keys become {"$map": [[k, v], ...]} in wire order', () => {
  const frames = decode(
    bytesOf(
      pack(
        new Map<unknown, unknown>([
          [1, 'one'],
          ['two', 2],
        ]),
      ),
      pack(new Map([['a', 1]])),
    ),
  );
  assert.deepEqual(frames[0].decoded, {
    $map: [
      [1, 'one'],
      ['two', 2],
    ],
  });
  assert.deepEqual(frames[1].decoded, { a: 1 });
});

test('msgpack: duplicate keys and marker-like keys stay unambiguous', () => {
  // {"a":1,"a":2} and {"$bin":"x"}
  const frames = decode(fromHex('82 a161 01 a161 02  81 a4 2462696e a178'));
  assert.deepEqual(frames[0].decoded, {
    $map: [
      ['a', 1],
      ['a', 2],
    ],
  });
  assert.deepEqual(frames[1].decoded, { $map: [['$bin', 'x']] });
});

test('msgpack: a "__proto__" key is an ordinary key', () => {
  const [f] = decode(fromHex('81 a9 5f5f70726f746f5f5f 01'));
  assert.equal(Object.getPrototypeOf(f.decoded), Object.prototype);
  assert.deepEqual(Object.keys(f.decoded as object), ['__proto__']);
});

test('msgpack: bin as {"$bin": base64}; unknown ext as {"$ext", data}; msgpackr-private ext types are not interpreted', () => {
  const frames = decode(fromHex('c4 03 010203  c7 02 05 aabb  d4 00 07  d4 65 01  c7 00 10'));
  assert.deepEqual(
    frames.map((f) => f.decoded),
    [{ $bin: 'AQID' }, { $ext: 5, data: 'qrs=' }, { $ext: 0, data: 'Bw==' }, { $ext: 101, data: 'AQ==' }, { $ext: 16, data: '' }],
  );
  assert.ok(frames.every((f) => f.error === undefined));
});

test('msgpack: timestamps (ext -1, 32/64/96-bit) as ISO strings with nanoseconds', () => {
  // 64-bit: ns=1 (hi 30 bits), sec=4 → 1970-01-01T00:00:04.000000001Z
  const frames = decode(fromHex('d6 ff 00000001  d7 ff 00000004 00000004  c7 0c ff 1dcd6500 fffffffffffffffe'));
  assert.deepEqual(
    frames.map((f) => f.decoded),
    ['1970-01-01T00:00:01Z', '1970-01-01T00:00:04.000000001Z', '1969-12-31T23:59:58.500Z'],
  );
  assert.equal(isoTime(1700000000, 123456000), '2023-11-14T22:13:20.123456Z');
});

test('msgpack: NaN and infinities are marked', () => {
  const frames = decode(fromHex('cb 7ff8000000000000 ca 7f800000 cb fff0000000000000'));
  assert.deepEqual(
    frames.map((f) => f.decoded),
    [{ $float: 'NaN' }, { $float: 'Infinity' }, { $float: '-Infinity' }],
  );
});

test('msgpack: 0xc1 is an error frame and the next value decodes', () => {
  const frames = feed(dec(), [['c2s', fromHex('c1 92 01 c1 05')]], 'bytes');
  assert.deepEqual(
    frames.map((f) => [Buffer.from(f.data).toString('hex'), f.error ?? null, f.decoded]),
    [
      ['c1', 'byte 0xc1 is never used in MessagePack', null],
      ['9201c1', 'byte 0xc1 is never used in MessagePack', null],
      ['05', null, 5],
    ],
  );
});

test('msgpack: a length beyond maxFrame is an error without waiting for the bytes', () => {
  const frames = feed(dec({ maxFrame: 100 }), [['c2s', fromHex('db 00010000 6162')]], 'whole');
  assert.match(frames[0].error!, /length 65536 exceeds the limit of 100/);
  assert.deepEqual(
    frames.slice(1).map((f) => f.decoded),
    [97, 98],
  );
});

test('msgpack: a value larger than maxFrame in total is skipped in maxFrame pieces', () => {
  const big = pack(new Array(100).fill('abcdefghij'));
  const frames = feed(dec({ maxFrame: 256 }), [['c2s', bytesOf(big, pack(7))]], 'bytes');
  assert.match(frames[0].error!, /larger than the limit of 256/);
  assert.equal(frames[0].data.length, 256);
  assert.equal(
    frames.reduce((n, f) => n + f.data.length, 0),
    big.length + 1,
  );
});

test('msgpack: deep nesting is bounded and reported', () => {
  const deep = new Uint8Array(2000).fill(0x91);
  const frames = decode(bytesOf(deep, [0x01]));
  assert.ok(frames.some((f) => f.error && /nesting deeper/.test(f.error)));
  assert.equal(
    frames.reduce((n, f) => n + f.data.length, 0),
    2001,
  );
});

test('msgpack: a value cut at the end of the stream is a truncation error', () => {
  const frames = decode(pack({ a: 'long string value' }).subarray(0, 8));
  assert.equal(frames.length, 1);
  assert.match(frames[0].error!, /truncated MessagePack value \(8 B/);
});

test('msgpack: layered under len32be, one value per frame; bytes include the prefix', () => {
  const v1 = pack({ id: 1 });
  const v2 = pack([1, 'two']);
  const be = (b: Uint8Array) => bytesOf([0, 0, 0, b.length], b);
  const frames = feed(resolveDecoder('len32be+msgpack').create(), [['c2s', bytesOf(be(v1), be(v2))]], 'bytes');
  assert.deepEqual(
    frames.map((f) => f.decoded),
    [{ id: 1 }, [1, 'two']],
  );
  assert.equal(frames[0].data.length, v1.length + 4);
  assert.deepEqual(frames[0].payload, { start: 4, end: 4 + v1.length });
  assert.equal(frames[0].summary, '{"id":1}');
});
