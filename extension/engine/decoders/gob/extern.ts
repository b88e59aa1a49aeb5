// Values of types that encode themselves (GobEncoder, BinaryMarshaler, TextMarshaler): the wire
// carries opaque bytes. The well-known ones are rendered as Go's encoding/json prints them:
// time.Time as RFC 3339 with nanoseconds and the sender's zone offset, math/big.Int as a number,
// math/big.Rat as its text (*big.Int and *big.Rat arrive without a type name: recognised by
// their bytes). TextMarshaler values are their text; anything else is base64.
import { decodeUtf8 } from './reader';
import type { ExternalFlavor } from './types';

/** Seconds from 0001-01-01 to 1970-01-01 (Go's unixToInternal). */
const UNIX_TO_INTERNAL = 62135596800n;

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Render a self-encoded value; undefined when the bytes do not fit the named type's format. */
export function renderExternal(name: string, flavor: ExternalFlavor, b: Uint8Array): unknown {
  if (flavor === 'TextMarshaler') return decodeUtf8(b);
  if (flavor === 'GobEncoder') {
    if (name === 'Time') {
      const t = formatGobTime(b);
      if (t !== undefined) return t;
    } else if (name === 'Int') {
      if (b.length === 0) return null;
      const v = decodeBigInt(b);
      if (v !== undefined) return v;
    } else if (name === 'Rat') {
      const v = decodeBigRat(b);
      if (v !== undefined) return v;
    } else if (name === '') {
      // A GobEncoder with pointer receivers is sent without a name: math/big's *Int and *Rat are
      // the common ones. A Rat starts with a u32 numerator length (high byte 0); an Int's
      // magnitude never starts with a zero byte.
      const v = b.length >= 5 && b[1] === 0 ? decodeBigRat(b) : decodeBigInt(b);
      if (v !== undefined) return v;
    }
  }
  return b.length === 0 ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** The zero value a receiver has for an omitted field of this self-encoded type. */
export function externalZero(name: string): unknown {
  return name === 'Time' ? ZERO_TIME : null;
}

function magnitude(b: Uint8Array, from: number, to: number): bigint {
  let v = 0n;
  let i = from;
  // 6 bytes at a time keeps the bigint work small for long numbers.
  for (; i + 6 <= to; i += 6) {
    v = (v << 48n) | BigInt(b[i]! * 0x10000000000 + b[i + 1]! * 0x100000000 + ((b[i + 2]! << 24) >>> 0) + (b[i + 3]! << 16) + (b[i + 4]! << 8) + b[i + 5]!);
  }
  for (; i < to; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

function exact(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** math/big.Int GobEncode: byte (version 1 << 1 | sign), big-endian magnitude. */
export function decodeBigInt(b: Uint8Array): number | bigint | undefined {
  if (b.length === 0 || b[0]! >> 1 !== 1) return undefined;
  const m = magnitude(b, 1, b.length);
  return exact(b[0]! & 1 ? -m : m);
}

/** math/big.Rat GobEncode: byte (version 1 << 1 | sign), u32 numerator length, numerator, denominator. */
export function decodeBigRat(b: Uint8Array): string | undefined {
  if (b.length === 0) return '0';
  if (b.length < 5 || b[0]! >> 1 !== 1) return undefined;
  const n = ((b[1]! << 24) >>> 0) + (b[2]! << 16) + (b[3]! << 8) + b[4]!;
  if (5 + n > b.length) return undefined;
  const num = magnitude(b, 5, 5 + n);
  const den = 5 + n === b.length ? 1n : magnitude(b, 5 + n, b.length);
  const s = (b[0]! & 1 && num !== 0n ? '-' : '') + num.toString();
  return den === 1n ? s : `${s}/${den}`;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** time.Time MarshalBinary (versions 1 and 2) → RFC 3339 with nanoseconds, as Go's MarshalJSON. */
export function formatGobTime(b: Uint8Array): string | undefined {
  const version = b[0];
  if (!((version === 1 && b.length === 15) || (version === 2 && b.length === 16))) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sec = dv.getBigInt64(1);
  const nsec = dv.getInt32(9);
  if (nsec < 0 || nsec > 999999999) return undefined;
  const offMin = dv.getInt16(13);
  let offset = offMin === -1 ? 0 : offMin * 60;
  if (version === 2 && offMin !== -1) offset += b[15]!;
  return formatTime(sec - UNIX_TO_INTERNAL, nsec, offset);
}

/** Unix seconds + nanoseconds shown at a zone offset (seconds east of UTC), Go's RFC3339Nano. */
export function formatTime(unixSec: bigint, nsec: number, offset: number): string {
  const local = unixSec + BigInt(offset);
  let days = local / 86400n;
  let sod = Number(local % 86400n);
  if (sod < 0) {
    sod += 86400;
    days -= 1n;
  }
  const [y, m, d] = civilFromDays(Number(days));
  const hh = Math.floor(sod / 3600);
  const mm = Math.floor((sod % 3600) / 60);
  const ss = sod % 60;
  let s = `${y < 0 ? '-' + pad(-y, 4) : pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}`;
  if (nsec !== 0) s += '.' + pad(nsec, 9).replace(/0+$/, '');
  if (offset === 0) return s + 'Z';
  const zone = Math.trunc(offset / 60);
  const abs = Math.abs(zone);
  return `${s}${zone < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

/** Days since 1970-01-01 → proleptic Gregorian [year, month, day] (H. Hinnant's algorithm). */
function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return [y, m, d];
}
