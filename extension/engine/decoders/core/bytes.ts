// Byte buffering shared by decoders: a growable accumulator for bytes that straddle pushes, and
// a small helper that lets a framer parse "leftover + new chunk" without copying in the common
// case where the new chunk holds whole frames.
//
// Ownership: a decoder may hand out subarrays of the bytes it was pushed (callers do not modify
// bytes after pushing them — Node stream chunks are never reused). Bytes that come from the
// accumulator are always copied out, since its memory is reused.

const EMPTY = new Uint8Array(0);
/** Past this capacity an emptied accumulator drops its memory instead of keeping it. */
const KEEP_CAPACITY = 1 << 20;

export class ByteAccumulator {
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** Append a copy of `bytes`. */
  append(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    if (this.end + n > this.buf.length) this.makeRoom(n);
    this.buf.set(bytes, this.end);
    this.end += n;
  }

  /** The buffered bytes. Valid until the next append/consume/clear. */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** Drop `n` bytes from the front. */
  consume(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start === this.end) this.clear();
  }

  /** A copy of the first `n` bytes, which are then dropped. */
  take(n: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + Math.min(n, this.length));
    this.consume(n);
    return out;
  }

  clear(): void {
    this.start = this.end = 0;
    if (this.buf.length > KEEP_CAPACITY) this.buf = EMPTY;
  }

  private makeRoom(n: number): void {
    const len = this.length;
    const need = len + n;
    if (need <= this.buf.length && this.start >= len) {
      // enough room once compacted, and the move does not overlap much
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2, 256));
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
    }
    this.start = 0;
    this.end = len;
  }
}

/**
 * Per-direction input of a framer: `begin(chunk)` returns leftover + chunk to parse,
 * `cut(s, e)` gives a stable array for bytes [s, e) of it, `finish(used)` keeps the rest.
 */
export class StreamInput {
  private readonly acc = new ByteAccumulator();
  private cur: Uint8Array = EMPTY;
  private chunk: Uint8Array = EMPTY;
  private fromAcc = false;
  /** Bytes left over from earlier pushes at the front of `cur` (when fromAcc). */
  private carried = 0;

  /** Bytes buffered between pushes. */
  get pending(): number {
    return this.acc.length;
  }

  /** Whether cut() copies (the bytes being parsed are in the reusable buffer). */
  get copying(): boolean {
    return this.fromAcc;
  }

  /** The bytes being parsed (what begin/rebase returned last). */
  get data(): Uint8Array {
    return this.cur;
  }

  begin(chunk: Uint8Array): Uint8Array {
    this.chunk = chunk;
    if (this.acc.length === 0) {
      this.fromAcc = false;
      this.cur = chunk;
    } else {
      this.carried = this.acc.length;
      this.acc.append(chunk);
      this.fromAcc = true;
      this.cur = this.acc.view();
    }
    return this.cur;
  }

  /**
   * Once parsing has passed every carried-over byte (pos >= carried), continue on the pushed
   * chunk itself so later frames are views, not copies. Returns how far positions shift (the
   * caller subtracts it from its positions and re-reads `data`), 0 when nothing changed.
   */
  rebase(pos: number): number {
    if (!this.fromAcc || pos < this.carried) return 0;
    const skip = pos - this.carried;
    this.acc.clear();
    this.fromAcc = false;
    this.cur = skip === 0 ? this.chunk : view(this.chunk, skip, this.chunk.length);
    return pos;
  }

  cut(start: number, end: number): Uint8Array {
    return this.fromAcc ? this.cur.slice(start, end) : view(this.cur, start, end);
  }

  finish(used: number): void {
    if (this.fromAcc) this.acc.consume(used);
    else if (used < this.cur.length) this.acc.append(this.cur.subarray(used));
    this.cur = this.chunk = EMPTY;
  }

  /** Everything buffered, as an owned copy; the buffer is emptied. */
  drain(): Uint8Array {
    return this.acc.take(this.acc.length);
  }
}

/** A plain Uint8Array view of bytes [start, end) (cheaper than Buffer#subarray). */
export function view(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A Buffer view over the same memory (for fast indexOf/toString). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

// Node's Buffer has native slice-to-string methods behind toString(); calling them directly skips
// argument checks on hot paths. Fall back to toString where they are missing.
type SliceFn = (this: Buffer, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as Record<string, SliceFn | undefined>;
const nativeUtf8 = proto.utf8Slice;
const nativeLatin1 = proto.latin1Slice;
const nativeBase64 = proto.base64Slice;

/** UTF-8 text of buf[start, end). */
export function utf8Slice(buf: Buffer, start: number, end: number): string {
  return nativeUtf8 ? nativeUtf8.call(buf, start, end) : buf.toString('utf8', start, end);
}

/** Latin-1 text of buf[start, end) (for bytes known to be ASCII). */
export function latin1Slice(buf: Buffer, start: number, end: number): string {
  return nativeLatin1 ? nativeLatin1.call(buf, start, end) : buf.toString('latin1', start, end);
}

/** Base64 of buf[start, end). */
export function base64Slice(buf: Buffer, start: number, end: number): string {
  return nativeBase64 ? nativeBase64.call(buf, start, end) : buf.toString('base64', start, end);
}
