// A cursor over gob bytes: unsigned/signed varints, floats, strings, and — for interface values
// whose concrete type is defined mid-value — pulling the next count-prefixed message of the stream.
//
// All offsets are absolute indexes into `buf` (the direction's buffer). `end` is the end of the
// message being read; `avail` is the end of the bytes buffered so far.
import { asBuffer, base64Slice, latin1Slice, utf8Slice } from '../core/bytes';

/** Thrown when decoding needs bytes that have not arrived yet; `need` is the absolute offset. */
export class NeedMore {
  constructor(readonly need: number) {}
}

/** Malformed or undecodable gob data. */
export class GobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GobError';
  }
}

const TWO32 = 4294967296;
const scratch = new DataView(new ArrayBuffer(8));
const utf8 = new TextDecoder('utf-8', { fatal: false });
// Floats are assembled in little-endian byte order where the machine is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f64Words = new Uint32Array(f64.buffer);

export { asBuffer };

export class Reader {
  // (all set by reset(), which the constructor calls)
  pos!: number;
  end!: number;
  /** First byte of the item being decoded (for the size cap across messages). */
  start!: number;
  buf!: Uint8Array;
  avail!: number;
  /** A Buffer over `buf` (for native text decoding): given by the caller, or made when first needed. */
  private nodeBuf: Buffer | undefined;

  constructor(
    buf: Uint8Array,
    pos: number,
    end: number,
    avail: number,
    readonly maxBytes: number,
  ) {
    this.reset(buf, undefined, pos, end, avail);
  }

  /** Start over on another item (a stream reuses one Reader); `nodeBuf`, when given, views `buf`. */
  reset(buf: Uint8Array, nodeBuf: Buffer | undefined, pos: number, end: number, avail: number): void {
    this.buf = buf;
    this.nodeBuf = nodeBuf;
    this.pos = pos;
    this.end = end;
    this.avail = avail;
    this.start = pos;
  }

  private asNode(): Buffer {
    return (this.nodeBuf ??= asBuffer(this.buf));
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private eom(): never {
    throw new GobError('unexpected end of message');
  }

  byte(): number {
    if (this.pos >= this.end) this.eom();
    return this.buf[this.pos++]!;
  }

  /** A uint as a number when exact, else a bigint. */
  uint(): number | bigint {
    if (this.pos >= this.end) this.eom();
    const b = this.buf[this.pos++]!;
    if (b < 0x80) return b;
    const n = 256 - b;
    if (n > 8) throw new GobError(`invalid uint length byte 0x${b.toString(16)}`);
    if (this.pos + n > this.end) this.eom();
    const buf = this.buf;
    let p = this.pos;
    this.pos += n;
    if (n <= 6) {
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + buf[p++]!;
      return v;
    }
    let hi = 0;
    for (let i = 0; i < n - 4; i++) hi = hi * 256 + buf[p++]!;
    const lo = ((buf[p]! << 24) >>> 0) + (buf[p + 1]! << 16) + (buf[p + 2]! << 8) + buf[p + 3]!;
    if (hi < 0x200000) return hi * TWO32 + lo;
    scratch.setUint32(0, hi);
    scratch.setUint32(4, lo);
    return scratch.getBigUint64(0);
  }

  /** A uint that must be a small count/length/delta (fits in a safe integer). */
  count(what: string): number {
    const v = this.uint();
    if (typeof v !== 'number') throw new GobError(`${what} too large: ${v}`);
    return v;
  }

  int(): number | bigint {
    if (this.pos >= this.end) this.eom();
    const buf = this.buf;
    const b = buf[this.pos]!;
    if (b < 0x80) {
      this.pos++;
      return b & 1 ? -(b >> 1) - 1 : b >> 1;
    }
    const n = 256 - b;
    if (n < 7 || n > 8) {
      const u = this.uint() as number;
      const half = Math.floor(u / 2);
      return u % 2 === 1 ? -half - 1 : half;
    }
    // 7 or 8 bytes: zigzag-decoded from the high and low 32 bits.
    let p = this.pos + 1;
    if (p + n > this.end) this.eom();
    this.pos = p + n;
    let hi = 0;
    for (let i = 0; i < n - 4; i++) hi = hi * 256 + buf[p++]!;
    const lo = ((buf[p]! << 24) >>> 0) + (buf[p + 1]! << 16) + (buf[p + 2]! << 8) + buf[p + 3]!;
    const odd = lo & 1;
    // half = u >> 1
    const halfHi = hi >>> 1;
    const halfLo = (hi & 1) * 0x80000000 + (lo >>> 1);
    if (halfHi < 0x200000) {
      const half = halfHi * TWO32 + halfLo;
      if (!odd) return half;
      if (half <= 9007199254740990) return -half - 1;
    }
    // Beyond a safe integer: exact as a bigint. Odd values are -half-1, i.e. NOT half in 64 bits.
    scratch.setUint32(0, odd ? ~halfHi >>> 0 : halfHi);
    scratch.setUint32(4, odd ? ~halfLo >>> 0 : halfLo);
    return scratch.getBigInt64(0);
  }

  /** An int that must fit in a safe integer (type ids). */
  smallInt(what: string): number {
    const v = this.int();
    if (typeof v !== 'number') throw new GobError(`${what} out of range: ${v}`);
    return v;
  }

  float(): number {
    if (this.pos >= this.end) this.eom();
    const b = this.buf[this.pos++]!;
    if (LITTLE_ENDIAN) {
      // The float's little-endian bytes: zeros, then the wire bytes in wire order at the top.
      f64Words[0] = 0;
      f64Words[1] = 0;
      if (b < 0x80) {
        f64Bytes[7] = b;
        return f64[0]!;
      }
      const n = 256 - b;
      if (n > 8) throw new GobError(`invalid float length byte 0x${b.toString(16)}`);
      if (this.pos + n > this.end) this.eom();
      for (let i = 0; i < n; i++) f64Bytes[8 - n + i] = this.buf[this.pos + i]!;
      this.pos += n;
      return f64[0]!;
    }
    scratch.setFloat64(0, 0);
    if (b < 0x80) {
      scratch.setUint8(0, b);
      return scratch.getFloat64(0);
    }
    const n = 256 - b;
    if (n > 8) throw new GobError(`invalid float length byte 0x${b.toString(16)}`);
    if (this.pos + n > this.end) this.eom();
    // The float's bits were byte-reversed and sent as a big-endian uint without leading zeros:
    // the float's big-endian bytes are the wire bytes reversed, then zeros.
    for (let i = 0; i < n; i++) scratch.setUint8(i, this.buf[this.pos + n - 1 - i]!);
    this.pos += n;
    return scratch.getFloat64(0);
  }

  /** `n` raw bytes (a view into the buffer). */
  bytes(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new GobError(`length ${n} exceeds the ${this.end - this.pos} bytes left in the message`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** uint length + bytes. */
  lenBytes(what: string): Uint8Array {
    return this.bytes(this.count(`${what} length`));
  }

  /** A uint length, then that many bytes of the message: where they start (the reader moves past them). */
  private lengthPrefixed(what: string): number {
    const v = this.uint();
    if (typeof v !== 'number') throw new GobError(`${what} length too large: ${v}`);
    const n = v;
    if (n > this.end - this.pos) throw new GobError(`length ${n} exceeds the ${this.end - this.pos} bytes left in the message`);
    const start = this.pos;
    this.pos += n;
    return start;
  }

  string(what = 'string'): string {
    const start = this.lengthPrefixed(what);
    return this.utf8(start, this.pos);
  }

  /** UTF-8 text of buf[start, end), as decodeUtf8 makes it. */
  utf8(start: number, end: number): string {
    const buf = this.buf;
    if (end - start < 32) {
      for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return utf8.decode(buf.subarray(start, end));
      if (end - start < 4) {
        let s = '';
        for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
        return s;
      }
      // ASCII: Latin-1 decoding gives the same text
      return latin1Slice(this.asNode(), start, end);
    }
    return utf8Slice(this.asNode(), start, end);
  }

  /** uint length + bytes, as base64 (null when empty: a receiver's nil slice). */
  base64(what: string): string | null {
    const start = this.lengthPrefixed(what);
    const n = this.pos - start;
    if (n === 0) return null;
    return base64Slice(this.asNode(), start, start + n);
  }

  /**
   * Move to the next count-prefixed message of the stream (used inside interface values).
   * Throws NeedMore when it has not fully arrived, GobError when it is implausible.
   */
  nextMessage(): void {
    const h = readHeader(this.buf, this.end, this.avail);
    if (h === undefined) throw new NeedMore(this.avail + 1);
    if (h.count > this.maxBytes) throw new GobError(`message of ${h.count} bytes exceeds the ${this.maxBytes}-byte limit`);
    const newEnd = h.bodyStart + h.count;
    if (newEnd - this.start > this.maxBytes) throw new GobError(`value spans more than the ${this.maxBytes}-byte limit`);
    if (newEnd > this.avail) throw new NeedMore(newEnd);
    this.pos = h.bodyStart;
    this.end = newEnd;
  }
}

export function decodeUtf8(b: Uint8Array): string {
  const n = b.length;
  if (n < 32) {
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = b[i]!;
      if (c >= 0x80) return utf8.decode(b);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

export interface Header {
  count: number;
  bodyStart: number;
}

/**
 * The message header (uint byte count) at `pos`, or undefined when not all of it is buffered.
 * Counts too large for a number are reported as Infinity (the caller rejects them).
 */
export function readHeader(buf: Uint8Array, pos: number, avail: number): Header | undefined {
  if (pos >= avail) return undefined;
  const b = buf[pos]!;
  if (b < 0x80) return { count: b, bodyStart: pos + 1 };
  const n = 256 - b;
  if (n > 8) return { count: Infinity, bodyStart: pos + 1 };
  if (pos + 1 + n > avail) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + buf[pos + 1 + i]!;
  return { count: v, bodyStart: pos + 1 + n };
}
