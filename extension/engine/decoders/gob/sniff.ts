// Recognising the start of a gob stream (for `auto`), and net/rpc's header type definitions.
import type { SniffResult } from '../core/decoder';
import { GobError, Reader, readHeader } from './reader';
import { parseWireType } from './wiretype';
import type { GobType } from './types';

const MAX_SNIFF_MESSAGE = 4096;

/** Parse the first message as a type definition; 'more' while incomplete. */
export function firstTypedef(head: Uint8Array): GobType | 'no' | 'more' {
  const h = readHeader(head, 0, head.length);
  if (!h) return 'more';
  if (h.count < 4 || h.count > MAX_SNIFF_MESSAGE) return 'no';
  // Cheap checks on what is there before waiting for the whole message.
  const r0 = new Reader(head, h.bodyStart, Math.min(head.length, h.bodyStart + h.count), head.length, MAX_SNIFF_MESSAGE);
  try {
    const id = r0.smallInt('id');
    if (id >= 0 || -id < 64) return 'no';
    for (let i = 0; i < 2 && r0.pos + i < r0.end; i++) {
      const b = head[r0.pos + i]!;
      if (i === 0 ? b < 1 || b > 7 : b !== 1) return 'no';
    }
  } catch (e) {
    if (!(e instanceof GobError)) return 'no';
  }
  if (h.bodyStart + h.count > head.length) return 'more';
  const r = new Reader(head, h.bodyStart, h.bodyStart + h.count, head.length, MAX_SNIFF_MESSAGE);
  try {
    const id = r.smallInt('id');
    const t = parseWireType(r, -id);
    return r.pos === r.end ? t : 'no';
  } catch {
    return 'no';
  }
}

/**
 * A gob stream starts with a type definition (or, rarely, a value of a predefined type); one
 * joined mid-stream, with two values of user types back to back (their definitions went before).
 */
export function sniffGob(head: Uint8Array): SniffResult {
  const t = firstTypedef(head);
  if (t === 'more') return 'more';
  if (t !== 'no') return 'yes';
  const v = sniffPredefinedValue(head);
  if (v !== 'no') return v;
  return sniffUserValues(head);
}

/** Two whole messages, each starting with a user type id (a positive int ≥ 65: FF 82…FF FE, or FE hi lo even). */
function sniffUserValues(head: Uint8Array): SniffResult {
  let pos = 0;
  for (let k = 0; k < 2; k++) {
    const h = readHeader(head, pos, head.length);
    if (!h) return 'more';
    if (h.count < 3 || h.count > MAX_SNIFF_MESSAGE) return 'no';
    const b = h.bodyStart;
    if (b + 1 >= head.length) return 'more';
    if (head[b] === 0xff) {
      if (head[b + 1]! < 0x82 || head[b + 1]! % 2 !== 0) return 'no';
    } else if (head[b] === 0xfe) {
      if (b + 2 >= head.length) return 'more';
      if (head[b + 2]! % 2 !== 0) return 'no';
    } else return 'no';
    pos = b + h.count;
    if (pos > head.length) return 'more';
  }
  return 'yes';
}

function sniffPredefinedValue(head: Uint8Array): SniffResult {
  const h = readHeader(head, 0, head.length);
  if (!h) return 'more';
  if (h.count < 3 || h.count > 64) return 'no';
  if (h.bodyStart + 2 <= head.length) {
    const id = head[h.bodyStart]!;
    // ids 1..7 are sent as the ints 2,4,..14; the single value follows a 0 delta.
    if (id < 2 || id > 14 || id % 2 !== 0 || head[h.bodyStart + 1] !== 0) return 'no';
  }
  if (h.bodyStart + h.count > head.length) return 'more';
  const r = new Reader(head, h.bodyStart + 2, h.bodyStart + h.count, head.length, 64);
  try {
    const id = head[h.bodyStart]! / 2;
    if (id === 4 || id === 7) {
      r.float();
      if (id === 7) r.float();
    } else if (id === 5 || id === 6) r.lenBytes('s');
    else r.uint();
    return r.pos === r.end ? 'yes' : 'no';
  } catch {
    return 'no';
  }
}

const rpcRoles = new WeakMap<GobType, 'request' | 'response' | 'none'>();

/** net/rpc's header types: struct Request{ServiceMethod, Seq} and Response{ServiceMethod, Seq, Error}. */
export function isRpcHeaderType(t: GobType): 'request' | 'response' | undefined {
  if (t.kind !== 'struct') return undefined;
  let role = rpcRoles.get(t);
  if (role === undefined) {
    const names = t.fields.map((f) => f.name).join(',');
    role = t.name === 'Request' && names === 'ServiceMethod,Seq' ? 'request' : t.name === 'Response' && names === 'ServiceMethod,Seq,Error' ? 'response' : 'none';
    rpcRoles.set(t, role);
  }
  return role === 'none' ? undefined : role;
}
