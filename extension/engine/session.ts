// A session: taps and launched processes whose traffic and events go to one capture file and
// one numbered row stream. Front ends (CLI, language server) are thin layers over this.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { CaptureWriter } from './capture/writer';
import { Clock } from './clock';
import { launchProcess, type ManagedProcess } from './process/launch';
import { sendSignal } from './process/signals';
import { RowBuilder, type DecodeChoice } from './rows';
import { createTap } from './taps/create';
import { parseTapSpec } from './taps/spec';
import type { Tap, TapSink } from './taps/tap';
import type { Chunk, Direction, EventBody, EventRecord, Row } from './types';
import { UserError } from './util/errors';

/** Longest live-decoding slice, and the share of the thread decoding may take from busy
 *  forwarding (see Session.drainSlice). */
const SLICE_MS = 2;
const DECODE_SHARE = 0.1;

export interface SessionOptions extends DecodeChoice {
  /** Write the capture here (.ipctap). Without it nothing is written to disk. */
  capturePath?: string;
  name?: string;
  /** Bytes of undecoded chunks queued for decoding before live decoding is skipped (default 64 MiB). */
  maxDecodeBacklog?: number;
  /** Checksum the captured payload too, not only record headers (see CaptureHeader.crc). */
  checksumData?: boolean;
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
}

export interface ProcessInfo {
  pid: number;
  name: string;
  command: string[];
  state: 'running' | 'stopped' | 'exited';
  code?: number | null;
  signal?: string | null;
}

export interface ConnInfo {
  conn: number;
  tap: string;
  from?: string;
  to?: string;
  peers?: EventBody['peers'];
  frames: number;
  bytes: number;
  open: boolean;
}

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
  private readonly connInfo = new Map<number, ConnInfo>();
  private nextConn = 1;
  private queue: Item[] = [];
  private queuedBytes = 0;
  private skippedBytes = 0;
  private flushScheduled = false;
  /** Chunks that arrived since the last decoding slice ended (a sign forwarding is busy). */
  private arrivals = 0;
  private readonly eventListeners = new Set<(ev: EventRecord) => void>();
  private stopped = false;
  private readonly maxBacklog: number;

  constructor(private readonly opts: SessionOptions = {}) {
    this.name = opts.name ?? (opts.capturePath ? basename(opts.capturePath) : 'session');
    this.capturePath = opts.capturePath;
    this.startedAt = this.clock.wall();
    this.rows = new RowBuilder(opts);
    this.maxBacklog = opts.maxDecodeBacklog ?? 64 * 1024 * 1024;
  }

  /** Open the capture file. */
  async start(): Promise<void> {
    if (this.opts.capturePath) {
      this.capture = await CaptureWriter.open(this.opts.capturePath, {
        start: this.startedAt,
        name: this.name,
        decode: this.opts.decode ?? 'auto',
        decodeByTap: this.opts.decodeByTap ?? {},
      }, { checksumData: this.opts.checksumData });
    }
  }

  /** Every event as it happens, before it is numbered and queued behind the traffic being
   *  decoded (for watching a process's reaction without waiting for live decoding). */
  onEvent(listener: (ev: EventRecord) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
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
      this.capture?.writeChunk(chunk);
      const ci = this.connInfo.get(conn);
      if (ci) ci.bytes += data.length;
      if (this.listeners.size === 0) return;
      if (this.queuedBytes + data.length > this.maxBacklog) {
        // Decoding fell behind: forwarding and capture go on; the bytes stay in the capture file.
        if (this.skippedBytes === 0) this.emitEventNow({ kind: 'note', message: 'live decoding fell behind; some bytes are only in the capture file' });
        this.skippedBytes += data.length;
        return;
      }
      this.queuedBytes += data.length;
      this.arrivals++;
      this.enqueue({ chunk });
    },
    event: (body: EventBody) => this.emitEventNow(body),
  };

  private emitEventNow(body: EventBody): void {
    const ev: EventRecord = { ...body, ts: this.clock.wall(), mono: this.clock.mono() };
    this.trackEvent(ev);
    for (const l of this.eventListeners) l(ev);
    this.capture?.writeEvent(ev);
    this.enqueue({ event: ev });
  }

  private trackEvent(ev: EventRecord): void {
    if (ev.kind === 'open' && ev.conn !== undefined) {
      this.connInfo.set(ev.conn, { conn: ev.conn, tap: ev.tap ?? '?', from: ev.from, to: ev.to, peers: ev.peers, frames: 0, bytes: 0, open: true });
    } else if (ev.kind === 'note' && ev.conn !== undefined && ev.peers) {
      // Peer pids found after the connection opened.
      const ci = this.connInfo.get(ev.conn);
      if (ci) ci.peers = { ...ci.peers, ...ev.peers };
    } else if (ev.kind === 'close' && ev.conn !== undefined) {
      const ci = this.connInfo.get(ev.conn);
      if (ci) ci.open = false;
    } else if (ev.pid !== undefined) {
      const p = this.procs.get(ev.pid);
      if (p) {
        if (ev.kind === 'exit') Object.assign(p.info, { state: 'exited', code: ev.code ?? null, signal: ev.signal ?? null });
        else if (ev.kind === 'stopped') p.info.state = 'stopped';
        else if (ev.kind === 'continued') p.info.state = 'running';
      }
    }
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.drainSlice());
    }
  }

  /**
   * Live decoding takes turns with forwarding on this thread: it runs in slices of at most
   * SLICE_MS. When traffic kept arriving before a slice and work is left, the next slice waits
   * DECODE_SHARE^-1 - 1 times as long as this one took, so decoding uses at most DECODE_SHARE of
   * the thread while forwarding is busy (what it cannot keep up with is skipped past the backlog
   * cap and stays in the capture file); when nothing arrived, it goes on at once.
   */
  private drainSlice(): void {
    this.flushScheduled = false;
    // Chunks that came in since the last slice ended (none can arrive during a slice: it runs
    // synchronously) say whether forwarding is busy.
    const busy = this.arrivals > 0;
    this.arrivals = 0;
    const t0 = performance.now();
    const done = this.drain(t0 + SLICE_MS);
    if (done) return;
    this.flushScheduled = true;
    const took = performance.now() - t0;
    if (!busy) setImmediate(() => this.drainSlice());
    // (A slice that took long because the process was descheduled must not park decoding for long.)
    else setTimeout(() => this.drainSlice(), Math.min(100, Math.ceil(took * (1 / DECODE_SHARE - 1))));
  }

  /** Decode everything queued now (for a caller that needs the rows of what has arrived, e.g.
   *  replay before it compares), instead of waiting for the paced slices. */
  decodeQueued(): void {
    this.drain();
  }

  /** Decode queued items until `deadline` (performance.now() ms; default: all of them).
   *  Returns whether the queue is empty. */
  private drain(deadline = Infinity): boolean {
    let i = 0;
    const items = this.queue;
    for (; i < items.length; i++) {
      if (i > 0 && performance.now() > deadline) break;
      const item = items[i]!;
      if ('chunk' in item) this.queuedBytes -= item.chunk.data.length;
      const rows = 'chunk' in item ? this.rows.chunk(item.chunk) : this.rows.event(item.event);
      for (const row of rows) {
        if (row.type === 'frame') {
          const ci = this.connInfo.get(row.conn);
          if (ci) ci.frames++;
        }
        for (const l of this.listeners) l(row);
      }
    }
    if (i >= items.length) {
      this.queue = [];
      this.queuedBytes = 0;
      return true;
    }
    this.queue = items.slice(i);
    return false;
  }

  /** Add a tap and start it; resolves when it is ready (a takeover waits for its path). */
  async addTap(spec: string, signal?: AbortSignal): Promise<Tap> {
    const parsed = parseTapSpec(spec);
    const tap = createTap(parsed, this.sink);
    this.tapList.push(tap);
    await tap.start(signal);
    return tap;
  }

  async launch(command: string[], opts: LaunchOptions = {}): Promise<ManagedProcess> {
    if (command.length === 0) throw new UserError('no command to run');
    const proc = await launchProcess(command, { ...opts, sink: this.sink });
    const info: ProcessInfo = { pid: proc.pid, name: opts.name ?? basename(command[0]!), command, state: 'running' };
    this.procs.set(proc.pid, { proc, info });
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

  connections(): ConnInfo[] {
    return [...this.connInfo.values()].map((c) => ({ ...c }));
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
      await Promise.all(
        [...this.procs.values()].filter((p) => p.info.state !== 'exited').map((p) => p.proc.terminate().catch((e: unknown) => errors.push(e))),
      );
    }
    await new Promise((r) => setImmediate(r));
    this.drain();
    const end = this.rows.finish(this.clock.wall(), this.clock.mono());
    for (const row of end) for (const l of this.listeners) l(row);
    await this.capture?.close();
    if (errors.length) throw errors[0];
  }
}
