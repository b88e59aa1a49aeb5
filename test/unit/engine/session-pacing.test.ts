// Live decoding is paced behind forwarding (Session.drainSlice): whatever the pacing, no row is
// lost or reordered, decoding catches up once the traffic stops, and decodeQueued() gives the
// rows of everything that has arrived at once (what replay relies on before comparing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../../extension/engine/session';
import type { Row } from '../../../extension/engine/types';

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
async function openSession(): Promise<{ s: Session; rows: Row[]; conn: number }> {
  const s = new Session({ decode: 'lines' });
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
  for (let i = 0; i < texts.length; i += 997) assert.ok(texts[i]!.startsWith(`${String(Math.floor(i / 1024)).padStart(6, '0')}:${String(i % 1024).padStart(4, '0')}:`), `frame ${i} in order`);
  const ids = rows.map((r) => r.id);
  assert.deepEqual(ids, ids.map((_, i) => i + 1), 'row ids dense and increasing');
  await s.stop();
});

test('decodeQueued: the rows of everything that has arrived, at once', async () => {
  const { s, rows, conn } = await openSession();
  for (let i = 0; i < 40; i++) s.sink.chunk(conn, 'c2s', chunk(i));
  assert.equal(frameTexts(rows).length, 0, 'nothing is decoded inside the I/O callback that delivered the bytes');
  s.decodeQueued();
  assert.equal(frameTexts(rows).length, 40 * 1024);
  await s.stop();
});
