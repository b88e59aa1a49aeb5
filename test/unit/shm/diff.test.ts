import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffSnapshots, type ByteSpan } from '../../../extension/engine/shm/diff';
import { prng, randInt } from '../../helpers/decoder-suite';

/** The obvious byte-by-byte version, for comparison. */
function reference(a: Uint8Array, b: Uint8Array, gap: number): ByteSpan[] {
  const out: ByteSpan[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const last = out[out.length - 1];
    if (last && i - (last.offset + last.length) < gap) last.length = i + 1 - last.offset;
    else out.push({ offset: i, length: 1 });
  }
  return out;
}

test('diff: equal snapshots have no changes', () => {
  assert.deepEqual(diffSnapshots(Buffer.alloc(10000, 7), Buffer.alloc(10000, 7)), []);
});

test('diff: runs closer than the gap merge, farther ones stay apart', () => {
  const a = Buffer.alloc(64);
  const b = Buffer.from(a);
  b[0] = 1; // run 1
  b[3] = 1; // 2 equal bytes between: merged with gap 8
  b[20] = 1; // 16 equal bytes from the last: a new range
  b[63] = 1; // the last byte
  assert.deepEqual(diffSnapshots(a, b, 8), [
    { offset: 0, length: 4 },
    { offset: 20, length: 1 },
    { offset: 63, length: 1 },
  ]);
  assert.deepEqual(diffSnapshots(a, b, 1), [
    { offset: 0, length: 1 },
    { offset: 3, length: 1 },
    { offset: 20, length: 1 },
    { offset: 63, length: 1 },
  ]);
  assert.deepEqual(diffSnapshots(a, b, 100), [{ offset: 0, length: 64 }]);
});

test('diff: a change across a block boundary is one range; distant blocks are separate', () => {
  const a = Buffer.alloc(3 * 4096 + 100);
  const b = Buffer.from(a);
  b.fill(9, 4090, 4100);
  b[3 * 4096 + 99] = 5;
  assert.deepEqual(diffSnapshots(a, b), [
    { offset: 4090, length: 10 },
    { offset: 3 * 4096 + 99, length: 1 },
  ]);
});

test('diff: a grown or shrunk snapshot changes the bytes past the shorter one', () => {
  assert.deepEqual(diffSnapshots(Buffer.alloc(10), Buffer.alloc(20)), [{ offset: 10, length: 10 }]);
  const a = Buffer.alloc(20);
  const b = Buffer.alloc(10);
  b[8] = 1;
  assert.deepEqual(diffSnapshots(a, b), [{ offset: 8, length: 12 }]);
});

test('diff: the same as the byte-by-byte reference on random snapshots (seeded)', () => {
  const rng = prng(14);
  for (let round = 0; round < 200; round++) {
    // (Mostly small; every fourth past several 64 KiB blocks.)
    const n = 1 + randInt(rng, round % 4 === 3 ? 400_000 : 20000);
    const a = Buffer.alloc(n);
    for (let i = 0; i < n; i += 1 + randInt(rng, 64)) a[i] = randInt(rng, 256);
    const b = Buffer.from(a);
    const edits = randInt(rng, 12);
    for (let e = 0; e < edits; e++) {
      const at = randInt(rng, n);
      const len = 1 + randInt(rng, 30);
      for (let i = at; i < Math.min(n, at + len); i++) if (rng() < 0.7) b[i] = randInt(rng, 256);
    }
    const gap = 1 + randInt(rng, 16);
    assert.deepEqual(diffSnapshots(a, b, gap), reference(a, b, gap), `round ${round}`);
  }
});
