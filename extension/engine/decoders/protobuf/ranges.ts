// Byte ranges of a protobuf message's fields, for the panel's hex view. Schema-less readings
// ({fields: [...]}, see ./wire.ts): "/fields/i" spans a field's tag through its value, and a
// length-delimited field read as a message has its own fields at "/fields/i/message/fields/j".
// Typed messages: by field name ("/user/name", "/tags/2"). A walk over bytes the reader
// already accepted (schema-less: for the rows the panel shows, not while decoding).
import type protobuf from 'protobufjs';
import type { FieldRange } from '../../types';
import type { PbMessage } from './wire';

const MAX_NEST = 32;

function varintEnd(d: Uint8Array, p: number, end: number): number {
  while (p < end && d[p]! >= 0x80) p++;
  return p + 1;
}

function varintAt(d: Uint8Array, p: number): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    const b = d[p + i]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  return v;
}

interface Span {
  /** Index in the reading's fields. */
  i: number;
  n: number;
  start: number;
  end: number;
  /** The value's bytes of a length-delimited field or group (its sub-message's bytes). */
  inner?: { start: number; end: number; message?: PbMessage };
}

/** The fields of `m` (a reading of d[from, to)) with where each lies. */
function spans(d: Uint8Array, m: PbMessage, from: number, to: number): { list: Span[]; end: number } {
  const list: Span[] = [];
  let p = from;
  for (let i = 0; i < m.fields.length && p < to; i++) {
    const f = m.fields[i]!;
    const at = p;
    const tag = varintAt(d, p);
    p = varintEnd(d, p, to);
    const wt = tag & 7;
    let inner: Span['inner'];
    if (wt === 0) p = varintEnd(d, p, to);
    else if (wt === 1) p += 8;
    else if (wt === 5) p += 4;
    else if (wt === 2) {
      const len = varintAt(d, p);
      p = varintEnd(d, p, to);
      inner = { start: p, end: p + len, message: f.message as PbMessage | undefined };
      p += len;
    } else if (wt === 3) {
      const sub = f.message as PbMessage | undefined;
      const s = p;
      p = sub ? spans(d, sub, p, to).end : to;
      inner = { start: s, end: p, message: sub };
      p = varintEnd(d, p, to); // END_GROUP
    } else break;
    list.push({ i, n: tag >>> 3, start: at, end: Math.min(p, to), inner });
  }
  return { list, end: p };
}

function sorted(out: FieldRange[]): FieldRange[] {
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** Ranges of a schema-less reading of d[start, end), at most `limit`. */
export function protobufRanges(d: Uint8Array, message: PbMessage, start = 0, end = d.length, limit = 2048): FieldRange[] {
  const out: FieldRange[] = [];
  // The reading must fill the bytes from `start`: otherwise `start` was not where it begins.
  if (spans(d, message, start, end).end !== end) return out;
  const walk = (m: PbMessage, path: string, from: number, to: number, depth: number) => {
    for (const s of spans(d, m, from, to).list) {
      const fp = `${path}/fields/${s.i}`;
      if (out.length >= limit) return;
      out.push({ path: fp, start: s.start, end: s.end });
      if (s.inner?.message && depth < MAX_NEST) walk(s.inner.message, `${fp}/message`, s.inner.start, s.inner.end, depth + 1);
    }
  };
  walk(message, '', start, end, 0);
  return sorted(out);
}

/** Ranges of a typed message by field name, from its schema-less reading `raw`. */
export function typedProtobufRanges(d: Uint8Array, type: protobuf.Type, raw: PbMessage, start = 0, end = d.length, limit = 2048): FieldRange[] {
  const out: FieldRange[] = [];
  const walk = (t: protobuf.Type, m: PbMessage, path: string, from: number, to: number, depth: number) => {
    const seen = new Map<string, number>();
    for (const s of spans(d, m, from, to).list) {
      const field = t.fieldsById[s.n];
      if (!field || out.length >= limit) continue;
      let fp = `${path}/${field.name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (field.repeated && !field.map) {
        const k = seen.get(field.name) ?? 0;
        seen.set(field.name, k + 1);
        // A packed run holds several values: the whole run is the field's.
        if (!(s.inner && !field.resolvedType && field.type !== 'string' && field.type !== 'bytes')) fp += `/${k}`;
      }
      const prev = field.map ? out.find((r) => r.path === fp) : undefined;
      if (prev) prev.end = s.end;
      else out.push({ path: fp, start: s.start, end: s.end });
      const sub = field.resolvedType && 'fieldsById' in field.resolvedType ? (field.resolvedType as protobuf.Type) : undefined;
      if (sub && !field.map && s.inner?.message && depth < MAX_NEST) walk(sub, s.inner.message, fp, s.inner.start, s.inner.end, depth + 1);
    }
  };
  walk(type, raw, '', start, end, 0);
  return sorted(out);
}
