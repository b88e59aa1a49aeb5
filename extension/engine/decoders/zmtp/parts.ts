// Rendering of ZMTP message parts and command values: base64 always, text when printable UTF-8.
// The *At forms work on offsets of one Buffer (a whole message), so a multipart message needs no
// per-part views; the results equal the plain forms on the part's bytes.
import * as nodeBuffer from 'node:buffer';
import { asBuffer, base64Slice, latin1Slice, utf8Slice } from '../core/bytes';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isUtf8 = (nodeBuffer as { isUtf8?: (b: Uint8Array) => boolean }).isUtf8;

/** A Buffer over the same memory (no copy). */
export const nodeBuf = asBuffer;

export function b64(b: Uint8Array): string {
  return base64Slice(nodeBuf(b), 0, b.length);
}

/** base64 of buf[start, end). */
export function b64At(buf: Buffer, start: number, end: number): string {
  return end === start ? '' : base64Slice(buf, start, end);
}

/** The part as text when it is valid UTF-8 without control characters (tab/CR/LF allowed). */
export function printableText(b: Uint8Array): string | null {
  return textAt(nodeBuf(b), 0, b.length);
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Bytes checked one by one before a long part is scanned as a string. */
const SCAN = 256;

/** printableText of buf[start, end). */
export function textAt(buf: Buffer, start: number, end: number): string | null {
  if (end === start) return '';
  let ascii = true;
  const stop = Math.min(end, start + SCAN);
  for (let i = start; i < stop; i++) {
    const c = buf[i]!;
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) return null;
    } else if (c >= 0x7f) {
      if (c === 0x7f) return null;
      ascii = false;
    }
  }
  if (stop < end) {
    // A long part that starts like text: decoded at once, then checked as a string. Control
    // characters are ASCII, which UTF-8 decoding maps one to one even next to invalid bytes.
    const s = utf8Slice(buf, start, end);
    if (CONTROL.test(s)) return null;
    // Without U+FFFD the bytes were valid UTF-8; with one, it may be a real U+FFFD: check.
    if (s.indexOf('\ufffd') >= 0) {
      if (!isUtf8) return utf8Text(buf, start, end);
      if (!isUtf8(buf.subarray(start, end))) return null;
    }
    // TextDecoder (what this decoder has always used) drops a leading byte order mark.
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }
  if (ascii) return latin1Slice(buf, start, end);
  return utf8Text(buf, start, end);
}

/** buf[start, end) (no control characters) as UTF-8 text, or null when not valid UTF-8. */
function utf8Text(buf: Buffer, start: number, end: number): string | null {
  if (isUtf8) {
    if (!isUtf8(buf.subarray(start, end))) return null;
    // TextDecoder (what this decoder has always used) drops a leading byte order mark.
    const bom = end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf;
    return utf8Slice(buf, bom ? start + 3 : start, end);
  }
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    return null;
  }
}

/** Text, or 0x + hex (for values shown inside summaries and property maps). */
export function textOrHex(b: Uint8Array, maxHex = 64): string {
  const t = printableText(b);
  if (t !== null) return t;
  return hexOf(nodeBuf(b), 0, b.length, maxHex);
}

/** 0x + hex of the first maxHex bytes of buf[start, end), … when cut. */
function hexOf(buf: Buffer, start: number, end: number, maxHex: number): string {
  const h = buf.toString('hex', start, Math.min(end, start + maxHex));
  return `0x${h}${end - start > maxHex ? '…' : ''}`;
}

/** textOrHex of buf[start, end) whose printableText is `text`. */
export function textOrHexAt(buf: Buffer, start: number, end: number, text: string | null, maxHex = 64): string {
  return text !== null ? text : hexOf(buf, start, end, maxHex);
}

/** One part for a summary line. */
export function partForSummary(b: Uint8Array): string {
  const buf = nodeBuf(b);
  return partForSummaryAt(buf, 0, b.length, textAt(buf, 0, b.length));
}

/** partForSummary of buf[start, end) whose printableText is `text`. */
export function partForSummaryAt(buf: Buffer, start: number, end: number, text: string | null): string {
  if (end === start) return '""';
  if (text !== null) return text.length > 40 ? JSON.stringify(text.slice(0, 39) + '…') : jsonString(text);
  return hexOf(buf, start, end, 12);
}

/** JSON.stringify(s) for a string, without the call when nothing needs escaping. */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

export function clip(s: string, max = 160): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
