// Trace benchmark: the cost of `ipctap run --trace` beside strace alone, on the same program in
// the same run, alternating configurations round by round (this machine's speed drifts).
//   node --import tsx test/bench/trace.ts [--quick] [--rounds N] [--small-mib N] [--pings N]
// Workloads (test/fixtures/go/traceflood, a parent and its child): a 256 MiB pipe flood in 64 KiB
// writes; a pipe flood in 256 B writes (64 MiB by default: ptrace stops twice per call, so a
// 256 MiB run in 256 B writes takes minutes under strace alone); 50,000 64-byte ping-pongs over
// a socketpair (enough that ipctap's own start, ~0.3 s of Node, is a small part). Configurations:
// direct; `strace -f -s 65536 -xx -o /dev/null` ("strace alone"); the same on one CPU (taskset),
// as ipctap runs strace and the program (see extension/engine/trace/pinning.ts); strace with
// ipctap's options and CPU writing its text into a private file in /dev/shm that nobody reads
// (what strace costs the way ipctap runs it, with nothing of ipctap's own: the floor of this
// way); `ipctap run --trace -q` (captured to a file, not decoded); `ipctap run --trace` decoding
// and printing every frame (to /dev/null). Ratios are throughput against strace alone (time of
// strace alone / time of ours), and against strace alone on one CPU.
import { spawnSync } from 'node:child_process';
import { straceArgs } from '../../extension/engine/trace/strace';
import { planPinning } from '../../extension/engine/trace/pinning';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { goBinary } from '../helpers/go';

const MiB = 1024 * 1024;
const CLI = resolve(__dirname, '../../dist/cli.js');

function argNum(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

function timeIt(cmd: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1024 * MiB });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr?.toString().slice(-500)}`);
  if (!/ok \d+/.test(r.stdout.toString())) throw new Error(`${cmd.join(' ')}: no "ok" in its output`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function benchTrace(): Promise<string> {
  const quick = process.argv.includes('--quick');
  const rounds = argNum('--rounds') ?? (quick ? 1 : 3);
  const bigMiB = quick ? 64 : 256;
  const smallMiB = argNum('--small-mib') ?? (quick ? 8 : 64);
  const pings = argNum('--pings') ?? (quick ? 2000 : 50000);
  const bin = goBinary('traceflood');
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-bench-trace-'));
  // The file strace writes in the floor configuration (removed after each run).
  const out = join(existsSync('/dev/shm') ? mkdtempSync('/dev/shm/ipctap-bench-') : dir, 'strace.out');
  const workloads: [string, string[]][] = [
    [`pipe flood ${bigMiB} MiB in 64 KiB writes`, ['flood', String(bigMiB * MiB), '65536']],
    [`pipe flood ${smallMiB} MiB in 256 B writes`, ['flood', String(smallMiB * MiB), '256']],
    [`socketpair ping-pong ${pings} × 64 B`, ['pingpong', String(pings)]],
  ];
  const pinning = planPinning();
  const onCpu = pinning ? [pinning.taskset, '-c', String(pinning.cpu)] : [];
  const configs: [string, (args: string[]) => string[]][] = [
    ['direct', (a) => [bin, ...a]],
    ['strace alone', (a) => ['strace', '-f', '-s', '65536', '-xx', '-o', '/dev/null', bin, ...a]],
    ['strace alone on one CPU', (a) => [...onCpu, 'strace', '-f', '-s', '65536', '-xx', '-o', '/dev/null', bin, ...a]],
    ['strace as ipctap runs it, into a file nobody reads', (a) => [...onCpu, 'sh', '-c', 'strace "$@"; s=$?; rm -f "$0"; exit $s', out, ...straceArgs(out), '--', bin, ...a]],
    ['ipctap --trace -q -w', (a) => [process.execPath, CLI, 'run', '--trace', '-q', '--no-stdin', '-w', join(dir, 'q.ipctap'), '--', bin, ...a]],
    ['ipctap --trace decoding', (a) => [process.execPath, CLI, 'run', '--trace', '--no-stdin', '--', bin, ...a]],
  ];
  const lines: string[] = [
    'workload | ' +
      configs.map((c) => c[0]).join(' | ') +
      ' | ÷ strace alone, medians (file nobody reads, -q, decoding) | ÷ strace alone, best of each | ÷ strace alone on one CPU, medians',
    '---|' + configs.map(() => '---').join('|') + '|---|---|---',
  ];
  try {
    for (const [name, args] of workloads) {
      const times = configs.map(() => [] as number[]);
      for (let r = 0; r < rounds; r++) configs.forEach(([, mk], i) => times[i]!.push(timeIt(mk(args))));
      const med = times.map(median);
      const best = times.map((xs) => Math.min(...xs));
      const ratios = (of: number[], ref = 1) => [3, 4, 5].map((i) => (of[ref]! / of[i]!).toFixed(2)).join(', ');
      lines.push(`${name} | ${med.map((m) => `${(m / 1000).toFixed(2)} s`).join(' | ')} | ${ratios(med)} | ${ratios(best)} | ${ratios(med, 2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
  return (
    lines.join('\n') +
    `\n(medians of ${rounds} rounds, and the ratios of each configuration's fastest round too: other work on the machine only ever adds time; wall time of the whole command, ipctap's includes starting Node, ~0.3 s)`
  );
}

if (require.main === module)
  benchTrace().then(
    (s) => console.log(s),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
