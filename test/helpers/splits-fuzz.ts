// Split and fuzz checks shared by the zmtp/http2/grpc unit tests (until the shared decoder
// suite covers them): whole vs byte-by-byte vs seeded random splits, and seeded junk/mutation
// fuzzing (no throw, bounded output).
import assert from 'node:assert/strict';
import type { ConnDecoder, DecoderInfo, DecoderOptions } from '../../extension/engine/decoders/core/decoder';
import type { Direction, Frame } from '../../extension/engine/types';
import { toJson } from '../../extension/engine/util/json';

export type Script = [Direction, Uint8Array][];

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** Feed each step (optionally cut into pieces by `cut`), then end every direction. */
export function run(info: DecoderInfo, script: Script, cut?: (b: Uint8Array) => Uint8Array[], opts?: DecoderOptions): Frame[] {
  const dec: ConnDecoder = info.create(opts);
  const out: Frame[] = [];
  const dirs = new Set<Direction>();
  for (const [dir, bytes] of script) {
    dirs.add(dir);
    for (const piece of cut ? cut(bytes) : [bytes]) out.push(...dec.push(dir, piece));
  }
  for (const d of dirs) out.push(...dec.end(d));
  return out;
}

/** A stable rendering for comparing frame lists (data as hex). */
export function render(frames: Frame[]): string[] {
  return frames.map((f) =>
    toJson({ dir: f.dir, summary: f.summary, decoded: f.decoded, error: f.error, data: Buffer.from(f.data).toString('hex'), pair: f.pair, payload: f.payload }),
  );
}

export const byteByByte = (b: Uint8Array): Uint8Array[] => Array.from(b, (_, i) => b.subarray(i, i + 1));

export function randomCuts(seed: number): (b: Uint8Array) => Uint8Array[] {
  const r = rng(seed);
  return (b) => {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < b.length) {
      const n = 1 + Math.floor(r() * (r() < 0.5 ? 8 : 200));
      out.push(b.subarray(i, i + n));
      i += n;
    }
    return out;
  };
}

/** Whole, byte-by-byte and 20 random splittings give the same frames. */
export function assertSplitInvariant(info: DecoderInfo, script: Script, opts?: DecoderOptions): Frame[] {
  const whole = run(info, script, undefined, opts);
  const expect = render(whole);
  assert.deepEqual(render(run(info, script, byteByByte, opts)), expect, 'byte by byte');
  for (let seed = 1; seed <= 20; seed++) assert.deepEqual(render(run(info, script, randomCuts(seed), opts)), expect, `random cuts seed ${seed}`);
  return whole;
}

/**
 * Seeded fuzz: random bytes, and mutations of the given valid scripts (bit flips, inserted and
 * deleted bytes, truncations), fed with random splits. Nothing may throw; every frame must be
 * JSON-able; the frames' data must not exceed the input by more than a small factor.
 */
export function fuzz(info: DecoderInfo, seeds: Script[], rounds: number, seed = 7, opts?: DecoderOptions): void {
  const r = rng(seed);
  for (let k = 0; k < rounds; k++) {
    let script: Script;
    if (k % 4 === 0 || seeds.length === 0) {
      const dirs: Direction[] = ['c2s', 's2c'];
      script = Array.from({ length: 1 + Math.floor(r() * 4) }, () => [dirs[Math.floor(r() * 2)], Uint8Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))]);
    } else {
      const base = seeds[Math.floor(r() * seeds.length)];
      script = base.map(([d, b]) => {
        const m = Array.from(b);
        const edits = 1 + Math.floor(r() * 6);
        for (let e = 0; e < edits && m.length > 0; e++) {
          const at = Math.floor(r() * m.length);
          const op = r();
          if (op < 0.4) m[at] ^= 1 << Math.floor(r() * 8);
          else if (op < 0.6) m[at] = Math.floor(r() * 256);
          else if (op < 0.75) m.splice(at, 0, Math.floor(r() * 256));
          else if (op < 0.9) m.splice(at, 1 + Math.floor(r() * 4));
          else m.length = at;
        }
        return [d, Uint8Array.from(m)] as [Direction, Uint8Array];
      });
    }
    const inputBytes = script.reduce((n, [, b]) => n + b.length, 0);
    let frames: Frame[];
    try {
      frames = run(info, script, randomCuts(k + seed), opts);
    } catch (e) {
      assert.fail(`round ${k}: threw ${(e as Error).stack}`);
    }
    let outBytes = 0;
    for (const f of frames) {
      outBytes += f.data.length;
      assert.equal(typeof f.summary, 'string');
      toJson(f.decoded);
    }
    assert.ok(outBytes <= inputBytes * 2 + 64, `round ${k}: ${outBytes} bytes of frames from ${inputBytes} input bytes`);
  }
}
