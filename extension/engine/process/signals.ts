// Sending signals to processes (by pid or to a process group), with clear errors, and a registry
// of the signals recently sent so an exit can be attributed to a signal we sent (bySignal).
import { EventEmitter } from 'node:events';
import type { EventBody } from '../types';
import { UserError } from '../util/errors';
import { parseSignal } from './signal-table';
import { readProcStat, userName } from './procfs';
import { pushAll } from '../util/arrays';

export { parseSignal, allSignals, signalByNumber, signalName, formatSignalTable, signalExitStatus, SIGRTMIN, SIGRTMAX } from './signal-table';
export type { SignalInfo } from './signal-table';

export interface SentSignal {
  pid: number;
  /** true: sent to the process group whose id is `pid` (kill(-pid, n)). */
  group: boolean;
  name: string;
  number: number;
  /** Date.now() when sent. */
  at: number;
}

const KEEP_MS = 10 * 60_000;
const KEEP_PER_PID = 32;
const MAX_PIDS = 4096;

/**
 * Signals recently sent by this process, keyed by target pid (or process-group id for group
 * sends). Emits 'sent' (SentSignal) after each send, so a ManagedProcess can watch for a stop.
 * Bounded: 32 entries per pid, entries older than 10 minutes are dropped.
 */
export class SignalRegistry extends EventEmitter {
  private readonly byPid = new Map<number, SentSignal[]>();

  record(s: SentSignal): void {
    const now = s.at;
    let list = this.byPid.get(s.pid);
    if (!list) {
      if (this.byPid.size >= MAX_PIDS) this.prune(now);
      list = [];
      this.byPid.set(s.pid, list);
    }
    list.push(s);
    if (list.length > KEEP_PER_PID) list.splice(0, list.length - KEEP_PER_PID);
    this.emit('sent', s);
  }

  /** Signals sent to `pid` directly, or to process group `pgid` when given, since `sinceMs`. */
  sentTo(pid: number, opts: { pgid?: number; since?: number } = {}): SentSignal[] {
    const since = opts.since ?? 0;
    const out = (this.byPid.get(pid) ?? []).filter((s) => !s.group && s.at >= since);
    if (opts.pgid !== undefined) {
      pushAll(
        out,
        (this.byPid.get(opts.pgid) ?? []).filter((s) => s.group && s.at >= since),
      );
    }
    return out.sort((a, b) => a.at - b.at);
  }

  private prune(now: number): void {
    for (const [pid, list] of this.byPid) {
      const kept = list.filter((s) => now - s.at < KEEP_MS);
      if (kept.length === 0) this.byPid.delete(pid);
      else this.byPid.set(pid, kept);
    }
  }
}

/** The registry sendSignal records into unless given another (signals are process-wide facts). */
export const signalRegistry = new SignalRegistry();

/** Validate a pid given by the user (number or decimal string); refuses 0, 1 and negatives. */
export function parsePid(input: number | string): number {
  const raw = String(input).trim();
  if (!/^-?\d+$/.test(raw)) throw new UserError(`invalid pid "${raw}": a process id is a positive integer`, 1);
  const pid = Number(raw);
  if (pid < 0) throw new UserError(`invalid pid ${pid}: give the positive pid (use --group to signal its process group)`, 1);
  if (pid === 0) throw new UserError('refusing pid 0: it means "my own process group"; give a real pid', 1);
  if (pid === 1) throw new UserError('refusing to signal pid 1 (init)', 1);
  if (!Number.isSafeInteger(pid)) throw new UserError(`invalid pid ${raw}`, 1);
  return pid;
}

export interface SendSignalOptions {
  /** Send to the process group whose leader is `pid` (kill(-pid)). */
  group?: boolean;
  /** Where to record the 'signal-sent' event (the session). */
  sink?: { event(ev: EventBody): void };
  registry?: SignalRegistry;
}

/**
 * Send a signal (name like "usr1"/"SIGUSR1", or a number) to `pid`, or with `group` to the process
 * group led by `pid`. Throws UserError: unknown signal, bad pid, no such process, another user's
 * process, or a group that is ipctap's own. Records the send and emits 'signal-sent' to `sink`.
 */
export function sendSignal(pidInput: number | string, sig: string | number, opts: SendSignalOptions = {}): SentSignal {
  const pid = parsePid(pidInput);
  const { name, number } = parseSignal(sig);
  const group = opts.group === true;
  if (group) {
    const own = readProcStat(process.pid);
    if (own && own.pgrp === pid) {
      throw new UserError(`process group ${pid} is ipctap's own group; signalling it would stop ipctap too`, 1);
    }
  }
  try {
    process.kill(group ? -pid : pid, number);
  } catch (err) {
    throw signalError(err, pid, group);
  }
  const sent: SentSignal = { pid, group, name, number, at: Date.now() };
  (opts.registry ?? signalRegistry).record(sent);
  opts.sink?.event({ kind: 'signal-sent', pid, signal: name, group });
  return sent;
}

/** Map an errno from kill(2) to the message a user should see. Exported for tests. */
export function signalError(err: unknown, pid: number, group: boolean): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ESRCH') {
    if (group) {
      const st = readProcStat(pid);
      if (st && st.pgrp !== pid) {
        return new UserError(`no process group ${pid}: pid ${pid} is in group ${st.pgrp}; use that leader's pid with --group`);
      }
      return new UserError(`no process group ${pid}`);
    }
    return new UserError(`no process with pid ${pid}`);
  }
  if (code === 'EPERM') {
    const st = readProcStat(pid);
    const owner = st ? `owned by ${userName(st.uid)} (uid ${st.uid})` : 'owned by someone else';
    const me = typeof process.getuid === 'function' ? `; you are ${userName(process.getuid())} (uid ${process.getuid()})` : '';
    const what = group ? `process group ${pid} contains a process that belongs to another user` : `pid ${pid} belongs to another user`;
    return new UserError(`${what} (${owner}${me}): run ipctap as that user or with sudo`);
  }
  if (code === 'EINVAL') return new UserError(`the kernel refused the signal for pid ${pid} (EINVAL)`);
  return err instanceof Error ? err : new Error(String(err));
}
