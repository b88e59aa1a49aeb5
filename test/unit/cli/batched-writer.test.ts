// Rows printed in batches (extension/cli/batched-writer.ts): the same text in the same order as
// one write per row, in far fewer writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchedWriter } from '../../../extension/cli/batched-writer';
import { rowToJsonLine } from '../../../extension/cli/format';
import type { Row } from '../../../extension/engine';

class Sink {
  writes: string[] = [];
  full = false;
  write(text: string): boolean {
    this.writes.push(text);
    return !this.full;
  }
  get text(): string {
    return this.writes.join('');
  }
}

const turn = () => new Promise((r) => setImmediate(r));

/** JSON Lines of frames and events of varied sizes, as `--json` prints them. */
function lines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = (i % 7 === 3
      ? { type: 'event', id: i, ts: 1795316795082548 + i, mono: i, kind: 'note', conn: 2, message: `note ${i}` }
      : {
          type: 'frame',
          id: i,
          ts: 1795316795082548 + i,
          mono: i,
          tap: 'trace',
          conn: 2,
          dir: i % 2 ? 'c2s' : 's2c',
          proto: 'raw',
          len: i % 300,
          data: Buffer.alloc(i % 300, i & 0xff),
          summary: `${i % 300} B`,
        }) as unknown as Row;
    out.push(rowToJsonLine(row) + '\n');
  }
  return out;
}

test('10,000 rows written in one go: the same text in order, in writes of about 64 KiB', () => {
  const rows = lines(10000);
  const sink = new Sink();
  const w = new BatchedWriter(sink);
  for (const r of rows) w.write(r);
  w.flush();
  assert.equal(sink.text, rows.join(''));
  const total = rows.join('').length;
  assert.ok(sink.writes.length <= Math.ceil(total / 65536) + 1, `${sink.writes.length} writes for ${total} characters`);
  assert.ok(sink.writes.slice(0, -1).every((t) => t.length >= 65536 && t.endsWith('\n')));
});

test('rows of one turn of the event loop go out together when it ends; nothing is held longer', async () => {
  const rows = lines(5);
  const sink = new Sink();
  const w = new BatchedWriter(sink);
  w.write(rows[0]!);
  w.write(rows[1]!);
  w.write(rows[2]!);
  assert.deepEqual(sink.writes, []);
  await turn();
  assert.deepEqual(sink.writes, [rows[0]! + rows[1]! + rows[2]!]);
  w.write(rows[3]!);
  await turn();
  w.write(rows[4]!);
  await turn();
  assert.deepEqual(sink.writes, [rows[0]! + rows[1]! + rows[2]!, rows[3]!, rows[4]!]);
  await turn();
  assert.equal(sink.writes.length, 3);
});

test('flush() puts the queued rows before other output to the same stream, once', async () => {
  const sink = new Sink();
  const w = new BatchedWriter(sink);
  w.write('row 1\n');
  w.write('row 2\n');
  w.flush();
  sink.write('ipctap: prog exited with code 0\n');
  w.write('row 3\n');
  w.flush();
  w.flush();
  await turn();
  assert.deepEqual(sink.writes, ['row 1\nrow 2\n', 'ipctap: prog exited with code 0\n', 'row 3\n']);
});

test("a full stream's answer comes back from the write that filled it (read waits for 'drain' on it)", () => {
  const sink = new Sink();
  sink.full = true;
  const w = new BatchedWriter(sink, 100);
  assert.equal(w.write('x'.repeat(60)), true); // queued
  assert.equal(w.write('y'.repeat(60)), false); // written: the stream said its buffer is full
  assert.deepEqual(sink.writes, ['x'.repeat(60) + 'y'.repeat(60)]);
  w.flush();
});
