// Every decoder says which bytes each decoded field came from (the panel lights them up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { bytesOf, feed } from '../../helpers/decoder-suite';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { jsonRanges } from '../../../extension/engine/decoders/jsonrpc/ranges';
import { rangesOnDemand } from '../../../extension/engine/decoders/core/ranges-on-demand';
import type { Frame } from '../../../extension/engine/types';

const text = (f: Frame, path: string): string | undefined => {
  const r = f.ranges?.find((x) => x.path === path);
  return r ? Buffer.from(f.data.subarray(r.start, r.end)).toString('latin1') : undefined;
};
/** Frames as the panel gets them: the decoder's ranges, or those computed for the row shown. */
const decode = (name: string, dir: 'c2s' | 's2c', ...chunks: (string | Uint8Array)[]) =>
  feed(resolveDecoder(name).create(), [[dir, bytesOf(...chunks)]], 'whole').map((f) =>
    f.ranges ? f : { ...f, ranges: rangesOnDemand({ proto: f.proto ?? name, data: f.data, decoded: f.decoded }) },
  );

test('JSON text: every value by pointer, escapes in keys, nothing past bad JSON', () => {
  const t = Buffer.from('{"a": [1, {"b/c": "x\\"y"}], "~": null, "n": -1.5e3}');
  const r = jsonRanges(t);
  const at = (p: string) => {
    const x = r.find((y) => y.path === p)!;
    return t.subarray(x.start, x.end).toString();
  };
  assert.equal(at('/a'), '[1, {"b/c": "x\\"y"}]');
  assert.equal(at('/a/0'), '1');
  assert.equal(at('/a/1/b~1c'), '"x\\"y"');
  assert.equal(at('/~0'), 'null');
  assert.equal(at('/n'), '-1.5e3');
  assert.deepEqual(jsonRanges(Buffer.from('{"a": ')), []);
  assert.deepEqual(jsonRanges(Buffer.from('{"a": 1} trailing')), [], 'only a text that is all JSON');
});

test('under a length prefix the value is found after the prefix', () => {
  const packr = new Packr({ useRecords: false });
  const payload = packr.pack({ a: 'x' });
  const lp = Buffer.concat([Buffer.from([0, 0, 0, payload.length]), payload]);
  const [f] = decode('len32be+msgpack', 'c2s', lp);
  assert.equal(text(f!, '/a'), '\xa1x');
  const body = Buffer.from('{"id":1}');
  const [j] = decode('len32be+jsonrpc', 'c2s', Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]));
  assert.equal(text(j!, '/id'), '1');
});

test('JSON-RPC over lines and LSP framing: ranges point into the frame bytes', () => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'echo', params: { text: 'hé' } });
  const [nd] = decode('jsonrpc', 'c2s', body + '\n');
  assert.equal(text(nd!, '/method'), '"echo"');
  assert.equal(Buffer.from(text(nd!, '/params/text')!, 'latin1').toString('utf8'), '"hé"');
  const [l] = decode('lsp', 'c2s', `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body);
  assert.equal(text(l!, '/id'), '2');
  assert.equal(text(l!, '/params'), '{"text":"hé"}'.replace('é', '\u00c3\u00a9'));
  const [j] = decode('jsonrpc', 'c2s', `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body);
  assert.equal(text(j!, '/jsonrpc'), '"2.0"');
});

test('JSON-RPC 1.0: ranges follow the net/rpc-shaped value (serviceMethod, seq, args, reply)', () => {
  const [q] = decode('jsonrpc1', 'c2s', JSON.stringify({ method: 'Arith.Multiply', params: [{ A: 7, B: 8 }], id: 0 }) + '\n');
  assert.equal(text(q!, '/serviceMethod'), '"Arith.Multiply"');
  assert.equal(text(q!, '/args/B'), '8');
  assert.equal(text(q!, '/seq'), '0');
  const [a] = decode('jsonrpc1', 's2c', JSON.stringify({ id: 0, result: 56, error: null }) + '\n');
  assert.equal(text(a!, '/reply'), '56');
});

test('MessagePack: map members, array items, maps rendered as pairs', () => {
  const packr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true });
  const [m] = decode('msgpack', 'c2s', packr.pack({ method: 'add', args: [1, 300] }));
  assert.equal(text(m!, '/args/1'), Buffer.from([0xcd, 0x01, 0x2c]).toString('latin1'));
  assert.equal(text(m!, '/method'), Buffer.from([0xa3]).toString('latin1') + 'add');
  const [p] = decode('msgpack', 'c2s', packr.pack(new Map<unknown, unknown>([[1, 'one']])));
  assert.equal(text(p!, '/$map/0/0'), '\x01');
  assert.equal(text(p!, '/$map/0/1'), '\xa3one');
});

test('protobuf: each field from its tag, nested messages inside, typed messages by field name', async () => {
  // 1: 150, 2: "testing", 3: {1: 150}
  const msg = Uint8Array.from([0x08, 0x96, 0x01, 0x12, 0x07, ...Buffer.from('testing'), 0x1a, 0x03, 0x08, 0x96, 0x01]);
  const [f] = decode('protobuf', 'c2s', msg);
  const hex = (p: string) => Buffer.from(text(f!, p)!, 'latin1').toString('hex');
  assert.equal(hex('/fields/0'), '089601');
  assert.equal(text(f!, '/fields/1'), '\x12\x07testing');
  assert.equal(hex('/fields/2'), '1a03089601');
  assert.equal(hex('/fields/2/message/fields/0'), '089601');
  const protobuf = (await import('protobufjs')).default;
  const root = protobuf.parse('syntax = "proto3"; message In { int32 a = 1; } message M { int32 id = 1; string name = 2; In inner = 3; repeated string tags = 4; }').root;
  const { decodeProtobuf } = await import('../../../extension/engine/decoders/protobuf/decoder');
  const typed = Uint8Array.from([...msg, 0x22, 0x01, 0x78, 0x22, 0x01, 0x79]);
  const r = decodeProtobuf(typed, { root, protoType: 'M' });
  const at = (p: string) => {
    const x = r.ranges!.find((y) => y.path === p)!;
    return Buffer.from(typed.subarray(x.start, x.end)).toString('hex');
  };
  assert.equal(at('/id'), '089601');
  assert.equal(at('/inner/a'), '089601');
  assert.equal(at('/tags/1'), '220179');
});
