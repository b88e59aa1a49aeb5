// MessagePack reading for the msgpack decoder: a builder that turns one complete value into a
// JSON-able value, and a resumable scanner that finds where a value ends (or why it is invalid)
// without building it, so a value arriving in many small pieces is scanned once, not re-parsed.
//
// Rendering (JSON-able, documented in docs/decoders.md):
//   nil/bool/str/array → null/boolean/string/array; integers exact (bigint beyond 2^53);
//   float → number, NaN/±Infinity → {"$float":"NaN"|"Infinity"|"-Infinity"};
//   bin → {"$bin":"BASE64"}; timestamp (ext −1) → ISO 8601 string with up to 9 fraction digits;
//   other ext → {"$ext":TYPE,"data":"BASE64"} (TYPE −128…127);
//   map with only string keys, no duplicates → object; otherwise (or when its only key is one of
//   the markers "$map" "$bin" "$ext" "$float") → {"$map":[[KEY,VALUE],…]} in wire order.
import { latin1Slice, utf8Slice } from '../core/bytes';

export const MAX_DEPTH = 512;
const MARKERS = new Set(['$map', '$bin', '$ext', '$float']);

/** Thrown (without a stack) when the builder cannot finish; the scanner then says why. */
const FAIL = { fail: true };

// The bytes being read: `src` indexes them from 0; `buf` and `view` span their whole ArrayBuffer,
// so positions in src are `base +` there. Spanning the ArrayBuffer lets consecutive values from
// one chunk (the payloads under a length prefix, each its own small view) share one Buffer and
// one DataView instead of making both per value.
const NO_MEMORY = new ArrayBuffer(0);
const EMPTY = new Uint8Array(NO_MEMORY);
const EMPTY_BUF = Buffer.from(NO_MEMORY);
const EMPTY_VIEW = new DataView(NO_MEMORY);
let src: Uint8Array = EMPTY;
let memory: ArrayBufferLike = NO_MEMORY;
let buf: Buffer = EMPTY_BUF;
let view: DataView = EMPTY_VIEW;
let base = 0;
let p = 0;
let limit = 0;

/** Build the value starting at `start`; returns [value, end] or null when incomplete/invalid. */
export function buildValue(d: Uint8Array, start: number, maxLen: number): [unknown, number] | null {
  if (d !== src) {
    src = d;
    base = d.byteOffset;
    if (d.buffer !== memory) {
      memory = d.buffer;
      buf = Buffer.from(memory);
      view = new DataView(memory);
    }
  }
  p = start;
  limit = maxLen;
  try {
    const v = read(0);
    return [v, p];
  } catch (e) {
    if (e === FAIL) return null;
    throw e;
  }
}

/**
 * Drop the references to the last bytes read (so they can be collected), unless they are in the
 * memory of `kept`: bytes a caller pushed, which the frames made from them refer to anyway.
 */
export function releaseBuffer(kept?: Uint8Array): void {
  if (kept !== undefined && kept.buffer === memory) return;
  src = EMPTY;
  memory = NO_MEMORY;
  buf = EMPTY_BUF;
  view = EMPTY_VIEW;
}

function need(n: number): void {
  if (p + n > src.length) throw FAIL;
}

function len(n: number): number {
  if (n > limit) throw FAIL;
  return n;
}

function read(depth: number): unknown {
  if (p >= src.length) throw FAIL;
  const b = src[p++];
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if (b < 0x90) return readMap(b & 0x0f, depth);
  if (b < 0xa0) return readArray(b & 0x0f, depth);
  if (b < 0xc0) return readStr(b & 0x1f);
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      need(1);
      return readBin(len(src[p++]));
    case 0xc5:
      need(2);
      p += 2;
      return readBin(len(view.getUint16(base + p - 2)));
    case 0xc6:
      need(4);
      p += 4;
      return readBin(len(view.getUint32(base + p - 4)));
    case 0xc7:
      need(2);
      p += 2;
      return readExt(len(src[p - 2]), view.getInt8(base + p - 1));
    case 0xc8:
      need(3);
      p += 3;
      return readExt(len(view.getUint16(base + p - 3)), view.getInt8(base + p - 1));
    case 0xc9:
      need(5);
      p += 5;
      return readExt(len(view.getUint32(base + p - 5)), view.getInt8(base + p - 1));
    case 0xca:
      need(4);
      p += 4;
      return float(view.getFloat32(base + p - 4));
    case 0xcb:
      need(8);
      p += 8;
      return float(view.getFloat64(base + p - 8));
    case 0xcc:
      need(1);
      return src[p++];
    case 0xcd:
      need(2);
      p += 2;
      return view.getUint16(base + p - 2);
    case 0xce:
      need(4);
      p += 4;
      return view.getUint32(base + p - 4);
    case 0xcf: {
      need(8);
      p += 8;
      const hi = view.getUint32(base + p - 8);
      if (hi < 0x200000) return hi * 0x100000000 + view.getUint32(base + p - 4);
      return view.getBigUint64(base + p - 8);
    }
    case 0xd0:
      need(1);
      return view.getInt8(base + p++);
    case 0xd1:
      need(2);
      p += 2;
      return view.getInt16(base + p - 2);
    case 0xd2:
      need(4);
      p += 4;
      return view.getInt32(base + p - 4);
    case 0xd3: {
      need(8);
      p += 8;
      const hi = view.getInt32(base + p - 8);
      if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + view.getUint32(base + p - 4);
      return view.getBigInt64(base + p - 8);
    }
    case 0xd4:
      need(1);
      p += 1;
      return readExt(1, view.getInt8(base + p - 1));
    case 0xd5:
      need(1);
      p += 1;
      return readExt(2, view.getInt8(base + p - 1));
    case 0xd6:
      need(1);
      p += 1;
      return readExt(4, view.getInt8(base + p - 1));
    case 0xd7:
      need(1);
      p += 1;
      return readExt(8, view.getInt8(base + p - 1));
    case 0xd8:
      need(1);
      p += 1;
      return readExt(16, view.getInt8(base + p - 1));
    case 0xd9:
      need(1);
      return readStr(len(src[p++]));
    case 0xda:
      need(2);
      p += 2;
      return readStr(len(view.getUint16(base + p - 2)));
    case 0xdb:
      need(4);
      p += 4;
      return readStr(len(view.getUint32(base + p - 4)));
    case 0xdc:
      need(2);
      p += 2;
      return readArray(len(view.getUint16(base + p - 2)), depth);
    case 0xdd:
      need(4);
      p += 4;
      return readArray(len(view.getUint32(base + p - 4)), depth);
    case 0xde:
      need(2);
      p += 2;
      return readMap(len(view.getUint16(base + p - 2)), depth);
    case 0xdf:
      need(4);
      p += 4;
      return readMap(len(view.getUint32(base + p - 4)), depth);
    default:
      throw FAIL; // 0xc1: never used
  }
}

function float(v: number): unknown {
  return Number.isFinite(v) ? v : { $float: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
}

function readStr(n: number): string {
  need(n);
  const s = p;
  p += n;
  if (n < 64) {
    // short strings: plain ASCII needs no UTF-8 decoding
    for (let i = s; i < p; i++) if (src[i] >= 0x80) return utf8Slice(buf, base + s, base + p);
    return latin1Slice(buf, base + s, base + p);
  }
  return utf8Slice(buf, base + s, base + p);
}

function readBin(n: number): unknown {
  need(n);
  p += n;
  return { $bin: buf.toString('base64', base + p - n, base + p) };
}

function readExt(n: number, type: number): unknown {
  need(n);
  p += n;
  if (type === -1) {
    const t = timestamp(p - n, n);
    if (t !== null) return t;
  }
  return { $ext: type, data: buf.toString('base64', base + p - n, base + p) };
}

/** MessagePack timestamp (ext −1: 32, 64 or 96 bit) as an ISO 8601 string, or null. */
function timestamp(at: number, n: number): string | null {
  let sec: number;
  let ns = 0;
  if (n === 4) sec = view.getUint32(base + at);
  else if (n === 8) {
    const hi = view.getUint32(base + at);
    ns = hi >>> 2;
    sec = (hi & 3) * 0x100000000 + view.getUint32(base + at + 4);
  } else if (n === 12) {
    ns = view.getUint32(base + at);
    const s = view.getBigInt64(base + at + 4);
    if (s > 8640000000000n || s < -8640000000000n) return null;
    sec = Number(s);
  } else return null;
  if (ns > 999999999) return null;
  return isoTime(sec, ns);
}

/** "2024-01-02T03:04:05Z", "…05.5Z" → ".500Z", nanoseconds kept (groups of 3 digits). */
export function isoTime(sec: number, ns: number): string | null {
  const d = new Date(sec * 1000);
  if (Number.isNaN(d.getTime())) return null;
  const base = d.toISOString().replace(/\.\d{3}Z$/, '');
  if (ns === 0) return base + 'Z';
  let frac = String(ns).padStart(9, '0');
  while (frac.length > 3 && frac.endsWith('000')) frac = frac.slice(0, -3);
  return `${base}.${frac}Z`;
}

function readArray(n: number, depth: number): unknown[] {
  if (n > 0 && depth >= MAX_DEPTH) throw FAIL;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = read(depth + 1);
  return out;
}

// Map keys repeat from message to message: short ASCII keys come from a small cache, so each
// is decoded (and interned as a property name) once.
const KEY_SLOTS = 4096;
const keyBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_SLOTS).fill(undefined);
const keyStrings: string[] = new Array<string>(KEY_SLOTS).fill('');

function readKey(n: number): string {
  p++;
  need(n);
  const s = p;
  p += n;
  if (n === 0) return '';
  // a cheap hash: length, first two and last two bytes; the full compare below decides
  const h = (n * 0x9e3779b1) ^ (src[s] << 3) ^ (src[s + (n > 1 ? 1 : 0)] << 10) ^ (src[p - 1] << 17) ^ (src[p - (n > 1 ? 2 : 1)] << 24);
  const slot = (h ^ (h >>> 13)) & (KEY_SLOTS - 1);
  const kb = keyBytes[slot];
  if (kb !== undefined && kb.length === n) {
    let i = 0;
    while (i < n && kb[i] === src[s + i]) i++;
    if (i === n) return keyStrings[slot];
  }
  for (let i = s; i < p; i++) if (src[i] >= 0x80) return utf8Slice(buf, base + s, base + p);
  const str = latin1Slice(buf, base + s, base + p);
  keyBytes[slot] = src.slice(s, p);
  keyStrings[slot] = str;
  return str;
}

function readMap(n: number, depth: number): unknown {
  if (n > 0 && depth >= MAX_DEPTH) throw FAIL;
  const obj: Record<string, unknown> = {};
  let pairs: unknown[][] | null = null;
  for (let i = 0; i < n; i++) {
    const b = p < src.length ? src[p] : 0;
    const k = b >= 0xa0 && b <= 0xb0 ? readKey(b & 0x1f) : read(depth + 1);
    const v = read(depth + 1);
    if (pairs) {
      pairs.push([k, v]);
    } else if (typeof k === 'string' && (obj[k] === undefined || !Object.prototype.hasOwnProperty.call(obj, k))) {
      // (values are never undefined, so obj[k] === undefined means a new key; otherwise it is
      // a duplicate or an inherited name such as "constructor", which hasOwnProperty tells apart)
      if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
      else obj[k] = v;
    } else {
      pairs = Object.keys(obj).map((key) => [key, obj[key]]);
      pairs.push([k, v]);
    }
  }
  if (pairs) return { $map: pairs };
  if (n === 1) {
    for (const only in obj) if (MARKERS.has(only)) return { $map: [[only, obj[only]]] };
  }
  return obj;
}

// ---- scanner ----

export type ScanResult = { kind: 'done'; end: number } | { kind: 'more' } | { kind: 'error'; end: number; why: string } | { kind: 'too-large' };

/** Resumable scan of one value: `pos` and `stack` (items left in each open container) persist. */
export class Scanner {
  pos = 0;
  private stack: number[] = [1];

  reset(): void {
    this.pos = 0;
    this.stack = [1];
  }

  scan(d: Uint8Array, maxLen: number): ScanResult {
    const st = this.stack;
    for (;;) {
      if (this.pos > maxLen) return { kind: 'too-large' };
      if (st.length === 0) return this.pos <= d.length ? { kind: 'done', end: this.pos } : { kind: 'more' };
      const at = this.pos;
      if (at >= d.length) return { kind: 'more' };
      const b = d[at];
      let size = 1;
      let children = 0;
      let hdr = 1;
      let lenBytes = 0;
      let kind: 'len' | 'count' | 'pairs' | 'fixed' = 'fixed';
      if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) size = 1;
      else if (b < 0x90) children = (b & 0x0f) * 2;
      else if (b < 0xa0) children = b & 0x0f;
      else if (b < 0xc0) size = 1 + (b & 0x1f);
      else if (b === 0xc1) return { kind: 'error', end: at + 1, why: 'byte 0xc1 is never used in MessagePack' };
      else {
        switch (b) {
          case 0xc4:
          case 0xd9:
            hdr = 2;
            lenBytes = 1;
            kind = 'len';
            break;
          case 0xc5:
          case 0xda:
            hdr = 3;
            lenBytes = 2;
            kind = 'len';
            break;
          case 0xc6:
          case 0xdb:
            hdr = 5;
            lenBytes = 4;
            kind = 'len';
            break;
          case 0xc7:
            hdr = 3;
            lenBytes = 1;
            kind = 'len';
            break;
          case 0xc8:
            hdr = 4;
            lenBytes = 2;
            kind = 'len';
            break;
          case 0xc9:
            hdr = 6;
            lenBytes = 4;
            kind = 'len';
            break;
          case 0xca:
            size = 5;
            break;
          case 0xcb:
            size = 9;
            break;
          case 0xcc:
          case 0xd0:
            size = 2;
            break;
          case 0xcd:
          case 0xd1:
            size = 3;
            break;
          case 0xce:
          case 0xd2:
            size = 5;
            break;
          case 0xcf:
          case 0xd3:
            size = 9;
            break;
          case 0xd4:
            size = 3;
            break;
          case 0xd5:
            size = 4;
            break;
          case 0xd6:
            size = 6;
            break;
          case 0xd7:
            size = 10;
            break;
          case 0xd8:
            size = 18;
            break;
          case 0xdc:
            hdr = 3;
            lenBytes = 2;
            kind = 'count';
            break;
          case 0xdd:
            hdr = 5;
            lenBytes = 4;
            kind = 'count';
            break;
          case 0xde:
            hdr = 3;
            lenBytes = 2;
            kind = 'pairs';
            break;
          case 0xdf:
            hdr = 5;
            lenBytes = 4;
            kind = 'pairs';
            break;
        }
        if (kind !== 'fixed') {
          if (at + hdr > d.length) return { kind: 'more' };
          let n = 0;
          for (let i = 1; i <= lenBytes; i++) n = n * 256 + d[at + i];
          if (n > maxLen) return { kind: 'error', end: at + hdr, why: `length ${n} exceeds the limit of ${maxLen} bytes` };
          if (kind === 'len') size = hdr + n;
          else {
            size = hdr;
            children = kind === 'pairs' ? n * 2 : n;
          }
        }
      }
      this.pos = at + size;
      st[st.length - 1]--;
      if (children > 0) {
        if (st.length > MAX_DEPTH) return { kind: 'error', end: at + 1, why: `nesting deeper than ${MAX_DEPTH}` };
        st.push(children);
      }
      while (st.length > 0 && st[st.length - 1] === 0) st.pop();
    }
  }
}
