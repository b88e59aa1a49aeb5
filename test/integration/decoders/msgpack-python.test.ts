// MessagePack written by an independent encoder (Debian's python3-msgpack), launched under
// `ipctap run` (the built CLI): its stdout is captured by the product's real stdio tap (direction
// stdout) into a .ipctap file, and the capture's stdout chunks are decoded chunk by chunk as the
// tap captured them; compared value by value with the encoder's own description of each value
// (exact integers), which it writes to a JSON Lines file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openCapture } from '../../../extension/engine/capture/reader';
import { resolveDecoder } from '../../../extension/engine/decoders/core/registry';
import type { Frame } from '../../../extension/engine/types';
import { parseJsonExact } from '../../../extension/engine/util/json';
import { cliEnv, runCli } from '../../helpers/cli';

const PYTHON = process.env.IPCTAP_PYTHON ?? '/usr/bin/python3';
const PEER = resolve(__dirname, '../../fixtures/python/msgpack_peer.py');

async function capture(mode: string, decoder: string): Promise<{ frames: Frame[]; expected: unknown[]; chunks: number; bytes: number }> {
  const env = cliEnv();
  try {
    const expPath = join(env.dir, 'expected.jsonl');
    const cap = join(env.dir, 'msgpack.ipctap');
    const r = await runCli(['run', '-q', '-w', cap, '--no-stdin', '--', PYTHON, PEER, mode, expPath], { env: env.env, timeoutMs: 60000 });
    assert.equal(r.code, 0, `ipctap run failed: ${r.stderr}`);
    const dec = resolveDecoder(decoder).create();
    const frames: Frame[] = [];
    const exits: (number | null | undefined)[] = [];
    let chunks = 0;
    let bytes = 0;
    const reader = await openCapture(cap);
    try {
      for await (const { record } of reader.records()) {
        if (record.t === 'c') {
          assert.equal(record.dir, 'stdout', `the python peer wrote to ${record.dir}: ${Buffer.from(record.data).toString()}`);
          chunks++;
          bytes += record.data.length;
          frames.push(...dec.push('stdout', record.data));
        } else if (record.t === 'e' && record.kind === 'exit') exits.push(record.code);
      }
      assert.deepEqual(reader.warnings, []);
    } finally {
      await reader.close();
    }
    assert.deepEqual(exits, [0], `python peer failed: ${r.stderr}`);
    frames.push(...dec.end('stdout'));
    const expected = readFileSync(expPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseJsonExact(l));
    return { frames, expected, chunks, bytes };
  } finally {
    env.cleanup();
  }
}

function compare(frames: Frame[], expected: unknown[]): void {
  assert.deepEqual(
    frames.filter((f) => f.error).map((f) => f.error),
    [],
    'no error frames',
  );
  assert.equal(frames.length, expected.length, 'one frame per value');
  for (let i = 0; i < expected.length; i++) assert.deepEqual(frames[i].decoded, expected[i], `value ${i}`);
}

test('msgpack: values from python3-msgpack through the stdio tap, decoded exactly', async () => {
  const { frames, expected, chunks, bytes } = await capture('stream', 'msgpack');
  assert.ok(expected.length > 50);
  assert.ok(chunks > 1, 'the stdio tap captured the stream in several chunks');
  compare(frames, expected);
  assert.equal(
    frames.reduce((n, f) => n + f.data.length, 0),
    bytes,
  );
  // spot checks a user would make
  assert.ok(expected.includes(18446744073709551615n) && expected.includes(-9223372036854775808n));
  assert.ok(frames.some((f) => f.decoded === 9007199254740993n));
  assert.ok(frames.some((f) => f.decoded === '2023-11-14T22:13:20.123456789Z'));
});

test('len32be+msgpack: the same values behind 4-byte big-endian lengths', async () => {
  const { frames, expected, bytes } = await capture('len32be', 'len32be+msgpack');
  compare(frames, expected);
  assert.equal(
    frames.reduce((n, f) => n + f.data.length, 0),
    bytes,
    'frames keep the length prefixes',
  );
  assert.ok(frames.every((f) => f.payload && f.payload.start === 4));
});
