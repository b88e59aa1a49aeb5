// Rows printed in batches: the lines queued during one turn of the event loop go out in one
// write() when it ends (or as soon as 64 KiB are queued), rather than one write() per row. The
// text and its order are what writing each line at once gives.

/** The part of a stream the writer uses (process.stdout, process.stderr, a test's sink). */
export interface TextSink {
  write(text: string): boolean;
}

export class BatchedWriter {
  private parts: string[] = [];
  private size = 0;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly out: TextSink,
    private readonly limit = 64 * 1024,
  ) {}

  /** Queue text; false when a write it caused found the stream's buffer full (as write() says). */
  write(text: string): boolean {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.limit) return this.flush();
    this.scheduled ??= setImmediate(this.flushSoon);
    return true;
  }

  /** Write what is queued now (before other output to the same stream, and before exiting). */
  flush(): boolean {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.parts.length) return true;
    const text = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    this.size = 0;
    return this.out.write(text);
  }

  private readonly flushSoon = (): void => {
    this.scheduled = undefined;
    this.flush();
  };
}
