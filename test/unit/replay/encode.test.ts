// Encoding edited values back (send, Edit and Send…): the unedited value gives the very bytes it
// was decoded from, and an edit shows up when the result is decoded again — for schema-less
// protobuf (plain and length-delimited) and ZeroMQ multipart messages (libzmq's bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { encodeValue } from '../../../extension/engine/replay/encode';
import type { Frame } from '../../../extension/engine/types';

const frames = (proto: string, bytes: Uint8Array): Frame[] => {
  const d = resolveDecoder(proto).create();
  return [...d.push('c2s', bytes), ...d.end('c2s')];
};

// field 1: varint 150; field 2: "hello"; field 3: sub-message {1: 7}
const PB = Buffer.from([0x08, 0x96, 0x01, 0x12, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x1a, 0x02, 0x08, 0x07]);

test('protobuf: an unedited value encodes to its bytes; an edited string and varint decode as edited', () => {
  for (const [proto, bytes] of [
    ['protobuf', PB],
    ['lenvarint+protobuf', Buffer.concat([Buffer.from([PB.length]), PB])],
  ] as const) {
    const [f] = frames(proto, bytes);
    assert.ok(f && f.error === undefined, JSON.stringify(f));
    assert.deepEqual(Buffer.from(encodeValue(proto, f.decoded, f.data)), bytes, proto);
    const edited = JSON.parse(JSON.stringify(f.decoded).replace('"hello"', '"edited, longer"').replace(/150/g, '300'));
    const again = frames(proto, encodeValue(proto, edited, f.data))[0]!;
    assert.match(JSON.stringify(again.decoded), /edited, longer/);
    assert.match(JSON.stringify(again.decoded), /"uint":300/);
    assert.doesNotMatch(JSON.stringify(again.decoded), /hello/);
  }
  assert.throws(() => encodeValue('protobuf', { not: 'fields' }, PB), /schema-less reading/);
});

// vectors/zmtp_vectors.txt (libzmq 4.3 via pyzmq): a DEALER's greeting, READY, then [hello, world]
const DEALER = Buffer.from(
  'ff00000000000000057f03014e554c4c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000042d0552454144590b536f636b65742d54797065000000064445414c4552084964656e7469747900000004636c6931010568656c6c6f0005776f726c64',
  'hex',
);

test('zmtp: a libzmq message encodes back byte for byte; edited text, a long part and an added part', () => {
  const msg = frames('zmtp', DEALER).find((f) => (f.decoded as { kind?: string }).kind === 'message')!;
  assert.ok(msg, 'a message frame');
  assert.deepEqual(Buffer.from(encodeValue('zmtp', msg.decoded, msg.data)), Buffer.from(msg.data));
  const v = msg.decoded as { parts: string[]; text: (string | null)[] };
  const long = 'x'.repeat(300);
  const edited = { ...v, text: ['hi', long, 'third'], parts: [...v.parts, Buffer.from('third').toString('base64')] };
  const out = encodeValue('zmtp', edited, msg.data);
  // a message decodes only after a greeting and READY: decode it behind the captured ones
  const prefix = DEALER.subarray(0, DEALER.length - msg.data.length);
  const again = frames('zmtp', Buffer.concat([prefix, out])).find((f) => (f.decoded as { kind?: string }).kind === 'message')!;
  assert.deepEqual((again.decoded as { text: string[] }).text, ['hi', long, 'third']);
  assert.throws(() => encodeValue('zmtp', { kind: 'greeting' }, msg.data), /edited as \{"kind":"message"/);
});
