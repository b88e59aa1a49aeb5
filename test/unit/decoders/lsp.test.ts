import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decoderSuite, bytesOf, feed } from '../../helpers/decoder-suite';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';

const lsp = (body: string, headers = 'Content-Length') => bytesOf(`${headers}: ${Buffer.byteLength(body)}\r\n\r\n`, body);
const dec = (opts?: Record<string, unknown>) => resolveDecoder('lsp').create(opts);

decoderSuite({
  decoder: 'lsp',
  vectors: [
    {
      name: 'two messages with unicode and a Content-Type header',
      input: [
        ['c2s', bytesOf(lsp('{"a":"é✓"}'), 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n', lsp('{"b":[1,2]}'))],
        ['s2c', lsp('not json')],
      ],
    },
    { name: 'garbage then a message', input: [['c2s', bytesOf('garbage!\r\n', lsp('{"x":1}'))]] },
  ],
});

test('lsp: Content-Length counts UTF-8 bytes; decoded is the JSON body', () => {
  const frames = feed(dec(), [['c2s', bytesOf(lsp('{"t":"é✓"}'), lsp('{"n":12345678901234567890}'))]], 'bytes');
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0].decoded, { t: 'é✓' });
  assert.deepEqual(frames[1].decoded, { n: 12345678901234567890n });
  const body = Buffer.from(frames[0].data.subarray(frames[0].payload!.start, frames[0].payload!.end)).toString();
  assert.equal(body, '{"t":"é✓"}');
});

test('lsp: header names in any case, LF-only line ends', () => {
  const frames = feed(dec(), [['c2s', bytesOf('content-LENGTH: 2\n\n{}')]], 'whole');
  assert.equal(frames.length, 1);
  assert.equal(frames[0].error, undefined);
  assert.deepEqual(frames[0].decoded, {});
});

test('lsp: a body that is not JSON is shown as text, not an error', () => {
  const [f] = feed(dec(), [['c2s', lsp('hello')]], 'whole');
  assert.equal(f.decoded, 'hello');
  assert.equal(f.error, undefined);
});

test('lsp: bad headers give an error frame and decoding resyncs at the next Content-Length', () => {
  const input = bytesOf('Content-Length: abc\r\n\r\nxx', 'junk\r\n', lsp('{"ok":true}'));
  for (const split of ['whole', 'bytes'] as const) {
    const frames = feed(dec(), [['c2s', input]], split);
    assert.equal(frames.length, 2, split);
    assert.match(frames[0].error!, /bad Content-Length "abc"/);
    assert.equal(Buffer.from(frames[0].data).toString(), 'Content-Length: abc\r\n\r\nxxjunk\r\n');
    assert.deepEqual(frames[1].decoded, { ok: true });
  }
});

test('lsp: headers without Content-Length, and a length above maxFrame, are errors', () => {
  const a = feed(dec(), [['c2s', bytesOf('Content-Type: x\r\n\r\n{}', lsp('1'))]], 'whole');
  assert.match(a[0].error!, /without Content-Length/);
  assert.equal(a[1].decoded, 1);
  const b = feed(dec({ maxFrame: 10 }), [['c2s', lsp('{"a":"0123456789"}')]], 'whole');
  assert.match(b[0].error!, /exceeds the limit of 10/);
});

test('lsp: truncated body at end() names both lengths', () => {
  const [f] = feed(dec(), [['c2s', bytesOf('Content-Length: 10\r\n\r\n{"a"')]], 'whole');
  assert.equal(f.error, 'truncated message: Content-Length 10, got 4 B');
});

test('lsp: pure garbage with no Content-Length is passed on in bounded pieces', () => {
  const junk = new Uint8Array(20000).fill(0x41);
  const frames = feed(dec(), [['c2s', junk]], 'whole');
  assert.ok(frames.length >= 3);
  assert.ok(frames.every((f) => f.error && f.data.length <= 8192));
  assert.equal(
    frames.reduce((n, f) => n + f.data.length, 0),
    20000,
  );
});
