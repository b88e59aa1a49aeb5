import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decoderSuite, bytesOf, feed, type Segment } from '../../helpers/decoder-suite';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';

const dec = (name: string, opts?: Record<string, unknown>) => resolveDecoder(name).create(opts);

decoderSuite({
  decoder: 'raw',
  chunkSensitive: true,
  vectors: [
    {
      name: 'text and binary',
      input: [
        ['c2s', bytesOf('hello')],
        ['s2c', bytesOf([0, 1, 2, 255])],
      ],
    },
  ],
});

decoderSuite({
  decoder: 'lines',
  truncation: false,
  options: { maxFrame: 16 },
  vectors: [
    { name: 'LF and CRLF', input: [['stdout', bytesOf('one\ntwo\r\n\nthree\n')]] },
    { name: 'over-long line then a short one', input: [['stdout', bytesOf('x'.repeat(40) + '\nok\n')]] },
    {
      name: 'both directions',
      input: [
        ['c2s', bytesOf('ping\n')],
        ['s2c', bytesOf('pong\n')],
        ['c2s', bytesOf('bye')],
      ],
    },
  ],
});

test('lines: text without terminator, bytes kept, \\r dropped only before \\n', () => {
  const frames = feed(dec('lines'), [['stdout', bytesOf('a\r\nb\rc\n\nlast')]], 'whole');
  assert.deepEqual(
    frames.map((f) => f.decoded),
    ['a', 'b\rc', '', 'last'],
  );
  assert.deepEqual(
    frames.map((f) => Buffer.from(f.data).toString()),
    ['a\r\n', 'b\rc\n', '\n', 'last'],
  );
  assert.deepEqual(frames[0].payload, { start: 0, end: 1 });
  assert.ok(frames.every((f) => f.error === undefined));
  assert.equal(frames[1].summary, 'b\\rc');
});

test('lines: a line longer than maxFrame becomes error frames, then decoding resyncs', () => {
  const frames = feed(dec('lines', { maxFrame: 8 }), [['c2s', bytesOf('0123456789abcdefXYZ\nnext\n')]], 'bytes');
  assert.deepEqual(
    frames.map((f) => Buffer.from(f.data).toString()),
    ['01234567', '89abcdef', 'XYZ\n', 'next\n'],
  );
  assert.match(frames[0].error!, /longer than 8 bytes/);
  assert.ok(frames[1].error && frames[2].error);
  assert.equal(frames[3].error, undefined);
  assert.equal(frames[3].decoded, 'next');
});

const lenVectors = (name: string, frame: (payload: Uint8Array) => Uint8Array): Segment[] => [
  ['c2s', bytesOf(frame(bytesOf('hello')), frame(bytesOf([])), frame(bytesOf([1, 2, 3])))],
  ['s2c', frame(bytesOf('x'.repeat(300)))],
];
const be16 = (p: Uint8Array) => bytesOf([p.length >> 8, p.length & 255], p);
const le16 = (p: Uint8Array) => bytesOf([p.length & 255, p.length >> 8], p);
const be32 = (p: Uint8Array) => bytesOf([0, 0, p.length >> 8, p.length & 255], p);
const le32 = (p: Uint8Array) => bytesOf([p.length & 255, p.length >> 8, 0, 0], p);
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const vint = (p: Uint8Array) => bytesOf(varint(p.length), p);
const FRAMERS: [string, (p: Uint8Array) => Uint8Array][] = [
  ['len16be', be16],
  ['len16le', le16],
  ['len32be', be32],
  ['len32le', le32],
  ['lenvarint', vint],
];
for (const [name, frame] of FRAMERS) {
  decoderSuite({ decoder: name, vectors: [{ name: 'payloads of 5, 0, 3 and 300 bytes', input: lenVectors(name, frame) }] });
  test(`${name}: prefix excluded from the length, payload range marks the body`, () => {
    const frames = feed(dec(name), lenVectors(name, frame), 'whole');
    assert.equal(frames.length, 4);
    assert.equal(frames[0].decoded, 'hello');
    const pre = frames[0].data.length - 5;
    assert.deepEqual(frames[0].payload, { start: pre, end: pre + 5 });
    assert.deepEqual(Buffer.from(frames[2].data.subarray(frames[2].payload!.start)), Buffer.from([1, 2, 3]));
    assert.equal(frames[1].payload!.end - frames[1].payload!.start, 0);
    assert.equal(frames[3].dir, 's2c');
    assert.equal(frames[3].decoded, 'x'.repeat(300));
    assert.ok(frames.every((f) => f.error === undefined));
  });
}

test('lenvarint: 300 is the two-byte varint ac 02', () => {
  const frames = feed(dec('lenvarint'), [['c2s', bytesOf([0xac, 0x02], new Uint8Array(300))]], 'bytes');
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0].payload, { start: 2, end: 302 });
});

test('len32be: a length above maxFrame is passed on as error frames and decoding resumes after the body', () => {
  const input: Segment[] = [['c2s', bytesOf([0, 0, 0, 20], new Uint8Array(20).fill(7), [0, 0, 0, 2], 'ok')]];
  const frames = feed(dec('len32be', { maxFrame: 10 }), input, 'bytes');
  const bad = frames.filter((f) => f.error);
  assert.match(bad[0].error!, /length 20 exceeds the limit of 10/);
  assert.equal(
    bad.reduce((n, f) => n + f.data.length, 0),
    24,
  );
  const last = frames[frames.length - 1];
  assert.equal(last.error, undefined);
  assert.equal(last.decoded, 'ok');
});

test('len16be: truncated frame at end() is an error frame naming the lengths', () => {
  const frames = feed(dec('len16be'), [['c2s', bytesOf([0, 9], 'abc')]], 'whole');
  assert.equal(frames.length, 1);
  assert.equal(frames[0].error, 'truncated frame: length 9, got 3 B');
  const pre = feed(dec('len32le'), [['c2s', bytesOf([1])]], 'whole');
  assert.match(pre[0].error!, /truncated length prefix/);
});

test('lenvarint: an 11-byte varint loses the framing; the rest is passed on as errors', () => {
  const frames = feed(dec('lenvarint'), [['c2s', bytesOf(new Array(11).fill(0xff), 'tail')]], 'whole');
  assert.match(frames[0].error!, /invalid varint/);
  assert.equal(
    frames.reduce((n, f) => n + f.data.length, 0),
    15,
  );
});
