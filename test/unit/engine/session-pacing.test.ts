// Live decoding is paced behind forwarding (LiveDecoder.drainSlice in engine/live-decode.ts): whatever the pacing, no row is
// lost or reordered, decoding catches up once the traffic stops, and decodeQueued() gives the
// rows of everything that has arrived at once (what replay relies on before comparing). Past
// the in-memory backlog, decoding reads the traffic back from the capture file. How much of the
// thread decoding takes while forwarding is busy is the pacing rule's (tested here as a rule) and
// is measured by the benchmarks (npm run bench -- forward: decoding on vs -q), not timed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, type SessionOptions } from '../../../extension/engine/session';
import type { Row } from '../../../extension/engine/types';
import { nextSliceAt, PACING } from '../../../extension/engine/live-decode';

/** 64 KiB of 64-byte lines, numbered so order can be checked. */
function chunk(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 1024; i++) lines.push(`${String(n).padStart(6, '0')}:${String(i).padStart(4, '0')}:`.padEnd(63, 'x'));
  return Buffer.from(lines.join('\n') + '\n');
}

function frameTexts(rows: Row[]): string[] {
  return rows.filter((r) => r.type === 'frame').map((r) => (r as { decoded: string }).decoded);
}

/** A started session decoding lines, its rows as they come, and one open connection. */
async function openSession(opts: SessionOptions = {}): Promise<{ s: Session; rows: Row[]; conn: number }> {
  const s = new Session({ decode: 'lines', maxDecodeBacklog: 64 * 1024 * 1024, ...opts });
  await s.start();
  const rows: Row[] = [];
  s.onRow((r) => rows.push(r));
  const conn = s.sink.newConn();
  s.sink.event({ kind: 'open', conn, tap: 'test' });
  return { s, rows, conn };
}

test('paced live decoding: a flood over many loop turns is decoded whole and in order once it stops', async () => {
  const { s, rows, conn } = await openSession();
  const N = 300; // 19 MiB, below the 64 MiB backlog cap: nothing may be skipped
  for (let i = 0; i < N; i++) {
    s.sink.chunk(conn, 'c2s', chunk(i));
    if (i % 3 === 0) await new Promise((r) => setImmediate(r)); // traffic keeps arriving between slices
  }
  for (let waited = 0; frameTexts(rows).length < N * 1024 && waited < 30_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  const texts = frameTexts(rows);
  assert.equal(texts.length, N * 1024, 'every line became a frame');
  for (let i = 0; i < texts.length; i += 997)
    assert.ok(texts[i]!.startsWith(`${String(Math.floor(i / 1024)).padStart(6, '0')}:${String(i % 1024).padStart(4, '0')}:`), `frame ${i} in order`);
  const ids = rows.map((r) => r.id);
  assert.deepEqual(
    ids,
    ids.map((_, i) => i + 1),
    'row ids dense and increasing',
  );
  await s.stop();
});

test('decodeQueued: the rows of everything that has arrived, at once', async () => {
  const { s, rows, conn } = await openSession();
  for (let i = 0; i < 40; i++) s.sink.chunk(conn, 'c2s', chunk(i));
  assert.equal(frameTexts(rows).length, 0, 'nothing is decoded inside the I/O callback that delivered the bytes');
  await s.decodeQueued();
  assert.equal(frameTexts(rows).length, 40 * 1024);
  await s.stop();
});

/** Frames of `n` chunks arrived in order (line i of chunk c starts with c:i). */
function assertInOrder(texts: string[], n: number): void {
  assert.equal(texts.length, n * 1024, 'every line became a frame');
  for (let i = 0; i < texts.length; i += 331) {
    assert.ok(texts[i]!.startsWith(`${String(Math.floor(i / 1024)).padStart(6, '0')}:${String(i % 1024).padStart(4, '0')}:`), `frame ${i} in order`);
  }
}

test('past the in-memory backlog, live decoding catches up from the capture file: nothing skipped, order kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-spill-'));
  try {
    const { s, rows, conn } = await openSession({ capturePath: join(dir, 'c.ipctap'), maxDecodeBacklog: 1024 * 1024 });
    const N = 200; // 13 MiB through a 1 MiB backlog
    for (let i = 0; i < N; i++) {
      s.sink.chunk(conn, 'c2s', chunk(i));
      if (i === 100) s.sink.event({ kind: 'note', message: 'marker after chunk 100' });
      if (i % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    for (let waited = 0; frameTexts(rows).length < N * 1024 && waited < 30_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assertInOrder(frameTexts(rows), N);
    const ids = rows.map((r) => r.id);
    assert.deepEqual(
      ids,
      ids.map((_, i) => i + 1),
      'row ids dense and increasing',
    );
    const notes = rows.filter((r) => r.type === 'event' && r.kind === 'note').map((r) => (r as { message?: string }).message);
    assert.ok(
      notes.some((m) => m?.includes('catches up from the capture file')),
      'the user is told decoding is behind',
    );
    assert.ok(!notes.some((m) => m?.includes('only in the capture file')), 'nothing was skipped');
    // The marker event sits between the frames of chunk 100 and chunk 101.
    const at = rows.findIndex((r) => r.type === 'event' && (r as { message?: string }).message === 'marker after chunk 100');
    const before = frameTexts(rows.slice(0, at));
    assert.equal(before.length, 101 * 1024, 'the event keeps its place among the chunks');
    // After catching up, new traffic is decoded from memory again.
    s.sink.chunk(conn, 'c2s', chunk(N));
    await s.decodeQueued();
    assertInOrder(frameTexts(rows), N + 1);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stop() decodes what is still in the capture file before it ends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-spill-'));
  try {
    const { s, rows, conn } = await openSession({ capturePath: join(dir, 'c.ipctap'), maxDecodeBacklog: 256 * 1024 });
    for (let i = 0; i < 60; i++) s.sink.chunk(conn, 'c2s', chunk(i)); // all in one turn: nothing decoded yet
    assert.equal(frameTexts(rows).length, 0);
    await s.stop();
    assertInOrder(frameTexts(rows), 60);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a capture that cannot be read back (/dev/null): past the backlog, bytes are not decoded live, and the user is told', async () => {
  const { s, rows, conn } = await openSession({ capturePath: '/dev/null', maxDecodeBacklog: 256 * 1024 });
  for (let i = 0; i < 10; i++) s.sink.chunk(conn, 'c2s', chunk(i));
  await s.decodeQueued();
  const texts = frameTexts(rows);
  assert.ok(texts.length > 0 && texts.length < 10 * 1024, `some but not all decoded live (${texts.length})`);
  assert.ok(rows.some((r) => r.type === 'event' && (r as { message?: string }).message?.includes('not decoded live (they are in the capture file)')));
  await s.stop();
});

test('read-back of records longer than one read step (1 MiB chunks): whole, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-spill-'));
  try {
    const { s, rows, conn } = await openSession({ capturePath: join(dir, 'c.ipctap'), maxDecodeBacklog: 1024 * 1024 });
    const big = (n: number) => Buffer.concat(Array.from({ length: 16 }, (_, k) => chunk(n * 16 + k)));
    for (let i = 0; i < 12; i++) {
      s.sink.chunk(conn, 'c2s', big(i));
      await new Promise((r) => setImmediate(r));
    }
    await s.decodeQueued();
    assertInOrder(frameTexts(rows), 12 * 16);
    await s.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the pacing rule: while forwarding is busy a slice is followed by a pause that leaves decoding its share; when idle, none', () => {
  const { DECODE_SHARE, MAX_PAUSE_MS, SLICE_MS } = PACING;
  for (const took of [0.05, 0.5, 1, SLICE_MS, 3]) {
    const start = nextSliceAt(true, 1000, took) - 1000;
    // decoding's part of the time from this slice's start to the next's
    assert.ok(took / (took + start) <= DECODE_SHARE + 1e-9, `took ${took} ms, then paused ${start} ms`);
    assert.ok(start <= MAX_PAUSE_MS);
  }
  // a slice that took long (the process was descheduled) pauses decoding MAX_PAUSE_MS at most
  assert.equal(nextSliceAt(true, 1000, 50) - 1000, MAX_PAUSE_MS);
  assert.equal(nextSliceAt(false, 1000, SLICE_MS), 0);
});
