// What `run`, `proxy` and `attach --tap` share: a live session printing rows until it ends,
// stopped cleanly (takeovers restored, children reaped, capture closed) on SIGINT/SIGTERM/SIGHUP.
import { Session, type SessionOptions, restoreOwnSync, signalExitStatus, type Row } from '../engine';
import { rowToJsonLine, TextFormatter } from './format';
import { BatchedWriter } from './batched-writer';
import { ControlServer } from './control';
import { StatsCollector } from './stats';

export interface LiveOptions extends SessionOptions {
  json: boolean;
  quiet: boolean;
  /** Print frames of the stdio tap too (text mode shows the child's output directly instead). */
  showStdio: boolean;
  /** Where text rows go (stdout for proxy/attach; stderr for run so the child's stdout stays clean). */
  textOut: NodeJS.WritableStream;
  /** Decode everything and print a per-connection summary (to stderr) when the session stops. */
  stats?: boolean;
}

export class LiveSession {
  readonly session: Session;
  private control: ControlServer | undefined;
  private stopping: Promise<void> | undefined;
  private readonly stats: StatsCollector | undefined;
  /** The capture file stopped on an I/O error: the command exits 2. */
  captureFailed = false;
  /** Rows go out in batches (see flushRows). */
  private readonly rowsOut: BatchedWriter;

  constructor(private readonly opts: LiveOptions) {
    // Without -w, what live decoding cannot keep up with waits in a private spill file rather than
    // being dropped: every frame reaches stdout (JSON Lines, text) and --stats.
    this.session = new Session({ ...opts, spill: !opts.capturePath && (!opts.quiet || opts.stats === true) });
    const text = new TextFormatter({ color: !opts.json && (opts.textOut as { isTTY?: boolean }).isTTY === true });
    const rowsOut = (this.rowsOut = new BatchedWriter(opts.json ? process.stdout : opts.textOut));
    if (!opts.quiet) {
      this.session.onRow((row: Row) => {
        if (opts.json) {
          rowsOut.write(rowToJsonLine(row) + '\n');
        } else if (opts.showStdio || row.type === 'event' || !row.tap.startsWith('stdio')) {
          rowsOut.write(text.format(row) + '\n');
        }
      });
    }
    this.session.onCaptureError((err) => {
      this.captureFailed = true;
      this.flushRows();
      process.stderr.write(`ipctap: ${err.message}\n`);
      // Lossless promises that everything forwarded is in the file: forward nothing more.
      if (opts.lossless) void this.stop('the capture file failed and --lossless forwards only what it captures');
    });
    if (opts.stats) {
      const stats = (this.stats = new StatsCollector());
      this.session.onRow((row) => stats.add(row));
    }
  }

  async start(): Promise<void> {
    await this.session.start();
    this.control = await ControlServer.start(this.session).catch((e: Error) => {
      process.stderr.write(`ipctap: warning: no control socket (ipctap signal cannot reach this session): ${e.message}\n`);
      return undefined;
    });
    // Our handlers stay installed until the process exits: while one is listening, no other
    // library's handler (execa's cleanup) re-raises the signal and kills us mid-restore.
    // A second signal while stopping restores the takeovers at once and exits.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(sig, () => {
        if (!this.stopping) return void this.stop(sig);
        restoreOwnSync();
        this.flushRows();
        process.exit(signalExitStatus(sig));
      });
    }
  }

  /** Write the rows printed so far now: before other output to the same stream, and at the end. */
  flushRows(): void {
    this.rowsOut.flush();
  }

  /** Stop once; later calls return the same promise. */
  stop(reason?: string): Promise<void> {
    if (!this.stopping) {
      this.flushRows();
      if (reason && !this.opts.json) process.stderr.write(`ipctap: ${reason}: stopping (restoring takeovers, closing capture)\n`);
      this.stopping = (async () => {
        await this.control?.close();
        await this.session.stop();
        this.flushRows();
        if (this.stats) process.stderr.write(this.stats.format() + '\n');
      })();
    }
    return this.stopping;
  }

  /** Resolves when stop() has completed. */
  get stopped(): Promise<void> {
    return new Promise((resolve) => {
      const wait = () => (this.stopping ? this.stopping.then(resolve, resolve) : setTimeout(wait, 50));
      wait();
    });
  }
}
