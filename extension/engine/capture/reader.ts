// Reads a .ipctap capture file (format in ./format.ts): the header, then every record in order,
// streaming in fixed-size blocks (memory stays bounded whatever the file's size), optionally
// following a file still being written; and single records by offset.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { UserError } from '../util/errors';
import { checkMagic, findValidRecord, FORMAT_VERSION, makeUnpackr, MAX_RECORD_BYTES, parseRecords, type CaptureHeader, type CaptureRecord, type ChunkRecord } from './format';

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
    const declared = declaredTooLong(tail);
    if (declared !== undefined)
      throw this.corrupt(at, `the last record declares ${declared} bytes, more than the format allows (${MAX_RECORD_BYTES}): damage, not a cut-off write`);
    this.warnings.push(`capture ends with a truncated record at byte ${at} (ignored); the file was probably cut off while being written`);
  }

  private corrupt(at: number, reason: string): UserError {
    return new UserError(`corrupt capture ${this.name} at byte ${at}: ${reason}`);
  }
}

/**
 * Walks the MessagePack values of a record cut off by the end of the file: the length that a
 * string, binary, array or map inside it declares when that alone is more than a record may hold
 * (so the record can never be completed: damage), else undefined.
 */
function declaredTooLong(b: Buffer): number | undefined {
  let i = 0;
  let found: number | undefined;
  const len = (n: number): number | undefined => {
    if (i + n > b.length) return undefined;
    const v = n === 1 ? b[i]! : n === 2 ? b.readUInt16BE(i) : b.readUInt32BE(i);
    i += n;
    return v;
  };
  /** Skip one value; false once the bytes run out (or a too-long length was found). */
  const skip = (depth: number): boolean => {
    if (found !== undefined || i >= b.length || depth > 32) return false;
    const t = b[i++]!;
    let n: number | undefined;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return true;
    if (t >= 0x80 && t <= 0x8f) return items((t & 0x0f) * 2, depth);
    if (t >= 0x90 && t <= 0x9f) return items(t & 0x0f, depth);
    if (t >= 0xa0 && t <= 0xbf) return bytes(t & 0x1f);
    switch (t) {
      case 0xc4:
      case 0xd9:
        return bytes(len(1));
      case 0xc5:
      case 0xda:
        return bytes(len(2));
      case 0xc6:
      case 0xdb:
        return bytes(len(4));
      case 0xcc:
      case 0xd0:
        return bytes(1);
      case 0xcd:
      case 0xd1:
        return bytes(2);
      case 0xce:
      case 0xd2:
      case 0xca:
        return bytes(4);
      case 0xcf:
      case 0xd3:
      case 0xcb:
        return bytes(8);
      case 0xdc:
        n = len(2);
        return n !== undefined && items(n, depth);
      case 0xdd:
        n = len(4);
        return n !== undefined && items(n, depth);
      case 0xde:
        n = len(2);
        return n !== undefined && items(n * 2, depth);
      case 0xdf:
        n = len(4);
        return n !== undefined && items(n * 2, depth);
      case 0xd4:
        return bytes(2);
      case 0xd5:
        return bytes(3);
      case 0xd6:
        return bytes(5);
      case 0xd7:
        return bytes(9);
      case 0xd8:
        return bytes(17);
      case 0xc7:
        n = len(1);
        return n !== undefined && bytes(n + 1);
      case 0xc8:
        n = len(2);
        return n !== undefined && bytes(n + 1);
      case 0xc9:
        n = len(4);
        return n !== undefined && bytes(n + 1);
      default:
        return false;
    }
  };
  const bytes = (n: number | undefined): boolean => {
    if (n === undefined) return false;
    if (n > MAX_RECORD_BYTES) {
      found = n;
      return false;
    }
    i += n;
    return i <= b.length;
  };
  const items = (n: number, depth: number): boolean => {
    if (n > MAX_RECORD_BYTES) {
      found = n;
      return false;
    }
    for (let k = 0; k < n; k++) if (!skip(depth + 1)) return false;
    return true;
  };
  skip(0);
  return found;
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
        throw new UserError(bytesRead === 0 ? `${path} is empty, not an IPC Tap capture file` : `${path} is not an IPC Tap capture file (.ipctap)`);
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
          throw new UserError(`${path} was written by a newer IPC Tap (capture format v${String(header.v)}; this version reads v${FORMAT_VERSION})`);
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
