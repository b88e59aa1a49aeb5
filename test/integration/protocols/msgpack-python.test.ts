// MessagePack written by an independent encoder (Debian's python3-msgpack) through a real pipe,
// decoded chunk by chunk as the pipe delivered it; compared value by value with the encoder's own
// description of each value (exact integers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveDecoder } from '../../../extension/engine/protocols/registry';
import type { Frame } from '../../../extension/engine/types';
import { parseJsonExact } from '../../../extension/engine/util/json';

const PYTHON = process.env.IPCTAP_PYTHON ?? '/usr/bin/python3';
const PEER = resolve(__dirname, '../../fixtures/python/msgpack_peer.py');

async function capture(mode: string, decoder: string): Promise<{ frames: Frame[]; expected: unknown[]; chunks: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-msgpack-'));
  try {
    const expPath = join(dir, 'expected.jsonl');
    const child = spawn(PYTHON, [PEER, mode, expPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const dec = resolveDecoder(decoder).create();
    const frames: Frame[] = [];
    let chunks = 0;
    let bytes = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      chunks++;
      bytes += d.length;
      frames.push(...dec.push('stdout', d));
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    assert.equal(code, 0, `python peer failed: ${stderr}`);
    frames.push(...dec.end('stdout'));
    const expected = readFileSync(expPath, 'utf8').trim().split('\n').map((l) => parseJsonExact(l));
    return { frames, expected, chunks, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compare(frames: Frame[], expected: unknown[]): void {
  assert.deepEqual(frames.filter((f) => f.error).map((f) => f.error), [], 'no error frames');
  assert.equal(frames.length, expected.length, 'one frame per value');
  for (let i = 0; i < expected.length; i++) assert.deepEqual(frames[i].decoded, expected[i], `value ${i}`);
}

test('msgpack: values from python3-msgpack through a pipe, decoded exactly', async () => {
  const { frames, expected, chunks, bytes } = await capture('stream', 'msgpack');
  assert.ok(expected.length > 50);
  assert.ok(chunks > 1, 'the pipe delivered the stream in several chunks');
  compare(frames, expected);
  assert.equal(frames.reduce((n, f) => n + f.data.length, 0), bytes);
  // spot checks a user would make
  assert.ok(expected.includes(18446744073709551615n) && expected.includes(-9223372036854775808n));
  assert.ok(frames.some((f) => f.decoded === 9007199254740993n));
  assert.ok(frames.some((f) => f.decoded === '2023-11-14T22:13:20.123456789Z'));
});

test('len32be+msgpack: the same values behind 4-byte big-endian lengths', async () => {
  const { frames, expected, bytes } = await capture('len32be', 'len32be+msgpack');
  compare(frames, expected);
  assert.equal(frames.reduce((n, f) => n + f.data.length, 0), bytes, 'frames keep the length prefixes');
  assert.ok(frames.every((f) => f.payload && f.payload.start === 4));
});
