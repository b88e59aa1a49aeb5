import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FilteredRows } from '../../../extension/server/row-store';
import { FrameStore } from '../../../extension/engine/capture/frame-store';
import { Throttle } from '../../../extension/server/throttle';
import { prettyJson } from '../../../extension/engine/util/json-pretty';
import { toWireRow } from '../../../extension/server/wire';
import type { Row } from '../../../extension/engine/types';

function frame(id: number, conn: number, summary: string): Row {
  return { type: 'frame', id, ts: id, mono: id, tap: 't', conn, dir: 'c2s', proto: 'lines', len: 1, data: new Uint8Array([id & 255]), summary, decoded: summary };
}

test('filtered views over the FrameStore: ranges, counts, incremental growth, id lookup, find', async () => {
  const store = FrameStore.createSync();
  try {
    const fr = new FilteredRows(store);
    for (let i = 1; i <= 100; i++) store.append(frame(i, i % 2 ? 1 : 2, `msg ${i}`));
    assert.equal(await fr.countOf(), 100);
    assert.equal(await fr.countOf('conn:2'), 50);
    assert.deepEqual(
      (await fr.get('conn:2', 0, 3)).rows.map((r) => r.id),
      [2, 4, 6],
    );
    for (let i = 101; i <= 110; i++) store.append(frame(i, 2, `msg ${i}`));
    assert.equal(await fr.countOf('conn:2'), 60, 'new rows are picked up');
    assert.equal(await fr.indexOfId('conn:2', 104), 53);
    assert.equal(await fr.indexOfId('conn:2', 3), -1);
    assert.equal((await fr.get(undefined, 105, 100)).rows.length, 5);
    assert.equal((await fr.get(undefined, 500, 10)).rows.length, 0);
    assert.equal(await fr.find(undefined, 0, false, (r) => r.type === 'frame' && r.summary === 'msg 42'), 41);
    assert.equal(await fr.find(undefined, 99, true, (r) => r.type === 'frame' && r.summary === 'msg 42'), 41);
    assert.equal(await fr.find('conn:1', 0, false, (r) => r.type === 'frame' && r.summary === 'msg 42'), -1);
  } finally {
    await store.close();
  }
});

test('wire rows: base64 bytes and exact JSON text', () => {
  const r = { ...frame(1, 1, 'x'), data: new Uint8Array([0, 255]), decoded: { n: 2n ** 64n + 1n } } as Row;
  const w = toWireRow(r);
  assert.equal(w.type, 'frame');
  if (w.type !== 'frame') return;
  assert.equal(w.data, 'AP8=');
  assert.equal(w.decodedJson, '{"n":18446744073709551617}');
  assert.equal(prettyJson('{"a":[1,{"b":"x,y"}],"c":{}}'), '{\n  "a": [\n    1,\n    {\n      "b": "x,y"\n    }\n  ],\n  "c": {}\n}');
});

test('throttle: one leading call, one trailing call for a burst', async () => {
  let calls = 0;
  const t = new Throttle(40, () => calls++);
  for (let i = 0; i < 100; i++) t.poke();
  assert.equal(calls, 1);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(calls, 2);
  t.dispose();
});
