// Reads back, synchronously and in bounded steps, the records a CaptureWriter of this process
// has put on disk: live decoding catches up from the capture file when it falls behind the
// traffic, instead of holding the bytes in memory (see Session). Reads come from the page cache.
import { closeSync, openSync, readSync } from 'node:fs';
import { makeUnpackr, parseRecords, type CaptureHeader, type CaptureRecord } from './format';

const BLOCK = 1024 * 1024;

export class CaptureTail {
  private readonly unpackr = makeUnpackr();
  private fd: number | undefined;
  /** File offset of the next unread byte (always a record boundary plus `carry`). */
  private offset: number;
  /** Bytes read past the last whole record. */
  private carry: Buffer = Buffer.alloc(0);
  /** Set when a record could not be parsed: reading stops there. */
  problem: string | undefined;

  /** Opens `path` read-only; records are read from `from` (a record boundary). Throws when the
   *  file cannot be opened. */
  constructor(
    path: string,
    from: number,
    private readonly crc: CaptureHeader['crc'],
  ) {
    this.fd = openSync(path, 'r');
    this.offset = from;
  }

  /** File offset up to which bytes have been read (whole records returned, the rest carried). */
  get readUpTo(): number {
    return this.offset;
  }

  /** File offset of the first record not yet returned. */
  get pos(): number {
    return this.offset - this.carry.length;
  }

  /**
   * Whole records between pos and `limit` (an offset up to which the writer has written whole
   * records), about `maxBytes` of them at most. An empty list when there is nothing to read.
   */
  read(limit: number, maxBytes = BLOCK): CaptureRecord[] {
    const out: CaptureRecord[] = [];
    if (this.fd === undefined || this.problem || this.offset >= limit) return out;
    const want = Math.min(maxBytes, limit - this.offset);
    const block = Buffer.allocUnsafe(want);
    let got = 0;
    try {
      while (got < want) {
        const n = readSync(this.fd, block, got, want - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
    } catch (e) {
      this.problem = `cannot read the capture file back: ${(e as Error).message}`;
      return out;
    }
    if (got === 0) {
      this.problem = `the capture file ends at byte ${this.offset}, before what was written to it`;
      return out;
    }
    this.offset += got;
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, block.subarray(0, got)]) : block.subarray(0, got);
    const r = parseRecords(this.unpackr, buf, (rec) => void out.push(rec as CaptureRecord), false, this.crc);
    if (r.corrupt) {
      this.problem = `the capture file cannot be read back at byte ${this.pos + r.corrupt.at}: ${r.corrupt.reason}`;
      this.carry = Buffer.alloc(0);
      return out;
    }
    // (Records are copied out by the unpacker, so only the unfinished tail is kept.)
    this.carry = r.consumed === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(r.consumed));
    return out;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // nothing to do
    }
    this.fd = undefined;
  }
}
