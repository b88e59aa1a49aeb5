// Coverage-guided fuzzing of the decoders and of the capture-file reader, in the way of libFuzzer
// and AFL, with V8's own block coverage as the guide (node:inspector's precise coverage; no
// native fuzzer needed):
//   npm run fuzz -- --guided [--seconds S] [--decoder NAME]... [--capture] [--jobs J] [--seed S]
// Each target runs in a worker: a queue seeded with the real peers' corpora (./corpus.ts); each
// round takes an entry, mutates it (bit and byte flips, interesting values, inserted, deleted,
// duplicated and spliced runs, segments moved between directions, other entries spliced in), runs
// it, and keeps it in the queue when it reached a block of engine code, or a block a new number of
// times (AFL's count buckets), that no earlier input did. Checks per input are the random
// fuzzer's: nothing thrown, frames well formed, bytes conserved; for captures, a corrupt file
// gives a clean error and never a hang. Every failing input is written to test/fuzz/findings/
// (hex, one per file) and reported with a command that replays it.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { resolveDecoder } from '../../extension/engine/decoders/core/registry';
import type { Direction } from '../../extension/engine/types';
import { conservationProblem, describeInput, feed, frameProblem, mutate, prng, randInt, type Rng, type Segment } from '../helpers/decoder-suite';
import { captureFileProblem, captureSeeds } from './capture';
import { corpus } from './corpus';

/** Decoders whose frames are a view of the stream (conservation does not apply). */
const VIEWS = new Set(['shm']);
const HANG_MS = 30_000;
const MAX_LEN = 4096;
const findingsDir = join(import.meta.dirname, 'findings');
// (Once fixed, a finding moves to ./regressions/, which a unit test replays.)

export interface GuidedJob {
  target: string; // a decoder name, or 'capture'
  seconds: number;
  seed: number;
}

export interface GuidedResult {
  target: string;
  inputs: number;
  queue: number;
  features: number;
  blocks: number;
  failures: { message: string; input: string }[];
  hang?: string;
}

type Msg = { kind: 'alive'; input: string } | { kind: 'failure'; message: string; input: string } | ({ kind: 'done' } & Omit<GuidedResult, 'target' | 'failures'>);

// ---------- coverage ----------

interface Coverage {
  /** Features of everything run since the last call: "script:offset:bucket" for each block run. */
  take(): string[];
}

/** AFL's hit-count buckets: 1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+. */
function bucket(n: number): number {
  return n < 4 ? n : n < 8 ? 4 : n < 16 ? 5 : n < 32 ? 6 : n < 128 ? 7 : 8;
}

function post<T>(s: InspectorSession, method: string, params?: object): T {
  let out: { err: Error | null; res?: T } | undefined;
  s.post(method, params ?? {}, (err, res) => (out = { err, res: res as T }));
  // A session connected to its own thread answers synchronously.
  if (!out) throw new Error(`inspector ${method} did not answer synchronously`);
  if (out.err) throw out.err;
  return out.res as T;
}

interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[];
}

function startCoverage(): Coverage {
  const s = new InspectorSession();
  s.connect();
  post(s, 'Profiler.enable');
  post(s, 'Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  return {
    take() {
      const { result } = post<{ result: ScriptCoverage[] }>(s, 'Profiler.takePreciseCoverage');
      const out: string[] = [];
      for (const sc of result) {
        if (!sc.url.includes('/extension/engine/')) continue;
        for (const fn of sc.functions) for (const r of fn.ranges) if (r.count > 0) out.push(`${sc.scriptId}:${r.startOffset}:${bucket(r.count)}`);
      }
      return out;
    },
  };
}

// ---------- inputs ----------

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x22, 0x5c, 0x7b, 0x5b];
const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function mutateBytes(rng: Rng, b: Uint8Array, others: Segment[][]): Uint8Array {
  const out = Uint8Array.from(b);
  switch (randInt(rng, 6)) {
    case 0:
      return mutate(rng, b, MAX_LEN); // the random fuzzer's havoc
    case 1: // an interesting byte
      if (out.length) out[randInt(rng, out.length)] = INTERESTING_8[randInt(rng, INTERESTING_8.length)]!;
      return out;
    case 2: {
      // an interesting 32-bit value, either byte order (length fields)
      if (out.length < 4) return mutate(rng, b, MAX_LEN);
      const at = randInt(rng, out.length - 3);
      const v = INTERESTING_32[randInt(rng, INTERESTING_32.length)]!;
      new DataView(out.buffer).setUint32(at, v, rng() < 0.5);
      return out;
    }
    case 3: {
      // add or subtract a little at a byte (counts, lengths, varints)
      if (out.length) {
        const at = randInt(rng, out.length);
        out[at] = (out[at]! + (rng() < 0.5 ? 1 : -1) * (1 + randInt(rng, 16))) & 0xff;
      }
      return out;
    }
    case 4: {
      // splice a run from another input
      const o = others[randInt(rng, others.length)];
      const seg = o?.[randInt(rng, o.length)]?.[1];
      if (!seg || seg.length === 0) return mutate(rng, b, MAX_LEN);
      const from = randInt(rng, seg.length);
      const run = seg.subarray(from, from + 1 + randInt(rng, 64));
      const at = randInt(rng, out.length + 1);
      const joined = new Uint8Array(out.length + run.length);
      joined.set(out.subarray(0, at));
      joined.set(run, at);
      joined.set(out.subarray(at), at + run.length);
      return joined.subarray(0, MAX_LEN);
    }
    default: {
      // overwrite a run with a copy of another place in the same bytes
      if (out.length < 2) return mutate(rng, b, MAX_LEN);
      const n = 1 + randInt(rng, Math.min(32, out.length - 1));
      const from = randInt(rng, out.length - n + 1);
      const to = randInt(rng, out.length - n + 1);
      out.copyWithin(to, from, from + n);
      return out;
    }
  }
}

function mutateInput(rng: Rng, input: Segment[], queue: Segment[][]): Segment[] {
  const segs: Segment[] = input.map(([d, b]) => [d, b]);
  const rounds = 1 + randInt(rng, 3);
  for (let r = 0; r < rounds; r++) {
    const k = randInt(rng, segs.length);
    const choice = rng();
    if (segs.length === 0 || choice < 0.75) {
      if (segs.length === 0) segs.push(['c2s', new Uint8Array(0)]);
      const i = Math.min(k, segs.length - 1);
      segs[i] = [segs[i]![0], mutateBytes(rng, segs[i]![1], queue)];
    } else if (choice < 0.83 && segs.length > 1) {
      segs.splice(k, 1); // drop a segment
    } else if (choice < 0.9) {
      const flip: Record<Direction, Direction> = { c2s: 's2c', s2c: 'c2s', stdin: 'stdout', stdout: 'stdin', stderr: 'stdout' };
      segs[k] = [flip[segs[k]![0]], segs[k]![1]]; // the other direction
    } else {
      const o = queue[randInt(rng, queue.length)] ?? [];
      segs.splice(k, 0, ...o.slice(0, 4)); // another input's segments
    }
  }
  return segs.slice(0, 16);
}

// ---------- targets ----------

/** Runs one input; a problem found, or null. Throws nothing. */
type Target = (input: Segment[], splitSeed: number) => string | null | Promise<string | null>;

function decoderTarget(name: string): Target {
  const info = resolveDecoder(name);
  const conserve = !VIEWS.has(name);
  return (input, splitSeed) => {
    try {
      const out = feed(info.create({ maxFrame: 4096 }), input, splitSeed % 3 === 0 ? 'whole' : prng(splitSeed));
      for (const f of out) {
        const p = frameProblem(f);
        if (p) return p;
      }
      if (conserve && !out.some((f) => VIEWS.has(f.proto ?? ''))) return conservationProblem(input, out);
      return null;
    } catch (err) {
      return `threw: ${err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 4).join(' | ') : String(err)}`;
    }
  };
}

async function captureTarget(): Promise<{ target: Target; seeds: Segment[][] }> {
  const dir = join(tmpdir(), `ipctap-guided-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const seeds = (await captureSeeds()).map((b): Segment[] => [['c2s', b]]);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    seeds,
    target: (input) => captureFileProblem(input, join(dir, `f${n++ % 4}.ipctap`)),
  };
}

// ---------- the loop (in a worker) ----------

async function runGuided(job: GuidedJob, send: (m: Msg) => void): Promise<void> {
  const rng = prng(job.seed);
  let target: Target;
  let seeds: Segment[][];
  if (job.target === 'capture') ({ target, seeds } = await captureTarget());
  else {
    target = decoderTarget(job.target);
    seeds = corpus();
  }
  const cov = startCoverage();
  const seen = new Set<string>();
  const blocks = new Set<string>();
  const queue: Segment[][] = [];
  let inputs = 0;
  const learn = (features: string[]): boolean => {
    let fresh = false;
    for (const f of features) {
      if (seen.has(f)) continue;
      seen.add(f);
      blocks.add(f.slice(0, f.lastIndexOf(':')));
      fresh = true;
    }
    return fresh;
  };
  const run = async (input: Segment[], splitSeed: number): Promise<boolean> => {
    inputs++;
    if (inputs % 256 === 0) send({ kind: 'alive', input: describeInput(input) });
    const problem = await target(input, splitSeed);
    const fresh = learn(cov.take());
    if (problem) send({ kind: 'failure', message: problem, input: describeInput(input) });
    return fresh;
  };
  cov.take(); // what loading cost is not the inputs' doing
  for (const s of seeds) if (await run(s, 0)) queue.push(s);
  if (queue.length === 0) queue.push([['c2s', new Uint8Array(0)]]);
  const until = performance.now() + job.seconds * 1000;
  // Taking coverage costs far more than running one input, so inputs run in batches and coverage
  // is taken once per batch; only a batch that reached a block no input reached before is run
  // again input by input, to keep the ones that did.
  const BATCH = 32;
  while (performance.now() < until) {
    const batch: [Segment[], number][] = [];
    for (let i = 0; i < BATCH; i++) {
      // Newer entries (found later, deeper) are picked a little more often.
      const pick = queue[Math.min(queue.length - 1, Math.floor(queue.length * Math.sqrt(rng())))]!;
      const child = mutateInput(rng, pick, queue);
      const splitSeed = Math.floor(rng() * 2 ** 31);
      batch.push([child, splitSeed]);
      inputs++;
      if (inputs % 1024 === 0) send({ kind: 'alive', input: describeInput(child) });
      const problem = await target(child, splitSeed);
      if (problem) send({ kind: 'failure', message: problem, input: describeInput(child) });
    }
    const newBlock = cov.take().some((f) => !blocks.has(f.slice(0, f.lastIndexOf(':'))));
    if (!newBlock) continue;
    for (const [child, splitSeed] of batch) if (await run(child, splitSeed)) queue.push(child);
  }
  send({ kind: 'done', inputs, queue: queue.length, features: seen.size, blocks: blocks.size });
}

if (!isMainThread && (workerData as { guided?: GuidedJob })?.guided) {
  void runGuided((workerData as { guided: GuidedJob }).guided, (m) => parentPort!.postMessage(m));
}

// ---------- the driver (main thread) ----------

function saveFinding(target: string, input: string): string {
  mkdirSync(findingsDir, { recursive: true });
  const name = `${target.replace(/[^\w.+-]/g, '_')}-${readdirSync(findingsDir).length + 1}.txt`;
  writeFileSync(join(findingsDir, name), input + '\n');
  return join('test', 'fuzz', 'findings', name);
}

export function runGuidedWorker(job: GuidedJob): Promise<GuidedResult> {
  return new Promise((resolve) => {
    const res: GuidedResult = { target: job.target, inputs: 0, queue: 0, features: 0, blocks: 0, failures: [] };
    const w = new Worker(`require('tsx/cjs'); require(${JSON.stringify(import.meta.filename)});`, { eval: true, workerData: { guided: job } });
    let last = '';
    // a worker still running HANG_MS past its time is hung on one input
    const timer = setTimeout(onHang, job.seconds * 1000 + HANG_MS);
    function onHang(): void {
      res.hang = last;
      void w.terminate();
    }
    w.on('message', (m: Msg) => {
      if (m.kind === 'alive') {
        last = m.input;
        return;
      }
      if (m.kind === 'failure') {
        if (res.failures.length < 5) res.failures.push({ message: m.message, input: m.input });
        return;
      }
      const { kind: _kind, ...rest } = m;
      Object.assign(res, rest);
    });
    w.on('error', (err) => res.failures.push({ message: `worker died: ${err.message}`, input: last }));
    w.on('exit', () => {
      clearTimeout(timer);
      resolve(res);
    });
  });
}

/** Replays a saved finding (the dump describeInput wrote) against its target: its problem or null. */
export async function replayFinding(target: string, file: string): Promise<string | null> {
  const segs: Segment[] = [];
  for (const word of readFileSync(file, 'utf8').split(/\s+/)) {
    const m = /^(c2s|s2c|stdin|stdout|stderr):([0-9a-f]*)$/.exec(word);
    if (m) segs.push([m[1] as Direction, Uint8Array.from(Buffer.from(m[2]!, 'hex'))]);
  }
  const run = target === 'capture' ? (await captureTarget()).target : decoderTarget(target);
  return run(segs, 0);
}

export async function guidedMain(targets: string[], seconds: number, jobs: number, seed: number): Promise<number> {
  console.log(`fuzz --guided: ${targets.length} target${targets.length === 1 ? '' : 's'}, ${seconds} s each, ${Math.min(jobs, targets.length)} at a time, seed ${seed}`);
  const queue = [...targets];
  let bad = 0;
  const lines: string[] = [];
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const r = await runGuidedWorker({ target: t, seconds, seed });
        const status = r.hang !== undefined ? 'HANG' : r.failures.length ? 'FAIL' : 'ok';
        const line = `${status.padEnd(4)} ${t.padEnd(20)} ${String(r.inputs).padStart(9)} inputs ${String(r.queue).padStart(6)} kept ${String(r.blocks).padStart(6)} blocks ${String(r.features).padStart(7)} features`;
        console.log(line);
        lines.push(line);
        if (r.hang !== undefined) {
          bad++;
          console.log(`  hang near: ${saveFinding(t, r.hang)}`);
        }
        for (const f of r.failures) {
          bad++;
          console.log(`  ${f.message}\n  input saved: ${saveFinding(t, f.input)}`);
        }
      }
    }),
  );
  console.log(`fuzz --guided: ${bad} problem(s)`);
  return bad;
}
