// Running Debian's strace for the trace tap: its arguments, finding it, the checks before
// attaching (each refusal one line with its fix), and the file its output comes through.
//
// The output goes to a private unlinked file (see TraceOutput): strace opens it close-on-exec, so
// the traced program does not inherit it. If the engine dies, its watchdog ends strace, and the
// kernel detaches every tracee, which goes on running.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UserError } from '../util/errors';

/** The data calls traced, and the calls that make processes and threads (their return value and
 *  flags tell which new pid is a process: its exit is recorded even when parsing lags behind and
 *  /proc no longer knows it). */
export const TRACED_CALLS = [
  'clone',
  'clone3',
  'fork',
  'vfork',
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

/** A field of /proc/PID/status (undefined: no such process, or not ours to read). */
export function statusField(pid: number | 'self', name: string): string | undefined {
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

/** Read at most this much of strace's output at a time. */
const READ_MAX = 1024 * 1024;
/** How often to look for more output once everything written so far has been read (ms). */
const IDLE_POLL_MS = 5;
/** Disk blocks of output already read are given back (a hole punched) in steps of this size. */
export const PUNCH_STEP = 32 * 1024 * 1024;
/** Output written but not read yet beyond which strace is paused (SIGSTOP) until we have read half
 *  of it: the file's size stays bounded when the engine is slower than strace for long. */
export const MAX_BACKLOG = 256 * 1024 * 1024;
/** How long one stretch of reading may hold the event loop (ms) before it lets other work run. */
const SLICE_MS = 20;

// The watchdog, a shell that holds the output file as its fd 3 and reads commands from the
// engine: "punch FROM LENGTH" gives back the disk blocks of a stretch already read; "pin PID CPUS
// CPU": PID runs pinned to CPU while traced (see pinning.ts), its own CPUs were CPUS; "done": the
// engine ended strace itself (and gave the pinned processes their CPUs back). End of input
// without "done": the engine died, so the watchdog ends every strace still writing into the file
// (strace then detaches; the traced programs go on running) and gives each process still pinned
// its CPUs back. The file is gone once strace and the watchdog have exited.
const WATCHDOG = `pins=
while read -r cmd a b c; do
  case $cmd in
    punch) fallocate --punch-hole --offset "$a" --length "$b" /dev/fd/3 2>/dev/null ;;
    pin) pins="$pins $a:$b:$c" ;;
    done) exit 0 ;;
  esac
done
for f in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "$1*" 2>/dev/null); do
  p=\${f#/proc/}; p=\${p%%/*}
  [ "$(cat /proc/$p/comm 2>/dev/null)" = strace ] && kill -TERM "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null
done
for e in $pins; do
  p=\${e%%:*}; r=\${e#*:}; cpus=\${r%%:*}; cpu=\${r#*:}
  [ "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$p/status 2>/dev/null)" = "$cpu" ] && taskset -a -p -c "$cpus" "$p" >/dev/null 2>&1
done
exit 0`;

/** Where the output file goes: /dev/shm (memory: no writeback to a disk to wait for) when this
 *  process may write there, else the temporary directory. */
function outputRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK | constants.X_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/**
 * strace's output, split into lines (each line the chunks it arrived in). strace writes into a
 * regular file only this process can reach: created 0600 in a private directory (in /dev/shm when
 * it can), both unlinked at once, and given to strace as /proc/PID/fd/N. strace never waits for
 * us (a pipe would make it wait while we are busy, and wake us at every line). We read the file
 * as it grows and have the watchdog punch a hole over what has been read, so the file's blocks
 * are what we have not read yet plus less than PUNCH_STEP. The file is gone once strace, the
 * watchdog and we have closed it. If the engine dies, the watchdog ends strace.
 */
export class TraceOutput {
  /** The path strace opens for writing. */
  readonly path: string;
  /** What /proc shows for a descriptor of the file (it has no name any more). */
  private readonly link: string;
  private fd: number | undefined;
  private offset = 0;
  private punched = 0;
  private closed = false;
  private writerDone = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** The start of a line longer than the read buffer, copied. */
  private partial: Buffer[] = [];
  /** Each read goes here; lines are handed out as views of it, valid during onLine only. */
  private readonly buf = Buffer.allocUnsafe(READ_MAX);
  /** Bytes at the start of buf: the start of a line whose end has not been read yet. */
  private carried = 0;
  private readonly watchdog: ChildProcess;
  private endResolve!: () => void;
  readonly ended = new Promise<void>((r) => (this.endResolve = r));

  /** The writer's pid (strace), once known: paused while the backlog is too large. */
  private writer: number | undefined;
  private writerStopped = false;

  constructor(
    private readonly onLine: (parts: Buffer[]) => void,
    private readonly maxBacklog = MAX_BACKLOG,
  ) {
    const dir = mkdtempSync(join(outputRoot(), 'ipctap-trace-'));
    const file = join(dir, 'strace.out');
    try {
      this.fd = openSync(file, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    this.path = `/proc/${process.pid}/fd/${this.fd}`;
    this.link = readlinkSync(this.path);
    this.watchdog = spawn('sh', ['-c', WATCHDOG, 'ipctap-trace-watchdog', file], { stdio: ['pipe', 'ignore', 'ignore', this.fd], detached: true });
    this.watchdog.on('error', () => undefined);
    this.watchdog.stdin!.on('error', () => undefined);
    this.watchdog.unref();
    (this.watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    this.timer = setTimeout(this.pump, IDLE_POLL_MS);
  }

  /** Bytes of output read so far. */
  get readBytes(): number {
    return this.offset;
  }

  /** strace's pid: it is paused (SIGSTOP, SIGCONT) when it gets too far ahead of us. */
  setWriter(pid: number): void {
    this.writer = pid;
  }

  /** Let a paused writer go on (before it is stopped with SIGTERM, which waits for SIGCONT). */
  resumeWriter(): void {
    if (!this.writerStopped || this.writer === undefined) return;
    this.writerStopped = false;
    try {
      process.kill(this.writer, 'SIGCONT');
    } catch {
      // gone
    }
  }

  private pauseWriter(backlog: number): void {
    if (this.writer === undefined || this.writerDone) return;
    if (!this.writerStopped && backlog > this.maxBacklog) {
      try {
        process.kill(this.writer, 'SIGSTOP');
        this.writerStopped = true;
      } catch {
        // gone
      }
    } else if (this.writerStopped && backlog <= this.maxBacklog / 2) this.resumeWriter();
  }

  /** strace has closed the file (it ended, or never started): read the rest, then end. */
  done(): void {
    this.resumeWriter();
    this.writerDone = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.pump();
    }
  }

  /** The pids (other than ours and the watchdog's) with the file open: strace, while it runs. */
  holders(): number[] {
    const out: number[] = [];
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      return out;
    }
    for (const name of names) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid || Number(name) === this.watchdog.pid) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${name}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          if (readlinkSync(`/proc/${name}/fd/${fd}`) === this.link) {
            out.push(Number(name));
            break;
          }
        } catch {
          // closed meanwhile
        }
      }
    }
    return out;
  }

  /** Stop reading now; the watchdog is told all is well. */
  close(): void {
    this.resumeWriter();
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.closed = true;
    this.closeFd();
    if (this.watchdog.stdin?.writable) this.watchdog.stdin.end('done\n');
    this.endResolve();
  }

  /** The watchdog has exited (after close(), it exits at once). */
  watchdogGone(): Promise<void> {
    if (this.watchdog.exitCode !== null || this.watchdog.signalCode !== null) return Promise.resolve();
    this.watchdog.ref(); // (waited for, so it keeps the event loop going meanwhile)
    return new Promise((r) => this.watchdog.once('exit', () => r()));
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    const until = performance.now() + SLICE_MS;
    while (this.fd !== undefined && !this.closed) {
      let size: number;
      try {
        size = fstatSync(this.fd).size;
      } catch {
        size = this.offset;
      }
      const want = Math.min(size - this.offset, READ_MAX - this.carried);
      if (want <= 0) {
        // (Once strace has closed the file, nothing more can come.)
        if (this.writerDone) this.close();
        else this.timer = setTimeout(this.pump, IDLE_POLL_MS);
        return;
      }
      let n: number;
      try {
        n = readSync(this.fd, this.buf, this.carried, want, this.offset);
      } catch {
        n = 0;
      }
      if (n <= 0) {
        this.timer = setTimeout(this.pump, IDLE_POLL_MS);
        return;
      }
      this.offset += n;
      this.feed(n);
      this.punch();
      this.pauseWriter(size - this.offset);
      if (performance.now() > until) {
        this.immediate = setImmediate(this.pump);
        return;
      }
    }
  };

  /** `n` bytes have been read into buf after the carried ones: hand out each line they end. */
  private feed(n: number): void {
    const end = this.carried + n;
    const buf = this.buf.subarray(0, end);
    let start = 0;
    // (The carried bytes hold no newline.)
    for (let from = this.carried; ;) {
      const nl = buf.indexOf(10, from);
      if (nl < 0) break;
      // (A line longer than the read buffer stays in the chunks it came in: see parseParts.)
      let parts: Buffer[] = [buf.subarray(start, nl)];
      if (this.partial.length) {
        this.partial.push(parts[0]!);
        parts = this.partial;
        this.partial = [];
      }
      this.onLine(parts);
      start = from = nl + 1;
    }
    // The start of the next line: moved to the front of the buffer, where the next read goes on
    // after it (a copy within the buffer); a line that fills the whole buffer is copied out.
    this.carried = 0;
    if (start === end) return;
    if (start === 0 && end === READ_MAX) this.partial.push(Buffer.from(buf));
    else {
      buf.copy(this.buf, 0, start, end);
      this.carried = end - start;
    }
  }

  /** `pid` is pinned to `cpu` while traced; its CPUs were `cpus`: the watchdog gives them back if
   *  the engine dies. */
  pinned(pid: number, cpus: string, cpu: number): void {
    if (!this.closed && this.watchdog.stdin?.writable) this.watchdog.stdin.write(`pin ${pid} ${cpus} ${cpu}\n`);
  }

  /** Give back the disk blocks of what has been read (strace only ever writes past them). */
  private punch(): void {
    const upTo = Math.floor(this.offset / 4096) * 4096;
    if (upTo - this.punched < PUNCH_STEP || this.closed || !this.watchdog.stdin?.writable) return;
    this.watchdog.stdin.write(`punch ${this.punched} ${upTo - this.punched}\n`);
    this.punched = upTo;
  }
}
