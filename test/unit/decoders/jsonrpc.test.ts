import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decoderSuite, bytesOf, feed } from '../../helpers/decoder-suite';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import { parseJsonExact } from '../../../extension/engine/util/json';
import type { Frame } from '../../../extension/engine/types';

const lsp = (o: unknown) => {
  const body = typeof o === 'string' ? o : JSON.stringify(o);
  return bytesOf(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body);
};
const nd = (o: unknown) => bytesOf(JSON.stringify(o) + '\n');
const dec = () => resolveDecoder('jsonrpc').create();

const req = (id: unknown, method: string, params?: unknown) => ({ jsonrpc: '2.0', id, method, params });
const res = (id: unknown, result: unknown) => ({ jsonrpc: '2.0', id, result });

decoderSuite({
  decoder: 'jsonrpc',
  vectors: [
    {
      name: 'LSP framing both ways',
      input: [
        ['c2s', bytesOf(lsp(req(1, 'initialize', {})), lsp({ jsonrpc: '2.0', method: 'initialized', params: {} }))],
        ['s2c', lsp(res(1, { capabilities: {} }))],
      ],
    },
    {
      name: 'newline-delimited JSON',
      input: [
        ['stdin', nd(req('a', 'sum', [1, 2]))],
        ['stdout', nd(res('a', 3))],
      ],
    },
    {
      name: 'DAP',
      input: [
        ['c2s', lsp({ seq: 1, type: 'request', command: 'launch', arguments: {} })],
        ['s2c', lsp({ seq: 2, type: 'response', request_seq: 1, command: 'launch', success: true })],
      ],
    },
  ],
});

const summaries = (fs: Frame[]) => fs.map((f) => f.summary);

test('jsonrpc: requests pair with responses by (requesting direction, id); both sides may use the same id', () => {
  const frames = feed(
    dec(),
    [
      ['c2s', lsp(req(1, 'textDocument/hover'))],
      ['s2c', lsp(req(1, 'workspace/configuration'))], // server → client request with the same id
      ['c2s', lsp(res(1, [{}]))], // client answers the server's request 1
      ['s2c', lsp({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } })],
    ],
    'whole',
  );
  assert.deepEqual(summaries(frames), [
    'textDocument/hover #1',
    'workspace/configuration #1',
    'workspace/configuration #1 → [{}]',
    'textDocument/hover #1 → error -32601 Method not found',
  ]);
  assert.deepEqual(frames[0].pair, { key: 'c2s|n:1', role: 'request' });
  assert.deepEqual(frames[3].pair, { key: 'c2s|n:1', role: 'response' });
  assert.deepEqual(frames[1].pair, { key: 's2c|n:1', role: 'request' });
  assert.deepEqual(frames[2].pair, { key: 's2c|n:1', role: 'response' });
});

test('jsonrpc: string and number ids do not collide; notifications have no pair', () => {
  const frames = feed(dec(), [['stdin', bytesOf(nd(req('1', 'a')), nd(req(1, 'b')), nd({ jsonrpc: '2.0', method: 'note' }))]], 'whole');
  assert.notEqual(frames[0].pair!.key, frames[1].pair!.key);
  assert.equal(frames[2].pair, undefined);
  assert.equal(frames[2].summary, 'note (notification)');
});

test('jsonrpc: decoded is the message with exact big integers', () => {
  const text = '{"jsonrpc":"2.0","id":9007199254740993,"method":"m","params":{"v":-12345678901234567890,"f":0.30000000000000004}}';
  const [f] = feed(dec(), [['c2s', lsp(text)]], 'whole');
  assert.deepEqual(f.decoded, { jsonrpc: '2.0', id: 9007199254740993n, method: 'm', params: { v: -12345678901234567890n, f: 0.30000000000000004 } });
  assert.equal(f.summary, 'm #9007199254740993 {"v":-12345678901234567890,"f":0.30000000000000004}', 'params follow, as net/rpc args do');
});

test('jsonrpc: DAP messages are summarised by their own shape and paired by seq', () => {
  const frames = feed(
    dec(),
    [
      ['c2s', lsp({ seq: 3, type: 'request', command: 'setBreakpoints', arguments: {} })],
      ['s2c', lsp({ seq: 7, type: 'event', event: 'stopped', body: {} })],
      ['s2c', lsp({ seq: 8, type: 'response', request_seq: 3, command: 'setBreakpoints', success: false, message: 'no source' })],
    ],
    'whole',
  );
  assert.deepEqual(summaries(frames), ['DAP request setBreakpoints (seq 3)', 'DAP event stopped (seq 7)', 'DAP response setBreakpoints (seq 8 for 3) failed: no source']);
  assert.equal(frames[0].pair!.key, frames[2].pair!.key);
  assert.equal(frames[1].pair, undefined);
});

test('jsonrpc: invalid JSON is an error frame with the text; the next message still decodes', () => {
  const frames = feed(dec(), [['stdout', bytesOf('{"jsonrpc": oops}\n', nd(res(2, null)))]], 'bytes');
  assert.match(frames[0].error!, /invalid JSON/);
  assert.equal(frames[0].decoded, '{"jsonrpc": oops}');
  assert.equal(frames[1].error, undefined);
  assert.equal(frames[1].summary, 'response #2 → null');
});

test('jsonrpc: batches', () => {
  const [f] = feed(dec(), [['c2s', nd([req(1, 'a'), req(2, 'b')])]], 'whole');
  assert.equal(f.summary, 'batch of 2: a #1 | b #2');
});

test('parseJsonExact: exact integers; fractions, exponents and strings untouched', () => {
  assert.deepEqual(parseJsonExact('[12345678901234567890,0.1234567890123456789,1e-1234567890123456,"9999999999999999999",-9007199254740993,9007199254740991]'), [
    12345678901234567890n,
    // eslint-disable-next-line no-loss-of-precision -- the value JSON.parse gives for that text
    0.1234567890123456789,
    0,
    '9999999999999999999',
    -9007199254740993n,
    9007199254740991,
  ]);
  assert.deepEqual(parseJsonExact('{"k\\"1234567890123456789":1}'), { 'k"1234567890123456789': 1 });
});

test('jsonrpc: control characters in method names are escaped in the one-line summary (found by fuzzing)', () => {
  const [f] = feed(dec(), [['c2s', nd(req(1, 'a\nb'))]], 'whole');
  assert.equal(f.summary, 'a\\nb #1');
});

test('parseJsonExact: a number beyond a double (1e999, a 400-digit fraction) is kept as its text; strings and ordinary numbers are untouched', () => {
  const long = '1'.repeat(400) + '.5';
  assert.deepEqual(parseJsonExact(`{"code":-1e999,"f":${long},"s":"1e999","n":1e308,"x":2.5e-3}`), { code: '-1e999', f: long, s: '1e999', n: 1e308, x: 0.0025 });
});
