// The stdio tap: a launched process's stdin, stdout and stderr as one connection with three
// directions. Every chunk goes to the sink; stdout/stderr are relayed to optional passthrough
// writables (the CLI's terminal) with backpressure; the caller writes the child's stdin through
// the tap so what it sends is captured too.
import type { Readable, Writable } from 'node:stream';
import type { Direction } from '../types';
import type { Tap, TapSink } from './tap';
import { SourceHolds } from './holds';

export interface StdioTapOptions {
  sink: TapSink;
  pid: number;
  command: string[];
  /** The tap's name in rows (default "stdio:PID"). */
  name?: string;
  /** The child's ends of its pipes; null for a stream that is inherited or ignored. */
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Where to relay the child's output besides the capture (e.g. process.stdout). */
  passStdout?: NodeJS.WritableStream;
  passStderr?: NodeJS.WritableStream;
}

export class StdioTap implements Tap {
  readonly kind = 'stdio' as const;
  readonly spec: string;
  readonly address: string;
  /** The connection id of this process's stdio (set in the constructor). */
  readonly conn: number;
  private started = false;
  private capturing = true;
  private closed = false;
  private stdinEnded = false;
  private readonly open = new Set<Direction>();
  private source: NodeJS.ReadableStream | undefined;
  private sourceListeners: { data: (b: Buffer | string) => void; end: () => void } | undefined;

  constructor(private readonly o: StdioTapOptions) {
    this.spec = o.name ?? `stdio:${o.pid}`;
    this.address = `pid:${o.pid}`;
    this.conn = o.sink.newConn();
    if (o.stdin) {
      this.open.add('stdin');
      // A child that exits or closes its stdin makes our writes fail with EPIPE: not our crash.
      o.stdin.on('error', (err: NodeJS.ErrnoException) => {
        if (!this.closed) this.o.sink.event({ kind: 'note', conn: this.conn, tap: this.spec, message: `stdin of pid ${o.pid}: ${err.code ?? err.message}` });
      });
    }
    if (o.stdout) this.open.add('stdout');
    if (o.stderr) this.open.add('stderr');
  }

  /** Begin relaying and capturing. Idempotent; launchProcess calls it right after spawn. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { sink } = this.o;
    sink.event({ kind: 'tap-ready', tap: this.spec, address: this.address, message: `stdio of pid ${this.o.pid}` });
    sink.event({ kind: 'open', conn: this.conn, tap: this.spec, from: 'ipctap', to: this.o.command.join(' '), peers: { server: [this.o.pid] } });
    this.relay(this.o.stdout, 'stdout', this.o.passStdout);
    this.relay(this.o.stderr, 'stderr', this.o.passStderr);
    if (this.open.size === 0) this.finish('eof');
  }

  private relay(src: Readable | null, dir: 'stdout' | 'stderr', pass: NodeJS.WritableStream | undefined): void {
    if (!src) return;
    const holds = new SourceHolds(src);
    src.on('data', (data: Buffer) => {
      if (this.capturing) this.captured(holds, dir, data);
      if (pass && !pass.write(data)) holds.holdUntilDrain(pass);
    });
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      this.halfClose(dir);
    };
    src.on('end', end);
    src.on('close', end);
    src.on('error', end);
  }

  private halfClose(dir: Direction): void {
    if (!this.open.delete(dir)) return;
    if (this.capturing) this.o.sink.event({ kind: 'half-close', conn: this.conn, dir });
    if (this.open.size === 0) this.finish('eof');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.capturing) this.o.sink.event({ kind: 'close', conn: this.conn, tap: this.spec, reason });
  }

  /** Whether the child's stdin is a pipe we can still write to. */
  get stdinWritable(): boolean {
    return !!this.o.stdin && !this.stdinEnded && !this.o.stdin.destroyed;
  }

  /**
   * Write to the child's stdin (captured as 'stdin'). Returns false when the pipe is full: wait
   * for 'drain' on `stdinStream` (or use `pipeFrom`). Returns false and writes nothing when stdin
   * is not a pipe or was ended.
   */
  write(data: Uint8Array | string): boolean {
    return this.writeHeld(data, undefined);
  }

  private writeHeld(data: Uint8Array | string, holds: SourceHolds | undefined): boolean {
    if (!this.stdinWritable) return false;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.capturing && buf.length > 0) this.captured(holds, 'stdin', buf);
    return this.o.stdin!.write(buf);
  }

  /** Capture a chunk; with lossless capture, hold its source while the capture file is behind. */
  private captured(holds: SourceHolds | undefined, dir: 'stdin' | 'stdout' | 'stderr', data: Uint8Array): void {
    this.o.sink.chunk(this.conn, dir, data);
    if (holds) holds.holdUntil(this.o.sink.holdBack?.());
  }

  /** Close the child's stdin (it reads EOF). Idempotent. */
  endStdin(): void {
    if (this.stdinEnded || !this.o.stdin) return;
    this.stdinEnded = true;
    this.stopSource();
    if (!this.o.stdin.destroyed) this.o.stdin.end();
    this.halfClose('stdin');
  }

  get stdinStream(): Writable | null {
    return this.o.stdin;
  }

  /**
   * Feed a readable (e.g. the CLI's own stdin) into the child's stdin through the capture, with
   * backpressure; its end ends the child's stdin. Stops reading it when the child goes away.
   */
  pipeFrom(src: NodeJS.ReadableStream): void {
    if (!this.o.stdin || this.source) return;
    this.source = src;
    const stdin = this.o.stdin;
    const holds = new SourceHolds(src);
    const data = (b: Buffer | string): void => {
      if (!this.writeHeld(b, holds)) {
        if (!this.stdinWritable) return this.stopSource();
        holds.holdUntilDrain(stdin);
      }
    };
    const end = (): void => this.endStdin();
    this.sourceListeners = { data, end };
    src.on('data', data);
    src.on('end', end);
    src.resume();
  }

  /** Stop reading the readable given to pipeFrom (called when the child exits). */
  stopSource(): void {
    if (!this.source || !this.sourceListeners) return;
    this.source.removeListener('data', this.sourceListeners.data);
    this.source.removeListener('end', this.sourceListeners.end);
    this.source.pause();
    this.source = undefined;
    this.sourceListeners = undefined;
  }

  /**
   * The process exited: stop feeding its stdin and close the connection once its output ended
   * (output still buffered in the pipes keeps arriving and closes it later).
   */
  processExited(): void {
    this.stopSource();
    if (this.o.stdin && !this.stdinEnded) {
      this.stdinEnded = true;
      this.o.stdin.destroy();
      this.open.delete('stdin');
      if (this.open.size === 0) this.finish('eof');
    }
  }

  /** Stop capturing (output keeps flowing to the passthrough). Idempotent. */
  async stop(): Promise<void> {
    this.stopSource();
    if (!this.capturing) return;
    this.finish('stopped');
    this.capturing = false;
    this.o.sink.event({ kind: 'tap-stopped', tap: this.spec });
  }
}
