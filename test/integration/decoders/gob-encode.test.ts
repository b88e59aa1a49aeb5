// The gob encoder against the real Go peers' corpora: every value a real encoding/gob Encoder
// wrote (gobsender's wide set, the net/rpc client's calls) is decoded, encoded back with the
// stream's type table, and must be the very bytes Go wrote; decoding the re-encoded bytes gives
// the same value; an edited value decodes to the edit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GobStream, type GobItem } from '../../../extension/engine/decoders/gob/stream';
import { GobEncoder } from '../../../extension/engine/decoders/gob/encode';
import { goBinary } from '../../helpers/go';
import { V } from '../../helpers/gob-util';

async function gobsenderStream(): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-gobenc-'));
  try {
    const child = spawn(goBinary('gobsender'), [join(dir, 'values.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c));
    const code = await new Promise<number | null>((res) => child.on('close', res));
    assert.equal(code, 0, 'gobsender exit code');
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type ValueItem = Extract<GobItem, { kind: 'value' }>;

/** Every value of a stream encoded back; returns the failures (empty when all are identical). */
function roundTrip(stream: Uint8Array): { values: number; failures: string[]; inside: number } {
  const s = new GobStream({ wireHints: true });
  const items = [...s.push(stream), ...s.end()];
  assert.deepEqual(
    items.filter((i) => i.kind === 'error'),
    [],
  );
  const names = new Map<string, number>();
  for (const it of items) if (it.kind === 'value' && it.concrete) for (const [p, n] of Object.entries(it.concrete)) names.set(n, it.wire!.ifaces.get(p)!);
  const failures: string[] = [];
  let values = 0;
  let inside = 0;
  // (re-encoded values are decoded with the whole stream's type table)
  const again = new GobStream();
  again.push(stream);
  for (const it of items) {
    if (it.kind !== 'value') continue;
    values++;
    const v = it as ValueItem;
    let out: Buffer;
    const definedInside = new Set((v.defines ?? []).map((d) => d.id as number));
    try {
      out = new GobEncoder(s.types, { concrete: v.concrete, wire: v.wire, names, definedInside }).message(v.typeId, v.value);
    } catch (e) {
      if (definedInside.size && /defined inside this very message/.test((e as Error).message)) {
        inside++;
        continue;
      }
      failures.push(`${v.typeName}: ${(e as Error).message}`);
      continue;
    }
    if (!out.equals(v.data)) failures.push(`${v.typeName}: ${out.toString('hex')}\n  vs Go ${Buffer.from(v.data).toString('hex')}`);
    // decode(encode(decode(bytes))) == decode(bytes)
    const back = again.push(out);
    assert.equal(back.length, 1);
    assert.deepEqual((back[0] as ValueItem).value, v.value);
  }
  return { values, failures, inside };
}

test('gob: every value from a real Go encoder encodes back to the bytes Go wrote', async () => {
  const { values, failures, inside } = roundTrip(await gobsenderStream());
  assert.ok(values > 330, `${values} values`);
  // (values that define a concrete type inside themselves are refused with a clear error)
  assert.ok(inside <= 3, `${inside} values define types inside`);
  assert.deepEqual(failures, []);
});

test('gob: net/rpc requests and responses of a real Go client and server encode back byte for byte', () => {
  for (const stream of [V.rpcC2S, V.rpcS2C, V.holder1, V.mixed, V.mapIface, V.holderTime, V.point2]) {
    const { values, failures } = roundTrip(stream);
    assert.ok(values > 0);
    assert.deepEqual(failures, []);
  }
});

test('gob: an edited value decodes to the edit; a wrong shape is a clear error', () => {
  const s = new GobStream({ wireHints: true });
  const items = s.push(V.rpcC2S).filter((i): i is ValueItem => i.kind === 'value');
  const args = items.find((i) => i.typeName === 'Args')!;
  const enc = new GobEncoder(s.types);
  const bytes = enc.message(args.typeId, { A: -5, B: 2 ** 40 });
  const d = new GobStream();
  d.push(V.rpcC2S);
  const got = d.push(bytes);
  assert.deepEqual((got[0] as ValueItem).value, { A: -5, B: 2 ** 40 });
  assert.throws(() => enc.message(args.typeId, { A: 1, C: 2 }), /Args has no field "C"/);
  assert.throws(() => enc.message(args.typeId, { A: 'x' }), /\/A: expected an integer/);
});
