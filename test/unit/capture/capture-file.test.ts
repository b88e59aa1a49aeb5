import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, truncateSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { openCapture, type RecordEntry } from '../../../extension/engine/capture/reader';
import { MAX_CHUNK_DATA, makePackr } from '../../../extension/engine/capture/format';
import { UserError } from '../../../extension/engine/util/errors';
import type { Chunk, Direction, EventRecord } from '../../../extension/engine/types';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-capture-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A deterministic pseudo-random generator (so failures reproduce). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Item = { chunk: Chunk } | { event: EventRecord };

function makeItems(n: number, seed: number): Item[] {
  const r = rng(seed);
  const dirs: Direction[] = ['c2s', 's2c', 'stdin', 'stdout', 'stderr'];
  const items: Item[] = [];
  let mono = 0;
  for (let i = 0; i < n; i++) {
    mono += Math.floor(r() * 1000);
    const ts = 1_760_000_000_000_000 + mono;
    if (r() < 0.1) {
      items.push({ event: { kind: 'close', conn: i % 5, reason: 'eof', message: `closed ${i} ✓`, peers: { client: [i], server: [] }, ts, mono } });
    } else {
      const len = r() < 0.05 ? 65536 + Math.floor(r() * 5000) : Math.floor(r() * 600);
      const data = Buffer.alloc(len);
      for (let j = 0; j < len; j++) data[j] = Math.floor(r() * 256);
      items.push({ chunk: { conn: i % 5, dir: dirs[i % 5]!, ts, mono, data } });
    }
  }
  return items;
}

async function writeCapture(path: string, items: Item[], opts: { checksumData?: boolean } = {}): Promise<CaptureWriter> {
  const w = await CaptureWriter.open(path, { start: 1_760_000_000_000_000, taps: [{ spec: 'unix:/tmp/x.sock', kind: 'unix' }], decode: 'lines' }, opts);
  for (const it of items) {
    const res = 'chunk' in it ? w.writeChunk(it.chunk) : w.writeEvent(it.event);
    assert.equal(res, 'ok');
  }
  await w.close();
  return w;
}

async function readAll(path: string): Promise<{ entries: RecordEntry[]; warnings: string[] }> {
  const r = await openCapture(path);
  const entries: RecordEntry[] = [];
  try {
    for await (const e of r.records({ blockSize: 4096 })) entries.push(e);
  } finally {
    await r.close();
  }
  return { entries, warnings: r.warnings };
}

function assertSame(entries: RecordEntry[], items: Item[]): void {
  assert.equal(entries.length, items.length);
  items.forEach((it, i) => {
    const rec = entries[i]!.record;
    if ('chunk' in it) {
      assert.equal(rec.t, 'c', `record ${i}`);
      const c = rec as Chunk;
      assert.equal(c.conn, it.chunk.conn);
      assert.equal(c.dir, it.chunk.dir);
      assert.equal(c.ts, it.chunk.ts);
      assert.equal(c.mono, it.chunk.mono);
      assert.ok(Buffer.from(c.data).equals(it.chunk.data as Buffer), `data of record ${i}`);
    } else {
      assert.deepEqual(rec, { t: 'e', ...it.event });
    }
  });
}

test('chunks and events written are read back byte-exact, in order, with offsets for random access', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'app.ipctap');
  const items = makeItems(3000, 1);
  // Writes spread over ticks too (flushes interleave with writes).
  const w = await CaptureWriter.open(path, { start: 7, name: 'demo', decode: 'lines' });
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if ('chunk' in it) w.writeChunk(it.chunk);
    else w.writeEvent(it.event);
    if (i % 97 === 0) await new Promise((r) => setImmediate(r));
    if (i % 1000 === 0) await w.flush();
  }
  await w.close();
  const st = w.stats();
  assert.equal(st.bytesWritten, statSync(path).size);
  assert.equal(st.records, items.length + 1);
  assert.equal(st.dropped, 0);
  assert.equal(st.queued, 0);

  const { entries, warnings } = await readAll(path);
  assert.deepEqual(warnings, []);
  assertSame(entries, items);

  const r = await openCapture(path);
  try {
    assert.equal(r.header.t, 'ipctap');
    assert.equal(r.header.v, 1);
    assert.equal(r.header.start, 7);
    assert.equal(r.header.name, 'demo');
    assert.equal(r.header.decode, 'lines');
    assert.equal(typeof r.header.host.platform, 'string');
    // Random access by offset gives the same records.
    for (const i of [0, 1, 500, 1234, items.length - 1]) {
      assert.deepEqual(await r.readRecordAt(entries[i]!.offset), entries[i]!.record);
    }
    const firstChunk = entries.find((e) => e.record.t === 'c')!;
    assert.deepEqual(await r.readChunkAt(firstChunk.offset), firstChunk.record);
    const firstEvent = entries.find((e) => e.record.t === 'e')!;
    await assert.rejects(r.readChunkAt(firstEvent.offset), /is not a chunk/);
    await assert.rejects(r.readRecordAt(firstChunk.offset + 1), (e: Error) => e instanceof UserError && /no record starts at byte/.test(e.message));
  } finally {
    await r.close();
  }
});

test('a chunk longer than the record limit is split into several records with the same bytes', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'big.ipctap');
  const data = Buffer.alloc(MAX_CHUNK_DATA * 2 + 12345);
  for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) & 0xff;
  const w = await CaptureWriter.open(path, { start: 1 });
  assert.equal(w.writeChunk({ conn: 4, dir: 's2c', ts: 10, mono: 11, data }), 'ok');
  await w.close();
  const { entries } = await readAll(path);
  assert.equal(entries.length, 3);
  const joined = Buffer.concat(entries.map((e) => Buffer.from((e.record as Chunk).data)));
  assert.ok(joined.equals(data));
  for (const e of entries) assert.deepEqual({ ...e.record, data: null }, { t: 'c', conn: 4, dir: 's2c', ts: 10, mono: 11, data: null });
});

test('a file cut anywhere inside its last record reads every earlier record and warns once', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'cut.ipctap');
  const items = makeItems(40, 2);
  items.push({ chunk: { conn: 1, dir: 'c2s', ts: 9, mono: 9, data: Buffer.alloc(300, 7) } });
  await writeCapture(path, items);
  const full = statSync(path).size;
  const { entries } = await readAll(path);
  const lastStart = entries[entries.length - 1]!.offset;
  // Every cut strictly inside the last record, from the end down (truncating the same file).
  for (let cut = full - 1; cut > lastStart; cut--) {
    truncateSync(path, cut);
    const got = await readAll(path);
    assert.deepEqual(got.warnings, [`capture ends with a truncated record at byte ${lastStart} (ignored); the file was probably cut off while being written`], `cut at ${cut}`);
    assertSame(got.entries, items.slice(0, -1));
  }
  truncateSync(path, lastStart);
  const clean = await readAll(path);
  assert.deepEqual(clean.warnings, []);
  assert.equal(clean.entries.length, items.length - 1);
});

for (const checksumData of [true, false]) {
  const what = checksumData ? 'with checksumData, any damaged byte in a middle record' : 'by default, any damaged byte of a middle record outside the captured payload';
  test(`${what} is an error naming that record's offset; earlier records still come out`, async (t) => {
    const dir = tmp(t);
    const path = join(dir, 'app.ipctap');
    const items = makeItems(30, 3);
    const payload = Buffer.from('a middle chunk of some bytes');
    items.splice(15, 0, { chunk: { conn: 2, dir: 's2c', ts: 100, mono: 100, data: payload } });
    items.splice(16, 0, { event: { kind: 'exit', pid: 77, code: null, signal: 'SIGTERM', bySignal: true, ts: 101, mono: 101 } });
    await writeCapture(path, items, { checksumData });
    const good = readFileSync(path);
    const { entries } = await readAll(path);
    const bad = join(dir, 'bad.ipctap');
    let payloadFlips = 0;
    for (const k of [15, 16]) {
      const start = entries[k]!.offset;
      const end = entries[k + 1]!.offset;
      // The chunk record ends with its payload, then the 5 checksum bytes.
      const payloadAt = k === 15 ? end - 5 - payload.length : end;
      for (let pos = start; pos < end; pos++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const copy = Buffer.from(good);
          copy[pos] ^= mask;
          writeFileSync(bad, copy);
          const r = await openCapture(bad);
          const seen: RecordEntry[] = [];
          if (!checksumData && pos >= payloadAt && pos < end - 5) {
            // Not summed: the record reads back whole, with the damaged byte in its data.
            for await (const e of r.records({ blockSize: 1000 })) seen.push(e);
            await r.close();
            const expected = items.map((it) => ('chunk' in it && it.chunk.data === payload ? { chunk: { ...it.chunk, data: Buffer.from(payload) } } : it));
            (expected[15] as { chunk: { data: Buffer } }).chunk.data[pos - payloadAt] ^= mask;
            assertSame(seen, expected);
            payloadFlips++;
            continue;
          }
          await assert.rejects(
            (async () => {
              for await (const e of r.records({ blockSize: 1000 })) seen.push(e);
            })(),
            (e: Error) => {
              assert.ok(e instanceof UserError);
              assert.match(e.message, new RegExp(`^corrupt capture bad\\.ipctap at byte ${start}: `), `flip ${mask} at ${pos}: ${e.message}`);
              return true;
            },
          );
          await r.close();
          assertSame(seen, items.slice(0, k));
        }
      }
    }
    assert.equal(payloadFlips, checksumData ? 0 : payload.length * 3);
  });
}

test('a length damaged so it runs past the end of the file is an error, not a truncation', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'app.ipctap');
  const items = makeItems(20, 4);
  items.splice(5, 0, { chunk: { conn: 2, dir: 's2c', ts: 100, mono: 100, data: Buffer.alloc(1000, 1) } });
  await writeCapture(path, items);
  const { entries } = await readAll(path);
  const buf = readFileSync(path);
  const start = entries[5]!.offset;
  const binAt = buf.indexOf(Buffer.from([0xc5, 0x03, 0xe8]), start); // bin16 of length 1000
  assert.ok(binAt > start);
  buf[binAt] = 0xc6; // bin32: the length now reads 0x03e8xxxx, far past the end
  writeFileSync(path, buf);
  await assert.rejects(readAll(path), new RegExp(`corrupt capture app\\.ipctap at byte ${start}: `));
});

test('files that are not captures get a clear error naming the path', async (t) => {
  const dir = tmp(t);
  const cases: [string, Buffer | null, RegExp][] = [
    ['notes.txt', Buffer.from('hello, this is text\n'), /notes\.txt is not an IPC Tap capture file/],
    ['empty.ipctap', Buffer.alloc(0), /empty\.ipctap is empty, not an IPC Tap capture file/],
    ['short.ipctap', Buffer.from([0x88, 0xa1]), /short\.ipctap is not an IPC Tap capture file/],
    ['other.msgpack', makePackr().pack({ t: 'something', v: 1 }), /other\.msgpack is not an IPC Tap capture file/],
    ['png.ipctap', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), /png\.ipctap is not an IPC Tap capture file/],
  ];
  for (const [name, bytes, re] of cases) {
    const p = join(dir, name);
    writeFileSync(p, bytes!);
    await assert.rejects(openCapture(p), (e: Error) => e instanceof UserError && re.test(e.message) && e.message.includes(p));
  }
  await assert.rejects(openCapture(join(dir, 'missing.ipctap')), (e: Error) => e instanceof UserError && /no such capture file: .*missing\.ipctap/.test(e.message));
  mkdirSync(join(dir, 'd.ipctap'));
  await assert.rejects(openCapture(join(dir, 'd.ipctap')), (e: Error) => e instanceof UserError && /d\.ipctap is a directory/.test(e.message));
  // A header from a future format version.
  const future = makePackr().pack({ t: 'ipctap', v: 9, start: 0 });
  const withCrc = Buffer.concat([future, Buffer.from([0xce, 0, 0, 0, 0])]);
  withCrc.writeUInt32BE(require('node:zlib').crc32(future), future.length + 1);
  writeFileSync(join(dir, 'future.ipctap'), withCrc);
  await assert.rejects(openCapture(join(dir, 'future.ipctap')), /newer IPC Tap \(capture format v9; this version reads v1\)/);
  // Cut inside the header.
  const real = join(dir, 'real.ipctap');
  await writeCapture(real, []);
  truncateSync(real, 20);
  await assert.rejects(openCapture(real), /capture real\.ipctap ends inside its header/);
  // A writer that cannot create its file.
  await assert.rejects(
    CaptureWriter.open(join(dir, 'no', 'such', 'dir.ipctap'), { start: 0 }),
    (e: Error) => e instanceof UserError && /cannot write the capture file .*dir\.ipctap/.test(e.message),
  );
});

test('the writer drops chunk data past its high-water mark and records one capture-dropped event with the exact count', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'drop.ipctap');
  const seen: EventRecord[] = [];
  const errors: Error[] = [];
  const w = await CaptureWriter.open(path, { start: 0 }, { highWaterMark: 256 * 1024, onEvent: (e) => seen.push(e), onError: (e) => errors.push(e) });
  // All in one tick: nothing can reach the disk meanwhile, so the backlog only grows.
  const results: string[] = [];
  let droppedBytes = 0;
  let keptBytes = 0;
  for (let i = 0; i < 200; i++) {
    const data = Buffer.alloc(10_000 + i, i & 0xff);
    const res = w.writeChunk({ conn: 1, dir: 'c2s', ts: 1000 + i, mono: i, data });
    results.push(res);
    if (res === 'dropped') droppedBytes += data.length;
    else keptBytes += data.length;
  }
  // An event during the episode still goes in.
  assert.equal(w.writeEvent({ kind: 'note', message: 'during', ts: 2000, mono: 300 }), 'ok');
  assert.ok(results.includes('ok') && results.includes('dropped'));
  assert.ok(w.stats().queued <= 256 * 1024, `backlog ${w.stats().queued}`);
  await w.flush();
  // The backlog drained: writing works again.
  assert.equal(w.writeChunk({ conn: 1, dir: 'c2s', ts: 3000, mono: 400, data: Buffer.from('after') }), 'ok');
  await w.close();
  assert.deepEqual(errors, []);
  assert.equal(w.stats().dropped, droppedBytes);
  const drops = seen.filter((e) => e.kind === 'capture-dropped');
  assert.equal(drops.length, 1);
  assert.equal(drops[0]!.bytes, droppedBytes);
  const firstDropped = results.indexOf('dropped');
  assert.equal(drops[0]!.ts, 1000 + firstDropped);

  const { entries, warnings } = await readAll(path);
  assert.deepEqual(warnings, []);
  const recs = entries.map((e) => e.record);
  const fileDrops = recs.filter((r) => r.t === 'e' && r.kind === 'capture-dropped');
  assert.equal(fileDrops.length, 1);
  assert.equal((fileDrops[0] as EventRecord).bytes, droppedBytes);
  assert.match((fileDrops[0] as EventRecord).message!, new RegExp(`${droppedBytes} bytes in ${200 - firstDropped} chunks were not written`));
  const chunks = recs.filter((r) => r.t === 'c') as Chunk[];
  assert.equal(
    chunks.reduce((n, c) => n + c.data.length, 0),
    keptBytes + 5,
  );
  // The kept chunks are exactly the ones before the first drop, then 'after'.
  assert.equal(chunks.length, firstDropped + 1);
  assert.equal(Buffer.from(chunks[chunks.length - 1]!.data).toString(), 'after');
  // The drop event sits where the gap is: after the last kept chunk, before 'after'.
  const dropIdx = recs.indexOf(fileDrops[0]!);
  assert.equal(recs[dropIdx - 1]!.t === 'c' || (recs[dropIdx - 1] as EventRecord).message === 'during', true);
  assert.equal((recs[dropIdx + 1] as Chunk).mono, 400);
});

test('after close, writes are refused without throwing', async (t) => {
  const dir = tmp(t);
  const w = await CaptureWriter.open(join(dir, 'c.ipctap'), { start: 0 });
  await w.close();
  await w.close();
  assert.equal(w.writeChunk({ conn: 1, dir: 'c2s', ts: 0, mono: 0, data: Buffer.from('x') }), 'closed');
  assert.equal(w.writeEvent({ kind: 'note', ts: 0, mono: 0 }), 'closed');
  await w.flush();
});
