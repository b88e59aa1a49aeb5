// Shared memory watch benchmark: the CPU share of `ipctap shm watch` on a 64 MiB System V
// segment and a 64 MiB /dev/shm file at the default 50 ms interval, idle and with a writer
// changing two counters every 10 ms; beside it, in the same run, a bare Node.js loop that only
// reads the same 64 MiB every 50 ms (the floor: what copying the memory costs).
//   node --import tsx test/bench/shm.ts [--quick] [--seconds N] [--mib N]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { goBinary } from '../helpers/go';

const CLI = resolve(__dirname, '../../dist/cli.js');
const argNum = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const quick = process.argv.includes('--quick');
const SECONDS = argNum('--seconds') ?? (quick ? 3 : 10);
const MIB = argNum('--mib') ?? 64;
const HZ = 100; // USER_HZ: /proc/PID/stat counts CPU in 1/100 s

interface Info {
  pid: number;
  key: string;
  shmid: number;
  path: string;
  addr: string;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

async function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((res, rej) => {
    createInterface({ input: p.stdout! }).once('line', res);
    p.once('exit', (c) => rej(new Error(`exited with ${c} before printing`)));
  });
}

async function counter(auto: boolean): Promise<{ p: ChildProcess; info: Info }> {
  const p = spawn(goBinary('shmcounter'), ['-size', String(MIB * 1024 * 1024), ...(auto ? ['-auto', '10ms'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  return { p, info: JSON.parse(await firstLine(p)) };
}

/** A loop reading [addr, addr+size) of `file` every 50 ms, nothing else. */
const READ_LOOP = `
const fs = require('fs');
const [file, at, size] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const fd = fs.openSync(file, 'r');
const buf = Buffer.alloc(size);
console.log('ready');
const tick = () => fs.read(fd, buf, 0, size, at, () => setTimeout(tick, 50));
tick();`;

/** CPU share of a process over SECONDS, from after it printed its first line. */
async function measure(args: string[], viaNode: 'cli' | 'loop'): Promise<number> {
  const p =
    viaNode === 'cli'
      ? spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(process.execPath, ['-e', READ_LOOP, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await firstLine(p);
    p.stdout!.resume();
    await new Promise((r) => setTimeout(r, 500)); // past the first snapshot
    const c0 = cpuTicks(p.pid!);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const c1 = cpuTicks(p.pid!);
    return (c1 - c0) / HZ / ((performance.now() - t0) / 1000);
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
  }
}

async function stop(c: { p: ChildProcess }): Promise<void> {
  c.p.kill('SIGTERM');
  await new Promise((r) => (c.p.exitCode !== null ? r(null) : c.p.once('exit', r)));
}

export async function benchShm(): Promise<string> {
  const size = MIB * 1024 * 1024;
  const rows: string[][] = [];
  for (const auto of [false, true]) {
    const c = await counter(auto);
    try {
      const what = auto ? 'changing every 10 ms' : 'idle';
      const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
      const readSysv = await measure([`/proc/${c.info.pid}/mem`, String(Number(c.info.addr)), String(size)], 'loop');
      const watchSysv = await measure(['shm', 'watch', c.info.key, '--json'], 'cli');
      const readFile = await measure([c.info.path, '0', String(size)], 'loop');
      const watchFile = await measure(['shm', 'watch', c.info.path, '--json'], 'cli');
      rows.push([`System V, ${what}`, pct(readSysv), pct(watchSysv), (watchSysv / readSysv).toFixed(2)]);
      rows.push([`/dev/shm file, ${what}`, pct(readFile), pct(watchFile), (watchFile / readFile).toFixed(2)]);
    } finally {
      await stop(c);
    }
  }
  const header = [`${MIB} MiB at 50 ms, ${SECONDS} s each`, 'read only (Node loop)', 'ipctap shm watch --json', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n') + '\n(CPU share of one core: CPU seconds per wall second)';
}

if (require.main === module)
  benchShm().then(
    (s) => console.log(s),
    (e) => (console.error(e), process.exit(1)),
  );
