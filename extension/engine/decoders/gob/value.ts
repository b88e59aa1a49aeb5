// Decoding gob values into what Go's encoding/json prints for the receiver's value:
// structs as objects in declared order with omitted fields restored as the receiver sees them,
// maps as objects with string keys in sorted order, []byte as base64, interfaces as their
// concrete value, nil and empty slices as null (a gob receiver decodes both to nil).
import { externalZero, renderExternal } from './extern';
import { decodeUtf8, GobError, type Reader } from './reader';
import { describeType, type GobType, type TypeTable } from './types';
import { parseWireType } from './wiretype';
import { mapKeyString, sortKeys } from './render';
import type { FieldRange } from '../../types';

export interface ValueContext {
  readonly types: TypeTable;
  readonly r: Reader;
  readonly maxDepth: number;
  depth: number;
  /** Path segments from the top value to the value being decoded (JSON-pointer style). */
  readonly path: string[];
  /** Concrete type names of interface values, by path. */
  concrete: Record<string, string> | undefined;
  /** Types defined inside this value (interface values whose concrete type was new). */
  defined: Record<string, unknown>[] | undefined;
  /** When set: where each field, element and map value lies (reader positions, by path). */
  ranges?: FieldRange[] | undefined;
  /** With ranges: the JSON pointer of the value being decoded ('' for the top value). */
  prefix?: string;
  /** When set (with ranges): what an encoder needs to write the value back as it came. */
  wire?: WireHints | undefined;
}

/** What the decoded value does not carry but the bytes did: map entries in wire order (keys as
 *  shown, by the map's JSON pointer) and the type ids of interface values (by the pointer of
 *  `concrete`). */
export interface WireHints {
  maps: Map<string, string[]>;
  ifaces: Map<string, number>;
  /** Self-encoded values whose shown form drops details (a time zone's seconds): the bytes
   *  by "type name NUL shown value". */
  externals?: Map<string, Uint8Array>;
}

/** Ranges recorded per message at most (a huge value still shows its first fields). */
const MAX_RANGES = 512;

/** Record the bytes from `start` to the reader's position as the value at `path`. */
function mark(rs: FieldRange[], path: string, start: number, end: number): void {
  if (rs.length < MAX_RANGES) rs.push({ path, start, end });
}

/** "/key", escaped as a JSON pointer segment. */
function segment(k: string): string {
  return '/' + (k.includes('~') || k.includes('/') ? escapePointer(k) : k);
}

/** Decode the value at pointer `path` (ranges wanted): sets ctx.prefix around it and records it. */
function tracked<T>(ctx: ValueContext, path: string, decode: () => T): T {
  const saved = ctx.prefix;
  const start = ctx.r.pos;
  ctx.prefix = path;
  const v = decode();
  ctx.prefix = saved;
  mark(ctx.ranges!, path, start, ctx.r.pos);
  return v;
}

export function definedBefore(id: number): string {
  return `type ${id} was defined before the capture started`;
}

function typeOf(ctx: ValueContext, id: number): GobType {
  const t = ctx.types.get(id);
  if (!t) throw new GobError(definedBefore(id));
  return t;
}

function setKey(obj: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}

/** A value as sent at top level or inside an interface: structs directly, others after a 0 delta. */
export function decodeTop(ctx: ValueContext, id: number): unknown {
  const t = typeOf(ctx, id);
  if (t.kind === 'struct') return decodeStruct(ctx, t);
  const delta = ctx.r.count('delta');
  if (delta !== 0) throw new GobError(`corrupted data: non-zero delta ${delta} before a single value`);
  return decodeValue(ctx, id, t);
}

export function decodeValue(ctx: ValueContext, id: number, t: GobType = typeOf(ctx, id)): unknown {
  const r = ctx.r;
  switch (t.kind) {
    case 'bool':
      return r.uint() !== 0;
    case 'int':
      return r.int();
    case 'uint':
      return r.uint();
    case 'float': {
      // encoding/json refuses NaN and ±Inf; they are shown as Go prints them, as strings.
      const f = r.float();
      return Number.isFinite(f) ? f : goFloat(f);
    }
    case 'complex':
      return formatComplex(r.float(), r.float());
    case 'string':
      return r.string();
    case 'bytes':
      return r.base64('[]byte');
    case 'interface':
      enter(ctx);
      try {
        return decodeInterface(ctx);
      } finally {
        ctx.depth--;
      }
    case 'struct':
      enter(ctx);
      try {
        return decodeStruct(ctx, t);
      } finally {
        ctx.depth--;
      }
    case 'slice': {
      const n = r.count('slice length');
      if (n === 0) return null;
      enter(ctx);
      try {
        return decodeElems(ctx, t.elem, n);
      } finally {
        ctx.depth--;
      }
    }
    case 'array': {
      const n = r.count('array length');
      if (n !== t.len) throw new GobError(`array length ${n} does not match the type's ${t.len}`);
      enter(ctx);
      try {
        return decodeElems(ctx, t.elem, n);
      } finally {
        ctx.depth--;
      }
    }
    case 'map': {
      const n = r.count('map length');
      enter(ctx);
      try {
        return decodeMap(ctx, t.key, t.elem, n);
      } finally {
        ctx.depth--;
      }
    }
    case 'external': {
      const b = r.lenBytes(t.name || 'encoded value');
      const shown = renderExternal(t.name, t.flavor, b);
      if (ctx.wire && typeof shown === 'string') {
        const key = `${t.name}\0${shown}`;
        if (!ctx.wire.externals?.has(key)) (ctx.wire.externals ??= new Map()).set(key, b.slice());
      }
      return shown;
    }
  }
}

/** One level deeper; the caller decrements ctx.depth when done. */
function enter(ctx: ValueContext): void {
  if (++ctx.depth > ctx.maxDepth) {
    ctx.depth--;
    throw new GobError(`values nested deeper than ${ctx.maxDepth} levels`);
  }
}

const SCALAR = new Set(['bool', 'int', 'uint', 'float', 'complex', 'string', 'bytes', 'external']);

function tooFew(n: number, i: number): GobError {
  return new GobError(`${n} elements claimed but the message ended after ${i}`);
}

function decodeElems(ctx: ValueContext, elem: number, n: number): unknown[] {
  const t = typeOf(ctx, elem);
  const r = ctx.r;
  const out: unknown[] = [];
  // Every element takes at least one byte of the current message: bounds hostile counts.
  switch (t.kind) {
    case 'int':
      for (let i = 0; i < n; i++) {
        if (r.pos >= r.end) throw tooFew(n, i);
        out.push(r.int());
      }
      return out;
    case 'uint':
      for (let i = 0; i < n; i++) {
        if (r.pos >= r.end) throw tooFew(n, i);
        out.push(r.uint());
      }
      return out;
    case 'string':
      for (let i = 0; i < n; i++) {
        if (r.pos >= r.end) throw tooFew(n, i);
        out.push(r.string());
      }
      return out;
    case 'bool':
      for (let i = 0; i < n; i++) {
        if (r.pos >= r.end) throw tooFew(n, i);
        out.push(r.uint() !== 0);
      }
      return out;
  }
  if (SCALAR.has(t.kind)) {
    for (let i = 0; i < n; i++) {
      if (r.pos >= r.end) throw tooFew(n, i);
      out.push(decodeValue(ctx, elem, t));
    }
    return out;
  }
  const path = ctx.path;
  const prefix = ctx.ranges ? (ctx.prefix ?? '') : undefined;
  for (let i = 0; i < n; i++) {
    if (r.pos >= r.end) throw tooFew(n, i);
    path.push(String(i));
    out.push(prefix === undefined ? decodeValue(ctx, elem, t) : tracked(ctx, `${prefix}/${i}`, () => decodeValue(ctx, elem, t)));
    path.pop();
  }
  return out;
}

function decodeMap(ctx: ValueContext, key: number, elem: number, n: number): Record<string, unknown> {
  const kt = typeOf(ctx, key);
  const et = typeOf(ctx, elem);
  const r = ctx.r;
  const entries = new Map<string, unknown>();
  const order = ctx.wire ? ([] as string[]) : undefined;
  if (order) ctx.wire!.maps.set(ctx.prefix ?? '', order);
  for (let i = 0; i < n; i++) {
    if (r.pos >= r.end) throw new GobError(`${n} map entries claimed but the message ended after ${i}`);
    const k = mapKeyString(decodeValue(ctx, key, kt));
    order?.push(k);
    ctx.path.push(k);
    entries.set(k, ctx.ranges ? tracked(ctx, (ctx.prefix ?? '') + segment(k), () => decodeValue(ctx, elem, et)) : decodeValue(ctx, elem, et));
    ctx.path.pop();
  }
  const out: Record<string, unknown> = {};
  for (const k of sortKeys([...entries.keys()])) setKey(out, k, entries.get(k));
  return out;
}

const MISSING = Symbol('missing');

/** What decoding a struct type needs from the table: its fields' types and zero values. */
interface StructPlan {
  gen: number;
  types: (GobType | undefined)[];
  zeros: unknown[];
  /** Each field's JSON pointer segment ("/Name"), for byte ranges. */
  keys: string[];
  /**
   * No interface can occur inside a value of the struct, so the table cannot change while one
   * is decoded: an omitted field's zero value is final as soon as the field is passed.
   */
  fixed: boolean;
}

/** The struct's plan for the table as it is now (rebuilt after any definition or rollback). */
function structPlan(types: TypeTable, t: Extract<GobType, { kind: 'struct' }>): StructPlan {
  const p = types.plans.get(t) as StructPlan | undefined;
  if (p && p.gen === types.generation) return p;
  const fields = t.fields;
  const plan: StructPlan = {
    gen: types.generation,
    types: new Array(fields.length),
    zeros: new Array(fields.length),
    keys: fields.map((f) => segment(f.name)),
    fixed: !mayHoldInterface(types, t),
  };
  for (let i = 0; i < fields.length; i++) {
    plan.types[i] = types.get(fields[i]!.id);
    plan.zeros[i] = zeroValue(types, fields[i]!.id);
  }
  types.plans.set(t, plan);
  return plan;
}

/** Types looked at before mayHoldInterface gives up (and answers yes). */
const HOLDS_SCAN_LIMIT = 64;

/**
 * Whether a value of type `t` may contain an interface value (whose concrete type may be defined
 * inside it), as far as the table tells now; yes when that takes too long to find out. Types not
 * defined yet cannot be decoded, so they hold nothing.
 */
function mayHoldInterface(types: TypeTable, t: GobType): boolean {
  const seen = new Set<number>([t.id]);
  const todo: GobType[] = [t];
  const visit = (id: number): boolean => {
    if (seen.has(id)) return true;
    if (seen.size >= HOLDS_SCAN_LIMIT) return false;
    seen.add(id);
    const u = types.get(id);
    if (u) todo.push(u);
    return true;
  };
  for (let u = todo.pop(); u !== undefined; u = todo.pop()) {
    switch (u.kind) {
      case 'interface':
        return true;
      case 'struct':
        for (const f of u.fields) if (!visit(f.id)) return true;
        break;
      case 'slice':
      case 'array':
        if (!visit(u.elem)) return true;
        break;
      case 'map':
        if (!visit(u.key) || !visit(u.elem)) return true;
        break;
    }
  }
  return false;
}

/** The next field number of a struct value after `num` (-1 first), or -1 at its end. */
function nextField(r: Reader, num: number, t: Extract<GobType, { kind: 'struct' }>): number {
  if (r.pos >= r.end) return -1;
  const d = r.count('field delta');
  if (d === 0) return -1;
  num += d;
  if (num >= t.fields.length) throw new GobError(`field number ${num} out of range for ${t.name || 'struct'}`);
  return num;
}

function decodeStruct(ctx: ValueContext, t: Extract<GobType, { kind: 'struct' }>): Record<string, unknown> {
  const plan = structPlan(ctx.types, t);
  if (!plan.fixed) return decodeStructDeferred(ctx, t, plan);
  // Fields arrive in increasing order: the object is built as they come, omitted ones (zero)
  // set when passed, so that keys stay in declared order.
  const r = ctx.r;
  const fields = t.fields;
  const out: Record<string, unknown> = {};
  let next = 0;
  for (let num = nextField(r, -1, t); num >= 0; num = nextField(r, num, t)) {
    const f = fields[num]!;
    const ft = plan.types[num];
    if (!ft) throw new GobError(definedBefore(f.id));
    for (; next < num; next++) setKey(out, fields[next]!.name, plan.zeros[next]);
    const rs = ctx.ranges;
    if (rs) {
      const saved = ctx.prefix;
      const path = saved + plan.keys[num]!;
      const start = r.pos;
      // Scalars hold no fields: no prefix to set for them.
      if (ft.kind === 'struct' || ft.kind === 'slice' || ft.kind === 'array' || ft.kind === 'map') {
        ctx.prefix = path;
        setKey(out, f.name, decodeValue(ctx, f.id, ft));
        ctx.prefix = saved;
      } else setKey(out, f.name, decodeValue(ctx, f.id, ft));
      if (rs.length < MAX_RANGES) rs.push({ path, start, end: r.pos });
    } else {
      // (no interface inside and no ranges wanted: nothing reads the path, so the name is not pushed)
      setKey(out, f.name, decodeValue(ctx, f.id, ft));
    }
    next = num + 1;
  }
  for (; next < fields.length; next++) setKey(out, fields[next]!.name, plan.zeros[next]);
  return out;
}

/** A struct that may hold interface values: omitted fields take their zero values from the
 *  table as it is once the whole struct has been read. */
function decodeStructDeferred(ctx: ValueContext, t: Extract<GobType, { kind: 'struct' }>, plan: StructPlan): Record<string, unknown> {
  const r = ctx.r;
  const types = ctx.types;
  const fields = t.fields;
  const vals: unknown[] = new Array(fields.length).fill(MISSING);
  for (let num = nextField(r, -1, t); num >= 0; num = nextField(r, num, t)) {
    const f = fields[num]!;
    if (plan.gen !== types.generation) plan = structPlan(types, t);
    const ft = plan.types[num];
    if (!ft) throw new GobError(definedBefore(f.id));
    ctx.path.push(f.name);
    vals[num] = ctx.ranges ? tracked(ctx, (ctx.prefix ?? '') + plan.keys[num]!, () => decodeValue(ctx, f.id, ft)) : decodeValue(ctx, f.id, ft);
    ctx.path.pop();
  }
  if (plan.gen !== types.generation) plan = structPlan(types, t);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) {
    const v = vals[i];
    setKey(out, fields[i]!.name, v === MISSING ? plan.zeros[i] : v);
  }
  return out;
}

/**
 * What the receiver holds for a field the sender omitted. Gob omits zero numbers, false, "",
 * empty slices, nil maps, nil pointers and nil interfaces; it always sends structs and arrays, so
 * an omitted one was a nil pointer.
 */
export function zeroValue(types: TypeTable, id: number): unknown {
  const t = types.get(id);
  if (!t) return null;
  switch (t.kind) {
    case 'bool':
      return false;
    case 'int':
    case 'uint':
    case 'float':
      return 0;
    case 'complex':
      return '(0+0i)';
    case 'string':
      return '';
    case 'external':
      return externalZero(t.name);
    default:
      return null;
  }
}

function decodeInterface(ctx: ValueContext): unknown {
  const r = ctx.r;
  const nameLen = r.count('interface type name length');
  if (nameLen === 0) return null;
  if (nameLen > r.remaining) throw new GobError(`interface type name length ${nameLen} exceeds the message`);
  const name = decodeUtf8(r.bytes(nameLen));
  // Type definitions may come first, possibly in the following messages of the stream.
  let id: number;
  for (;;) {
    if (r.pos >= r.end) r.nextMessage();
    id = r.smallInt('type id');
    if (id >= 0) break;
    const t = parseWireType(r, -id);
    ctx.types.define(t);
    (ctx.defined ??= []).push(describeType(ctx.types, t));
    // After a definition, a still-open buffer holds the byte count of the rest: skip it.
    if (r.pos < r.end) r.uint();
  }
  r.uint(); // byte count of the concrete value
  const v = decodeTop(ctx, id);
  const at = '/' + ctx.path.map(escapePointer).join('/');
  (ctx.concrete ??= {})[at] = name;
  ctx.wire?.ifaces.set(at, id);
  return v;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function formatComplex(re: number, im: number): string {
  const sign = im < 0 || Object.is(im, -0) || Number.isNaN(im) ? '' : '+';
  return `(${goFloat(re)}${sign}${goFloat(im)}i)`;
}

function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  return String(f);
}
