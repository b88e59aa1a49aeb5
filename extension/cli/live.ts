// What `run`, `proxy` and `attach --tap` share: a live session printing rows until it ends,
// stopped cleanly (takeovers restored, children reaped, capture closed) on SIGINT/SIGTERM/SIGHUP.
import { Session, type SessionOptions } from '../engine/session';
import type { Row } from '../engine/types';
import { rowToJsonLine, TextFormatter } from './format';
import { ControlServer } from './control';

export interface LiveOptions extends SessionOptions {
  json: boolean;
  quiet: boolean;
  /** Print frames of the stdio tap too (text mode shows the child's output directly instead). */
  showStdio: boolean;
  /** Where text rows go (stdout for proxy/attach; stderr for run so the child's stdout stays clean). */
  textOut: NodeJS.WritableStream;
}

export class LiveSession {
  readonly session: Session;
  private control: ControlServer | undefined;
  private stopping: Promise<void> | undefined;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly opts: LiveOptions) {
    this.session = new Session(opts);
    const text = new TextFormatter({ color: !opts.json && (opts.textOut as { isTTY?: boolean }).isTTY === true });
    if (!opts.quiet) {
      this.session.onRow((row: Row) => {
        if (opts.json) {
          process.stdout.write(rowToJsonLine(row) + '\n');
        } else if (opts.showStdio || row.type === 'event' || !row.tap.startsWith('stdio')) {
          opts.textOut.write(text.format(row) + '\n');
        }
      });
    }
  }

  async start(): Promise<void> {
    await this.session.start();
    this.control = await ControlServer.start(this.session).catch(() => undefined);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const h = () => void this.stop(sig);
      process.on(sig, h);
      this.cleanups.push(() => process.off(sig, h));
    }
  }

  /** Stop once; later calls return the same promise. */
  stop(reason?: string): Promise<void> {
    if (!this.stopping) {
      if (reason && !this.opts.json) process.stderr.write(`ipctap: ${reason}: stopping (restoring takeovers, closing capture)\n`);
      this.stopping = (async () => {
        for (const c of this.cleanups) c();
        await this.control?.close();
        await this.session.stop();
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
