import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netrpcDecoder } from '../../../extension/engine/decoders/netrpc';
import { decoderSuite } from '../../helpers/decoder-suite';
import { assertSplitInvariant, fuzz, hex, i, msg, run, str, structDef, u, V } from '../../helpers/gob-util';

const calls = (fs: { decoded: unknown }[]) => fs.map((f) => f.decoded as Record<string, unknown>).filter((d) => d.kind === 'request' || d.kind === 'response');

test('net/rpc gob vectors: requests and responses with header+body bytes, paired by seq', () => {
  const fs = assertSplitInvariant(netrpcDecoder, [
    { dir: 'c2s', bytes: V.rpcC2S },
    { dir: 's2c', bytes: V.rpcS2C },
  ]);
  const c2s = fs.filter((f) => f.dir === 'c2s');
  const s2c = fs.filter((f) => f.dir === 's2c');
  // the Request typedef is its own frame; the Args typedef travels inside the first request
  assert.deepEqual((c2s[0]!.decoded as { kind: string }).kind, 'typedef');
  assert.equal(c2s[0]!.data.length, 48);
  assert.deepEqual(
    c2s.slice(1).map((f) => ({ d: f.decoded, pair: f.pair, len: f.data.length })),
    [
      { d: { kind: 'request', serviceMethod: 'Arith.Multiply', seq: 0, args: { A: 7, B: 8 }, bodyType: 'Args' }, pair: { key: 'seq:0', role: 'request' }, len: 20 + 31 + 8 },
      { d: { kind: 'request', serviceMethod: 'Arith.Divide', seq: 1, args: { A: 7, B: 0 }, bodyType: 'Args' }, pair: { key: 'seq:1', role: 'request' }, len: 26 },
      { d: { kind: 'request', serviceMethod: 'Arith.Multiply', seq: 2, args: { A: 2, B: 3 }, bodyType: 'Args' }, pair: { key: 'seq:2', role: 'request' }, len: 30 },
      { d: { kind: 'request', serviceMethod: 'Nope.X', seq: 3, args: { A: 1, B: 1 }, bodyType: 'Args' }, pair: { key: 'seq:3', role: 'request' }, len: 22 },
    ],
  );
  assert.deepEqual(calls(s2c), [
    { kind: 'response', serviceMethod: 'Arith.Multiply', seq: 0, reply: 56, error: '', bodyType: 'int' },
    { kind: 'response', serviceMethod: 'Arith.Divide', seq: 1, reply: null, error: 'divide by zero', bodyType: 'struct {}' },
    { kind: 'response', serviceMethod: 'Arith.Multiply', seq: 2, reply: 6, error: '', bodyType: 'int' },
    { kind: 'response', serviceMethod: 'Nope.X', seq: 3, reply: null, error: "rpc: can't find service Nope.X", bodyType: 'struct {}' },
  ]);
  assert.equal(s2c[2]!.summary, '← Arith.Divide #1 error: divide by zero');
  assert.equal(c2s[1]!.summary, '→ Arith.Multiply #0 {"A":7,"B":8}');
  // every byte is in exactly one frame, in order
  assert.equal(Buffer.concat(c2s.map((f) => f.data)).toString('hex'), Buffer.from(V.rpcC2S).toString('hex'));
  assert.equal(Buffer.concat(s2c.map((f) => f.data)).toString('hex'), Buffer.from(V.rpcS2C).toString('hex'));
});

test('HTTP transport: CONNECT and its answer are frames of their own, then gob', () => {
  const fs = assertSplitInvariant(netrpcDecoder, [
    { dir: 'c2s', bytes: Uint8Array.from([...V.httpConnect, ...V.rpcC2S]) },
    { dir: 's2c', bytes: Uint8Array.from([...V.httpConnected, ...V.rpcS2C]) },
  ]);
  assert.deepEqual(fs[0]!.decoded, { kind: 'connect', method: 'CONNECT', path: '/_goRPC_', proto: 'HTTP/1.0' });
  assert.equal(Buffer.from(fs[0]!.data).toString(), 'CONNECT /_goRPC_ HTTP/1.0\n\n');
  const answer = fs.find((f) => f.dir === 's2c')!;
  assert.deepEqual(answer.decoded, { kind: 'connected', proto: 'HTTP/1.0', status: 200, text: '200 Connected to Go RPC' });
  assert.equal(calls(fs).length, 8);
  // a refused handshake: the rest is shown raw, not misread as gob
  // (raw chunks follow the tap's chunking, so this one is decoded whole only)
  const refused = run(netrpcDecoder.create(), [{ dir: 's2c', bytes: new TextEncoder().encode('HTTP/1.0 405 Method Not Allowed\r\n\r\n405 must CONNECT\n') }]);
  assert.match(refused[0]!.error!, /refused/);
  assert.equal(Buffer.concat(refused.slice(1).map((f) => f.data)).toString(), '405 must CONNECT\n');
});

test('mid-stream: a capture starting after the header types were sent reports them and goes on', () => {
  // start at the second request (types 72 and 74 unseen): errors, never a throw or a stall
  const fs = assertSplitInvariant(netrpcDecoder, [{ dir: 'c2s', bytes: V.rpcC2S.subarray(0x6b) }]);
  assert.ok(fs.length >= 2);
  assert.ok(fs.every((f) => f.error?.includes('was defined before the capture started')));
});

test('mid-stream both ways: headers recognised by their shape become calls, paired by seq; bodies whose types went before say so', () => {
  const s2cAt = Buffer.from(V.rpcS2C).indexOf(Buffer.from('23ff94010c', 'hex')); // (the Arith.Divide response)
  const fs = assertSplitInvariant(netrpcDecoder, [
    { dir: 'c2s', bytes: V.rpcC2S.subarray(0x6b) },
    { dir: 's2c', bytes: V.rpcS2C.subarray(s2cAt) },
  ]);
  const got = fs.map((f) => ({ dir: f.dir, d: f.decoded, pair: f.pair, error: f.error }));
  const missing = 'type 73 was defined before the capture started';
  assert.deepEqual(got, [
    { dir: 'c2s', d: { kind: 'request', serviceMethod: 'Arith.Divide', seq: 1, args: null }, pair: { key: 'seq:1', role: 'request' }, error: missing },
    { dir: 'c2s', d: { kind: 'request', serviceMethod: 'Arith.Multiply', seq: 2, args: null }, pair: { key: 'seq:2', role: 'request' }, error: missing },
    { dir: 'c2s', d: { kind: 'request', serviceMethod: 'Nope.X', seq: 3, args: null }, pair: { key: 'seq:3', role: 'request' }, error: missing },
    {
      dir: 's2c',
      d: { kind: 'response', serviceMethod: 'Arith.Divide', seq: 1, reply: null, error: 'divide by zero', bodyType: 'struct {}' },
      pair: { key: 'seq:1', role: 'response' },
      error: undefined,
    },
    {
      dir: 's2c',
      d: { kind: 'response', serviceMethod: 'Arith.Multiply', seq: 2, reply: 6, error: '', bodyType: 'int' },
      pair: { key: 'seq:2', role: 'response' },
      error: undefined,
    },
    {
      dir: 's2c',
      d: { kind: 'response', serviceMethod: 'Nope.X', seq: 3, reply: null, error: "rpc: can't find service Nope.X", bodyType: 'struct {}' },
      pair: { key: 'seq:3', role: 'response' },
      error: undefined,
    },
  ]);
  // The responses seen first (no Error in the first): still responses once a header with an Error shows the way.
  const back = run(netrpcDecoder.create(), [{ dir: 'c2s', bytes: V.rpcS2C.subarray(s2cAt) }]);
  assert.deepEqual(
    back.map((f) => (f.decoded as { kind: string }).kind),
    ['response', 'response', 'response'],
  );
});

test('a header without its body (stream ended) is still shown, with an error', () => {
  const fs = assertSplitInvariant(netrpcDecoder, [{ dir: 'c2s', bytes: V.rpcC2S.subarray(0, 0x44) }]);
  const last = fs[fs.length - 1]!;
  assert.equal((last.decoded as { serviceMethod: string }).serviceMethod, 'Arith.Multiply');
  assert.match(last.error!, /ended before the body/);
});

test('sniff: CONNECT, the 200 answer and a Request/Response typedef say yes; other gob no', () => {
  const s = netrpcDecoder.sniff!;
  assert.equal(s(V.httpConnect, 'c2s'), 'yes');
  assert.equal(s(V.httpConnect.subarray(0, 4), 'c2s'), 'more');
  assert.equal(s(V.httpConnected, 's2c'), 'yes');
  assert.equal(s(V.rpcC2S, 'c2s'), 'yes');
  assert.equal(s(V.rpcS2C.subarray(0, 30), 's2c'), 'more');
  assert.equal(s(V.rpcS2C, 's2c'), 'yes');
  assert.equal(s(V.point2, 'c2s'), 'no');
  assert.equal(s(hex('7b 22'), 'c2s'), 'no');
  // Joined mid-stream: a header value of a user type whose first field is "Service.Method".
  assert.equal(s(V.rpcC2S.subarray(0x6b), 'c2s'), 'yes');
  assert.equal(s(V.rpcC2S.subarray(0x6b, 0x6b + 8), 'c2s'), 'more');
  assert.equal(s(hex('13 ff 90 01 0c 41 72 20'), 'c2s'), 'no'); // (a space: not a method name)
  assert.equal(s(hex('13 ff 90 01 0c 41 72 69 74 68 2d 44 69 76 69 64 65 01 01 00'), 'c2s'), 'no'); // (no dot)
  assert.equal(s(new TextEncoder().encode('hello world\n'), 'c2s'), 'no');
});

test('seeded fuzz: never throws, never invents bytes', () => {
  const corpus = [V.rpcC2S, V.rpcS2C, Uint8Array.from([...V.httpConnect, ...V.rpcC2S]), Uint8Array.from([...V.httpConnected, ...V.rpcS2C])];
  assert.ok(fuzz(netrpcDecoder, corpus, 1000) > 200);
});

decoderSuite({
  decoder: netrpcDecoder,
  vectors: [
    {
      name: 'gob calls both ways',
      input: [
        ['c2s', V.rpcC2S],
        ['s2c', V.rpcS2C],
      ],
    },
    {
      name: 'HTTP CONNECT then gob',
      input: [
        ['c2s', Uint8Array.from([...V.httpConnect, ...V.rpcC2S])],
        ['s2c', Uint8Array.from([...V.httpConnected, ...V.rpcS2C])],
      ],
    },
  ],
  fuzz: { iterations: 600 },
});

test('summaries are one line whatever the stream holds: method names, errors and values with control characters', () => {
  const method = 'Arith\nMul\u2028x\u007f';
  const err = 'bad\r\nthing\u2029';
  const c2s = Uint8Array.from([
    ...structDef(65, 'Request', [
      ['ServiceMethod', 6],
      ['Seq', 3],
    ]),
    ...msg(i(65), [1, ...str(method), 1, ...u(1), 0]),
    ...msg(i(6), [0, ...str('line1\nline2')]),
  ]);
  const s2c = Uint8Array.from([
    ...structDef(66, 'Response', [
      ['ServiceMethod', 6],
      ['Seq', 3],
      ['Error', 6],
    ]),
    ...msg(i(66), [1, ...str(method), 1, ...u(1), 1, ...str(err), 0]),
    ...msg(i(2), [0, ...i(0)]),
  ]);
  const d = netrpcDecoder.create();
  const fs = [...d.push('c2s', c2s), ...d.push('s2c', s2c), ...d.end('c2s'), ...d.end('s2c')];
  const cs = calls(fs);
  assert.equal(cs.length, 2);
  assert.equal(cs[0]!.serviceMethod, method, 'decoded values keep the text as sent');
  assert.equal(cs[1]!.error, err);
  for (const f of fs) assert.doesNotMatch(f.summary, /[\u0000-\u001f\u007f\u2028\u2029]/, f.summary);
  assert.ok(
    fs.some((f) => f.summary.includes('Arith\\nMul')),
    'the newline is shown escaped',
  );
});
