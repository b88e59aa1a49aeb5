// A source (a socket or pipe being read) paused while anything holds it: the other side's full
// write buffer, or (with lossless capture) a capture file that is behind. It resumes only when
// no reason is left, so one reason ending cannot undo another.
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
  readonly destroyed?: boolean;
}

export class SourceHolds {
  private count = 0;

  constructor(private readonly src: Pausable) {}

  get held(): boolean {
    return this.count > 0;
  }

  hold(): void {
    if (this.count++ === 0) this.src.pause();
  }

  release(): void {
    if (this.count === 0) return;
    if (--this.count === 0 && !this.src.destroyed) this.src.resume();
  }

  /** Hold until `until` settles (nothing when there is nothing to wait for). */
  holdUntil(until: Promise<unknown> | undefined): void {
    if (!until) return;
    this.hold();
    const done = (): void => this.release();
    until.then(done, done);
  }

  /** Hold until `dst` drains (its write() just said its buffer is full). */
  holdUntilDrain(dst: { once(event: 'drain', listener: () => void): unknown }): void {
    this.hold();
    dst.once('drain', () => this.release());
  }
}
