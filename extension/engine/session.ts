// A session: taps and launched processes whose traffic and events go to one capture file and
// one numbered row stream. Front ends (CLI, language server) are thin layers over this.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { CaptureWriter } from './capture/writer';
import { Clock } from './clock';
import { LiveDecoder, openSpillFile, readableCapture } from './live-decode';
import { checkExecutable, launchProcess, type ManagedProcess } from './process/launch';
import { sendSignal } from './process/signals';
import { RowBuilder, type DecodeChoice } from './rows';
import type { DecoderOptions } from './decoders/core/decoder';
import { createTap } from './taps/create';
import { parseTapSpec } from './taps/spec';
import type { Tap, TapSink } from './taps/tap';
import { TraceTap, type TraceTapOptions } from './trace/trace-tap';
import type { Chunk, Direction, EventBody, EventRecord, Row } from './types';
import { UserError } from './util/errors';

export interface SessionOptions extends DecodeChoice {
  /** Write the capture here (.ipctap). Without it nothing is written to disk. */
  capturePath?: string;
  name?: string;
  /** Bytes of undecoded chunks held in memory for live decoding (default 1 MiB when the capture
   *  file can be read back, 16 MiB when not). Past it, live decoding catches up from the capture
   *  file (when it is a regular file), else those bytes are not decoded live (they are still
   *  captured). */
  maxDecodeBacklog?: number;
  /** Checksum the captured payload too, not only record headers (see CaptureHeader.crc). */
  checksumData?: boolean;
  /** Never drop captured data when the disk falls behind: the taps stop reading until it has
   *  caught up, so forwarding slows to what the disk takes (default: drop, forwarding goes on). */
  lossless?: boolean;
  /** Write the capture's whole blocks with O_DIRECT, past the page cache, where the file system
   *  allows it (default true; see capture/direct.ts). */
  directIo?: boolean;
  /** Without capturePath: keep the traffic in a private, already unlinked file that live
   *  decoding reads back from when it falls behind, so every frame is decoded (JSON Lines on
   *  stdout must hold every frame). The taps slow down rather than let it drop a byte. Nothing
   *  is left on disk: the file has no name once it is open and goes away with the process. */
  spill?: boolean;
}

export interface LaunchOptions {
  cwd?: string;
  env?: Record<string, string>;
  name?: string;
  stdin?: 'pipe' | 'inherit' | 'ignore';
  /** With stdin 'pipe': what to feed the child's stdin from (captured), e.g. the CLI's own stdin. */
  stdinFrom?: NodeJS.ReadableStream;
  /** Where the child's output goes besides the capture (the CLI's terminal). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Start the process in its own process group (signals with group: true reach its children). */
  detached?: boolean;
  /** Trace all its I/O (and its children's) through this trace tap (see addTrace). */
  trace?: TraceTap;
}

import type { ConnectionInfo, ProcessInfo } from '../shared/requests';
import { Activity } from './activity';
export type { ProcessInfo };

export class Session {
  readonly id = randomUUID();
  readonly name: string;
  readonly capturePath: string | undefined;
  readonly startedAt: number;
  private readonly clock = new Clock();
  private rows: RowBuilder;
  private capture: CaptureWriter | undefined;
  private readonly listeners = new Set<(row: Row) => void>();
  private readonly tapList: Tap[] = [];
  private readonly procs = new Map<number, { proc: ManagedProcess; info: ProcessInfo }>();
  private readonly activity = new Activity();
  private nextConn = 1;
  private readonly live: LiveDecoder;
  private readonly eventListeners = new Set<(ev: EventRecord) => void>();
  private readonly chunkListeners = new Set<(chunk: Chunk) => void>();
  private stopped = false;

  constructor(private readonly opts: SessionOptions = {}) {
    this.name = opts.name ?? (opts.capturePath ? basename(opts.capturePath) : 'session');
    this.capturePath = opts.capturePath;
    this.startedAt = this.clock.wall();
    this.rows = new RowBuilder(opts);
    const rows = () => this.rows;
    this.live = new LiveDecoder(
      {
        // (Decode As… on the running session swaps the builder: see redecode.)
        get rows() {
          return rows();
        },
        emit: (rows) => this.emitRows(rows),
        note: (message) => this.emitEventNow({ kind: 'note', message }),
        mono: () => this.clock.mono(),
      },
      { maxDecodeBacklog: opts.maxDecodeBacklog, namedCapture: opts.capturePath !== undefined },
    );
  }

  /** Open the capture file. */
  async start(): Promise<void> {
    if (!this.opts.capturePath && this.opts.spill) {
      const readBack = await openSpillFile((path) =>
        CaptureWriter.open(path, this.captureHeader(), { lossless: true, direct: this.opts.directIo !== false, ...this.writerHooks() }),
      );
      this.capture = readBack.capture;
      this.live.useCapture(readBack);
    }
    if (this.opts.capturePath) {
      this.capture = await CaptureWriter.open(this.opts.capturePath, this.captureHeader(), {
        checksumData: this.opts.checksumData,
        lossless: this.opts.lossless,
        direct: this.opts.directIo !== false,
        ...this.writerHooks(),
      });
      this.live.useCapture({
        capture: this.capture,
        path: this.opts.capturePath,
        readable: readableCapture(this.opts.capturePath),
        spillOnly: false,
      });
    }
  }

  private captureHeader(): { start: number; name: string; decode: string; decodeByTap: Record<string, string> } {
    return {
      start: this.startedAt,
      name: this.name,
      decode: this.opts.decode ?? 'auto',
      decodeByTap: this.opts.decodeByTap ?? {},
    };
  }

  /** What the capture writer reports: its own events, and an I/O error that stopped it. */
  private writerHooks(): { onEvent: (ev: EventRecord) => void; onError: (err: Error) => void } {
    return {
      onEvent: (ev) => this.showWriterEvent(ev),
      onError: (err) => {
        this.captureError = err;
        for (const l of this.captureErrorListeners) l(err);
      },
    };
  }

  /** Set once an I/O error stopped the capture file (the session goes on forwarding). */
  captureError: Error | undefined;
  private readonly captureErrorListeners = new Set<(err: Error) => void>();

  /** Called once if an I/O error stops the capture file (a full disk...). */
  onCaptureError(listener: (err: Error) => void): () => void {
    this.captureErrorListeners.add(listener);
    return () => this.captureErrorListeners.delete(listener);
  }

  /** An event the capture writer made itself ('capture-dropped', which it wrote to the file, or
   *  'error' when the file stopped): shown like any other, not written again. */
  private showWriterEvent(ev: EventRecord): void {
    this.activity.event(ev);
    for (const l of this.eventListeners) l(ev);
    this.live.writerEvent(ev);
  }

  /** Every event as it happens, before it is numbered and queued behind the traffic being
   *  decoded (for watching a process's reaction without waiting for live decoding). */
  onEvent(listener: (ev: EventRecord) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** The session's monotonic clock now (µs since it started). */
  monoNow(): number {
    return this.clock.mono();
  }

  /** Every chunk as it is read (before decoding; `data` may be reused after the call). */
  onChunk(listener: (chunk: Chunk) => void): () => void {
    this.chunkListeners.add(listener);
    return () => this.chunkListeners.delete(listener);
  }

  /** Every frame and event, numbered, in order. Returns an unsubscribe function. */
  onRow(listener: (row: Row) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The sink taps and processes report to. */
  readonly sink: TapSink = {
    newConn: () => this.nextConn++,
    chunk: (conn: number, dir: Direction, data: Uint8Array) => {
      const chunk: Chunk = { conn, dir, ts: this.clock.wall(), mono: this.clock.mono(), data };
      const at = this.capture?.appendOffset;
      // (The spill file takes only what live decoding is behind on.)
      if (!this.live.spillOnly) this.capture?.writeChunk(chunk);
      this.activity.bytes(conn, data.length);
      for (const l of this.chunkListeners) l(chunk);
      if (this.listeners.size === 0) return;
      this.live.chunk(chunk, at);
    },
    event: (body: EventBody) => this.emitEventNow(body),
    holdBack: () => this.capture?.holdBack(),
  };

  private emitEventNow(body: EventBody): void {
    const ev: EventRecord = { ...body, ts: this.clock.wall(), mono: this.clock.mono() };
    this.activity.event(ev);
    for (const l of this.eventListeners) l(ev);
    const written = this.live.writesEvents ? this.capture?.writeEvent(ev) : undefined;
    this.live.event(ev, written);
  }

  /** Live decoding is behind the traffic, reading it back from the capture file. */
  get behind(): boolean {
    return this.live.behind;
  }

  /** Decode everything that has arrived (for a caller that needs its rows now, e.g. replay
   *  before it compares), instead of waiting for the paced slices. */
  decodeQueued(): Promise<void> {
    return this.live.decodeQueued();
  }

  private emitRows(rows: Row[]): void {
    for (const row of rows) {
      if (row.type === 'frame') {
        this.activity.frame(row.conn, row.tap);
      }
      for (const l of this.listeners) l(row);
    }
  }

  /** Add a tap and start it; resolves when it is ready (a takeover waits for its path). */
  async addTap(spec: string, signal?: AbortSignal): Promise<Tap> {
    const parsed = parseTapSpec(spec);
    const tap = createTap(parsed, this.sink);
    this.tapList.push(tap);
    await tap.start(signal);
    return tap;
  }

  /** Add a tap built by the caller (a shared memory watch) and start it. Its connections are
   *  decoded with `decoder` unless the user chose another for its spec. */
  async addTapInstance(tap: Tap, decoder?: string): Promise<Tap> {
    if (decoder && this.rows.decoderFor(tap.spec) === (this.opts.decode ?? 'auto')) this.rows.setDecoder(tap.spec, decoder);
    this.tapList.push(tap);
    await tap.start();
    return tap;
  }

  /** Add a trace tap: attach to `pid`, or (without pid) one to pass to launch() as `trace`. */
  async addTrace(opts: TraceTapOptions = {}): Promise<TraceTap> {
    const tap = new TraceTap(this.sink, opts);
    await tap.start();
    this.tapList.push(tap);
    return tap;
  }

  /** Let go of every trace (strace detaches; the traced processes go on running). */
  async detachTraces(): Promise<void> {
    await Promise.all(this.tapList.filter((t) => t instanceof TraceTap).map((t) => t.stop()));
  }

  async launch(command: string[], opts: LaunchOptions = {}): Promise<ManagedProcess> {
    if (command.length === 0) throw new UserError('no command to run');
    const { trace, ...rest } = opts;
    if (trace) {
      // (strace would run and say so in its own words; say it as for any launch.)
      const err = checkExecutable(command[0]!, opts.cwd ?? process.cwd(), opts.env?.PATH ?? process.env.PATH ?? '');
      if (err) {
        this.sink.event({ kind: 'error', command, message: err.message });
        throw err;
      }
    }
    const proc = await launchProcess(trace ? trace.wrap(command) : command, { ...rest, sink: this.sink, ...(trace ? { shownAs: command } : {}) });
    if (trace) await trace.launched(proc.pid);
    const info: ProcessInfo = { pid: proc.pid, name: opts.name ?? basename(command[0]!), command, state: 'running' };
    this.procs.set(proc.pid, { proc, info });
    this.activity.launched(info);
    return proc;
  }

  /** Send a signal to a process (ours or any the user may signal); recorded as 'signal-sent'. */
  signal(pid: number, sig: string | number, opts: { group?: boolean } = {}): void {
    const own = this.procs.get(pid);
    if (own && own.info.state !== 'exited') {
      own.proc.signal(sig, opts);
      return;
    }
    sendSignal(pid, sig, { ...opts, sink: this.sink });
  }

  processes(): ProcessInfo[] {
    return [...this.procs.values()].map((p) => ({ ...p.info }));
  }

  managedProcess(pid: number): ManagedProcess | undefined {
    return this.procs.get(pid)?.proc;
  }

  taps(): { spec: string; kind: string; address?: string }[] {
    return this.tapList.map((t) => ({ spec: t.spec, kind: t.kind, address: t.address }));
  }

  connections(): ConnectionInfo[] {
    return [...this.activity.conns.values()].map((c) => ({ ...c }));
  }

  /** Decode connections opened from now on with `name` (the tap's, or every tap's without its own choice). */
  setDecoder(tap: string | undefined, name: string): void {
    this.rows.setDecoder(tap, name);
  }

  /**
   * Decode As… on the running session: decode everything captured so far again with `name` for
   * `tap` (or every tap without its own choice), read back from the capture file, then go on with
   * new traffic, without losing or repeating a record at the switch. The rows start again from
   * id 1 (listeners get them as they are decoded: forget the earlier ones when this returns
   * true). False when the capture cannot be read back (no capture file, only the private spill
   * file): then only connections opened from now on use `name`. With `decoderOptions` (e.g.
   * another protoType), every decoder is made with those from now on.
   */
  redecode(tap: string | undefined, name: string, decoderOptions?: DecoderOptions): boolean {
    const next = this.rows.fresh();
    next.setDecoder(tap, name, decoderOptions); // (throws for an unknown name or bad options before anything changes)
    const old = this.rows;
    this.rows = next;
    if (this.stopped || !this.live.redecodeFromStart()) {
      this.rows = old;
      old.setDecoder(tap, name, decoderOptions);
      return false;
    }
    // Frames are counted again as they are decoded again (bytes were counted as they arrived).
    for (const c of this.activity.conns.values()) c.frames = 0;
    return true;
  }

  /** While decoding again (or catching up after falling behind): bytes of the capture decoded so far, of how many. */
  get redecodeProgress(): { done: number; total: number } | undefined {
    return this.live.readBackProgress;
  }

  get rowCount(): number {
    return this.rows.rowCount;
  }

  /** Stop taps (undoing takeovers), end launched processes, flush and close the capture. */
  async stop(opts: { leaveProcesses?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const errors: unknown[] = [];
    // Taps first: takeovers are undone while the servers still run, so their names go back to
    // live sockets; then the processes we launched are ended.
    for (const tap of this.tapList) await tap.stop().catch((e: unknown) => errors.push(e));
    if (!opts.leaveProcesses) {
      await Promise.all([...this.procs.values()].filter((p) => p.info.state !== 'exited').map((p) => p.proc.terminate().catch((e: unknown) => errors.push(e))));
    }
    await new Promise((r) => setImmediate(r));
    await this.decodeQueued();
    const end = this.rows.finish(this.clock.wall(), this.clock.mono());
    for (const row of end) for (const l of this.listeners) l(row);
    await this.capture?.close();
    if (errors.length) throw errors[0];
  }
}
