// Byte ranges for a frame row that carries none, computed when the row is shown: the stateless
// decoders (JSON-RPC, LSP, JSON-RPC 1.0, MessagePack, schema-less protobuf, gRPC messages) leave
// them out while decoding, which keeps decoding at full speed, and the few rows on screen get
// them here from their bytes and decoded value. Under a length prefix (layering) the value's
// start is found by trying the prefix sizes: the one where the value fills the rest.
import type { FieldRange } from '../../types';
import { jsonRanges } from '../jsonrpc/ranges';
import { msgpackRanges } from '../msgpack/ranges';
import { protobufRanges } from '../protobuf/ranges';
import type { PbMessage } from '../protobuf/wire';

/** Larger frames are not walked (their first screenful is what a person looks at anyway). */
const MAX_BYTES = 256 * 1024;
/** Where a value may start after framing: no prefix, 1–5 (varint), 8 or 10 bytes. */
const STARTS = [0, 1, 2, 3, 4, 5, 8, 10];

export interface RangeRow {
  proto: string;
  data: Uint8Array;
  decoded: unknown;
  error?: string;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** After LSP-style headers ("Content-Length: N\r\n\r\n"), else 0. */
function afterHeaders(d: Uint8Array): number {
  if (d[0] !== 0x43 && d[0] !== 0x63) return 0; // C / c
  for (let i = 0; i + 3 < d.length && i < 1024; i++) if (d[i] === 13 && d[i + 1] === 10 && d[i + 2] === 13 && d[i + 3] === 10) return i + 4;
  return 0;
}

function firstOf(starts: number[], d: Uint8Array, fn: (start: number) => FieldRange[]): FieldRange[] | undefined {
  for (const s of starts) {
    if (s >= d.length) break;
    const r = fn(s);
    if (r.length) return r;
  }
  return undefined;
}

function json(d: Uint8Array): FieldRange[] | undefined {
  const h = afterHeaders(d);
  return firstOf(h ? [h] : STARTS, d, (s) => (d[s] === 0x7b || d[s] === 0x5b || d[s] === 0x20 || d[s] === 0x0a ? jsonRanges(d, s) : []));
}

// Where a JSON-RPC 1.0 message's members land in its net/rpc-shaped decoded value.
const REQUEST_PATHS: [string, string][] = [
  ['/method', '/serviceMethod'],
  ['/id', '/seq'],
  ['/params', '/args'],
];
const REQUEST_ARRAY_PATHS: [string, string][] = [
  ['/method', '/serviceMethod'],
  ['/id', '/seq'],
  ['/params/0', '/args'],
];
const RESPONSE_PATHS: [string, string][] = [
  ['/id', '/seq'],
  ['/result', '/reply'],
  ['/error', '/error'],
];

/** Keep the ranges under a renamed prefix (with the new name); drop the rest. */
function rename(ranges: FieldRange[], renames: [string, string][]): FieldRange[] {
  const out: FieldRange[] = [];
  for (const r of ranges) {
    for (const [from, to] of renames) {
      if (r.path === from || r.path.startsWith(from + '/')) {
        out.push({ path: to + r.path.slice(from.length), start: r.start, end: r.end });
        break;
      }
    }
  }
  return out;
}

function jsonrpc1(d: Uint8Array, decoded: unknown): FieldRange[] | undefined {
  const r = json(d);
  const kind = obj(decoded)?.kind;
  if (!r || (kind !== 'request' && kind !== 'response')) return r;
  if (kind === 'response') return rename(r, RESPONSE_PATHS);
  const params = r.find((x) => x.path === '/params');
  return rename(r, params && d[params.start] === 0x5b ? REQUEST_ARRAY_PATHS : REQUEST_PATHS);
}

function isPb(v: unknown): v is PbMessage {
  return Array.isArray(obj(v)?.fields);
}

/** Ranges for a row without them, or undefined when its protocol has none to give. */
export function rangesOnDemand(row: RangeRow): FieldRange[] | undefined {
  const d = row.data;
  if (d.length === 0 || d.length > MAX_BYTES || row.decoded === null || row.decoded === undefined) return undefined;
  const proto = row.proto.slice(row.proto.lastIndexOf('+') + 1);
  try {
    switch (proto) {
      case 'jsonrpc':
      case 'lsp':
        return json(d);
      case 'jsonrpc1':
        return jsonrpc1(d, row.decoded);
      case 'msgpack':
        return firstOf(STARTS, d, (s) => msgpackRanges(d, row.decoded, s));
      case 'protobuf':
        return isPb(row.decoded) ? firstOf(STARTS, d, (s) => protobufRanges(d, row.decoded as PbMessage, s)) : undefined;
      case 'grpc': {
        // A message: 5 bytes of gRPC framing, then the (uncompressed) message.
        const m = obj(row.decoded);
        if (m?.kind !== 'message' || m.compressed !== false || d.length < 5) return undefined;
        const inner = isPb(m.message) ? protobufRanges(d, m.message, 5) : jsonRanges(d, 5);
        return [{ path: '/message', start: 5, end: d.length }, ...inner.map((x) => ({ path: `/message${x.path}`, start: x.start, end: x.end }))];
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
