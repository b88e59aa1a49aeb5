// Encoding values back into gob messages, for the types a stream already defined: the inverse of
// value.ts. A value is given as the decoder shows it (encoding/json's form of the receiver's
// value); fields the sender would omit (zero numbers, "", false, empty slices, nil maps, pointers
// and interfaces) are omitted, as Go's encoder does, so an unedited value encodes to the bytes it
// was decoded from. What the shown value does not carry comes from WireHints: the order of map
// entries on the wire (Go's is random; new keys go last, sorted) and the type ids of interface
// values (else looked up by their concrete names in `concrete`).
import { UserError } from '../../util/errors';
import { ZERO_TIME } from './extern';
import type { GobType, TypeTable } from './types';
import type { WireHints } from './value';

export interface GobEncodeOptions {
  /** Concrete type names of interface values, by JSON pointer (a decoded frame's `concrete`). */
  concrete?: Record<string, string>;
  /** From decoding the original value: map entry order and interface type ids. */
  wire?: WireHints;
  /** Type ids of concrete type names seen in the stream (interface values added by an edit). */
  names?: Map<string, number>;
  /** Ids of types the original value defined inside itself (new concrete types of interfaces). */
  definedInside?: Set<number>;
}

const BASIC_NAMES: Record<string, number> = { bool: 1, int: 2, int64: 2, uint: 3, float64: 4, '[]uint8': 5, string: 6, complex128: 7 };

class Out {
  private chunks: Uint8Array[] = [];
  private small: number[] = [];
  length = 0;

  byte(b: number): void {
    this.small.push(b);
    this.length++;
  }

  bytes(b: Uint8Array): void {
    this.flush();
    this.chunks.push(b);
    this.length += b.length;
  }

  private flush(): void {
    if (this.small.length) {
      this.chunks.push(Uint8Array.from(this.small));
      this.small = [];
    }
  }

  done(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}

function bad(at: string, what: string): UserError {
  return new UserError(`gob: ${at || 'the value'}: ${what}`);
}

function writeUint(o: Out, v: bigint): void {
  if (v < 128n) {
    o.byte(Number(v));
    return;
  }
  const b: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) b.unshift(Number(x & 0xffn));
  o.byte(256 - b.length);
  for (const x of b) o.byte(x);
}

function toBig(v: unknown, at: string, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw bad(at, `expected ${what}, got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v) ?? String(v)}`);
}

const U64 = (1n << 64n) - 1n;

function writeInt(o: Out, v: bigint, at: string): void {
  if (v < -(1n << 63n) || v >= 1n << 63n) throw bad(at, `${v} does not fit an int64`);
  writeUint(o, v < 0n ? ((~v << 1n) | 1n) & U64 : v << 1n);
}

const f64 = new DataView(new ArrayBuffer(8));

function toFloat(v: unknown, at: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === 'NaN') return NaN;
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  throw bad(at, `expected a number, got ${JSON.stringify(v)}`);
}

/** A float: its IEEE bits byte-reversed, sent as a uint. */
function writeFloat(o: Out, f: number): void {
  f64.setFloat64(0, f, true); // little-endian bytes = the reversed big-endian ones
  writeUint(o, f64.getBigUint64(0, false));
}

/** "(1+2i)", "(-1.5e+06-2i)", "(1NaNi)", "(1++Infi)": Go's rendering of a complex number. */
function parseComplex(v: unknown, at: string): [number, number] {
  if (typeof v === 'number') return [v, 0];
  const m = typeof v === 'string' ? v.match(/^\((NaN|[+-]Inf|[+-]?[\d.]+(?:e[+-]?\d+)?)\+?([+-]?(?:NaN|Inf|[\d.]+(?:e[+-]?\d+)?))i\)$/) : null;
  if (!m) throw bad(at, `expected a complex number such as "(1+2i)", got ${JSON.stringify(v)}`);
  const part = (s: string) => (s.endsWith('Inf') ? (s.startsWith('-') ? -Infinity : Infinity) : s === 'NaN' ? NaN : Number(s));
  return [part(m[1]!), part(m[2]!)];
}

function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function base64Bytes(v: unknown, at: string): Uint8Array {
  if (v === null || v === undefined) return new Uint8Array(0);
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw bad(at, 'expected base64 text (a []byte as encoding/json shows it) or null');
  return Buffer.from(v, 'base64');
}

// ---- self-encoded values (GobEncoder, BinaryMarshaler, TextMarshaler) --------------------------

const UNIX_TO_INTERNAL = 62135596800n;

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** RFC 3339 text → time.Time's MarshalBinary ("Z" is UTC). */
export function encodeGobTime(s: string, at = ''): Uint8Array {
  const m = s.match(/^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|([+-])(\d\d):(\d\d)(?::(\d\d))?)$/);
  if (!m) throw bad(at, `expected an RFC 3339 time such as "2024-01-02T15:04:05Z", got ${JSON.stringify(s)}`);
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  const local = BigInt(days) * 86400n + BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]));
  const nsec = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  let offset = 0;
  if (m[8] !== 'Z') offset = (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60 + Number(m[12] ?? 0));
  const sec = local - BigInt(offset) + UNIX_TO_INTERNAL;
  const v2 = offset % 60 !== 0;
  const b = new DataView(new ArrayBuffer(v2 ? 16 : 15));
  b.setUint8(0, v2 ? 2 : 1);
  b.setBigInt64(1, sec);
  b.setInt32(9, nsec);
  b.setInt16(13, m[8] === 'Z' ? -1 : Math.trunc(offset / 60));
  if (v2) b.setInt8(15, offset % 60);
  return new Uint8Array(b.buffer);
}

function magnitudeBytes(v: bigint): number[] {
  const out: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return out;
}

/** math/big.Int's GobEncode. */
export function encodeBigInt(v: bigint): Uint8Array {
  return Uint8Array.from([(1 << 1) | (v < 0n ? 1 : 0), ...magnitudeBytes(v < 0n ? -v : v)]);
}

/** math/big.Rat's GobEncode, from "N" or "N/D". */
export function encodeBigRat(s: string, at = ''): Uint8Array {
  const m = s.match(/^(-?)(\d+)(?:\/(\d+))?$/);
  if (!m) throw bad(at, `expected a rational number such as "3/4", got ${JSON.stringify(s)}`);
  const num = magnitudeBytes(BigInt(m[2]!));
  const den = m[3] && BigInt(m[3]) !== 1n ? magnitudeBytes(BigInt(m[3])) : [];
  const n = num.length;
  return Uint8Array.from([(1 << 1) | (m[1] && BigInt(m[2]!) !== 0n ? 1 : 0), (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...num, ...den]);
}

function externalBytes(t: Extract<GobType, { kind: 'external' }>, v: unknown, at: string): Uint8Array {
  if (t.flavor === 'TextMarshaler') {
    if (typeof v !== 'string') throw bad(at, `expected the text of a ${t.name || 'TextMarshaler'}`);
    return utf8(v);
  }
  if (t.flavor === 'GobEncoder') {
    if (t.name === 'Time' && typeof v === 'string') return encodeGobTime(v, at);
    if ((t.name === 'Int' || t.name === '') && (typeof v === 'number' || typeof v === 'bigint')) return encodeBigInt(toBig(v, at, 'an integer'));
    if ((t.name === 'Rat' || t.name === '') && typeof v === 'string' && /^-?\d+(\/\d+)?$/.test(v)) return encodeBigRat(v, at);
  }
  return base64Bytes(v, at);
}

// ---- values -------------------------------------------------------------------------------------

function segment(k: string): string {
  return '/' + k.replace(/~/g, '~0').replace(/\//g, '~1');
}

export class GobEncoder {
  constructor(
    private readonly types: TypeTable,
    private readonly opts: GobEncodeOptions = {},
  ) {}

  /** A whole message (byte count, type id, value) holding `value` of type `id`. */
  message(id: number, value: unknown): Buffer {
    const body = new Out();
    writeInt(body, BigInt(id), '');
    this.top(body, id, value, '');
    const o = new Out();
    writeUint(o, BigInt(body.length));
    o.bytes(body.done());
    return o.done();
  }

  private type(id: number, at: string): GobType {
    const t = this.types.get(id);
    if (!t) throw bad(at, `type ${id} is not defined in the capture`);
    return t;
  }

  /** A value as sent at top level or inside an interface. */
  private top(o: Out, id: number, v: unknown, at: string): void {
    const t = this.type(id, at);
    if (t.kind === 'struct') return this.struct(o, t, v, at);
    o.byte(0);
    this.value(o, t, v, at);
  }

  /** Whether a struct field holding `v` is left out (the zero value of its type). */
  private omitted(t: GobType, v: unknown): boolean {
    if (v === null || v === undefined) return true;
    switch (t.kind) {
      case 'bool':
        return v === false;
      case 'int':
      case 'uint':
        return v === 0 || v === 0n || v === '0';
      case 'float':
        return v === 0 || v === 0n;
      case 'complex':
        if (v === 0) return true;
        try {
          const [re, im] = parseComplex(v, '');
          return re === 0 && im === 0;
        } catch {
          return false;
        }
      case 'string':
        return v === '';
      case 'bytes':
        return v === '';
      case 'slice':
        return Array.isArray(v) && v.length === 0;
      case 'external':
        return (t.name === 'Time' && v === ZERO_TIME) || v === '';
      default:
        return false;
    }
  }

  private struct(o: Out, t: Extract<GobType, { kind: 'struct' }>, v: unknown, at: string): void {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(at, `expected an object for ${t.name || 'a struct'}`);
    const obj = v as Record<string, unknown>;
    const known = new Set(t.fields.map((f) => f.name));
    for (const k of Object.keys(obj)) if (!known.has(k)) throw bad(at, `${t.name || 'the struct'} has no field ${JSON.stringify(k)} (fields: ${[...known].join(', ')})`);
    let last = -1;
    t.fields.forEach((f, i) => {
      const fv = Object.hasOwn(obj, f.name) ? obj[f.name] : undefined;
      const ft = this.type(f.id, at + segment(f.name));
      if (this.omitted(ft, fv)) return;
      writeUint(o, BigInt(i - last));
      last = i;
      this.value(o, ft, fv, at + segment(f.name));
    });
    o.byte(0);
  }

  private value(o: Out, t: GobType, v: unknown, at: string): void {
    switch (t.kind) {
      case 'bool':
        if (typeof v !== 'boolean') throw bad(at, 'expected true or false');
        o.byte(v ? 1 : 0);
        return;
      case 'int':
        writeInt(o, toBig(v, at, 'an integer'), at);
        return;
      case 'uint': {
        const u = toBig(v, at, 'an unsigned integer');
        if (u < 0n || u > U64) throw bad(at, `${u} does not fit a uint64`);
        writeUint(o, u);
        return;
      }
      case 'float':
        writeFloat(o, toFloat(v, at));
        return;
      case 'complex': {
        const [re, im] = parseComplex(v, at);
        writeFloat(o, re);
        writeFloat(o, im);
        return;
      }
      case 'string': {
        if (typeof v !== 'string') throw bad(at, 'expected a string');
        const b = utf8(v);
        writeUint(o, BigInt(b.length));
        o.bytes(b);
        return;
      }
      case 'bytes': {
        const b = base64Bytes(v, at);
        writeUint(o, BigInt(b.length));
        o.bytes(b);
        return;
      }
      case 'external': {
        const b = (typeof v === 'string' ? this.opts.wire?.externals?.get(`${t.name}\0${v}`) : undefined) ?? externalBytes(t, v, at);
        writeUint(o, BigInt(b.length));
        o.bytes(b);
        return;
      }
      case 'struct':
        this.struct(o, t, v, at);
        return;
      case 'slice':
      case 'array': {
        const items = v === null || v === undefined ? [] : v;
        if (!Array.isArray(items)) throw bad(at, 'expected an array');
        if (t.kind === 'array' && items.length !== t.len) throw bad(at, `expected ${t.len} elements, got ${items.length}`);
        writeUint(o, BigInt(items.length));
        const et = this.type(t.elem, at);
        items.forEach((x, i) => this.value(o, et, x, `${at}/${i}`));
        return;
      }
      case 'map': {
        const m = v === null || v === undefined ? {} : v;
        if (typeof m !== 'object' || Array.isArray(m)) throw bad(at, 'expected an object (a map)');
        const obj = m as Record<string, unknown>;
        const kt = this.type(t.key, at);
        const et = this.type(t.elem, at);
        const keys = Object.keys(obj);
        const wireOrder = this.opts.wire?.maps.get(at)?.filter((k) => Object.hasOwn(obj, k)) ?? [];
        const seen = new Set(wireOrder);
        const order = [...wireOrder, ...keys.filter((k) => !seen.has(k))];
        writeUint(o, BigInt(order.length));
        for (const k of order) {
          this.value(o, kt, this.mapKey(kt, k, at), at);
          this.value(o, et, obj[k], at + segment(k));
        }
        return;
      }
      case 'interface':
        this.iface(o, v, at);
        return;
    }
  }

  /** A map key as shown (a string) back to a value of the key type. */
  private mapKey(kt: GobType, k: string, at: string): unknown {
    switch (kt.kind) {
      case 'string':
      case 'external':
      case 'complex':
        return k;
      case 'int':
      case 'uint':
        return toBig(k, `${at} key`, 'an integer key');
      case 'float':
        return k === 'NaN' || k.endsWith('Inf') ? k : Number(k);
      case 'bool':
        if (k !== 'true' && k !== 'false') throw bad(at, `expected a key true or false, got ${JSON.stringify(k)}`);
        return k === 'true';
      default:
        try {
          return JSON.parse(k);
        } catch {
          throw bad(at, `the key ${JSON.stringify(k)} is not JSON for a ${kt.kind} key`);
        }
    }
  }

  private iface(o: Out, v: unknown, at: string): void {
    if (v === null || v === undefined) {
      o.byte(0);
      return;
    }
    const ptr = at || '/';
    const name = this.opts.concrete?.[ptr];
    if (name === undefined) throw bad(at, `an interface value needs its concrete type: add "${ptr}": "TypeName" to concrete`);
    const id = this.opts.wire?.ifaces.get(ptr) ?? this.opts.names?.get(name) ?? BASIC_NAMES[name];
    if (id === undefined) throw bad(at, `the concrete type ${name} was not sent in the capture before`);
    const b = utf8(name);
    writeUint(o, BigInt(b.length));
    o.bytes(b);
    if (this.opts.definedInside?.has(id))
      throw bad(
        at,
        `the concrete type ${name} is defined inside this very message in the capture; writing type definitions inside a value is not supported: edit a later message of the same type, or the bytes (--hex)`,
      );
    writeInt(o, BigInt(id), at);
    const inner = new Out();
    this.top(inner, id, v, at);
    writeUint(o, BigInt(inner.length));
    o.bytes(inner.done());
  }
}
