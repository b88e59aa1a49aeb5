// Appends chunks and events to a .ipctap capture file (format in ./format.ts).
//
// writeChunk/writeEvent are synchronous and never block or throw: they encode the record at once
// into a batch buffer (copying the caller's bytes, so no reference to them is kept). The batches
// go to the disk as soon as a batch is full, and otherwise `flushDelayMs` after the first
// unwritten record: chatty traffic (a ping-pong, an RPC conversation) then costs one write per
// interval instead of one per message, which keeps the disk thread off the CPU the forwarding
// needs. On a local disk whole 1 MiB blocks go out with O_DIRECT, past the page cache, and the
// rest through it within the same delay (./direct.ts); elsewhere each batch is one writev. The
// file is always a prefix of the record stream; it ends on a record boundary once nothing has
// been written for `flushDelayMs` (a reader of a growing file keeps a cut last record for later).
//
// Memory is bounded: when more than `highWaterMark` bytes wait for the disk, chunk data is
// dropped (forwarding goes on) until the backlog falls under `lowWaterMark`; then one
// `capture-dropped` event with the dropped byte count marks the gap in the file. With `lossless`
// nothing is dropped: holdBack() gives the taps a promise to wait on instead (they stop reading
// until the backlog is under the low-water mark), so forwarding slows to what the disk takes.
// An I/O error stops the capture: the file is cut back to the end of the last batch known to be
// complete on disk (further back when even a small record no longer fits, as on a full disk) and
// ends with an 'error' event record saying where and why it stopped ("capture stopped at N bytes
// (M records): ENOSPC ..."), which `read` shows. The error is reported once through onError (and
// as an 'error' event through onEvent), after that marker; later writes return 'error'. flush()
// and close() never reject.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Chunk, EventRecord } from '../types';
import { UserError } from '../util/errors';
import { writeAll } from '../util/write-all';
import { DirectAppender } from './direct';
import {
  buildHeader,
  chunkRecordBound,
  encodeChunkRecord,
  makePackr,
  MAX_CHUNK_DATA,
  MAX_RECORD_BYTES,
  writeCrc,
  CRC_BYTES,
  type CaptureHeader,
  type CaptureHeaderInit,
  type MetaRecord,
} from './format';

export interface CaptureWriterOptions {
  /** Bytes waiting for the disk above which chunk data is dropped. Default 32 MiB. */
  highWaterMark?: number;
  /** Dropping stops once the backlog is at or below this. Default highWaterMark / 2. */
  lowWaterMark?: number;
  /** Checksum the captured payload bytes too (header `crc: 'full'`), not only the record
   *  headers. Default false: see CaptureHeader.crc. */
  checksumData?: boolean;
  /** Size of the buffers records are coalesced into. Default 1 MiB. */
  batchSize?: number;
  /** Longest a record waits in memory before it is written when no batch is full. Default 10 ms;
   *  0 writes after the current I/O callbacks (setImmediate). */
  flushDelayMs?: number;
  /** Never drop chunk data: past the high-water mark, holdBack() asks the taps to wait. */
  lossless?: boolean;
  /** Write whole blocks with O_DIRECT when the file system allows it (./direct.ts). Default true. */
  direct?: boolean;
  /** Called once, with the first I/O error; the capture stops there. */
  onError?: (err: Error) => void;
  /** Events the writer itself produces: 'capture-dropped' (also written to the file) and
   *  'error' (the capture stopped; not in the file). The session shows them as rows. */
  onEvent?: (ev: EventRecord) => void;
}

/** 'ok' queued; 'dropped' not written (backlog over the high-water mark); 'error' the capture
 *  stopped after an I/O error; 'closed' close() was called. */
export type WriteResult = 'ok' | 'dropped' | 'error' | 'closed';

export interface CaptureWriterStats {
  /** Bytes on disk (header included). */
  bytesWritten: number;
  /** Records accepted (header, chunks, events, meta; chunk pieces count once per record). */
  records: number;
  /** Chunk data bytes dropped because the disk fell behind (or after an error). */
  dropped: number;
  droppedChunks: number;
  droppedEvents: number;
  /** Bytes encoded but not yet on disk. */
  queued: number;
  /** Peak of `queued`. */
  peakQueued: number;
  /** Whole blocks go to the disk with O_DIRECT (see ./direct.ts). */
  direct: boolean;
  /** Set once an I/O error stopped the capture. */
  error?: string;
}

const IOV_MAX = 64;

export class CaptureWriter {
  private readonly hwm: number;
  private readonly lwm: number;
  private readonly batchSize: number;
  private readonly packr = makePackr();
  private cur: Buffer;
  private curPos = 0;
  private readonly sealed: Buffer[] = [];
  /** Records in each sealed view, and in the part of `cur` not sealed yet. */
  private readonly sealedRecords: number[] = [];
  private curRecords = 0;
  /** Records and bytes known to be complete in the file: the ends of the last batches written
   *  (offset, records before it), newest last; where the file is cut back to after an error. */
  private readonly boundaries: Array<[number, number]> = [];
  private recordsWritten = 1;
  private failedHold: Promise<void> | undefined;
  private endFailedHold: (() => void) | undefined;
  /** Writing the end-of-capture marker after an I/O error. */
  private marking: Promise<void> | undefined;
  /** Where the capture stopped after an I/O error: the file ends there with the marker. */
  stoppedAt: { bytes: number; records: number } | undefined;
  /** Batch buffers in use: how many sealed views of each wait for the disk, and whether the
   *  buffer is still being filled. Emptied ones are reused (fewer 1 MiB allocations, less
   *  garbage waiting for the GC, lower RSS). */
  private readonly inUse = new Map<ArrayBufferLike, { views: number; filling: boolean }>();
  private readonly free: ArrayBuffer[] = [];
  private queuedBytes = 0;
  private peakQueued = 0;
  private bytesWritten: number;
  private records = 1;
  private dropped = 0;
  private droppedChunks = 0;
  private droppedEvents = 0;
  private episode: { ts: number; mono: number; bytes: number; chunks: number; events: number } | undefined;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushDelay: number;
  private pumping: Promise<void> | undefined;
  private failed: Error | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private lastTs = 0;
  private lastMono = 0;
  /** Lossless: resolves the taps' wait once the backlog is under the low-water mark. */
  private caughtUp: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Direct I/O staging holds bytes that must reach the file now (a timer, flush or close). */
  private tailDue = false;

  private constructor(
    readonly path: string,
    readonly header: CaptureHeader,
    private readonly fh: FileHandle,
    headerBytes: number,
    private readonly opts: CaptureWriterOptions,
    private readonly direct: DirectAppender | undefined,
  ) {
    this.hwm = opts.highWaterMark ?? 32 * 1024 * 1024;
    this.lwm = opts.lowWaterMark ?? Math.floor(this.hwm / 2);
    this.batchSize = opts.batchSize ?? 1024 * 1024;
    this.flushDelay = opts.flushDelayMs ?? 10;
    this.cur = this.newBatch(this.batchSize);
    this.bytesWritten = headerBytes;
    this.firstRecordOffset = headerBytes;
    this.boundaries.push([headerBytes, 1]);
  }

  /** File offset of the first record (the end of the header). */
  readonly firstRecordOffset: number;

  /** Create (or truncate) the capture file at `path` and write its header. */
  static async open(path: string, init: CaptureHeaderInit, opts: CaptureWriterOptions = {}): Promise<CaptureWriter> {
    const header = buildHeader({ ...init, crc: opts.checksumData ? 'full' : 'no-data' });
    let fh: FileHandle;
    try {
      fh = await open(path, 'w', 0o600);
      // An existing file keeps its mode on open: a capture is for its owner's eyes only.
      if ((await fh.stat()).isFile()) await fh.chmod(0o600);
    } catch (err) {
      throw new UserError(`cannot write the capture file ${path}: ${(err as Error).message}`);
    }
    const direct = opts.direct === false ? undefined : DirectAppender.open(path, fh.fd);
    const packr = makePackr();
    const body = packr.pack(header);
    const bytes = Buffer.allocUnsafe(body.length + CRC_BYTES);
    body.copy(bytes);
    writeCrc(bytes, 0, body.length);
    try {
      await writeAll(fh.fd, [bytes], null);
    } catch (err) {
      await direct?.close();
      await fh.close().catch(() => undefined);
      throw new UserError(`cannot write the capture file ${path}: ${(err as Error).message}`);
    }
    direct?.adopt(bytes);
    return new CaptureWriter(path, header, fh, bytes.length, opts, direct);
  }

  /** The descriptor the capture is written through (the file can be read back through
   *  /proc/self/fd/N even once unlinked). */
  get fd(): number {
    return this.fh.fd;
  }

  writeChunk(chunk: Chunk): WriteResult {
    const len = chunk.data.length;
    this.lastTs = chunk.ts;
    this.lastMono = chunk.mono;
    if (this.closed || this.failed) {
      this.dropped += len;
      this.droppedChunks++;
      return this.closed ? 'closed' : 'error';
    }
    if (this.episode && !this.opts.lossless) {
      if (this.queuedBytes > this.lwm) {
        this.episode.bytes += len;
        this.episode.chunks++;
        this.dropped += len;
        this.droppedChunks++;
        return 'dropped';
      }
      this.endEpisode();
    }
    // (A single chunk bigger than the mark still goes in when nothing waits: the caller holds it anyway.)
    if (!this.opts.lossless && this.queuedBytes > 0 && this.queuedBytes + chunkRecordBound(len) > this.hwm) {
      this.episode = { ts: chunk.ts, mono: chunk.mono, bytes: len, chunks: 1, events: 0 };
      this.dropped += len;
      this.droppedChunks++;
      return 'dropped';
    }
    let from = 0;
    do {
      const to = Math.min(len, from + MAX_CHUNK_DATA);
      const at = this.reserve(chunkRecordBound(to - from));
      this.curPos = encodeChunkRecord(this.cur, at, chunk, from, to, this.opts.checksumData === true);
      this.account(this.curPos - at);
      from = to;
    } while (from < len);
    return 'ok';
  }

  writeEvent(ev: EventRecord): WriteResult {
    this.lastTs = ev.ts;
    this.lastMono = ev.mono;
    const rec: Record<string, unknown> = { t: 'e' };
    for (const [k, v] of Object.entries(ev)) if (v !== undefined && k !== 't') rec[k] = v;
    return this.writeObject(rec, true);
  }

  /** A header-like update (a tap added, a process attached...). */
  writeMeta(meta: Omit<MetaRecord, 't'>): WriteResult {
    const rec: Record<string, unknown> = { t: 'm' };
    for (const [k, v] of Object.entries(meta)) if (v !== undefined && k !== 't') rec[k] = v;
    return this.writeObject(rec, true);
  }

  /** Resolves once everything written so far is on disk (not fsynced). Never rejects. */
  async flush(): Promise<void> {
    while (!this.failed && (this.pumping || this.queuedBytes > 0 || (this.direct?.pending ?? 0) > 0)) {
      this.tailDue = true;
      if (!this.pumping) this.startPump();
      await this.pumping;
    }
  }

  /** Flush, fsync and close the file. Idempotent; never rejects. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  /** Lossless capture: while more than the high-water mark waits for the disk, a promise that
   *  resolves once the backlog is under the low-water mark (or the capture stopped); else
   *  undefined. */
  holdBack(): Promise<void> | undefined {
    // Lossless and the file failed: nothing more may pass uncaptured; the hold lasts until close.
    if (this.opts.lossless && this.failed && !this.closed) return (this.failedHold ??= new Promise<void>((r) => (this.endFailedHold = r)));
    if (!this.opts.lossless || this.queuedBytes <= this.hwm || this.failed || this.closed) return undefined;
    if (!this.caughtUp) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.caughtUp = { promise, resolve };
      this.schedulePump();
    }
    return this.caughtUp.promise;
  }

  private releaseHolds(): void {
    const c = this.caughtUp;
    this.caughtUp = undefined;
    c?.resolve();
  }

  /** File offset where the next record will start: every record accepted so far lies before it. */
  get appendOffset(): number {
    return this.bytesWritten + this.queuedBytes;
  }

  /** Bytes of the file on disk now (whole records only, once no write is in flight). */
  get diskOffset(): number {
    return this.bytesWritten - (this.direct?.pending ?? 0);
  }

  /** Whether records still reach the file (not closed, no I/O error). */
  get writing(): boolean {
    return !this.closed && !this.failed;
  }

  stats(): CaptureWriterStats {
    return {
      bytesWritten: this.bytesWritten,
      records: this.records,
      dropped: this.dropped,
      droppedChunks: this.droppedChunks,
      droppedEvents: this.droppedEvents,
      queued: this.queuedBytes,
      peakQueued: this.peakQueued,
      direct: this.direct?.active ?? false,
      ...(this.failed ? { error: this.failed.message } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------

  private async doClose(): Promise<void> {
    if (this.episode && !this.failed) this.endEpisode();
    this.closed = true;
    this.releaseHolds();
    this.endFailedHold?.();
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.failed) {
      try {
        await this.fh.sync();
      } catch (err) {
        // A FIFO or character device cannot be fsynced; that is no failure of the capture.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') this.fail(err as Error);
      }
    }
    await this.marking;
    await this.direct?.close();
    await this.fh.close().catch(() => undefined);
  }

  private writeObject(rec: Record<string, unknown>, isEvent: boolean, internal = false): WriteResult {
    if (this.failed || (this.closed && !internal)) {
      if (isEvent) this.droppedEvents++;
      return this.closed ? 'closed' : 'error';
    }
    // Events are small and say what happened (spawn, exit, open, close): they go through a
    // drop episode, up to a hard cap above the high-water mark.
    if (!this.opts.lossless && this.queuedBytes > this.hwm + (this.hwm >> 2)) {
      this.droppedEvents++;
      if (this.episode) this.episode.events++;
      return 'dropped';
    }
    let body: Buffer;
    try {
      body = this.packr.pack(rec);
    } catch (err) {
      this.opts.onError?.(new Error(`capture: cannot encode a record: ${(err as Error).message}`));
      this.droppedEvents++;
      return 'dropped';
    }
    if (body.length + CRC_BYTES > MAX_RECORD_BYTES) {
      this.droppedEvents++;
      return 'dropped';
    }
    const at = this.reserve(body.length + CRC_BYTES);
    body.copy(this.cur, at);
    this.curPos = writeCrc(this.cur, at, at + body.length);
    this.account(this.curPos - at);
    return 'ok';
  }

  private endEpisode(): void {
    const ep = this.episode!;
    this.episode = undefined;
    const lost = ep.events > 0 ? ` and ${ep.events} events` : '';
    const ev: EventRecord = {
      kind: 'capture-dropped',
      ts: ep.ts,
      mono: ep.mono,
      bytes: ep.bytes,
      message: `the capture file ${basename(this.path)} fell behind the traffic: ${ep.bytes} bytes in ${ep.chunks} chunks${lost} were not written (forwarding went on)`,
    };
    this.writeObject({ t: 'e', ...ev }, false, true);
    this.opts.onEvent?.(ev);
  }

  /** Room for `n` bytes in the current batch; returns where to write. */
  private reserve(n: number): number {
    if (this.curPos + n > this.cur.length) {
      this.seal();
      const info = this.inUse.get(this.cur.buffer);
      if (info) {
        info.filling = false;
        if (info.views === 0) this.release(this.cur.buffer);
      }
      this.cur = this.newBatch(Math.max(n, this.batchSize));
    }
    return this.curPos;
  }

  private newBatch(size: number): Buffer {
    if (size !== this.batchSize) return Buffer.allocUnsafeSlow(size);
    const ab = this.free.pop();
    const buf = ab ? Buffer.from(ab) : Buffer.allocUnsafeSlow(size);
    this.inUse.set(buf.buffer, { views: 0, filling: true });
    return buf;
  }

  private release(ab: ArrayBufferLike): void {
    this.inUse.delete(ab);
    if (this.free.length < 4 && ab.byteLength === this.batchSize) this.free.push(ab as ArrayBuffer);
  }

  /** Move the filled part of the current batch to the write queue; keep filling the rest of the
   *  same buffer (the two views do not overlap), so nothing is copied twice. */
  private seal(): void {
    if (this.curPos === 0) return;
    const view = this.cur.subarray(0, this.curPos);
    this.sealed.push(view);
    this.sealedRecords.push(this.curRecords);
    this.curRecords = 0;
    const info = this.inUse.get(view.buffer);
    if (info) info.views++;
    this.cur = this.cur.subarray(this.curPos);
    this.curPos = 0;
  }

  /** A sealed view reached the disk (or was discarded). */
  private written(view: Buffer): void {
    const info = this.inUse.get(view.buffer);
    if (!info) return;
    info.views--;
    if (info.views === 0 && !info.filling) this.release(view.buffer);
  }

  private account(n: number): void {
    this.records++;
    this.curRecords++;
    this.queuedBytes += n;
    if (this.queuedBytes > this.peakQueued) this.peakQueued = this.queuedBytes;
    if (this.pumping || this.scheduled) return;
    if (this.queuedBytes >= this.batchSize || this.flushDelay === 0) this.schedulePump();
    else if (!this.timer) {
      this.armTimer();
    }
  }

  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tailDue = true;
      if (!this.pumping && !this.scheduled) this.schedulePump();
    }, this.flushDelay);
    this.timer.unref();
  }

  private schedulePump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.pumping) this.startPump();
    });
  }

  /** Run pump() as `pumping`. (Cleared from a later microtask: a pump with nothing to do ends
   *  synchronously, and `pumping = pump()` would then keep a settled promise for good.) */
  private startPump(): void {
    const p: Promise<void> = this.pump().finally(() => {
      if (this.pumping === p) this.pumping = undefined;
    });
    this.pumping = p;
  }

  private async pump(): Promise<void> {
    while (!this.failed) {
      this.seal();
      if (this.sealed.length > 0) {
        const batch = this.sealed.splice(0, IOV_MAX);
        let n = 0;
        for (const b of batch) n += b.length;
        let recs = 0;
        for (const r of this.sealedRecords.splice(0, batch.length)) recs += r;
        try {
          if (this.direct) await this.direct.append(batch);
          else await writeAll(this.fh.fd, batch, null);
        } catch (err) {
          this.fail(err as Error);
          break;
        }
        this.bytesWritten += n;
        this.recordsWritten += recs;
        this.boundaries.push([this.bytesWritten, this.recordsWritten]);
        if (this.boundaries.length > 64) this.boundaries.splice(0, this.boundaries.length - 64);
        this.queuedBytes -= n;
        for (const b of batch) this.written(b);
        if (this.episode && this.queuedBytes <= this.lwm) this.endEpisode();
        if (this.caughtUp && this.queuedBytes <= this.lwm) this.releaseHolds();
        continue;
      }
      // Direct I/O: what fills no staging buffer goes to the file once a record has waited
      // flushDelay (or on flush/close), not after every batch of a flood.
      if (!this.direct || this.direct.pending === 0) break;
      if (!this.tailDue && !this.closed && this.flushDelay > 0) {
        if (!this.timer) this.armTimer();
        break;
      }
      this.tailDue = false;
      try {
        await this.direct.flushTail();
      } catch (err) {
        this.fail(err as Error);
      }
      // (and round again for records that came meanwhile)
    }
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    // Free what waits: it can no longer be written.
    for (const b of this.sealed) this.dropped += b.length;
    this.sealed.length = 0;
    this.sealedRecords.length = 0;
    this.curRecords = 0;
    this.inUse.clear();
    this.free.length = 0;
    this.curPos = 0;
    this.queuedBytes = 0;
    this.episode = undefined;
    this.releaseHolds();
    this.marking = this.markStop(err).then(() => {
      const where = this.stoppedAt ? ` at ${this.stoppedAt.bytes} bytes (${this.stoppedAt.records} records)` : '';
      const then = this.opts.lossless ? 'lossless forwarding is held' : 'forwarding goes on';
      const e = new Error(`capture file ${this.path}: ${err.message}; the capture stopped${where} (${then})`);
      this.failed = e;
      this.opts.onError?.(e);
      this.opts.onEvent?.({ kind: 'error', ts: this.lastTs, mono: this.lastMono, message: e.message, ...(this.stoppedAt ? { bytes: this.stoppedAt.bytes } : {}) });
    });
  }

  /** After an I/O error: end a regular file on a whole record with an 'error' event saying where
   *  and why the capture stopped, cutting further back while even that does not fit. */
  private async markStop(err: Error): Promise<void> {
    try {
      await this.direct?.close();
      const size = (await this.fh.stat()).size;
      if (!(await this.fh.stat()).isFile()) return;
      const why = err.message;
      for (let i = this.boundaries.length - 1; i >= 0; i--) {
        const [at, records] = this.boundaries[i]!;
        if (at > size) continue;
        const body = this.packr.pack({
          t: 'e',
          kind: 'error',
          ts: this.lastTs,
          mono: this.lastMono,
          bytes: at,
          message: `capture stopped at ${at} bytes (${records} records): ${why}`,
        });
        const rec = Buffer.allocUnsafe(body.length + CRC_BYTES);
        body.copy(rec);
        writeCrc(rec, 0, body.length);
        try {
          await this.fh.truncate(at);
          await writeAll(this.fh.fd, [rec], at);
          this.stoppedAt = { bytes: at, records };
          return;
        } catch {
          // no room even for this: one batch further back
        }
      }
    } catch {
      // the file cannot be inspected (gone, not a file): nothing to mark
    }
  }
}
