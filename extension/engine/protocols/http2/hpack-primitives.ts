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
  if (pos >= buf.length) return 'truncated';
  const max = (1 << prefixBits) - 1;
  let value = buf[pos] & max;
  let p = pos + 1;
  if (value < max) return { value, next: p };
  let mult = 1;
  for (;;) {
    if (p >= buf.length) return 'truncated';
    const b = buf[p++];
    value += (b & 0x7f) * mult;
    if (value > HPACK_INT_MAX) return 'overflow';
    if ((b & 0x80) === 0) return { value, next: p };
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
  const len = readInt(buf, pos, 7);
  if (len === 'truncated') return 'truncated string length';
  if (len === 'overflow') return 'string length too large';
  const end = len.next + len.value;
  if (end > buf.length) return `string literal of ${len.value} bytes runs past the end of the header block`;
  const raw = buf.subarray(len.next, end);
  if (!huffman) return { bytes: raw, next: end, huffman };
  const dec = huffmanDecode(raw);
  if (dec.error !== undefined) return dec.error;
  return { bytes: dec.bytes, next: end, huffman };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Header bytes as text: UTF-8 when valid, else Latin-1 (one char per byte). */
export function headerText(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7e || bytes[i] < 0x20) { ascii = false; break; }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ascii) return buf.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return buf.toString('latin1');
  }
}
