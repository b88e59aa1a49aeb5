// Struct layouts for shared memory regions: a list of typed fields ("u32 counter, u64 ts,
// char[16] name") parsed once, then decoded from a region's bytes into named values, each with
// the byte range it came from. Fields are packed in order with no implicit padding (C and Go
// structs pad for alignment: say so with `pad[N]`). Integers are little-endian unless the type
// ends in `be`; 64-bit integers are exact (bigint).
import { UserError } from '../util/errors';
import type { FieldRange } from '../types';

export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64';

export interface LayoutField {
  /** Empty for pad[N]. */
  name: string;
  kind: 'scalar' | 'char' | 'bytes' | 'pad';
  /** For scalars. */
  type?: ScalarType;
  bigEndian: boolean;
  /** Array length for scalars (undefined: a single value); byte count for char/bytes/pad. */
  count?: number;
  offset: number;
  size: number;
}

export interface Layout {
  text: string;
  fields: LayoutField[];
  size: number;
}

const SIZES: Record<ScalarType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4, i64: 8, f32: 4, f64: 8 };
const TYPE_NAMES = 'u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 (suffix be/le), char[N], bytes[N], pad[N]; TYPE[N] for arrays';
const MAX_COUNT = 1 << 20;

function bad(item: string, why: string): UserError {
  return new UserError(`bad --layout field "${item}": ${why} (fields: TYPE NAME, comma-separated; types: ${TYPE_NAMES})`, 1);
}

/** Parse a layout; throws UserError (exit code 1) naming the field at fault. */
export function parseLayout(text: string): Layout {
  const items = text
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new UserError('--layout is empty: give fields like "u32 counter, u64 ts, char[16] name"', 1);
  const fields: LayoutField[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const item of items) {
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:\[\s*(\d+)\s*\])?\s*([A-Za-z_][A-Za-z0-9_.]*)?$/.exec(item);
    if (!m) throw bad(item, 'expected TYPE NAME or TYPE[N] NAME');
    const typeText = m[1]!.toLowerCase();
    const count = m[2] !== undefined ? Number(m[2]) : undefined;
    const name = m[3] ?? '';
    if (count !== undefined && (count < 1 || count > MAX_COUNT)) throw bad(item, `the count must be 1 to ${MAX_COUNT}`);
    let field: LayoutField;
    if (typeText === 'char' || typeText === 'bytes' || typeText === 'pad') {
      if (count === undefined) throw bad(item, `${typeText} needs a size, e.g. ${typeText}[16]`);
      field = { name, kind: typeText, bigEndian: false, count, offset, size: count };
    } else {
      const sm = /^([ui](?:8|16|32|64)|f32|f64)(be|le)?$/.exec(typeText);
      if (!sm) throw bad(item, `unknown type "${m[1]}"`);
      const type = sm[1] as ScalarType;
      const size = SIZES[type] * (count ?? 1);
      field = { name, kind: 'scalar', type, bigEndian: sm[2] === 'be', count, offset, size };
    }
    if (field.kind !== 'pad') {
      if (!name) throw bad(item, 'the field needs a name');
      if (names.has(name)) throw bad(item, `"${name}" is named twice`);
      names.add(name);
    } else if (name) {
      throw bad(item, 'pad[N] takes no name');
    }
    fields.push(field);
    offset += field.size;
  }
  return { text, fields, size: offset };
}

/** The named values a layout reads from `bytes` (fields past the end are left out), with the
 *  byte range of each value relative to `bytes` (shifted by `base`) under `pathPrefix`. */
export function decodeLayout(layout: Layout, bytes: Uint8Array, base = 0, pathPrefix = '/fields'): { values: Record<string, unknown>; ranges: FieldRange[]; missing: string[] } {
  const values: Record<string, unknown> = {};
  const ranges: FieldRange[] = [];
  const missing: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const f of layout.fields) {
    if (f.kind === 'pad') continue;
    if (f.offset + f.size > bytes.length) {
      missing.push(f.name);
      continue;
    }
    const path = `${pathPrefix}/${escapePointer(f.name)}`;
    ranges.push({ path, start: base + f.offset, end: base + f.offset + f.size });
    if (f.kind === 'char') {
      const raw = bytes.subarray(f.offset, f.offset + f.size);
      const nul = raw.indexOf(0);
      values[f.name] = Buffer.from(raw.subarray(0, nul < 0 ? raw.length : nul)).toString('utf8');
    } else if (f.kind === 'bytes') {
      values[f.name] = Buffer.from(bytes.subarray(f.offset, f.offset + f.size)).toString('hex');
    } else if (f.count === undefined) {
      values[f.name] = readScalar(view, f.offset, f.type!, f.bigEndian);
    } else {
      const one = SIZES[f.type!];
      const arr: unknown[] = [];
      for (let i = 0; i < f.count; i++) {
        arr.push(readScalar(view, f.offset + i * one, f.type!, f.bigEndian));
        ranges.push({ path: `${path}/${i}`, start: base + f.offset + i * one, end: base + f.offset + (i + 1) * one });
      }
      values[f.name] = arr;
    }
  }
  return { values, ranges, missing };
}

function readScalar(v: DataView, at: number, type: ScalarType, be: boolean): unknown {
  const le = !be;
  switch (type) {
    case 'u8':
      return v.getUint8(at);
    case 'i8':
      return v.getInt8(at);
    case 'u16':
      return v.getUint16(at, le);
    case 'i16':
      return v.getInt16(at, le);
    case 'u32':
      return v.getUint32(at, le);
    case 'i32':
      return v.getInt32(at, le);
    case 'u64':
      return v.getBigUint64(at, le);
    case 'i64':
      return v.getBigInt64(at, le);
    case 'f32':
      return finite(v.getFloat32(at, le));
    case 'f64':
      return finite(v.getFloat64(at, le));
  }
}

/** JSON has no NaN or Infinity: those are given as strings. */
function finite(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** "counter 3→4, name "a"→"b"": the fields whose values differ between two decodes. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(after)) {
    const a = show(before[k]);
    const b = show(v);
    if (a !== b) out.push(`${k} ${a}→${b}`);
  }
  return out;
}

function show(v: unknown): string {
  if (v === undefined) return '?';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 39) + '…' : v);
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  return String(v);
}
