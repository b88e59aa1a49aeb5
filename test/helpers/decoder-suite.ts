// Conformance checks any decoder's unit test can run (and the fuzz runner reuses):
//  - byte vectors fed whole, byte by byte and at random split points give identical frames;
//  - every frame is well formed (bytes, one-line summary, JSON-able decoded value);
//  - frames conserve the bytes: per direction, their data concatenated equals the input;
//  - an input cut inside its last frame gives an error frame at end(), not silence;
//  - random and mutated inputs (seeded) never throw out of push()/end().
// Usage: decoderSuite({ decoder: 'msgpack', vectors: [{ name: 'map', input: [['c2s', bytes]] }] })
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnDecoder, DecoderInfo, DecoderOptions } from '../../extension/engine/decoders/core/decoder';
import { resolveDecoder } from '../../extension/engine/decoders/core/registry';
import type { Direction, Frame } from '../../extension/engine/types';
import { toJson } from '../../extension/engine/util/json';

export type Segment = [Direction, Uint8Array];

export interface Vector {
  name: string;
  /** Bytes in the order they flow; consecutive segments may change direction. */
  input: Segment[];
}

export interface SuiteOptions {
  decoder: string | DecoderInfo;
  options?: DecoderOptions;
  vectors: Vector[];
  /** Frames follow push boundaries (raw): compare only the bytes, not the frames. */
  chunkSensitive?: boolean;
  /** Cut each vector inside its last frame and expect an error frame at end() (default true). */
  truncation?: boolean;
  /** Seeded random/mutated inputs (default 300 inputs of up to 2 KiB). */
  fuzz?: { seed?: number; iterations?: number; maxLen?: number; options?: DecoderOptions };
}

// ---------- seeded randomness ----------

export type Rng = () => number; // uniform in [0, 1)

/** mulberry32: small, fast, good enough for fuzzing. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randInt = (rng: Rng, n: number): number => Math.floor(rng() * n);

// ---------- feeding ----------

export type Split = 'whole' | 'bytes' | Rng;

function pieces(bytes: Uint8Array, split: Split): Uint8Array[] {
  if (split === 'whole') return [bytes];
  if (split === 'bytes') return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const n = 1 + randInt(split, Math.min(bytes.length - pos, split() < 0.5 ? 8 : 512));
    out.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

/** Push every segment (split as asked), then end() each direction used, in first-use order. */
export function feed(dec: ConnDecoder, input: Segment[], split: Split): Frame[] {
  const frames: Frame[] = [];
  const dirs: Direction[] = [];
  for (const [dir, bytes] of input) {
    if (!dirs.includes(dir)) dirs.push(dir);
    // copy, so a decoder that keeps subarrays cannot be fooled by shared memory
    for (const p of pieces(Uint8Array.from(bytes), split)) for (const f of dec.push(dir, p)) frames.push(f);
  }
  for (const d of dirs) for (const f of dec.end(d)) frames.push(f);
  return frames;
}

export function decoderInfo(d: string | DecoderInfo): DecoderInfo {
  return typeof d === 'string' ? resolveDecoder(d) : d;
}

// ---------- checks ----------

/** A problem with the frame's shape, or null. */
export function frameProblem(f: Frame): string | null {
  if (!(f.data instanceof Uint8Array)) return 'frame.data is not a Uint8Array';
  if (typeof f.summary !== 'string') return 'frame.summary is not a string';
  if (/[\n\r]/.test(f.summary)) return `summary is not one line: ${JSON.stringify(f.summary.slice(0, 80))}`;
  if (f.error !== undefined && typeof f.error !== 'string') return 'frame.error is not a string';
  if (f.payload && !(f.payload.start >= 0 && f.payload.start <= f.payload.end && f.payload.end <= f.data.length))
    return `payload range ${f.payload.start}..${f.payload.end} outside ${f.data.length} B`;
  if (f.pair && (typeof f.pair.key !== 'string' || (f.pair.role !== 'request' && f.pair.role !== 'response'))) return 'bad frame.pair';
  for (const r of f.ranges ?? []) {
    if (!(typeof r.path === 'string' && r.path.startsWith('/') && r.start >= 0 && r.start <= r.end && r.end <= f.data.length))
      return `range ${JSON.stringify(r)} outside ${f.data.length} B`;
  }
  const bad = jsonableProblem(f.decoded, '', 0);
  if (bad) return `decoded is not JSON-able: ${bad}`;
  return null;
}

function jsonableProblem(v: unknown, path: string, depth: number): string | null {
  if (depth > 2000) return `${path}: nested too deep`;
  if (v === null) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return null;
    case 'number':
      return Number.isFinite(v) ? null : `${path}: ${v}`;
    case 'object': {
      if (v instanceof Uint8Array) return null;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const p = jsonableProblem(v[i], `${path}/${i}`, depth + 1);
          if (p) return p;
        }
        return null;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return `${path}: a ${proto?.constructor?.name ?? 'non-plain'} object`;
      for (const k of Object.keys(v)) {
        const p = jsonableProblem((v as Record<string, unknown>)[k], `${path}/${k}`, depth + 1);
        if (p) return p;
      }
      return null;
    }
    default:
      return `${path}: ${typeof v}`;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** Null when, per direction, the frames' bytes concatenated equal the input's. */
export function conservationProblem(input: Segment[], frames: Frame[]): string | null {
  const dirs = new Set(input.map(([d]) => d));
  for (const d of dirs) {
    const want = concat(input.filter(([x]) => x === d).map(([, b]) => b));
    const got = concat(frames.filter((f) => f.dir === d).map((f) => f.data));
    if (!Buffer.from(want).equals(Buffer.from(got))) {
      let i = 0;
      while (i < want.length && i < got.length && want[i] === got[i]) i++;
      return `${d}: frames hold ${got.length} B, input ${want.length} B, first difference at byte ${i}`;
    }
  }
  for (const f of frames) if (!dirs.has(f.dir)) return `frame in direction ${f.dir}, which had no input`;
  return null;
}

/** A comparable form of frames (bytes as hex, decoded as exact JSON). */
export function normalize(frames: Frame[]): unknown[] {
  return frames.map((f) => ({
    dir: f.dir,
    data: Buffer.from(f.data).toString('hex'),
    summary: f.summary,
    decoded: toJson(f.decoded),
    error: f.error,
    proto: f.proto,
    pair: f.pair,
    payload: f.payload,
    ranges: f.ranges,
  }));
}

/** Every check on one input fed one way; returns the frames. Throws AssertionError on a problem. */
export function checkedFeed(info: DecoderInfo, options: DecoderOptions | undefined, input: Segment[], split: Split): Frame[] {
  const frames = feed(info.create(options), input, split);
  for (const f of frames) {
    const p = frameProblem(f);
    assert.equal(p, null, p ?? '');
  }
  const c = conservationProblem(input, frames);
  assert.equal(c, null, c ?? '');
  return frames;
}

// ---------- random inputs ----------

const INTERESTING = [0x00, 0x01, 0x0a, 0x0d, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x7b, 0x7d, 0x3a, 0xc1, 0x90, 0xdc, 0xdd];

/** A mutated copy of `b`: flips, inserts, deletes, duplicated or cut regions, interesting bytes. */
export function mutate(rng: Rng, b: Uint8Array, maxLen: number): Uint8Array {
  let out = Array.from(b);
  const rounds = 1 + randInt(rng, 4);
  for (let r = 0; r < rounds; r++) {
    const at = randInt(rng, out.length + 1);
    switch (randInt(rng, 8)) {
      case 0:
        if (out.length) out[Math.min(at, out.length - 1)] ^= 1 << randInt(rng, 8);
        break;
      case 1:
        out.splice(at, 0, randInt(rng, 256));
        break;
      case 2:
        out.splice(at, 1 + randInt(rng, 8));
        break;
      case 3: {
        const n = randInt(rng, 32);
        out.splice(at, 0, ...out.slice(at, at + n));
        break;
      }
      case 4:
        out = out.slice(0, at);
        break;
      case 5:
        if (out.length) out[Math.min(at, out.length - 1)] = INTERESTING[randInt(rng, INTERESTING.length)];
        break;
      case 6:
        for (let i = 0; i < 4 && at + i < out.length; i++) out[at + i] = rng() < 0.5 ? 0xff : 0x00;
        break;
      default:
        out.splice(at, 0, ...Array.from({ length: randInt(rng, 16) }, () => randInt(rng, 256)));
    }
  }
  return Uint8Array.from(out.slice(0, maxLen));
}

export function randomBytes(rng: Rng, maxLen: number): Uint8Array {
  const n = rng() < 0.5 ? randInt(rng, 32) : randInt(rng, maxLen + 1);
  const out = new Uint8Array(n);
  const textual = rng() < 0.3;
  for (let i = 0; i < n; i++) out[i] = textual ? 0x20 + randInt(rng, 0x5f) : randInt(rng, 256);
  return out;
}

/** One random input: random bytes or a mutated corpus entry, possibly split across directions. */
export function randomInput(rng: Rng, corpus: Segment[][], maxLen: number): Segment[] {
  const dirs: Direction[] = rng() < 0.85 ? ['c2s', 's2c'] : ['stdin', 'stdout'];
  if (corpus.length === 0 || rng() < 0.25) {
    const segs: Segment[] = [];
    const n = 1 + randInt(rng, 3);
    for (let i = 0; i < n; i++) segs.push([dirs[randInt(rng, 2)], randomBytes(rng, maxLen)]);
    return segs;
  }
  const base = corpus[randInt(rng, corpus.length)];
  const mapDir = (d: Direction): Direction => (d === 'c2s' || d === 'stdin' ? dirs[0] : dirs[1]);
  const segs: Segment[] = base.map(([d, b]) => [mapDir(d), b]);
  // mutate one or more segments, sometimes splice in another corpus entry
  const k = randInt(rng, segs.length);
  segs[k] = [segs[k][0], mutate(rng, segs[k][1], maxLen)];
  if (rng() < 0.2) {
    const other = corpus[randInt(rng, corpus.length)];
    for (const [d, b] of other) segs.push([mapDir(d), b]);
  }
  return segs;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function describeInput(input: Segment[]): string {
  return input.map(([d, b]) => `${d}:${hex(b)}`).join(' ');
}

// ---------- the suite ----------

export function decoderSuite(opts: SuiteOptions): void {
  const info = decoderInfo(opts.decoder);
  const name = info.name;

  for (const v of opts.vectors) {
    test(`${name} conformance: ${v.name}: same frames whole, byte by byte and at random splits`, () => {
      const whole = checkedFeed(info, opts.options, v.input, 'whole');
      assert.ok(whole.length > 0 || v.input.every(([, b]) => b.length === 0), 'no frames at all');
      if (opts.chunkSensitive) {
        checkedFeed(info, opts.options, v.input, 'bytes');
        for (let s = 1; s <= 5; s++) checkedFeed(info, opts.options, v.input, prng(s));
        return;
      }
      const want = normalize(whole);
      assert.deepEqual(normalize(checkedFeed(info, opts.options, v.input, 'bytes')), want, 'byte by byte differs');
      for (let s = 1; s <= 5; s++) assert.deepEqual(normalize(checkedFeed(info, opts.options, v.input, prng(s))), want, `random split (seed ${s}) differs`);
    });

    if (opts.truncation !== false && !opts.chunkSensitive) {
      test(`${name} conformance: ${v.name}: cut inside the last frame gives an error frame at end()`, () => {
        const whole = checkedFeed(info, opts.options, v.input, 'whole');
        const last = v.input[v.input.length - 1];
        const dir = last[0];
        const inDir = whole.filter((f) => f.dir === dir);
        const total = v.input.filter(([d]) => d === dir).reduce((n, [, b]) => n + b.length, 0);
        const lastLen = inDir.length ? inDir[inDir.length - 1].data.length : 0;
        const lastStart = total - lastLen;
        const before = total - last[1].length; // bytes of this direction before the last segment
        const rng = prng(7);
        for (let t = 0; t < 5; t++) {
          // (not cutting just a line terminator: a last line without one is still a line)
          if (lastLen < 4 || lastStart < before) return; // last frame not inside the last segment
          const cut = lastStart - before + 1 + randInt(rng, lastLen - 3);
          const input: Segment[] = [...v.input.slice(0, -1), [dir, last[1].subarray(0, cut)]];
          const frames = checkedFeed(info, opts.options, input, 'whole');
          const tail = frames.filter((f) => f.dir === dir);
          assert.ok(tail.length > 0 && tail[tail.length - 1].error !== undefined, `cut at ${cut}: no error frame at end (last frame: ${toJson(tail[tail.length - 1]?.summary)})`);
        }
      });
    }
  }

  const fz = opts.fuzz ?? {};
  test(`${name} conformance: random and mutated inputs never throw and conserve bytes`, () => {
    const seed = fz.seed ?? 12345;
    const rng = prng(seed);
    const corpus = opts.vectors.map((v) => v.input);
    const iterations = fz.iterations ?? 300;
    const fopts = fz.options ?? { ...opts.options, maxFrame: 1024 };
    for (let i = 0; i < iterations; i++) {
      const input = randomInput(rng, corpus, fz.maxLen ?? 2048);
      const split: Split = i % 3 === 0 ? 'whole' : prng(seed + i);
      try {
        checkedFeed(info, fopts, input, split);
      } catch (err) {
        throw new Error(`input ${i} (seed ${seed}) ${describeInput(input)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
}

export function bytesOf(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  return concat(parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : Array.isArray(p) ? Uint8Array.from(p) : p)));
}

export function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}
