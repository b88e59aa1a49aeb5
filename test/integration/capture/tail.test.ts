// A reader following a capture while another process writes it (real processes, real files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { CaptureWriter } from '../../../extension/engine/capture/writer';
import { openCapture, type RecordEntry } from '../../../extension/engine/capture/reader';
import type { CaptureRecord } from '../../../extension/engine/capture/format';
import type { Chunk, EventRecord } from '../../../extension/engine/types';
import { makeItems, type Item } from '../../helpers/capture-items';

const repo = resolve(__dirname, '../../..');

function assertItem(rec: CaptureRecord, it: Item, where: string): void {
  if ('chunk' in it) {
    assert.equal(rec.t, 'c', where);
    const c = rec as Chunk;
    assert.deepEqual([c.conn, c.dir, c.ts, c.mono], [it.chunk.conn, it.chunk.dir, it.chunk.ts, it.chunk.mono], where);
    assert.ok(Buffer.from(c.data).equals(Buffer.from(it.chunk.data)), `${where}: data`);
  } else {
    assert.deepEqual(rec, { t: 'e', ...it.event }, where);
  }
}

test('a reader in follow mode gets every record while another process is still writing the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'live.ipctap');
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'helpers', 'children', 'capture-writer.ts'), path], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const exited = once(child, 'exit');
  const out = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  assert.equal((await out.next()).value, 'open');

  const items = makeItems(4000, 99);
  const half = items.length / 2;
  const reader = await openCapture(path);
  assert.equal(reader.header.name, 'tail-test');
  const ac = new AbortController();
  const got: RecordEntry[] = [];
  let sentGo = false;
  for await (const e of reader.records({ follow: true, signal: ac.signal, pollMs: 10, blockSize: 64 * 1024 })) {
    got.push(e);
    const r = e.record as EventRecord & { t: string };
    if (r.t === 'e' && r.kind === 'note' && r.message === 'half') {
      // The writer is blocked until we answer: everything so far was read from a growing file.
      assert.equal(got.length, half + 1);
      assert.equal((await out.next()).value, 'half');
      child.stdin!.write('go\n');
      sentGo = true;
    }
    if (r.t === 'e' && r.kind === 'note' && r.message === 'done') ac.abort();
  }
  await reader.close();
  assert.ok(sentGo);
  assert.deepEqual(reader.warnings, []);
  const [code] = await exited;
  assert.equal(code, 0);
  const stats = JSON.parse(String((await out.next()).value)) as { records: number; dropped: number };
  assert.equal(stats.dropped, 0);
  assert.equal(got.length, items.length + 2);
  assert.equal(stats.records, got.length + 1);
  const records = got.map((g) => g.record);
  records.splice(half, 1); // the 'half' note
  records.pop(); // 'done'
  items.forEach((it, i) => assertItem(records[i]!, it, `record ${i}`));
  // Offsets given while following are good for random access.
  const again = await openCapture(path);
  try {
    for (const k of [0, half, got.length - 1]) assert.deepEqual(await again.readRecordAt(got[k]!.offset), got[k]!.record);
  } finally {
    await again.close();
  }
});

test('follow mode waits at a half-written record and reads it once the rest arrives', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const items = makeItems(12, 5);
  // The bytes of the last record, taken from a complete file with the same content.
  const full = join(dir, 'full.ipctap');
  const w = await CaptureWriter.open(full, { start: 1 });
  for (const it of items) {
    if ('chunk' in it) w.writeChunk(it.chunk);
    else w.writeEvent(it.event);
  }
  await w.close();
  const fr = await openCapture(full);
  const offsets: number[] = [];
  for await (const e of fr.records()) offsets.push(e.offset);
  await fr.close();
  const bytes = readFileSync(full);
  const lastStart = offsets[offsets.length - 1]!;

  const path = join(dir, 'growing.ipctap');
  appendFileSync(path, bytes.subarray(0, lastStart + 3));
  const reader = await openCapture(path);
  const ac = new AbortController();
  const got: CaptureRecord[] = [];
  let feeding: Promise<void> | undefined;
  for await (const e of reader.records({ follow: true, signal: ac.signal, pollMs: 5 })) {
    got.push(e.record);
    if (got.length === items.length - 1) {
      // Everything whole has been read; the file ends 3 bytes into the last record. Complete it
      // a few bytes at a time, letting the reader poll in between (it sees each partial state).
      feeding = (async () => {
        for (let p = lastStart + 3; p < bytes.length; p += 53) {
          await new Promise((r) => setTimeout(r, 7));
          appendFileSync(path, bytes.subarray(p, Math.min(p + 53, bytes.length)));
        }
      })();
    }
    if (got.length === items.length) ac.abort();
  }
  await feeding;
  await reader.close();
  assert.deepEqual(reader.warnings, []);
  assert.equal(got.length, items.length);
  items.forEach((it, i) => assertItem(got[i]!, it, `record ${i}`));
});
