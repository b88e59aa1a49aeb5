// Long fuzz runs over every registered decoder (and auto and some layered stacks):
//   npm run fuzz -- [--iterations N] [--decoder NAME]... [--seed S] [--max-len B] [--jobs J]
//                   [--only INDEX] [--no-conserve]
//   npm run fuzz -- --capture [--iterations N] [--seed S]   hostile capture files (./capture.ts)
//   npm run fuzz -- --guided [--seconds S] [--decoder NAME]... [--capture] [--jobs J] [--seed S]
//                   coverage-guided (./guided.ts); --replay FILE --decoder NAME replays a finding
// Each input is random bytes or a mutated corpus entry (./corpus.ts), split at random points
// across directions, derived from (seed, index) alone — so `--only INDEX` replays one input.
// Checks per input: no exception out of push()/end(), well-formed frames, bytes conserved.
// A worker per decoder; a decoder silent for 30 s is reported as a hang, then the hanging input is
// pinpointed. Prints inputs/s per decoder and every failure with a reproducer (seed, index, hex).
import { cpus } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { listDecoders, resolveDecoder } from '../../extension/engine/decoders/core/registry';
import { conservationProblem, describeInput, feed, frameProblem, prng, randomInput, type Segment } from '../helpers/decoder-suite';
import { corpus } from './corpus';

const USAGE = `usage: npm run fuzz -- [--iterations N] [--decoder NAME[,NAME]]... [--seed S] [--max-len B]
                     [--jobs J] [--only INDEX] [--no-conserve]
       npm run fuzz -- --capture [--iterations N] [--seed S]
       npm run fuzz -- --guided [--seconds S] [--decoder NAME]... [--capture] [--jobs J] [--seed S]
       npm run fuzz -- --replay FILE (--decoder NAME | --capture)`;

const LAYERED = ['len32be+msgpack', 'lines+jsonrpc', 'lenvarint+protobuf'];
/** Decoders whose frames show a view of the stream, not its bytes (shm: the watched region after
 *  each change): conservation does not apply to them. */
const VIEWS = new Set(['shm']);
const HANG_MS = 30_000;
const MAX_FAILURES = 5;

interface Job {
  decoder: string;
  seed: number;
  from: number;
  count: number;
  maxLen: number;
  conserve: boolean;
  trace: boolean;
}

type Msg =
  | { kind: 'progress'; at: number }
  | { kind: 'failure'; index: number; message: string; input: string }
  | { kind: 'done'; count: number; ms: number; bytes: number; frames: number };

/** The input for (seed, index): independent of every other index. */
export function inputAt(seed: number, index: number, maxLen: number, seeds: Segment[][]): { input: Segment[]; splitSeed: number } {
  const rng = prng((seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);
  return { input: randomInput(rng, seeds, maxLen), splitSeed: Math.floor(rng() * 2 ** 31) };
}

function runJob(job: Job, post: (m: Msg) => void): void {
  const info = resolveDecoder(job.decoder);
  const seeds = corpus();
  const options = { maxFrame: 4096 };
  const t0 = performance.now();
  let bytes = 0;
  let frames = 0;
  let failures = 0;
  for (let i = job.from; i < job.from + job.count; i++) {
    if (job.trace || (i - job.from) % 1000 === 0) post({ kind: 'progress', at: i });
    const { input, splitSeed } = inputAt(job.seed, i, job.maxLen, seeds);
    let problem: string | null = null;
    try {
      const out = feed(info.create(options), input, i % 4 === 0 ? 'whole' : prng(splitSeed));
      frames += out.length;
      for (const f of out) {
        problem = frameProblem(f);
        if (problem) break;
      }
      // (auto may pick a view decoder for a direction: conservation does not apply then either.)
      if (!problem && job.conserve && !out.some((f) => VIEWS.has(f.proto ?? ''))) problem = conservationProblem(input, out);
    } catch (err) {
      problem = `threw: ${err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 4).join(' | ') : String(err)}`;
    }
    for (const [, b] of input) bytes += b.length;
    if (problem) {
      post({ kind: 'failure', index: i, message: problem, input: describeInput(input) });
      if (++failures >= MAX_FAILURES) break;
    }
  }
  post({ kind: 'done', count: job.count, ms: performance.now() - t0, bytes, frames });
}

if (!isMainThread) {
  runJob(workerData as Job, (m) => parentPort!.postMessage(m));
} else {
  void main();
}

/** Exit 2 with a message (and the usage) for arguments that are not understood. */
function badArgs(message: string): never {
  process.stderr.write(`fuzz: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function args(): {
  iterations: number;
  decoders: string[];
  seed: number;
  maxLen: number;
  jobs: number;
  only?: number;
  conserve: boolean;
  seconds: number;
  replay?: string;
} {
  const a = process.argv.slice(2);
  if (a.includes('--help') || a.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const valued = new Set(['--iterations', '--decoder', '--seed', '--max-len', '--jobs', '--only', '--seconds', '--replay']);
  const values = new Map<string, string[]>();
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x === '--no-conserve' || x === '--capture' || x === '--guided') continue;
    if (!valued.has(x)) badArgs(`unknown argument '${x}'`);
    const v = a[++i];
    if (v === undefined || v.startsWith('--')) badArgs(`${x} needs a value`);
    values.set(x, [...(values.get(x) ?? []), v]);
  }
  const num = (name: string, dflt: number | undefined): number | undefined => {
    const v = values.get(name)?.at(-1);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) badArgs(`${name} ${v}: expected a whole number`);
    return n;
  };
  const decoders: string[] = [];
  for (const v of values.get('--decoder') ?? []) for (const d of v.split(',')) decoders.push(d);
  return {
    iterations: num('--iterations', 20000)!,
    decoders,
    seed: num('--seed', 1)!,
    maxLen: num('--max-len', 2048)!,
    jobs: num('--jobs', Math.max(1, cpus().length))!,
    only: num('--only', undefined),
    conserve: !a.includes('--no-conserve'),
    seconds: num('--seconds', 60)!,
    replay: values.get('--replay')?.at(-1),
  };
}

interface Result {
  decoder: string;
  count: number;
  ms: number;
  bytes: number;
  frames: number;
  failures: { index: number; message: string; input: string }[];
  hang?: number;
}

function runWorker(job: Job): Promise<Result> {
  return new Promise((resolve) => {
    const res: Result = { decoder: job.decoder, count: 0, ms: 0, bytes: 0, frames: 0, failures: [] };
    // workers do not inherit tsx's loader: register it, then load this file
    const w = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: job });
    let last = job.from;
    let timer = setTimeout(onHang, HANG_MS);
    function onHang(): void {
      res.hang = last;
      void w.terminate();
    }
    w.on('message', (m: Msg) => {
      clearTimeout(timer);
      timer = setTimeout(onHang, HANG_MS);
      if (m.kind === 'progress') last = m.at;
      else if (m.kind === 'failure') res.failures.push(m);
      else Object.assign(res, { count: m.count, ms: m.ms, bytes: m.bytes, frames: m.frames });
    });
    w.on('error', (err) => res.failures.push({ index: last, message: `worker died: ${err.message}`, input: '' }));
    w.on('exit', () => {
      clearTimeout(timer);
      resolve(res);
    });
  });
}

async function main(): Promise<void> {
  const o = args();
  if (o.replay !== undefined) {
    const { replayFinding } = await import('./guided');
    const target = process.argv.includes('--capture') ? 'capture' : o.decoders[0];
    if (!target) badArgs('--replay needs --decoder NAME or --capture');
    const problem = await replayFinding(target, o.replay);
    console.log(problem ? `fuzz: ${o.replay}: ${problem}` : `fuzz: ${o.replay}: no problem`);
    process.exitCode = problem ? 1 : 0;
    return;
  }
  if (process.argv.includes('--guided')) {
    const { guidedMain } = await import('./guided');
    const names = o.decoders.length ? o.decoders : process.argv.includes('--capture') ? [] : [...listDecoders().map((d) => d.name), ...LAYERED];
    for (const n of names) resolveDecoder(n);
    if (process.argv.includes('--capture')) names.push('capture');
    process.exitCode = (await guidedMain(names, o.seconds, o.jobs, o.seed)) ? 1 : 0;
    return;
  }
  if (process.argv.includes('--capture')) {
    // Hostile capture files instead of decoder inputs (./capture.ts).
    const { fuzzCaptures } = await import('./capture');
    const r = await fuzzCaptures(o.iterations, o.seed);
    for (const f of r.failures) console.log(`capture input ${f.index} (seed ${o.seed}): ${f.problem}`);
    console.log(`fuzz: ${r.iterations} capture files, ${r.failures.length} problem(s)`);
    process.exitCode = r.failures.length ? 1 : 0;
    return;
  }
  const names = o.decoders.length ? o.decoders : [...listDecoders().map((d) => d.name), ...LAYERED];
  for (const n of names) resolveDecoder(n); // unknown names fail early
  console.log(
    `fuzz: ${names.length} decoders, ${o.only !== undefined ? `input ${o.only}` : `${o.iterations} inputs each`}, seed ${o.seed}, inputs up to ${o.maxLen} B per segment`,
  );
  const queue = [...names];
  const results: Result[] = [];
  let bad = 0;
  const runOne = async (decoder: string): Promise<void> => {
    const job: Job = {
      decoder,
      seed: o.seed,
      from: o.only ?? 0,
      count: o.only !== undefined ? 1 : o.iterations,
      maxLen: o.maxLen,
      conserve: o.conserve && !VIEWS.has(decoder),
      trace: false,
    };
    let r = await runWorker(job);
    if (r.hang !== undefined) {
      // pinpoint the hanging input within the batch
      const t = await runWorker({ ...job, from: r.hang, count: 1000, trace: true });
      r = { ...r, hang: t.hang ?? r.hang };
    }
    results.push(r);
    const rate = r.ms > 0 ? Math.round((r.count / r.ms) * 1000) : 0;
    const mbs = r.ms > 0 ? (r.bytes / 1e6 / (r.ms / 1000)).toFixed(1) : '0';
    const status = r.hang !== undefined ? 'HANG' : r.failures.length ? 'FAIL' : 'ok';
    console.log(
      `${status.padEnd(4)} ${decoder.padEnd(20)} ${String(r.count).padStart(9)} inputs  ${String(rate).padStart(7)} inputs/s  ${mbs.padStart(6)} MB/s  ${r.frames} frames`,
    );
    if (r.hang !== undefined) {
      bad++;
      const { input } = inputAt(o.seed, r.hang, o.maxLen, corpus());
      console.log(`  hang at input ${r.hang}: npm run fuzz -- --decoder ${decoder} --seed ${o.seed} --only ${r.hang}\n  input: ${describeInput(input)}`);
    }
    for (const f of r.failures) {
      bad++;
      console.log(
        `  input ${f.index}: ${f.message}\n  reproduce: npm run fuzz -- --decoder ${decoder} --seed ${o.seed} --max-len ${o.maxLen} --only ${f.index}\n  input: ${f.input.length > 2000 ? f.input.slice(0, 2000) + '…' : f.input}`,
      );
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(o.jobs, queue.length) }, async () => {
      for (let d = queue.shift(); d !== undefined; d = queue.shift()) await runOne(d);
    }),
  );
  const total = results.reduce((n, r) => n + r.count, 0);
  console.log(`fuzz: ${total} inputs, ${bad} problem(s)`);
  process.exitCode = bad ? 1 : 0;
}
