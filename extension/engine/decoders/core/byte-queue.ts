// A queue of pushed chunks read from the front. Bytes that straddle chunks are joined only when
// a reader asks for them, so a large frame arriving in many chunks is copied once (no O(n^2)).
// Returned arrays may be subarrays of pushed chunks: callers never modify bytes after pushing.
import type { Direction, Frame } from '../../types';
import { pushAll } from '../../util/arrays';

const EMPTY = new Uint8Array(0);

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.total += bytes.length;
  }

  /** Byte at offset i from the front (i < length). */
  byteAt(i: number): number {
    let off = i + this.head;
    const chunks = this.chunks;
    for (let k = 0; k < chunks.length; k++) {
      const c = chunks[k];
      if (off < c.length) return c[off];
      off -= c.length;
    }
    return 0;
  }

  /** The first n bytes (n <= length) without removing them. */
  peek(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.chunks[0];
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    // Join the chunks covering n bytes into one, so the next peek is cheap.
    const joined = new Uint8Array(Math.max(n, 0));
    let got = 0;
    let i = 0;
    let off = this.head;
    while (got < n) {
      const c = this.chunks[i];
      const take = Math.min(c.length - off, n - got);
      joined.set(c.subarray(off, off + take), got);
      got += take;
      if (off + take === c.length) {
        i++;
        off = 0;
      } else {
        off += take;
      }
    }
    // Replace chunks [0, i) and the used part of chunks[i] with the joined copy.
    const rest: Uint8Array[] = [joined];
    if (i < this.chunks.length) {
      const c = this.chunks[i];
      if (off < c.length) rest.push(off === 0 ? c : c.subarray(off));
      pushAll(rest, this.chunks.slice(i + 1));
    }
    this.chunks = rest;
    this.head = 0;
    return joined;
  }

  /**
   * Makes the first n bytes (0 < n <= length) contiguous and returns the chunk that holds them,
   * at [frontOffset, frontOffset + n): for reading a header in place, without a view.
   */
  front(n: number): Uint8Array {
    if (this.chunks[0].length - this.head < n) this.peek(n);
    return this.chunks[0];
  }

  /** Where front()'s bytes start in the chunk it returned. */
  get frontOffset(): number {
    return this.head;
  }

  /** Remove and return the first n bytes (n <= length). */
  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Drop up to n bytes from the front; returns how many were dropped. */
  skip(n: number): number {
    const want = Math.min(n, this.total);
    let left = want;
    while (left > 0) {
      const c = this.chunks[0];
      const avail = c.length - this.head;
      if (avail > left) {
        this.head += left;
        left = 0;
      } else {
        left -= avail;
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.total -= want;
    return want;
  }

  /** Remove and return everything. */
  takeAll(): Uint8Array {
    return this.take(this.total);
  }
}

/**
 * The body of an oversized frame, handed on in `maxFrame` pieces as its bytes arrive (never
 * buffered whole, never lost): `st.skip` bytes are still to come. False when it waits for more.
 */
export function passOversized(dir: Direction, st: { skip: number; q: ByteQueue }, maxFrame: number, out: Frame[]): boolean {
  const n = Math.min(st.skip, maxFrame);
  if (st.q.length < n) return false;
  out.push({ dir, data: st.q.take(n), summary: `${n} bytes of an oversized frame (not decoded)`, decoded: { kind: 'skipped' } });
  st.skip -= n;
  return true;
}
