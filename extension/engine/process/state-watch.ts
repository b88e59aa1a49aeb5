// Watching whether a process is stopped (SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU) or running, from the
// state letter in /proc/PID/stat. Node does not report stops (it waits without WUNTRACED), so:
// a short burst of polling right after we send a signal, plus a slow background poll to notice
// stops and continues caused by others. Both are bounded and unref'd.
import { readProcStat } from './procfs';

export type RunState = 'running' | 'stopped';

const SLOW_MS = 1000;
const BURST_MS = 15;
const BURST_FOR_MS = 1000;

export class StateWatcher {
  private last: RunState = 'running';
  private slow: NodeJS.Timeout | undefined;
  private burstTimer: NodeJS.Timeout | undefined;
  private burstUntil = 0;
  private stopped = false;

  constructor(
    private readonly pid: number,
    private readonly onChange: (state: RunState) => void,
    slowMs: number = SLOW_MS,
  ) {
    this.slow = setInterval(() => this.check(), slowMs);
    this.slow.unref();
  }

  /** Look now and every 15 ms for the next second (after a signal was sent). */
  burst(): void {
    if (this.stopped) return;
    this.burstUntil = Date.now() + BURST_FOR_MS;
    if (this.burstTimer) return;
    const tick = (): void => {
      this.burstTimer = undefined;
      if (this.stopped) return;
      this.check();
      if (Date.now() < this.burstUntil) {
        this.burstTimer = setTimeout(tick, BURST_MS);
        this.burstTimer.unref();
      }
    };
    // The kernel applies the signal asynchronously: first look on the next turn.
    this.burstTimer = setTimeout(tick, 1);
    this.burstTimer.unref();
  }

  private check(): void {
    const st = readProcStat(this.pid);
    if (!st || st.state === 'Z' || st.state === 'X') return;
    const now: RunState = st.state === 'T' || st.state === 't' ? 'stopped' : 'running';
    if (now !== this.last) {
      this.last = now;
      this.onChange(now);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.slow) clearInterval(this.slow);
    if (this.burstTimer) clearTimeout(this.burstTimer);
    this.slow = undefined;
    this.burstTimer = undefined;
  }
}
