// FrameStore at the size the panel must handle: 1,000,000 rows, memory bounded, random access
// and filtering correct. (Speed is measured in test/bench/capture.ts, not asserted here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FrameStore } from '../../../extension/engine/capture/frame-store';
import type { FrameRow, Row } from '../../../extension/engine/types';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function row(id: number): Row {
  if (id % 1000 === 500) return { type: 'event', id, kind: 'note', message: `note ${id}`, ts: id, mono: id };
  const data = Buffer.from(`msg ${id}\n`);
  return {
    type: 'frame',
    id,
    ts: 1_760_000_000_000_000 + id,
    mono: id,
    tap: 'unix:/tmp/app.sock',
    conn: id % 7,
    dir: id % 2 ? 's2c' : 'c2s',
    proto: 'lines',
    len: data.length,
    data,
    summary: `msg ${id}`,
    decoded: id % 100 === 0 ? { id: BigInt(id) * 2n ** 40n } : `msg ${id}`,
  } satisfies FrameRow;
}

test('1,000,000 rows: heap stays small, random get/getRange/filter are exact', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'ipctap-fs-million-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const N = 1_000_000;
  gc();
  const before = process.memoryUsage();
  const store = await FrameStore.create(parent);
  try {
    for (let id = 1; id <= N; id++) store.append(row(id));
    gc();
    const after = process.memoryUsage();
    const heapDelta = after.heapUsed - before.heapUsed;
    const extDelta = after.external + after.arrayBuffers - (before.external + before.arrayBuffers);
    t.diagnostic(
      `heapUsed +${(heapDelta / 2 ** 20).toFixed(1)} MiB, external+arrayBuffers +${(extDelta / 2 ** 20).toFixed(1)} MiB, rows file ${(statSync(join(store.dir, 'rows.msgpack')).size / 2 ** 20).toFixed(0)} MiB`,
    );
    // The rows themselves are ~100 MiB encoded; holding them in memory would cost several
    // hundred MiB of heap. Measured here: about 1 MiB. 16 MiB leaves room for GC noise. What
    // does stay in memory on purpose: the filter facets, 9 bytes a row in typed arrays that grow
    // by doubling (so at most 2 x 9 bytes a row), capped at 16M rows.
    assert.ok(heapDelta < 16 * 2 ** 20, `heap grew by ${heapDelta} bytes`);
    assert.ok(extDelta < 16 * 2 ** 20 + 2 * 9 * N, `external memory grew by ${extDelta} bytes`);
    assert.equal(store.count, N);

    // Random single rows and ranges, including the very end (partly still buffered).
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 200; k++) {
      const id = 1 + rnd(N);
      assert.deepEqual(await store.get(id), row(id));
    }
    for (const start of [1, 499_950, N - 99, N - 1000, 1 + rnd(N - 100)]) {
      const got = await store.getRange(start, start + 100);
      assert.equal(got.length, Math.min(100, N + 1 - start));
      got.forEach((r, i) => assert.deepEqual(r, row(start + i)));
    }

    // A full filter scan: every 'note' event (ids ≡ 500 mod 1000), and a text filter in a range.
    const notes = await store.filter((r) => r.type === 'event');
    assert.equal(notes.length, N / 1000);
    notes.forEach((id, i) => assert.equal(id, i * 1000 + 500));
    const conn3 = await store.filter('conn:3', { from: 900_000, to: 900_100 });
    const want: number[] = [];
    for (let id = 900_000; id < 900_100; id++) if (id % 7 === 3 && id % 1000 !== 500) want.push(id);
    assert.deepEqual([...conn3], want);
    const rows = await store.getMany(conn3);
    assert.deepEqual(rows, want.map(row));
  } finally {
    await store.close();
  }
});
