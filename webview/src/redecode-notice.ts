// The status line while Decode As… decodes a capture again: "Decoding … again…" stays up as long
// as the toolbar's decoding badge shows progress, and turns into "Decoded … again." when it is
// gone. A capture small enough to be done before any progress is reported ends on a timer.

/** Without a progress report this long after the request, decoding again is taken as done. */
export const QUIET_DONE_MS = 3000;

export interface NoticeSink {
  notice(text: string, sticky: boolean): void;
}

export class RedecodeNotice {
  private label: string | undefined;
  private seen = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sink: NoticeSink) {}

  /** Decode As… was accepted and the capture is being decoded again. */
  start(tap: string | undefined, decoder: string): void {
    this.label = `${tap ?? 'every tap'} as ${decoder}`;
    this.seen = false;
    this.sink.notice(`Decoding ${this.label} again…`, true);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.seen) this.finish();
    }, QUIET_DONE_MS);
  }

  /** A session summary arrived: `decoding` is its progress, absent once decoding again is done. */
  progress(decoding: { done: number; total: number } | undefined): void {
    if (this.label === undefined) return;
    if (decoding) this.seen = true;
    else if (this.seen) this.finish();
  }

  get active(): boolean {
    return this.label !== undefined;
  }

  private finish(): void {
    if (this.label === undefined) return;
    const label = this.label;
    this.label = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sink.notice(`Decoded ${label} again.`, false);
  }
}
