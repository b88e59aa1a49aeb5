import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { decoderSuite, bytesOf, feed, fromHex } from '../../helpers/decoder-suite';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { decodeProtobuf } from '../../../extension/engine/decoders/protobuf/decoder';
import { lookupMethod, loadProtoRoot } from '../../../extension/engine/decoders/protobuf/schema';
import { UserError } from '../../../extension/engine/util/errors';

const V1 = fromHex('08 96 01');
const V2 = fromHex('12 07 74 65 73 74 69 6e 67');
const V3 = fromHex('1a 03 08 96 01');

decoderSuite({
  decoder: 'lenvarint+protobuf',
  vectors: [
    {
      name: 'three delimited messages',
      input: [
        ['c2s', bytesOf([3], V1, [9], V2, [5], V3)],
        ['s2c', bytesOf([0])],
      ],
    },
  ],
});
decoderSuite({ decoder: 'protobuf', truncation: false, vectors: [{ name: 'one message per direction', input: [['c2s', bytesOf(V1, V2, V3)]] }] });

test('protobuf: the PROTOCOLS.md vectors, schema-less', () => {
  assert.deepEqual(decodeProtobuf(V1).decoded, { fields: [{ n: 1, wire: 'varint', uint: 150, sint: 75 }] });
  assert.deepEqual(decodeProtobuf(V2).decoded, { fields: [{ n: 2, wire: 'len', length: 7, string: 'testing' }] });
  assert.deepEqual(decodeProtobuf(V3).decoded, {
    fields: [{ n: 3, wire: 'len', length: 3, message: { fields: [{ n: 1, wire: 'varint', uint: 150, sint: 75 }] } }],
  });
  assert.equal(decodeProtobuf(bytesOf(V1, V2, V3)).summary, '1: 150, 2: "testing", 3: {1: 150}');
});

test('protobuf: "hi" is shown both as a string and as the message it also parses as', () => {
  const r = decodeProtobuf(fromHex('0a 02 68 69'));
  const f = (r.decoded as { fields: Record<string, unknown>[] }).fields[0];
  assert.equal(f.string, 'hi');
  assert.deepEqual(f.message, { fields: [{ n: 13, wire: 'varint', uint: 105, sint: -53 }] });
  assert.equal(r.summary, '1: "hi"');
});

test('protobuf: varint readings (int64 negative, zigzag) and fixed as float', () => {
  // field 1 = -1 as int64 (10-byte varint); field 2 fixed32 1.5f; field 3 fixed64 -2.0
  const r = decodeProtobuf(fromHex('08 ffffffffffffffffff01  15 0000c03f  19 00000000000000c0'));
  const [a, b, c] = (r.decoded as { fields: Record<string, unknown>[] }).fields;
  assert.deepEqual(a, { n: 1, wire: 'varint', uint: 18446744073709551615n, int: -1, sint: -9223372036854775808n });
  assert.deepEqual(b, { n: 2, wire: 'i32', uint: 0x3fc00000, float: 1.5 });
  assert.deepEqual(c, { n: 3, wire: 'i64', uint: 0xc000000000000000n, int: -4611686018427387904n, double: -2 });
});

test('protobuf: packed repeated varints, bytes when nothing else fits', () => {
  const r = decodeProtobuf(fromHex('22 04 01 02 96 01'));
  const f = (r.decoded as { fields: Record<string, unknown>[] }).fields[0];
  assert.deepEqual(f.packed, [1, 2, 150]);
  assert.equal(f.bytes, 'AQKWAQ==');
  assert.equal(f.message, undefined);
});

test('protobuf: groups, and invalid input reported with the fields read so far', () => {
  const g = decodeProtobuf(fromHex('0b 08 01 0c'));
  assert.deepEqual(g.decoded, { fields: [{ n: 1, wire: 'group', message: { fields: [{ n: 1, wire: 'varint', uint: 1, sint: -1 }] } }] });
  const bad = decodeProtobuf(fromHex('08 01 0f'));
  assert.match(bad.error!, /byte 2: field 1: invalid wire type 7/);
  assert.equal((bad.decoded as { fields: unknown[] }).fields.length, 1);
  assert.match(decodeProtobuf(fromHex('12 09 01')).error!, /length beyond the message/);
});

test('protobuf: with a schema — names, enums, nested messages, exact 64-bit integers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-proto-'));
  try {
    const file = join(dir, 'demo.proto');
    writeFileSync(
      file,
      `syntax = "proto3";
package demo;
enum Color { RED = 0; GREEN = 1; }
message Inner { string label = 1; }
message Msg {
  uint64 big = 1; int64 neg = 2; string name = 3; repeated int32 nums = 4;
  Color color = 5; Inner inner = 6; bytes blob = 7; map<string, int64> counts = 8;
}
service Svc { rpc Call (Msg) returns (Inner); }
`,
    );
    // encode with protobufjs (an independent encoder)
    const root = protobuf.loadSync(file);
    const Msg = root.lookupType('demo.Msg');
    const bytes = Msg.encode(
      Msg.fromObject({
        big: '18446744073709551615',
        neg: '-9007199254740993',
        name: 'é',
        nums: [1, -2],
        color: 1,
        inner: { label: 'x' },
        blob: Buffer.from([1, 2]),
        counts: { a: '12345678901234567' },
      }),
    ).finish();
    const r = decodeProtobuf(bytes, { protoFiles: [file], protoType: 'demo.Msg' });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.decoded, {
      big: 18446744073709551615n,
      neg: -9007199254740993n,
      name: 'é',
      nums: [1, -2],
      color: 'GREEN',
      inner: { label: 'x' },
      blob: 'AQI=',
      counts: { a: 12345678901234567n },
    });
    assert.match(r.summary, /^Msg \{"big":18446744073709551615/);
    assert.deepEqual(lookupMethod(loadProtoRoot([file]), '/demo.Svc/Call'), { requestType: 'demo.Msg', responseType: 'demo.Inner' });

    // as a decoder with options, layered
    const d = resolveDecoder('lenvarint+protobuf', { protoFiles: [file], protoType: 'demo.Inner' }).create();
    const frames = feed(d, [['c2s', bytesOf([3], fromHex('0a 01 79'))]], 'bytes');
    assert.deepEqual(frames[0].decoded, { label: 'y' });

    // bytes that do not match the type: error, schema-less reading kept
    const bad = decodeProtobuf(fromHex('0a 05 01'), { protoFiles: [file], protoType: 'demo.Msg' });
    assert.match(bad.error!, /does not decode as demo.Msg/);

    assert.throws(
      () => resolveDecoder('protobuf', { protoFiles: [file], protoType: 'demo.Nope' }),
      (e: unknown) => e instanceof UserError && /no message type "demo.Nope".*demo.Msg/.test(e.message),
    );
    assert.throws(() => resolveDecoder('protobuf', { protoFiles: [join(dir, 'missing.proto')], protoType: 'x.Y' }), UserError);
    assert.throws(() => resolveDecoder('protobuf', { protoType: 'demo.Msg' }), /protoType needs protoFiles/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('protobuf: a length-delimited value reads as a nested message exactly when it parses strictly on its own', () => {
  // Random and mutated bodies, each also wrapped as field 1 of an outer message: the inner
  // reading must appear iff the body alone decodes without an error (groups, long varints, tags
  // past 32 bits, truncation, END_GROUP mismatches all included).
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const seeds = [
    fromHex('08 96 01 12 07 74 65 73 74 69 6e 67 1a 03 08 96 01'),
    fromHex('0b 08 01 0c 15 00 00 80 3f 19 00 00 00 00 00 00 f0 3f'), // a group, i32, i64
    fromHex('08 ff ff ff ff ff ff ff ff ff 01 10 80 80 80 80 80 80 80 01'), // 10- and 8-byte varints
    fromHex('08 ff ff ff ff ff ff ff ff ff 02'), // 10th byte > 1
    fromHex('f8 ff ff ff 0f 01 f8 ff ff ff 1f 01'), // tag at 32 bits, then past
  ];
  let messages = 0;
  let others = 0;
  for (let i = 0; i < 4000; i++) {
    let body: Uint8Array;
    if (i % 2) {
      body = Uint8Array.from({ length: 1 + rnd(24) }, () => (rnd(3) ? rnd(256) : [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x80, 0x01][rnd(8)]!));
    } else {
      body = Uint8Array.from(seeds[rnd(seeds.length)]!);
      for (let k = rnd(3); k > 0; k--) body[rnd(body.length)] = rnd(256);
      if (rnd(3) === 0) body = body.subarray(0, rnd(body.length) + 1);
    }
    const alone = decodeProtobuf(body);
    const outer = decodeProtobuf(bytesOf([0x0a, body.length], body)).decoded as { fields: { message?: unknown }[] };
    const nested = outer.fields[0]!.message !== undefined;
    assert.equal(nested, alone.error === undefined, `body ${Buffer.from(body).toString('hex')}`);
    if (nested) assert.deepEqual(outer.fields[0]!.message, alone.decoded);
    if (nested) messages++;
    else others++;
  }
  assert.ok(messages > 300 && others > 300, `${messages} messages, ${others} others`);
});

test('protobuf: varint readings at the 7/8-byte boundary (2^49) agree with 64-bit arithmetic', () => {
  for (const v of [0n, 1n, 2n, 149n, (1n << 49n) - 2n, (1n << 49n) - 1n, 1n << 49n, (1n << 53n) + 1n, (1n << 63n) + 5n, (1n << 64n) - 1n]) {
    const bytes: number[] = [0x08];
    let x = v;
    do {
      bytes.push(Number(x & 0x7fn) | (x >= 0x80n ? 0x80 : 0));
      x >>= 7n;
    } while (x > 0n);
    const f = (decodeProtobuf(Uint8Array.from(bytes)).decoded as { fields: Record<string, unknown>[] }).fields[0]!;
    const norm = (b: bigint) => (b >= -(2n ** 53n - 1n) && b <= 2n ** 53n - 1n ? Number(b) : b);
    const signed = v >= 1n << 63n ? v - (1n << 64n) : v;
    const expected: Record<string, unknown> = { n: 1, wire: 'varint', uint: norm(v) };
    if (signed < 0n) expected.int = norm(signed);
    expected.sint = norm(v & 1n ? -((v >> 1n) + 1n) : v >> 1n);
    assert.deepEqual(f, expected, `varint ${v}`);
    assert.deepEqual(Object.keys(f), Object.keys(expected), `key order for ${v}`);
  }
});

test('.proto files edited since they were loaded are read again; with no message type, protobuf is schema-less', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-proto-edit-'));
  try {
    const file = join(dir, 'e.proto');
    writeFileSync(file, 'syntax = "proto3";\npackage e;\nmessage M { int32 a = 1; }\n');
    assert.deepEqual(Object.keys(loadProtoRoot([file]).lookupType('e.M').fields), ['a']);
    writeFileSync(file, 'syntax = "proto3";\npackage e;\nmessage M { int32 a = 1; string b = 2; }\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(Object.keys(loadProtoRoot([file]).lookupType('e.M').fields), ['a', 'b']);
    const d = resolveDecoder('protobuf', { protoFiles: [file] }).create();
    const frames = feed(d, [['c2s', fromHex('08 05')]], 'bytes');
    assert.ok(Array.isArray((frames[0].decoded as { fields?: unknown }).fields), 'schema-less');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
