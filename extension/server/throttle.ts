// Coalesces bursts into at most one call per interval (leading call at once, trailing call
// for whatever arrived meanwhile). Used for session/changed notices.
export class Throttle {
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private last = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly fire: () => void,
  ) {}

  /** Ask for a call; it happens now or at the end of the current interval. */
  poke(): void {
    if (this.timer) {
      this.pending = true;
      return;
    }
    const wait = this.last + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.run();
    } else {
      this.pending = true;
      this.arm(wait);
    }
  }

  /** Run a pending call now (e.g. before stopping). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending) this.run();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
  }

  private run(): void {
    this.pending = false;
    this.last = Date.now();
    this.arm(this.intervalMs);
    this.fire();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending) this.run();
    }, ms);
    this.timer.unref?.();
  }
}
