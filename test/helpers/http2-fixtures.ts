// Shared HTTP/2 test material: the grpc-js capture from vectors/http2_grpc_vectors.txt and
// small builders for frames and literal header blocks.
import { encodeInt } from '../../extension/engine/decoders/http2/hpack-primitives';
import { hex } from './splits-fuzz';

// From vectors/http2_grpc_vectors.txt: a grpc-js client and server, two unary calls.
export const VEC_C2S = hex(
  '505249202a20485454502f322e300d0a0d0a534d0d0a0d0a00000004000000000000003201040000000183048962beb32fbbb918be7f418b089d5c0b8170dc69a740ff865f8b1d75d0620d263d4c4d656440027465864d833505b11f000008000100000001000000000308960100000004010000000000001001040000000383048962beb32fbbb918be7fc086bfbe000008000100000003000000000308960100000807000000000000000000000000000000080700000000000000000000000000',
);
export const VEC_S2C = hex(
  '000000040000000000000000040100000000000026010400000001885f8b1d75d0620d263d4c4d65646196dd6d5f4a084a693f75040138a003704cdc0b6a62d1bf0000070000000000010000000002100100001a01050000000140889acac8b21234da8f013040899acac8b5254207317f024f4b00000301040000000388c1c000000700000000000300000000021001000002010500000003bfbe00000807000000000000000003000000000000080700000000000000000300000000',
);
export const REQ_HEADERS = [
  [':method', 'POST'],
  [':path', '/pkg.Svc/Do'],
  [':authority', '127.0.0.1:44709'],
  [':scheme', 'http'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
];
export const RESP_HEADERS = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
  ['date', 'Sun, 22 Nov 2026 01:23:15 GMT'],
];
export const TRAILERS = [
  ['grpc-status', '0'],
  ['grpc-message', 'OK'],
];

/** Build one HTTP/2 frame. */
export function h2frame(type: number, flags: number, stream: number, payload: Uint8Array | string): Uint8Array {
  const p = typeof payload === 'string' ? hex(payload) : payload;
  const b = new Uint8Array(9 + p.length);
  b[0] = p.length >>> 16;
  b[1] = (p.length >>> 8) & 0xff;
  b[2] = p.length & 0xff;
  b[3] = type;
  b[4] = flags;
  new DataView(b.buffer).setUint32(5, stream);
  b.set(p, 9);
  return b;
}

/** A header block of literals without indexing (or with incremental indexing). */
export function literalBlock(headers: [string, string][], indexing = false): Uint8Array {
  const out: number[] = [];
  for (const [n, v] of headers) {
    out.push(indexing ? 0x40 : 0x00);
    for (const s of [n, v]) {
      const b = Buffer.from(s, 'utf8');
      out.push(...encodeInt(b.length, 7), ...b);
    }
  }
  return Uint8Array.from(out);
}

export const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
