// Running Debian's strace for the trace tap: its arguments, finding it, the checks before
// attaching (each refusal one line with its fix), and the FIFO its output comes through.
//
// The output goes to a FIFO in a private temporary directory (-o FIFO): strace opens it close-on-
// exec, so the traced program does not inherit it (an inherited descriptor would). If the engine
// dies, the FIFO loses its reader and strace's next write ends strace with SIGPIPE; the kernel then
// detaches every tracee, which goes on running.
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UserError } from '../util/errors';

/** The data calls traced. */
export const TRACED_CALLS = [
  'read',
  'write',
  'readv',
  'writev',
  'pread64',
  'pwrite64',
  'preadv',
  'pwritev',
  'preadv2',
  'pwritev2',
  'recvfrom',
  'sendto',
  'recvmsg',
  'sendmsg',
  'recvmmsg',
  'sendmmsg',
];

/** Printed bytes per string (strace's -s): larger calls are captured in part, the rest a gap. */
export const STRING_LIMIT = 65536;

// No --seccomp-bpf, though it would spare the stops at untraced calls: its filter stays in the
// traced processes after strace detaches, and each traced call then fails with ENOSYS, so a
// program would break on Detach Trace or when ipctap is killed.
export function straceArgs(outPath: string): string[] {
  return [
    '-f', // children and threads
    '-q', // no attach/detach chatter (exits are kept)
    '-yy', // what each descriptor is
    '-xx', // every string as \xNN
    '-s',
    String(STRING_LIMIT),
    '-I',
    '1', // SIGTERM/SIGINT end strace (it detaches) at any time
    '-e',
    `trace=${TRACED_CALLS.join(',')}`,
    '-e',
    'signal=all',
    '-o',
    outPath,
  ];
}

/** An executable on PATH, or undefined. */
export function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The strace executable, or a UserError saying how to install it. */
export function findStrace(pathEnv = process.env.PATH ?? ''): string {
  const p = findExecutable('strace', pathEnv);
  if (!p) throw new UserError('strace is not installed: apt-get install strace');
  return p;
}

function statusField(pid: number, name: string): string | undefined {
  try {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

export function tracerOf(pid: number): number {
  return Number(statusField(pid, 'TracerPid') ?? 0);
}

export function tgidOf(tid: number): number | undefined {
  const t = statusField(tid, 'Tgid');
  return t === undefined ? undefined : Number(t);
}

export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Every process descended from `pid` now (children, their children, …), parents before their
 * children, from /proc. (Threads are not listed: strace -f attaches each process's threads.)
 */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // "PID (COMM) STATE PPID …": the command may hold spaces and parentheses; it ends at the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    let list = children.get(ppid);
    if (!list) children.set(ppid, (list = []));
    list.push(Number(name));
  }
  const out: number[] = [];
  const seen = new Set([pid]);
  for (let queue = [pid]; queue.length;) {
    const next: number[] = [];
    for (const p of queue)
      for (const c of children.get(p) ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        out.push(c);
        next.push(c);
      }
    queue = next;
  }
  return out;
}

/** Running, not a zombie. */
export function alive(pid: number): boolean {
  const s = statusField(pid, 'State');
  return s !== undefined && !s.startsWith('Z') && !s.startsWith('X');
}

/** Refuse plainly, before strace tries, what would not be allowed. */
export function checkAttach(pid: number): void {
  if (statusField(pid, 'State') === undefined) throw new UserError(`no process with pid ${pid}`);
  if (pid === process.pid) throw new UserError('ipctap cannot trace itself');
  const tracer = tracerOf(pid);
  if (tracer !== 0) {
    const comm = commOf(tracer);
    throw new UserError(
      `pid ${pid} is already traced by pid ${tracer}${comm ? ` (${comm})` : ''}: detach that tracer (debugger, strace) first; a process has one tracer at a time`,
    );
  }
  const euid = process.geteuid?.() ?? 0;
  let scope: number | undefined;
  try {
    scope = Number(readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim());
  } catch {
    scope = undefined;
  }
  if (scope === 3) throw new UserError('tracing is disabled on this machine (kernel.yama.ptrace_scope = 3, fixed until reboot): use the proxy taps (--tap) instead');
  const uids = (statusField(pid, 'Uid') ?? '').split(/\s+/).map(Number);
  if (euid !== 0 && uids.length && uids.some((u) => u !== euid)) {
    throw new UserError(`pid ${pid} belongs to another user (uid ${uids[0]}): run ipctap as that user or as root (sudo)`);
  }
  if (euid !== 0 && scope === 2) throw new UserError('only root may trace here (kernel.yama.ptrace_scope = 2): run ipctap as root (sudo)');
  if (euid !== 0 && scope === 1) {
    throw new UserError(
      `tracing a process ipctap did not start is restricted (kernel.yama.ptrace_scope = 1): run ipctap as root, or allow it with 'sudo sysctl kernel.yama.ptrace_scope=0', or use 'ipctap run --trace' to start the program traced`,
    );
  }
}

/** strace's own error output as one line with a fix. */
export function straceFailure(stderr: string, pid?: number): UserError {
  const text = stderr.trim().split('\n').filter(Boolean).pop() ?? 'strace failed';
  if (/Operation not permitted|EPERM/.test(stderr)) {
    return new UserError(
      `strace was not allowed to trace${pid ? ` pid ${pid}` : ''} (${text.replace(/^strace: /, '')}): in a container, add the capability (docker run --cap-add=SYS_PTRACE); otherwise run ipctap as root or check kernel.yama.ptrace_scope`,
    );
  }
  return new UserError(`strace failed: ${text.replace(/^strace: /, '')}`);
}

/**
 * strace's output: a FIFO we read, split into lines (each line the chunks it arrived in). We hold a write end of our own until strace
 * has opened it (else the reader would see EOF at once); `release()` drops it, after which the
 * stream ends when strace closes its end.
 */
export class TraceOutput {
  readonly path: string;
  private readonly dir: string;
  private writer: number | undefined;
  private readonly sock: net.Socket;
  private partial: Buffer[] = [];
  readonly ended: Promise<void>;

  constructor(onLine: (parts: Buffer[]) => void) {
    this.dir = mkdtempSync(join(tmpdir(), 'ipctap-trace-'));
    this.path = join(this.dir, 'strace.out');
    execFileSync('mkfifo', ['-m', '600', this.path], { stdio: ['ignore', 'ignore', 'pipe'] });
    const rfd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    this.writer = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
    this.sock = new net.Socket({ fd: rfd, readable: true, writable: false });
    this.ended = new Promise((resolve) => {
      this.sock.on('end', resolve);
      this.sock.on('close', resolve);
      this.sock.on('error', () => resolve());
    });
    this.sock.on('data', (buf: Buffer) => {
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        // (A line longer than one read stays in the chunks it came in: see parseParts.)
        let parts = [buf.subarray(start, nl)];
        if (this.partial.length) {
          this.partial.push(parts[0]!);
          parts = this.partial;
          this.partial = [];
        }
        onLine(parts);
        start = nl + 1;
      }
      if (start < buf.length) this.partial.push(buf.subarray(start));
    });
  }

  /** Pause or resume reading (strace blocks on a full pipe meanwhile). */
  pause(on: boolean): void {
    if (on) this.sock.pause();
    else this.sock.resume();
  }

  /** strace has the FIFO open (or never will): drop our write end and its name. */
  release(): void {
    if (this.writer !== undefined) {
      closeSync(this.writer);
      this.writer = undefined;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stop reading now. */
  close(): void {
    this.release();
    this.sock.destroy();
  }

  /** True while the FIFO's name is still there (for tests of cleanup). */
  exists(): boolean {
    try {
      return statSync(this.path).isFIFO();
    } catch {
      return false;
    }
  }
}
