import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decoderSuite, bytesOf, feed } from '../../helpers/decoder-suite';
import { listDecoders, resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { ALL_DECODERS } from '../../../extension/engine/decoders/core/all';
import { AutoConnDecoder, SNIFF_CAP, sniffOrder } from '../../../extension/engine/decoders/core/auto';
import type { DecoderInfo } from '../../../extension/engine/decoders/core/decoder';
import { UserError } from '../../../extension/engine/util/errors';

const lsp = (o: unknown) => {
  const body = JSON.stringify(o);
  return bytesOf(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body);
};

test('registry: lists every decoder in ALL_DECODERS plus auto, names unique', () => {
  const names = listDecoders().map((d) => d.name);
  for (const d of ALL_DECODERS) assert.ok(names.includes(d.name), d.name);
  for (const n of ['raw', 'lines', 'len16be', 'len16le', 'len32be', 'len32le', 'lenvarint', 'lsp', 'jsonrpc', 'msgpack', 'protobuf', 'auto']) assert.ok(names.includes(n), n);
  assert.equal(new Set(names).size, names.length);
  assert.ok(listDecoders().every((d) => d.description.length > 0));
});

test('registry: unknown names are a UserError listing what is available', () => {
  assert.throws(
    () => resolveDecoder('msgpak'),
    (e: unknown) => e instanceof UserError && e.exitCode === 1 && /unknown decoder "msgpak"; available: .*lines.*msgpack/.test(e.message),
  );
  assert.throws(() => resolveDecoder('len32be+nope'), /unknown decoder "nope"/);
  assert.throws(() => resolveDecoder('+msgpack'), /use OUTER\+INNER/);
  assert.throws(() => resolveDecoder('auto+lines'), /cannot be the outer/);
});

test('registry: layered names resolve, nest, and keep their full name', () => {
  assert.equal(resolveDecoder('len32be+msgpack').name, 'len32be+msgpack');
  assert.equal(resolveDecoder(' lines + jsonrpc ').name, 'lines+jsonrpc');
  assert.equal(resolveDecoder('len16le+lines+jsonrpc').name, 'len16le+lines+jsonrpc');
});

test('layered lines+jsonrpc: each line is one message; pairing works across directions', () => {
  const d = resolveDecoder('lines+jsonrpc').create();
  const frames = feed(
    d,
    [
      ['stdin', bytesOf('{"jsonrpc":"2.0","id":1,"method":"ping"}\r\n')],
      ['stdout', bytesOf('{"jsonrpc":"2.0","id":1,"result":"pong"}')],
    ],
    'bytes',
  );
  assert.deepEqual(
    frames.map((f) => f.summary),
    ['ping #1', 'ping #1 → "pong"'],
  );
  assert.equal(frames[0].pair!.key, frames[1].pair!.key);
  assert.deepEqual(frames[0].payload, { start: 0, end: frames[0].data.length - 2 });
});

test('layered: a payload with two inner values gives their array; a partial one is a truncation error', () => {
  const d = resolveDecoder('len16be+msgpack').create();
  const frames = feed(d, [['c2s', bytesOf([0, 2, 0x01, 0x02], [0, 2, 0x92, 0x01])]], 'whole');
  assert.deepEqual(frames[0].decoded, [1, 2]);
  assert.match(frames[0].summary, /^2 messages: 1 \| 2/);
  assert.match(frames[1].error!, /truncated MessagePack value/);
  assert.equal(frames.length, 2);
});

test('layered: outer errors pass through untouched', () => {
  const frames = feed(resolveDecoder('len16be+msgpack').create({ maxFrame: 4 }), [['c2s', bytesOf([0, 9], new Uint8Array(9))]], 'whole');
  assert.match(frames[0].error!, /exceeds the limit/);
});

decoderSuite({
  decoder: 'len32be+msgpack',
  vectors: [
    {
      name: 'framed values',
      input: [
        ['c2s', bytesOf([0, 0, 0, 1, 0x07], [0, 0, 0, 3, 0x92, 0xa1, 0x61, 0xc0].slice(0, 7))],
        ['s2c', bytesOf([0, 0, 0, 1, 0xc3])],
      ],
    },
  ],
});

// ---- auto ----

test('auto: each direction sniffed on its own; the chosen decoder is in frame.proto', () => {
  const d = resolveDecoder('auto').create();
  const frames = feed(
    d,
    [
      ['stdout', bytesOf('ready\nserving\n')],
      ['stderr', bytesOf([0, 1, 2, 3, 0xff])],
    ],
    'whole',
  );
  assert.deepEqual(
    frames.map((f) => [f.dir, f.proto]),
    [
      ['stdout', 'lines'],
      ['stdout', 'lines'],
      ['stderr', 'raw'],
    ],
  );
});

test('auto: both directions of an LSP session share one jsonrpc instance, so responses pair', () => {
  const d = resolveDecoder('auto').create();
  const frames = feed(
    d,
    [
      ['stdin', lsp({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} })],
      ['stdout', lsp({ jsonrpc: '2.0', id: 1, result: {} })],
    ],
    'bytes',
  );
  assert.deepEqual(
    frames.map((f) => f.proto),
    ['jsonrpc', 'jsonrpc'],
  );
  assert.equal(frames[1].summary, 'initialize #1 → {}');
  assert.equal(frames[0].pair!.key, frames[1].pair!.key);
});

test('auto: newline-delimited JSON-RPC picks jsonrpc; other JSON lines fall back to lines', () => {
  const a = feed(resolveDecoder('auto').create(), [['c2s', bytesOf('{"jsonrpc":"2.0","method":"x"}\n')]], 'bytes');
  assert.equal(a[0].proto, 'jsonrpc');
  const b = feed(resolveDecoder('auto').create(), [['c2s', bytesOf('{"level":"info"}\n')]], 'bytes');
  assert.equal(b[0].proto, 'lines');
});

function fake(name: string, priority: number, sniff: DecoderInfo['sniff']): DecoderInfo {
  return {
    name,
    description: name,
    priority,
    sniff,
    create: () => ({
      push: (dir, bytes) => [{ dir, data: bytes, summary: name, decoded: null }],
      end: () => [],
    }),
  };
}

test('auto: priority order; a higher decoder saying "more" is waited for, up to the cap or end()', () => {
  const hi = fake('hi', 5, (h) => (h.length < 3 ? 'more' : h[0] === 0x41 ? 'yes' : 'no'));
  const lo = fake('lo', 1, () => 'yes');
  assert.deepEqual(
    sniffOrder([lo, hi]).map((d) => d.name),
    ['hi', 'lo'],
  );
  const a = new AutoConnDecoder(sniffOrder([lo, hi]));
  assert.deepEqual(a.push('c2s', bytesOf('AB')), []);
  assert.equal(a.push('c2s', bytesOf('C'))[0].proto, 'hi');
  const b = new AutoConnDecoder(sniffOrder([lo, hi]));
  assert.deepEqual(b.push('c2s', bytesOf('x')), []);
  assert.equal(b.end('c2s')[0].proto, 'lo'); // at end, "more" counts as "no"
  const c = new AutoConnDecoder(sniffOrder([fake('slow', 1, () => 'more')]));
  assert.deepEqual(c.push('c2s', new Uint8Array(SNIFF_CAP - 1)), []);
  const out = c.push('c2s', new Uint8Array(1));
  assert.equal(out[0].proto, 'raw');
  assert.equal(out[0].data.length, SNIFF_CAP);
});

test('auto: a sniff function that throws counts as "no"', () => {
  const bad = fake('bad', 9, () => {
    throw new Error('boom');
  });
  const a = new AutoConnDecoder(sniffOrder([bad]));
  assert.equal(a.push('c2s', bytesOf('x'))[0].proto, 'raw');
});

decoderSuite({
  decoder: 'auto',
  truncation: false, // a cut head may sniff as something else (raw): no error expected
  vectors: [
    {
      name: 'LSP both ways',
      input: [
        ['c2s', lsp({ jsonrpc: '2.0', id: 'a', method: 'm' })],
        ['s2c', lsp({ jsonrpc: '2.0', id: 'a', result: 1 })],
      ],
    },
    { name: 'text lines', input: [['stdout', bytesOf('hello\nworld\n')]] },
  ],
});
