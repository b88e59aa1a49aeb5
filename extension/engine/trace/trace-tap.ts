// The trace tap: every pipe, socket and FIFO a process (and its children and threads) reads or
// writes, seen through strace instead of a proxy. Two ways to start:
//  - run: `wrap(command)` gives the argv to launch (strace -D … -- command, so the launched pid is
//    the program itself and strace runs beside it); `launched(pid)` once it runs.
//  - attach: `start()` attaches strace to a running process, every process descended from it,
//    and all their threads.
// stop() ends strace (it detaches; the program goes on running), then closes every connection.
// strace and the traced processes share one CPU while the trace lasts (pinning.ts); the processes
// get their own CPUs back when it ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import type { Tap, TapSink } from '../taps/tap';
import { sleep } from '../taps/wait';
import { TraceAssembler } from './assembler';
import { allowedCpus, pin, planPinning, unpin, type Pinning } from './pinning';
import { StraceLineParser } from './strace-line';
import { alive, checkAttach, commOf, descendantsOf, findExecutable, findStrace, straceArgs, straceFailure, tgidOf, tracerOf, TraceOutput } from './strace';

export interface TraceTapOptions {
  /** Attach to this running process; without it the tap traces a program it is given to launch. */
  pid?: number;
  /** Include regular files, ttys and the like. */
  traceFiles?: boolean;
  /** Leave the traced processes on all their CPUs (slower tracing: see pinning.ts). */
  allCpus?: boolean;
}

export class TraceTap implements Tap {
  readonly kind = 'trace' as const;
  readonly spec = 'trace';
  address: string | undefined;
  private readonly strace: string;
  private output: TraceOutput | undefined;
  private assembler: TraceAssembler | undefined;
  private readonly parser = new StraceLineParser();
  /** Lines that came before the tap knew what to leave out (the launched program's stdio). */
  private early: Buffer[][] | undefined = [];
  private tracer: number | undefined;
  private child: ChildProcess | undefined;
  private root: number | undefined;
  private stopping: Promise<void> | undefined;
  private readonly excludeInodes = new Set<string>();
  /** Where strace and the traced processes run (undefined: not pinned). */
  private readonly pinning: Pinning | undefined;
  /** Pinned processes → their own CPUs, given back at the end. */
  private readonly pins = new Map<number, string>();
  /** The CPUs of a process seen forking during the trace (its parent's before the trace). */
  private ownCpus: string | undefined;
  private straceExited!: () => void;
  /** attach: resolves when strace has ended on its own (every traced process has exited). */
  readonly tracerGone = new Promise<void>((r) => (this.straceExited = r));

  constructor(
    private readonly sink: TapSink,
    private readonly opts: TraceTapOptions = {},
  ) {
    this.strace = findStrace();
    if (opts.pid !== undefined) checkAttach(opts.pid);
    this.pinning = opts.allCpus ? undefined : planPinning();
  }

  /** `pid` runs pinned (by us, or born pinned); its own CPUs are `cpus`. */
  private pinned(pid: number, cpus: string | undefined): void {
    if (!this.pinning || cpus === undefined || this.pins.has(pid)) return;
    this.pins.set(pid, cpus);
    this.output?.pinned(pid, cpus, this.pinning.cpu);
  }

  /** The argv prefix that starts strace on the trace's CPU. */
  private pinnedPrefix(): string[] {
    return this.pinning ? [this.pinning.taskset, '-c', String(this.pinning.cpu)] : [];
  }

  /** For run: the command to launch in place of `command`. Call after start(). */
  wrap(command: string[]): string[] {
    if (!this.output) throw new Error('trace tap not started');
    // -DD: strace runs as a grandchild in its own process group, so the launched pid is the
    // program and a Ctrl-C meant for the program does not end the trace first.
    // (On the trace's CPU: the program inherits it from strace.)
    return [...this.pinnedPrefix(), this.strace, ...straceArgs(this.output.path), '-DD', '--', ...command];
  }

  async start(): Promise<void> {
    this.output = new TraceOutput((line) => this.line(line));
    if (this.opts.pid === undefined) return; // run: launched() follows
    const pid = this.opts.pid;
    this.root = pid;
    this.makeAssembler(true);
    this.early = undefined;
    // The whole tree as it is now: the process and every process descended from it (-f with -p
    // attaches each one's threads, and follows the forks that come after).
    // (A descendant that another tracer holds, a debugger or an strace of its own, is left out.)
    const below = descendantsOf(pid);
    const held = below.filter((p) => tracerOf(p) !== 0);
    const tree = [pid, ...below.filter((p) => !held.includes(p))];
    for (const p of tree) this.assembler!.knownProcess(p);
    if (this.pinning) {
      this.ownCpus = allowedCpus(pid);
      for (const p of tree) this.pinned(p, pin(this.pinning, p));
    }
    const args = [...this.pinnedPrefix(), this.strace, ...straceArgs(this.output.path), ...tree.flatMap((p) => ['-p', String(p)])];
    // strace ends (and so detaches) when ipctap dies, however it dies: setpriv gives it a parent-
    // death signal, and the output's watchdog ends it too.
    const setpriv = findExecutable('setpriv');
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'SIGTERM', '--', ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
      : spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    child.once('exit', () => {
      exited = true;
      this.output?.done();
      this.straceExited();
    });
    // Attached once the target's TracerPid is strace.
    const deadline = Date.now() + 10_000;
    while (!exited && tracerOf(pid) !== child.pid) {
      if (Date.now() > deadline) break;
      await sleep(20);
    }
    if (exited || tracerOf(pid) !== child.pid) {
      if (!exited) child.kill('SIGTERM');
      await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
      this.unpinAll();
      this.output.close();
      this.output = undefined;
      throw straceFailure(stderr || 'strace could not attach', pid);
    }
    this.tracer = child.pid;
    this.output.setWriter(child.pid!);
    // strace attaches the processes one after another: wait until each of the tree is traced
    // (or has exited, or strace has given up on it).
    const gaveUp = (p: number): boolean => stderr.includes(`PTRACE_SEIZE, ${p})`);
    const untraced = (): number[] => tree.slice(1).filter((p) => alive(p) && tracerOf(p) === 0 && !gaveUp(p));
    let missing = untraced();
    while (!exited && missing.length && Date.now() < deadline) {
      await sleep(20);
      missing = untraced();
    }
    const traced = tree.slice(1).filter((p) => tracerOf(p) === child.pid).length;
    const children = traced ? `, ${traced} process${traced === 1 ? '' : 'es'} it started before,` : '';
    const notTraced = [...held, ...tree.slice(1)].filter((p) => alive(p) && tracerOf(p) !== child.pid);
    const left = notTraced.length ? ` (not traced: pid ${notTraced.join(', ')})` : '';
    this.sink.event({ kind: 'tap-ready', tap: this.spec, message: `tracing pid ${pid} (${commOf(pid) ?? '?'})${children} their threads and later children${left}` });
  }

  /** run: the program runs (as `pid`); its stdio pipes are the stdio tap's, not ours. */
  async launched(pid: number): Promise<void> {
    this.root = pid;
    for (const fd of [0, 1, 2]) {
      try {
        const m = /^(?:pipe|socket):\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) this.excludeInodes.add(m[1]!);
      } catch {
        // exited already, or not ours to read
      }
    }
    this.makeAssembler(false);
    this.assembler!.knownProcess(pid);
    // (Its own CPUs are ours: it was started pinned.)
    if (this.pinning) {
      this.ownCpus = allowedCpus('self');
      this.pinned(pid, this.ownCpus);
    }
    const early = this.early ?? [];
    this.early = undefined;
    for (const l of early) this.line(l);
    // strace -D attaches before the program's first instruction: its TracerPid is strace.
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) {
      const t = tracerOf(pid);
      if (t !== 0) {
        this.tracer = t;
        this.output?.setWriter(t);
        break;
      }
      await sleep(10);
    }
    this.sink.event({ kind: 'tap-ready', tap: this.spec, message: `tracing pid ${pid} and every process it starts` });
  }

  /** The pid of strace (to detach from the Sessions view), once known. */
  get tracerPid(): number | undefined {
    return this.tracer;
  }

  private makeAssembler(midStream: boolean): void {
    this.assembler = new TraceAssembler(this.sink, {
      traceFiles: this.opts.traceFiles,
      excludeInodes: this.excludeInodes,
      midStream,
      skipExitOf: midStream ? undefined : this.root,
      onProcess: (pid) => this.pinned(pid, this.ownCpus),
      tgidOf,
      commOf,
      pathKind: (p) => {
        try {
          return statSync(p).isFIFO() ? 'fifo' : 'other';
        } catch {
          return 'other';
        }
      },
    });
  }

  private line(line: Buffer[]): void {
    if (this.early) {
      this.early.push(line.map((c) => Buffer.from(c))); // (the chunks are views of a buffer read into again)
      return;
    }
    const rec = this.parser.parseParts(line);
    if (!rec) return;
    try {
      this.assembler!.record(rec);
    } catch (err) {
      this.sink.event({ kind: 'error', tap: this.spec, message: `trace: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** Every process still pinned gets its own CPUs back (strace has ended): those known, and the
   *  ones descended from the traced process now whose start has not been read yet. */
  private unpinAll(): void {
    if (!this.pinning) return;
    if (this.root !== undefined && this.ownCpus !== undefined) for (const p of descendantsOf(this.root)) if (!this.pins.has(p)) this.pins.set(p, this.ownCpus);
    for (const [pid, cpus] of this.pins) unpin(this.pinning, pid, cpus);
    this.pins.clear();
  }

  /** Detach: strace ends (the traced processes go on), then every traced connection closes. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const out = this.output;
    if (!out) return;
    const tracer = this.tracer;
    if (tracer !== undefined && alive(tracer)) {
      // After the program has exited strace ends by itself once its last tracee has gone.
      if (this.root !== undefined && !alive(this.root)) await waitGone(tracer, 1000);
      if (alive(tracer)) {
        out.resumeWriter();
        try {
          process.kill(tracer, 'SIGTERM');
        } catch {
          // gone meanwhile
        }
        if (!(await waitGone(tracer, 5000))) {
          try {
            process.kill(tracer, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    }
    // Every line strace wrote is in the file once strace has exited (when its pid is not known,
    // once no process has the file open any more).
    const deadline = Date.now() + 5000;
    for (let h = tracer !== undefined ? [tracer] : out.holders(); h.length && Date.now() < deadline; h = h.filter(alive)) await sleep(10);
    this.unpinAll();
    out.done();
    // What strace wrote is read to the end, however long that takes while reading goes on.
    let ended = false;
    void out.ended.then(() => (ended = true));
    for (let read = -1; !ended && out.readBytes !== read;) {
      read = out.readBytes;
      await Promise.race([out.ended, sleep(5000)]);
    }
    out.close();
    this.unpinAll(); // (processes whose start was read since)
    await Promise.race([out.watchdogGone(), sleep(2000)]);
    if (this.early) {
      // (stopped before the program ran)
      this.makeAssembler(false);
      this.early = undefined;
    }
    this.assembler?.finish(this.opts.pid !== undefined ? 'detached' : 'trace ended');
    this.sink.event({ kind: 'tap-stopped', tap: this.spec });
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}
