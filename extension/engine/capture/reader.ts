// Reads a .ipctap capture file (format in ./format.ts): the header, then every record in order,
// streaming in fixed-size blocks (memory stays bounded whatever the file's size), optionally
// following a file still being written; and single records by offset.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { UserError } from '../util/errors';
import {
  checkMagic,
  findValidRecord,
  FORMAT_VERSION,
  makeUnpackr,
  MAX_RECORD_BYTES,
  parseRecords,
  type CaptureHeader,
  type CaptureRecord,
  type ChunkRecord,
} from './format';

export interface RecordEntry {
  /** Byte offset of the record in the file (what readRecordAt takes). */
  offset: number;
  record: CaptureRecord;
}

export interface RecordsOptions {
  /** Keep waiting for records appended to the file until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Start at this record offset instead of the first record. */
  from?: number;
  /** How often follow mode looks for new bytes (ms). Default 100. */
  pollMs?: number;
  /** Read size (bytes). Default 1 MiB. */
  blockSize?: number;
}

const DEFAULT_BLOCK = 1024 * 1024;

export class CaptureReader {
  /** Problems that did not stop reading (a truncated last record). */
  readonly warnings: string[] = [];
  private readonly unpackr = makeUnpackr();
  private readonly name: string;

  constructor(
    readonly path: string,
    readonly header: CaptureHeader,
    /** Offset of the first record after the header. */
    readonly dataStart: number,
    private readonly fh: FileHandle,
  ) {
    this.name = basename(path);
  }

  /** Every record after the header, in file order. Throws UserError on a damaged record. */
  async *records(opts: RecordsOptions = {}): AsyncGenerator<RecordEntry> {
    const blockSize = opts.blockSize ?? DEFAULT_BLOCK;
    const pollMs = opts.pollMs ?? 100;
    const signal = opts.signal;
    let pos = opts.from ?? this.dataStart; // file offset of carry[0]
    let carry: Buffer = Buffer.alloc(0);
    // One read buffer, reused: records are decoded into copies and the tail is copied out.
    let block = Buffer.allocUnsafeSlow(blockSize);
    for (;;) {
      if (signal?.aborted) return;
      if (carry.length > block.length) block = Buffer.allocUnsafeSlow(carry.length);
      const { bytesRead } = await this.fh.read(block, 0, block.length, pos + carry.length);
      if (bytesRead === 0) {
        if (opts.follow) {
          if (!(await sleep(pollMs, signal))) return;
          continue;
        }
        if (carry.length > 0) this.endsInsideRecord(carry, pos);
        return;
      }
      const buf = carry.length > 0 ? Buffer.concat([carry, block.subarray(0, bytesRead)]) : block.subarray(0, bytesRead);
      const entries: RecordEntry[] = [];
      const r = parseRecords(
        this.unpackr,
        buf,
        (record, start) => {
          entries.push({ offset: pos + start, record: record as CaptureRecord });
        },
        false,
        this.header.crc,
      );
      for (const e of entries) {
        if (signal?.aborted) return;
        yield e;
      }
      if (r.corrupt) throw this.corrupt(pos + r.corrupt.at, r.corrupt.reason);
      // Keep the incomplete tail (a copy, so the block can go).
      carry = r.consumed === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(r.consumed));
      pos += r.consumed;
    }
  }

  /** The record that starts at `offset` (as given by records()). */
  async readRecordAt(offset: number): Promise<CaptureRecord> {
    if (!Number.isSafeInteger(offset) || offset < this.dataStart) {
      throw new UserError(`no record starts at byte ${offset} of ${this.name}`);
    }
    let size = 64 * 1024;
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const { bytesRead } = await this.fh.read(buf, 0, size, offset);
      const data = buf.subarray(0, bytesRead);
      let found: CaptureRecord | undefined;
      const r = parseRecords(
        this.unpackr,
        data,
        (record) => {
          found = record as CaptureRecord;
          return false;
        },
        false,
        this.header.crc,
      );
      if (found) return found;
      if (r.corrupt) throw new UserError(`no record starts at byte ${offset} of ${this.name} (${r.corrupt.reason})`);
      if (bytesRead < size || size >= MAX_RECORD_BYTES) {
        throw new UserError(`no whole record at byte ${offset} of ${this.name} (the file ends inside it)`);
      }
      size = Math.min(size * 4, MAX_RECORD_BYTES + 1024);
    }
  }

  /** The chunk record that starts at `offset`. */
  async readChunkAt(offset: number): Promise<ChunkRecord> {
    const r = await this.readRecordAt(offset);
    if (r.t !== 'c') throw new UserError(`the record at byte ${offset} of ${this.name} is not a chunk`);
    return r;
  }

  /** Current size of the file in bytes. */
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private endsInsideRecord(tail: Buffer, at: number): void {
    // A cut-off record is expected after a crash. But if a whole valid record follows, the
    // "incomplete" one was damage (e.g. a corrupted length), and skipping it would hide data.
    const next = findValidRecord(this.unpackr, tail, 0, this.header.crc);
    if (next >= 0) throw this.corrupt(at, `a record's length runs past a valid record at byte ${at + next}`);
    this.warnings.push(
      `capture ends with a truncated record at byte ${at} (ignored); the file was probably cut off while being written`,
    );
  }

  private corrupt(at: number, reason: string): UserError {
    return new UserError(`corrupt capture ${this.name} at byte ${at}: ${reason}`);
  }
}

/** Open a capture file and read its header. UserError when it is missing or not a capture. */
export async function openCapture(path: string): Promise<CaptureReader> {
  const name = basename(path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`no such capture file: ${path}`);
    throw new UserError(`cannot read the capture file ${path}: ${(err as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new UserError(`${path} is a directory, not a capture file`);
    const unpackr = makeUnpackr();
    let size = 64 * 1024;
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      const data = buf.subarray(0, bytesRead);
      const magic = checkMagic(data);
      if (magic === 'no' || (magic === 'short' && bytesRead < size)) {
        throw new UserError(
          bytesRead === 0 ? `${path} is empty, not an IPC Tap capture file` : `${path} is not an IPC Tap capture file (.ipctap)`,
        );
      }
      let header: CaptureHeader | undefined;
      let end = 0;
      const r = parseRecords(
        unpackr,
        data,
        (record, _s, e) => {
          header = record as CaptureHeader;
          end = e;
          return false;
        },
        true,
      );
      if (header) {
        if (typeof header.v !== 'number' || header.v > FORMAT_VERSION) {
          throw new UserError(
            `${path} was written by a newer IPC Tap (capture format v${String(header.v)}; this version reads v${FORMAT_VERSION})`,
          );
        }
        return new CaptureReader(path, header, end, fh);
      }
      if (r.corrupt) throw new UserError(`corrupt capture ${name} at byte ${r.corrupt.at}: ${r.corrupt.reason}`);
      if (bytesRead < size || size > MAX_RECORD_BYTES) {
        throw new UserError(`capture ${name} ends inside its header (byte ${bytesRead}); the file was cut off`);
      }
      size *= 4;
    }
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/** Wait `ms`; false when `signal` aborted. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
