import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonrpc1Decoder } from '../../../extension/engine/decoders/jsonrpc/jsonrpc1';
import { decoderSuite } from '../../helpers/decoder-suite';
import { assertSplitInvariant, fuzz } from '../../helpers/gob-util';

const enc = (s: string) => new TextEncoder().encode(s);
const C2S = '{"method":"Arith.Multiply","params":[{"A":7,"B":8}],"id":0}\n{"method":"Arith.Divide","params":[{"A":7,"B":0}],"id":1}\n';
const S2C = '{"id":0,"result":56,"error":null}\n{"id":1,"result":null,"error":"divide by zero"}\n';

test('Go jsonrpc vectors: same shape as netrpc, responses named from their requests, paired by id', () => {
  const fs = assertSplitInvariant(jsonrpc1Decoder, [
    { dir: 'c2s', bytes: enc(C2S) },
    { dir: 's2c', bytes: enc(S2C) },
  ]);
  // the newline after each stream's last value is a whitespace frame at end()
  assert.deepEqual(
    fs.filter((f) => f.decoded !== null).map((f) => [f.dir, f.decoded, f.pair]),
    [
      ['c2s', { kind: 'request', serviceMethod: 'Arith.Multiply', seq: 0, args: { A: 7, B: 8 } }, { key: 'seq:0', role: 'request' }],
      ['c2s', { kind: 'request', serviceMethod: 'Arith.Divide', seq: 1, args: { A: 7, B: 0 } }, { key: 'seq:1', role: 'request' }],
      ['s2c', { kind: 'response', serviceMethod: 'Arith.Multiply', seq: 0, reply: 56, error: '' }, { key: 'seq:0', role: 'response' }],
      ['s2c', { kind: 'response', serviceMethod: 'Arith.Divide', seq: 1, reply: null, error: 'divide by zero' }, { key: 'seq:1', role: 'response' }],
    ],
  );
  assert.equal(fs[3]!.summary, '← Arith.Divide #1 error: divide by zero');
  assert.equal(Buffer.from(fs[0]!.data).toString(), C2S.split('\n')[0]);
});

test('a stream of JSON values, not lines: values back to back, split inside strings, exact big integers', () => {
  const text = '{"method":"A.B","params":["}{\\"x"],"id":1}{"method":"A.C","params":[18446744073709551615],"id":2}  {"id":2,"result":{"n":[1,2]},"error":null}';
  const fs = assertSplitInvariant(jsonrpc1Decoder, [{ dir: 'c2s', bytes: enc(text) }]);
  assert.deepEqual(
    fs.map((f) => f.decoded),
    [
      { kind: 'request', serviceMethod: 'A.B', seq: 1, args: '}{"x' },
      { kind: 'request', serviceMethod: 'A.C', seq: 2, args: 18446744073709551615n },
      { kind: 'response', serviceMethod: 'A.C', seq: 2, reply: { n: [1, 2] }, error: '' },
    ],
  );
});

test('garbage and broken JSON become error frames and decoding resumes at the next object', () => {
  const fs = assertSplitInvariant(jsonrpc1Decoder, [{ dir: 'c2s', bytes: enc('xyz {"method":1,"id":0} {"a": tru} {"id":5,"result":1,"error":null} {"id":') }]);
  assert.deepEqual(
    fs.map((f) => [f.error !== undefined, (f.decoded as { kind?: string } | null)?.kind]),
    [
      [true, undefined],
      [true, undefined],
      [true, undefined],
      [false, 'response'],
      [true, undefined],
    ],
  );
  assert.match(fs[4]!.error!, /ended inside a JSON value/);
});

test('sniff: Go jsonrpc requests and responses yes; JSON-RPC 2.0 and others no', () => {
  const s = jsonrpc1Decoder.sniff!;
  assert.equal(s(enc(C2S), 'c2s'), 'yes');
  assert.equal(s(enc(S2C), 's2c'), 'yes');
  assert.equal(s(enc('{"method":"Arith'), 'c2s'), 'more');
  assert.equal(s(enc('{"jsonrpc":"2.0","method":"x","params":[],"id":1}'), 'c2s'), 'no');
  assert.equal(s(enc('hello'), 'c2s'), 'no');
});

test('seeded fuzz: never throws, never invents bytes', () => {
  assert.ok(fuzz(jsonrpc1Decoder, [enc(C2S), enc(S2C), enc('{"a":[{"b":"\\"}"}]}')], 1000) > 100);
});

test('whitespace between values stays in the frames: every byte is accounted for', () => {
  const fs = assertSplitInvariant(jsonrpc1Decoder, [{ dir: 's2c', bytes: enc(S2C + '\n  ') }]);
  assert.equal(Buffer.concat(fs.map((f) => f.data)).toString(), S2C + '\n  ');
  assert.deepEqual(fs[1]!.payload, { start: 1, end: fs[1]!.data.length });
  assert.equal(fs[2]!.summary, '4 bytes of whitespace');
});

decoderSuite({
  decoder: jsonrpc1Decoder,
  vectors: [
    {
      name: 'Go jsonrpc calls both ways',
      input: [
        ['c2s', enc(C2S)],
        ['s2c', enc(S2C)],
      ],
    },
    { name: 'values back to back', input: [['c2s', enc('{"method":"A.B","params":[1],"id":1}{"method":"A.C","params":[{"x":"}"}],"id":2}')]] },
  ],
  fuzz: { iterations: 600 },
});
