// Launching a process (execa, no shell) with its stdio tapped, recording spawn/exit/stop events,
// sending it signals, and reaping it.
//
// Process groups (`detached`, what `--group` relies on): by default the child stays in ipctap's
// own process group, so a group signal would hit ipctap too and is refused. With `detached: true`
// the child starts a new session and process group (setsid) whose id is its pid; then
// `signal(sig, { group: true })` reaches the child and every descendant that did not move
// elsewhere (a shell script's commands, `go run`'s compiled program) — and never ipctap. Such a
// child has no controlling terminal: Ctrl-C in the terminal reaches ipctap only, which forwards
// or stops as it sees fit. terminate() signals the whole group of a detached child.
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type * as Execa from 'execa';
import { StdioTap } from '../taps/stdio';
import type { TapSink } from '../taps/tap';
import type { EventBody } from '../types';
import { UserError } from '../util/errors';
import { readProcStat } from './procfs';
import { parseSignal, sendSignal, signalRegistry, type SentSignal, type SignalRegistry } from './signals';
import { StateWatcher } from './state-watch';

export interface LaunchOptions {
  sink: TapSink;
  cwd?: string;
  /** Extra environment variables (added to ours unless `extendEnv: false`). */
  env?: Record<string, string>;
  extendEnv?: boolean;
  /** 'pipe' (default): we write the child's stdin (captured); 'inherit': it reads our stdin directly (not captured). */
  stdin?: 'pipe' | 'inherit' | 'ignore';
  /** With stdin 'pipe': feed this readable (e.g. process.stdin) to the child through the capture. */
  stdinFrom?: NodeJS.ReadableStream;
  /** Relay the child's stdout/stderr here besides capturing (the CLI passes its terminal unless --json). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** The stdio tap's name (default "stdio:PID"). */
  tapName?: string;
  /** The program as the user named it, when `command` starts it through a wrapper that runs it in
   *  the same pid (strace -DD): events, the stdio tap and messages name this, not the wrapper. */
  shownAs?: string[];
  /** A display name (unused by the engine; accepted for callers that pass one). */
  name?: string;
  /** Own process group (see the file comment): required for group signals. */
  detached?: boolean;
  /** Do not terminate the process when ipctap exits. */
  leaveRunning?: boolean;
  registry?: SignalRegistry;
}

export interface ExitInfo {
  /** Exit code, or null when it died of a signal. Node reports a death by a realtime signal
   *  (34-64) as code 0 with no signal: it has no name for those, so we cannot tell either. */
  code: number | null;
  signal: string | null;
  /** It died of a signal we sent (through sendSignal, to its pid or its group). */
  bySignal: boolean;
}

export type ProcessState = 'running' | 'stopped' | 'exited';

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** When ipctap exits however it exits, SIGTERM what we launched detached (execa's `cleanup` covers the rest). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) p.killOnExit();
  });
}

/**
 * Launch `command` (argv; no shell) with its stdio tapped. Resolves once the process runs (after
 * the 'spawn' event); rejects with UserError "cannot run ./server: no such file" (and reports an
 * 'error' event) when it cannot start.
 */
export async function launchProcess(command: string[], opts: LaunchOptions): Promise<ManagedProcess> {
  if (command.length === 0 || command[0] === '') throw new UserError('no command to run', 1);
  const cwd = opts.cwd ?? process.cwd();
  const reportFail = (err: UserError): UserError => {
    opts.sink.event({ kind: 'error', command, message: err.message });
    return err;
  };
  const cwdStat = statSync(cwd, { throwIfNoEntry: false });
  if (!cwdStat) throw reportFail(new UserError(`cannot run ${command[0]}: the working directory ${cwd} does not exist`));
  if (!cwdStat.isDirectory()) throw reportFail(new UserError(`cannot run ${command[0]}: the working directory ${cwd} is not a directory`));
  const precheck = checkExecutable(command[0], cwd, opts.env?.PATH ?? process.env.PATH ?? '');
  if (precheck) throw reportFail(precheck);

  const stdinMode = opts.stdin ?? 'pipe';
  // execa is ESM-only: a dynamic import loads it both from the CJS bundle and under tsx.
  const { execa } = await import('execa');
  const subprocess = execa(command[0], command.slice(1), {
    cwd,
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    stdin: stdinMode,
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: false,
    encoding: 'buffer',
    cleanup: !opts.leaveRunning,
    detached: opts.detached === true,
    forceKillAfterDelay: false,
  });
  const result = subprocess.then((r) => r);

  const spawned = await new Promise<{ ok: true } | { ok: false; err: unknown }>((res) => {
    subprocess.once('spawn', () => res({ ok: true }));
    subprocess.once('error', (err) => res({ ok: false, err }));
    void result.then((r) => res({ ok: false, err: r }));
  });
  if (!spawned.ok || subprocess.pid === undefined) {
    const e = spawned.ok ? undefined : (spawned.err as { code?: string; message?: string });
    throw reportFail(new UserError(`cannot run ${command[0]}: ${spawnReason(e?.code, e?.message)}`));
  }
  return new ManagedProcess(opts.shownAs ?? command, subprocess, result, opts);
}

/** A user-facing reason for a spawn failure. */
function spawnReason(code: string | undefined, message: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file (or its interpreter is missing)';
    case 'EACCES':
      return 'permission denied';
    case 'ENOEXEC':
      return 'not an executable format';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return message ?? code ?? 'spawn failed';
  }
}

/** What we can tell before spawning: missing file, not executable, not on PATH. */
export function checkExecutable(file: string, cwd: string, pathVar: string): UserError | undefined {
  if (file.includes('/')) {
    const p = isAbsolute(file) ? file : resolve(cwd, file);
    let st;
    try {
      st = statSync(p);
    } catch {
      return new UserError(`cannot run ${file}: no such file`);
    }
    if (st.isDirectory()) return new UserError(`cannot run ${file}: it is a directory`);
    try {
      accessSync(p, fsConstants.X_OK);
    } catch {
      return new UserError(`cannot run ${file}: permission denied (not executable: chmod +x ${file})`);
    }
    return undefined;
  }
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const p = join(isAbsolute(dir) ? dir : resolve(cwd, dir), file);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, fsConstants.X_OK);
        return undefined;
      }
    } catch {
      /* keep looking */
    }
  }
  return new UserError(`cannot run ${file}: not found on PATH`);
}

type Subprocess = ReturnType<typeof Execa.execa>;

/**
 * A process we launched. Events (also sent to the sink): 'event' (EventBody) for spawn, exit,
 * stopped, continued, signal-sent. `exited` always resolves (never rejects).
 */
export class ManagedProcess extends EventEmitter {
  readonly pid: number;
  readonly command: string[];
  readonly detached: boolean;
  /** The stdio tap (already started). */
  readonly tap: StdioTap;
  readonly exited: Promise<ExitInfo>;
  private _state: ProcessState = 'running';
  private exitInfo: ExitInfo | undefined;
  private readonly sink: TapSink;
  private readonly registry: SignalRegistry;
  private readonly spawnedAt = Date.now();
  private readonly watcher: StateWatcher;
  private readonly onSent: (s: SentSignal) => void;

  constructor(
    command: string[],
    sub: Subprocess,
    result: Promise<unknown>,
    private readonly opts: LaunchOptions,
  ) {
    super();
    this.pid = sub.pid!;
    this.command = command;
    this.detached = opts.detached === true;
    this.sink = opts.sink;
    this.registry = opts.registry ?? signalRegistry;
    result.catch(() => undefined);

    this.report({ kind: 'spawn', pid: this.pid, command });
    this.tap = new StdioTap({
      sink: opts.sink,
      pid: this.pid,
      command,
      name: opts.tapName,
      stdin: sub.stdin as Writable | null,
      stdout: sub.stdout as Readable | null,
      stderr: sub.stderr as Readable | null,
      passStdout: opts.stdout,
      passStderr: opts.stderr,
    });
    void this.tap.start();
    if (opts.stdinFrom && sub.stdin) this.tap.pipeFrom(opts.stdinFrom);

    this.watcher = new StateWatcher(this.pid, (state) => this.setStopped(state === 'stopped'));
    // A signal to its pid (or to its group, when it leads one) may stop or continue it: look.
    this.onSent = (s) => {
      if (s.pid === this.pid && (!s.group || this.detached)) this.watcher.burst();
    };
    this.registry.on('sent', this.onSent);

    if (!opts.leaveRunning) {
      live.add(this);
      if (this.detached) installExitHook();
    }

    this.exited = new Promise<ExitInfo>((resolveExit) => {
      sub.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        // Let the last output arrive before reporting the exit (bounded: a grandchild may keep
        // the pipes open for ever).
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          resolveExit(this.onExit(code, signal));
        };
        sub.once('close', finish);
        setTimeout(finish, 250).unref();
      });
    });
  }

  get state(): ProcessState {
    return this._state;
  }

  private report(ev: EventBody): void {
    this.sink.event(ev);
    this.emit('event', ev);
  }

  private setStopped(stopped: boolean): void {
    if (this._state === 'exited') return;
    if (stopped && this._state === 'running') {
      this._state = 'stopped';
      this.report({ kind: 'stopped', pid: this.pid });
    } else if (!stopped && this._state === 'stopped') {
      this._state = 'running';
      this.report({ kind: 'continued', pid: this.pid });
    }
  }

  private onExit(code: number | null, signal: string | null): ExitInfo {
    this.watcher.stop();
    this.registry.removeListener('sent', this.onSent);
    live.delete(this);
    this.tap.processExited();
    let bySignal = false;
    if (signal) {
      let number: number | undefined;
      try {
        number = parseSignal(signal).number;
      } catch {
        number = undefined;
      }
      const sent = this.registry.sentTo(this.pid, { pgid: this.detached ? this.pid : undefined, since: this.spawnedAt });
      bySignal = number !== undefined && sent.some((s) => s.number === number);
    }
    this._state = 'exited';
    this.exitInfo = { code, signal, bySignal };
    this.report({ kind: 'exit', pid: this.pid, code, signal, bySignal });
    return this.exitInfo;
  }

  /** Write to the child's stdin (captured). False when the pipe is full or stdin is not a pipe. */
  write(data: Uint8Array | string): boolean {
    return this.tap.write(data);
  }

  endStdin(): void {
    this.tap.endStdin();
  }

  /**
   * Send a signal (name or number); `group` sends to the process group (needs `detached`).
   * Throws UserError after exit, for unknown signals, or a group signal on a non-detached child.
   */
  signal(sig: string | number, opts: { group?: boolean } = {}): SentSignal {
    if (this._state === 'exited') throw new UserError(`pid ${this.pid} (${this.command[0]}) has already exited`);
    if (opts.group && !this.detached) {
      throw new UserError(`pid ${this.pid} shares ipctap's process group; launch it in its own group (detached) to signal the group`, 1);
    }
    return sendSignal(this.pid, sig, { group: opts.group, sink: { event: (ev) => this.report(ev) }, registry: this.registry });
  }

  /** Same as signal(sig ?? 'SIGTERM'). */
  kill(sig: string | number = 'SIGTERM', opts: { group?: boolean } = {}): SentSignal {
    return this.signal(sig, opts);
  }

  /**
   * SIGTERM (to the group when detached), SIGCONT if it is stopped, then SIGKILL after `graceMs`
   * (default 2000) if it has not exited. Resolves with the exit.
   */
  async terminate(opts: { graceMs?: number } = {}): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    const group = this.detached;
    const trySend = (sig: string): void => {
      if (this._state === 'exited') return;
      try {
        this.signal(sig, { group });
      } catch {
        /* exited meanwhile */
      }
    };
    trySend('SIGTERM');
    if (this._state === 'stopped' || readProcStat(this.pid)?.state === 'T') trySend('SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        trySend('SIGKILL');
        r();
      }, opts.graceMs ?? 2000);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }

  /** Synchronous last-chance kill from the process 'exit' hook. */
  killOnExit(): void {
    if (this._state === 'exited') return;
    try {
      process.kill(this.detached ? -this.pid : this.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}
