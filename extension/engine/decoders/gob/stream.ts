// One direction of a gob stream: buffers bytes, cuts count-prefixed messages, keeps the type
// table, and yields type definitions, values and error items. Sans-IO and bounded: a message
// larger than maxFrame is treated as garbage and the stream resynchronises on the next plausible
// message header; a value that spans messages (interface values with new concrete types) is
// retried only once the bytes it waits for have arrived.
import type { FieldRange } from '../../types';
import { DEFAULT_MAX_FRAME } from '../core/decoder';
import { asBuffer, GobError, NeedMore, Reader, readHeader } from './reader';
import { describeType, typeSummary, TypeTable, type GobType } from './types';
import { decodeTop, definedBefore, type ValueContext, type WireHints } from './value';
import { parseWireType } from './wiretype';

export interface GobStreamOptions {
  /** Largest message (and largest value spanning messages) in bytes. Default 64 MiB. */
  maxFrame?: number;
  /** Deepest nesting of values. Default 1000. */
  maxDepth?: number;
  /** Keep, per value, what writing it back byte for byte needs (see WireHints). */
  wireHints?: boolean;
}

export type GobItem =
  | {
      kind: 'typedef';
      data: Uint8Array;
      type: GobType;
      typedef: Record<string, unknown>;
      summary: string;
      redefined: boolean;
    }
  | {
      kind: 'value';
      data: Uint8Array;
      typeId: number;
      typeName: string;
      type: GobType;
      value: unknown;
      /** Concrete type names of interface values inside, by JSON pointer. */
      concrete?: Record<string, string>;
      /** Types defined inside the value (new concrete types of interface values). */
      defines?: Record<string, unknown>[];
      note?: string;
      /** Where the value and its parts lie in `data`, by path below the value ('' the whole). */
      ranges?: FieldRange[];
      /** With the wireHints option. */
      wire?: WireHints;
    }
  | { kind: 'error'; data: Uint8Array; error: string; typeId?: number }
  | { kind: 'empty'; data: Uint8Array };

const EMPTY = new Uint8Array(0);
const MAX_HEADER = 9;
/** Messages at least this large are handed out in the memory they were gathered in. */
const LARGE = 64 * 1024;

export class GobStream {
  readonly types = new TypeTable();
  private readonly maxFrame: number;
  private readonly maxDepth: number;
  private readonly wireHints: boolean;
  /**
   * The bytes being parsed, [head, tail): between pushes, the leftover in `store` (owned memory);
   * during a push, either `store` (leftover + the pushed chunk) or the pushed chunk itself when
   * nothing was left over (or once the leftover has been consumed), so that messages inside a
   * chunk become views of it instead of copies.
   */
  private buf: Uint8Array = EMPTY;
  private head = 0;
  private tail = 0;
  /** Owned memory for bytes that straddle pushes. */
  private store: Uint8Array = EMPTY;
  /**
   * Whether frames may be views of `buf`: it is the pushed chunk, or memory given up by `store`
   * (after a large message, which is handed out without a copy). Else `buf` is `store` (copies).
   */
  private onChunk = false;
  /** The chunk being pushed, while it is parsed from `store` (for switching to it). */
  private chunk: Uint8Array = EMPTY;
  /** Do not try again before this many bytes are buffered (relative to head). */
  private waitLen = 0;
  /** `viewOf` is the `buf` last cut from or read: its memory, and a Buffer view of it. */
  private viewOf: Uint8Array = EMPTY;
  private viewMem: ArrayBufferLike = EMPTY.buffer;
  private viewOffset = 0;
  private nodeBuf: Buffer | undefined;
  /** The reader and value context every decoding attempt reuses (reset per message). */
  private readonly r: Reader;
  private readonly ctx: ValueContext;

  constructor(opts: GobStreamOptions = {}) {
    this.maxFrame = Math.max(16, opts.maxFrame ?? DEFAULT_MAX_FRAME);
    this.maxDepth = Math.max(1, opts.maxDepth ?? 1000);
    this.wireHints = opts.wireHints === true;
    this.r = new Reader(EMPTY, 0, 0, 0, this.maxFrame);
    this.ctx = { types: this.types, r: this.r, maxDepth: this.maxDepth, depth: 0, path: [], concrete: undefined, defined: undefined };
  }

  /** Bytes waiting for the rest of their message. */
  get pending(): number {
    return this.tail - this.head;
  }

  push(bytes: Uint8Array): GobItem[] {
    if (bytes.length === 0) {
      // nothing new
    } else if (this.head === this.tail) {
      this.buf = bytes;
      this.head = 0;
      this.tail = bytes.length;
      this.onChunk = true;
    } else {
      this.append(bytes);
      this.chunk = bytes;
    }
    const out = this.drain();
    this.chunk = EMPTY;
    this.release();
    if (this.buf !== this.store) {
      // Keep what is left of the chunk in owned memory (the caller's chunk is not held).
      const rest = this.buf.subarray(this.head, this.tail);
      this.buf = this.store;
      this.head = this.tail = 0;
      this.onChunk = false;
      if (rest.length > 0) this.append(rest);
    }
    return out;
  }

  /** The direction ended: whatever is left is a truncated message. */
  end(): GobItem[] {
    const out = this.drain();
    if (this.tail > this.head) {
      const data = this.buf.slice(this.head, this.tail);
      const h = readHeader(this.buf, this.head, this.tail);
      const what = h && Number.isFinite(h.count) ? `${data.length - (h.bodyStart - this.head)} of ${h.count} bytes` : `${data.length} bytes`;
      out.push({ kind: 'error', data, error: `stream ended inside a message (${what})` });
    }
    this.buf = this.store = EMPTY;
    this.release();
    this.head = this.tail = this.waitLen = 0;
    return out;
  }

  /** Bytes [start, end) of the buffer for a frame: a view of the pushed chunk, or a copy. */
  private cut(start: number, end: number): Uint8Array {
    const b = this.buf;
    if (!this.onChunk) {
      if (end - start < LARGE) return b.slice(start, end);
      // A large message: give `store`'s memory to the frame rather than copy it; later bytes go
      // to new memory.
      this.store = EMPTY;
      this.onChunk = true;
    }
    if (this.viewOf !== b) this.see();
    return new Uint8Array(this.viewMem, this.viewOffset + start, end - start);
  }

  /** Append to owned memory (`buf` is `store` here). */
  private append(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      if (this.store.length > 1 << 20 && n <= 1 << 16) this.store = EMPTY;
    }
    if (this.tail + n > this.store.length) {
      const len = this.tail - this.head;
      if (len + n <= this.store.length && this.head >= len) {
        this.store.copyWithin(0, this.head, this.tail);
      } else {
        // Room for the message being waited for (its size is known from its header), within
        // 8 times what has arrived: a large message is gathered with one or two copies.
        const want = Math.min(this.waitLen, 8 * (len + n));
        const next = new Uint8Array(Math.max(len + n, this.store.length * 2, 4096, want));
        next.set(this.store.subarray(this.head, this.tail));
        this.store = next;
      }
      this.head = 0;
      this.tail = len;
    }
    this.store.set(bytes, this.tail);
    this.tail += n;
    this.buf = this.store;
  }

  /**
   * Once parsing in `store` has passed every byte left over from earlier pushes, continue on
   * the pushed chunk itself (only at a message boundary: positions change).
   */
  private rebase(): void {
    const c = this.chunk;
    if (c.length === 0 || this.buf === c) return;
    const chunkStart = this.tail - c.length;
    if (this.head < chunkStart) return;
    this.buf = c;
    this.head -= chunkStart;
    this.tail = c.length;
    this.onChunk = true;
    this.chunk = EMPTY;
  }

  private drain(): GobItem[] {
    const out: GobItem[] = [];
    while (this.head < this.tail) {
      if (this.tail - this.head < this.waitLen) break;
      this.waitLen = 0;
      // The byte count: one byte below 128 (small messages, read here without a Header object).
      let count = this.buf[this.head]!;
      let bodyStart = this.head + 1;
      if (count >= 0x80) {
        const h = readHeader(this.buf, this.head, this.tail);
        if (!h) {
          this.waitLen = this.tail - this.head + 1;
          break;
        }
        count = h.count;
        bodyStart = h.bodyStart;
      }
      if (count > this.maxFrame) {
        if (!this.resync(out, `not a gob message: byte count ${Number.isFinite(count) ? count : 'invalid'} exceeds the ${this.maxFrame}-byte limit`)) break;
        continue;
      }
      const msgEnd = bodyStart + count;
      if (msgEnd > this.tail) {
        this.waitLen = msgEnd - this.head;
        break;
      }
      if (count === 0) {
        out.push({ kind: 'empty', data: this.cut(this.head, msgEnd) });
        this.head = msgEnd;
        this.rebase();
        continue;
      }
      const item = this.attempt(bodyStart, msgEnd);
      if (item === undefined) {
        this.waitLen = this.attemptEnd - this.head;
        break;
      }
      out.push(item);
      this.head = this.attemptEnd;
      this.rebase();
    }
    return out;
  }

  /**
   * Skip garbage up to the next plausible message header. Returns false when more bytes are
   * needed to find one (the undecided tail stays buffered).
   */
  private resync(out: GobItem[], why: string): boolean {
    let p = this.head + 1;
    let stop = this.tail;
    for (; p < this.tail; p++) {
      const v = this.plausible(p);
      if (v === 'yes') break;
      if (v === 'more') {
        stop = p;
        break;
      }
    }
    if (p >= this.tail) stop = Math.max(this.head + 1, this.tail - MAX_HEADER);
    const cut = Math.min(p, stop);
    out.push({ kind: 'error', data: this.cut(this.head, cut), error: `${why}; skipped ${cut - this.head} bytes` });
    this.head = cut;
    this.rebase();
    if (cut === p && p < this.tail) return true;
    this.waitLen = this.tail - this.head + 1;
    return false;
  }

  /** The reader, set to [pos, end) of `buf` (one Buffer view of `buf` serves all its messages). */
  private reader(pos: number, end: number): Reader {
    if (this.viewOf !== this.buf) this.see();
    this.r.reset(this.buf, this.nodeBuf, pos, end, this.tail);
    return this.r;
  }

  /** Note `buf`'s memory and make a Buffer view of it (once per buffer, not per message). */
  private see(): void {
    const b = this.buf;
    this.viewOf = b;
    this.viewMem = b.buffer;
    this.viewOffset = b.byteOffset;
    this.nodeBuf = asBuffer(b);
  }

  /** Drop references to memory the stream no longer reads (the caller's chunk). */
  private release(): void {
    this.viewOf = EMPTY;
    this.viewMem = EMPTY.buffer;
    this.nodeBuf = undefined;
    this.r.reset(EMPTY, undefined, 0, 0, 0);
  }

  /** Could a message start at p? */
  private plausible(p: number): 'yes' | 'no' | 'more' {
    const h = readHeader(this.buf, p, this.tail);
    if (!h) return 'more';
    if (h.count < 2 || h.count > this.maxFrame) return 'no';
    const r = new Reader(this.buf, h.bodyStart, Math.min(h.bodyStart + h.count, this.tail), this.tail, this.maxFrame);
    try {
      const id = r.smallInt('id');
      if (id < 0) {
        if (-id < 64 || -id > 1 << 24) return 'no';
        if (r.pos + 2 > r.end) return h.bodyStart + h.count > this.tail ? 'more' : 'no';
        const d = this.buf[r.pos]!;
        return d >= 1 && d <= 7 && this.buf[r.pos + 1] === 1 ? 'yes' : 'no';
      }
      return id > 0 && this.types.has(id) && (id >= 64 || id <= 8) ? 'yes' : 'no';
    } catch {
      return h.bodyStart + h.count > this.tail ? 'more' : 'no';
    }
  }

  /** Where the item attempt() returned ends; when it returned undefined, the offset it needs. */
  private attemptEnd = 0;

  /** The item of the message at bodyStart, or undefined when more bytes are needed. */
  private attempt(bodyStart: number, msgEnd: number): GobItem | undefined {
    const types = this.types;
    types.mark();
    const r = this.reader(bodyStart, msgEnd);
    let typeId: number | undefined;
    try {
      const id = r.smallInt('type id');
      if (id < 0) {
        const t = parseWireType(r, -id);
        if (r.pos !== r.end) throw new GobError(`extra data after the definition of type ${-id}`);
        const prev = types.define(t);
        const redefined = prev !== undefined && JSON.stringify(prev) !== JSON.stringify(t);
        this.attemptEnd = msgEnd;
        return {
          kind: 'typedef',
          data: this.cut(this.head, msgEnd),
          type: t,
          typedef: describeType(types, t),
          summary: typeSummary(types, t) + (redefined ? ' (redefined)' : ''),
          redefined,
        };
      }
      if (id === 0) throw new GobError('invalid type id 0');
      typeId = id;
      const t = types.get(id);
      if (!t) throw new GobError(definedBefore(id));
      const ctx = this.ctx;
      ctx.depth = 0;
      // (balanced after a success; emptied only after a failure, which keeps its memory otherwise)
      if (ctx.path.length !== 0) ctx.path.length = 0;
      ctx.concrete = undefined;
      ctx.defined = undefined;
      const ranges: FieldRange[] = [];
      ctx.ranges = ranges;
      ctx.prefix = '';
      const wire: WireHints | undefined = this.wireHints ? { maps: new Map(), ifaces: new Map() } : undefined;
      ctx.wire = wire;
      const valueStart = r.pos;
      const value = decodeTop(ctx, id);
      ctx.ranges = undefined;
      const head = this.head;
      // Positions in the message's bytes (from its length prefix); '' is the whole value.
      for (const x of ranges) {
        x.start -= head;
        x.end -= head;
      }
      ranges.push({ path: '', start: valueStart - head, end: r.pos - head });
      const item: GobItem = {
        kind: 'value',
        data: this.cut(this.head, r.end),
        typeId: id,
        typeName: types.name(id),
        type: t,
        value,
        ranges,
      };
      if (ctx.concrete) item.concrete = ctx.concrete;
      if (ctx.defined) item.defines = ctx.defined;
      if (wire) item.wire = wire;
      if (r.pos < r.end) item.note = `${r.end - r.pos} bytes left over in the message`;
      this.attemptEnd = r.end;
      return item;
    } catch (e) {
      this.ctx.ranges = undefined;
      if (e instanceof NeedMore) {
        types.rollback();
        this.attemptEnd = e.need;
        return undefined;
      }
      const error = e instanceof GobError ? e.message : e instanceof RangeError ? 'value nested too deeply to decode' : `decoder failure: ${String(e)}`;
      const end = Math.max(msgEnd, r.end);
      const item: GobItem = { kind: 'error', data: this.cut(this.head, end), error };
      if (typeId !== undefined) item.typeId = typeId;
      this.attemptEnd = end;
      return item;
    }
  }
}
