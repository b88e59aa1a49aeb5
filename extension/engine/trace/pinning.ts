// strace and the processes it traces share one CPU while the trace lasts. ptrace hands control
// from the traced thread to strace and back at every traced call; when the two sit on different
// CPUs each handover is a wake-up across CPUs, which costs several times more (5× on a 2-core VM:
// 50,000 socketpair ping-pongs under strace alone: 16.5 s unpinned, 3.1 s pinned). On detach every
// traced process still pinned gets its own CPUs back: the engine does it after strace has ended,
// and the output's watchdog does it if the engine dies (see strace.ts).
import { execFileSync } from 'node:child_process';
import { findExecutable, statusField } from './strace';

export interface Pinning {
  /** The CPU strace and its tracees run on. */
  cpu: number;
  taskset: string;
}

/** The CPUs a process (or thread) may run on, as /proc prints them ("0-3,6"); undefined when gone. */
export function allowedCpus(pid: number | 'self'): string | undefined {
  return statusField(pid, 'Cpus_allowed_list');
}

/** "0-3,6" → [0, 1, 2, 3, 6]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b && out.length < 65536; c++) out.push(c);
  }
  return out;
}

/** Where to pin a trace: the last CPU this process may use. Undefined when there is one CPU only
 *  (nothing to gain) or no taskset (util-linux). */
export function planPinning(): Pinning | undefined {
  const cpus = parseCpuList(allowedCpus('self') ?? '');
  const taskset = findExecutable('taskset');
  if (cpus.length < 2 || !taskset) return undefined;
  return { cpu: cpus[cpus.length - 1]!, taskset };
}

/** Pin every thread of `pid` to the trace's CPU; its CPUs before (undefined: gone, or not ours). */
export function pin(p: Pinning, pid: number): string | undefined {
  const before = allowedCpus(pid);
  if (before === undefined) return undefined;
  try {
    execFileSync(p.taskset, ['-a', '-p', '-c', String(p.cpu), String(pid)], { stdio: 'ignore' });
    return before;
  } catch {
    return undefined;
  }
}

/** Give every thread of `pid` the CPUs `cpus` back, if it is still pinned to the trace's CPU (a
 *  pid that has been reused since, or that the program pinned elsewhere itself, is left alone). */
export function unpin(p: Pinning, pid: number, cpus: string): void {
  if (allowedCpus(pid) !== String(p.cpu) || cpus === String(p.cpu)) return;
  try {
    execFileSync(p.taskset, ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  } catch {
    // gone meanwhile
  }
}
