// Session clocks in microseconds: wall time (since the Unix epoch) and monotonic time (since the
// clock was made). Both are integers.

export class Clock {
  private readonly start = process.hrtime.bigint();

  /** Monotonic µs since this clock was created. */
  mono(): number {
    return Number((process.hrtime.bigint() - this.start) / 1000n);
  }

  /** Wall-clock µs since the Unix epoch. */
  wall(): number {
    return Math.round((performance.timeOrigin + performance.now()) * 1000);
  }
}
