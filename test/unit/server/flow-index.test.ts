// The flow's index on a recorded capture of real peers (examples/sample-netrpc.ipctap: a Go
// net/rpc server and client through a Unix socket takeover, the server's stdout, SIGTERM): the
// proportional axis's offsets (each gap capped at FLOW_FOLD_GAP_US), and runs of raw chunks of
// one connection and direction grouped, collapsed and expanded, read again with --decode raw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isFlowRow } from '../../../extension/engine/flow';
import { readCaptureRows } from '../../../extension/engine/read';
import type { Row } from '../../../extension/engine/types';
import { FlowIndex } from '../../../extension/server/flow-index';
import { FLOW_FOLD_GAP_US } from '../../../extension/shared/views';

const sample = join(import.meta.dirname, '..', '..', '..', 'examples', 'sample-netrpc.ipctap');

async function flowRows(decode?: string): Promise<Row[]> {
  const out: Row[] = [];
  for await (const r of readCaptureRows(sample, decode ? { decode } : {})) if (isFlowRow(r)) out.push(r);
  return out;
}

function indexOf(rows: Row[]): FlowIndex {
  const ix = new FlowIndex();
  for (const r of rows) ix.add(r);
  return ix;
}

test('offsets: the time since the first item, every gap capped at the fold', async () => {
  const rows = await flowRows();
  const ix = indexOf(rows);
  assert.equal(ix.rawCount, rows.length);
  assert.equal(ix.off(0), 0);
  let capped = 0;
  for (let i = 1; i < rows.length; i++) {
    const gap = rows[i]!.ts - rows[i - 1]!.ts;
    assert.equal(ix.off(i) - ix.off(i - 1), Math.min(gap, FLOW_FOLD_GAP_US), `gap before item ${i}`);
    if (gap > FLOW_FOLD_GAP_US) capped++;
  }
  // Without a long gap the offsets are the wall clock from the first item.
  if (capped === 0) assert.equal(ix.off(rows.length - 1), rows.at(-1)!.ts - rows[0]!.ts);
  // Messages decoded (netrpc, lines): no chunks, every item its own entry.
  assert.equal(ix.entryCount, rows.length);
  assert.ok(!Array.from({ length: ix.entryCount }, (_, e) => ix.isGroupEntry(e)).some(Boolean));
});

test('a long gap is folded: the offset grows by the fold, not by the gap', () => {
  const ix = new FlowIndex();
  const ev = (id: number, ts: number): Row => ({ type: 'event', id, ts, mono: ts, kind: 'exit', pid: 1, code: 0 }) as Row;
  ix.add(ev(1, 10));
  ix.add(ev(2, 510));
  ix.add(ev(3, 510 + 60 * FLOW_FOLD_GAP_US));
  ix.add(ev(4, 400)); // a clock stepping back adds nothing
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => ix.off(i)),
    [0, 500, 500 + FLOW_FOLD_GAP_US, 500 + FLOW_FOLD_GAP_US],
  );
});

test('chunks grouped: consecutive raw chunks of one connection and direction, expanded on request', async () => {
  const rows = await flowRows('raw');
  const ix = indexOf(rows);
  const frames = rows.filter((r) => r.type === 'frame');
  assert.ok(frames.length > 0 && frames.every((r) => r.proto === 'raw'));
  // The server's two stdout lines (conn 1, s2c: "rpcserver listening…" and "client connected")
  // come one after the other in the flow; the RPC traffic alternates directions.
  const out = frames.filter((r) => r.conn === 1);
  assert.equal(out.length, 2, out.map((r) => r.summary).join(' | '));
  const groups = Array.from({ length: ix.entryCount }, (_, e) => e).filter((e) => ix.isGroupEntry(e));
  assert.equal(groups.length, 1, 'one run of more than one chunk');
  const g = ix.entry(groups[0]!);
  assert.equal(g.count, 2);
  assert.equal(g.bytes, out[0]!.len + out[1]!.len);
  assert.equal(rows[g.raw]!.id, out[0]!.id);
  assert.equal(ix.entryCount, rows.length - 1);

  // Collapsed: the group is one position; everything after it moves up by one.
  const collapsed = ix.grouped([]);
  assert.equal(collapsed.total, rows.length - 1);
  const at = collapsed.flatOf(g.raw);
  assert.deepEqual(collapsed.slot(at), { raw: g.raw, group: { entry: groups[0], expanded: false } });
  assert.equal(collapsed.flatOf(g.raw + 1), at, 'a chunk inside a collapsed group is found at the group');
  assert.deepEqual(collapsed.slot(at + 1), { raw: g.raw + 2 });
  assert.equal(collapsed.flatOf(rows.length - 1), rows.length - 2);
  // Expanded (known by its first row's position): the group's own item, then each chunk.
  const open = ix.grouped([g.raw]);
  assert.equal(open.total, rows.length + 1);
  assert.deepEqual(open.slot(at), { raw: g.raw, group: { entry: groups[0], expanded: true } });
  assert.deepEqual(open.slot(at + 1), { raw: g.raw });
  assert.deepEqual(open.slot(at + 2), { raw: g.raw + 1 });
  assert.deepEqual(open.slot(at + 3), { raw: g.raw + 2 });
  assert.equal(open.flatOf(g.raw + 1), at + 2);
  assert.equal(open.flatOf(rows.length - 1), rows.length);
  for (let f = 0; f < open.total; f++) {
    const s = open.slot(f);
    if (!s.group) assert.equal(open.flatOf(s.raw), f, `position ${f} round-trips`);
  }
  // A position that is not a group's first row expands nothing.
  assert.equal(ix.grouped([g.raw + 1, g.raw + 2, -1, 1e9]).total, rows.length - 1);
});

test('chunks of another direction or connection, or a message between, end a run', () => {
  const ix = new FlowIndex();
  let id = 0;
  const chunk = (conn: number, dir: 'c2s' | 's2c', len: number, proto = 'raw'): Row =>
    ({ type: 'frame', id: ++id, ts: id, mono: id, tap: 't', conn, dir, proto, len, data: new Uint8Array(0), summary: '', decoded: null }) as Row;
  for (const r of [chunk(1, 'c2s', 10), chunk(1, 'c2s', 20), chunk(1, 's2c', 5), chunk(2, 's2c', 5), chunk(2, 's2c', 5), chunk(2, 's2c', 7, 'lines'), chunk(2, 's2c', 1)])
    ix.add(r);
  const entries = Array.from({ length: ix.entryCount }, (_, e) => ix.entry(e));
  assert.deepEqual(
    entries.map((e) => [e.raw, e.count, e.bytes, e.chunks]),
    [
      [0, 2, 30, true],
      [2, 1, 5, true],
      [3, 2, 10, true],
      [5, 1, 7, false],
      [6, 1, 1, true],
    ],
  );
});
