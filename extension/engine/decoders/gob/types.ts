// The gob type table of one stream direction: the predefined types every gob peer knows, plus
// the types the sender defined (wireType messages). Field/element types are referenced by id and
// resolved when a value is decoded, so recursive and forward references need no special care.
import { GobError } from './reader';

export type BasicKind = 'bool' | 'int' | 'uint' | 'float' | 'bytes' | 'string' | 'complex' | 'interface';

export type GobType =
  | { kind: BasicKind; id: number; name: string }
  | { kind: 'struct'; id: number; name: string; fields: GobField[] }
  | { kind: 'slice'; id: number; name: string; elem: number }
  | { kind: 'array'; id: number; name: string; elem: number; len: number }
  | { kind: 'map'; id: number; name: string; key: number; elem: number }
  | { kind: 'external'; id: number; name: string; flavor: ExternalFlavor };

export type ExternalFlavor = 'GobEncoder' | 'BinaryMarshaler' | 'TextMarshaler';

export interface GobField {
  name: string;
  id: number;
}

/** A bound on the type table (hostile streams): far above what real programs define. */
export const MAX_USER_TYPES = 100_000;

/** Ids below this are reserved for predefined types; senders number their own from 65. */
export const FIRST_USER_ID = 64;

const BASICS: [number, BasicKind][] = [
  [1, 'bool'],
  [2, 'int'],
  [3, 'uint'],
  [4, 'float'],
  [5, 'bytes'],
  [6, 'string'],
  [7, 'complex'],
  [8, 'interface'],
];

// The types gob uses to describe types (ids 16–23). Peers never send their definitions; they are
// listed so a value of one of them could still be decoded.
const common = (id: number, name: string, fields: [string, number][]): GobType => ({
  kind: 'struct',
  id,
  name,
  fields: fields.map(([n, i]) => ({ name: n, id: i })),
});
const WIRE_TYPES: GobType[] = [
  common(16, 'wireType', [
    ['ArrayT', 17],
    ['SliceT', 19],
    ['StructT', 20],
    ['MapT', 23],
    ['GobEncoderT', 24],
    ['BinaryMarshalerT', 24],
    ['TextMarshalerT', 24],
  ]),
  common(17, 'arrayType', [
    ['CommonType', 18],
    ['Elem', 2],
    ['Len', 2],
  ]),
  common(18, 'CommonType', [
    ['Name', 6],
    ['Id', 2],
  ]),
  common(19, 'sliceType', [
    ['CommonType', 18],
    ['Elem', 2],
  ]),
  common(20, 'structType', [
    ['CommonType', 18],
    ['Field', 22],
  ]),
  common(21, 'fieldType', [
    ['Name', 6],
    ['Id', 2],
  ]),
  { kind: 'slice', id: 22, name: '', elem: 21 },
  common(23, 'mapType', [
    ['CommonType', 18],
    ['Key', 2],
    ['Elem', 2],
  ]),
  common(24, 'gobEncoderType', [['CommonType', 18]]),
];

const PREDEFINED = new Map<number, GobType>();
for (const [id, kind] of BASICS) PREDEFINED.set(id, { kind, id, name: kind });
for (const t of WIRE_TYPES) PREDEFINED.set(t.id, t);

export function isPredefined(id: number): boolean {
  return PREDEFINED.has(id);
}

export class TypeTable {
  private readonly user = new Map<number, GobType>();
  /** Ids added since the last mark(), so a failed decoding attempt can be undone. */
  private added: { id: number; prev: GobType | undefined }[] = [];
  /** Changes whenever the table does (define, rollback): plans built from it check this. */
  generation = 0;
  /** Decoding plans derived from this table, by type (see value.ts), valid for `generation`. */
  readonly plans = new WeakMap<GobType, { gen: number }>();

  get(id: number): GobType | undefined {
    return this.user.get(id) ?? PREDEFINED.get(id);
  }

  has(id: number): boolean {
    return this.user.has(id) || PREDEFINED.has(id);
  }

  /** Define a user type; returns the previous definition if the id was already defined. */
  define(t: GobType): GobType | undefined {
    const prev = this.user.get(t.id);
    if (!prev && this.user.size >= MAX_USER_TYPES) throw new GobError(`more than ${MAX_USER_TYPES} type definitions in one stream`);
    this.added.push({ id: t.id, prev });
    this.user.set(t.id, t);
    this.generation++;
    return prev;
  }

  mark(): void {
    if (this.added.length > 0) this.added = [];
  }

  rollback(): void {
    if (this.added.length > 0) this.generation++;
    for (let i = this.added.length - 1; i >= 0; i--) {
      const { id, prev } = this.added[i]!;
      if (prev) this.user.set(id, prev);
      else this.user.delete(id);
    }
    this.added = [];
  }

  /** A readable Go-like name: the declared name, or a literal such as []string, map[int]Point. */
  name(id: number, depth = 0): string {
    const t = this.get(id);
    if (!t) return `type#${id}`;
    if (t.name || depth > 6) return t.name || '…';
    switch (t.kind) {
      case 'slice':
        return `[]${this.name(t.elem, depth + 1)}`;
      case 'array':
        return `[${t.len}]${this.name(t.elem, depth + 1)}`;
      case 'map':
        return `map[${this.name(t.key, depth + 1)}]${this.name(t.elem, depth + 1)}`;
      case 'struct':
        return `struct {${t.fields.map((f) => `${f.name} ${this.name(f.id, depth + 1)}`).join('; ')}}`;
      default:
        return t.kind;
    }
  }
}

/** A type definition as it appears in a frame's `decoded.typedef`. */
export function describeType(types: TypeTable, t: GobType): Record<string, unknown> {
  const base: Record<string, unknown> = { id: t.id, kind: t.kind, name: t.name || types.name(t.id) };
  switch (t.kind) {
    case 'struct':
      base.fields = t.fields.map((f) => ({ name: f.name, id: f.id, type: types.name(f.id) }));
      break;
    case 'slice':
      base.elem = { id: t.elem, type: types.name(t.elem) };
      break;
    case 'array':
      base.elem = { id: t.elem, type: types.name(t.elem) };
      base.len = t.len;
      break;
    case 'map':
      base.key = { id: t.key, type: types.name(t.key) };
      base.elem = { id: t.elem, type: types.name(t.elem) };
      break;
    case 'external':
      base.encoding = t.flavor;
      break;
  }
  return base;
}

/** One-line description for a type-definition frame's summary. */
export function typeSummary(types: TypeTable, t: GobType): string {
  switch (t.kind) {
    case 'struct':
      return `type ${t.id} = struct ${t.name || '(unnamed)'} {${t.fields.map((f) => `${f.name} ${types.name(f.id)}`).join('; ')}}`;
    case 'external':
      return `type ${t.id} = ${t.name} (${t.flavor})`;
    default:
      return `type ${t.id} = ${t.name ? t.name + ' ' : ''}${t.name ? '(' + literal(types, t) + ')' : literal(types, t)}`;
  }
}

function literal(types: TypeTable, t: GobType): string {
  switch (t.kind) {
    case 'slice':
      return `[]${types.name(t.elem)}`;
    case 'array':
      return `[${t.len}]${types.name(t.elem)}`;
    case 'map':
      return `map[${types.name(t.key)}]${types.name(t.elem)}`;
    default:
      return t.kind;
  }
}
