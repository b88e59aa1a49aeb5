// The capture writer in front of a sink that stops reading: a FIFO whose reader (a child
// process) reads nothing for a while. Forwarding must not wait and memory must not grow: the
// writer drops chunk data past its high-water mark and says so with one capture-dropped event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { CaptureWriter, type WriteResult } from '../../../extension/engine/capture/writer';
import { openCapture } from '../../../extension/engine/capture/reader';
import type { Chunk, EventRecord } from '../../../extension/engine/types';

test('a stalled sink: the backlog stays under the high-water mark, data is dropped and counted exactly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-slow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'sink.fifo');
  const out = join(dir, 'copy.ipctap');
  execFileSync('mkfifo', [fifo]);
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'helpers', 'children', 'fifo-reader.js'), fifo, out], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();

  const HWM = 1024 * 1024;
  const events: EventRecord[] = [];
  const errors: Error[] = [];
  const w = await CaptureWriter.open(fifo, { start: 1 }, { highWaterMark: HWM, onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
  assert.equal((await lines.next()).value, 'open');

  let seq = 0;
  const sent: { seq: number; len: number; res: WriteResult }[] = [];
  const send = (): WriteResult => {
    const len = 60_000 + (seq % 100);
    const data = Buffer.alloc(len, seq & 0xff);
    data.writeUInt32BE(seq, 0);
    const res = w.writeChunk({ conn: 1, dir: 'c2s', ts: 1000 + seq, mono: seq, data });
    sent.push({ seq, len, res });
    seq++;
    return res;
  };
  // Phase 1: the reader reads nothing. One chunk per tick (as a tap would deliver them) until
  // the writer has been dropping for a while; the flushes in between cannot get through.
  let droppedSeen = 0;
  while (droppedSeen < 50) {
    if (send() === 'dropped') droppedSeen++;
    assert.ok(w.stats().queued <= HWM, `backlog ${w.stats().queued} over ${HWM}`);
    assert.ok(seq < 10_000, 'the writer never started dropping');
    await new Promise((r) => setImmediate(r));
  }
  const peak = w.stats().peakQueued;
  assert.ok(peak <= HWM, `peak backlog ${peak}`);
  // Phase 2: the reader drains; the writer catches up and marks the gap.
  child.stdin!.write('go\n');
  await w.flush();
  for (let i = 0; i < 20; i++) {
    assert.equal(send(), 'ok');
    await w.flush();
  }
  await w.close();
  assert.equal((await lines.next()).value, 'eof');
  assert.equal((await exited)[0], 0);
  assert.deepEqual(errors, []);

  const droppedBytes = sent.filter((s) => s.res === 'dropped').reduce((n, s) => n + s.len, 0);
  assert.equal(w.stats().dropped, droppedBytes);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.kind, 'capture-dropped');
  assert.equal(events[0]!.bytes, droppedBytes);

  // What went through the FIFO is a valid capture: kept chunks byte-exact, the gap marked once.
  const r = await openCapture(out);
  const kept: Chunk[] = [];
  const fileEvents: EventRecord[] = [];
  let shape = '';
  for await (const { record } of r.records()) {
    shape += record.t;
    if (record.t === 'c') kept.push(record);
    else if (record.t === 'e') fileEvents.push(record);
  }
  await r.close();
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    fileEvents.map((e) => [e.kind, e.bytes]),
    [['capture-dropped', droppedBytes]],
  );
  const keptSeqs = sent.filter((s) => s.res === 'ok');
  assert.equal(kept.length, keptSeqs.length);
  kept.forEach((c, i) => {
    const s = keptSeqs[i]!;
    assert.equal(c.data.length, s.len);
    assert.equal(Buffer.from(c.data).readUInt32BE(0), s.seq);
    assert.equal(c.data[c.data.length - 1], s.seq & 0xff);
  });
  // Chunks before the gap, then the drop event, then the 20 chunks after: one episode.
  const before = sent.findIndex((s) => s.res === 'dropped');
  assert.ok(before > 0);
  assert.equal(shape, 'c'.repeat(before) + 'e' + 'c'.repeat(20));
});
