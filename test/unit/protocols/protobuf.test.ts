import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { decoderSuite, bytesOf, feed, fromHex } from '../../helpers/decoder-suite';
import { resolveDecoder } from '../../../extension/engine/protocols/registry';
import { decodeProtobuf } from '../../../extension/engine/protocols/protobuf/decoder';
import { lookupMethod, loadProtoRoot } from '../../../extension/engine/protocols/protobuf/schema';
import { UserError } from '../../../extension/engine/util/errors';

const V1 = fromHex('08 96 01');
const V2 = fromHex('12 07 74 65 73 74 69 6e 67');
const V3 = fromHex('1a 03 08 96 01');

decoderSuite({
  decoder: 'lenvarint+protobuf',
  vectors: [{ name: 'three delimited messages', input: [['c2s', bytesOf([3], V1, [9], V2, [5], V3)], ['s2c', bytesOf([0])]] }],
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
      Msg.fromObject({ big: '18446744073709551615', neg: '-9007199254740993', name: 'é', nums: [1, -2], color: 1, inner: { label: 'x' }, blob: Buffer.from([1, 2]), counts: { a: '12345678901234567' } }),
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

    assert.throws(() => resolveDecoder('protobuf', { protoFiles: [file], protoType: 'demo.Nope' }), (e: unknown) => e instanceof UserError && /no message type "demo.Nope".*demo.Msg/.test(e.message));
    assert.throws(() => resolveDecoder('protobuf', { protoFiles: [join(dir, 'missing.proto')], protoType: 'x.Y' }), UserError);
    assert.throws(() => resolveDecoder('protobuf', { protoType: 'demo.Msg' }), /needs --proto FILE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
