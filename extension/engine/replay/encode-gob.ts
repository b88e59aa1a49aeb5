// Encoding an edited gob or net/rpc frame back into bytes. The types come from the capture: the
// bytes the same side sent earlier on the connection (`before`) and the frame itself are decoded
// again to rebuild the type table the peer has when the frame arrives; type definitions inside
// the frame are sent as they were, values are encoded from the edited JSON.
import { GobEncoder } from '../decoders/gob/encode';
import { GobStream, type GobItem } from '../decoders/gob/stream';
import { UserError } from '../util/errors';

type ValueItem = Extract<GobItem, { kind: 'value' }>;

/** The gob stream of a net/rpc side starts after its HTTP handshake (CONNECT or its answer). */
function skipHandshake(b: Buffer): Buffer {
  if (!/^(CONNECT |HTTP\/)/.test(b.subarray(0, 8).toString('latin1'))) return b;
  const end = b.indexOf('\n\n');
  return end < 0 ? Buffer.alloc(0) : b.subarray(end + 2);
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${what}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** The bytes of a `gob` or `netrpc` frame holding the edited decoded `value`. */
export function encodeGobFrame(proto: 'gob' | 'netrpc', value: unknown, original: Uint8Array, before: Uint8Array[]): Uint8Array {
  let prefix: Buffer = Buffer.concat(before);
  const orig = Buffer.from(original);
  if (proto === 'netrpc') {
    if (prefix.length === 0 && /^(CONNECT |HTTP\/)/.test(orig.subarray(0, 8).toString('latin1')))
      throw new UserError('this frame is the HTTP handshake of net/rpc: edit it as bytes (--hex)');
    prefix = skipHandshake(prefix);
  }
  const stream = new GobStream({ wireHints: true });
  const names = new Map<string, number>();
  const learn = (items: GobItem[]) => {
    for (const it of items)
      if (it.kind === 'value' && it.concrete && it.wire)
        for (const [p, n] of Object.entries(it.concrete)) {
          const id = it.wire.ifaces.get(p);
          if (id !== undefined) names.set(n, id);
        }
  };
  learn(stream.push(prefix));
  if (stream.pending) throw new UserError('the earlier messages of this connection end inside a gob message: the frame cannot be re-encoded (edit the bytes with --hex)');
  const items = stream.push(orig);
  learn(items);
  const bad = items.find((i) => i.kind === 'error');
  if (bad) throw new UserError(`the captured frame does not decode as gob (${(bad as { error: string }).error}): edit the bytes (--hex)`);
  const values = items.filter((i): i is ValueItem => i.kind === 'value');
  if (values.length === 0) throw new UserError('this frame holds only type definitions, which are sent as captured: edit a value frame');
  const edited = obj(value, 'the edited value');
  const concrete = (edited.concrete as Record<string, string> | undefined) ?? undefined;

  /** Encode item `it` with `v` in place of its value. */
  const encode = (it: ValueItem, v: unknown, withConcrete: boolean): Buffer => {
    const definedInside = new Set((it.defines ?? []).map((d) => d.id as number));
    const enc = new GobEncoder(stream.types, { wire: it.wire, names, definedInside, ...(withConcrete ? { concrete: concrete ?? it.concrete } : { concrete: it.concrete }) });
    return enc.message(it.typeId, v);
  };

  let replace: Map<ValueItem, Buffer>;
  if (proto === 'gob') {
    const it = values[values.length - 1]!;
    if (edited.type !== undefined && edited.type !== it.typeName)
      throw new UserError(`the frame's type is ${it.typeName}: a value of another type (${String(edited.type)}) cannot be sent in its place`);
    if (!('value' in edited)) throw new UserError('the edited frame needs its "value"');
    replace = new Map([[it, encode(it, edited.value, true)]]);
  } else {
    if (values.length !== 2) throw new UserError('this net/rpc frame is not a header with a body: edit the bytes (--hex)');
    const [header, body] = values as [ValueItem, ValueItem];
    const h = { ...obj(header.value, 'the header') };
    if (edited.serviceMethod !== undefined) h.ServiceMethod = edited.serviceMethod;
    if (edited.seq !== undefined) h.Seq = edited.seq;
    if (edited.kind === 'response' && edited.error !== undefined) h.Error = edited.error;
    const key = edited.kind === 'response' ? 'reply' : 'args';
    if (!(key in edited)) throw new UserError(`the edited call needs its "${key}"`);
    replace = new Map([
      [header, encode(header, h, false)],
      [body, encode(body, edited[key], true)],
    ]);
  }
  return Buffer.concat(items.map((it) => (it.kind === 'value' ? (replace.get(it) ?? Buffer.from(it.data)) : Buffer.from(it.data))));
}
