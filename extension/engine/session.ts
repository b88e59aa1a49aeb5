// A session: taps and launched processes whose traffic and events go to one capture file and
// one numbered row stream. Front ends (CLI, language server) are thin layers over this.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CaptureTail } from './capture/tail';
import { CaptureWriter } from './capture/writer';
import { Clock } from './clock';
import { checkExecutable, launchProcess, type ManagedProcess } from './process/launch';
import { sendSignal } from './process/signals';
import { RowBuilder, type DecodeChoice } from './rows';
import { createTap } from './taps/create';
import { parseTapSpec } from './taps/spec';
import type { Tap, TapSink } from './taps/tap';
import { TraceTap, type TraceTapOptions } from './trace/trace-tap';
import type { Chunk, Direction, EventBody, EventRecord, Row } from './types';
import { UserError } from './util/errors';

/** Longest live-decoding slice, and the share of the thread decoding may take from busy
 *  forwarding (see Session.drainSlice). What it cannot decode meanwhile waits (in memory, then
 *  in the capture file) and is decoded once the traffic pauses. On a machine with few cores,
 *  shared with the peers, every share of CPU decoding takes comes out of a flood's speed: 3 %
 *  (with the 1 MiB backlog below) keeps a decoding proxy within the noise of one that does not
 *  decode, where 10 % slows a Unix flood to 0.65-0.81x (`npm run bench -- forward --decode-ab`). */
const SLICE_MS = 2;
const DECODE_SHARE = 0.03;
/** Traffic this recent (µs) counts as busy forwarding: a flood pauses for a moment now and then
 *  (the receiver's window, the capture writer), and decoding must not take those moments at
 *  full speed. */
const BUSY_US = 50_000;
/** Bytes read back from the capture file per step (small enough to keep a slice near SLICE_MS). */
const SPILL_READ = 64 * 1024;

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

type Item = { chunk: Chunk } | { event: EventRecord };

export class Session {
  readonly id = randomUUID();
  readonly name: string;
  readonly capturePath: string | undefined;
  readonly startedAt: number;
  private readonly clock = new Clock();
  private readonly rows: RowBuilder;
  private capture: CaptureWriter | undefined;
  private readonly listeners = new Set<(row: Row) => void>();
  private readonly tapList: Tap[] = [];
  private readonly procs = new Map<number, { proc: ManagedProcess; info: ProcessInfo }>();
  private readonly activity = new Activity();
  private nextConn = 1;
  private queue: Item[] = [];
  /** Index of the first item of `queue` not yet decoded. */
  private queueHead = 0;
  private queuedBytes = 0;
  /** Set while live decoding reads the traffic back from the capture file (it fell behind). */
  private spill: { tail: CaptureTail; events: EventRecord[] } | undefined;
  /** The capture file can be read back (a regular file, not a FIFO or a device). */
  private captureReadable = false;
  /** Where live decoding reads the capture back from (the capture path, or /proc/self/fd/N of
   *  the unlinked spill file). */
  private readBackPath = '';
  /** The capture is the private spill file (no capturePath): written only while live decoding is
   *  behind, from the record it starts reading back at. */
  private spillOnly = false;
  private spillNoted = false;
  private skippedBytes = 0;
  private flushScheduled = false;
  /** performance.now() before which no decoding slice starts (the share while forwarding is busy). */
  private nextSliceAt = 0;
  /** Monotonic µs of the last chunk (traffic within BUSY_US of a slice: forwarding is busy). */
  private lastArrival = -Infinity;
  private readonly eventListeners = new Set<(ev: EventRecord) => void>();
  private readonly chunkListeners = new Set<(chunk: Chunk) => void>();
  private stopped = false;
  private readonly maxBacklog: number;
  /** Past this backlog, decoding reads back from the capture file (when it can). */
  private readonly spillBacklog: number;

  constructor(private readonly opts: SessionOptions = {}) {
    this.name = opts.name ?? (opts.capturePath ? basename(opts.capturePath) : 'session');
    this.capturePath = opts.capturePath;
    this.startedAt = this.clock.wall();
    this.rows = new RowBuilder(opts);
    this.maxBacklog = opts.maxDecodeBacklog ?? 16 * 1024 * 1024;
    // Small: chunks held for decoding during a flood live long enough for the GC to promote them,
    // which cost the forwarding process ~20 % more CPU per GiB with 16 MiB held (1 GiB Unix
    // floods, decode-ab: 137 vs 112 ticks; with 1 MiB 135 vs 133). Reading back from the page
    // cache costs less.
    this.spillBacklog = opts.maxDecodeBacklog ?? 1024 * 1024;
  }

  /** Open the capture file. */
  async start(): Promise<void> {
    if (!this.opts.capturePath && this.opts.spill) await this.openSpillFile();
    if (this.opts.capturePath) {
      this.capture = await CaptureWriter.open(
        this.opts.capturePath,
        {
          start: this.startedAt,
          name: this.name,
          decode: this.opts.decode ?? 'auto',
          decodeByTap: this.opts.decodeByTap ?? {},
        },
        {
          checksumData: this.opts.checksumData,
          lossless: this.opts.lossless,
          direct: this.opts.directIo !== false,
          ...this.writerHooks(),
        },
      );
      this.readBackPath = this.opts.capturePath;
      try {
        this.captureReadable = statSync(this.opts.capturePath).isFile();
      } catch {
        this.captureReadable = false;
      }
    }
  }

  /** The private spill file: created 0600 in a 0700 directory of our own, both unlinked at once;
   *  read back through our descriptor. */
  private async openSpillFile(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'ipctap-spill-'));
    const path = join(dir, 'spill.ipctap');
    try {
      this.capture = await CaptureWriter.open(
        path,
        {
          start: this.startedAt,
          name: this.name,
          decode: this.opts.decode ?? 'auto',
          decodeByTap: this.opts.decodeByTap ?? {},
        },
        { lossless: true, direct: this.opts.directIo !== false, ...this.writerHooks() },
      );
      this.readBackPath = `/proc/self/fd/${this.capture.fd}`;
      this.spillOnly = true;
      this.captureReadable = statSync(this.readBackPath).isFile();
    } finally {
      try {
        unlinkSync(path);
      } catch {
        // (not created: open failed)
      }
      rmSync(dir, { recursive: true, force: true });
    }
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
    if (this.spill) {
      if (ev.kind === 'error') this.spill.events.push(ev);
      this.scheduleDrain();
      return;
    }
    this.enqueue({ event: ev });
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
      if (!this.spillOnly) this.capture?.writeChunk(chunk);
      this.activity.bytes(conn, data.length);
      for (const l of this.chunkListeners) l(chunk);
      if (this.listeners.size === 0) return;
      if (this.spill || (this.queuedBytes + data.length > this.spillBacklog && at !== undefined && this.startSpill(at))) {
        if (this.spillOnly) this.capture!.writeChunk(chunk);
        // Decoded later from the capture file, in order.
        this.lastArrival = chunk.mono;
        this.scheduleDrain();
        return;
      }
      if (this.queuedBytes + data.length > this.maxBacklog) {
        // Decoding fell behind: forwarding and capture go on; the bytes stay in the capture file.
        if (this.skippedBytes === 0) {
          const where = this.opts.capturePath ? 'they are in the capture file' : 'they were forwarded, not decoded';
          this.emitEventNow({ kind: 'note', message: `live decoding fell behind; some bytes are not decoded live (${where})` });
        }
        this.skippedBytes += data.length;
        return;
      }
      this.queuedBytes += data.length;
      this.lastArrival = chunk.mono;
      // (The tap may read into `data` again once this returns: keep a copy.)
      chunk.data = Buffer.from(data);
      this.enqueue({ chunk });
    },
    event: (body: EventBody) => this.emitEventNow(body),
    holdBack: () => this.capture?.holdBack(),
  };

  private emitEventNow(body: EventBody): void {
    const ev: EventRecord = { ...body, ts: this.clock.wall(), mono: this.clock.mono() };
    this.activity.event(ev);
    for (const l of this.eventListeners) l(ev);
    const written = this.spillOnly && !this.spill ? undefined : this.capture?.writeEvent(ev);
    if (this.spill) {
      // Read back from the file in its place among the chunks; one the file did not take is
      // shown once decoding has caught up.
      if (written !== 'ok') this.spill.events.push(ev);
      this.scheduleDrain();
      return;
    }
    this.enqueue({ event: ev });
  }

  /**
   * Live decoding fell behind the traffic: stop holding chunks in memory and read them back from
   * the capture file from `at` (where the record of the chunk that did not fit starts) once the
   * decoding reaches it. Memory stays bounded and nothing is skipped. False when the capture
   * cannot be read back (no file, a FIFO, a write error).
   */
  private startSpill(at: number): boolean {
    if (!this.capture || !this.captureReadable || !this.capture.writing) return false;
    let tail: CaptureTail;
    try {
      tail = new CaptureTail(this.readBackPath, at, this.capture.header.crc);
    } catch {
      return false;
    }
    this.spill = { tail, events: [] };
    if (!this.spillNoted) {
      this.spillNoted = true;
      this.emitEventNow({
        kind: 'note',
        message: `live decoding is behind the traffic; it catches up from the ${this.spillOnly ? 'private spill' : 'capture'} file (nothing is skipped)`,
      });
    }
    return true;
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      const wait = this.nextSliceAt - performance.now();
      if (wait > 0) setTimeout(() => this.drainSlice(), wait);
      else setImmediate(() => this.drainSlice());
    }
  }

  /**
   * Live decoding takes turns with forwarding on this thread: it runs in slices of at most
   * SLICE_MS. When traffic arrived within BUSY_US, no slice starts before DECODE_SHARE^-1 - 1
   * times the last one's duration has passed, so decoding uses at most DECODE_SHARE of the
   * thread while forwarding is busy (also while it reads back from the capture file);
   * when nothing arrived for that long, it goes on at once.
   */
  private drainSlice(): void {
    // (flushScheduled stays set while the slice runs: an event emitted inside it, e.g. when the
    // read-back ends, must not start a second chain of slices, each paced on its own.)
    const busy = this.clock.mono() - this.lastArrival < BUSY_US;
    const t0 = performance.now();
    const state = this.drain(t0 + SLICE_MS);
    const end = performance.now();
    const took = end - t0;
    // The share holds for slices that finish their work too: decoding that kept pace with a
    // flood chunk by chunk (each slice done in time, the next started by the next chunk) would
    // take 70 % of the thread and slow forwarding until the two matched (to a third of the
    // flood's speed), where it should fall behind and read back from the capture file.
    // (A slice that took long because the process was descheduled must not park decoding for long.)
    this.nextSliceAt = busy ? end + Math.min(100, took * (1 / DECODE_SHARE - 1)) : 0;
    if (state === 'done') {
      this.flushScheduled = false;
      return;
    }
    // 'wait': caught up with what is on disk; the writer puts the rest there within its flush
    // delay (polled every 5 ms, and no sooner than the share allows).
    const wait = Math.max(state === 'wait' ? 5 : 0, this.nextSliceAt - end);
    if (wait > 0) setTimeout(() => this.drainSlice(), wait);
    else setImmediate(() => this.drainSlice());
  }

  /** Live decoding is behind the traffic, reading it back from the capture file. */
  get behind(): boolean {
    return this.spill !== undefined;
  }

  /** Decode everything that has arrived (for a caller that needs its rows now, e.g. replay
   *  before it compares), instead of waiting for the paced slices. */
  async decodeQueued(): Promise<void> {
    this.drain();
    // (drainSpill ends the read-back once it has caught up, or when the file stopped taking records.)
    while (this.spill) {
      await this.capture?.flush();
      this.drain();
    }
  }

  /**
   * Decode queued items, then what is being read back from the capture file, until `deadline`
   * (performance.now() ms; default: all there is). 'done': nothing is left; 'more': stopped at
   * the deadline; 'wait': the rest is still on its way to the capture file.
   */
  private drain(deadline = Infinity): 'done' | 'more' | 'wait' {
    const items = this.queue;
    let i = this.queueHead;
    let first = true;
    for (; i < items.length; i++) {
      if (!first && performance.now() > deadline) break;
      first = false;
      const item = items[i]!;
      items[i] = undefined as unknown as Item; // (decoded: let the bytes go)
      if ('chunk' in item) {
        this.queuedBytes -= item.chunk.data.length;
        this.emitRows(this.rows.chunk(item.chunk));
      } else this.emitRows(this.rows.event(item.event));
    }
    if (i < items.length) {
      this.queueHead = i;
      // Drop the decoded part now and then, not on every slice (that would copy the list each time).
      if (i > 4096 && i > items.length >> 1) {
        this.queue = items.slice(i);
        this.queueHead = 0;
      }
      return 'more';
    }
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    return this.spill ? this.drainSpill(deadline, first) : 'done';
  }

  private drainSpill(deadline: number, first: boolean): 'done' | 'more' | 'wait' {
    const spill = this.spill!;
    const capture = this.capture!;
    for (;;) {
      if (!first && performance.now() > deadline) return 'more';
      first = false;
      const records = spill.tail.read(capture.diskOffset, SPILL_READ);
      for (const rec of records) {
        if (rec.t === 'c') this.emitRows(this.rows.chunk(rec));
        else if (rec.t === 'e') {
          const { t: _t, ...ev } = rec;
          this.emitRows(this.rows.event(ev));
        }
      }
      let problem = spill.tail.problem;
      if (!problem) {
        // (A record longer than one read step yields nothing until its end has been read.)
        if (records.length > 0 || spill.tail.readUpTo < capture.diskOffset) continue;
        // Nothing more on disk. Caught up when the writer holds nothing more either.
        if (spill.tail.pos < capture.appendOffset) {
          if (capture.writing) return 'wait';
          problem = 'the capture file stopped taking records; live decoding goes on with new traffic only';
        }
      }
      this.endSpill(problem);
      return this.queue.length > 0 ? 'more' : 'done';
    }
  }

  /** Back to decoding from memory (caught up with the capture file, or it cannot be read). */
  private endSpill(problem?: string): void {
    const spill = this.spill;
    if (!spill) return;
    this.spill = undefined;
    spill.tail.close();
    for (const ev of spill.events) this.emitRows(this.rows.event(ev));
    if (problem) this.emitEventNow({ kind: 'note', message: problem });
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
    const proc = await launchProcess(trace ? trace.wrap(command) : command, { ...rest, sink: this.sink });
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

  setDecoder(tap: string | undefined, name: string): void {
    this.rows.setDecoder(tap, name);
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
