// Encoding protobuf messages back from what the decoder shows: typed (a .proto type, via
// protobufjs) or schema-less ({fields: [...]} as ./wire.ts reads them). Schema-less fields carry
// several readings of one value; the one edited (the reading that differs from the original
// decoding) is encoded, else the first of: uint, double/float, message, string, bytes.
import type protobuf from 'protobufjs';
import { UserError } from '../../util/errors';

/** bigints (exact 64-bit integers) as decimal strings, which protobufjs takes for 64-bit fields. */
function longsAsStrings(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(longsAsStrings);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = longsAsStrings(x);
    return o;
  }
  return v;
}

/** Whether `v` is the default of a field without presence (a proto3 scalar or enum that is not
 *  `optional`): such a field is not on the wire, whatever the decoder showed for it. */
function isImplicitDefault(field: protobuf.Field, v: unknown): boolean {
  if (field.hasPresence || field.repeated || field.map) return false;
  if (v === '' || v === 0 || v === '0' || v === false || v === null) return true;
  // (an enum's zero value by name)
  const values = (field.resolvedType as { values?: Record<string, number> } | null)?.values;
  return typeof v === 'string' && values !== undefined && values[v] === 0;
}

/** `obj` without the fields a canonical encoder leaves out (see isImplicitDefault), in nested
 *  messages too, so that an unedited value encodes to the bytes it was decoded from. */
function withoutDefaults(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const field = type.fields[k];
    if (field && isImplicitDefault(field, v)) continue;
    const sub = field?.resolvedType;
    if (sub && 'fields' in sub && v && typeof v === 'object') {
      const t = sub as protobuf.Type;
      out[k] = Array.isArray(v)
        ? v.map((x: unknown) => (x && typeof x === 'object' ? withoutDefaults(t, x as Record<string, unknown>) : x))
        : field.map
          ? v
          : withoutDefaults(t, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

/** A typed message's bytes. */
export function encodeTypedProtobuf(type: protobuf.Type, value: unknown): Uint8Array {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${type.name}: expected a JSON object`);
  type.resolveAll();
  const obj = withoutDefaults(type, longsAsStrings(value) as Record<string, unknown>);
  for (const k of Object.keys(obj))
    if (!type.fields[k] && !type.oneofs?.[k]) throw new UserError(`${type.name} has no field ${JSON.stringify(k)} (fields: ${Object.keys(type.fields).join(', ')})`);
  const why = type.verify(type.fromObject(obj));
  if (why) throw new UserError(`${type.name}: ${why}`);
  return type.encode(type.fromObject(obj)).finish();
}

class W {
  readonly b: number[] = [];
  varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.b.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.b.push(Number(x));
  }
  tag(n: number, wt: number): void {
    this.varint((BigInt(n) << 3n) | BigInt(wt));
  }
  raw(bytes: Uint8Array | number[]): void {
    for (const x of bytes) this.b.push(x);
  }
}

interface RawField {
  n: number;
  wire: string;
  [reading: string]: unknown;
}

const WT: Record<string, number> = { varint: 0, i64: 1, len: 2, group: 3, i32: 5 };

function int(v: unknown, at: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new UserError(`protobuf ${at}: expected an integer, got ${JSON.stringify(v)}`);
}

function num(v: unknown, at: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new UserError(`protobuf ${at}: expected a number, got ${JSON.stringify(v)}`);
}

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) === JSON.stringify(b, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** The reading to encode: the first of `keys` that differs from the original field, else the first present. */
function pick(f: RawField, orig: RawField | undefined, keys: string[]): string | undefined {
  if (orig && orig.n === f.n && orig.wire === f.wire) for (const k of keys) if (k in f && !same(f[k], orig[k])) return k;
  return keys.find((k) => k in f && f[k] !== undefined);
}

function fieldsOf(m: unknown, at: string): RawField[] {
  const fields = (m as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) throw new UserError(`protobuf ${at || 'message'}: expected {"fields": [...]} (the schema-less form)`);
  return fields as RawField[];
}

function writeRaw(w: W, m: unknown, orig: unknown, at: string): void {
  const fields = fieldsOf(m, at);
  const ofields = orig ? fieldsOf(orig, at) : [];
  fields.forEach((f, i) => {
    const here = `${at}/fields/${i}`;
    const o = ofields[i];
    if (typeof f?.n !== 'number' || !(f.wire in WT)) throw new UserError(`protobuf ${here}: a field needs "n" and "wire" (varint, i64, len, i32, group)`);
    switch (f.wire) {
      case 'varint': {
        const k = pick(f, o, ['uint', 'int', 'sint']);
        if (!k) throw new UserError(`protobuf ${here}: a varint needs "uint"`);
        const v = int(f[k], here);
        w.tag(f.n, 0);
        w.varint(k === 'sint' ? (v < 0n ? (-v << 1n) - 1n : v << 1n) : v);
        return;
      }
      case 'i64':
      case 'i32': {
        const wide = f.wire === 'i64';
        const k = pick(f, o, ['uint', 'int', wide ? 'double' : 'float']);
        if (!k) throw new UserError(`protobuf ${here}: needs "uint"`);
        const b = Buffer.alloc(wide ? 8 : 4);
        if (k === 'double') b.writeDoubleLE(num(f[k], here));
        else if (k === 'float') b.writeFloatLE(num(f[k], here));
        else if (wide) b.writeBigUInt64LE(BigInt.asUintN(64, int(f[k], here)));
        else b.writeUInt32LE(Number(BigInt.asUintN(32, int(f[k], here))));
        w.tag(f.n, WT[f.wire]!);
        w.raw(b);
        return;
      }
      case 'len': {
        const k = pick(f, o, ['message', 'string', 'bytes', 'packed']);
        if (!k) throw new UserError(`protobuf ${here}: a len field needs "message", "string" or "bytes"`);
        let body: Uint8Array | number[];
        if (k === 'message') {
          const inner = new W();
          writeRaw(inner, f.message, o && o.n === f.n && o.wire === f.wire ? o.message : undefined, `${here}/message`);
          body = inner.b;
        } else if (k === 'string') body = Buffer.from(String(f.string), 'utf8');
        else if (k === 'bytes') body = Buffer.from(String(f.bytes), 'base64');
        else {
          const p = new W();
          for (const x of f.packed as unknown[]) p.varint(int(x, here));
          body = p.b;
        }
        w.tag(f.n, 2);
        w.varint(BigInt(body.length));
        w.raw(body);
        return;
      }
      case 'group':
        w.tag(f.n, 3);
        writeRaw(w, f.message, o?.message, `${here}/message`);
        w.tag(f.n, 4);
        return;
    }
  });
}

/** A schema-less message's bytes; `original` (its decoding before the edit) tells which reading changed. */
export function encodeRawProtobuf(value: unknown, original?: unknown): Uint8Array {
  const w = new W();
  writeRaw(w, value, original, '');
  return Uint8Array.from(w.b);
}
