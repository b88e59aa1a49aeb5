// Rendering helpers shared by the gob, net/rpc and jsonrpc1 decoders: map keys as Go's
// encoding/json writes them (sorted by their UTF-8 bytes), and short previews for summaries.
import { toJson } from '../../util/json';
import { jsonKey, jsonQuote } from '../core/preview';

/** A decoded map key as the string encoding/json uses for it. */
export function mapKeyString(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  return toJson(k);
}

/** Code-unit order adjusted to code-point (= UTF-8 byte) order. */
function fix(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c;
}

export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x < 0xd800 && y < 0xd800 ? x - y : fix(x) - fix(y);
  }
  return a.length - b.length;
}

export function sortKeys(keys: string[]): string[] {
  return keys.sort(compareUtf8);
}

/** `,"key":` for the keys after an object's first (cached like jsonKey's). Writing it in one
 *  piece gives the same preview: past the limit, the text is cut at the limit anyway. */
const commaKeys = new Map<string, string>();

function commaKey(k: string): string {
  let q = commaKeys.get(k);
  if (q === undefined) {
    q = ',' + jsonKey(k);
    if (k.length <= 64) {
      if (commaKeys.size >= 4096) commaKeys.clear();
      commaKeys.set(k, q);
    }
  }
  return q;
}

/** Writes a preview until `limit` characters (one object per call: no closures per value). */
class PreviewWriter {
  out = '';
  constructor(private readonly limit: number) {}

  /** false once full */
  private put(s: string): boolean {
    this.out += s;
    return this.out.length < this.limit;
  }

  walk(x: unknown): boolean {
    if (x === null || x === undefined) return this.put('null');
    if (typeof x === 'string') return this.put(jsonQuote(x.length > this.limit ? x.slice(0, this.limit) : x));
    if (typeof x !== 'object') return this.put(String(x));
    if (Array.isArray(x)) {
      if (!this.put('[')) return false;
      for (let i = 0; i < x.length; i++) {
        if (i > 0 && !this.put(',')) return false;
        if (!this.walk(x[i])) return false;
      }
      return this.put(']');
    }
    if (!this.put('{')) return false;
    let first = true;
    const o = x as Record<string, unknown>;
    // for-in: the same keys in the same order as Object.keys here (decoded values are plain
    // objects; nothing enumerable is inherited), without the array and with fast o[k] loads
    for (const k in o) {
      if (!this.put(first ? jsonKey(k) : commaKey(k))) return false;
      first = false;
      if (!this.walk(o[k])) return false;
    }
    return this.put('}');
  }
}

/** JSON text of a value, cut to about `limit` characters without rendering all of a big value.
 *  One line, no control characters (strings and keys go through jsonQuote). */
export function preview(v: unknown, limit = 120): string {
  const w = new PreviewWriter(limit);
  const done = w.walk(v);
  const s = w.out;
  return done && s.length <= limit ? s : s.slice(0, limit) + '…';
}

const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

/** A summary on one line: control characters (newlines included) shown as escapes. */
export function oneLine(s: string): string {
  if (s.length <= 32) {
    // short strings (names, numbers): a plain scan beats the regular expression
    let plain = true;
    for (let i = 0; i < s.length && plain; i++) {
      const c = s.charCodeAt(i);
      plain = c >= 0x20 && c !== 0x7f && c !== 0x2028 && c !== 0x2029;
    }
    if (plain) return s;
  } else if (!CONTROL.test(s)) return s;

  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
