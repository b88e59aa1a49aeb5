import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { buildHeader, checkMagic, chunkRecordBound, encodeChunkRecord, makePackr, makeUnpackr, parseRecords, CRC_BYTES } from '../../../extension/engine/capture/format';
import type { Chunk } from '../../../extension/engine/types';

test('hand-encoded chunk records read back through msgpackr with every field intact', () => {
  const unpackr = makeUnpackr();
  const cases: Chunk[] = [];
  for (const len of [0, 1, 255, 256, 65535, 65536, 70000]) {
    for (const dir of ['c2s', 's2c', 'stdin', 'stdout', 'stderr'] as const) {
      const data = Buffer.alloc(len);
      for (let i = 0; i < len; i++) data[i] = (i * 31 + len) & 0xff;
      cases.push({ conn: len % 7 === 0 ? 0 : len * 1000 + 3, dir, ts: 1_700_000_000_123_456 + len, mono: len * 3.5, data });
    }
  }
  cases.push({ conn: 2 ** 33, dir: 'c2s', ts: 0, mono: 0, data: new Uint8Array([9]) });
  for (const c of cases) {
    const buf = Buffer.alloc(chunkRecordBound(c.data.length));
    const end = encodeChunkRecord(buf, 0, c, 0, c.data.length);
    const bytes = buf.subarray(0, end);
    // The checksum trailer is a msgpack uint32 holding the CRC-32 of the record bytes.
    assert.equal(bytes[end - CRC_BYTES], 0xce);
    assert.equal(bytes.readUInt32BE(end - 4), crc32(bytes.subarray(0, end - CRC_BYTES)));
    const values = unpackr.unpackMultiple(bytes) as unknown[];
    assert.equal(values.length, 2);
    const r = values[0] as Chunk & { t: string };
    assert.deepEqual(Object.keys(r), ['t', 'conn', 'dir', 'ts', 'mono', 'data']);
    assert.equal(r.t, 'c');
    assert.equal(r.conn, c.conn);
    assert.equal(r.dir, c.dir);
    assert.equal(r.ts, c.ts);
    assert.equal(r.mono, c.mono);
    assert.ok(Buffer.from(c.data).equals(Buffer.from(r.data)), `data of length ${c.data.length}`);
  }
});

test('a sub-range of a chunk encodes just that range', () => {
  const c: Chunk = { conn: 1, dir: 's2c', ts: 5, mono: 6, data: Buffer.from('hello world') };
  const buf = Buffer.alloc(chunkRecordBound(5));
  const end = encodeChunkRecord(buf, 0, c, 6, 11);
  let got: Chunk | undefined;
  parseRecords(makeUnpackr(), buf.subarray(0, end), (r) => {
    got = r as Chunk;
  });
  assert.equal(Buffer.from(got!.data).toString(), 'world');
});

test('the header starts with the magic and keeps extra fields; checkMagic recognises it', () => {
  const h = buildHeader({ start: 42, name: 'demo', decodeByTap: { 'unix:/x': 'gob' }, ignored: undefined });
  const bytes = makePackr().pack(h);
  assert.equal(checkMagic(bytes), 'yes');
  assert.equal(checkMagic(bytes.subarray(0, 5)), 'short');
  assert.equal(checkMagic(Buffer.from('hello, world')), 'no');
  assert.equal(checkMagic(makePackr().pack({ t: 'ipctax' })), 'no');
  const back = makeUnpackr().unpack(bytes) as Record<string, unknown>;
  assert.deepEqual(Object.keys(back).slice(0, 3), ['t', 'v', 'start']);
  assert.equal(back.name, 'demo');
  assert.deepEqual(back.decodeByTap, { 'unix:/x': 'gob' });
  assert.equal('ignored' in back, false);
  assert.equal(back.decode, 'auto');
});

test('parseRecords stops at an incomplete record and reports damage with its start', () => {
  const unpackr = makeUnpackr();
  const c: Chunk = { conn: 1, dir: 'c2s', ts: 5, mono: 6, data: Buffer.from('abc') };
  const one = Buffer.alloc(chunkRecordBound(3));
  const n = encodeChunkRecord(one, 0, c, 0, 3);
  const two = Buffer.concat([one.subarray(0, n), one.subarray(0, n)]);
  let count = 0;
  assert.deepEqual(
    parseRecords(unpackr, two.subarray(0, n + 7), () => void count++),
    { consumed: n },
  );
  assert.equal(count, 1);
  const bad = Buffer.from(two);
  bad[n + 12] ^= 0x01; // inside the second record
  const r = parseRecords(unpackr, bad, () => undefined);
  assert.equal(r.consumed, n);
  assert.equal(r.corrupt?.at, n);
});
