// Protobuf encoded back from what the decoder shows: typed (the grpc fixture's demo.proto) and
// schema-less; unedited values give the original bytes, an edited reading is the one encoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decodeProtobuf } from '../../../extension/engine/decoders/protobuf/decoder';
import { encodeRawProtobuf, encodeTypedProtobuf } from '../../../extension/engine/decoders/protobuf/encode';
import { loadProtoRoot, lookupMessageType } from '../../../extension/engine/decoders/protobuf/schema';

const root = loadProtoRoot([join(__dirname, '../../fixtures/node/grpc/demo.proto')]);
const Note = lookupMessageType(root, 'demo.Note');
const bytes = Note.encode(Note.fromObject({ text: 'hello ✓', id: '9007199254740993', tags: ['a', 'b'], blob: Buffer.from([0, 1, 2]) })).finish();

test('protobuf encode: typed, exact 64-bit, byte for byte; unknown fields refused', () => {
  const d = decodeProtobuf(bytes, { root, protoType: 'demo.Note' }).decoded as Record<string, unknown>;
  assert.equal(d.id, 9007199254740993n);
  assert.deepEqual(Buffer.from(encodeTypedProtobuf(Note, d)), Buffer.from(bytes));
  const e = decodeProtobuf(encodeTypedProtobuf(Note, { ...d, text: 'changed' }), { root, protoType: 'demo.Note' }).decoded as Record<string, unknown>;
  assert.equal(e.text, 'changed');
  assert.throws(() => encodeTypedProtobuf(Note, { txt: 'x' }), /Note has no field "txt"/);
});

test('protobuf encode: schema-less round trip, and the edited reading wins', () => {
  const raw = decodeProtobuf(bytes).decoded as { fields: Record<string, unknown>[] };
  assert.deepEqual(Buffer.from(encodeRawProtobuf(raw, raw)), Buffer.from(bytes));
  assert.deepEqual(Buffer.from(encodeRawProtobuf(raw)), Buffer.from(bytes));
  const edited = { fields: raw.fields.map((f) => (f.n === 1 ? { ...f, string: 'bye' } : f.n === 2 ? { ...f, sint: -1 } : f)) };
  const back = Note.toObject(Note.decode(encodeRawProtobuf(edited, raw)), { longs: String });
  assert.equal(back.text, 'bye');
  assert.equal(back.id, '1'); // sint -1 is varint 1
});
