// Parsing a wireType (the body of a type-definition message). Its layout is predefined by gob
// (ids 16–23) and never sent, so it is read here by hand with the usual struct rules:
// (field delta, value) pairs ended by a 0 delta, omitted fields zero.
import { GobError, type Reader } from './reader';
import { FIRST_USER_ID, type ExternalFlavor, type GobField, type GobType } from './types';

/** Read struct fields: calls `field(i)` for each present field number. */
function readStruct(r: Reader, nfields: number, field: (i: number) => void): void {
  let num = -1;
  while (r.pos < r.end) {
    const d = r.count('field delta');
    if (d === 0) return;
    num += d;
    if (num >= nfields) throw new GobError(`type definition: field number ${num} out of range`);
    field(num);
  }
}

interface Common {
  name: string;
  id: number;
}

function readCommon(r: Reader): Common {
  const c: Common = { name: '', id: 0 };
  readStruct(r, 2, (i) => {
    if (i === 0) c.name = r.string('type name');
    else c.id = r.smallInt('type id');
  });
  return c;
}

function typeRef(r: Reader): number {
  const id = r.smallInt('type id');
  if (id <= 0 || id > 0x7fffffff) throw new GobError(`type definition refers to invalid type id ${id}`);
  return id;
}

const FLAVORS: ExternalFlavor[] = ['GobEncoder', 'BinaryMarshaler', 'TextMarshaler'];

/** Parse the wireType for type `id` (its id was already read). */
export function parseWireType(r: Reader, id: number): GobType {
  if (id < FIRST_USER_ID) throw new GobError(`type definition for reserved id ${id}`);
  let out: GobType | undefined;
  const once = (t: GobType) => {
    if (out) throw new GobError('type definition describes more than one kind');
    out = t;
  };
  readStruct(r, 7, (i) => {
    switch (i) {
      case 0: {
        let c: Common = { name: '', id };
        let elem = 0;
        let len = 0;
        readStruct(r, 3, (j) => {
          if (j === 0) c = readCommon(r);
          else if (j === 1) elem = typeRef(r);
          else len = r.smallInt('array length');
        });
        if (len < 0) throw new GobError(`negative array length ${len}`);
        once({ kind: 'array', id, name: c.name, elem, len });
        break;
      }
      case 1: {
        let c: Common = { name: '', id };
        let elem = 0;
        readStruct(r, 2, (j) => {
          if (j === 0) c = readCommon(r);
          else elem = typeRef(r);
        });
        once({ kind: 'slice', id, name: c.name, elem });
        break;
      }
      case 2: {
        let c: Common = { name: '', id };
        const fields: GobField[] = [];
        readStruct(r, 2, (j) => {
          if (j === 0) c = readCommon(r);
          else {
            const n = r.count('field count');
            for (let k = 0; k < n; k++) {
              if (r.pos >= r.end) throw new GobError(`struct field count ${n} exceeds the message`);
              const f: GobField = { name: '', id: 0 };
              readStruct(r, 2, (m) => {
                if (m === 0) f.name = r.string('field name');
                else f.id = typeRef(r);
              });
              fields.push(f);
            }
          }
        });
        once({ kind: 'struct', id, name: c.name, fields });
        break;
      }
      case 3: {
        let c: Common = { name: '', id };
        let key = 0;
        let elem = 0;
        readStruct(r, 3, (j) => {
          if (j === 0) c = readCommon(r);
          else if (j === 1) key = typeRef(r);
          else elem = typeRef(r);
        });
        once({ kind: 'map', id, name: c.name, key, elem });
        break;
      }
      default: {
        let c: Common = { name: '', id };
        readStruct(r, 1, () => {
          c = readCommon(r);
        });
        once({ kind: 'external', id, name: c.name, flavor: FLAVORS[i - 4]! });
      }
    }
  });
  if (!out) throw new GobError(`empty type definition for type ${id}`);
  const t = out;
  if ((t.kind === 'slice' || t.kind === 'array') && t.elem === 0) throw new GobError(`type ${id}: missing element type`);
  if (t.kind === 'map' && (t.key === 0 || t.elem === 0)) throw new GobError(`type ${id}: missing key or element type`);
  if (t.kind === 'struct' && t.fields.some((f) => f.id === 0)) throw new GobError(`type ${id}: field without a type`);
  return t;
}
