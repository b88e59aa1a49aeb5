// Test utilities for the gob, netrpc and jsonrpc1 unit tests: the byte vectors from real Go 1.19
// (see PROTOCOLS.md), a tiny gob encoder for hand-made streams, and split/fuzz drivers.
import assert from 'node:assert/strict';
import type { ConnDecoder, DecoderInfo } from '../../extension/engine/decoders/core/decoder';
import type { Direction, Frame } from '../../extension/engine/types';

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** Byte dumps made by Go 1.19's encoding/gob and net/rpc. */
export const V = {
  point2: hex(`1f ff 81 03 01 01 05 50 6f 69 6e 74 01 ff 82 00 01 02 01 01 58 01 04 00 01 01 59 01 04 00 00 00
               07 ff 82 01 2c 01 42 00 07 ff 82 01 2c 01 42 00`),
  int3: hex('03 04 00 06'),
  timeUtc: hex(`10 ff 83 05 01 01 04 54 69 6d 65 01 ff 84 00 00 00 13 ff 84 00 0f 01 00 00 00 0e dd 25 74 25 00
                00 00 06 ff ff`),
  timeBinaryUtc: hex('01 00 00 00 0e dd 25 74 25 00 00 00 06 ff ff'),
  timeBinaryPlus0130: hex('01 00 00 00 0e dd 25 5f 0d 00 00 00 06 00 5a'),
  holder1: hex(`23 ff 81 03 01 01 06 48 6f 6c 64 65 72 01 ff 82 00 01 02 01 04 4e 61 6d 65 01 0c 00 01 01 53 01
                10 00 00 00 2c ff 82 01 01 68 01 0b 6d 61 69 6e 2e 43 69 72 63 6c 65 ff 83 03 01 01 06 43 69 72
                63 6c 65 01 ff 84 00 01 01 01 01 52 01 08 00 00 00 07 ff 84 03 01 40 00 00`),
  holder2: hex('19 ff 82 01 01 68 01 0b 6d 61 69 6e 2e 43 69 72 63 6c 65 ff 84 03 01 40 00 00'),
  holderNil: hex('06 ff 82 01 01 6e 00'),
  mapIface: hex(`0e ff 85 04 01 02 ff 86 00 01 0c 01 10 00 00 12 ff 86 00 01 01 6b 06 73 74 72 69 6e 67 0c 03 00
                 01 76`),
  holderTime: hex(`2a ff 85 03 01 01 06 48 6f 6c 64 65 72 01 ff 86 00 01 03 01 04 4e 61 6d 65 01 0c 00 01 01 53 01
                   10 00 01 01 54 01 ff 84 00 00 00 10 ff 83 05 01 01 04 54 69 6d 65 01 ff 84 00 00 00 2c ff 86 01
                   01 68 01 0b 6d 61 69 6e 2e 43 69 72 63 6c 65 ff 87 03 01 01 06 43 69 72 63 6c 65 01 ff 88 00 01
                   01 01 01 52 01 08 00 00 00 18 ff 88 03 01 40 00 01 0f 01 00 00 00 0e dd 25 74 25 00 00 00 06 ff
                   ff 00`),
  mixed: hex(`0e ff 89 04 01 02 ff 8a 00 01 0c 01 04 00 00 07 ff 8a 00 01 01 61 02 0c ff 8b 02 01 02 ff 8c 00
              01 0c 00 00 08 ff 8c 00 02 01 78 01 79 0e ff 8d 01 01 02 ff 8e 00 01 06 01 04 00 00 06 ff 8e 00
              02 01 02 05 04 00 fe 01 01 05 08 00 fe 31 40`),
  rpcC2S: hex(`2f ff 8f 03 01 01 07 52 65 71 75 65 73 74 01 ff 90 00 01 02 01 0d 53 65 72 76 69 63 65 4d 65 74
               68 6f 64 01 0c 00 01 03 53 65 71 01 06 00 00 00 13 ff 90 01 0e 41 72 69 74 68 2e 4d 75 6c 74 69
               70 6c 79 00 1e ff 91 03 01 01 04 41 72 67 73 01 ff 92 00 01 02 01 01 41 01 04 00 01 01 42 01 04
               00 00 00 07 ff 92 01 0e 01 10 00 13 ff 90 01 0c 41 72 69 74 68 2e 44 69 76 69 64 65 01 01 00 05
               ff 92 01 0e 00 15 ff 90 01 0e 41 72 69 74 68 2e 4d 75 6c 74 69 70 6c 79 01 02 00 07 ff 92 01 04
               01 06 00 0d ff 90 01 06 4e 6f 70 65 2e 58 01 03 00 07 ff 92 01 02 01 02 00`),
  rpcS2C: hex(`3a ff 93 03 01 01 08 52 65 73 70 6f 6e 73 65 01 ff 94 00 01 03 01 0d 53 65 72 76 69 63 65 4d 65
               74 68 6f 64 01 0c 00 01 03 53 65 71 01 06 00 01 05 45 72 72 6f 72 01 0c 00 00 00 13 ff 94 01 0e
               41 72 69 74 68 2e 4d 75 6c 74 69 70 6c 79 00 03 04 00 70 23 ff 94 01 0c 41 72 69 74 68 2e 44 69
               76 69 64 65 01 01 01 0e 64 69 76 69 64 65 20 62 79 20 7a 65 72 6f 00 0a ff 95 03 01 02 ff 96 00
               00 00 03 ff 96 00 15 ff 94 01 0e 41 72 69 74 68 2e 4d 75 6c 74 69 70 6c 79 01 02 00 03 04 00 0c
               2d ff 94 01 06 4e 6f 70 65 2e 58 01 03 01 1e 72 70 63 3a 20 63 61 6e 27 74 20 66 69 6e 64 20 73
               65 72 76 69 63 65 20 4e 6f 70 65 2e 58 00 03 ff 96 00`),
  httpConnected: new TextEncoder().encode('HTTP/1.0 200 Connected to Go RPC\n\n'),
  httpConnect: new TextEncoder().encode('CONNECT /_goRPC_ HTTP/1.0\n\n'),
};

// ---- a tiny gob encoder for hand-made streams -------------------------------------------------

export function u(v: number | bigint): number[] {
  let x = BigInt(v);
  if (x < 128n) return [Number(x)];
  const bytes: number[] = [];
  while (x > 0n) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  return [256 - bytes.length, ...bytes];
}
export function i(v: number | bigint): number[] {
  const x = BigInt(v);
  return u(x < 0n ? ((-x - 1n) << 1n) | 1n : x << 1n);
}
export function str(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...u(b.length), ...b];
}
export function f64(x: number): number[] {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(dv.getUint8(k));
  return u(v);
}
/** A count-prefixed message. */
export function msg(...parts: number[][]): number[] {
  const body = parts.flat();
  return [...u(body.length), ...body];
}
/** wireType for a struct: fields [name, typeId]. */
export function structDef(id: number, name: string, fields: [string, number][]): number[] {
  const fs = fields.flatMap(([n, t]) => [1, ...str(n), 1, ...i(t), 0]);
  return msg(i(-id), [3, 1, ...(name ? [1, ...str(name), 1] : [2]), ...i(id), 0, 1, ...u(fields.length), ...fs, 0, 0]);
}
export function sliceDef(id: number, elem: number): number[] {
  return msg(i(-id), [2, 1, 2, ...i(id), 0, 1, ...i(elem), 0, 0]);
}
export function mapDef(id: number, key: number, elem: number): number[] {
  return msg(i(-id), [4, 1, 2, ...i(id), 0, 1, ...i(key), 1, ...i(elem), 0, 0]);
}
export function externalDef(id: number, name: string, flavor: 5 | 6 | 7): number[] {
  return msg(i(-id), [flavor, 1, 1, ...str(name), 1, ...i(id), 0, 0, 0]);
}

// ---- drivers ---------------------------------------------------------------------------------

export interface Step {
  dir: Direction;
  bytes: Uint8Array;
}

export function run(dec: ConnDecoder, steps: Step[], split: (n: number) => number[] = (n) => [n]): Frame[] {
  const out: Frame[] = [];
  const dirs = new Set<Direction>();
  for (const { dir, bytes } of steps) {
    dirs.add(dir);
    let o = 0;
    for (const len of split(bytes.length)) {
      out.push(...dec.push(dir, bytes.subarray(o, o + len)));
      o += len;
    }
  }
  for (const d of dirs) out.push(...dec.end(d));
  return out;
}

export const bytewise = (n: number): number[] => new Array(n).fill(1);

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomSplits(r: () => number): (n: number) => number[] {
  return (n) => {
    const out: number[] = [];
    while (n > 0) {
      const k = Math.min(n, 1 + Math.floor(r() * (r() < 0.5 ? 8 : 200)));
      out.push(k);
      n -= k;
    }
    return out;
  };
}

/** What a frame looks like to a user, for comparing whole / split decodings. */
export function view(frames: Frame[]): unknown[] {
  return frames.map((f) => ({ dir: f.dir, data: Buffer.from(f.data).toString('hex'), summary: f.summary, decoded: f.decoded, error: f.error, pair: f.pair }));
}

/** Whole, byte-by-byte and random splits decode alike; returns the whole-input frames. */
export function assertSplitInvariant(info: DecoderInfo, steps: Step[], seeds = 5): Frame[] {
  const whole = run(info.create(), steps);
  assert.deepEqual(view(run(info.create(), steps, bytewise)), view(whole), 'byte-by-byte');
  for (let s = 1; s <= seeds; s++) assert.deepEqual(view(run(info.create(), steps, randomSplits(rng(s)))), view(whole), `random split seed ${s}`);
  return whole;
}

/**
 * Seeded fuzz: random bytes and mutations of `corpus`, pushed in random pieces. The decoder must
 * not throw, must return frames whose bytes never exceed what was pushed, and must finish.
 */
export function fuzz(info: DecoderInfo, corpus: Uint8Array[], iterations: number, seed = 42, dirs: Direction[] = ['c2s', 's2c']): number {
  const r = rng(seed);
  let frames = 0;
  for (let n = 0; n < iterations; n++) {
    let input: Uint8Array;
    const pick = r();
    if (pick < 0.25 || corpus.length === 0) {
      input = new Uint8Array(Math.floor(r() * 300));
      for (let k = 0; k < input.length; k++) input[k] = Math.floor(r() * 256);
    } else {
      const base = corpus[Math.floor(r() * corpus.length)]!;
      input = Uint8Array.from(base);
      const edits = 1 + Math.floor(r() * 6);
      for (let e = 0; e < edits && input.length; e++) {
        const at = Math.floor(r() * input.length);
        const op = r();
        if (op < 0.6) input[at] = Math.floor(r() * 256);
        else if (op < 0.8) input = Uint8Array.from([...input.subarray(0, at), ...input.subarray(at + 1 + Math.floor(r() * 8))]);
        else input = Uint8Array.from([...input.subarray(0, at), ...input.subarray(at, at + Math.floor(r() * 16)), ...input.subarray(at)]);
      }
      if (pick > 0.9) input = input.subarray(Math.floor(r() * input.length)); // mid-stream start
    }
    const dir = dirs[Math.floor(r() * dirs.length)]!;
    const dec = info.create({ maxFrame: 1 << 16 });
    let got = 0;
    const fs = run(dec, [{ dir, bytes: input }], randomSplits(r));
    for (const f of fs) got += f.data.length;
    assert.ok(got <= input.length, `frames carry ${got} bytes of ${input.length}`);
    frames += fs.length;
  }
  return frames;
}
