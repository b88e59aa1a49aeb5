// A cursor over gob bytes: unsigned/signed varints, floats, strings, and — for interface values
// whose concrete type is defined mid-value — pulling the next count-prefixed message of the stream.
//
// All offsets are absolute indexes into `buf` (the direction's buffer). `end` is the end of the
// message being read; `avail` is the end of the bytes buffered so far.

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

export class Reader {
  pos: number;
  end: number;
  /** First byte of the item being decoded (for the size cap across messages). */
  readonly start: number;

  constructor(
    readonly buf: Uint8Array,
    pos: number,
    end: number,
    readonly avail: number,
    readonly maxBytes: number,
  ) {
    this.pos = pos;
    this.end = end;
    this.start = pos;
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
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A uint that must be a small count/length/delta (fits in a safe integer). */
  count(what: string): number {
    const v = this.uint();
    if (typeof v !== 'number') throw new GobError(`${what} too large: ${v}`);
    return v;
  }

  int(): number | bigint {
    const u = this.uint();
    if (typeof u === 'number') {
      const half = Math.floor(u / 2);
      return u % 2 === 1 ? -half - 1 : half;
    }
    const half = u >> 1n;
    const i = (u & 1n) === 1n ? -half - 1n : half;
    return i >= -9007199254740991n && i <= 9007199254740991n ? Number(i) : i;
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

  string(what = 'string'): string {
    const b = this.lenBytes(what);
    return decodeUtf8(b);
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
    if (newEnd - this.start > this.maxBytes)
      throw new GobError(`value spans more than the ${this.maxBytes}-byte limit`);
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
