// Live decoding of a session's traffic, paced behind forwarding on the same thread: chunks and
// events wait in memory, and past a backlog are read back from the capture file instead, so
// memory stays bounded and nothing is skipped. Session hands each chunk and event here after
// it has captured them; rows come out through the host in arrival order.
import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureTail } from './capture/tail';
import type { CaptureWriter } from './capture/writer';
import type { RowBuilder } from './rows';
import type { Chunk, EventRecord, Row } from './types';

/** Longest live-decoding slice, and the share of the thread decoding may take from busy
 *  forwarding (see LiveDecoder.drainSlice). What it cannot decode meanwhile waits (in memory,
 *  then in the capture file) and is decoded once the traffic pauses. On a machine with few
 *  cores, shared with the peers, every share of CPU decoding takes comes out of a flood's speed:
 *  3 % (with the 1 MiB backlog below) keeps a decoding proxy within the noise of one that does
 *  not decode, where 10 % slows a Unix flood to 0.65-0.81x (`npm run bench -- forward --decode-ab`). */
const SLICE_MS = 2;
const DECODE_SHARE = 0.03;
/** Traffic this recent (µs) counts as busy forwarding: a flood pauses for a moment now and then
 *  (the receiver's window, the capture writer), and decoding must not take those moments at
 *  full speed. */
const BUSY_US = 50_000;
/** The longest pause between two slices (ms): decoding never waits longer than this. */
const MAX_PAUSE_MS = 100;

/**
 * When the next slice may start (performance.now() ms) after one that ended at `end` and took
 * `took` ms: while forwarding is busy, after a pause that leaves decoding DECODE_SHARE of the
 * thread (capped at MAX_PAUSE_MS, so a slice that took long because the process was descheduled
 * does not park decoding); when it is not, at once (0).
 */
export function nextSliceAt(busy: boolean, end: number, took: number): number {
  return busy ? end + Math.min(MAX_PAUSE_MS, took * (1 / DECODE_SHARE - 1)) : 0;
}
export const PACING = { SLICE_MS, DECODE_SHARE, MAX_PAUSE_MS };
/** Bytes read back from the capture file per step (small enough to keep a slice near SLICE_MS). */
const SPILL_READ = 64 * 1024;

/** What live decoding needs from its session. */
export interface LiveDecodeHost {
  readonly rows: RowBuilder;
  /** Hand decoded rows on (in order). */
  emit(rows: Row[]): void;
  /** Emit a note event through the session (captured, then handed back here like any event). */
  note(message: string): void;
  /** The session's monotonic clock (µs). */
  mono(): number;
}

export interface LiveDecodeOptions {
  /** Bytes of undecoded chunks held in memory (see SessionOptions.maxDecodeBacklog). */
  maxDecodeBacklog?: number;
  /** The session writes a named capture file (said in the note when bytes are not decoded live). */
  namedCapture: boolean;
}

/** Where live decoding can read the capture back from. */
export interface ReadBack {
  capture: CaptureWriter;
  /** The capture path, or /proc/self/fd/N of the unlinked spill file. */
  path: string;
  /** A regular file (not a FIFO or a device). */
  readable: boolean;
  /** The capture is the private spill file: written only while live decoding is behind, from the
   *  record it starts reading back at. */
  spillOnly: boolean;
}

/** A chunk or event waiting to be decoded; `inFile`: the event is in the capture file too. */
type Item = { chunk: Chunk } | { event: EventRecord; inFile?: boolean };

export class LiveDecoder {
  private readBack: ReadBack | undefined;
  private queue: Item[] = [];
  /** Index of the first item of `queue` not yet decoded. */
  private queueHead = 0;
  private queuedBytes = 0;
  /** Set while live decoding reads the traffic back from the capture file (it fell behind). */
  private spill: { tail: CaptureTail; events: EventRecord[] } | undefined;
  private spillNoted = false;
  private skippedBytes = 0;
  private flushScheduled = false;
  /** performance.now() before which no decoding slice starts (the share while forwarding is busy). */
  private nextSliceAt = 0;
  /** Monotonic µs of the last chunk (traffic within BUSY_US of a slice: forwarding is busy). */
  private lastArrival = -Infinity;
  private readonly maxBacklog: number;
  /** Past this backlog, decoding reads back from the capture file (when it can). */
  private readonly spillBacklog: number;

  constructor(
    private readonly host: LiveDecodeHost,
    private readonly opts: LiveDecodeOptions,
  ) {
    this.maxBacklog = opts.maxDecodeBacklog ?? 16 * 1024 * 1024;
    // Small: chunks held for decoding during a flood live long enough for the GC to promote them,
    // which cost the forwarding process ~20 % more CPU per GiB with 16 MiB held (1 GiB Unix
    // floods, decode-ab: 137 vs 112 ticks; with 1 MiB 135 vs 133). Reading back from the page
    // cache costs less.
    this.spillBacklog = opts.maxDecodeBacklog ?? 1024 * 1024;
  }

  /** The capture file it may read back from once it falls behind. */
  useCapture(readBack: ReadBack): void {
    this.readBack = readBack;
  }

  /** The capture is the private spill file (chunks go to it only while live decoding is behind). */
  get spillOnly(): boolean {
    return this.readBack?.spillOnly === true;
  }

  /** Live decoding is behind the traffic, reading it back from the capture file. */
  get behind(): boolean {
    return this.spill !== undefined;
  }

  /** A chunk, after the session captured it (unless spillOnly); `at` is the capture's append
   *  offset before it. `data` may be reused by the tap once this returns. */
  chunk(chunk: Chunk, at: number | undefined): void {
    const data = chunk.data;
    if (this.spill || (this.queuedBytes + data.length > this.spillBacklog && at !== undefined && this.startSpill(at))) {
      if (this.spillOnly) this.readBack!.capture.writeChunk(chunk);
      // Decoded later from the capture file, in order.
      this.lastArrival = chunk.mono;
      this.scheduleDrain();
      return;
    }
    if (this.queuedBytes + data.length > this.maxBacklog) {
      // Decoding fell behind: forwarding and capture go on; the bytes stay in the capture file.
      if (this.skippedBytes === 0) {
        const where = this.opts.namedCapture ? 'they are in the capture file' : 'they were forwarded, not decoded';
        this.host.note(`live decoding fell behind; some bytes are not decoded live (${where})`);
      }
      this.skippedBytes += data.length;
      return;
    }
    this.queuedBytes += data.length;
    this.lastArrival = chunk.mono;
    // (The tap may read into `data` again once this returns: keep a copy.)
    chunk.data = Buffer.from(data);
    this.enqueue({ chunk });
  }

  /** Whether the session writes an event to the capture now (the spill file takes events only
   *  while it is read back). */
  get writesEvents(): boolean {
    return !this.spillOnly || this.spill !== undefined;
  }

  /** An event the session made; `written` is what the capture writer said of it. */
  event(ev: EventRecord, written: string | undefined): void {
    if (this.spill) {
      // Read back from the file in its place among the chunks; one the file did not take is
      // shown once decoding has caught up.
      if (written !== 'ok') this.spill.events.push(ev);
      this.scheduleDrain();
      return;
    }
    this.enqueue({ event: ev, inFile: written === 'ok' });
  }

  /** An event the capture writer made itself (already in the file, or an 'error' when it stopped). */
  writerEvent(ev: EventRecord): void {
    if (this.spill) {
      if (ev.kind === 'error') this.spill.events.push(ev);
      this.scheduleDrain();
      return;
    }
    this.enqueue({ event: ev, inFile: ev.kind !== 'error' });
  }

  /**
   * Decode the session's traffic again from the start of the capture file, with the host's
   * (new) row builder: what is waiting in memory is dropped (it is in the file), the file is read
   * back from its first record as when decoding falls behind, and once that has caught up with
   * the traffic, decoding goes on from memory. Every record of the file is decoded once, whatever
   * arrives meanwhile. False (nothing changed) when the capture cannot be read back: no file, a
   * FIFO, the private spill file (which holds only what decoding was behind on), or it stopped
   * taking records.
   */
  redecodeFromStart(): boolean {
    const rb = this.readBack;
    if (!rb || rb.spillOnly || !rb.readable || !rb.capture.writing) return false;
    let tail: CaptureTail;
    try {
      tail = new CaptureTail(rb.path, rb.capture.firstRecordOffset, rb.capture.header.crc);
    } catch {
      return false;
    }
    // Events shown but not in the file: shown again once the read-back has caught up.
    const events: EventRecord[] = this.spill ? this.spill.events : [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const item = this.queue[i]!;
      if ('event' in item && !item.inFile) events.push(item.event);
    }
    this.spill?.tail.close();
    this.spill = { tail, events };
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    this.skippedBytes = 0;
    this.scheduleDrain();
    return true;
  }

  /** How far a read-back (falling behind, or decoding again) has come: bytes of the capture
   *  file decoded, of those written so far; undefined when decoding from memory. */
  get readBackProgress(): { done: number; total: number } | undefined {
    const spill = this.spill;
    const rb = this.readBack;
    if (!spill || !rb) return undefined;
    return { done: spill.tail.pos, total: rb.capture.appendOffset };
  }

  /**
   * Live decoding fell behind the traffic: stop holding chunks in memory and read them back from
   * the capture file from `at` (where the record of the chunk that did not fit starts) once the
   * decoding reaches it. Memory stays bounded and nothing is skipped. False when the capture
   * cannot be read back (no file, a FIFO, a write error).
   */
  private startSpill(at: number): boolean {
    const rb = this.readBack;
    if (!rb || !rb.readable || !rb.capture.writing) return false;
    let tail: CaptureTail;
    try {
      tail = new CaptureTail(rb.path, at, rb.capture.header.crc);
    } catch {
      return false;
    }
    this.spill = { tail, events: [] };
    if (!this.spillNoted) {
      this.spillNoted = true;
      this.host.note(`live decoding is behind the traffic; it catches up from the ${rb.spillOnly ? 'private spill' : 'capture'} file (nothing is skipped)`);
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
    const busy = this.host.mono() - this.lastArrival < BUSY_US;
    const t0 = performance.now();
    const state = this.drain(t0 + SLICE_MS);
    const end = performance.now();
    const took = end - t0;
    // The share holds for slices that finish their work too: decoding that kept pace with a
    // flood chunk by chunk (each slice done in time, the next started by the next chunk) would
    // take 70 % of the thread and slow forwarding until the two matched (to a third of the
    // flood's speed), where it should fall behind and read back from the capture file.
    // (A slice that took long because the process was descheduled must not park decoding for long.)
    this.nextSliceAt = nextSliceAt(busy, end, took);
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

  /** Decode everything that has arrived (for a caller that needs its rows now, e.g. replay
   *  before it compares), instead of waiting for the paced slices. */
  async decodeQueued(): Promise<void> {
    this.drain();
    // (drainSpill ends the read-back once it has caught up, or when the file stopped taking records.)
    while (this.spill) {
      await this.readBack?.capture.flush();
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
        this.host.emit(this.host.rows.chunk(item.chunk));
      } else this.host.emit(this.host.rows.event(item.event));
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
    const capture = this.readBack!.capture;
    for (;;) {
      if (!first && performance.now() > deadline) return 'more';
      first = false;
      const records = spill.tail.read(capture.diskOffset, SPILL_READ);
      for (const rec of records) {
        if (rec.t === 'c') this.host.emit(this.host.rows.chunk(rec));
        else if (rec.t === 'e') {
          const { t: _t, ...ev } = rec;
          this.host.emit(this.host.rows.event(ev));
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
    for (const ev of spill.events) this.host.emit(this.host.rows.event(ev));
    if (problem) this.host.note(problem);
  }
}

/** Whether live decoding can read a capture file at `path` back (a regular file). */
export function readableCapture(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The private spill file: created 0600 in a 0700 directory of our own, both unlinked at once;
 *  read back through our descriptor. */
export async function openSpillFile(open: (path: string) => Promise<CaptureWriter>): Promise<ReadBack> {
  const dir = mkdtempSync(join(tmpdir(), 'ipctap-spill-'));
  const path = join(dir, 'spill.ipctap');
  try {
    const capture = await open(path);
    const readBackPath = `/proc/self/fd/${capture.fd}`;
    let readable: boolean;
    try {
      readable = statSync(readBackPath).isFile();
    } catch (err) {
      await capture.close();
      throw err;
    }
    return { capture, path: readBackPath, readable, spillOnly: true };
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // (not created: open failed)
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
