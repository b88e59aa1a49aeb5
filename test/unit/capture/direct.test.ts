import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { openCapture } from '../../../extension/engine/capture/reader';
import type { Chunk } from '../../../extension/engine/types';

// The capture writer sends whole 1 MiB blocks to the disk with O_DIRECT where the file system
// allows it, and the rest through the page cache (extension/engine/capture/direct.ts).

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-direct-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const INIT = { start: 1_760_000_000_000_000, taps: [{ spec: 'tcp:7000=127.0.0.1:7001', kind: 'tcp' as const }], decode: 'raw' };

function chunk(i: number, len: number): Chunk {
  const data = Buffer.alloc(len);
  for (let j = 0; j < len; j++) data[j] = (i * 31 + j * 7) & 0xff;
  return { conn: 1 + (i % 3), dir: i % 2 ? 's2c' : 'c2s', ts: 1_760_000_000_000_000 + i, mono: i, data };
}

/** Chunks of many sizes (a few larger than a staging block), written in bursts with pauses longer
 *  than the flush delay between them, so partly filled blocks are made visible and later
 *  rewritten whole. */
async function writeBursts(path: string, direct: boolean): Promise<CaptureWriter> {
  const w = await CaptureWriter.open(path, INIT, { direct, flushDelayMs: 2 });
  let i = 0;
  for (let burst = 0; burst < 12; burst++) {
    const sizes = burst % 4 === 3 ? [1_500_000, 70_000] : [1, 300, 4096, 65_536, 12_345, 77];
    for (const n of sizes) assert.equal(w.writeChunk(chunk(i++, n)), 'ok');
    if (burst % 2) await sleep(10);
  }
  await w.close();
  return w;
}

test('direct and page-cache writing produce byte-identical capture files', async (t) => {
  const dir = tmp(t);
  const a = await writeBursts(join(dir, 'direct.ipctap'), true);
  const b = await writeBursts(join(dir, 'plain.ipctap'), false);
  assert.equal(b.stats().direct, false);
  if (!a.stats().direct) t.diagnostic('O_DIRECT is not available on this file system: both files were written the ordinary way');
  const da = readFileSync(join(dir, 'direct.ipctap'));
  const db = readFileSync(join(dir, 'plain.ipctap'));
  assert.ok(da.length > 5 * 1024 * 1024, `${da.length} bytes`);
  assert.equal(da.length, db.length);
  assert.ok(da.equals(db), 'the files differ');
});

test('random chunk sizes, flushes and pauses (seeded): direct and page-cache files stay byte-identical', async (t) => {
  const dir = tmp(t);
  for (const seed of [1, 2, 3]) {
    const run = async (direct: boolean): Promise<Buffer> => {
      let s = seed;
      const rnd = (n: number): number => {
        s = (s * 1103515245 + 12345) >>> 0;
        return s % n;
      };
      const path = join(dir, `r${seed}-${direct}.ipctap`);
      const w = await CaptureWriter.open(path, INIT, { direct, flushDelayMs: 1 });
      for (let i = 0; i < 60; i++) {
        const size = rnd(4) === 0 ? rnd(2_500_000) : rnd(5000);
        assert.equal(w.writeChunk(chunk(i, size)), 'ok');
        const step = rnd(6);
        if (step === 0) await w.flush();
        else if (step === 1) await sleep(3);
        else if (step === 2) await new Promise((r) => setImmediate(r));
      }
      await w.close();
      return readFileSync(path);
    };
    const a = await run(true);
    const b = await run(false);
    assert.equal(a.length, b.length, `seed ${seed}`);
    assert.ok(a.equals(b), `seed ${seed}: the files differ`);
  }
});

test('readers of the growing file never see a byte that is not the stream’s (no holes, no stale pages)', async (t) => {
  const dir = tmp(t);
  // The same records through the page cache give the expected bytes (see the test above).
  const items: { size: number; pause: number }[] = [];
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 400; i++) items.push({ size: rnd(3) === 0 ? rnd(600_000) : rnd(3000), pause: rnd(5) });
  const write = async (path: string, direct: boolean, live?: () => void): Promise<CaptureWriter> => {
    const w = await CaptureWriter.open(path, INIT, { direct, flushDelayMs: 1 });
    for (const [i, it] of items.entries()) {
      w.writeChunk(chunk(i, it.size));
      if (it.pause === 0) await sleep(2);
      else if (it.pause === 1) await new Promise((r) => setImmediate(r));
      live?.();
    }
    await w.close();
    return w;
  };
  await write(join(dir, 'expected.ipctap'), false);
  const expected = readFileSync(join(dir, 'expected.ipctap'));
  const path = join(dir, 'live.ipctap');
  let done = false;
  let reads = 0;
  const reader = async (): Promise<void> => {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(expected.length);
      while (!done) {
        const size = (await fh.stat()).size;
        const { bytesRead } = await fh.read(buf, 0, size, 0);
        reads++;
        assert.ok(bytesRead <= expected.length, 'the file grew past the stream');
        const bad = buf.subarray(0, bytesRead).findIndex((b, k) => b !== expected[k]);
        assert.equal(bad, -1, `byte ${bad} of ${bytesRead} read differs from the stream`);
      }
    } finally {
      await fh.close();
    }
  };
  // The readers start once the file is there (after the writer's first chunk), not after a
  // guessed delay.
  let readers: Promise<void>[] = [];
  await write(path, true, () => {
    if (!readers.length) readers = [reader(), reader()];
  });
  done = true;
  await Promise.all(readers);
  assert.ok(reads > 10, `${reads} reads`);
  assert.ok(readFileSync(path).equals(expected));
});

test('O_DIRECT is used on this machine’s temporary directory (ext4 and most local file systems)', async (t) => {
  const w = await CaptureWriter.open(join(tmp(t), 'x.ipctap'), INIT);
  await w.close();
  const TMPFS_MAGIC = 0x01021994;
  if (statfsSync(tmpdir()).type === TMPFS_MAGIC && !w.stats().direct) t.skip('the temporary directory is a tmpfs without O_DIRECT');
  else assert.equal(w.stats().direct, true);
});

test('with direct I/O the file holds every record up to diskOffset, and what fills no block reaches the file on the writer timer', async (t) => {
  const path = join(tmp(t), 'live.ipctap');
  const w = await CaptureWriter.open(path, INIT, { flushDelayMs: 5 });
  t.after(() => w.close());
  // One small record, no flush(): the timer makes it visible although it fills no block.
  w.writeChunk(chunk(0, 10));
  const deadline = Date.now() + 10_000;
  while (w.diskOffset !== w.appendOffset && Date.now() < deadline) await sleep(10);
  assert.equal(w.diskOffset, w.appendOffset, 'the record never reached the file');
  assert.equal(statSync(path).size, w.diskOffset);
  let r = await openCapture(path);
  const seen: number[] = [];
  for await (const e of r.records()) if (e.record.t === 'c') seen.push(e.record.data.length);
  await r.close();
  assert.deepEqual(seen, [10]);
  // A flood: the file never claims less than diskOffset says, and ends complete after flush().
  for (let i = 1; i <= 200; i++) {
    w.writeChunk(chunk(i, 20_000));
    if (i % 10 === 0) {
      await sleep(0);
      assert.ok(statSync(path).size >= w.diskOffset, `size ${statSync(path).size} < diskOffset ${w.diskOffset}`);
    }
  }
  await w.flush();
  assert.equal(statSync(path).size, w.appendOffset);

  r = await openCapture(path);
  let n = 0;
  for await (const e of r.records()) if (e.record.t === 'c') n++;
  await r.close();
  assert.equal(n, 201);
});

test('after a burst bigger than a block, the bytes that fill no block reach the file without a flush()', async (t) => {
  const path = join(tmp(t), 'burst.ipctap');
  const w = await CaptureWriter.open(path, INIT, { flushDelayMs: 5 });
  t.after(() => w.close());
  // 1.6 MB at once: one block goes out whole; nothing is written after it, no flush(). The tail
  // must follow on the writer's own timer (how soon depends on the machine's load; without the
  // timer it never comes, and the wait below fails).
  for (let i = 0; i < 80; i++) w.writeChunk(chunk(i, 20_000));
  const deadline = Date.now() + 10_000;
  while (w.diskOffset !== w.appendOffset && Date.now() < deadline) await sleep(10);
  assert.equal(w.diskOffset, w.appendOffset, 'the tail of the burst never reached the file');
  assert.equal(statSync(path).size, w.appendOffset);
});

test('a capture to /dev/null or a FIFO is written the ordinary way', async () => {
  const w = await CaptureWriter.open('/dev/null', INIT);
  assert.equal(w.writeChunk(chunk(1, 100_000)), 'ok');
  await w.close();
  assert.equal(w.stats().direct, false);
  assert.equal(w.stats().error, undefined);
});

test('a capture on tmpfs is written through the page cache (direct I/O would only add a copy there)', async (t) => {
  let dir: string;
  try {
    dir = mkdtempSync('/dev/shm/ipctap-direct-');
  } catch {
    return t.skip('no /dev/shm here');
  }
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (statfsSync(dir).type !== 0x01021994) return t.skip('/dev/shm is not a tmpfs here');
  const w = await CaptureWriter.open(join(dir, 'x.ipctap'), INIT);
  assert.equal(w.writeChunk(chunk(1, 2_000_000)), 'ok');
  await w.close();
  assert.equal(w.stats().direct, false);
  assert.equal(statSync(join(dir, 'x.ipctap')).size, w.appendOffset);
});
