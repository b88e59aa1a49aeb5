// The POSIX signals of Linux (x86-64/arm64 numbering), with a one-line description each, and
// name/number parsing. Pure data and functions: no I/O.
import { constants as osConstants } from 'node:os';
import { UserError } from '../util/errors';

export interface SignalInfo {
  /** Canonical name with the SIG prefix, e.g. "SIGUSR1", "SIGRTMIN+3". */
  name: string;
  number: number;
  description: string;
}

const TABLE: readonly SignalInfo[] = [
  { name: 'SIGHUP', number: 1, description: 'hangup: controlling terminal closed; daemons often reload config' },
  { name: 'SIGINT', number: 2, description: 'interrupt from the keyboard (Ctrl-C)' },
  { name: 'SIGQUIT', number: 3, description: 'quit from the keyboard (Ctrl-\\); core dump (Go: dumps goroutines)' },
  { name: 'SIGILL', number: 4, description: 'illegal instruction' },
  { name: 'SIGTRAP', number: 5, description: 'trace/breakpoint trap' },
  { name: 'SIGABRT', number: 6, description: 'abort (abort(3)); core dump' },
  { name: 'SIGBUS', number: 7, description: 'bus error: bad memory access' },
  { name: 'SIGFPE', number: 8, description: 'floating-point or arithmetic exception' },
  { name: 'SIGKILL', number: 9, description: 'kill: cannot be caught or ignored' },
  { name: 'SIGUSR1', number: 10, description: 'user-defined signal 1' },
  { name: 'SIGSEGV', number: 11, description: 'segmentation fault: invalid memory reference' },
  { name: 'SIGUSR2', number: 12, description: 'user-defined signal 2' },
  { name: 'SIGPIPE', number: 13, description: 'broken pipe: write to a pipe or socket with no reader' },
  { name: 'SIGALRM', number: 14, description: 'timer signal from alarm(2)' },
  { name: 'SIGTERM', number: 15, description: 'termination request (the polite kill)' },
  { name: 'SIGSTKFLT', number: 16, description: 'stack fault on coprocessor (unused)' },
  { name: 'SIGCHLD', number: 17, description: 'child stopped, continued or terminated' },
  { name: 'SIGCONT', number: 18, description: 'continue if stopped' },
  { name: 'SIGSTOP', number: 19, description: 'stop the process: cannot be caught or ignored' },
  { name: 'SIGTSTP', number: 20, description: 'stop typed at the terminal (Ctrl-Z)' },
  { name: 'SIGTTIN', number: 21, description: 'terminal input for a background process; stops it' },
  { name: 'SIGTTOU', number: 22, description: 'terminal output for a background process; stops it' },
  { name: 'SIGURG', number: 23, description: 'urgent data on a socket (Go uses it for preemption)' },
  { name: 'SIGXCPU', number: 24, description: 'CPU time limit exceeded' },
  { name: 'SIGXFSZ', number: 25, description: 'file size limit exceeded' },
  { name: 'SIGVTALRM', number: 26, description: 'virtual alarm clock' },
  { name: 'SIGPROF', number: 27, description: 'profiling timer expired' },
  { name: 'SIGWINCH', number: 28, description: 'terminal window size changed' },
  { name: 'SIGIO', number: 29, description: 'I/O now possible (alias SIGPOLL)' },
  { name: 'SIGPWR', number: 30, description: 'power failure' },
  { name: 'SIGSYS', number: 31, description: 'bad system call (seccomp)' },
];

/** Old or alternative names for the same numbers. */
const ALIASES: Readonly<Record<string, number>> = { SIGIOT: 6, SIGPOLL: 29, SIGCLD: 17, SIGUNUSED: 31 };

/** glibc reserves 32 and 33 for its threads; user-visible realtime signals are 34..64. */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const BY_NAME = new Map<string, SignalInfo>(TABLE.map((s) => [s.name, s]));
const BY_NUMBER = new Map<number, SignalInfo>(TABLE.map((s) => [s.number, s]));

function realtime(number: number): SignalInfo {
  const n = number - SIGRTMIN;
  const name = n === 0 ? 'SIGRTMIN' : number === SIGRTMAX ? 'SIGRTMAX' : `SIGRTMIN+${n}`;
  return { name, number, description: `realtime signal ${n} (application-defined, queued)` };
}

/** Every signal, standard ones then the realtime range, in number order. */
export function allSignals(): SignalInfo[] {
  const out = [...TABLE];
  for (let n = SIGRTMIN; n <= SIGRTMAX; n++) out.push(realtime(n));
  return out;
}

export function signalByNumber(number: number): SignalInfo | undefined {
  if (BY_NUMBER.has(number)) return BY_NUMBER.get(number);
  if (Number.isInteger(number) && number >= SIGRTMIN && number <= SIGRTMAX) return realtime(number);
  return undefined;
}

/** A signal name for a number, e.g. for a process that died of one: "SIGKILL", else "signal 33". */
export function signalName(number: number): string {
  return signalByNumber(number)?.name ?? `signal ${number}`;
}

const HELP = 'see `ipctap signal --list` for the names (e.g. TERM, SIGUSR1, 10, RTMIN+2)';

/**
 * Parse "usr1", "SIGUSR1", "sigusr1", "10", "RTMIN+3", "SIGRTMAX-1" into a signal.
 * Throws UserError (exit code 1, a usage error) for anything else.
 */
export function parseSignal(input: string | number): { name: string; number: number } {
  const raw = String(input).trim();
  if (/^\d+$/.test(raw)) {
    const info = signalByNumber(Number(raw));
    if (!info) {
      const hint = Number(raw) === 32 || Number(raw) === 33 ? ' (32 and 33 are reserved by the C library)' : '';
      throw new UserError(`no signal number ${raw}${hint}: use 1-31 or ${SIGRTMIN}-${SIGRTMAX}; ${HELP}`, 1);
    }
    return { name: info.name, number: info.number };
  }
  let up = raw.toUpperCase();
  if (!up.startsWith('SIG')) up = 'SIG' + up;
  const known = BY_NAME.get(up);
  if (known) return { name: known.name, number: known.number };
  if (ALIASES[up] !== undefined) {
    const info = BY_NUMBER.get(ALIASES[up])!;
    return { name: info.name, number: info.number };
  }
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(up);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const off = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1);
    const n = base + off;
    if (n >= SIGRTMIN && n <= SIGRTMAX) {
      const info = realtime(n);
      return { name: info.name, number: info.number };
    }
    throw new UserError(`${raw} is outside the realtime range (SIGRTMIN..SIGRTMIN+${SIGRTMAX - SIGRTMIN})`, 1);
  }
  throw new UserError(`unknown signal "${raw}": ${HELP}`, 1);
}

/** The exit status a shell reports for a process ended by signal `name`: 128 + its number. */
export function signalExitStatus(name: string): number {
  return 128 + (osConstants.signals[name as NodeJS.Signals] ?? 1);
}

/** The table as text, one signal a line: "10  SIGUSR1    user-defined signal 1". */
export function formatSignalTable(): string {
  const lines = TABLE.map((s) => `${String(s.number).padStart(2)}  ${s.name.padEnd(10)}  ${s.description}`);
  lines.push(`${SIGRTMIN}-${SIGRTMAX}  SIGRTMIN+n  realtime signals (SIGRTMIN=${SIGRTMIN}, SIGRTMAX=${SIGRTMAX}); by number or RTMIN+n`);
  return lines.join('\n');
}
