import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameStore } from '../../../extension/engine/capture/frame-store';
import { matchRow, parseFilter, type MatchableRow } from '../../../extension/shared/filter';
import type { Direction, FrameRow, EventRow, Row } from '../../../extension/engine/types';

function parentDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-fs-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const DIRS: Direction[] = ['c2s', 's2c'];

function frame(id: number): FrameRow {
  const data = Buffer.alloc(id % 50);
  for (let i = 0; i < data.length; i++) data[i] = (id + i) & 0xff;
  return {
    type: 'frame',
    id,
    ts: 1_760_000_000_000_000 + id * 7,
    mono: id * 7,
    tap: id % 3 === 0 ? 'unix:/tmp/app.sock' : 'tcp:7000=127.0.0.1:1234',
    conn: id % 5,
    dir: DIRS[id % 2]!,
    proto: id % 4 === 0 ? 'gob' : 'lines',
    len: data.length,
    data,
    summary: `frame ${id} Arith.Mul`,
    decoded: {
      n: id,
      big: BigInt(id) * 10n ** 18n,
      neg: -(2n ** 64n) - BigInt(id),
      nested: [{ x: 1.5, s: 'é' }],
      raw: Buffer.from([id & 0xff]) /* Uint8Array values come back as Buffer (a Uint8Array) */,
    },
    ...(id % 11 === 0 ? { error: 'short frame' } : {}),
    ...(id % 2 === 1 ? { pair: { key: `k${id}`, role: 'response' as const, request: id - 1, latencyUs: 12 } } : {}),
  };
}

function event(id: number): EventRow {
  return { type: 'event', id, kind: 'exit', pid: 100 + id, code: null, signal: 'SIGTERM', bySignal: true, ts: id, mono: id };
}

const make = (id: number): Row => (id % 10 === 9 ? event(id) : frame(id));

test('rows come back exactly (bytes, bigints of any size, optional fields) from buffer and disk alike', async (t) => {
  const store = await FrameStore.create(parentDir(t), { flushBytes: 1024 });
  try {
    for (let id = 1; id <= 2000; id++) store.append(make(id));
    assert.equal(store.count, 2000);
    assert.equal(store.firstId, 1);
    assert.equal(store.lastRowId, 2000);
    assert.ok(store.stats().bufferedBytes < 1024 + 300);
    for (const id of [1, 2, 9, 10, 11, 1000, 1999, 2000]) assert.deepEqual(await store.get(id), make(id), `row ${id}`);
    // Ranges across the written/buffered boundary, and clamped ends.
    const all = await store.getRange(0, 5000);
    assert.equal(all.length, 2000);
    all.forEach((r, i) => assert.deepEqual(r, make(i + 1)));
    assert.deepEqual(await store.getRange(1990, 1995), [1990, 1991, 1992, 1993, 1994].map(make));
    assert.deepEqual(await store.rowsAt(0, 2), [make(1), make(2)]);
    assert.deepEqual(await store.getRange(5, 5), []);
    assert.equal(await store.get(0), undefined);
    assert.equal(await store.get(2001), undefined);
    assert.equal(await store.get(1.5), undefined);
    const f = (await store.get(4)) as FrameRow;
    assert.ok(Buffer.isBuffer(f.data) || f.data instanceof Uint8Array);
    assert.equal(typeof (f.decoded as { big: unknown }).big, 'bigint');
    assert.equal('error' in f, false);
    assert.equal('pair' in f, false);
    // Appends after reads keep working, and reading while appending sees a consistent store.
    const pending = store.getRange(1, 2001);
    for (let id = 2001; id <= 2100; id++) store.append(make(id));
    assert.equal((await pending).length, 2000);
    assert.deepEqual(await store.getRange(2095, 2101), [2095, 2096, 2097, 2098, 2099, 2100].map(make));
  } finally {
    await store.close();
  }
});

test('ids must increase; gaps are allowed and map correctly', async (t) => {
  const store = FrameStore.createSync(parentDir(t), { flushBytes: 512 });
  try {
    const ids = [0, 1, 2, 10, 11, 12, 13, 100, 1000, 1001];
    for (const id of ids) store.append(make(id));
    assert.throws(() => store.append(make(1001)), /row id 1001 does not follow 1001/);
    assert.throws(() => store.append(make(5)), /row id 5 does not follow 1001/);
    assert.equal(store.count, ids.length);
    ids.forEach((id, i) => {
      assert.equal(store.indexOf(id), i);
      assert.equal(store.idAt(i), id);
    });
    for (const missing of [3, 9, 14, 99, 101, 999, 1002, -1]) {
      assert.equal(store.indexOf(missing), -1);
      assert.equal(await store.get(missing), undefined);
    }
    assert.deepEqual(
      (await store.getRange(2, 12)).map((r) => r.id),
      [2, 10, 11],
    );
    assert.deepEqual(
      (await store.getRange(14, 1001)).map((r) => r.id),
      [100, 1000],
    );
    assert.deepEqual(
      (await store.getMany([13, 0, 1, 2, 77, 1001])).map((r) => r.id),
      [13, 0, 1, 2, 1001],
    );
    assert.deepEqual(await store.get(100), make(100));
  } finally {
    await store.close();
  }
});

test('filter by predicate, by filter text and by parsed spec, within an id range', async (t) => {
  const store = await FrameStore.create(parentDir(t), { flushBytes: 4096 });
  try {
    const N = 5000;
    for (let id = 1; id <= N; id++) store.append(make(id));
    const expect = (pred: (r: Row) => boolean, from = 1, to = N + 1): number[] => {
      const out: number[] = [];
      for (let id = from; id < to; id++) if (pred(make(id))) out.push(id);
      return out;
    };
    const isConn3 = (r: Row): boolean => r.type === 'frame' && r.conn === 3;
    assert.deepEqual([...(await store.filter(isConn3))], expect(isConn3));
    const gob = (r: Row): boolean => r.type === 'frame' && r.proto === 'gob';
    assert.deepEqual([...(await store.filter('proto:gob'))], expect(gob));
    assert.deepEqual([...(await store.filter(parseFilter('proto:gob').spec, { from: 100, to: 4000 }))], expect(gob, 100, 4000));
    assert.deepEqual([...(await store.filter('kind:exit', { from: 4990 }))], [4999]);
    const big = (r: Row): boolean => r.type === 'frame' && (r.decoded as { big: bigint }).big > 4000n * 10n ** 18n;
    assert.deepEqual([...(await store.filter(big))], expect(big));
    assert.equal((await store.filter(() => true)).length, N);
    assert.equal((await store.filter(() => false)).length, 0);
    assert.ok((await store.filter(isConn3)) instanceof Uint32Array);
  } finally {
    await store.close();
  }
});

test('filters answered from the in-memory facets give exactly what matching every row gives', async (t) => {
  const store = await FrameStore.create(parentDir(t), { flushBytes: 4096 });
  try {
    const N = 3000;
    // Ids with gaps (a cleared panel), events with and without a connection and direction.
    const rows: Row[] = [];
    for (let id = 1, k = 0; k < N; k++, id += k % 97 === 0 ? 5 : 1) {
      const r = make(id);
      if (r.type === 'event' && id % 3 === 0)
        Object.assign(r, { kind: 'half-close', conn: Math.floor(id / 10) % 5, dir: DIRS[Math.floor(id / 10) % 2], tap: 'unix:/tmp/app.sock' });
      rows.push(r);
      store.append(r);
    }
    const filters = [
      'conn:3',
      'conn:4',
      'conn:1,2',
      '-conn:0',
      'type:event conn:2',
      'type:event dir:s2c',
      'dir:c2s',
      'dir:s2c conn:4',
      'type:event',
      'type:frame -proto:gob',
      'kind:exit',
      'kind:half conn:2',
      'proto:gob,lin',
      'tap:unix',
      '-tap:tcp dir:c2s',
      'after:1500',
      'after:1500 conn:1',
      // with terms the facets cannot decide: only the rows the facet terms let through are read
      'after:2900 Arith',
      'after:2700 conn:1 -Arith',
      'after:2800 kind:half SIGTERM', // few candidates: read one by one
      'conn:3 Arith',
      'dir:c2s error',
      'proto:gob error:short',
      'conn:2 -frame',
      'type:event SIGTERM',
      'method:nothing conn:1',
      // none of the facet fields: the full scan
      'Arith',
      'error',
    ];
    for (const f of filters) {
      const spec = parseFilter(f).spec;
      const expected = rows.filter((r) => matchRow(spec, r as unknown as MatchableRow)).map((r) => r.id);
      assert.deepEqual([...(await store.filter(f))], expected, f);
      const from = rows[700]!.id;
      const to = rows[2200]!.id;
      assert.deepEqual(
        [...(await store.filter(f, { from, to }))],
        expected.filter((id) => id >= from && id < to),
        `${f} in a range`,
      );
    }
  } finally {
    await store.close();
  }
});

test('close removes the files and the directory; later use is refused', async (t) => {
  const parent = parentDir(t);
  const store = await FrameStore.create(parent);
  for (let id = 0; id < 100; id++) store.append(make(id));
  await store.flush();
  assert.deepEqual(readdirSync(store.dir).sort(), ['offsets.u64', 'rows.msgpack']);
  assert.equal(statSync(join(store.dir, 'offsets.u64')).size, 800);
  await store.close();
  await store.close();
  assert.equal(existsSync(store.dir), false);
  assert.deepEqual(readdirSync(parent), []);
  assert.throws(() => store.append(make(100)), /closed/);
  await assert.rejects(store.getRange(0, 10), /closed/);
});
