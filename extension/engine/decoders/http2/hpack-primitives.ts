// HPACK primitive types (RFC 7541 section 5): prefix integers and string literals.
// Readers return null on truncated/invalid input instead of throwing.
import { huffmanDecode } from './huffman';

export interface IntRead {
  value: number;
  next: number;
}

/** Largest integer we accept: far above any real index, length or table size. */
export const HPACK_INT_MAX = 2 ** 32;

/**
 * Read a prefix integer with an N-bit prefix starting at buf[pos].
 * Returns 'truncated' when more bytes are needed, 'overflow' when it exceeds HPACK_INT_MAX.
 */
export function readInt(buf: Uint8Array, pos: number, prefixBits: number): IntRead | 'truncated' | 'overflow' {
  const value = readIntAt(buf, pos, prefixBits);
  if (value === INT_TRUNCATED) return 'truncated';
  if (value === INT_OVERFLOW) return 'overflow';
  return { value, next: intEnd.next };
}

export const INT_TRUNCATED = -1;
export const INT_OVERFLOW = -2;

/** Where the integer readIntAt read last ends (no result object per integer on hot paths). */
export const intEnd = { next: 0 };

/** readInt as a number (INT_TRUNCATED / INT_OVERFLOW when it fails); the next position is intEnd.next. */
export function readIntAt(buf: Uint8Array, pos: number, prefixBits: number): number {
  if (pos >= buf.length) return INT_TRUNCATED;
  const max = (1 << prefixBits) - 1;
  let value = buf[pos] & max;
  let p = pos + 1;
  if (value < max) {
    intEnd.next = p;
    return value;
  }
  let mult = 1;
  for (;;) {
    if (p >= buf.length) return INT_TRUNCATED;
    const b = buf[p++];
    value += (b & 0x7f) * mult;
    if (value > HPACK_INT_MAX) return INT_OVERFLOW;
    if ((b & 0x80) === 0) {
      intEnd.next = p;
      return value;
    }
    mult *= 128;
  }
}

/** Encode a prefix integer; `flags` are the bits above the prefix in the first byte. */
export function encodeInt(value: number, prefixBits: number, flags = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

export interface StringRead {
  bytes: Uint8Array;
  next: number;
  huffman: boolean;
}

/** Read a string literal (H bit + 7-bit prefix length + data). Errors come back as a string. */
export function readString(buf: Uint8Array, pos: number): StringRead | string {
  if (pos >= buf.length) return 'truncated string literal';
  const huffman = (buf[pos] & 0x80) !== 0;
  const len = readIntAt(buf, pos, 7);
  if (len === INT_TRUNCATED) return 'truncated string length';
  if (len === INT_OVERFLOW) return 'string length too large';
  const start = intEnd.next;
  const end = start + len;
  if (end > buf.length) return `string literal of ${len} bytes runs past the end of the header block`;
  const raw = buf.subarray(start, end);
  if (!huffman) return { bytes: raw, next: end, huffman };
  const dec = huffmanDecode(raw);
  if (dec.error !== undefined) return dec.error;
  return { bytes: dec.bytes, next: end, huffman };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Header bytes as text: UTF-8 when valid, else Latin-1 (one char per byte). */
export function headerText(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++)
    if (bytes[i] > 0x7e || bytes[i] < 0x20) {
      ascii = false;
      break;
    }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ascii) return buf.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return buf.toString('latin1');
  }
}
