// Byte ranges of the values in a JSON text, by JSON pointer ("/params/textDocument/uri"), so the
// panel can light up the bytes of the field selected in the decoded tree. Works on the UTF-8
// bytes (offsets are byte offsets). Used for the rows the panel shows, not while decoding.
import type { FieldRange } from '../../types';

const MAX_DEPTH = 64;

function pointer(parent: string, key: string | number): string {
  const k = String(key);
  return `${parent}/${k.includes('~') || k.includes('/') ? k.replace(/~/g, '~0').replace(/\//g, '~1') : k}`;
}

function isWs(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Bytes that end a number or literal. */
function isDelim(b: number): boolean {
  return b === 0x2c || b === 0x5d || b === 0x7d || b === 0x3a || isWs(b);
}

/**
 * The JSON value starting at bytes[start] (after whitespace): the ranges of every value below its
 * root (at most `limit`, positions index `bytes`) and where it ends; undefined when it is not JSON.
 */
export function jsonValueRanges(bytes: Uint8Array, start = 0, limit = 2048): { ranges: FieldRange[]; end: number } | undefined {
  const out: FieldRange[] = [];
  const end = bytes.length;
  let i = start;
  let ok = true;
  const ws = () => {
    while (i < end && isWs(bytes[i])) i++;
  };
  const skipString = (): boolean => {
    i++;
    while (i < end) {
      const b = bytes[i]!;
      if (b === 0x5c) i += 2;
      else if (b === 0x22) {
        i++;
        return true;
      } else i++;
    }
    return false;
  };
  const keyAt = (from: number, to: number): string => {
    // Plain keys are sliced; keys with escapes or non-ASCII go through JSON.parse.
    let plain = true;
    for (let k = from + 1; k < to - 1; k++) if (bytes[k] === 0x5c || bytes[k]! >= 0x80) plain = false;
    const slice = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from);
    return plain ? slice.toString('latin1', 1, to - from - 1) : (JSON.parse(slice.toString('utf8')) as string);
  };
  const value = (path: string, depth: number): void => {
    ws();
    if (i >= end || depth > MAX_DEPTH) {
      ok = false;
      return;
    }
    const from = i;
    // Reserve the slot: parents come before their children, in position order.
    const slot = path !== '' && out.length < limit ? out.push({ path, start: from, end: from }) - 1 : -1;
    const b = bytes[i]!;
    if (b === 0x7b || b === 0x5b) {
      const obj = b === 0x7b;
      const close = obj ? 0x7d : 0x5d;
      i++;
      ws();
      if (bytes[i] === close) i++;
      else {
        for (let index = 0; ok; index++) {
          let key: string | number = index;
          if (obj) {
            ws();
            const k0 = i;
            if (bytes[i] !== 0x22 || !skipString()) {
              ok = false;
              return;
            }
            key = keyAt(k0, i);
            ws();
            if (bytes[i] !== 0x3a) {
              ok = false;
              return;
            }
            i++;
          }
          value(pointer(path, key), depth + 1);
          if (!ok) return;
          ws();
          if (bytes[i] === 0x2c) {
            i++;
            continue;
          }
          if (bytes[i] === close) {
            i++;
            break;
          }
          ok = false;
          return;
        }
      }
    } else if (b === 0x22) {
      if (!skipString()) {
        ok = false;
        return;
      }
    } else {
      while (i < end && !isDelim(bytes[i]!)) i++;
      if (i === from) {
        ok = false;
        return;
      }
    }
    if (slot >= 0) out[slot]!.end = i;
  };
  try {
    value('', 0);
  } catch {
    return undefined;
  }
  return ok ? { ranges: out, end: i } : undefined;
}

/** Ranges of the JSON text that fills bytes[start..] (trailing whitespace allowed), else []. */
export function jsonRanges(bytes: Uint8Array, start = 0, limit = 2048): FieldRange[] {
  const r = jsonValueRanges(bytes, start, limit);
  if (!r) return [];
  let e = r.end;
  while (e < bytes.length && isWs(bytes[e])) e++;
  return e === bytes.length ? r.ranges : [];
}
