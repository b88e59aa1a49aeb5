// Decoder bombs: inputs built to make a decoder allocate, recurse or loop without end. Each must
// give error frames (never throw), keep its memory bounded, and let the stream go on; every frame
// it returns must still be writable as a JSON Lines row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import '../../../extension/engine/decoders/core/all';
import type { Frame } from '../../../extension/engine/types';
import { toJson, TOO_DEEP } from '../../../extension/engine/util/json';

type Step = Uint8Array | string;
const bytes = (s: Step): Uint8Array => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

/** Push each step into a fresh decoder of `name`; return the frames per step. */
function run(name: string, steps: Step[]): Frame[][] {
  const dec = resolveDecoder(name).create();
  const out = steps.map((s) => dec.push('c2s', bytes(s)));
  out.push(dec.end('c2s'));
  for (const fs of out) for (const f of fs) assert.doesNotThrow(() => toJson({ decoded: f.decoded ?? null, summary: f.summary }), 'the frame can be written as JSON');
  return out;
}

const errors = (fs: Frame[][]) => fs.flat().filter((f) => f.error).length;

test('a length prefix of 4 GiB: error frames, nothing buffered toward the claimed length', () => {
  const before = process.memoryUsage().arrayBuffers;
  const out = run('len32be', [Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), Uint8Array.from([0, 0, 0, 2, 0x41, 0x42])]);
  assert.ok(errors(out) >= 1);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'no buffer sized by the claimed length');
});

test('LSP Content-Length of 99999999999999: an error frame, then the next message decodes', () => {
  const out = run('lsp', ['Content-Length: 99999999999999\r\n\r\n{}', 'Content-Length: 13\r\n\r\n{"method":"x"}'.replace('13', '14')]);
  assert.ok(errors(out) >= 1);
  assert.ok(
    out[1]!.some((f) => !f.error && /x/.test(f.summary)),
    JSON.stringify(out[1]!.map((f) => f.summary)),
  );
});

test('a ZMTP frame claiming 2^63 bytes: an error frame, no allocation', () => {
  const greeting = new Uint8Array(64);
  greeting[0] = 0xff;
  greeting[9] = 0x7f;
  greeting[10] = 3;
  Buffer.from('NULL').copy(greeting, 12);
  const before = process.memoryUsage().arrayBuffers;
  const out = run('zmtp', [greeting, Uint8Array.from([0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3])]);
  assert.ok(errors(out) >= 1);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024);
});

// gob's own integer encodings (encoding/gob: a byte count, negated, before big-endian bytes).
const gobUint = (n: number): number[] => {
  if (n < 128) return [n];
  const b: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) b.unshift(x & 0xff);
  return [256 - b.length, ...b];
};
const gobInt = (n: number): number[] => gobUint(n < 0 ? -n * 2 - 1 : n * 2);

test('a gob stream defining 150,000 types: past the limit each definition is an error frame, memory bounded', () => {
  const dec = resolveDecoder('gob').create();
  const heap0 = process.memoryUsage().heapUsed;
  let errs = 0;
  let frames = 0;
  let part: number[] = [];
  const N = 150_000;
  for (let id = 65; id < 65 + N; id++) {
    // wireType{StructT: structType{CommonType{Name: "T", Id: id}}}
    const body = [...gobInt(-id), 3, 1, 1, 1, 0x54, 1, ...gobInt(id), 0, 0, 0];
    part.push(...gobUint(body.length), ...body);
    if (part.length > 1 << 16 || id === 64 + N) {
      for (const f of dec.push('c2s', Uint8Array.from(part))) {
        frames++;
        if (f.error) errs++;
      }
      part = [];
    }
  }
  assert.equal(frames, N, 'one frame per definition');
  assert.ok(errs >= N - 100_000, `definitions past the limit are errors (${errs})`);
  assert.ok(process.memoryUsage().heapUsed - heap0 < 512 * 1024 * 1024, 'bounded memory');
});

test('an HPACK dynamic table size update of 2^32 and a header name claiming 2^28 bytes: error frames', () => {
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  const settings = Uint8Array.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
  const block = Uint8Array.from([0x3f, 0xe1, 0xff, 0xff, 0xff, 0x0f, 0x40, 0x7f, 0x81, 0x80, 0x80, 0x04]);
  const header = Uint8Array.from([0, 0, block.length, 1, 4, 0, 0, 0, 1]);
  const out = run('http2', [preface, settings, header, block]);
  assert.ok(errors(out) >= 1);
});

const deepJson = (n: number) => '['.repeat(n) + ']'.repeat(n);
const lspOf = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('JSON nested 1,000,000 levels (LSP, JSON-RPC lines, a batch of batches): no throw, rows writable, the stream goes on', () => {
  const out = run('lsp', [lspOf(deepJson(1_000_000)), lspOf('{"jsonrpc":"2.0","method":"after","id":1}')]);
  assert.ok(
    out[1]!.some((f) => /after/.test(f.summary)),
    'the next message decodes',
  );
  const deep = out[0]![0]!;
  assert.ok(toJson(deep.decoded).includes(TOO_DEEP), 'written down to the limit, then the marker');
  const lines = run('jsonrpc', [deepJson(200_000) + '\n', '{"jsonrpc":"2.0","method":"after","id":2}\n']);
  assert.ok(lines.flat().some((f) => /after/.test(f.summary)));
});

test('MessagePack nested 1,000,000 levels: error frames, no throw, the stream goes on', () => {
  const deep = new Uint8Array(1_000_001).fill(0x91); // fixarray of 1, a million times
  deep[deep.length - 1] = 0xc0;
  const out = run('msgpack', [deep, Uint8Array.from([0x2a])]);
  assert.ok(out.flat().length > 0);
  assert.ok(
    out.flat().some((f) => f.error),
    'said it could not decode it',
  );
});

test('protobuf nested 3,000 levels: no throw, bounded', () => {
  let msg = Buffer.alloc(0);
  for (let i = 0; i < 3000; i++) {
    const len: number[] = [];
    for (let n = msg.length; ; n >>>= 7) {
      if (n < 0x80) {
        len.push(n);
        break;
      }
      len.push((n & 0x7f) | 0x80);
    }
    msg = Buffer.concat([Buffer.from([0x0a, ...len]), msg]);
  }
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0]), msg]);
  framed.writeUInt32BE(msg.length, 0);
  const out = run('len32be+protobuf', [framed]);
  assert.ok(out.flat().length >= 1);
});
