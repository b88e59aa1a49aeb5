// Schema-less protobuf decoding (what `protoc --decode_raw` does, made stricter): every field is
// shown with its number and wire type and every plausible reading of its value.
//   varint → {n, wire:"varint", uint, sint (zigzag), int (only when negative as int64)}
//   i64    → {n, wire:"i64", uint, int (when negative), double}
//   i32    → {n, wire:"i32", uint, int (when negative), float}
//   len    → {n, wire:"len", length, message?: {fields}, string?, bytes? (base64), packed?: [uint…]}
//            message when the bytes parse completely and strictly as fields; string when they are
//            printable UTF-8 (both when both hold); bytes otherwise; packed when they also read
//            as a run of varints.
//   group  → {n, wire:"group", message: {fields}}
// Integers are exact (bigint beyond 2^53).
import { asBuffer, latin1Slice } from '../core/bytes';
import { printableText } from '../core/text';

export interface PbField {
  n: number;
  wire: 'varint' | 'i64' | 'len' | 'group' | 'i32';
  [reading: string]: unknown;
}

export interface PbMessage {
  fields: PbField[];
}

const MAX_NEST = 32;
const TWO64 = 1n << 64n;
const TWO63 = 1n << 63n;

function norm(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

class Reader {
  pos: number;
  constructor(
    /** The whole message (one Buffer view per message: strings and base64 are sliced from it). */
    readonly d: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /**
   * A varint: a number when it has at most 7 bytes (below 2^49, exact as a double), a bigint
   * when longer, null when malformed or cut short.
   */
  varint(): number | bigint | null {
    const d = this.d;
    const end = this.end;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= end) return null;
      const b = d[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    // 8 to 10 bytes: the rest in bigint
    let big = BigInt(v);
    let s = 49n;
    for (let j = 7; j < 10; j++) {
      if (this.pos >= end) return null;
      const c = d[this.pos++]!;
      if (j === 9 && c > 1) return null;
      big |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (c < 0x80) return big;
    }
    return null;
  }

  /** A varint as a number when it fits 32 bits (tags, lengths), else null. */
  smallVarint(): number | null {
    const v = this.varint();
    return typeof v === 'number' && v <= 0xffffffff ? v : null;
  }
}

function varintField(n: number, u: number | bigint): PbField {
  if (typeof u === 'number') {
    // below 2^49: never negative as an int64; zigzag in exact double arithmetic
    return { n, wire: 'varint', uint: u, sint: u % 2 === 1 ? -(u - 1) / 2 - 1 : u / 2 };
  }
  const f: PbField = { n, wire: 'varint', uint: norm(u) };
  const signed = u >= TWO63 ? u - TWO64 : u;
  if (signed < 0n) f.int = norm(signed);
  f.sint = norm(u & 1n ? -((u >> 1n) + 1n) : u >> 1n);
  return f;
}

function floatReading(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

type Parse = { ok: true; fields: PbField[] } | { ok: false; fields: PbField[]; at: number; why: string };

/**
 * Parse fields in [start, end). Strict: stops at the first problem. `endGroup` is the field
 * number of an open group (parsing stops after its END_GROUP tag).
 */
function parseFields(r: Reader, depth: number, endGroup = 0): Parse {
  const fields: PbField[] = [];
  const d = r.d;
  let view: DataView | undefined;
  while (r.pos < r.end) {
    const at = r.pos;
    const tag = r.smallVarint();
    if (tag === null) return { ok: false, fields, at, why: 'bad tag varint' };
    const n = tag >>> 3;
    const wt = tag & 7;
    if (n === 0) return { ok: false, fields, at, why: 'field number 0' };
    switch (wt) {
      case 0: {
        const u = r.varint();
        if (u === null) return { ok: false, fields, at, why: `field ${n}: bad varint` };
        fields.push(varintField(n, u));
        break;
      }
      case 1: {
        if (r.pos + 8 > r.end) return { ok: false, fields, at, why: `field ${n}: truncated i64` };
        view ??= new DataView(d.buffer, d.byteOffset, d.byteLength);
        const lo = view.getUint32(r.pos, true);
        const hi = view.getUint32(r.pos + 4, true);
        // Doubles are exact while the value is a safe integer; bigint only past 2^53.
        const u = hi * 4294967296 + lo;
        const uint = Number.isSafeInteger(u) ? u : view.getBigUint64(r.pos, true);
        const double = floatReading(view.getFloat64(r.pos, true));
        if (hi < 0x80000000) fields.push({ n, wire: 'i64', uint, double });
        else {
          const s = (hi | 0) * 4294967296 + lo;
          fields.push({ n, wire: 'i64', uint, int: Number.isSafeInteger(s) ? s : view.getBigInt64(r.pos, true), double });
        }
        r.pos += 8;
        break;
      }
      case 5: {
        if (r.pos + 4 > r.end) return { ok: false, fields, at, why: `field ${n}: truncated i32` };
        view ??= new DataView(d.buffer, d.byteOffset, d.byteLength);
        const uint = view.getUint32(r.pos, true);
        const float = floatReading(view.getFloat32(r.pos, true));
        fields.push(uint < 0x80000000 ? { n, wire: 'i32', uint, float } : { n, wire: 'i32', uint, int: uint | 0, float });
        r.pos += 4;
        break;
      }
      case 2: {
        const len = r.smallVarint();
        if (len === null || r.pos + len > r.end) return { ok: false, fields, at, why: `field ${n}: length beyond the message` };
        fields.push(lenField(n, d, r.pos, r.pos + len, depth));
        r.pos += len;
        break;
      }
      case 3: {
        if (depth >= MAX_NEST) return { ok: false, fields, at, why: 'groups nested too deep' };
        const sub = parseFields(r, depth + 1, n);
        if (!sub.ok) return { ok: false, fields, at: sub.at, why: sub.why };
        fields.push({ n, wire: 'group', message: { fields: sub.fields } });
        break;
      }
      case 4:
        if (endGroup === n) return { ok: true, fields };
        return { ok: false, fields, at, why: `field ${n}: END_GROUP without START_GROUP` };
      default:
        return { ok: false, fields, at, why: `field ${n}: invalid wire type ${wt}` };
    }
  }
  if (endGroup !== 0) return { ok: false, fields, at: r.pos, why: `group ${endGroup} not closed` };
  return { ok: true, fields };
}

/**
 * Whether parseFields would read [r.pos, r.end) without a problem — the same rules, checked
 * without building fields or messages (most length-delimited values are strings or bytes, and
 * building their failed readings as messages was a good part of decoding small messages).
 */
function strictFields(r: Reader, depth: number, endGroup: number): boolean {
  while (r.pos < r.end) {
    const tag = r.smallVarint();
    if (tag === null || tag >>> 3 === 0) return false;
    const n = tag >>> 3;
    switch (tag & 7) {
      case 0:
        if (r.varint() === null) return false;
        break;
      case 1:
        if (r.pos + 8 > r.end) return false;
        r.pos += 8;
        break;
      case 5:
        if (r.pos + 4 > r.end) return false;
        r.pos += 4;
        break;
      case 2: {
        const len = r.smallVarint();
        if (len === null || r.pos + len > r.end) return false;
        r.pos += len;
        break;
      }
      case 3:
        if (depth >= MAX_NEST || !strictFields(r, depth + 1, n)) return false;
        break;
      case 4:
        return endGroup === n;
      default:
        return false;
    }
  }
  return endGroup === 0;
}

function lenField(n: number, d: Buffer, start: number, end: number, depth: number): PbField {
  const length = end - start;
  let message: PbMessage | undefined;
  if (end > start && depth < MAX_NEST) {
    const r = new Reader(d, start, end);
    if (strictFields(r, depth + 1, 0)) {
      r.pos = start;
      const sub = parseFields(r, depth + 1);
      if (sub.ok) message = { fields: sub.fields };
    }
  }
  const string = textAt(d, start, end);
  // Each shape built whole (properties added later would each cost V8 a property store).
  if (message) return string !== null ? { n, wire: 'len', length, message, string } : { n, wire: 'len', length, message };
  if (string !== null) return { n, wire: 'len', length, string };
  const bytes = d.toString('base64', start, end);
  const packed = packedVarints(d, start, end);
  return packed ? { n, wire: 'len', length, bytes, packed } : { n, wire: 'len', length, bytes };
}

/**
 * printableText of d[start, end): printable ASCII is checked and sliced here (most strings);
 * a control byte rules the bytes out at once; anything else goes to printableText.
 */
function textAt(d: Buffer, start: number, end: number): string | null {
  for (let i = start; i < end; i++) {
    const c = d[i]!;
    if (c >= 0x20 && c < 0x7f) continue;
    if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
    // UTF-8 never uses bytes below 0x80 inside a multi-byte sequence: a control byte is a control character.
    if (c < 0x80) return null;
    return printableText(d.subarray(start, end));
  }
  return latin1Slice(d, start, end);
}

function packedVarints(d: Buffer, start: number, end: number): (number | bigint)[] | null {
  if (end <= start) return null;
  // Check the run of varints first (Reader.varint's rules: at most 10 bytes, the 10th 0 or 1),
  // counting them, so the array is sized once and nothing is built for bytes that are no run.
  let count = 0;
  let run = 0; // bytes of the current varint so far
  for (let i = start; i < end; i++) {
    const b = d[i]!;
    if (b >= 0x80) {
      if (++run === 10) return null;
    } else {
      if (run === 9 && b > 1) return null;
      count++;
      run = 0;
    }
  }
  if (run !== 0) return null;
  const out: (number | bigint)[] = count <= 65536 ? new Array<number | bigint>(count) : []; // (larger: V8 would make a slow dictionary array)
  let k = 0;
  let r: Reader | undefined;
  for (let i = start; i < end;) {
    const b = d[i]!;
    if (b < 0x80) {
      // one byte (small integers stay small integers in the array)
      out[k++] = b;
      i++;
      continue;
    }
    r ??= new Reader(d, i, end);
    r.pos = i;
    const v = r.varint();
    if (v === null) return null;
    out[k++] = typeof v === 'number' ? v : norm(v);
    i = r.pos;
  }
  return out;
}

/** Parse a whole message leniently: the fields read before any problem, and the problem. */
export function decodeRaw(bytes: Uint8Array): { message: PbMessage; error?: string } {
  const r = new Reader(asBuffer(bytes), 0, bytes.length);
  const p = parseFields(r, 0);
  if (p.ok) return { message: { fields: p.fields } };
  return { message: { fields: p.fields }, error: `not a valid protobuf message at byte ${p.at}: ${p.why}` };
}

/** protoc-like one-line rendering: `1: 150, 2: "testing", 3: {1: 150}`. */
export function rawSummary(m: PbMessage, max = 120): string {
  const sum = { text: '', max };
  const done = summarize(m.fields, sum);
  const text = sum.text;
  return text.length > max || !done ? text.slice(0, max) + '…' : text;
}

/** Appends fields to sum.text; false once it is longer than sum.max (the rest is not needed). */
function summarize(fields: PbField[], sum: { text: string; max: number }): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    let s = (i > 0 ? ', ' : '') + f.n + ': ';
    const sub = f.message as PbMessage | undefined;
    if (f.wire === 'varint') s += String(f.uint);
    else if (f.wire === 'i32') s += String(f.float);
    else if (f.wire === 'i64') s += String(f.double);
    else if (f.string !== undefined && (!sub || (f.string as string).charCodeAt(0) >= 0x20)) s += quote(f.string as string);
    else if (sub) {
      sum.text += s + '{';
      if (sum.text.length > sum.max || !summarize(sub.fields, sum)) return false;
      s = '}';
    } else s += `<${String(f.length)} B>`;
    sum.text += s;
    if (sum.text.length > sum.max) return false;
  }
  return true;
}

/** JSON.stringify(s), without the call when nothing needs escaping (most strings). */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}
