// Text helpers for decoders: UTF-8 checks and one-line previews for summaries.
import { isUtf8 } from 'node:buffer';
import { asBuffer, utf8Slice } from './bytes';

// Control characters other than tab, LF, CR (and DEL) make bytes "not printable text".
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const ESCAPES = /[\u0000-\u001f\u007f\u2028\u2029]/g;

/** The bytes as a string when they are valid UTF-8 without control characters, else null. */
export function printableText(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return '';
  if (!isUtf8(bytes)) return null;
  const s = asBuffer(bytes).toString('utf8');
  return CONTROL.test(s) ? null : s;
}

/** printableText for `bytes`, which are also at `at` in `src` (saves making a Buffer view). */
export function printableAt(bytes: Uint8Array, src: Buffer, at: number): string | null {
  if (bytes.length === 0) return '';
  if (!isUtf8(bytes)) return null;
  const s = utf8Slice(src, at, at + bytes.length);
  return CONTROL.test(s) ? null : s;
}

/** UTF-8 decoding (invalid sequences become U+FFFD). */
export function utf8(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('utf8');
}

/** A one-line preview: control characters escaped, cut at `max` characters with an ellipsis. */
export function preview(text: string, max = 120): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const esc = ESCAPES.test(cut) ? cut.replace(ESCAPES, escapeChar) : cut;
  ESCAPES.lastIndex = 0;
  return text.length > max ? esc + '…' : esc;
}

function escapeChar(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
  }
}

/** Hex preview of the first bytes: "01 02 ff …". */
export function hexPreview(bytes: Uint8Array, max = 24): string {
  const n = Math.min(bytes.length, max);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(bytes[i].toString(16).padStart(2, '0'));
  return parts.join(' ') + (bytes.length > max ? ' …' : '');
}

/** Text preview when printable, else hex preview. */
export function bytesPreview(bytes: Uint8Array, max = 120): string {
  let t: string | null;
  if (bytes.length <= max * 4) t = printableText(bytes);
  else {
    // the cut may split a UTF-8 sequence: try ending 0-3 bytes earlier
    t = null;
    for (let back = 0; back < 4 && t === null; back++) t = printableText(bytes.subarray(0, max * 4 - back));
  }
  return t !== null ? JSON.stringify(preview(t, max)) : hexPreview(bytes);
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}
